//! GSSAPI, client side: initiate the security context (tokens in INITIATE commands until it is
//! established), then wait for the server's READY and answer with ours.
//!
//! Acquiring credentials and each `gss_init_sec_context` step can wait on the KDC, so none of
//! them runs inside a handshake step: each is a [`BlockingJob`] that owns the context while it
//! runs and hands it back with what the step produced.

use zmtp_codec::{
    BlockingJob, BlockingOutput, HandshakeContext, Mechanism, MechanismError, MechanismName,
    RawCommand,
};

use super::gss::{context, take_context, Initiator, Progress};
use super::ready::{recv_ready, send_ready};
use super::wire::{self, GssCipher, INITIATE};
use super::{GssapiOptionError, GssapiOptions};
use crate::handshake::peer_error;
use crate::record::Records;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Before the greetings are done.
    Start,
    /// A context step (with credentials acquired first, at the start) runs as a blocking job.
    AwaitContext,
    /// Our context needs the server's next token.
    ExpectToken,
    /// Our context is established; the server's READY comes next.
    ExpectReady,
    /// The handshake is over.
    Done,
}

/// What a context step's job hands back: the context it took, and the step's outcome.
type StepOutput = Result<(Initiator, Progress), MechanismError>;

/// What the context-step jobs say they do.
const STEP_JOB: &str = "initiating the GSSAPI security context";

/// The client side of GSSAPI (`ZMQ_GSSAPI_SERVER` off, `ZMQ_GSSAPI_SERVICE_PRINCIPAL` set).
///
/// Its GSS-API calls that may block (acquiring credentials, the context steps, which may ask the
/// KDC for tickets) are handed to the driver as [`BlockingJob`]s; see
/// [`HandshakeContext::run_blocking`].
#[derive(Debug)]
pub struct GssapiClient {
    options: GssapiOptions,
    context: Option<Initiator>,
    step: Step,
}

impl GssapiClient {
    /// A client for these options. Credentials are acquired, and the KDC contacted, only when
    /// the handshake starts; failures then end it with
    /// [`MechanismError::Gssapi`].
    pub fn new(options: GssapiOptions) -> Result<GssapiClient, GssapiOptionError> {
        let options = GssapiOptions {
            server: false,
            ..options
        };
        options.validate()?;
        Ok(GssapiClient {
            options,
            context: None,
            step: Step::Start,
        })
    }

    /// The options this client runs with.
    pub fn options(&self) -> &GssapiOptions {
        &self.options
    }

    fn encrypt(&self) -> bool {
        !self.options.plaintext
    }

    /// Sends what a context step produced and moves on.
    fn advance(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        progress: Progress,
    ) -> Result<(), MechanismError> {
        wire::send_token(cx, progress.token.as_deref())?;
        if progress.complete {
            if self.encrypt() {
                context(&mut self.context)?.check_confidentiality()?;
            }
            self.step = Step::ExpectReady;
        } else {
            self.step = Step::ExpectToken;
        }
        Ok(())
    }
}

impl Mechanism for GssapiClient {
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
        cx.run_blocking(BlockingJob::new(STEP_JOB, move || -> StepOutput {
            let mut initiator = Initiator::new(&options)?;
            let progress = initiator.step(None)?;
            Ok((initiator, progress))
        }));
        self.step = Step::AwaitContext;
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
            Step::ExpectToken if command.is(INITIATE) => {
                let token = wire::parse_initiate(&command)?;
                let mut initiator = take_context(&mut self.context)?;
                cx.run_blocking(BlockingJob::new(STEP_JOB, move || -> StepOutput {
                    let progress = initiator.step(Some(&token))?;
                    Ok((initiator, progress))
                }));
                self.step = Step::AwaitContext;
                Ok(())
            }
            Step::ExpectReady => {
                // The context goes to the record layer (or, in plaintext, away).
                let initiator = take_context(&mut self.context)?;
                self.step = Step::Done;
                if self.encrypt() {
                    let mut records = Records(GssCipher::new(initiator));
                    let metadata = recv_ready(command, Some(&mut records))?;
                    cx.check_peer_metadata(&metadata)?;
                    send_ready(cx, Some(&mut records))?;
                    cx.complete_sealed(metadata, Box::new(records));
                } else {
                    let metadata = recv_ready::<Initiator>(command, None)?;
                    cx.check_peer_metadata(&metadata)?;
                    send_ready::<Initiator>(cx, None)?;
                    cx.complete(metadata);
                }
                Ok(())
            }
            step => Err(MechanismError::UnexpectedCommand {
                expected: match step {
                    Step::ExpectToken => "INITIATE",
                    Step::AwaitContext => "nothing until the context step is done",
                    _ => "nothing (the handshake is not under way)",
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
        if self.step != Step::AwaitContext {
            return Err(MechanismError::UnexpectedBlockingOutput);
        }
        let (initiator, progress) = output.downcast::<StepOutput>()??;
        self.context = Some(initiator);
        self.advance(cx, progress)
    }
}
