//! The ARQ core (sans-IO): reliable, ordered messages over datagrams, as HP-Socket's
//! `UdpArqServer` / `UdpArqClient` carry them — KCP underneath, HP-Socket's handshake and
//! close on top. No socket, thread or clock: datagrams and millisecond times go in;
//! datagrams to send, messages, events and the next deadline come out.
//!
//! - [`Kcp`] is the KCP protocol in message mode (stream mode is not offered: HP-Socket's
//!   ARQ never uses it), wire-compatible with ikcp: the segment header ([`Header`],
//!   [`Segments`]), sequence and acknowledgement numbers, send / receive / remote windows,
//!   retransmission by timeout (RTO from RTT samples, a minimum RTO, no-delay back-off) and
//!   by duplicate acks (fast resend, with ikcp's limit), congestion control that can be
//!   turned off, window probing, and dead-link detection.
//! - [`ArqSession`] is one HP-Socket ARQ connection: the 12-byte [`Handshake`] that trades
//!   conversation IDs, KCP once both sides agree, and the close (the UDP layer's
//!   [`CLOSE_NOTIFY`]; a graceful close waits for everything sent to be acknowledged).
//!
//! # HP-Socket facts this follows
//! Read in HP-Socket 5.8's sources (`Windows/Src/ArqHelper.h`, `ArqHelper.cpp`,
//! `UdpArqClient.{h,cpp}`, `UdpArqServer.cpp`, `Common/kcp/ikcp.c`); not copied:
//! - defaults (`ArqHelper.h`): no-delay off, congestion control on, flush interval 60 ms,
//!   resend-by-acks 0 (fast resend off), send window 128, receive window 512, minimum RTO
//!   30 ms, MTU = the UDP maximum datagram size (1,472), maximum message 4,096 bytes,
//!   handshake timeout 5,000 ms; the checks of `TArqAttr::IsValid` ([`ArqConfig::validate`]);
//! - the handshake packet: magic `0xBB4F`, command 1, flag bit 0 "complete", self and peer
//!   conversation IDs; datagrams of 24 bytes or more are KCP, of exactly 12 a handshake,
//!   anything else an error (`CArqSessionT::Receive`);
//! - each side's KCP writes its *own* conversation ID into its segments, and HP-Socket's
//!   ikcp copy skips the conversation check on input (a marked modification of
//!   `ikcp_input`). Ours checks incoming segments against the peer's ID learnt in the
//!   handshake, which an HP-Socket peer always satisfies;
//! - handshake retries at `min(interval × n, 2,000 ms)`, a connection whose handshake did
//!   not complete within the timeout fails, a handshake from another conversation resets
//!   the connection, KCP segments before the handshake completed are ignored, a received
//!   message larger than the maximum is an error, conversation IDs count up from a seed
//!   and skip 0 (`GenerateConversationID`).
//!
//! Wire compatibility with HP-Socket's own ARQ cannot be tested here (the original library
//! the tests fetch predates it); the KCP layer is tested against the `kcp` crate instead.
//!
//! # Memory
//! Bounded whatever the peer sends: at most `recv_window` fragments wait for reordering and
//! `recv_window` for delivery, each no longer than the datagram that brought it and the
//! maximum message size; at most `2 × recv_window` acks wait for the next flush (more are
//! dropped, as if lost); bytes accepted by `send` are bounded by
//! [`KcpConfig::send_queue_limit`]; datagrams not taken by `poll_transmit` are bounded too
//! (the oldest is dropped, as if lost). A forged window size cannot make us send more than
//! our own send window.

mod handshake;
mod kcp;
mod segment;
mod session;

#[cfg(test)]
mod tests;

use std::fmt;

pub use handshake::{
    classify, ConvIds, DatagramKind, Handshake, HandshakeError, CLOSE_NOTIFY, FLAG_COMPLETE,
    HANDSHAKE_CMD, HANDSHAKE_LEN, HANDSHAKE_MAGIC,
};
pub use kcp::{Kcp, MAX_DATAGRAM};
pub use segment::{Command, Header, SegmentError, Segments, HEADER_LEN};
pub use session::{ArqConfig, ArqSession, CloseReason, Event};

/// Most fragments one message may have (ikcp's receive-window minimum minus one).
pub const MAX_FRAGMENTS: usize = kcp::MAX_FRAGMENTS;

