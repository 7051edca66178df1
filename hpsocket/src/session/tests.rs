//! The connection contract, checked on sessions driven against each other in memory (see
//! [`harness`](super::harness)): no sockets, no threads, no sleeps; time is virtual.

use std::sync::Arc;

use proptest::prelude::*;

use super::harness::{check_contract, settings, Ev, Pair, TlsPair};
use crate::cores::pack::header;
use crate::model::ModelKind;
use crate::session::Phase;
use crate::types::{HandleResult, SocketOperation};

const CLOSE: SocketOperation = SocketOperation::Close;

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn echo() -> super::harness::App {
    Box::new(|ev, ctl| {
        if let Ev::Receive(d) = ev {
            assert!(ctl.send(d));
        }
        HandleResult::Ok
    })
}

fn tls_configs() -> TlsPair {
    Some(crate::tls::testutil::pair_configs())
}

fn tls_pair(model: ModelKind) -> Pair {
    Pair::new(settings(model), settings(model), tls_configs(), 1 << 20)
}

#[test]
fn plain_echo_event_order_and_one_close_each() {
    let mut p = Pair::plain(ModelKind::Push);
    p.server.app = echo();
    p.connect();
    assert_eq!(p.server.events, vec![Ev::Accept, Ev::Handshake]);
    assert_eq!(p.client.events, vec![Ev::Connect, Ev::Handshake]);
    let msg = pattern(10_000, 7);
    assert!(p.client.ctl(p.now).send(&msg));
    p.drive();
    assert_eq!(p.client.received(), msg);
    assert_eq!(p.server.received(), msg);
    // on_send reports exactly what was written, in order.
    assert_eq!(p.client.sent_events(), msg);
    assert_eq!(p.server.sent_events(), msg);
    assert!(p.client.ctl(p.now).close(true));
    p.drive();
    assert_eq!(p.client.closes(), vec![(CLOSE, 0)]);
    assert_eq!(p.server.closes(), vec![(CLOSE, 0)]);
    check_contract(&p.server.events, true).unwrap();
    check_contract(&p.client.events, false).unwrap();
    // Closed for good: calls fail, a second close is refused, no event follows.
    assert!(!p.client.ctl(p.now).send(b"late"));
    assert!(!p.client.ctl(p.now).close(false));
    assert_eq!(p.client.session.phase(), Phase::Closed);
}

#[test]
fn refused_accept_and_handshake_close_without_event() {
    for refuse in [Ev::Accept, Ev::Handshake] {
        let mut p = Pair::plain(ModelKind::Push);
        let r = refuse.clone();
        p.server.app = Box::new(move |ev, _| {
            if *ev == r {
                HandleResult::Error
            } else {
                HandleResult::Ok
            }
        });
        p.connect();
        assert!(p.server.gone);
        assert!(p.server.closes().is_empty(), "{:?}", p.server.events);
        // The client sees the peer go away.
        assert_eq!(p.client.closes(), vec![(CLOSE, 0)]);
    }
}

#[test]
fn refused_connect_closes_with_connect_ecanceled() {
    let mut p = Pair::plain(ModelKind::Push);
    p.client.app = Box::new(|ev, _| {
        if *ev == Ev::Connect {
            HandleResult::Error
        } else {
            HandleResult::Ok
        }
    });
    p.connect();
    assert_eq!(
        p.client.events,
        vec![
            Ev::Connect,
            Ev::Close(SocketOperation::Connect, libc::ECANCELED)
        ]
    );
}

#[test]
fn receive_error_closes_with_receive_ecanceled() {
    let mut p = Pair::plain(ModelKind::Push);
    p.server.app = Box::new(|ev, _| match ev {
        Ev::Receive(_) => HandleResult::Error,
        _ => HandleResult::Ok,
    });
    p.connect();
    p.client.ctl(p.now).send(b"x");
    p.drive();
    assert_eq!(
        p.server.closes(),
        vec![(SocketOperation::Receive, libc::ECANCELED)]
    );
    assert_eq!(p.client.closes(), vec![(CLOSE, 0)]);
    check_contract(&p.server.events, true).unwrap();
}

