//! The task behind one connection: the one engine loop, for every protocol a connection may
//! speak ([`Protocol`]: ZMTP's [`Connection`], or a STREAM peer's raw bytes,
//! [`RawConnection`]).
//!
//! Each time it is polled it loops until nothing moves: act on the connection's events in
//! order, messages going straight from the connection into the pipe while it has room (at
//! `ZMQ_RCVHWM` the rest wait in the connection, which reads no more until they are taken:
//! no queue of the engine's own stands between a connection and its socket); read what the
//! transport has into the connection's read buffer; take the pipe's queue whole (traded for
//! the connection's empty one under the socket's lock, no message moved) and encode from it
//! outside the lock; write everything encoded in one vectored write; and act on the
//! connection's timers. It sleeps only on the transport, on the pipe (its
//! waker is registered there, and senders wake it only when it sleeps) and on the next
//! deadline.
//!
//! The driver sits behind a mutex that a sender may take too: when the connection is idle
//! (handshake done, nothing encoded waiting, nothing queued in the pipe), a send encodes its
//! message and writes it from the sender's own task ([`InlineSend`]), as libzmq's engine writes
//! at once when output restarts. That saves waking this task for every message of a
//! request/reply exchange, and with the context's I/O thread a wake-up across threads. Only
//! REQ and REP do it: they have one message in flight at a time, while a stream of sends
//! (PUSH, DEALER, PUB, ...) is best batched into one write by this task.

use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Buf, Bytes};
use futures::task::AtomicWaker;
use parking_lot::{Mutex, MutexGuard};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;
use tokio_util::io::poll_read_buf;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tracing::debug;
use zmtp_codec::connection::INITIAL_READ_CHUNK;
use zmtp_codec::{
    Connection, ConnectionError, Event, EventKind, MechanismError, Message, PeerInfo, Protocol,
    RawConnection,
};

use super::blocking::BlockingJobs;
use super::read_pool;
use super::settings::ConnectionSettings;
use super::zap::{ZapAnswer, ZapRoute};
use crate::core::{Core, InlineSend, ItemSource, Outbound, PipeId, PipeItem, State};
pub(crate) use crate::exit::Exit;
use crate::monitor::MonitorEvent;
use crate::transport::handshake_gate::HandshakePermit;

/// Encoded bytes waiting to be written above which no more messages are encoded: they stay in
/// the pipe or in the batch taken from it, counted against `ZMQ_SNDHWM`, as in libzmq. As
/// much as one vectored write of [`IOVECS`] large bodies takes (64 KiB each, referenced, not
/// copied), so that large messages still go 2-4 MiB a write.
const WRITE_BACKLOG: usize = 4 * 1024 * 1024;
/// Reads a connection makes in one turn of its task at most: then it lets the I/O thread's
/// other tasks run (it wakes itself and yields), so that a peer that never stops sending (a
/// PING flood, say) gets its share of the thread and no more, as libzmq's engine reads once
/// per readiness event. A read takes up to 64 KiB (more for a large frame under way).
const READS_PER_TURN: u32 = 4;
/// iovecs per vectored write.
const IOVECS: usize = 64;

/// Which pipe a connection serves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PipeSlot {
    /// A connecting socket's pipe, kept across reconnects.
    Existing(PipeId),
    /// A bound socket's connection: a pipe is made when the handshake completes.
    OnReady,
}

/// Runs one connection of a listener or connecter until it ends: ZMTP, or raw bytes when the
/// socket is a STREAM or a raw ROUTER, through the same loop. Returns the pipe it served (if
/// any), whether the connection got as far as attaching it (its handshake completed, for
/// ZMTP) and why it ended.
///
/// The connection's state lives in one heap block, made before the first await, so that the
/// task's future holds little more than a pointer to it: a task's future is allocated at its
/// full size for as long as the connection lives (10,000 idle connections, 10,000 futures).
pub(crate) async fn run<S>(
    ends: Ends<'_>,
    stream: S,
    peer_address: Bytes,
) -> (Option<PipeId>, bool, Exit)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let slot = ends.slot;
    match start(ends, stream, peer_address) {
        Started::Raw(shared) => drive(shared, slot).await,
        Started::Zmtp(shared) => drive(shared, slot).await,
        Started::Refused(reason) => (slot.pipe(), false, Exit::Mechanism(reason)),
    }
}

