//! Our WebSocket extension (`HPSocket4C-WS.h`) given bad input, called directly from Rust:
//!
//! - NULL, never-created and destroyed handles fail with EBADF (operations, properties,
//!   setters, Create with such a listener); handles of other components with EINVAL, and the
//!   HTTP functions that would disturb a WebSocket session refuse our handles (EINVAL);
//! - connection ID 0 and unknown IDs fail with EBADSLT; bad text, NULL data with a length and
//!   lengths below -1 with EINVAL; a client never started with EPERM;
//! - a listener serves one kind of component: setters and Create of another kind fail with
//!   EINVAL and store nothing;
//! - the properties: defaults, round trips, bad values (EINVAL), changes while running
//!   (EPERM), the string getters' buffer protocol;
//! - the SSL functions on a Wss server: SNI contexts and bound names, which
//!   `HP_SSL_DefaultServerNameCallback` looks up with the server as its context (HTTPS too).
//!
//! (Bad arguments that need an open connection — a ping over 125 bytes, a close code that may
//! not be sent, a long reason — are in `hpx_ws_api.rs`.) Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::ffi::{c_char, c_int, c_void, CStr, CString};

use common::Pki;

use hpsocket4c::agent::*;
use hpsocket4c::client::*;
use hpsocket4c::hpx::listener::*;
use hpsocket4c::hpx::ops::*;
use hpsocket4c::hpx::props::*;
use hpsocket4c::hpx::*;
use hpsocket4c::http::*;
use hpsocket4c::listener::*;
use hpsocket4c::server::*;
use hpsocket4c::ssl::*;
use hpsocket4c::sys::SYS_GetLastError;
use hpsocket4c::ws::*;

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const SS_STOPPED: c_int = 3;
const EPERM: u32 = 1;
const EBADF: u32 = 9;
const EINVAL: u32 = 22;
const EBADSLT: u32 = 57;

const BOGUS: H = 0xdead_0000 as H;
const LOCALHOST: &CStr = c"127.0.0.1";

fn errno() -> u32 {
    SYS_GetLastError()
}

fn cb(f: *const ()) -> Option<unsafe extern "C" fn()> {
    // SAFETY: every `f` is an `extern "C"` function of the type the setter's C callback has.
    Some(unsafe { std::mem::transmute::<*const (), unsafe extern "C" fn()>(f) })
}

unsafe extern "C" fn any_id(_s: H, _id: usize) -> c_int {
    0
}

/// `f()` fails (FALSE / 0 / NULL as `fail`) with errno `e`.
#[track_caller]
fn fails<T: PartialEq + std::fmt::Debug>(e: u32, fail: T, f: impl FnOnce() -> T) {
    clear_errno();
    assert_eq!(f(), fail);
    assert_eq!(errno(), e);
}

fn clear_errno() {
    // SAFETY: this thread's errno slot.
    unsafe { *libc::__errno_location() = 0 }
}

