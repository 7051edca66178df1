//! TcpServer over real loopback sockets.

mod util;

use std::io::{Read, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use hpsocket::*;
use util::*;

fn echo_many(addr: &str) {
    let (server, rec, a) = server(addr, true);
    let handles: Vec<_> = (0..40u64)
        .map(|i| {
            std::thread::spawn(move || {
                let mut s = connect(a);
                for round in 0..5u64 {
                    let msg = pattern(
                        i * 100 + round,
                        1 + ((i * 977 + round * 131) % 20_000) as usize,
                    );
                    assert_eq!(roundtrip(&mut s, &msg), msg, "conn {i} round {round}");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert!(rec.wait_count(40, |e| matches!(e, Ev::Close(..))));
    server.stop().unwrap();
}

#[test]
fn echo_many_connections_ipv4() {
    echo_many("127.0.0.1");
}

#[test]
fn echo_many_connections_ipv6() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback on this machine; skipped");
        return;
    }
    echo_many("::1");
}

#[test]
fn per_connection_event_order_and_shutdown_last() {
    let (server, rec, a) = server("127.0.0.1", true);
    let mut conns: Vec<_> = (0..10).map(|_| connect(a)).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        let msg = pattern(i as u64, 300);
        assert_eq!(roundtrip(c, &msg), msg);
    }
    // Half close themselves, the rest are closed by stop.
    for c in conns.drain(..5) {
        drop(c);
    }
    assert!(rec.wait_count(5, |e| matches!(e, Ev::Close(..))));
    server.stop().unwrap();
    assert_eq!(server.state(), ServiceState::Stopped);
    let evs = rec.events();
    assert_eq!(evs.first(), Some(&Ev::PrepareListen));
    assert_eq!(evs.last(), Some(&Ev::Shutdown));
    assert_eq!(evs.iter().filter(|e| **e == Ev::Shutdown).count(), 1);
    let ids: std::collections::BTreeSet<ConnId> = evs.iter().filter_map(Ev::id).collect();
    assert_eq!(ids.len(), 10);
    for id in ids {
        let mine: Vec<&Ev> = evs.iter().filter(|e| e.id() == Some(id)).collect();
        assert_eq!(mine[0], &Ev::Accept(id), "{mine:?}");
        assert_eq!(mine[1], &Ev::Handshake(id), "{mine:?}");
        assert!(matches!(mine.last().unwrap(), Ev::Close(..)), "{mine:?}");
        assert_eq!(
            mine.iter().filter(|e| matches!(e, Ev::Close(..))).count(),
            1
        );
        assert!(mine[2..mine.len() - 1]
            .iter()
            .all(|e| matches!(e, Ev::Receive(..) | Ev::Send(..))));
        let rx: usize = mine
            .iter()
            .map(|e| if let Ev::Receive(_, n) = e { *n } else { 0 })
            .sum();
        let tx: usize = mine
            .iter()
            .map(|e| if let Ev::Send(_, n) = e { *n } else { 0 })
            .sum();
        assert_eq!((rx, tx), (300, 300));
    }
    // Peer-closed connections report an orderly close; stop-closed ones too.
    for (_, op, err) in rec.closes() {
        assert_eq!((op, err), (SocketOperation::Close, 0));
    }
}

#[test]
fn accept_error_refuses_without_close_event() {
    let (server, rec, a) = server("127.0.0.1", true);
    rec.accept_result.store(2, Ordering::Relaxed);
    let mut c = connect(a);
    assert!(read_to_eof(&mut c).map(|v| v.is_empty()).unwrap_or(true));
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Accept(_))));
    assert!(eventually(|| server.connection_count() == 0));
    rec.accept_result.store(0, Ordering::Relaxed);
    let mut c2 = connect(a);
    assert_eq!(roundtrip(&mut c2, b"ok"), b"ok");
    drop(c2);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    server.stop().unwrap();
    // Only the accepted connection closed.
    assert_eq!(rec.closes().len(), 1);
}

#[test]
fn receive_error_closes_with_receive_operation() {
    let (server, rec, a) = server("127.0.0.1", false);
    rec.receive_result.store(2, Ordering::Relaxed);
    let mut c = connect(a);
    c.write_all(b"boom").unwrap();
    // The peer sees the stream end (EOF or reset), not a timeout.
    if let Err(e) = read_to_eof(&mut c) {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    }
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    let (_, op, err) = rec.closes()[0];
    assert_eq!((op, err), (SocketOperation::Receive, libc_ecanceled()));
    server.stop().unwrap();
}

fn libc_ecanceled() -> i32 {
    125
}

