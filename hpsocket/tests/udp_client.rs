//! UDP client over loopback: echo against our UDP server, heartbeat probes and detection,
//! close notifications both ways, an absent server, bad calls.

mod util;

use std::net::UdpSocket;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use hpsocket::*;
use util::{eventually, Ev, Recorder};

struct C(Arc<Recorder>);

impl ClientListener<UdpClient> for C {
    fn on_connect(&self, _c: &UdpClient, id: ConnId) -> HandleResult {
        self.0.push(Ev::Connect(id));
        HandleResult::Ok
    }
    fn on_handshake(&self, _c: &UdpClient, id: ConnId) -> HandleResult {
        self.0.push(Ev::Handshake(id));
        HandleResult::Ok
    }
    fn on_send(&self, _c: &UdpClient, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.push(Ev::Send(id, data.len()));
        HandleResult::Ok
    }
    fn on_receive(&self, _c: &UdpClient, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.received(id, data)
    }
    fn on_close(&self, _c: &UdpClient, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.closed(id, op, e)
    }
    fn wants_send_events(&self) -> bool {
        true
    }
}

struct S(Arc<Recorder>);

impl ServerListener<UdpServer> for S {
    fn on_receive(&self, s: &UdpServer, id: ConnId, data: &[u8]) -> HandleResult {
        let _ = s.send(id, data);
        self.0.received(id, data)
    }
    fn on_close(&self, _s: &UdpServer, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.closed(id, op, e)
    }
}

fn udp_server() -> (UdpServer, Arc<Recorder>, u16) {
    let rec = Recorder::new();
    let s = UdpServer::new(S(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port();
    (s, rec, port)
}

fn client() -> (UdpClient, Arc<Recorder>) {
    let rec = Recorder::new();
    rec.keep_data.store(true, Ordering::Relaxed);
    (UdpClient::new(C(rec.clone())), rec)
}

#[test]
fn echo_events_and_stop_notify_the_server() {
    let (server, srec, port) = udp_server();
    let (c, rec) = client();
    c.start("127.0.0.1", port, true).unwrap();
    let id = c.connection_id().unwrap();
    let mut want = Vec::new();
    for i in 0..20 {
        let d = format!("datagram {i}");
        // One at a time: UDP on loopback does not reorder, but the test should not rely on
        // a socket buffer it does not control.
        c.send(d.as_bytes()).unwrap();
        want.extend_from_slice(d.as_bytes());
        assert!(rec.wait_until(|_| rec.data.lock().get(&id).map_or(0, |v| v.len()) == want.len()));
    }
    assert_eq!(rec.data.lock()[&id], want);
    let evs = rec.events();
    assert_eq!(evs[..2], [Ev::Connect(id), Ev::Handshake(id)]);
    assert!(rec.wait_count(20, |e| matches!(e, Ev::Send(..))));
    assert!(c.is_connected());
    c.stop().unwrap();
    assert_eq!(c.state(), ServiceState::Stopped);
    assert_eq!(rec.closes(), vec![(id, SocketOperation::Close, 0)]);
    // The server heard the close notification.
    assert!(srec.wait_count(1, |e| matches!(e, Ev::Close(_, SocketOperation::Close, 0))));
    assert!(eventually(|| server.connection_count() == 0));
    assert!(c.stop().is_err());
    // Started again: a new connection ID.
    c.start("127.0.0.1", port, true).unwrap();
    assert_ne!(c.connection_id(), Some(id));
    c.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn probes_keep_the_client_alive_and_a_silent_server_is_detected() {
    let (server, srec, port) = udp_server();
    let (c, rec) = client();
    c.set_detect_attempts(2).unwrap();
    c.set_detect_interval(100).unwrap();
    c.start("127.0.0.1", port, true).unwrap();
    c.send(b"hi").unwrap();
    // Idle for several intervals: the server answers every probe.
    std::thread::sleep(Duration::from_millis(700));
    assert!(c.is_connected(), "{:?}", rec.events());
    assert_eq!(
        srec.count(|e| matches!(e, Ev::Receive(..))),
        1,
        "probes are not data"
    );
    c.stop().unwrap();
    server.stop().unwrap();

    // A "server" that reads and never answers.
    let mute = UdpSocket::bind("127.0.0.1:0").unwrap();
    mute.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (c, rec) = client();
    c.set_detect_attempts(2).unwrap();
    c.set_detect_interval(100).unwrap();
    c.start("127.0.0.1", mute.local_addr().unwrap().port(), true)
        .unwrap();
    let id = c.connection_id().unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(
        rec.closes(),
        vec![(id, SocketOperation::Close, 104 /* ECONNRESET */)]
    );
    // It probed with 0-byte datagrams before giving up.
    let mut buf = [0u8; 64];
    let (n, _) = mute.recv_from(&mut buf).unwrap();
    assert_eq!(n, 0);
    assert!(c.wait(Some(Duration::from_secs(5))));
}

#[test]
fn server_disconnect_and_absent_server_close_the_client() {
    let (server, _srec, port) = udp_server();
    let (c, rec) = client();
    c.start("127.0.0.1", port, true).unwrap();
    let id = c.connection_id().unwrap();
    c.send(b"hello").unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Receive(..))));
    let sid = server.all_connection_ids()[0];
    server.disconnect(sid, false).unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes(), vec![(id, SocketOperation::Close, 0)]);
    assert!(c.wait(Some(Duration::from_secs(5))));
    assert!(matches!(c.send(b"late"), Err(Error::ConnectionNotFound(_))));
    server.stop().unwrap();

    // Nobody listens on the port: the kernel's port-unreachable closes the client.
    let free = UdpSocket::bind("127.0.0.1:0").unwrap();
    let dead_port = free.local_addr().unwrap().port();
    drop(free);
    let (c, rec) = client();
    c.start("127.0.0.1", dead_port, true).unwrap();
    let id = c.connection_id().unwrap();
    let _ = c.send(b"anyone?");
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(
        rec.closes(),
        vec![(id, SocketOperation::Receive, 111 /* ECONNREFUSED */)]
    );
}

#[test]
fn bad_calls_are_clear_errors() {
    let (c, _rec) = client();
    assert!(matches!(c.send(b"x"), Err(Error::IllegalState(_))));
    assert!(c.stop().is_err());
    assert!(c.start("no-such-host.invalid", 1, true).is_err());
    assert_eq!(c.state(), ServiceState::Stopped);
    let (server, _srec, port) = udp_server();
    c.set_max_datagram_size(100).unwrap();
    c.start("127.0.0.1", port, true).unwrap();
    assert!(c.set_max_datagram_size(200).is_err(), "fixed while started");
    assert!(matches!(c.send(&[]), Err(Error::MessageSize { .. })));
    assert!(matches!(c.send(&[0; 101]), Err(Error::MessageSize { .. })));
    c.send(&[0; 100]).unwrap();
    c.stop().unwrap();
    server.stop().unwrap();
}
