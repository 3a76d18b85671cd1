//! A faithful extraction, for the `loom` model checker, of the one piece of hand-written
//! synchronisation in `zmtp-socket`: how a socket (the application side, shared by any number
//! of tasks) and a connection task hand messages to each other through a pipe under one lock.
//!
//! The socket side (`crates/zmtp-socket/src/core/mod.rs`, `Core`) keeps every pipe in one
//! `Mutex<State>`; each operation checks its condition and registers its waker under the lock,
//! decides under the lock whom to wake, and wakes them after unlocking (`Wake`). Everything else
//! there is Tokio and std primitives.
//!
//! Who waits: each pipe's connection task in one slot per direction (`writer`, waiting for
//! outbound messages; `reader`, waiting for room in `inbound`), and the application's tasks in
//! two lists of waiters (`core/waiters.rs`, `Waiters`: `recv_waiters`, `send_waiters`). Each
//! waiting operation ([`Outgoing`], [`Incoming`]) holds its own `WaiterId`: polled again it
//! refreshes its waker in place, and it removes it when it completes or is given up
//! (`abandon_*`), so a dropped operation leaves nothing behind. A change that may let waiters
//! go wakes *every* waiter of that side (`wake_all`, which drains the list): each looks again
//! under the lock, one takes what there is, the others register again. Waking one only would
//! strand the others when the woken one is dropped before it looks.
//!
//! The rules mirrored here, one function per `Core` method (and `Pipes::pop_inbound`,
//! `Pipes::mark_ready`, `Waiters` as they are):
//!
//! - `poll_send` (with `poll_send_lb`): closed: refuse. With room under `ZMQ_SNDHWM`: the send's
//!   waiter goes, the message is queued and the pipe's writer woken (`push_or_write`).
//!   Without: register in `send_waiters` (not when polled without a `Context`, a `try_send`).
//! - `abandon_send`: the send's waiter goes.
//! - `take_outbound`: take up to `max` messages; if the pipe had no room, wake all
//!   `send_waiters`; if it is empty, register the writer, or report the end once closed.
//! - `deliver_inbound`: queue up to `ZMQ_RCVHWM`; register the reader for what did not fit; if
//!   the queue *was* empty, `mark_ready`: holding a message now and not yet in the fair queue,
//!   the pipe joins it and all `recv_waiters` are woken.
//! - `poll_recv` (with `poll_recv_fq`, `pop_inbound`): take one, waking the reader if the queue
//!   *was* full and leaving the fair queue once empty; then the receive's waiter goes. Nothing
//!   there: refuse once closed, else register in `recv_waiters`.
//! - `abandon_recv`: the receive's waiter goes.
//! - `close`: mark closed (once) and wake all waiters of both sides, the writer and the reader.
//!
//! Left out, as they choose *which* queue or bypass the waiting altogether: the model is one
//! pipe (the multi-pipe choice of `pick_lb` and the fair queue only choose which queue; the
//! wake-ups are per queue as here), messages are `u32`s with no pattern preparing them, and the
//! inline paths (a sender writing through an idle connection, REQ/REP reading inline, inproc's
//! direct path) are not modelled. `Wake` and `Waiters` keep their inline storage as `Vec`s.
//!
//! The tests in `tests/` run every interleaving loom finds and fail on a lost wake-up (loom
//! reports the deadlock), a lost, duplicated or reordered message, or a queue above its mark.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use loom::sync::Mutex;

/// Wakers to call once the lock is released (`waiters::Wake`).
#[derive(Default)]
struct Wake(Vec<Waker>);

impl Wake {
    fn push(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            self.0.push(w);
        }
    }

    fn run(self) {
        for w in self.0 {
            w.wake();
        }
    }
}

/// One waiting operation's place among a socket's waiters (`waiters::WaiterId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaiterId(u64);

/// The tasks waiting on one side (receive or send) of a socket (`waiters::Waiters`).
#[derive(Default)]
struct Waiters {
    waiting: Vec<(WaiterId, Waker)>,
    next: u64,
}

impl Waiters {
    /// Registers (or refreshes) the waker of the operation holding `id`, giving it an id on its
    /// first wait.
    fn register(&mut self, id: &mut Option<WaiterId>, waker: &Waker) {
        if let Some(id) = *id {
            if let Some((_, w)) = self.waiting.iter_mut().find(|(i, _)| *i == id) {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
                return;
            }
            self.waiting.push((id, waker.clone()));
            return;
        }
        self.next += 1;
        let new = WaiterId(self.next);
        *id = Some(new);
        self.waiting.push((new, waker.clone()));
    }

