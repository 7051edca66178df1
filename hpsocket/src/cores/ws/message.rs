//! The message endpoint: RFC 6455's rules above the frame layer, for our WebSocket class.
//!
//! Receiving ([`Endpoint::feed`]): frames are checked as their headers arrive — reserved bits
//! without a negotiated extension, reserved opcodes, control frames over 125 bytes or
//! fragmented, a continuation with nothing to continue or a new message inside a fragmented
//! one fail with 1002; a message over the limit fails with 1009 before its body is kept.
//! Text is checked for UTF-8 as it arrives (across fragments and after inflating), so the
//! first invalid byte fails the connection with 1007. Complete messages, pings, pongs and the
//! close are reported to the owner's handler as [`Event`]s borrowing the endpoint's buffer.
//! A ping queues its pong; a close queues the answering close (the same code).
//!
//! A failure queues the close frame that fails the connection (its code and a short reason)
//! and stops the endpoint: the owner sends what is queued and closes the connection.
//!
//! Sending ([`Endpoint::send_text`], [`Endpoint::send_binary`], [`Endpoint::ping`],
//! [`Endpoint::pong`], [`Endpoint::close`]) appends frames to the output queue; a client
//! masks each frame with a fresh key from its [`MaskSource`].

use ring::rand::SecureRandom as _;

use super::deflate::{Compressor, Decompressor, DeflateParams};
use super::frame::{self, Decoder, FrameSink, Header, MaskRule, RSV1};
use super::{opcode, CloseCode, Limits, Role, SendError, WsError};

/// Receive buffers above this capacity are released after a message instead of kept.
const KEEP_CAPACITY: usize = 64 * 1024;

/// Where the masks of a client's frames come from.
pub trait MaskSource {
    /// The masking key of the next frame.
    fn next_mask(&mut self) -> [u8; 4];
}

/// Masks from the system's random source (RFC 6455 §5.3 asks for strong entropy), drawn 64
/// at a time.
pub struct RandomMasks {
    rng: ring::rand::SystemRandom,
    pool: [u8; 256],
    used: usize,
    /// A secret for the fallback below, drawn once.
    key: [u8; 32],
    counter: u64,
}

impl std::fmt::Debug for RandomMasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RandomMasks")
    }
}

impl Default for RandomMasks {
    fn default() -> Self {
        let rng = ring::rand::SystemRandom::new();
        let mut key = [0; 32];
        let _ = rng.fill(&mut key);
        RandomMasks {
            rng,
            pool: [0; 256],
            used: 256,
            key,
            counter: 0,
        }
    }
}

impl MaskSource for RandomMasks {
    fn next_mask(&mut self) -> [u8; 4] {
        if self.used == self.pool.len() {
            if self.rng.fill(&mut self.pool).is_err() {
                // The OS source failed after start (not seen on Linux): SHA-256 of a secret
                // and a counter keeps the masks unpredictable.
                for chunk in self.pool.chunks_mut(32) {
                    self.counter += 1;
                    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
                    ctx.update(&self.key);
                    ctx.update(&self.counter.to_le_bytes());
                    chunk.copy_from_slice(ctx.finish().as_ref());
                }
            }
            self.used = 0;
        }
        let m = [
            self.pool[self.used],
            self.pool[self.used + 1],
            self.pool[self.used + 2],
            self.pool[self.used + 3],
        ];
        self.used += 4;
        m
    }
}

/// How an endpoint is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Our end of the connection.
    pub role: Role,
    /// The receive limits.
    pub limits: Limits,
    /// Outgoing messages (after compression) longer than this are split into frames of
    /// this size; 0 sends every message as one frame.
    pub fragment_size: usize,
    /// permessage-deflate, if the handshake agreed on it.
    pub deflate: Option<DeflateParams>,
}

impl Config {
    /// Defaults for `role`: default limits, no fragmentation, no compression.
    pub fn new(role: Role) -> Config {
        Config {
            role,
            limits: Limits::default(),
            fragment_size: 0,
            deflate: None,
        }
    }
}

/// Where the close handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent a close and wait for the peer's; what arrives meanwhile is checked but not
    /// delivered.
    CloseSent,
    /// Both closes are out (or the peer's arrived and ours is queued): the server closes the
    /// TCP connection once the output is sent; a client waits for the server to.
    Closed,
    /// The stream broke a rule (or the owner refused an event); the failing close, if any,
    /// is queued.
    Failed(WsError),
}

