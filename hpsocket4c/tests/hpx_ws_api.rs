//! Our WebSocket extension (`HPSocket4C-WS.h`, the `HPX_*` functions) called directly from
//! Rust (the `extern "C"` functions of the rlib) on loopback:
//!
//! - a C-ABI WsServer echoes every message (text with `SendText`, binary with `SendBinary`);
//!   a C-ABI WsClient and a C-ABI WsAgent (two connections) send text, binary, an empty text,
//!   a 70,000-byte message, a ping, and close with a code and a reason; the echoes come back
//!   whole, the pong carries the ping's payload, each side's `OnWsClose` sees the code and
//!   reason, and `OnClose` follows with (SO_CLOSE, 0); a server-initiated close reaches the
//!   agent; subprotocols, permessage-deflate and fragmentation are negotiated and used;
//! - sends before `OnWsOpen` (in `OnAccept`, in `OnHandShake`, on a client never started)
//!   and after a close was received are refused with EPERM;
//! - the HTTP getters answer in `OnWsOpen` and after it (the request's path, query and
//!   headers on the server; the 101's status and headers on the agent and client);
//! - plain HTTP requests reach the server's HTTP events and are answered with
//!   `HP_HttpServer_SendResponse`; a bad upgrade is answered 400 without `OnWsOpen`; a ping
//!   over 125 bytes, close codes that may not be sent and a reason over 123 bytes are refused
//!   (EINVAL) on an open connection; `HR_ERROR` from `OnWsMessage` closes the connection
//!   (SO_RECEIVE, ECANCELED);
//! - the Wss variants over TLS (certificates made here), set up with the `HP_SSL*` functions.
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{Read, Write};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use common::Pki;
use hpsocket4c::agent::*;
use hpsocket4c::client::*;
use hpsocket4c::hpx::listener::*;
use hpsocket4c::hpx::ops::*;
use hpsocket4c::hpx::props::*;
use hpsocket4c::hpx::*;
use hpsocket4c::http::*;
use hpsocket4c::server::*;
use hpsocket4c::ssl::*;
use hpsocket4c::sys::SYS_GetLastError;

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const HR_OK: c_int = 0;
const HR_ERROR: c_int = 2;
const HPR_OK: c_int = 0;
const SO_RECEIVE: c_int = 4;
const SO_CLOSE: c_int = 5;
const ECANCELED: c_int = 125;
const HUF_PATH: c_int = 3;
const HUF_QUERY: c_int = 4;
const SSL_VM_NONE: c_int = 0;
const SSL_VM_PEER: c_int = 1;
const SE_SSL_ENV_NOT_READY: c_int = 101;
const EPERM: u32 = 1;
const EINVAL: u32 = 22;

const LIMIT: Duration = Duration::from_secs(20);
const LOCALHOST: &CStr = c"127.0.0.1";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Server,
    Agent,
    Client,
}

/// What one side saw on one connection.
#[derive(Default, Clone, Debug)]
struct Conn {
    /// Getter results read in `OnWsOpen`.
    open: Option<Vec<String>>,
    /// errno of a send tried before the WebSocket was open (OnAccept / OnHandShake).
    early: Option<u32>,
    msgs: Vec<(bool, Vec<u8>)>,
    pings: Vec<Vec<u8>>,
    pongs: Vec<Vec<u8>>,
    ws_close: Option<(c_int, String)>,
    /// This side started the close handshake.
    initiated: bool,
    /// `OnWsClose` of the close this side started: what a send then returned, and errno.
    after_close: Option<(c_int, u32)>,
    closed: Option<(c_int, c_int)>,
}

/// By (component handle, connection ID).
static CONNS: LazyLock<Mutex<HashMap<(usize, usize), Conn>>> = LazyLock::new(Default::default);
static KINDS: LazyLock<Mutex<HashMap<usize, Kind>>> = LazyLock::new(Default::default);
/// The connections each server opened, in order.
static OPENS: LazyLock<Mutex<HashMap<usize, Vec<usize>>>> = LazyLock::new(Default::default);

