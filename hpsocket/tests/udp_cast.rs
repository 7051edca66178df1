//! UDP cast over loopback: multicast on 127.0.0.1 with IP_MULTICAST_LOOP, broadcast to the
//! loopback network's broadcast address, sender addresses, bad calls.

mod util;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use hpsocket::*;
use parking_lot::Mutex;
use util::{Ev, Recorder};

/// Datagrams received, with the sender `last_sender` named inside `on_receive`.
type Got = Arc<Mutex<Vec<(Vec<u8>, Option<std::net::SocketAddr>)>>>;

struct M(Arc<Recorder>, Got);

impl ClientListener<UdpCast> for M {
    fn on_connect(&self, _c: &UdpCast, id: ConnId) -> HandleResult {
        self.0.push(Ev::Connect(id));
        HandleResult::Ok
    }
    fn on_receive(&self, c: &UdpCast, id: ConnId, data: &[u8]) -> HandleResult {
        self.1.lock().push((data.to_vec(), c.last_sender()));
        self.0.received(id, data)
    }
    fn on_close(&self, _c: &UdpCast, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.closed(id, op, e)
    }
}

fn member() -> (UdpCast, Arc<Recorder>, Got) {
    let rec = Recorder::new();
    rec.keep_data.store(true, Ordering::Relaxed);
    let got: Got = Default::default();
    (UdpCast::new(M(rec.clone(), got.clone())), rec, got)
}

#[test]
fn multicast_members_on_loopback_hear_each_other() {
    let port = testkit::free_udp_port();
    let group = "239.255.71.93";
    let members: Vec<_> = (0..3)
        .map(|_| {
            let (c, rec, got) = member();
            c.set_multicast_loop(true).unwrap();
            c.start(group, port, Some("127.0.0.1")).unwrap();
            (c, rec, got)
        })
        .collect();
    for (c, rec, _) in &members {
        assert!(rec.wait_count(1, |e| matches!(e, Ev::Connect(_))));
        assert_eq!(
            c.cast_address().unwrap().to_string(),
            format!("{group}:{port}")
        );
    }
    members[0].0.send(b"to the group").unwrap();
    let from = members[0].0.local_address().unwrap().port();
    for (_, rec, got) in &members {
        // Every member, the sender included (loop on), receives it once, from the sender.
        assert!(rec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
        let g = got.lock();
        assert_eq!(g[0].0, b"to the group");
        assert_eq!(g[0].1.map(|a| a.port()), Some(from));
    }
    for (c, rec, _) in &members {
        c.stop().unwrap();
        assert_eq!(rec.closes().len(), 1);
        assert_eq!(c.state(), ServiceState::Stopped);
    }
}

#[test]
fn broadcast_reaches_the_port() {
    let port = testkit::free_udp_port();
    let (rx, rrec, got) = member();
    rx.set_cast_mode(CastMode::Broadcast).unwrap();
    rx.start("127.255.255.255", port, None).unwrap();
    let (tx, _trec, _) = member();
    tx.set_cast_mode(CastMode::Broadcast).unwrap();
    tx.start("127.255.255.255", port, None).unwrap();
    tx.send(b"to everyone").unwrap();
    assert!(rrec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
    assert_eq!(got.lock()[0].0, b"to everyone");
    tx.stop().unwrap();
    rx.stop().unwrap();
}

#[test]
fn bad_cast_calls() {
    let (c, _rec, _) = member();
    assert!(matches!(c.send(b"x"), Err(Error::IllegalState(_))));
    assert!(matches!(
        c.start("127.0.0.1", testkit::free_udp_port(), None),
        Err(Error::InvalidParam(_))
    ));
    assert!(c.start("not an address", 1, None).is_err());
    assert_eq!(c.state(), ServiceState::Stopped);
    c.set_multicast_loop(true).unwrap();
    c.start("239.255.71.94", testkit::free_udp_port(), Some("127.0.0.1"))
        .unwrap();
    assert!(c.set_multicast_ttl(3).is_err(), "fixed while started");
    assert!(matches!(c.send(&[]), Err(Error::MessageSize { .. })));
    assert!(matches!(c.send(&[0; 1433]), Err(Error::MessageSize { .. })));
    c.stop().unwrap();
    assert!(c.stop().is_err());
}
