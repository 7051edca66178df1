//! Body framing: where a message's body ends, for a Content-Length, a chunked body or a
//! response read until the connection closes. Nothing is buffered: body bytes are handed out
//! as slices of the input, and a chunk-size line is parsed byte by byte as it arrives (so a
//! line split across reads costs no copy, and its length is only counted).
//!
//! Chunked grammar (RFC 9112 §7.1), strict where lenience has been used to smuggle: the size
//! is 1+ hex digits without overflow; `;` extensions may follow (after optional spaces or
//! tabs) and are skipped, but no control byte may appear in them; every line ends in CRLF
//! (a bare LF or CR is refused), and chunk data must be followed by CRLF exactly. The trailer
//! section is a head of its own, collected by `head`.

use super::ErrorKind;

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes (never 0: that is `None`).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (responses only).
    UntilClose,
}

/// What [`BodyReader::step`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// The input is used up; feed more.
    NeedMore,
    /// A piece of body.
    Data(&'a [u8]),
    /// A chunk of this many bytes begins.
    ChunkHeader(u64),
    /// A chunk's data and its CRLF are through.
    ChunkComplete,
    /// The last chunk (size 0): the trailer section follows.
    LastChunk,
    /// The body is complete.
    Done,
}

/// Where in a chunk-size line the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    /// Reading hex digits (`digits` so far).
    Size { digits: usize },
    /// Spaces or tabs after the size: only ';' may follow.
    Space,
    /// Inside extensions, skipped up to the CR.
    Extension,
    /// Got the CR, the LF must follow.
    Lf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length { left: u64 },
    UntilClose,
    SizeLine { size: u64, len: usize, at: Line },
    Data { left: u64 },
    DataCr,
    DataLf,
    Done,
}

/// The framing state of one body.
#[derive(Debug)]
pub(crate) struct BodyReader {
    state: State,
    /// Body bytes accepted so far (for the limit).
    received: u64,
    /// `max_body_size` (0: none).
    max: u64,
    max_line: usize,
}

impl BodyReader {
    /// A reader for a body framed by `framing` (not [`Framing::None`]); a Content-Length
    /// was already checked against `max`.
    pub fn new(framing: Framing, max: u64, max_line: usize) -> BodyReader {
        let state = match framing {
            Framing::None | Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Length { left: n },
            Framing::Chunked => State::SizeLine {
                size: 0,
                len: 0,
                at: Line::Size { digits: 0 },
            },
            Framing::UntilClose => State::UntilClose,
        };
        BodyReader {
            state,
            received: 0,
            max,
            max_line,
        }
    }

    /// Reads from `data` up to the next thing to report; returns how many bytes that took.
    pub fn step<'a>(&mut self, data: &'a [u8]) -> Result<(usize, Step<'a>), ErrorKind> {
        match self.state {
            State::Done => Ok((0, Step::Done)),
            _ if data.is_empty() => Ok((0, Step::NeedMore)),
            State::Length { left } => {
                let n = take(left, data.len());
                let left = left - n as u64;
                self.state = if left == 0 {
                    State::Done
                } else {
                    State::Length { left }
                };
                Ok((n, Step::Data(data.get(..n).unwrap_or_default())))
            }
            State::UntilClose => {
                // Hand out what fits under the limit, then refuse: where the error comes
                // does not depend on how the stream was split.
                let room = match self.max {
                    0 => u64::MAX,
                    max => max - self.received,
                };
                if room == 0 {
                    return Err(ErrorKind::BodyTooLarge);
                }
                let n = take(room, data.len());
                self.received += n as u64;
                Ok((n, Step::Data(data.get(..n).unwrap_or_default())))
            }
            State::Data { left } => {
                let n = take(left, data.len());
                let left = left - n as u64;
                self.state = if left == 0 {
                    State::DataCr
                } else {
                    State::Data { left }
                };
                Ok((n, Step::Data(data.get(..n).unwrap_or_default())))
            }
            State::DataCr | State::DataLf => {
                let mut used = 0;
                for &b in data {
                    used += 1;
                    match (self.state, b) {
                        (State::DataCr, b'\r') => self.state = State::DataLf,
                        (State::DataLf, b'\n') => {
                            self.state = State::SizeLine {
                                size: 0,
                                len: 0,
                                at: Line::Size { digits: 0 },
                            };
                            return Ok((used, Step::ChunkComplete));
                        }
                        _ => return Err(ErrorKind::ChunkNotTerminated),
                    }
                }
                Ok((used, Step::NeedMore))
            }
            State::SizeLine { size, len, at } => self.size_line(data, size, len, at),
        }
    }

    fn size_line<'a>(
        &mut self,
        data: &'a [u8],
        mut size: u64,
        mut len: usize,
        mut at: Line,
    ) -> Result<(usize, Step<'a>), ErrorKind> {
        let bad = ErrorKind::InvalidChunkSize;
        let mut used = 0;
        for &b in data {
            used += 1;
            len += 1;
            if len > self.max_line {
                return Err(bad);
            }
            at = match (at, b) {
                (Line::Size { digits }, _) if b.is_ascii_hexdigit() => {
                    let d = u64::from(hex(b));
                    size = size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(d))
                        .ok_or(bad)?;
                    Line::Size { digits: digits + 1 }
                }
                (Line::Size { digits: 0 }, _) => return Err(bad),
                (Line::Size { .. } | Line::Space, b' ' | b'\t') => Line::Space,
                (Line::Size { .. } | Line::Space, b';') => Line::Extension,
                (Line::Size { .. } | Line::Extension, b'\r') => Line::Lf,
                (Line::Extension, b'\t' | 0x20..=0x7E | 0x80..=0xFF) => Line::Extension,
                (Line::Lf, b'\n') => return self.line_done(used, size),
                _ => return Err(bad),
            };
        }
        self.state = State::SizeLine { size, len, at };
        Ok((used, Step::NeedMore))
    }

    fn line_done<'a>(&mut self, used: usize, size: u64) -> Result<(usize, Step<'a>), ErrorKind> {
        if size == 0 {
            self.state = State::Done;
            return Ok((used, Step::LastChunk));
        }
        let total = self.received.checked_add(size);
        // An overflowing total is above any limit.
        if self.max != 0 && total.is_none_or(|t| t > self.max) {
            return Err(ErrorKind::BodyTooLarge);
        }
        self.received = total.unwrap_or(u64::MAX);
        self.state = State::Data { left: size };
        Ok((used, Step::ChunkHeader(size)))
    }

    /// The connection closed: `Ok(true)` when that completes the body (read until close),
    /// `Ok(false)` when it was already complete, an error when it cuts the body short.
    pub fn eof(&mut self) -> Result<bool, ErrorKind> {
        match self.state {
            State::UntilClose => {
                self.state = State::Done;
                Ok(true)
            }
            State::Done => Ok(false),
            _ => Err(ErrorKind::UnexpectedEof),
        }
    }
}

/// How many of `avail` bytes to take when `left` are wanted.
fn take(left: u64, avail: usize) -> usize {
    usize::try_from(left).map_or(avail, |l| l.min(avail))
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}
