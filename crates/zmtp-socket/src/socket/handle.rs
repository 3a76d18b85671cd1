//! [`Socket`]: a handle of one ZeroMQ socket, generic over its [`Kind`].

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Sleep;
use zmtp_codec::{Message, SocketType};
use zmtp_security::zap::ZapHandler;

use super::inner::Inner;
use super::kind::{self, pattern_for, Kind, Receives, Sends, Typed};
use crate::context::Context;
use crate::core::{Core, Incoming, Outgoing};
use crate::error::{Error, Result};
use crate::monitor::Monitor;
use crate::options::{OptionName, OptionValue, SocketOptions};

/// A ZeroMQ socket of type `K` ([`kind::Push`], [`kind::Router`], ...; each has a name:
/// [`Push`](crate::Push), [`Router`](crate::Router), ...).
///
/// A `Socket` is a handle, shared the way Tokio's own sockets and channels are: its methods take
/// `&self`, it is `Send + Sync`, and cloning it is cheap (a reference count). Any number of tasks
/// may send and receive on clones of one socket at once:
///
/// - concurrent receivers each get whole messages, and each message once;
/// - concurrent senders never interleave the frames of their messages (a [`Message`] is sent
///   whole, under the socket's lock);
/// - REQ and REP keep their strict alternation for the socket as a whole: a second concurrent
///   request on a REQ is [`Error::InvalidState`] (`EFSM`), never a corrupted exchange.
///
/// The socket closes, flushing what it queued for up to `ZMQ_LINGER`, when its last handle is
/// dropped, or when [`close`](Socket::close) is called on any handle.
///
/// Each handle has a [`futures::Sink`] (where the type sends) and a [`futures::Stream`] (where it
/// receives) of its own: a clone starts with an empty sink.
pub struct Socket<K: Kind> {
    inner: Arc<Inner>,
    /// This handle's sink: the message `start_send` was given, until it is sent.
    sink: Mutex<SinkSlot>,
    /// Whether `sink` holds a message (read without its lock on every send).
    sink_held: AtomicBool,
    /// This handle's stream: its receive in progress.
    stream: Incoming,
    _kind: PhantomData<fn() -> K>,
}

/// What a handle's [`futures::Sink`] holds.
#[derive(Default)]
struct SinkSlot {
    out: Option<Outgoing>,
    /// `ZMQ_SNDTIMEO` for the message held, armed when it first has to wait.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<K: Kind> std::fmt::Debug for Socket<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl<K: Kind> Clone for Socket<K> {
    /// Another handle of the same socket, with an empty sink of its own.
    fn clone(&self) -> Self {
        Socket::from_inner(self.inner.clone())
    }
}

impl<K: Typed> Default for Socket<K> {
    fn default() -> Self {
        Socket::new()
    }
}

impl<K: Kind> Socket<K> {
    fn from_inner(inner: Arc<Inner>) -> Self {
        Socket {
            inner,
            sink: Mutex::new(SinkSlot::default()),
            sink_held: AtomicBool::new(false),
            stream: Incoming::default(),
            _kind: PhantomData,
        }
    }

    /// A socket of `socket_type` with `options`, in `context`.
    pub(crate) fn of_type(
        context: &Context,
        socket_type: SocketType,
        options: SocketOptions,
    ) -> Result<Self> {
        let inner = Inner::new(context, socket_type, pattern_for(socket_type), options)?;
        Ok(Socket::from_inner(Arc::new(inner)))
    }

    /// What every handle of the socket shares (the typed methods of `draft.rs` use it).
    pub(super) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The socket's core (the proxy uses it too).
    pub(crate) fn core(&self) -> &Core {
        &self.inner.core
    }

    /// What tells two handles of one socket apart from other sockets (for the proxy).
    pub(crate) fn core_ptr(&self) -> *const () {
        Arc::as_ptr(&self.inner).cast()
    }

    /// The socket type (`ZMQ_TYPE`).
    pub fn socket_type(&self) -> SocketType {
        self.inner.socket_type()
    }

