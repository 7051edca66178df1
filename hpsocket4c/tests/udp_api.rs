//! The UDP families of the C API called directly from Rust (the `extern "C"` functions of the
//! rlib) on loopback:
//!
//! - a UDP server driven through `HP_Server_*` echoes 20 UDP clients driven through
//!   `HP_Client_*`: distinct IDs, OnAccept's `sockaddr` names the client's own port, the
//!   connection queries agree;
//! - the properties' defaults, set / get, and refusals (while started, out of range);
//! - datagram sizes (EINVAL for 0 or oversize), SendPackets as one datagram, PauseReceive not
//!   implemented, TCP-only functions on UDP handles and UDP ones on TCP handles (EINVAL),
//!   bogus handles (EBADF);
//! - Disconnect reaching the client as a close notification; client detection against a
//!   silent peer (OnClose(SO_CLOSE, ECONNRESET));
//! - multicast between casts on 127.0.0.1, with HP_UdpCast_GetRemoteAddress inside OnReceive.
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use hpsocket4c::client::*;
use hpsocket4c::listener::*;
use hpsocket4c::server::*;
use hpsocket4c::sys::SYS_GetLastError;
use hpsocket4c::udp::*;

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const HR_OK: c_int = 0;
const SO_CLOSE: c_int = 5;
const CM_MULTICAST: c_int = 0;
const CM_BROADCAST: c_int = 1;

const EPERM: u32 = 1;
const EBADF: u32 = 9;
const EINVAL: u32 = 22;
const ECONNRESET: c_int = 104;

const LIMIT: Duration = Duration::from_secs(15);
const LOCALHOST: &CStr = c"127.0.0.1";

#[derive(Clone, Debug, PartialEq)]
enum Ev {
    /// Connection ID and the port in OnAccept's sockaddr.
    Accept(usize, u16),
    Connect(usize),
    Receive(usize, Vec<u8>),
    /// A cast's datagram with the sender HP_UdpCast_GetRemoteAddress names.
    CastReceive(Vec<u8>, String, u16),
    Close(usize, c_int, c_int),
}

/// Events by the handle of the component that fired them.
static EVENTS: LazyLock<Mutex<HashMap<usize, Vec<Ev>>>> = LazyLock::new(Default::default);

fn push(sender: H, e: Ev) {
    EVENTS
        .lock()
        .unwrap()
        .entry(sender as usize)
        .or_default()
        .push(e);
}

fn events(h: H) -> Vec<Ev> {
    EVENTS
        .lock()
        .unwrap()
        .get(&(h as usize))
        .cloned()
        .unwrap_or_default()
}

/// Waits until `h` has fired `n` events matching `f`.
fn wait_for(h: H, n: usize, f: impl Fn(&Ev) -> bool) -> Vec<Ev> {
    let end = Instant::now() + LIMIT;
    loop {
        let got: Vec<Ev> = events(h).into_iter().filter(|e| f(e)).collect();
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < end, "timed out: {:?}", events(h));
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A callback for the `HP_Set_FN_*` setters, which store it opaquely and call it back with
/// its own C type.
fn cb(f: *const ()) -> Option<unsafe extern "C" fn()> {
    // SAFETY: `f` is one of the `extern "C"` callbacks below.
    Some(unsafe { std::mem::transmute::<*const (), unsafe extern "C" fn()>(f) })
}

unsafe extern "C" fn on_accept(s: H, id: usize, addr: usize) -> c_int {
    // A UDP server's OnAccept receives the peer's sockaddr.
    let sa = &*(addr as *const libc::sockaddr_in);
    assert_eq!(sa.sin_family as c_int, libc::AF_INET);
    push(s, Ev::Accept(id, u16::from_be(sa.sin_port)));
    HR_OK
}

unsafe extern "C" fn on_echo(s: H, id: usize, p: *const u8, len: c_int) -> c_int {
    let d = std::slice::from_raw_parts(p, len as usize);
    push(s, Ev::Receive(id, d.to_vec()));
    assert_eq!(HP_Server_Send(s, id, p, len), TRUE);
    HR_OK
}

unsafe extern "C" fn on_close(s: H, id: usize, op: c_int, err: c_int) -> c_int {
    push(s, Ev::Close(id, op, err));
    HR_OK
}

unsafe extern "C" fn on_connect(s: H, id: usize) -> c_int {
    push(s, Ev::Connect(id));
    HR_OK
}

unsafe extern "C" fn on_receive(s: H, id: usize, p: *const u8, len: c_int) -> c_int {
    push(
        s,
        Ev::Receive(id, std::slice::from_raw_parts(p, len as usize).to_vec()),
    );
    HR_OK
}

unsafe extern "C" fn on_cast_receive(s: H, _id: usize, p: *const u8, len: c_int) -> c_int {
    let mut buf = [0 as c_char; 64];
    let mut n = buf.len() as c_int;
    let mut port = 0u16;
    assert_eq!(
        HP_UdpCast_GetRemoteAddress(s, buf.as_mut_ptr(), &mut n, &mut port),
        TRUE
    );
    let from = CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_string();
    push(
        s,
        Ev::CastReceive(
            std::slice::from_raw_parts(p, len as usize).to_vec(),
            from,
            port,
        ),
    );
    HR_OK
}

/// An echo server on 127.0.0.1, any port; returns (server, listener, port).
unsafe fn echo_server() -> (H, H, u16) {
    let l = Create_HP_UdpServerListener();
    HP_Set_FN_Server_OnAccept(l, cb(on_accept as *const ()));
    HP_Set_FN_Server_OnReceive(l, cb(on_echo as *const ()));
    HP_Set_FN_Server_OnClose(l, cb(on_close as *const ()));
    let s = Create_HP_UdpServer(l);
    assert!(!s.is_null());
    HP_Server_SetWorkerThreadCount(s, 2);
    assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), TRUE);
    let mut buf = [0 as c_char; 64];
    let mut n = buf.len() as c_int;
    let mut port = 0u16;
    assert_eq!(
        HP_Server_GetListenAddress(s, buf.as_mut_ptr(), &mut n, &mut port),
        TRUE
    );
    (s, l, port)
}

