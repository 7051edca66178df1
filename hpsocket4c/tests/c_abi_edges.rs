//! Edge cases of the C ABI found by review (issue 14), called directly from Rust: bind and local
//! addresses that are not UTF-8 fail with EINVAL instead of meaning "every interface", and
//! `Destroy_*` / `Wait` called inside a callback return at once instead of blocking the worker,
//! while the destroyed component still stops, fires its last callbacks and lets go of its
//! socket. Every wait is bounded.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hpsocket4c::agent::*;
use hpsocket4c::client::*;
use hpsocket4c::listener::*;
use hpsocket4c::server::*;
use hpsocket4c::sys::SYS_GetLastError;
use hpsocket4c::udp::*;

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const EBADF: u32 = 9;
const EINVAL: u32 = 22;
const EDEADLK: i32 = 35;
const HR_OK: c_int = 0;
const SE_SOCKET_CREATE: c_int = 3;

const LIMIT: Duration = Duration::from_secs(15);
/// What "returns promptly" means for a Destroy inside a callback (it used to take 30 s).
const PROMPT: Duration = Duration::from_secs(1);

const LOCALHOST: &CStr = c"127.0.0.1";
/// "127.0.0.1" with a byte that makes it invalid UTF-8.
const NOT_UTF8: &CStr = c"127.0.0.\xff";

type AnyFn = unsafe extern "C" fn();
macro_rules! cb {
    ($f:expr, $t:ty) => {
        // SAFETY: a function pointer of the callback's own C type, stored as an opaque pointer
        // and called back with that type.
        Some(unsafe { std::mem::transmute::<$t, AnyFn>($f) })
    };
}
type FnData = extern "C" fn(H, usize, *const u8, c_int) -> c_int;
type FnSender = extern "C" fn(H) -> c_int;
type FnClose = extern "C" fn(H, usize, c_int, c_int) -> c_int;

fn errno() -> u32 {
    SYS_GetLastError()
}

// ---- invalid UTF-8 addresses --------------------------------------------------------------

#[test]
fn bind_addresses_that_are_not_utf8_fail_with_einval() {
    let port = testkit::free_tcp_port();
    let sl = Create_HP_TcpServerListener();
    let s = Create_HP_TcpServer(sl);
    assert_eq!(
        unsafe { HP_Server_Start(s, NOT_UTF8.as_ptr(), port) },
        FALSE
    );
    assert_eq!(errno(), EINVAL);
    // The component says why, as for any address that is not an IP address.
    assert_eq!(HP_Server_GetLastError(s) as c_int, SE_SOCKET_CREATE);
    assert_eq!(HP_Server_HasStarted(s), FALSE, "nothing bound");
    Destroy_HP_TcpServer(s);
    Destroy_HP_TcpServerListener(sl);

    let ul = Create_HP_UdpServerListener();
    let u = Create_HP_UdpServer(ul);
    let uport = testkit::free_udp_port();
    assert_eq!(
        unsafe { HP_Server_Start(u, NOT_UTF8.as_ptr(), uport) },
        FALSE
    );
    assert_eq!(errno(), EINVAL);
    assert_eq!(HP_Server_GetLastError(u) as c_int, SE_SOCKET_CREATE);
    assert_eq!(HP_Server_HasStarted(u), FALSE);
    Destroy_HP_UdpServer(u);
    Destroy_HP_UdpServerListener(ul);

    let al = Create_HP_TcpAgentListener();
    let a = Create_HP_TcpAgent(al);
    assert_eq!(
        unsafe { HP_Agent_Start(a, NOT_UTF8.as_ptr(), FALSE) },
        FALSE
    );
    assert_eq!(errno(), EINVAL);
    assert_eq!(HP_Agent_GetLastError(a) as c_int, SE_SOCKET_CREATE);
    assert_eq!(HP_Agent_HasStarted(a), FALSE);
    // A started agent: a local address that is not UTF-8 refuses the connection.
    assert_eq!(unsafe { HP_Agent_Start(a, std::ptr::null(), FALSE) }, TRUE);
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let tport = target.local_addr().unwrap().port();
    let mut id = 0usize;
    let r = unsafe {
        HP_Agent_ConnectWithLocalAddress(a, LOCALHOST.as_ptr(), tport, &mut id, NOT_UTF8.as_ptr())
    };
    assert_eq!((r, errno()), (FALSE, EINVAL));
    let r = unsafe {
        HP_Agent_ConnectWithExtraAndLocalAddressPort(
            a,
            LOCALHOST.as_ptr(),
            tport,
            &mut id,
            std::ptr::null_mut(),
            0,
            NOT_UTF8.as_ptr(),
        )
    };
    assert_eq!((r, errno()), (FALSE, EINVAL));
    assert_eq!(HP_Agent_GetConnectionCount(a), 0);
    Destroy_HP_TcpAgent(a);
    Destroy_HP_TcpAgentListener(al);

    // Clients: TCP, UDP and cast, through the bind-address Start functions.
    // A cast's "host" is its group: a real one, so that only the bind address is wrong.
    for (create, listener, host) in [
        (
            Create_HP_TcpClient as extern "C" fn(H) -> H,
            Create_HP_TcpClientListener as extern "C" fn() -> H,
            LOCALHOST,
        ),
        (Create_HP_UdpClient, Create_HP_UdpClientListener, LOCALHOST),
        (Create_HP_UdpCast, Create_HP_UdpCastListener, c"239.255.0.1"),
    ] {
        let l = listener();
        let c = create(l);
        let r = unsafe {
            HP_Client_StartWithBindAddress(c, host.as_ptr(), tport, FALSE, NOT_UTF8.as_ptr())
        };
        assert_eq!((r, errno()), (FALSE, EINVAL));
        let r = unsafe {
            HP_Client_StartWithBindAddressAndLocalPort(
                c,
                host.as_ptr(),
                tport,
                FALSE,
                NOT_UTF8.as_ptr(),
                0,
            )
        };
        assert_eq!((r, errno()), (FALSE, EINVAL));
        assert_eq!(
            HP_Client_GetLastError(c) as c_int,
            SE_SOCKET_CREATE,
            "client {c:?}"
        );
        // A host that is not UTF-8 too.
        let r = unsafe { HP_Client_Start(c, NOT_UTF8.as_ptr(), tport, FALSE) };
        assert_eq!((r, errno()), (FALSE, EINVAL));
        assert_eq!(HP_Client_HasStarted(c), FALSE);
        Destroy_HP_TcpClient(c);
        Destroy_HP_TcpClientListener(l);
    }
}

