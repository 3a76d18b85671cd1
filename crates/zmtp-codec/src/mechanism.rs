//! The [`Mechanism`] trait: the handshake half of a security mechanism (NULL, PLAIN, CURVE,
//! GSSAPI) within the connection state machine, the [`HandshakeContext`] it works through, and
//! the [`RecordLayer`] it hands the connection when it is done.
//!
//! The split is rustls's: the handshake and the records are separate things. The connection owns
//! the greeting and the framing. Once both greetings are in and name the same mechanism, it
//! calls [`Mechanism::start`], then [`Mechanism::handle_command`] for every command frame until
//! the mechanism calls [`HandshakeContext::complete`] (frames travel as they are) or
//! [`HandshakeContext::complete_sealed`] (every frame is sealed by the [`Sealer`] it hands over).
//! The connection then drops the mechanism, with whatever it held for the handshake alone, and
//! keeps only the record layer: for plaintext, nothing at all to call per frame. A server-side
//! mechanism that needs a ZAP verdict calls [`HandshakeContext::request_zap`] and is resumed
//! through [`Mechanism::handle_zap_reply`].
//!
//! A step that may block the thread (GSSAPI's calls into GSS-API, which can wait on a KDC over
//! the network) is not done inside the step: the mechanism hands it out as a [`BlockingJob`]
//! with [`HandshakeContext::run_blocking`], the connection pauses the handshake and offers the
//! job to its driver ([`Connection::poll_blocking`](crate::Connection::poll_blocking)), the driver
//! runs it where blocking is allowed and hands the [`BlockingOutput`] back
//! ([`Connection::handle_blocking_done`](crate::Connection::handle_blocking_done)), and the
//! connection resumes the mechanism through [`Mechanism::handle_blocking_done`]. NULL, PLAIN and
//! CURVE never block and never hand out a job.

use std::any::Any;
use std::fmt;

use bytes::{Bytes, BytesMut};

use crate::command::{Command, RawCommand};
use crate::error::MechanismError;
use crate::frame::Frame;
use crate::greeting::{Greeting, MechanismName};
use crate::metadata::Metadata;
use crate::send_buffer::SendBuffer;
use crate::socket_type::SocketType;
use crate::zap::{ZapReply, ZapRequest};

/// The handshake of a security mechanism, client or server side, as a sans-IO state machine. It
/// lives until it completes (or fails); what frames go through afterwards is the [`RecordLayer`]
/// it hands over on completion.
pub trait Mechanism: Send + fmt::Debug {
    /// The name this mechanism puts in the greeting.
    fn name(&self) -> MechanismName;

    /// Called once both greetings are in; queues the first handshake commands, if this side
    /// speaks first.
    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError>;

    /// Called for each command frame the peer sends during the handshake.
    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError>;

    /// Whether an empty command frame (the COMMAND flag and a zero size: no name at all) is a
    /// handshake step of this mechanism at this point. libzmq's GSSAPI sends one whenever a
    /// GSS-API step yields no token (the client's last step of a Kerberos exchange); every other
    /// mechanism leaves this `false`, and the connection refuses such a frame as malformed
    /// ([`CommandError::Empty`](crate::CommandError::Empty)). When `true`, the frame reaches
    /// [`Mechanism::handle_command`] as a [`RawCommand`] with an empty name and no data.
    fn accepts_empty_command(&self) -> bool {
        false
    }

    /// Called with the ZAP handler's answer to the request this mechanism raised.
    fn handle_zap_reply(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        reply: ZapReply,
    ) -> Result<(), MechanismError> {
        let _ = (cx, reply);
        Err(MechanismError::UnexpectedZapReply)
    }

    /// Called with the output of the [`BlockingJob`] this mechanism handed out with
    /// [`HandshakeContext::run_blocking`], once the driver has run it. No command reaches the
    /// mechanism while its job is out.
    fn handle_blocking_done(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        output: BlockingOutput,
    ) -> Result<(), MechanismError> {
        let _ = (cx, output);
        Err(MechanismError::UnexpectedBlockingOutput)
    }
}