    /// The operation holding `id` no longer waits (it completed, or was dropped).
    fn remove(&mut self, id: WaiterId) {
        if let Some(at) = self.waiting.iter().position(|(i, _)| *i == id) {
            self.waiting.swap_remove(at);
        }
    }

    /// Hands every waiter to `wake`, to be woken once the lock is released.
    fn wake_all(&mut self, wake: &mut Wake) {
        for (_, waker) in self.waiting.drain(..) {
            wake.push(Some(waker));
        }
    }
}

/// One `Pipe`, reduced to what the protocol reads.
struct Pipe {
    outbound: VecDeque<u32>,
    inbound: VecDeque<u32>,
    sndhwm: usize,
    rcvhwm: usize,
    /// Listed in the socket's fair queue of pipes with inbound messages.
    in_ready_list: bool,
    /// The connection task, waiting for outbound messages.
    writer: Option<Waker>,
    /// The connection task, waiting for room in `inbound`.
    reader: Option<Waker>,
}

impl Pipe {
    /// `Pipe::has_room`: one more message fits under `ZMQ_SNDHWM`.
    fn has_room(&self) -> bool {
        self.outbound.len() < self.sndhwm
    }

    /// `Pipe::inbound_full`: `inbound` is at `ZMQ_RCVHWM`.
    fn inbound_full(&self) -> bool {
        self.inbound.len() >= self.rcvhwm
    }
}

/// `Pipes` (the lock's `State`) with one pipe.
struct Pipes {
    pipe: Pipe,
    /// Tasks waiting for a message.
    recv_waiters: Waiters,
    /// Tasks waiting for room.
    send_waiters: Waiters,
    closed: bool,
}

impl Pipes {
    /// `Pipes::pop_inbound`: the next inbound message, waking the reader if the queue was full.
    fn pop_inbound(&mut self, wake: &mut Wake) -> Option<u32> {
        if !self.pipe.in_ready_list {
            return None;
        }
        let pipe = &mut self.pipe;
        let was_full = pipe.inbound_full();
        let Some(msg) = pipe.inbound.pop_front() else {
            pipe.in_ready_list = false;
            return None;
        };
        if was_full {
            wake.push(pipe.reader.take());
        }
        if pipe.inbound.is_empty() {
            pipe.in_ready_list = false;
        }
        Some(msg)
    }

    /// `Pipes::mark_ready`: the pipe's inbound queue may have become non-empty: if it holds a
    /// message now, it joins the fair queue and the receivers are woken.
    fn mark_ready(&mut self, wake: &mut Wake) {
        let pipe = &mut self.pipe;
        if !pipe.inbound.is_empty() && !pipe.in_ready_list {
            pipe.in_ready_list = true;
            self.recv_waiters.wake_all(wake);
        }
    }
}

/// The shared state of a socket with one pipe.
pub struct Core {
    state: Mutex<Pipes>,
}

/// What [`Core::take_outbound`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Outbound {
    /// Messages were moved out.
    Taken,
    /// Nothing to send; the writer's waker is registered.
    Empty,
    /// Closed and drained.
    Finished,
}

/// The socket was closed.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed;

/// One send in progress: the message, and the send's place among the waiters.
#[derive(Debug, Default)]
pub struct Outgoing {
    msg: Option<u32>,
    waiter: Option<WaiterId>,
}

impl Outgoing {
    /// A send of `msg`.
    pub fn new(msg: u32) -> Outgoing {
        Outgoing {
            msg: Some(msg),
            waiter: None,
        }
    }
}

/// One receive in progress: its place among the waiters.
#[derive(Debug, Default)]
pub struct Incoming {
    waiter: Option<WaiterId>,
}

impl Core {
    /// A socket with one pipe of these high-water marks (messages; at least 1).
    pub fn new(sndhwm: usize, rcvhwm: usize) -> Core {
        Core {
            state: Mutex::new(Pipes {
                pipe: Pipe {
                    outbound: VecDeque::new(),
                    inbound: VecDeque::new(),
                    sndhwm,
                    rcvhwm,
                    in_ready_list: false,
                    writer: None,
                    reader: None,
                },
                recv_waiters: Waiters::default(),
                send_waiters: Waiters::default(),
                closed: false,
            }),
        }
    }

