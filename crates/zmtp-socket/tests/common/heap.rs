//! What a test binary holds: live heap bytes (through a counting global allocator the binary
//! installs), open file descriptors, and a lock so that tests measuring them run one at a time.
//!
//! A test binary that measures the heap declares
//! `#[global_allocator] static HEAP: common::heap::Counting = common::heap::Counting;`.
//! Without it the counters stay at zero and [`live`] says so with a panic.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use tokio::sync::{Mutex, MutexGuard};

/// Bytes allocated and not yet freed, by the whole process.
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// The most [`LIVE`] has been since [`reset_peak`].
static PEAK: AtomicIsize = AtomicIsize::new(0);

/// The system allocator, counting live bytes and their peak.
#[derive(Debug)]
pub(crate) struct Counting;

fn grew(by: usize) {
    let now = LIVE.fetch_add(by as isize, Ordering::Relaxed) + by as isize;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrank(by: usize) {
    LIVE.fetch_sub(by as isize, Ordering::Relaxed);
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is the system allocator's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, which is the system's.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc` and `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        p
    }
}

/// Live heap bytes of the process now.
///
/// # Panics
/// If the test binary did not install [`Counting`] (the count would mean nothing).
pub(crate) fn live() -> usize {
    // Without the counting allocator nothing is ever counted; with it, the test harness alone
    // holds heap memory.
    let live = LIVE.load(Ordering::Relaxed);
    assert!(
        live > 0,
        "this test binary must install common::heap::Counting as its #[global_allocator]"
    );
    live as usize
}

/// Starts a new peak measurement from the live bytes now.
pub(crate) fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The most live heap bytes since [`reset_peak`].
pub(crate) fn peak() -> usize {
    PEAK.load(Ordering::Relaxed).max(0) as usize
}

/// Open file descriptors of the process (entries of `/proc/self/fd`, less the one the listing
/// itself holds).
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count()
        .saturating_sub(1)
}

/// Open TCP sockets of the process: descriptors of `/proc/self/fd` whose socket inode is in
/// `/proc/net/tcp` or `/proc/net/tcp6`. Unlike [`open_sockets`], this leaves out Unix
/// sockets, among them the socket pair each Tokio runtime's signal driver holds (the workspace
/// test build enables tokio's `signal` feature), which the binary's other tests make when
/// they start, even while they wait for [`exclusive`].
pub(crate) fn open_tcp_sockets() -> usize {
    let mut tcp = std::collections::HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        // Columns: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
        tcp.extend(
            text.lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().nth(9)?.parse::<u64>().ok()),
        );
    }
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy().into_owned();
            t.strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse::<u64>()
                .ok()
        })
        .filter(|inode| tcp.contains(inode))
        .count()
}

/// Open sockets of the process (descriptors of `/proc/self/fd` that are sockets). Tests count
/// these rather than all descriptors: a test binary's other tests start runtimes (epoll and
/// event descriptors) at any time, but make no sockets while one test holds [`exclusive`].
pub(crate) fn open_sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// The soft limit on open files (`RLIMIT_NOFILE`), from `/proc/self/limits`.
pub(crate) fn fd_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("read /proc/self/limits");
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(usize::MAX)
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Holds the process to this test alone while the guard lives: live bytes and descriptors are
/// process-wide, so tests measuring them must not overlap. (An async lock: each test holds it
/// across its awaits, on its own runtime.)
pub(crate) async fn exclusive() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}