fn with_conn<R>(s: H, id: usize, f: impl FnOnce(&mut Conn) -> R) -> R {
    f(CONNS.lock().unwrap().entry((s as usize, id)).or_default())
}

fn kind(s: H) -> Kind {
    KINDS.lock().unwrap()[&(s as usize)]
}

fn wait_conn(s: H, id: usize, what: &str, ok: impl Fn(&Conn) -> bool) -> Conn {
    let end = Instant::now() + LIMIT;
    loop {
        let c = with_conn(s, id, |c| c.clone());
        if ok(&c) {
            return c;
        }
        assert!(Instant::now() < end, "{what}: not seen on {id}: {c:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn cb(f: *const ()) -> Option<unsafe extern "C" fn()> {
    // SAFETY: every `f` is an `extern "C"` function of the type the setter's C callback has.
    Some(unsafe { std::mem::transmute::<*const (), unsafe extern "C" fn()>(f) })
}

fn errno() -> u32 {
    SYS_GetLastError()
}

unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        "(null)".into()
    } else {
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Sends on connection `id` of `s`, whichever kind it is.
unsafe fn send_text(s: H, id: usize, t: &[u8], len: c_int) -> c_int {
    let p = t.as_ptr() as *const c_char;
    match kind(s) {
        Kind::Server => HPX_WsServer_SendText(s, id, p, len),
        Kind::Agent => HPX_WsAgent_SendText(s, id, p, len),
        Kind::Client => HPX_WsClient_SendText(s, p, len),
    }
}

unsafe fn send_binary(s: H, id: usize, d: &[u8]) -> c_int {
    let n = d.len() as c_int;
    match kind(s) {
        Kind::Server => HPX_WsServer_SendBinary(s, id, d.as_ptr(), n),
        Kind::Agent => HPX_WsAgent_SendBinary(s, id, d.as_ptr(), n),
        Kind::Client => HPX_WsClient_SendBinary(s, d.as_ptr(), n),
    }
}

unsafe fn send_ping(s: H, id: usize, d: &[u8]) -> c_int {
    let n = d.len() as c_int;
    match kind(s) {
        Kind::Server => HPX_WsServer_SendPing(s, id, d.as_ptr(), n),
        Kind::Agent => HPX_WsAgent_SendPing(s, id, d.as_ptr(), n),
        Kind::Client => HPX_WsClient_SendPing(s, d.as_ptr(), n),
    }
}

unsafe fn close_ws(s: H, id: usize, code: u16, reason: *const c_char) -> c_int {
    match kind(s) {
        Kind::Server => HPX_WsServer_Close(s, id, code, reason),
        Kind::Agent => HPX_WsAgent_Close(s, id, code, reason),
        Kind::Client => HPX_WsClient_Close(s, code, reason),
    }
}

/// A response header through the getter of the agent or client `s`.
unsafe fn response_header(s: H, id: usize, name: &CStr) -> String {
    let mut v: *const c_char = std::ptr::null();
    let ok = if kind(s) == Kind::Agent {
        HP_HttpAgent_GetHeader(s, id, name.as_ptr(), &mut v)
    } else {
        HP_HttpClient_GetHeader(s, name.as_ptr(), &mut v)
    };
    if ok == TRUE {
        text(v)
    } else {
        "-".into()
    }
}

// ---- the callbacks, the same for every side ----

/// Server OnAccept / agent and client OnHandShake: a send before the WebSocket is open.
unsafe extern "C" fn on_early(s: H, id: usize) -> c_int {
    let r = send_text(s, id, b"too early\0", -1);
    let e = errno();
    assert_eq!(r, FALSE);
    with_conn(s, id, |c| c.early = Some(e));
    HR_OK
}

unsafe extern "C" fn on_accept(s: H, id: usize, _sock: usize) -> c_int {
    on_early(s, id)
}

unsafe extern "C" fn on_open(s: H, id: usize) -> c_int {
    let info = match kind(s) {
        Kind::Server => {
            OPENS
                .lock()
                .unwrap()
                .entry(s as usize)
                .or_default()
                .push(id);
            let mut proto: *const c_char = std::ptr::null();
            HP_HttpServer_GetHeader(s, id, c"Sec-WebSocket-Protocol".as_ptr(), &mut proto);
            vec![
                text(HP_HttpServer_GetMethod(s, id)),
                text(HP_HttpServer_GetUrlField(s, id, HUF_PATH)),
                text(HP_HttpServer_GetUrlField(s, id, HUF_QUERY)),
                text(proto),
            ]
        }
        k => {
            let status = if k == Kind::Agent {
                HP_HttpAgent_GetStatusCode(s, id)
            } else {
                HP_HttpClient_GetStatusCode(s)
            };
            vec![
                status.to_string(),
                response_header(s, id, c"Sec-WebSocket-Protocol"),
                response_header(s, id, c"Sec-WebSocket-Extensions"),
            ]
        }
    };
    with_conn(s, id, |c| c.open = Some(info));
    HR_OK
}

unsafe extern "C" fn on_message(s: H, id: usize, is_text: c_int, p: *const u8, n: c_int) -> c_int {
    let d = if n == 0 {
        Vec::new()
    } else {
        std::slice::from_raw_parts(p, n as usize).to_vec()
    };
    with_conn(s, id, |c| c.msgs.push((is_text == TRUE, d.clone())));
    if kind(s) != Kind::Server {
        return HR_OK;
    }
    if is_text == TRUE && d == b"error" {
        return HR_ERROR;
    }
    if is_text == TRUE && d == b"close-me" {
        with_conn(s, id, |c| c.initiated = true);
        assert_eq!(close_ws(s, id, 1001, c"going away".as_ptr()), TRUE);
        return HR_OK;
    }
    let ok = if is_text == TRUE {
        send_text(s, id, &d, d.len() as c_int)
    } else {
        send_binary(s, id, &d)
    };
    assert_eq!(ok, TRUE, "echo failed: errno {}", errno());
    HR_OK
}

unsafe extern "C" fn on_ping(s: H, id: usize, p: *const u8, n: c_int) -> c_int {
    let d = std::slice::from_raw_parts(p, n as usize).to_vec();
    with_conn(s, id, |c| c.pings.push(d));
    HR_OK
}

unsafe extern "C" fn on_pong(s: H, id: usize, p: *const u8, n: c_int) -> c_int {
    let d = std::slice::from_raw_parts(p, n as usize).to_vec();
    with_conn(s, id, |c| c.pongs.push(d));
    HR_OK
}

unsafe extern "C" fn on_ws_close(s: H, id: usize, code: c_int, reason: *const c_char) -> c_int {
    // The answer to our close: nothing may be sent any more. (A close the peer started is
    // answered when this callback returns; a send from here would still go out first.)
    let after = if with_conn(s, id, |c| c.initiated) {
        let r = send_text(s, id, b"late\0", -1);
        Some((r, errno()))
    } else {
        None
    };
    let reason = text(reason);
    with_conn(s, id, |c| {
        c.ws_close = Some((code, reason));
        c.after_close = after;
    });
    HR_OK
}

unsafe extern "C" fn on_close(s: H, id: usize, op: c_int, err: c_int) -> c_int {
    with_conn(s, id, |c| c.closed = Some((op, err)));
    HR_OK
}

/// Plain requests: answered with their path.
unsafe extern "C" fn on_complete(s: H, id: usize) -> c_int {
    let path = CStr::from_ptr(HP_HttpServer_GetUrlField(s, id, HUF_PATH)).to_bytes();
    let ok = HP_HttpServer_SendResponse(
        s,
        id,
        200,
        std::ptr::null(),
        std::ptr::null(),
        0,
        path.as_ptr(),
        path.len() as c_int,
    );
    assert_eq!(ok, TRUE);
    if HP_HttpServer_IsKeepAlive(s, id) == FALSE {
        assert_eq!(HP_HttpServer_Release(s, id), TRUE);
    }
    HPR_OK
}

/// A listener with every callback above, for `kind`.
fn listener(kind: Kind) -> H {
    let l = Create_HPX_WsListener();
    assert!(!l.is_null());
    HPX_Set_FN_Ws_OnWsOpen(l, cb(on_open as *const ()));
    HPX_Set_FN_Ws_OnWsMessage(l, cb(on_message as *const ()));
    HPX_Set_FN_Ws_OnWsPing(l, cb(on_ping as *const ()));
    HPX_Set_FN_Ws_OnWsPong(l, cb(on_pong as *const ()));
    HPX_Set_FN_Ws_OnWsClose(l, cb(on_ws_close as *const ()));
    match kind {
        Kind::Server => {
            HPX_Set_FN_WsServer_OnAccept(l, cb(on_accept as *const ()));
            HPX_Set_FN_WsServer_OnClose(l, cb(on_close as *const ()));
            HPX_Set_FN_WsServer_OnMessageComplete(l, cb(on_complete as *const ()));
        }
        Kind::Agent => {
            HPX_Set_FN_WsAgent_OnHandShake(l, cb(on_early as *const ()));
            HPX_Set_FN_WsAgent_OnClose(l, cb(on_close as *const ()));
        }
        Kind::Client => {
            HPX_Set_FN_WsClient_OnHandShake(l, cb(on_early as *const ()));
            HPX_Set_FN_WsClient_OnClose(l, cb(on_close as *const ()));
        }
    }
    l
}

struct Pem {
    ca: CString,
    cert: CString,
    key: CString,
}

static PEM: LazyLock<Pem> = LazyLock::new(|| {
    let pki = Pki::new();
    let leaf = pki.leaf(&["localhost", "127.0.0.1"]);
    Pem {
        ca: CString::new(pki.ca.clone()).unwrap(),
        cert: CString::new(leaf.cert).unwrap(),
        key: CString::new(leaf.key).unwrap(),
    }
});

/// A WebSocket echo server on 127.0.0.1 (TLS with `tls`) speaking "chat" and "superchat",
/// accepting permessage-deflate: (listener, server, port).
fn server(tls: bool) -> (H, H, u16) {
    let l = listener(Kind::Server);
    let s = if tls {
        Create_HPX_WssServer(l)
    } else {
        Create_HPX_WsServer(l)
    };
    assert!(!s.is_null());
    KINDS.lock().unwrap().insert(s as usize, Kind::Server);
    unsafe {
        assert_eq!(
            HPX_WsServer_SetProtocols(s, c"chat, superchat".as_ptr()),
            TRUE
        );
        assert_eq!(HPX_WsServer_SetDeflate(s, TRUE), TRUE);
        // For plain requests answered `Connection: close` (see `on_complete`).
        HP_HttpServer_SetReleaseDelay(s, 100);
        assert_eq!(HP_HttpServer_GetReleaseDelay(s), 100);
        if tls {
            // Start fails without a context.
            assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), FALSE);
            assert_eq!(HP_Server_GetLastError(s), SE_SSL_ENV_NOT_READY);
            let p = &*PEM;
            let n = std::ptr::null();
            let ok = HP_SSLServer_SetupSSLContextByMemory(
                s,
                SSL_VM_NONE,
                p.cert.as_ptr(),
                p.key.as_ptr(),
                n,
                n,
                None,
            );
            assert_eq!(ok, TRUE, "errno {}", errno());
        }
        assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), TRUE);
        assert_eq!(HP_Server_IsSecure(s), tls as c_int);
        let mut buf = [0 as c_char; 64];
        let (mut len, mut port) = (64, 0u16);
        assert_eq!(
            HP_Server_GetListenAddress(s, buf.as_mut_ptr(), &mut len, &mut port),
            TRUE
        );
        (l, s, port)
    }
}

