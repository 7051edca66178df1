//! One connection's protocol stack, sans-IO: bytes read and the time go in; events for the
//! listener, bytes to write and the next deadline come out.
//!
//! The stack is a transport (plain or TLS, in [`link`]) under a receive model (PUSH, PULL,
//! PACK, in [`receiver`]); its life cycle is one [`Phase`]. The session owns no socket, no
//! thread and no clock:
//! - bytes come in through [`Session::handle_read`] and leave through the `&mut dyn Write`
//!   each call is given (rustls' `read_tls` / `write_tls` shape: the socket in production, a
//!   byte pipe in the test harness);
//! - events go out through a sink, `&mut dyn FnMut(Event) -> Reply`, whose answer steers
//!   the session (PACK's zero-copy delivery straight from the read buffer needs the answer
//!   before the next packet, which an event queue could only give with a copy);
//! - time comes in as milliseconds: [`Session::poll_timeout`] says when the session next
//!   needs [`Session::handle_timeout`].
//!
//! Any thread may [`send`](Session::send), [`request_close`](Session::request_close),
//! [`pause`](Session::pause) or [`fetch`](Session::fetch); the worker that owns the
//! connection makes every other call. Whatever another thread asks of the worker rings the
//! doorbell ([`Session::take_doorbell`]); the connection layer then wakes the worker, which
//! calls [`Session::attend`].

pub(crate) mod budget;
pub(crate) mod http;
pub(crate) mod link;
pub(crate) mod phase;
pub(crate) mod receiver;
mod timeouts;
pub(crate) mod ws;

#[cfg(test)]
mod harness;
#[cfg(test)]
mod tests;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::cores::http::{Limits as HttpLimits, Message, ParseResult};
use crate::cores::pack::header;
use crate::cores::pull::PullBuffer;
use crate::model::ModelKind;
use crate::tls::TlsSession;
use crate::types::{FetchResult, HandleResult, SocketOperation};

pub(crate) use budget::{release_free_memory, Budget};
pub(crate) use http::HttpEv;
pub(crate) use link::SendRefused;
use link::{Link, TlsTx};
pub(crate) use phase::{CloseReq, Phase};
use receiver::Receiver;
pub(crate) use ws::{WsEv, WsSendError};

/// An event for the listener, in the order the contract gives: accept or connect,
/// handshake, then receive and send, then close exactly once.
#[derive(Debug)]
pub(crate) enum Event<'a> {
    /// A server accepted the connection (it has its ID, nothing was read yet).
    Accept,
    /// An outgoing connect completed.
    Connect,
    /// The transport is ready for data.
    Handshake,
    /// PUSH: bytes read; PACK: one whole packet body.
    Receive(&'a [u8]),
    /// PULL: bytes arrived; this many are buffered in total.
    PullReceive(usize),
    /// These bytes were written.
    Send(&'a [u8]),
    /// The connection closed: the operation that failed and the OS error (0 for none).
    Close(SocketOperation, i32),
    /// HTTP: a parse event, with the message (request or response) parsed so far.
    Http(&'a Message, HttpEv<'a>),
    /// After a WebSocket upgrade: a frame event.
    Ws(WsEv<'a>),
}

/// The listener, as the session sees it.
pub(crate) type Sink<'s> = dyn FnMut(Event<'_>) -> Reply + 's;

/// The listener's answer to an event: HP-Socket's `EnHandleResult` for the socket events,
/// its `EnHttpParseResult` for the HTTP ones (`Ignore` is HTTP's skip-body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    Ok,
    Ignore,
    /// HTTP only: switch protocols after this head.
    Upgrade,
    Error,
}

impl From<HandleResult> for Reply {
    fn from(r: HandleResult) -> Reply {
        match r {
            HandleResult::Ok => Reply::Ok,
            HandleResult::Ignore => Reply::Ignore,
            HandleResult::Error => Reply::Error,
        }
    }
}

