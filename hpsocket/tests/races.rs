//! Regression tests for interleavings found in review: each once lost an event, stalled a
//! connection or deadlocked.

mod util;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use hpsocket::*;
use util::*;

/// Runs `f` on a thread; true when it returned within the test bound.
fn returns<F: FnOnce() + Send + 'static>(f: F) -> bool {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(LIMIT).is_ok()
}

/// Data and FIN reach the socket before the worker first reads it: one edge carries both, so
/// a short read must not be taken as "drained".
#[test]
fn eof_arriving_with_data_is_seen() {
    struct SlowAccept(mpsc::Sender<(SocketOperation, i32)>);
    impl ServerListener for SlowAccept {
        fn on_accept(&self, _s: &TcpServer, _id: ConnId, _k: SockRef<'_>) -> HandleResult {
            std::thread::sleep(Duration::from_millis(200)); // let data + FIN arrive first
            HandleResult::Ok
        }
        fn on_close(
            &self,
            _s: &TcpServer,
            _id: ConnId,
            op: SocketOperation,
            e: i32,
        ) -> HandleResult {
            let _ = self.0.send((op, e));
            HandleResult::Ok
        }
    }
    let (tx, rx) = mpsc::channel();
    let s = TcpServer::new(SlowAccept(tx));
    s.start("127.0.0.1", 0).unwrap();
    let mut c = TcpStream::connect(s.listen_address().unwrap()).unwrap();
    c.write_all(b"hello").unwrap();
    drop(c);
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), (SocketOperation::Close, 0));
    assert!(eventually(|| s.connection_count() == 0));
    s.stop().unwrap();
}

/// A callback run from the worker's "more to read" pass disconnects another connection on
/// the same worker: the request must be carried out without waiting for an unrelated event.
#[test]
fn request_posted_from_the_ready_pass_is_carried_out() {
    static OTHER: AtomicUsize = AtomicUsize::new(0);
    struct L2(AtomicUsize, mpsc::Sender<ConnId>);
    impl ServerListener for L2 {
        fn on_receive(&self, s: &TcpServer, _id: ConnId, d: &[u8]) -> HandleResult {
            if self.0.fetch_add(d.len(), Ordering::SeqCst) + d.len() == 4000 {
                s.disconnect(ConnId::new(OTHER.load(Ordering::SeqCst)).unwrap(), true)
                    .unwrap();
            }
            HandleResult::Ok
        }
        fn on_close(
            &self,
            _s: &TcpServer,
            id: ConnId,
            _o: SocketOperation,
            _e: i32,
        ) -> HandleResult {
            let _ = self.1.send(id);
            HandleResult::Ok
        }
    }
    let (tx, rx) = mpsc::channel();
    let s = TcpServer::new(L2(AtomicUsize::new(0), tx));
    s.set_worker_thread_count(1).unwrap();
    s.set_socket_buffer_size(8).unwrap(); // many reads per event: the ready pass runs
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    let _idle = TcpStream::connect(a).unwrap();
    let deadline = std::time::Instant::now() + LIMIT;
    while s.connection_count() < 1 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    OTHER.store(s.all_connection_ids()[0].get(), Ordering::SeqCst);
    let mut big = TcpStream::connect(a).unwrap();
    big.write_all(&[7u8; 4000]).unwrap();
    assert_eq!(
        rx.recv_timeout(LIMIT).unwrap().get(),
        OTHER.load(Ordering::SeqCst)
    );
    drop(big);
    s.stop().unwrap();
}

