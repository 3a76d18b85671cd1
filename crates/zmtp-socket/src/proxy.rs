//! Built-in proxies between two sockets: libzmq's `zmq_proxy` ([`proxy`]) and
//! `zmq_proxy_steerable` ([`proxy_steerable`], and [`proxy_with_handle`] steered from Rust).
//!
//! A proxy takes each message one socket (the *frontend*) receives and sends it on the other
//! (the *backend*), and the other way round when the backend receives and the frontend sends.
//! The combinations libzmq documents:
//!
//! - ROUTER frontend, DEALER backend: a shared queue between clients and workers;
//! - XSUB frontend, XPUB backend: a forwarder; messages go down, subscriptions go up;
//! - PULL frontend, PUSH backend: a streamer, one way only.
//!
//! Messages move whole (every frame of a multipart message together) and in order per
//! direction. A message waits while its destination has no room (`ZMQ_SNDHWM`), holding the
//! messages behind it in its source's queue; only where the socket type itself drops (PUB and
//! XPUB with a full subscriber, ROUTER towards a full or unknown peer) is anything lost. An
//! optional *capture* socket gets a copy of every message moved, both ways, before it goes on
//! (a capture socket without room holds the proxy back, as in libzmq).
//!
//! Which socket can be which side is checked by the compiler: a frontend must receive
//! ([`ProxyRecv`]), a backend and a capture socket must send ([`ProxySend`]). A socket can be
//! given by value, or borrowed (`&mut socket`, or `&socket` to give one socket as both sides,
//! which sends every message back where it came from, as `zmq_proxy(s, s, NULL)` does).

// The sealed `Side` trait passes the core's in-progress operations, which stay crate-private.
#![allow(private_interfaces)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::{Sink, Stream};
use tokio::sync::{mpsc, oneshot};
use zmtp_codec::Message;

use crate::core::{Incoming, Outgoing};
use crate::error::{Error, Result};
use crate::socket::{kind, Kind, Pair, Receives, Rep, Sends, Socket, Sub};

/// Most messages one direction moves before the proxy lets other tasks run (and looks at its
/// control socket again).
const BURST: usize = 256;

#[allow(private_interfaces)]
mod sealed {
    use super::*;

    /// The receive and send entry points of a socket a proxy uses.
    #[allow(unreachable_pub)]
    pub trait Side {
        /// Whether the socket type receives.
        fn receives(&self) -> bool;
        /// Whether the socket type sends.
        fn sends(&self) -> bool;
        /// Tells two sides that are the same socket.
        fn identity(&self) -> *const ();
        /// The next message received (only called when [`Side::receives`]).
        fn poll_recv(&self, cx: &mut Context<'_>, op: &mut Incoming) -> Poll<Result<Message>>;
        /// Sends the message in `out` once there is room, emptying it (only called when
        /// [`Side::sends`]).
        fn poll_send(&self, cx: &mut Context<'_>, out: &mut Option<Outgoing>) -> Poll<Result<()>>;
    }

    /// A socket the proxy reads commands from and answers on.
    #[allow(unreachable_pub)]
    pub trait Control {
        /// The next command message; `Ready(Err(Closed))` once the socket is closed.
        fn poll_command(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>>;
        /// Whether every command is answered (REP: an empty message, or the statistics).
        fn answers_every_command(&self) -> bool;
        /// Sends the answer in `slot` once there is room, emptying it.
        fn poll_answer(
            &mut self,
            cx: &mut Context<'_>,
            slot: &mut Option<Message>,
        ) -> Poll<Result<()>>;
    }
}

use sealed::{Control, Side};

/// A socket that can be a proxy's frontend: it receives. ROUTER, DEALER, PAIR, PULL, SUB,
/// XSUB and XPUB are (and references to them).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a proxy's frontend",
    note = "a proxy's frontend must receive: ROUTER, DEALER, PAIR, PULL, SUB, XSUB or XPUB"
)]
pub trait ProxyRecv: sealed::Side {}

/// A socket that can be a proxy's backend or capture socket: it sends. ROUTER, DEALER, PAIR,
/// PUSH, PUB, XSUB and XPUB are (and references to them).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a proxy's backend or capture socket",
    note = "a proxy's backend and capture socket must send: ROUTER, DEALER, PAIR, PUSH, PUB, XSUB or XPUB"
)]
pub trait ProxySend: sealed::Side {}