// ---- Destroy inside callbacks -------------------------------------------------------------

/// What one scenario's callbacks saw, looked up by the component handle (`pSender`).
#[derive(Default)]
struct Probe {
    /// Destroy in OnReceive (else in OnClose).
    on_receive: bool,
    destroy: Mutex<Option<extern "C" fn(H)>>,
    wait: Mutex<Option<extern "C" fn(H, u32) -> c_int>>,
    /// How long Destroy took inside the callback (µs), once it ran.
    destroy_us: AtomicU64,
    destroyed: AtomicBool,
    /// `Wait(2000)` inside the callback: result, errno, µs.
    wait_result: AtomicI32,
    wait_errno: AtomicI32,
    wait_us: AtomicU64,
    shutdown: AtomicBool,
    /// Callbacks that came after OnShutdown.
    late: AtomicUsize,
    closes: AtomicUsize,
}

static PROBES: Mutex<Option<HashMap<usize, Arc<Probe>>>> = Mutex::new(None);

fn probe(sender: H) -> Arc<Probe> {
    PROBES.lock().unwrap().as_ref().unwrap()[&(sender as usize)].clone()
}

fn register(h: H, p: Arc<Probe>) {
    PROBES
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .insert(h as usize, p);
}

/// Waits (inside the callback), then destroys, timing both.
fn destroy_here(sender: H, p: &Probe) {
    if p.destroyed.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Some(wait) = *p.wait.lock().unwrap() {
        let t = Instant::now();
        let r = wait(sender, 2000);
        p.wait_us
            .store(t.elapsed().as_micros() as u64, Ordering::SeqCst);
        p.wait_errno.store(errno() as i32, Ordering::SeqCst);
        p.wait_result.store(r, Ordering::SeqCst);
    }
    let destroy = p.destroy.lock().unwrap().unwrap();
    let t = Instant::now();
    destroy(sender);
    p.destroy_us
        .store(t.elapsed().as_micros() as u64 + 1, Ordering::SeqCst);
}

