//! The pipes of one socket and what every pattern does with them: load balancing (the next pipe
//! in turn with room), fair queueing (the next pipe in turn with a message), the waiters on each
//! side, and the marks (`ZMQ_SNDHWM`, `ZMQ_RCVHWM`) new pipes take. The patterns
//! ([`super::pattern`]) decide which of these a socket type uses, and how.

use std::collections::VecDeque;
use std::task::Waker;
use std::time::Instant;

use bytes::Bytes;
use slab::Slab;
use zmtp_codec::Message;

use super::pipe::{Pipe, PipeId, PipeItem};
use super::waiters::{Waiters, Wake};

/// A socket's pipes, and the state of their load balancing and fair queueing.
#[derive(Debug, Default)]
pub(crate) struct Pipes {
    slab: Slab<Pipe>,
    next_generation: u64,
    /// Pipes taking outbound messages, in load-balancing order.
    pub(crate) lb: Vec<usize>,
    lb_next: usize,
    /// Pipes with inbound messages, in fair-queueing order.
    ready: VecDeque<usize>,
    /// Tasks waiting for a message.
    pub(crate) recv_waiters: Waiters,
    /// Tasks waiting for room (or for a peer).
    pub(crate) send_waiters: Waiters,
    /// The application closed the socket: connections flush until `linger_until`, then stop.
    pub(crate) closed: bool,
    /// The socket was closed by its context's termination: sends and receives say so
    /// ([`crate::Error::ContextTerminated`], libzmq's `ETERM`) rather than
    /// [`crate::Error::Closed`].
    pub(crate) terminated: bool,
    /// When lingering connections give up (`None`: wait for ever, libzmq's `ZMQ_LINGER` -1).
    pub(crate) linger_until: Option<Instant>,
    /// `ZMQ_SNDHWM` / `ZMQ_RCVHWM` now (0: unbounded): new pipes take them, and a change reaches
    /// the pipes there are (as libzmq 4.2+ does).
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    /// `ZMQ_CONFLATE` for pipes made from now on.
    pub(crate) conflate: bool,
    /// `ZMQ_PROBE_ROUTER` now, read when a peer attaches.
    pub(crate) probe_router: bool,
}

impl Pipes {
    /// What a send or receive on the closed socket gets: [`crate::Error::ContextTerminated`]
    /// when its context's termination closed it, [`crate::Error::Closed`] otherwise.
    pub(crate) fn closed_error(&self) -> crate::Error {
        if self.terminated {
            crate::Error::ContextTerminated
        } else {
            crate::Error::Closed
        }
    }

    /// The pipe `id` names, if it is still there.
    pub(crate) fn get_mut(&mut self, id: PipeId) -> Option<&mut Pipe> {
        self.slab
            .get_mut(id.key)
            .filter(|p| p.generation == id.generation)
    }

    /// The pipe at `key`.
    pub(crate) fn at(&self, key: usize) -> Option<&Pipe> {
        self.slab.get(key)
    }

    /// The pipe at `key`, to change.
    pub(crate) fn at_mut(&mut self, key: usize) -> Option<&mut Pipe> {
        self.slab.get_mut(key)
    }

    /// The id of the pipe at `key`.
    pub(crate) fn id(&self, key: usize) -> Option<PipeId> {
        self.slab.get(key).map(|p| PipeId {
            key,
            generation: p.generation,
        })
    }

