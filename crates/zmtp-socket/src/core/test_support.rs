//! Helpers shared by the core's unit tests (`core/tests.rs` and the patterns' test modules): a
//! core for a socket type, pipes attached to it, items moved in and out as a connection moves
//! them, and sends and receives as the application makes them, without a runtime.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use zmtp_codec::{Message, SocketType};

use super::direct::{DirectOut, Flow};
use super::{Core, Incoming, Outbound, Outgoing, PipeId, PipeItem};
use crate::error::Result;
use crate::options::SocketOptions;
use crate::socket::kind::pattern_for;

/// A context whose waker does nothing.
pub(crate) fn cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

/// Options with these marks (`ZMQ_SNDHWM`, `ZMQ_RCVHWM`), to build on.
pub(crate) fn marks(sndhwm: i32, rcvhwm: i32) -> SocketOptions {
    SocketOptions::new().sndhwm(sndhwm).rcvhwm(rcvhwm)
}

/// `options` built, and checked valid for `socket_type`.
pub(crate) fn built(socket_type: SocketType, options: SocketOptions) -> SocketOptions {
    options.build_for(socket_type).expect("valid options")
}

/// A core for `socket_type`, configured by `options`.
pub(crate) fn core_with(socket_type: SocketType, options: SocketOptions) -> Arc<Core> {
    Core::new(pattern_for(socket_type), &built(socket_type, options))
}

/// Sets `options` on the live socket of `socket_type` that `core` serves.
pub(crate) fn reconfigure(core: &Core, socket_type: SocketType, options: SocketOptions) {
    core.configure(&built(socket_type, options));
}

/// A core for `socket_type` with these marks.
pub(crate) fn core(socket_type: SocketType, sndhwm: i32, rcvhwm: i32) -> Arc<Core> {
    core_with(socket_type, marks(sndhwm, rcvhwm))
}

/// Attaches `pipe` as served by a connection whose peer announced `identity`.
pub(crate) fn attach(core: &Core, pipe: PipeId, identity: Option<&'static str>) -> bool {
    core.attach_peer(
        pipe,
        identity
            .map(|id| Bytes::from_static(id.as_bytes()))
            .as_ref(),
    )
}

/// A new pipe (not queueing while detached), attached to a peer that announced `identity`.
pub(crate) fn attached(core: &Core, identity: Option<&'static str>) -> PipeId {
    let pipe = core.add_pipe(false);
    assert!(attach(core, pipe, identity), "the peer is admitted");
    pipe
}

/// Connects `a` and `b` as an inproc link does: a pipe on each, attached, and a direct path
/// each way (see [`link_direct`]). Returns `a`'s pipe and `b`'s.
pub(crate) fn inproc_pair(a: &Arc<Core>, b: &Arc<Core>) -> (PipeId, PipeId) {
    let (a_pipe, b_pipe) = (attached(a, None), attached(b, None));
    link_direct(a, a_pipe, b, b_pipe);
    (a_pipe, b_pipe)
}

/// Gives the attached pipes `a_pipe` of `a` and `b_pipe` of `b` a direct path each way, as an
/// inproc link does, each bounded by the sender's `ZMQ_SNDHWM` plus the receiver's
/// `ZMQ_RCVHWM`.
pub(crate) fn link_direct(a: &Arc<Core>, a_pipe: PipeId, b: &Arc<Core>, b_pipe: PipeId) {
    let ((a_snd, a_rcv), (b_snd, b_rcv)) = (a.hwm(), b.hwm());
    let a_to_b = Arc::new(Flow::new(a_snd, b_rcv));
    let b_to_a = Arc::new(Flow::new(b_snd, a_rcv));
    a.set_direct(
        a_pipe,
        DirectOut {
            core: b.clone(),
            pipe: b_pipe,
            flow: a_to_b.clone(),
        },
        b_to_a.clone(),
    );
    b.set_direct(
        b_pipe,
        DirectOut {
            core: a.clone(),
            pipe: a_pipe,
            flow: b_to_a,
        },
        a_to_b,
    );
}

/// Delivers `items` from the pipe's connection, all of which must fit.
pub(crate) fn deliver<I>(core: &Core, pipe: PipeId, items: I)
where
    I: IntoIterator,
    I::Item: Into<PipeItem>,
{
    let mut from: VecDeque<PipeItem> = items.into_iter().map(Into::into).collect();
    assert!(
        core.deliver_inbound(pipe, &mut cx(), &mut from),
        "everything delivered"
    );
}

/// Everything the pipe's connection would take now, encoded at once (see [`settle`]).
pub(crate) fn outbound(core: &Core, pipe: PipeId) -> Vec<PipeItem> {
    take(core, pipe, usize::MAX).1
}

/// The pipe's connection has encoded what it took and comes back, taking nothing yet: what it
/// took stops counting against `ZMQ_SNDHWM` (see [`Pipe::lent`](super::Pipe::lent)).
pub(crate) fn settle(core: &Core, pipe: PipeId) {
    core.take_outbound(pipe, &mut cx(), 0, &mut VecDeque::new());
}

/// The messages of `items` (panics on a subscription).
pub(crate) fn messages(items: impl IntoIterator<Item = PipeItem>) -> Vec<Message> {
    items
        .into_iter()
        .map(|item| match item {
            PipeItem::Message(m) => m,
            other => panic!("a message expected: {other:?}"),
        })
        .collect()
}

/// The messages the pipe's connection would take now.
pub(crate) fn outbound_messages(core: &Core, pipe: PipeId) -> Vec<Message> {
    messages(outbound(core, pipe))
}

/// One take of up to `max` items by the pipe's connection, encoded at once (see [`settle`]):
/// what it answered, and the items.
pub(crate) fn take(core: &Core, pipe: PipeId, max: usize) -> (Outbound, Vec<PipeItem>) {
    let mut into = VecDeque::new();
    let taken = core.take_outbound(pipe, &mut cx(), max, &mut into);
    settle(core, pipe);
    (taken, into.into())
}

/// One poll of a new send of `msg`, registering no waker; a pending send is given up.
pub(crate) fn send(core: &Core, msg: impl Into<Message>) -> Poll<Result<()>> {
    let mut out = Outgoing::new(msg.into());
    let polled = core.poll_send(None, &mut out);
    if polled.is_pending() {
        core.abandon_send(&mut out);
    }
    polled
}

/// Sends `msg`, which must go at once.
pub(crate) fn sent(core: &Core, msg: impl Into<Message>) {
    match send(core, msg) {
        Poll::Ready(Ok(())) => {}
        other => panic!("sent expected: {other:?}"),
    }
}

/// One poll of a receive, registering no waker.
pub(crate) fn recv(core: &Core) -> Poll<Result<Message>> {
    core.poll_recv(None, &mut Incoming::default())
}

/// The message a receive gets now, if any (an error panics).
pub(crate) fn received(core: &Core) -> Option<Message> {
    match recv(core) {
        Poll::Ready(Ok(m)) => Some(m),
        Poll::Pending => None,
        Poll::Ready(Err(e)) => panic!("a message or nothing expected: {e:?}"),
    }
}

/// A waker that counts its wakes.
#[derive(Debug, Default)]
pub(crate) struct CountingWaker(AtomicUsize);

impl CountingWaker {
    /// A new counter and a waker for it.
    pub(crate) fn new() -> (Arc<CountingWaker>, Waker) {
        let count = Arc::new(CountingWaker::default());
        let waker = Waker::from(count.clone());
        (count, waker)
    }

    /// How many times it was woken.
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
