//! The state a socket shares with its connection tasks: its pipes, its pattern, and the wakers
//! of whoever waits on them. One short lock guards it; every operation on it is O(1) per message
//! (amortised) and wakes a task only when that task sleeps.
//!
//! The application side (send, receive, subscribe: any number of tasks at once, each a handle
//! of the socket) and the connection side (take outbound items, deliver inbound ones) meet here.
//! Connection tasks move items in batches: one lock per read or write, not per message. What a
//! socket type does with its pipes is its [`pattern::Pattern`], called under the lock.
//!
//! The application's calls (send, receive, and what a dropped one leaves) are in `app.rs`; this
//! file holds the state and what connections and the socket's own tasks call.

mod app;
pub(crate) mod direct;
pub(crate) mod pattern;
pub(crate) mod pipe;
pub(crate) mod pipes;
#[cfg(test)]
pub(crate) mod test_support;
pub(crate) mod waiters;

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::task::{Context, Waker};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::{Mutex, MutexGuard};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zmtp_codec::Message;

pub(crate) use app::{Incoming, Outgoing};
pub(crate) use direct::{DirectOut, Flow};
use pattern::{Pattern, RawMode};
use pipe::InlineLink;
pub(crate) use pipe::{ItemSource, Pipe, PipeId, PipeItem};
use pipes::Pipes;
use waiters::Wake;

use crate::options::SocketOptions;

/// A socket's shared core.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) state: Mutex<State>,
    /// Cancelled when the socket closes: what waits for that (listeners) stops.
    closing: CancellationToken,
    /// The socket's tasks (listeners, connecters, connections, inproc links), for
    /// [`Core::finished`].
    tasks: TaskTracker,
    /// Wakes every task waiting to send: an inproc peer's flow holds it, so that one read
    /// there lets all of this socket's senders look again.
    send_wake: Waker,
    /// The pattern sends by plain load balancing ([`Pattern::sends_load_balanced`]): a send
    /// picks its pipe here, without a call through the pattern.
    sends_load_balanced: bool,
    /// The pattern receives by plain fair queueing ([`Pattern::receives_fair_queued`]): a
    /// receive takes the next message here, without a call through the pattern.
    receives_fair_queued: bool,
}

/// What the lock guards.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) pipes: Pipes,
    pattern: Box<dyn Pattern>,
}

/// The waker a flow holds for a socket's senders (see [`Core::send_wake`]). It takes the
/// socket's lock: nothing may wake it while holding that lock (a flow never wakes in place).
struct SendWake(Weak<Core>);

impl std::task::Wake for SendWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(core) = self.0.upgrade() {
            let mut wake = Wake::default();
            core.state.lock().pipes.send_waiters.wake_all(&mut wake);
            wake.run();
        }
    }
}

/// A connection a sender may write to from its own task while the connection is idle, instead
/// of queueing the message and waking the connection's task (which, on the context's I/O
/// thread, is a wake-up across threads): libzmq's engine likewise writes at once when output
/// restarts. Only the patterns with one message in flight at a time list their connections
/// for it ([`Pattern::inline_io`]: REQ, REP); streams are better batched by the connection task.
pub(crate) trait InlineSend: Send + Sync {
    /// Encodes `msg` and writes it now if the connection is idle and free; `state` is the
    /// socket's lock, held by the sender, released once the message is encoded. Otherwise gives
    /// both back, and the message goes through the pipe.
    fn try_send<'g>(
        &self,
        msg: Message,
        state: MutexGuard<'g, State>,
    ) -> std::result::Result<(), (Message, MutexGuard<'g, State>)>;

    /// Reads what the transport has, if the connection is idle and free, and delivers the
    /// messages to the pipe; from then on the transport wakes `receiver` too. Returns whether
    /// messages were delivered. Called without the socket's lock held.
    fn try_read(&self, receiver: &Waker) -> bool;
}

/// What a connection task got from [`Core::take_outbound`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outbound {
    /// Items were moved into the caller's queue.
    Taken,
    /// Nothing to send; the task's waker is registered.
    Empty,
    /// The socket is closed and the pipe is drained: the connection can end.
    Finished,
}

