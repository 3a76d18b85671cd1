//! CURVE's box allocates nothing: sealing and opening a MESSAGE's box in place (the XSalsa20 and
//! Poly1305 states, the one-time key, the tag) live on the stack, at every size. A counting
//! `#[global_allocator]` counts this thread's allocations around repeated seals and opens.
#![cfg(feature = "curve")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use zmtp_security::curve::BenchBox;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; counting touches only a
// const-initialised thread-local (which does not allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn sealing_and_opening_allocate_nothing() {
    let key = BenchBox::new(&[7u8; 32]);
    for len in [0, 1, 65, 1025, 65_537] {
        let mut buf = vec![0x3cu8; 16 + len];
        // Fewer of the large ones: the cipher runs unoptimized in a debug build.
        let rounds = if len > 4096 { 20 } else { 1_000 };
        let before = ALLOCS.with(Cell::get);
        for n in 1..=rounds {
            assert!(key.seal(n, &mut buf), "seals");
            assert!(key.open(n, &mut buf), "opens");
        }
        let allocs = ALLOCS.with(Cell::get) - before;
        assert_eq!(
            allocs, 0,
            "allocations in {rounds} seals and opens of {len} bytes"
        );
        assert!(
            buf[16..].iter().all(|&b| b == 0x3c),
            "round trip at {len} bytes"
        );
    }
}
