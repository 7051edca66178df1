//! The per-connection queue of bytes accepted by `send` but not yet written (sans-IO).
//!
//! Small sends are appended into fixed-size chunks so steady traffic allocates nothing: drained
//! chunks are kept for reuse. The worker drains the queue with one vectored write over the
//! chunks.

use std::collections::VecDeque;
use std::io::IoSlice;

const CHUNK: usize = 16 * 1024;
const SPARE_CHUNKS: usize = 2;
/// Slices handed to one `writev`; Linux accepts up to 1024, 64 covers 1 MiB of chunks.
pub(crate) const MAX_IOV: usize = 64;

#[derive(Default)]
pub(crate) struct SendQueue {
    chunks: VecDeque<Vec<u8>>,
    /// Bytes of the front chunk already written.
    head: usize,
    len: usize,
    spare: Vec<Vec<u8>>,
}

impl SendQueue {
    /// Bytes queued.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `data` after everything already queued.
    pub fn push(&mut self, mut data: &[u8]) {
        self.len += data.len();
        if let Some(back) = self.chunks.back_mut() {
            let room = back.capacity() - back.len();
            let n = room.min(data.len());
            back.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        while !data.is_empty() {
            let mut chunk = if data.len() <= CHUNK {
                self.spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(CHUNK))
            } else {
                // A large message goes into one chunk of its own size.
                Vec::with_capacity(data.len())
            };
            let n = (chunk.capacity() - chunk.len()).min(data.len());
            chunk.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.chunks.push_back(chunk);
        }
    }

    /// Fills `out` with slices over the queued bytes, in order; returns how many it filled.
    pub fn io_slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (i, chunk) in self.chunks.iter().enumerate() {
            if n == out.len() {
                break;
            }
            let start = if i == 0 { self.head } else { 0 };
            out[n] = IoSlice::new(&chunk[start..]);
            n += 1;
        }
        n
    }

    /// Drops the first `n` queued bytes (they were written). When `written` is given, the
    /// dropped bytes are appended to it (for `on_send`).
    pub fn advance(&mut self, mut n: usize, mut written: Option<&mut Vec<u8>>) {
        assert!(n <= self.len, "advance past the queued bytes");
        self.len -= n;
        while n > 0 {
            let front = self.chunks.front().expect("queued bytes without chunk");
            let avail = front.len() - self.head;
            let take = avail.min(n);
            if let Some(w) = written.as_deref_mut() {
                w.extend_from_slice(&front[self.head..self.head + take]);
            }
            n -= take;
            if take == avail {
                let mut chunk = self.chunks.pop_front().expect("front chunk");
                self.head = 0;
                if chunk.capacity() == CHUNK && self.spare.len() < SPARE_CHUNKS {
                    chunk.clear();
                    self.spare.push(chunk);
                }
            } else {
                self.head += take;
            }
        }
    }

    /// Discards everything queued (forced close); returns how many bytes were dropped.
    pub fn clear(&mut self) -> usize {
        let dropped = self.len;
        self.chunks.clear();
        self.spare.clear();
        self.head = 0;
        self.len = 0;
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(q: &mut SendQueue, step: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while !q.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let k = q.io_slices(&mut iov);
            let avail: usize = iov[..k].iter().map(|s| s.len()).sum();
            let n = avail.min(step);
            let mut flat = Vec::with_capacity(n);
            for s in &iov[..k] {
                let take = (n - flat.len()).min(s.len());
                flat.extend_from_slice(&s[..take]);
            }
            let mut written = Vec::new();
            q.advance(n, Some(&mut written));
            assert_eq!(written, flat[..n]);
            out.extend_from_slice(&written);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn bytes_come_out_in_order(msgs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40_000), 0..12), step in 1usize..70_000, tiny in any::<bool>()) {
            let mut q = SendQueue::default();
            let mut expect = Vec::new();
            for m in &msgs {
                q.push(m);
                expect.extend_from_slice(m);
            }
            prop_assert_eq!(q.len(), expect.len());
            // Tiny steps model a socket that takes a few bytes at a time.
            let got = drain(&mut q, if tiny { step % 97 + 1 } else { step });
            prop_assert_eq!(got, expect);
            prop_assert_eq!(q.len(), 0);
        }
    }

    #[test]
    fn interleaved_push_and_drain_keeps_order() {
        let mut q = SendQueue::default();
        let mut expect = Vec::new();
        let mut got = Vec::new();
        for i in 0..1000u32 {
            let m = vec![(i % 251) as u8; (i as usize * 37) % 5000];
            q.push(&m);
            expect.extend_from_slice(&m);
            if i % 3 == 0 {
                let mut iov = [IoSlice::new(&[]); MAX_IOV];
                let k = q.io_slices(&mut iov);
                let avail: usize = iov[..k].iter().map(|s| s.len()).sum();
                q.advance(avail / 2, Some(&mut got));
            }
        }
        got.extend(drain(&mut q, 1 << 20));
        assert_eq!(got, expect);
    }
}
