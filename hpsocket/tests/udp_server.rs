//! UDP server over loopback: per-peer virtual connections, echo, detection, probes, close
//! notifications, oversize and garbage datagrams, a flooding peer, limits and bad calls.

mod util;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hpsocket::*;
use util::{Ev, Recorder, LIMIT};

const CLOSE_NOTIFY: [u8; 16] = [
    0xBE, 0xB6, 0x1F, 0xEB, 0xDA, 0x52, 0x46, 0xBA, 0x92, 0x33, 0x59, 0xDB, 0xBF, 0xE6, 0xC8, 0xE4,
];

struct U(Arc<Recorder>);

impl ServerListener<UdpServer> for U {
    fn on_accept(&self, _s: &UdpServer, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        self.0.push(Ev::Accept(id));
        util::hr(self.0.accept_result.load(Ordering::Relaxed))
    }
    fn on_handshake(&self, _s: &UdpServer, id: ConnId) -> HandleResult {
        self.0.push(Ev::Handshake(id));
        HandleResult::Ok
    }
    fn on_send(&self, _s: &UdpServer, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.push(Ev::Send(id, data.len()));
        HandleResult::Ok
    }
    fn on_receive(&self, s: &UdpServer, id: ConnId, data: &[u8]) -> HandleResult {
        if self.0.echo.load(Ordering::Relaxed) {
            // A full socket buffer under a flood is a legitimate send failure, not a bug.
            let _ = s.send(id, data);
        }
        self.0.received(id, data)
    }
    fn on_close(&self, _s: &UdpServer, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.closed(id, op, e)
    }
    fn on_shutdown(&self, _s: &UdpServer) -> HandleResult {
        self.0.push(Ev::Shutdown);
        HandleResult::Ok
    }
    fn wants_send_events(&self) -> bool {
        true
    }
}

fn server(configure: impl FnOnce(&UdpServer)) -> (UdpServer, Arc<Recorder>, SocketAddr) {
    let rec = Recorder::echoing();
    let s = UdpServer::new(U(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    configure(&s);
    s.start("127.0.0.1", 0).expect("start UDP server");
    let a = s.listen_address().unwrap();
    (s, rec, a)
}

fn peer(server: SocketAddr) -> UdpSocket {
    let p = UdpSocket::bind("127.0.0.1:0").unwrap();
    p.connect(server).unwrap();
    p.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    p
}

fn recv(p: &UdpSocket) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 70_000];
    p.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

fn id_of(s: &UdpServer, p: &UdpSocket) -> ConnId {
    let me = p.local_addr().unwrap();
    s.all_connection_ids()
        .into_iter()
        .find(|&i| s.remote_address(i).ok() == Some(me))
        .expect("peer has a connection")
}

#[test]
fn a_hundred_peers_echo_with_their_own_ids() {
    let (s, rec, addr) = server(|_| {});
    let peers: Vec<UdpSocket> = (0..100).map(|_| peer(addr)).collect();
    for (i, p) in peers.iter().enumerate() {
        p.send(format!("datagram from peer {i}").as_bytes())
            .unwrap();
    }
    for (i, p) in peers.iter().enumerate() {
        assert_eq!(
            recv(p).expect("echo"),
            format!("datagram from peer {i}").into_bytes()
        );
    }
    assert_eq!(s.connection_count(), 100);
    let ids = s.all_connection_ids();
    let mut seen: Vec<SocketAddr> = ids.iter().map(|&i| s.remote_address(i).unwrap()).collect();
    seen.sort();
    let mut want: Vec<SocketAddr> = peers.iter().map(|p| p.local_addr().unwrap()).collect();
    want.sort();
    assert_eq!(seen, want, "one connection per peer address");
    // The listener echoes before it records the receive: wait for the last records.
    assert!(rec.wait_count(100, |e| matches!(e, Ev::Receive(..))));
    // Events per connection: accept, handshake, receive, in that order.
    for id in ids {
        let evs: Vec<Ev> = rec
            .events()
            .into_iter()
            .filter(|e| e.id() == Some(id) && !matches!(e, Ev::Send(..)))
            .collect();
        assert!(
            matches!(
                evs[..],
                [Ev::Accept(_), Ev::Handshake(_), Ev::Receive(_, _)]
            ),
            "{evs:?}"
        );
    }
    // A second datagram from a peer is the same connection.
    peers[7].send(b"again").unwrap();
    assert_eq!(recv(&peers[7]).unwrap(), b"again");
    assert_eq!(s.connection_count(), 100);
    assert!(rec.wait_count(101, |e| matches!(e, Ev::Send(..))));

    s.stop().unwrap();
    // Stop tells every peer, closes every connection, then shuts down.
    for p in &peers {
        assert_eq!(recv(p).unwrap(), CLOSE_NOTIFY);
    }
    assert_eq!(
        rec.count(|e| matches!(e, Ev::Close(_, SocketOperation::Close, 0))),
        100
    );
    assert_eq!(rec.events().last(), Some(&Ev::Shutdown));
}

#[test]
fn detection_closes_silent_peers_and_probes_keep_peers_alive() {
    let (s, rec, addr) = server(|s| {
        s.set_detect_attempts(2).unwrap();
        s.set_detect_interval(100).unwrap();
    });
    let silent = peer(addr);
    let lively = peer(addr);
    silent.send(b"hello").unwrap();
    lively.send(b"hello").unwrap();
    recv(&silent).unwrap();
    recv(&lively).unwrap();
    let (sid, lid) = (id_of(&s, &silent), id_of(&s, &lively));
    let start = Instant::now();
    // The lively peer probes with 0-byte datagrams, which are answered with 0 bytes.
    let mut answered = 0;
    while start.elapsed() < Duration::from_millis(800) {
        lively.send(&[]).unwrap();
        if recv(&lively) == Some(Vec::new()) {
            answered += 1;
        }
        std::thread::sleep(Duration::from_millis(40));
    }
    assert!(answered > 5);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes(), vec![(sid, SocketOperation::Close, 0)]);
    assert!(s.is_connected(lid));
    // Probes are not data.
    assert_eq!(rec.count(|e| *e == Ev::Receive(lid, 0)), 0);
    s.stop().unwrap();
}

