//! Socket patterns: what each socket type does with its pipes, one module per pattern.
//!
//! The core ([`super::Core`]) owns the pipes and the lock; a socket's [`Pattern`] decides, under
//! that lock, where a message goes, which message is received next, what a peer's subscriptions
//! do and how a new peer is named. Patterns do no I/O and never wait: a pattern answers
//! `Pending` and the core registers the waiter.
//!
//! | pattern | module | socket types |
//! |---|---|---|
//! | load balancing out, fair queueing in | [`load_balance`] | PUSH, PULL, DEALER |
//! | exclusive pair | [`pair`] | PAIR |
//! | request / reply | [`request_reply`] | REQ, REP |
//! | identity routing | [`routing`] | ROUTER |
//! | publish / subscribe | [`pubsub`] | PUB, XPUB, SUB, XSUB |
//! | raw stream | [`stream`] | STREAM (and ROUTER with `ZMQ_ROUTER_RAW`) |
//! | single-frame (an existing pattern, one frame a message) | [`single_frame`] | CLIENT (DEALER's), SCATTER (PUSH's), GATHER (PULL's), CHANNEL (PAIR's) |
//! | routing by 32-bit id | [`server`] | SERVER, PEER |
//! | groups | [`radio_dish`] | RADIO, DISH |

pub(crate) mod load_balance;
pub(crate) mod pair;
pub(crate) mod pubsub;
pub(crate) mod radio_dish;
pub(crate) mod request_reply;
pub(crate) mod routing;
pub(crate) mod server;
pub(crate) mod single_frame;
pub(crate) mod stream;
pub(crate) mod subscriptions;

use std::fmt;
use std::task::Poll;

use bytes::Bytes;
use zmtp_codec::Message;

use super::pipe::{PipeId, PipeItem};
use super::pipes::Pipes;
use super::waiters::Wake;
use crate::error::{Error, Result};
use crate::options::SocketOptions;

/// Where a send went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sent {
    /// Handled (queued on pipes by the pattern, or dropped as the pattern drops it).
    Done,
    /// To be queued on the pipe at this key (which has room): the core does it, writing it
    /// straight to an idle connection or an inproc peer where it can.
    To(usize),
}

/// How a socket's raw connections behave (see [`crate::engine::raw`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawMode {
    /// Each connection's start and end reach the application as an empty message
    /// (`ZMQ_STREAM_NOTIFY`).
    pub(crate) notify: bool,
    /// `inproc://` is refused (STREAM; a ROUTER with `ZMQ_ROUTER_RAW` links over inproc as a
    /// ROUTER, libzmq's raw mode being a property of its stream engines).
    pub(crate) inproc_refused: bool,
}

/// What a socket type does with its pipes. Every method runs under the socket's lock, so a
/// pattern's state needs no lock of its own, and is called by one task at a time.
pub(crate) trait Pattern: Send + fmt::Debug {
    /// Takes the options it consults, at creation and after each `zmq_setsockopt`.
    fn configure(&mut self, options: &SocketOptions) {
        let _ = options;
    }

    /// Whether a peer whose handshake completed may attach (PAIR: one at a time).
    fn admits(&self, pipes: &Pipes, key: usize) -> bool {
        let _ = (pipes, key);
        true
    }