/// An agent or a client (TLS with `tls`), started.
fn peer(kind: Kind, tls: bool, port: u16, setup: impl FnOnce(H)) -> (H, H) {
    let l = listener(kind);
    let h = match (kind, tls) {
        (Kind::Agent, false) => Create_HPX_WsAgent(l),
        (Kind::Agent, true) => Create_HPX_WssAgent(l),
        (Kind::Client, false) => Create_HPX_WsClient(l),
        (Kind::Client, true) => Create_HPX_WssClient(l),
        (Kind::Server, _) => unreachable!(),
    };
    assert!(!h.is_null());
    KINDS.lock().unwrap().insert(h as usize, kind);
    setup(h);
    unsafe {
        if tls {
            let n = std::ptr::null();
            let ca = PEM.ca.as_ptr();
            let ok = if kind == Kind::Agent {
                HP_SSLAgent_SetupSSLContextByMemory(h, SSL_VM_PEER, n, n, n, ca)
            } else {
                HP_SSLClient_SetupSSLContextByMemory(h, SSL_VM_PEER, n, n, n, ca)
            };
            assert_eq!(ok, TRUE, "errno {}", errno());
        }
        if kind == Kind::Agent {
            assert_eq!(HP_Agent_Start(h, std::ptr::null(), FALSE), TRUE);
            assert_eq!(HP_Agent_IsSecure(h), tls as c_int);
        } else {
            assert_eq!(HP_Client_Start(h, LOCALHOST.as_ptr(), port, FALSE), TRUE);
            assert_eq!(HP_Client_IsSecure(h), tls as c_int);
        }
    }
    (l, h)
}

