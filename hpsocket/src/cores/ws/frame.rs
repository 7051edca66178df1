//! The frame layer (RFC 6455 §5.2): a streaming decoder that takes bytes in any split and
//! reports each frame as header → body pieces → complete, and the encoder.
//!
//! This is the level of HP-Socket's low-level WebSocket API (`OnWSMessageHeader`,
//! `OnWSMessageBody`, `OnWSMessageComplete`, `SendWSMessage`): besides the mask direction it
//! checks only what makes the stream unreadable (the length's form and the frame limit) and
//! passes reserved bits and opcodes up as they came. The message layer above it checks the
//! rest.

use super::WsError;

/// The first reserved bit (permessage-deflate's "compressed" flag), as in [`Header::rsv`].
pub const RSV1: u8 = 0b100;
/// Largest length a frame can carry (the 64-bit form's top bit must be clear).
pub const MAX_FRAME_LEN: u64 = i64::MAX as u64;
/// Longest header: 2 bytes, an 8-byte length and a 4-byte mask.
pub const MAX_HEADER_LEN: usize = 14;

/// A frame header as it came off the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// The FIN bit: the last frame of a message.
    pub fin: bool,
    /// RSV1..RSV3 as the low three bits (RSV1 = 0b100).
    pub rsv: u8,
    /// The opcode (4 bits).
    pub opcode: u8,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub len: u64,
}

impl Header {
    /// Whether this is a control frame (opcodes 0x8–0xF).
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// Which frames must be masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskRule {
    /// Server side: every frame must be masked ([`WsError::MaskRequired`]).
    Required,
    /// Client side: no frame may be masked ([`WsError::UnexpectedMask`]).
    Forbidden,
    /// Either (a frame-level tool reading both directions).
    Any,
}

/// The owner's side of the decoder: HP-Socket's three low-level events. An error stops the
/// decoder for good; it is returned by this and every later [`Decoder::feed`].
pub trait FrameSink {
    /// A frame's header has arrived (`OnWSMessageHeader`).
    fn on_header(&mut self, header: &Header) -> Result<(), WsError>;
    /// A piece of its body, unmasked (`OnWSMessageBody`); never empty.
    fn on_body(&mut self, header: &Header, data: &[u8]) -> Result<(), WsError>;
    /// The frame is complete (`OnWSMessageComplete`).
    fn on_complete(&mut self, header: &Header) -> Result<(), WsError>;
}

/// A streaming frame decoder for one direction of one connection.
#[derive(Debug, Clone)]
pub struct Decoder {
    max_frame_size: u64,
    rule: MaskRule,
    /// The header being collected: `have` of the `need` bytes known so far.
    head: [u8; MAX_HEADER_LEN],
    have: usize,
    need: usize,
    /// The current frame, while its body arrives.
    header: Header,
    in_body: bool,
    remaining: u64,
    failed: Option<WsError>,
}

impl Decoder {
    /// A decoder refusing frames above `max_frame_size` bytes (0: no limit) and frames whose
    /// masking breaks `rule`.
    pub fn new(max_frame_size: usize, rule: MaskRule) -> Decoder {
        Decoder {
            max_frame_size: if max_frame_size == 0 {
                MAX_FRAME_LEN
            } else {
                max_frame_size as u64
            },
            rule,
            head: [0; MAX_HEADER_LEN],
            have: 0,
            need: 2,
            header: Header::default(),
            in_body: false,
            remaining: 0,
            failed: None,
        }
    }

    /// The frame whose body is arriving and how many of its bytes are still to come
    /// (HP-Socket's `GetWSMessageState`); `None` between frames.
    pub fn current(&self) -> Option<(&Header, u64)> {
        self.in_body.then_some((&self.header, self.remaining))
    }

    /// Bytes of an incomplete header held since the last call.
    pub fn buffered(&self) -> usize {
        self.have
    }

