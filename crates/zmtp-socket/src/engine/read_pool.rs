//! Read buffers given up by idle connections ([`Connection::release_recv_buf`]), kept a few
//! per thread for the next connection of the thread that has bytes to read.
//!
//! An idle connection holds no read buffer: when its read would block and it has nothing in
//! its buffer, it gives the buffer up, here. A buffer given up may still be shared with the
//! messages last read into it (they wait in the socket's queue until the application takes
//! them); its memory goes when they do, unless it is taken again first. When such a
//! connection has bytes again, its driver reads them into space on its stack and takes from
//! here a buffer with room for them and for a read more (its own, most often: the most recent
//! first), or has the connection make one. So a connection that reads one message now and
//! then allocates nothing per message once its thread has buffers here, and 10,000 idle
//! connections hold [`KEPT`] buffers between them, not one each.
//!
//! [`Connection::release_recv_buf`]: zmtp_codec::Connection::release_recv_buf

use std::cell::RefCell;
use std::collections::VecDeque;

use bytes::BytesMut;

/// Buffers kept per thread at most; beyond that the oldest goes (its memory is freed once the
/// messages still read into it are).
pub(crate) const KEPT: usize = 8;

thread_local! {
    static FREE: RefCell<VecDeque<BytesMut>> = const { RefCell::new(VecDeque::new()) };
}

/// Keeps `buf`, given up by an idle connection, for the thread's next read.
pub(crate) fn give(buf: BytesMut) {
    // A thread being torn down keeps nothing: the buffer is dropped.
    let _ = FREE.try_with(|free| {
        let mut free = free.borrow_mut();
        let oldest = if free.len() >= KEPT {
            free.pop_front()
        } else {
            None
        };
        free.push_back(buf);
        // Dropped outside the borrow.
        drop(free);
        drop(oldest);
    });
}

/// A kept buffer that takes `len` bytes and still has `room` bytes free after them, without
/// allocating (the most recently kept first), if there is one.
pub(crate) fn take(len: usize, room: usize) -> Option<BytesMut> {
    FREE.try_with(|free| {
        let mut free = free.borrow_mut();
        let i = free.iter_mut().rposition(|b| b.try_reclaim(len + room))?;
        free.remove(i)
    })
    .ok()
    .flatten()
}

/// Buffers this thread keeps (for tests).
#[cfg(test)]
pub(crate) fn kept() -> usize {
    FREE.with(|free| free.borrow().len())
}
