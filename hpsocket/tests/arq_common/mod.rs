//! What the ARQ test files share: a seeded random source, a simulated lossy link (loss,
//! duplication, reordering, delay, truncation) with a virtual clock, and a driver that runs
//! two endpoints against each other through it until every message arrived.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hpsocket::arq::{ArqConfig, ArqSession, Event, Kcp, KcpConfig};

/// xorshift64*: deterministic, seeded, good enough for a simulation.
#[derive(Clone, Debug)]
pub struct SimRng(u64);

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        SimRng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

/// How the link mistreats datagrams (each decided independently per datagram).
#[derive(Clone, Copy, Debug)]
pub struct LinkConfig {
    /// Dropped.
    pub loss: f64,
    /// Delivered twice (the copy with its own delay).
    pub duplicate: f64,
    /// Held back by up to `reorder_delay` more, so later datagrams overtake it.
    pub reorder: f64,
    pub reorder_delay: u32,
    /// One-way delay, plus `0..jitter`.
    pub delay: u32,
    pub jitter: u32,
    /// Cut to a random shorter length (as a too-small receive buffer or MTU would).
    pub truncate: f64,
}

impl LinkConfig {
    /// A link losing `loss` of the datagrams, and mistreating some of the rest: 2 %
    /// duplicated, 5 % reordered by up to 40 ms, 1 % truncated; 20 ms ± 10 ms one way.
    pub fn lossy(loss: f64) -> LinkConfig {
        LinkConfig {
            loss,
            duplicate: 0.02,
            reorder: 0.05,
            reorder_delay: 40,
            delay: 20,
            jitter: 10,
            truncate: 0.01,
        }
    }
    /// Delivers everything once, in order, after 20 ms.
    pub fn perfect() -> LinkConfig {
        LinkConfig {
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: 0,
            delay: 20,
            jitter: 0,
            truncate: 0.0,
        }
    }
}

/// What a link did.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkStats {
    pub sent: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub truncated: u64,
}

/// One direction of the simulated network.
pub struct Link {
    pub cfg: LinkConfig,
    rng: SimRng,
    queue: BinaryHeap<Reverse<(u32, u64, Vec<u8>)>>,
    seq: u64,
    pub stats: LinkStats,
}

impl Link {
    pub fn new(cfg: LinkConfig, seed: u64) -> Link {
        Link {
            cfg,
            rng: SimRng::new(seed),
            queue: BinaryHeap::new(),
            seq: 0,
            stats: LinkStats::default(),
        }
    }

    pub fn send(&mut self, now: u32, mut d: Vec<u8>) {
        self.stats.sent += 1;
        if self.rng.chance(self.cfg.loss) {
            self.stats.lost += 1;
            return;
        }
        if !d.is_empty() && self.rng.chance(self.cfg.truncate) {
            self.stats.truncated += 1;
            d.truncate(self.rng.below(d.len() as u64) as usize);
        }
        let copies = if self.rng.chance(self.cfg.duplicate) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = now + self.cfg.delay + self.rng.below(self.cfg.jitter as u64 + 1) as u32;
            if self.rng.chance(self.cfg.reorder) {
                self.stats.reordered += 1;
                at += self.rng.below(self.cfg.reorder_delay as u64 + 1) as u32;
            }
            self.seq += 1;
            self.queue.push(Reverse((at, self.seq, d.clone())));
        }
    }

    /// The next datagram due by `now`.
    pub fn deliver(&mut self, now: u32) -> Option<Vec<u8>> {
        match self.queue.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.queue.pop().map(|Reverse(x)| x.2),
            _ => None,
        }
    }

    pub fn next_at(&self) -> Option<u32> {
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }
}

/// An endpoint the driver can run: ours (`Kcp`, `ArqSession`) or the `kcp` crate's.
pub trait Peer {
    /// Takes a datagram; refusing it (a truncated one) is fine and counted.
    fn input(&mut self, now: u32, d: &[u8]) -> bool;
    fn transmit(&mut self) -> Option<Vec<u8>>;
    /// Queues a message; false when the peer cannot take it yet.
    fn send(&mut self, m: &[u8]) -> bool;
    fn recv(&mut self) -> Option<Vec<u8>>;
    fn tick(&mut self, now: u32);
    /// When `tick` is due next.
    fn deadline(&self, now: u32) -> u32;
    /// Segments not yet acknowledged.
    fn waiting(&self) -> usize;
    /// Open for messages (handshake done).
    fn ready(&self) -> bool {
        true
    }
}

/// Our KCP engine, driven like ikcp: input then flush; update at `check`'s time.
pub struct OurKcp(pub Kcp);

impl Peer for OurKcp {
    fn input(&mut self, now: u32, d: &[u8]) -> bool {
        let ok = self.0.input(now, d).is_ok();
        self.0.flush(now);
        ok
    }
    fn transmit(&mut self) -> Option<Vec<u8>> {
        self.0.poll_transmit()
    }
    fn send(&mut self, m: &[u8]) -> bool {
        self.0.send(m).is_ok()
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        self.0.recv()
    }
    fn tick(&mut self, now: u32) {
        self.0.update(now)
    }
    fn deadline(&self, now: u32) -> u32 {
        self.0.check(now)
    }
    fn waiting(&self) -> usize {
        self.0.waiting_send()
    }
}