/// Every operation and property of the three roles on handle `h` fails with `e`.
fn all_refuse(h: H, e: u32) {
    let t = c"x".as_ptr();
    let d = [1u8];
    let mut buf = [0 as c_char; 16];
    let mut len = 16;
    unsafe {
        fails(e, FALSE, || HPX_WsServer_SendText(h, 1, t, -1));
        fails(e, FALSE, || HPX_WsServer_SendBinary(h, 1, d.as_ptr(), 1));
        fails(e, FALSE, || HPX_WsServer_SendPing(h, 1, d.as_ptr(), 1));
        fails(e, FALSE, || HPX_WsServer_Close(h, 1, 1000, t));
        fails(e, FALSE, || HPX_WsAgent_SendText(h, 1, t, -1));
        fails(e, FALSE, || HPX_WsAgent_SendBinary(h, 1, d.as_ptr(), 1));
        fails(e, FALSE, || HPX_WsAgent_SendPing(h, 1, d.as_ptr(), 1));
        fails(e, FALSE, || HPX_WsAgent_Close(h, 1, 1000, t));
        fails(e, FALSE, || HPX_WsClient_SendText(h, t, -1));
        fails(e, FALSE, || HPX_WsClient_SendBinary(h, d.as_ptr(), 1));
        fails(e, FALSE, || HPX_WsClient_SendPing(h, d.as_ptr(), 1));
        fails(e, FALSE, || HPX_WsClient_Close(h, 1000, t));
        fails(e, FALSE, || HPX_WsServer_SetProtocols(h, t));
        fails(e, FALSE, || {
            HPX_WsServer_GetProtocols(h, buf.as_mut_ptr(), &mut len)
        });
        fails(e, FALSE, || HPX_WsServer_SetDeflate(h, TRUE));
        fails(e, FALSE, || HPX_WsServer_IsDeflate(h));
        fails(e, FALSE, || HPX_WsServer_SetMaxMessageSize(h, 1));
        fails(e, 0, || HPX_WsServer_GetMaxMessageSize(h));
        fails(e, FALSE, || HPX_WsServer_SetFragmentSize(h, 1));
        fails(e, 0, || HPX_WsServer_GetFragmentSize(h));
        fails(e, FALSE, || HPX_WsServer_SetPingInterval(h, 1000));
        fails(e, 0, || HPX_WsServer_GetPingInterval(h));
        fails(e, FALSE, || HPX_WsAgent_SetProtocols(h, t));
        fails(e, FALSE, || HPX_WsAgent_IsDeflate(h));
        fails(e, 0, || HPX_WsAgent_GetPingInterval(h));
        fails(e, FALSE, || HPX_WsAgent_SetPath(h, c"/".as_ptr()));
        fails(e, FALSE, || {
            HPX_WsAgent_GetPath(h, buf.as_mut_ptr(), &mut len)
        });
        fails(e, FALSE, || HPX_WsClient_SetProtocols(h, t));
        fails(e, 0, || HPX_WsClient_GetMaxMessageSize(h));
        fails(e, 0, || HPX_WsClient_GetFragmentSize(h));
        fails(e, FALSE, || HPX_WsClient_SetPath(h, c"/".as_ptr()));
        fails(e, FALSE, || {
            HPX_WsClient_GetPath(h, buf.as_mut_ptr(), &mut len)
        });
    }
}

#[test]
fn unknown_and_destroyed_handles_fail_with_ebadf() {
    all_refuse(std::ptr::null_mut(), EBADF);
    all_refuse(BOGUS, EBADF);

    let l = Create_HPX_WsListener();
    let (s, a, c) = (
        Create_HPX_WsServer(l),
        Create_HPX_WssAgent(l),
        Create_HPX_WsClient(l),
    );
    // One listener, one kind: the agent and client Creates fail (see below).
    assert!(!s.is_null() && a.is_null() && c.is_null());
    Destroy_HPX_WsServer(s);
    all_refuse(s, EBADF);
    Destroy_HPX_WsServer(s); // twice: nothing happens
    Destroy_HPX_WsListener(l);
    fails(EBADF, std::ptr::null_mut(), || Create_HPX_WsServer(l));
    fails(EBADF, std::ptr::null_mut(), || Create_HPX_WssClient(BOGUS));
    fails(EBADF, (), || {
        HPX_Set_FN_Ws_OnWsOpen(l, cb(any_id as *const ()))
    });
    fails(EBADF, (), || HPX_Set_FN_WsServer_OnHandShake(l, None));
    Destroy_HPX_WsListener(l);
    Destroy_HPX_WsListener(BOGUS);
}

