//! Many clients share the process-wide workers: 2,000 clients do not mean 2,000 threads.
//! (Its own test binary, so no other test's threads are counted.)

mod util;

use hpsocket::*;
use util::*;

#[test]
fn two_thousand_clients_share_the_workers() {
    let (server, srec, a) = server("127.0.0.1", true);
    // Start the shared pool with one client, then count threads.
    let first = TcpClient::new(L(Recorder::echoing()));
    first.start("127.0.0.1", a.port(), false).unwrap();
    let baseline = thread_count();
    let recs: Vec<_> = (0..2000).map(|_| Recorder::new()).collect();
    let clients: Vec<TcpClient> = recs
        .iter()
        .map(|r| {
            let c = TcpClient::new(L(r.clone()));
            c.start("127.0.0.1", a.port(), true).unwrap();
            c
        })
        .collect();
    for r in &recs {
        assert!(r.wait_count(1, |e| matches!(e, Ev::Handshake(_))));
    }
    for (i, c) in clients.iter().enumerate() {
        c.send(&(i as u32).to_le_bytes()).unwrap();
    }
    for r in &recs {
        assert!(r.wait_until(|evs| evs
            .iter()
            .map(|e| if let Ev::Receive(_, n) = e { *n } else { 0 })
            .sum::<usize>()
            == 4));
    }
    assert_eq!(thread_count(), baseline, "clients must not add threads");
    assert_eq!(server.connection_count(), 2001);
    for c in &clients {
        c.stop().unwrap();
    }
    first.stop().unwrap();
    server.stop().unwrap();
    assert_eq!(srec.closes().len(), 2001);
}
