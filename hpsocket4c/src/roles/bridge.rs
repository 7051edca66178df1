//! Layer 2 (roles): listener objects (tables of C callbacks, in their registry) and the
//! bridge that turns each component's Rust events into calls of those callbacks. Every
//! component is created on a [`Bridge`]; the `Create_HP_*Listener` and `HP_Set_FN_*` exports
//! that fill the tables are the listener family's (`crate::listener`), and our WebSocket
//! extension's `Create_HPX_WsListener` and `HPX_Set_FN_*` are `crate::hpx`'s.

use std::ffi::{c_char, c_int, c_void};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use hpsocket::*;

use crate::marshal::{c_callback, set_errno};
use crate::roles::http::{with_message, HttpStore};
use crate::roles::Registry;

/// `En_HP_HandleResult` as the C callbacks return it.
pub type HR = c_int;

/// Callback slots; which ones a role uses is fixed by the setters.
#[derive(Default)]
pub struct ListenerObj {
    pub(crate) prepare: AtomicUsize,
    pub(crate) accept_or_connect: AtomicUsize,
    pub(crate) handshake: AtomicUsize,
    pub(crate) send: AtomicUsize,
    pub(crate) receive: AtomicUsize,
    pub(crate) pull_receive: AtomicUsize,
    pub(crate) close: AtomicUsize,
    pub(crate) shutdown: AtomicUsize,
    // HTTP (the `HP_Set_FN_Http*_On*` setters; the TCP ones above serve HTTP too).
    pub(crate) message_begin: AtomicUsize,
    pub(crate) request_line: AtomicUsize,
    pub(crate) status_line: AtomicUsize,
    pub(crate) header: AtomicUsize,
    pub(crate) headers_complete: AtomicUsize,
    pub(crate) body: AtomicUsize,
    pub(crate) chunk_header: AtomicUsize,
    pub(crate) chunk_complete: AtomicUsize,
    pub(crate) message_complete: AtomicUsize,
    pub(crate) upgrade: AtomicUsize,
    pub(crate) parse_error: AtomicUsize,
    // WebSocket frames after an accepted `websocket` upgrade (`En_HP_HandleResult`).
    pub(crate) ws_message_header: AtomicUsize,
    pub(crate) ws_message_body: AtomicUsize,
    pub(crate) ws_message_complete: AtomicUsize,
    // Our WebSocket extension's message events (`HPX_Set_FN_Ws_*`, `En_HP_HandleResult`).
    pub(crate) ws_open: AtomicUsize,
    pub(crate) ws_message: AtomicUsize,
    pub(crate) ws_ping: AtomicUsize,
    pub(crate) ws_pong: AtomicUsize,
    pub(crate) ws_close: AtomicUsize,
    /// The kind of component (a [`WsRole`] as `u8`, 0: none yet) the extension's role
    /// setters or Create bound this listener to: server, agent and client callbacks of the
    /// same event share a slot with different C types, so one listener serves one kind.
    ws_role: AtomicU8,
}

/// The kind of WebSocket component a listener serves (see `ListenerObj::bind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum WsRole {
    /// `Create_HPX_WsServer` / `Create_HPX_WssServer`.
    Server = 1,
    /// `Create_HPX_WsAgent` / `Create_HPX_WssAgent`.
    Agent = 2,
    /// `Create_HPX_WsClient` / `Create_HPX_WssClient`.
    Client = 3,
}

impl ListenerObj {
    /// Binds the listener to `role` unless it serves another kind already (false: errno
    /// EINVAL).
    pub(crate) fn bind(&self, role: WsRole) -> bool {
        let r = role as u8;
        match self
            .ws_role
            .compare_exchange(0, r, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(now) if now == r => true,
            Err(_) => {
                set_errno(libc::EINVAL);
                false
            }
        }
    }
}

pub(crate) static LISTENERS: LazyLock<Registry<ListenerObj>> = LazyLock::new(Registry::default);

