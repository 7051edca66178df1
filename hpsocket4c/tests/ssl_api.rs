//! The SSL functions called directly from Rust (the `extern "C"` functions of the rlib), on
//! loopback with certificates made here:
//!
//! - every SSL component is secure and refuses to start without a context
//!   (`SE_SSL_ENV_NOT_READY`);
//! - bad set-ups fail with errno (missing file, bad PEM, encrypted key, missing key or CA,
//!   AddSSLContext / BindSSLServerName misuse), and leave the previous context in force;
//! - NULL, never-created and destroyed handles fail with EBADF, plain handles with EINVAL;
//! - the auto-handshake flag and the cipher list, which the next Setup uses;
//! - SSL PULL and PACK components through `HP_TcpPull*_Fetch` / `_Peek` and `HP_TcpPack*_*`,
//!   StartSSLHandShake and GetSSLSessionInfo on live connections;
//! - an SNI callback receiving the server as its context and delegating to
//!   HP_SSL_DefaultServerNameCallback, or refusing.
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use common::{Leaf, Pki};
use hpsocket4c::agent::*;
use hpsocket4c::client::*;
use hpsocket4c::listener::*;
use hpsocket4c::server::*;
use hpsocket4c::ssl::*;
use hpsocket4c::sys::SYS_GetLastError;

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const HR_OK: c_int = 0;
const HR_ERROR: c_int = 2;
const FR_OK: c_int = 0;
const FR_DATA_NOT_FOUND: c_int = 2;
const SE_SSL_ENV_NOT_READY: c_int = 101;
const SO_RECEIVE: c_int = 4;

const SSL_VM_NONE: c_int = 0;
const SSL_VM_PEER: c_int = 1;
const SSL_SSI_VERSION: c_int = 6;

const EPERM: u32 = 1;
const ENOENT: u32 = 2;
const EBADF: u32 = 9;
const EINVAL: u32 = 22;
const ENOANO: u32 = 55;
const EBADSLT: u32 = 57;
const EOPNOTSUPP: u32 = 95;

const LIMIT: Duration = Duration::from_secs(15);
const BOGUS: H = 0xdead_0000 as H;
const LOCALHOST: &CStr = c"127.0.0.1";

/// Certificates shared by the tests: the CA, a server leaf for localhost and 127.0.0.1, one
/// for another host name, one for localhost only (SNI).
struct Certs {
    ca: CString,
    /// The CA as a file, for the `SetupSSLContext` (path) variants.
    ca_file: CString,
    server: (CString, CString),
    other: (CString, CString),
    sni: (CString, CString),
}

static CERTS: LazyLock<Certs> = LazyLock::new(|| {
    let pki = Pki::new();
    let c = |l: Leaf| (CString::new(l.cert).unwrap(), CString::new(l.key).unwrap());
    let ca_file = common::scratch("ssl-api").join("ca.pem");
    std::fs::write(&ca_file, &pki.ca).unwrap();
    Certs {
        ca: CString::new(pki.ca.clone()).unwrap(),
        ca_file: CString::new(ca_file.to_str().unwrap()).unwrap(),
        server: c(pki.leaf(&["localhost", "127.0.0.1"])),
        other: c(pki.leaf(&["other.hpsocket4c.test"])),
        sni: c(pki.leaf(&["localhost"])),
    }
});

fn errno() -> u32 {
    SYS_GetLastError()
}

fn set_errno(v: c_int) {
    // SAFETY: this thread's errno slot.
    unsafe { *libc::__errno_location() = v }
}

/// Polls `f` until it holds, within [`LIMIT`].
fn wait_until(f: impl FnMut() -> bool) -> bool {
    testkit::eventually(LIMIT, f)
}

// ---- events, recorded per component handle ----

#[derive(Default)]
struct Events {
    handshakes: usize,
    receive_before_handshake: bool,
    data: Vec<u8>,
    closed: Option<(c_int, c_int)>,
}

static EVENTS: LazyLock<Mutex<HashMap<usize, Events>>> = LazyLock::new(Default::default);

fn events<R>(h: H, f: impl FnOnce(&mut Events) -> R) -> R {
    f(EVENTS.lock().unwrap().entry(h as usize).or_default())
}

/// Notes a receive event; `false` if it came before the handshake.
fn received(h: H, data: &[u8]) -> bool {
    events(h, |e| {
        if e.handshakes == 0 {
            e.receive_before_handshake = true;
        }
        e.data.extend_from_slice(data);
        !e.receive_before_handshake
    })
}

type AnyFn = unsafe extern "C" fn();
type FnId = extern "C" fn(H, usize) -> c_int;
type FnData = extern "C" fn(H, usize, *const u8, c_int) -> c_int;
type FnPull = extern "C" fn(H, usize, c_int) -> c_int;
type FnClose = extern "C" fn(H, usize, c_int, c_int) -> c_int;

macro_rules! cb {
    ($f:expr, $t:ty) => {
        // SAFETY: a function pointer of the callback's own C type, stored opaquely and called
        // back with that type.
        Some(unsafe { std::mem::transmute::<$t, AnyFn>($f) })
    };
}

unsafe fn slice<'a>(p: *const u8, len: c_int) -> &'a [u8] {
    std::slice::from_raw_parts(p, len as usize)
}

extern "C" fn on_handshake(h: H, _id: usize) -> c_int {
    events(h, |e| e.handshakes += 1);
    HR_OK
}

extern "C" fn on_close(h: H, _id: usize, op: c_int, err: c_int) -> c_int {
    events(h, |e| e.closed = Some((op, err)));
    HR_OK
}

