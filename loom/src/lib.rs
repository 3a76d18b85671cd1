//! A faithful extraction, for the `loom` model checker, of the one piece of hand-written
//! synchronisation in `zmtp-socket`: how a socket (the application side) and a connection task
//! hand messages to each other through a pipe under one lock, with at most one registered waker
//! per waiting party.
//!
//! The socket side (`crates/zmtp-socket/src/core/mod.rs`, `Core`) keeps every pipe in one
//! `Mutex<State>`; each operation checks its condition and registers its waker under the lock,
//! decides under the lock whom to wake, and wakes them after unlocking (`Wake`). Everything else
//! there is Tokio and std primitives. The rules mirrored here, one function per `Core` method:
//!
//! - `poll_send_lb`: with room under `ZMQ_SNDHWM`, queue and wake the pipe's writer (the
//!   connection task); without, register the sender's waker. Closed: refuse.
//! - `take_outbound`: take up to `max` messages; if the queue *was* full, wake the sender; if it is
//!   empty, register the writer, or report the end once the socket is closed.
//! - `deliver_inbound`: queue up to `ZMQ_RCVHWM`; register the reader (the connection task) for
//!   what did not fit; if the queue *was* empty and now is not, wake the receiver.
//! - `poll_recv_fq`: take one; if the queue *was* full, wake the reader; if empty, register the
//!   receiver's waker, or refuse once closed.
//! - `close`: mark closed and wake everyone registered.
//!
//! The model is one pipe (the multi-pipe choice of `pick_lb` and the fair queue only choose
//! *which* queue; the wake-ups are per queue as here). The tests in `tests/` run every
//! interleaving loom finds and fail on a lost wake-up (loom reports the deadlock), a lost or
//! reordered message, or a queue above its mark.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use loom::sync::Mutex;

/// Whoever to wake once the lock is released (`Wake` in `Core`).
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

/// `State` and one `Pipe`, reduced to what the protocol reads.
struct State {
    outbound: VecDeque<u32>,
    inbound: VecDeque<u32>,
    sndhwm: usize,
    rcvhwm: usize,
    closed: bool,
    /// The application, waiting for room to send.
    send_waker: Option<Waker>,
    /// The application, waiting for a message.
    recv_waker: Option<Waker>,
    /// The connection task, waiting for outbound messages.
    writer: Option<Waker>,
    /// The connection task, waiting for room in `inbound`.
    reader: Option<Waker>,
}

/// The shared state of a socket with one pipe.
pub struct Core {
    state: Mutex<State>,
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

impl Core {
    /// A socket with one pipe of these high-water marks (messages; at least 1).
    pub fn new(sndhwm: usize, rcvhwm: usize) -> Core {
        Core {
            state: Mutex::new(State {
                outbound: VecDeque::new(),
                inbound: VecDeque::new(),
                sndhwm,
                rcvhwm,
                closed: false,
                send_waker: None,
                recv_waker: None,
                writer: None,
                reader: None,
            }),
        }
    }

    /// `Core::poll_send_lb`.
    pub fn poll_send(
        &self,
        cx: &mut Context<'_>,
        msg: &mut Option<u32>,
    ) -> Poll<Result<(), Closed>> {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock().expect("not poisoned");
            if st.closed {
                return Poll::Ready(Err(Closed));
            }
            if st.outbound.len() < st.sndhwm {
                if let Some(m) = msg.take() {
                    st.outbound.push_back(m);
                }
                wake.push(st.writer.take());
                Poll::Ready(Ok(()))
            } else {
                st.send_waker = Some(cx.waker().clone());
                Poll::Pending
            }
        };
        wake.run();
        result
    }

    /// `Core::take_outbound`.
    pub fn take_outbound(&self, cx: &mut Context<'_>, max: usize, into: &mut Vec<u32>) -> Outbound {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock().expect("not poisoned");
            if st.outbound.is_empty() {
                if st.closed {
                    Outbound::Finished
                } else {
                    st.writer = Some(cx.waker().clone());
                    Outbound::Empty
                }
            } else {
                let was_full = st.outbound.len() >= st.sndhwm;
                let n = max.min(st.outbound.len());
                into.extend(st.outbound.drain(..n));
                if was_full {
                    wake.push(st.send_waker.take());
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
            let was_empty = st.inbound.is_empty();
            while st.inbound.len() < st.rcvhwm {
                let Some(m) = from.pop_front() else { break };
                st.inbound.push_back(m);
            }
            assert!(st.inbound.len() <= st.rcvhwm, "inbound above ZMQ_RCVHWM");
            if !from.is_empty() {
                st.reader = Some(cx.waker().clone());
            }
            if was_empty && !st.inbound.is_empty() {
                wake.push(st.recv_waker.take());
            }
            from.is_empty()
        };
        wake.run();
        all
    }

    /// `Core::poll_recv_fq`.
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<u32, Closed>> {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock().expect("not poisoned");
            let was_full = st.inbound.len() >= st.rcvhwm;
            match st.inbound.pop_front() {
                Some(m) => {
                    if was_full {
                        wake.push(st.reader.take());
                    }
                    Poll::Ready(Ok(m))
                }
                None if st.closed => Poll::Ready(Err(Closed)),
                None => {
                    st.recv_waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        };
        wake.run();
        result
    }

    /// `Core::close`.
    pub fn close(&self) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock().expect("not poisoned");
            st.closed = true;
            wake.push(st.recv_waker.take());
            wake.push(st.send_waker.take());
            wake.push(st.writer.take());
            wake.push(st.reader.take());
        }
        wake.run();
    }
}
