//! PLAIN, server side: HELLO, ask ZAP, WELCOME (or ERROR), INITIATE, READY.

use bytes::BytesMut;
use zmtp_codec::{
    CommandError, HandshakeContext, Mechanism, MechanismError, MechanismName, Metadata, RawCommand,
    ZapReply,
};

use crate::handshake::{parse_metadata, peer_error};
use crate::zap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    ExpectHello,
    AwaitZap,
    ExpectInitiate,
    Done,
}

/// The server side of PLAIN (`ZMQ_PLAIN_SERVER` = 1). Every HELLO goes to the ZAP handler, as
/// in libzmq: a PLAIN server without a handler accepts nobody.
#[derive(Debug)]
pub struct PlainServer {
    step: Step,
    /// `User-Id` and metadata from the ZAP handler, merged into the peer's at INITIATE.
    zap_properties: Metadata,
}

impl Default for PlainServer {
    fn default() -> Self {
        PlainServer::new()
    }
}

impl PlainServer {
    /// A server waiting for HELLO.
    pub fn new() -> PlainServer {
        PlainServer {
            step: Step::ExpectHello,
            zap_properties: Metadata::new(),
        }
    }
}

const MALFORMED_HELLO: MechanismError = MechanismError::Command(CommandError::Malformed {
    command: "HELLO",
    reason: "user name and password do not fill the command exactly",
});

impl Mechanism for PlainServer {
    fn name(&self) -> MechanismName {
        MechanismName::PLAIN
    }

    fn start(&mut self, _cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        match self.step {
            Step::ExpectHello if command.is("HELLO") => {
                let data = &command.data;
                let user_len = usize::from(*data.first().ok_or(MALFORMED_HELLO)?);
                let pass_at = 1 + user_len;
                let pass_len = usize::from(*data.get(pass_at).ok_or(MALFORMED_HELLO)?);
                if data.len() != pass_at + 1 + pass_len {
                    return Err(MALFORMED_HELLO);
                }
                let user = data.slice(1..pass_at);
                let pass = data.slice(pass_at + 1..);
                cx.request_zap(vec![user, pass]);
                self.step = Step::AwaitZap;
                Ok(())
            }
            Step::ExpectInitiate if command.is("INITIATE") => {
                let mut metadata = parse_metadata("INITIATE", command.data)?;
                cx.check_peer_metadata(&metadata)?;
                for (name, value) in self.zap_properties.iter() {
                    let _ = metadata.insert(String::from_utf8_lossy(name), value.clone());
                }
                let mut ready = BytesMut::new();
                cx.local_metadata().encode(&mut ready);
                cx.send_raw("READY", ready.freeze());
                self.step = Step::Done;
                cx.complete(metadata);
                Ok(())
            }
            _ if command.is("ERROR") => Err(peer_error(command)),
            step => Err(MechanismError::UnexpectedCommand {
                expected: match step {
                    Step::ExpectHello => "HELLO",
                    Step::ExpectInitiate => "INITIATE",
                    Step::AwaitZap | Step::Done => "nothing",
                },
                got: command.name_lossy(),
            }),
        }
    }

    fn handle_zap_reply(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        reply: ZapReply,
    ) -> Result<(), MechanismError> {
        if self.step != Step::AwaitZap {
            return Err(MechanismError::UnexpectedZapReply);
        }
        zap::apply_verdict(cx, &reply, &mut self.zap_properties)?;
        cx.send_raw("WELCOME", bytes::Bytes::new());
        self.step = Step::ExpectInitiate;
        Ok(())
    }
}