/// `stop()` inside `on_connect` of a synchronous connect runs on the caller's thread, not a
/// worker: it must not wait for the connection being connected.
#[test]
fn stop_inside_synchronous_on_connect_returns() {
    struct StopAgent;
    impl AgentListener for StopAgent {
        fn on_connect(&self, a: &TcpAgent, _id: ConnId) -> HandleResult {
            a.stop().unwrap();
            HandleResult::Ok
        }
    }
    struct StopClient;
    impl ClientListener for StopClient {
        fn on_connect(&self, c: &TcpClient, _id: ConnId) -> HandleResult {
            c.stop().unwrap();
            HandleResult::Ok
        }
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let agent = TcpAgent::new(StopAgent);
    agent.start(None, false).unwrap();
    let a2 = agent.clone();
    assert!(returns(move || {
        let _ = a2.connect("127.0.0.1", port);
    }));
    assert!(agent.wait(Some(LIMIT)));
    let client = TcpClient::new(StopClient);
    let c2 = client.clone();
    assert!(returns(move || {
        let _ = c2.start("127.0.0.1", port, false);
    }));
    assert!(client.wait(Some(LIMIT)));
}

/// `on_send` never nests inside another callback of the connection, and calling into the
/// component from `on_send` (here: 70 connects) cannot deadlock on internal locks.
#[test]
fn on_send_is_not_nested_and_may_call_back_in() {
    struct SendCb {
        port: u16,
        in_connect: AtomicBool,
        nested: Arc<AtomicBool>,
        first: AtomicBool,
        done: mpsc::Sender<()>,
    }
    impl AgentListener for SendCb {
        fn on_connect(&self, a: &TcpAgent, id: ConnId) -> HandleResult {
            if !self.first.swap(true, Ordering::SeqCst) {
                self.in_connect.store(true, Ordering::SeqCst);
                a.send(id, b"x").unwrap();
                self.in_connect.store(false, Ordering::SeqCst);
            }
            HandleResult::Ok
        }
        fn on_send(&self, a: &TcpAgent, _id: ConnId, _d: &[u8]) -> HandleResult {
            if self.in_connect.load(Ordering::SeqCst) {
                self.nested.store(true, Ordering::SeqCst);
            }
            for _ in 0..70 {
                let _ = a.connect("127.0.0.1", self.port);
            }
            let _ = self.done.send(());
            HandleResult::Ok
        }
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let (tx, rx) = mpsc::channel();
    let nested = Arc::new(AtomicBool::new(false));
    let agent = TcpAgent::new(SendCb {
        port: l.local_addr().unwrap().port(),
        in_connect: AtomicBool::new(false),
        nested: nested.clone(),
        first: AtomicBool::new(false),
        done: tx,
    });
    agent.start(None, true).unwrap();
    agent
        .connect("127.0.0.1", l.local_addr().unwrap().port())
        .unwrap();
    assert!(
        rx.recv_timeout(LIMIT).is_ok(),
        "worker deadlocked inside on_send"
    );
    assert!(
        !nested.load(Ordering::SeqCst),
        "on_send ran nested inside on_connect"
    );
    agent.stop().unwrap();
}

/// A connect that races `stop()` either fails or is closed by the stop; it never outlives it.
#[test]
fn connect_racing_stop_never_outlives_it() {
    struct Slow(
        Arc<AtomicBool>,
        Arc<AtomicBool>,
        parking_lot::Mutex<mpsc::Sender<()>>,
    );
    impl AgentListener for Slow {
        fn on_prepare_connect(&self, _a: &TcpAgent, _id: ConnId, _s: SockRef<'_>) -> HandleResult {
            let _ = self.2.lock().send(());
            std::thread::sleep(Duration::from_millis(300)); // stop() runs meanwhile
            HandleResult::Ok
        }
        fn on_connect(&self, _a: &TcpAgent, _id: ConnId) -> HandleResult {
            if self.0.load(Ordering::SeqCst) {
                self.1.store(true, Ordering::SeqCst);
            }
            HandleResult::Ok
        }
        fn on_shutdown(&self, _a: &TcpAgent) -> HandleResult {
            self.0.store(true, Ordering::SeqCst);
            HandleResult::Ok
        }
    }
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let shut = Arc::new(AtomicBool::new(false));
    let late = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let agent = TcpAgent::new(Slow(
        shut.clone(),
        late.clone(),
        parking_lot::Mutex::new(tx),
    ));
    agent.start(None, false).unwrap();
    let a2 = agent.clone();
    let h = std::thread::spawn(move || a2.connect("127.0.0.1", port));
    rx.recv_timeout(LIMIT).unwrap(); // the connect is inside on_prepare_connect
    agent.stop().unwrap();
    let r = h.join().unwrap();
    assert!(matches!(r, Err(Error::IllegalState(_))), "{r:?}");
    assert_eq!(agent.connection_count(), 0);
    assert!(!late.load(Ordering::SeqCst), "on_connect after on_shutdown");
    assert_eq!(agent.state(), ServiceState::Stopped);
}

/// A panicking callback closes its connection (with an error) and leaves the worker serving
/// the others.
#[test]
fn panicking_callback_closes_only_its_connection() {
    let (server, rec, a) = server("127.0.0.1", true);
    *rec.on_recv_hook.lock() = Some(Box::new(|_, data| {
        if data == b"panic" {
            panic!("listener bug");
        }
    }));
    let mut bad = connect(a);
    let mut good = connect(a);
    assert_eq!(roundtrip(&mut good, b"before"), b"before");
    bad.write_all(b"panic").unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes()[0].1, SocketOperation::Receive);
    assert_eq!(roundtrip(&mut good, b"after"), b"after");
    server.stop().unwrap();
}
