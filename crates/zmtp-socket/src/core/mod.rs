//! The state a socket shares with its connection tasks: its pipes, and the wakers of whoever
//! waits on them. One short lock guards it; every operation on it is O(1) per message (amortised)
//! and wakes a task only when that task sleeps.
//!
//! The application side (send, receive) and the connection side (take outbound messages, deliver
//! inbound ones) meet here. Connection tasks move messages in batches: one lock per read or write,
//! not per message.

pub(crate) mod direct;
pub(crate) mod envelope;
pub(crate) mod pipe;
pub(crate) mod pubsub;
pub(crate) mod routing;
pub(crate) mod stream;
pub(crate) mod subscriptions;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::{Mutex, MutexGuard};
use slab::Slab;
use smallvec::SmallVec;
use zmtp_codec::Message;

pub(crate) use direct::{DirectOut, Flow};
use pipe::InlineLink;
pub(crate) use pipe::{Pipe, PipeId};
pub(crate) use routing::PeerAttach;

/// A socket's shared core.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) state: Mutex<State>,
}

/// What the lock guards.
#[derive(Debug, Default)]
pub(crate) struct State {
    pipes: Slab<Pipe>,
    next_generation: u64,
    /// Attached pipes in load-balancing order.
    lb: Vec<usize>,
    lb_next: usize,
    /// Pipes with inbound messages, in fair-queueing order.
    ready: VecDeque<usize>,
    recv_waker: Option<Waker>,
    send_waker: Option<Waker>,
    /// At most one peer at a time (PAIR).
    exclusive: bool,
    /// The application closed the socket: connections flush until `linger_until`, then stop.
    pub(crate) closed: bool,
    /// When lingering connections give up (`None`: wait for ever, libzmq's `ZMQ_LINGER` -1).
    pub(crate) linger_until: Option<Instant>,
    /// ROUTER and REP: routing id to pipe key.
    routing: HashMap<Bytes, usize>,
    /// The next generated routing id's counter (libzmq starts it at a random value).
    next_rid: u32,
    /// The socket's `ZMQ_SNDHWM` / `ZMQ_RCVHWM` now (0: unbounded): new pipes take them, and a
    /// change reaches the pipes there are (as libzmq 4.2+ does).
    sndhwm: usize,
    rcvhwm: usize,
    /// `ZMQ_ROUTER_HANDOVER` and `ZMQ_PROBE_ROUTER` now, read when a peer attaches.
    router_handover: bool,
    probe_router: bool,
    /// `ZMQ_CONFLATE` for pipes made from now on.
    conflate: bool,
    /// PUB and XPUB: peers' subscriptions, fan-out.
    publisher: Option<Box<pubsub::Publisher>>,
    /// SUB and XSUB: our subscriptions.
    subscriber: Option<Box<pubsub::Subscriber>>,
}

/// Wakers to call once the lock is released. Kept inline: a send or a batch wakes one or two
/// tasks, and waking must not allocate (a fan-out waking more than eight sleeping connections
/// at once spills to the heap). The first waker has a slot of its own, so that the usual case,
/// nobody to wake, costs a check and not a walk over an inline array.
#[derive(Debug, Default)]
pub(crate) struct Wake {
    first: Option<Waker>,
    more: SmallVec<[Waker; 7]>,
}

impl Wake {
    fn push(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            if self.first.is_none() {
                self.first = Some(w);
            } else {
                self.more.push(w);
            }
        }
    }

    /// Wakes everyone collected.
    pub(crate) fn run(self) {
        let Wake { first, more } = self;
        if let Some(w) = first {
            w.wake();
            for w in more {
                w.wake();
            }
        }
    }
}

/// A connection a sender may write to from its own task while the connection is idle, instead
/// of queueing the message and waking the connection's task (which, on the context's I/O
/// thread, is a wake-up across threads): libzmq's engine likewise writes at once when output
/// restarts. Only REQ and REP connections list themselves for it (one message in flight at a
/// time); streams are better batched by the connection task.
pub(crate) trait InlineSend: Send + Sync {
    /// Encodes `msg` and writes it now if the connection is idle and free; `state` is the
    /// socket's lock, held by the sender, released once the message is encoded. Otherwise gives
    /// both back, and the message goes through the pipe.
    fn try_send<'g>(
        &self,
        msg: Message,
        state: MutexGuard<'g, State>,
    ) -> Result<(), (Message, MutexGuard<'g, State>)>;

    /// Reads what the transport has, if the connection is idle and free, and delivers the
    /// messages to the pipe; from then on the transport wakes `receiver` too. Returns whether
    /// messages were delivered. Called without the socket's lock held.
    fn try_read(&self, receiver: &Waker) -> bool;
}