/// Client side: records what arrives.
extern "C" fn on_receive_record(h: H, _id: usize, p: *const u8, len: c_int) -> c_int {
    if received(h, unsafe { slice(p, len) }) {
        HR_OK
    } else {
        HR_ERROR
    }
}

/// Server side, PUSH and PACK: echoes (PACK: one packet back per packet in).
extern "C" fn on_receive_echo(h: H, id: usize, p: *const u8, len: c_int) -> c_int {
    if !received(h, &[]) {
        return HR_ERROR;
    }
    if unsafe { HP_Server_Send(h, id, p, len) } == TRUE {
        HR_OK
    } else {
        HR_ERROR
    }
}

/// Server side, PULL: peeks then fetches everything buffered and echoes it.
extern "C" fn on_pull_echo(h: H, id: usize, len: c_int) -> c_int {
    if !received(h, &[]) {
        return HR_ERROR;
    }
    let mut peeked = vec![0u8; len as usize];
    let mut fetched = vec![0u8; len as usize];
    if HP_TcpPullServer_Peek(h, id, peeked.as_mut_ptr(), len) != FR_OK
        || HP_TcpPullServer_Fetch(h, id, fetched.as_mut_ptr(), len) != FR_OK
        || peeked != fetched
    {
        return HR_ERROR;
    }
    if unsafe { HP_Server_Send(h, id, fetched.as_ptr(), len) } == TRUE {
        HR_OK
    } else {
        HR_ERROR
    }
}

/// Agent side, PULL: takes whole PACK-framed packets (4-byte header, then the body) out of the
/// buffer and records their bodies.
extern "C" fn on_pull_packets(h: H, id: usize, len: c_int) -> c_int {
    let mut available = len as usize;
    loop {
        let mut header = [0u8; 4];
        if available < 4 || HP_TcpPullAgent_Peek(h, id, header.as_mut_ptr(), 4) != FR_OK {
            return HR_OK;
        }
        let body = (u32::from_le_bytes(header) & 0x3F_FFFF) as usize;
        if available < 4 + body {
            return HR_OK;
        }
        let mut packet = vec![0u8; 4 + body];
        if HP_TcpPullAgent_Fetch(h, id, packet.as_mut_ptr(), packet.len() as c_int) != FR_OK
            || !received(h, &packet[4..])
        {
            return HR_ERROR;
        }
        available -= packet.len();
    }
}

// ---- components ----

/// A server listener with the echo callbacks (PULL: the Fetch echo).
fn server_listener(pull: bool) -> H {
    let l = Create_HP_TcpServerListener();
    HP_Set_FN_Server_OnHandShake(l, cb!(on_handshake, FnId));
    HP_Set_FN_Server_OnClose(l, cb!(on_close, FnClose));
    if pull {
        HP_Set_FN_Server_OnPullReceive(l, cb!(on_pull_echo, FnPull));
    } else {
        HP_Set_FN_Server_OnReceive(l, cb!(on_receive_echo, FnData));
    }
    l
}

fn client_listener() -> H {
    let l = Create_HP_TcpClientListener();
    HP_Set_FN_Client_OnHandShake(l, cb!(on_handshake, FnId));
    HP_Set_FN_Client_OnReceive(l, cb!(on_receive_record, FnData));
    HP_Set_FN_Client_OnClose(l, cb!(on_close, FnClose));
    l
}

fn agent_listener(pull: bool) -> H {
    let l = Create_HP_TcpAgentListener();
    HP_Set_FN_Agent_OnHandShake(l, cb!(on_handshake, FnId));
    HP_Set_FN_Agent_OnClose(l, cb!(on_close, FnClose));
    if pull {
        HP_Set_FN_Agent_OnPullReceive(l, cb!(on_pull_packets, FnPull));
    } else {
        HP_Set_FN_Agent_OnReceive(l, cb!(on_receive_record, FnData));
    }
    l
}

/// Sets up a server with the localhost / 127.0.0.1 certificate, no client verification.
fn setup_server(s: H) {
    let c = &*CERTS;
    let ok = unsafe {
        HP_SSLServer_SetupSSLContextByMemory(
            s,
            SSL_VM_NONE,
            c.server.0.as_ptr(),
            c.server.1.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            None,
        )
    };
    assert_eq!(ok, TRUE, "server setup: errno {}", errno());
}

fn start_server(s: H) -> u16 {
    assert_eq!(
        unsafe { HP_Server_Start(s, LOCALHOST.as_ptr(), 0) },
        TRUE,
        "start: errno {}",
        errno()
    );
    let mut buf = [0 as c_char; 64];
    let mut len = 64;
    let mut port = 0u16;
    assert_eq!(
        unsafe { HP_Server_GetListenAddress(s, buf.as_mut_ptr(), &mut len, &mut port) },
        TRUE
    );
    port
}

type FnSetup = unsafe extern "C" fn(
    H,
    c_int,
    *const c_char,
    *const c_char,
    *const c_char,
    *const c_char,
) -> c_int;

/// Client-side setup verifying the server against the CA (a file, or PEM text when `memory`),
/// no client certificate.
unsafe fn setup_verifying(f: FnSetup, memory: bool, h: H) {
    let ca = if memory { &CERTS.ca } else { &CERTS.ca_file };
    let ok = f(
        h,
        SSL_VM_PEER,
        std::ptr::null(),
        std::ptr::null(),
        std::ptr::null(),
        ca.as_ptr(),
    );
    assert_eq!(ok, TRUE, "client-side setup: errno {}", errno());
}

fn handshaken(h: H) -> bool {
    wait_until(|| events(h, |e| e.handshakes > 0 || e.closed.is_some()));
    events(h, |e| e.handshakes > 0)
}

