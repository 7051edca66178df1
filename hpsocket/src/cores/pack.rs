//! The PACK framer (sans-IO): HP-Socket's 4-byte packet header, and nothing else here knows it.
//!
//! Wire format: a little-endian `u32` whose low 22 bits are the body length (the 4 header
//! bytes excluded) and whose high 10 bits are the header flag, then the body. A receiver with
//! a non-zero flag rejects headers carrying another flag; a length of 0 or above the maximum
//! is rejected too.
//!
//! Memory: the framer holds at most one partial packet plus the unprocessed rest of one read
//! (when the application paused inside `on_receive`), so a connection's receive buffer is
//! bounded by `max_pack_size + 4 + socket_buffer_size`. Its buffer grows with the bytes that
//! actually arrived (never on the header's word: an announced packet that never comes costs
//! nothing) and is released once the packet is delivered.

/// Largest body length the header can carry (22 bits): 4,194,303 bytes.
pub const MAX_PACK_SIZE_LIMIT: u32 = 0x3F_FFFF;
/// Largest header flag (10 bits).
pub const MAX_PACK_HEADER_FLAG: u16 = 0x3FF;
/// HP-Socket's default maximum body length: 262,144 bytes.
pub const DEFAULT_MAX_PACK_SIZE: u32 = 0x4_0000;
const HEADER: usize = 4;
/// Receive buffers above this capacity are released after use instead of kept.
const KEEP_CAPACITY: usize = 64 * 1024;

/// Builds the header for a body of `len` bytes.
pub(crate) fn header(flag: u16, len: u32) -> [u8; 4] {
    (((flag as u32) << 22) | (len & MAX_PACK_SIZE_LIMIT)).to_le_bytes()
}

/// Why a byte stream is not a valid PACK stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// The header's flag differs from the expected one (`EBADMSG`).
    BadFlag { got: u16 },
    /// The length is 0 or above the maximum (`EMSGSIZE`).
    BadLength { got: u32 },
}

impl FrameError {
    pub fn errno(self) -> i32 {
        match self {
            FrameError::BadFlag { .. } => libc::EBADMSG,
            FrameError::BadLength { .. } => libc::EMSGSIZE,
        }
    }
}

/// What the consumer of a packet wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Deliver the next packet.
    Continue,
    /// Stop delivering; keep the rest buffered until [`Framer::push`] is called again.
    Hold,
}

pub(crate) struct Framer {
    max: u32,
    flag: u16,
    buf: Vec<u8>,
    /// Start of unprocessed bytes in `buf`.
    start: usize,
}

impl Framer {
    pub fn new(max: u32, flag: u16) -> Framer {
        Framer {
            max,
            flag,
            buf: Vec::new(),
            start: 0,
        }
    }

