//! KCP's segment header: 24 bytes, little endian, one or more segments per datagram.
//!
//! ```text
//!  0      4     5     6       8      12     16     20     24
//!  | conv | cmd | frg |  wnd  |  ts  |  sn  | una  | len  | data (len bytes) ...
//! ```
//!
//! The decoder checks only what the bytes themselves can prove wrong (a short header, a
//! length that runs past the datagram, an unknown command); whether a well-formed segment
//! fits the connection is the [`Kcp`](super::Kcp) core's question.

use std::fmt;

/// Bytes in a segment header (ikcp's `IKCP_OVERHEAD`).
pub const HEADER_LEN: usize = 24;

/// What a segment asks of its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// 81: data (one fragment of a message).
    Push,
    /// 82: acknowledges the `sn` / `ts` of one received `Push`.
    Ack,
    /// 83: asks the receiver to tell its window (sent while the peer's window is 0).
    WindowAsk,
    /// 84: tells the sender's window (the answer to `WindowAsk`).
    WindowTell,
}

impl Command {
    /// The command's byte on the wire.
    pub fn to_byte(self) -> u8 {
        match self {
            Command::Push => 81,
            Command::Ack => 82,
            Command::WindowAsk => 83,
            Command::WindowTell => 84,
        }
    }

    /// The command a wire byte names, if any.
    pub fn from_byte(b: u8) -> Option<Command> {
        Some(match b {
            81 => Command::Push,
            82 => Command::Ack,
            83 => Command::WindowAsk,
            84 => Command::WindowTell,
            _ => return None,
        })
    }
}

/// A decoded segment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Conversation ID: which connection the segment belongs to.
    pub conv: u32,
    /// What the segment is.
    pub cmd: Command,
    /// Fragments of the message still to come after this one (0: its last).
    pub frg: u8,
    /// The sender's free receive window, in segments.
    pub wnd: u16,
    /// The sender's clock when it sent the segment (an `Ack` echoes the acknowledged one's).
    pub ts: u32,
    /// Sequence number (`Push`), or the acknowledged one (`Ack`).
    pub sn: u32,
    /// The next sequence number the sender expects: everything below it arrived.
    pub una: u32,
    /// Payload bytes that follow the header.
    pub len: u32,
}

impl Header {
    /// Appends the 24 header bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.conv.to_le_bytes());
        out.push(self.cmd.to_byte());
        out.push(self.frg);
        out.extend_from_slice(&self.wnd.to_le_bytes());
        out.extend_from_slice(&self.ts.to_le_bytes());
        out.extend_from_slice(&self.sn.to_le_bytes());
        out.extend_from_slice(&self.una.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
    }

    /// Decodes the header at the start of `b` (its payload is not checked).
    pub fn decode(b: &[u8]) -> Result<Header, SegmentError> {
        let Some(h) = b.first_chunk::<HEADER_LEN>() else {
            return Err(SegmentError::Truncated { have: b.len() });
        };
        let u32_at = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let cmd = Command::from_byte(h[4]).ok_or(SegmentError::UnknownCommand(h[4]))?;
        Ok(Header {
            conv: u32_at(0),
            cmd,
            frg: h[5],
            wnd: u16::from_le_bytes([h[6], h[7]]),
            ts: u32_at(8),
            sn: u32_at(12),
            una: u32_at(16),
            len: u32_at(20),
        })
    }
}

/// Why bytes are not a sequence of KCP segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentError {
    /// Fewer than 24 bytes where a header should start.
    Truncated {
        /// Bytes there were.
        have: usize,
    },
    /// The command byte is none of 81–84.
    UnknownCommand(u8),
    /// The header announces more payload than the datagram still holds.
    LengthMismatch {
        /// The header's `len`.
        announced: u32,
        /// Bytes left after the header.
        remaining: usize,
    },
}

impl fmt::Display for SegmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentError::Truncated { have } => {
                write!(f, "truncated KCP header: {have} of {HEADER_LEN} bytes")
            }
            SegmentError::UnknownCommand(c) => write!(f, "unknown KCP command {c}"),
            SegmentError::LengthMismatch {
                announced,
                remaining,
            } => write!(
                f,
                "KCP segment announces {announced} payload bytes, {remaining} remain"
            ),
        }
    }
}

impl std::error::Error for SegmentError {}

/// The segments of one datagram, in order, each with its payload borrowed from it.
///
/// Yields an error (and then nothing) at the first byte that is not a segment. A datagram
/// must hold whole segments only: trailing bytes shorter than a header are an error
/// (ikcp ignores them; a sender of ours never writes them).
///
/// ```
/// use hpsocket::arq::{Command, Header, Segments};
/// let h = Header { conv: 7, cmd: Command::Push, frg: 0, wnd: 128, ts: 1, sn: 0, una: 0, len: 2 };
/// let mut d = Vec::new();
/// h.encode(&mut d);
/// d.extend_from_slice(b"hi");
/// let segs: Vec<_> = Segments::new(&d).collect::<Result<_, _>>().unwrap();
/// assert_eq!(segs, vec![(h, &b"hi"[..])]);
/// ```
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Segments<'a> {
    /// Iterates over the segments of `datagram`.
    pub fn new(datagram: &'a [u8]) -> Segments<'a> {
        Segments {
            rest: datagram,
            failed: false,
        }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<(Header, &'a [u8]), SegmentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        let r = Header::decode(self.rest).and_then(|h| {
            let body = &self.rest[HEADER_LEN..];
            match usize::try_from(h.len) {
                Ok(n) if n <= body.len() => {
                    self.rest = &body[n..];
                    Ok((h, &body[..n]))
                }
                _ => Err(SegmentError::LengthMismatch {
                    announced: h.len,
                    remaining: body.len(),
                }),
            }
        });
        self.failed = r.is_err();
        Some(r)
    }
}

/// Wrapping comparison of sequence numbers and clock values: `a - b` as a signed distance,
/// so that ordering survives the 32-bit wrap (as long as the two are within 2^31).
pub(crate) fn diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}