fn client_listener() -> H {
    let l = Create_HP_UdpClientListener();
    HP_Set_FN_Client_OnConnect(l, cb(on_connect as *const ()));
    HP_Set_FN_Client_OnReceive(l, cb(on_receive as *const ()));
    HP_Set_FN_Client_OnClose(l, cb(on_close as *const ()));
    l
}

unsafe fn local_port(c: H) -> u16 {
    let mut buf = [0 as c_char; 64];
    let mut n = buf.len() as c_int;
    let mut port = 0u16;
    assert_eq!(
        HP_Client_GetLocalAddress(c, buf.as_mut_ptr(), &mut n, &mut port),
        TRUE
    );
    port
}

fn errno() -> u32 {
    SYS_GetLastError() as u32
}

#[test]
fn server_echoes_twenty_clients_with_their_own_ids() {
    unsafe {
        let (s, sl, port) = echo_server();
        let cl = client_listener();
        let clients: Vec<H> = (0..20)
            .map(|_| {
                let c = Create_HP_UdpClient(cl);
                assert_eq!(HP_Client_Start(c, LOCALHOST.as_ptr(), port, TRUE), TRUE);
                c
            })
            .collect();
        for (k, &c) in clients.iter().enumerate() {
            wait_for(c, 1, |e| matches!(e, Ev::Connect(_)));
            let msg = format!("datagram from client {k}");
            assert_eq!(HP_Client_Send(c, msg.as_ptr(), msg.len() as c_int), TRUE);
        }
        let mut ids = Vec::new();
        for (k, &c) in clients.iter().enumerate() {
            let got = wait_for(c, 1, |e| matches!(e, Ev::Receive(..)));
            assert_eq!(
                got[0],
                Ev::Receive(
                    HP_Client_GetConnectionID(c),
                    format!("datagram from client {k}").into_bytes()
                )
            );
            // The server's connection for this client: OnAccept named the client's port.
            let lp = local_port(c);
            let accepts = events(s);
            let id = accepts
                .iter()
                .find_map(|e| match e {
                    Ev::Accept(id, p) if *p == lp => Some(*id),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no accept from port {lp}: {accepts:?}"));
            let mut buf = [0 as c_char; 64];
            let mut n = buf.len() as c_int;
            let mut rport = 0u16;
            assert_eq!(
                HP_Server_GetRemoteAddress(s, id, buf.as_mut_ptr(), &mut n, &mut rport),
                TRUE
            );
            assert_eq!(rport, lp);
            assert_eq!(HP_Server_IsConnected(s, id), TRUE);
            let mut pending = -1;
            assert_eq!(HP_Server_GetPendingDataLength(s, id, &mut pending), TRUE);
            assert_eq!(pending, 0);
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 20, "distinct connection IDs");
        assert!(ids.iter().all(|&i| i != 0));
        assert_eq!(HP_Server_GetConnectionCount(s), 20);
        let mut all = [0usize; 32];
        let mut count = all.len() as u32;
        assert_eq!(
            HP_Server_GetAllConnectionIDs(s, all.as_mut_ptr(), &mut count),
            TRUE
        );
        assert_eq!(count, 20);

        // Disconnect reaches the client as HP-Socket's close notification.
        let first = clients[0];
        let lp = local_port(first);
        let id = events(s)
            .iter()
            .find_map(|e| match e {
                Ev::Accept(id, p) if *p == lp => Some(*id),
                _ => None,
            })
            .unwrap();
        assert_eq!(HP_Server_Disconnect(s, id, TRUE), TRUE);
        let closes = wait_for(first, 1, |e| matches!(e, Ev::Close(..)));
        assert_eq!(
            closes[0],
            Ev::Close(HP_Client_GetConnectionID(first), SO_CLOSE, 0)
        );
        wait_for(s, 1, |e| matches!(e, Ev::Close(..)));

        for c in clients {
            Destroy_HP_UdpClient(c);
        }
        assert_eq!(HP_Server_Stop(s), TRUE);
        assert_eq!(HP_Server_Wait(s, 10_000), TRUE);
        Destroy_HP_UdpServer(s);
        Destroy_HP_UdpServerListener(sl);
        Destroy_HP_UdpClientListener(cl);
    }
}

#[test]
fn properties_have_hp_socket_defaults_and_refuse_changes_while_started() {
    unsafe {
        let sl = Create_HP_UdpServerListener();
        let s = Create_HP_UdpServer(sl);
        assert_eq!(HP_UdpServer_GetMaxDatagramSize(s), 1432);
        assert_eq!(HP_UdpServer_GetDetectAttempts(s), 3);
        assert_eq!(HP_UdpServer_GetDetectInterval(s), 60_000);
        assert_eq!(HP_UdpServer_GetPostReceiveCount(s), 64);
        HP_UdpServer_SetMaxDatagramSize(s, 512);
        HP_UdpServer_SetDetectAttempts(s, 5);
        HP_UdpServer_SetDetectInterval(s, 2000);
        HP_UdpServer_SetPostReceiveCount(s, 8);
        assert_eq!(HP_UdpServer_GetMaxDatagramSize(s), 512);
        assert_eq!(HP_UdpServer_GetDetectAttempts(s), 5);
        assert_eq!(HP_UdpServer_GetDetectInterval(s), 2000);
        assert_eq!(HP_UdpServer_GetPostReceiveCount(s), 8);
        // Out of range: ignored, errno EINVAL.
        HP_UdpServer_SetMaxDatagramSize(s, 0);
        assert_eq!(errno(), EINVAL);
        HP_UdpServer_SetPostReceiveCount(s, 0);
        assert_eq!(errno(), EINVAL);
        assert_eq!(HP_UdpServer_GetMaxDatagramSize(s), 512);
        // The shared server properties, UDP's stored ones included.
        HP_Server_SetSendPolicy(s, 1);
        assert_eq!(HP_Server_GetSendPolicy(s), 1);
        HP_Server_SetMarkSilence(s, FALSE);
        assert_eq!(HP_Server_IsMarkSilence(s), FALSE);
        assert_eq!(HP_Server_IsSecure(s), FALSE);
        assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), TRUE);
        HP_UdpServer_SetMaxDatagramSize(s, 1000);
        assert_eq!(errno(), EPERM);
        HP_Server_SetSendPolicy(s, 2);
        assert_eq!(errno(), EPERM);
        assert_eq!(HP_UdpServer_GetMaxDatagramSize(s), 512);
        assert_eq!(HP_Server_GetSendPolicy(s), 1);
        Destroy_HP_UdpServer(s);

        let cl = Create_HP_UdpClientListener();
        let c = Create_HP_UdpClient(cl);
        assert_eq!(HP_UdpClient_GetMaxDatagramSize(c), 1432);
        assert_eq!(HP_UdpClient_GetDetectAttempts(c), 3);
        assert_eq!(HP_UdpClient_GetDetectInterval(c), 60_000);
        HP_UdpClient_SetDetectInterval(c, 1500);
        assert_eq!(HP_UdpClient_GetDetectInterval(c), 1500);
        assert_eq!(HP_Client_GetFreeBufferPoolSize(c), 10);
        HP_Client_SetFreeBufferPoolSize(c, 20);
        assert_eq!(HP_Client_GetFreeBufferPoolSize(c), 20);
        Destroy_HP_UdpClient(c);

        let kl = Create_HP_UdpCastListener();
        let k = Create_HP_UdpCast(kl);
        assert_eq!(HP_UdpCast_GetMaxDatagramSize(k), 1432);
        assert_eq!(HP_UdpCast_GetCastMode(k), CM_MULTICAST);
        assert_eq!(HP_UdpCast_GetMultiCastTtl(k), 1);
        assert_eq!(HP_UdpCast_IsMultiCastLoop(k), FALSE);
        assert_eq!(HP_UdpCast_IsReuseAddress(k), TRUE);
        HP_UdpCast_SetCastMode(k, CM_BROADCAST);
        HP_UdpCast_SetMultiCastTtl(k, 7);
        HP_UdpCast_SetMultiCastLoop(k, TRUE);
        HP_UdpCast_SetReuseAddress(k, FALSE);
        assert_eq!(HP_UdpCast_GetCastMode(k), CM_BROADCAST);
        assert_eq!(HP_UdpCast_GetMultiCastTtl(k), 7);
        assert_eq!(HP_UdpCast_IsMultiCastLoop(k), TRUE);
        assert_eq!(HP_UdpCast_IsReuseAddress(k), FALSE);
        HP_UdpCast_SetCastMode(k, 5);
        assert_eq!(errno(), EINVAL);
        HP_UdpCast_SetMultiCastTtl(k, 256);
        assert_eq!(errno(), EINVAL);
        HP_UdpCast_SetMultiCastTtl(k, -1);
        assert_eq!(errno(), EINVAL);
        assert_eq!(
            (HP_UdpCast_GetCastMode(k), HP_UdpCast_GetMultiCastTtl(k)),
            (1, 7)
        );
        // No datagram yet: no sender to name.
        let mut buf = [0 as c_char; 64];
        let mut n = buf.len() as c_int;
        let mut port = 0u16;
        assert_eq!(
            HP_UdpCast_GetRemoteAddress(k, buf.as_mut_ptr(), &mut n, &mut port),
            FALSE
        );
        Destroy_HP_UdpCast(k);
        Destroy_HP_UdpServerListener(sl);
        Destroy_HP_UdpClientListener(cl);
        Destroy_HP_UdpCastListener(kl);
    }
}

