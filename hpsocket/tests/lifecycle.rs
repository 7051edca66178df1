//! The component life cycle against what is in flight: a stop or restart while a synchronous
//! connect is blocked on a server that does not answer, and the limits and errors of that path.
//!
//! A server that does not answer, on loopback: a listener whose accept queue is full drops
//! new SYNs, so a connect to it blocks until the SYN is retransmitted after the queue drained
//! (about one second) or until its timeout.

mod util;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use hpsocket::*;
use socket2::{Domain, Socket, Type};
use util::*;

/// Runs `f` on a thread; its result if it returned within the test bound.
fn within<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(f: F) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(LIMIT).ok()
}

/// A listener whose accept queue is full: connects to it block (SYNs are dropped). Dropping
/// it (or accepting from it) lets them through.
struct Stalled {
    listener: TcpListener,
    /// The connections that fill the queue.
    _fill: Vec<TcpStream>,
}

impl Stalled {
    fn new() -> Stalled {
        let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        s.listen(0).unwrap();
        let listener: TcpListener = s.into();
        let addr = listener.local_addr().unwrap();
        let mut fill = Vec::new();
        // Fill until a connect no longer completes at once: the queue is full.
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(c) => fill.push(c),
                Err(_) => {
                    return Stalled {
                        listener,
                        _fill: fill,
                    }
                }
            }
        }
        panic!("the listen queue never filled");
    }

    fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }

    /// Accepts what waits, so the blocked connects get through on their next SYN.
    fn drain(&self) {
        self.listener.set_nonblocking(true).unwrap();
        while let Ok((c, _)) = self.listener.accept() {
            drop(c);
        }
    }
}

/// Issue 20, race (a): an agent in synchronous-connect mode is stopped and started again while
/// a `connect` is blocked. Once the old connect gets through it must not join the new run (it
/// was handed to a worker of the old, shut-down pool, never closed, and the next `stop` waited
/// for it forever).
#[test]
fn agent_restart_during_blocked_sync_connect() {
    let slow = Stalled::new();
    let port = slow.port();
    let rec = Recorder::new();
    let agent = TcpAgent::new(L(rec.clone()));
    agent.set_connect_timeout(8_000).unwrap();
    agent.start(None, false).unwrap();
    let a2 = agent.clone();
    let (tx, rx) = mpsc::channel();
    let blocked = std::thread::spawn(move || {
        let _ = tx.send(());
        a2.connect("127.0.0.1", port)
    });
    rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(200)); // the connect is in its SYN wait
    let a3 = agent.clone();
    assert_eq!(within(move || a3.stop()).map(|r| r.is_ok()), Some(true));
    agent.start(None, false).unwrap();
    slow.drain();
    let r = blocked.join().unwrap();
    assert!(
        matches!(r, Err(Error::IllegalState(_))),
        "a connect overtaken by stop: {r:?}"
    );
    assert_eq!(
        agent.connection_count(),
        0,
        "the stale connect joined the new run"
    );
    let a4 = agent.clone();
    assert_eq!(
        within(move || a4.stop()).map(|r| r.is_ok()),
        Some(true),
        "stop did not return"
    );
    assert_eq!(agent.state(), ServiceState::Stopped);
    // Start after stop works, and its connects too.
    let (server, _srec, addr) = server("127.0.0.1", true);
    agent.start(None, false).unwrap();
    let id = agent.connect("127.0.0.1", addr.port()).unwrap();
    agent.send(id, b"ping").unwrap();
    agent.stop().unwrap();
    server.stop().unwrap();
    drop(slow);
}

/// Issue 20, race (b): `stop` from another thread during a blocked synchronous client `start`
/// must not report stopped while that start goes on; when the old start ends it must not
/// touch the run of a later `start`.
#[test]
fn client_stop_during_blocked_sync_start() {
    let slow = Stalled::new();
    let (server, _srec, addr) = server("127.0.0.1", true);
    let rec = Recorder::new();
    let client = TcpClient::new(L(rec.clone()));
    client.set_connect_timeout(1_500).unwrap();
    let c2 = client.clone();
    let port = slow.port();
    let first = std::thread::spawn(move || c2.start("127.0.0.1", port, false));
    assert!(eventually(|| client.state() == ServiceState::Starting));
    std::thread::sleep(Duration::from_millis(100));
    let c3 = client.clone();
    assert_eq!(within(move || c3.stop()).map(|r| r.is_ok()), Some(true));
    assert_eq!(client.state(), ServiceState::Stopped);
    // The old start ended before stop reported stopped, or at least ends now without effect.
    let second = client.start("127.0.0.1", addr.port(), false);
    let r1 = first.join().unwrap();
    assert!(r1.is_err(), "{r1:?}");
    if second.is_err() {
        // The old start was still running: legal, it said so; try again now it is over.
        client.start("127.0.0.1", addr.port(), false).unwrap();
    }
    // Past the old start's connect timeout: nothing of it may touch this run.
    std::thread::sleep(Duration::from_millis(1_700));
    assert_eq!(client.state(), ServiceState::Started);
    assert!(client.is_connected());
    let id = client.connection_id().unwrap();
    client.send(b"ping").unwrap();
    let c4 = client.clone();
    assert_eq!(within(move || c4.stop()).map(|r| r.is_ok()), Some(true));
    assert_eq!(client.state(), ServiceState::Stopped);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(i, ..) if *i == id)));
    server.stop().unwrap();
    drop(slow);
}

/// A synchronous connect that times out says ETIMEDOUT, as the asynchronous one does.
#[test]
fn sync_connect_timeout_is_etimedout() {
    let slow = Stalled::new();
    let client = TcpClient::new(L(Recorder::new()));
    client.set_connect_timeout(300).unwrap();
    match client.start("127.0.0.1", slow.port(), false) {
        Err(Error::ConnectServer(e)) => assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT)),
        other => panic!("{other:?}"),
    }
    assert_eq!(client.state(), ServiceState::Stopped);
    let agent = TcpAgent::new(L(Recorder::new()));
    agent.set_connect_timeout(300).unwrap();
    agent.start(None, false).unwrap();
    match agent.connect("127.0.0.1", slow.port()) {
        Err(Error::ConnectServer(e)) => assert_eq!(e.raw_os_error(), Some(libc::ETIMEDOUT)),
        other => panic!("{other:?}"),
    }
    agent.stop().unwrap();
    let _ = Arc::new(());
}
