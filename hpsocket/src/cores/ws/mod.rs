//! The WebSocket core (sans-IO, RFC 6455 with RFC 7692's permessage-deflate): bytes in,
//! events and bytes to send out. No socket, thread or clock: the session that owns it feeds
//! what it read and writes what the core queued.
//!
//! - [`handshake`] checks the HTTP upgrade (both sides) as pure functions over header values:
//!   the accept key, the client key, subprotocol selection and extension negotiation.
//! - [`frame`] is the frame layer: a streaming header decoder that unmasks bodies in place
//!   and reports HP-Socket's three low-level events (`OnWSMessageHeader`, `OnWSMessageBody`,
//!   `OnWSMessageComplete`) through a [`frame::FrameSink`], and the frame encoder.
//! - [`deflate`] is permessage-deflate: negotiation and the per-message (de)compressors.
//! - [`message`] is the message endpoint of our WebSocket class: it validates what the frame
//!   layer delivers, reassembles and inflates messages, answers pings and runs the close
//!   handshake, and encodes what the owner sends.
//! - `probe` runs byte streams through the core for the tests and the `ws_frames` fuzz
//!   target, which compiles this module from source (it is crate-private).
//!
//! # Events
//! Frame layer, per frame: header → body pieces (none for an empty body; each piece already
//! unmasked) → complete. Message layer: one [`message::Event`] per complete message or
//! control frame, in wire order: a control frame between the fragments of a message is
//! reported before that message. A received ping queues its pong before the ping is
//! reported; a received close queues the answering close (the same code, no reason) before
//! the close is reported, and nothing is delivered or sent after it.
//!
//! # Limits
//! [`Limits`] (defaults in parentheses), each checked on the frame header, before the body
//! it announces is buffered:
//! - `max_frame_size` (16 MiB): one frame's payload; past it the connection fails with 1009.
//!   tungstenite's default too. HP-Socket has no limit.
//! - `max_message_size` (16 MiB): one reassembled message, counted both on the wire
//!   (compressed) and after inflating; past it 1009. A compression bomb stops at the limit:
//!   the inflater's output buffer never grows past `max_message_size + 1`. tungstenite
//!   allows 64 MiB; 16 MiB is the HTTP core's body limit, so one setting bounds both.
//!   0 lifts a limit and must be set explicitly.
//!
//! # Memory
//! The frame layer holds 14 bytes (a partial header) and never buffers a body. The message
//! layer holds the message being reassembled (≤ `max_message_size` + 1, grown as bytes
//! arrive, never on a header's word, and released after delivery when above 64 KiB), one
//! control payload (≤ 125 bytes), and with permessage-deflate one inflater and one deflater
//! (zlib's state, about 300 KiB together at window 15). Bytes to send are queued until the
//! owner takes them; a received ping adds at most its own size plus 14 bytes.
//!
//! # Differences from HP-Socket 5.8.6
//! HP-Socket's WebSocket support is its frame layer (`TWSContext` in `HttpHelper.h`), the
//! frame encoder (`MakeWSPacket`) and the three events; the handshake's checks, message
//! rules, control frames and compression are left to the application. Ours keeps that layer
//! ([`frame`]) and adds the rest above it ([`message`], [`handshake`], [`deflate`]):
//! - the frame layer refuses a 64-bit length with the top bit set and a length not in its
//!   shortest form (RFC 6455 §5.2 requires both; HP-Socket reads any), and a frame above
//!   `max_frame_size` (HP-Socket has no limit);
//! - like HP-Socket it refuses unmasked frames on the server and masked frames on the
//!   client ([`frame::MaskRule`]), reports the mask with the header and the body unmasked,
//!   reports no body event for an empty frame, and passes reserved bits and opcodes up raw;
//! - like `MakeWSPacket`, [`frame::write_header`] takes the length apart from the data, so a
//!   body can follow in later writes.
//!
//! # Differences from tungstenite 0.29
//! The differential tests (`tests_diff.rs`) pin these:
//! - non-minimal length encodings are refused (tungstenite reads them);
//! - a close with a code that may not be sent fails the connection with 1002 (tungstenite
//!   reports the close with its code replaced by 1002 and answers 1002: the same bytes on
//!   the wire);
//! - the answer to a close echoes its code only (tungstenite echoes the reason too);
//! - after our own close, data frames, pings and pongs that still arrive are checked but not
//!   delivered or answered (tungstenite still returns them);
//! - messages are delivered as borrowed slices of a reused buffer (no allocation per
//!   message); the owner copies what it keeps;
//! - permessage-deflate is built in (tungstenite 0.29 has none; `tests_deflate.rs`
//!   cross-checks ours against miniz_oxide instead).

// The library drives the frame decoder and the endpoint's halves; the single-threaded
// `Endpoint` API, `probe` and a few constants serve the tests and the fuzz target (which
// compiles this module from its source), so parts are unused in the library build.
#![allow(dead_code)]

pub(crate) mod deflate;
pub(crate) mod frame;
pub(crate) mod handshake;
pub(crate) mod message;
pub(crate) mod probe;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_deflate;
#[cfg(test)]
mod tests_diff;
#[cfg(test)]
mod tests_handshake;

/// The opcodes RFC 6455 defines (§5.2); the others are reserved.
pub mod opcode {
    /// A continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// The first frame of a text message.
    pub const TEXT: u8 = 0x1;
    /// The first frame of a binary message.
    pub const BINARY: u8 = 0x2;
    /// A close frame.
    pub const CLOSE: u8 = 0x8;
    /// A ping frame.
    pub const PING: u8 = 0x9;
    /// A pong frame.
    pub const PONG: u8 = 0xA;
}

