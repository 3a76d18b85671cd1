//! The direct path of an inproc connection: a sending socket puts each message straight into
//! the receiving socket's inbound queue, with no task in between.
//!
//! Both ends of a connection's direction share one [`Flow`]: the receiving pipe publishes how
//! many messages it holds, so the sender can apply the connection's high-water mark (its
//! `ZMQ_SNDHWM` plus the peer's `ZMQ_RCVHWM`, as libzmq sums them for inproc) without taking the
//! receiver's lock, and a sender that finds it full leaves its waker here for the receiver to
//! wake once it has read one. The sending pipe also holds the receiving socket's core and pipe id
//! ([`DirectOut`]); the link task only sets this up, flushes what was queued before, and tears it
//! down.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Waker;

use parking_lot::Mutex;

use super::pipe::low_water;
use super::{Core, PipeId};

/// The state one direction of an inproc connection shares between its two sockets.
#[derive(Debug)]
pub(crate) struct Flow {
    /// Messages in the receiving pipe's inbound queue.
    queued: AtomicUsize,
    /// The sending socket's `ZMQ_SNDHWM` (0: unbounded).
    sndhwm: AtomicUsize,
    /// The receiving socket's `ZMQ_RCVHWM` (0: unbounded).
    rcvhwm: AtomicUsize,
    /// The sender found no room and waits for [`Flow::waker`].
    sender_waiting: AtomicBool,
    /// Whom to wake. A plain slot rather than an `AtomicWaker`: registering must never wake
    /// synchronously, because the sender registers under its socket's lock and its waker
    /// ([`Core::send_wake`]) takes that lock (an `AtomicWaker` racing a concurrent take wakes
    /// the registering waker in place, which deadlocked a shared PUSH over inproc). The
    /// ordering of `sender_waiting` and `queued` (both `SeqCst`) keeps a read made meanwhile
    /// from being missed: see [`Flow::wait`].
    waker: Mutex<Option<Waker>>,
}

impl Flow {
    pub(crate) fn new(sndhwm: usize, rcvhwm: usize) -> Flow {
        Flow {
            queued: AtomicUsize::new(0),
            sndhwm: AtomicUsize::new(sndhwm),
            rcvhwm: AtomicUsize::new(rcvhwm),
            sender_waiting: AtomicBool::new(false),
            waker: Mutex::new(None),
        }
    }

    /// How many messages the connection holds at most: the sum of the two marks, unbounded if
    /// either is (libzmq's `inproc_connect` arithmetic).
    fn limit(&self) -> usize {
        let (snd, rcv) = (
            self.sndhwm.load(Ordering::Relaxed),
            self.rcvhwm.load(Ordering::Relaxed),
        );
        if snd == 0 || rcv == 0 {
            usize::MAX
        } else {
            snd.saturating_add(rcv)
        }
    }

    /// Whether one more message fits, counting `outbound` still queued at the sender.
    pub(crate) fn has_room(&self, outbound: usize) -> bool {
        outbound.saturating_add(self.queued.load(Ordering::SeqCst)) < self.limit()
    }

    /// The sender will sleep: registers its waker, then looks again (so that a read in between
    /// is not missed: a read before the flag is set is seen by this look, one after it finds
    /// the flag and takes the waker). Whether there is room now. Never wakes anything itself.
    pub(crate) fn wait(&self, waker: &Waker, outbound: usize) -> bool {
        {
            let mut slot = self.waker.lock();
            match &*slot {
                Some(old) if old.will_wake(waker) => {}
                _ => *slot = Some(waker.clone()),
            }
        }
        self.sender_waiting.store(true, Ordering::SeqCst);
        self.has_room(outbound)
    }

    /// The receiving pipe now holds `len` messages (after a push).
    pub(crate) fn pushed(&self, len: usize) {
        self.queued.store(len, Ordering::SeqCst);
    }

