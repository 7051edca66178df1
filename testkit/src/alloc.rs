//! A counting global allocator: the heap a test binary's Rust code holds, in bytes and blocks.
//!
//! Resident memory also counts what the C allocator keeps after a free (glibc's per-thread
//! arenas keep the top of their heaps, which `malloc_trim` does not return), so a test that
//! asks "does anything keep memory it should have freed?" reads these counters instead. A
//! global allocator is one per binary; a test file installs this one with
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;
//! ```
//!
//! and reads [`heap_live`] and [`heap_peak`]. In a binary that did not install it the
//! counters stay at 0. The cost is two or three relaxed atomic operations per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting what it hands out and gets back.
pub struct CountingAlloc;

static BYTES: AtomicUsize = AtomicUsize::new(0);
static BLOCKS: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = BYTES.fetch_add(by, Relaxed).wrapping_add(by);
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to `System` with the caller's arguments; the counters only
// observe.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `GlobalAlloc::alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            BLOCKS.fetch_add(1, Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            BLOCKS.fetch_add(1, Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`: `ptr` came from this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        BLOCKS.fetch_sub(1, Relaxed);
        BYTES.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                BYTES.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

/// What the heap holds now: bytes requested and not yet freed, and the number of blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HeapLive {
    /// Bytes allocated and not freed (as requested, without the allocator's overhead).
    pub bytes: usize,
    /// Allocations not freed.
    pub blocks: usize,
}

/// The heap held now, by every thread of the process (0 unless [`CountingAlloc`] is the
/// binary's global allocator).
pub fn heap_live() -> HeapLive {
    HeapLive {
        bytes: BYTES.load(Relaxed),
        blocks: BLOCKS.load(Relaxed),
    }
}

/// The most bytes held at once since the previous call (or the start), and starts a new
/// period from what is held now.
pub fn heap_peak() -> usize {
    PEAK.swap(BYTES.load(Relaxed), Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOC: CountingAlloc = CountingAlloc;

    #[test]
    fn counts_what_is_held_and_the_peak() {
        // Other tests of this binary allocate meanwhile (one holds 32 MiB for a while): only
        // what this one holds is certain, and what it gives back is checked in bulk.
        let _ = heap_peak();
        let before = heap_live();
        let mut kept = Vec::new();
        for _ in 0..16 {
            let mut big = vec![1u8; 8 << 20];
            let held = heap_live();
            assert!(held.bytes >= 8 << 20 && held.blocks >= 1, "{held:?}");
            big.truncate(1);
            big.shrink_to_fit();
            kept.push(big);
        }
        assert!(heap_peak() >= 8 << 20);
        // 128 MiB more if shrinking were not counted.
        let after = heap_live();
        assert!(
            after.bytes < before.bytes + (64 << 20),
            "{before:?} -> {after:?}"
        );
        drop(kept);
    }
}
