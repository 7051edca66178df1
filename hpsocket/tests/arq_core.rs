//! The ARQ core (`hpsocket::arq`) over a simulated lossy link: two sessions handshake and
//! trade messages of random sizes up to the maximum, with loss, duplication, reordering,
//! delay and truncation from a fixed seed; every message must arrive exactly once and in
//! order. Then the close and timeout paths, and arbitrary datagrams into a live session.

mod arq_common;

use arq_common::*;
use hpsocket::arq::{ArqConfig, ArqSession, CloseReason, Event, CLOSE_NOTIFY};
use proptest::prelude::*;

fn session_config(max_message: usize) -> ArqConfig {
    ArqConfig {
        kcp: kcp_config(max_message),
        ..ArqConfig::default()
    }
}

/// Sessions `1` (client) and `2` (server); `to_server` / `to_client` messages each way.
fn sessions(
    loss: f64,
    seed: u64,
    to_server: usize,
    to_client: usize,
    max_message: usize,
) -> (OurSession, OurSession, Outcome, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let cfg = session_config(max_message);
    let mut rng = SimRng::new(seed);
    let up = messages(&mut rng, to_server, max_message);
    let down = messages(&mut rng, to_client, max_message);
    let mut c = OurSession::new(1, 0, cfg);
    let mut s = OurSession::new(2, 0, cfg);
    let link = LinkConfig::lossy(loss);
    let out = run(&mut c, &mut s, link, link, seed, &up, &down, 600_000);
    (c, s, out, up, down)
}

/// The loss matrix: 0 %, 5 % and 30 % loss; client → server, server → client, both at
/// once; messages of 1 ..= 4,096 bytes (HP-Socket's maximum), plus a run of messages up to
/// 64 KiB (45 fragments).
#[test]
fn every_message_once_and_in_order() {
    let mut table = Vec::new();
    for (loss, n) in [(0.0, 300), (0.05, 300), (0.30, 120)] {
        for (dir, up, down) in [("c->s", n, 0), ("s->c", 0, n), ("both", n, n)] {
            for seed in [1, 2] {
                let (c, s, out, sent_up, sent_down) = sessions(loss, seed, up, down, 4096);
                assert!(
                    out.b_got == sent_up && out.a_got == sent_down,
                    "loss {loss} {dir} seed {seed}: server got {}/{}, client got {}/{} \
                     after {} ms ({out:?})",
                    out.b_got.len(),
                    sent_up.len(),
                    out.a_got.len(),
                    sent_down.len(),
                    out.elapsed,
                );
                assert_eq!(c.events, [Event::Connected], "{loss} {dir} {seed}");
                assert_eq!(s.events, [Event::Connected], "{loss} {dir} {seed}");
                table.push(format!(
                    "loss {:>4.0}% {dir} seed {seed}: {up}+{down} messages in {:>6} ms, \
                     {} datagrams lost, {} truncated/refused, {} retransmits",
                    loss * 100.0,
                    out.elapsed,
                    out.ab.lost + out.ba.lost,
                    out.refused,
                    c.s.kcp().retransmits() + s.s.kcp().retransmits(),
                ));
            }
        }
    }
    let (_, _, out, up, down) = sessions(0.05, 3, 60, 60, 65_536);
    assert!(out.b_got == up && out.a_got == down, "64 KiB messages");
    table.push(format!("loss    5% both 64 KiB: in {} ms", out.elapsed));
    println!("{}", table.join("\n"));
}

/// Congestion control off, no-delay, fast retransmit after 2 duplicate acks: the same
/// guarantee, at 30 % loss.
#[test]
fn fast_mode_at_thirty_percent_loss() {
    let mut cfg = session_config(4096);
    cfg.kcp = cfg.kcp.with_nodelay(true, 10, 2, true);
    let mut rng = SimRng::new(7);
    let up = messages(&mut rng, 200, 4096);
    let down = messages(&mut rng, 200, 4096);
    let mut c = OurSession::new(10, 0, cfg);
    let mut s = OurSession::new(20, 0, cfg);
    let link = LinkConfig::lossy(0.30);
    let out = run(&mut c, &mut s, link, link, 7, &up, &down, 600_000);
    assert!(out.b_got == up && out.a_got == down, "{out:?}");
}

