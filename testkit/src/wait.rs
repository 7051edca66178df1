//! Bounded polling.

use std::time::{Duration, Instant};

/// Polls `f` every 2 ms until it holds or `limit` has passed; true if it held. `f` is asked
/// once more at the deadline, so a condition that becomes true just then still counts.
///
/// For state that settles shortly after an event the test can observe, such as a count that
/// drops just after a close callback returns.
pub fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return f();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_once_the_condition_does() {
        let mut calls = 0;
        assert!(eventually(Duration::from_secs(5), || {
            calls += 1;
            calls == 3
        }));
        assert_eq!(calls, 3);
    }

    #[test]
    fn gives_up_after_the_limit() {
        let start = Instant::now();
        assert!(!eventually(Duration::from_millis(30), || false));
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}
