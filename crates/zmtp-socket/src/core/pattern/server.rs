//! Routing by 32-bit id (libzmq 4.3's draft SERVER and PEER): each peer gets a routing id of its
//! own, a non-zero `u32` from a counter that starts at a random value; a received message comes
//! with its peer's id and a sent one goes to the peer its id names. Messages are single-frame.
//!
//! Inside the core a message of these types is `[routing id (4 bytes, big-endian), body]`; the
//! typed sockets (`Server::send_to`, `recv_from`) build and split it, so the codec's
//! [`Message`] carries nothing more. A PEER's connect names its pipe at once (libzmq's
//! `zmq_connect_peer` returns that id); a SERVER's peers are named when they attach.
//!
//! libzmq's rules: an unknown id is `EHOSTUNREACH` ([`Error::HostUnreachable`]); a peer whose
//! queue is at `ZMQ_SNDHWM` makes the send wait (`EAGAIN`); a multipart message from a peer is
//! dropped unread.

use std::collections::HashMap;
use std::task::Poll;

use bytes::Bytes;
use zmtp_codec::Message;

use super::routing::random_u32;
use super::single_frame::MULTIPART_REFUSED;
use super::{Pattern, Sent};
use crate::core::pipe::PipeId;
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::{Error, Result};

/// The routing id frame of a pipe named `id`.
pub(crate) fn id_frame(id: u32) -> Bytes {
    Bytes::copy_from_slice(&id.to_be_bytes())
}

/// The id a routing id frame names, if it is one (four bytes, not zero).
pub(crate) fn frame_id(frame: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = frame.try_into().ok()?;
    Some(u32::from_be_bytes(bytes)).filter(|&id| id != 0)
}

/// SERVER and PEER.
#[derive(Debug)]
pub(crate) struct Server {
    routes: HashMap<u32, usize>,
    next_id: u32,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            routes: HashMap::new(),
            next_id: random_u32(),
        }
    }
}

impl Server {
    /// Names the pipe at `key` unless it has a name (a reconnect keeps its id).
    fn name(&mut self, pipes: &mut Pipes, key: usize) {
        let Some(pipe) = pipes.at_mut(key) else {
            return;
        };
        if pipe.routing_id.is_some() {
            return;
        }
        let id = self.allocate_id();
        pipe.routing_id = Some(id_frame(id));
        self.routes.insert(id, key);
    }

    /// The next id in turn that is neither 0 nor in use.
    fn allocate_id(&mut self) -> u32 {
        let mut id = self.next_id;
        while id == 0 || self.routes.contains_key(&id) {
            id = id.wrapping_add(1);
        }
        self.next_id = id.wrapping_add(1);
        id
    }

    /// The pipe for a message `[routing id, body]`, room or not.
    fn target(&self, msg: &Message) -> Result<usize> {
        let frame = msg.first().ok_or(Error::EmptyMessage)?;
        let id = frame_id(frame).ok_or(Error::InvalidArgument(
            "a routing id is a non-zero 32-bit number",
        ))?;
        self.routes
            .get(&id)
            .copied()
            .ok_or_else(|| Error::HostUnreachable(frame.clone()))
    }
}

