//! What the application's calls do to the core: a send (prepared by the pattern, then straight
//! into an inproc peer, written by an idle connection, or queued for the connection's task) and
//! a receive (one message, or a batch), with their waiters, and what a dropped send or receive
//! leaves behind.

use std::task::{Context, Poll};

use parking_lot::MutexGuard;
use zmtp_codec::Message;

use super::pattern::{check_non_empty, poll_recv_fq, poll_send_lb, Sent};
use super::waiters::{WaiterId, Wake};
use super::{Core, Pipe, PipeId, State};
use crate::error::Result;

/// Queues `msg` on the pipe at `key` (which has room) and wakes its connection, or writes it
/// through the connection at once when that is idle. Releases the lock either way.
fn push_or_write(mut st: MutexGuard<'_, State>, key: usize, msg: Message) {
    let link = st.pipes.at(key).and_then(Pipe::inline_link);
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
    let Some(pipe) = st.pipes.at_mut(key) else {
        return;
    };
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

/// One send in progress: the message (the application's until the pattern has prepared it,
/// then in its wire shape) and the send's place among the waiters.
#[derive(Debug, Default)]
pub(crate) struct Outgoing {
    pub(super) msg: Option<Message>,
    pub(super) prepared: bool,
    pub(super) waiter: Option<WaiterId>,
}

impl Outgoing {
    /// A send of `msg`.
    pub(crate) fn new(msg: Message) -> Outgoing {
        Outgoing {
            msg: Some(msg),
            prepared: false,
            waiter: None,
        }
    }
}

/// One receive in progress: its place among the waiters.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    pub(super) waiter: Option<WaiterId>,
}

impl Core {
    /// Sends, as the socket's pattern does: the first poll prepares the message (REQ's
    /// envelope, ...), then it goes to the pipe the pattern chooses. `Pending` while it must
    /// wait for room; `cx`'s waker is then registered (without `cx`, nothing is: the caller
    /// gives up, see [`Core::abandon_send`]).
    pub(crate) fn poll_send(
        &self,
        cx: Option<&mut Context<'_>>,
        out: &mut Outgoing,
    ) -> Poll<Result<()>> {
        let mut wake = Wake::default();
        let mut st = self.state.lock();
        if st.pipes.closed {
            out.msg = None;
            return Poll::Ready(Err(st.pipes.closed_error()));
        }
        let State { pipes, pattern } = &mut *st;
        let mut polled = if out.prepared {
            pattern.poll_send(pipes, &mut out.msg, &mut wake)
        } else {
            if out.msg.is_none() {
                return Poll::Ready(Ok(()));
            }
            out.prepared = true;
            // Prepared in place (the message is not moved unless the pattern reshapes it) and
            // sent, in one call. The common outcome, a pipe with room, is delivered from the
            // match itself (no move of the poll's result, which has room for any error).
            let started = if self.sends_load_balanced {
                match check_non_empty(&out.msg) {
                    Ok(()) => poll_send_lb(pipes),
                    Err(e) => Poll::Ready(Err(e)),
                }
            } else {
                pattern.start_send(pipes, &mut out.msg, &mut wake)
            };
            match started {
                Poll::Ready(Ok(Sent::To(key))) => {
                    if let Some(id) = out.waiter.take() {
                        pipes.send_waiters.remove(id);
                    }
                    self.deliver_to(st, key, &mut out.msg);
                    wake.run();
                    return Poll::Ready(Ok(()));
                }
                other => other,
            }
        };
        if polled.is_pending() {
            let Some(cx) = cx else {
                drop(st);
                wake.run();
                return Poll::Pending;
            };
            pipes.send_waiters.register(&mut out.waiter, cx.waker());
            // Inproc peers wake us through their flows; looking again after registering there
            // catches a read made meanwhile.
            if pipes.wait_direct(&self.send_wake) {
                polled = pattern.poll_send(pipes, &mut out.msg, &mut wake);
            }
        }
        let done = match polled {
            Poll::Pending => {
                drop(st);
                wake.run();
                return Poll::Pending;
            }
            Poll::Ready(done) => done,
        };
        if let Some(id) = out.waiter.take() {
            pipes.send_waiters.remove(id);
        }
        match done {
            Ok(Sent::To(key)) => self.deliver_to(st, key, &mut out.msg),
            Ok(Sent::Done) | Err(_) => {
                out.msg = None;
                drop(st);
            }
        }
        wake.run();
        Poll::Ready(done.map(|_| ()))
    }