    /// The pipe at `key` was attached; `identity` is the routing id its peer announced.
    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        let _ = (pipes, key, identity, wake);
    }

    /// The connection serving the pipe at `key` is gone; `for_good`: the pipe will not be
    /// served again (its routing id may go to another).
    fn detached(&mut self, pipes: &mut Pipes, key: usize, for_good: bool, wake: &mut Wake) {
        let _ = (pipes, key, for_good, wake);
    }

    /// Whether items from peers go through [`Pattern::inbound`]; if not, their messages are
    /// queued as they come and anything else is dropped.
    fn filters_inbound(&self) -> bool {
        false
    }

    /// An item from the peer of pipe `from`: the message to queue for the application, if any.
    fn inbound(
        &mut self,
        pipes: &mut Pipes,
        from: PipeId,
        item: PipeItem,
        wake: &mut Wake,
    ) -> Option<Message> {
        let _ = (pipes, from, wake);
        match item {
            PipeItem::Message(m) => Some(m),
            PipeItem::Subscribe(_) | PipeItem::Cancel(_) => None,
        }
    }

    /// Starts a send: checks the message in `msg` and puts it in its wire shape in place (REQ's
    /// envelope, REP's), or does the whole send and empties `msg` (an XSUB's subscription).
    /// On an error the message is dropped. By default: a message needs a frame, and goes as
    /// it is (a pattern that does not send refuses in [`Pattern::poll_send`]).
    #[inline]
    fn prepare_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Result<()> {
        let _ = (pipes, wake);
        check_non_empty(msg)
    }

    /// Whether a send is plain load balancing, as PUSH's and DEALER's: a message needs a frame,
    /// goes as it is, to the next pipe in turn with room ([`check_non_empty`] then
    /// [`poll_send_lb`]). The core then does the first step of a send itself, with no call
    /// through the pattern per message (about a tenth of an inproc send's instructions); the
    /// pattern's [`Pattern::prepare_send`] and [`Pattern::poll_send`] must do the same.
    fn sends_load_balanced(&self) -> bool {
        false
    }

    /// Whether a receive is plain fair queueing, as PULL's, DEALER's and PAIR's: the next
    /// message in fair-queueing order, as it came ([`poll_recv_fq`]). The core then takes it
    /// itself, with no call through the pattern per message; the pattern's
    /// [`Pattern::poll_recv`] must do the same.
    fn receives_fair_queued(&self) -> bool {
        false
    }

    /// Sends the prepared `msg`, or answers `Pending` while it must wait for room (the message
    /// stays in `msg`).
    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        let _ = (pipes, msg, wake);
        Poll::Ready(Err(Error::InvalidState("this socket type does not send")))
    }

    /// A send's first step: [`Pattern::prepare_send`], then [`Pattern::poll_send`] if the
    /// message is still to go. One call where the core holds the pattern behind a pointer, so
    /// that the two steps are inlined together (the common send goes in one step).
    #[inline]
    fn start_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        if let Err(e) = self.prepare_send(pipes, msg, wake) {
            return Poll::Ready(Err(e));
        }
        if msg.is_none() {
            return Poll::Ready(Ok(Sent::Done));
        }
        self.poll_send(pipes, msg, wake)
    }

    /// A prepared send was given up (its future dropped, or timed out) before it went.
    fn send_abandoned(&mut self) {}

    /// Where a message a closing handle still holds goes, whatever the marks say (so that
    /// `ZMQ_LINGER` covers it): the pipe's key, or `None` to drop it.
    fn linger_target(&mut self, pipes: &mut Pipes, msg: &mut Message) -> Option<usize> {
        let _ = (pipes, msg);
        None
    }

    /// The next message for the application, or `Pending` when there is none now.
    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        let _ = (pipes, wake);
        Poll::Ready(Err(Error::InvalidState(
            "this socket type does not receive",
        )))
    }

    /// `ZMQ_SUBSCRIBE` / `ZMQ_UNSUBSCRIBE` (SUB, XSUB; XPUB with `ZMQ_XPUB_MANUAL`).
    fn subscribe(
        &mut self,
        pipes: &mut Pipes,
        subscribe: bool,
        prefix: &[u8],
        wake: &mut Wake,
    ) -> Result<()> {
        let _ = (pipes, subscribe, prefix, wake);
        Err(Error::InvalidState("this socket type does not subscribe"))
    }

    /// `ZMQ_CONNECT_RID`: names a pipe this socket connects, before its connection exists, so
    /// that it can be addressed at once (ROUTER, REP, STREAM; other patterns ignore it).
    fn set_connect_rid(&mut self, pipes: &mut Pipes, id: PipeId, routing_id: Bytes) {
        let _ = (pipes, id, routing_id);
    }

    /// A pipe was made for a connect (before its connection exists): SERVER and PEER name it at
    /// once, so that a PEER's connect can answer the new peer's routing id.
    fn connecting(&mut self, pipes: &mut Pipes, id: PipeId) {
        let _ = (pipes, id);
    }

    /// Whether the socket's tcp and ipc connections exchange raw bytes instead of ZMTP
    /// (STREAM, and ROUTER with `ZMQ_ROUTER_RAW`).
    fn raw(&self) -> Option<RawMode> {
        None
    }

    /// Whether `ZMQ_CONFLATE` acts on this socket type: libzmq applies it on DEALER, PULL,
    /// PUSH, PUB and SUB only, and the other types take the option and ignore it.
    fn conflates(&self) -> bool {
        false
    }

    /// Whether a sender may write to an idle connection itself, and a receiver read it (REQ and
    /// REP: one message in flight at a time, where a stream of sends is better batched by the
    /// connection's task).
    fn inline_io(&self) -> bool {
        false
    }
}

/// Refuses a message without frames.
#[inline]
pub(crate) fn non_empty(msg: Message) -> Result<Message> {
    if msg.is_empty() {
        Err(Error::EmptyMessage)
    } else {
        Ok(msg)
    }
}

/// Refuses a message without frames, in place (no move of the message).
#[inline]
pub(crate) fn check_non_empty(msg: &Option<Message>) -> Result<()> {
    match msg {
        Some(m) if !m.is_empty() => Ok(()),
        _ => Err(Error::EmptyMessage),
    }
}

/// Fan-out (PUB, XPUB, RADIO): the message in `msg` to each pipe of `targets` that is attached
/// and has room (others miss it, as libzmq drops for them), cloned for all but the last, which
/// takes it.
#[inline]
pub(crate) fn fan_out(
    pipes: &mut Pipes,
    targets: &[usize],
    msg: &mut Option<Message>,
    wake: &mut Wake,
) {
    let mut m = msg.take();
    let n = targets.len();
    for (i, &k) in targets.iter().enumerate() {
        let Some(pipe) = pipes.at_mut(k) else {
            continue;
        };
        if !pipe.attached || !pipe.has_room() {
            continue;
        }
        let copy = if i + 1 == n { m.take() } else { m.clone() };
        if let Some(copy) = copy {
            pipe.push_outbound(copy);
            wake.push(pipe.writer.take());
        }
    }
}

/// Load-balanced send: the next pipe in turn with room, or `Pending`.
#[inline]
pub(crate) fn poll_send_lb(pipes: &mut Pipes) -> Poll<Result<Sent>> {
    match pipes.pick_lb() {
        Some(key) => Poll::Ready(Ok(Sent::To(key))),
        None => Poll::Pending,
    }
}

/// Fair-queued receive: the next message from the next pipe in turn, or `Pending`.
#[inline]
pub(crate) fn poll_recv_fq(pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
    match pipes.pop_message(wake) {
        Some(msg) => Poll::Ready(Ok(msg)),
        None => Poll::Pending,
    }
}