type FnPrepare = unsafe extern "C" fn(*mut c_void, usize, usize) -> HR; // agent/client (id, socket)
type FnPrepareListen = unsafe extern "C" fn(*mut c_void, usize) -> HR;
type FnAccept = unsafe extern "C" fn(*mut c_void, usize, usize) -> HR;
type FnId = unsafe extern "C" fn(*mut c_void, usize) -> HR;
type FnData = unsafe extern "C" fn(*mut c_void, usize, *const u8, c_int) -> HR;
type FnPull = unsafe extern "C" fn(*mut c_void, usize, c_int) -> HR;
type FnClose = unsafe extern "C" fn(*mut c_void, usize, c_int, c_int) -> HR;
type FnSender = unsafe extern "C" fn(*mut c_void) -> HR;
// HTTP events return `En_HP_HttpParseResult`.
type FnHttpId = unsafe extern "C" fn(*mut c_void, usize) -> c_int;
type FnHttpStrs = unsafe extern "C" fn(*mut c_void, usize, *const c_char, *const c_char) -> c_int;
type FnHttpStatus = unsafe extern "C" fn(*mut c_void, usize, u16, *const c_char) -> c_int;
type FnHttpData = unsafe extern "C" fn(*mut c_void, usize, *const u8, c_int) -> c_int;
type FnHttpInt = unsafe extern "C" fn(*mut c_void, usize, c_int) -> c_int;
type FnHttpError = unsafe extern "C" fn(*mut c_void, usize, c_int, *const c_char) -> c_int;
// WebSocket frame events return `En_HP_HandleResult`: (fin, reserved, opcode, mask, length);
// the body and complete events have the shapes of `FnData` and `FnId`.
type FnWsHeader = unsafe extern "C" fn(*mut c_void, usize, c_int, u8, u8, *const u8, u64) -> HR;
// Our WebSocket extension: OnWsMessage (text?, data, length) and OnWsClose (code or -1,
// reason); OnWsOpen has the shape of `FnId`, OnWsPing / OnWsPong that of `FnData`.
type FnWsMessage = unsafe extern "C" fn(*mut c_void, usize, c_int, *const u8, c_int) -> HR;
type FnWsClose = unsafe extern "C" fn(*mut c_void, usize, c_int, *const c_char) -> HR;

fn load<F: Copy>(slot: &AtomicUsize) -> Option<F> {
    let v = slot.load(Ordering::Acquire);
    if v == 0 {
        None
    } else {
        debug_assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<usize>());
        // SAFETY: the slot only ever holds a function pointer of type F, stored by the
        // matching HP_Set_FN_* setter.
        Some(unsafe { std::mem::transmute_copy::<usize, F>(&v) })
    }
}

fn hr(v: HR) -> HandleResult {
    match v {
        0 => HandleResult::Ok,
        2 => HandleResult::Error,
        _ => HandleResult::Ignore,
    }
}

/// The Rust listener of a C component: forwards each event to the C callback, passing the
/// component's handle as `pSender`.
pub struct Bridge {
    /// The C callbacks.
    pub listener: Arc<ListenerObj>,
    /// The component's handle, set once it is registered.
    pub sender: AtomicUsize,
    /// HTTP components: the snapshots their getters read (unused by the others).
    pub http: Arc<HttpStore>,
}