/// What frames go through once the handshake is done: the record layer a mechanism hands the
/// connection when it completes. A closed set: plaintext costs no call per frame.
#[derive(Debug)]
pub enum RecordLayer {
    /// Frames travel as they are (NULL, PLAIN, GSSAPI with `ZMQ_GSSAPI_PLAINTEXT`).
    Plaintext,
    /// Every frame, message or command, travels sealed in a MESSAGE command (CURVE, GSSAPI).
    Sealed(Box<dyn Sealer>),
}

/// Seals and opens the frames of an established connection: the keys (or security context)
/// and counters a handshake ends with, and nothing of the handshake itself.
pub trait Sealer: Send + fmt::Debug {
    /// Seals one frame into `out` as a whole wire frame (a MESSAGE command; libzmq puts it in an
    /// ordinary frame, without the COMMAND flag, and the connection reads either).
    fn seal(
        &mut self,
        more: bool,
        command: bool,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError>;

    /// Opens a MESSAGE command received after the handshake (in any frame, command or not) into
    /// the frame it carries.
    fn open(&mut self, command: RawCommand) -> Result<Frame, MechanismError>;
}

/// What a mechanism sees of the connection during the handshake, and how it answers.
#[derive(Debug)]
pub struct HandshakeContext<'a> {
    pub(crate) socket_type: SocketType,
    pub(crate) local_metadata: &'a Metadata,
    pub(crate) peer_greeting: &'a Greeting,
    pub(crate) out: &'a mut SendBuffer,
    pub(crate) completed: &'a mut Option<(Metadata, RecordLayer)>,
    pub(crate) zap_request: &'a mut Option<ZapRequest>,
    pub(crate) zap_template: &'a ZapRequest,
    pub(crate) blocking: &'a mut Option<BlockingJob>,
}

impl HandshakeContext<'_> {
    /// Our socket type.
    pub fn socket_type(&self) -> SocketType {
        self.socket_type
    }

    /// The properties we announce in READY or INITIATE: `Socket-Type`, `Identity` (REQ, DEALER,
    /// ROUTER) and the `X-` properties of `ZMQ_METADATA`.
    pub fn local_metadata(&self) -> &Metadata {
        self.local_metadata
    }

    /// The peer's greeting (its ZMTP minor version, its as-server flag).
    pub fn peer_greeting(&self) -> &Greeting {
        self.peer_greeting
    }

    /// Queues a command for the peer, in the clear.
    pub fn send_command(&mut self, command: &Command) {
        self.out.put_command(command);
    }

    /// Queues a command whose data the mechanism has already laid out.
    pub fn send_raw(&mut self, name: &'static str, data: Bytes) {
        self.out.put_command(&Command::Other(RawCommand {
            name: Bytes::from_static(name.as_bytes()),
            data,
        }));
    }

    /// Queues an empty command frame (flags `04`, size 0): what libzmq's GSSAPI sends when a
    /// GSS-API step yields no token, so that the peer, which waits for a frame, takes its turn.
    /// No other mechanism uses it.
    pub fn send_empty_command(&mut self) {
        self.out.put_frame(false, true, &Bytes::new());
    }

    /// Checks the peer's metadata: `Socket-Type` must be present, known, and compatible with ours.
    /// Returns the peer's socket type.
    pub fn check_peer_metadata(&self, metadata: &Metadata) -> Result<SocketType, MechanismError> {
        match metadata.socket_type() {
            None => Err(MechanismError::MissingSocketType),
            Some(Err(raw)) => Err(MechanismError::UnknownSocketType(
                String::from_utf8_lossy(&raw).into_owned(),
            )),
            Some(Ok(peer)) if !self.socket_type.is_compatible_with(peer) => {
                Err(MechanismError::IncompatibleSocketType {
                    local: self.socket_type,
                    peer,
                })
            }
            Some(Ok(peer)) => Ok(peer),
        }
    }

    /// Ends the handshake successfully with the peer's metadata (already checked with
    /// [`HandshakeContext::check_peer_metadata`]); frames travel as they are from now on
    /// ([`RecordLayer::Plaintext`]). Messages may flow, and the mechanism is dropped.
    pub fn complete(&mut self, peer_metadata: Metadata) {
        *self.completed = Some((peer_metadata, RecordLayer::Plaintext));
    }

    /// Ends the handshake successfully, as [`HandshakeContext::complete`] does, and hands the
    /// connection the [`Sealer`] that seals every frame from now on and opens every frame the
    /// peer sends ([`RecordLayer::Sealed`]).
    pub fn complete_sealed(&mut self, peer_metadata: Metadata, sealer: Box<dyn Sealer>) {
        *self.completed = Some((peer_metadata, RecordLayer::Sealed(sealer)));
    }

    /// Asks the ZAP handler about the peer with these credentials. The connection fills in the
    /// domain, address and routing id, raises the request as an event, and passes the answer to
    /// [`Mechanism::handle_zap_reply`].
    pub fn request_zap(&mut self, credentials: Vec<Bytes>) {
        let mut request = self.zap_template.clone();
        request.credentials = credentials;
        *self.zap_request = Some(request);
    }

    /// The ZAP domain (`ZMQ_ZAP_DOMAIN`) of the socket; empty if none is set.
    pub fn zap_domain(&self) -> &Bytes {
        &self.zap_template.domain
    }

    /// Hands out work that may block the thread (a call that waits on the network or a disk),
    /// rather than doing it in this step. The connection reads no more of the peer's frames,
    /// offers the job to its driver ([`Connection::poll_blocking`]), and passes the job's output
    /// to [`Mechanism::handle_blocking_done`] when the driver returns it
    /// ([`Connection::handle_blocking_done`]). One job at a time: a second call in the same step
    /// replaces the first.
    ///
    /// [`Connection::poll_blocking`]: crate::Connection::poll_blocking
    /// [`Connection::handle_blocking_done`]: crate::Connection::handle_blocking_done
    pub fn run_blocking(&mut self, job: BlockingJob) {
        *self.blocking = Some(job);
    }
}