impl PipeSlot {
    /// The pipe, if there is one yet.
    fn pipe(self) -> Option<PipeId> {
        match self {
            PipeSlot::Existing(id) => Some(id),
            PipeSlot::OnReady => None,
        }
    }
}

/// A connection's state, made: raw bytes or ZMTP; or no mechanism could be made for it.
enum Started<S> {
    Raw(Arc<Mutex<Driver<S, RawConnection>>>),
    Zmtp(Arc<Mutex<Driver<S, Connection>>>),
    Refused(String),
}

/// Makes the connection's state (see [`run`]).
fn start<S>(ends: Ends<'_>, stream: S, peer_address: Bytes) -> Started<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if ends.settings.raw {
        return Started::Raw(shared(ends, stream, None, RawConnection::new()));
    }
    let mut config = ends.settings.config.clone();
    config.peer_address = peer_address;
    let zap_route = ends.settings.zap_route();
    match ends.settings.mechanism(zap_route.is_some()) {
        Ok(mechanism) => {
            let conn = Connection::new(config, mechanism, Instant::now());
            Started::Zmtp(shared(ends, stream, zap_route, conn))
        }
        Err(reason) => Started::Refused(reason),
    }
}

/// Whether a raw connection ended because the application closed it (an empty message): a
/// connecter does not remake it, as libzmq ends the session of a STREAM peer so closed.
pub(crate) fn closed_by_application(settings: &ConnectionSettings, exit: &Exit) -> bool {
    settings.raw && matches!(exit, Exit::Connection(ConnectionError::Closed))
}

/// What a connection is attached to, whatever its protocol.
pub(crate) struct Ends<'a> {
    /// The socket.
    pub(crate) core: Arc<Core>,
    /// The socket's settings for its connections.
    pub(crate) settings: Arc<ConnectionSettings>,
    /// Which pipe the connection serves.
    pub(crate) slot: PipeSlot,
    /// Fires when the endpoint the connection was accepted through is unbound (listeners).
    pub(crate) unbound: Option<CancellationToken>,
    /// The connection's endpoint, as monitor events name it.
    pub(crate) endpoint: &'a str,
    /// The connection's place at its endpoint's gate (connecters only), given back once the
    /// handshake is done.
    pub(crate) permit: Option<HandshakePermit>,
}

/// The connection's state in its heap block, as the driver's task and inline senders share it.
fn shared<S, P>(
    ends: Ends<'_>,
    stream: S,
    zap_route: Option<ZapRoute>,
    conn: P,
) -> Arc<Mutex<Driver<S, P>>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    P: Protocol,
{
    let Ends {
        core,
        settings,
        slot,
        unbound,
        endpoint,
        permit,
    } = ends;
    let stream_wakers = Arc::new(StreamWakers::default());
    Arc::new_cyclic(|me: &Weak<Mutex<Driver<S, P>>>| {
        let me: Weak<dyn InlineSend> = me.clone();
        Mutex::new(Driver {
            core,
            settings,
            pipe: slot.pipe(),
            stream,
            conn,
            sleep: None,
            sleep_at: None,
            outbound: VecDeque::new(),
            read_closed: false,
            attached: false,
            closing: false,
            exit: None,
            zap_route,
            zap: None,
            blocking: BlockingJobs::default(),
            unbound: unbound.map(|token| Box::pin(token.cancelled_owned())),
            endpoint: endpoint.to_owned(),
            me,
            task_waker: None,
            finished: false,
            stream_wakers: stream_wakers.clone(),
            stream_waker: Waker::from(stream_wakers.clone()),
            io_error: None,
            reads: 0,
            permit,
        })
    })
}

/// Runs the connection until it ends.
async fn drive<S, P>(
    shared: Arc<Mutex<Driver<S, P>>>,
    slot: PipeSlot,
) -> (Option<PipeId>, bool, Exit)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    P: Protocol,
{
    let exit = std::future::poll_fn(|cx| {
        let mut driver = shared.lock();
        let polled = driver.poll(cx);
        driver.finished = polled.is_ready();
        polled
    })
    .await;
    let mut driver = shared.lock();
    if driver.settings.raw {
        driver.end_raw(slot, &exit);
    }
    (driver.pipe, driver.attached, exit)
}

