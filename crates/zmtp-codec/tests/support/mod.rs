//! What the codec's own connection tests need: a mechanism to get through the handshake (the
//! real ones live in `zmtp-security`, which depends on this crate), a raw peer's bytes, and the
//! connection's output and events.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use bytes::{Buf, BytesMut};
use zmtp_codec::greeting::GreetingWriter;
use zmtp_codec::{
    Command, Config, Connection, ConnectionError, Event, HandshakeContext, Mechanism,
    MechanismError, MechanismName, Message, Metadata, RawCommand, SendBuffer, SocketType,
};

/// NULL without ZAP, enough to reach the message phase: READY each way, the peer's checked.
#[derive(Debug, Default)]
pub struct ReadyOnly;

impl Mechanism for ReadyOnly {
    fn name(&self) -> MechanismName {
        MechanismName::NULL
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        let ready = Command::Ready(cx.local_metadata().clone());
        cx.send_command(&ready);
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        match Command::from_raw(command)? {
            Command::Ready(metadata) => {
                cx.check_peer_metadata(&metadata)?;
                cx.complete(metadata);
                Ok(())
            }
            other => Err(MechanismError::UnexpectedCommand {
                expected: "READY",
                got: format!("{other:?}"),
            }),
        }
    }
}

/// Everything the connection wants to transmit, taken out.
pub fn take_transmit(c: &mut Connection) -> Vec<u8> {
    let buf = c.transmit();
    buf.copy_to_bytes(buf.remaining()).to_vec()
}

/// Every pending event.
pub fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// The messages among `evs`.
pub fn messages(evs: Vec<Event>) -> Vec<Message> {
    evs.into_iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// The reason the connection closed, if it did (consumes the events).
pub fn closed_reason(c: &mut Connection) -> Option<ConnectionError> {
    events(c).into_iter().find_map(|e| match e {
        Event::Closed(r) => Some(r),
        _ => None,
    })
}

/// A command frame as raw bytes.
pub fn raw_command(cmd: &Command) -> Vec<u8> {
    let mut b = SendBuffer::new();
    b.put_command(cmd);
    b.copy_to_bytes(b.remaining()).to_vec()
}

/// One data frame in 3.x framing, in libzmq's size forms.
pub fn data_frame(more: bool, body: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    zmtp_codec::frame::put_header(&mut out, u8::from(more), body.len());
    out.extend_from_slice(body);
    out.to_vec()
}

/// A connection of `config` that has finished its handshake, at `now`, with a raw ZMTP 3.1
/// peer of the matching type (PUSH for a PULL, DEALER otherwise); its output and events so far
/// are taken.
pub fn ready_with_raw_peer(config: Config, now: Instant) -> Connection {
    let peer_type = match config.socket_type {
        SocketType::Pull => SocketType::Push,
        SocketType::Push => SocketType::Pull,
        _ => SocketType::Dealer,
    };
    let mut c = Connection::new(config, Box::new(ReadyOnly), now);
    c.feed(now, GreetingWriter::new(MechanismName::NULL, 0).as_bytes());
    let mut md = Metadata::new();
    md.insert("Socket-Type", peer_type.as_str()).expect("valid");
    c.feed(now, &raw_command(&Command::Ready(md)));
    assert!(c.is_ready(), "{:?}", events(&mut c));
    let _ = take_transmit(&mut c);
    let _ = events(&mut c);
    c
}