    /// The context the socket belongs to.
    pub fn context(&self) -> &Context {
        self.inner.context()
    }

    /// The socket's options as they are now (`zmq_getsockopt`), a copy.
    pub fn options(&self) -> SocketOptions {
        self.inner.options()
    }

    /// Sets an option on the live socket (`zmq_setsockopt`). Most options apply to
    /// connections made afterwards, as in libzmq ([`OptionName::effect`] says which).
    pub fn set_option(&self, name: OptionName, value: impl Into<OptionValue>) -> Result<()> {
        self.inner.set_option(name, value.into())
    }

    /// Installs the authentication handler that server-side handshakes of connections made
    /// from now on consult. Without one, a socket bound at `inproc://zeromq.zap.01` in the
    /// socket's context answers, as in libzmq (a REP or ROUTER speaking ZAP 1.0); this handler
    /// takes precedence over it.
    pub fn set_zap_handler(&self, handler: impl ZapHandler) {
        self.inner.set_zap_handler(Arc::new(handler));
    }

    /// Binds to an endpoint (`tcp://127.0.0.1:*`); returns the endpoint actually bound
    /// (`ZMQ_LAST_ENDPOINT`: the port the OS chose for `*` or `0`).
    ///
    /// The endpoint comes back as a `String`, not an [`Endpoint`](crate::Endpoint), on
    /// purpose: what one does with it is hand it to `connect` (which takes `&str`, as every
    /// endpoint a user writes is text), to another process, a configuration file or a log,
    /// exactly as libzmq's `ZMQ_LAST_ENDPOINT` is a string. `bind` has already parsed and
    /// checked it; `endpoint.parse::<zmtp::Endpoint>()` gives the typed form (transport,
    /// host, port) when it is needed.
    ///
    /// Cancel safety: not cancel-safe: dropped while a tcp listener is being set up, the
    /// endpoint may or may not be bound.
    pub async fn bind(&self, endpoint: &str) -> Result<String> {
        self.inner.bind(endpoint).await
    }

    /// Connects to an endpoint. The connection is made, and remade after a loss, in the
    /// background (`ZMQ_RECONNECT_IVL`).
    ///
    /// Cancel safety: cancel-safe: it completes at its first poll (the connection itself is
    /// made in the background).
    pub async fn connect(&self, endpoint: &str) -> Result<()> {
        self.inner.connect(endpoint).await
    }

    /// The endpoint of the last successful bind (as bound: with the port the OS chose for `*`,
    /// the path made for `ipc://*`) or connect (`ZMQ_LAST_ENDPOINT`).
    pub fn last_endpoint(&self) -> Option<String> {
        self.inner.last_endpoint()
    }

    /// How many pipes (per-peer queues) the socket holds now: one per live peer, plus those
    /// of peers gone with messages still unread or, after a disconnect, still lingering. For
    /// tests that check a departed peer leaves nothing behind while the socket lives; not part
    /// of the stable API.
    #[doc(hidden)]
    pub fn live_pipes(&self) -> usize {
        self.inner.core.state.lock().pipes.iter().count()
    }