/// Our ARQ session (HP-Socket's handshake over KCP).
pub struct OurSession {
    pub s: ArqSession,
    pub events: Vec<Event>,
}

impl OurSession {
    pub fn new(id: u32, now: u32, cfg: ArqConfig) -> OurSession {
        OurSession {
            s: ArqSession::new(id, now, cfg).unwrap(),
            events: Vec::new(),
        }
    }
    fn collect(&mut self) {
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
    }
}

impl Peer for OurSession {
    fn input(&mut self, now: u32, d: &[u8]) -> bool {
        let ok = self.s.input(now, d).is_ok();
        self.collect();
        ok
    }
    fn transmit(&mut self) -> Option<Vec<u8>> {
        self.s.poll_transmit()
    }
    fn send(&mut self, m: &[u8]) -> bool {
        self.s.send(m).is_ok()
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        self.s.recv()
    }
    fn tick(&mut self, now: u32) {
        self.s.handle_timeout(now);
        self.collect();
    }
    fn deadline(&self, now: u32) -> u32 {
        self.s.poll_timeout().unwrap_or(now + 1_000)
    }
    fn waiting(&self) -> usize {
        self.s.waiting_send()
    }
    fn ready(&self) -> bool {
        self.s.is_ready()
    }
}

/// Messages of random sizes `1..=max`, each starting with its index so that a mix-up
/// shows.
pub fn messages(rng: &mut SimRng, count: usize, max: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let len = 1 + rng.below(max as u64) as usize;
            let mut m: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            let tag = (i as u32).to_le_bytes();
            let n = tag.len().min(len);
            m[..n].copy_from_slice(&tag[..n]);
            m
        })
        .collect()
}

/// What a run delivered.
#[derive(Debug, Default)]
pub struct Outcome {
    pub a_got: Vec<Vec<u8>>,
    pub b_got: Vec<Vec<u8>>,
    /// Virtual milliseconds the run took.
    pub elapsed: u32,
    pub refused: u64,
    pub ab: LinkStats,
    pub ba: LinkStats,
}

/// The application's back-pressure: a sender queues more only while fewer than this many
/// segments are unacknowledged.
pub const MAX_WAITING: usize = 256;

/// Runs `a` and `b` over two links until `b` got `to_b` and `a` got `to_a` (each side sends
/// as fast as back-pressure allows), or `limit` virtual ms passed. Event-driven: the clock
/// jumps to the next delivery or deadline.
#[allow(clippy::too_many_arguments)]
pub fn run(
    a: &mut dyn Peer,
    b: &mut dyn Peer,
    ab: LinkConfig,
    ba: LinkConfig,
    seed: u64,
    to_b: &[Vec<u8>],
    to_a: &[Vec<u8>],
    limit: u32,
) -> Outcome {
    let mut link_ab = Link::new(ab, seed ^ 0xA);
    let mut link_ba = Link::new(ba, seed ^ 0xB);
    let mut out = Outcome::default();
    let (mut next_b, mut next_a) = (0, 0);
    let mut now = 0u32;
    a.tick(now);
    b.tick(now);
    loop {
        while let Some(d) = link_ab.deliver(now) {
            out.refused += u64::from(!b.input(now, &d));
        }
        while let Some(d) = link_ba.deliver(now) {
            out.refused += u64::from(!a.input(now, &d));
        }
        if a.deadline(now) <= now {
            a.tick(now);
        }
        if b.deadline(now) <= now {
            b.tick(now);
        }
        feed(a, to_b, &mut next_b);
        feed(b, to_a, &mut next_a);
        while let Some(m) = b.recv() {
            out.b_got.push(m);
        }
        while let Some(m) = a.recv() {
            out.a_got.push(m);
        }
        while let Some(d) = a.transmit() {
            link_ab.send(now, d);
        }
        while let Some(d) = b.transmit() {
            link_ba.send(now, d);
        }
        let done = out.b_got.len() >= to_b.len()
            && out.a_got.len() >= to_a.len()
            && a.waiting() == 0
            && b.waiting() == 0;
        if done || now >= limit {
            break;
        }
        let mut next = a.deadline(now).min(b.deadline(now));
        for l in [&link_ab, &link_ba] {
            if let Some(t) = l.next_at() {
                next = next.min(t);
            }
        }
        now = next.max(now + 1);
    }
    out.elapsed = now;
    out.ab = link_ab.stats;
    out.ba = link_ba.stats;
    out
}

fn feed(p: &mut dyn Peer, msgs: &[Vec<u8>], next: &mut usize) {
    while *next < msgs.len() && p.ready() && p.waiting() < MAX_WAITING {
        if !p.send(&msgs[*next]) {
            break;
        }
        *next += 1;
    }
}

/// KCP settings for the message tests: HP-Socket's (MTU 1,472, windows 128 / 512,
/// interval 60 ms, minimum RTO 30 ms) with a larger maximum message.
pub fn kcp_config(max_message: usize) -> KcpConfig {
    KcpConfig {
        max_message_size: max_message,
        ..KcpConfig::hp_socket()
    }
}
