//! PLAIN, client side: HELLO, wait for WELCOME, INITIATE, wait for READY.

use bytes::{BufMut, BytesMut};
use zmtp_codec::{HandshakeContext, Mechanism, MechanismError, MechanismName, RawCommand};

use super::PlainCredentials;
use crate::handshake::{parse_metadata, peer_error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Start,
    ExpectWelcome,
    ExpectReady,
}

/// The client side of PLAIN (`ZMQ_PLAIN_USERNAME` / `ZMQ_PLAIN_PASSWORD` set, `ZMQ_PLAIN_SERVER`
/// off).
#[derive(Debug)]
pub struct PlainClient {
    credentials: PlainCredentials,
    step: Step,
}

impl PlainClient {
    /// A client that will log in with `credentials`.
    pub fn new(credentials: PlainCredentials) -> PlainClient {
        PlainClient {
            credentials,
            step: Step::Start,
        }
    }
}

impl Mechanism for PlainClient {
    fn name(&self) -> MechanismName {
        MechanismName::PLAIN
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        let (user, pass) = (self.credentials.username(), self.credentials.password());
        let mut hello = BytesMut::with_capacity(2 + user.len() + pass.len());
        // PLAIN credentials are at most 255 bytes each (checked when they are made).
        #[allow(clippy::cast_possible_truncation)]
        let (user_len, pass_len) = (user.len() as u8, pass.len() as u8);
        hello.put_u8(user_len);
        hello.put_slice(user);
        hello.put_u8(pass_len);
        hello.put_slice(pass);
        cx.send_raw("HELLO", hello.freeze());
        self.step = Step::ExpectWelcome;
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        if command.is("ERROR") {
            return Err(peer_error(command));
        }
        match self.step {
            Step::ExpectWelcome if command.is("WELCOME") => {
                if !command.data.is_empty() {
                    return Err(MechanismError::WrongSize {
                        command: "WELCOME",
                        expected: 8,
                        got: 8 + command.data.len(),
                    });
                }
                let mut initiate = BytesMut::new();
                cx.local_metadata().encode(&mut initiate);
                cx.send_raw("INITIATE", initiate.freeze());
                self.step = Step::ExpectReady;
                Ok(())
            }
            Step::ExpectReady if command.is("READY") => {
                let metadata = parse_metadata("READY", command.data)?;
                cx.check_peer_metadata(&metadata)?;
                cx.complete(metadata);
                Ok(())
            }
            step => Err(MechanismError::UnexpectedCommand {
                expected: if step == Step::ExpectReady {
                    "READY"
                } else {
                    "WELCOME"
                },
                got: command.name_lossy(),
            }),
        }
    }
}