struct Driver<S, P> {
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    pipe: Option<PipeId>,
    stream: S,
    conn: P,
    /// The timer for the connection's next deadline (handshake, heartbeat, linger), made when
    /// first needed. An armed timer is dropped once there is no deadline, so that an idle
    /// connection leaves nothing in the runtime's timer wheel (a handshake timer kept after
    /// the handshake would bound every idle `epoll_wait` and fire once for nothing); a timer
    /// that fired is out of the wheel already and is kept for the next deadline.
    sleep: Option<Pin<Box<Sleep>>>,
    /// The deadline `sleep` is armed for, if it is.
    sleep_at: Option<Instant>,
    /// The pipe's queue as it was last taken (traded for this one, see
    /// [`Core::take_outbound`]), encoded from while the write backlog allows; its items count
    /// against `ZMQ_SNDHWM` until the next take.
    outbound: VecDeque<PipeItem>,
    read_closed: bool,
    /// The handshake is done and the pipe attached. The peer's properties are not kept: what
    /// the socket needs of them (the routing id) it took when the pipe was attached, and an
    /// idle connection keeps nothing more.
    attached: bool,
    /// The socket is closed: flush, then end.
    closing: bool,
    /// The connection ended: flush what it left to write (an ERROR), then end.
    exit: Option<Exit>,
    /// Who answers this connection's ZAP requests.
    zap_route: Option<ZapRoute>,
    zap: Option<ZapAnswer>,
    /// The mechanism's blocking job (GSSAPI's GSS-API calls), running off this thread.
    blocking: BlockingJobs,
    /// Fires when the endpoint this connection was accepted through is unbound.
    unbound: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    /// The connection's endpoint, as monitor events name it.
    endpoint: String,
    /// This driver, as its pipe lists it for senders that write inline.
    me: Weak<dyn InlineSend>,
    /// The connection task's waker, for what an inline send leaves to it (the rest of a write
    /// the transport took only in part, an error).
    task_waker: Option<Waker>,
    /// The task returned: nothing may be written inline any more.
    finished: bool,
    /// Who the transport wakes: this task, and a receiver reading inline.
    stream_wakers: Arc<StreamWakers>,
    /// The waker the transport is polled with (wakes both of `stream_wakers`).
    stream_waker: Waker,
    /// A read error a receiver reading inline met, for this task to end with.
    io_error: Option<std::io::Error>,
    /// Reads made in this turn of the task (see [`READS_PER_TURN`]).
    reads: u32,
    /// The place at the endpoint's gate this connection holds until its handshake is done
    /// (see [`handshake_gate`](crate::transport::handshake_gate)).
    permit: Option<HandshakePermit>,
}

/// The wakers the transport's readiness goes to: the connection task always, and a receiver
/// that read inline and waits for more (see [`InlineSend::try_read`]), so the receiver is
/// woken by the transport itself rather than by this task after it read.
#[derive(Default)]
struct StreamWakers {
    task: AtomicWaker,
    receiver: AtomicWaker,
}