    /// Stops listening on a bound endpoint. As in libzmq, the tcp and ipc connections accepted
    /// through it end too, with what is queued for them; inproc links stay.
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.inner.unbind(endpoint)
    }

    /// Drops a connected endpoint, with what is queued for it.
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.inner.disconnect(endpoint)
    }

    /// A new monitor of the socket (libzmq's `zmq_socket_monitor` with `ZMQ_EVENT_ALL`): a
    /// [`futures::Stream`] of typed [`MonitorEvent`](crate::MonitorEvent)s
    /// (`ZMQ_EVENT_CONNECTED`, `ZMQ_EVENT_LISTENING`, ..., `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`)
    /// from now on, ending after `ZMQ_EVENT_MONITOR_STOPPED` when the socket is closed. A
    /// socket may have several; dropping one unregisters it. Each keeps at most
    /// [`MONITOR_QUEUE`](crate::monitor::MONITOR_QUEUE) unread events, dropping the oldest
    /// beyond that (see [`crate::monitor`]).
    pub fn monitor(&self) -> Monitor {
        self.inner.monitor()
    }

    /// libzmq's `zmq_socket_monitor(socket, endpoint, events)`: binds a PAIR socket at the
    /// `inproc://` `endpoint` in this socket's context, which sends each event whose
    /// `ZMQ_EVENT_*` bit is in `events` ([`EVENT_ALL`](crate::monitor::EVENT_ALL), ...) as
    /// libzmq's two frames (the 16-bit event number and 32-bit value in the machine's byte
    /// order, then the endpoint: [`MonitorEvent::to_message`](crate::MonitorEvent::to_message)).
    /// Connect a PAIR to `endpoint` to read them. Unlike libzmq, which drops events while no
    /// peer is connected, the PAIR waits for one, the events waiting meanwhile in a
    /// [`MONITOR_QUEUE`](crate::monitor::MONITOR_QUEUE)-event queue that drops the oldest. A
    /// new call replaces the previous PAIR (which sends `ZMQ_EVENT_MONITOR_STOPPED` if its mask
    /// has it); an endpoint other than `inproc://` is refused (`EPROTONOSUPPORT`), as in libzmq.
    ///
    /// Cancel safety: not cancel-safe: dropped while the PAIR is being bound, the monitor may
    /// or may not be in place.
    pub async fn monitor_to(&self, endpoint: &str, events: u16) -> Result<()> {
        self.inner.monitor_to(endpoint, events).await
    }

    /// Closes the socket for every handle (`zmq_close`): listeners stop at once, and every send
    /// and receive, on any handle, fails with [`Error::Closed`] from now on (a
    /// [`futures::Stream`] ends). Then waits until the socket's connections have sent what was
    /// queued or `ZMQ_LINGER` ran out, as [`Context::term`] waits for every socket.
    ///
    /// Cancel safety: cancel-safe: the socket is closed at the first poll; dropping the future
    /// only stops waiting for the linger, which goes on in the background.
    pub async fn close(&self) {
        self.inner.shut();
        self.core().finished().await;
    }
}

/// Making a socket of a fixed type.
impl<K: Typed> Socket<K> {
    /// A socket with libzmq's default options, in the process-wide
    /// [`Context::global`].
    ///
    /// # Panics
    /// If that context was terminated ([`Context::term`]); use [`Self::new_in`] to get the
    /// error instead.
    pub fn new() -> Self {
        match Socket::new_in(Context::global()) {
            Ok(socket) => socket,
            Err(e) => panic!("cannot make a socket: {e}"),
        }
    }

    /// A socket with libzmq's default options, in `context` (refused with
    /// [`Error::ContextTerminated`] once it is terminated).
    pub fn new_in(context: &Context) -> Result<Self> {
        Socket::with_options_in(context, SocketOptions::new())
    }

    /// A socket with `options`, refused (naming the option) where libzmq would refuse one of
    /// them for this socket type, in the process-wide [`Context::global`].
    pub fn with_options(options: SocketOptions) -> Result<Self> {
        Socket::with_options_in(Context::global(), options)
    }

    /// A socket with `options`, in `context`.
    pub fn with_options_in(context: &Context, options: SocketOptions) -> Result<Self> {
        Socket::of_type(context, K::TYPE, options)
    }
}

impl<K: Typed> From<Socket<K>> for Socket<kind::Any> {
    /// The same socket, its type now known only at run time (the handle moves; other handles
    /// of the socket keep their type).
    fn from(socket: Socket<K>) -> Self {
        Socket::from_inner(socket.inner.clone())
    }
}

