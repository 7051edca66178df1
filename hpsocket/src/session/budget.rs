//! The component's memory budget: what its peers can make it hold, in bytes, across all its
//! connections — queued sends (and unreported `on_send` copies), PACK partial packets, PULL
//! buffers, and the unfinished TLS record each TLS connection's rustls holds.
//!
//! Each connection's own bounds (`max_pending_bytes`, `max_pack_size`, `pull_buffer_limit`)
//! stop one peer; the budget stops their sum, which with 10,000 connections would otherwise
//! reach tens of GiB. Past the soft limit (¾ of the budget) a connection that holds received
//! bytes stops reading (the kernel's window then slows its peer) until the component holds
//! less again; past the budget itself a connection whose holdings grow is closed with
//! (`Receive`, `ENOBUFS`) and a `send` fails with `Error::MemoryBudget` — one connection
//! pays, never the process. Sans-IO but for one call: counters that sessions charge and
//! release, and after a peak, a hint to the allocator.
//!
//! Returning memory after a peak: freeing a buffer gives it back to the allocator, not to the
//! system, and glibc keeps freed pages in its per-thread arenas (an attack that made a server
//! hold 900 MB left it resident after the peers left). When the total held falls to a quarter
//! of a peak of at least [`TRIM_PEAK`], the thread that saw the fall asks glibc to return
//! its free pages (`malloc_trim`). Steady traffic never triggers it: the held total must
//! rise past 64 MiB and then fall by ¾.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Smallest peak after which a fall returns memory to the system.
pub(crate) const TRIM_PEAK: usize = 64 << 20;

pub(crate) struct Budget {
    limit: usize,
    soft: usize,
    held: AtomicUsize,
    /// Highest total held since the last trim, tracked only above [`TRIM_PEAK`] (0 below).
    peak: AtomicUsize,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            soft: limit / 4 * 3,
            held: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Readers holding bytes should stop.
    pub fn over_soft(&self) -> bool {
        self.held() > self.soft
    }

    /// Growing holders are closed, sends refused.
    pub fn over_limit(&self) -> bool {
        self.held() > self.limit
    }

    /// Charges `more` bytes if they fit under the budget, in one atomic step (concurrent
    /// senders cannot pass it together); false, and nothing charged, when they do not.
    pub fn reserve(&self, more: usize) -> bool {
        match self
            .held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
                h.checked_add(more).filter(|&n| n <= self.limit)
            }) {
            Ok(h) => {
                self.rose(h + more);
                true
            }
            Err(_) => false,
        }
    }

    /// Moves one holder's charge from `old` to `new` bytes.
    pub fn recharge(&self, old: usize, new: usize) {
        if new > old {
            let h = self.held.fetch_add(new - old, Ordering::Relaxed) + (new - old);
            self.rose(h);
        } else if old > new {
            let h = self.held.fetch_sub(old - new, Ordering::Relaxed) - (old - new);
            if self.fell(h) {
                release_free_memory();
            }
        }
    }

    fn rose(&self, held: usize) {
        if held >= TRIM_PEAK {
            self.peak.fetch_max(held, Ordering::Relaxed);
        }
    }

    /// Whether this fall to `held` is the one that ends a peak (one caller wins).
    fn fell(&self, held: usize) -> bool {
        let peak = self.peak.load(Ordering::Relaxed);
        peak >= TRIM_PEAK
            && held <= peak / 4
            && self
                .peak
                .compare_exchange(peak, 0, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

pub(crate) use crate::sys::release_free_memory;

impl Default for Budget {
    /// No budget (tests and components that never set one).
    fn default() -> Budget {
        Budget::new(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_and_release() {
        let b = Budget::new(1000);
        b.recharge(0, 700);
        assert!(!b.over_soft());
        b.recharge(0, 100);
        assert!(b.over_soft() && !b.over_limit());
        assert!(!b.reserve(201), "does not fit");
        assert!(b.reserve(200));
        b.recharge(200, 0);
        b.recharge(700, 1000);
        assert!(b.over_limit());
        b.recharge(1000, 0);
        b.recharge(100, 0);
        assert_eq!(b.held(), 0);
    }

    #[test]
    fn a_peak_ends_once_when_the_total_falls_by_three_quarters() {
        let b = Budget::new(1 << 30);
        // Below the trim threshold nothing is tracked.
        b.recharge(0, TRIM_PEAK - 1);
        b.recharge(TRIM_PEAK - 1, 0);
        assert_eq!(b.peak.load(Ordering::Relaxed), 0);
        // A peak of 100 MiB (one holder via reserve, one via recharge).
        assert!(b.reserve(60 << 20));
        b.recharge(0, 40 << 20);
        assert_eq!(b.peak.load(Ordering::Relaxed), 100 << 20);
        // Falling to half: not yet.
        b.recharge(40 << 20, 0);
        assert!(!b.fell(b.held()));
        // Falling to a quarter: exactly one caller ends the peak.
        b.held.store(25 << 20, Ordering::Relaxed);
        assert!(b.fell(25 << 20));
        assert!(!b.fell(25 << 20));
        assert_eq!(b.peak.load(Ordering::Relaxed), 0);
    }
}