/// Drives two sessions over perfect links (20 ms each way) by hand.
struct Pair {
    c: ArqSession,
    s: ArqSession,
    now: u32,
    /// Datagrams in flight: (arrival, to server?, bytes).
    wire: Vec<(u32, bool, Vec<u8>)>,
    /// Whether each direction delivers.
    up: bool,
    down: bool,
    c_events: Vec<Event>,
    s_events: Vec<Event>,
    s_got: Vec<Vec<u8>>,
    /// The time of the last step.
    last: u32,
}

impl Pair {
    fn new() -> Pair {
        Pair::with(ArqConfig::default())
    }

    fn with(cfg: ArqConfig) -> Pair {
        Pair {
            c: ArqSession::new(100, 0, cfg).unwrap(),
            s: ArqSession::new(200, 0, cfg).unwrap(),
            now: 0,
            wire: Vec::new(),
            up: true,
            down: true,
            c_events: Vec::new(),
            s_events: Vec::new(),
            s_got: Vec::new(),
            last: 0,
        }
    }

    /// Runs until `until` holds or the clock reaches `limit`; the clock jumps from one
    /// arrival or deadline to the next.
    fn run_until(&mut self, limit: u32, mut until: impl FnMut(&Pair) -> bool) {
        while !until(self) && self.now < limit {
            self.step();
        }
    }

    fn step(&mut self) {
        let now = self.now;
        self.last = now;
        let due: Vec<_> = self.wire.iter().filter(|w| w.0 <= now).cloned().collect();
        self.wire.retain(|w| w.0 > now);
        for (_, to_server, d) in due {
            // Refusals are the tests' business through the events; ignore them here.
            let _ = if to_server {
                self.s.input(now, &d)
            } else {
                self.c.input(now, &d)
            };
        }
        for x in [&mut self.c, &mut self.s] {
            if x.poll_timeout().is_some_and(|t| t <= now) {
                x.handle_timeout(now);
            }
        }
        while let Some(d) = self.c.poll_transmit() {
            if self.up {
                self.wire.push((now + 20, true, d));
            }
        }
        while let Some(d) = self.s.poll_transmit() {
            if self.down {
                self.wire.push((now + 20, false, d));
            }
        }
        self.c_events
            .extend(std::iter::from_fn(|| self.c.poll_event()));
        self.s_events
            .extend(std::iter::from_fn(|| self.s.poll_event()));
        self.s_got.extend(std::iter::from_fn(|| self.s.recv()));
        let timers = [self.c.poll_timeout(), self.s.poll_timeout()];
        let arrivals = self.wire.iter().map(|w| w.0);
        let next = timers.into_iter().flatten().chain(arrivals).min();
        self.now = next.unwrap_or(u32::MAX).max(now + 1);
    }

    fn connect(&mut self) {
        self.run_until(10_000, |p| p.c.is_ready() && p.s.is_ready());
        assert!(self.c.is_ready() && self.s.is_ready());
    }
}

#[test]
fn graceful_close_delivers_then_notifies() {
    let mut p = Pair::new();
    p.connect();
    let msgs: Vec<Vec<u8>> = (0..50u32).map(|i| vec![i as u8; 3000]).collect();
    for m in &msgs {
        p.c.send(m).unwrap();
    }
    p.c.close(p.now);
    assert!(!p.c.is_closed(), "waits for its data to be acknowledged");
    assert_eq!(p.c.send(b"late"), Err(hpsocket::arq::SendError::Closed));
    p.run_until(20_000, |p| p.s.is_closed());
    assert_eq!(p.s_got, msgs);
    assert_eq!(p.c_events.last(), Some(&Event::Closed(CloseReason::Local)));
    assert_eq!(p.s_events.last(), Some(&Event::Closed(CloseReason::Peer)));
    assert_eq!(p.c.poll_timeout(), None);
}