impl Bridge {
    fn sender(&self) -> *mut c_void {
        self.sender.load(Ordering::Acquire) as *mut c_void
    }
    /// Calls a C callback with the sender handle, marked as inside that component's callback
    /// (so `Destroy_*` and `Wait` called from it do not block on it).
    fn call(&self, f: impl FnOnce(*mut c_void) -> HR) -> HandleResult {
        let s = self.sender();
        hr(c_callback(s as usize, || f(s)))
    }
    fn prepare(&self, id: Option<ConnId>, fd: usize) -> HandleResult {
        match id {
            None => load::<FnPrepareListen>(&self.listener.prepare)
                .map_or(HandleResult::Ok, |f| self.call(|s| unsafe { f(s, fd) })),
            Some(id) => load::<FnPrepare>(&self.listener.prepare).map_or(HandleResult::Ok, |f| {
                self.call(|s| unsafe { f(s, id.get(), fd) })
            }),
        }
    }
    fn accept(&self, id: ConnId, fd: usize) -> HandleResult {
        load::<FnAccept>(&self.listener.accept_or_connect).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), fd) })
        })
    }
    fn connect(&self, id: ConnId) -> HandleResult {
        load::<FnId>(&self.listener.accept_or_connect).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get()) })
        })
    }
    fn handshake(&self, id: ConnId) -> HandleResult {
        load::<FnId>(&self.listener.handshake).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get()) })
        })
    }
    fn data(&self, slot: &AtomicUsize, id: ConnId, d: &[u8]) -> HandleResult {
        load::<FnData>(slot).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), d.as_ptr(), d.len() as c_int) })
        })
    }
    fn pull(&self, id: ConnId, len: usize) -> HandleResult {
        load::<FnPull>(&self.listener.pull_receive).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), len.min(c_int::MAX as usize) as c_int) })
        })
    }
    fn close(&self, id: ConnId, op: SocketOperation, err: i32) -> HandleResult {
        // En_HP_SocketOperation has no handshake value: HP-Socket reports a failed TLS
        // handshake as SO_RECEIVE, and so do we.
        let op = match op {
            SocketOperation::Handshake => SocketOperation::Receive,
            other => other,
        };
        load::<FnClose>(&self.listener.close).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), op as c_int, err) })
        })
    }
    fn shutdown(&self) -> HandleResult {
        load::<FnSender>(&self.listener.shutdown)
            .map_or(HandleResult::Ok, |f| self.call(|s| unsafe { f(s) }))
    }
    fn wants_send(&self) -> bool {
        self.listener.send.load(Ordering::Acquire) != 0
    }
}

/// The events every stream role forwards alike; `$close` is `Bridge::close` or, for HTTP,
/// `Bridge::http_close`.
macro_rules! stream_events {
    ($s:ty, $close:ident) => {
        fn on_handshake(&self, _s: &$s, id: ConnId) -> HandleResult {
            self.handshake(id)
        }
        fn on_send(&self, _s: &$s, id: ConnId, d: &[u8]) -> HandleResult {
            self.data(&self.listener.send, id, d)
        }
        fn on_receive(&self, _s: &$s, id: ConnId, d: &[u8]) -> HandleResult {
            self.data(&self.listener.receive, id, d)
        }
        fn on_close(&self, _s: &$s, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
            self.$close(id, op, e)
        }
        fn wants_send_events(&self) -> bool {
            self.wants_send()
        }
    };
}

macro_rules! common_events {
    ($s:ty) => {
        stream_events!($s, close);
        fn on_pull_receive(&self, _s: &$s, id: ConnId, len: usize) -> HandleResult {
            self.pull(id, len)
        }
    };
}

/// `$accept` is `Bridge::accept` or `Bridge::http_accept`; `$events` the macro of the
/// remaining events.
macro_rules! server_bridge {
    ($accept:ident, $events:ident; $($s:ty),*) => {$(
        impl ServerListener<$s> for Bridge {
            fn on_prepare_listen(&self, _s: &$s, sock: SockRef<'_>) -> HandleResult {
                self.prepare(None, sock.as_raw_fd() as usize)
            }
            fn on_accept(&self, _s: &$s, id: ConnId, sock: SockRef<'_>) -> HandleResult {
                self.$accept(id, sock.as_raw_fd() as usize)
            }
            fn on_shutdown(&self, _s: &$s) -> HandleResult {
                self.shutdown()
            }
            $events!($s);
        }
    )*};
}
server_bridge!(accept, common_events;
    TcpServer, TcpPullServer, TcpPackServer, SslServer, SslPullServer, SslPackServer);

