//! The ping-pong engine shared by the client / agent demos and `hps pfm`: each connection
//! keeps one message in flight, verifies every echoed byte, then sends the next round.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Byte `i` of round `round` on connection slot `slot`: cheap to recompute, so received bytes
/// are checked without keeping a copy of what was sent.
pub fn pattern_byte(slot: usize, round: u64, i: usize) -> u8 {
    (slot as u8)
        .wrapping_mul(29)
        .wrapping_add((round as u8).wrapping_mul(131))
        .wrapping_add((i as u8).wrapping_mul(7))
        .wrapping_add((i >> 8) as u8)
}

struct Slot {
    round: u64,
    got: usize,
    sent_at: Instant,
    done: bool,
    buf: Vec<u8>,
}

/// Latency histogram: exact below 16 µs, then 16 sub-buckets per power of two (≤ 6 % error).
pub struct Histogram {
    buckets: Vec<AtomicU64>,
    max: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            buckets: (0..16 + 60 * 16).map(|_| AtomicU64::new(0)).collect(),
            max: AtomicU64::new(0),
        }
    }

    fn index(us: u64) -> usize {
        if us < 16 {
            return us as usize;
        }
        let b = 63 - us.leading_zeros() as usize; // >= 4
        let sub = ((us >> (b - 4)) & 15) as usize;
        (16 + (b - 4) * 16 + sub).min(16 + 60 * 16 - 1)
    }

    fn value(index: usize) -> u64 {
        if index < 16 {
            return index as u64;
        }
        let b = (index - 16) / 16 + 4;
        let sub = ((index - 16) % 16) as u64;
        (16 + sub) << (b - 4)
    }

    pub fn record(&self, d: Duration) {
        let us = d.as_micros() as u64;
        self.buckets[Self::index(us)].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(us, Ordering::Relaxed);
    }

    /// The `q`-quantile (0..=1) in microseconds.
    pub fn quantile(&self, q: f64) -> u64 {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return 0;
        }
        let want = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return Self::value(i);
            }
        }
        self.max()
    }

    pub fn max(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }
}

/// What the listener should do after some bytes arrived.
pub enum Next {
    /// Round not complete yet.
    Wait,
    /// Send this message now.
    Send(Vec<u8>),
    /// Send this message after the configured interval.
    Later(Vec<u8>),
    /// This connection finished its rounds.
    Done,
}

pub struct Session {
    pub size: usize,
    /// Rounds per connection; 0 = until `stop`.
    pub rounds: u64,
    pub interval: Duration,
    slots: Vec<Mutex<Slot>>,
    pub running: AtomicBool,
    pub msgs: AtomicU64,
    pub bytes_verified: AtomicU64,
    pub errors: AtomicU64,
    pub closed_early: AtomicUsize,
    pub finished: AtomicUsize,
    pub latency: Histogram,
    done_tx: Mutex<mpsc::Sender<()>>,
}

impl Session {
    pub fn new(
        connections: usize,
        size: usize,
        rounds: u64,
        interval: Duration,
    ) -> (Session, mpsc::Receiver<()>) {
        let (tx, rx) = mpsc::channel();
        let now = Instant::now();
        let s = Session {
            size: size.max(1),
            rounds,
            interval,
            slots: (0..connections)
                .map(|_| {
                    Mutex::new(Slot {
                        round: 0,
                        got: 0,
                        sent_at: now,
                        done: false,
                        buf: Vec::new(),
                    })
                })
                .collect(),
            running: AtomicBool::new(true),
            msgs: AtomicU64::new(0),
            bytes_verified: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            closed_early: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            latency: Histogram::new(),
            done_tx: Mutex::new(tx),
        };
        (s, rx)
    }

    pub fn connections(&self) -> usize {
        self.slots.len()
    }

    fn fill(&self, slot: usize, s: &mut Slot, delay: Duration) -> Vec<u8> {
        s.buf.clear();
        s.buf
            .extend((0..self.size).map(|i| pattern_byte(slot, s.round, i)));
        // The round trip starts when the message goes out, after any interval.
        s.sent_at = Instant::now() + delay;
        s.buf.clone()
    }

    /// The first message of a connection.
    pub fn first(&self, slot: usize) -> Option<Vec<u8>> {
        let mut s = self.slots.get(slot)?.lock();
        Some(self.fill(slot, &mut s, Duration::ZERO))
    }

    /// Checks received bytes of `slot` and says what to send next.
    pub fn on_bytes(&self, slot: usize, data: &[u8]) -> Next {
        let Some(m) = self.slots.get(slot) else {
            self.errors.fetch_add(data.len() as u64, Ordering::Relaxed);
            return Next::Wait;
        };
        let mut s = m.lock();
        let mut bad = 0u64;
        let mut off = 0;
        let mut next = Next::Wait;
        while off < data.len() {
            let take = (self.size - s.got).min(data.len() - off);
            for (k, b) in data[off..off + take].iter().enumerate() {
                if *b != pattern_byte(slot, s.round, s.got + k) {
                    bad += 1;
                }
            }
            s.got += take;
            off += take;
            if s.got == self.size {
                self.latency.record(s.sent_at.elapsed());
                self.msgs.fetch_add(1, Ordering::Relaxed);
                s.got = 0;
                s.round += 1;
                let more = (self.rounds == 0 || s.round < self.rounds)
                    && self.running.load(Ordering::Relaxed);
                if more {
                    let msg = self.fill(slot, &mut s, self.interval);
                    next = if self.interval.is_zero() {
                        Next::Send(msg)
                    } else {
                        Next::Later(msg)
                    };
                } else if !s.done {
                    s.done = true;
                    self.finished.fetch_add(1, Ordering::Relaxed);
                    let _ = self.done_tx.lock().send(());
                    next = Next::Done;
                }
            }
        }
        if off > 0 {
            self.bytes_verified
                .fetch_add(data.len() as u64 - bad, Ordering::Relaxed);
        }
        if bad > 0 {
            self.errors.fetch_add(bad, Ordering::Relaxed);
        }
        next
    }

    /// A connection closed; counts it when it had not finished.
    pub fn on_close(&self, slot: usize) {
        if let Some(m) = self.slots.get(slot) {
            let mut s = m.lock();
            if !s.done {
                s.done = true;
                self.closed_early.fetch_add(1, Ordering::Relaxed);
                let _ = self.done_tx.lock().send(());
            }
        }
    }

    /// Connections finished or closed.
    pub fn settled(&self) -> usize {
        self.finished.load(Ordering::Relaxed) + self.closed_early.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_close() {
        let h = Histogram::new();
        for us in 1..=10_000u64 {
            h.record(Duration::from_micros(us));
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 5000.0).abs() / 5000.0 < 0.07, "{p50}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 9900.0).abs() / 9900.0 < 0.07, "{p99}");
        assert_eq!(h.max(), 10_000);
    }

    #[test]
    fn detects_corruption_and_counts_rounds() {
        let (s, _rx) = Session::new(1, 10, 2, Duration::ZERO);
        let m = s.first(0).unwrap();
        assert!(matches!(s.on_bytes(0, &m[..4]), Next::Wait));
        let n = match s.on_bytes(0, &m[4..]) {
            Next::Send(n) => n,
            _ => panic!("expected next round"),
        };
        let mut bad = n.clone();
        bad[3] ^= 1;
        assert!(matches!(s.on_bytes(0, &bad), Next::Done));
        assert_eq!(s.errors.load(Ordering::Relaxed), 1);
        assert_eq!(s.msgs.load(Ordering::Relaxed), 2);
        assert_eq!(s.bytes_verified.load(Ordering::Relaxed), 19);
    }
}