/// What the endpoint reports; slices borrow its buffer until the handler returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A complete text message.
    Text(&'a str),
    /// A complete binary message.
    Binary(&'a [u8]),
    /// A ping (its pong is already queued).
    Ping(&'a [u8]),
    /// A pong.
    Pong(&'a [u8]),
    /// The peer's close: its code (`None`: the frame had none, 1005) and reason. Nothing is
    /// reported after it.
    Close {
        /// The status code.
        code: Option<CloseCode>,
        /// The reason (valid UTF-8, at most 123 bytes).
        reason: &'a str,
    },
}

/// The message being received.
#[derive(Debug, Clone, Copy)]
struct Partial {
    text: bool,
    compressed: bool,
    /// Payload bytes on the wire so far (compressed size, for the limit).
    wire: u64,
}

/// The receive side's state.
#[derive(Debug)]
struct Rx {
    limits: Limits,
    deflate: bool,
    msg: Option<Partial>,
    buf: Vec<u8>,
    /// `buf[..utf8_ok]` is known valid UTF-8 (text only).
    utf8_ok: usize,
    ctrl: Vec<u8>,
    inflater: Option<Decompressor>,
}

/// The send side's state.
#[derive(Debug)]
struct Tx<M> {
    role: Role,
    masks: M,
    out: Vec<u8>,
    fragment_size: usize,
    deflater: Option<Compressor>,
    scratch: Vec<u8>,
}

/// A WebSocket endpoint (one connection, after the handshake).
#[derive(Debug)]
pub struct Endpoint<M: MaskSource = RandomMasks> {
    decoder: Decoder,
    rx: Rx,
    tx: Tx<M>,
    state: State,
}

impl<M: MaskSource> Endpoint<M> {
    /// An open endpoint; a client takes its masks from `masks`.
    pub fn new(config: Config, masks: M) -> Endpoint<M> {
        let rule = match config.role {
            Role::Server => MaskRule::Required,
            Role::Client => MaskRule::Forbidden,
        };
        Endpoint {
            decoder: Decoder::new(config.limits.max_frame_size, rule),
            rx: Rx {
                limits: config.limits,
                deflate: config.deflate.is_some(),
                msg: None,
                buf: Vec::new(),
                utf8_ok: 0,
                ctrl: Vec::new(),
                inflater: config.deflate.as_ref().map(Decompressor::new),
            },
            tx: Tx {
                role: config.role,
                masks,
                out: Vec::new(),
                fragment_size: config.fragment_size,
                deflater: config.deflate.as_ref().map(Compressor::new),
                scratch: Vec::new(),
            },
            state: State::Open,
        }
    }

    /// The receiving half for an owner that sends from other threads through a
    /// [`Sender`]: the endpoint itself queues only control frames (pongs, the close reply or
    /// the failing close), so it gets no compressor of its own.
    pub fn receiver(config: Config, masks: M) -> Endpoint<M> {
        let mut ep = Endpoint::new(
            Config {
                deflate: None,
                ..config
            },
            masks,
        );
        // Inflating still follows what was negotiated.
        ep.rx.deflate = config.deflate.is_some();
        ep.rx.inflater = config.deflate.as_ref().map(Decompressor::new);
        ep
    }

    /// The owner's [`Sender`] sent a close: from now on the endpoint waits for the peer's
    /// and answers nothing more.
    pub fn note_close_sent(&mut self) {
        if self.state == State::Open {
            self.state = State::CloseSent;
        }
    }

    /// Where the close handshake is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The bytes queued for sending.
    pub fn output(&self) -> &[u8] {
        &self.tx.out
    }

    /// Drops the first `n` queued bytes (they were sent).
    pub fn consume_output(&mut self, n: usize) {
        self.tx.out.drain(..n.min(self.tx.out.len()));
    }

    /// Takes every queued byte.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.tx.out)
    }

    /// Bytes held for the message being received (its capacity, the memory it costs).
    pub fn buffered(&self) -> usize {
        self.rx.buf.capacity() + self.rx.ctrl.capacity() + self.decoder.buffered()
    }

    /// Processes received bytes (unmasked in place), reporting events to `on_event`. An
    /// error fails the endpoint for good (see [`State::Failed`]); a handler returning an
    /// error ([`WsError::Refused`] is meant for this) stops it the same way, without a close
    /// frame. After the close handshake, bytes are ignored.
    pub fn feed<F>(&mut self, data: &mut [u8], mut on_event: F) -> Result<(), WsError>
    where
        F: FnMut(Event<'_>) -> Result<(), WsError>,
    {
        match self.state {
            State::Closed => return Ok(()),
            State::Failed(e) => return Err(e),
            State::Open | State::CloseSent => {}
        }
        let mut sink = Sink {
            rx: &mut self.rx,
            tx: &mut self.tx,
            state: &mut self.state,
            on_event: &mut on_event,
        };
        match self.decoder.feed(data, &mut sink) {
            Ok(()) => Ok(()),
            // What follows the close handshake is not ours to judge.
            Err(_) if self.state == State::Closed => Ok(()),
            Err(e) => {
                if let (Some(code), State::Open) = (e.close_code(), self.state) {
                    self.tx.close_frame(code, e.description());
                }
                self.state = State::Failed(e);
                self.rx.release();
                Err(e)
            }
        }
    }

    fn check_open(&self) -> Result<(), SendError> {
        match self.state {
            State::Open => Ok(()),
            _ => Err(SendError::Closed),
        }
    }

    /// Queues a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.check_open()?;
        self.tx.message(opcode::TEXT, text.as_bytes());
        Ok(())
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.check_open()?;
        self.tx.message(opcode::BINARY, data);
        Ok(())
    }

    /// Queues a ping (payload ≤ 125 bytes).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.control(opcode::PING, payload)
    }

    /// Queues an unsolicited pong (payload ≤ 125 bytes), e.g. as a heartbeat.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.control(opcode::PONG, payload)
    }

    fn control(&mut self, op: u8, payload: &[u8]) -> Result<(), SendError> {
        self.check_open()?;
        if payload.len() > 125 {
            return Err(SendError::ControlTooLong);
        }
        self.tx.frame(true, 0, op, payload);
        Ok(())
    }

    /// Starts the close handshake: queues a close with `code` and `reason` (≤ 123 bytes) and
    /// waits for the peer's; nothing more is sent, and data that still arrives is dropped.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.check_open()?;
        if !code.is_valid() {
            return Err(SendError::BadCloseCode);
        }
        if reason.len() > 123 {
            return Err(SendError::ControlTooLong);
        }
        self.tx.close_frame(code, reason);
        self.state = State::CloseSent;
        Ok(())
    }
}