impl ServerListener<UdpServer> for Bridge {
    fn on_prepare_listen(&self, _s: &UdpServer, sock: SockRef<'_>) -> HandleResult {
        self.prepare(None, sock.as_raw_fd() as usize)
    }
    /// HP-Socket hands a UDP server's OnAccept the peer's `sockaddr`, not a socket.
    fn on_accept(&self, s: &UdpServer, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        match s.remote_address(id) {
            Ok(a) => {
                let a = socket2::SockAddr::from(a);
                self.accept(id, a.as_ptr() as usize)
            }
            Err(_) => HandleResult::Error,
        }
    }
    fn on_shutdown(&self, _s: &UdpServer) -> HandleResult {
        self.shutdown()
    }
    common_events!(UdpServer);
}

/// The outgoing connection's events of agents and clients; `$connect` is `Bridge::connect`
/// or `Bridge::http_connect`.
macro_rules! connect_events {
    ($s:ty, $connect:ident) => {
        fn on_prepare_connect(&self, _s: &$s, id: ConnId, sock: SockRef<'_>) -> HandleResult {
            self.prepare(Some(id), sock.as_raw_fd() as usize)
        }
        fn on_connect(&self, _s: &$s, id: ConnId) -> HandleResult {
            self.$connect(id)
        }
    };
}

macro_rules! agent_bridge {
    ($connect:ident, $events:ident; $($s:ty),*) => {$(
        impl AgentListener<$s> for Bridge {
            connect_events!($s, $connect);
            fn on_shutdown(&self, _s: &$s) -> HandleResult {
                self.shutdown()
            }
            $events!($s);
        }
    )*};
}
agent_bridge!(connect, common_events;
    TcpAgent, TcpPullAgent, TcpPackAgent, SslAgent, SslPullAgent, SslPackAgent);

macro_rules! client_bridge {
    ($connect:ident, $events:ident; $($s:ty),*) => {$(
        impl ClientListener<$s> for Bridge {
            connect_events!($s, $connect);
            $events!($s);
        }
    )*};
}
client_bridge!(connect, common_events;
    TcpClient, TcpPullClient, TcpPackClient, SslClient, SslPullClient, SslPackClient,
    UdpClient, UdpCast);

/// The bridge for a new component using `listener` (errno EBADF if it is not a listener).
pub(crate) fn bridge(listener: *mut c_void) -> Option<Bridge> {
    LISTENERS.get(listener).map(|l| Bridge {
        listener: l,
        sender: AtomicUsize::new(0),
        http: Arc::default(),
    })
}

// ---- HTTP ----

/// `En_HP_HttpParseResult` from a C HTTP callback: 1 skip body, 2 upgrade, negative error,
/// anything else go on.
fn hpr(v: c_int) -> ParseResult {
    match v {
        1 => ParseResult::SkipBody,
        2 => ParseResult::Upgrade,
        v if v < 0 => ParseResult::Error,
        _ => ParseResult::Ok,
    }
}

