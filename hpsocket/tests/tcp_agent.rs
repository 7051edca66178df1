//! TcpAgent over real loopback sockets.

mod util;

use std::sync::atomic::Ordering;

use hpsocket::*;
use util::*;

#[test]
fn agent_echoes_over_many_connections() {
    let (server, _srec, a) = server("127.0.0.1", true);
    let rec = Recorder::new();
    rec.keep_data.store(true, Ordering::Relaxed);
    let agent = TcpAgent::new(L(rec.clone()));
    agent.set_worker_thread_count(2).unwrap();
    agent.start(None, true).unwrap();
    let mut ids = Vec::new();
    for i in 0..50 {
        let opts = ConnectOptions {
            extra: 1000 + i,
            ..Default::default()
        };
        ids.push(agent.connect_with("127.0.0.1", a.port(), &opts).unwrap());
    }
    // IDs 1, 2, 3 … per agent.
    assert_eq!(
        ids.iter().map(|i| i.get()).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<_>>()
    );
    assert!(rec.wait_count(50, |e| matches!(e, Ev::Handshake(_))));
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(agent.connection_extra(*id).unwrap(), 1000 + i);
        assert_eq!(
            agent.remote_host(*id).unwrap(),
            ("127.0.0.1".to_string(), a.port())
        );
        agent.send(*id, &pattern(i as u64, 5000 + i)).unwrap();
    }
    assert!(rec.wait_until(|_| {
        let d = rec.data.lock();
        ids.iter()
            .enumerate()
            .all(|(i, id)| d.get(id).map_or(0, |v| v.len()) == 5000 + i)
    }));
    for (i, id) in ids.iter().enumerate() {
        assert!(rec.data.lock()[id] == pattern(i as u64, 5000 + i));
    }
    // Events per connection: prepare → connect → handshake first.
    let evs = rec.events();
    for id in &ids {
        let mine: Vec<&Ev> = evs.iter().filter(|e| e.id() == Some(*id)).collect();
        assert_eq!(
            mine[..3],
            [
                &Ev::PrepareConnect(*id),
                &Ev::Connect(*id),
                &Ev::Handshake(*id)
            ]
        );
    }
    agent.stop().unwrap();
    assert_eq!(rec.closes().len(), 50);
    assert_eq!(rec.events().last(), Some(&Ev::Shutdown));
    server.stop().unwrap();
}

#[test]
fn async_connect_refused_reports_connect_close() {
    let rec = Recorder::new();
    let agent = TcpAgent::new(L(rec.clone()));
    agent.start(Some("127.0.0.1"), true).unwrap();
    let id = agent
        .connect("127.0.0.1", testkit::free_tcp_port())
        .unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes(), vec![(id, SocketOperation::Connect, 111)]);
    assert_eq!(rec.events()[0], Ev::PrepareConnect(id));
    assert_eq!(rec.count(|e| matches!(e, Ev::Connect(_))), 0);
    agent.stop().unwrap();
}

#[test]
fn sync_connect_refused_fails_without_events() {
    let rec = Recorder::new();
    let agent = TcpAgent::new(L(rec.clone()));
    agent.start(None, false).unwrap();
    match agent.connect("127.0.0.1", testkit::free_tcp_port()) {
        Err(e @ Error::ConnectServer(_)) => {
            assert_eq!(e.errno(), 111);
            assert_eq!(e.socket_error(), SocketError::ConnectServer);
        }
        r => panic!("expected ConnectServer, got {r:?}"),
    }
    assert_eq!(agent.connection_count(), 0);
    agent.stop().unwrap();
    assert_eq!(rec.closes().len(), 0);
    // A synchronous connect that succeeds fires connect and handshake before returning.
    let (server, _s, a) = server("127.0.0.1", true);
    agent.start(None, false).unwrap();
    let id = agent.connect("127.0.0.1", a.port()).unwrap();
    assert!(rec.events().contains(&Ev::Handshake(id)));
    agent.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn agent_rules() {
    let rec = Recorder::new();
    let agent = TcpAgent::new(L(rec.clone()));
    assert!(matches!(
        agent.connect("127.0.0.1", 1),
        Err(Error::IllegalState(_))
    ));
    assert!(matches!(agent.stop(), Err(Error::IllegalState(_))));
    agent.set_max_connection_count(2).unwrap();
    agent.start(None, true).unwrap();
    assert!(matches!(
        agent.start(None, true),
        Err(Error::IllegalState(_))
    ));
    let (server, _s, a) = server("127.0.0.1", true);
    agent.connect("127.0.0.1", a.port()).unwrap();
    agent.connect("127.0.0.1", a.port()).unwrap();
    assert!(matches!(
        agent.connect("127.0.0.1", a.port()),
        Err(Error::ConnectionLimit(2))
    ));
    agent.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn connect_error_from_on_connect_closes() {
    let (server, _s, a) = server("127.0.0.1", true);
    let rec = Recorder::new();
    rec.accept_result.store(2, Ordering::Relaxed);
    let agent = TcpAgent::new(L(rec.clone()));
    agent.start(None, true).unwrap();
    let id = agent.connect("127.0.0.1", a.port()).unwrap();
    assert!(rec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(rec.closes(), vec![(id, SocketOperation::Connect, 125)]);
    agent.stop().unwrap();
    server.stop().unwrap();
}