/// Sending (PUSH, DEALER, PAIR, REQ, REP, ROUTER, PUB, XPUB, XSUB, STREAM).
impl<K: Sends> Socket<K> {
    /// Sends a message as the socket type does (see the [`kind`] of the socket): queued for
    /// the next peer in turn, fanned out, routed by its first frame, ... Where the type waits
    /// for room (PUSH, DEALER, PAIR and REQ while every peer's queue is at `ZMQ_SNDHWM` or
    /// there is no peer yet; ROUTER and STREAM with `ZMQ_ROUTER_MANDATORY`; PUB and XPUB with
    /// `ZMQ_XPUB_NODROP`) it waits for at most `ZMQ_SNDTIMEO` ([`Error::Timeout`]; zero:
    /// [`Error::WouldBlock`]). A message this handle's [`futures::Sink`] still holds goes
    /// first; if it cannot go (its `ZMQ_SNDTIMEO` ran out), that error is returned and `msg`
    /// is not sent.
    ///
    /// Cancel safety: cancel-safe in Tokio's sense: if the future is dropped before it
    /// completes, the message was not sent (and is dropped), and the send leaves nothing behind
    /// (a REQ may send again). A message the sink held and had not sent yet stays there.
    pub async fn send(&self, msg: impl Into<Message>) -> Result<()> {
        // The body of `send_message`, written out rather than awaited: a second state machine
        // around every send (the hot path) cost inproc 64 B about 45 instructions a message, and
        // returning `send_message`'s future instead moves it (a 76-instruction copy).
        let msg = msg.into();
        if self.sink_held.load(Ordering::Acquire) {
            std::future::poll_fn(|cx| self.poll_sink(cx)).await?;
        }
        let mut op = SendOp::new(self.core(), msg);
        // Room now (the usual case): done, without building the waiting future.
        if let Poll::Ready(done) = self.core().poll_send(None, &mut op.out) {
            return done;
        }
        let core = self.core();
        within(
            self.inner.sndtimeo(),
            std::future::poll_fn(|cx| core.poll_send(Some(cx), &mut op.out)),
        )
        .await?
    }

    /// Sends messages from the front of `buf`, as tokio's `mpsc::Receiver::recv_many` receives
    /// them, the other way: it waits for the first as [`send`](Socket::send) does (for at most
    /// `ZMQ_SNDTIMEO`), then sends what else can go now without waiting, in order. The ones
    /// sent are removed from the front of `buf`; how many is returned: at least one, or 0 at
    /// once when `buf` is empty. The first that cannot go stays at the front, so a loop of
    /// `send_many` until `buf` is empty sends them all, in order. A PUSH or DEALER queues a run
    /// under one lock (other types send one by one). Errors as `send`'s, for the first message;
    /// then it is still in `buf` (where `send` would have dropped it).
    ///
    /// Cancel safety: cancel-safe: if the future is dropped before it completes, nothing was
    /// sent and `buf` is as it was (a message this handle's sink held may have gone first, as
    /// with `send`).
    pub async fn send_many(&self, buf: &mut Vec<Message>) -> Result<usize> {
        let Some(first) = buf.first() else {
            return Ok(0);
        };
        if self.sink_held.load(Ordering::Acquire) {
            std::future::poll_fn(|cx| self.poll_sink(cx)).await?;
        }
        // The first is sent from a copy (reference counts only): `buf` keeps it until it went.
        let core = self.core();
        let mut op = SendOp::new(core, first.clone());
        let first_sent = match core.poll_send(None, &mut op.out) {
            Poll::Ready(done) => done,
            Poll::Pending => {
                within(
                    self.inner.sndtimeo(),
                    std::future::poll_fn(|cx| core.poll_send(Some(cx), &mut op.out)),
                )
                .await?
            }
        };
        first_sent?;
        let sent = 1 + core.send_more(&mut buf[1..]);
        buf.drain(..sent);
        Ok(sent)
    }

    /// Sends if it can be done now (`ZMQ_DONTWAIT`), else [`Error::WouldBlock`] (the message
    /// is dropped). While this handle's [`futures::Sink`] holds a message not sent yet, it is
    /// [`Error::WouldBlock`] too: a later message never overtakes it.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.try_send_message(msg.into())
    }
}