#[test]
fn other_components_are_refused_and_refuse_ours() {
    // A TCP and an HTTP server given to our functions: EINVAL (servers' functions) or EBADF
    // (the other roles' functions: not in their registry).
    let tl = Create_HP_TcpServerListener();
    let tcp = Create_HP_TcpServer(tl);
    let hl = Create_HP_HttpServerListener();
    let http = Create_HP_HttpServer(hl);
    for h in [tcp, http] {
        unsafe {
            fails(EINVAL, FALSE, || {
                HPX_WsServer_SendText(h, 1, c"x".as_ptr(), -1)
            });
            fails(EINVAL, FALSE, || HPX_WsServer_SetDeflate(h, TRUE));
            fails(EINVAL, 0, || HPX_WsServer_GetPingInterval(h));
            fails(EBADF, FALSE, || HPX_WsAgent_SetDeflate(h, TRUE));
        }
    }

    // Ours given to the HTTP functions that would disturb a WebSocket session: EINVAL.
    let l = Create_HPX_WsListener();
    let s = Create_HPX_WsServer(l);
    let cl = Create_HPX_WsListener();
    let c = Create_HPX_WsClient(cl);
    let d = [0u8; 2];
    let n = std::ptr::null();
    unsafe {
        fails(EINVAL, FALSE, || {
            HP_HttpServer_SendWSMessage(s, 1, TRUE, 0, 1, d.as_ptr(), 2, 0)
        });
        fails(EINVAL, FALSE, || {
            HP_HttpServer_GetWSMessageState(s, 1, n as _, n as _, n as _, n as _, n as _, n as _)
        });
        fails(EINVAL, (), || HP_HttpServer_SetHttpAutoStart(s, FALSE));
        fails(EINVAL, FALSE, || {
            HP_HttpClient_SendGet(c, c"/".as_ptr(), std::ptr::null(), 0)
        });
        fails(EINVAL, FALSE, || {
            HP_HttpClient_SendWSMessage(c, TRUE, 0, 1, n, d.as_ptr(), 2, 0)
        });
        // The generic and HTTP functions that apply do work on a stopped one.
        assert_eq!(HP_Server_GetState(s), SS_STOPPED);
        assert_eq!(HP_Server_HasStarted(s), FALSE);
        assert_eq!(HP_Server_IsSecure(s), FALSE);
        HP_HttpServer_SetReleaseDelay(s, 500);
        assert_eq!(HP_HttpServer_GetReleaseDelay(s), 500);
        assert_eq!(HP_Client_GetState(c), SS_STOPPED);
        // Getters of a connection that does not exist: EBADSLT.
        fails(EBADSLT, std::ptr::null(), || HP_HttpServer_GetMethod(s, 1));
        fails(EBADSLT, 0, || HP_HttpClient_GetStatusCode(c));
        // A client never started cannot send.
        fails(EPERM, FALSE, || HPX_WsClient_SendText(c, c"x".as_ptr(), -1));
    }
    Destroy_HPX_WsServer(s);
    Destroy_HPX_WsClient(c);
    Destroy_HP_TcpServer(tcp);
    Destroy_HP_HttpServer(http);
    for l in [l, cl] {
        Destroy_HPX_WsListener(l);
    }
    Destroy_HP_TcpServerListener(tl);
    Destroy_HP_HttpServerListener(hl);
}