/// Opens a connection of agent `a` to `port`.
fn connect(a: H, port: u16) -> usize {
    let mut id = 0usize;
    unsafe {
        assert_eq!(HP_Agent_Connect(a, LOCALHOST.as_ptr(), port, &mut id), TRUE);
    }
    id
}

/// How many connections server `s` has opened so far.
fn opens(s: H) -> usize {
    OPENS.lock().unwrap().get(&(s as usize)).map_or(0, Vec::len)
}

/// Waits for connection `id` of `h` to open, and for the server's side of it (its `before`-th
/// open: connections are opened one at a time); its record and the server's ID for it.
fn opened(s: H, h: H, id: usize, before: usize) -> (Conn, usize) {
    let c = wait_conn(h, id, "OnWsOpen", |c| c.open.is_some());
    let end = Instant::now() + LIMIT;
    while opens(s) <= before {
        assert!(Instant::now() < end, "the server opened no new connection");
        std::thread::sleep(Duration::from_millis(5));
    }
    (c, OPENS.lock().unwrap()[&(s as usize)][before])
}

/// The messages `h` sends on `id`, echoed by the server.
fn exchange(s: H, h: H, id: usize, sid: usize) {
    let big: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let all: Vec<u8> = (0..=255).collect();
    unsafe {
        // A length shorter than the text: only those bytes ("héllo ", whole characters).
        assert_eq!(send_text(h, id, "héllo ✓".as_bytes(), 7), TRUE);
        assert_eq!(send_binary(h, id, &all), TRUE);
        assert_eq!(send_text(h, id, b"", 0), TRUE);
        assert_eq!(send_binary(h, id, &big), TRUE);
        assert_eq!(send_text(h, id, b"nul-terminated\0", -1), TRUE);
        assert_eq!(send_ping(h, id, b"p1"), TRUE);
    }
    let want: Vec<(bool, Vec<u8>)> = vec![
        (true, "héllo ✓".as_bytes()[..7].to_vec()),
        (false, all),
        (true, Vec::new()),
        (false, big),
        (true, b"nul-terminated".to_vec()),
    ];
    let c = wait_conn(h, id, "the echoes and the pong", |c| {
        c.msgs.len() >= want.len() && !c.pongs.is_empty()
    });
    assert_eq!(c.msgs.len(), want.len());
    for (i, (got, w)) in c.msgs.iter().zip(&want).enumerate() {
        assert!(got == w, "echo {i}: {} bytes, text {}", got.1.len(), got.0);
    }
    assert_eq!(c.pongs, vec![b"p1".to_vec()]);
    let sc = wait_conn(s, sid, "the ping", |c| !c.pings.is_empty());
    assert_eq!(sc.pings, vec![b"p1".to_vec()]);
    assert_eq!(sc.msgs, want, "what the server received");
}