#[test]
fn close_notify_oversize_and_garbage_datagrams() {
    let (s, rec, addr) = server(|s| s.set_max_datagram_size(1000).unwrap());
    // The peer's close notification closes its connection without a reply.
    let a = peer(addr);
    a.send(b"x").unwrap();
    recv(&a).unwrap();
    let aid = id_of(&s, &a);
    a.send(&CLOSE_NOTIFY).unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes()[0], (aid, SocketOperation::Close, 0));

    // Larger than max_datagram_size: closed with EMSGSIZE and told so.
    let b = peer(addr);
    b.send(b"y").unwrap();
    recv(&b).unwrap();
    let bid = id_of(&s, &b);
    b.send(&vec![7u8; 1001]).unwrap();
    assert_eq!(recv(&b).unwrap(), CLOSE_NOTIFY);
    assert!(rec.wait_count(2, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes()[1], (bid, SocketOperation::Receive, 90));
    // Exactly max_datagram_size is fine; from a stranger, oversize is ignored.
    let c = peer(addr);
    c.send(&vec![1u8; 1000]).unwrap();
    assert_eq!(recv(&c).unwrap().len(), 1000);
    let d = peer(addr);
    d.send(&vec![1u8; 5000]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(s.remote_address(id_of_opt(&s, &d)).is_err());
    // Random bytes are data like any other.
    let g = peer(addr);
    let junk: Vec<u8> = (0..999u32).map(|i| (i * 7919 % 256) as u8).collect();
    g.send(&junk).unwrap();
    assert_eq!(recv(&g).unwrap(), junk);
    s.stop().unwrap();
}

fn id_of_opt(s: &UdpServer, p: &UdpSocket) -> ConnId {
    let me = p.local_addr().unwrap();
    s.all_connection_ids()
        .into_iter()
        .find(|&i| s.remote_address(i).ok() == Some(me))
        .unwrap_or(ConnId::new(usize::MAX).unwrap())
}

#[test]
fn disconnect_refusal_limits_and_bad_calls() {
    let (s, rec, addr) = server(|s| s.set_max_connection_count(2).unwrap());
    let a = peer(addr);
    a.send(b"a").unwrap();
    recv(&a).unwrap();
    let aid = id_of(&s, &a);
    s.disconnect(aid, false).unwrap();
    assert_eq!(recv(&a).unwrap(), CLOSE_NOTIFY);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert!(!s.is_connected(aid));
    assert!(matches!(
        s.send(aid, b"late"),
        Err(Error::ConnectionNotFound(_))
    ));

    // Full of peers that keep talking: the third peer is told at once and never accepted.
    let b = peer(addr);
    let c = peer(addr);
    for _ in 0..2 {
        b.send(b"b").unwrap();
        c.send(b"c").unwrap();
        recv(&b).unwrap();
        recv(&c).unwrap();
    }
    let accepts = rec.count(|e| matches!(e, Ev::Accept(_)));
    let d = peer(addr);
    d.send(b"d").unwrap();
    assert_eq!(recv(&d).unwrap(), CLOSE_NOTIFY);
    assert_eq!(rec.count(|e| matches!(e, Ev::Accept(_))), accepts);

    let bid = id_of(&s, &b);
    assert!(matches!(s.send(bid, &[]), Err(Error::MessageSize { .. })));
    assert!(matches!(
        s.send(bid, &vec![0u8; 1433]),
        Err(Error::MessageSize { .. })
    ));
    s.send_packets(bid, &[b"two ", b"parts"]).unwrap();
    assert_eq!(recv(&b).unwrap(), b"two parts");
    assert!(matches!(
        s.send(ConnId::new(999_999).unwrap(), b"x"),
        Err(Error::ConnectionNotFound(_))
    ));
    s.stop().unwrap();
    assert!(matches!(s.send(bid, b"x"), Err(Error::IllegalState(_))));
    assert!(s.stop().is_err());

    // on_accept refusing: no connection, no close event.
    let (s, rec, addr) = server(|_| {});
    rec.accept_result.store(2, Ordering::Relaxed);
    let e = peer(addr);
    e.send(b"refused").unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Accept(_))));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(s.connection_count(), 0);
    assert_eq!(
        rec.count(|e| matches!(e, Ev::Close(..) | Ev::Receive(..))),
        0
    );
    s.stop().unwrap();
}