fn only_connection(s: H) -> usize {
    assert!(wait_until(|| HP_Server_GetConnectionCount(s) == 1));
    let mut ids = [0usize; 4];
    let mut n = 4u32;
    assert_eq!(
        unsafe { HP_Server_GetAllConnectionIDs(s, ids.as_mut_ptr(), &mut n) },
        TRUE
    );
    ids[0]
}

// ---------------------------------------------------------------------------------------------

#[test]
fn every_ssl_component_is_secure_and_needs_a_context() {
    let sl = Create_HP_TcpServerListener();
    let al = Create_HP_TcpAgentListener();
    let cl = Create_HP_TcpClientListener();
    let servers = [
        (
            Create_HP_SSLServer as extern "C" fn(H) -> H,
            Destroy_HP_SSLServer as extern "C" fn(H),
        ),
        (Create_HP_SSLPullServer, Destroy_HP_SSLPullServer),
        (Create_HP_SSLPackServer, Destroy_HP_SSLPackServer),
    ];
    for (create, destroy) in servers {
        let s = create(sl);
        assert!(!s.is_null());
        assert_eq!(HP_Server_IsSecure(s), TRUE);
        set_errno(0);
        assert_eq!(unsafe { HP_Server_Start(s, LOCALHOST.as_ptr(), 0) }, FALSE);
        assert_eq!(HP_Server_GetLastError(s), SE_SSL_ENV_NOT_READY);
        let desc = unsafe { CStr::from_ptr(HP_Server_GetLastErrorDesc(s)) };
        assert_eq!(desc.to_str().unwrap(), "SSL environment not ready");
        assert_eq!(errno(), EPERM);
        // Set up, then cleaned up: not ready again.
        setup_server(s);
        HP_SSLServer_CleanupSSLContext(s);
        assert_eq!(unsafe { HP_Server_Start(s, LOCALHOST.as_ptr(), 0) }, FALSE);
        assert_eq!(HP_Server_GetLastError(s), SE_SSL_ENV_NOT_READY);
        destroy(s);
    }
    let agents = [
        (
            Create_HP_SSLAgent as extern "C" fn(H) -> H,
            Destroy_HP_SSLAgent as extern "C" fn(H),
        ),
        (Create_HP_SSLPullAgent, Destroy_HP_SSLPullAgent),
        (Create_HP_SSLPackAgent, Destroy_HP_SSLPackAgent),
    ];
    for (create, destroy) in agents {
        let a = create(al);
        assert_eq!(HP_Agent_IsSecure(a), TRUE);
        assert_eq!(unsafe { HP_Agent_Start(a, std::ptr::null(), FALSE) }, FALSE);
        assert_eq!(HP_Agent_GetLastError(a), SE_SSL_ENV_NOT_READY);
        destroy(a);
    }
    let clients = [
        (
            Create_HP_SSLClient as extern "C" fn(H) -> H,
            Destroy_HP_SSLClient as extern "C" fn(H),
        ),
        (Create_HP_SSLPullClient, Destroy_HP_SSLPullClient),
        (Create_HP_SSLPackClient, Destroy_HP_SSLPackClient),
    ];
    for (create, destroy) in clients {
        let c = create(cl);
        assert_eq!(HP_Client_IsSecure(c), TRUE);
        assert_eq!(
            unsafe { HP_Client_Start(c, LOCALHOST.as_ptr(), 9, FALSE) },
            FALSE
        );
        assert_eq!(HP_Client_GetLastError(c), SE_SSL_ENV_NOT_READY);
        destroy(c);
    }
    // The plain components stay plain.
    let plain = Create_HP_TcpServer(sl);
    assert_eq!(HP_Server_IsSecure(plain), FALSE);
    Destroy_HP_TcpServer(plain);
    Destroy_HP_TcpServerListener(sl);
    Destroy_HP_TcpAgentListener(al);
    Destroy_HP_TcpClientListener(cl);
}