impl std::task::Wake for StreamWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.task.wake();
        self.receiver.wake();
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, P: Protocol> Driver<S, P> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Exit> {
        if !self
            .task_waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            self.task_waker = Some(cx.waker().clone());
        }
        self.stream_wakers.task.register(cx.waker());
        self.reads = 0;
        if let Some(e) = self.io_error.take() {
            return Poll::Ready(Exit::Io(e));
        }
        if let Some(unbound) = self.unbound.as_mut() {
            if unbound.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Exit::Unbound);
            }
        }
        if let Some(linger_until) = self.core.closed() {
            self.closing = true;
            if linger_until.is_some_and(|t| Instant::now() >= t) {
                return Poll::Ready(Exit::SocketClosed);
            }
        }
        loop {
            let mut progress = false;
            progress |= self.poll_zap(cx);
            progress |= self.take_events(cx);
            if self.exit.is_none() {
                match self.poll_read() {
                    Ok(p) => progress |= p,
                    Err(e) => return Poll::Ready(Exit::Io(e)),
                }
            }
            progress |= self.blocking.poll(&mut self.conn, cx);
            progress |= self.take_events(cx);
            progress |= self.take_outbound(cx);
            match self.poll_write() {
                Ok(p) => progress |= p,
                Err(e) => {
                    return Poll::Ready(self.exit.take().unwrap_or(Exit::Io(e)));
                }
            }
            if !self.conn.wants_to_transmit() {
                if let Some(exit) = self.exit.take() {
                    if self.conn.shuts_down_on_close()
                        && matches!(exit, Exit::Connection(ConnectionError::Closed))
                        && Pin::new(&mut self.stream).poll_shutdown(cx).is_pending()
                    {
                        // A raw peer learns of the application's close by the FIN.
                        self.exit = Some(exit);
                        return Poll::Pending;
                    }
                    return Poll::Ready(exit);
                }
                if self.closing && self.outbound.is_empty() && self.pipe_drained() {
                    return Poll::Ready(Exit::SocketClosed);
                }
            }
            progress |= self.poll_timer(cx);
            if !progress {
                if self.reads >= READS_PER_TURN {
                    // Its share is used: to read on in the next turn, after what else is ready
                    // (Tokio's `yield_now`: woken once the runtime has looked at its other
                    // work. A plain self-wake would run it again first on a current-thread
                    // runtime whose `block_on` future, the application, waits to consume).
                    let _ = std::pin::pin!(tokio::task::yield_now()).poll(cx);
                }
                return Poll::Pending;
            }
        }
    }

    /// Whether the closing socket has nothing left for this connection.
    fn pipe_drained(&self) -> bool {
        match self.pipe {
            None => true,
            Some(id) => self.core.outbound_empty(id),
        }
    }

    fn poll_zap(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(fut) = self.zap.as_mut() else {
            return false;
        };
        match fut.as_mut().poll(cx) {
            Poll::Ready(answer) => {
                self.zap = None;
                match answer {
                    Ok(reply) => self.conn.handle_zap_reply(Instant::now(), reply),
                    Err(e) => self.conn.abort(ConnectionError::Mechanism(e)),
                }
                true
            }
            Poll::Pending => false,
        }
    }

    fn poll_read(&mut self) -> std::io::Result<bool> {
        // Events not taken yet (messages over ZMQ_RCVHWM) hold reading back.
        if self.read_closed
            || self.conn.peek_kind().is_some()
            || self.conn.is_closed()
            || self.reads >= READS_PER_TURN
        {
            return Ok(false);
        }
        if !self.conn.holds_recv_buf() {
            return self.poll_read_idle();
        }
        let mut cx = Context::from_waker(&self.stream_waker);
        match poll_read_buf(Pin::new(&mut self.stream), &mut cx, self.conn.recv_buf()) {
            Poll::Ready(Ok(0)) => {
                self.read_closed = true;
                self.conn.handle_eof();
                Ok(true)
            }
            Poll::Ready(Ok(_)) => {
                self.reads += 1;
                self.conn.handle_input(Instant::now());
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => {
                // Nothing more to read: an idle connection gives its read buffer up.
                if let Some(buf) = self.conn.release_recv_buf() {
                    read_pool::give(buf);
                }
                Ok(false)
            }
        }
    }

    /// A read for a connection that gave its read buffer up: into space on the stack, so
    /// that waiting holds no buffer; what arrives goes into a buffer given up before (see
    /// [`read_pool`]), or one the connection makes.
    fn poll_read_idle(&mut self) -> std::io::Result<bool> {
        let mut cx = Context::from_waker(&self.stream_waker);
        let mut space = [MaybeUninit::<u8>::uninit(); INITIAL_READ_CHUNK];
        let mut buf = ReadBuf::uninit(&mut space);
        match Pin::new(&mut self.stream).poll_read(&mut cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                self.read_closed = true;
                self.conn.handle_eof();
                Ok(true)
            }
            Poll::Ready(Ok(())) => {
                self.reads += 1;
                let data = buf.filled();
                // Room for these bytes and for half a read more, as the connection asks of
                // its own buffer.
                if let Some(kept) = read_pool::take(data.len(), INITIAL_READ_CHUNK / 2) {
                    self.conn.install_recv_buf(kept);
                }
                self.conn.feed(Instant::now(), data);
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(e),
            Poll::Pending => Ok(false),
        }
    }

    /// Acts on the connection's events in order: messages and subscriptions go straight into
    /// the pipe while it has room (the rest stay in the connection, `cx` registered for room);
    /// readiness, ZAP requests and the end are the engine's. Whether anything moved.
    fn take_events(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            match self.conn.peek_kind() {
                None => return progress,
                Some(kind) if kind.is_item() => {
                    let Some(id) = self.pipe else {
                        // Messages arrive only after Ready, which makes the pipe.
                        self.conn.poll_event();
                        progress = true;
                        continue;
                    };
                    let mut items = Items {
                        conn: &mut self.conn,
                        taken: 0,
                    };
                    let all = self.core.deliver_inbound(id, cx, &mut items);
                    progress |= items.taken > 0;
                    if !all {
                        return progress;
                    }
                }
                Some(_) => {
                    if let Some(event) = self.conn.poll_event() {
                        self.handle_event(event);
                    }
                    progress = true;
                }
            }
        }
    }

    /// An event for the engine itself (not a message or subscription for the pipe).
    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Ready(peer) => self.attach(peer),
            Event::ZapRequest(request) => match &self.zap_route {
                Some(route) => self.zap = Some(route.ask(*request)),
                None => self
                    .conn
                    .abort(ConnectionError::Mechanism(MechanismError::Refused {
                        status: 500,
                        text: "no ZAP handler is installed".into(),
                    })),
            },
            Event::Closed(reason) => self.exit = Some(Exit::Connection(reason)),
            // Taken by `take_events`.
            Event::Message(_) | Event::Subscribe(_) | Event::Cancel(_) => {}
        }
    }

    /// The handshake is done (a raw connection's at once): the pipe is made if needed and
    /// attached; a STREAM socket with `ZMQ_STREAM_NOTIFY` hears of it.
    fn attach(&mut self, peer: PeerInfo) {
        // The peer took this connection: the next one to its endpoint may start.
        self.permit = None;
        let id = match self.pipe {
            Some(id) => id,
            None => {
                let id = self.core.add_pipe(false);
                self.pipe = Some(id);
                id
            }
        };
        if peer.is_raw() {
            debug!("raw connection attached");
        } else {
            super::trace::handshake_succeeded(&peer);
        }
        self.settings
            .monitors
            .emit(|| MonitorEvent::HandshakeSucceeded {
                endpoint: self.endpoint.clone(),
            });
        if !self.core.attach_peer(id, peer.identity()) {
            // A PAIR that has its peer already: this one goes.
            self.conn.close_locally();
            return;
        }
        if self.settings.inline_io {
            // Only where one message at a time is in flight by construction (a request, then
            // its reply): a stream of sends written inline would each be a write of its own,
            // where this task batches them.
            self.core.set_inline(id, self.me.clone());
        }
        if self.settings.raw_notify {
            self.core
                .push_inbound_unbounded(id, [Message::single(Bytes::new())]);
        }
        self.attached = true;
    }

    /// A raw connection ended: when the peer went (or the transport failed), what was read and
    /// not yet taken reaches the application, then the `ZMQ_STREAM_NOTIFY` notice, whatever
    /// `ZMQ_RCVHWM` says. The pipe is detached before the monitors hear of the end (the
    /// caller's detach then changes nothing): a connect's pipe stays for the next connection
    /// unless the application closed it.
    fn end_raw(&mut self, slot: PipeSlot, exit: &Exit) {
        let Some(pipe) = self.pipe else { return };
        if matches!(
            exit,
            Exit::Connection(ConnectionError::PeerClosed { .. }) | Exit::Io(_)
        ) {
            let notice = (self.settings.raw_notify).then(|| Message::single(Bytes::new()));
            let conn = &mut self.conn;
            let read: Vec<Message> = std::iter::from_fn(|| conn.poll_event())
                .filter_map(|event| match event {
                    Event::Message(msg) => Some(msg),
                    _ => None,
                })
                .chain(notice)
                .collect();
            self.core.push_inbound_unbounded(pipe, read);
        }
        let keep = matches!(slot, PipeSlot::Existing(_))
            && !matches!(exit, Exit::Connection(ConnectionError::Closed));
        self.core.detach(pipe, keep);
    }

    /// Takes the pipe's queue when the last batch is encoded, and encodes from it while the
    /// bytes waiting to be written stay under [`WRITE_BACKLOG`]: the rest stays in the batch,
    /// still counted against `ZMQ_SNDHWM` (see [`Core::take_outbound`]). Whether anything
    /// moved.
    fn take_outbound(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(id) = self.pipe else { return false };
        if !self.conn.is_ready() || self.conn.transmit().len() >= WRITE_BACKLOG {
            return false;
        }
        let mut progress = false;
        if self.outbound.is_empty() {
            match self
                .core
                .take_outbound(id, cx, usize::MAX, &mut self.outbound)
            {
                Outbound::Taken => progress = true,
                Outbound::Finished if !self.closing && !self.conn.is_closed() => {
                    // The pipe was taken from this connection (a ROUTER_HANDOVER): it ends.
                    self.conn.close_locally();
                    return true;
                }
                Outbound::Empty | Outbound::Finished => return false,
            }
        }
        // Encode in place, then drop the encoded items in one go: dropping them one by one
        // as they were popped cost a call to the message's drop glue each (about 20
        // instructions a message on the tcp 1 B row, benches/README.md "Session 9").
        let mut encoded = 0;
        for item in self.outbound.iter() {
            if self.conn.transmit().len() >= WRITE_BACKLOG {
                break;
            }
            encoded += 1;
            // A send fails only once the connection has ended; its event says why.
            // Subscriptions go in the form the peer reads (a 3.1 command, or the 3.0 message).
            let _ = match item {
                PipeItem::Message(msg) => self.conn.send(msg),
                PipeItem::Subscribe(prefix) => self.conn.subscribe(prefix),
                PipeItem::Cancel(prefix) => self.conn.cancel(prefix),
            };
        }
        if encoded == 0 {
            return progress;
        }
        self.outbound.drain(..encoded);
        if !self.outbound.is_empty() {
            // Stopped at the backlog with part of the batch left: only that part counts
            // against ZMQ_SNDHWM now, so senders may queue behind it while it is written.
            self.core.still_holds(id, self.outbound.len());
        }
        true
    }

    fn poll_write(&mut self) -> std::io::Result<bool> {
        let cx = &mut Context::from_waker(&self.stream_waker);
        let mut progress = false;
        while self.conn.wants_to_transmit() {
            let tx = self.conn.transmit();
            let mut slices = [IoSlice::new(&[]); IOVECS];
            let n = tx.chunks_vectored(&mut slices);
            match Pin::new(&mut self.stream).poll_write_vectored(cx, &slices[..n]) {
                Poll::Ready(Ok(0)) => {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                Poll::Ready(Ok(written)) => {
                    tx.advance(written);
                    progress = true;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        if progress && !self.conn.wants_to_transmit() {
            // Everything is out; make sure it leaves the process.
            let _ = Pin::new(&mut self.stream).poll_flush(cx);
        }
        Ok(progress)
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let linger = if self.closing {
            self.core.closed().flatten()
        } else {
            None
        };
        let next = match (self.conn.poll_timeout(), linger) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(at) = next else {
            if self.sleep_at.take().is_some() {
                self.sleep = None;
            }
            return false;
        };
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at.into())));
        if self.sleep_at != Some(at) {
            self.sleep_at = Some(at);
            sleep.as_mut().reset(at.into());
        }
        if sleep.as_mut().poll(cx).is_ready() {
            self.sleep_at = None;
            let now = Instant::now();
            if linger.is_some_and(|t| now >= t) {
                // Linger ran out: drop what is left. The next poll returns.
                self.exit = Some(Exit::SocketClosed);
                let tx = self.conn.transmit();
                let left = tx.len();
                tx.advance(left);
                return true;
            }
            self.conn.handle_timeout(now);
            return true;
        }
        false
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin, P: Protocol> Driver<S, P> {
    /// Whether a sender may encode and write a message now, ahead of this task: the handshake
    /// is done, nothing is encoded and waiting, nothing taken from the pipe is left, and the
    /// connection is neither ending nor waiting on ZAP.
    fn idle(&self) -> bool {
        !self.finished
            && self.exit.is_none()
            && !self.closing
            && self.zap.is_none()
            && self.outbound.is_empty()
            && self.conn.is_ready()
            && !self.conn.is_closed()
            && !self.conn.wants_to_transmit()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send, P: Protocol> InlineSend for Mutex<Driver<S, P>> {
    fn try_send<'g>(
        &self,
        msg: Message,
        state: MutexGuard<'g, State>,
    ) -> Result<(), (Message, MutexGuard<'g, State>)> {
        // Never wait for the task: it may be running (on another thread), and then it takes
        // the message from the pipe soon enough.
        let Some(mut driver) = self.try_lock() else {
            return Err((msg, state));
        };
        if !driver.idle() {
            return Err((msg, state));
        }
        let Some(waker) = driver.task_waker.take() else {
            return Err((msg, state));
        };
        // Encoded under the socket's lock, so it goes out in the order it was sent even if the
        // task queues something next; written after it, so the write holds up nobody else.
        // A send fails only once the connection has ended; its event says why, to the task.
        let _ = driver.conn.send(&msg);
        drop(state);
        // Whatever the write leaves (the rest, when the transport takes only part; an error)
        // is the task's: the transport wakes it.
        if driver.poll_write().is_err() || driver.conn.is_closed() {
            waker.wake_by_ref();
        }
        driver.task_waker = Some(waker);
        Ok(())
    }

    fn try_read(&self, receiver: &Waker) -> bool {
        let Some(mut driver) = self.try_lock() else {
            return false;
        };
        let driver = &mut *driver;
        if !driver.idle() || driver.conn.peek_kind().is_some() || driver.read_closed {
            return false;
        }
        let Some(waker) = driver.task_waker.take() else {
            return false;
        };
        // From now on the transport wakes the receiver too, whoever polls it next.
        driver.stream_wakers.receiver.register(receiver);
        let mut cx = Context::from_waker(&waker);
        let mut delivered = false;
        match driver.poll_read() {
            Ok(true) => delivered = driver.take_events(&mut cx),
            Ok(false) => {}
            Err(e) => driver.io_error = Some(e),
        }
        // Anything beyond messages for the pipe (the peer closed, a PING to answer, messages
        // over ZMQ_RCVHWM, an error) is the task's to act on.
        if driver.io_error.is_some()
            || driver.exit.is_some()
            || driver.read_closed
            || driver.conn.peek_kind().is_some()
            || driver.conn.wants_to_transmit()
            || driver.zap.is_some()
        {
            waker.wake_by_ref();
        }
        driver.task_waker = Some(waker);
        delivered
    }
}

/// The connection's next events as pipe items, for [`Core::deliver_inbound`]: only messages
/// and subscriptions are taken; anything else stays for the engine.
struct Items<'a, P> {
    conn: &'a mut P,
    taken: usize,
}

impl<P: Protocol> ItemSource for Items<'_, P> {
    #[inline]
    fn next_item(&mut self) -> Option<PipeItem> {
        if !self.has_item() {
            return None;
        }
        let item = match self.conn.poll_event()? {
            Event::Message(msg) => PipeItem::Message(msg),
            Event::Subscribe(prefix) => PipeItem::Subscribe(prefix),
            Event::Cancel(prefix) => PipeItem::Cancel(prefix),
            // Not reached: `has_item` looked.
            Event::Ready(_) | Event::ZapRequest(_) | Event::Closed(_) => return None,
        };
        self.taken += 1;
        Some(item)
    }

    #[inline]
    fn has_item(&self) -> bool {
        self.conn.peek_kind().is_some_and(EventKind::is_item)
    }

    #[inline]
    fn take_messages(&mut self, into: &mut VecDeque<Message>, max: usize) -> usize {
        let n = self.conn.take_messages(into, max);
        self.taken += n;
        n
    }
}

#[cfg(test)]
mod tests;