#[test]
fn connect_timeout_on_the_virtual_clock() {
    let mut p = Pair::plain(ModelKind::Push);
    // The connect never completes: only time passes.
    let now = p.now;
    assert_eq!(p.client.session.poll_timeout(), Some(now + 10_000));
    p.advance(9_999);
    assert!(p.client.events.is_empty());
    p.advance(1);
    assert_eq!(
        p.client.events,
        vec![Ev::Close(SocketOperation::Connect, libc::ETIMEDOUT)]
    );
}

#[test]
fn graceful_close_flushes_a_blocked_queue_forced_close_says_it_dropped() {
    for graceful in [true, false] {
        let mut p = Pair::new(
            settings(ModelKind::Push),
            settings(ModelKind::Push),
            None,
            4096,
        );
        p.connect();
        // The server does not read while the client queues 100 KB behind a 4 KB buffer.
        p.server.session.pause(true);
        let msg = pattern(100_000, 3);
        assert!(p.client.ctl(p.now).send(&msg));
        assert!(p.client.session.pending() > 90_000);
        assert!(p.client.ctl(p.now).close(graceful));
        p.drive();
        assert!(p.client.closes().is_empty() || !graceful);
        p.server.session.pause(false);
        p.drive();
        if graceful {
            assert_eq!(p.server.received(), msg);
            assert_eq!(p.client.closes(), vec![(CLOSE, 0)]);
        } else {
            assert!(p.server.received().len() < msg.len());
            assert_eq!(
                p.client.closes(),
                vec![(SocketOperation::Send, libc::ECANCELED)]
            );
        }
        assert_eq!(p.server.closes(), vec![(CLOSE, 0)]);
    }
}

#[test]
fn close_flush_times_out_when_the_peer_never_reads() {
    let mut p = Pair::new(
        settings(ModelKind::Push),
        settings(ModelKind::Push),
        None,
        4096,
    );
    p.connect();
    p.server.session.pause(true);
    assert!(p.client.ctl(p.now).send(&pattern(50_000, 1)));
    assert!(p.client.ctl(p.now).close(true));
    p.drive();
    p.advance(2_999);
    assert!(p.client.closes().is_empty());
    p.advance(1);
    assert_eq!(
        p.client.closes(),
        vec![(SocketOperation::Send, libc::ETIMEDOUT)]
    );
}

#[test]
fn send_bound_is_enforced_and_counts_unreported_notes() {
    let mut s = settings(ModelKind::Push);
    s.max_pending = 10_000;
    let mut p = Pair::new(s, s, None, 1024);
    p.connect();
    p.server.session.pause(true);
    assert!(p.client.ctl(p.now).send(&pattern(9_000, 0)));
    // 9,000 held (1,024 written + reported later, the rest queued): 1,001 more is too many.
    assert!(!p.client.ctl(p.now).send(&pattern(1_001, 0)));
    assert!(p.client.ctl(p.now).send(&pattern(1_000, 0)));
}

