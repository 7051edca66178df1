//! The component's memory budget: what its peers can make it hold, in bytes, across all its
//! connections — queued sends (and unreported `on_send` copies), PACK partial packets, PULL
//! buffers.
//!
//! Each connection's own bounds (`max_pending_bytes`, `max_pack_size`, `pull_buffer_limit`)
//! stop one peer; the budget stops their sum, which with 10,000 connections would otherwise
//! reach tens of GiB. Past the soft limit (¾ of the budget) a connection that holds received
//! bytes stops reading (the kernel's window then slows its peer) until the component holds
//! less again; past the budget itself a connection whose holdings grow is closed with
//! (`Receive`, `ENOBUFS`) and a `send` fails with `Error::MemoryBudget` — one connection
//! pays, never the process. Sans-IO: counters only; sessions charge and release.

use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) struct Budget {
    limit: usize,
    soft: usize,
    held: AtomicUsize,
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            soft: limit / 4 * 3,
            held: AtomicUsize::new(0),
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
        self.held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
                h.checked_add(more).filter(|&n| n <= self.limit)
            })
            .is_ok()
    }

    /// Moves one holder's charge from `old` to `new` bytes.
    pub fn recharge(&self, old: usize, new: usize) {
        if new > old {
            self.held.fetch_add(new - old, Ordering::Relaxed);
        } else if old > new {
            self.held.fetch_sub(old - new, Ordering::Relaxed);
        }
    }
}

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
}