#[test]
fn concurrent_senders_keep_each_send_whole_and_in_order() {
    let (server, rec, a) = server("127.0.0.1", false);
    let mut c = connect(a);
    c.write_all(b"x").unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
    let id = server.all_connection_ids()[0];
    const THREADS: u32 = 4;
    const MSGS: u32 = 2000;
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let server = server.clone();
            std::thread::spawn(move || {
                for seq in 0..MSGS {
                    // 12-byte record: thread, sequence, checksum.
                    let mut m = [0u8; 12];
                    m[..4].copy_from_slice(&t.to_le_bytes());
                    m[4..8].copy_from_slice(&seq.to_le_bytes());
                    m[8..].copy_from_slice(&(t ^ seq ^ 0xA5A5_A5A5).to_le_bytes());
                    loop {
                        match server.send(id, &m) {
                            Ok(()) => break,
                            Err(Error::SendQueueFull { .. }) => std::thread::yield_now(),
                            Err(e) => panic!("send: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    // Keep sending to the server while it sends to us.
    let mut w = c.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..200 {
            w.write_all(&[7u8; 100]).unwrap();
        }
    });
    let mut next = [0u32; THREADS as usize];
    let mut buf = vec![0u8; 12 * (THREADS * MSGS) as usize];
    c.read_exact(&mut buf).unwrap();
    for rec12 in buf.chunks(12) {
        let t = u32::from_le_bytes(rec12[..4].try_into().unwrap());
        let seq = u32::from_le_bytes(rec12[4..8].try_into().unwrap());
        let sum = u32::from_le_bytes(rec12[8..].try_into().unwrap());
        assert_eq!(sum, t ^ seq ^ 0xA5A5_A5A5, "torn record");
        assert_eq!(seq, next[t as usize], "thread {t} out of order");
        next[t as usize] += 1;
    }
    for s in senders {
        s.join().unwrap();
    }
    writer.join().unwrap();
    assert!(rec.wait_until(|evs| evs
        .iter()
        .map(|e| if let Ev::Receive(_, n) = e { *n } else { 0 })
        .sum::<usize>()
        == 20_001));
    server.stop().unwrap();
}

#[test]
fn unknown_or_closed_ids_give_errors() {
    let (server, rec, a) = server("127.0.0.1", false);
    let bogus = ConnId::new(987_654).unwrap();
    assert!(matches!(
        server.send(bogus, b"x"),
        Err(Error::ConnectionNotFound(_))
    ));
    assert!(matches!(
        server.disconnect(bogus, false),
        Err(Error::ConnectionNotFound(_))
    ));
    assert!(server.pending_data_length(bogus).is_err());
    assert!(server.remote_address(bogus).is_err());
    assert!(!server.is_connected(bogus));
    let c = connect(a);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Handshake(_))));
    let id = server.all_connection_ids()[0];
    assert!(server.is_connected(id));
    server.disconnect(id, true).unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert!(matches!(
        server.send(id, b"x"),
        Err(Error::ConnectionNotFound(_))
    ));
    assert!(server.disconnect(id, false).is_err());
    drop(c);
    server.stop().unwrap();
    // Calls on a stopped component.
    assert!(matches!(server.send(id, b"x"), Err(Error::IllegalState(_))));
    assert!(matches!(server.stop(), Err(Error::IllegalState(_))));
    assert_eq!(server.last_error(), SocketError::IllegalState);
}

#[test]
fn graceful_stop_under_load_flushes_and_closes_all() {
    let (server, rec, a) = server("127.0.0.1", false);
    const N: usize = 20;
    const BYTES: usize = 1 << 20;
    let mut conns: Vec<_> = (0..N).map(|_| connect(a)).collect();
    assert!(rec.wait_count(N, |e| matches!(e, Ev::Handshake(_))));
    let payload = pattern(9, BYTES);
    for id in server.all_connection_ids() {
        server.send(id, &payload).unwrap();
    }
    let readers: Vec<_> = conns
        .drain(..)
        .map(|mut c| std::thread::spawn(move || read_to_eof(&mut c).unwrap()))
        .collect();
    server.stop().unwrap();
    for r in readers {
        let got = r.join().unwrap();
        assert_eq!(got.len(), BYTES);
        assert!(got == payload);
    }
    assert_eq!(rec.closes().len(), N);
    assert_eq!(rec.events().last(), Some(&Ev::Shutdown));
}

#[test]
fn max_connection_count_is_enforced() {
    let rec = Recorder::echoing();
    let server = TcpServer::new(L(rec.clone()));
    server.set_max_connection_count(3).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    let a = server.listen_address().unwrap();
    let mut ok: Vec<_> = (0..3).map(|_| connect(a)).collect();
    for c in ok.iter_mut() {
        assert_eq!(roundtrip(c, b"hi"), b"hi");
    }
    let mut extra = connect(a);
    extra.write_all(b"hi").ok();
    // The fourth is closed without being served.
    assert!(read_to_eof(&mut extra)
        .map(|v| v.is_empty())
        .unwrap_or(true));
    assert_eq!(server.connection_count(), 3);
    assert_eq!(rec.count(|e| matches!(e, Ev::Accept(_))), 3);
    drop(ok.pop());
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    let mut again = connect(a);
    assert_eq!(roundtrip(&mut again, b"yo"), b"yo");
    server.stop().unwrap();
}

#[test]
fn pause_then_resume_loses_nothing() {
    let (server, rec, a) = server("127.0.0.1", false);
    rec.keep_data.store(true, Ordering::Relaxed);
    let mut c = connect(a);
    c.write_all(b"first").unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
    let id = server.all_connection_ids()[0];
    server.pause_receive(id, true).unwrap();
    assert!(server.is_pause_receive(id).unwrap());
    let payload = pattern(3, 256 * 1024);
    let mut w = c.try_clone().unwrap();
    let p2 = payload.clone();
    let writer = std::thread::spawn(move || w.write_all(&p2).unwrap());
    std::thread::sleep(Duration::from_millis(100)); // let bytes pile up in the kernel
    let before = rec.data.lock().get(&id).map_or(0, |v| v.len());
    assert_eq!(before, 5, "nothing is read while paused");
    server.pause_receive(id, false).unwrap();
    writer.join().unwrap();
    assert!(
        rec.wait_until(|_| rec.data.lock().get(&id).map_or(0, |v| v.len()) == 5 + payload.len())
    );
    let data = rec.data.lock().get(&id).cloned().unwrap();
    assert_eq!(&data[..5], b"first");
    assert!(data[5..] == payload[..]);
    server.stop().unwrap();
}

#[test]
fn silence_detection_disconnects_idle_peers() {
    let (server, rec, a) = server("127.0.0.1", true);
    let mut idle = connect(a);
    let mut busy = connect(a);
    assert!(rec.wait_count(2, |e| matches!(e, Ev::Handshake(_))));
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(roundtrip(&mut busy, b"ping"), b"ping");
    }
    let ids = server.all_connection_ids();
    assert!(ids
        .iter()
        .any(|&id| server.silence_period(id).unwrap() >= Duration::from_millis(250)));
    server
        .disconnect_silence_connections(Duration::from_millis(200), false)
        .unwrap();
    assert!(read_to_eof(&mut idle).unwrap().is_empty());
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(roundtrip(&mut busy, b"still"), b"still");
    assert!(eventually(|| server.connection_count() == 1));
    server.stop().unwrap();
}

