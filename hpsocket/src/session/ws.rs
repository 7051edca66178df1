//! WebSocket frames after an HTTP upgrade (HP-Socket's low-level WebSocket API): once a
//! connection switched to `websocket` and the listener's `on_upgrade` accepted it, the bytes
//! that follow go through the sans-IO frame decoder (`cores::ws::frame`) and come out as
//! HP-Socket's three events — message header, body pieces (unmasked), message complete.
//!
//! As in HP-Socket, frames are reported as they are: reserved bits, opcodes, fragmentation,
//! control frames and the close handshake are the application's. The decoder checks only
//! what makes the stream unreadable — the mask direction (a server takes masked frames only,
//! a client unmasked ones, as HP-Socket) and the length's form — and then closes with
//! (`Receive`, `EBADMSG`). Bodies are streamed, never held, so no frame size limit is
//! needed for memory (our message-level class has one).

use std::io::Write;
use std::sync::atomic::Ordering;

use crate::cores::ws::frame::{self, Decoder, FrameSink, Header, MaskRule};
use crate::cores::ws::message::{self, Config as WsConfig, Endpoint, RandomMasks, Sender, State};
use crate::cores::ws::{CloseCode, SendError as CoreSendError, WsError};
use crate::session::{CloseReq, Event, Reply, SendError, Session, Sink, Step};
use crate::types::SocketOperation;