/// Sending and receiving whole messages as the core takes them, for every kind: the generic
/// [`Sends`] and [`Receives`] methods, and the typed ones of the addressed types (SERVER's
/// `send_to`, ...), which put the address in the message's first frame.
impl<K: Kind> Socket<K> {
    /// [`Socket::send`], for any kind (cancel-safe as it is; `send` writes the same body out).
    pub(crate) async fn send_message(&self, msg: Message) -> Result<()> {
        if self.sink_held.load(Ordering::Acquire) {
            std::future::poll_fn(|cx| self.poll_sink(cx)).await?;
        }
        let mut op = SendOp::new(self.core(), msg);
        // Room now (the usual case): done, without building the waiting future.
        if let Poll::Ready(done) = self.core().poll_send(None, &mut op.out) {
            return done;
        }
        let core = self.core();
        within(
            self.inner.sndtimeo(),
            std::future::poll_fn(|cx| core.poll_send(Some(cx), &mut op.out)),
        )
        .await?
    }

    /// [`Socket::try_send`], for any kind.
    pub(crate) fn try_send_message(&self, msg: Message) -> Result<()> {
        if self.sink_held.load(Ordering::Acquire) {
            return Err(Error::WouldBlock);
        }
        let mut op = SendOp::new(self.core(), msg);
        match self.core().poll_send(None, &mut op.out) {
            Poll::Ready(done) => done,
            Poll::Pending => Err(Error::WouldBlock),
        }
    }

    /// Sends the message the sink holds, if any, waiting for room for at most `ZMQ_SNDTIMEO`
    /// from when it first had to wait (then the message is dropped and the error returned).
    fn poll_sink(&self, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        let mut slot = self.sink.lock();
        let SinkSlot { out, timer } = &mut *slot;
        let Some(pending) = out.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let polled = match self.core().poll_send(Some(cx), pending) {
            Poll::Ready(done) => Poll::Ready(done),
            Poll::Pending => match self.inner.sndtimeo() {
                None => Poll::Pending,
                Some(limit) if limit.is_zero() => Poll::Ready(Err(Error::WouldBlock)),
                Some(limit) => {
                    let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                    match sleep.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Err(Error::Timeout(limit))),
                        Poll::Pending => Poll::Pending,
                    }
                }
            },
        };
        if polled.is_ready() {
            if let Some(mut given_up) = out.take() {
                self.core().abandon_send(&mut given_up);
            }
            *timer = None;
            self.sink_held.store(false, Ordering::Release);
        }
        polled
    }
}

/// Receiving (PULL, DEALER, PAIR, REQ, REP, ROUTER, SUB, XPUB, XSUB, STREAM).
impl<K: Receives> Socket<K> {
    /// The next message, as the socket type receives it (fair-queued from the peers; ROUTER
    /// and STREAM prefix the peer's routing id; REQ takes only its request's reply, REP strips
    /// the envelope), waiting for at most `ZMQ_RCVTIMEO` ([`Error::Timeout`]; zero:
    /// [`Error::WouldBlock`]). Once the socket is closed, [`Error::Closed`]
    /// ([`Error::ContextTerminated`] when its context's termination closed it).
    ///
    /// Cancel safety: cancel-safe: if the future is dropped before it completes, no message was
    /// taken (the next receive, on any handle, gets it).
    pub async fn recv(&self) -> Result<Message> {
        // `recv_message`'s body, written out for the reason `send` gives.
        let core = self.core();
        let mut op = RecvOp::new(core);
        // A message there now (the usual case under load): no waiting future built.
        if let Poll::Ready(done) = core.poll_recv(None, &mut op.incoming) {
            return done;
        }
        within(
            self.inner.rcvtimeo(),
            std::future::poll_fn(|cx| core.poll_recv(Some(cx), &mut op.incoming)),
        )
        .await?
    }

    /// The next message if one is there (`ZMQ_DONTWAIT`), else [`Error::WouldBlock`].
    pub fn try_recv(&self) -> Result<Message> {
        self.try_recv_message()
    }