/// Default [`Limits::max_frame_size`]: 16 MiB.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 * 1024 * 1024;
/// Default [`Limits::max_message_size`]: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// The receive limits (the module documentation says why each default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload of one frame; 0 = unlimited.
    pub max_frame_size: usize,
    /// Largest message, compressed and inflated; 0 = unlimited.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_frame_size`]; 0 lifts the limit.
    pub fn with_max_frame_size(mut self, n: usize) -> Self {
        self.max_frame_size = n;
        self
    }
    /// Sets [`Limits::max_message_size`]; 0 lifts the limit.
    pub fn with_max_message_size(mut self, n: usize) -> Self {
        self.max_message_size = n;
        self
    }
}

/// Which end of the connection an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Accepted the connection: receives masked frames, sends unmasked ones.
    Server,
    /// Opened the connection: sends masked frames, receives unmasked ones.
    Client,
}

/// A close status code (RFC 6455 §7.4). Any `u16` can be carried; the constants name the
/// registered ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutting down, page left).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: a protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no code was present (never sent; reported for an empty close).
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: closed without a close frame (never sent).
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: message data inconsistent with its type (invalid UTF-8 in text).
    pub const INVALID_DATA: CloseCode = CloseCode(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY: CloseCode = CloseCode(1008);
    /// 1009: a message too big to process.
    pub const TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);

    /// Whether the code may appear in a close frame: 1000–1003, 1007–1014 (1012–1014 are
    /// IANA-registered since RFC 6455), 3000–4999. 1004, 1005, 1006 and 1015 are reserved,
    /// everything else undefined (RFC 6455 §7.4.2). The same set as tungstenite's.
    pub fn is_valid(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

/// Why an incoming byte stream is not acceptable. Each maps to the close code that fails the
/// connection ([`WsError::close_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsError {
    /// A 64-bit length with its most significant bit set (1002).
    LengthTopBit,
    /// A length not in its shortest form (1002).
    NonMinimalLength,
    /// An unmasked frame on the server side (1002).
    MaskRequired,
    /// A masked frame on the client side (1002).
    UnexpectedMask,
    /// A frame payload above `max_frame_size` (1009).
    FrameTooLarge,
    /// A reserved bit that no negotiated extension defines (1002).
    ReservedBits,
    /// A reserved opcode (1002).
    UnknownOpcode,
    /// A control frame with more than 125 bytes of payload (1002).
    ControlTooLong,
    /// A fragmented control frame (1002).
    ControlFragmented,
    /// A continuation frame with no message to continue (1002).
    UnexpectedContinuation,
    /// A new data message while another is still fragmented (1002).
    ExpectedContinuation,
    /// A close frame whose payload is a single byte (1002).
    BadClosePayload,
    /// A close frame with a code that may not be sent (1002).
    BadCloseCode,
    /// Invalid UTF-8 in a text message or a close reason (1007).
    InvalidUtf8,
    /// Compressed data that does not inflate (1007).
    BadCompressedData,
    /// A message above `max_message_size`, on the wire or inflated (1009).
    MessageTooLarge,
    /// The owner's event handler refused an event; no close frame is sent.
    Refused,
}

impl WsError {
    /// The code of the close frame that fails the connection, or `None` when the owner
    /// refused an event (the owner decides what to tell the peer).
    pub fn close_code(&self) -> Option<CloseCode> {
        use WsError::*;
        Some(match self {
            Refused => return None,
            InvalidUtf8 | BadCompressedData => CloseCode::INVALID_DATA,
            FrameTooLarge | MessageTooLarge => CloseCode::TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        })
    }

    /// A short English description (also the reason of the failing close frame).
    pub fn description(&self) -> &'static str {
        use WsError::*;
        match self {
            LengthTopBit => "frame length has its top bit set",
            NonMinimalLength => "frame length not in its shortest form",
            MaskRequired => "unmasked frame from a client",
            UnexpectedMask => "masked frame from a server",
            FrameTooLarge => "frame too large",
            ReservedBits => "reserved bits set",
            UnknownOpcode => "reserved opcode",
            ControlTooLong => "control frame longer than 125 bytes",
            ControlFragmented => "fragmented control frame",
            UnexpectedContinuation => "continuation frame without a message",
            ExpectedContinuation => "new message inside a fragmented message",
            BadClosePayload => "close frame with a one-byte payload",
            BadCloseCode => "invalid close code",
            InvalidUtf8 => "invalid UTF-8",
            BadCompressedData => "compressed data does not inflate",
            MessageTooLarge => "message too large",
            Refused => "an event handler refused an event",
        }
    }
}

impl std::fmt::Display for WsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for WsError {}

/// Why a message or control frame could not be queued for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The endpoint sent or received a close, or failed: nothing more is sent.
    Closed,
    /// A ping or pong payload above 125 bytes, or a close reason above 123 bytes.
    ControlTooLong,
    /// A close code that may not be sent ([`CloseCode::is_valid`]).
    BadCloseCode,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SendError::Closed => "the WebSocket connection is closing or closed",
            SendError::ControlTooLong => "control frame payload longer than 125 bytes",
            SendError::BadCloseCode => "close code that may not be sent",
        })
    }
}

impl std::error::Error for SendError {}