#[test]
fn bad_sizes_handles_and_families_fail_with_errno() {
    unsafe {
        let (s, sl, port) = echo_server();
        let cl = client_listener();
        let c = Create_HP_UdpClient(cl);
        HP_UdpClient_SetMaxDatagramSize(c, 100);
        assert_eq!(HP_Client_Start(c, LOCALHOST.as_ptr(), port, FALSE), TRUE);
        wait_for(c, 1, |e| matches!(e, Ev::Connect(_)));
        let big = [7u8; 101];
        assert_eq!(HP_Client_Send(c, big.as_ptr(), 101), FALSE);
        assert_eq!(errno(), EINVAL);
        assert_eq!(HP_Client_Send(c, big.as_ptr(), 0), FALSE);
        assert_eq!(errno(), EINVAL);
        assert_eq!(HP_Client_PauseReceive(c, TRUE), FALSE);
        assert_eq!(errno(), EPERM);
        // SendPackets: one datagram of the buffers joined.
        let parts: [&[u8]; 3] = [b"one ", b"two ", b"three"];
        let bufs: Vec<hpsocket4c::ops::WSABUF> = parts
            .iter()
            .map(|p| hpsocket4c::ops::WSABUF {
                len: p.len() as u32,
                buf: p.as_ptr(),
            })
            .collect();
        assert_eq!(HP_Client_SendPackets(c, bufs.as_ptr(), 3), TRUE);
        let got = wait_for(c, 1, |e| matches!(e, Ev::Receive(..)));
        assert_eq!(
            got[0],
            Ev::Receive(HP_Client_GetConnectionID(c), b"one two three".to_vec())
        );
        let id = wait_for(s, 1, |e| matches!(e, Ev::Accept(..)))[0].clone();
        let Ev::Accept(id, _) = id else {
            unreachable!()
        };
        let mut paused = 0;
        assert_eq!(HP_Server_IsPauseReceive(s, id, &mut paused), FALSE);
        assert_eq!(errno(), EPERM);
        let big = [1u8; 2000];
        assert_eq!(HP_Server_Send(s, id, big.as_ptr(), 2000), FALSE);
        assert_eq!(errno(), EINVAL);
        // TCP-only functions on UDP components, and UDP ones on TCP components: EINVAL.
        assert_eq!(HP_TcpServer_GetSocketBufferSize(s), 0);
        assert_eq!(errno(), EINVAL);
        assert_eq!(HP_TcpClient_IsNoDelay(c), FALSE);
        assert_eq!(errno(), EINVAL);
        let tl = Create_HP_TcpServerListener();
        let t = Create_HP_TcpServer(tl);
        assert_eq!(HP_UdpServer_GetMaxDatagramSize(t), 0);
        assert_eq!(errno(), EINVAL);
        assert_eq!(HP_UdpCast_GetMaxDatagramSize(c), 0);
        assert_eq!(errno(), EINVAL);
        Destroy_HP_TcpServer(t);
        Destroy_HP_TcpServerListener(tl);
        // Never-created and destroyed handles: EBADF.
        assert_eq!(HP_UdpServer_GetDetectAttempts(0xdead_0000 as H), 0);
        assert_eq!(errno(), EBADF);
        Destroy_HP_UdpClient(c);
        assert_eq!(HP_Client_Send(c, big.as_ptr(), 10), FALSE);
        assert_eq!(errno(), EBADF);
        Destroy_HP_UdpServer(s);
        assert_eq!(HP_Server_GetConnectionCount(s), 0);
        assert_eq!(errno(), EBADF);
        Destroy_HP_UdpServerListener(sl);
        Destroy_HP_UdpClientListener(cl);
    }
}