impl Core {
    /// A socket core with `pattern`, configured by `options`.
    pub(crate) fn new(pattern: Box<dyn Pattern>, options: &SocketOptions) -> Arc<Core> {
        let sends_load_balanced = pattern.sends_load_balanced();
        let receives_fair_queued = pattern.receives_fair_queued();
        let core = Arc::new_cyclic(|me: &Weak<Core>| Core {
            state: Mutex::new(State {
                pipes: Pipes::default(),
                pattern,
            }),
            closing: CancellationToken::new(),
            tasks: TaskTracker::new(),
            send_wake: Waker::from(Arc::new(SendWake(me.clone()))),
            sends_load_balanced,
            receives_fair_queued,
        });
        core.configure(options);
        core
    }

    /// Gives the pattern the options as they are now, and the pipes their marks: at creation,
    /// and after each option set on the live socket.
    pub(crate) fn configure(&self, options: &SocketOptions) {
        let hwm = |v: i32| usize::try_from(v).unwrap_or(0);
        let (sndhwm, rcvhwm) = (hwm(options.get_sndhwm()), hwm(options.get_rcvhwm()));
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            st.pattern.configure(options);
            let conflate = options.get_conflate() && st.pattern.conflates();
            let pipes = &mut st.pipes;
            pipes.conflate = conflate;
            pipes.probe_router = options.get_probe_router();
            if (pipes.sndhwm, pipes.rcvhwm) != (sndhwm, rcvhwm) {
                pipes.sndhwm = sndhwm;
                pipes.rcvhwm = rcvhwm;
                set_marks(pipes, sndhwm, rcvhwm, &mut wake);
            }
        }
        wake.run();
    }

    /// The marks new pipes take: (`ZMQ_SNDHWM`, `ZMQ_RCVHWM`).
    pub(crate) fn hwm(&self) -> (usize, usize) {
        let st = self.state.lock();
        (st.pipes.sndhwm, st.pipes.rcvhwm)
    }

    /// Whether the socket's tcp and ipc connections speak raw bytes (see [`RawMode`]).
    pub(crate) fn raw(&self) -> Option<RawMode> {
        self.state.lock().pattern.raw()
    }

    /// Whether the socket's connections take inline sends and reads ([`Pattern::inline_io`]).
    pub(crate) fn inline_io(&self) -> bool {
        self.state.lock().pattern.inline_io()
    }

    /// Creates a pipe, not yet attached to a live connection. With `queue_while_detached` (a
    /// connecting socket without `ZMQ_IMMEDIATE`) it joins load balancing at once, so messages
    /// queue for the connection to come, as in libzmq.
    pub(crate) fn add_pipe(&self, queue_while_detached: bool) -> PipeId {
        let mut wake = Wake::default();
        let id = {
            let mut st = self.state.lock();
            let pipes = &mut st.pipes;
            let id = pipes.insert();
            if queue_while_detached {
                if let Some(pipe) = pipes.get_mut(id) {
                    pipe.queue_while_detached = true;
                }
                pipes.join_lb(id.key);
                pipes.send_waiters.wake_all(&mut wake);
            }
            id
        };
        wake.run();
        id
    }

    /// Names a pipe this socket connects before its connection exists (`ZMQ_CONNECT_RID`).
    pub(crate) fn set_connect_rid(&self, id: PipeId, routing_id: Bytes) {
        let mut st = self.state.lock();
        let State { pipes, pattern } = &mut *st;
        pattern.set_connect_rid(pipes, id, routing_id);
    }

    /// Marks a pipe as a `udp://` one, before it is attached (see [`pipe::Pipe::datagram`]).
    pub(crate) fn mark_datagram(&self, id: PipeId) {
        if let Some(pipe) = self.state.lock().pipes.get_mut(id) {
            pipe.datagram = true;
        }
    }

    /// Tells the pattern a pipe was made for a connect ([`pattern::Pattern::connecting`]).
    pub(crate) fn connecting(&self, id: PipeId) {
        let mut st = self.state.lock();
        let State { pipes, pattern } = &mut *st;
        pattern.connecting(pipes, id);
    }

    /// Lists the connection a sender may write to directly while it is idle (it serves the
    /// pipe, handshake done).
    pub(crate) fn set_inline(&self, id: PipeId, link: Weak<dyn InlineSend>) {
        if let Some(pipe) = self.state.lock().pipes.get_mut(id) {
            pipe.link = Some(InlineLink(link));
        }
    }

    /// Marks the pipe as served by a live, handshaken connection whose peer announced
    /// `identity`: it joins load balancing, and the pattern names and greets it. Returns
    /// `false` when the pattern refuses the peer (PAIR has one already) or the pipe is gone (a
    /// `ZMQ_ROUTER_HANDOVER` took its routing id): the connection should end.
    pub(crate) fn attach_peer(&self, id: PipeId, identity: Option<&Bytes>) -> bool {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            let probe = pipes.probe_router;
            let Some(pipe) = pipes.get_mut(id) else {
                return false;
            };
            if pipe.disconnected {
                // Disconnected: the connection only writes out what is queued.
                return true;
            }
            if pipe.terminated {
                return false;
            }
            if pipe.attached {
                return true;
            }
            if !pattern.admits(pipes, id.key) {
                return false;
            }
            let Some(pipe) = pipes.get_mut(id) else {
                return false;
            };
            pipe.attached = true;
            if probe && !pipe.probed {
                // ZMQ_PROBE_ROUTER: an empty message first, so a ROUTER peer learns our id.
                pipe.probed = true;
                pipe.outbound
                    .push_front(PipeItem::Message(Message::single(Bytes::new())));
                wake.push(pipe.writer.take());
            }
            pipes.join_lb(id.key);
            pattern.attached(pipes, id.key, identity, &mut wake);
            // A sender blocked for lack of peers may go now.
            pipes.send_waiters.wake_all(&mut wake);
        }
        wake.run();
        true
    }

    /// The connection serving the pipe is gone. With `keep`, the pipe stays for the next
    /// connection (a connecting socket reconnects; its queued messages wait, as in libzmq);
    /// otherwise its outbound messages are dropped and it goes once its inbound ones are read.
    pub(crate) fn detach(&self, id: PipeId, keep: bool) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            let Some(pipe) = pipes.get_mut(id) else {
                return;
            };
            pipe.attached = false;
            pipe.writer = None;
            pipe.reader = None;
            pipe.link = None;
            pipe.link_busy = false;
            let lent = std::mem::take(&mut pipe.lent);
            if pipe.disconnected {
                // The pattern forgot it at the disconnect: only the pipe itself may go.
                if !keep {
                    pipes.remove(id.key);
                }
                return;
            }
            pipe.direct_in = None;
            let direct = pipe.direct.take();
            if !keep {
                pipe.terminated = true;
                pipe.outbound.clear();
            }
            let drop_now = !keep && pipe.inbound.is_empty();
            let leave_lb = !(keep && pipe.queue_while_detached);
            if let Some(direct) = direct {
                // A sender waiting for room on the direct path looks again (the pipe may take
                // messages while detached now, or be gone).
                wake.push(direct.flow.release());
                pipes.send_waiters.wake_all(&mut wake);
            }
            if lent > 0 {
                // What the connection held no longer counts against the mark.
                pipes.send_waiters.wake_all(&mut wake);
            }
            if leave_lb {
                pipes.leave_lb(id.key);
            }
            pattern.detached(pipes, id.key, !keep, &mut wake);
            if drop_now {
                pipes.remove(id.key);
            }
        }
        wake.run();
    }

    /// `zmq_disconnect` of the endpoint the pipe connects: the pattern forgets the pipe at once
    /// (nothing more is sent to it, what it received and was not read is dropped), while what
    /// is queued on it stays for its connection to write, as libzmq's session lingers for it.
    /// The pipe's connecter ends it ([`Core::remove_pipe`]) once that is written or
    /// `ZMQ_LINGER` runs out. Its connection, if any, is woken to see it: it ends once nothing
    /// is left to write.
    pub(crate) fn disconnect(&self, id: PipeId) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            if pipes.get_mut(id).is_none_or(|p| p.disconnected) {
                return;
            }
            pattern.detached(pipes, id.key, true, &mut wake);
            pipes.forget(id.key);
            if let Some(pipe) = pipes.get_mut(id) {
                pipe.disconnected = true;
                pipe.queue_while_detached = false;
                pipe.attached = false;
                pipe.link = None;
                wake.push(pipe.writer.take());
                wake.push(pipe.reader.take());
            }
            // Senders waiting for room on it look at the other pipes (or find none).
            pipes.send_waiters.wake_all(&mut wake);
        }
        wake.run();
    }

    /// Removes a pipe whatever it holds (a connecting socket disconnecting for good).
    /// An inproc peer's pipe goes with it at once (as the link would when it ends), so the peer
    /// stops sending here.
    pub(crate) fn remove_pipe(&self, id: PipeId) {
        let mut wake = Wake::default();
        let direct = {
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            let Some(pipe) = pipes.get_mut(id) else {
                return;
            };
            let direct = pipe.direct.take();
            if !pipe.disconnected {
                pattern.detached(pipes, id.key, true, &mut wake);
            }
            pipes.remove(id.key);
            direct
        };
        wake.run();
        if let Some(direct) = direct {
            direct.core.detach(direct.pipe, false);
        }
    }

    /// Hands the pipe's outbound items to its connection, in `into` (which must be empty): the
    /// whole queue, traded for `into`'s (no item moves) when it holds at most `max`, else the
    /// first `max` moved. What was handed over counts against `ZMQ_SNDHWM` until the next
    /// call, by which the connection has encoded it ([`Pipe::lent`]). Registers `cx`'s waker
    /// when there is nothing.
    pub(crate) fn take_outbound(
        &self,
        id: PipeId,
        cx: &mut Context<'_>,
        max: usize,
        into: &mut VecDeque<PipeItem>,
    ) -> Outbound {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock();
            let pipes = &mut st.pipes;
            let closed = pipes.closed;
            let Some(pipe) = pipes.get_mut(id) else {
                return Outbound::Finished;
            };
            debug_assert!(into.is_empty(), "the last batch is not taken yet");
            let was_full = !pipe.has_room();
            // The last batch is encoded: it no longer counts.
            pipe.lent = 0;
            if was_full && pipe.has_room() {
                pipes.send_waiters.wake_all(&mut wake);
            }
            let Some(pipe) = pipes.get_mut(id) else {
                return Outbound::Finished;
            };
            if pipe.terminated {
                // A ROUTER_HANDOVER gave its routing id to a newer peer: the connection ends.
                Outbound::Finished
            } else if pipe.outbound.is_empty() {
                pipe.link_busy = false;
                if closed || pipe.disconnected {
                    Outbound::Finished
                } else {
                    pipe.writer = Some(cx.waker().clone());
                    Outbound::Empty
                }
            } else {
                pipe.link_busy = true;
                if pipe.outbound.len() <= max {
                    // Traded, not moved: each item is moved once, from the sender into the
                    // pipe, and read once, by the encoder. The two queues' allocations take
                    // turns; each grows to the longest batch (at most ZMQ_SNDHWM) and stays.
                    std::mem::swap(into, &mut pipe.outbound);
                    // The queue handed back to the senders is made as large as the one taken,
                    // here, on the connection's side: senders then never grow it again for a
                    // length seen before (an allocation on the application's thread, which
                    // `alloc_per_message` counts).
                    let taken = into.capacity();
                    if pipe.outbound.capacity() < taken {
                        pipe.outbound.reserve(taken);
                    }
                } else {
                    into.extend(pipe.outbound.drain(..max));
                }
                pipe.lent = into.len();
                Outbound::Taken
            }
        };
        wake.run();
        result
    }

    /// The pipe's connection passed on part of what it took and still holds `held` items:
    /// only those count against `ZMQ_SNDHWM` now, and senders waiting for room look again.
    pub(crate) fn still_holds(&self, id: PipeId, held: usize) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let pipes = &mut st.pipes;
            let Some(pipe) = pipes.get_mut(id) else {
                return;
            };
            if held < pipe.lent {
                let was_full = !pipe.has_room();
                pipe.lent = held;
                if was_full && pipe.has_room() {
                    pipes.send_waiters.wake_all(&mut wake);
                }
            }
        }
        wake.run();
    }

    /// Moves items from a connection into the pipe, up to `ZMQ_RCVHWM` (the pattern takes
    /// subscriptions as they come). Returns `true` when all went in; otherwise the rest stay in
    /// `from` and `cx`'s waker is registered for room.
    pub(crate) fn deliver_inbound(
        &self,
        id: PipeId,
        cx: &mut Context<'_>,
        from: &mut impl ItemSource,
    ) -> bool {
        let mut wake = Wake::default();
        let all = {
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            let Some(pipe) = pipes.get_mut(id).filter(|p| !p.disconnected) else {
                // Gone, or disconnected: what the peer sends now is dropped, as libzmq's
                // socket no longer reads a disconnected pipe.
                while from.next_item().is_some() {}
                return true;
            };
            let was_empty = pipe.inbound.is_empty();
            if !pattern.filters_inbound() {
                if pipe.conflate {
                    while let Some(item) = from.next_item() {
                        if let PipeItem::Message(msg) = item {
                            pipe.push_inbound(msg);
                        }
                    }
                } else {
                    let mut room = match pipe.rcvhwm {
                        0 => usize::MAX,
                        hwm => hwm.saturating_sub(pipe.inbound.len()),
                    };
                    // Only messages reach the application.
                    while room > 0 {
                        // The run of messages next, in one move where the source can.
                        room -= from.take_messages(&mut pipe.inbound, room);
                        if room == 0 {
                            break;
                        }
                        match from.next_item() {
                            Some(PipeItem::Message(msg)) => {
                                pipe.inbound.push_back(msg);
                                room -= 1;
                            }
                            Some(PipeItem::Subscribe(_) | PipeItem::Cancel(_)) => {}
                            None => break,
                        }
                    }
                    if let Some(flow) = &pipe.direct_in {
                        flow.pushed(pipe.inbound.len());
                    }
                }
            } else {
                while pipes.get_mut(id).is_some_and(|p| !p.inbound_full()) {
                    let Some(item) = from.next_item() else { break };
                    if let Some(msg) = pattern.inbound(pipes, id, item, &mut wake) {
                        if let Some(pipe) = pipes.get_mut(id) {
                            pipe.push_inbound(msg);
                        }
                    }
                }
            }
            let all = !from.has_item();
            if !all {
                if let Some(pipe) = pipes.get_mut(id) {
                    pipe.reader = Some(cx.waker().clone());
                }
            }
            if was_empty {
                pipes.mark_ready(id.key, &mut wake);
            }
            all
        };
        wake.run();
        all
    }

    /// Puts a message into an inproc peer's pipe (the direct path, see `core::direct`), whatever
    /// its mark (the sender checked the connection's). Gives it back when the peer's socket is
    /// closed or the pipe is gone or going.
    pub(crate) fn deliver_direct(
        &self,
        id: PipeId,
        msg: Message,
    ) -> std::result::Result<(), Message> {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            let closed = pipes.closed;
            let Some(pipe) = pipes.get_mut(id) else {
                return Err(msg);
            };
            if closed || pipe.terminated || !pipe.attached {
                return Err(msg);
            }
            let was_empty = pipe.inbound.is_empty();
            if !pattern.filters_inbound() {
                pipe.push_inbound(msg);
            } else if let Some(msg) = pattern.inbound(pipes, id, PipeItem::Message(msg), &mut wake)
            {
                if let Some(pipe) = pipes.get_mut(id) {
                    pipe.push_inbound(msg);
                }
            }
            if was_empty {
                pipes.mark_ready(id.key, &mut wake);
            }
        }
        wake.run();
        Ok(())
    }

    /// A message the direct path could not deliver goes back to the front of the pipe's
    /// outbound queue, for the link to deliver or keep (a connecting socket keeps its queued
    /// messages for the next bind). Dropped if the pipe is gone.
    fn requeue(&self, id: PipeId, msg: Message) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            if let Some(pipe) = st.pipes.get_mut(id) {
                if !pipe.terminated {
                    pipe.outbound.push_front(PipeItem::Message(msg));
                    wake.push(pipe.writer.take());
                }
            }
        }
        wake.run();
    }

    /// Drops the newest inbound messages of the pipe beyond `ZMQ_RCVHWM`: an inproc peer
    /// whose linger ran out loses what it queued, and what it put here directly beyond the mark
    /// is that queue's share.
    pub(crate) fn discard_beyond_rcvhwm(&self, id: PipeId) {
        let mut st = self.state.lock();
        if let Some(pipe) = st.pipes.get_mut(id) {
            if pipe.rcvhwm != 0 && !pipe.conflate && pipe.inbound.len() > pipe.rcvhwm {
                pipe.inbound.truncate(pipe.rcvhwm);
                if let Some(flow) = &pipe.direct_in {
                    flow.pushed(pipe.inbound.len());
                }
            }
        }
    }

    /// Links the pipe to an inproc peer's: messages sent through it go straight into
    /// `out.pipe` of `out.core`, and `inbound` tells the peer how full this pipe is.
    pub(crate) fn set_direct(&self, id: PipeId, out: DirectOut, inbound: Arc<Flow>) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let pipes = &mut st.pipes;
            if let Some(pipe) = pipes.get_mut(id) {
                inbound.pushed(pipe.inbound.len());
                pipe.direct = Some(out);
                pipe.direct_in = Some(inbound);
                wake.push(pipe.writer.take());
                // The pipe's mark is now the connection's (SNDHWM + the peer's RCVHWM): a sender
                // that waits on the pipe's own SNDHWM has room.
                pipes.send_waiters.wake_all(&mut wake);
            }
        }
        wake.run();
    }

    /// Queues `msgs` from a connection on its pipe even above `ZMQ_RCVHWM` (a raw connection's
    /// notices, and the last chunk read before it ended), making the pipe readable.
    pub(crate) fn push_inbound_unbounded(
        &self,
        id: PipeId,
        msgs: impl IntoIterator<Item = Message>,
    ) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let pipes = &mut st.pipes;
            let Some(pipe) = pipes.get_mut(id) else {
                return;
            };
            pipe.inbound.extend(msgs);
            pipes.mark_ready(id.key, &mut wake);
        }
        wake.run();
    }

    /// Whether the pipe has no outbound items left (or is gone).
    pub(crate) fn outbound_empty(&self, id: PipeId) -> bool {
        let mut st = self.state.lock();
        st.pipes.get_mut(id).is_none_or(|p| p.outbound.is_empty())
    }

    /// Closes the socket: no more sends or receives; connections flush what they hold until
    /// `linger_until` (`None`: for ever), then end. Wakes every task so it sees it. A second
    /// close changes nothing.
    pub(crate) fn close(&self, linger_until: Option<Instant>) {
        self.close_as(linger_until, false);
    }

    /// Closes the socket as [`Core::close`] does, for its context's termination: sends and
    /// receives then fail with [`crate::Error::ContextTerminated`] (libzmq's `ETERM`).
    pub(crate) fn terminate(&self, linger_until: Option<Instant>) {
        self.close_as(linger_until, true);
    }

    fn close_as(&self, linger_until: Option<Instant>, terminated: bool) {
        let mut wake = Wake::default();
        // With no linger left (ZMQ_LINGER 0), what this socket sent directly beyond its inproc
        // peers' RCVHWM is discarded now, before the close returns: left to the links, a peer
        // reading meanwhile would still get it.
        let expired = linger_until.is_some_and(|t| Instant::now() >= t);
        let mut discard = Vec::new();
        {
            let mut st = self.state.lock();
            let pipes = &mut st.pipes;
            if pipes.closed {
                return;
            }
            pipes.closed = true;
            pipes.terminated = terminated;
            pipes.linger_until = linger_until;
            pipes.recv_waiters.wake_all(&mut wake);
            pipes.send_waiters.wake_all(&mut wake);
            for (_, pipe) in pipes.iter_mut() {
                wake.push(pipe.writer.take());
                wake.push(pipe.reader.take());
                if expired {
                    discard.extend(pipe.direct.clone());
                }
            }
        }
        // The peers' locks are taken after ours is released (never both at once).
        for out in discard {
            out.core.discard_beyond_rcvhwm(out.pipe);
        }
        self.closing.cancel();
        wake.run();
    }

    /// `task`, counted among the socket's tasks (see [`Core::finished`]).
    pub(crate) fn track<F: std::future::Future>(
        &self,
        task: F,
    ) -> impl std::future::Future<Output = F::Output> {
        self.tasks.track_future(task)
    }

    /// Resolves once the socket is closed and its tasks have ended: its connections sent what
    /// was queued, or their `ZMQ_LINGER` ran out.
    pub(crate) async fn finished(&self) {
        self.closing.cancelled().await;
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// Resolves once the socket is closed (listeners stop then).
    pub(crate) fn closing(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.closing.cancelled()
    }

    /// Whether the socket was closed, and until when its connections may linger.
    pub(crate) fn closed(&self) -> Option<Option<Instant>> {
        let st = self.state.lock();
        st.pipes.closed.then_some(st.pipes.linger_until)
    }

    /// The routing id of a pipe, once it has one.
    pub(crate) fn routing_id(&self, id: PipeId) -> Option<Bytes> {
        self.state.lock().pipes.get_mut(id)?.routing_id.clone()
    }
}

/// Sets the marks of every pipe there is. Whoever waits for room that the change makes (a
/// sender, a connection delivering) is woken; messages already queued above a lowered mark
/// stay.
fn set_marks(pipes: &mut Pipes, sndhwm: usize, rcvhwm: usize, wake: &mut Wake) {
    for (_, pipe) in pipes.iter_mut() {
        pipe.sndhwm = sndhwm;
        pipe.rcvhwm = rcvhwm;
        wake.push(pipe.reader.take());
        if let Some(direct) = &pipe.direct {
            direct.flow.set_sndhwm(sndhwm);
        }
        if let Some(flow) = &pipe.direct_in {
            flow.set_rcvhwm(rcvhwm);
            wake.push(flow.release());
        }
    }
    pipes.send_waiters.wake_all(wake);
}

#[cfg(test)]
mod tests;