impl From<ParseResult> for Reply {
    fn from(r: ParseResult) -> Reply {
        match r {
            ParseResult::Ok => Reply::Ok,
            ParseResult::SkipBody => Reply::Ignore,
            ParseResult::Upgrade => Reply::Upgrade,
            ParseResult::Error => Reply::Error,
        }
    }
}

impl From<Reply> for ParseResult {
    fn from(r: Reply) -> ParseResult {
        match r {
            Reply::Ok => ParseResult::Ok,
            Reply::Ignore => ParseResult::SkipBody,
            Reply::Upgrade => ParseResult::Upgrade,
            Reply::Error => ParseResult::Error,
        }
    }
}

/// What the caller (the reactor) does next with the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Keep going (keep reading).
    Go,
    /// Stop reading for now (paused, PULL buffer full, or a callback asked for something).
    Stop,
    /// Close it: release the socket, then call [`Session::finish`] with these.
    Close(SocketOperation, i32),
    /// The listener refused an accepted connection: release the socket with no close event.
    Refused,
}

/// How a connection came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Accepted by a server.
    Accepted,
    /// An asynchronous connect was started.
    Connecting,
    /// A synchronous connect completed; its connect and (plain) handshake events were fired
    /// by the caller.
    Connected,
}

/// What a session needs from the component's configuration (copied at creation, so the hot
/// path never reads the component).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub model: ModelKind,
    pub pack_flag: u16,
    pub pack_max: u32,
    pub pull_limit: usize,
    pub max_pending: usize,
    pub mark_silence: bool,
    pub close_flush_ms: u64,
    pub connect_timeout_ms: u64,
    pub handshake_timeout_ms: u64,
    /// Close a connection that has received nothing this long after it opened (after the
    /// handshake for TLS); 0: never.
    pub first_read_ms: u64,
    /// Close a connection that has received nothing for this long; 0: never.
    pub idle_ms: u64,
    /// Keep copies of written bytes for `on_send`.
    pub notes: bool,
    /// HTTP: the parser's limits.
    pub http_limits: HttpLimits,
    /// HTTP: close a connection whose message head has not finished this long after its
    /// first byte; 0: never.
    pub http_head_ms: u64,
    /// HTTP: parse from the first byte (else bytes go to `on_receive` until `start_http`).
    pub http_auto_start: bool,
    /// `Ws` model: ping a peer silent this long, close one silent twice as long; 0: never.
    pub ws_ping_ms: u64,
}

thread_local! {
    /// TLS plaintext of the read being handled on this thread.
    static PLAIN: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}
/// A plaintext buffer grown past this (a huge read) is freed instead of kept.
const PLAIN_KEEP: usize = 256 * 1024;

// Doorbell bits: requests other threads leave for the worker.
const ATTEND: u8 = 1;
const RESUME: u8 = 2;
// Why reading stopped.
const PAUSED: u8 = 1;
const FULL: u8 = 2;
/// How often a connection stopped by the budget looks again.
const BUDGET_RETRY_MS: u64 = 100;

pub(crate) struct Session {
    link: Mutex<Link>,
    /// Worker only (a lock keeps the session `Sync`; never contended).
    rx: Mutex<Receiver>,
    /// PULL: bytes waiting for `fetch`, which any thread may call.
    pull: Mutex<PullBuffer>,
    doorbell: AtomicU8,
    stopped: AtomicU8,
    last_recv: AtomicU64,
    /// When data started to flow (plain: adopted; TLS: handshake done); `u64::MAX` before.
    open_since: AtomicU64,
    /// Application data has arrived.
    received: std::sync::atomic::AtomicBool,
    opened_at: u64,
    secure: bool,
    settings: Settings,
    budget: Arc<Budget>,
    /// What this connection has charged to the budget: received bytes it holds (PACK
    /// partial packets, PULL buffer, an unfinished TLS record) and bytes queued to send
    /// (with `on_send` copies and plaintext waiting for the TLS handshake).
    charged_rx: AtomicUsize,
    charged_tx: AtomicUsize,
    /// Accepted by a server (HTTP: it parses requests and answers bad ones).
    origin_is_server: bool,
    /// HTTP connection state (`None` for the other models; see `http.rs`).
    http: Option<Box<http::HttpConn>>,
    /// A read set a deadline the worker's timer does not know yet (see `take_new_deadline`).
    new_deadline: AtomicBool,
    /// TLS: ciphertext of an unfinished record inside rustls (part of `charged_rx`; only the
    /// worker writes it).
    tls_rx: AtomicUsize,
    /// When a connection stopped by the budget looks again (`u64::MAX`: not stopped).
    retry_at: AtomicU64,
}