/// KCP's settings. [`Default`] is ikcp's own defaults; [`KcpConfig::hp_socket`] HP-Socket
/// ARQ's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KcpConfig {
    /// Largest datagram written, header included (ikcp 1,400; 50 ..= 65,507).
    pub mtu: u32,
    /// Segments in flight at most (ikcp 32).
    pub send_window: u16,
    /// Segments the receiver holds at most; raised to 128 if below, as ikcp does (ikcp 128).
    pub recv_window: u16,
    /// No-delay: a smaller retransmission back-off and no extra RTO/8 on the first send.
    pub no_delay: bool,
    /// Flush interval in ms, clamped to 10 ..= 5,000 as ikcp does (ikcp 100).
    pub interval: u32,
    /// Retransmit a segment once this many later segments were acknowledged; 0 turns fast
    /// retransmit off (HP-Socket's "resend by acks").
    pub fast_resend: u32,
    /// Fast retransmits of one segment allowed at most; 0: no limit (ikcp 5).
    pub fast_limit: u32,
    /// Turn off congestion control: send as the windows allow (HP-Socket's "turn off NC").
    pub no_congestion_control: bool,
    /// Smallest retransmission timeout in ms (ikcp 100, or 30 with no-delay).
    pub min_rto: u32,
    /// Transmissions of one segment after which the link counts as dead (ikcp 20).
    pub dead_link: u32,
    /// Largest message; at most 127 segments' worth (`127 × (mtu − 24)`).
    pub max_message_size: usize,
    /// Bytes accepted by `send` and not yet acknowledged, at most (ours; 4 MiB). Past it
    /// `send` fails with [`SendError::QueueFull`] instead of queuing without bound.
    pub send_queue_limit: usize,
}

/// Default [`KcpConfig::send_queue_limit`]: 4 MiB.
pub const DEFAULT_SEND_QUEUE_LIMIT: usize = 4 * 1024 * 1024;

impl Default for KcpConfig {
    fn default() -> Self {
        KcpConfig {
            mtu: 1400,
            send_window: 32,
            recv_window: 128,
            no_delay: false,
            interval: 100,
            fast_resend: 0,
            fast_limit: 5,
            no_congestion_control: false,
            min_rto: 100,
            dead_link: 20,
            max_message_size: MAX_FRAGMENTS * (1400 - HEADER_LEN),
            send_queue_limit: DEFAULT_SEND_QUEUE_LIMIT,
        }
    }
}

impl KcpConfig {
    /// HP-Socket ARQ's defaults (`ArqHelper.h`): window 128 / 512, interval 60 ms,
    /// minimum RTO 30 ms, MTU 1,472, messages up to 4,096 bytes.
    pub fn hp_socket() -> KcpConfig {
        KcpConfig {
            mtu: 1472,
            send_window: 128,
            recv_window: 512,
            no_delay: false,
            interval: 60,
            fast_resend: 0,
            fast_limit: 5,
            no_congestion_control: false,
            min_rto: 30,
            dead_link: 20,
            max_message_size: 4096,
            send_queue_limit: DEFAULT_SEND_QUEUE_LIMIT,
        }
    }

    /// Sets no-delay, interval, fast resend and congestion control at once, like
    /// `ikcp_nodelay` (which also sets the minimum RTO: 30 with no-delay, else 100).
    pub fn with_nodelay(mut self, no_delay: bool, interval: u32, resend: u32, nc: bool) -> Self {
        self.no_delay = no_delay;
        self.min_rto = if no_delay { 30 } else { 100 };
        self.interval = interval;
        self.fast_resend = resend;
        self.no_congestion_control = nc;
        self
    }

    /// Refuses settings the protocol cannot run with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(50..=MAX_DATAGRAM as u32).contains(&self.mtu) {
            return Err(ConfigError("mtu must be 50 ..= 65,507"));
        }
        if self.send_window == 0 || self.recv_window == 0 {
            return Err(ConfigError("windows must be at least 1"));
        }
        if self.min_rto == 0 {
            return Err(ConfigError("min_rto must be at least 1 ms"));
        }
        if self.dead_link == 0 {
            return Err(ConfigError("dead_link must be at least 1"));
        }
        if self.max_message_size > MAX_FRAGMENTS * (self.mtu as usize - HEADER_LEN) {
            return Err(ConfigError(
                "max_message_size must fit 127 segments of mtu - 24 bytes",
            ));
        }
        Ok(())
    }
}

