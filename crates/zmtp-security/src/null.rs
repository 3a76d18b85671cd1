//! The NULL mechanism: no authentication, no encryption. Each side sends READY with its metadata
//! as soon as the greetings are done (libzmq's NULL is symmetric: nobody waits for the other),
//! and the handshake is done once the peer's READY is in and its socket type fits ours.
//!
//! An incompatible socket type is answered with an ERROR command before closing, as RFC 23 asks.
//! (libzmq itself closes without one; either way the peer sees the handshake fail.)
//!
//! ZAP for NULL (consulted only when a ZAP domain is set, as in libzmq) comes with the rest of the
//! ZAP support.

use bytes::Bytes;
use zmtp_codec::{Command, HandshakeContext, Mechanism, MechanismError, MechanismName, RawCommand};

/// The ERROR reason sent to a peer whose socket type cannot talk to ours.
pub const INCOMPATIBLE_SOCKET_TYPE: &str = "Invalid socket type";

/// The NULL security mechanism, for either side of a connection.
#[derive(Debug, Default, Clone)]
pub struct Null {
    ready_sent: bool,
}

impl Null {
    /// A NULL mechanism about to start.
    pub fn new() -> Null {
        Null::default()
    }
}

impl Mechanism for Null {
    fn name(&self) -> MechanismName {
        MechanismName::NULL
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        let ready = Command::Ready(cx.local_metadata().clone());
        cx.send_command(&ready);
        self.ready_sent = true;
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        match Command::from_raw(command)? {
            Command::Ready(metadata) => {
                if let Err(e) = cx.check_peer_metadata(&metadata) {
                    if matches!(e, MechanismError::IncompatibleSocketType { .. }) {
                        cx.send_command(&Command::Error {
                            reason: Bytes::from_static(INCOMPATIBLE_SOCKET_TYPE.as_bytes()),
                        });
                    }
                    return Err(e);
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