#[test]
fn bad_setups_fail_and_keep_the_previous_context() {
    let c = &*CERTS;
    let null = std::ptr::null::<c_char>();
    let l = server_listener(false);
    let s = Create_HP_SSLServer(l);
    unsafe {
        // A missing file: the file's errno.
        let r = HP_SSLServer_SetupSSLContext(
            s,
            SSL_VM_NONE,
            c"/nonexistent/server.pem".as_ptr(),
            c"/nonexistent/server.key".as_ptr(),
            null,
            null,
            None,
        );
        assert_eq!((r, errno()), (FALSE, ENOENT));
        // Not PEM.
        let r = HP_SSLServer_SetupSSLContextByMemory(
            s,
            SSL_VM_NONE,
            c"not a certificate".as_ptr(),
            c.server.1.as_ptr(),
            null,
            null,
            None,
        );
        assert_eq!((r, errno()), (FALSE, EINVAL));
        // A server needs its certificate and key.
        for (cert, key) in [(null, c.server.1.as_ptr()), (c"".as_ptr(), c"".as_ptr())] {
            let r =
                HP_SSLServer_SetupSSLContextByMemory(s, SSL_VM_NONE, cert, key, null, null, None);
            assert_eq!((r, errno()), (FALSE, EINVAL));
        }
        // An encrypted key, whatever the password.
        let encrypted =
            c"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjAp\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let r = HP_SSLServer_SetupSSLContextByMemory(
            s,
            SSL_VM_NONE,
            c.server.0.as_ptr(),
            encrypted.as_ptr(),
            c"secret".as_ptr(),
            null,
            None,
        );
        assert_eq!((r, errno()), (FALSE, EOPNOTSUPP));
        // PEER verification without a CA to verify against.
        let r = HP_SSLServer_SetupSSLContextByMemory(
            s,
            SSL_VM_PEER,
            c.server.0.as_ptr(),
            c.server.1.as_ptr(),
            null,
            null,
            None,
        );
        assert_eq!((r, errno()), (FALSE, EINVAL));

        // Contexts and names need a Setup first.
        let r = HP_SSLServer_AddSSLContextByMemory(
            s,
            0,
            c.sni.0.as_ptr(),
            c.sni.1.as_ptr(),
            null,
            null,
        );
        assert_eq!((r, errno()), (-1, EPERM));
        let r = HP_SSLServer_BindSSLServerName(s, c"a.example".as_ptr(), 0);
        assert_eq!((r, errno()), (FALSE, ENOANO));

        // A password for an unencrypted key is ignored.
        let r = HP_SSLServer_SetupSSLContextByMemory(
            s,
            SSL_VM_NONE,
            c.server.0.as_ptr(),
            c.server.1.as_ptr(),
            c"unused".as_ptr(),
            null,
            None,
        );
        assert_eq!(r, TRUE);
        let i = HP_SSLServer_AddSSLContextByMemory(
            s,
            0,
            c.sni.0.as_ptr(),
            c.sni.1.as_ptr(),
            null,
            null,
        );
        assert_eq!(i, 1);
        let r = HP_SSLServer_AddSSLContextByMemory(
            s,
            0,
            c"junk".as_ptr(),
            c.sni.1.as_ptr(),
            null,
            null,
        );
        assert_eq!((r, errno()), (-1, EINVAL));
        let r = HP_SSLServer_AddSSLContext(
            s,
            0,
            c"/nonexistent.pem".as_ptr(),
            c"/nonexistent.key".as_ptr(),
            null,
            null,
        );
        assert_eq!((r, errno()), (-1, ENOENT));
        assert_eq!(
            HP_SSLServer_AddSSLContextByMemory(
                s,
                0,
                c.other.0.as_ptr(),
                c.other.1.as_ptr(),
                null,
                null
            ),
            2,
            "a failed Add takes no index"
        );
        for (name, index, want) in [
            (c"127.0.0.1".as_ptr(), 1, EINVAL),
            (c".example.com".as_ptr(), 1, EINVAL),
            (c"example.com.".as_ptr(), 1, EINVAL),
            (c"".as_ptr(), 1, EINVAL),
            (null, 1, EINVAL),
            (c"a.example".as_ptr(), -1, EINVAL),
            (c"a.example".as_ptr(), 3, ENOANO),
        ] {
            set_errno(0);
            let r = HP_SSLServer_BindSSLServerName(s, name, index);
            assert_eq!((r, errno()), (FALSE, want));
        }
        assert_eq!(
            HP_SSLServer_BindSSLServerName(s, c"example.com".as_ptr(), 2),
            TRUE
        );
        assert_eq!(
            HP_SSLServer_BindSSLServerName(s, c"*.wild.example".as_ptr(), 1),
            TRUE
        );
        assert_eq!(
            HP_SSLServer_BindSSLServerName(s, c"localhost".as_ptr(), 0),
            TRUE
        );
        // The default lookup, given the server as its context.
        for (name, want) in [
            (c"example.com", 2),
            (c"www.EXAMPLE.com", 2),
            (c"a.b.wild.example", 1),
            (c"localhost", 0),
            (c"example.org", 0),
        ] {
            assert_eq!(
                HP_SSL_DefaultServerNameCallback(name.as_ptr(), s),
                want,
                "{name:?}"
            );
        }
        assert_eq!(
            HP_SSL_DefaultServerNameCallback(c"example.com".as_ptr(), BOGUS),
            0
        );
        assert_eq!(HP_SSL_DefaultServerNameCallback(null, s), 0);
        HP_SSL_RemoveThreadLocalState(0);
    }

    // The refused steps left the context in force: the server starts and serves.
    let port = start_server(s);
    let cli = client_listener();
    let client = Create_HP_SSLClient(cli);
    unsafe { setup_verifying(HP_SSLClient_SetupSSLContext, false, client) };
    assert_eq!(
        unsafe { HP_Client_Start(client, LOCALHOST.as_ptr(), port, FALSE) },
        TRUE
    );
    assert!(handshaken(client), "{:?}", events(client, |e| e.closed));

    // No change while started.
    set_errno(0);
    let r = unsafe {
        HP_SSLServer_SetupSSLContextByMemory(
            s,
            SSL_VM_NONE,
            CERTS.other.0.as_ptr(),
            CERTS.other.1.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            None,
        )
    };
    assert_eq!((r, errno()), (FALSE, EPERM));
    HP_SSLServer_CleanupSSLContext(s);
    assert_eq!(errno(), EPERM);
    let r = unsafe { HP_SSLServer_BindSSLServerName(s, c"b.example".as_ptr(), 1) };
    assert_eq!((r, errno()), (FALSE, EPERM));

    Destroy_HP_SSLClient(client);
    Destroy_HP_TcpClientListener(cli);
    Destroy_HP_SSLServer(s);
    Destroy_HP_TcpServerListener(l);
}

