//! GSSAPI, server side: accept the client's tokens until the security context is established,
//! wait for the client's last step, ask ZAP about the client principal (if told to), send READY,
//! wait for the client's READY.
//!
//! Acquiring credentials (reading the keytab) and each `gss_accept_sec_context` step (the
//! replay cache, a keytab on a slow disk) may block, so none of them runs inside a handshake
//! step: each is a [`BlockingJob`] that owns the context while it runs and hands it back.

use bytes::Bytes;
use zmtp_codec::{
    BlockingJob, BlockingOutput, HandshakeContext, Mechanism, MechanismError, MechanismName,
    Metadata, RawCommand, ZapReply,
};

use super::gss::{context, take_context, Acceptor, Progress};
use super::ready::{recv_ready, send_ready};
use super::wire::{self, GssCipher, INITIATE};
use super::{GssapiOptionError, GssapiOptions};
use crate::handshake::peer_error;
use crate::record::Records;
use crate::zap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Before the greetings are done.
    Start,
    /// Our credentials are being acquired, as a blocking job.
    AwaitCredentials,
    /// The client's next token comes next.
    ExpectToken,
    /// A context step runs as a blocking job.
    AwaitContext,
    /// Our context is established and our last token sent; the client answers with its last
    /// step (an empty command frame from libzmq), which the handshake waits for.
    ExpectClientFinish,
    /// Waiting for the ZAP handler's verdict on the client principal.
    AwaitZap,
    /// Our READY is sent; the client's comes next.
    ExpectReady,
    /// The handshake is over.
    Done,
}

/// What the credentials job hands back.
type CredentialsOutput = Result<Acceptor, MechanismError>;

/// What a context step's job hands back: the context it took, and the step's outcome.
type StepOutput = Result<(Acceptor, Progress), MechanismError>;

/// The server side of GSSAPI (`ZMQ_GSSAPI_SERVER` = 1).
///
/// Its GSS-API calls that may block (acquiring credentials, the context steps) are handed to
/// the driver as [`BlockingJob`]s; see [`HandshakeContext::run_blocking`].
#[derive(Debug)]
pub struct GssapiServer {
    options: GssapiOptions,
    zap: bool,
    context: Option<Acceptor>,
    /// The record layer, made from the context once it is established (unless plaintext) for
    /// the READYs, and handed to the connection at the end of the handshake.
    records: Option<Records<GssCipher<Acceptor>>>,
    step: Step,
    /// `User-Id` and metadata from the ZAP handler, merged into the client's at READY.
    zap_properties: Metadata,
}

impl GssapiServer {
    /// A server that accepts every client the security context authenticates (libzmq without a
    /// ZAP handler).
    pub fn new(options: GssapiOptions) -> Result<GssapiServer, GssapiOptionError> {
        let options = GssapiOptions {
            server: true,
            ..options
        };
        options.validate()?;
        Ok(GssapiServer {
            options,
            zap: false,
            context: None,
            records: None,
            step: Step::Start,
            zap_properties: Metadata::new(),
        })
    }

    /// A server that asks the ZAP handler about each authenticated client, with the client
    /// principal's display name (`client@REALM`) as the one credential (libzmq does this when a
    /// handler exists).
    pub fn with_zap(options: GssapiOptions) -> Result<GssapiServer, GssapiOptionError> {
        Ok(GssapiServer {
            zap: true,
            ..GssapiServer::new(options)?
        })
    }

    /// The options this server runs with.
    pub fn options(&self) -> &GssapiOptions {
        &self.options
    }

    fn encrypt(&self) -> bool {
        !self.options.plaintext
    }

    /// Sends our READY, sealed by the record layer made now from the context unless
    /// plaintext.
    fn send_ready(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        if self.encrypt() {
            let acceptor = take_context(&mut self.context)?;
            let records = self.records.insert(Records(GssCipher::new(acceptor)));
            send_ready(cx, Some(records))?;
        } else {
            send_ready::<Acceptor>(cx, None)?;
        }
        self.step = Step::ExpectReady;
        Ok(())
    }