/// `h` closes `id` with `code` and `reason`; both sides see it and close (SO_CLOSE, 0).
fn close_and_check(s: H, h: H, id: usize, sid: usize, code: u16, reason: Option<&CStr>) {
    let r = reason.map_or(std::ptr::null(), CStr::as_ptr);
    with_conn(h, id, |c| c.initiated = true);
    unsafe {
        assert_eq!(close_ws(h, id, code, r), TRUE, "errno {}", errno());
    }
    let reason = reason.map_or(String::new(), |r| r.to_string_lossy().into_owned());
    let sc = wait_conn(s, sid, "the server's close", |c| c.closed.is_some());
    assert_eq!(sc.ws_close, Some((code as c_int, reason)));
    assert_eq!(sc.closed, Some((SO_CLOSE, 0)));
    let c = wait_conn(h, id, "the peer's close", |c| c.closed.is_some());
    // The answer repeats the code, without the reason.
    assert_eq!(
        c.ws_close,
        Some((code as c_int, String::new())),
        "the answer"
    );
    assert_eq!(
        c.after_close,
        Some((FALSE, EPERM)),
        "a send after our close"
    );
    assert_eq!(c.closed, Some((SO_CLOSE, 0)));
}

/// The whole conversation of a client and of an agent (two connections) with one server.
fn conversation(tls: bool) {
    let (sl, s, port) = server(tls);

    // The client: path, one subprotocol, no deflate.
    let n = opens(s);
    let (cl, c) = peer(Kind::Client, tls, port, |h| unsafe {
        assert_eq!(HPX_WsClient_SetPath(h, c"/chat?room=1".as_ptr()), TRUE);
        assert_eq!(HPX_WsClient_SetProtocols(h, c"superchat".as_ptr()), TRUE);
    });
    let id = HP_Client_GetConnectionID(c);
    let (cc, sid) = opened(s, c, id, n);
    assert_eq!(cc.early, Some(EPERM), "a send in OnHandShake");
    assert_eq!(cc.open.unwrap(), ["101", "superchat", "-"]);
    let sc = wait_conn(s, sid, "server open", |c| c.open.is_some());
    assert_eq!(sc.early, Some(EPERM), "a send in OnAccept");
    assert_eq!(sc.open.unwrap(), ["GET", "/chat", "room=1", "superchat"]);
    unsafe {
        // The getters still answer after the callback.
        assert_eq!(text(HP_HttpServer_GetUrlField(s, sid, HUF_PATH)), "/chat");
        assert_eq!(HP_HttpClient_GetStatusCode(c), 101);
    }
    exchange(s, c, id, sid);
    close_and_check(s, c, id, sid, 4000, Some(c"bye"));

    // The agent: deflate and 1000-byte fragments, no subprotocol; two connections.
    let (al, a) = peer(Kind::Agent, tls, port, |h| {
        assert_eq!(HPX_WsAgent_SetDeflate(h, TRUE), TRUE);
        assert_eq!(HPX_WsAgent_SetFragmentSize(h, 1000), TRUE);
    });
    let id1 = connect(a, port);
    let (ac, sid1) = opened(s, a, id1, n + 1);
    assert_eq!(ac.early, Some(EPERM));
    let info = ac.open.unwrap();
    assert_eq!(info[..2], ["101", "-"]);
    assert!(info[2].starts_with("permessage-deflate"), "{info:?}");
    let id2 = connect(a, port);
    let (_, sid2) = opened(s, a, id2, n + 2);
    exchange(s, a, id1, sid1);
    exchange(s, a, id2, sid2);
    close_and_check(s, a, id1, sid1, 1000, None);

    // A close started by the server.
    unsafe {
        assert_eq!(send_text(a, id2, b"close-me", 8), TRUE);
    }
    let c2 = wait_conn(a, id2, "the server's close", |c| c.closed.is_some());
    assert_eq!(c2.ws_close, Some((1001, "going away".into())));
    assert_eq!(c2.closed, Some((SO_CLOSE, 0)));
    let s2 = wait_conn(s, sid2, "closed", |c| c.closed.is_some());
    assert_eq!(s2.ws_close, Some((1001, String::new())), "the answer");
    assert_eq!(s2.after_close, Some((FALSE, EPERM)));

    assert_eq!(HP_Agent_Stop(a), TRUE);
    HP_Client_Stop(c); // stopped by itself when its connection closed
    assert_eq!(HP_Server_Stop(s), TRUE);
    if tls {
        Destroy_HPX_WssAgent(a);
        Destroy_HPX_WssClient(c);
        Destroy_HPX_WssServer(s);
    } else {
        Destroy_HPX_WsAgent(a);
        Destroy_HPX_WsClient(c);
        Destroy_HPX_WsServer(s);
    }
    for l in [al, cl, sl] {
        Destroy_HPX_WsListener(l);
    }
}