#[test]
fn outgoing_setups_take_both_cert_and_key_or_neither() {
    let c = &*CERTS;
    let null = std::ptr::null::<c_char>();
    let al = Create_HP_TcpAgentListener();
    let a = Create_HP_SSLAgent(al);
    let cl = Create_HP_TcpClientListener();
    let k = Create_HP_SSLPackClient(cl);
    unsafe {
        let r = HP_SSLAgent_SetupSSLContextByMemory(
            a,
            SSL_VM_NONE,
            c.server.0.as_ptr(),
            null,
            null,
            null,
        );
        assert_eq!((r, errno()), (FALSE, EINVAL));
        let r = HP_SSLClient_SetupSSLContextByMemory(
            k,
            SSL_VM_NONE,
            null,
            c.server.1.as_ptr(),
            null,
            null,
        );
        assert_eq!((r, errno()), (FALSE, EINVAL));
        // PEER needs a CA.
        let r = HP_SSLAgent_SetupSSLContextByMemory(a, SSL_VM_PEER, null, null, null, null);
        assert_eq!((r, errno()), (FALSE, EINVAL));
        let r = HP_SSLClient_SetupSSLContext(
            k,
            SSL_VM_PEER,
            null,
            null,
            null,
            c"/nonexistent/ca.pem".as_ptr(),
        );
        assert_eq!((r, errno()), (FALSE, ENOENT));
        // Empty strings mean "none", like NULL.
        assert_eq!(
            HP_SSLAgent_SetupSSLContextByMemory(
                a,
                SSL_VM_NONE,
                c"".as_ptr(),
                c"".as_ptr(),
                c"".as_ptr(),
                c"".as_ptr()
            ),
            TRUE
        );
        assert_eq!(
            HP_SSLClient_SetupSSLContextByMemory(
                k,
                SSL_VM_PEER,
                c.sni.0.as_ptr(),
                c.sni.1.as_ptr(),
                null,
                c.ca.as_ptr()
            ),
            TRUE
        );
        HP_SSLAgent_CleanupSSLContext(a);
        HP_SSLClient_CleanupSSLContext(k);
    }
    Destroy_HP_SSLAgent(a);
    Destroy_HP_SSLPackClient(k);
    Destroy_HP_TcpAgentListener(al);
    Destroy_HP_TcpClientListener(cl);
}

#[test]
fn null_never_created_and_destroyed_handles_fail_with_ebadf() {
    let c = &*CERTS;
    let null = std::ptr::null::<c_char>();
    let sl = Create_HP_TcpServerListener();
    let al = Create_HP_TcpAgentListener();
    let cl = Create_HP_TcpClientListener();
    let (s, a, k) = (
        Create_HP_SSLPackServer(sl),
        Create_HP_SSLPullAgent(al),
        Create_HP_SSLClient(cl),
    );
    Destroy_HP_SSLPackServer(s);
    Destroy_HP_SSLPullAgent(a);
    Destroy_HP_SSLClient(k);

    let check = |what: &str, failed: bool| {
        assert!(failed, "{what} did not fail");
        assert_eq!(errno(), EBADF, "{what}");
        set_errno(0);
    };
    for h in [std::ptr::null_mut(), BOGUS, s, a, k] {
        set_errno(0);
        let mut info: *mut c_void = std::ptr::dangling_mut();
        unsafe {
            check(
                "server setup",
                HP_SSLServer_SetupSSLContextByMemory(
                    h,
                    0,
                    c.server.0.as_ptr(),
                    c.server.1.as_ptr(),
                    null,
                    null,
                    None,
                ) == FALSE,
            );
            check(
                "server file setup",
                HP_SSLServer_SetupSSLContext(h, 0, c"a".as_ptr(), c"b".as_ptr(), null, null, None)
                    == FALSE,
            );
            check(
                "add",
                HP_SSLServer_AddSSLContextByMemory(
                    h,
                    0,
                    c.sni.0.as_ptr(),
                    c.sni.1.as_ptr(),
                    null,
                    null,
                ) < 0,
            );
            check(
                "add file",
                HP_SSLServer_AddSSLContext(h, 0, c"a".as_ptr(), c"b".as_ptr(), null, null) < 0,
            );
            check(
                "bind",
                HP_SSLServer_BindSSLServerName(h, c"a.example".as_ptr(), 0) == FALSE,
            );
            HP_SSLServer_CleanupSSLContext(h);
            check("server cleanup", true);
            check(
                "server handshake",
                HP_SSLServer_StartSSLHandShake(h, 1) == FALSE,
            );
            HP_SSLServer_SetSSLAutoHandShake(h, FALSE);
            check("server set auto", true);
            check(
                "server is auto",
                HP_SSLServer_IsSSLAutoHandShake(h) == FALSE,
            );
            HP_SSLServer_SetSSLCipherList(h, c"HIGH".as_ptr());
            check("server set ciphers", true);
            check(
                "server get ciphers",
                HP_SSLServer_GetSSLCipherList(h).is_null(),
            );
            check(
                "server info",
                HP_SSLServer_GetSSLSessionInfo(h, 1, SSL_SSI_VERSION, &mut info) == FALSE,
            );

            check(
                "agent setup",
                HP_SSLAgent_SetupSSLContextByMemory(h, 0, null, null, null, null) == FALSE,
            );
            check(
                "agent file setup",
                HP_SSLAgent_SetupSSLContext(h, 0, null, null, null, null) == FALSE,
            );
            HP_SSLAgent_CleanupSSLContext(h);
            check("agent cleanup", true);
            check(
                "agent handshake",
                HP_SSLAgent_StartSSLHandShake(h, 1) == FALSE,
            );
            HP_SSLAgent_SetSSLAutoHandShake(h, FALSE);
            check("agent set auto", true);
            check("agent is auto", HP_SSLAgent_IsSSLAutoHandShake(h) == FALSE);
            HP_SSLAgent_SetSSLCipherList(h, c"HIGH".as_ptr());
            check("agent set ciphers", true);
            check(
                "agent get ciphers",
                HP_SSLAgent_GetSSLCipherList(h).is_null(),
            );
            check(
                "agent info",
                HP_SSLAgent_GetSSLSessionInfo(h, 1, SSL_SSI_VERSION, &mut info) == FALSE,
            );

            check(
                "client setup",
                HP_SSLClient_SetupSSLContextByMemory(h, 0, null, null, null, null) == FALSE,
            );
            check(
                "client file setup",
                HP_SSLClient_SetupSSLContext(h, 0, null, null, null, null) == FALSE,
            );
            HP_SSLClient_CleanupSSLContext(h);
            check("client cleanup", true);
            check(
                "client handshake",
                HP_SSLClient_StartSSLHandShake(h) == FALSE,
            );
            HP_SSLClient_SetSSLAutoHandShake(h, FALSE);
            check("client set auto", true);
            check(
                "client is auto",
                HP_SSLClient_IsSSLAutoHandShake(h) == FALSE,
            );
            HP_SSLClient_SetSSLCipherList(h, c"HIGH".as_ptr());
            check("client set ciphers", true);
            check(
                "client get ciphers",
                HP_SSLClient_GetSSLCipherList(h).is_null(),
            );
            check(
                "client info",
                HP_SSLClient_GetSSLSessionInfo(h, SSL_SSI_VERSION, &mut info) == FALSE,
            );

            // The generic functions on destroyed SSL handles.
            check(
                "HP_Server_Start",
                HP_Server_Start(h, LOCALHOST.as_ptr(), 0) == FALSE,
            );
            check("HP_Agent_Start", HP_Agent_Start(h, null, FALSE) == FALSE);
            check(
                "HP_Client_Start",
                HP_Client_Start(h, LOCALHOST.as_ptr(), 9, FALSE) == FALSE,
            );
            check("pack max", HP_TcpPackServer_GetMaxPackSize(h) == 0);
        }
    }

    // A plain component is no SSL component: EINVAL.
    let plain = Create_HP_TcpServer(sl);
    let plain_agent = Create_HP_TcpPullAgent(al);
    unsafe {
        set_errno(0);
        let r = HP_SSLServer_SetupSSLContextByMemory(
            plain,
            0,
            c.server.0.as_ptr(),
            c.server.1.as_ptr(),
            null,
            null,
            None,
        );
        assert_eq!((r, errno()), (FALSE, EINVAL));
        assert_eq!(
            (HP_SSLAgent_IsSSLAutoHandShake(plain_agent), errno()),
            (FALSE, EINVAL)
        );
        assert_eq!(
            HP_SSL_DefaultServerNameCallback(c"a.example".as_ptr(), plain),
            0
        );
    }
    // An SSL PUSH server is no PULL / PACK one.
    let push = Create_HP_SSLServer(sl);
    let mut buf = [0u8; 4];
    assert_eq!(
        HP_TcpPullServer_Fetch(push, 1, buf.as_mut_ptr(), 4),
        FR_DATA_NOT_FOUND
    );
    set_errno(0);
    assert_eq!(
        (HP_TcpPackServer_GetMaxPackSize(push), errno()),
        (0, EINVAL)
    );
    Destroy_HP_SSLServer(push);
    Destroy_HP_TcpServer(plain);
    Destroy_HP_TcpPullAgent(plain_agent);
    Destroy_HP_TcpServerListener(sl);
    Destroy_HP_TcpAgentListener(al);
    Destroy_HP_TcpClientListener(cl);
}

