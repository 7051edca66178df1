//! HP-Socket's ARQ handshake packet and what a datagram is to an ARQ connection.
//!
//! The 12-byte handshake (layout confirmed in HP-Socket's `ArqHelper.h`, `TArqCmd`; the
//! original writes the fields in host order, little endian on every platform it ships for):
//!
//! ```text
//!  0       2     3      4          8          12
//!  | magic | cmd | flag | self ID  | peer ID  |
//!  | 0xBB4F| 0x01| 0/1  | u32 LE   | u32 LE   |
//! ```
//!
//! `self ID` is the sender's conversation ID, `peer ID` the receiver's as far as the sender
//! knows it (0 before it heard from the receiver). Flag bit 0 ("complete") says the sender
//! has finished its side of the handshake; the other bits must be 0.

use std::fmt;

/// The handshake's magic number.
pub const HANDSHAKE_MAGIC: u16 = 0xBB4F;
/// The handshake's only command.
pub const HANDSHAKE_CMD: u8 = 0x01;
/// Flag bit: the sender's handshake is complete.
pub const FLAG_COMPLETE: u8 = 0x01;
/// Bytes in a handshake packet.
pub const HANDSHAKE_LEN: usize = 12;

/// The 16-byte datagram HP-Socket's UDP components send to tell the peer its virtual
/// connection is closed (the same bytes as the UDP roles' close notification). The ARQ
/// layer has no close message of its own; its sessions close with this one.
pub const CLOSE_NOTIFY: [u8; 16] = [
    0xBE, 0xB6, 0x1F, 0xEB, 0xDA, 0x52, 0x46, 0xBA, 0x92, 0x33, 0x59, 0xDB, 0xBF, 0xE6, 0xC8, 0xE4,
];

/// A decoded handshake packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handshake {
    /// The sender's handshake is complete (flag bit 0).
    pub complete: bool,
    /// The sender's conversation ID.
    pub self_id: u32,
    /// The receiver's conversation ID as the sender knows it (0: not yet).
    pub peer_id: u32,
}

impl Handshake {
    /// The packet's 12 bytes.
    pub fn encode(&self) -> [u8; HANDSHAKE_LEN] {
        let mut b = [0u8; HANDSHAKE_LEN];
        b[..2].copy_from_slice(&HANDSHAKE_MAGIC.to_le_bytes());
        b[2] = HANDSHAKE_CMD;
        b[3] = if self.complete { FLAG_COMPLETE } else { 0 };
        b[4..8].copy_from_slice(&self.self_id.to_le_bytes());
        b[8..].copy_from_slice(&self.peer_id.to_le_bytes());
        b
    }

    /// Decodes a datagram that should be a handshake: exactly 12 bytes, the magic, the
    /// command, no flag bit but "complete".
    pub fn decode(b: &[u8]) -> Result<Handshake, HandshakeError> {
        let b: &[u8; HANDSHAKE_LEN] = b.try_into().map_err(|_| HandshakeError::Length(b.len()))?;
        let magic = u16::from_le_bytes([b[0], b[1]]);
        if magic != HANDSHAKE_MAGIC {
            return Err(HandshakeError::Magic(magic));
        }
        if b[2] != HANDSHAKE_CMD {
            return Err(HandshakeError::Command(b[2]));
        }
        if b[3] & !FLAG_COMPLETE != 0 {
            return Err(HandshakeError::Flags(b[3]));
        }
        Ok(Handshake {
            complete: b[3] & FLAG_COMPLETE != 0,
            self_id: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            peer_id: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        })
    }
}

/// Why 12 bytes are not a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeError {
    /// Not 12 bytes.
    Length(usize),
    /// Not `0xBB4F`.
    Magic(u16),
    /// Not command 1.
    Command(u8),
    /// A flag bit other than "complete".
    Flags(u8),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Length(n) => write!(f, "ARQ handshake of {n} bytes (12 expected)"),
            HandshakeError::Magic(m) => write!(f, "ARQ handshake magic {m:#06x}"),
            HandshakeError::Command(c) => write!(f, "ARQ handshake command {c}"),
            HandshakeError::Flags(x) => write!(f, "ARQ handshake flags {x:#04x}"),
        }
    }
}

impl std::error::Error for HandshakeError {}

/// What a datagram is to an ARQ connection, by its length as HP-Socket decides
/// (`CArqSessionT::Receive`): 24 bytes or more are KCP segments, exactly 12 a handshake;
/// ours also recognises the UDP layer's 0-byte probe and 16-byte close notification, which
/// HP-Socket's UDP layer consumes before the ARQ layer sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatagramKind {
    /// 0 bytes: a keep-alive probe.
    Probe,
    /// 12 bytes: a handshake packet.
    Handshake,
    /// [`CLOSE_NOTIFY`]: the peer closed.
    CloseNotify,
    /// 24 bytes or more: KCP segments.
    Segments,
    /// Anything else: not an ARQ datagram.
    Invalid,
}

/// Classifies a datagram (see [`DatagramKind`]).
pub fn classify(d: &[u8]) -> DatagramKind {
    match d.len() {
        0 => DatagramKind::Probe,
        HANDSHAKE_LEN => DatagramKind::Handshake,
        16 if d == CLOSE_NOTIFY => DatagramKind::CloseNotify,
        n if n >= super::HEADER_LEN => DatagramKind::Segments,
        _ => DatagramKind::Invalid,
    }
}

/// Hands out conversation IDs the way HP-Socket does (`GenerateConversationID`): a counter
/// that starts at a caller-chosen seed (HP-Socket seeds it with the clock), steps by one and
/// skips 0, which means "unknown" in the handshake.
#[derive(Debug, Clone)]
pub struct ConvIds {
    next: u32,
}

impl ConvIds {
    /// A generator whose first ID follows `seed`.
    pub fn new(seed: u32) -> ConvIds {
        ConvIds { next: seed }
    }

    /// The next ID, never 0.
    pub fn next_id(&mut self) -> u32 {
        self.next = self.next.wrapping_add(1);
        if self.next == 0 {
            self.next = 1;
        }
        self.next
    }
}