impl Session {
    pub fn new(
        settings: Settings,
        origin: Origin,
        tls: Option<TlsSession>,
        now: u64,
        budget: Arc<Budget>,
    ) -> Session {
        let phase = match origin {
            Origin::Connecting => Phase::Connecting {
                until: now + settings.connect_timeout_ms,
            },
            // Accepted / Connected: the handshake deadline starts when the worker adopts it.
            _ => Phase::Connecting { until: u64::MAX },
        };
        Session {
            secure: tls.is_some(),
            link: Mutex::new(Link::new(phase, tls)),
            rx: Mutex::new(Receiver::new(&settings, origin == Origin::Accepted)),
            pull: Mutex::new(PullBuffer::default()),
            doorbell: AtomicU8::new(0),
            stopped: AtomicU8::new(0),
            last_recv: AtomicU64::new(now),
            open_since: AtomicU64::new(u64::MAX),
            received: std::sync::atomic::AtomicBool::new(false),
            opened_at: now,
            settings,
            budget,
            charged_rx: AtomicUsize::new(0),
            charged_tx: AtomicUsize::new(0),
            tls_rx: AtomicUsize::new(0),
            origin_is_server: origin == Origin::Accepted,
            http: (settings.model == ModelKind::Http)
                .then(|| Box::new(http::HttpConn::new(settings.http_auto_start))),
            new_deadline: AtomicBool::new(false),
            retry_at: AtomicU64::new(u64::MAX),
        }
    }

    /// Charges the budget for what the send side holds now (call under the link lock, so
    /// charges from different threads apply in the order of the states they describe).
    fn charge_tx(&self, held: usize) {
        self.charge_tx_reserved(held, 0);
    }

    /// Like `charge_tx`, settling a reservation of `reserved` bytes made for this change. Under
    /// the link lock: a load and a store suffice for this connection's own figure.
    fn charge_tx_reserved(&self, held: usize, reserved: usize) {
        let old = self.charged_tx.load(Ordering::Relaxed);
        if old != held {
            self.charged_tx.store(held, Ordering::Relaxed);
        }
        self.budget.recharge(old + reserved, held);
    }

    /// Charges the budget for the received bytes held now; returns (old, new).
    fn charge_rx(&self) -> (usize, usize) {
        let held = match self.settings.model {
            ModelKind::Push => 0,
            ModelKind::Pack | ModelKind::Http => self.rx.lock().buffered(),
            ModelKind::Pull => {
                let p = self.pull.lock();
                return self.set_rx_charge(p.len());
            }
        };
        self.set_rx_charge(held)
    }

