//! TLS transport over loopback: all nine SSL components echo, mutual TLS, SNI, rejected
//! certificates, garbage and stalled handshakes, close_notify, sends before the handshake.

mod util;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use hpsocket::tls::{TlsClientSetup, VerifyMode};
use hpsocket::*;
use util::*;

fn tls_server<M: Model>(
    pki: &Pki,
    setup: Option<tls::TlsServerSetup>,
) -> (Server<M, Tls>, Arc<Recorder>, SocketAddr)
where
    Server<M, Tls>: Ops,
{
    let rec = Recorder::echoing();
    let s = Server::<M, Tls>::new(G(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    s.setup_ssl_context(&setup.unwrap_or_else(|| pki.server_setup()))
        .unwrap();
    s.start("127.0.0.1", 0).expect("start TLS server");
    let a = s.listen_address().unwrap();
    (s, rec, a)
}

fn keeping() -> Arc<Recorder> {
    let r = Recorder::new();
    r.keep_data.store(true, Ordering::Relaxed);
    r
}

fn data_of(rec: &Recorder, id: ConnId) -> Vec<u8> {
    rec.data.lock().get(&id).cloned().unwrap_or_default()
}

/// The connection's events in order, without sends.
fn sequence(rec: &Recorder, id: ConnId) -> Vec<Ev> {
    let mut seq: Vec<Ev> = rec
        .events()
        .into_iter()
        .filter(|e| e.id() == Some(id) && !matches!(e, Ev::Send(..)))
        .collect();
    // Consecutive receives are one data phase.
    seq.dedup_by(|a, b| matches!((a, b), (Ev::Receive(..), Ev::Receive(..))));
    seq
}

/// Server, agent and client of model `M` over TLS: each side sends a payload that spans many
/// records and reads it back byte-exact; events come in the documented order.
fn echo_three<M: Model>(payload_len: usize)
where
    Server<M, Tls>: Ops,
    Agent<M, Tls>: Ops,
    Client<M, Tls>: Ops,
{
    let pki = Pki::new();
    let (server, srec, addr) = tls_server::<M>(&pki, None);
    let payload = pattern(payload_len as u64, payload_len);
    let chunks: Vec<&[u8]> = payload.chunks(60_000).collect();

    let arec = keeping();
    let agent = Agent::<M, Tls>::new(G(arec.clone()));
    agent.set_worker_thread_count(2).unwrap();
    agent.setup_ssl_context(&pki.client_setup()).unwrap();
    agent.start(None, true).unwrap();
    let ids: Vec<ConnId> = (0..3)
        .map(|_| agent.connect("127.0.0.1", addr.port()).unwrap())
        .collect();
    for &id in &ids {
        // Sent at once, mostly before the handshake completes: queued, then delivered.
        for c in &chunks {
            agent.send(id, c).unwrap();
        }
    }

    let crec = keeping();
    let client = Client::<M, Tls>::new(G(crec.clone()));
    client.setup_ssl_context(&pki.client_setup()).unwrap();
    client.start("localhost", addr.port(), false).unwrap();
    let cid = client.connection_id().unwrap();
    for c in &chunks {
        client.send(c).unwrap();
    }

    for (rec, id) in ids.iter().map(|&i| (&arec, i)).chain([(&crec, cid)]) {
        assert!(
            rec.wait_until(|_| data_of(rec, id).len() >= payload.len()),
            "echo incomplete on {id}: {} of {}: {:?}",
            data_of(rec, id).len(),
            payload.len(),
            sequence(rec, id)
        );
        assert!(data_of(rec, id) == payload, "echo differs on {id}");
        let seq = sequence(rec, id);
        assert_eq!(seq[..2], [Ev::Connect(id), Ev::Handshake(id)], "{seq:?}");
        assert!(matches!(seq[2], Ev::Receive(..)), "{seq:?}");
        // on_send reports plaintext: exactly what was sent (PACK: with its headers).
        let framing = if std::any::TypeId::of::<M>() == std::any::TypeId::of::<Pack>() {
            4 * chunks.len()
        } else {
            0
        };
        let expect = payload.len() + framing;
        assert!(
            rec.wait_until(|evs| sent_total(evs, id) == expect),
            "on_send total {} of {expect}",
            sent_total(&rec.events(), id),
        );
        if let Ok(info) = agent.ssl_session_info(id) {
            assert!(info.handshake_complete);
            assert!(info.version.is_some() && info.cipher_suite.is_some());
            assert!(!info.peer_certificates.is_empty());
        }
    }
    let sids = server.all_connection_ids();
    assert_eq!(sids.len(), 4);
    for id in sids {
        let seq = sequence(&srec, id);
        assert_eq!(seq[..2], [Ev::Accept(id), Ev::Handshake(id)], "{seq:?}");
        let info = server.ssl_session_info(id).unwrap();
        assert!(info.peer_certificates.is_empty());
    }
    assert!(server.is_secure() && agent.is_secure() && client.is_secure());

    client.stop().unwrap();
    agent.stop().unwrap();
    assert!(srec.wait_count(4, |e| matches!(e, Ev::Close(..))));
    // Graceful TLS closes: the server saw close_notify (or EOF), never a TLS error.
    for (_, op, err) in srec.closes() {
        assert_eq!((op, err), (SocketOperation::Close, 0));
    }
    server.stop().unwrap();
}

fn sent_total(evs: &[Ev], id: ConnId) -> usize {
    evs.iter()
        .map(|e| match e {
            Ev::Send(i, n) if *i == id => *n,
            _ => 0,
        })
        .sum()
}

#[test]
fn push_server_agent_client_echo() {
    echo_three::<Push>(1 << 20);
}

#[test]
fn pull_server_agent_client_echo() {
    echo_three::<Pull>(300_000);
}

#[test]
fn pack_server_agent_client_echo() {
    // Each 60,000-byte chunk is one packet; the receiver sees the same packets.
    echo_three::<Pack>(300_000);
}

#[test]
fn mutual_tls_accepts_a_client_certificate_and_refuses_its_absence() {
    let pki = Pki::new();
    let mut setup = pki.server_setup();
    setup.verify = VerifyMode::PEER | VerifyMode::FAIL_IF_NO_PEER_CERT;
    setup.ca = Some(pki.ca_pem());
    let (server, srec, addr) = tls_server::<Push>(&pki, Some(setup));

    let crec = keeping();
    let client = SslClient::new(G(crec.clone()));
    client
        .setup_ssl_context(&TlsClientSetup {
            cert: Some(pki.leaf(&["client.example"])),
            ..pki.client_setup()
        })
        .unwrap();
    client.start("127.0.0.1", addr.port(), true).unwrap();
    client.send(b"with a certificate").unwrap();
    let cid = client.connection_id().unwrap();
    assert!(crec.wait_until(|_| data_of(&crec, cid) == b"with a certificate"));
    let sid = server.all_connection_ids()[0];
    assert_eq!(
        server
            .ssl_session_info(sid)
            .unwrap()
            .peer_certificates
            .len(),
        1
    );
    client.stop().unwrap();

    let nrec = keeping();
    let anonymous = SslClient::new(G(nrec.clone()));
    anonymous.setup_ssl_context(&pki.client_setup()).unwrap();
    anonymous.start("127.0.0.1", addr.port(), true).unwrap();
    let _ = anonymous.send(b"no certificate");
    let aid = anonymous.connection_id().unwrap();
    // The server refuses during its handshake: ENOKEY, and never a handshake event.
    assert!(srec.wait_until(|evs| evs
        .iter()
        .any(|e| matches!(e, Ev::Close(_, SocketOperation::Handshake, _)))));
    let refused: Vec<_> = srec
        .closes()
        .into_iter()
        .filter(|c| c.1 == SocketOperation::Handshake)
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].2, libc_enokey());
    assert_eq!(srec.count(|e| *e == Ev::Handshake(refused[0].0)), 0);
    // The client (whose TLS 1.3 handshake finished first) learns it from the alert.
    assert!(nrec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert!(data_of(&nrec, aid).is_empty());
    server.stop().unwrap();
}

fn libc_enokey() -> i32 {
    126
}

const EKEYEXPIRED: i32 = 127;
const EKEYREJECTED: i32 = 129;
const ECONNABORTED: i32 = 103;
const EPROTO: i32 = 71;
const ETIMEDOUT: i32 = 110;

#[test]
fn sni_chooses_the_certificate_by_host_name() {
    let pki = Pki::new();
    let mut setup = pki.server_setup();
    let (c, k) = pki.leaf(&["b.example"]);
    let b = setup.add_context(c, k);
    setup.bind_server_name("b.example", b);
    let (c, k) = pki.leaf(&["x.wild.example"]);
    let w = setup.add_context(c, k);
    setup.bind_server_name("*.wild.example", w);
    let (server, srec, addr) = tls_server::<Push>(&pki, Some(setup));

    for name in ["b.example", "x.wild.example", "localhost"] {
        let crec = keeping();
        let client = SslClient::new(G(crec.clone()));
        client
            .setup_ssl_context(&TlsClientSetup {
                server_name: Some(name.into()),
                ..pki.client_setup()
            })
            .unwrap();
        client.start("127.0.0.1", addr.port(), true).unwrap();
        client.send(name.as_bytes()).unwrap();
        let cid = client.connection_id().unwrap();
        assert!(
            crec.wait_until(|_| data_of(&crec, cid) == name.as_bytes()),
            "{name}: {:?}",
            crec.events()
        );
        client.stop().unwrap();
    }
    // Names the server saw, from its session info, before those connections closed.
    assert!(srec.wait_count(3, |e| matches!(e, Ev::Close(..))));

    // A name bound to nothing gets the default certificate, which does not cover it.
    let crec = keeping();
    let client = SslClient::new(G(crec.clone()));
    client
        .setup_ssl_context(&TlsClientSetup {
            server_name: Some("c.example".into()),
            ..pki.client_setup()
        })
        .unwrap();
    client.start("127.0.0.1", addr.port(), true).unwrap();
    let cid = client.connection_id().unwrap();
    assert!(crec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert_eq!(
        crec.closes(),
        vec![(cid, SocketOperation::Handshake, EKEYREJECTED)]
    );
    server.stop().unwrap();
}

#[test]
fn sni_callback_picks_or_refuses() {
    let pki = Pki::new();
    let mut setup = pki.server_setup();
    let (c, k) = pki.leaf(&["picked.example"]);
    let idx = setup.add_context(c, k) as i32;
    setup.sni_callback = Some(Arc::new(move |name: &str| match name {
        "picked.example" => idx,
        "refused.example" => -1,
        _ => 0,
    }));
    let (server, srec, addr) = tls_server::<Push>(&pki, Some(setup));
    let run = |name: &str| {
        let crec = keeping();
        let client = SslClient::new(G(crec.clone()));
        client
            .setup_ssl_context(&TlsClientSetup {
                server_name: Some(name.into()),
                ..pki.client_setup()
            })
            .unwrap();
        client.start("127.0.0.1", addr.port(), true).unwrap();
        let _ = client.send(b"x");
        let cid = client.connection_id().unwrap();
        assert!(crec.wait_until(|evs| evs
            .iter()
            .any(|e| matches!(e, Ev::Close(..) | Ev::Receive(..)))));
        let ok = data_of(&crec, cid) == b"x";
        let _ = client.stop();
        ok
    };
    assert!(run("picked.example"));
    assert!(!run("refused.example"));
    assert!(srec.wait_until(|evs| evs
        .iter()
        .any(|e| matches!(e, Ev::Close(_, SocketOperation::Handshake, _)))));
    server.stop().unwrap();
}

/// Client-side verification failures: each closes with a handshake close and an errno that
/// names the reason; the server sees the client's alert.
#[test]
fn expired_wrong_name_and_untrusted_certificates_are_rejected() {
    let pki = Pki::new();
    let other = Pki::new();
    let cases: Vec<(&str, tls::TlsServerSetup, TlsClientSetup, i32)> = vec![
        (
            "expired",
            {
                let (c, k) = pki.expired(&["localhost"]);
                tls::TlsServerSetup::new(c, k)
            },
            pki.client_setup(),
            EKEYEXPIRED,
        ),
        (
            "wrong name",
            {
                let (c, k) = pki.leaf(&["elsewhere.example"]);
                tls::TlsServerSetup::new(c, k)
            },
            pki.client_setup(),
            EKEYREJECTED,
        ),
        (
            "untrusted",
            pki.server_setup(),
            other.client_setup(),
            EKEYREJECTED,
        ),
    ];
    for (what, ssetup, csetup, errno) in cases {
        let (server, srec, addr) = tls_server::<Push>(&pki, Some(ssetup));
        let crec = keeping();
        let client = SslClient::new(G(crec.clone()));
        client.setup_ssl_context(&csetup).unwrap();
        client.start("localhost", addr.port(), true).unwrap();
        // Queued before the handshake; the failure may also close the client first.
        let _ = client.send(b"secret");
        let cid = client.connection_id().unwrap();
        assert!(crec.wait_count(1, |e| matches!(e, Ev::Close(..))), "{what}");
        assert_eq!(
            crec.closes(),
            vec![(cid, SocketOperation::Handshake, errno)],
            "{what}"
        );
        assert_eq!(crec.count(|e| matches!(e, Ev::Handshake(_))), 0, "{what}");
        assert!(srec.wait_count(1, |e| matches!(e, Ev::Close(..))), "{what}");
        let closes = srec.closes();
        assert_eq!(
            (closes[0].1, closes[0].2),
            (SocketOperation::Handshake, ECONNABORTED),
            "{what}"
        );
        assert_eq!(srec.count(|e| matches!(e, Ev::Receive(..))), 0, "{what}");
        server.stop().unwrap();
    }
}

#[test]
fn verify_none_client_accepts_any_certificate() {
    let pki = Pki::new();
    let (c, k) = pki.expired(&["elsewhere.example"]);
    let (server, _srec, addr) = tls_server::<Push>(&pki, Some(tls::TlsServerSetup::new(c, k)));
    let crec = keeping();
    let client = SslClient::new(G(crec.clone()));
    client
        .setup_ssl_context(&TlsClientSetup::default())
        .unwrap();
    client.start("127.0.0.1", addr.port(), true).unwrap();
    client.send(b"anyway").unwrap();
    let cid = client.connection_id().unwrap();
    assert!(crec.wait_until(|_| data_of(&crec, cid) == b"anyway"));
    client.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn garbage_instead_of_a_client_hello_closes_without_harm() {
    let pki = Pki::new();
    let (server, srec, addr) = tls_server::<Push>(&pki, None);
    let mut raw = connect(addr);
    raw.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    // The server answers with an alert at most, then closes.
    let rest = read_to_eof(&mut raw).unwrap_or_default();
    assert!(rest.len() < 64, "{} bytes", rest.len());
    assert!(srec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    let closes = srec.closes();
    assert_eq!(
        (closes[0].1, closes[0].2),
        (SocketOperation::Handshake, EPROTO)
    );
    assert_eq!(
        srec.count(|e| matches!(e, Ev::Receive(..) | Ev::Handshake(_))),
        0
    );

    // Random bytes that look like a TLS record header, then a proper client: still served.
    let mut raw = connect(addr);
    raw.write_all(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])
        .unwrap();
    let _ = read_to_eof(&mut raw);
    assert!(srec.wait_count(2, |e| matches!(e, Ev::Close(..))));
    let crec = keeping();
    let client = SslClient::new(G(crec.clone()));
    client.setup_ssl_context(&pki.client_setup()).unwrap();
    client.start("127.0.0.1", addr.port(), true).unwrap();
    client.send(b"still here").unwrap();
    let cid = client.connection_id().unwrap();
    assert!(crec.wait_until(|_| data_of(&crec, cid) == b"still here"));
    client.stop().unwrap();
    server.stop().unwrap();
}

#[test]
fn a_stalled_handshake_is_closed_by_the_timeout() {
    let pki = Pki::new();
    let rec = Recorder::echoing();
    let server = SslServer::new(G(rec.clone()));
    server.setup_ssl_context(&pki.server_setup()).unwrap();
    server.set_handshake_timeout(300).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    let addr = server.listen_address().unwrap();
    // One peer says nothing, one stops after part of a record header.
    let _silent = connect(addr);
    let mut partial = connect(addr);
    partial.write_all(&[0x16, 0x03]).unwrap();
    assert!(rec.wait_count(2, |e| matches!(e, Ev::Close(..))));
    for (_, op, err) in rec.closes() {
        assert_eq!((op, err), (SocketOperation::Handshake, ETIMEDOUT));
    }
    let mut buf = [0u8; 16];
    partial
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(partial.read(&mut buf).unwrap_or(0), 0);
    server.stop().unwrap();
}

#[test]
fn a_client_whose_server_never_answers_times_out() {
    // A plain TCP listener that accepts and stays silent.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let pki = Pki::new();
    let crec = keeping();
    let client = SslClient::new(G(crec.clone()));
    client.setup_ssl_context(&pki.client_setup()).unwrap();
    client.set_handshake_timeout(300).unwrap();
    client.start("127.0.0.1", port, true).unwrap();
    let (_peer, _) = l.accept().unwrap();
    assert!(crec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    let cid = client.connection_id().unwrap();
    assert_eq!(
        crec.closes(),
        vec![(cid, SocketOperation::Handshake, ETIMEDOUT)]
    );
    assert!(client.wait(Some(Duration::from_secs(5))));
}

#[test]
fn server_disconnect_sends_close_notify_after_queued_data() {
    let pki = Pki::new();
    let srec = Recorder::new();
    let server = SslServer::new(G(srec.clone()));
    server.setup_ssl_context(&pki.server_setup()).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    let addr = server.listen_address().unwrap();
    let crec = keeping();
    let client = SslClient::new(G(crec.clone()));
    client.setup_ssl_context(&pki.client_setup()).unwrap();
    client.start("127.0.0.1", addr.port(), false).unwrap();
    let cid = client.connection_id().unwrap();
    assert!(srec.wait_count(1, |e| matches!(e, Ev::Handshake(_))));
    let sid = server.all_connection_ids()[0];
    let big = pattern(9, 2 << 20);
    server.send(sid, &big).unwrap();
    server.disconnect(sid, false).unwrap();
    assert!(crec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    assert!(
        data_of(&crec, cid) == big,
        "queued data lost before the close"
    );
    assert_eq!(crec.closes(), vec![(cid, SocketOperation::Close, 0)]);
    server.stop().unwrap();
}

#[test]
fn start_needs_a_tls_context_and_it_is_fixed_while_started() {
    let pki = Pki::new();
    let server = SslPackServer::new(G(Recorder::new()));
    assert!(matches!(
        server.start("127.0.0.1", 0),
        Err(Error::TlsNotReady)
    ));
    assert_eq!(server.last_error(), SocketError::SslEnvNotReady);
    assert_eq!(server.state(), ServiceState::Stopped);
    let mut bad = pki.server_setup();
    bad.cert = tls::Pem::Memory("not a certificate".into());
    assert!(matches!(
        server.setup_ssl_context(&bad),
        Err(Error::TlsConfig(_))
    ));
    server.setup_ssl_context(&pki.server_setup()).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    assert!(matches!(
        server.setup_ssl_context(&pki.server_setup()),
        Err(Error::IllegalState(_))
    ));
    assert!(server.cleanup_ssl_context().is_err());
    server.stop().unwrap();
    server.cleanup_ssl_context().unwrap();
    assert!(!server.has_ssl_context());
    assert!(matches!(
        server.start("127.0.0.1", 0),
        Err(Error::TlsNotReady)
    ));

    let agent = SslPullAgent::new(G(Recorder::new()));
    assert!(matches!(agent.start(None, true), Err(Error::TlsNotReady)));
    let client = SslClient::new(G(Recorder::new()));
    assert!(matches!(
        client.start("127.0.0.1", 1, true),
        Err(Error::TlsNotReady)
    ));
    // The plain transport is unaffected and says it is not secure.
    assert!(!TcpServer::new(G(Recorder::new())).is_secure());
}

#[test]
fn refusing_the_handshake_event_closes_the_connection() {
    let pki = Pki::new();
    struct Refuse(Arc<Recorder>);
    impl ServerListener<SslServer> for Refuse {
        fn on_handshake(&self, _s: &SslServer, id: ConnId) -> HandleResult {
            self.0.push(Ev::Handshake(id));
            HandleResult::Error
        }
        fn on_receive(&self, _s: &SslServer, id: ConnId, d: &[u8]) -> HandleResult {
            self.0.received(id, d)
        }
        fn on_close(
            &self,
            _s: &SslServer,
            id: ConnId,
            op: SocketOperation,
            e: i32,
        ) -> HandleResult {
            self.0.closed(id, op, e)
        }
    }
    let srec = Recorder::new();
    let server = SslServer::new(Refuse(srec.clone()));
    server.setup_ssl_context(&pki.server_setup()).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    let addr = server.listen_address().unwrap();
    let crec = keeping();
    let client = SslClient::new(G(crec.clone()));
    client.setup_ssl_context(&pki.client_setup()).unwrap();
    client.start("127.0.0.1", addr.port(), true).unwrap();
    // The refusal may close the client before this send; either way nothing is delivered.
    let _ = client.send(b"never delivered");
    assert!(srec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    let closes = srec.closes();
    assert_eq!(
        (closes[0].1, closes[0].2),
        (SocketOperation::Handshake, 125)
    );
    assert_eq!(srec.count(|e| matches!(e, Ev::Receive(..))), 0);
    assert!(crec.wait_count(1, |e| matches!(e, Ev::Close(..))));
    server.stop().unwrap();
}