extern "C" fn on_receive(sender: H, _id: usize, _p: *const u8, _n: c_int) -> c_int {
    let p = probe(sender);
    if p.shutdown.load(Ordering::SeqCst) {
        p.late.fetch_add(1, Ordering::SeqCst);
    }
    if p.on_receive {
        destroy_here(sender, &p);
    }
    HR_OK
}
extern "C" fn on_close(sender: H, _id: usize, _op: c_int, _e: c_int) -> c_int {
    let p = probe(sender);
    if p.shutdown.load(Ordering::SeqCst) {
        p.late.fetch_add(1, Ordering::SeqCst);
    }
    p.closes.fetch_add(1, Ordering::SeqCst);
    if !p.on_receive {
        destroy_here(sender, &p);
    }
    HR_OK
}
extern "C" fn on_shutdown(sender: H) -> c_int {
    let p = probe(sender);
    if p.shutdown.swap(true, Ordering::SeqCst) {
        p.late.fetch_add(1, Ordering::SeqCst);
    }
    HR_OK
}

/// Checks what every scenario shares: Destroy returned promptly inside the callback, the
/// handle is gone, and (with `shutdown`) OnShutdown came and nothing after it.
fn check_destroyed(name: &str, p: &Probe, shutdown: bool, state: extern "C" fn(H) -> c_int, h: H) {
    assert!(
        testkit::eventually(LIMIT, || p.destroy_us.load(Ordering::SeqCst) != 0),
        "{name}: Destroy inside the callback did not return"
    );
    let took = Duration::from_micros(p.destroy_us.load(Ordering::SeqCst));
    println!("{name}: Destroy inside the callback took {took:?}");
    assert!(
        took < PROMPT,
        "{name}: Destroy blocked the callback for {took:?}"
    );
    if p.wait.lock().unwrap().is_some() {
        let waited = Duration::from_micros(p.wait_us.load(Ordering::SeqCst));
        assert_eq!(p.wait_result.load(Ordering::SeqCst), FALSE, "{name}: Wait");
        assert_eq!(
            p.wait_errno.load(Ordering::SeqCst),
            EDEADLK,
            "{name}: Wait errno"
        );
        assert!(waited < PROMPT, "{name}: Wait blocked for {waited:?}");
    }
    if shutdown {
        assert!(
            testkit::eventually(LIMIT, || p.shutdown.load(Ordering::SeqCst)),
            "{name}: no OnShutdown after Destroy"
        );
    }
    // The handle is unregistered at once.
    assert!(testkit::eventually(LIMIT, || {
        state(h);
        errno() == EBADF
    }));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        p.late.load(Ordering::SeqCst),
        0,
        "{name}: callbacks after OnShutdown"
    );
}

/// The peer sees its connection end (EOF or reset) within the limit.
fn sees_end(stream: &mut TcpStream) -> bool {
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0u8; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
    }
}

#[test]
fn server_destroy_inside_on_receive_and_on_close() {
    for on_receive_mode in [true, false] {
        let name = if on_receive_mode {
            "server OnReceive"
        } else {
            "server OnClose"
        };
        let l = Create_HP_TcpServerListener();
        HP_Set_FN_Server_OnReceive(l, cb!(on_receive, FnData));
        HP_Set_FN_Server_OnClose(l, cb!(on_close, FnClose));
        HP_Set_FN_Server_OnShutdown(l, cb!(on_shutdown, FnSender));
        let s = Create_HP_TcpServer(l);
        let p = Arc::new(Probe {
            on_receive: on_receive_mode,
            ..Default::default()
        });
        *p.destroy.lock().unwrap() = Some(Destroy_HP_TcpServer);
        *p.wait.lock().unwrap() = Some(HP_Server_Wait);
        register(s, p.clone());
        assert_eq!(unsafe { HP_Server_Start(s, LOCALHOST.as_ptr(), 0) }, TRUE);
        let mut buf = [0 as c_char; 64];
        let (mut len, mut port) = (64, 0u16);
        assert_eq!(
            unsafe { HP_Server_GetListenAddress(s, buf.as_mut_ptr(), &mut len, &mut port) },
            TRUE
        );
        // A second connection stays open, so the stop has more than the caller's to close.
        let mut other = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        assert!(testkit::eventually(LIMIT, || HP_Server_GetConnectionCount(
            s
        ) == 2));
        if on_receive_mode {
            stream.write_all(b"destroy me").unwrap();
        } else {
            stream.shutdown(std::net::Shutdown::Both).unwrap();
        }
        check_destroyed(name, &p, true, HP_Server_GetState, s);
        assert_eq!(
            p.closes.load(Ordering::SeqCst),
            2,
            "{name}: one OnClose each"
        );
        // Released: the peers see the end, and the port no longer accepts.
        assert!(sees_end(&mut stream));
        assert!(sees_end(&mut other));
        assert!(testkit::eventually(LIMIT, || TcpStream::connect((
            "127.0.0.1",
            port
        ))
        .is_err()));
        Destroy_HP_TcpServerListener(l);
    }
}