/// The sending half (with [`Endpoint::receiver`]): encodes data messages (compressed when
/// negotiated), pings and the owner's close into its output, which the owner writes.
#[derive(Debug)]
pub struct Sender<M: MaskSource = RandomMasks>(Tx<M>);

impl<M: MaskSource> Sender<M> {
    /// A sender for `config`'s role, fragmentation and compression.
    pub fn new(config: &Config, masks: M) -> Sender<M> {
        Sender(Tx {
            role: config.role,
            masks,
            out: Vec::new(),
            fragment_size: config.fragment_size,
            deflater: config.deflate.as_ref().map(Compressor::new),
            scratch: Vec::new(),
        })
    }

    /// Encodes a text or binary message ([`opcode::TEXT`] / [`opcode::BINARY`]).
    pub fn message(&mut self, op: u8, data: &[u8]) {
        self.0.message(op, data);
    }

    /// Encodes a ping or pong; `Err` when the payload is above 125 bytes.
    pub fn control(&mut self, op: u8, payload: &[u8]) -> Result<(), SendError> {
        if payload.len() > 125 {
            return Err(SendError::ControlTooLong);
        }
        self.0.frame(true, 0, op, payload);
        Ok(())
    }

    /// Encodes a close frame; `Err` for a code that may not be sent or a reason above 123
    /// bytes. Code 0 with no reason sends a close without a status (RFC 6455 §5.5.1 allows
    /// an empty close; the peer sees 1005).
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        if code.0 == 0 && reason.is_empty() {
            self.0.frame(true, 0, opcode::CLOSE, &[]);
            return Ok(());
        }
        if !code.is_valid() {
            return Err(SendError::BadCloseCode);
        }
        if reason.len() > 123 {
            return Err(SendError::ControlTooLong);
        }
        self.0.close_frame(code, reason);
        Ok(())
    }

    /// The encoded bytes, to be written; [`Sender::clear`] after writing them.
    pub fn output(&self) -> &[u8] {
        &self.0.out
    }

    /// Forgets the output (written), keeping a small buffer.
    pub fn clear(&mut self) {
        self.0.out.clear();
        if self.0.out.capacity() > KEEP_CAPACITY {
            self.0.out = Vec::new();
        }
    }
}

impl Rx {
    /// Releases the message buffer (after a failure).
    fn release(&mut self) {
        self.buf = Vec::new();
        self.ctrl = Vec::new();
        self.msg = None;
    }