    /// Bytes held (partial packet and anything held back by `Flow::Hold`).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn check(&self, h: [u8; 4]) -> Result<usize, FrameError> {
        let word = u32::from_le_bytes(h);
        let len = word & MAX_PACK_SIZE_LIMIT;
        let flag = (word >> 22) as u16;
        if self.flag != 0 && flag != self.flag {
            return Err(FrameError::BadFlag { got: flag });
        }
        if len == 0 || len > self.max {
            return Err(FrameError::BadLength { got: len });
        }
        Ok(len as usize)
    }

    /// Feeds `data` and hands every complete packet body to `deliver`, in order. Stops early
    /// when `deliver` returns `Hold`, keeping the rest; call again (with no new data) to go
    /// on. Returns `Hold` if it stopped early, `Continue` once everything was consumed.
    pub fn push(
        &mut self,
        mut data: &[u8],
        mut deliver: impl FnMut(&[u8]) -> Flow,
    ) -> Result<Flow, FrameError> {
        // First finish whatever is buffered, taking from `data` only what that needs.
        while self.buffered() > 0 {
            let have = self.buffered();
            let need = if have < HEADER {
                HEADER
            } else {
                let h = self.buf[self.start..self.start + HEADER]
                    .try_into()
                    .expect("4 bytes");
                HEADER + self.check(h)?
            };
            if have < need {
                let take = (need - have).min(data.len());
                self.buf.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.buffered() < need {
                    return Ok(Flow::Continue);
                }
                if need == HEADER {
                    continue; // header complete: validate it and size the body
                }
            }
            let body = self.start + HEADER..self.start + need;
            let flow = deliver(&self.buf[body]);
            self.start += need;
            self.compact();
            if flow == Flow::Hold {
                self.buf.extend_from_slice(data);
                return Ok(Flow::Hold);
            }
        }
        // Nothing buffered: deliver straight from `data` without copying.
        loop {
            if data.len() < HEADER {
                self.buf.extend_from_slice(data);
                return Ok(Flow::Continue);
            }
            let len = self.check(data[..HEADER].try_into().expect("4 bytes"))?;
            if data.len() < HEADER + len {
                // No reserve on the header's word: a peer that announces 4 MiB and sends
                // 10 bytes holds 10 bytes (the buffer grows, doubling, as bytes arrive).
                self.buf.extend_from_slice(data);
                return Ok(Flow::Continue);
            }
            let flow = deliver(&data[HEADER..HEADER + len]);
            data = &data[HEADER + len..];
            if flow == Flow::Hold {
                self.buf.extend_from_slice(data);
                return Ok(if data.is_empty() {
                    Flow::Continue
                } else {
                    Flow::Hold
                });
            }
        }
    }

    fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.start = 0;
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
        } else if self.start > self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(flag: u16, packets: &[Vec<u8>]) -> Vec<u8> {
        let mut v = Vec::new();
        for p in packets {
            v.extend_from_slice(&header(flag, p.len() as u32));
            v.extend_from_slice(p);
        }
        v
    }

    fn split(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = data;
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts
                .get(i % cuts.len().max(1))
                .copied()
                .unwrap_or(rest.len())
                .clamp(1, rest.len());
            out.push(rest[..n].to_vec());
            rest = &rest[n..];
            i += 1;
        }
        out
    }

    #[test]
    fn header_matches_hp_socket_example() {
        // Body 5 bytes, flag 0x123 → 0x48C00005 little-endian.
        assert_eq!(header(0x123, 5), [0x05, 0x00, 0xC0, 0x48]);
    }

    #[test]
    fn rejects_bad_flag_and_length() {
        let mut f = Framer::new(100, 7);
        let bad_flag = encode(8, &[vec![1, 2, 3]]);
        assert_eq!(
            f.push(&bad_flag, |_| Flow::Continue),
            Err(FrameError::BadFlag { got: 8 })
        );
        let mut f = Framer::new(100, 0);
        let big = header(0, 101);
        assert_eq!(
            f.push(&big, |_| Flow::Continue),
            Err(FrameError::BadLength { got: 101 })
        );
        let mut f = Framer::new(100, 0);
        assert_eq!(
            f.push(&header(0, 0), |_| Flow::Continue),
            Err(FrameError::BadLength { got: 0 })
        );
        // Flag 0 accepts any flag; errno mapping as HP-Socket.
        let mut f = Framer::new(100, 0);
        assert!(f.push(&encode(9, &[vec![1]]), |_| Flow::Continue).is_ok());
        assert_eq!(FrameError::BadFlag { got: 1 }.errno(), 74);
        assert_eq!(FrameError::BadLength { got: 0 }.errno(), 90);
    }

    #[test]
    fn an_announced_packet_costs_only_the_bytes_that_arrived() {
        let mut f = Framer::new(MAX_PACK_SIZE_LIMIT, 0);
        let mut wire = header(0, MAX_PACK_SIZE_LIMIT).to_vec();
        wire.extend_from_slice(&[7; 100]);
        assert_eq!(f.push(&wire, |_| Flow::Continue), Ok(Flow::Continue));
        assert_eq!(f.buffered(), 104);
        assert!(
            f.capacity() < 4096,
            "capacity {} for 104 bytes",
            f.capacity()
        );
    }

    #[test]
    fn one_byte_at_a_time_and_big_packet_buffer_is_released() {
        let big = vec![0xAB; MAX_PACK_SIZE_LIMIT as usize];
        let wire = encode(0x3FF, &[vec![1, 2, 3], big.clone(), vec![4]]);
        let mut f = Framer::new(MAX_PACK_SIZE_LIMIT, 0x3FF);
        let mut got = Vec::new();
        for chunk in wire[..1000].chunks(1) {
            f.push(chunk, |p| {
                got.push(p.to_vec());
                Flow::Continue
            })
            .unwrap();
        }
        for chunk in wire[1000..].chunks(4096) {
            f.push(chunk, |p| {
                got.push(p.to_vec());
                Flow::Continue
            })
            .unwrap();
        }
        assert_eq!(got, vec![vec![1, 2, 3], big, vec![4]]);
        assert_eq!(f.buffered(), 0);
        assert!(
            f.capacity() <= KEEP_CAPACITY,
            "buffer shrinks back after a big packet"
        );
    }

    #[test]
    fn hold_keeps_the_rest_for_later() {
        let packets: Vec<Vec<u8>> = (1..=5u8).map(|i| vec![i; i as usize]).collect();
        let wire = encode(0, &packets);
        let mut f = Framer::new(1000, 0);
        let mut got = Vec::new();
        assert_eq!(
            f.push(&wire, |p| {
                got.push(p.to_vec());
                Flow::Hold
            }),
            Ok(Flow::Hold)
        );
        assert_eq!(got.len(), 1);
        while f.buffered() > 0 {
            f.push(&[], |p| {
                got.push(p.to_vec());
                Flow::Hold
            })
            .unwrap();
        }
        assert_eq!(got, packets);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        #[test]
        fn any_chunking_yields_exactly_the_packets(
            packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..3000), 0..30),
            cuts in proptest::collection::vec(1usize..5000, 1..20),
            flag in 0u16..=0x3FF,
            hold_every in 0usize..5,
        ) {
            let wire = encode(flag, &packets);
            let mut f = Framer::new(3000, flag);
            let mut got = Vec::new();
            let mut n = 0usize;
            let mut deliver = |p: &[u8]| {
                got.push(p.to_vec());
                n += 1;
                if hold_every > 0 && n.is_multiple_of(hold_every) { Flow::Hold } else { Flow::Continue }
            };
            for chunk in split(&wire, &cuts) {
                let mut r = f.push(&chunk, &mut deliver).unwrap();
                while r == Flow::Hold {
                    r = f.push(&[], &mut deliver).unwrap();
                }
            }
            prop_assert_eq!(got, packets);
            prop_assert_eq!(f.buffered(), 0);
        }
    }
}