/// A socket `proxy_steerable` takes commands on (`zmq_proxy_steerable`'s control socket): a
/// REP (every command is answered, PAUSE, RESUME and TERMINATE with an empty message), a PAIR
/// (only STATISTICS is answered) or a SUB (commands only; STATISTICS is an error), or a
/// mutable reference to one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a proxy's control socket",
    note = "a proxy's control socket is a REP, a PAIR or a SUB"
)]
pub trait ProxyControlSocket: sealed::Control {}

/// Every socket is a side: it receives if its type does ([`Receives`]), sends if its type
/// does ([`Sends`]), through the core's shared entry points.
impl<K: Kind> Side for Socket<K> {
    fn receives(&self) -> bool {
        crate::socket::kind::receives(self.socket_type())
    }
    fn sends(&self) -> bool {
        crate::socket::kind::sends(self.socket_type())
    }
    fn identity(&self) -> *const () {
        self.core_ptr()
    }
    fn poll_recv(&self, cx: &mut Context<'_>, op: &mut Incoming) -> Poll<Result<Message>> {
        self.core().poll_recv(Some(cx), op)
    }
    fn poll_send(&self, cx: &mut Context<'_>, out: &mut Option<Outgoing>) -> Poll<Result<()>> {
        let Some(pending) = out.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let polled = self.core().poll_send(Some(cx), pending);
        if polled.is_ready() {
            *out = None;
        }
        polled
    }
}

impl<K: Receives> ProxyRecv for Socket<K> {}
impl<K: Sends> ProxySend for Socket<K> {}

macro_rules! by_reference {
    ($($r:ty),*) => {$(
        impl<T: Side + ?Sized> Side for $r {
            fn receives(&self) -> bool {
                (**self).receives()
            }
            fn sends(&self) -> bool {
                (**self).sends()
            }
            fn identity(&self) -> *const () {
                (**self).identity()
            }
            fn poll_recv(&self, cx: &mut Context<'_>, op: &mut Incoming) -> Poll<Result<Message>> {
                (**self).poll_recv(cx, op)
            }
            fn poll_send(
                &self,
                cx: &mut Context<'_>,
                out: &mut Option<Outgoing>,
            ) -> Poll<Result<()>> {
                (**self).poll_send(cx, out)
            }
        }
    )*};
}

by_reference!(&T, &mut T);
impl<T: ProxyRecv + ?Sized> ProxyRecv for &T {}
impl<T: ProxyRecv + ?Sized> ProxyRecv for &mut T {}
impl<T: ProxySend + ?Sized> ProxySend for &T {}
impl<T: ProxySend + ?Sized> ProxySend for &mut T {}