#[test]
fn a_flooding_peer_does_not_starve_the_others() {
    let (s, _rec, addr) = server(|s| s.set_worker_thread_count(1).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        let f = peer(addr);
        std::thread::spawn(move || {
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if f.send(&[0xAB; 512]).is_ok() {
                    sent += 1;
                }
            }
            sent
        })
    };
    // Another peer on the same (single) worker still gets its round trips through.
    let p = peer(addr);
    let deadline = Instant::now() + LIMIT;
    let mut done = 0;
    while done < 50 && Instant::now() < deadline {
        p.send(format!("ping {done}").as_bytes()).unwrap();
        // Under the flood a datagram may be dropped by the kernel; retry, never hang.
        if let Some(back) = recv_timeout(&p, Duration::from_millis(200)) {
            if back == format!("ping {done}").into_bytes() {
                done += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flooded = flood.join().unwrap();
    assert_eq!(
        done, 50,
        "the quiet peer was starved ({flooded} flood datagrams)"
    );
    s.stop().unwrap();
}

fn recv_timeout(p: &UdpSocket, t: Duration) -> Option<Vec<u8>> {
    p.set_read_timeout(Some(t)).unwrap();
    let r = recv(p);
    p.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    r
}

#[test]
fn ipv6_loopback() {
    let rec = Recorder::echoing();
    let s = UdpServer::new(U(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    if s.start("::1", 0).is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    let addr = s.listen_address().unwrap();
    let p = UdpSocket::bind("[::1]:0").unwrap();
    p.connect(addr).unwrap();
    p.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    p.send(b"over v6").unwrap();
    assert_eq!(recv(&p).unwrap(), b"over v6");
    let id = id_of(&s, &p);
    assert!(s.remote_address(id).unwrap().is_ipv6());
    s.stop().unwrap();
}

#[test]
fn silent_and_long_connections_are_disconnected_on_request() {
    let (s, rec, addr) = server(|_| {});
    let quiet = peer(addr);
    let chatty = peer(addr);
    quiet.send(b"hello").unwrap();
    chatty.send(b"hello").unwrap();
    assert_eq!(recv(&quiet).as_deref(), Some(&b"hello"[..]));
    assert_eq!(recv(&chatty).as_deref(), Some(&b"hello"[..]));
    let (q, c) = (id_of(&s, &quiet), id_of(&s, &chatty));
    assert_eq!(s.pending_data_length(q).unwrap(), 0);
    std::thread::sleep(Duration::from_millis(300));
    chatty.send(b"still here").unwrap();
    assert!(recv(&chatty).is_some());
    // Only the peer silent for 200 ms goes, and it is told so.
    s.disconnect_silence_connections(Duration::from_millis(200), false)
        .unwrap();
    assert_eq!(recv(&quiet).as_deref(), Some(&CLOSE_NOTIFY[..]));
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes(), vec![(q, SocketOperation::Close, 0)]);
    assert!(s.is_connected(c));
    assert!(matches!(
        s.pending_data_length(q),
        Err(Error::ConnectionNotFound(_))
    ));
    // Every remaining peer is older than 100 ms.
    s.disconnect_long_connections(Duration::from_millis(100), false)
        .unwrap();
    assert_eq!(recv(&chatty).as_deref(), Some(&CLOSE_NOTIFY[..]));
    assert!(rec.wait_count(2, |e| matches!(e, Ev::Close(..))));
    let deadline = Instant::now() + LIMIT;
    while s.connection_count() > 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    s.stop().unwrap();
    assert!(matches!(
        s.disconnect_silence_connections(Duration::ZERO, false),
        Err(Error::IllegalState(_))
    ));
}

#[test]
fn admission_favours_peers_that_keep_talking_and_probes_admit_nobody() {
    let (s, rec, addr) = server(|s| {
        s.set_worker_thread_count(1).unwrap();
        s.set_max_connection_count(2).unwrap();
    });
    // A 0-byte probe from a stranger is answered but makes no connection.
    let prober = peer(addr);
    prober.send(&[]).unwrap();
    assert_eq!(recv(&prober).unwrap(), Vec::<u8>::new());
    assert_eq!(s.connection_count(), 0);
    assert_eq!(rec.count(|e| matches!(e, Ev::Accept(_))), 0);

    // Two one-datagram peers fill the table; a third evicts the oldest of them.
    let b = peer(addr);
    b.send(b"b").unwrap();
    recv(&b).unwrap();
    let bid = id_of(&s, &b);
    let c = peer(addr);
    c.send(b"c").unwrap();
    recv(&c).unwrap();
    let d = peer(addr);
    d.send(b"d").unwrap();
    assert_eq!(
        recv(&d).unwrap(),
        b"d",
        "admitted in place of an unconfirmed peer"
    );
    assert!(rec.wait_until(|evs| evs.contains(&Ev::Close(
        bid,
        SocketOperation::Close,
        libc::ETIMEDOUT
    ))));
    assert_eq!(s.connection_count(), 2);

    // c and d confirm themselves; a flood of one-datagram sources then displaces neither.
    c.send(b"c2").unwrap();
    recv(&c).unwrap();
    d.send(b"d2").unwrap();
    recv(&d).unwrap();
    let flood: Vec<UdpSocket> = (0..50).map(|_| peer(addr)).collect();
    for f in &flood {
        f.send(b"x").unwrap();
    }
    // At most REPLIES_PER_SECOND (64) close notifications go back to refused sources a
    // second; here all 50 fit, later ones are dropped (see admission docs).
    for f in &flood {
        assert_eq!(recv(f).unwrap(), CLOSE_NOTIFY);
    }
    c.send(b"still").unwrap();
    assert_eq!(recv(&c).unwrap(), b"still");
    d.send(b"here").unwrap();
    assert_eq!(recv(&d).unwrap(), b"here");
    assert_eq!(s.connection_count(), 2);
    s.stop().unwrap();
}

#[test]
fn replies_to_refused_sources_are_rate_limited() {
    let (s, _rec, addr) = server(|s| {
        s.set_worker_thread_count(1).unwrap();
        s.set_max_connection_count(1).unwrap();
    });
    let a = peer(addr);
    for _ in 0..2 {
        a.send(b"a").unwrap();
        recv(&a).unwrap();
    }
    // 300 refused datagrams in well under a second: at most one second's budget comes back.
    let flood = peer(addr);
    let flood2 = peer(addr);
    for i in 0..300 {
        let f = if i % 2 == 0 { &flood } else { &flood2 };
        f.send(b"x").unwrap();
    }
    let mut back = 0;
    for f in [&flood, &flood2] {
        f.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        while recv(f).is_some() {
            back += 1;
        }
    }
    assert!(
        (1..=192).contains(&back),
        "{back} replies to 300 refused datagrams"
    );
    s.stop().unwrap();
}