#[test]
fn ws_client_and_agent_talk_to_a_ws_server() {
    conversation(false);
}

#[test]
fn wss_client_and_agent_talk_to_a_wss_server_over_tls() {
    conversation(true);
}

/// Reads one HTTP response (`Connection: close`) from a raw connection.
fn raw(port: u16, request: &str) -> String {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = c.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn plain_requests_bad_upgrades_bad_arguments_and_refusing_callbacks() {
    let (l, s, port) = server(false);

    // A plain GET reaches OnMessageComplete, answered with SendResponse.
    let a = raw(
        port,
        "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(a.starts_with("HTTP/1.1 200 "), "{a}");
    assert!(a.ends_with("\r\n\r\n/hello"), "{a}");

    // An upgrade without a key: 400, no OnWsOpen.
    let a = raw(
        port,
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
    );
    assert!(a.starts_with("HTTP/1.1 400 "), "{a}");
    assert_eq!(opens(s), 0);

    let (cl, c) = peer(Kind::Client, false, port, |_| {});
    let id = HP_Client_GetConnectionID(c);
    let (_, sid) = opened(s, c, id, 0);
    // Arguments the library refuses on an open connection (EINVAL), which stays open.
    let long = [b'r'; 126];
    let long_reason = CString::new(&long[..124]).unwrap();
    unsafe {
        assert_eq!(HPX_WsClient_SendPing(c, long.as_ptr(), 126), FALSE);
        assert_eq!(errno(), EINVAL);
        assert_eq!(HPX_WsServer_SendPing(s, sid, long.as_ptr(), 126), FALSE);
        assert_eq!(errno(), EINVAL);
        // 0 is a close without a status only with no reason.
        let x = CString::new("x").unwrap();
        assert_eq!(HPX_WsClient_Close(c, 0, x.as_ptr()), FALSE);
        assert_eq!(errno(), EINVAL);
        for code in [999u16, 1004, 1005, 1006, 1015, 2999, 5000] {
            assert_eq!(
                HPX_WsClient_Close(c, code, std::ptr::null()),
                FALSE,
                "{code}"
            );
            assert_eq!(errno(), EINVAL);
        }
        assert_eq!(
            HPX_WsServer_Close(s, sid, 1000, long_reason.as_ptr()),
            FALSE
        );
        assert_eq!(errno(), EINVAL);
        assert_eq!(HPX_WsClient_SendPing(c, long.as_ptr(), 125), TRUE);
        let sc = wait_conn(s, sid, "the ping", |c| !c.pings.is_empty());
        assert_eq!(sc.pings, vec![long[..125].to_vec()]);
    }

    // HR_ERROR from OnWsMessage closes the connection without a close frame.
    unsafe {
        assert_eq!(send_text(c, id, b"error", 5), TRUE);
    }
    let sc = wait_conn(s, sid, "closed", |c| c.closed.is_some());
    assert_eq!(sc.closed, Some((SO_RECEIVE, ECANCELED)));
    assert_eq!(sc.ws_close, None);
    let cc = wait_conn(c, id, "closed", |c| c.closed.is_some());
    assert_eq!(cc.ws_close, None, "no close frame");
    unsafe {
        // The client is stopped once its connection closed: its sends are refused.
        assert_eq!(send_text(c, id, b"x", 1), FALSE);
        assert_eq!(HP_Server_Stop(s), TRUE);
    }
    Destroy_HPX_WsClient(c);
    Destroy_HPX_WsServer(s);
    Destroy_HPX_WsListener(cl);
    Destroy_HPX_WsListener(l);
}