    /// Sets the received-bytes charge to what the receive model holds (`held`) plus the TLS
    /// record in progress (callers hold the lock of what they measured: the PULL buffer, or
    /// the worker's own receiver); returns (old, new).
    fn set_rx_charge(&self, held: usize) -> (usize, usize) {
        let held = held + self.tls_rx.load(Ordering::Relaxed);
        let old = self.charged_rx.load(Ordering::Relaxed);
        if old != held {
            self.charged_rx.store(held, Ordering::Relaxed);
            self.budget.recharge(old, held);
        }
        (old, held)
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn is_secure(&self) -> bool {
        self.secure
    }

    // ---- any thread ----

    /// Frames (PACK), encrypts (TLS) and writes or queues `bufs` as one ordered unit. Never
    /// blocks. `Ok(true)`: the worker has `on_send` notes to fire (ring it).
    pub fn send(&self, bufs: &[&[u8]], w: &mut dyn Write) -> Result<bool, SendError> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let s = &self.settings;
        let pack = s.model == ModelKind::Pack;
        if pack && (total == 0 || total > s.pack_max as usize) {
            return Err(SendError::Size {
                size: total,
                max: s.pack_max as usize,
            });
        }
        if total == 0 {
            return Ok(false);
        }
        self.send_unit(total, |link| {
            if pack {
                let h = header(s.pack_flag, total as u32);
                let mut framed: Vec<&[u8]> = Vec::with_capacity(bufs.len() + 1);
                framed.push(&h);
                framed.extend_from_slice(bufs);
                link.send(&framed, total + h.len(), s.max_pending, s.notes, w)
            } else {
                link.send(bufs, total, s.max_pending, s.notes, w)
            }
        })
    }

    /// Sends `head` and then `len` bytes of `file` from its start as one ordered unit:
    /// with `sendfile` straight from the file to `sock` when nothing is queued ahead and the
    /// bytes need no copy (plain transport, no `on_send` copies), else read and sent like
    /// any buffer. Only what the socket does not take at once is read into the queue.
    pub fn send_file(
        &self,
        head: &[u8],
        file: &std::fs::File,
        len: usize,
        sock: Option<std::os::fd::BorrowedFd<'_>>,
        w: &mut dyn Write,
    ) -> Result<bool, SendError> {
        let s = &self.settings;
        let total = head.len() + len;
        if s.model == ModelKind::Pack {
            return Err(SendError::Size {
                size: total,
                max: s.pack_max as usize,
            });
        }
        if total == 0 {
            return Ok(false);
        }
        let sock = sock.filter(|_| !self.secure && !s.notes);
        self.send_unit(total, |link| {
            link.send_file(head, file, len, s.max_pending, s.notes, sock, w)
        })
    }

    /// Runs one send of `total` bytes on the link: reserves them in the budget first, then
    /// settles the reservation to what the link holds after.
    fn send_unit(
        &self,
        total: usize,
        f: impl FnOnce(&mut Link) -> Result<(), SendRefused>,
    ) -> Result<bool, SendError> {
        // Reserved before the bytes can be queued, in one atomic step: a check apart from
        // the charge let concurrent senders pass the budget together.
        if !self.budget.reserve(total) {
            return Err(SendError::Budget {
                held: self.budget.held(),
                limit: self.budget.limit(),
            });
        }
        let mut link = self.link.lock();
        let r = f(&mut link);
        // The reservation becomes what is really held (nothing, when it all went out).
        self.charge_tx_reserved(link.held(), total);
        match r {
            Ok(()) => Ok(link.has_notes()),
            Err(SendRefused::Failed(e)) => {
                let err = e.raw_os_error().unwrap_or(libc::EIO);
                link.phase
                    .request_close(CloseReq::forced(SocketOperation::Send, err), 0, 0);
                drop(link);
                self.ring(ATTEND);
                Err(SendError::Refused(SendRefused::Failed(e)))
            }
            Err(e) => Err(SendError::Refused(e)),
        }
    }

    /// Asks for a close (the worker carries it out). False when already closed.
    pub fn request_close(&self, req: CloseReq, now: u64) -> bool {
        let ok = self
            .link
            .lock()
            .phase
            .request_close(req, now, self.settings.close_flush_ms);
        if ok {
            self.ring(ATTEND);
        }
        ok
    }

