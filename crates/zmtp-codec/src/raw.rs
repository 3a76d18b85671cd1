//! [`RawConnection`]: the protocol of a peer that is not ZeroMQ (a STREAM socket's, or a
//! ROUTER's with `ZMQ_ROUTER_RAW`): plain bytes, no greeting, no framing, no security.
//!
//! The connection is ready at once. Each read becomes one single-frame message (a read takes
//! at most about [`READ_CHUNK`] bytes, so a large transfer arrives as several messages); each
//! message sent is written as it is, its frames one after the other. A message whose frames
//! are all empty closes the connection once what was queued before it is written (the engine
//! then shuts the transport down, see [`crate::Protocol::shuts_down_on_close`]), as libzmq's
//! STREAM socket does.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::connection::{Event, EventKind, PeerInfo};
use crate::error::{ConnectionError, SendError};
use crate::greeting::{Greeting, MechanismName};
use crate::message::Message;
use crate::metadata::Metadata;
use crate::send_buffer::SendBuffer;

/// Room made in the read buffer before each read: a read returns at most about this much.
pub const READ_CHUNK: usize = 8 * 1024;

/// One raw connection, from the connect or accept to the close.
#[derive(Debug)]
pub struct RawConnection {
    recv: BytesMut,
    send: SendBuffer,
    events: VecDeque<Event>,
    closed: bool,
}

impl Default for RawConnection {
    fn default() -> Self {
        RawConnection::new()
    }
}

impl RawConnection {
    /// A new connection: ready at once (its first event is [`Event::Ready`] with
    /// [`PeerInfo::raw`]).
    pub fn new() -> RawConnection {
        RawConnection {
            recv: BytesMut::new(),
            send: SendBuffer::new(),
            events: VecDeque::from([Event::Ready(PeerInfo::raw())]),
            closed: false,
        }
    }

    /// The read buffer, with at least [`READ_CHUNK`] bytes free.
    pub fn recv_buf(&mut self) -> &mut BytesMut {
        if self.recv.capacity() - self.recv.len() < READ_CHUNK {
            self.recv.reserve(READ_CHUNK);
        }
        &mut self.recv
    }

    /// What was read becomes one message.
    pub fn handle_input(&mut self) {
        if self.closed {
            self.recv.clear();
            return;
        }
        if !self.recv.is_empty() {
            let chunk = self.recv.split().freeze();
            self.events
                .push_back(Event::Message(Message::single(chunk)));
        }
    }

    /// The peer closed its end: the connection ends with [`ConnectionError::PeerClosed`].
    pub fn handle_eof(&mut self) {
        self.close(ConnectionError::PeerClosed {
            during_handshake: false,
        });
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The kind of the next event, which stays in place.
    pub fn peek_kind(&self) -> Option<EventKind> {
        self.events.front().map(Event::kind)
    }

    /// Whether messages can be sent: until the connection ends.
    pub fn is_ready(&self) -> bool {
        !self.closed
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Ends the connection locally ([`ConnectionError::Closed`]); what was queued stays in
    /// [`RawConnection::transmit`].
    pub fn close_locally(&mut self) {
        self.close(ConnectionError::Closed);
    }

    /// Ends the connection with `reason`.
    pub fn abort(&mut self, reason: ConnectionError) {
        self.close(reason);
    }

    /// Queues a message's frames, as they are. A message of empty frames only closes the
    /// connection (once what is queued is written); after that, sends fail with
    /// [`SendError::Closed`].
    pub fn send(&mut self, msg: &Message) -> Result<(), SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if msg.iter().all(Bytes::is_empty) {
            self.close_locally();
            return Ok(());
        }
        for frame in msg.iter() {
            self.send.put_bytes(frame);
        }
        Ok(())
    }

    /// Bytes to write to the transport. Advance it by what was written.
    pub fn transmit(&mut self) -> &mut SendBuffer {
        &mut self.send
    }

    /// Whether bytes are waiting in [`RawConnection::transmit`].
    pub fn wants_to_transmit(&self) -> bool {
        !self.send.is_empty()
    }

    fn close(&mut self, reason: ConnectionError) {
        if !self.closed {
            self.closed = true;
            self.recv = BytesMut::new();
            self.events.push_back(Event::Closed(reason));
        }
    }
}

impl PeerInfo {
    /// The peer of a [`RawConnection`]: it sent no greeting (version 0.0, `NULL`), no socket
    /// type and no properties.
    pub fn raw() -> PeerInfo {
        PeerInfo {
            greeting: Greeting {
                major: 0,
                minor: 0,
                mechanism: MechanismName::NULL,
                as_server: false,
            },
            socket_type: None,
            metadata: Metadata::default(),
            legacy: None,
        }
    }