    /// Decodes `data`, unmasking bodies in place, and reports each step to `sink`.
    pub fn feed<S: FrameSink + ?Sized>(
        &mut self,
        data: &mut [u8],
        sink: &mut S,
    ) -> Result<(), WsError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let r = self.run(data, sink);
        if let Err(e) = r {
            self.failed = Some(e);
        }
        r
    }

    fn run<S: FrameSink + ?Sized>(&mut self, data: &mut [u8], sink: &mut S) -> Result<(), WsError> {
        let mut rest = data;
        while !rest.is_empty() {
            if !self.in_body {
                let take = (self.need - self.have).min(rest.len());
                let (now, later) = rest.split_at_mut(take);
                self.head[self.have..self.have + take].copy_from_slice(now);
                self.have += take;
                rest = later;
                if self.have < self.need {
                    break;
                }
                if self.have == 2 {
                    let ext = match self.head[1] & 0x7F {
                        126 => 2,
                        127 => 8,
                        _ => 0,
                    };
                    let mask = if self.head[1] & 0x80 != 0 { 4 } else { 0 };
                    self.need = 2 + ext + mask;
                    if self.need > 2 {
                        continue;
                    }
                }
                let h = self.parse()?;
                self.have = 0;
                self.need = 2;
                self.header = h;
                sink.on_header(&h)?;
                if h.len == 0 {
                    sink.on_complete(&h)?;
                } else {
                    self.in_body = true;
                    self.remaining = h.len;
                }
            } else {
                let n = self.remaining.min(rest.len() as u64) as usize;
                let (piece, later) = rest.split_at_mut(n);
                rest = later;
                if let Some(m) = self.header.mask {
                    // The mask runs on from where the last piece stopped.
                    apply_mask(piece, m, ((self.header.len - self.remaining) & 3) as usize);
                }
                self.remaining -= n as u64;
                let h = self.header;
                sink.on_body(&h, piece)?;
                if self.remaining == 0 {
                    self.in_body = false;
                    sink.on_complete(&h)?;
                }
            }
        }
        Ok(())
    }

    /// The complete header in `self.head[..self.need]`.
    fn parse(&self) -> Result<Header, WsError> {
        let b = &self.head;
        let masked = b[1] & 0x80 != 0;
        let (len, at) = match b[1] & 0x7F {
            126 => {
                let n = u16::from_be_bytes([b[2], b[3]]) as u64;
                if n < 126 {
                    return Err(WsError::NonMinimalLength);
                }
                (n, 4)
            }
            127 => {
                let mut x = [0; 8];
                x.copy_from_slice(&b[2..10]);
                let n = u64::from_be_bytes(x);
                if n > MAX_FRAME_LEN {
                    return Err(WsError::LengthTopBit);
                }
                if n <= 0xFFFF {
                    return Err(WsError::NonMinimalLength);
                }
                (n, 10)
            }
            n => (n as u64, 2),
        };
        match (self.rule, masked) {
            (MaskRule::Required, false) => return Err(WsError::MaskRequired),
            (MaskRule::Forbidden, true) => return Err(WsError::UnexpectedMask),
            _ => {}
        }
        if len > self.max_frame_size {
            return Err(WsError::FrameTooLarge);
        }
        Ok(Header {
            fin: b[0] & 0x80 != 0,
            rsv: (b[0] >> 4) & 0x7,
            opcode: b[0] & 0xF,
            mask: masked.then(|| [b[at], b[at + 1], b[at + 2], b[at + 3]]),
            len,
        })
    }
}

/// Appends a frame header to `out` (HP-Socket's `MakeWSPacket` header). `rsv` (3 bits) and
/// `opcode` (4 bits) are written as given; `len` must not exceed [`MAX_FRAME_LEN`], and is
/// written in its shortest form. The body that follows must be masked by the caller
/// ([`apply_mask`] from offset 0).
pub fn write_header(
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    len: u64,
    out: &mut Vec<u8>,
) {
    debug_assert!(len <= MAX_FRAME_LEN);
    out.push(((fin as u8) << 7) | ((rsv & 0x7) << 4) | (opcode & 0xF));
    let m = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    if let Some(k) = mask {
        out.extend_from_slice(&k);
    }
}