    /// Sends from the front of `msgs`, without waiting, what can go now: each one sent is taken
    /// (an empty message is left in its place) and how many went is returned; the first that
    /// cannot go now (no room, or an error the socket would give it) ends the run and stays.
    /// A load-balanced pattern (PUSH, DEALER) queues the run under one lock; the others send
    /// each message as [`Core::poll_send`] does, from a copy (reference counts only) that is
    /// dropped if it cannot go, since their patterns may reshape what they were given.
    pub(crate) fn send_more(&self, msgs: &mut [Message]) -> usize {
        if !self.sends_load_balanced {
            let mut sent = 0;
            for msg in msgs.iter_mut() {
                let mut out = Outgoing::new(msg.clone());
                match self.poll_send(None, &mut out) {
                    Poll::Ready(Ok(())) => {
                        *msg = Message::new();
                        sent += 1;
                    }
                    _ => {
                        self.abandon_send(&mut out);
                        break;
                    }
                }
            }
            return sent;
        }
        let mut sent = 0;
        'runs: while sent < msgs.len() {
            let mut wake = Wake::default();
            let mut st = self.state.lock();
            if st.pipes.closed {
                break;
            }
            while let Some(msg) = msgs.get_mut(sent) {
                if msg.is_empty() {
                    break;
                }
                let Some(key) = st.pipes.pick_lb() else { break };
                let Some(pipe) = st.pipes.at_mut(key) else {
                    break;
                };
                sent += 1;
                if pipe.direct.is_none() && pipe.link.is_none() {
                    // The usual way: queued for the connection's task, still under the lock.
                    pipe.push_outbound(std::mem::take(msg));
                    wake.push(pipe.writer.take());
                    continue;
                }
                // An inproc peer, or a connection that writes inline: delivered as `send`
                // delivers, which releases the lock; the run goes on under a new one.
                let mut out = Some(std::mem::take(msg));
                self.deliver_to(st, key, &mut out);
                wake.run();
                continue 'runs;
            }
            drop(st);
            wake.run();
            break;
        }
        sent
    }

    /// Queues `msg` on the pipe at `key`, by the quickest way there is: straight into an inproc
    /// peer's pipe, written by an idle connection now, or queued for the connection's task.
    /// Releases the lock.
    #[inline]
    fn deliver_to(&self, mut st: MutexGuard<'_, State>, key: usize, out: &mut Option<Message>) {
        let Some(pipe) = st.pipes.at_mut(key) else {
            *out = None;
            return;
        };
        if pipe.direct.is_none() && pipe.link.is_none() {
            // The usual way (no inproc peer, no inline writes): queue it for the connection's
            // task, with one look-up and no move of the message but into the queue.
            if let Some(msg) = out.take() {
                pipe.push_outbound(msg);
            }
            let writer = pipe.writer.take();
            drop(st);
            if let Some(w) = writer {
                w.wake();
            }
            return;
        }
        let Some(msg) = out.take() else { return };
        // One look-up: the peer to deliver to directly, and this pipe's id for a requeue.
        let direct = pipe.direct_path().map(|d| {
            (
                d.core.clone(),
                d.pipe,
                PipeId {
                    key,
                    generation: pipe.generation,
                },
            )
        });
        match direct {
            Some((peer, peer_pipe, id)) => {
                // Our lock is released first: two inproc peers sending to each other never
                // hold both.
                drop(st);
                if let Err(m) = peer.deliver_direct(peer_pipe, msg) {
                    self.requeue(id, m);
                }
            }
            None => push_or_write(st, key, msg),
        }
    }

    /// A send is given up (its future dropped, its time out, or a `try_send` that found no
    /// room): its waiter goes, and a prepared request no longer holds REQ's turn.
    #[inline]
    pub(crate) fn abandon_send(&self, out: &mut Outgoing) {
        if out.waiter.is_none() && !(out.prepared && out.msg.is_some()) {
            return;
        }
        self.abandon_send_slow(out);
    }

    fn abandon_send_slow(&self, out: &mut Outgoing) {
        let mut st = self.state.lock();
        if let Some(id) = out.waiter.take() {
            st.pipes.send_waiters.remove(id);
        }
        if out.prepared && out.msg.take().is_some() {
            st.pattern.send_abandoned();
        }
    }

    /// A send a dropped handle's sink still held: queued for the pipe the pattern chooses,
    /// whatever the marks, so that `ZMQ_LINGER` covers it (dropped if no pipe can take it).
    pub(crate) fn send_on_drop(&self, mut out: Outgoing) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            if let Some(id) = out.waiter.take() {
                pipes.send_waiters.remove(id);
            }
            if out.msg.is_none() {
                return;
            }
            if !out.prepared
                && !pipes.closed
                && pattern
                    .prepare_send(pipes, &mut out.msg, &mut wake)
                    .is_err()
            {
                out.msg = None;
            }
            if let Some(mut wire) = out.msg.take() {
                if let Some(key) = pattern.linger_target(pipes, &mut wire) {
                    if let Some(pipe) = pipes.at_mut(key) {
                        pipe.push_outbound(wire);
                        wake.push(pipe.writer.take());
                    }
                }
            }
        }
        wake.run();
    }

    /// Receives, as the socket's pattern does. `Pending` when nothing is there; `cx`'s waker is
    /// then registered. A pattern that reads inline (REQ, REP) reads its only peer's
    /// connection itself, once in each poll that would wait: the message is then there without
    /// a wake-up from the connection task, and the transport wakes the receiver directly, so
    /// that the poll it wakes reads the reply itself (not the task, whose delivery would wake
    /// the receiver a second time: one more turn of the runtime a round trip).
    pub(crate) fn poll_recv(
        &self,
        mut cx: Option<&mut Context<'_>>,
        op: &mut Incoming,
    ) -> Poll<Result<Message>> {
        let mut read_inline = false;
        loop {
            let mut wake = Wake::default();
            let mut st = self.state.lock();
            let State { pipes, pattern } = &mut *st;
            let polled = if self.receives_fair_queued {
                poll_recv_fq(pipes, &mut wake)
            } else {
                pattern.poll_recv(pipes, &mut wake)
            };
            let polled = match polled {
                Poll::Pending if pipes.closed => Poll::Ready(Err(pipes.closed_error())),
                other => other,
            };
            if polled.is_ready() {
                if let Some(id) = op.waiter.take() {
                    pipes.recv_waiters.remove(id);
                }
                drop(st);
                wake.run();
                return polled;
            }
            let Some(cx) = cx.as_deref_mut() else {
                drop(st);
                wake.run();
                return Poll::Pending;
            };
            pipes.recv_waiters.register(&mut op.waiter, cx.waker());
            if read_inline || !pattern.inline_io() {
                drop(st);
                wake.run();
                return Poll::Pending;
            }
            read_inline = true;
            let [key] = pipes.lb[..] else {
                drop(st);
                wake.run();
                return Poll::Pending;
            };
            let Some(link) = pipes.at(key).and_then(Pipe::read_link) else {
                drop(st);
                wake.run();
                return Poll::Pending;
            };
            // It reads rather than waits: the transport wakes it from now on, and the loop
            // registers it again if nothing came.
            if let Some(id) = op.waiter.take() {
                pipes.recv_waiters.remove(id);
            }
            drop(st);
            wake.run();
            link.try_read(cx.waker());
        }
    }

    /// Receives as [`Core::poll_recv`] does, then takes what else is there now, up to `limit`
    /// messages in all, under one lock, appending them to `buf`: `Pending` (the waiter
    /// registered) while there is none. How many were appended (at least one).
    pub(crate) fn poll_recv_many(
        &self,
        cx: Option<&mut Context<'_>>,
        op: &mut Incoming,
        buf: &mut Vec<Message>,
        limit: usize,
    ) -> Poll<Result<usize>> {
        match self.poll_recv(cx, op) {
            Poll::Ready(Ok(first)) => buf.push(first),
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
        let mut taken = 1;
        if taken < limit {
            let mut wake = Wake::default();
            {
                let mut st = self.state.lock();
                let State { pipes, pattern } = &mut *st;
                // Only messages: what ends the run (nothing more, or an error the pattern
                // answers, such as REQ's before its next request) is left for the next call.
                while taken < limit {
                    let Poll::Ready(Ok(msg)) = pattern.poll_recv(pipes, &mut wake) else {
                        break;
                    };
                    buf.push(msg);
                    taken += 1;
                }
            }
            wake.run();
        }
        Poll::Ready(Ok(taken))
    }

    /// A receive is given up (its future dropped, or its time out): its waiter goes.
    #[inline]
    pub(crate) fn abandon_recv(&self, op: &mut Incoming) {
        if let Some(id) = op.waiter.take() {
            self.state.lock().pipes.recv_waiters.remove(id);
        }
    }

    /// `ZMQ_SUBSCRIBE` / `ZMQ_UNSUBSCRIBE`, as the pattern takes them.
    pub(crate) fn subscribe(&self, subscribe: bool, prefix: &[u8]) -> Result<()> {
        let mut wake = Wake::default();
        let done = {
            let mut st = self.state.lock();
            if st.pipes.closed {
                return Err(st.pipes.closed_error());
            }
            let State { pipes, pattern } = &mut *st;
            pattern.subscribe(pipes, subscribe, prefix, &mut wake)
        };
        wake.run();
        done
    }
}