/// One WebSocket event: HP-Socket's frame events (`OnWSMessageHeader`, `OnWSMessageBody`,
/// `OnWSMessageComplete`), or with the `Ws` model a whole message, a control frame, the
/// peer's close.
#[derive(Debug)]
pub(crate) enum WsEv<'a> {
    Header(&'a Header),
    Body(&'a [u8]),
    Complete,
    Message(WsMessage<'a>),
    Ping(&'a [u8]),
    Pong(&'a [u8]),
    Close { code: Option<u16>, reason: &'a str },
}

/// A whole WebSocket message (the `Ws` model's `on_ws_message`), borrowed for the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsMessage<'a> {
    /// A text message (checked to be UTF-8).
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

/// The `Ws` model's sending half of a connection (any thread, behind the connection's lock).
pub(crate) struct WsTx {
    sender: Sender<RandomMasks>,
    /// The application may send no more: a close went out or came in, or the connection
    /// failed.
    closed: bool,
    /// A close frame went out (ours, or the answer to the peer's): nothing at all follows.
    close_sent: bool,
}

/// Why a `Ws`-model send failed.
#[derive(Debug)]
pub(crate) enum WsSendError {
    /// No handshake yet, or the close handshake began.
    NotOpen,
    /// The payload or close code cannot be sent.
    Bad(CoreSendError),
    /// The connection refused the bytes.
    Send(SendError),
}

/// The frame in progress, readable from any thread (HP-Socket's `GetWSMessageState`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WsMessageState {
    /// The FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as the low three bits.
    pub rsv: u8,
    /// The opcode.
    pub opcode: u8,
    /// The masking key, if the frame is masked.
    pub mask: Option<[u8; 4]>,
    /// The frame's body length.
    pub body_len: u64,
    /// Body bytes still to come.
    pub body_remain: u64,
}

thread_local! {
    /// Received bytes copied for unmasking in place (the read buffer is shared).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}
/// A scratch buffer grown past this (a huge read) is freed instead of kept.
const SCRATCH_KEEP: usize = 256 * 1024;

/// Hands frame events to the session's sink and keeps the shared frame state current.
struct Frames<'s, 'k> {
    session: &'s Session,
    sink: &'k mut Sink<'s>,
}

impl Frames<'_, '_> {
    fn fire(&mut self, ev: WsEv<'_>) -> Result<(), WsError> {
        match (self.sink)(Event::Ws(ev)) {
            Reply::Error => Err(WsError::Refused),
            _ => Ok(()),
        }
    }

    fn set_state(&self, state: WsMessageState) {
        if let Some(h) = self.session.http.as_deref() {
            *h.ws_state.lock() = Some(state);
        }
    }
}

impl FrameSink for Frames<'_, '_> {
    fn on_header(&mut self, h: &Header) -> Result<(), WsError> {
        self.set_state(WsMessageState {
            fin: h.fin,
            rsv: h.rsv,
            opcode: h.opcode,
            mask: h.mask,
            body_len: h.len,
            body_remain: h.len,
        });
        self.fire(WsEv::Header(h))
    }

    fn on_body(&mut self, _h: &Header, data: &[u8]) -> Result<(), WsError> {
        if let Some(h) = self.session.http.as_deref() {
            if let Some(s) = h.ws_state.lock().as_mut() {
                s.body_remain = s.body_remain.saturating_sub(data.len() as u64);
            }
        }
        self.fire(WsEv::Body(data))
    }

    fn on_complete(&mut self, _h: &Header) -> Result<(), WsError> {
        let r = self.fire(WsEv::Complete);
        // Between frames HP-Socket reports an empty state.
        self.set_state(WsMessageState::default());
        r
    }
}

impl Session {
    /// A connection switched to WebSocket: from now on its bytes are frames (`server`: it
    /// accepted the connection, so frames must be masked).
    pub(super) fn ws_decoder(&self, server: bool) -> Decoder {
        if let Some(h) = self.http.as_deref() {
            *h.ws_state.lock() = Some(WsMessageState::default());
        }
        let rule = if server {
            MaskRule::Required
        } else {
            MaskRule::Forbidden
        };
        // 0: no frame limit. Bodies are streamed to the listener, never held.
        Decoder::new(0, rule)
    }

    /// Feeds received bytes to the frame decoder, firing the frame events.
    pub(super) fn deliver_ws(&self, dec: &mut Decoder, data: &[u8], sink: &mut Sink<'_>) -> Step {
        let r = SCRATCH.with(|s| {
            let mut buf = s.borrow_mut();
            buf.clear();
            buf.extend_from_slice(data);
            let mut frames = Frames {
                session: self,
                sink,
            };
            let r = dec.feed(&mut buf, &mut frames);
            if buf.capacity() > SCRATCH_KEEP {
                *buf = Vec::new();
            }
            r
        });
        match r {
            Ok(()) => Step::Go,
            Err(WsError::Refused) => Step::Close(SocketOperation::Receive, libc::ECANCELED),
            Err(e) => {
                tracing::debug!("closing a WebSocket connection: {e}");
                Step::Close(SocketOperation::Receive, libc::EBADMSG)
            }
        }
    }

    /// `Ws` model: the opening handshake agreed on `config` — the sending half exists from
    /// now on, the receiving half once the parser reaches the end of the upgrade.
    pub fn ws_prepare(&self, config: WsConfig) {
        if let Some(h) = self.http.as_deref() {
            *h.ws_tx.lock() = Some(WsTx {
                sender: Sender::new(&config, RandomMasks::default()),
                closed: false,
                close_sent: false,
            });
            *h.ws_pending.lock() = Some(config);
        }
    }

    /// `Ws` model, clients: keeps the key of the opening handshake sent (`None` takes it).
    pub fn ws_key(&self, key: Option<String>) -> Option<String> {
        let h = self.http.as_deref()?;
        match key {
            Some(k) => h.ws_key.lock().replace(k),
            None => h.ws_key.lock().take(),
        }
    }

    /// `Ws` model: encodes with `f` and sends, in the order of the sending half's lock (the
    /// compressor's context follows the wire's order). `closing`: `f` encoded our close.
    pub fn ws_send(
        &self,
        w: &mut dyn Write,
        closing: bool,
        f: impl FnOnce(&mut Sender<RandomMasks>) -> Result<(), CoreSendError>,
    ) -> Result<bool, WsSendError> {
        let h = self.http.as_deref().ok_or(WsSendError::NotOpen)?;
        let mut guard = h.ws_tx.lock();
        let tx = match guard.as_mut() {
            Some(tx) if !tx.closed => tx,
            _ => return Err(WsSendError::NotOpen),
        };
        f(&mut tx.sender).map_err(WsSendError::Bad)?;
        if closing {
            tx.closed = true;
            tx.close_sent = true;
            h.ws_close_sent.store(true, Ordering::Release);
            // The peer has until the close-flush timeout to answer; the worker re-arms
            // its timer when rung (the caller kicks it).
            let until = crate::clock::now_ms().saturating_add(self.settings.close_flush_ms);
            h.ws_check_at.store(until, Ordering::Relaxed);
            self.ring(super::ATTEND);
        }
        let r = self.send(&[tx.sender.output()], w);
        tx.sender.clear();
        r.map_err(WsSendError::Send)
    }

    /// `Ws` model: feeds received bytes to the endpoint, fires its events, sends what it
    /// queued (pongs, the close answer, a failing close) and ends the connection when the
    /// close handshake is over or the stream broke a rule.
    pub(super) fn deliver_wsm(
        &self,
        ep: &mut Endpoint,
        data: &[u8],
        now: u64,
        w: &mut dyn Write,
        sink: &mut Sink<'_>,
    ) -> Step {
        let Some(h) = self.http.as_deref() else {
            return Step::Go;
        };
        if h.ws_close_sent.load(Ordering::Acquire) {
            ep.note_close_sent();
        }
        let r = SCRATCH.with(|s| {
            let mut buf = s.borrow_mut();
            buf.clear();
            buf.extend_from_slice(data);
            let r = ep.feed(&mut buf, |ev| {
                let ev = match ev {
                    message::Event::Text(t) => WsEv::Message(WsMessage::Text(t)),
                    message::Event::Binary(b) => WsEv::Message(WsMessage::Binary(b)),
                    message::Event::Ping(p) => WsEv::Ping(p),
                    message::Event::Pong(p) => WsEv::Pong(p),
                    message::Event::Close { code, reason } => {
                        // The peer closed: the application sends nothing more, also from
                        // inside on_ws_close (the answer the endpoint queued goes out after).
                        if let Some(t) = h.ws_tx.lock().as_mut() {
                            t.closed = true;
                        }
                        WsEv::Close {
                            code: code.map(|c: CloseCode| c.0),
                            reason,
                        }
                    }
                };
                match sink(Event::Ws(ev)) {
                    Reply::Error => Err(WsError::Refused),
                    _ => Ok(()),
                }
            });
            if buf.capacity() > SCRATCH_KEEP {
                *buf = Vec::new();
            }
            r
        });
        let out = ep.take_output();
        let state = ep.state();
        let over = matches!(state, State::Closed | State::Failed(_));
        if !out.is_empty() || over {
            let mut tx = h.ws_tx.lock();
            // After our own close nothing more goes out (not even the answer to a close
            // that crossed it).
            let open = tx.as_ref().is_some_and(|t| !t.close_sent);
            if open && !out.is_empty() {
                let _ = self.send(&[&out], w);
            }
            if let (Some(t), true) = (tx.as_mut(), over) {
                t.closed = true;
                t.close_sent = true;
            }
        }
        let (op, err) = match (r, state) {
            (Err(WsError::Refused), _) => {
                return Step::Close(SocketOperation::Receive, libc::ECANCELED)
            }
            (Err(e), _) => {
                tracing::debug!("closing a WebSocket connection: {e}");
                (SocketOperation::Receive, libc::EBADMSG)
            }
            (Ok(()), State::Closed) => (SocketOperation::Close, 0),
            (Ok(()), _) => return Step::Go,
        };
        // Closes once the close frame is written (or the flush timeout passes).
        self.request_close(
            CloseReq {
                op,
                err,
                graceful: true,
            },
            now,
        );
        self.attend(now, w, sink)
    }

    /// `Ws` model: the peer's silence or our close's wait may have run out. A peer silent
    /// for `ws_ping_ms` is pinged, one silent twice as long closed (`Receive`,
    /// `ETIMEDOUT`), as is one that did not answer our close in time.
    pub(super) fn ws_timeout(
        &self,
        h: &super::http::HttpConn,
        now: u64,
        w: &mut dyn Write,
    ) -> Option<Step> {
        let at = h.ws_check_at.load(Ordering::Relaxed);
        if at == u64::MAX || now < at {
            return None;
        }
        if h.ws_close_sent.load(Ordering::Acquire) {
            tracing::debug!("closing a WebSocket whose peer did not answer our close");
            return Some(Step::Close(SocketOperation::Receive, libc::ETIMEDOUT));
        }
        let every = self.settings.ws_ping_ms;
        let silent = now.saturating_sub(self.last_recv.load(Ordering::Relaxed));
        if silent >= 2 * every {
            tracing::debug!("closing a WebSocket whose peer is silent for {silent} ms");
            return Some(Step::Close(SocketOperation::Receive, libc::ETIMEDOUT));
        }
        if silent >= every {
            let _ = self.ws_send(w, false, |s| s.control(crate::cores::ws::opcode::PING, b""));
            h.ws_check_at.store(now + every, Ordering::Relaxed);
        } else {
            h.ws_check_at.store(now - silent + every, Ordering::Relaxed);
        }
        None
    }

    /// The frame in progress (`None`: the connection is not a WebSocket one).
    pub fn ws_message_state(&self) -> Option<WsMessageState> {
        *self.http.as_deref()?.ws_state.lock()
    }
}

/// Writes one frame for `SendWSMessage` into `out`: the header announcing `body_len` bytes
/// (0: `data.len()`), then `data` masked from offset 0 with `mask`. `None` when `body_len`
/// is below `data.len()` or beyond a frame's limit. The rest of a longer body is the
/// caller's to send (already masked, from offset `data.len()`), as in HP-Socket.
pub(crate) fn write_ws_message(
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    data: &[u8],
    body_len: u64,
    out: &mut Vec<u8>,
) -> Option<()> {
    let len = if body_len == 0 {
        data.len() as u64
    } else {
        body_len
    };
    if len < data.len() as u64 || len > frame::MAX_FRAME_LEN {
        return None;
    }
    frame::write_header(fin, rsv & 0x7, opcode & 0xF, mask, len, out);
    let start = out.len();
    out.extend_from_slice(data);
    if let Some(k) = mask {
        frame::apply_mask(&mut out[start..], k, 0);
    }
    Some(())
}
