//! The process-wide monotonic millisecond clock that drives sessions outside the tests.

use std::time::Instant;

/// Milliseconds since the first call, on a monotonic clock (connect, silence and deadline
/// arithmetic all use it, as HP-Socket's 32-bit millisecond tick does).
pub(crate) fn now_ms() -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}