#[test]
fn pack_packets_whole_whatever_the_chunking_and_bad_headers_close() {
    let mut p = Pair::plain(ModelKind::Pack);
    p.chunks = vec![1, 3, 7, 4096];
    p.connect();
    let packets: Vec<Vec<u8>> = (0..20).map(|i| pattern(i * 997 + 1, i as u8)).collect();
    for pk in &packets {
        assert!(p.client.ctl(p.now).send(pk));
    }
    p.drive();
    let got: Vec<Vec<u8>> = p
        .server
        .events
        .iter()
        .filter_map(|e| match e {
            Ev::Receive(d) => Some(d.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(got, packets);
    // Sizes outside 1..=max are refused at send.
    assert!(!p.client.ctl(p.now).send(b""));
    assert!(!p.client.ctl(p.now).send(&vec![
        0;
        crate::cores::pack::DEFAULT_MAX_PACK_SIZE as usize + 1
    ]));

    // (A flag of 0 is not checked, as in HP-Socket: use one that is.)
    let mut s = settings(ModelKind::Pack);
    s.pack_flag = 0x123;
    for (h, errno) in [
        (header(0x124, 4), libc::EBADMSG),
        (header(0x123, 0), libc::EMSGSIZE),
        (
            header(0x123, crate::cores::pack::DEFAULT_MAX_PACK_SIZE + 1),
            libc::EMSGSIZE,
        ),
    ] {
        let mut p = Pair::new(s, s, None, 1 << 20);
        p.connect();
        // A raw peer: bytes straight into the client's pipe.
        p.client.out.0.borrow_mut().bytes.extend_from_slice(&h);
        p.client.out.0.borrow_mut().bytes.extend_from_slice(b"abcd");
        p.drive();
        assert_eq!(p.server.closes(), vec![(SocketOperation::Receive, errno)]);
        check_contract(&p.server.events, true).unwrap();
    }
}

#[test]
fn pack_pause_inside_on_receive_holds_the_rest() {
    let mut p = Pair::plain(ModelKind::Pack);
    p.server.app = Box::new(|ev, ctl| {
        if let Ev::Receive(d) = ev {
            if d[0] == 2 {
                ctl.pause(true);
            }
        }
        HandleResult::Ok
    });
    p.connect();
    for i in 1..=5u8 {
        p.client.ctl(p.now).send(&[i; 10]);
    }
    p.drive();
    let n = |p: &Pair| {
        p.server
            .events
            .iter()
            .filter(|e| matches!(e, Ev::Receive(_)))
            .count()
    };
    assert_eq!(n(&p), 2, "{:?}", p.server.events);
    p.server.session.pause(false);
    p.drive();
    assert_eq!(n(&p), 5);
}

#[test]
fn pull_totals_fetch_and_buffer_limit() {
    let mut s = settings(ModelKind::Pull);
    s.pull_limit = 1000;
    let mut p = Pair::new(s, settings(ModelKind::Pull), None, 1 << 20);
    // Reads of at most 700 bytes, as a socket buffer size would give.
    p.chunks = vec![700];
    p.connect();
    p.client.ctl(p.now).send(b"hello");
    p.drive();
    p.client.ctl(p.now).send(b"abc");
    p.drive();
    let totals: Vec<usize> = p
        .server
        .events
        .iter()
        .filter_map(|e| match e {
            Ev::PullReceive(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(totals, vec![5, 8]);
    let ctl = p.server.ctl(p.now);
    assert_eq!(ctl.fetch(9), None, "all or nothing");
    assert_eq!(ctl.fetch(8).unwrap(), b"helloabc");
    // Past the limit the server stops reading; fetching resumes it, nothing is lost.
    let big = pattern(5000, 9);
    p.client.ctl(p.now).send(&big);
    p.drive();
    let buffered = |p: &Pair| match p.server.events.last() {
        Some(Ev::PullReceive(n)) => *n,
        _ => 0,
    };
    assert!(buffered(&p) >= 1000 && buffered(&p) < 5000);
    let mut got = Vec::new();
    for _ in 0..100 {
        if let Some(d) = p.server.ctl(p.now).fetch(buffered(&p)) {
            got.extend(d);
        }
        p.drive();
        if got.len() == big.len() {
            break;
        }
    }
    assert_eq!(got, big);
}

#[test]
fn tls_handshake_then_data_and_queued_early_sends() {
    for model in [ModelKind::Push, ModelKind::Pack] {
        let mut p = tls_pair(model);
        p.server.app = echo();
        p.chunks = vec![1, 100, 5];
        p.client.app = Box::new(|ev, ctl| {
            if *ev == Ev::Connect {
                // Before the handshake: held by the transport, sent after it.
                assert!(ctl.send(b"early"));
            }
            HandleResult::Ok
        });
        p.connect();
        assert_eq!(
            p.server.events[..2],
            [Ev::Accept, Ev::Handshake],
            "{:?}",
            p.server.events
        );
        assert_eq!(p.client.events[..2], [Ev::Connect, Ev::Handshake]);
        let msg = pattern(3000, 5);
        p.client.ctl(p.now).send(&msg);
        p.drive();
        let mut expect = b"early".to_vec();
        expect.extend_from_slice(&msg);
        assert_eq!(p.client.received(), expect);
        // on_send reports what went on the wire before encryption (PACK: with headers).
        let framed = |m: &[u8]| match model {
            ModelKind::Pack => [&header(0, m.len() as u32)[..], m].concat(),
            _ => m.to_vec(),
        };
        assert_eq!(
            p.client.sent_events(),
            [framed(b"early"), framed(&msg)].concat()
        );
        p.server.ctl(p.now).close(true);
        p.drive();
        assert_eq!(p.client.closes(), vec![(CLOSE, 0)]);
        assert_eq!(p.server.closes(), vec![(CLOSE, 0)]);
        check_contract(&p.server.events, true).unwrap();
        check_contract(&p.client.events, false).unwrap();
    }
}

#[test]
fn tls_handshake_timeout_and_garbage() {
    // A client that never speaks TLS: the server's handshake times out.
    let mut p = tls_pair(ModelKind::Push);
    let now = p.now;
    let origin = super::Origin::Accepted;
    // Start only the server; the "client" stays silent.
    p.server.app = Box::new(|_, _| HandleResult::Ok);
    let mut w = p.server.out.clone();
    let mut sink = |_e: super::Event<'_>| super::Reply::Ok;
    assert_eq!(
        p.server.session.start(origin, now, &mut w, &mut sink),
        super::Step::Go
    );
    assert_eq!(p.server.session.poll_timeout(), Some(now + 10_000));
    assert_eq!(
        p.server.session.handle_timeout(now + 10_000, &mut w),
        super::Step::Close(SocketOperation::Handshake, libc::ETIMEDOUT)
    );

    // Garbage instead of a ClientHello: closed at once with a handshake error.
    let p = tls_pair(ModelKind::Push);
    let mut sink = |_e: super::Event<'_>| super::Reply::Ok;
    let mut w = p.server.out.clone();
    p.server.session.start(origin, now, &mut w, &mut sink);
    let step = p
        .server
        .session
        .handle_read(b"GET / HTTP/1.1\r\n\r\n", now, &mut w, &mut sink);
    assert!(
        matches!(step, super::Step::Close(SocketOperation::Handshake, e) if e != 0),
        "{step:?}"
    );
}

#[test]
fn silence_follows_the_virtual_clock() {
    let mut p = Pair::plain(ModelKind::Push);
    p.connect();
    let t0 = p.server.session.last_received();
    p.advance(5_000);
    assert_eq!(p.server.session.last_received(), t0);
    p.client.ctl(p.now).send(b"x");
    p.drive();
    assert_eq!(p.server.session.last_received(), t0 + 5_000);
}

#[derive(Debug, Clone)]
enum Act {
    /// Client sends a message of this size.
    Send(usize),
    /// Server sends.
    Reply(usize),
    /// Let the network run.
    Drive,
    /// Time passes.
    Wait(u64),
    /// One side closes.
    Close { server: bool, graceful: bool },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (1usize..3000).prop_map(Act::Send),
        2 => (1usize..3000).prop_map(Act::Reply),
        3 => Just(Act::Drive),
        1 => (1u64..4000).prop_map(Act::Wait),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(server, graceful)| Act::Close { server, graceful }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Random chunking, send timing and close timing: both sides keep the contract; what
    /// arrives is a prefix of what was accepted (all of it when nothing closed early), PACK
    /// packets arrive whole.
    #[test]
    fn the_contract_holds_under_any_timing(
        acts in proptest::collection::vec(act(), 1..40),
        chunks in proptest::collection::vec(1usize..5000, 1..6),
        cap in 512usize..70_000,
        pack in any::<bool>(),
        tls in any::<bool>(),
    ) {
        let model = if pack { ModelKind::Pack } else { ModelKind::Push };
        let cfg = if tls { tls_configs() } else { None };
        let mut p = Pair::new(settings(model), settings(model), cfg, cap);
        p.chunks = chunks;
        p.connect();
        let (mut c_sent, mut s_sent) = (Vec::new(), Vec::new());
        let (mut c_pk, mut s_pk) = (Vec::new(), Vec::new());
        // What on_send reports: the framed bytes.
        let (mut c_wire, mut s_wire) = (Vec::new(), Vec::new());
        let frame = |m: &[u8]| if pack { [&header(0, m.len() as u32)[..], m].concat() } else { m.to_vec() };
        let mut seed = 0u8;
        let mut closed_early = false;
        for a in acts {
            seed = seed.wrapping_add(1);
            match a {
                Act::Send(n) => {
                    let m = pattern(n, seed);
                    if p.client.ctl(p.now).send(&m) {
                        c_wire.extend_from_slice(&frame(&m));
                        c_sent.extend_from_slice(&m);
                        c_pk.push(m);
                    }
                }
                Act::Reply(n) => {
                    let m = pattern(n, seed);
                    if p.server.ctl(p.now).send(&m) {
                        s_wire.extend_from_slice(&frame(&m));
                        s_sent.extend_from_slice(&m);
                        s_pk.push(m);
                    }
                }
                Act::Drive => p.drive(),
                Act::Wait(ms) => p.advance(ms),
                Act::Close { server, graceful } => {
                    closed_early = true;
                    let side = if server { &p.server } else { &p.client };
                    side.ctl(p.now).close(graceful);
                }
            }
        }
        p.drive();
        // Whatever is still open is closed gracefully; everything settles.
        p.client.ctl(p.now).close(true);
        p.drive();
        p.advance(10_000);
        prop_assert!(p.server.gone && p.client.gone);
        check_contract(&p.server.events, true).map_err(TestCaseError::fail)?;
        check_contract(&p.client.events, false).map_err(TestCaseError::fail)?;
        prop_assert_eq!(p.server.closes().len(), 1);
        prop_assert_eq!(p.client.closes().len(), 1);
        let (sr, cr) = (p.server.received(), p.client.received());
        prop_assert!(c_sent.starts_with(&sr), "server got bytes the client never sent");
        prop_assert!(s_sent.starts_with(&cr), "client got bytes the server never sent");
        // on_send never reports more than was accepted, in order.
        prop_assert!(c_wire.starts_with(&p.client.sent_events()));
        prop_assert!(s_wire.starts_with(&p.server.sent_events()));
        if pack {
            let got: Vec<Vec<u8>> = p.server.events.iter().filter_map(|e| match e {
                Ev::Receive(d) => Some(d.clone()),
                _ => None,
            }).collect();
            prop_assert!(c_pk.starts_with(&got));
            let got: Vec<Vec<u8>> = p.client.events.iter().filter_map(|e| match e {
                Ev::Receive(d) => Some(d.clone()),
                _ => None,
            }).collect();
            prop_assert!(s_pk.starts_with(&got));
        }
        // With no close but the client's final graceful one, everything it sent arrived.
        if !closed_early {
            prop_assert_eq!(sr, c_sent);
        }
    }
}

#[test]
fn first_read_timeout_closes_a_connection_that_never_speaks() {
    let mut s = settings(ModelKind::Push);
    s.first_read_ms = 5_000;
    for tls in [false, true] {
        let cfg = if tls { tls_configs() } else { None };
        let mut p = Pair::new(s, settings(ModelKind::Push), cfg, 1 << 20);
        p.connect();
        // (TLS: the window starts when the handshake is done, which the pair did at once.)
        p.advance(4_999);
        assert!(p.server.closes().is_empty(), "{:?}", p.server.events);
        p.advance(1);
        assert_eq!(
            p.server.closes(),
            vec![(SocketOperation::Receive, libc::ETIMEDOUT)]
        );
        assert_eq!(p.client.closes(), vec![(CLOSE, 0)]);
        check_contract(&p.server.events, true).unwrap();
    }
    // One read in time and the rule is spent: the connection stays however long it idles.
    let mut p = Pair::new(s, settings(ModelKind::Push), None, 1 << 20);
    p.connect();
    p.advance(4_000);
    p.client.ctl(p.now).send(b"hi");
    p.drive();
    p.advance(600_000);
    assert!(p.server.closes().is_empty());
}

#[test]
fn idle_timeout_follows_the_last_read() {
    let mut s = settings(ModelKind::Push);
    s.idle_ms = 3_000;
    let mut p = Pair::new(s, settings(ModelKind::Push), None, 1 << 20);
    p.connect();
    // Talking every 2 s keeps it open for a minute.
    for _ in 0..30 {
        p.advance(2_000);
        assert!(p.client.ctl(p.now).send(b"ping"));
        p.drive();
    }
    assert!(p.server.closes().is_empty());
    p.advance(2_999);
    assert!(p.server.closes().is_empty());
    p.advance(1);
    assert_eq!(
        p.server.closes(),
        vec![(SocketOperation::Receive, libc::ETIMEDOUT)]
    );
    // The client had no limit: it only saw the server go.
    assert_eq!(p.client.closes(), vec![(CLOSE, 0)]);
}

fn budget_pair(model: ModelKind, limit: usize) -> (Pair, Arc<super::Budget>) {
    let b = Arc::new(super::Budget::new(limit));
    let p = Pair::with_budget(settings(model), settings(model), None, 1 << 20, b.clone());
    (p, b)
}

#[test]
fn budget_past_soft_stops_readers_that_hold_bytes_and_resumes_them() {
    let (mut p, b) = budget_pair(ModelKind::Pack, 1 << 20);
    p.chunks = vec![1000];
    p.connect();
    // Other connections hold 800 KiB: past the soft limit (768 KiB).
    b.recharge(0, 800 << 10);
    let big = pattern(200_000, 4);
    assert!(p.client.ctl(p.now).send(&big));
    p.drive();
    // The first read made a partial packet; then reading stopped.
    assert!(p.server.received().is_empty());
    let held = b.held() - (800 << 10);
    assert!(held > 0 && held <= 2000, "this connection holds {held}");
    // The others let go; within the retry period reading resumes and the packet arrives.
    b.recharge(800 << 10, 0);
    p.advance(100);
    assert_eq!(p.server.received(), big);
    // Delivered: nothing held any more (the client's sent bytes were written, not queued).
    assert_eq!(b.held(), 0);
}

#[test]
fn budget_spent_closes_a_growing_holder_and_refuses_sends() {
    let (mut p, b) = budget_pair(ModelKind::Pull, 1 << 20);
    p.connect();
    // Others hold the whole budget but 100 bytes.
    b.recharge(0, (1 << 20) - 100);
    // Sends that do not fit are refused with the budget error, nothing queued.
    let r = p
        .server
        .session
        .send(&[&[0u8; 200][..]], &mut p.server.out.clone());
    assert!(matches!(r, Err(super::SendError::Budget { .. })), "{r:?}");
    // Received bytes this connection must hold (PULL, not fetched) push it past: closed.
    p.client.ctl(p.now).send(&pattern(500, 1));
    p.drive();
    assert_eq!(
        p.server.closes(),
        vec![(SocketOperation::Receive, libc::ENOBUFS)]
    );
    // Everything it had charged went back.
    assert_eq!(b.held(), (1 << 20) - 100);
}

#[test]
fn budget_counts_queued_sends_and_pull_buffers_until_released() {
    let b = Arc::new(super::Budget::new(1 << 30));
    let mut s = settings(ModelKind::Pull);
    s.notes = false;
    let mut p = Pair::with_budget(s, settings(ModelKind::Pull), None, 4096, b.clone());
    p.connect();
    p.client.session.pause(true);
    // 100 KB queued behind a 4 KB pipe: the budget sees what is queued.
    assert!(p.server.ctl(p.now).send(&pattern(100_000, 2)));
    assert_eq!(b.held(), 100_000 - 4096);
    // PULL bytes held until fetched.
    p.client.ctl(p.now).send(b"0123456789");
    p.drive();
    assert_eq!(b.held(), 100_000 - 4096 + 10);
    assert_eq!(p.server.ctl(p.now).fetch(10).unwrap(), b"0123456789");
    assert_eq!(b.held(), 100_000 - 4096);
    p.client.session.pause(false);
    p.drive();
    assert_eq!(b.held(), 0, "drained");
    // A forced close of a connection with a queue gives it all back.
    p.client.session.pause(true);
    assert!(p.server.ctl(p.now).send(&pattern(50_000, 3)));
    assert!(b.held() > 0);
    p.server.ctl(p.now).close(false);
    p.drive();
    assert_eq!(b.held(), 0);
}

fn tls_budget_pair(b: &Arc<super::Budget>) -> Pair {
    let mut p = Pair::with_budget(
        settings(ModelKind::Push),
        settings(ModelKind::Push),
        tls_configs(),
        1 << 20,
        b.clone(),
    );
    p.connect();
    assert!(p.server.events.contains(&Ev::Handshake));
    p
}

/// The first `n` bytes of a record that announces 16,000.
fn unfinished_record(n: usize) -> Vec<u8> {
    let mut r = vec![23, 3, 3];
    r.extend_from_slice(&16_000u16.to_be_bytes());
    r.resize(5 + n, 0x5A);
    r
}

#[test]
fn budget_counts_an_unfinished_tls_record_and_stops_or_closes_its_holder() {
    let b = Arc::new(super::Budget::new(1 << 20));
    let mut p = tls_budget_pair(&b);
    assert_eq!(b.held(), 0);
    // A peer that announces a full-size record and sends only part of it: rustls holds the
    // part that came, and so does the budget.
    p.client
        .out
        .0
        .borrow_mut()
        .bytes
        .extend(unfinished_record(10_000));
    p.drive();
    assert_eq!(b.held(), 10_005);
    // Past the soft limit this holder stops reading: more of its record stays in the kernel.
    b.recharge(0, 800 << 10);
    p.client.out.0.borrow_mut().bytes.extend([0x5A; 100]);
    p.drive();
    assert_eq!(b.held(), (800 << 10) + 10_005);
    b.recharge(800 << 10, 0);
    p.advance(100);
    assert_eq!(b.held(), 10_105, "reading resumed");

    // With the budget spent by others, a connection whose record grows is closed.
    let b = Arc::new(super::Budget::new(1 << 20));
    let mut p = tls_budget_pair(&b);
    b.recharge(0, (1 << 20) - 500);
    p.client
        .out
        .0
        .borrow_mut()
        .bytes
        .extend(unfinished_record(1000));
    p.drive();
    assert_eq!(
        p.server.closes(),
        vec![(SocketOperation::Receive, libc::ENOBUFS)]
    );
    assert_eq!(b.held(), (1 << 20) - 500, "its charge went back");
}

fn http_pair() -> Pair {
    let mut p = Pair::plain(ModelKind::Http);
    p.connect();
    p
}

fn http_events(evs: &[Ev]) -> Vec<String> {
    evs.iter()
        .filter_map(|e| match e {
            Ev::Http(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn http_requests_split_anywhere_fire_the_same_events() {
    let req = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    let mut whole = None;
    for chunk in [usize::MAX, 1, 2, 7, 30] {
        let mut p = http_pair();
        p.chunks = vec![chunk];
        p.client.ctl(p.now).send(req);
        p.drive();
        let evs = http_events(&p.server.events);
        assert_eq!(
            evs.iter().filter(|e| *e == "MessageComplete").count(),
            2,
            "{evs:?}"
        );
        // Body pieces differ with the split; the rest must not.
        let shape: Vec<String> = evs.into_iter().filter(|e| !e.starts_with("Body")).collect();
        match &whole {
            None => whole = Some(shape),
            Some(w) => assert_eq!(&shape, w, "chunk {chunk}"),
        }
    }
}

#[test]
fn http_head_that_stalls_gets_408_and_a_timeout_close() {
    let mut p = http_pair();
    p.client
        .ctl(p.now)
        .send(b"GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ");
    p.drive();
    let deadline = p.server.session.poll_timeout().expect("a head deadline");
    assert_eq!(deadline, p.now + 30_000);
    p.advance(29_999);
    assert!(p.server.closes().is_empty());
    p.advance(1);
    assert_eq!(
        p.server.closes(),
        vec![(SocketOperation::Receive, libc::ETIMEDOUT)]
    );
    // The client (an HTTP session too) parsed the answer.
    let got = http_events(&p.client.events);
    assert!(got.iter().any(|e| e.contains("status: 408")), "{got:?}");
}

#[test]
fn http_garbage_gets_400_then_a_close_after_the_answer() {
    let mut p = http_pair();
    p.client.ctl(p.now).send(b"NOT HTTP AT ALL\r\n\r\n");
    p.drive();
    assert_eq!(
        p.server.closes(),
        vec![(SocketOperation::Receive, libc::EBADMSG)]
    );
    let got = http_events(&p.client.events);
    assert!(got.iter().any(|e| e.contains("status: 400")), "{got:?}");
    assert!(http_events(&p.server.events)
        .iter()
        .any(|e| e.starts_with("ParseError")));
}