/// Commands through the socket's [`Stream`] impl (`None`: closed).
fn poll_stream_command<S>(socket: &mut S, cx: &mut Context<'_>) -> Poll<Result<Message>>
where
    S: Stream<Item = Result<Message>> + Unpin,
{
    Pin::new(socket)
        .poll_next(cx)
        .map(|item| item.unwrap_or(Err(Error::Closed)))
}

/// Answers through the socket's [`Sink`] impl.
fn poll_sink_answer<S>(
    socket: &mut S,
    cx: &mut Context<'_>,
    slot: &mut Option<Message>,
) -> Poll<Result<()>>
where
    S: Sink<Message, Error = Error> + Unpin,
{
    if slot.is_some() {
        futures::ready!(Pin::new(&mut *socket).poll_ready(cx))?;
        if let Some(msg) = slot.take() {
            Pin::new(&mut *socket).start_send(msg)?;
        }
    }
    Pin::new(socket).poll_flush(cx)
}

/// The control sockets that answer on their own sink: REP answers every command, PAIR only
/// STATISTICS.
trait AnswersOnSink: Sends + Receives {
    /// Whether every command is answered ([`Control::answers_every_command`]).
    const EVERY_COMMAND: bool;
}

impl AnswersOnSink for kind::Rep {
    const EVERY_COMMAND: bool = true;
}

impl AnswersOnSink for kind::Pair {
    const EVERY_COMMAND: bool = false;
}

impl<K: AnswersOnSink> Control for Socket<K> {
    fn poll_command(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        poll_stream_command(self, cx)
    }
    fn answers_every_command(&self) -> bool {
        K::EVERY_COMMAND
    }
    fn poll_answer(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        poll_sink_answer(self, cx, slot)
    }
}

impl Control for Sub {
    fn poll_command(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        poll_stream_command(self, cx)
    }
    fn answers_every_command(&self) -> bool {
        false
    }
    fn poll_answer(
        &mut self,
        _cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        if slot.take().is_some() {
            return Poll::Ready(Err(Error::InvalidState(
                "a SUB control socket cannot answer STATISTICS",
            )));
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: Control + ?Sized> Control for &mut T {
    fn poll_command(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        (**self).poll_command(cx)
    }
    fn answers_every_command(&self) -> bool {
        (**self).answers_every_command()
    }
    fn poll_answer(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        (**self).poll_answer(cx, slot)
    }
}

impl ProxyControlSocket for Rep {}
impl ProxyControlSocket for Pair {}
impl ProxyControlSocket for Sub {}
impl<T: ProxyControlSocket + ?Sized> ProxyControlSocket for &mut T {}

/// What one side of a proxy moved: whole messages (a multipart message counts once) and their
/// bytes (the sum of the frames' sizes), as `zmq_proxy_steerable` counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SideStatistics {
    /// Messages the proxy received on this socket.
    pub messages_received: u64,
    /// Bytes of the messages the proxy received on this socket.
    pub bytes_received: u64,
    /// Messages the proxy sent on this socket (copies to the capture socket are not counted).
    pub messages_sent: u64,
    /// Bytes of the messages the proxy sent on this socket.
    pub bytes_sent: u64,
}

/// The counters `zmq_proxy_steerable` answers STATISTICS with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ProxyStatistics {
    /// The frontend's counters.
    pub frontend: SideStatistics,
    /// The backend's counters.
    pub backend: SideStatistics,
}

impl ProxyStatistics {
    /// The eight counters in the order of libzmq's answer: frontend messages received, bytes
    /// received, messages sent, bytes sent, then the same four for the backend.
    pub fn to_array(&self) -> [u64; 8] {
        let (f, b) = (&self.frontend, &self.backend);
        [
            f.messages_received,
            f.bytes_received,
            f.messages_sent,
            f.bytes_sent,
            b.messages_received,
            b.bytes_received,
            b.messages_sent,
            b.bytes_sent,
        ]
    }

    /// The counters from [`to_array`](Self::to_array)'s order.
    pub fn from_array(counters: [u64; 8]) -> ProxyStatistics {
        let side = |c: &[u64]| SideStatistics {
            messages_received: c[0],
            bytes_received: c[1],
            messages_sent: c[2],
            bytes_sent: c[3],
        };
        ProxyStatistics {
            frontend: side(&counters[..4]),
            backend: side(&counters[4..]),
        }
    }

    /// The answer to STATISTICS on the wire: eight frames of one native-endian `u64` each,
    /// in [`to_array`](Self::to_array)'s order, as libzmq sends them.
    pub fn to_message(&self) -> Message {
        self.to_array()
            .iter()
            .map(|c| Bytes::copy_from_slice(&c.to_ne_bytes()))
            .collect()
    }

    /// Reads an answer to STATISTICS (from this proxy or libzmq's); `None` unless it is eight
    /// frames of eight bytes.
    pub fn from_message(msg: &Message) -> Option<ProxyStatistics> {
        if msg.len() != 8 {
            return None;
        }
        let mut counters = [0u64; 8];
        for (counter, frame) in counters.iter_mut().zip(msg.iter()) {
            *counter = u64::from_ne_bytes(frame.as_ref().try_into().ok()?);
        }
        Some(ProxyStatistics::from_array(counters))
    }
}

/// One direction's message in transit: the copy for the capture socket and the message for
/// the destination, until each is taken.
#[derive(Debug, Default)]
struct Flow {
    capture: Option<Outgoing>,
    dest: Option<Outgoing>,
    dest_bytes: u64,
    /// The receive from the source, waiting.
    recv: Incoming,
}

/// How a direction's step ended.
enum Step {
    /// Nothing more can move now; wake-ups are registered.
    Idle,
    /// The burst is used up; more may be ready.
    Budget,
}

/// Moves one direction's messages: finishes the one in transit, then takes the next from
/// `src` (unless `receive` is false), until nothing can move or the burst is used up.
fn step<S: Side + ?Sized, D: Side + ?Sized, C: Side>(
    cx: &mut Context<'_>,
    src: &S,
    dst: &D,
    capture: Option<&C>,
    flow: &mut Flow,
    stats: (&mut SideStatistics, &mut SideStatistics),
    receive: bool,
) -> Poll<Result<Step>> {
    let (src_stats, dst_stats) = stats;
    let mut budget = BURST;
    loop {
        if flow.capture.is_some() {
            if let Some(capture) = capture {
                if let Poll::Ready(r) = capture.poll_send(cx, &mut flow.capture) {
                    r?;
                    flow.capture = None;
                }
            }
        }
        if flow.dest.is_some() {
            if let Poll::Ready(r) = dst.poll_send(cx, &mut flow.dest) {
                r?;
                flow.dest = None;
                dst_stats.messages_sent += 1;
                dst_stats.bytes_sent += flow.dest_bytes;
            }
        }
        if flow.capture.is_some() || flow.dest.is_some() || !receive {
            return Poll::Ready(Ok(Step::Idle));
        }
        if budget == 0 {
            return Poll::Ready(Ok(Step::Budget));
        }
        match src.poll_recv(cx, &mut flow.recv) {
            Poll::Ready(Ok(msg)) => {
                budget -= 1;
                let bytes = msg.byte_len() as u64;
                src_stats.messages_received += 1;
                src_stats.bytes_received += bytes;
                flow.capture = capture.map(|_| Outgoing::new(msg.clone()));
                flow.dest = Some(Outgoing::new(msg));
                flow.dest_bytes = bytes;
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Ready(Ok(Step::Idle)),
        }
    }
}

/// The two sockets, the capture socket, the messages in transit and the counters.
struct Mover<F, B, C> {
    frontend: F,
    backend: B,
    capture: Option<C>,
    /// Whether messages also go from the backend to the frontend.
    both_ways: bool,
    forward: Flow,
    backward: Flow,
    stats: ProxyStatistics,
}

impl<F: ProxyRecv, B: ProxySend, C: ProxySend> Mover<F, B, C> {
    fn new(frontend: F, backend: B, capture: Option<C>) -> Self {
        let same = frontend.identity() == backend.identity();
        let both_ways = !same && backend.receives() && frontend.sends();
        Mover {
            frontend,
            backend,
            capture,
            both_ways,
            forward: Flow::default(),
            backward: Flow::default(),
            stats: ProxyStatistics::default(),
        }
    }

    /// Moves what can move (only what is in transit when `!receive`); `Pending` once nothing
    /// can, with wake-ups registered (or a wake-up given to come back after a burst).
    fn poll_move(&mut self, cx: &mut Context<'_>, receive: bool) -> Poll<Result<Infallible>> {
        let stats = &mut self.stats;
        let forward = step(
            cx,
            &self.frontend,
            &self.backend,
            self.capture.as_ref(),
            &mut self.forward,
            (&mut stats.frontend, &mut stats.backend),
            receive,
        )?;
        let backward = if self.both_ways {
            step(
                cx,
                &self.backend,
                &self.frontend,
                self.capture.as_ref(),
                &mut self.backward,
                (&mut stats.backend, &mut stats.frontend),
                receive,
            )?
        } else {
            Poll::Ready(Step::Idle)
        };
        let budget = |s: &Poll<Step>| matches!(s, Poll::Ready(Step::Budget));
        if budget(&forward) || budget(&backward) {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// Relays messages between `frontend` and `backend` until one of the sockets fails (closed:
/// [`Error::Closed`]; [`Error::ContextTerminated`] when its context is terminated, libzmq's
/// `ETERM`), as libzmq's `zmq_proxy` does, and
/// returns that error. Every message moved, both ways, is first copied to `capture` when
/// given.
///
/// Messages go from the frontend to the backend, and from the backend to the frontend when the
/// backend receives and the frontend sends (a ROUTER frontend and a DEALER backend, an XSUB
/// frontend and an XPUB backend; a PULL frontend and a PUSH backend go one way). See the
/// [module](self) for what is checked, and for backpressure.
///
/// ```no_run
/// # async fn run() -> zmtp_socket::Result<()> {
/// use zmtp_socket::{proxy, Dealer, Pub, Router};
/// let clients = Router::new();
/// clients.bind("tcp://127.0.0.1:5559").await?;
/// let workers = Dealer::new();
/// workers.bind("tcp://127.0.0.1:5560").await?;
/// let err = proxy(clients, workers, None::<&mut Pub>).await.unwrap_err();
/// # Err(err)
/// # }
/// ```
///
/// Cancel safety: dropping the future stops the proxy; a message it had received and not yet
/// sent on is lost (as when libzmq's proxy thread is stopped). The sockets are as they were.
///
/// A frontend must receive and a backend must send:
///
/// ```compile_fail
/// use zmtp_socket::{proxy, Pub, Pull, Push};
/// let _ = proxy(Push::new(), Pull::new(), None::<&mut Pub>);
/// ```
pub async fn proxy<F, B, C>(frontend: F, backend: B, capture: Option<C>) -> Result<Infallible>
where
    F: ProxyRecv,
    B: ProxySend,
    C: ProxySend,
{
    let mut mover = Mover::new(frontend, backend, capture);
    std::future::poll_fn(|cx| mover.poll_move(cx, true)).await
}

/// A command to a steerable proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProxyCommand {
    /// `PAUSE`: stop taking messages from either socket until RESUME.
    Pause,
    /// `RESUME`: move messages again.
    Resume,
    /// `TERMINATE`: end the proxy, which returns `Ok(())`.
    Terminate,
    /// `STATISTICS`: answer with the counters ([`ProxyStatistics`]).
    Statistics,
}

impl ProxyCommand {
    /// The command's text on a control socket (`PAUSE`, `RESUME`, `TERMINATE`, `STATISTICS`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyCommand::Pause => "PAUSE",
            ProxyCommand::Resume => "RESUME",
            ProxyCommand::Terminate => "TERMINATE",
            ProxyCommand::Statistics => "STATISTICS",
        }
    }

    /// The command a control message's first frame names, if any.
    pub fn parse(frame: &[u8]) -> Option<ProxyCommand> {
        match frame {
            b"PAUSE" => Some(ProxyCommand::Pause),
            b"RESUME" => Some(ProxyCommand::Resume),
            b"TERMINATE" => Some(ProxyCommand::Terminate),
            b"STATISTICS" => Some(ProxyCommand::Statistics),
            _ => None,
        }
    }
}

impl From<ProxyCommand> for Message {
    fn from(command: ProxyCommand) -> Message {
        Message::single(command.as_str())
    }
}

/// Where a steerable proxy's commands come from, and how they are answered.
trait Steer {
    /// The next command; `Ready(Ok(None))` for a message that is no command.
    fn poll_next_command(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<ProxyCommand>>>;
    /// Answers the command just applied.
    fn answer(&mut self, command: Option<ProxyCommand>, stats: &ProxyStatistics) -> Result<()>;
    /// Pushes the answer given last; `Ready` once it is gone.
    fn poll_flush_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>>;
}

/// A control socket and its answer in transit.
struct SocketSteer<K> {
    socket: K,
    answer: Option<Message>,
}

impl<K: Control> Steer for SocketSteer<K> {
    fn poll_next_command(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<ProxyCommand>>> {
        let msg = futures::ready!(self.socket.poll_command(cx))?;
        let command = msg.first().and_then(|frame| ProxyCommand::parse(frame));
        if command.is_none() {
            tracing::debug!("proxy: ignored an unknown command on the control socket");
        }
        Poll::Ready(Ok(command))
    }

    fn answer(&mut self, command: Option<ProxyCommand>, stats: &ProxyStatistics) -> Result<()> {
        self.answer = match command {
            Some(ProxyCommand::Statistics) => Some(stats.to_message()),
            _ if self.socket.answers_every_command() => Some(Message::single(Bytes::new())),
            _ => None,
        };
        Ok(())
    }

    fn poll_flush_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.answer.is_none() {
            return Poll::Ready(Ok(()));
        }
        self.socket.poll_answer(cx, &mut self.answer)
    }
}

/// A request from a [`ProxyControl`] and where its answer goes.
type Request = (ProxyCommand, oneshot::Sender<ProxyStatistics>);

/// The commands of the [`ProxyControl`] handles; once they are all dropped, the proxy runs on
/// unsteered.
struct HandleSteer {
    requests: mpsc::UnboundedReceiver<Request>,
    open: bool,
    reply: Option<oneshot::Sender<ProxyStatistics>>,
}

impl Steer for HandleSteer {
    fn poll_next_command(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<ProxyCommand>>> {
        if !self.open {
            return Poll::Pending;
        }
        match self.requests.poll_recv(cx) {
            Poll::Ready(Some((command, reply))) => {
                self.reply = Some(reply);
                Poll::Ready(Ok(Some(command)))
            }
            Poll::Ready(None) => {
                self.open = false;
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn answer(&mut self, _command: Option<ProxyCommand>, stats: &ProxyStatistics) -> Result<()> {
        if let Some(reply) = self.reply.take() {
            // The caller may have given up waiting: nothing to do then.
            let _ = reply.send(*stats);
        }
        Ok(())
    }

    fn poll_flush_answer(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Runs the proxy, steered by `steer`, until TERMINATE (`Ok`) or an error.
async fn run_steered<F, B, C>(mut mover: Mover<F, B, C>, mut steer: impl Steer) -> Result<()>
where
    F: ProxyRecv,
    B: ProxySend,
    C: ProxySend,
{
    let mut paused = false;
    std::future::poll_fn(|cx| {
        // Commands first, so that one takes effect before any message that comes after it.
        loop {
            if steer.poll_flush_answer(cx)?.is_pending() {
                break;
            }
            let command = match steer.poll_next_command(cx)? {
                Poll::Ready(command) => command,
                Poll::Pending => break,
            };
            match command {
                Some(ProxyCommand::Pause) => paused = true,
                Some(ProxyCommand::Resume) => paused = false,
                _ => {}
            }
            steer.answer(command, &mover.stats)?;
            if command == Some(ProxyCommand::Terminate) {
                // What is in transit, and the answer, go if they can go now.
                let _ = steer.poll_flush_answer(cx)?;
                let _ = mover.poll_move(cx, false)?;
                return Poll::Ready(Ok(()));
            }
        }
        match mover.poll_move(cx, !paused)? {
            Poll::Pending => Poll::Pending,
            Poll::Ready(never) => match never {},
        }
    })
    .await
}

/// libzmq's `zmq_proxy_steerable`: [`proxy`], steered by commands received on `control`:
///
/// - `PAUSE`: no more messages are taken from either socket (a message already taken still
///   goes on) until `RESUME`;
/// - `RESUME`: messages move again;
/// - `TERMINATE`: the proxy ends, returning `Ok(())`;
/// - `STATISTICS`: answered on `control` with eight frames of one native-endian `u64` each:
///   messages received on the frontend, their bytes, messages sent on the frontend, their
///   bytes, then the same for the backend ([`ProxyStatistics::from_message`] reads them). A
///   multipart message counts once; copies to `capture` are not counted.
///
/// A command is the first frame of a control message. With a REP control socket every
/// command is answered (PAUSE, RESUME, TERMINATE and anything else with one empty frame), so
/// that the REP can take the next; a PAIR answers STATISTICS only, and a SUB cannot answer it
/// (the proxy fails with [`Error::InvalidState`]). Other messages are ignored (libzmq 4.3
/// asserts). The control socket being closed ends the proxy with [`Error::Closed`].
///
/// Cancel safety: as [`proxy`]'s; a command being answered when the future is dropped gets
/// no answer.
pub async fn proxy_steerable<F, B, C, K>(
    frontend: F,
    backend: B,
    capture: Option<C>,
    control: K,
) -> Result<()>
where
    F: ProxyRecv,
    B: ProxySend,
    C: ProxySend,
    K: ProxyControlSocket,
{
    let mover = Mover::new(frontend, backend, capture);
    let steer = SocketSteer {
        socket: control,
        answer: None,
    };
    run_steered(mover, steer).await
}

/// A proxy steered from Rust ([`proxy_with_handle`]), with the commands of
/// `zmq_proxy_steerable`'s control socket. Clones steer the same proxy.
#[derive(Debug, Clone)]
pub struct ProxyControl {
    requests: mpsc::UnboundedSender<Request>,
}

impl ProxyControl {
    /// Sends `command` and waits until the proxy has applied it; returns the counters as they
    /// were then. [`Error::Closed`] when the proxy has ended (or is not being run).
    ///
    /// Cancel safety: dropped before it completes, the command may or may not have been
    /// applied (it is applied once the proxy takes it, whether anyone waits for the answer).
    pub async fn command(&self, command: ProxyCommand) -> Result<ProxyStatistics> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send((command, reply))
            .map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)
    }

    /// PAUSE: returns once the proxy takes no more messages. Cancel safety: as
    /// [`command`](Self::command)'s.
    pub async fn pause(&self) -> Result<()> {
        self.command(ProxyCommand::Pause).await.map(|_| ())
    }

    /// RESUME: returns once the proxy moves messages again. Cancel safety: as
    /// [`command`](Self::command)'s.
    pub async fn resume(&self) -> Result<()> {
        self.command(ProxyCommand::Resume).await.map(|_| ())
    }

    /// TERMINATE: returns once the proxy has ended (its future returns `Ok(())`). Cancel
    /// safety: as [`command`](Self::command)'s.
    pub async fn terminate(&self) -> Result<()> {
        self.command(ProxyCommand::Terminate).await.map(|_| ())
    }

    /// STATISTICS: the counters. Cancel safety: cancel-safe (it changes nothing).
    pub async fn statistics(&self) -> Result<ProxyStatistics> {
        self.command(ProxyCommand::Statistics).await
    }
}

/// [`proxy_steerable`] steered from Rust instead of through a control socket: returns the
/// handle and the proxy's future (run it, e.g. spawn it; it does nothing until polled). The
/// future returns `Ok(())` after [`ProxyControl::terminate`], or the error that ended it;
/// once every handle is dropped it runs on as [`proxy`] does.
pub fn proxy_with_handle<F, B, C>(
    frontend: F,
    backend: B,
    capture: Option<C>,
) -> (ProxyControl, impl Future<Output = Result<()>>)
where
    F: ProxyRecv,
    B: ProxySend,
    C: ProxySend,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let mover = Mover::new(frontend, backend, capture);
    let steer = HandleSteer {
        requests: rx,
        open: true,
        reply: None,
    };
    (ProxyControl { requests: tx }, run_steered(mover, steer))
}