    /// The message was delivered: forget it, keeping a small buffer.
    fn reset_message(&mut self) {
        self.msg = None;
        self.utf8_ok = 0;
        self.buf.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        }
    }

    /// Checks the text received so far; an incomplete character at the end waits for more.
    fn check_utf8(&mut self) -> Result<(), WsError> {
        match std::str::from_utf8(&self.buf[self.utf8_ok..]) {
            Ok(_) => self.utf8_ok = self.buf.len(),
            Err(e) if e.error_len().is_none() => self.utf8_ok += e.valid_up_to(),
            Err(_) => return Err(WsError::InvalidUtf8),
        }
        Ok(())
    }

    /// Appends uncompressed payload, growing the buffer with the bytes that arrived.
    fn append(&mut self, data: &[u8]) {
        let need = self.buf.len() + data.len();
        if need > self.buf.capacity() {
            let mut target = need.max(self.buf.capacity() * 2);
            if self.limits.max_message_size != 0 {
                target = target.min(self.limits.max_message_size).max(need);
            }
            self.buf.reserve_exact(target - self.buf.len());
        }
        self.buf.extend_from_slice(data);
    }
}

impl<M: MaskSource> Tx<M> {
    fn mask(&mut self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => Some(self.masks.next_mask()),
            Role::Server => None,
        }
    }

    fn frame(&mut self, fin: bool, rsv: u8, op: u8, payload: &[u8]) {
        let mask = self.mask();
        frame::write_frame(fin, rsv, op, mask, payload, &mut self.out);
    }

    fn close_frame(&mut self, code: CloseCode, reason: &str) {
        let mut p = [0u8; 125];
        p[..2].copy_from_slice(&code.0.to_be_bytes());
        let n = reason.len().min(123);
        p[2..2 + n].copy_from_slice(&reason.as_bytes()[..n]);
        self.frame(true, 0, opcode::CLOSE, &p[..2 + n]);
    }

    fn message(&mut self, op: u8, data: &[u8]) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let (payload, rsv) = match &mut self.deflater {
            Some(z) => {
                scratch.clear();
                z.compress(data, &mut scratch);
                (&scratch[..], RSV1)
            }
            None => (data, 0),
        };
        let size = match self.fragment_size {
            0 => payload.len().max(1),
            n => n,
        };
        let mut chunks = payload.chunks(size).peekable();
        if chunks.peek().is_none() {
            self.frame(true, rsv, op, &[]);
        }
        let mut first = true;
        while let Some(c) = chunks.next() {
            let fin = chunks.peek().is_none();
            let (o, r) = if first {
                (op, rsv)
            } else {
                (opcode::CONTINUATION, 0)
            };
            self.frame(fin, r, o, c);
            first = false;
        }
        if scratch.capacity() > KEEP_CAPACITY {
            scratch = Vec::new();
        }
        self.scratch = scratch;
    }
}

/// The frame layer's events, turned into messages.
struct Sink<'e, M, F> {
    rx: &'e mut Rx,
    tx: &'e mut Tx<M>,
    state: &'e mut State,
    on_event: &'e mut F,
}

