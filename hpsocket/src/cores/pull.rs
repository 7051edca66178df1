//! The PULL receive buffer (sans-IO): received bytes wait here until the application fetches
//! them; the only code that knows fetch / peek semantics.
//!
//! `on_pull_receive` reports the total buffered, and `fetch` / `peek` either fill the caller's
//! whole buffer or take nothing ([`FetchResult::LengthTooLong`]), as in HP-Socket.

use std::collections::VecDeque;

use crate::types::FetchResult;

#[derive(Default)]
pub(crate) struct PullBuffer {
    data: VecDeque<u8>,
}

impl PullBuffer {
    /// Appends received bytes; returns the total now buffered.
    pub fn append(&mut self, bytes: &[u8]) -> usize {
        self.data.extend(bytes);
        self.data.len()
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Copies `out.len()` bytes into `out` without consuming them.
    pub fn peek(&self, out: &mut [u8]) -> FetchResult {
        if out.is_empty() || self.data.len() < out.len() {
            return FetchResult::LengthTooLong;
        }
        let (a, b) = self.data.as_slices();
        let n = a.len().min(out.len());
        out[..n].copy_from_slice(&a[..n]);
        let rest = out.len() - n;
        out[n..].copy_from_slice(&b[..rest]);
        FetchResult::Ok
    }

    /// Moves `out.len()` bytes into `out`.
    pub fn fetch(&mut self, out: &mut [u8]) -> FetchResult {
        let r = self.peek(out);
        if r == FetchResult::Ok {
            self.data.drain(..out.len());
            if self.data.is_empty() && self.data.capacity() > 64 * 1024 {
                self.data = VecDeque::new();
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn all_or_nothing() {
        let mut b = PullBuffer::default();
        assert_eq!(b.append(b"hello"), 5);
        assert_eq!(b.append(b"abc"), 8);
        let mut out = [0u8; 9];
        assert_eq!(b.fetch(&mut out), FetchResult::LengthTooLong);
        assert_eq!(b.len(), 8);
        let mut out = [0u8; 3];
        assert_eq!(b.peek(&mut out), FetchResult::Ok);
        assert_eq!(&out, b"hel");
        assert_eq!(b.fetch(&mut out), FetchResult::Ok);
        assert_eq!(b.len(), 5);
        assert_eq!(b.fetch(&mut [0u8; 0]), FetchResult::LengthTooLong);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn yields_exactly_the_bytes_sent(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2000), 0..30),
            asks in proptest::collection::vec((1usize..3000, any::<bool>()), 1..40),
        ) {
            let mut b = PullBuffer::default();
            let mut sent = Vec::new();
            let mut got = Vec::new();
            for (i, c) in chunks.iter().enumerate() {
                b.append(c);
                sent.extend_from_slice(c);
                let (n, peek_first) = asks[i % asks.len()];
                let mut out = vec![0u8; n];
                if peek_first {
                    let before = b.len();
                    let r = b.peek(&mut out);
                    prop_assert_eq!(b.len(), before);
                    if r == FetchResult::Ok {
                        prop_assert_eq!(&out[..], &sent[got.len()..got.len() + n]);
                    }
                }
                if b.fetch(&mut out) == FetchResult::Ok {
                    got.extend_from_slice(&out);
                } else {
                    prop_assert!(b.len() < n);
                }
            }
            let mut rest = vec![0u8; b.len()];
            if !rest.is_empty() {
                prop_assert_eq!(b.fetch(&mut rest), FetchResult::Ok);
                got.extend_from_slice(&rest);
            }
            prop_assert_eq!(got, sent);
        }
    }
}