/// A component with its IsSSLAutoHandShake, SetSSLAutoHandShake, SetSSLCipherList and
/// GetSSLCipherList.
type Role = (
    H,
    extern "C" fn(H) -> c_int,
    extern "C" fn(H, c_int),
    unsafe extern "C" fn(H, *const c_char),
    extern "C" fn(H) -> *const c_char,
);

#[test]
fn auto_handshake_and_cipher_list_properties() {
    let sl = server_listener(false);
    let al = Create_HP_TcpAgentListener();
    let cl = Create_HP_TcpClientListener();
    let s = Create_HP_SSLPullServer(sl);
    let a = Create_HP_SSLPackAgent(al);
    let k = Create_HP_SSLPullClient(cl);
    unsafe {
        let roles: [Role; 3] = [
            (
                s,
                HP_SSLServer_IsSSLAutoHandShake,
                HP_SSLServer_SetSSLAutoHandShake,
                HP_SSLServer_SetSSLCipherList,
                HP_SSLServer_GetSSLCipherList,
            ),
            (
                a,
                HP_SSLAgent_IsSSLAutoHandShake,
                HP_SSLAgent_SetSSLAutoHandShake,
                HP_SSLAgent_SetSSLCipherList,
                HP_SSLAgent_GetSSLCipherList,
            ),
            (
                k,
                HP_SSLClient_IsSSLAutoHandShake,
                HP_SSLClient_SetSSLAutoHandShake,
                HP_SSLClient_SetSSLCipherList,
                HP_SSLClient_GetSSLCipherList,
            ),
        ];
        for (h, is_auto, set_auto, set_list, get_list) in roles {
            assert_eq!(is_auto(h), TRUE);
            set_auto(h, FALSE);
            assert_eq!(is_auto(h), FALSE);
            set_auto(h, TRUE);
            assert_eq!(is_auto(h), TRUE);
            assert_eq!(CStr::from_ptr(get_list(h)), c"DEFAULT");
            set_list(
                h,
                c"ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256".as_ptr(),
            );
            assert_eq!(
                CStr::from_ptr(get_list(h)),
                c"ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256"
            );
            set_errno(0);
            set_list(h, std::ptr::null());
            assert_eq!(errno(), EINVAL);
            assert_eq!(
                CStr::from_ptr(get_list(h)),
                c"ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256"
            );
        }
        // Only while stopped.
        setup_server(s);
        start_server(s);
        set_errno(0);
        HP_SSLServer_SetSSLAutoHandShake(s, FALSE);
        assert_eq!((errno(), HP_SSLServer_IsSSLAutoHandShake(s)), (EPERM, TRUE));
        HP_SSLServer_SetSSLCipherList(s, c"HIGH".as_ptr());
        assert_eq!(errno(), EPERM);
        assert_eq!(
            CStr::from_ptr(HP_SSLServer_GetSSLCipherList(s)),
            c"ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256"
        );
    }
    Destroy_HP_SSLPullServer(s);
    Destroy_HP_SSLPackAgent(a);
    Destroy_HP_SSLPullClient(k);
    Destroy_HP_TcpServerListener(sl);
    Destroy_HP_TcpAgentListener(al);
    Destroy_HP_TcpClientListener(cl);
}