impl<M: MaskSource, F> Sink<'_, M, F>
where
    F: FnMut(Event<'_>) -> Result<(), WsError>,
{
    /// Reports an event unless we are closing (then it is dropped).
    fn deliver(&mut self, ev: Event<'_>) -> Result<(), WsError> {
        if *self.state == State::Open {
            (self.on_event)(ev)
        } else {
            Ok(())
        }
    }

    fn on_close(&mut self) -> Result<(), WsError> {
        let p = &self.rx.ctrl;
        let (code, reason) = match p.len() {
            0 => (None, ""),
            1 => return Err(WsError::BadClosePayload),
            _ => {
                let code = CloseCode(u16::from_be_bytes([p[0], p[1]]));
                if !code.is_valid() {
                    return Err(WsError::BadCloseCode);
                }
                let reason = std::str::from_utf8(&p[2..]).map_err(|_| WsError::InvalidUtf8)?;
                (Some(code), reason)
            }
        };
        if *self.state == State::Open {
            // Echo the code (RFC 6455 §5.5.1); an empty close is answered with an empty one.
            let mask = self.tx.mask();
            let echo = code.map(|c| c.0.to_be_bytes());
            let body: &[u8] = echo.as_ref().map_or(&[], |b| &b[..]);
            frame::write_frame(true, 0, opcode::CLOSE, mask, body, &mut self.tx.out);
        }
        *self.state = State::Closed;
        (self.on_event)(Event::Close { code, reason })
    }
}

impl<M: MaskSource, F> FrameSink for Sink<'_, M, F>
where
    F: FnMut(Event<'_>) -> Result<(), WsError>,
{
    fn on_header(&mut self, h: &Header) -> Result<(), WsError> {
        if matches!(*self.state, State::Closed) {
            return Ok(());
        }
        let starts_message = matches!(h.opcode, opcode::TEXT | opcode::BINARY);
        let rsv_ok = h.rsv == 0 || (h.rsv == RSV1 && self.rx.deflate && starts_message);
        if !rsv_ok {
            return Err(WsError::ReservedBits);
        }
        let rx = &mut *self.rx;
        match h.opcode {
            opcode::CONTINUATION => {
                if rx.msg.is_none() {
                    return Err(WsError::UnexpectedContinuation);
                }
            }
            opcode::TEXT | opcode::BINARY => {
                if rx.msg.is_some() {
                    return Err(WsError::ExpectedContinuation);
                }
                rx.msg = Some(Partial {
                    text: h.opcode == opcode::TEXT,
                    compressed: h.rsv == RSV1,
                    wire: 0,
                });
                rx.utf8_ok = 0;
            }
            opcode::CLOSE | opcode::PING | opcode::PONG => {
                if !h.fin {
                    return Err(WsError::ControlFragmented);
                }
                if h.len > 125 {
                    return Err(WsError::ControlTooLong);
                }
                rx.ctrl.clear();
                return Ok(());
            }
            _ => return Err(WsError::UnknownOpcode),
        }
        let max = rx.limits.max_message_size as u64;
        if let Some(m) = &mut rx.msg {
            m.wire = m.wire.saturating_add(h.len);
            // Uncompressed, the wire size is the message size; compressed, the inflater
            // checks the rest.
            if max != 0 && m.wire > max {
                return Err(WsError::MessageTooLarge);
            }
        }
        Ok(())
    }

    fn on_body(&mut self, h: &Header, data: &[u8]) -> Result<(), WsError> {
        if matches!(*self.state, State::Closed) {
            return Ok(());
        }
        let rx = &mut *self.rx;
        if h.is_control() {
            rx.ctrl.extend_from_slice(data);
            return Ok(());
        }
        let Some(m) = rx.msg else { return Ok(()) };
        let inflated = match (&mut rx.inflater, m.compressed) {
            (Some(z), true) => z.push(data, &mut rx.buf, rx.limits.max_message_size),
            _ => {
                rx.append(data);
                Ok(())
            }
        };
        // A single frame that is now complete is checked once, at delivery. Text that
        // inflated before the inflater failed is checked first: the earlier fault wins,
        // however the bytes were split.
        let whole = h.fin && !m.compressed && rx.buf.len() as u64 == m.wire;
        if m.text && !whole {
            rx.check_utf8()?;
        }
        inflated
    }

    fn on_complete(&mut self, h: &Header) -> Result<(), WsError> {
        if matches!(*self.state, State::Closed) {
            return Ok(());
        }
        match h.opcode {
            opcode::PING | opcode::PONG => {
                let ctrl = std::mem::take(&mut self.rx.ctrl);
                let r = if h.opcode == opcode::PING {
                    if *self.state == State::Open {
                        self.tx.frame(true, 0, opcode::PONG, &ctrl);
                    }
                    self.deliver(Event::Ping(&ctrl))
                } else {
                    self.deliver(Event::Pong(&ctrl))
                };
                self.rx.ctrl = ctrl;
                r
            }
            opcode::CLOSE => self.on_close(),
            _ if !h.fin => Ok(()),
            _ => {
                let Some(m) = self.rx.msg else { return Ok(()) };
                let rx = &mut *self.rx;
                if let (Some(z), true) = (&mut rx.inflater, m.compressed) {
                    z.finish(&mut rx.buf, rx.limits.max_message_size)?;
                }
                let buf = std::mem::take(&mut rx.buf);
                let r = if m.text {
                    // The pieces were checked as they came; this final pass gives the &str
                    // (and finds a character cut off at the end).
                    match std::str::from_utf8(&buf) {
                        Ok(text) => self.deliver(Event::Text(text)),
                        Err(_) => Err(WsError::InvalidUtf8),
                    }
                } else {
                    self.deliver(Event::Binary(&buf))
                };
                self.rx.buf = buf;
                self.rx.reset_message();
                r
            }
        }
    }
}
