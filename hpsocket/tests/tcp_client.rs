//! TcpClient over real loopback sockets.

mod util;

use std::net::TcpListener;
use std::sync::atomic::Ordering;

use hpsocket::*;
use util::*;

#[test]
fn async_client_echo_and_states() {
    let (server, _s, a) = server("127.0.0.1", true);
    let rec = Recorder::new();
    rec.keep_data.store(true, Ordering::Relaxed);
    let client = TcpClient::new(L(rec.clone()));
    client.start("127.0.0.1", a.port(), true).unwrap();
    assert!(client.has_started());
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Handshake(_))));
    assert_eq!(client.state(), ServiceState::Started);
    let id = client.connection_id().unwrap();
    let msg = pattern(1, 100_000);
    client.send(&msg).unwrap();
    assert!(rec.wait_until(|_| rec.data.lock().get(&id).map_or(0, |v| v.len()) == msg.len()));
    assert!(rec.data.lock()[&id] == msg);
    assert_eq!(client.remote_address().unwrap(), a);
    assert_eq!(
        client.remote_host().unwrap(),
        ("127.0.0.1".into(), a.port())
    );
    client.stop().unwrap();
    assert_eq!(client.state(), ServiceState::Stopped);
    assert_eq!(rec.closes(), vec![(id, SocketOperation::Close, 0)]);
    // Restart: a new connection ID.
    client.start("127.0.0.1", a.port(), false).unwrap();
    assert_ne!(client.connection_id().unwrap(), id);
    assert!(client.is_connected());
    client.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn connect_to_closed_port_reports_connect_and_os_error() {
    let port = testkit::free_tcp_port();
    let rec = Recorder::new();
    let client = TcpClient::new(L(rec.clone()));
    client.start("127.0.0.1", port, true).unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    let id = client.connection_id().unwrap();
    assert_eq!(rec.closes(), vec![(id, SocketOperation::Connect, 111)]);
    assert!(client.wait(Some(LIMIT)));
    assert_eq!(client.state(), ServiceState::Stopped);
    // Synchronous: start fails, no event.
    let rec2 = Recorder::new();
    let c2 = TcpClient::new(L(rec2.clone()));
    let e = c2.start("127.0.0.1", port, false).unwrap_err();
    assert_eq!(
        (e.socket_error(), e.errno()),
        (SocketError::ConnectServer, 111)
    );
    assert_eq!(c2.last_error(), SocketError::ConnectServer);
    assert_eq!(rec2.closes().len(), 0);
}

#[test]
fn peer_close_stops_client() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let rec = Recorder::new();
    let client = TcpClient::new(L(rec.clone()));
    client
        .start_with_bind(
            "127.0.0.1",
            listener.local_addr().unwrap().port(),
            false,
            Some("127.0.0.1"),
            0,
        )
        .unwrap();
    let (peer, _) = listener.accept().unwrap();
    assert_eq!(peer.peer_addr().unwrap(), client.local_address().unwrap());
    drop(peer);
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes()[0].1, SocketOperation::Close);
    assert!(client.wait(Some(LIMIT)));
    assert!(matches!(client.send(b"x"), Err(Error::IllegalState(_))));
}

#[test]
fn client_stop_inside_callback() {
    let (server, _s, a) = server("127.0.0.1", true);
    let rec = Recorder::new();
    let client = TcpClient::new(L(rec.clone()));
    let c2 = client.clone();
    *rec.on_recv_hook.lock() = Some(Box::new(move |_, _| {
        c2.stop().unwrap();
    }));
    client.start("127.0.0.1", a.port(), false).unwrap();
    client.send(b"hello").unwrap();
    assert!(client.wait(Some(LIMIT)));
    assert_eq!(rec.closes().len(), 1);
    server.stop().unwrap();
}