/// Appends a whole frame: the header, then `payload` masked with `mask` if given.
pub fn write_frame(
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    write_header(fin, rsv, opcode, mask, payload.len() as u64, out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(k) = mask {
        apply_mask(&mut out[start..], k, 0);
    }
}

/// XORs `buf` with `mask` (RFC 6455 §5.3) as if `buf` began `offset` bytes into the
/// payload, so a payload masked in pieces gives the same bytes as masked whole. Masking
/// twice unmasks. Works 8 bytes at a time.
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    let r = offset & 3;
    let k = [
        mask[r],
        mask[(r + 1) & 3],
        mask[(r + 2) & 3],
        mask[(r + 3) & 3],
    ];
    let wide = u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut w = [0; 8];
        w.copy_from_slice(c);
        c.copy_from_slice(&(u64::from_ne_bytes(w) ^ wide).to_ne_bytes());
    }
    // 8 is a multiple of 4: the tail starts in the same mask phase.
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= k[i & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records the three events; bodies of one frame merged.
    #[derive(Default)]
    struct Rec {
        frames: Vec<(Header, Vec<u8>)>,
        complete: usize,
    }
    impl FrameSink for Rec {
        fn on_header(&mut self, h: &Header) -> Result<(), WsError> {
            assert_eq!(self.frames.len(), self.complete, "header inside a frame");
            self.frames.push((*h, Vec::new()));
            Ok(())
        }
        fn on_body(&mut self, h: &Header, data: &[u8]) -> Result<(), WsError> {
            assert!(!data.is_empty());
            let f = self.frames.last_mut().unwrap();
            assert_eq!(f.0, *h);
            f.1.extend_from_slice(data);
            Ok(())
        }
        fn on_complete(&mut self, h: &Header) -> Result<(), WsError> {
            assert_eq!(self.frames.last().unwrap().0, *h);
            assert_eq!(self.frames.last().unwrap().1.len() as u64, h.len);
            self.complete += 1;
            Ok(())
        }
    }

    fn decode(rule: MaskRule, bytes: &[u8], cuts: &[usize]) -> (Rec, Result<(), WsError>) {
        let mut d = Decoder::new(0, rule);
        let mut rec = Rec::default();
        let mut data = bytes.to_vec();
        let mut rest = &mut data[..];
        let mut i = 0;
        while !rest.is_empty() {
            let k = cuts
                .get(i)
                .copied()
                .unwrap_or(rest.len())
                .clamp(1, rest.len());
            i += 1;
            let (now, later) = rest.split_at_mut(k);
            if let Err(e) = d.feed(now, &mut rec) {
                return (rec, Err(e));
            }
            rest = later;
        }
        (rec, Ok(()))
    }

    fn frame(fin: bool, op: u8, mask: Option<[u8; 4]>, p: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        write_frame(fin, 0, op, mask, p, &mut v);
        v
    }

    // RFC 6455 §5.7.
    #[test]
    fn rfc_examples() {
        let hello = b"Hello";
        assert_eq!(frame(true, 1, None, hello), b"\x81\x05\x48\x65\x6c\x6c\x6f");
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        assert_eq!(
            frame(true, 1, Some([0x37, 0xfa, 0x21, 0x3d]), hello),
            masked
        );
        let (r, e) = decode(MaskRule::Required, &masked, &[1, 1, 1, 1, 1, 1, 1]);
        e.unwrap();
        assert_eq!(r.frames[0].1, hello);
        assert_eq!(r.frames[0].0.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        // A fragmented unmasked text message.
        assert_eq!(frame(false, 1, None, b"Hel"), b"\x01\x03\x48\x65\x6c");
        assert_eq!(frame(true, 0, None, b"lo"), b"\x80\x02\x6c\x6f");
        // Unmasked ping and masked pong, each with "Hello".
        assert_eq!(frame(true, 9, None, hello), b"\x89\x05\x48\x65\x6c\x6c\x6f");
        let pong = frame(true, 0xA, Some([0x37, 0xfa, 0x21, 0x3d]), hello);
        assert_eq!(&pong[..2], b"\x8a\x85");
        assert_eq!(&pong[6..], &masked[6..]);
        // 256 bytes and 64 KiB binary messages in a single unmasked frame.
        assert_eq!(
            frame(true, 2, None, &[0; 256])[..4],
            [0x82, 0x7E, 0x01, 0x00]
        );
        assert_eq!(
            frame(true, 2, None, &[0; 65536])[..10],
            [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]
        );
    }

    #[test]
    fn empty_frames_have_no_body_event() {
        let mut bytes = frame(true, 9, None, b"");
        bytes.extend(frame(true, 2, None, b"x"));
        let (r, e) = decode(MaskRule::Forbidden, &bytes, &[]);
        e.unwrap();
        assert_eq!(r.frames.len(), 2);
        assert_eq!(r.complete, 2);
        assert!(r.frames[0].1.is_empty());
    }

    #[test]
    fn reserved_bits_and_opcodes_pass_up_raw() {
        let mut v = Vec::new();
        write_frame(false, 0b111, 0xB, None, b"ab", &mut v);
        assert_eq!(v[0], 0x7B);
        let (r, e) = decode(MaskRule::Any, &v, &[]);
        e.unwrap();
        assert_eq!(
            r.frames[0].0,
            Header {
                fin: false,
                rsv: 0b111,
                opcode: 0xB,
                mask: None,
                len: 2
            }
        );
    }

    #[test]
    fn structural_errors() {
        let top = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(
            decode(MaskRule::Any, &top, &[]).1,
            Err(WsError::LengthTopBit)
        );
        let short16 = [0x82, 0x7E, 0x00, 0x7D];
        assert_eq!(
            decode(MaskRule::Any, &short16, &[]).1,
            Err(WsError::NonMinimalLength)
        );
        let short64 = [0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF];
        assert_eq!(
            decode(MaskRule::Any, &short64, &[]).1,
            Err(WsError::NonMinimalLength)
        );
        let plain = frame(true, 1, None, b"a");
        assert_eq!(
            decode(MaskRule::Required, &plain, &[]).1,
            Err(WsError::MaskRequired)
        );
        let masked = frame(true, 1, Some([1, 2, 3, 4]), b"a");
        assert_eq!(
            decode(MaskRule::Forbidden, &masked, &[]).1,
            Err(WsError::UnexpectedMask)
        );
        // The limit is checked on the header, before any body byte arrives.
        let mut d = Decoder::new(100, MaskRule::Any);
        let mut rec = Rec::default();
        let mut big = [0x82, 0x7E, 0x00, 0xC8];
        assert_eq!(d.feed(&mut big, &mut rec), Err(WsError::FrameTooLarge));
        assert!(rec.frames.is_empty());
        // The error sticks.
        assert_eq!(
            d.feed(&mut [0x81, 0], &mut rec),
            Err(WsError::FrameTooLarge)
        );
    }

    #[test]
    fn sink_errors_stop_the_decoder() {
        struct No;
        impl FrameSink for No {
            fn on_header(&mut self, _: &Header) -> Result<(), WsError> {
                Err(WsError::Refused)
            }
            fn on_body(&mut self, _: &Header, _: &[u8]) -> Result<(), WsError> {
                Ok(())
            }
            fn on_complete(&mut self, _: &Header) -> Result<(), WsError> {
                Ok(())
            }
        }
        let mut d = Decoder::new(0, MaskRule::Any);
        assert_eq!(d.feed(&mut [0x81, 0], &mut No), Err(WsError::Refused));
        assert_eq!(d.feed(&mut [], &mut No), Err(WsError::Refused));
    }

    #[test]
    fn current_reports_the_frame_in_progress() {
        let mut d = Decoder::new(0, MaskRule::Any);
        let mut rec = Rec::default();
        let mut b = frame(true, 2, None, b"abcd");
        d.feed(&mut b[..1], &mut rec).unwrap();
        assert_eq!(d.buffered(), 1);
        assert!(d.current().is_none());
        d.feed(&mut b[1..4], &mut rec).unwrap();
        let (h, left) = d.current().unwrap();
        assert_eq!((h.len, left), (4, 2));
        d.feed(&mut b[4..], &mut rec).unwrap();
        assert!(d.current().is_none());
    }

    proptest! {
        #[test]
        fn mask_in_pieces_equals_mask_whole(
            data in proptest::collection::vec(any::<u8>(), 0..100),
            mask in any::<[u8; 4]>(),
            cut in 0usize..100,
        ) {
            let mut whole = data.clone();
            apply_mask(&mut whole, mask, 0);
            let naive: Vec<u8> = data.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect();
            prop_assert_eq!(&whole, &naive);
            let cut = cut.min(data.len());
            let mut split = data.clone();
            let (a, b) = split.split_at_mut(cut);
            apply_mask(a, mask, 0);
            apply_mask(b, mask, cut);
            prop_assert_eq!(split, naive);
        }

        #[test]
        fn any_split_gives_the_same_frames(
            frames in proptest::collection::vec(
                (any::<bool>(), 0u8..8, 0u8..16, any::<Option<[u8; 4]>>(),
                 prop_oneof![
                     proptest::collection::vec(any::<u8>(), 0..130),
                     proptest::collection::vec(any::<u8>(), 65530..65540),
                 ]),
                0..6),
            cuts in proptest::collection::vec(1usize..20, 0..200),
        ) {
            let mut bytes = Vec::new();
            for (fin, rsv, op, mask, p) in &frames {
                let mut v = Vec::new();
                write_frame(*fin, *rsv, *op, *mask, p, &mut v);
                bytes.extend(v);
            }
            let (r, e) = decode(MaskRule::Any, &bytes, &cuts);
            prop_assert!(e.is_ok());
            prop_assert_eq!(r.frames.len(), frames.len());
            for ((h, body), (fin, rsv, op, mask, p)) in r.frames.iter().zip(&frames) {
                prop_assert_eq!(*h, Header { fin: *fin, rsv: *rsv, opcode: *op, mask: *mask, len: p.len() as u64 });
                prop_assert_eq!(body, p);
            }
        }
    }
}
