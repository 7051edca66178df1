//! Differential test of the KCP layer: our `hpsocket::arq::Kcp` against the independent
//! `kcp` crate (0.6, a port of ikcp), over the simulated lossy link in both directions,
//! same conversation, message mode, the same settings. Every message must arrive exactly
//! once and in order whichever side sends.

mod arq_common;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::rc::Rc;

use arq_common::*;
use hpsocket::arq::{Kcp, KcpConfig};

/// The crate writes each datagram with one `write_all`; keep each as one datagram.
#[derive(Clone, Default)]
struct Wire(Rc<RefCell<VecDeque<Vec<u8>>>>);

impl Write for Wire {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().push_back(b.to_vec());
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The `kcp` crate's engine, driven the way `OurKcp` is.
struct TheirKcp {
    k: kcp::Kcp<Wire>,
    wire: Wire,
    max: usize,
}

impl TheirKcp {
    fn new(conv: u32, cfg: KcpConfig) -> TheirKcp {
        let wire = Wire::default();
        let mut k = kcp::Kcp::new(conv, wire.clone());
        k.set_mtu(cfg.mtu as usize).unwrap();
        k.set_wndsize(cfg.send_window, cfg.recv_window);
        k.set_nodelay(
            cfg.no_delay,
            cfg.interval as i32,
            cfg.fast_resend as i32,
            cfg.no_congestion_control,
        );
        k.set_rx_minrto(cfg.min_rto);
        TheirKcp {
            k,
            wire,
            max: cfg.max_message_size,
        }
    }
}

impl Peer for TheirKcp {
    fn input(&mut self, _now: u32, d: &[u8]) -> bool {
        let ok = self.k.input(d).is_ok();
        let _ = self.k.flush();
        ok
    }
    fn transmit(&mut self) -> Option<Vec<u8>> {
        self.wire.0.borrow_mut().pop_front()
    }
    fn send(&mut self, m: &[u8]) -> bool {
        self.k.send(m).is_ok()
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        let mut buf = vec![0; self.max];
        let n = self.k.recv(&mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }
    fn tick(&mut self, now: u32) {
        self.k.update(now).unwrap();
    }
    fn deadline(&self, now: u32) -> u32 {
        now + self.k.check(now)
    }
    fn waiting(&self) -> usize {
        self.k.wait_snd()
    }
}

/// `kcp::Kcp::check` returns a delay, not a time (unlike ikcp); the wrapper above adds it.
/// This pins that reading of the crate.
#[test]
fn their_check_is_a_delay() {
    let mut t = TheirKcp::new(1, KcpConfig::default());
    t.tick(1_000_000);
    assert!(t.k.check(1_000_000) <= 100);
}

/// Virtual time a run may take. At 30 % loss with congestion control on, a run can take
/// 20 virtual minutes: each timeout doubles a segment's RTO without a ceiling (ikcp's rule,
/// which the crate and ours share), and some segments are lost many times in a row.
const LIMIT: u32 = 3_600_000;

fn configs() -> [(&'static str, KcpConfig); 2] {
    let hp = kcp_config(16 * 1024);
    [
        ("hp-socket defaults", hp),
        ("no-delay, nc, resend 2", hp.with_nodelay(true, 10, 2, true)),
    ]
}

#[test]
fn ours_and_theirs_deliver_each_others_messages() {
    let mut table = Vec::new();
    for (name, cfg) in configs() {
        for (loss, n) in [(0.0, 200), (0.05, 200), (0.30, 80)] {
            for (dir, up, down) in [
                ("ours->theirs", n, 0),
                ("theirs->ours", 0, n),
                ("both", n, n),
            ] {
                let seed = 11;
                let mut rng = SimRng::new(seed);
                let to_theirs = messages(&mut rng, up, cfg.max_message_size);
                let to_ours = messages(&mut rng, down, cfg.max_message_size);
                let mut ours = OurKcp(Kcp::new(0x1234_5678, cfg).unwrap());
                let mut theirs = TheirKcp::new(0x1234_5678, cfg);
                let link = LinkConfig::lossy(loss);
                let out = run(
                    &mut ours,
                    &mut theirs,
                    link,
                    link,
                    seed,
                    &to_theirs,
                    &to_ours,
                    LIMIT,
                );
                assert!(
                    out.b_got == to_theirs && out.a_got == to_ours,
                    "{name}, loss {loss}, {dir}: theirs got {}/{}, ours got {}/{} in {} ms",
                    out.b_got.len(),
                    to_theirs.len(),
                    out.a_got.len(),
                    to_ours.len(),
                    out.elapsed
                );
                table.push(format!(
                    "{name:<24} loss {:>3.0}% {dir:<13} {up}+{down} messages in {:>6} ms, \
                     ours retransmitted {}",
                    loss * 100.0,
                    out.elapsed,
                    ours.0.retransmits()
                ));
            }
        }
    }
    println!("{}", table.join("\n"));
}

/// The same traffic, ours against ours and theirs against theirs: the engines must not
/// only deliver the same messages but pace them alike — datagrams sent and virtual time
/// within a quarter of each other (both are deterministic for a seed).
#[test]
fn like_engines_pace_alike() {
    for (name, cfg) in configs() {
        let mut rng = SimRng::new(5);
        let msgs = messages(&mut rng, 150, cfg.max_message_size);
        let link = LinkConfig::lossy(0.05);
        let mut a = OurKcp(Kcp::new(9, cfg).unwrap());
        let mut b = OurKcp(Kcp::new(9, cfg).unwrap());
        let ours = run(&mut a, &mut b, link, link, 5, &msgs, &[], LIMIT);
        let mut a = TheirKcp::new(9, cfg);
        let mut b = TheirKcp::new(9, cfg);
        let theirs = run(&mut a, &mut b, link, link, 5, &msgs, &[], LIMIT);
        assert_eq!(ours.b_got, msgs);
        assert_eq!(theirs.b_got, msgs);
        println!(
            "{name}, 5 % loss, 150 messages: ours {} ms / {} datagrams, kcp crate {} ms / {} datagrams",
            ours.elapsed, ours.ab.sent, theirs.elapsed, theirs.ab.sent
        );
        let close = |x: u64, y: u64| 4 * x.abs_diff(y) <= x.max(y);
        assert!(close(ours.ab.sent, theirs.ab.sent), "{name}: datagrams");
        assert!(
            close(ours.elapsed.into(), theirs.elapsed.into()),
            "{name}: time"
        );
    }
}
