//! The WebSocket functions of the C API called directly from Rust (the `extern "C"` functions
//! of the rlib) on loopback:
//!
//! - a C-ABI HttpServer whose callbacks answer the upgrade with `HP_HttpServer_SendResponse`
//!   (101, the accept key computed here) and echo every frame with
//!   `HP_HttpServer_SendWSMessage` (a close frame is echoed, then the connection closed);
//! - a C-ABI HttpClient and a C-ABI HttpAgent upgrade to it and send masked frames: a NULL
//!   mask (a random key, which the server sees) and a chosen one, a 70,000-byte body with a
//!   reserved bit, a fragmented message, a body announced longer than the data and finished
//!   with a plain send the test masks itself, and a close; the caller's buffer is left as it
//!   was; the echoes come back byte-exact and unmasked; `GetWSMessageState` inside
//!   `OnWSMessageBody` on both sides (final, reserved, opcode, mask, length, remain) and
//!   between frames (all zero);
//! - `GetWSMessageState` on a plain HTTP connection fails (EPERM), so do unknown IDs
//!   (EBADSLT), destroyed handles (EBADF), a `ullBodyLen` below the data and a NULL `pData`
//!   (EINVAL);
//! - `HR_ERROR` from `OnWSMessageHeader` closes the connection (SO_RECEIVE, ECANCELED).
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

use std::collections::{HashMap, HashSet};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr::null_mut as no;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use hpsocket4c::agent::*;
use hpsocket4c::client::*;
use hpsocket4c::http::*;
use hpsocket4c::listener::*;
use hpsocket4c::server::*;
use hpsocket4c::sys::SYS_GetLastError;
use hpsocket4c::ws::*;

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const HPR_OK: c_int = 0;
const HR_OK: c_int = 0;
const HR_ERROR: c_int = 2;
const HUT_WEB_SOCKET: c_int = 1;
const SO_RECEIVE: c_int = 4;
const ECANCELED: c_int = 125;
const EPERM: u32 = 1;
const EBADF: u32 = 9;
const EINVAL: u32 = 22;
const EBADSLT: u32 = 57;

const LIMIT: Duration = Duration::from_secs(20);
const LOCALHOST: &CStr = c"127.0.0.1";
/// The chosen masking key.
const KEY: [u8; 4] = [0x11, 0x22, 0x33, 0x44];
/// The client's handshake key (RFC 6455's example).
const WS_KEY: &CStr = c"dGhlIHNhbXBsZSBub25jZQ==";

/// A frame header as a callback saw it: (fin, rsv, opcode, mask, body length).
type Head = (bool, u8, u8, Option<[u8; 4]>, u64);

/// What `GetWSMessageState` reports: (fin, rsv, opcode, mask, length, remain).
type Fields = (bool, u8, u8, Option<[u8; 4]>, u64, u64);

/// What `GetWSMessageState` reported: (fin, rsv, opcode, mask, length, remain), plus the
/// body bytes received so far in that frame (this piece included).
type State = (bool, u8, u8, Option<[u8; 4]>, u64, u64, u64);

/// What one side saw on one connection.
#[derive(Default, Clone)]
struct Conn {
    heads: Vec<Head>,
    body: Vec<u8>,
    /// (fin, rsv, opcode, body) of each complete frame.
    frames: Vec<(bool, u8, u8, Vec<u8>)>,
    /// The state in the first body event of each frame.
    states: Vec<State>,
    upgraded: bool,
    closed: Option<(c_int, c_int)>,
}

/// By (component handle, connection ID).
static CONNS: LazyLock<Mutex<HashMap<(usize, usize), Conn>>> = LazyLock::new(Default::default);
/// The handles of the agents and clients (the rest are servers).
static AGENTS: LazyLock<Mutex<HashSet<usize>>> = LazyLock::new(Default::default);
static CLIENTS: LazyLock<Mutex<HashSet<usize>>> = LazyLock::new(Default::default);
/// The connections each server upgraded, in order.
static UPGRADED: LazyLock<Mutex<HashMap<usize, Vec<usize>>>> = LazyLock::new(Default::default);

fn with_conn<R>(s: H, id: usize, f: impl FnOnce(&mut Conn) -> R) -> R {
    f(CONNS.lock().unwrap().entry((s as usize, id)).or_default())
}

fn conn(s: H, id: usize) -> Conn {
    with_conn(s, id, |c| c.clone())
}