#[test]
fn abort_notifies_at_once() {
    let mut p = Pair::new();
    p.connect();
    p.c.send(&[1; 100]).unwrap();
    p.c.abort();
    let mut sent = Vec::new();
    while let Some(d) = p.c.poll_transmit() {
        sent.push(d);
    }
    assert_eq!(sent.last().map(|d| &d[..]), Some(&CLOSE_NOTIFY[..]));
    assert_eq!(p.c.close_reason(), Some(CloseReason::Local));
}

/// The peer vanishes after the handshake: the data's retransmissions run out (dead link).
/// Each retransmission doubles the segment's timeout without a ceiling (as in ikcp), so 20
/// transmissions would take a day; 10 are tried here.
#[test]
fn dead_link_closes() {
    let mut cfg = ArqConfig::default();
    cfg.kcp.dead_link = 10;
    let mut p = Pair::with(cfg);
    p.connect();
    p.run_until(1_000, |_| false);
    p.up = false;
    let t0 = p.now;
    p.c.send(b"into the void").unwrap();
    p.run_until(t0 + 3_600_000, |p| p.c.is_closed());
    assert_eq!(p.c.close_reason(), Some(CloseReason::DeadLink));
    println!("dead link after {} ms", p.last - t0);
}

/// A graceful close whose data is never acknowledged ends at the (handshake) timeout.
#[test]
fn close_times_out_without_acks() {
    let mut p = Pair::new();
    p.connect();
    p.up = false;
    p.c.send(b"unacknowledged").unwrap();
    let t0 = p.now;
    p.c.close(t0);
    p.run_until(t0 + 60_000, |p| p.c.is_closed());
    assert_eq!(p.c.close_reason(), Some(CloseReason::CloseTimeout));
    assert!(
        p.last - t0 > 5_000 && p.last - t0 < 5_100,
        "{}",
        p.last - t0
    );
}

/// A server that never answers: the client's handshake fails 5 s after it began.
#[test]
fn handshake_timeout_when_nobody_answers() {
    let mut p = Pair::new();
    p.up = false;
    p.run_until(60_000, |p| p.c.is_closed());
    assert_eq!(p.c_events, [Event::Closed(CloseReason::HandshakeTimeout)]);
    assert_eq!(p.last, 5_001);
    assert!(p.s.is_closed(), "the server heard nothing either");
}

/// The client hears the server but its own handshakes are lost after the first: the client
/// is ready, the server never is, and both give up at the timeout (HP-Socket requires
/// both "complete" flags within it).
#[test]
fn half_open_handshake_times_out_on_both_sides() {
    let mut p = Pair::new();
    // The client's first handshake gets through, its answer to the server's does not.
    p.run_until(15, |_| false);
    p.up = false;
    p.run_until(60_000, |p| p.c.is_closed() && p.s.is_closed());
    assert_eq!(
        p.c_events,
        [
            Event::Connected,
            Event::Closed(CloseReason::HandshakeTimeout)
        ]
    );
    assert_eq!(p.s_events, [Event::Closed(CloseReason::HandshakeTimeout)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary datagrams into a connected session: no panic, the receive side within
    /// twice the window, the transmit queue bounded.
    #[test]
    fn arbitrary_datagrams_into_a_live_session(
        datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..1500), 1..100),
        patch_conv in any::<bool>(),
    ) {
        let mut p = Pair::new();
        p.connect();
        p.c.send(&[7; 5000]).unwrap_err();
        p.c.send(&[7; 4000]).unwrap();
        for (i, mut d) in datagrams.into_iter().enumerate() {
            if patch_conv && d.len() >= 24 {
                d[..4].copy_from_slice(&100u32.to_le_bytes());
                d[4] = 81 + (d[4] % 4);
            }
            let _ = p.s.input(p.now + i as u32, &d);
            while p.s.recv().is_some() {}
            prop_assert!(p.s.kcp().buffered_segments() <= 2 * 512);
            prop_assert!(p.s.kcp().buffered_bytes() <= 2 * 512 * 1500);
            let mut n = 0;
            while p.s.poll_transmit().is_some() {
                n += 1;
            }
            prop_assert!(n <= 4 * (128 + 512) + 16 + 2);
            if p.s.is_closed() {
                break;
            }
        }
    }
}