    /// `Core::poll_send` with `poll_send_lb` and `push_or_write` (queueing). `Pending` while
    /// there is no room; `cx`'s waker is then registered (without `cx`, nothing is).
    pub fn poll_send(
        &self,
        cx: Option<&mut Context<'_>>,
        out: &mut Outgoing,
    ) -> Poll<Result<(), Closed>> {
        let mut wake = Wake::default();
        let mut st = self.state.lock().expect("not poisoned");
        if st.closed {
            out.msg = None;
            return Poll::Ready(Err(Closed));
        }
        let pipes = &mut *st;
        if !pipes.pipe.has_room() {
            if let Some(cx) = cx {
                pipes.send_waiters.register(&mut out.waiter, cx.waker());
            }
            drop(st);
            wake.run();
            return Poll::Pending;
        }
        if let Some(id) = out.waiter.take() {
            pipes.send_waiters.remove(id);
        }
        if let Some(msg) = out.msg.take() {
            pipes.pipe.outbound.push_back(msg);
            wake.push(pipes.pipe.writer.take());
        }
        drop(st);
        wake.run();
        Poll::Ready(Ok(()))
    }

    /// `Core::abandon_send`: a send is given up (its future dropped, or its time out).
    pub fn abandon_send(&self, out: &mut Outgoing) {
        if let Some(id) = out.waiter.take() {
            self.state
                .lock()
                .expect("not poisoned")
                .send_waiters
                .remove(id);
        }
    }

    /// `Core::take_outbound`.
    pub fn take_outbound(&self, cx: &mut Context<'_>, max: usize, into: &mut Vec<u32>) -> Outbound {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock().expect("not poisoned");
            let pipes = &mut *st;
            let closed = pipes.closed;
            let pipe = &mut pipes.pipe;
            if pipe.outbound.is_empty() {
                if closed {
                    Outbound::Finished
                } else {
                    pipe.writer = Some(cx.waker().clone());
                    Outbound::Empty
                }
            } else {
                let was_full = !pipe.has_room();
                let n = max.min(pipe.outbound.len());
                into.extend(pipe.outbound.drain(..n));
                if was_full {
                    pipes.send_waiters.wake_all(&mut wake);
                }
                Outbound::Taken
            }
        };
        wake.run();
        result
    }

    /// `Core::deliver_inbound`: true when everything went in.
    pub fn deliver_inbound(&self, cx: &mut Context<'_>, from: &mut VecDeque<u32>) -> bool {
        let mut wake = Wake::default();
        let all = {
            let mut st = self.state.lock().expect("not poisoned");
            let pipes = &mut *st;
            let pipe = &mut pipes.pipe;
            let was_empty = pipe.inbound.is_empty();
            let room = pipe.rcvhwm.saturating_sub(pipe.inbound.len());
            let n = room.min(from.len());
            pipe.inbound.extend(from.drain(..n));
            assert!(
                pipe.inbound.len() <= pipe.rcvhwm,
                "inbound above ZMQ_RCVHWM"
            );
            if !from.is_empty() {
                pipe.reader = Some(cx.waker().clone());
            }
            if was_empty {
                pipes.mark_ready(&mut wake);
            }
            from.is_empty()
        };
        wake.run();
        all
    }

    /// `Core::poll_recv` with `poll_recv_fq`. `Pending` when nothing is there; `cx`'s waker is
    /// then registered (without `cx`, nothing is).
    pub fn poll_recv(
        &self,
        cx: Option<&mut Context<'_>>,
        op: &mut Incoming,
    ) -> Poll<Result<u32, Closed>> {
        let mut wake = Wake::default();
        let mut st = self.state.lock().expect("not poisoned");
        let pipes = &mut *st;
        let polled = match pipes.pop_inbound(&mut wake) {
            Some(msg) => Poll::Ready(Ok(msg)),
            None if pipes.closed => Poll::Ready(Err(Closed)),
            None => Poll::Pending,
        };
        if polled.is_ready() {
            if let Some(id) = op.waiter.take() {
                pipes.recv_waiters.remove(id);
            }
        } else if let Some(cx) = cx {
            pipes.recv_waiters.register(&mut op.waiter, cx.waker());
        }
        drop(st);
        wake.run();
        polled
    }

    /// `Core::abandon_recv`: a receive is given up (its future dropped, or its time out).
    pub fn abandon_recv(&self, op: &mut Incoming) {
        if let Some(id) = op.waiter.take() {
            self.state
                .lock()
                .expect("not poisoned")
                .recv_waiters
                .remove(id);
        }
    }

    /// `Core::close`. A second close changes nothing.
    pub fn close(&self) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock().expect("not poisoned");
            let pipes = &mut *st;
            if pipes.closed {
                return;
            }
            pipes.closed = true;
            pipes.recv_waiters.wake_all(&mut wake);
            pipes.send_waiters.wake_all(&mut wake);
            wake.push(pipes.pipe.writer.take());
            wake.push(pipes.pipe.reader.take());
        }
        wake.run();
    }
}
