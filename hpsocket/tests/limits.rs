//! Limits a peer meets from the attacker's side, over real loopback sockets: connections that
//! are opened and never used, and connections that go quiet.

mod util;

use std::io::Read;
use std::time::{Duration, Instant};

use hpsocket::*;
use util::*;

#[test]
fn defaults_servers_limit_the_first_read_outgoing_roles_do_not() {
    struct Q;
    impl ServerListener for Q {}
    impl AgentListener for Q {}
    impl ClientListener for Q {}
    assert_eq!(
        TcpServer::new(Q).first_read_timeout(),
        config::DEFAULT_FIRST_READ_TIMEOUT
    );
    assert_eq!(TcpAgent::new(Q).first_read_timeout(), 0);
    assert_eq!(TcpClient::new(Q).first_read_timeout(), 0);
    assert_eq!(TcpServer::new(Q).idle_timeout(), 0);
}

#[test]
fn idle_connections_cannot_hold_every_slot() {
    let rec = Recorder::echoing();
    let s = TcpServer::new(L(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    s.set_max_connection_count(20).unwrap();
    s.set_first_read_timeout(300).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();

    // The attacker fills every slot and sends nothing.
    let idle: Vec<_> = (0..20).map(|_| connect(a)).collect();
    assert!(eventually(|| s.connection_count() == 20));
    // One more is refused at once (EOF), and counted.
    let mut over = connect(a);
    let mut b = [0u8; 1];
    assert_eq!(over.read(&mut b).unwrap(), 0, "refused over the limit");
    assert!(eventually(|| s.refused_connection_count() == 1));
    let t0 = Instant::now();
    // Each is closed by the server (EOF on the attacker's side), with (Receive, ETIMEDOUT).
    for mut c in idle {
        let mut b = [0u8; 1];
        assert_eq!(
            c.read(&mut b).unwrap(),
            0,
            "the server closes the idle connection"
        );
    }
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(eventually(|| rec
        .closes()
        .iter()
        .filter(|c| c.1 == SocketOperation::Receive && c.2 == libc::ETIMEDOUT)
        .count()
        == 20));
    // The slots are free: a fresh client is served.
    let mut c = connect(a);
    assert_eq!(roundtrip(&mut c, b"still served"), b"still served");
    s.stop().unwrap();
}

#[test]
fn a_client_that_spoke_once_is_not_cut_off_but_idle_timeout_closes_a_quiet_one() {
    let rec = Recorder::echoing();
    let s = TcpServer::new(L(rec.clone()));
    s.set_worker_thread_count(1).unwrap();
    s.set_first_read_timeout(500).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    let mut c = connect(a);
    assert_eq!(roundtrip(&mut c, b"hello"), b"hello");
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        roundtrip(&mut c, b"later"),
        b"later",
        "the first read was in time"
    );
    s.stop().unwrap();

    // With an idle limit, going quiet closes it.
    let rec = Recorder::echoing();
    let s = TcpServer::new(L(rec.clone()));
    s.set_worker_thread_count(1).unwrap();
    s.set_idle_timeout(1000).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    let mut c = connect(a);
    for _ in 0..4 {
        assert_eq!(roundtrip(&mut c, b"ping"), b"ping");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut b = [0u8; 1];
    assert_eq!(c.read(&mut b).unwrap(), 0, "closed after going quiet");
    // The client may see the close before on_close is recorded: wait for it, never index an
    // empty list.
    assert!(eventually(|| matches!(
        rec.closes().as_slice(),
        [(_, SocketOperation::Receive, e)] if *e == libc::ETIMEDOUT
    )));
    s.stop().unwrap();
}

#[test]
fn one_address_cannot_take_more_than_its_share() {
    let rec = Recorder::echoing();
    let s = TcpServer::new(L(rec.clone()));
    s.set_worker_thread_count(1).unwrap();
    s.set_max_connections_per_address(3).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    let mut kept: Vec<_> = (0..3).map(|_| connect(a)).collect();
    for c in &mut kept {
        assert_eq!(roundtrip(c, b"in"), b"in");
    }
    // The fourth from 127.0.0.1 is refused at once and counted.
    let mut fourth = connect(a);
    let mut b = [0u8; 1];
    assert_eq!(fourth.read(&mut b).unwrap(), 0);
    assert!(eventually(|| s.refused_connection_count() == 1));
    // Closing one frees a place for that address.
    drop(kept.pop());
    assert!(eventually(|| s.connection_count() == 2));
    let mut again = connect(a);
    assert_eq!(roundtrip(&mut again, b"back"), b"back");
    s.stop().unwrap();
}

/// Echoes what it receives; a send the budget refuses is counted, not fatal.
struct BudgetEcho(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl ServerListener for BudgetEcho {
    fn on_receive(&self, s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
        if let Err(Error::MemoryBudget { .. }) = s.send(id, data) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        HandleResult::Ok
    }
}

fn rss_mb() -> usize {
    (testkit::procfs::rss_bytes() >> 20) as usize
}

#[test]
fn peers_that_never_read_cannot_take_more_than_the_memory_budget() {
    use std::io::Write;
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s = TcpServer::new(BudgetEcho(refused.clone()));
    s.set_worker_thread_count(2).unwrap();
    s.set_memory_budget(16 << 20).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    let before = rss_mb();
    // 20 peers each send 32 MB to the echo server and never read: past what the kernel's
    // buffers take, the echoes pile up in the server's send queues — 320 MB without a budget
    // (each queue may hold 16 MiB).
    let peers: Vec<_> = (0..20)
        .map(|_| {
            let mut c = connect(a);
            std::thread::spawn(move || {
                let chunk = vec![7u8; 64 << 10];
                for _ in 0..512 {
                    if c.write_all(&chunk).is_err() {
                        break;
                    }
                }
                c
            })
        })
        .collect();
    assert!(eventually(|| refused
        .load(std::sync::atomic::Ordering::Relaxed)
        > 0));
    assert!(s.memory_held() <= 16 << 20, "held {}", s.memory_held());
    let grew = rss_mb().saturating_sub(before);
    assert!(grew < 16 + 24, "RSS grew {grew} MB with a 16 MiB budget");
    // A fresh client is still served (a small echo fits what is left, or waits its turn).
    let mut fresh = connect(a);
    fresh.write_all(b"x").unwrap();
    // The never-reading peers leave: everything they made the server hold goes back.
    for p in peers {
        drop(p.join().unwrap());
    }
    assert!(
        eventually(|| s.memory_held() == 0),
        "held {}",
        s.memory_held()
    );
    s.stop().unwrap();
}