    /// Every pipe, with its key.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &Pipe)> {
        self.slab.iter()
    }

    /// Every pipe, with its key, to change.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut Pipe)> {
        self.slab.iter_mut()
    }

    /// A new pipe with the socket's marks.
    pub(crate) fn insert(&mut self) -> PipeId {
        self.next_generation += 1;
        let generation = self.next_generation;
        let mut pipe = Pipe::new(generation, self.sndhwm, self.rcvhwm);
        pipe.conflate = self.conflate;
        let key = self.slab.insert(pipe);
        PipeId { key, generation }
    }

    /// Removes the pipe at `key` (its routing id, if any, is the pattern's to forget first).
    pub(crate) fn remove(&mut self, key: usize) {
        if self.slab.contains(key) {
            self.slab.remove(key);
        }
        self.lb.retain(|&k| k != key);
        self.ready.retain(|&k| k != key);
    }

    /// Takes the pipe at `key` out of load balancing and fair queueing, dropping what it
    /// received: the socket no longer reads or writes it, though it stays in place.
    pub(crate) fn forget(&mut self, key: usize) {
        self.leave_lb(key);
        self.ready.retain(|&k| k != key);
        if let Some(pipe) = self.slab.get_mut(key) {
            pipe.in_ready_list = false;
            pipe.inbound.clear();
        }
    }

    /// Lists the pipe at `key` for load balancing (once).
    pub(crate) fn join_lb(&mut self, key: usize) {
        if let Some(pipe) = self.slab.get_mut(key) {
            if !pipe.in_lb {
                pipe.in_lb = true;
                self.lb.push(key);
            }
        }
    }

    /// Takes the pipe at `key` out of load balancing.
    pub(crate) fn leave_lb(&mut self, key: usize) {
        if let Some(pipe) = self.slab.get_mut(key) {
            pipe.in_lb = false;
        }
        self.lb.retain(|&k| k != key);
    }

    /// The next pipe in turn that may take a message, advancing the turn.
    pub(crate) fn pick_lb(&mut self) -> Option<usize> {
        let n = self.lb.len();
        if n == 1 {
            // One peer (the usual PUSH or DEALER): no modulo. The turn is left where the loop
            // below would leave it (at the first pipe), for when a second peer joins.
            let key = self.lb[0];
            let room = self.slab.get(key).is_some_and(Pipe::has_room);
            if room {
                self.lb_next = 0;
            }
            return room.then_some(key);
        }
        for i in 0..n {
            let at = (self.lb_next + i) % n;
            let key = self.lb[at];
            if self.slab.get(key).is_some_and(Pipe::has_room) {
                self.lb_next = (at + 1) % n;
                return Some(key);
            }
        }
        None
    }

    /// The next pipe in turn, room or not (a message a closing handle hands to linger).
    pub(crate) fn next_lb(&mut self) -> Option<usize> {
        let n = self.lb.len();
        if n == 0 {
            return None;
        }
        let at = self.lb_next % n;
        self.lb_next = (at + 1) % n;
        Some(self.lb[at])
    }

    /// The next inbound message in fair-queueing order (as [`Pipes::pop_inbound`], without the
    /// pipe's id and routing id).
    #[inline]
    pub(crate) fn pop_message(&mut self, wake: &mut Wake) -> Option<Message> {
        self.pop_inbound(wake).map(|(_, msg, _)| msg)
    }

    /// The next inbound message in fair-queueing order, with its pipe and the pipe's routing id.
    #[inline]
    pub(crate) fn pop_inbound(
        &mut self,
        wake: &mut Wake,
    ) -> Option<(PipeId, Message, Option<Bytes>)> {
        loop {
            let key = *self.ready.front()?;
            let Some(pipe) = self.slab.get_mut(key) else {
                self.ready.pop_front();
                continue;
            };
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
            if pipe.reader.is_some() && pipe.inbound_drained() {
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

    /// A pipe's inbound queue may have become non-empty: if it holds a message now, it joins
    /// the fair queue and the receivers are woken.
    pub(crate) fn mark_ready(&mut self, key: usize, wake: &mut Wake) {
        let Some(pipe) = self.slab.get_mut(key) else {
            return;
        };
        if !pipe.inbound.is_empty() && !pipe.in_ready_list && !pipe.ignored {
            pipe.in_ready_list = true;
            self.ready.push_back(key);
            self.recv_waiters.wake_all(wake);
        }
    }

    /// A sender found no room: registers `waker` on every inproc flow it sends into. Whether
    /// one has room after all.
    pub(crate) fn wait_direct(&self, waker: &Waker) -> bool {
        let mut room = false;
        for &key in &self.lb {
            if let Some(pipe) = self.slab.get(key) {
                if let Some(direct) = &pipe.direct {
                    room |=
                        !pipe.conflate && direct.flow.wait(waker, pipe.outbound.len() + pipe.lent);
                }
            }
        }
        room
    }

    /// Queues `item` on every attached pipe in load-balancing order. `ignore_hwm`: queued
    /// whatever the pipes hold (subscriptions); otherwise a full pipe misses it (an XSUB's
    /// other messages, as libzmq drops them).
    pub(crate) fn send_to_all(&mut self, item: PipeItem, ignore_hwm: bool, wake: &mut Wake) {
        let mut item = Some(item);
        let n = self.lb.len();
        for i in 0..n {
            let key = self.lb[i];
            let Some(pipe) = self.slab.get_mut(key) else {
                continue;
            };
            if !pipe.attached || !(ignore_hwm || pipe.has_room()) {
                continue;
            }
            let copy = if i + 1 == n {
                item.take()
            } else {
                item.clone()
            };
            match copy {
                Some(PipeItem::Message(m)) => pipe.push_outbound(m),
                // A subscription is never conflated away (ZMQ_CONFLATE is for data).
                Some(other) => pipe.outbound.push_back(other),
                None => {}
            }
            wake.push(pipe.writer.take());
        }
    }
}
