//! What the codec's own connection tests need: a mechanism to get through the handshake (the
//! real ones live in `zmtp-security`, which depends on this crate), a raw peer's bytes, and the
//! connection's output and events.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use zmtp_codec::greeting::GreetingWriter;
pub use zmtp_codec::testing::*;
use zmtp_codec::{
    Command, Config, Connection, HandshakeContext, Mechanism, MechanismError, MechanismName,
    Metadata, RawCommand, SocketType,
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

/// A connection of `config` that has finished its handshake, at `now`, with a raw ZMTP 3.1
/// peer of the matching type (PUSH for a PULL, PULL for a PUSH, XSUB for a PUB or XPUB, DEALER
/// otherwise); its output and events so far
/// are taken.
pub fn ready_with_raw_peer(config: Config, now: Instant) -> Connection {
    let peer_type = match config.socket_type {
        SocketType::Pull => SocketType::Push,
        SocketType::Push => SocketType::Pull,
        SocketType::XPub | SocketType::Pub => SocketType::XSub,
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