#[test]
fn bad_ids_and_arguments() {
    let l = Create_HPX_WsListener();
    let s = Create_HPX_WsServer(l);
    let al = Create_HPX_WsListener();
    let a = Create_HPX_WsAgent(al);
    let t = c"x".as_ptr();
    let d = [1u8; 4];
    let nul: *const u8 = std::ptr::null();
    unsafe {
        assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), TRUE);
        assert_eq!(HP_Agent_Start(a, std::ptr::null(), FALSE), TRUE);
        for id in [0, 1, 987_654] {
            fails(EBADSLT, FALSE, || HPX_WsServer_SendText(s, id, t, -1));
            fails(EBADSLT, FALSE, || {
                HPX_WsServer_SendBinary(s, id, d.as_ptr(), 4)
            });
            fails(EBADSLT, FALSE, || {
                HPX_WsServer_SendPing(s, id, d.as_ptr(), 4)
            });
            fails(EBADSLT, FALSE, || HPX_WsServer_Close(s, id, 1000, t));
            fails(EBADSLT, FALSE, || HPX_WsAgent_SendText(a, id, t, 1));
            fails(EBADSLT, FALSE, || {
                HPX_WsAgent_Close(a, id, 1000, std::ptr::null())
            });
        }
        // Arguments are checked before the connection is looked up.
        let bad_utf8 = [b'a', 0xff, 0];
        let bad = bad_utf8.as_ptr() as *const c_char;
        fails(EINVAL, FALSE, || HPX_WsServer_SendText(s, 1, bad, -1));
        fails(EINVAL, FALSE, || HPX_WsServer_SendText(s, 1, bad, 2));
        fails(EINVAL, FALSE, || {
            HPX_WsServer_SendText(s, 1, std::ptr::null(), -1)
        });
        fails(EINVAL, FALSE, || {
            HPX_WsServer_SendText(s, 1, std::ptr::null(), 3)
        });
        fails(EINVAL, FALSE, || HPX_WsServer_SendText(s, 1, t, -2));
        fails(EINVAL, FALSE, || HPX_WsServer_SendBinary(s, 1, nul, 1));
        fails(EINVAL, FALSE, || {
            HPX_WsServer_SendBinary(s, 1, d.as_ptr(), -1)
        });
        fails(EINVAL, FALSE, || {
            HPX_WsServer_SendPing(s, 1, d.as_ptr(), -1)
        });
        fails(EINVAL, FALSE, || HPX_WsServer_Close(s, 1, 1000, bad));
        fails(EINVAL, FALSE, || HPX_WsAgent_SendText(a, 1, bad, -1));
        // Empty messages are messages: past the argument checks, the connection is unknown.
        fails(EBADSLT, FALSE, || {
            HPX_WsServer_SendText(s, 1, std::ptr::null(), 0)
        });
        fails(EBADSLT, FALSE, || HPX_WsServer_SendBinary(s, 1, nul, 0));
        assert_eq!(HP_Server_Stop(s), TRUE);
        assert_eq!(HP_Agent_Stop(a), TRUE);
    }
    Destroy_HPX_WsServer(s);
    Destroy_HPX_WsAgent(a);
    Destroy_HPX_WsListener(l);
    Destroy_HPX_WsListener(al);
}

#[test]
fn a_listener_serves_one_kind_of_component() {
    let f = cb(any_id as *const ());
    // Bound by a setter: servers only.
    let l = Create_HPX_WsListener();
    HPX_Set_FN_WsServer_OnHandShake(l, f);
    fails(EINVAL, (), || HPX_Set_FN_WsAgent_OnConnect(l, f));
    fails(EINVAL, (), || HPX_Set_FN_WsClient_OnConnect(l, f));
    fails(EINVAL, std::ptr::null_mut(), || Create_HPX_WsAgent(l));
    fails(EINVAL, std::ptr::null_mut(), || Create_HPX_WssClient(l));
    clear_errno();
    HPX_Set_FN_Ws_OnWsOpen(l, f); // the WebSocket events fit every kind
    HPX_Set_FN_WsServer_OnAccept(l, None);
    assert_eq!(errno(), 0);
    let (s1, s2) = (Create_HPX_WsServer(l), Create_HPX_WssServer(l));
    assert!(!s1.is_null() && !s2.is_null());
    Destroy_HPX_WsServer(s1);
    Destroy_HPX_WssServer(s2);
    Destroy_HPX_WsListener(l);

    // Bound by a Create: clients only.
    let l = Create_HPX_WsListener();
    let c = Create_HPX_WssClient(l);
    assert!(!c.is_null());
    fails(EINVAL, (), || HPX_Set_FN_WsServer_OnAccept(l, f));
    fails(EINVAL, (), || HPX_Set_FN_WsAgent_OnShutdown(l, f));
    fails(EINVAL, std::ptr::null_mut(), || Create_HPX_WsServer(l));
    clear_errno();
    HPX_Set_FN_WsClient_OnConnect(l, f);
    assert_eq!(errno(), 0);
    assert!(!Create_HPX_WsClient(l).is_null());
    Destroy_HPX_WssClient(c);
    Destroy_HPX_WsListener(l);
}