#[test]
fn client_detection_closes_against_a_silent_peer() {
    unsafe {
        // A socket that never answers the probes.
        let hole = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = hole.local_addr().unwrap().port();
        let cl = client_listener();
        let c = Create_HP_UdpClient(cl);
        HP_UdpClient_SetDetectInterval(c, 150);
        HP_UdpClient_SetDetectAttempts(c, 2);
        assert_eq!(HP_Client_Start(c, LOCALHOST.as_ptr(), port, TRUE), TRUE);
        let closes = wait_for(c, 1, |e| matches!(e, Ev::Close(..)));
        assert_eq!(
            closes[0],
            Ev::Close(HP_Client_GetConnectionID(c), SO_CLOSE, ECONNRESET)
        );
        // The probes were 0-byte datagrams.
        hole.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut b = [0u8; 16];
        assert_eq!(hole.recv(&mut b).unwrap(), 0);
        Destroy_HP_UdpClient(c);
        Destroy_HP_UdpClientListener(cl);
    }
}

#[test]
fn casts_hear_each_other_and_name_the_sender() {
    unsafe {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let group = c"239.255.71.94";
        let kl = Create_HP_UdpCastListener();
        HP_Set_FN_Client_OnConnect(kl, cb(on_connect as *const ()));
        HP_Set_FN_Client_OnReceive(kl, cb(on_cast_receive as *const ()));
        HP_Set_FN_Client_OnClose(kl, cb(on_close as *const ()));
        let members: Vec<H> = (0..2)
            .map(|_| {
                let k = Create_HP_UdpCast(kl);
                HP_UdpCast_SetMultiCastLoop(k, TRUE);
                assert_eq!(
                    HP_Client_StartWithBindAddress(
                        k,
                        group.as_ptr(),
                        port,
                        FALSE,
                        LOCALHOST.as_ptr()
                    ),
                    TRUE
                );
                k
            })
            .collect();
        for &k in &members {
            wait_for(k, 1, |e| matches!(e, Ev::Connect(_)));
            // The "remote" address of a cast is its group.
            let mut buf = [0 as c_char; 64];
            let mut n = buf.len() as c_int;
            let mut p = 0u16;
            assert_eq!(
                HP_Client_GetRemoteAddress(k, buf.as_mut_ptr(), &mut n, &mut p),
                TRUE
            );
            assert_eq!(CStr::from_ptr(buf.as_ptr()), group);
            assert_eq!(p, port);
        }
        let msg = b"hello group";
        assert_eq!(
            HP_Client_Send(members[0], msg.as_ptr(), msg.len() as c_int),
            TRUE
        );
        for &k in &members {
            let got = wait_for(k, 1, |e| matches!(e, Ev::CastReceive(..)));
            assert_eq!(
                got[0],
                Ev::CastReceive(msg.to_vec(), "127.0.0.1".into(), port)
            );
        }
        for k in members {
            assert_eq!(HP_Client_Stop(k), TRUE);
            wait_for(k, 1, |e| matches!(e, Ev::Close(..)));
            Destroy_HP_UdpCast(k);
        }
        Destroy_HP_UdpCastListener(kl);
    }
}
