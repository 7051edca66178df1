//! The HTTP receive model: the session feeds what it read to the sans-IO parser
//! (`cores::http`) and turns its parse events into session events.
//!
//! What lives here rather than in the component, and why:
//! - keep-alive of the message being answered is connection state (an atomic), so a
//!   response sent later from any thread — outside every callback — still says the right
//!   `Connection` (HP-Socket's issue 317 is the opposite);
//! - a request the server cannot parse is answered (400, 413, 431, 501, 505) before the
//!   connection closes, and a head that does not finish in time is closed: both need the
//!   link and the session's deadlines;
//! - after an upgrade every byte goes to `on_receive` untouched, as HP-Socket does;
//! - `release`: after a delay the connection is closed once its queue is empty, and bytes
//!   that arrive meanwhile close it.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::cores::http::{
    self, Feed, HttpSink, Kind, Message, ParseError, ParseResult, Parser, UpgradeType,
};
use crate::cores::ws::frame::Decoder;
use crate::cores::ws::message::{Config as WsConfig, Endpoint, RandomMasks};
use crate::session::ws::{WsMessageState, WsTx};
use crate::session::{CloseReq, Event, Reply, Session, Sink, Step};
use crate::types::SocketOperation;

/// One HTTP parse event (HP-Socket's `IHttpListener`), with the message parsed so far.
#[derive(Debug)]
pub(crate) enum HttpEv<'a> {
    MessageBegin,
    RequestLine { method: &'a str, url: &'a str },
    StatusLine { status: u16, reason: &'a str },
    Header { name: &'a str, value: &'a [u8] },
    HeadersComplete,
    Body(&'a [u8]),
    ChunkHeader(u64),
    ChunkComplete,
    MessageComplete,
    Upgrade(UpgradeType),
    ParseError(&'a ParseError),
}

/// The worker's side of an HTTP connection.
pub(crate) struct HttpRx {
    parser: Parser,
    /// Switched protocols: bytes go to `on_receive` as they are, or to `ws`.
    upgraded: bool,
    /// Switched to WebSocket: the frame decoder (HP-Socket's frame events).
    ws: Option<Decoder>,
    /// Switched to WebSocket with the `Ws` model: the message endpoint's receiving half.
    wsm: Option<Box<Endpoint>>,
}

impl HttpRx {
    pub fn new(kind: Kind, limits: http::Limits) -> HttpRx {
        HttpRx {
            parser: Parser::new(kind, limits),
            upgraded: false,
            ws: None,
            wsm: None,
        }
    }

    /// Bytes of an unfinished head held (they count against the memory budget).
    pub fn buffered(&self) -> usize {
        if self.upgraded {
            0
        } else {
            self.parser.buffered()
        }
    }
}

/// The state of an HTTP connection that any thread may touch (boxed in the session, so
/// the other models do not carry it).
pub(crate) struct HttpConn {
    /// Keep-alive of the message being answered.
    keep_alive: AtomicBool,
    /// When the head in progress began (`u64::MAX`: none).
    head_since: AtomicU64,
    /// When a released connection closes (`u64::MAX`: not released or done).
    release_at: AtomicU64,
    released: AtomicBool,
    /// Parsing is on (auto-start, or `start_http` was called).
    on: AtomicBool,
    /// Requests sent and not yet handed to the parser (clients and agents).
    sent: Mutex<SentMethods>,
    /// Paths of the requests sent and not yet answered (apart from `sent`, which the
    /// worker drains into its parser: the component pops these inside callbacks).
    paths: Mutex<VecDeque<String>>,
    /// After a WebSocket upgrade: the frame in progress (see `ws.rs`).
    pub(super) ws_state: Mutex<Option<WsMessageState>>,
    /// The `Ws` model (see `ws.rs`): the sending half, once the handshake is agreed.
    pub(super) ws_tx: Mutex<Option<WsTx>>,
    /// The endpoint to build for the receiving half when the upgrade takes effect.
    pub(super) ws_pending: Mutex<Option<WsConfig>>,
    /// A client's `Sec-WebSocket-Key`, until the server's answer is checked.
    pub(super) ws_key: Mutex<Option<String>>,
    /// The sending half sent a close (the receiving half then only waits for the peer's).
    pub(super) ws_close_sent: AtomicBool,
    /// `Ws` model: when to look at the peer's silence (ping it, or close), or after our
    /// close when to stop waiting for the peer's (`u64::MAX`: never).
    pub(super) ws_check_at: AtomicU64,
}

impl HttpConn {
    pub fn new(auto_start: bool) -> HttpConn {
        HttpConn {
            keep_alive: AtomicBool::new(true),
            head_since: AtomicU64::new(u64::MAX),
            release_at: AtomicU64::new(u64::MAX),
            released: AtomicBool::new(false),
            on: AtomicBool::new(auto_start),
            sent: Mutex::new(SentMethods::default()),
            paths: Mutex::new(VecDeque::new()),
            ws_state: Mutex::new(None),
            ws_tx: Mutex::new(None),
            ws_pending: Mutex::new(None),
            ws_key: Mutex::new(None),
            ws_close_sent: AtomicBool::new(false),
            ws_check_at: AtomicU64::new(u64::MAX),
        }
    }
}

/// Request methods sent and not yet answered, in send order (the response parser needs
/// them: a response to HEAD has no body). Senders push under the link lock, so the order is
/// the order on the wire; the worker moves them into its parser before each feed.
#[derive(Default)]
pub(crate) struct SentMethods(VecDeque<String>);

impl SentMethods {
    pub fn push(&mut self, m: &str) {
        self.0.push_back(m.to_string());
    }
}

/// Hands parse events to the session's sink, keeping the connection state they decide.
struct Events<'s, 'k> {
    session: &'s Session,
    sink: &'k mut Sink<'s>,
    /// Where a server's `100 Continue` goes (`None` once the peer is gone: at EOF).
    w: Option<&'k mut dyn Write>,
}

impl Events<'_, '_> {
    fn fire(&mut self, msg: &Message, ev: HttpEv<'_>) -> ParseResult {
        (self.sink)(Event::Http(msg, ev)).into()
    }
}

impl HttpSink for Events<'_, '_> {
    fn on_message_begin(&mut self, msg: &Message) -> ParseResult {
        self.fire(msg, HttpEv::MessageBegin)
    }
    fn on_request_line(&mut self, msg: &Message, method: &str, url: &str) -> ParseResult {
        self.fire(msg, HttpEv::RequestLine { method, url })
    }
    fn on_status_line(&mut self, msg: &Message, status: u16, reason: &str) -> ParseResult {
        self.fire(msg, HttpEv::StatusLine { status, reason })
    }
    fn on_header(&mut self, msg: &Message, name: &str, value: &[u8]) -> ParseResult {
        self.fire(msg, HttpEv::Header { name, value })
    }
    fn on_headers_complete(&mut self, msg: &Message) -> ParseResult {
        // Before the event: a response the callback sends must already see it.
        if let Some(h) = self.session.http.as_deref() {
            h.keep_alive.store(msg.keep_alive(), Ordering::Release);
        }
        let r = self.fire(msg, HttpEv::HeadersComplete);
        // `Expect: 100-continue` (ours; HP-Socket leaves it to the application): once the
        // listener accepts the head of a request with a body, the client is told to send
        // it rather than made to wait out its own timer (curl waits 1 s).
        if r == ParseResult::Ok
            && self.session.origin_is_server
            && msg.expect_continue()
            && (msg.content_length().is_some_and(|n| n > 0) || msg.is_chunked())
        {
            if let Some(w) = self.w.as_mut() {
                let _ = self.session.send(&[b"HTTP/1.1 100 Continue\r\n\r\n"], *w);
            }
        }
        r
    }
    fn on_body(&mut self, msg: &Message, data: &[u8]) -> ParseResult {
        self.fire(msg, HttpEv::Body(data))
    }
    fn on_chunk_header(&mut self, msg: &Message, size: u64) -> ParseResult {
        self.fire(msg, HttpEv::ChunkHeader(size))
    }
    fn on_chunk_complete(&mut self, msg: &Message) -> ParseResult {
        self.fire(msg, HttpEv::ChunkComplete)
    }
    fn on_message_complete(&mut self, msg: &Message) -> ParseResult {
        self.fire(msg, HttpEv::MessageComplete)
    }
    fn on_upgrade(&mut self, msg: &Message, kind: UpgradeType) -> ParseResult {
        self.fire(msg, HttpEv::Upgrade(kind))
    }
    fn on_parse_error(&mut self, msg: &Message, err: &ParseError) {
        let _ = self.fire(msg, HttpEv::ParseError(err));
    }
}

impl Session {
    /// HTTP: parses what was read and fires the parse events; after an upgrade, hands the
    /// bytes to `on_receive`.
    pub(super) fn deliver_http(
        &self,
        data: &[u8],
        now: u64,
        w: &mut dyn Write,
        sink: &mut Sink<'_>,
    ) -> Step {
        let Some(hc) = self.http.as_deref() else {
            return self.raw(data, sink);
        };
        if hc.released.load(Ordering::Acquire) {
            // HP-Socket: a released connection takes nothing more.
            return Step::Close(SocketOperation::Receive, libc::ECANCELED);
        }
        if !hc.on.load(Ordering::Acquire) {
            // Auto-start off and `start_http` not called yet: plain bytes.
            return self.raw(data, sink);
        }
        let mut rx = self.rx.lock();
        let Some(http) = rx.http.as_mut() else {
            return Step::Go;
        };
        if http.upgraded {
            if let Some(ep) = http.wsm.as_mut() {
                return self.deliver_wsm(ep, data, now, w, sink);
            }
            if let Some(dec) = http.ws.as_mut() {
                return self.deliver_ws(dec, data, sink);
            }
            drop(rx);
            return self.raw(data, sink);
        }
        if !self.origin_is_server {
            // Servers never send requests: their parsers need no methods.
            for m in hc.sent.lock().0.drain(..) {
                http.parser.push_request_method(&m);
            }
        }
        let mut events = Events {
            session: self,
            sink,
            w: Some(w),
        };
        let r = http.parser.feed(data, &mut events);
        // The head deadline runs from the first byte of a head until its end.
        if http.parser.head_in_progress() {
            if hc
                .head_since
                .compare_exchange(u64::MAX, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
                && self.settings.http_head_ms > 0
            {
                self.new_deadline.store(true, Ordering::Relaxed);
            }
        } else {
            hc.head_since.store(u64::MAX, Ordering::Relaxed);
        }
        match r {
            Ok(Feed::Done) => {
                drop(rx);
                if self.rung() {
                    return self.attend(now, w, sink);
                }
                Step::Go
            }
            Ok(Feed::Upgraded { consumed }) => {
                http.upgraded = true;
                hc.head_since.store(u64::MAX, Ordering::Relaxed);
                // A WebSocket upgrade the listener accepted: frames from here on (whole
                // messages when the `Ws` model agreed on the handshake).
                let pending = hc.ws_pending.lock().take();
                if let Some(cfg) = pending {
                    http.wsm = Some(Box::new(Endpoint::receiver(cfg, RandomMasks::default())));
                    if self.settings.ws_ping_ms > 0 {
                        hc.ws_check_at
                            .store(now + self.settings.ws_ping_ms, Ordering::Relaxed);
                        self.new_deadline.store(true, Ordering::Relaxed);
                    }
                } else if http.parser.message().upgrade_type() == UpgradeType::WebSocket {
                    http.ws = Some(self.ws_decoder(self.origin_is_server));
                }
                let rest = data.get(consumed..).unwrap_or(&[]);
                if rest.is_empty() {
                    return Step::Go;
                }
                if let Some(ep) = http.wsm.as_mut() {
                    return self.deliver_wsm(ep, rest, now, w, sink);
                }
                if let Some(dec) = http.ws.as_mut() {
                    return self.deliver_ws(dec, rest, sink);
                }
                drop(rx);
                self.raw(rest, sink)
            }
            Err(e) => {
                drop(rx);
                self.refuse_http(e.status(), now, w, sink)
            }
        }
    }

    fn raw(&self, data: &[u8], sink: &mut Sink<'_>) -> Step {
        if sink(Event::Receive(data)) == Reply::Error {
            Step::Close(SocketOperation::Receive, libc::ECANCELED)
        } else {
            Step::Go
        }
    }

    /// Ends a connection whose input cannot be parsed: a server answers with `status` first
    /// (none when the application's own callback refused: `ECANCELED`), then closes once the
    /// answer is written, reporting (`Receive`, `EBADMSG`).
    fn refuse_http(
        &self,
        status: Option<u16>,
        now: u64,
        w: &mut dyn Write,
        sink: &mut Sink<'_>,
    ) -> Step {
        let Some(status) = status else {
            return Step::Close(SocketOperation::Receive, libc::ECANCELED);
        };
        if self.origin_is_server {
            let answer = http::write::error_response(status);
            let _ = self.send(&[&answer], w);
        }
        self.request_close(
            CloseReq {
                op: SocketOperation::Receive,
                err: libc::EBADMSG,
                graceful: true,
            },
            now,
        );
        self.attend(now, w, sink)
    }

    /// The peer closed: a response read until the close is complete now (its events fire
    /// before `on_close`).
    pub(super) fn http_eof(&self, sink: &mut Sink<'_>) {
        let mut rx = self.rx.lock();
        let Some(http) = rx.http.as_mut() else {
            return;
        };
        if http.upgraded {
            return;
        }
        let mut events = Events {
            session: self,
            sink,
            w: None,
        };
        let _ = http.parser.feed_eof(&mut events);
    }

    /// HP-Socket's `StartHttp` with auto-start off: parsing begins with the next bytes
    /// read. False when it was on already.
    pub fn start_http(&self) -> bool {
        self.http
            .as_deref()
            .is_some_and(|h| !h.on.swap(true, Ordering::AcqRel))
    }

    /// Whether the message being answered keeps the connection open (the request's, on a
    /// server; the response's, on a client).
    pub fn http_keep_alive(&self) -> bool {
        self.http
            .as_deref()
            .is_none_or(|h| h.keep_alive.load(Ordering::Acquire))
    }

    /// Sends a request with `send` (its head and body) and records its method for the
    /// response parser. The record's lock is held across the send, so concurrent senders
    /// record methods in the order their requests reach the wire.
    pub fn send_request(
        &self,
        method: &str,
        path: &str,
        send: impl FnOnce() -> Result<bool, super::SendError>,
    ) -> Result<bool, super::SendError> {
        let Some(hc) = self.http.as_deref() else {
            return send();
        };
        let mut sent = hc.sent.lock();
        let r = send();
        if r.is_ok() {
            sent.push(method);
            hc.paths.lock().push_back(path.to_string());
        }
        r
    }

    /// The path of the request the response now completing answers (responses come in
    /// request order); the component calls it once per complete response (cookies default
    /// their path to it).
    pub fn http_answered_path(&self) -> Option<String> {
        self.http.as_deref()?.paths.lock().pop_front()
    }

    /// HP-Socket's `Release`: from now on received bytes close the connection, and after
    /// `delay_ms` it is closed once everything queued is written. False when already
    /// released or closed.
    pub fn http_release(&self, now: u64, delay_ms: u64) -> bool {
        let Some(hc) = self.http.as_deref() else {
            return false;
        };
        if self.is_closed() || hc.released.swap(true, Ordering::AcqRel) {
            return false;
        }
        hc.release_at
            .store(now.saturating_add(delay_ms), Ordering::Release);
        // The worker re-arms its timer for the new deadline.
        self.ring(super::ATTEND);
        true
    }

    /// The HTTP deadlines: a head in progress (`http_head_ms`), a release.
    pub(super) fn http_deadline(&self) -> Option<u64> {
        let hc = self.http.as_deref()?;
        let head = hc.head_since.load(Ordering::Relaxed);
        let head = (head != u64::MAX && self.settings.http_head_ms > 0)
            .then(|| head.saturating_add(self.settings.http_head_ms));
        let release = hc.release_at.load(Ordering::Relaxed);
        let release = (release != u64::MAX).then_some(release);
        let ws = hc.ws_check_at.load(Ordering::Relaxed);
        let ws = (ws != u64::MAX).then_some(ws);
        head.into_iter().chain(release).chain(ws).min()
    }

    /// A HTTP deadline may have passed: a head that took too long closes with (`Receive`,
    /// `ETIMEDOUT`) after a 408 on a server; a release closes gracefully (`Close`, 0).
    pub(super) fn http_timeout(&self, now: u64, w: &mut dyn Write) -> Option<Step> {
        let hc = self.http.as_deref()?;
        let head = hc.head_since.load(Ordering::Relaxed);
        if head != u64::MAX
            && self.settings.http_head_ms > 0
            && now >= head.saturating_add(self.settings.http_head_ms)
        {
            tracing::debug!("closing an HTTP connection whose head did not finish in time");
            if self.origin_is_server {
                let _ = self.send(&[&http::write::error_response(408)], w);
            }
            return Some(Step::Close(SocketOperation::Receive, libc::ETIMEDOUT));
        }
        if let Some(step) = self.ws_timeout(hc, now, w) {
            return Some(step);
        }
        let release = hc.release_at.load(Ordering::Relaxed);
        if release != u64::MAX && now >= release {
            hc.release_at.store(u64::MAX, Ordering::Relaxed);
            if self.pending() == 0 {
                return Some(Step::Close(SocketOperation::Close, 0));
            }
            // Closes when the queue drains (or the flush timeout passes).
            self.request_close(
                CloseReq {
                    op: SocketOperation::Close,
                    err: 0,
                    graceful: true,
                },
                now,
            );
        }
        None
    }
}