/// A server and a client whose cipher lists (set before Setup) share no suite cannot shake
/// hands; with a common suite they can.
#[test]
fn the_next_setup_uses_the_cipher_list() {
    for (client_list, agree) in [
        (c"TLS_AES_256_GCM_SHA384", false),
        (c"TLS_AES_128_GCM_SHA256", true),
    ] {
        let sl = server_listener(false);
        let s = Create_HP_SSLServer(sl);
        unsafe { HP_SSLServer_SetSSLCipherList(s, c"TLS_AES_128_GCM_SHA256".as_ptr()) };
        setup_server(s);
        let port = start_server(s);
        let cl = client_listener();
        let k = Create_HP_SSLClient(cl);
        unsafe {
            HP_SSLClient_SetSSLCipherList(k, client_list.as_ptr());
            setup_verifying(HP_SSLClient_SetupSSLContext, false, k);
            assert_eq!(HP_Client_Start(k, LOCALHOST.as_ptr(), port, FALSE), TRUE);
        }
        assert_eq!(handshaken(k), agree, "{client_list:?}");
        if !agree {
            let (op, err) = events(k, |e| e.closed).expect("closed");
            assert_eq!(op, SO_RECEIVE);
            assert_ne!(err, 0);
        }
        Destroy_HP_SSLClient(k);
        Destroy_HP_TcpClientListener(cl);
        Destroy_HP_SSLServer(s);
        Destroy_HP_TcpServerListener(sl);
    }
}

/// SSL PULL server (echo through Peek + Fetch) and SSL PACK client; StartSSLHandShake and
/// GetSSLSessionInfo on live connections.
#[test]
fn ssl_pull_server_and_ssl_pack_client() {
    let sl = server_listener(true);
    let s = Create_HP_SSLPullServer(sl);
    setup_server(s);
    let port = start_server(s);
    let cl = client_listener();
    let k = Create_HP_SSLPackClient(cl);
    HP_TcpPackClient_SetMaxPackSize(k, 100_000);
    HP_TcpPackClient_SetPackHeaderFlag(k, 0x2B);
    assert_eq!(HP_TcpPackClient_GetMaxPackSize(k), 100_000);
    unsafe {
        setup_verifying(HP_SSLClient_SetupSSLContextByMemory, true, k);
        assert_eq!(HP_Client_Start(k, LOCALHOST.as_ptr(), port, FALSE), TRUE);
    }
    assert!(handshaken(k), "{:?}", events(k, |e| e.closed));
    let id = only_connection(s);
    assert_eq!(HP_SSLServer_StartSSLHandShake(s, id), TRUE);
    set_errno(0);
    assert_eq!(
        (HP_SSLServer_StartSSLHandShake(s, id + 1000), errno()),
        (FALSE, EBADSLT)
    );
    assert_eq!(
        (HP_SSLServer_StartSSLHandShake(s, 0), errno()),
        (FALSE, EBADSLT)
    );
    assert_eq!(HP_SSLClient_StartSSLHandShake(k), TRUE);
    let mut info: *mut c_void = std::ptr::dangling_mut();
    unsafe {
        assert_eq!(
            HP_SSLServer_GetSSLSessionInfo(s, id, SSL_SSI_VERSION, &mut info),
            FALSE
        );
        assert_eq!((errno(), info), (EOPNOTSUPP, std::ptr::null_mut()));
        assert_eq!(
            HP_SSLClient_GetSSLSessionInfo(k, SSL_SSI_VERSION, std::ptr::null_mut()),
            FALSE
        );
        assert_eq!(errno(), EOPNOTSUPP);
    }

    // PACK packets through the PULL echo come back whole, one OnReceive each.
    let packets: Vec<Vec<u8>> = (0..30u32)
        .map(|i| {
            (0..(1 + i * 2311 % 40_000))
                .map(|j| (i ^ j) as u8)
                .collect()
        })
        .collect();
    let mut want = Vec::new();
    for p in &packets {
        assert_eq!(
            unsafe { HP_Client_Send(k, p.as_ptr(), p.len() as c_int) },
            TRUE
        );
        want.extend_from_slice(p);
    }
    assert!(
        wait_until(|| events(k, |e| e.data.len() >= want.len())),
        "echo incomplete"
    );
    events(k, |e| {
        assert!(e.data == want && !e.receive_before_handshake)
    });
    events(s, |e| {
        assert!(e.handshakes == 1 && !e.receive_before_handshake)
    });

    Destroy_HP_SSLPackClient(k);
    Destroy_HP_TcpClientListener(cl);
    Destroy_HP_SSLPullServer(s);
    Destroy_HP_TcpServerListener(sl);
}