#[test]
fn agent_and_client_destroy_inside_on_receive() {
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = target.local_addr().unwrap().port();

    // Agent: destroyed inside OnReceive; OnClose then OnShutdown follow, nothing after.
    let al = Create_HP_TcpAgentListener();
    HP_Set_FN_Agent_OnReceive(al, cb!(on_receive, FnData));
    HP_Set_FN_Agent_OnClose(al, cb!(on_close, FnClose));
    HP_Set_FN_Agent_OnShutdown(al, cb!(on_shutdown, FnSender));
    let a = Create_HP_TcpAgent(al);
    let p = Arc::new(Probe {
        on_receive: true,
        ..Default::default()
    });
    *p.destroy.lock().unwrap() = Some(Destroy_HP_TcpAgent);
    *p.wait.lock().unwrap() = Some(HP_Agent_Wait);
    register(a, p.clone());
    assert_eq!(unsafe { HP_Agent_Start(a, std::ptr::null(), FALSE) }, TRUE);
    let mut id = 0usize;
    assert_eq!(
        unsafe { HP_Agent_Connect(a, LOCALHOST.as_ptr(), port, &mut id) },
        TRUE
    );
    let (mut peer, _) = target.accept().unwrap();
    peer.write_all(b"destroy me").unwrap();
    check_destroyed("agent OnReceive", &p, true, HP_Agent_GetState, a);
    assert_eq!(p.closes.load(Ordering::SeqCst), 1);
    assert!(sees_end(&mut peer));
    Destroy_HP_TcpAgentListener(al);

    // Client: destroyed inside OnReceive; clients have no OnShutdown: OnClose comes once.
    let cl = Create_HP_TcpClientListener();
    HP_Set_FN_Client_OnReceive(cl, cb!(on_receive, FnData));
    HP_Set_FN_Client_OnClose(cl, cb!(on_close, FnClose));
    let c = Create_HP_TcpClient(cl);
    let p = Arc::new(Probe {
        on_receive: true,
        ..Default::default()
    });
    *p.destroy.lock().unwrap() = Some(Destroy_HP_TcpClient);
    *p.wait.lock().unwrap() = Some(HP_Client_Wait);
    register(c, p.clone());
    assert_eq!(
        unsafe { HP_Client_Start(c, LOCALHOST.as_ptr(), port, FALSE) },
        TRUE
    );
    let (mut peer, _) = target.accept().unwrap();
    peer.write_all(b"destroy me").unwrap();
    check_destroyed("client OnReceive", &p, false, HP_Client_GetState, c);
    assert!(testkit::eventually(LIMIT, || p
        .closes
        .load(Ordering::SeqCst)
        == 1));
    assert!(sees_end(&mut peer));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(p.closes.load(Ordering::SeqCst), 1, "one OnClose");
    Destroy_HP_TcpClientListener(cl);
}

#[test]
fn destroy_outside_callbacks_still_waits_for_the_stop() {
    let l = Create_HP_TcpServerListener();
    HP_Set_FN_Server_OnShutdown(l, cb!(on_shutdown, FnSender));
    let s = Create_HP_TcpServer(l);
    let p = Arc::new(Probe::default());
    register(s, p.clone());
    assert_eq!(unsafe { HP_Server_Start(s, LOCALHOST.as_ptr(), 0) }, TRUE);
    Destroy_HP_TcpServer(s);
    // Outside callbacks Destroy returns only once the server has stopped.
    assert!(
        p.shutdown.load(Ordering::SeqCst),
        "OnShutdown before Destroy returned"
    );
    Destroy_HP_TcpServerListener(l);
}