    /// The client has taken its last step: consult ZAP, or go straight to READY.
    fn context_established(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        if self.zap {
            let principal = context(&mut self.context)?.peer_principal()?;
            cx.request_zap(vec![Bytes::from(principal)]);
            self.step = Step::AwaitZap;
            Ok(())
        } else {
            self.send_ready(cx)
        }
    }
}

impl Mechanism for GssapiServer {
    fn name(&self) -> MechanismName {
        MechanismName::GSSAPI
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        if self.step != Step::Start {
            return Err(MechanismError::UnexpectedCommand {
                expected: "nothing",
                got: "a second start".into(),
            });
        }
        let options = self.options.clone();
        cx.run_blocking(BlockingJob::new(
            "acquiring the GSSAPI acceptor's credentials",
            move || -> CredentialsOutput { Acceptor::new(&options) },
        ));
        self.step = Step::AwaitCredentials;
        Ok(())
    }

    fn accepts_empty_command(&self) -> bool {
        self.step == Step::ExpectClientFinish
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
            Step::ExpectToken if command.is(INITIATE) => {
                let token = wire::parse_initiate(&command)?;
                let mut acceptor = take_context(&mut self.context)?;
                cx.run_blocking(BlockingJob::new(
                    "accepting the GSSAPI security context",
                    move || -> StepOutput {
                        let progress = acceptor.step(&token)?;
                        Ok((acceptor, progress))
                    },
                ));
                self.step = Step::AwaitContext;
                Ok(())
            }
            // libzmq's server does not look at this frame at all; an INITIATE (a token after
            // completion means nothing) is accepted as well as the empty frame.
            Step::ExpectClientFinish if command.name.is_empty() || command.is(INITIATE) => {
                if command.is(INITIATE) {
                    wire::parse_initiate(&command)?;
                }
                self.context_established(cx)
            }
            Step::ExpectReady => {
                let mut metadata = recv_ready(command, self.records.as_mut())?;
                cx.check_peer_metadata(&metadata)?;
                for (name, value) in self.zap_properties.iter() {
                    let _ = metadata.insert(String::from_utf8_lossy(name), value.clone());
                }
                self.step = Step::Done;
                match self.records.take() {
                    Some(records) => cx.complete_sealed(metadata, Box::new(records)),
                    None => cx.complete(metadata),
                }
                Ok(())
            }
            step => Err(MechanismError::UnexpectedCommand {
                expected: match step {
                    Step::Start => "nothing before the handshake starts",
                    Step::AwaitCredentials | Step::AwaitContext => {
                        "nothing until the GSS-API call is done"
                    }
                    Step::ExpectToken => "INITIATE",
                    Step::ExpectClientFinish => "the client's last step (an empty command)",
                    Step::AwaitZap => "nothing until the ZAP handler answers",
                    _ => "nothing (the handshake is over)",
                },
                got: command.name_lossy(),
            }),
        }
    }

    fn handle_blocking_done(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        output: BlockingOutput,
    ) -> Result<(), MechanismError> {
        match self.step {
            Step::AwaitCredentials => {
                self.context = Some(output.downcast::<CredentialsOutput>()??);
                self.step = Step::ExpectToken;
                Ok(())
            }
            Step::AwaitContext => {
                let (acceptor, progress) = output.downcast::<StepOutput>()??;
                let encrypt = self.encrypt();
                let acceptor = self.context.insert(acceptor);
                wire::send_token(cx, progress.token.as_deref())?;
                if progress.complete {
                    if encrypt {
                        acceptor.check_confidentiality()?;
                    }
                    self.step = Step::ExpectClientFinish;
                } else {
                    self.step = Step::ExpectToken;
                }
                Ok(())
            }
            _ => Err(MechanismError::UnexpectedBlockingOutput),
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
        self.send_ready(cx)
    }
}