#[test]
fn thousand_concurrent_connections() {
    let (server, rec, a) = server("127.0.0.1", true);
    let mut conns: Vec<_> = (0..1000).map(|_| connect(a)).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        c.write_all(&(i as u32).to_le_bytes()).unwrap();
    }
    for (i, c) in conns.iter_mut().enumerate() {
        let mut b = [0u8; 4];
        c.read_exact(&mut b).unwrap();
        assert_eq!(u32::from_le_bytes(b), i as u32);
    }
    assert_eq!(server.connection_count(), 1000);
    assert_eq!(rec.count(|e| matches!(e, Ev::Accept(_))), 1000);
    drop(conns);
    server.stop().unwrap();
    assert_eq!(rec.closes().len(), 1000);
}

#[test]
fn stop_and_disconnect_inside_callbacks_do_not_deadlock() {
    let (server, rec, a) = server("127.0.0.1", false);
    let s2 = server.clone();
    *rec.on_recv_hook.lock() = Some(Box::new(move |id, data| {
        if data == b"bye" {
            s2.disconnect(id, false).unwrap();
        } else if data == b"stop" {
            s2.stop().unwrap();
        }
    }));
    let s3 = server.clone();
    *rec.on_close_hook.lock() = Some(Box::new(move |id| {
        // Calls on the closing connection from on_close fail cleanly.
        assert!(s3.send(id, b"late").is_err());
        let _ = s3.disconnect(id, true);
    }));
    let mut c1 = connect(a);
    c1.write_all(b"bye").unwrap();
    assert!(read_to_eof(&mut c1).unwrap().is_empty());
    let mut c2 = connect(a);
    let _c3 = connect(a);
    // A client's connect completes in the kernel before the server accepts it: wait until
    // all three were accepted, or the stop could come first and leave c3 in the backlog.
    assert!(rec.wait_count(3, |e| matches!(e, Ev::Handshake(_))));
    c2.write_all(b"stop").unwrap();
    assert!(server.wait(Some(LIMIT)), "stop from on_receive completes");
    assert_eq!(rec.closes().len(), 3);
    assert_eq!(rec.events().last(), Some(&Ev::Shutdown));
    // Restartable after a stop from a callback.
    *rec.on_recv_hook.lock() = None;
    server.start("127.0.0.1", 0).unwrap();
    server.stop().unwrap();
}