/// A setting out of range; the text names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigError(pub &'static str);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Why a datagram was refused. Unless [`InputError::is_fatal`], the datagram was dropped
/// whole and nothing changed: the connection goes on (HP-Socket closes it on any of
/// these; its components may choose to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputError {
    /// Not a sequence of KCP segments (truncated header, length past the end, command).
    Segment(SegmentError),
    /// A 12-byte datagram that is not a handshake.
    Handshake(HandshakeError),
    /// A datagram neither 0, 12, 16 (close) nor at least 24 bytes long.
    InvalidDatagram {
        /// Its length.
        len: usize,
    },
    /// Longer than any UDP datagram.
    DatagramTooLarge {
        /// Its length.
        len: usize,
    },
    /// A segment of another conversation.
    WrongConversation {
        /// The peer's conversation ID.
        expected: u32,
        /// The segment's.
        got: u32,
    },
    /// An `una` or ack for a sequence number never sent.
    AckOfUnsent {
        /// The number acknowledged.
        sn: u32,
        /// Our next sequence number.
        next: u32,
    },
    /// Data beyond the receive window.
    OutsideWindow {
        /// Its sequence number.
        sn: u32,
        /// The next sequence number expected.
        next: u32,
        /// The receive window.
        window: u32,
    },
    /// A fragment number no message can have (127 fragments at most).
    TooManyFragments {
        /// The segment's `frg`.
        frg: u8,
    },
    /// One segment longer than the largest message.
    SegmentTooLarge {
        /// Its length.
        len: u32,
        /// The maximum message size.
        max: usize,
    },
    /// Fatal: the message being reassembled passed the maximum size or the fragment
    /// count. Nothing after it can be delivered.
    MessageTooLarge {
        /// The maximum message size.
        max: usize,
    },
    /// Fatal: a handshake from another conversation (HP-Socket answers `WSAECONNRESET`).
    Reset {
        /// The conversation ID it carried.
        got: u32,
    },
    /// The session is closed.
    Closed,
}

impl InputError {
    /// True when the error ended the conversation (the datagram was not simply dropped).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            InputError::MessageTooLarge { .. } | InputError::Reset { .. }
        )
    }
}

impl From<SegmentError> for InputError {
    fn from(e: SegmentError) -> Self {
        InputError::Segment(e)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Segment(e) => e.fmt(f),
            InputError::Handshake(e) => e.fmt(f),
            InputError::InvalidDatagram { len } => write!(f, "{len}-byte datagram is not ARQ"),
            InputError::DatagramTooLarge { len } => write!(f, "{len}-byte datagram"),
            InputError::WrongConversation { expected, got } => {
                write!(f, "segment of conversation {got}, expected {expected}")
            }
            InputError::AckOfUnsent { sn, next } => {
                write!(f, "ack of {sn}, never sent (next is {next})")
            }
            InputError::OutsideWindow { sn, next, window } => {
                write!(f, "segment {sn} outside the window {next} + {window}")
            }
            InputError::TooManyFragments { frg } => write!(f, "fragment number {frg}"),
            InputError::SegmentTooLarge { len, max } => {
                write!(f, "{len}-byte segment, messages are at most {max}")
            }
            InputError::MessageTooLarge { max } => {
                write!(f, "message larger than {max} bytes or 127 fragments")
            }
            InputError::Reset { got } => write!(f, "handshake of conversation {got}: reset"),
            InputError::Closed => f.write_str("ARQ session closed"),
        }
    }
}

impl std::error::Error for InputError {}

/// Why a message was not accepted for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// Longer than the maximum message size.
    TooLarge {
        /// Its length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The queue of unacknowledged bytes is full ([`KcpConfig::send_queue_limit`]).
    QueueFull {
        /// Bytes pending.
        pending: usize,
        /// The limit.
        limit: usize,
    },
    /// An empty message (HP-Socket refuses them: `ERROR_INVALID_PARAMETER`).
    Empty,
    /// The handshake has not completed.
    NotReady,
    /// The session is closing or closed.
    Closed,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::TooLarge { len, max } => write!(f, "{len}-byte message, at most {max}"),
            SendError::QueueFull { pending, limit } => {
                write!(f, "{pending} bytes unacknowledged, limit {limit}")
            }
            SendError::Empty => f.write_str("empty message"),
            SendError::NotReady => f.write_str("ARQ handshake not complete"),
            SendError::Closed => f.write_str("ARQ session closed"),
        }
    }
}

impl std::error::Error for SendError {}
