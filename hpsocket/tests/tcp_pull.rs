//! PULL components over real loopback sockets.

mod util;

use std::io::{Read, Write};
use std::sync::atomic::Ordering;

use hpsocket::*;
use util::*;

fn pull_server(
    echo: bool,
) -> (
    TcpPullServer,
    std::sync::Arc<Recorder>,
    std::net::SocketAddr,
) {
    let rec = if echo {
        Recorder::echoing()
    } else {
        Recorder::new()
    };
    let s = TcpPullServer::new(L(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    (s, rec, a)
}

#[test]
fn receive_reports_the_total_buffered() {
    let (server, rec, a) = pull_server(false);
    let mut c = connect(a);
    c.write_all(b"hello").unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
    c.write_all(b"abc").unwrap();
    assert!(rec.wait_count(2, |e| matches!(e, Ev::Receive(..))));
    let lens: Vec<usize> = rec
        .events()
        .iter()
        .filter_map(|e| {
            if let Ev::Receive(_, n) = e {
                Some(*n)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(lens, vec![5, 8]);
    let id = server.all_connection_ids()[0];
    let mut nine = [0u8; 9];
    assert_eq!(server.fetch(id, &mut nine), FetchResult::LengthTooLong);
    let mut three = [0u8; 3];
    assert_eq!(server.peek(id, &mut three), FetchResult::Ok);
    assert_eq!(&three, b"hel");
    let mut eight = [0u8; 8];
    assert_eq!(server.fetch(id, &mut eight), FetchResult::Ok);
    assert_eq!(&eight, b"helloabc");
    assert_eq!(server.fetch(id, &mut three), FetchResult::LengthTooLong);
    // Unknown and closed IDs: DataNotFound (the original library crashes here).
    assert_eq!(
        server.fetch(ConnId::new(999_999).unwrap(), &mut three),
        FetchResult::DataNotFound
    );
    drop(c);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(server.peek(id, &mut three), FetchResult::DataNotFound);
    server.stop().unwrap();
}

#[test]
fn pull_server_agent_client_echo() {
    let (server, _srec, a) = pull_server(true);
    let mut raw = connect(a);
    let msg = pattern(5, 200_000);
    let mut r = raw.try_clone().unwrap();
    let m2 = msg.clone();
    let reader = std::thread::spawn(move || {
        let mut back = vec![0u8; m2.len()];
        r.read_exact(&mut back).unwrap();
        back == m2
    });
    raw.write_all(&msg).unwrap();
    assert!(reader.join().unwrap());

    // A PULL agent and a PULL client against a PUSH echo server.
    let (push, _p, pa) = server_push();
    // Neither echoing nor keeping: the recorder leaves the bytes for this thread to fetch.
    let arec = Recorder::new();
    let agent = TcpPullAgent::new(L(arec.clone()));
    agent.start(None, false).unwrap();
    // Fetch from a thread other than the worker, outside callbacks.
    let id = agent.connect("127.0.0.1", pa.port()).unwrap();
    agent.send(id, &msg).unwrap();
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + LIMIT;
    while got.len() < msg.len() && std::time::Instant::now() < deadline {
        let mut chunk = vec![0u8; (msg.len() - got.len()).min(7000)];
        match agent.fetch(id, &mut chunk) {
            FetchResult::Ok => got.extend_from_slice(&chunk),
            FetchResult::LengthTooLong => std::thread::yield_now(),
            FetchResult::DataNotFound => panic!("connection vanished"),
        }
    }
    assert!(got == msg);
    agent.stop().unwrap();

    let crec = Recorder::echoing(); // echoes back whatever it fetches
    crec.keep_data.store(true, Ordering::Relaxed);
    let client = TcpPullClient::new(L(crec.clone()));
    client.start("127.0.0.1", a.port(), false).unwrap();
    client.send(b"ping-pull").unwrap();
    // server echoes → client fetches and echoes → … ; check the first bytes came back intact.
    assert!(crec.wait_until(|_| crec.data.lock().values().next().map_or(0, |v| v.len()) >= 9));
    assert_eq!(
        &crec.data.lock().values().next().unwrap()[..9],
        b"ping-pull"
    );
    client.stop().unwrap();
    push.stop().unwrap();
    server.stop().unwrap();
}

fn server_push() -> (TcpServer, std::sync::Arc<Recorder>, std::net::SocketAddr) {
    server("127.0.0.1", true)
}

#[test]
fn full_pull_buffer_applies_backpressure_without_loss() {
    let rec = Recorder::new();
    let s = TcpPullServer::new(L(rec.clone()));
    s.set_pull_buffer_limit(64 * 1024).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let mut c = connect(s.listen_address().unwrap());
    let msg = pattern(8, 3 << 20);
    let m2 = msg.clone();
    let writer = std::thread::spawn(move || c.write_all(&m2).map(|_| c));
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
    let id = s.all_connection_ids()[0];
    // The application is slow: the buffer stays bounded near the limit.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let biggest = rec
        .events()
        .iter()
        .filter_map(|e| {
            if let Ev::Receive(_, n) = e {
                Some(*n)
            } else {
                None
            }
        })
        .max()
        .unwrap();
    assert!(biggest < 64 * 1024 + 4096 * 16, "buffer grew to {biggest}");
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + LIMIT;
    while got.len() < msg.len() && std::time::Instant::now() < deadline {
        let mut chunk = vec![0u8; (msg.len() - got.len()).min(10_000)];
        match s.fetch(id, &mut chunk) {
            FetchResult::Ok => got.extend_from_slice(&chunk),
            FetchResult::LengthTooLong => {
                let mut one = [0u8; 1];
                if s.fetch(id, &mut one) == FetchResult::Ok {
                    got.push(one[0]);
                } else {
                    std::thread::yield_now();
                }
            }
            FetchResult::DataNotFound => panic!("connection vanished"),
        }
    }
    let _c = writer.join().unwrap().unwrap();
    assert_eq!(got.len(), msg.len());
    assert!(got == msg);
    s.stop().unwrap();
}