    /// Receives up to `limit` messages at once, appended to `buf`, as tokio's
    /// `mpsc::Receiver::recv_many`: it waits for the first as [`recv`](Socket::recv) does (for
    /// at most `ZMQ_RCVTIMEO`), then takes what else the socket holds now, in the order `recv`
    /// would give it, up to `limit` in all, under one lock. How many were appended: at least
    /// one, or 0 at once when `limit` is 0. Errors as `recv`'s; concurrent receivers, on any
    /// handle, each get whole messages, each message once.
    ///
    /// Cancel safety: cancel-safe: if the future is dropped before it completes, no message was
    /// taken and `buf` is as it was.
    pub async fn recv_many(&self, buf: &mut Vec<Message>, limit: usize) -> Result<usize> {
        if limit == 0 {
            return Ok(0);
        }
        let core = self.core();
        let mut op = RecvOp::new(core);
        if let Poll::Ready(done) = core.poll_recv_many(None, &mut op.incoming, buf, limit) {
            return done;
        }
        within(
            self.inner.rcvtimeo(),
            std::future::poll_fn(|cx| core.poll_recv_many(Some(cx), &mut op.incoming, buf, limit)),
        )
        .await?
    }
}

impl<K: Kind> Socket<K> {
    /// [`Socket::recv`], for any kind (cancel-safe as it is; `recv` writes the same body out).
    pub(crate) async fn recv_message(&self) -> Result<Message> {
        let core = self.core();
        let mut op = RecvOp::new(core);
        // A message there now (the usual case under load): no waiting future built.
        if let Poll::Ready(done) = core.poll_recv(None, &mut op.incoming) {
            return done;
        }
        within(
            self.inner.rcvtimeo(),
            std::future::poll_fn(|cx| core.poll_recv(Some(cx), &mut op.incoming)),
        )
        .await?
    }

    /// [`Socket::try_recv`], for any kind.
    pub(crate) fn try_recv_message(&self) -> Result<Message> {
        let mut op = RecvOp::new(self.core());
        match self.core().poll_recv(None, &mut op.incoming) {
            Poll::Ready(done) => done,
            Poll::Pending => Err(Error::WouldBlock),
        }
    }
}

impl<K: Kind> Socket<K> {
    /// `ZMQ_SUBSCRIBE` or `ZMQ_UNSUBSCRIBE` with `prefix`, as `zmq_setsockopt` takes them.
    fn subscription_option(&self, name: OptionName, prefix: &[u8]) -> Result<()> {
        self.set_option(name, bytes::Bytes::copy_from_slice(prefix))
    }
}

impl Socket<kind::Sub> {
    /// Subscribes to messages whose first frame starts with `prefix` (`ZMQ_SUBSCRIBE`; the
    /// empty prefix matches every message).
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.subscription_option(OptionName::Subscribe, prefix.as_ref())
    }

    /// Removes one subscription to `prefix` (`ZMQ_UNSUBSCRIBE`); the publishers hear of it when
    /// the last one goes.
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.subscription_option(OptionName::Unsubscribe, prefix.as_ref())
    }
}

impl Socket<kind::XSub> {
    /// Subscribes to `prefix`: what sending the message `[1, prefix...]` does.
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.inner.subscription(true, prefix.as_ref())
    }

    /// Cancels one subscription to `prefix`: what sending `[0, prefix...]` does (the publishers
    /// hear of it when the last one goes).
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.inner.subscription(false, prefix.as_ref())
    }
}

impl Socket<kind::XPub> {
    /// With `ZMQ_XPUB_MANUAL` on, adds `prefix` to the subscriptions of the subscriber
    /// (peer) whose subscription message this XPUB received last (`ZMQ_SUBSCRIBE` on an XPUB):
    /// that is how a manual XPUB passes on, or rewrites, a subscription it was asked for.
    /// The XPUB itself subscribes to nothing (it is a publisher); without `ZMQ_XPUB_MANUAL` the
    /// call is refused, as libzmq refuses it.
    pub fn subscribe_last_peer(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.subscription_option(OptionName::Subscribe, prefix.as_ref())
    }

    /// With `ZMQ_XPUB_MANUAL` on, removes `prefix` from the subscriptions of the subscriber
    /// whose subscription message this XPUB received last (`ZMQ_UNSUBSCRIBE` on an XPUB).
    pub fn unsubscribe_last_peer(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.subscription_option(OptionName::Unsubscribe, prefix.as_ref())
    }
}