    /// Stops (`true`) or resumes reading. True when the worker must be rung (a resume).
    pub fn pause(&self, pause: bool) -> bool {
        let was = if pause {
            self.stopped.fetch_or(PAUSED, Ordering::AcqRel)
        } else {
            self.stopped.fetch_and(!PAUSED, Ordering::AcqRel)
        };
        if was & PAUSED != 0 && !pause {
            self.ring(ATTEND | RESUME);
            return true;
        }
        false
    }

    pub fn is_paused(&self) -> bool {
        self.stopped.load(Ordering::Acquire) & PAUSED != 0
    }

    /// PULL fetch / peek. The second value: the worker must be rung (reading resumes
    /// because the buffer fell below its limit).
    pub fn fetch(&self, out: &mut [u8], consume: bool) -> (FetchResult, bool) {
        if self.is_closed() {
            return (FetchResult::DataNotFound, false);
        }
        let (r, left) = {
            let mut p = self.pull.lock();
            let r = if consume { p.fetch(out) } else { p.peek(out) };
            let left = p.len();
            self.set_rx_charge(left);
            (r, left)
        };
        if r == FetchResult::Ok
            && left < self.settings.pull_limit
            && self.stopped.fetch_and(!FULL, Ordering::AcqRel) & FULL != 0
        {
            self.ring(ATTEND | RESUME);
            return (r, true);
        }
        (r, false)
    }

    pub fn pending(&self) -> usize {
        self.link.lock().pending()
    }

    pub fn is_closed(&self) -> bool {
        self.link.lock().phase.is_closed()
    }

    #[allow(dead_code)] // read by the test harness
    pub fn phase(&self) -> Phase {
        self.link.lock().phase
    }

    /// When the connection opened and last received (milliseconds on the session's clock).
    pub fn opened_at(&self) -> u64 {
        self.opened_at
    }

    pub fn last_received(&self) -> u64 {
        self.last_recv.load(Ordering::Relaxed)
    }

    /// TLS: what the session negotiated.
    pub fn tls_info(&self) -> Option<crate::tls::TlsInfo> {
        self.link.lock().tls.as_ref().map(|t| t.session.info())
    }

    fn ring(&self, bits: u8) {
        self.doorbell.fetch_or(bits, Ordering::AcqRel);
    }

    /// Whether a request waits for the worker (checked after each callback).
    pub fn rung(&self) -> bool {
        self.doorbell.load(Ordering::Acquire) & ATTEND != 0
    }

    /// Takes the doorbell: (attend, resume reading).
    pub fn take_doorbell(&self) -> (bool, bool) {
        let b = self.doorbell.swap(0, Ordering::AcqRel);
        (b & ATTEND != 0, b & RESUME != 0)
    }

    // ---- the worker ----

    /// The worker adopted the connection: fires what its origin calls for and starts the
    /// transport (the TLS client's first flight).
    pub fn start(&self, origin: Origin, now: u64, w: &mut dyn Write, sink: &mut Sink<'_>) -> Step {
        match origin {
            Origin::Connecting => return self.attend(now, w, sink),
            Origin::Accepted => {
                if sink(Event::Accept) == Reply::Error
                    || (!self.secure && sink(Event::Handshake) == Reply::Error)
                {
                    self.link.lock().close();
                    return Step::Refused;
                }
            }
            Origin::Connected => {}
        }
        if let Step::Close(op, e) = self.open_transport(now, w) {
            return Step::Close(op, e);
        }
        self.attend(now, w, sink)
    }

    /// An asynchronous connect completed.
    pub fn connected(&self, now: u64, w: &mut dyn Write, sink: &mut Sink<'_>) -> Step {
        if sink(Event::Connect) == Reply::Error
            || (!self.secure && sink(Event::Handshake) == Reply::Error)
        {
            return Step::Close(SocketOperation::Connect, libc::ECANCELED);
        }
        if let Step::Close(op, e) = self.open_transport(now, w) {
            return Step::Close(op, e);
        }
        self.attend(now, w, sink)
    }