/// Runs `f` with `a` and `b` as NUL-terminated C strings (in a reused per-thread buffer; a
/// NUL inside either is passed as a space).
fn with_cstrs<R>(a: &[u8], b: &[u8], f: impl FnOnce(*const c_char, *const c_char) -> R) -> R {
    thread_local! {
        static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    // Taken out while in use, so a nested callback on this thread gets a buffer of its own.
    let mut buf = SCRATCH.with(|s| s.take());
    buf.clear();
    let clean = |c: &u8| if *c == 0 { b' ' } else { *c };
    buf.extend(a.iter().map(clean));
    buf.push(0);
    buf.extend(b.iter().map(clean));
    buf.push(0);
    let p = buf.as_ptr() as *const c_char;
    // SAFETY: both strings lie inside `buf`, which outlives the call.
    let r = f(p, unsafe { p.add(a.len() + 1) });
    SCRATCH.with(|s| s.set(buf));
    r
}

impl Bridge {
    /// Calls an HTTP callback with `msg` reachable by the getters of this thread.
    fn http(
        &self,
        id: ConnId,
        msg: &HttpMessage,
        f: impl FnOnce(*mut c_void) -> c_int,
    ) -> ParseResult {
        let s = self.sender();
        hpr(with_message(s as usize, id, msg, || {
            c_callback(s as usize, || f(s))
        }))
    }
    fn http_id(&self, slot: &AtomicUsize, id: ConnId, msg: &HttpMessage) -> ParseResult {
        load::<FnHttpId>(slot).map_or(ParseResult::Ok, |f| {
            self.http(id, msg, |s| unsafe { f(s, id.get()) })
        })
    }
    fn http_strs(
        &self,
        slot: &AtomicUsize,
        id: ConnId,
        msg: &HttpMessage,
        a: &[u8],
        b: &[u8],
    ) -> ParseResult {
        load::<FnHttpStrs>(slot).map_or(ParseResult::Ok, |f| {
            with_cstrs(a, b, |a, b| {
                self.http(id, msg, |s| unsafe { f(s, id.get(), a, b) })
            })
        })
    }
    fn http_int(&self, slot: &AtomicUsize, id: ConnId, msg: &HttpMessage, v: c_int) -> ParseResult {
        load::<FnHttpInt>(slot).map_or(ParseResult::Ok, |f| {
            self.http(id, msg, |s| unsafe { f(s, id.get(), v) })
        })
    }
    /// Opens the connection's getter state for `event` (its accept or connect callback) and
    /// drops it again when the callback refuses the connection: no close event follows.
    fn http_open(&self, id: ConnId, event: impl FnOnce() -> HandleResult) -> HandleResult {
        self.http.open(id);
        let r = event();
        if r == HandleResult::Error {
            self.http.close(id);
        }
        r
    }
    fn http_accept(&self, id: ConnId, fd: usize) -> HandleResult {
        self.http_open(id, || self.accept(id, fd))
    }
    /// Opens at connect, not at prepare: a connect failing in between (synchronously) has no
    /// close event to drop the state.
    fn http_connect(&self, id: ConnId) -> HandleResult {
        self.http_open(id, || self.connect(id))
    }
    /// Drops the getter state after the C OnClose, whose getters still answer.
    fn http_close(&self, id: ConnId, op: SocketOperation, err: i32) -> HandleResult {
        let r = self.close(id, op, err);
        self.http.close(id);
        r
    }
}

// ---- WebSocket ----

impl Bridge {
    /// `OnWSMessageHeader`: the mask argument is NULL for an unmasked frame, else a copy of
    /// the key valid during the call.
    fn ws_header(
        &self,
        id: ConnId,
        fin: bool,
        rsv: u8,
        opcode: u8,
        mask: Option<[u8; 4]>,
        len: u64,
    ) -> HandleResult {
        load::<FnWsHeader>(&self.listener.ws_message_header).map_or(HandleResult::Ok, |f| {
            let key = mask.unwrap_or_default();
            let p = if mask.is_some() {
                key.as_ptr()
            } else {
                std::ptr::null()
            };
            self.call(|s| unsafe { f(s, id.get(), fin as c_int, rsv, opcode, p, len) })
        })
    }
    /// `OnWSMessageBody`: a piece of the body, unmasked (split below 2 GiB per call).
    fn ws_body(&self, id: ConnId, d: &[u8]) -> HandleResult {
        load::<FnData>(&self.listener.ws_message_body).map_or(HandleResult::Ok, |f| {
            let mut r = HandleResult::Ok;
            for part in d.chunks(c_int::MAX as usize) {
                r = self.call(|s| unsafe { f(s, id.get(), part.as_ptr(), part.len() as c_int) });
                if r == HandleResult::Error {
                    break;
                }
            }
            r
        })
    }
}

/// The events of every HTTP listener (`$s` the component type): the stream events, and the
/// HTTP ones forwarded to the C callbacks with the message reachable by the getters, the
/// getters' snapshots kept at message begin (cleared), headers-complete, message-complete and
/// parse errors; after a WebSocket upgrade, the three frame events (the getters then read the
/// upgrade request's or response's snapshot).
macro_rules! http_events {
    ($s:ty) => {
        stream_events!($s, http_close);
        fn on_message_begin(&self, _s: &$s, id: ConnId, m: &HttpMessage) -> ParseResult {
            self.http.begin(id);
            self.http_id(&self.listener.message_begin, id, m)
        }
        fn on_request_line(
            &self,
            _s: &$s,
            id: ConnId,
            m: &HttpMessage,
            method: &str,
            url: &str,
        ) -> ParseResult {
            self.http_strs(
                &self.listener.request_line,
                id,
                m,
                method.as_bytes(),
                url.as_bytes(),
            )
        }
        fn on_status_line(
            &self,
            _s: &$s,
            id: ConnId,
            m: &HttpMessage,
            status: u16,
            reason: &str,
        ) -> ParseResult {
            load::<FnHttpStatus>(&self.listener.status_line).map_or(ParseResult::Ok, |f| {
                with_cstrs(reason.as_bytes(), b"", |r, _| {
                    self.http(id, m, |s| unsafe { f(s, id.get(), status, r) })
                })
            })
        }
        fn on_header(
            &self,
            _s: &$s,
            id: ConnId,
            m: &HttpMessage,
            name: &str,
            value: &[u8],
        ) -> ParseResult {
            self.http_strs(&self.listener.header, id, m, name.as_bytes(), value)
        }
        fn on_headers_complete(&self, _s: &$s, id: ConnId, m: &HttpMessage) -> ParseResult {
            self.http.keep(id, m);
            self.http_id(&self.listener.headers_complete, id, m)
        }
        fn on_body(&self, _s: &$s, id: ConnId, m: &HttpMessage, d: &[u8]) -> ParseResult {
            load::<FnHttpData>(&self.listener.body).map_or(ParseResult::Ok, |f| {
                // Pieces come from one read, far below 2 GiB; split anyway rather than lie.
                let mut r = ParseResult::Ok;
                for part in d.chunks(c_int::MAX as usize) {
                    r = self.http(id, m, |s| unsafe {
                        f(s, id.get(), part.as_ptr(), part.len() as c_int)
                    });
                    if r == ParseResult::Error {
                        break;
                    }
                }
                r
            })
        }
        fn on_chunk_header(&self, _s: &$s, id: ConnId, m: &HttpMessage, size: u64) -> ParseResult {
            self.http_int(
                &self.listener.chunk_header,
                id,
                m,
                size.min(c_int::MAX as u64) as c_int,
            )
        }
        fn on_chunk_complete(&self, _s: &$s, id: ConnId, m: &HttpMessage) -> ParseResult {
            self.http_id(&self.listener.chunk_complete, id, m)
        }
        fn on_message_complete(&self, _s: &$s, id: ConnId, m: &HttpMessage) -> ParseResult {
            self.http.keep(id, m);
            self.http_id(&self.listener.message_complete, id, m)
        }
        fn on_upgrade(
            &self,
            _s: &$s,
            id: ConnId,
            m: &HttpMessage,
            kind: UpgradeType,
        ) -> ParseResult {
            self.http_int(&self.listener.upgrade, id, m, kind as c_int)
        }
        #[allow(clippy::too_many_arguments)]
        fn on_ws_message_header(
            &self,
            _s: &$s,
            id: ConnId,
            fin: bool,
            rsv: u8,
            opcode: u8,
            mask: Option<[u8; 4]>,
            len: u64,
        ) -> HandleResult {
            self.ws_header(id, fin, rsv, opcode, mask, len)
        }
        fn on_ws_message_body(&self, _s: &$s, id: ConnId, d: &[u8]) -> HandleResult {
            self.ws_body(id, d)
        }
        fn on_ws_message_complete(&self, _s: &$s, id: ConnId) -> HandleResult {
            load::<FnId>(&self.listener.ws_message_complete).map_or(HandleResult::Ok, |f| {
                self.call(|s| unsafe { f(s, id.get()) })
            })
        }
        fn on_parse_error(&self, _s: &$s, id: ConnId, m: &HttpMessage, e: &HttpParseError) {
            self.http.parse_error(id, m, e);
            if let Some(f) = load::<FnHttpError>(&self.listener.parse_error) {
                with_cstrs(e.description().as_bytes(), b"", |d, _| {
                    self.http(id, m, |s| unsafe { f(s, id.get(), e.code() as c_int, d) })
                });
            }
        }
    };
}

server_bridge!(http_accept, http_events; HttpServer, HttpsServer);
agent_bridge!(http_connect, http_events; HttpAgent, HttpsAgent);
client_bridge!(http_connect, http_events; HttpClient, HttpsClient);

// ---- our WebSocket extension (the `Ws` model) ----

impl Bridge {
    /// `OnWsOpen`: the handshake's message (the request on a server, the `101` on an agent
    /// or client) becomes the connection's current message, so the HTTP getters answer for
    /// it, inside the callback and after.
    fn ws_open(&self, id: ConnId, m: &HttpMessage) -> HandleResult {
        self.http.begin(id);
        self.http.keep(id, m);
        load::<FnId>(&self.listener.ws_open).map_or(HandleResult::Ok, |f| {
            let s = self.sender();
            hr(with_message(s as usize, id, m, || {
                c_callback(s as usize, || unsafe { f(s, id.get()) })
            }))
        })
    }
    /// `OnWsMessage`: a whole message. One over `INT_MAX` bytes cannot be passed in an `int`:
    /// the connection is closed (as by `HR_ERROR`).
    fn ws_message(&self, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        load::<FnWsMessage>(&self.listener.ws_message).map_or(HandleResult::Ok, |f| {
            let (text, d) = match msg {
                WsMessage::Text(t) => (1, t.as_bytes()),
                WsMessage::Binary(b) => (0, b),
            };
            let Ok(len) = c_int::try_from(d.len()) else {
                return HandleResult::Error;
            };
            self.call(|s| unsafe { f(s, id.get(), text, d.as_ptr(), len) })
        })
    }
    /// `OnWsClose`: the peer's close code (-1: none) and reason (NUL-terminated).
    fn ws_close(&self, id: ConnId, code: Option<u16>, reason: &str) -> HandleResult {
        load::<FnWsClose>(&self.listener.ws_close).map_or(HandleResult::Ok, |f| {
            let code = code.map_or(-1, c_int::from);
            with_cstrs(reason.as_bytes(), b"", |r, _| {
                self.call(|s| unsafe { f(s, id.get(), code, r) })
            })
        })
    }
}

/// The events of a WebSocket component: those of an HTTP one (plain requests to a server
/// reach the HTTP callbacks) and the message events of the `Ws` model.
macro_rules! ws_events {
    ($s:ty) => {
        http_events!($s);
        fn on_ws_open(&self, _s: &$s, id: ConnId, m: &HttpMessage) -> HandleResult {
            self.ws_open(id, m)
        }
        fn on_ws_message(&self, _s: &$s, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
            self.ws_message(id, msg)
        }
        fn on_ws_ping(&self, _s: &$s, id: ConnId, p: &[u8]) -> HandleResult {
            self.data(&self.listener.ws_ping, id, p)
        }
        fn on_ws_pong(&self, _s: &$s, id: ConnId, p: &[u8]) -> HandleResult {
            self.data(&self.listener.ws_pong, id, p)
        }
        fn on_ws_close(&self, _s: &$s, id: ConnId, code: Option<u16>, r: &str) -> HandleResult {
            self.ws_close(id, code, r)
        }
    };
}

server_bridge!(http_accept, ws_events; WsServer, WssServer);
agent_bridge!(http_connect, ws_events; WsAgent, WssAgent);
client_bridge!(http_connect, ws_events; WsClient, WssClient);