/// Work a mechanism needs done that may block the calling thread for a while (GSSAPI's context
/// steps, which can wait on a Kerberos KDC): a closure that owns what it needs, to be run by
/// the driver where blocking is allowed (`tokio::task::spawn_blocking`, a thread of its own) and
/// never on a thread that serves other connections. Made by a mechanism, handed out with
/// [`HandshakeContext::run_blocking`], taken by the driver from
/// [`Connection::poll_blocking`](crate::Connection::poll_blocking).
pub struct BlockingJob {
    what: &'static str,
    work: Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>,
}

impl BlockingJob {
    /// A job that runs `work`; `what` says what it does, for logs. The value `work` returns
    /// goes back to the mechanism, which takes it out with [`BlockingOutput::downcast`].
    pub fn new<T, F>(what: &'static str, work: F) -> BlockingJob
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        BlockingJob {
            what,
            work: Box::new(move || Box::new(work()) as Box<dyn Any + Send>),
        }
    }

    /// What the job does ("initiating the GSSAPI security context", ...).
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// Runs the job on the calling thread, however long it blocks, and returns its output for
    /// [`Connection::handle_blocking_done`](crate::Connection::handle_blocking_done).
    pub fn run(self) -> BlockingOutput {
        BlockingOutput {
            what: self.what,
            value: (self.work)(),
        }
    }
}

impl fmt::Debug for BlockingJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingJob")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

/// What a [`BlockingJob`] returned, on its way back to the mechanism that made the job.
pub struct BlockingOutput {
    what: &'static str,
    value: Box<dyn Any + Send>,
}

impl BlockingOutput {
    /// What the job that made it did.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// The value the job returned, if it is a `T` (the type the mechanism's own job returns);
    /// [`MechanismError::UnexpectedBlockingOutput`] otherwise.
    pub fn downcast<T: 'static>(self) -> Result<T, MechanismError> {
        self.value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| MechanismError::UnexpectedBlockingOutput)
    }
}

impl fmt::Debug for BlockingOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingOutput")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}