impl Pattern for Server {
    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        _identity: Option<&Bytes>,
        _wake: &mut Wake,
    ) {
        self.name(pipes, key);
    }

    fn connecting(&mut self, pipes: &mut Pipes, id: PipeId) {
        self.name(pipes, id.key);
    }

    fn detached(&mut self, pipes: &mut Pipes, key: usize, for_good: bool, _wake: &mut Wake) {
        if !for_good {
            return;
        }
        if let Some(id) = pipes
            .at(key)
            .and_then(|p| p.routing_id.as_deref())
            .and_then(frame_id)
        {
            if self.routes.get(&id) == Some(&key) {
                self.routes.remove(&id);
            }
        }
    }

    fn prepare_send(
        &mut self,
        _pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Result<()> {
        match msg.as_ref().map(Message::len) {
            None | Some(0) => Err(Error::EmptyMessage),
            Some(1) => Err(Error::InvalidArgument(
                "a SERVER or PEER message needs the routing id of the peer it goes to",
            )),
            Some(2) => Ok(()),
            Some(_) => Err(Error::InvalidArgument(MULTIPART_REFUSED)),
        }
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        let Some(m) = msg.as_mut() else {
            return Poll::Ready(Ok(Sent::Done));
        };
        let key = match self.target(m) {
            Ok(key) => key,
            Err(e) => {
                msg.take();
                return Poll::Ready(Err(e));
            }
        };
        match pipes.at(key).map(|p| p.has_room()) {
            Some(true) => {
                m.pop_front();
                Poll::Ready(Ok(Sent::To(key)))
            }
            Some(false) => Poll::Pending,
            None => {
                let rid = m.first().cloned().unwrap_or_default();
                msg.take();
                Poll::Ready(Err(Error::HostUnreachable(rid)))
            }
        }
    }

    fn linger_target(&mut self, _pipes: &mut Pipes, msg: &mut Message) -> Option<usize> {
        let key = self.target(msg).ok()?;
        msg.pop_front();
        Some(key)
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        while let Some((_, mut msg, rid)) = pipes.pop_inbound(wake) {
            if msg.len() != 1 {
                continue;
            }
            msg.push_front(rid.unwrap_or_default());
            return Poll::Ready(Ok(msg));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{attached, core, deliver, outbound_messages, received, send};
    use zmtp_codec::SocketType;

    /// Ids go in turn from a random start, skipping 0 and those in use, across the wrap.
    #[test]
    fn ids_skip_zero_and_those_in_use() {
        let mut server = Server {
            routes: HashMap::from([(1, 0), (3, 1)]),
            next_id: u32::MAX,
        };
        let ids = [(); 3].map(|()| server.allocate_id());
        assert_eq!(ids, [u32::MAX, 2, 4]);
    }

    #[test]
    fn peers_get_distinct_nonzero_ids_and_replies_go_by_id() {
        let core = core(SocketType::Server, 1, 10);
        let a = attached(&core, Some("ignored"));
        let b = attached(&core, None);
        let ia = core.routing_id(a).expect("named");
        let ib = core.routing_id(b).expect("named");
        assert_ne!(ia, ib);
        assert!(frame_id(&ia).is_some() && frame_id(&ib).is_some());
        deliver(&core, b, [Message::from(["hello"])]);
        let m = received(&core).expect("a request");
        assert_eq!(m, Message::from([ib.clone(), Bytes::from_static(b"hello")]));
        assert!(matches!(
            send(&core, [ib.clone(), Bytes::from_static(b"world")]),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(outbound_messages(&core, b), [Message::from(["world"])]);
        assert!(outbound_messages(&core, a).is_empty());
        // Full (SNDHWM 1): waits, as libzmq's EAGAIN.
        assert!(matches!(
            send(&core, [ia.clone(), Bytes::from_static(b"1")]),
            Poll::Ready(Ok(()))
        ));
        assert!(send(&core, [ia, Bytes::from_static(b"2")]).is_pending());
    }

    #[test]
    fn unknown_ids_multipart_and_missing_ids_are_typed_errors() {
        let core = core(SocketType::Server, 10, 10);
        let a = attached(&core, None);
        let unknown = Bytes::from_static(&[0, 0, 0, 7]);
        let unknown = if core.routing_id(a).as_ref() == Some(&unknown) {
            Bytes::from_static(&[0, 0, 0, 8])
        } else {
            unknown
        };
        assert!(matches!(
            send(&core, [unknown.clone(), Bytes::from_static(b"x")]),
            Poll::Ready(Err(Error::HostUnreachable(id))) if id == unknown
        ));
        assert!(matches!(
            send(&core, ["x"]),
            Poll::Ready(Err(Error::InvalidArgument(_)))
        ));
        let ia = core.routing_id(a).expect("named");
        assert!(matches!(
            send(
                &core,
                [ia, Bytes::from_static(b"a"), Bytes::from_static(b"b")]
            ),
            Poll::Ready(Err(Error::InvalidArgument(_)))
        ));
        deliver(&core, a, [Message::from(["multi", "part"])]);
        assert_eq!(received(&core), None, "a multipart arrival is dropped");
    }
}