/// A string property through its getter, checking the buffer protocol on the way.
unsafe fn get_str(get: unsafe extern "C" fn(H, *mut c_char, *mut c_int) -> c_int, h: H) -> String {
    let mut need = 0;
    fails(EINVAL, FALSE, || get(h, std::ptr::null_mut(), &mut need));
    assert!(need >= 1);
    let mut small = vec![0 as c_char; need as usize - 1];
    let mut len = small.len() as c_int;
    fails(EINVAL, FALSE, || get(h, small.as_mut_ptr(), &mut len));
    assert_eq!(len, need, "the size needed");
    fails(EINVAL, FALSE, || {
        get(h, small.as_mut_ptr(), std::ptr::null_mut())
    });
    let mut buf = vec![0 as c_char; need as usize];
    let mut len = need;
    assert_eq!(get(h, buf.as_mut_ptr(), &mut len), TRUE);
    assert_eq!(len, need);
    CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
}

#[test]
fn properties_defaults_round_trips_and_refusals() {
    let l = Create_HPX_WsListener();
    let c = Create_HPX_WssClient(l);
    let sl = Create_HPX_WsListener();
    let s = Create_HPX_WsServer(sl);
    unsafe {
        // Defaults.
        assert_eq!(get_str(HPX_WsClient_GetProtocols, c), "");
        assert_eq!(get_str(HPX_WsClient_GetPath, c), "/");
        assert_eq!(HPX_WsClient_IsDeflate(c), FALSE);
        assert_eq!(HPX_WsClient_GetMaxMessageSize(c), 16 << 20);
        assert_eq!(HPX_WsClient_GetFragmentSize(c), 0);
        assert_eq!(HPX_WsClient_GetPingInterval(c), 30_000);
        assert_eq!(HPX_WsServer_GetPingInterval(s), 30_000);

        // Round trips.
        assert_eq!(
            HPX_WsClient_SetProtocols(c, c" chat.v2 ,chat ".as_ptr()),
            TRUE
        );
        assert_eq!(get_str(HPX_WsClient_GetProtocols, c), "chat.v2,chat");
        assert_eq!(HPX_WsClient_SetPath(c, c"/a/b?c=d".as_ptr()), TRUE);
        assert_eq!(get_str(HPX_WsClient_GetPath, c), "/a/b?c=d");
        assert_eq!(HPX_WsClient_SetDeflate(c, TRUE), TRUE);
        assert_eq!(HPX_WsClient_IsDeflate(c), TRUE);
        assert_eq!(HPX_WsClient_SetMaxMessageSize(c, 0), TRUE);
        assert_eq!(HPX_WsClient_GetMaxMessageSize(c), 0);
        assert_eq!(HPX_WsClient_SetFragmentSize(c, 4096), TRUE);
        assert_eq!(HPX_WsClient_GetFragmentSize(c), 4096);
        assert_eq!(HPX_WsClient_SetPingInterval(c, 0), TRUE);
        assert_eq!(HPX_WsClient_GetPingInterval(c), 0);
        assert_eq!(HPX_WsClient_SetPingInterval(c, 100), TRUE);
        assert_eq!(HPX_WsClient_SetProtocols(c, std::ptr::null()), TRUE);
        assert_eq!(get_str(HPX_WsClient_GetProtocols, c), "");

        // Bad values: refused, the previous value kept.
        assert_eq!(HPX_WsClient_SetProtocols(c, c"chat".as_ptr()), TRUE);
        for bad in [c"a b", c"a,,b", c"a,", c"(x)"] {
            fails(EINVAL, FALSE, || HPX_WsClient_SetProtocols(c, bad.as_ptr()));
        }
        assert_eq!(get_str(HPX_WsClient_GetProtocols, c), "chat");
        fails(EINVAL, FALSE, || HPX_WsClient_SetPingInterval(c, 99));
        assert_eq!(HPX_WsClient_GetPingInterval(c), 100);
        for bad in [c"", c"chat", c"/a b", c"/\x01"] {
            fails(EINVAL, FALSE, || HPX_WsClient_SetPath(c, bad.as_ptr()));
        }
        fails(EINVAL, FALSE, || HPX_WsClient_SetPath(c, std::ptr::null()));
        assert_eq!(get_str(HPX_WsClient_GetPath, c), "/a/b?c=d");

        // While running: EPERM, nothing changed.
        assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), TRUE);
        fails(EPERM, FALSE, || HPX_WsServer_SetDeflate(s, TRUE));
        fails(EPERM, FALSE, || {
            HPX_WsServer_SetProtocols(s, c"chat".as_ptr())
        });
        fails(EPERM, FALSE, || HPX_WsServer_SetMaxMessageSize(s, 1));
        fails(EPERM, FALSE, || HPX_WsServer_SetFragmentSize(s, 1));
        fails(EPERM, FALSE, || HPX_WsServer_SetPingInterval(s, 1000));
        assert_eq!(HPX_WsServer_IsDeflate(s), FALSE);
        assert_eq!(get_str(HPX_WsServer_GetProtocols, s), "");
        assert_eq!(HP_Server_Stop(s), TRUE);
        assert_eq!(HPX_WsServer_SetDeflate(s, TRUE), TRUE, "stopped again");
    }
    Destroy_HPX_WssClient(c);
    Destroy_HPX_WsServer(s);
    Destroy_HPX_WsListener(l);
    Destroy_HPX_WsListener(sl);
}

