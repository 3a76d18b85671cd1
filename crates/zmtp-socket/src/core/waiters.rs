//! Who waits on a socket, and waking them once its lock is released.
//!
//! A socket is shared: any number of tasks may wait at once to receive (a message to arrive) or
//! to send (room in a pipe). Each waiting operation registers its waker under a [`WaiterId`] of
//! its own, replaced when it is polled again and removed when it completes or is dropped, so a
//! cancelled wait leaves nothing behind. A change that may let waiters go (a message delivered,
//! room made, the socket closed) wakes every registered waiter of that side: each looks again
//! under the lock, one takes what there is, the others register again. Waking them all, rather
//! than one, means a woken waiter that is dropped before it looks never strands the others.
//! With one waiter (the usual case) this is one slot, no allocation.

use std::task::Waker;

use smallvec::SmallVec;

/// One waiting operation's place among a socket's waiters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterId(u64);

/// The tasks waiting on one side (receive or send) of a socket.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    waiting: SmallVec<[(WaiterId, Waker); 1]>,
    next: u64,
}

impl Waiters {
    /// Registers (or refreshes) the waker of the operation holding `id`, giving it an id on its
    /// first wait.
    pub(crate) fn register(&mut self, id: &mut Option<WaiterId>, waker: &Waker) {
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
    pub(crate) fn remove(&mut self, id: WaiterId) {
        if let Some(at) = self.waiting.iter().position(|(i, _)| *i == id) {
            self.waiting.swap_remove(at);
        }
    }

    /// Hands every waiter to `wake`, to be woken once the lock is released.
    pub(crate) fn wake_all(&mut self, wake: &mut Wake) {
        for (_, waker) in self.waiting.drain(..) {
            wake.push(Some(waker));
        }
    }

    /// How many operations wait now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.waiting.len()
    }
}

/// Wakers to call once the lock is released. Kept inline: a send or a batch wakes one or two
/// tasks, and waking must not allocate (a fan-out waking more than eight sleeping connections
/// at once spills to the heap). The first waker has a slot of its own, so that the usual case,
/// nobody to wake, costs a check and not a walk over an inline array.
#[derive(Debug, Default)]
pub(crate) struct Wake {
    first: Option<Waker>,
    /// The second and later wakers: made only when there are several (an `Option`, so that a
    /// set with none costs a check to drop, not a call).
    more: Option<SmallVec<[Waker; 7]>>,
}

impl Wake {
    /// Adds a waker (if any) to wake later.
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            if self.first.is_none() {
                self.first = Some(w);
            } else {
                self.more.get_or_insert_with(SmallVec::new).push(w);
            }
        }
    }

    /// Wakes everyone collected. By reference: the set (136 bytes) is not moved to be run,
    /// which costs a copy on every send and receive when there is nobody to wake.
    #[inline]
    pub(crate) fn run(&mut self) {
        if self.first.is_some() {
            self.run_all();
        }
    }

    fn run_all(&mut self) {
        if let Some(w) = self.first.take() {
            w.wake();
            for w in self.more.iter_mut().flat_map(|more| more.drain(..)) {
                w.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Count(AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn every_waiter_is_woken_once_and_a_dropped_one_is_forgotten() {
        let counts: Vec<Arc<Count>> = (0..3)
            .map(|_| Arc::new(Count(AtomicUsize::new(0))))
            .collect();
        let wakers: Vec<Waker> = counts.iter().map(|c| Waker::from(c.clone())).collect();
        let mut waiters = Waiters::default();
        let mut ids = [None; 3];
        for (id, waker) in ids.iter_mut().zip(&wakers) {
            waiters.register(id, waker);
        }
        // Polled again: refreshed in place, not listed twice.
        waiters.register(&mut ids[0], &wakers[0]);
        assert_eq!(waiters.len(), 3);
        waiters.remove(ids[1].expect("registered"));
        let mut wake = Wake::default();
        waiters.wake_all(&mut wake);
        wake.run();
        let woken: Vec<usize> = counts.iter().map(|c| c.0.load(Ordering::SeqCst)).collect();
        assert_eq!(woken, [1, 0, 1]);
        assert_eq!(waiters.len(), 0);
    }
}