#[test]
fn send_queue_is_bounded_when_peer_never_reads() {
    let rec = Recorder::new();
    let server = TcpServer::new(L(rec.clone()));
    server.set_max_pending_bytes(1 << 20).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    let c = connect(server.listen_address().unwrap());
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Handshake(_))));
    let id = server.all_connection_ids()[0];
    let chunk = vec![1u8; 64 * 1024];
    let mut accepted = 0usize;
    let err = loop {
        match server.send(id, &chunk) {
            Ok(()) => accepted += chunk.len(),
            // Refused while on_send reports are still catching up (they count against the
            // bound too): wait for them, the queue itself is not full yet.
            Err(Error::SendQueueFull { .. }) if server.pending_data_length(id).unwrap() == 0 => {
                std::thread::yield_now()
            }
            Err(e) => break e,
        }
        assert!(accepted < 1 << 30, "send never refused");
    };
    match err {
        Error::SendQueueFull { limit, pending, .. } => {
            assert_eq!(limit, 1 << 20);
            assert!(pending <= limit);
            assert!(server.pending_data_length(id).unwrap() <= 1 << 20);
        }
        e => panic!("unexpected error {e}"),
    }
    server.disconnect(id, true).unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    // A forced close that dropped queued bytes says so.
    assert_eq!(rec.closes()[0].1, SocketOperation::Send);
    server.stop().unwrap();
    drop(c);
}

#[test]
fn start_errors_and_property_rules() {
    let (server, _rec, a) = server("127.0.0.1", false);
    assert!(matches!(
        server.start("127.0.0.1", 0),
        Err(Error::IllegalState(_))
    ));
    assert_eq!(server.last_error(), SocketError::IllegalState);
    assert!(matches!(
        server.set_socket_buffer_size(8192),
        Err(Error::IllegalState(_))
    ));
    // Busy port.
    let other = TcpServer::new(L(Recorder::new()));
    other
        .set_reuse_address_policy(ReuseAddressPolicy::None)
        .unwrap();
    match other.start("127.0.0.1", a.port()) {
        Err(e @ Error::SocketBind(_)) => assert_eq!(e.errno(), 98),
        r => panic!("expected bind failure, got {r:?}"),
    }
    assert_eq!(other.last_error(), SocketError::SocketBind);
    assert_eq!(other.state(), ServiceState::Stopped);
    assert!(matches!(
        other.start("not an ip", 0),
        Err(Error::SocketCreate(_))
    ));
    // Out of range.
    assert!(matches!(
        other.set_worker_thread_count(0),
        Err(Error::InvalidParam(_))
    ));
    assert!(matches!(
        other.set_max_connection_count(0),
        Err(Error::InvalidParam(_))
    ));
    assert!(matches!(
        other.set_keep_alive_time(5),
        Err(Error::InvalidParam(_))
    ));
    assert!(other.set_keep_alive_time(0).is_ok());
    assert_eq!(other.keep_alive_time(), 0);
    assert_eq!(other.max_connection_count(), 10_000);
    assert_eq!(other.socket_buffer_size(), 4096);
    server.stop().unwrap();
}

#[test]
fn connection_metadata() {
    let (server, rec, a) = server("127.0.0.1", true);
    let mut c = connect(a);
    assert_eq!(roundtrip(&mut c, b"meta"), b"meta");
    let id = server.all_connection_ids()[0];
    assert_eq!(server.remote_address(id).unwrap(), c.local_addr().unwrap());
    assert_eq!(server.local_address(id).unwrap(), a);
    server.set_connection_extra(id, 0xfeed).unwrap();
    assert_eq!(server.connection_extra(id).unwrap(), 0xfeed);
    assert_eq!(server.pending_data_length(id).unwrap(), 0);
    assert!(server.connect_period(id).unwrap() < LIMIT);
    std::thread::sleep(Duration::from_millis(30));
    server
        .disconnect_long_connections(Duration::from_millis(10), false)
        .unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    server.stop().unwrap();
    let _ = Arc::strong_count(&rec);
}