/// Queues `msg` on the pipe at `key` (which has room) and wakes its connection, or writes it
/// through the connection at once when that is idle. Releases the lock either way.
fn push_or_write(mut st: MutexGuard<'_, State>, key: usize, msg: Message) {
    let link = st.pipes[key].inline_link();
    let msg = match &link {
        Some(link) => match link.try_send(msg, st) {
            Ok(()) => return,
            Err((msg, back)) => {
                st = back;
                msg
            }
        },
        None => msg,
    };
    let pipe = &mut st.pipes[key];
    pipe.push_outbound(msg);
    let writer = pipe.writer.take();
    drop(st);
    // The link is dropped after the lock: if it was the last reference to a connection that
    // just ended, its drop takes no lock of this socket's while this one is held.
    drop(link);
    if let Some(w) = writer {
        w.wake();
    }
}

/// What a connection task got from [`Core::take_outbound`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outbound {
    /// Messages were moved into the caller's queue.
    Taken,
    /// Nothing to send; the task's waker is registered.
    Empty,
    /// The socket is closed and the pipe is drained: the connection can end.
    Finished,
}

impl Core {
    pub(crate) fn new(exclusive: bool) -> Arc<Core> {
        Arc::new(Core {
            state: Mutex::new(State {
                exclusive,
                next_rid: routing::random_u32(),
                ..State::default()
            }),
        })
    }

    /// Creates a pipe, not yet attached to a live connection. With `queue_while_detached` (a
    /// connecting socket without `ZMQ_IMMEDIATE`) it joins load balancing at once, so messages
    /// queue for the connection to come, as in libzmq.
    pub(crate) fn add_pipe(
        &self,
        sndhwm: usize,
        rcvhwm: usize,
        queue_while_detached: bool,
    ) -> PipeId {
        let mut wake = Wake::default();
        let id = {
            let mut st = self.state.lock();
            st.next_generation += 1;
            let generation = st.next_generation;
            let mut pipe = Pipe::new(generation, sndhwm, rcvhwm);
            pipe.conflate = st.conflate;
            pipe.queue_while_detached = queue_while_detached;
            pipe.in_lb = queue_while_detached;
            let key = st.pipes.insert(pipe);
            if queue_while_detached {
                st.lb.push(key);
                wake.push(st.send_waker.take());
            }
            PipeId { key, generation }
        };
        wake.run();
        id
    }

    /// Lists the connection a sender may write to directly while it is idle (it serves the
    /// pipe, handshake done).
    pub(crate) fn set_inline(&self, id: PipeId, link: Weak<dyn InlineSend>) {
        if let Some(pipe) = self.state.lock().pipe_mut(id) {
            pipe.link = Some(InlineLink(link));
        }
    }

    /// Marks the pipe as served by a live connection, with nothing known of its peer (tests).
    #[cfg(test)]
    pub(crate) fn attach(&self, id: PipeId) -> bool {
        self.attach_peer(id, &PeerAttach::default())
    }