    /// The receiving pipe now holds `len` messages (after a read): the sender to wake, if it
    /// waits and the connection is down to its low-water mark ([`low_water`]).
    pub(crate) fn popped(&self, len: usize) -> Option<Waker> {
        self.queued.store(len, Ordering::SeqCst);
        if self.sender_waiting.load(Ordering::SeqCst)
            && len <= low_water(self.limit())
            && self.sender_waiting.swap(false, Ordering::SeqCst)
        {
            self.waker.lock().take()
        } else {
            None
        }
    }

    /// The connection ends or its marks changed: the sender looks again.
    pub(crate) fn release(&self) -> Option<Waker> {
        self.sender_waiting.store(false, Ordering::SeqCst);
        self.waker.lock().take()
    }

    /// The sending socket's `ZMQ_SNDHWM` changed.
    pub(crate) fn set_sndhwm(&self, sndhwm: usize) {
        self.sndhwm.store(sndhwm, Ordering::Relaxed);
    }

    /// The receiving socket's `ZMQ_RCVHWM` changed.
    pub(crate) fn set_rcvhwm(&self, rcvhwm: usize) {
        self.rcvhwm.store(rcvhwm, Ordering::Relaxed);
    }
}

/// The sending end of a direct path: where its messages go.
#[derive(Debug, Clone)]
pub(crate) struct DirectOut {
    /// The receiving socket.
    pub(crate) core: Arc<Core>,
    /// Its pipe for this connection.
    pub(crate) pipe: PipeId,
    pub(crate) flow: Arc<Flow>,
}

#[cfg(test)]
mod tests {
    use super::Flow;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use std::thread::{self, ThreadId};

    /// Records a wake made on the registering thread: that thread holds its socket's lock
    /// while it registers, and the socket's waker takes that lock.
    struct OnlyFrom {
        registering: ThreadId,
        woke_in_place: AtomicBool,
    }

    impl Wake for OnlyFrom {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            if thread::current().id() == self.registering {
                self.woke_in_place.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Counts its wakes.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A sender that registers another waker than the one the flow holds replaces it: a read
    /// then wakes the new one, not the stale one. (A socket always registers its own
    /// `Core::send_wake`, so this is the flow's contract rather than something a socket
    /// shows.)
    #[test]
    fn a_new_waker_replaces_the_one_registered_before() {
        let flow = Flow::new(1, 1);
        let (old, new) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        flow.pushed(2);
        assert!(!flow.wait(&Waker::from(old.clone()), 0), "full");
        assert!(!flow.wait(&Waker::from(new.clone()), 0), "still full");
        flow.popped(1).expect("room: the sender is woken").wake();
        assert_eq!(
            (old.0.load(Ordering::SeqCst), new.0.load(Ordering::SeqCst)),
            (0, 1),
            "the waker registered last is woken"
        );
    }

    /// A sender registering while the receiver reads concurrently is never woken from inside
    /// its own `wait` (which, under the socket's lock, deadlocked a shared PUSH over inproc).
    #[test]
    fn waiting_never_wakes_the_waiter_in_place() {
        let flow = Arc::new(Flow::new(1, 1));
        let probe = Arc::new(OnlyFrom {
            registering: thread::current().id(),
            woke_in_place: AtomicBool::new(false),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (flow, stop) = (flow.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    if let Some(w) = flow.popped(0) {
                        w.wake();
                    }
                    if let Some(w) = flow.release() {
                        w.wake();
                    }
                }
            })
        };
        for _ in 0..200_000 {
            // A fresh waker each time, as a different task's would be.
            let waker = Waker::from(probe.clone());
            flow.pushed(2);
            let _ = flow.wait(&waker, 0);
            if probe.woke_in_place.load(Ordering::SeqCst) {
                break;
            }
        }
        stop.store(true, Ordering::SeqCst);
        reader.join().expect("reader");
        assert!(
            !probe.woke_in_place.load(Ordering::SeqCst),
            "the waiter was woken inside its own wait"
        );
    }
}