/// SSL PACK server (flag and maximum set) and SSL PULL agent that frames and parses the
/// packets itself with Peek + Fetch.
#[test]
fn ssl_pack_server_and_ssl_pull_agent() {
    const FLAG: u16 = 0x1A5;
    let sl = server_listener(false);
    let s = Create_HP_SSLPackServer(sl);
    HP_TcpPackServer_SetPackHeaderFlag(s, FLAG);
    HP_TcpPackServer_SetMaxPackSize(s, 0x10000);
    assert_eq!(HP_TcpPackServer_GetPackHeaderFlag(s), FLAG);
    assert_eq!(HP_TcpPackServer_GetMaxPackSize(s), 0x10000);
    setup_server(s);
    let port = start_server(s);

    let al = agent_listener(true);
    let a = Create_HP_SSLPullAgent(al);
    let mut id = 0usize;
    unsafe {
        setup_verifying(HP_SSLAgent_SetupSSLContext, false, a);
        assert_eq!(HP_Agent_Start(a, LOCALHOST.as_ptr(), FALSE), TRUE);
        assert_eq!(
            HP_Agent_Connect(a, c"localhost".as_ptr(), port, &mut id),
            TRUE
        );
    }
    assert!(handshaken(a), "{:?}", events(a, |e| e.closed));
    assert_eq!(HP_SSLAgent_StartSSLHandShake(a, id), TRUE);
    set_errno(0);
    assert_eq!(
        (HP_SSLAgent_StartSSLHandShake(a, id + 1000), errno()),
        (FALSE, EBADSLT)
    );
    let mut info: *mut c_void = std::ptr::null_mut();
    assert_eq!(
        unsafe { HP_SSLAgent_GetSSLSessionInfo(a, id, SSL_SSI_VERSION, &mut info) },
        FALSE
    );
    assert_eq!(errno(), EOPNOTSUPP);

    let mut want = Vec::new();
    for i in 0..25u32 {
        let body: Vec<u8> = (0..(1 + i * 4099 % 60_000))
            .map(|j| (i * 7 + j) as u8)
            .collect();
        let header = ((FLAG as u32) << 22) | body.len() as u32;
        let mut framed = header.to_le_bytes().to_vec();
        framed.extend_from_slice(&body);
        assert_eq!(
            unsafe { HP_Agent_Send(a, id, framed.as_ptr(), framed.len() as c_int) },
            TRUE
        );
        want.extend_from_slice(&body);
    }
    assert!(
        wait_until(|| events(a, |e| e.data.len() >= want.len())),
        "echo incomplete"
    );
    events(a, |e| {
        assert!(e.data == want && !e.receive_before_handshake)
    });

    Destroy_HP_SSLPullAgent(a);
    Destroy_HP_TcpAgentListener(al);
    Destroy_HP_SSLPackServer(s);
    Destroy_HP_TcpServerListener(sl);
}

// ---- SNI callback ----

/// What the SNI callback does: 0 delegate to the default lookup, 1 refuse.
static SNI_MODE: AtomicI32 = AtomicI32::new(0);
static SNI_CONTEXT: AtomicUsize = AtomicUsize::new(0);
static SNI_NAME: LazyLock<Mutex<String>> = LazyLock::new(Default::default);

unsafe extern "C" fn sni_pick(name: *const c_char, context: *mut c_void) -> c_int {
    SNI_CONTEXT.store(context as usize, Ordering::SeqCst);
    *SNI_NAME.lock().unwrap() = CStr::from_ptr(name).to_string_lossy().into_owned();
    if SNI_MODE.load(Ordering::SeqCst) == 1 {
        return -1;
    }
    HP_SSL_DefaultServerNameCallback(name, context)
}

/// The callback receives the host name and the server as `pContext`; delegating to the
/// default lookup serves the bound context (which the agent verifies for "localhost"), a
/// negative return refuses the handshake.
#[test]
fn sni_callback_gets_the_server_and_can_refuse() {
    let c = &*CERTS;
    for refuse in [false, true] {
        SNI_MODE.store(refuse as i32, Ordering::SeqCst);
        SNI_CONTEXT.store(0, Ordering::SeqCst);
        let sl = server_listener(false);
        let s = Create_HP_SSLServer(sl);
        unsafe {
            assert_eq!(
                HP_SSLServer_SetupSSLContextByMemory(
                    s,
                    SSL_VM_NONE,
                    c.other.0.as_ptr(),
                    c.other.1.as_ptr(),
                    std::ptr::null(),
                    std::ptr::null(),
                    Some(sni_pick),
                ),
                TRUE
            );
            let i = HP_SSLServer_AddSSLContextByMemory(
                s,
                0,
                c.sni.0.as_ptr(),
                c.sni.1.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
            );
            assert_eq!(i, 1);
            assert_eq!(
                HP_SSLServer_BindSSLServerName(s, c"localhost".as_ptr(), i),
                TRUE
            );
        }
        let port = start_server(s);
        let al = agent_listener(false);
        let a = Create_HP_SSLAgent(al);
        let mut id = 0usize;
        unsafe {
            setup_verifying(HP_SSLAgent_SetupSSLContextByMemory, true, a);
            assert_eq!(HP_Agent_Start(a, LOCALHOST.as_ptr(), FALSE), TRUE);
            assert_eq!(
                HP_Agent_Connect(a, c"localhost".as_ptr(), port, &mut id),
                TRUE
            );
        }
        assert_eq!(handshaken(a), !refuse, "{:?}", events(a, |e| e.closed));
        assert_eq!(SNI_CONTEXT.load(Ordering::SeqCst), s as usize);
        assert_eq!(*SNI_NAME.lock().unwrap(), "localhost");
        if !refuse {
            let msg = b"hello over SNI";
            assert_eq!(
                unsafe { HP_Agent_Send(a, id, msg.as_ptr(), msg.len() as c_int) },
                TRUE
            );
            assert!(wait_until(|| events(a, |e| e.data.len() >= msg.len())));
            events(a, |e| assert_eq!(e.data, msg));
        }
        Destroy_HP_SSLAgent(a);
        Destroy_HP_TcpAgentListener(al);
        Destroy_HP_SSLServer(s);
        Destroy_HP_TcpServerListener(sl);
    }
}