    /// Marks the pipe as served by a live, handshaken connection: it joins load balancing and,
    /// on a ROUTER or REP, the routing table (see [`PeerAttach`]).
    /// Returns `false` when the socket takes one peer at a time (PAIR) and has one already, or
    /// the pipe is gone (a ROUTER_HANDOVER took its routing id): the connection should end.
    pub(crate) fn attach_peer(&self, id: PipeId, peer: &PeerAttach) -> bool {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let busy = st.exclusive && st.pipes.iter().any(|(key, p)| key != id.key && p.attached);
            let Some(pipe) = st.pipe_mut(id) else {
                return false;
            };
            if busy || pipe.terminated {
                return false;
            }
            if pipe.attached {
                return true;
            }
            pipe.attached = true;
            if peer.probe && !pipe.probed {
                pipe.probed = true;
                pipe.outbound.push_front(Message::single(Bytes::new()));
                wake.push(pipe.writer.take());
            }
            if !pipe.in_lb {
                pipe.in_lb = true;
                st.lb.push(id.key);
            }
            if peer.routing {
                st.identify(id.key, peer, &mut wake);
            }
            st.greet_pipe(id.key, &mut wake);
            // A sender blocked for lack of peers may go now.
            wake.push(st.send_waker.take());
        }
        wake.run();
        true
    }

    /// The connection serving the pipe is gone. With `keep`, the pipe stays for the next
    /// connection (a connecting socket reconnects; its queued messages wait, as in libzmq);
    /// otherwise its outbound messages are dropped and it goes once its inbound ones are read.
    pub(crate) fn detach(&self, id: PipeId, keep: bool) {
        let mut wake = Wake::default();
        self.detach_locked(id, keep, &mut wake);
        wake.run();
    }

    fn detach_locked(&self, id: PipeId, keep: bool, wake: &mut Wake) {
        let mut st = self.state.lock();
        let subscriber = st.subscriber.is_some();
        let Some(pipe) = st.pipe_mut(id) else { return };
        pipe.attached = false;
        pipe.writer = None;
        pipe.reader = None;
        pipe.link = None;
        pipe.link_busy = false;
        let direct = pipe.direct.take();
        pipe.direct_in = None;
        if let Some(direct) = direct {
            // A sender waiting for room on the direct path looks again (the pipe may take
            // messages while detached now, or be gone).
            wake.push(direct.flow.release());
            wake.push(st.send_waker.take());
        }
        let Some(pipe) = st.pipe_mut(id) else { return };
        if !keep {
            pipe.terminated = true;
            pipe.outbound.clear();
        } else if subscriber {
            // Subscriptions still queued are stale: the next connection gets the whole current
            // set first (an unsubscribe made meanwhile must not be undone by an old subscribe).
            pipe.outbound
                .retain(|m| pubsub::parse_subscription(m).is_none());
        }
        let drop_now = !keep && pipe.inbound.is_empty();
        if !(keep && pipe.queue_while_detached) {
            pipe.in_lb = false;
            st.lb.retain(|&k| k != id.key);
        }
        if !keep {
            st.unroute(id.key);
        }
        // A publisher forgets the peer's subscriptions (a reconnecting peer sends them again).
        st.forget_subscriber(id.key, wake);
        if drop_now {
            st.remove(id.key);
        }
    }

    /// Removes a pipe whatever it holds (a connecting socket disconnecting for good).
    /// An inproc peer's pipe goes with it at once (as the link would when it ends), so the peer
    /// stops sending here.
    pub(crate) fn remove_pipe(&self, id: PipeId) {
        let mut wake = Wake::default();
        let direct = {
            let mut st = self.state.lock();
            let direct = st.pipe_mut(id).and_then(|p| p.direct.take());
            if st.pipe_mut(id).is_some() {
                st.lb.retain(|&k| k != id.key);
                st.forget_subscriber(id.key, &mut wake);
                st.remove(id.key);
            }
            direct
        };
        wake.run();
        if let Some(direct) = direct {
            direct.core.detach(direct.pipe, false);
        }
    }

    /// Moves up to `max` outbound messages of the pipe into `into`. Registers `cx`'s waker when
    /// there are none.
    pub(crate) fn take_outbound(
        &self,
        id: PipeId,
        cx: &mut Context<'_>,
        max: usize,
        into: &mut VecDeque<Message>,
    ) -> Outbound {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock();
            let closed = st.closed;
            let Some(pipe) = st.pipe_mut(id) else {
                return Outbound::Finished;
            };
            if pipe.terminated {
                // A ROUTER_HANDOVER gave its routing id to a newer peer: the connection ends.
                Outbound::Finished
            } else if pipe.outbound.is_empty() {
                pipe.link_busy = false;
                if closed {
                    Outbound::Finished
                } else {
                    pipe.writer = Some(cx.waker().clone());
                    Outbound::Empty
                }
            } else {
                pipe.link_busy = true;
                let was_full = !pipe.has_room();
                // Moved in bulk, not traded: trading the queues would hand each side the
                // other's allocation, and the side needing the larger one would grow it
                // again in the steady state (an allocation that `alloc_per_message` caught).
                let n = max.min(pipe.outbound.len());
                into.extend(pipe.outbound.drain(..n));
                if was_full {
                    wake.push(st.send_waker.take());
                }
                Outbound::Taken
            }
        };
        wake.run();
        result
    }

    /// Moves messages from a connection into the pipe, up to `ZMQ_RCVHWM`. Returns `true` when
    /// all went in; otherwise the rest stay in `from` and `cx`'s waker is registered for room.
    pub(crate) fn deliver_inbound(
        &self,
        id: PipeId,
        cx: &mut Context<'_>,
        from: &mut VecDeque<Message>,
    ) -> bool {
        let mut wake = Wake::default();
        let all = {
            let mut st = self.state.lock();
            let st = &mut *st;
            if st.pipe_mut(id).is_none() {
                from.clear();
                return true;
            }
            let was_empty = st.pipes[id.key].inbound.is_empty();
            if st.publisher.is_none() && st.subscriber.is_none() {
                let pipe = &mut st.pipes[id.key];
                if pipe.conflate {
                    while let Some(msg) = from.pop_front() {
                        pipe.push_inbound(msg);
                    }
                } else {
                    let room = match pipe.rcvhwm {
                        0 => usize::MAX,
                        hwm => hwm.saturating_sub(pipe.inbound.len()),
                    };
                    // In bulk, not traded (see `take_outbound`).
                    let n = room.min(from.len());
                    pipe.inbound.extend(from.drain(..n));
                }
            } else {
                // Subscriptions are applied, and a SUB's filter runs, as messages come in.
                while !st.pipes[id.key].inbound_full() {
                    let Some(msg) = from.pop_front() else { break };
                    if let Some(msg) = st.filter_inbound(id, msg, &mut wake) {
                        st.pipes[id.key].push_inbound(msg);
                    }
                }
            }
            if !from.is_empty() {
                st.pipes[id.key].reader = Some(cx.waker().clone());
            }
            if was_empty {
                st.mark_ready(id.key, &mut wake);
            }
            from.is_empty()
        };
        wake.run();
        all
    }

    /// Load-balanced send (PUSH, DEALER, REQ): the next attached pipe with room, in turn.
    /// Without `immediate`, pipes of connecting sockets that are not (yet, or no longer) attached
    /// take messages too, as libzmq queues them for the connection to come.
    pub(crate) fn poll_send_lb(
        &self,
        cx: Option<&mut Context<'_>>,
        msg: &mut Option<Message>,
    ) -> Poll<Result<PipeId, crate::Error>> {
        let mut st = self.state.lock();
        if st.closed {
            return Poll::Ready(Err(crate::Error::Closed));
        }
        let key = match st.pick_lb() {
            Some(key) => key,
            None => {
                let Some(cx) = cx else {
                    return Poll::Pending;
                };
                st.send_waker = Some(cx.waker().clone());
                // Inproc peers wake us through their flows; looking again after registering
                // there catches a read made meanwhile.
                if !st.wait_direct(cx.waker()) {
                    return Poll::Pending;
                }
                match st.pick_lb() {
                    Some(key) => key,
                    None => return Poll::Pending,
                }
            }
        };
        let id = PipeId {
            key,
            generation: st.pipes[key].generation,
        };
        match msg.take() {
            Some(m) => match st.pipes[key].direct_path() {
                Some(direct) => {
                    let (peer, peer_pipe) = (direct.core.clone(), direct.pipe);
                    // Our lock is released first: two inproc peers sending to each other
                    // never hold both.
                    drop(st);
                    if let Err(m) = peer.deliver_direct(peer_pipe, m) {
                        self.requeue(id, m);
                    }
                }
                None => push_or_write(st, key, m),
            },
            None => {
                let writer = st.pipes[key].writer.take();
                drop(st);
                if let Some(w) = writer {
                    w.wake();
                }
            }
        }
        Poll::Ready(Ok(id))
    }

    /// Puts a message into an inproc peer's pipe (the direct path, see `core::direct`), whatever
    /// its mark (the sender checked the connection's). Gives it back when the peer's socket is
    /// closed or the pipe is gone or going.
    pub(crate) fn deliver_direct(&self, id: PipeId, msg: Message) -> Result<(), Message> {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let st = &mut *st;
            let closed = st.closed;
            let Some(pipe) = st.pipe_mut(id) else {
                return Err(msg);
            };
            if closed || pipe.terminated || !pipe.attached {
                return Err(msg);
            }
            let was_empty = pipe.inbound.is_empty();
            if st.publisher.is_none() && st.subscriber.is_none() {
                st.pipes[id.key].push_inbound(msg);
            } else if let Some(msg) = st.filter_inbound(id, msg, &mut wake) {
                st.pipes[id.key].push_inbound(msg);
            }
            if was_empty {
                st.mark_ready(id.key, &mut wake);
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
            if let Some(pipe) = st.pipe_mut(id) {
                if !pipe.terminated {
                    pipe.outbound.push_front(msg);
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
        if let Some(pipe) = st.pipe_mut(id) {
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
            if let Some(pipe) = st.pipe_mut(id) {
                inbound.pushed(pipe.inbound.len());
                pipe.direct = Some(out);
                pipe.direct_in = Some(inbound);
                wake.push(pipe.writer.take());
                // The pipe's mark is now the connection's (SNDHWM + the peer's RCVHWM): a sender
                // that waits on the pipe's own SNDHWM has room.
                wake.push(st.send_waker.take());
            }
        }
        wake.run();
    }

    /// Fair-queued receive (PULL, DEALER, ROUTER, REP, ...): one message from the next pipe that
    /// has any, in turn. Returns the pipe it came from.
    pub(crate) fn poll_recv_fq(
        &self,
        cx: Option<&mut Context<'_>>,
    ) -> Poll<Result<(PipeId, Message), crate::Error>> {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock();
            // A SUB drops what no subscription matches now.
            let popped = loop {
                match st.pop_inbound(&mut wake) {
                    Some((_, msg, _)) if !st.subscriber_keeps(&msg) => {}
                    popped => break popped,
                }
            };
            match popped {
                Some((id, msg, _)) => Poll::Ready(Ok((id, msg))),
                None if st.closed => Poll::Ready(Err(crate::Error::Closed)),
                None => {
                    if let Some(cx) = cx {
                        st.recv_waker = Some(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        };
        wake.run();
        result
    }

    /// [`Core::poll_recv_fq`] for a receiver that reads its connection itself (REQ, REP): the
    /// first time a receive would wait (`read_inline` still `false`), it reads the connection
    /// once ([`Core::read_inline`]) and polls again, which registers the waker again if
    /// nothing came. `read_inline` lives as long as the receive, so that messages the receiver
    /// drops (a stray reply) do not start another read.
    pub(crate) fn poll_recv_reading_inline(
        &self,
        mut cx: Option<&mut Context<'_>>,
        read_inline: &mut bool,
    ) -> Poll<Result<(PipeId, Message), crate::Error>> {
        loop {
            match self.poll_recv_fq(cx.as_deref_mut()) {
                Poll::Pending => match cx.as_deref() {
                    Some(cx) if !*read_inline => {
                        *read_inline = true;
                        self.read_inline(cx.waker());
                    }
                    _ => return Poll::Pending,
                },
                ready => return ready,
            }
        }
    }

    /// A receiver about to wait (REQ, REP) reads its only peer's connection itself, when that
    /// is idle: the message is then there without a wake-up from the connection task, and the
    /// transport wakes the receiver directly for the next one. The receiver's registered waker
    /// is dropped first (it is polling, not waiting), so it must poll again afterwards, which
    /// registers it again if nothing came. Returns whether messages were delivered.
    fn read_inline(&self, receiver: &Waker) -> bool {
        let link = {
            let mut st = self.state.lock();
            let [key] = st.lb[..] else { return false };
            let Some(link) = st.pipes.get(key).and_then(Pipe::read_link) else {
                return false;
            };
            st.recv_waker = None;
            link
        };
        link.try_read(receiver)
    }

    /// Whether the pipe has no outbound messages left (or is gone).
    pub(crate) fn outbound_empty(&self, id: PipeId) -> bool {
        let mut st = self.state.lock();
        st.pipe_mut(id).is_none_or(|p| p.outbound.is_empty())
    }

    /// Closes the socket: no more sends or receives; connections flush what they hold until
    /// `linger_until` (`None`: for ever), then end. Wakes every task so it sees it.
    pub(crate) fn close(&self, linger_until: Option<Instant>) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            st.closed = true;
            st.linger_until = linger_until;
            wake.push(st.recv_waker.take());
            wake.push(st.send_waker.take());
            for (_, pipe) in st.pipes.iter_mut() {
                wake.push(pipe.writer.take());
                wake.push(pipe.reader.take());
            }
        }
        wake.run();
    }

    /// The high-water marks new pipes take: (`ZMQ_SNDHWM`, `ZMQ_RCVHWM`).
    pub(crate) fn hwm(&self) -> (usize, usize) {
        let st = self.state.lock();
        (st.sndhwm, st.rcvhwm)
    }

    /// Sets the high-water marks of the socket's pipes, those there are and those to come.
    /// Whoever waits for room that the change makes (a sender, a connection delivering) is
    /// woken; messages already queued above a lowered mark stay.
    pub(crate) fn set_hwm(&self, sndhwm: usize, rcvhwm: usize) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            st.sndhwm = sndhwm;
            st.rcvhwm = rcvhwm;
            for (_, pipe) in st.pipes.iter_mut() {
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
            wake.push(st.send_waker.take());
        }
        wake.run();
    }

    /// `ZMQ_CONFLATE` for the pipes made from now on (a connect's pipe is made at connect, a
    /// bound socket's when each connection's handshake completes).
    pub(crate) fn set_conflate(&self, conflate: bool) {
        self.state.lock().conflate = conflate;
    }

    /// `ZMQ_ROUTER_HANDOVER` and `ZMQ_PROBE_ROUTER` as the socket has them now.
    pub(crate) fn routing_options(&self) -> (bool, bool) {
        let st = self.state.lock();
        (st.router_handover, st.probe_router)
    }

    /// Changes `ZMQ_ROUTER_HANDOVER` and `ZMQ_PROBE_ROUTER` for peers attaching from now on.
    pub(crate) fn set_routing_options(&self, router_handover: bool, probe_router: bool) {
        let mut st = self.state.lock();
        st.router_handover = router_handover;
        st.probe_router = probe_router;
    }

    /// Whether the socket was closed, and until when its connections may linger.
    pub(crate) fn closed(&self) -> Option<Option<Instant>> {
        let st = self.state.lock();
        st.closed.then_some(st.linger_until)
    }
}

impl State {
    fn pipe_mut(&mut self, id: PipeId) -> Option<&mut Pipe> {
        self.pipes
            .get_mut(id.key)
            .filter(|p| p.generation == id.generation)
    }

    fn remove(&mut self, key: usize) {
        self.unroute(key);
        self.pipes.remove(key);
        self.ready.retain(|&k| k != key);
    }

    /// The next inbound message in fair-queueing order, with its pipe and the pipe's routing id.
    fn pop_inbound(&mut self, wake: &mut Wake) -> Option<(PipeId, Message, Option<Bytes>)> {
        loop {
            let key = *self.ready.front()?;
            let Some(pipe) = self.pipes.get_mut(key) else {
                self.ready.pop_front();
                continue;
            };
            let was_full = pipe.inbound_full();
            let Some(msg) = pipe.inbound.pop_front() else {
                pipe.in_ready_list = false;
                self.ready.pop_front();
                continue;
            };
            let id = PipeId {
                key,
                generation: pipe.generation,
            };
            let routing_id = pipe.routing_id.clone();
            if was_full {
                wake.push(pipe.reader.take());
            }
            if let Some(flow) = &pipe.direct_in {
                wake.push(flow.popped(pipe.inbound.len()));
            }
            if pipe.inbound.is_empty() {
                pipe.in_ready_list = false;
                let terminated = pipe.terminated;
                self.ready.pop_front();
                if terminated {
                    self.remove(key);
                }
            } else if self.ready.len() > 1 {
                // Its turn is over: to the back. (Alone in the list, it stays in front.)
                self.ready.pop_front();
                self.ready.push_back(key);
            }
            return Some((id, msg, routing_id));
        }
    }

    /// A pipe's inbound queue was empty: if it holds a message now, it joins the fair queue
    /// and a sleeping reader is woken.
    fn mark_ready(&mut self, key: usize, wake: &mut Wake) {
        let pipe = &mut self.pipes[key];
        if !pipe.inbound.is_empty() && !pipe.in_ready_list && !pipe.ignored {
            pipe.in_ready_list = true;
            self.ready.push_back(key);
            wake.push(self.recv_waker.take());
        }
    }

    /// A sender found no room: registers its waker on every inproc flow it sends into. Whether
    /// one has room after all.
    fn wait_direct(&self, waker: &Waker) -> bool {
        let mut room = false;
        for &key in &self.lb {
            if let Some(pipe) = self.pipes.get(key) {
                if let Some(direct) = &pipe.direct {
                    room |= !pipe.conflate && direct.flow.wait(waker, pipe.outbound.len());
                }
            }
        }
        room
    }

    /// The next pipe in turn that may take a message, advancing the turn.
    fn pick_lb(&mut self) -> Option<usize> {
        let n = self.lb.len();
        if n == 1 {
            // One peer (the usual PUSH or DEALER): no modulo. The turn is left where the loop
            // below would leave it (at the first pipe), for when a second peer joins.
            let key = self.lb[0];
            let room = self.pipes.get(key).is_some_and(Pipe::has_room);
            if room {
                self.lb_next = 0;
            }
            return room.then_some(key);
        }
        for i in 0..n {
            let at = (self.lb_next + i) % n;
            let key = self.lb[at];
            if self.pipes.get(key).is_some_and(Pipe::has_room) {
                self.lb_next = (at + 1) % n;
                return Some(key);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