    /// Whether this is a raw peer's ([`PeerInfo::raw`]).
    pub fn is_raw(&self) -> bool {
        self.greeting.major == 0 && self.legacy.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Buf;

    fn drain(conn: &mut RawConnection) -> Vec<u8> {
        let tx = conn.transmit();
        let out = tx.copy_to_bytes(tx.len());
        out.to_vec()
    }

    #[test]
    fn ready_at_once_with_a_raw_peer() {
        let mut conn = RawConnection::new();
        assert!(conn.is_ready());
        match conn.poll_event() {
            Some(Event::Ready(peer)) => {
                assert!(peer.is_raw());
                assert_eq!(peer.socket_type, None);
            }
            other => panic!("expected Ready, got {other:?}"),
        }
        assert!(conn.poll_event().is_none());
    }

    #[test]
    fn each_read_is_one_message() {
        let mut conn = RawConnection::new();
        conn.poll_event();
        conn.recv_buf().extend_from_slice(b"hello");
        conn.handle_input();
        conn.recv_buf().extend_from_slice(b"world");
        conn.handle_input();
        let msgs: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
        assert_eq!(
            msgs,
            vec![
                Event::Message(Message::single(Bytes::from_static(b"hello"))),
                Event::Message(Message::single(Bytes::from_static(b"world"))),
            ]
        );
        assert!(conn.recv_buf().capacity() >= READ_CHUNK);
    }

    #[test]
    fn frames_are_written_as_they_are_small_and_large() {
        let mut conn = RawConnection::new();
        let large = Bytes::from(vec![7u8; 20_000]);
        conn.send(&Message::from(vec![
            Bytes::from_static(b"ab"),
            large.clone(),
        ]))
        .expect("send");
        conn.send(&Message::single(Bytes::from_static(b"c")))
            .expect("send");
        let mut expected = b"ab".to_vec();
        expected.extend_from_slice(&large);
        expected.extend_from_slice(b"c");
        assert_eq!(drain(&mut conn), expected);
    }

    #[test]
    fn an_empty_message_closes_after_what_was_queued() {
        let mut conn = RawConnection::new();
        conn.poll_event();
        conn.send(&Message::single(Bytes::from_static(b"last")))
            .expect("send");
        conn.send(&Message::from(vec![Bytes::new(), Bytes::new()]))
            .expect("close");
        assert!(conn.is_closed());
        assert_eq!(
            conn.poll_event(),
            Some(Event::Closed(ConnectionError::Closed))
        );
        assert!(matches!(
            conn.send(&Message::single(Bytes::from_static(b"late"))),
            Err(SendError::Closed)
        ));
        assert_eq!(drain(&mut conn), b"last");
    }

    #[test]
    fn eof_ends_with_peer_closed_after_what_was_read() {
        let mut conn = RawConnection::new();
        conn.poll_event();
        conn.recv_buf().extend_from_slice(b"tail");
        conn.handle_input();
        conn.handle_eof();
        assert!(matches!(conn.poll_event(), Some(Event::Message(_))));
        assert_eq!(
            conn.poll_event(),
            Some(Event::Closed(ConnectionError::PeerClosed {
                during_handshake: false
            }))
        );
        conn.handle_eof();
        assert!(conn.poll_event().is_none(), "one end only");
    }
}