impl Socket<kind::Any> {
    /// What `subscribe` does for the socket's type: a SUB's or XSUB's subscription, an XPUB's
    /// [`subscribe_last_peer`](Socket::subscribe_last_peer); refused by the other types
    /// (`ZMQ_SUBSCRIBE` does not apply to them: [`Error::Option`], `EINVAL` in libzmq).
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        match self.socket_type() {
            SocketType::XSub => self.inner.subscription(true, prefix.as_ref()),
            _ => self.subscription_option(OptionName::Subscribe, prefix.as_ref()),
        }
    }

    /// What `unsubscribe` does for the socket's type (see [`Socket::subscribe`] above).
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        match self.socket_type() {
            SocketType::XSub => self.inner.subscription(false, prefix.as_ref()),
            _ => self.subscription_option(OptionName::Unsubscribe, prefix.as_ref()),
        }
    }
}

/// This handle's received messages, ending when the socket is closed. Each handle's stream is
/// its own; messages go to whichever receiver (stream or `recv`, on any handle) takes them
/// first.
impl<K: Receives> futures::Stream for Socket<K> {
    type Item = Result<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.inner.core.poll_recv(Some(cx), &mut this.stream) {
            Poll::Ready(Err(Error::Closed)) => Poll::Ready(None),
            Poll::Ready(item) => Poll::Ready(Some(item)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Messages sent as [`Socket::send`] sends them. The sink holds the item it is given until it
/// is sent, waiting for room for at most `ZMQ_SNDTIMEO` from when it first waits (then the
/// message is dropped and the error returned). A message still held when the handle is
/// dropped is queued whatever the high-water mark says, so `ZMQ_LINGER` covers it; a later
/// [`Socket::send`] on the same handle sends it first.
impl<K: Sends> futures::Sink<Message> for Socket<K> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.poll_sink(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<()> {
        let this = self.get_mut();
        let slot = this.sink.get_mut();
        if slot.out.is_some() {
            return Err(Error::InvalidState(
                "start_send on a sink that holds a message: poll_ready first",
            ));
        }
        slot.out = Some(Outgoing::new(item));
        slot.timer = None;
        this.sink_held.store(true, Ordering::Release);
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.poll_sink(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Result<()>> {
        self.poll_sink(cx)
    }
}

impl<K: Kind> Drop for Socket<K> {
    fn drop(&mut self) {
        if let Some(held) = self.sink.get_mut().out.take() {
            self.inner.core.send_on_drop(held);
        }
        self.inner.core.abandon_recv(&mut self.stream);
    }
}

/// A send in progress, given up if dropped before it went.
struct SendOp<'a> {
    core: &'a Core,
    out: Outgoing,
}

impl<'a> SendOp<'a> {
    fn new(core: &'a Core, msg: Message) -> Self {
        SendOp {
            core,
            out: Outgoing::new(msg),
        }
    }
}

impl Drop for SendOp<'_> {
    fn drop(&mut self) {
        self.core.abandon_send(&mut self.out);
    }
}

/// A receive in progress, its waiter removed if dropped.
struct RecvOp<'a> {
    core: &'a Core,
    incoming: Incoming,
}

impl<'a> RecvOp<'a> {
    fn new(core: &'a Core) -> Self {
        RecvOp {
            core,
            incoming: Incoming::default(),
        }
    }
}

impl Drop for RecvOp<'_> {
    fn drop(&mut self) {
        self.core.abandon_recv(&mut self.incoming);
    }
}

/// Runs `wait` for at most `limit` (`ZMQ_SNDTIMEO` / `ZMQ_RCVTIMEO`: `None` waits for ever, zero
/// does not wait at all).
pub(crate) async fn within<T>(limit: Option<Duration>, wait: impl Future<Output = T>) -> Result<T> {
    match limit {
        None => Ok(wait.await),
        Some(limit) if limit.is_zero() => Err(Error::WouldBlock),
        Some(limit) => tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| Error::Timeout(limit)),
    }
}