/// Waits until `ok` holds for connection (s, id); its record.
fn wait_conn(s: H, id: usize, what: &str, ok: impl Fn(&Conn) -> bool) -> Conn {
    let end = Instant::now() + LIMIT;
    loop {
        let c = conn(s, id);
        if ok(&c) {
            return c;
        }
        assert!(
            Instant::now() < end,
            "{what}: not seen on ({s:?}, {id}); frames {}, closed {:?}",
            c.frames.len(),
            c.closed
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn cb(f: *const ()) -> Option<unsafe extern "C" fn()> {
    // SAFETY: every `f` is an `extern "C"` function of the type the setter's C callback has.
    Some(unsafe { std::mem::transmute::<*const (), unsafe extern "C" fn()>(f) })
}

fn nv(name: &'static CStr, value: *const c_char) -> TNVPair {
    TNVPair {
        name: name.as_ptr(),
        value,
    }
}

fn errno() -> u32 {
    SYS_GetLastError()
}

/// The frame state of connection `id` of `s` through the export of its role: TRUE and the
/// state, or FALSE.
unsafe fn ws_state(s: H, id: usize) -> Option<Fields> {
    let (mut fin, mut rsv, mut op) = (0, 0u8, 0u8);
    let mut mask: *const u8 = std::ptr::null();
    let (mut len, mut remain) = (0u64, 0u64);
    let ok = if CLIENTS.lock().unwrap().contains(&(s as usize)) {
        HP_HttpClient_GetWSMessageState(
            s,
            &mut fin,
            &mut rsv,
            &mut op,
            &mut mask,
            &mut len,
            &mut remain,
        )
    } else if AGENTS.lock().unwrap().contains(&(s as usize)) {
        HP_HttpAgent_GetWSMessageState(
            s,
            id,
            &mut fin,
            &mut rsv,
            &mut op,
            &mut mask,
            &mut len,
            &mut remain,
        )
    } else {
        HP_HttpServer_GetWSMessageState(
            s,
            id,
            &mut fin,
            &mut rsv,
            &mut op,
            &mut mask,
            &mut len,
            &mut remain,
        )
    };
    (ok == TRUE).then(|| {
        let mask = (!mask.is_null()).then(|| std::ptr::read(mask as *const [u8; 4]));
        (fin == TRUE, rsv, op, mask, len, remain)
    })
}

/// `HP_HttpServer_GetWSMessageState` with every out-parameter NULL.
unsafe fn server_state_no_out(s: H, id: usize) -> c_int {
    HP_HttpServer_GetWSMessageState(s, id, no(), no(), no(), no(), no(), no())
}

// ---- callbacks shared by every role ----

unsafe extern "C" fn on_ws_header(
    s: H,
    id: usize,
    fin: c_int,
    rsv: u8,
    op: u8,
    mask: *const u8,
    len: u64,
) -> c_int {
    let mask = (!mask.is_null()).then(|| std::ptr::read(mask as *const [u8; 4]));
    with_conn(s, id, |c| {
        c.heads.push((fin == TRUE, rsv, op, mask, len));
        c.body.clear();
    });
    // A server refuses frames with RSV2 set.
    if rsv & 0x2 != 0 && !CLIENTS.lock().unwrap().contains(&(s as usize)) {
        return HR_ERROR;
    }
    HR_OK
}

unsafe extern "C" fn on_ws_body(s: H, id: usize, p: *const u8, n: c_int) -> c_int {
    let d = std::slice::from_raw_parts(p, n as usize);
    let first = with_conn(s, id, |c| {
        c.body.extend_from_slice(d);
        c.body.len() == d.len()
    });
    if first {
        let st = ws_state(s, id).expect("GetWSMessageState inside OnWSMessageBody");
        with_conn(s, id, |c| {
            let got = c.body.len() as u64;
            c.states.push((st.0, st.1, st.2, st.3, st.4, st.5, got));
        });
    }
    HR_OK
}

unsafe extern "C" fn on_ws_complete(s: H, id: usize) -> c_int {
    let (fin, rsv, op, body) = with_conn(s, id, |c| {
        let h = *c.heads.last().expect("a header before the completion");
        let body = std::mem::take(&mut c.body);
        c.frames.push((h.0, h.1, h.2, body.clone()));
        (h.0, h.1, h.2, body)
    });
    let is_server = !CLIENTS.lock().unwrap().contains(&(s as usize))
        && !AGENTS.lock().unwrap().contains(&(s as usize));
    if is_server {
        let ok = HP_HttpServer_SendWSMessage(
            s,
            id,
            fin as c_int,
            rsv,
            op,
            body.as_ptr(),
            body.len() as c_int,
            0,
        );
        assert_eq!(ok, TRUE, "echo: errno {}", errno());
        if op == 0x8 {
            HP_Server_Disconnect(s, id, TRUE);
        }
    }
    HR_OK
}

unsafe extern "C" fn on_close(s: H, id: usize, op: c_int, err: c_int) -> c_int {
    with_conn(s, id, |c| c.closed = Some((op, err)));
    HR_OK
}

// ---- the server ----

/// Answers a WebSocket upgrade with 101 and the accept key of the request's key.
unsafe extern "C" fn srv_upgrade(s: H, id: usize, kind: c_int) -> c_int {
    assert_eq!(kind, HUT_WEB_SOCKET);
    let mut key: *const c_char = std::ptr::null();
    assert_eq!(
        HP_HttpServer_GetHeader(s, id, c"Sec-WebSocket-Key".as_ptr(), &mut key),
        TRUE
    );
    let key = CStr::from_ptr(key).to_str().unwrap();
    let accept = CString::new(hpsocket::ws_accept_key(key)).unwrap();
    let headers = [
        nv(c"Upgrade", c"websocket".as_ptr()),
        nv(c"Connection", c"Upgrade".as_ptr()),
        nv(c"Sec-WebSocket-Accept", accept.as_ptr()),
    ];
    let ok = HP_HttpServer_SendResponse(
        s,
        id,
        101,
        std::ptr::null(),
        headers.as_ptr(),
        3,
        std::ptr::null(),
        0,
    );
    assert_eq!(ok, TRUE);
    UPGRADED
        .lock()
        .unwrap()
        .entry(s as usize)
        .or_default()
        .push(id);
    HPR_OK
}

/// Plain requests get `200 plain`.
unsafe extern "C" fn srv_complete(s: H, id: usize) -> c_int {
    if HP_HttpServer_IsUpgrade(s, id) == FALSE {
        let body = b"plain";
        HP_HttpServer_SendResponse(
            s,
            id,
            200,
            std::ptr::null(),
            std::ptr::null(),
            0,
            body.as_ptr(),
            5,
        );
    }
    HPR_OK
}

/// A C-ABI WebSocket echo server on 127.0.0.1: (listener, server, port).
fn ws_server() -> (H, H, u16) {
    let l = Create_HP_HttpServerListener();
    HP_Set_FN_HttpServer_OnUpgrade(l, cb(srv_upgrade as *const ()));
    HP_Set_FN_HttpServer_OnMessageComplete(l, cb(srv_complete as *const ()));
    HP_Set_FN_HttpServer_OnWSMessageHeader(l, cb(on_ws_header as *const ()));
    HP_Set_FN_HttpServer_OnWSMessageBody(l, cb(on_ws_body as *const ()));
    HP_Set_FN_HttpServer_OnWSMessageComplete(l, cb(on_ws_complete as *const ()));
    HP_Set_FN_HttpServer_OnClose(l, cb(on_close as *const ()));
    let s = Create_HP_HttpServer(l);
    assert!(!s.is_null());
    unsafe {
        assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), TRUE);
        let mut buf = [0 as c_char; 64];
        let (mut len, mut port) = (64, 0u16);
        assert_eq!(
            HP_Server_GetListenAddress(s, buf.as_mut_ptr(), &mut len, &mut port),
            TRUE
        );
        (l, s, port)
    }
}

/// The connection the server upgraded last, once there is a new one beyond `before`.
fn upgraded_on_server(s: H, before: usize) -> usize {
    let end = Instant::now() + LIMIT;
    loop {
        if let Some(v) = UPGRADED.lock().unwrap().get(&(s as usize)) {
            if v.len() > before {
                return v[before];
            }
        }
        assert!(
            Instant::now() < end,
            "the server upgraded no new connection"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn upgrades_so_far(s: H) -> usize {
    UPGRADED
        .lock()
        .unwrap()
        .get(&(s as usize))
        .map_or(0, Vec::len)
}

// ---- the client side ----

unsafe extern "C" fn peer_upgrade(s: H, id: usize, kind: c_int) -> c_int {
    assert_eq!(kind, HUT_WEB_SOCKET);
    with_conn(s, id, |c| c.upgraded = true);
    HPR_OK
}

/// A client or an agent through the C ABI: its handle, listener and connection ID.
struct Peer {
    h: H,
    l: H,
    id: usize,
    agent: bool,
}

impl Peer {
    fn new(agent: bool, port: u16) -> Peer {
        unsafe {
            let (l, h, id);
            if agent {
                l = Create_HP_HttpAgentListener();
                HP_Set_FN_HttpAgent_OnUpgrade(l, cb(peer_upgrade as *const ()));
                HP_Set_FN_HttpAgent_OnWSMessageHeader(l, cb(on_ws_header as *const ()));
                HP_Set_FN_HttpAgent_OnWSMessageBody(l, cb(on_ws_body as *const ()));
                HP_Set_FN_HttpAgent_OnWSMessageComplete(l, cb(on_ws_complete as *const ()));
                HP_Set_FN_HttpAgent_OnClose(l, cb(on_close as *const ()));
                h = Create_HP_HttpAgent(l);
                AGENTS.lock().unwrap().insert(h as usize);
                assert_eq!(HP_Agent_Start(h, std::ptr::null(), FALSE), TRUE);
                let mut cid = 0usize;
                assert_eq!(
                    HP_Agent_Connect(h, LOCALHOST.as_ptr(), port, &mut cid),
                    TRUE
                );
                id = cid;
            } else {
                l = Create_HP_HttpClientListener();
                HP_Set_FN_HttpClient_OnUpgrade(l, cb(peer_upgrade as *const ()));
                HP_Set_FN_HttpClient_OnWSMessageHeader(l, cb(on_ws_header as *const ()));
                HP_Set_FN_HttpClient_OnWSMessageBody(l, cb(on_ws_body as *const ()));
                HP_Set_FN_HttpClient_OnWSMessageComplete(l, cb(on_ws_complete as *const ()));
                HP_Set_FN_HttpClient_OnClose(l, cb(on_close as *const ()));
                h = Create_HP_HttpClient(l);
                CLIENTS.lock().unwrap().insert(h as usize);
                assert_eq!(HP_Client_Start(h, LOCALHOST.as_ptr(), port, FALSE), TRUE);
                id = HP_Client_GetConnectionID(h);
            }
            Peer { h, l, id, agent }
        }
    }

    /// Sends the upgrade request and waits until frames can flow (GetWSMessageState answers,
    /// all zero).
    fn upgrade(&self) {
        let headers = [
            nv(c"Upgrade", c"websocket".as_ptr()),
            nv(c"Connection", c"Upgrade".as_ptr()),
            nv(c"Sec-WebSocket-Key", WS_KEY.as_ptr()),
            nv(c"Sec-WebSocket-Version", c"13".as_ptr()),
        ];
        unsafe {
            let ok = if self.agent {
                HP_HttpAgent_SendGet(self.h, self.id, c"/ws".as_ptr(), headers.as_ptr(), 4)
            } else {
                HP_HttpClient_SendGet(self.h, c"/ws".as_ptr(), headers.as_ptr(), 4)
            };
            assert_eq!(ok, TRUE);
        }
        wait_conn(self.h, self.id, "upgrade", |c| c.upgraded);
        let end = Instant::now() + LIMIT;
        loop {
            if let Some(st) = unsafe { ws_state(self.h, self.id) } {
                assert_eq!(st, (false, 0, 0, None, 0, 0), "between frames");
                return;
            }
            assert!(Instant::now() < end, "GetWSMessageState never answered");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// SendWSMessage through the role's export.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        fin: bool,
        rsv: u8,
        op: u8,
        mask: Option<&[u8; 4]>,
        d: &[u8],
        body_len: u64,
    ) -> c_int {
        let m = mask.map_or(std::ptr::null(), |m| m.as_ptr());
        unsafe {
            if self.agent {
                HP_HttpAgent_SendWSMessage(
                    self.h,
                    self.id,
                    fin as c_int,
                    rsv,
                    op,
                    m,
                    d.as_ptr(),
                    d.len() as c_int,
                    body_len,
                )
            } else {
                HP_HttpClient_SendWSMessage(
                    self.h,
                    fin as c_int,
                    rsv,
                    op,
                    m,
                    d.as_ptr(),
                    d.len() as c_int,
                    body_len,
                )
            }
        }
    }

    /// A plain send on the connection.
    fn send_raw(&self, d: &[u8]) {
        let ok = unsafe {
            if self.agent {
                HP_Agent_Send(self.h, self.id, d.as_ptr(), d.len() as c_int)
            } else {
                HP_Client_Send(self.h, d.as_ptr(), d.len() as c_int)
            }
        };
        assert_eq!(ok, TRUE);
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if self.agent {
            Destroy_HP_HttpAgent(self.h);
            Destroy_HP_HttpAgentListener(self.l);
        } else {
            Destroy_HP_HttpClient(self.h);
            Destroy_HP_HttpClientListener(self.l);
        }
    }
}

/// `len` bytes of a pattern.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Upgrades `p`, sends the frames, checks both sides' views.
fn echo_session(s: H, p: &Peer) {
    let before = upgrades_so_far(s);
    p.upgrade();
    let sid = upgraded_on_server(s, before);

    let text = b"hello, websocket".to_vec();
    let big = pattern(70_000, 7);
    let big_copy = big.clone();
    let (frag1, frag2) = (b"frag-".to_vec(), b"ment".to_vec());
    // A 25-byte body: 10 bytes through SendWSMessage, 15 by a plain send, masked here with
    // the key continued from offset 10.
    let long = pattern(25, 99);
    let mut rest = long[10..].to_vec();
    for (i, b) in rest.iter_mut().enumerate() {
        *b ^= KEY[(10 + i) % 4];
    }
    let close = [0x03u8, 0xE8];

    assert_eq!(p.send(true, 0, 0x1, None, &text, 0), TRUE);
    assert_eq!(p.send(true, 0x4, 0x2, Some(&KEY), &big, 0), TRUE);
    assert_eq!(big, big_copy, "the caller's buffer was written");
    assert_eq!(p.send(false, 0, 0x1, Some(&KEY), &frag1, 0), TRUE);
    assert_eq!(p.send(true, 0, 0x0, None, &frag2, 0), TRUE);
    assert_eq!(p.send(true, 0, 0x2, Some(&KEY), &long[..10], 25), TRUE);
    p.send_raw(&rest);
    assert_eq!(p.send(true, 0, 0x8, None, &close, 0), TRUE);

    let want: Vec<(bool, u8, u8, Vec<u8>)> = vec![
        (true, 0, 0x1, text),
        (true, 0x4, 0x2, big),
        (false, 0, 0x1, frag1),
        (true, 0, 0x0, frag2),
        (true, 0, 0x2, long),
        (true, 0, 0x8, close.to_vec()),
    ];
    let c = wait_conn(p.h, p.id, "the echoes", |c| c.frames.len() >= want.len());
    let srv = conn(s, sid);
    assert_eq!(srv.frames, want, "what the server received");
    assert_eq!(c.frames, want, "the echoes");

    // The server saw masks: a random key where NULL was given, KEY where it was chosen.
    let masks: Vec<Option<[u8; 4]>> = srv.heads.iter().map(|h| h.3).collect();
    assert!(masks.iter().all(Option::is_some), "{masks:?}");
    assert_eq!(masks[1], Some(KEY));
    assert_eq!(masks[4], Some(KEY));
    let lens: Vec<u64> = srv.heads.iter().map(|h| h.4).collect();
    assert_eq!(lens, [16, 70_000, 5, 4, 25, 2]);
    // The client's frames are unmasked, the echoed headers alike.
    assert!(c.heads.iter().all(|h| h.3.is_none()), "{:?}", c.heads);
    assert_eq!(c.heads.iter().map(|h| h.4).collect::<Vec<_>>(), lens);

    // The states read inside OnWSMessageBody: the frame's fields, and what is left.
    for (side, states, heads) in [
        ("server", &srv.states, &srv.heads),
        ("client", &c.states, &c.heads),
    ] {
        assert_eq!(states.len(), heads.len(), "{side}: one state per frame");
        for (st, h) in states.iter().zip(heads.iter()) {
            let (fin, rsv, op, mask, len, remain, got) = *st;
            assert_eq!(
                (fin, rsv, op, mask, len),
                (h.0, h.1, h.2, h.3, h.4),
                "{side}"
            );
            assert_eq!(remain, len - got, "{side}: remain after {got} of {len}");
        }
    }
}

#[test]
fn client_and_agent_echo_frames_through_the_c_abi() {
    let (l, s, port) = ws_server();
    for agent in [false, true] {
        let p = Peer::new(agent, port);
        echo_session(s, &p);
        // The server closes after echoing the close frame.
        let c = wait_conn(p.h, p.id, "close", |c| c.closed.is_some());
        assert!(c.closed.is_some());
        // A closed connection has no state.
        assert!(unsafe { ws_state(p.h, p.id) }.is_none());
        println!(
            "{}: 6 frames echoed",
            if agent { "agent" } else { "client" }
        );
    }
    Destroy_HP_HttpServer(s);
    Destroy_HP_HttpServerListener(l);
}

#[test]
fn state_on_plain_connections_and_bad_calls_fail() {
    let (l, s, port) = ws_server();
    let p = Peer::new(false, port);
    unsafe {
        assert_eq!(
            HP_HttpClient_SendGet(p.h, c"/plain".as_ptr(), std::ptr::null(), 0),
            TRUE
        );
        let end = Instant::now() + LIMIT;
        while HP_HttpClient_GetStatusCode(p.h) != 200 {
            assert!(Instant::now() < end, "no answer to the plain request");
            std::thread::sleep(Duration::from_millis(5));
        }
        // The client's connection and the server's are plain HTTP.
        assert!(ws_state(p.h, p.id).is_none());
        assert_eq!(errno(), EPERM);
        let mut ids = [0usize; 4];
        let mut n: u32 = 4;
        assert_eq!(
            HP_Server_GetAllConnectionIDs(s, ids.as_mut_ptr(), &mut n),
            TRUE
        );
        assert_eq!(n, 1);
        assert!(ws_state(s, ids[0]).is_none());
        assert_eq!(errno(), EPERM);
        // Every out-parameter NULL: the same answer.
        assert_eq!(server_state_no_out(s, ids[0]), FALSE);
        assert_eq!(errno(), EPERM);
        // Unknown connections, destroyed and wrong handles.
        assert!(ws_state(s, 987_654).is_none());
        assert_eq!(errno(), EBADSLT);
        assert_eq!(server_state_no_out(s, 0), FALSE);
        assert_eq!(errno(), EBADSLT);
        assert_eq!(
            HP_HttpAgent_GetWSMessageState(s, ids[0], no(), no(), no(), no(), no(), no()),
            FALSE
        );
        assert_eq!(errno(), EBADF);
        // SendWSMessage: a body length below the data, a NULL pData with a length.
        let d = b"abc";
        assert_eq!(
            HP_HttpServer_SendWSMessage(s, ids[0], TRUE, 0, 1, d.as_ptr(), 3, 2),
            FALSE
        );
        assert_eq!(errno(), EINVAL);
        assert_eq!(p.send(true, 0, 1, None, d, 1), FALSE);
        assert_eq!(errno(), EINVAL);
        assert_eq!(
            HP_HttpClient_SendWSMessage(p.h, TRUE, 0, 1, std::ptr::null(), std::ptr::null(), 3, 0),
            FALSE
        );
        assert_eq!(errno(), EINVAL);
        assert_eq!(
            HP_HttpServer_SendWSMessage(s, 987_654, TRUE, 0, 1, d.as_ptr(), 3, 0),
            FALSE
        );
        assert_eq!(errno(), EBADSLT);
        // The plain connection is untouched by the refused calls: a second request works.
        assert_eq!(
            HP_HttpClient_SendGet(p.h, c"/again".as_ptr(), std::ptr::null(), 0),
            TRUE
        );
    }
    drop(p);
    Destroy_HP_HttpServer(s);
    Destroy_HP_HttpServerListener(l);
    unsafe {
        assert_eq!(server_state_no_out(s, 1), FALSE);
        assert_eq!(errno(), EBADF);
        assert_eq!(
            HP_HttpServer_SendWSMessage(s, 1, TRUE, 0, 1, std::ptr::null(), 0, 0),
            FALSE
        );
        assert_eq!(errno(), EBADF);
    }
}

#[test]
fn refusing_a_frame_header_closes_the_connection() {
    let (l, s, port) = ws_server();
    let p = Peer::new(true, port);
    let before = upgrades_so_far(s);
    p.upgrade();
    let sid = upgraded_on_server(s, before);
    // RSV2: the server's OnWSMessageHeader answers HR_ERROR.
    assert_eq!(p.send(true, 0x2, 0x1, None, b"no", 0), TRUE);
    let srv = wait_conn(s, sid, "the server's close", |c| c.closed.is_some());
    assert_eq!(srv.closed, Some((SO_RECEIVE, ECANCELED)));
    assert!(srv.frames.is_empty());
    wait_conn(p.h, p.id, "the agent's close", |c| c.closed.is_some());
    drop(p);
    Destroy_HP_HttpServer(s);
    Destroy_HP_HttpServerListener(l);
}
