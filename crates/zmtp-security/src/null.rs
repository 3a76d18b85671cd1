//! The NULL mechanism: no authentication, no encryption. Each side sends READY with its metadata
//! as soon as the greetings are done (libzmq's NULL is symmetric: nobody waits for the other),
//! and the handshake is done once the peer's READY is in and its socket type fits ours.
//!
//! An incompatible socket type is answered with an ERROR command before closing, as RFC 23 asks.
//! (libzmq itself closes without one; either way the peer sees the handshake fail.)
//!
//! With ZAP ([`Null::with_zap`]: libzmq consults it only when the socket has a ZAP domain), the
//! side doing ZAP holds its READY back until the handler says 200; on 400 or 500 it sends ERROR
//! with the status code instead.

use bytes::Bytes;
use zmtp_codec::{
    Command, HandshakeContext, Mechanism, MechanismError, MechanismName, Metadata, RawCommand,
    ZapReply,
};

use crate::zap;

/// The ERROR reason sent to a peer whose socket type cannot talk to ours.
pub const INCOMPATIBLE_SOCKET_TYPE: &str = "Invalid socket type";

/// The NULL security mechanism, for either side of a connection.
#[derive(Debug, Default, Clone)]
pub struct Null {
    zap: bool,
    /// `User-Id` and metadata from the ZAP handler, merged into the peer's.
    zap_properties: Metadata,
}

impl Null {
    /// A NULL mechanism about to start, without ZAP.
    pub fn new() -> Null {
        Null::default()
    }

    /// A NULL mechanism that asks the ZAP handler before accepting the peer (libzmq does this
    /// when `ZMQ_ZAP_DOMAIN` is set and a handler exists).
    pub fn with_zap() -> Null {
        Null {
            zap: true,
            zap_properties: Metadata::new(),
        }
    }

    fn send_ready(cx: &mut HandshakeContext<'_>) {
        let ready = Command::Ready(cx.local_metadata().clone());
        cx.send_command(&ready);
    }
}

impl Mechanism for Null {
    fn name(&self) -> MechanismName {
        MechanismName::NULL
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        if self.zap {
            cx.request_zap(Vec::new());
        } else {
            Null::send_ready(cx);
        }
        Ok(())
    }

    fn handle_zap_reply(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        reply: ZapReply,
    ) -> Result<(), MechanismError> {
        if !self.zap {
            return Err(MechanismError::UnexpectedZapReply);
        }
        zap::apply_verdict(cx, &reply, &mut self.zap_properties)?;
        Null::send_ready(cx);
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        match Command::from_raw(command)? {
            Command::Ready(mut metadata) => {
                if let Err(e) = cx.check_peer_metadata(&metadata) {
                    if matches!(e, MechanismError::IncompatibleSocketType { .. }) {
                        cx.send_command(&Command::Error {
                            reason: Bytes::from_static(INCOMPATIBLE_SOCKET_TYPE.as_bytes()),
                        });
                    }
                    return Err(e);
                }
                for (name, value) in self.zap_properties.iter() {
                    let _ = metadata.insert(String::from_utf8_lossy(name), value.clone());
                }
                cx.complete(metadata);
                Ok(())
            }
            Command::Error { reason } => Err(MechanismError::PeerError {
                reason: String::from_utf8_lossy(&reason).into_owned(),
            }),
            other => Err(MechanismError::UnexpectedCommand {
                expected: "READY",
                got: String::from_utf8_lossy(other.name()).into_owned(),
            }),
        }
    }
}
