//! The session's deadlines: which one comes next (`poll_timeout`, for the worker's timer)
//! and what happens when one passes (`handle_timeout`) — connect, handshake, flush, first
//! read, idle, the HTTP and WebSocket ones, the budget's retry.

use std::io::Write;
use std::sync::atomic::Ordering;

use super::phase::{Expired, Phase};
use super::{Session, Step, BUDGET_RETRY_MS, RESUME};
use crate::model::ModelKind;
use crate::types::SocketOperation;

impl Session {
    /// Whether the last read set a deadline the caller must arm (an HTTP head began); reads
    /// otherwise never add one, so the worker skips timer work after them.
    pub fn take_new_deadline(&self) -> bool {
        self.new_deadline.load(Ordering::Relaxed)
            && self.new_deadline.swap(false, Ordering::Relaxed)
    }

    /// The next time [`handle_timeout`](Self::handle_timeout) is needed.
    pub fn poll_timeout(&self) -> Option<u64> {
        let phase = self.link.lock().phase;
        let idle = match phase {
            Phase::Open => self.idle_deadline(),
            _ => None,
        };
        let http = match phase {
            Phase::Open if self.settings.model == ModelKind::Http => self.http_deadline(),
            _ => None,
        };
        let retry = self.retry_at.load(Ordering::Relaxed);
        [
            phase.deadline(),
            idle,
            http,
            (retry != u64::MAX).then_some(retry),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The receive deadline of an open connection: the first read after it opened, then
    /// (when an idle limit is set) the next read after the last one. Lazy: a read moves it
    /// without touching the timer, which finds the new deadline when it fires.
    fn idle_deadline(&self) -> Option<u64> {
        let since = self.open_since.load(Ordering::Relaxed);
        if since == u64::MAX {
            return None;
        }
        let s = &self.settings;
        let first = (!self.received.load(Ordering::Relaxed) && s.first_read_ms > 0)
            .then(|| since.saturating_add(s.first_read_ms));
        let idle = (s.idle_ms > 0).then(|| {
            self.last_recv
                .load(Ordering::Relaxed)
                .max(since)
                .saturating_add(s.idle_ms)
        });
        first.into_iter().chain(idle).min()
    }

    /// A deadline may have passed.
    pub fn handle_timeout(&self, now: u64, w: &mut dyn Write) -> Step {
        if self.settings.model == ModelKind::Http && self.link.lock().phase == Phase::Open {
            if let Some(step) = self.http_timeout(now, w) {
                return step;
            }
        }
        let retry = self.retry_at.load(Ordering::Relaxed);
        if retry <= now {
            if self.budget.over_soft() {
                self.retry_at
                    .store(now + BUDGET_RETRY_MS, Ordering::Relaxed);
            } else {
                // Room again: read on (the caller sees the resume on the doorbell).
                self.retry_at.store(u64::MAX, Ordering::Relaxed);
                self.ring(RESUME);
            }
        }
        let link = self.link.lock();
        match link.phase.expired(now) {
            Some(Expired::Connect) => Step::Close(SocketOperation::Connect, libc::ETIMEDOUT),
            Some(Expired::Handshake) if link.is_handshaking() => {
                Step::Close(SocketOperation::Handshake, libc::ETIMEDOUT)
            }
            Some(Expired::Flush) => Step::Close(SocketOperation::Send, libc::ETIMEDOUT),
            _ if link.phase == Phase::Open && self.idle_deadline().is_some_and(|d| now >= d) => {
                tracing::debug!(
                    "closing a connection that received nothing in time (first read {} ms, idle {} ms)",
                    self.settings.first_read_ms,
                    self.settings.idle_ms
                );
                Step::Close(SocketOperation::Receive, libc::ETIMEDOUT)
            }
            _ => Step::Go,
        }
    }
}