    /// Leaves Connecting: plain is open; TLS arms its handshake deadline and says what it
    /// has to say first.
    fn open_transport(&self, now: u64, w: &mut dyn Write) -> Step {
        let mut link = self.link.lock();
        let hs = self.secure.then_some(self.settings.handshake_timeout_ms);
        if let Phase::Closing {
            handshake_until, ..
        } = &mut link.phase
        {
            *handshake_until = hs.map(|t| now + t);
        }
        link.phase.connected(now, hs);
        if !self.secure {
            self.open_since.store(now, Ordering::Relaxed);
        }
        if self.secure {
            if let Err(e) = link.flush_tls(w) {
                return Step::Close(SocketOperation::Handshake, errno(&e));
            }
        }
        Step::Go
    }

    /// Whether the worker may read now; delivers PACK packets a pause held back first.
    pub fn before_read(&self, now: u64, w: &mut dyn Write, sink: &mut Sink<'_>) -> Step {
        if self.is_paused() {
            return Step::Stop;
        }
        if self.budget.over_soft() && self.charged_rx.load(Ordering::Relaxed) > 0 {
            // The component holds too much and this connection holds some of it: stop
            // reading (its peer is slowed by TCP's window) and look again soon.
            let _ = self.retry_at.compare_exchange(
                u64::MAX,
                now + BUDGET_RETRY_MS,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
            return Step::Stop;
        }
        match self.settings.model {
            ModelKind::Pack if self.rx.lock().buffered() > 0 => {
                let step = self.deliver(&[], now, w, sink);
                self.charge_rx();
                if step != Step::Go || self.is_paused() {
                    return if step == Step::Go { Step::Stop } else { step };
                }
            }
            ModelKind::Pull if self.pull.lock().len() >= self.settings.pull_limit => {
                // Full: stop reading until fetch makes room (it rings us).
                self.stopped.fetch_or(FULL, Ordering::AcqRel);
                if self.pull.lock().len() >= self.settings.pull_limit {
                    return Step::Stop;
                }
                self.stopped.fetch_and(!FULL, Ordering::AcqRel);
            }
            _ => {}
        }
        Step::Go
    }

    /// Bytes read from the peer.
    pub fn handle_read(
        &self,
        data: &[u8],
        now: u64,
        w: &mut dyn Write,
        sink: &mut Sink<'_>,
    ) -> Step {
        if self.settings.mark_silence || self.settings.idle_ms > 0 {
            self.last_recv.store(now, Ordering::Relaxed);
        }
        let step = if !self.secure {
            self.deliver(data, now, w, sink)
        } else {
            self.read_tls(data, now, w, sink)
        };
        if step == Step::Go && (self.settings.model != ModelKind::Push || self.secure) {
            let (old, new) = self.charge_rx();
            if new > old && self.budget.over_limit() {
                tracing::debug!(
                    "closing a connection: memory budget spent ({new} bytes held here)"
                );
                return Step::Close(SocketOperation::Receive, libc::ENOBUFS);
            }
        }
        step
    }

    fn read_tls(&self, data: &[u8], now: u64, w: &mut dyn Write, sink: &mut Sink<'_>) -> Step {
        // One plaintext buffer per thread, not per connection: a worker decrypts one read at
        // a time, and thousands of idle TLS connections then hold no buffer (taken, not
        // borrowed, so a nested call would only allocate, never fail).
        let mut plain = PLAIN.with(|p| std::mem::take(&mut *p.borrow_mut()));
        plain.clear();
        let step = self.receive_tls(data, &mut plain, now, w, sink);
        if plain.capacity() <= PLAIN_KEEP {
            PLAIN.with(|p| *p.borrow_mut() = plain);
        }
        step
    }

    /// TLS: decrypts, answers the handshake, fires `on_handshake` when it completes and hands
    /// the plaintext to the receive model.
    fn receive_tls(
        &self,
        data: &[u8],
        plain: &mut Vec<u8>,
        now: u64,
        w: &mut dyn Write,
        sink: &mut Sink<'_>,
    ) -> Step {
        let (progress, handshaking, wrote) = {
            let mut link = self.link.lock();
            let link = &mut *link;
            let Some(tls) = link.tls.as_mut() else {
                return Step::Stop;
            };
            let handshaking = tls.session.is_handshaking();
            let progress = tls.session.read_tls(data, plain);
            self.tls_rx
                .store(tls.session.partial_record(), Ordering::Relaxed);
            // Handshake replies, and on failure the alert that tells the peer why.
            let wrote = link.flush_tls(w);
            if progress.as_ref().is_ok_and(|p| p.handshake_done) {
                link.phase.handshake_done();
                self.open_since.store(now, Ordering::Relaxed);
            }
            (progress, handshaking, wrote)
        };
        let progress = match progress {
            Ok(p) => p,
            Err(e) => {
                let op = if handshaking {
                    SocketOperation::Handshake
                } else {
                    SocketOperation::Receive
                };
                tracing::debug!("TLS error: {e}");
                return Step::Close(op, crate::tls::errno_of(&e));
            }
        };
        if let Err(e) = wrote {
            return Step::Close(SocketOperation::Send, errno(&e));
        }
        if progress.handshake_done {
            if sink(Event::Handshake) == Reply::Error {
                return Step::Close(SocketOperation::Handshake, libc::ECANCELED);
            }
            // Plaintext sent before the handshake went out with its last flight; a graceful
            // close that waited for it can go on.
            self.fire_notes(sink);
            if self.link.lock().phase.close_req().is_some() {
                let step = self.attend(now, w, sink);
                if step != Step::Go {
                    return step;
                }
            }
        }
        let mut step = Step::Go;
        if !plain.is_empty() {
            step = self.deliver(plain, now, w, sink);
        }
        if step == Step::Go && progress.peer_closed {
            return Step::Close(SocketOperation::Close, 0);
        }
        step
    }

    /// Hands received plaintext to the application through the receive model.
    fn deliver(&self, data: &[u8], now: u64, w: &mut dyn Write, sink: &mut Sink<'_>) -> Step {
        if !data.is_empty() {
            self.received.store(true, Ordering::Relaxed);
        }
        let failed = match self.settings.model {
            ModelKind::Http => return self.deliver_http(data, now, w, sink),
            ModelKind::Push => {
                (sink(Event::Receive(data)) == Reply::Error).then_some(libc::ECANCELED)
            }
            ModelKind::Pull => {
                let total = self.pull.lock().append(data);
                (sink(Event::PullReceive(total)) == Reply::Error).then_some(libc::ECANCELED)
            }
            ModelKind::Pack => {
                let mut input = data;
                loop {
                    let mut refused = false;
                    let r = self.rx.lock().push_packets(input, &mut |packet| {
                        refused = sink(Event::Receive(packet)) == Reply::Error;
                        // Hold the rest when the callback paused or asked for something.
                        refused || self.is_paused() || self.rung()
                    });
                    match r {
                        Err(e) => break Some(e),
                        Ok(_) if refused => break Some(libc::ECANCELED),
                        Ok(false) => break None,
                        Ok(true) => {
                            // Held for a request made inside the callback: carry it out, then
                            // deliver the rest unless paused (no new edge would bring them).
                            if self.rung() {
                                let step = self.attend(now, w, sink);
                                if step != Step::Go {
                                    return step;
                                }
                            }
                            if self.is_paused() {
                                return Step::Stop;
                            }
                            input = &[];
                        }
                    }
                }
            }
        };
        if let Some(err) = failed {
            return Step::Close(SocketOperation::Receive, err);
        }
        if self.rung() {
            return self.attend(now, w, sink);
        }
        Step::Go
    }

    /// The writer can take more: drains the queue.
    pub fn handle_writable(&self, now: u64, w: &mut dyn Write, sink: &mut Sink<'_>) -> Step {
        let (r, graceful_done) = {
            let mut link = self.link.lock();
            if link.phase.is_connecting() || link.phase.is_closed() {
                return Step::Go;
            }
            let r = link.flush(self.settings.notes, w);
            let done = link.pending() == 0 && link.phase.close_req().is_some_and(|c| c.graceful);
            (r, done)
        };
        self.fire_notes(sink);
        if let Err(e) = r {
            return Step::Close(SocketOperation::Send, errno(&e));
        }
        if graceful_done {
            return self.attend(now, w, sink);
        }
        Step::Go
    }

    /// Carries out what other threads asked for: fires `on_send` notes, sends TLS
    /// close_notify, and says whether the connection must close now.
    pub fn attend(&self, _now: u64, w: &mut dyn Write, sink: &mut Sink<'_>) -> Step {
        self.doorbell.fetch_and(!ATTEND, Ordering::AcqRel);
        let connecting = self.link.lock().phase.is_connecting();
        if !connecting {
            self.fire_notes(sink);
        }
        let mut link = self.link.lock();
        if let Err(e) = link.notify_close(w) {
            link.phase
                .request_close(CloseReq::forced(SocketOperation::Send, errno(&e)), 0, 0);
        }
        match link.phase.close_req() {
            Some(req) if !req.graceful || link.pending() == 0 || connecting => {
                Step::Close(req.op, req.err)
            }
            _ => Step::Go,
        }
    }

    /// Closes the session for good and fires `on_close` (exactly once: later calls do
    /// nothing). Writes that happened are reported first; a forced close that dropped
    /// accepted bytes says so (`Send`, `ECANCELED`).
    pub fn finish(&self, mut op: SocketOperation, mut err: i32, sink: &mut Sink<'_>) {
        let connecting = {
            let link = self.link.lock();
            if link.phase.is_closed() {
                return;
            }
            link.phase.is_connecting()
        };
        if !connecting {
            self.fire_notes(sink);
            if self.settings.model == ModelKind::Http && op == SocketOperation::Close && err == 0 {
                self.http_eof(sink);
            }
        }
        let dropped = self.close_and_release();
        if dropped > 0 && op == SocketOperation::Close && err == 0 {
            op = SocketOperation::Send;
            err = libc::ECANCELED;
        }
        sink(Event::Close(op, err));
    }

    /// Closes without events (the component was dropped while started).
    pub fn abandon(&self) {
        self.close_and_release();
    }

    /// Closes the link and gives everything this connection charged back to the budget;
    /// returns the unsent bytes dropped.
    fn close_and_release(&self) -> usize {
        let dropped = {
            let mut link = self.link.lock();
            let d = link.close();
            self.charge_tx(0);
            d
        };
        let _pull = self.pull.lock();
        self.tls_rx.store(0, Ordering::Relaxed);
        self.set_rx_charge(0);
        dropped
    }

    /// Fires `on_send` for recorded writes, in write order, outside the link's lock (so
    /// `on_send` never nests inside another callback of the connection).
    fn fire_notes(&self, sink: &mut Sink<'_>) {
        loop {
            let note = {
                let mut link = self.link.lock();
                let n = link.take_note();
                if n.is_none() {
                    // Written and reported: what the send side still holds.
                    self.charge_tx(link.held());
                }
                n
            };
            match note {
                Some(n) => {
                    sink(Event::Send(&n));
                }
                None => return,
            }
        }
    }
}

/// Why [`Session::send`] refused.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The component's memory budget has no room for it.
    Budget {
        held: usize,
        limit: usize,
    },
    /// PACK: empty or over the maximum packet size.
    Size {
        size: usize,
        max: usize,
    },
    Refused(SendRefused),
}

fn errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

#[allow(dead_code)]
fn _assert_sync() {
    fn is<T: Send + Sync>() {}
    is::<Session>();
    is::<TlsTx>();
}