#[test]
fn ssl_functions_work_on_wss_and_https_servers() {
    let pki = Pki::new();
    let pem = |names: &[&str]| {
        let l = pki.leaf(names);
        (CString::new(l.cert).unwrap(), CString::new(l.key).unwrap())
    };
    let (cert, key) = pem(&["localhost"]);
    let (bcert, bkey) = pem(&["b.example.com"]);
    let n = std::ptr::null();
    let l = Create_HPX_WsListener();
    let wss = Create_HPX_WssServer(l);
    let hl = Create_HP_HttpServerListener();
    let https = Create_HP_HttpsServer(hl);
    for s in [wss, https] {
        unsafe {
            let ok =
                HP_SSLServer_SetupSSLContextByMemory(s, 0, cert.as_ptr(), key.as_ptr(), n, n, None);
            assert_eq!(ok, TRUE, "errno {}", errno());
            let i = HP_SSLServer_AddSSLContextByMemory(s, 0, bcert.as_ptr(), bkey.as_ptr(), n, n);
            assert_eq!(i, 1);
            assert_eq!(
                HP_SSLServer_BindSSLServerName(s, c"b.example.com".as_ptr(), i),
                TRUE
            );
            assert_eq!(
                HP_SSL_DefaultServerNameCallback(c"b.example.com".as_ptr(), s),
                1
            );
            assert_eq!(
                HP_SSL_DefaultServerNameCallback(c"x.b.example.com".as_ptr(), s),
                1
            );
            assert_eq!(
                HP_SSL_DefaultServerNameCallback(c"other.org".as_ptr(), s),
                0
            );
            assert_eq!(HP_Server_IsSecure(s), TRUE);
        }
    }
    // A plain Ws server is no SSL component.
    let ws = Create_HPX_WsServer(l);
    unsafe {
        fails(EINVAL, FALSE, || {
            HP_SSLServer_SetupSSLContextByMemory(ws, 0, cert.as_ptr(), key.as_ptr(), n, n, None)
        });
    }
    Destroy_HPX_WsServer(ws);
    Destroy_HPX_WssServer(wss);
    Destroy_HP_HttpsServer(https);
    Destroy_HPX_WsListener(l);
    Destroy_HP_HttpServerListener(hl);
}
