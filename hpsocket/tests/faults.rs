//! The fault suite (issue 14): attacks on a server running in this process, over loopback.
//! After each attack a fresh client must still be served, resident memory must stay under a
//! bound derived from the per-connection limits and the memory budget, open file
//! descriptors must return to their baseline, and well-behaved connections must get every byte
//! back. Sizes are small so CI runs it in seconds; `FAULTS_SCALE=10` multiplies the attackers
//! for a run by hand, and the ignored `soak` test loops the attacks for minutes and checks that
//! the heap the process holds, its threads and its resident memory stay flat (see `soak` for
//! how RSS crept without a leak):
//!
//! ```sh
//! cargo test -p hpsocket --test faults
//! cargo test --release -p hpsocket --test faults -- --ignored soak   # FAULTS_SOAK_SECS=180
//! ```

mod util;

use std::collections::{HashMap, HashSet};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use hpsocket::*;
use parking_lot::Mutex;
use testkit::{heap_live, open_fds, rss_bytes};
use util::*;

/// The soak tells a leak from memory the C allocator keeps by the heap the process's Rust
/// code holds (every allocation of hpsocket, rustls and the tests goes through here).
#[global_allocator]
static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;

const KIB: usize = 1 << 10;
const MIB: u64 = 1 << 20;

/// RSS and fd counts are process-wide, so the tests of this file take turns.
static SERIAL: Mutex<()> = Mutex::new(());

/// Multiplies the attackers (`FAULTS_SCALE`, default 1) for heavier runs by hand.
fn scale() -> usize {
    std::env::var("FAULTS_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1usize)
        .max(1)
}

/// Freed memory that glibc keeps in its arenas is not the library's: trimming first makes
/// "memory returns to the baseline" a statement about hpsocket's buffers, not the allocator's.
fn trimmed_rss() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
    rss_bytes()
}

fn mib(b: u64) -> f64 {
    b as f64 / MIB as f64
}

/// Fails with both counts when the process's descriptors do not settle back to `want` (or
/// below: a baseline taken while an earlier phase's last descriptor was still closing counts
/// one more than the process holds for good).
fn fds_return_to(want: usize, what: &str) {
    assert!(
        testkit::eventually(LIMIT, || open_fds() <= want),
        "{what}: {} fds open, baseline {want}",
        open_fds()
    );
}

fn rss_within(base: u64, bound: u64, what: &str) -> u64 {
    let now = rss_bytes();
    assert!(
        now <= base + bound,
        "{what}: RSS {:.1} MiB, baseline {:.1} MiB, allowed growth {:.1} MiB",
        mib(now),
        mib(base),
        mib(bound)
    );
    now
}

/// Server listener for every model and transport: records accepts, handshakes and closes,
/// echoes what it receives, and closes a connection whose echo `send` fails (a peer that does
/// not read), as an application would.
#[derive(Clone)]
struct F {
    rec: Arc<Recorder>,
    /// Accepts and closes as counts, for servers too busy to log them (`F::tally_only`).
    tally: Arc<Mutex<Tally>>,
    /// Accepts, handshakes and closes go to `rec` (else only to `tally`).
    log: Arc<AtomicBool>,
    echo_failed: Arc<AtomicUsize>,
    /// Receive events are counted rather than recorded: soak rounds must not grow a log.
    received: Arc<AtomicUsize>,
    echo: Arc<AtomicBool>,
}

/// What `one_close_per_accept` checks, kept in the room of the connections open at once: the
/// attackers of `no_byte_lost` make about 10^5 connections a round, whose event log alone was
/// 6–12 MiB grown on the server's worker threads (and left glibc's arenas that much larger).
#[derive(Default)]
struct Tally {
    open: HashSet<ConnId>,
    accepted: usize,
    closed: usize,
    /// Closes of a connection that was not open: closed twice, or never accepted.
    stray: usize,
    /// Closes by (operation, error).
    why: HashMap<(SocketOperation, i32), usize>,
}

impl F {
    fn new() -> F {
        F {
            rec: Recorder::new(),
            tally: Arc::default(),
            log: Arc::new(AtomicBool::new(true)),
            echo_failed: Arc::default(),
            received: Arc::default(),
            echo: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Stops logging accepts, handshakes and closes (before the first connection): `tally`
    /// alone counts them.
    fn tally_only(&self) {
        self.log.store(false, Ordering::Relaxed);
    }

    fn logs(&self) -> bool {
        self.log.load(Ordering::Relaxed)
    }

    /// Every accepted connection closed exactly once, and nothing closed that was not
    /// accepted (the tally's `one_close_per_accept`). Waits (bounded) for the last closes.
    fn one_close_per_accept_tallied(&self) {
        assert!(eventually(|| self.tally.lock().open.is_empty()));
        let t = self.tally.lock();
        assert_eq!(t.stray, 0, "a connection closed twice or never accepted");
        assert_eq!(t.accepted, t.closed, "accepts vs closes");
    }

    fn echo<C: Ops>(&self, c: &C, id: ConnId, data: &[u8]) -> HandleResult {
        self.received.fetch_add(data.len(), Ordering::Relaxed);
        if !self.echo.load(Ordering::Relaxed) || c.send_to(id, data).is_ok() {
            HandleResult::Ok
        } else {
            self.echo_failed.fetch_add(1, Ordering::Relaxed);
            HandleResult::Error
        }
    }
}

impl<M: Model, T: Transport> ServerListener<Server<M, T>> for F
where
    Server<M, T>: Ops,
{
    fn on_accept(&self, _s: &Server<M, T>, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        {
            let mut t = self.tally.lock();
            t.accepted += 1;
            t.open.insert(id);
        }
        if self.logs() {
            self.rec.push(Ev::Accept(id));
        }
        HandleResult::Ok
    }
    fn on_handshake(&self, _s: &Server<M, T>, id: ConnId) -> HandleResult {
        if self.logs() {
            self.rec.push(Ev::Handshake(id));
        }
        HandleResult::Ok
    }
    fn on_receive(&self, s: &Server<M, T>, id: ConnId, data: &[u8]) -> HandleResult {
        self.echo(s, id, data)
    }
    fn on_pull_receive(&self, s: &Server<M, T>, id: ConnId, len: usize) -> HandleResult {
        let mut buf = vec![0u8; len];
        assert_eq!(s.fetch_from(id, &mut buf), FetchResult::Ok);
        self.echo(s, id, &buf)
    }
    fn on_close(&self, _s: &Server<M, T>, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        {
            let mut t = self.tally.lock();
            t.closed += 1;
            if !t.open.remove(&id) {
                t.stray += 1;
            }
            *t.why.entry((op, e)).or_insert(0) += 1;
        }
        if self.logs() {
            self.rec.closed(id, op, e)
        } else {
            HandleResult::Ok
        }
    }
}

/// A server of model `M` over transport `T` on 127.0.0.1, port 0, two workers.
fn start<M: Model, T: Transport>(
    configure: impl FnOnce(&Server<M, T>),
) -> (Server<M, T>, F, SocketAddr)
where
    Server<M, T>: Ops,
{
    let f = F::new();
    let s = Server::<M, T>::new(f.clone());
    s.set_worker_thread_count(2).unwrap();
    configure(&s);
    s.start("127.0.0.1", 0).expect("start server");
    let a = s.listen_address().unwrap();
    (s, f, a)
}

fn tls_server<M: Model>(
    pki: &Pki,
    configure: impl FnOnce(&Server<M, Tls>),
) -> (Server<M, Tls>, F, SocketAddr)
where
    Server<M, Tls>: Ops,
{
    start::<M, Tls>(|s| {
        s.setup_ssl_context(&pki.server_setup()).unwrap();
        configure(s)
    })
}

/// A fresh plain client (PUSH or PULL echo) gets 1000 bytes back intact.
fn served(a: SocketAddr, seed: u64) {
    let mut c = connect(a);
    let m = pattern(seed, 1000);
    assert!(roundtrip(&mut c, &m) == m, "fresh client's echo differs");
}

/// A fresh PACK client gets its packet back, header and body.
fn served_pack(a: SocketAddr, flag: u16, seed: u64) {
    let mut c = connect(a);
    let frame = pack_frame(flag, &pattern(seed, 1000));
    assert!(
        roundtrip(&mut c, &frame) == frame,
        "fresh PACK echo differs"
    );
}

/// A fresh TLS client of model `M` (hpsocket's own, verifying the server against the CA).
fn served_tls<M: Model>(pki: &Pki, a: SocketAddr, seed: u64)
where
    Client<M, Tls>: Ops,
{
    let rec = Recorder::new();
    rec.keep_data.store(true, Ordering::Relaxed);
    let c = Client::<M, Tls>::new(G(rec.clone()));
    c.setup_ssl_context(&pki.client_setup()).unwrap();
    c.start("127.0.0.1", a.port(), false)
        .expect("fresh TLS client connects");
    let m = pattern(seed, 1000);
    c.send(&m).unwrap();
    let id = c.connection_id().unwrap();
    let got = || rec.data.lock().get(&id).cloned().unwrap_or_default();
    assert!(
        rec.wait_until(|_| got().len() >= m.len()),
        "fresh TLS client not served: {:?}",
        rec.events()
    );
    assert!(got() == m, "fresh TLS client's echo differs");
    c.stop().unwrap();
}

/// Starts the process-wide client pool (its descriptors stay for the life of the process), so
/// a descriptor baseline taken after this holds across TLS clients.
fn warm_client_pool(pki: &Pki) {
    let (s, _f, a) = tls_server::<Push>(pki, |_| {});
    served_tls::<Push>(pki, a, 1);
    s.stop().unwrap();
}

/// A connected stream whose receive buffer is tiny, so the server's bytes pile up on its side.
fn connect_small_rcvbuf(a: SocketAddr) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.set_recv_buffer_size(4096).unwrap();
    s.connect_timeout(&a.into(), LIMIT).unwrap();
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.set_write_timeout(Some(LIMIT)).unwrap();
    s
}

/// Drops the stream with SO_LINGER 0: the kernel sends RST instead of FIN.
fn reset(s: TcpStream) {
    let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
    drop(s);
}

/// Reads until EOF or an error (a reset counts as closed), bounded by the read timeout; true
/// when the peer closed.
fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 64 * KIB];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
            }
        }
    }
}

/// Closes with this operation and error in an event list (for `wait_until`, which holds the
/// recorder's lock while it asks).
fn closes_with(evs: &[Ev], op: SocketOperation, err: i32) -> usize {
    evs.iter()
        .filter(|e| matches!(e, Ev::Close(_, o, x) if *o == op && *x == err))
        .count()
}

/// Every accepted connection closed exactly once, and nothing closed that was not accepted.
/// Waits (bounded) for the closes of connections the test just dropped.
fn one_close_per_accept(rec: &Recorder) {
    let count = |evs: &[Ev], f: fn(&Ev) -> bool| evs.iter().filter(|e| f(e)).count();
    rec.wait_until(|evs| {
        count(evs, |e| matches!(e, Ev::Accept(_))) == count(evs, |e| matches!(e, Ev::Close(..)))
    });
    let evs = rec.events();
    let mut accepted: Vec<ConnId> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Accept(i) => Some(*i),
            _ => None,
        })
        .collect();
    let mut closed: Vec<ConnId> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Close(i, _, _) => Some(*i),
            _ => None,
        })
        .collect();
    accepted.sort();
    closed.sort();
    assert_eq!(accepted.len(), closed.len(), "accepts vs closes");
    assert!(accepted == closed, "a connection closed twice or never");
}

// ---------------------------------------------------------------------------------------------
// 1. Slowloris

/// What the library guarantees: every byte read counts as activity, so a peer trickling faster
/// than `idle_timeout` keeps its connection however little it completes (no "finish a packet
/// by" deadline exists; `max_connection_count` and `max_connections_per_address` bound how many
/// such peers there can be). A trickler that stops is closed by `idle_timeout` with
/// (`Receive`, `ETIMEDOUT`), a partial PACK header or request line notwithstanding.
fn slowloris() {
    let n = 20 * scale();
    let fds0 = open_fds();
    let conf_idle = 700;
    let (pack, pf, pa) = start::<Pack, Plain>(|s| {
        s.set_first_read_timeout(300).unwrap();
        s.set_idle_timeout(conf_idle).unwrap();
        s.set_max_connection_count(2 * n as u32 + 8).unwrap();
    });
    let (push, uf, ua) = start::<Push, Plain>(|s| {
        s.set_first_read_timeout(300).unwrap();
        s.set_idle_timeout(conf_idle).unwrap();
        s.set_max_connection_count(2 * n as u32 + 8).unwrap();
    });
    let fds_running = open_fds();
    let rss0 = rss_bytes();

    // A PACK header announcing 64 bytes, then its body, never finished; a request line to PUSH.
    let packet = pack_frame(0, &pattern(1, 64));
    let http = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nX-Slow: yes\r\n".to_vec();
    let mut tricklers: Vec<(TcpStream, &[u8])> = (0..n)
        .map(|_| (connect(pa), &packet[..]))
        .chain((0..n).map(|_| (connect(ua), &http[..])))
        .collect();
    let rounds = 16; // 1.6 s: more than twice the idle timeout
    for round in 0..rounds {
        for (s, bytes) in &mut tricklers {
            s.write_all(&bytes[round..round + 1]).unwrap();
        }
        if round == rounds / 2 {
            served(ua, 11);
            served_pack(pa, 0, 12);
        }
        thread::sleep(Duration::from_millis(100));
    }
    // Still open: trickled bytes are reads. No PACK packet of theirs was delivered.
    assert_eq!(
        pf.rec.count(|e| matches!(e, Ev::Close(..))),
        1,
        "only the fresh client closed"
    );
    assert_eq!(uf.rec.count(|e| matches!(e, Ev::Close(..))), 1);
    assert_eq!(pack.connection_count(), n);
    assert_eq!(push.connection_count(), n);
    assert_eq!(
        pf.received.load(Ordering::Relaxed),
        1000,
        "only the fresh client's packet"
    );
    let rss = rss_within(rss0, 16 * MIB, "tricklers");

    // They stop: each is closed by the idle timeout, not before.
    let stopped = Instant::now();
    for (s, _) in &mut tricklers {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(closed_by_peer(s), "a silent trickler is closed");
    }
    let took = stopped.elapsed();
    assert!(
        took >= Duration::from_millis(conf_idle as u64 - 300),
        "{took:?}"
    );
    assert!(
        took < Duration::from_millis(conf_idle as u64 + 3000),
        "{took:?}"
    );
    for f in [&pf, &uf] {
        assert!(f.rec.wait_until(|evs| closes_with(
            evs,
            SocketOperation::Receive,
            libc::ETIMEDOUT
        ) == n));
    }
    drop(tricklers);
    fds_return_to(fds_running, "after the tricklers");
    served(ua, 13);
    served_pack(pa, 0, 14);
    pack.stop().unwrap();
    push.stop().unwrap();
    fds_return_to(fds0, "after stop");
    eprintln!(
        "slowloris: {} tricklers, RSS {:.1} -> {:.1} MiB, closed {:?} after going silent, fds {fds0}/{fds_running}",
        2 * n,
        mib(rss0),
        mib(rss),
        took
    );
}

#[test]
fn slowloris_trickles_count_as_reads_and_stopping_is_closed() {
    let _g = SERIAL.lock();
    slowloris();
}

// ---------------------------------------------------------------------------------------------
// 2. Idle exhaustion

fn idle_exhaustion() {
    let n = 40 * scale();
    let fds0 = open_fds();
    let (s, f, a) = start::<Push, Plain>(|s| {
        s.set_max_connection_count(n as u32).unwrap();
        s.set_first_read_timeout(400).unwrap();
    });
    let fds_running = open_fds();
    let rss0 = rss_bytes();
    let idle: Vec<TcpStream> = (0..n).map(|_| connect(a)).collect();
    assert!(eventually(|| s.connection_count() == n));
    let filled = Instant::now();
    // Full: one more is closed at once (EOF) and counted.
    let mut over = connect(a);
    assert!(closed_by_peer(&mut over), "refused over the limit");
    assert!(eventually(|| s.refused_connection_count() >= 1));
    let peak_fds = open_fds();
    let rss = rss_within(rss0, 16 * MIB, "idle connections");
    // A fresh client keeps trying; it is served once the first-read timeout frees the slots.
    let served_after = loop {
        let mut c = connect(a);
        let m = pattern(21, 1000);
        c.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        if c.write_all(&m).is_ok() {
            let mut back = vec![0u8; m.len()];
            if c.read_exact(&mut back).is_ok() {
                assert!(back == m);
                break filled.elapsed();
            }
        }
        assert!(filled.elapsed() < LIMIT, "no fresh client served");
        thread::sleep(Duration::from_millis(20));
    };
    assert!(
        served_after < Duration::from_millis(400 + 3000),
        "{served_after:?}"
    );
    assert!(f
        .rec
        .wait_until(|evs| closes_with(evs, SocketOperation::Receive, libc::ETIMEDOUT) == n));
    drop(idle);
    drop(over);
    fds_return_to(fds_running, "after the idle attackers");
    served(a, 22);
    one_close_per_accept(&f.rec);
    s.stop().unwrap();
    fds_return_to(fds0, "after stop");
    eprintln!(
        "idle exhaustion: {n} idle, fresh client served after {served_after:?}, refused {}, RSS {:.1} -> {:.1} MiB, fds {fds0}/{fds_running}/peak {peak_fds}",
        s.refused_connection_count(),
        mib(rss0),
        mib(rss)
    );
}

#[test]
fn idle_exhaustion_frees_every_slot_after_the_first_read_timeout() {
    let _g = SERIAL.lock();
    idle_exhaustion();
}

// ---------------------------------------------------------------------------------------------
// 3. Announced but never sent

fn announced_never_sent() {
    let n = 50 * scale();
    let partial = 4;
    let max: u32 = 0x3F_FFFF; // the largest body a PACK header can announce
    let fds0 = open_fds();
    let (s, f, a) = start::<Pack, Plain>(|s| {
        s.set_max_pack_size(max).unwrap();
        s.set_idle_timeout(800).unwrap();
    });
    let fds_running = open_fds();
    let rss0 = trimmed_rss();
    // Each announces the largest packet and sends 16 bytes of it; a few send 1 MiB of it.
    let mut attackers: Vec<TcpStream> = Vec::new();
    for i in 0..n + partial {
        let mut c = connect(a);
        let mut frame = ((max).to_le_bytes()).to_vec();
        let body = if i < n { 16 } else { MIB as usize };
        frame.extend_from_slice(&pattern(i as u64, body));
        c.write_all(&frame).unwrap();
        attackers.push(c);
    }
    // Accepted, counted by event: on a loaded machine the first may already have idled out
    // (800 ms) before the last connects, so the open count need not reach n + partial.
    assert!(f.rec.wait_until(
        |evs| evs.iter().filter(|e| matches!(e, Ev::Accept(_))).count() == n + partial
    ));
    thread::sleep(Duration::from_millis(200)); // the workers read what was sent
                                               // Ceiling the library documents: one partial packet (<= max_pack_size + 4) per connection,
                                               // which only the 1 MiB senders approach; reserving on the announcement would be
                                               // (n + partial) x 4 MiB.
    let bound = partial as u64 * 4 * MIB + 16 * MIB;
    let rss = rss_within(rss0, bound, "announced packets");
    served_pack(a, 0, 31);
    assert_eq!(
        f.received.load(Ordering::Relaxed),
        1000,
        "no attacker packet delivered"
    );
    // Going silent mid-packet is idleness like any other.
    assert!(f.rec.wait_until(
        |evs| closes_with(evs, SocketOperation::Receive, libc::ETIMEDOUT) == n + partial
    ));
    for c in &mut attackers {
        assert!(closed_by_peer(c));
    }
    drop(attackers);
    fds_return_to(fds_running, "after the announcers");
    let after = trimmed_rss();
    assert!(
        after <= rss0 + 8 * MIB,
        "partial packets not released: RSS {:.1} MiB after, {:.1} MiB before",
        mib(after),
        mib(rss0)
    );
    served_pack(a, 0, 32);
    s.stop().unwrap();
    fds_return_to(fds0, "after stop");
    eprintln!(
        "announced never sent: {n} x 16 B + {partial} x 1 MiB behind 4 MiB headers, RSS {:.1} -> {:.1} -> {:.1} MiB (trimmed), fds {fds0}/{fds_running}",
        mib(rss0),
        mib(rss),
        mib(after)
    );
}

#[test]
fn announced_but_never_sent_packets_hold_only_what_arrived() {
    let _g = SERIAL.lock();
    announced_never_sent();
}

// ---------------------------------------------------------------------------------------------
// 4. Never-reading peers

fn never_readers() {
    let n = 16 * scale();
    let readers = 4;
    let per_reader = 2 * MIB as usize;
    let limit = 256 * KIB;
    let fds0 = open_fds();
    let (s, f, a) = start::<Push, Plain>(|s| s.set_max_pending_bytes(limit).unwrap());
    f.echo.store(false, Ordering::Relaxed);
    let fds_running = open_fds();
    let chunk = 64 * KIB;
    let junk = pattern(40, chunk);
    let payloads: Vec<Arc<[u8]>> = (0..readers)
        .map(|i| pattern(100 + i as u64, per_reader).into())
        .collect();
    let rss0 = trimmed_rss();

    let sinks: Vec<TcpStream> = (0..n).map(|_| connect_small_rcvbuf(a)).collect();
    let good: Vec<TcpStream> = (0..readers).map(|_| connect(a)).collect();
    assert!(eventually(|| s.connection_count() == n + readers));
    let id_of = |c: &TcpStream| {
        let me = c.local_addr().unwrap();
        s.all_connection_ids()
            .into_iter()
            .find(|&i| s.remote_address(i).ok() == Some(me))
            .expect("server side of a client")
    };
    let sink_ids: Vec<ConnId> = sinks.iter().map(id_of).collect();
    let good_ids: Vec<ConnId> = good.iter().map(id_of).collect();

    // The readers check every byte while the server stuffs the sinks.
    // The readers compare as they read, against the payload the server sends: the test's own
    // buffers stay out of the memory the bound is about.
    let checkers: Vec<_> = good
        .into_iter()
        .zip(payloads.iter().cloned())
        .map(|(mut c, want)| {
            thread::spawn(move || {
                let mut got = vec![0u8; 64 * KIB];
                want.chunks(got.len()).all(|w| {
                    let got = &mut got[..w.len()];
                    c.read_exact(got).expect("reader gets every byte");
                    got == w
                })
            })
        })
        .collect();
    let mut accepted = vec![0usize; n];
    let mut full = vec![false; n];
    let mut offsets = vec![0usize; readers];
    let t0 = Instant::now();
    while (offsets.iter().any(|&o| o < per_reader) || full.iter().any(|f| !f))
        && t0.elapsed() < LIMIT
    {
        for (k, &id) in sink_ids.iter().enumerate() {
            // Far more than the kernel and the queue can hold, unless the bound works.
            if full[k] || accepted[k] > 64 * MIB as usize {
                continue;
            }
            match s.send(id, &junk) {
                Ok(()) => accepted[k] += chunk,
                Err(Error::SendQueueFull {
                    pending, limit: l, ..
                }) => {
                    assert_eq!(l, limit);
                    assert!(pending <= limit);
                    full[k] = true;
                }
                Err(e) => panic!("send to a never-reader: {e}"),
            }
        }
        for (r, &id) in good_ids.iter().enumerate() {
            let o = offsets[r];
            if o < per_reader {
                let end = (o + chunk).min(per_reader);
                match s.send(id, &payloads[r][o..end]) {
                    Ok(()) => offsets[r] = end,
                    Err(Error::SendQueueFull { .. }) => {}
                    Err(e) => panic!("send to a reader: {e}"),
                }
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    assert!(
        full.iter().all(|&f| f),
        "every never-reader's queue filled: {accepted:?}"
    );
    for &id in &sink_ids {
        assert!(s.pending_data_length(id).unwrap() <= limit);
    }
    let rss = rss_within(rss0, n as u64 * limit as u64 + 16 * MIB, "never-readers");
    for c in checkers {
        assert!(c.join().unwrap(), "a reader's bytes differ");
    }
    let most = *accepted.iter().max().unwrap();
    drop(sinks); // unread bytes: the kernel resets them
    assert!(eventually(|| s.connection_count() == 0));
    fds_return_to(fds_running, "after the never-readers");
    let after = trimmed_rss();
    assert!(
        after <= rss0 + 8 * MIB,
        "send queues not released: RSS {:.1} MiB after, {:.1} MiB before",
        mib(after),
        mib(rss0)
    );
    f.echo.store(true, Ordering::Relaxed);
    served(a, 41);
    s.stop().unwrap();
    fds_return_to(fds0, "after stop");
    one_close_per_accept(&f.rec);
    eprintln!(
        "never-readers: {n} sinks (max_pending {limit} B, accepted up to {:.1} MiB each before SendQueueFull), {readers} readers x {:.0} MiB verified, RSS {:.1} -> {:.1} -> {:.1} MiB (trimmed), fds {fds0}/{fds_running}",
        mib(most as u64),
        mib(per_reader as u64),
        mib(rss0),
        mib(rss),
        mib(after)
    );
}

#[test]
fn never_reading_peers_fill_only_their_bounded_queues() {
    let _g = SERIAL.lock();
    never_readers();
}

// ---------------------------------------------------------------------------------------------
// 5. Reset churn

fn reset_churn() {
    let cycles = 2000 * scale();
    let fds0 = open_fds();
    let (s, f, a) = start::<Push, Plain>(|_| {});
    let fds_running = open_fds();
    let rss0 = rss_bytes();
    let t0 = Instant::now();
    for i in 0..cycles {
        let mut c = connect(a);
        match i % 3 {
            0 => {}
            1 => {
                let _ = c.write_all(b"x");
            }
            // Reset with an echo on its way back: the server's send may meet the reset.
            _ => {
                let _ = c.write_all(&pattern(i as u64, 16 * KIB));
            }
        }
        reset(c);
    }
    let churned = t0.elapsed();
    assert!(eventually(|| s.connection_count() == 0));
    let accepts = f.rec.count(|e| matches!(e, Ev::Accept(_)));
    assert!(f
        .rec
        .wait_until(|evs| evs.iter().filter(|e| matches!(e, Ev::Close(..))).count() == accepts));
    one_close_per_accept(&f.rec);
    fds_return_to(fds_running, "after the resets");
    let rss = rss_within(rss0, 16 * MIB, "reset churn");
    served(a, 51);
    s.stop().unwrap();
    fds_return_to(fds0, "after stop");
    eprintln!(
        "reset churn: {cycles} connect+RST in {churned:?}, {accepts} accepted and closed once each, RSS {:.1} -> {:.1} MiB, fds {fds0}/{fds_running}",
        mib(rss0),
        mib(rss)
    );
}

#[test]
fn reset_churn_closes_each_connection_once_and_leaks_no_descriptor() {
    let _g = SERIAL.lock();
    reset_churn();
}

// ---------------------------------------------------------------------------------------------
// 6. TLS stalls

/// The start of a ClientHello: a record announcing 512 bytes, of which 6 arrive.
const PARTIAL_HELLO: [u8; 11] = [
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
];

fn tls_stalls(pki: &Pki) {
    let n = 20 * scale();
    let handshake_ms = 800;
    warm_client_pool(pki);
    let fds0 = open_fds();
    let (s, f, a) = tls_server::<Push>(pki, |s| s.set_handshake_timeout(handshake_ms).unwrap());
    let fds_running = open_fds();
    let rss0 = rss_bytes();
    let t0 = Instant::now();
    let mut stalled: Vec<TcpStream> = (0..n).map(|_| connect(a)).collect();
    for _ in 0..n {
        let mut c = connect(a);
        c.write_all(&PARTIAL_HELLO).unwrap();
        stalled.push(c);
    }
    served_tls::<Push>(pki, a, 61);
    let rss = rss_within(rss0, 16 * MIB, "stalled handshakes");
    assert!(f
        .rec
        .wait_until(|evs| closes_with(evs, SocketOperation::Handshake, libc::ETIMEDOUT) == 2 * n));
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(handshake_ms as u64 - 100),
        "{took:?}"
    );
    for c in &mut stalled {
        assert!(closed_by_peer(c));
    }
    drop(stalled);
    fds_return_to(fds_running, "after the stalled handshakes");

    // Garbage instead of a ClientHello is closed at once, long before the handshake timeout.
    let (g, gf, ga) = tls_server::<Push>(pki, |s| s.set_handshake_timeout(10_000).unwrap());
    let t1 = Instant::now();
    for i in 0..10 {
        let mut c = connect(ga);
        c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        c.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        let _ = c.write_all(&pattern(i, 4 * KIB));
        assert!(closed_by_peer(&mut c), "garbage instead of TLS is closed");
    }
    let garbage_took = t1.elapsed();
    assert!(garbage_took < Duration::from_secs(3), "{garbage_took:?}");
    assert!(gf
        .rec
        .wait_until(|evs| closes_with(evs, SocketOperation::Handshake, libc::EPROTO) == 10));
    served_tls::<Push>(pki, ga, 62);
    served_tls::<Push>(pki, a, 63);
    g.stop().unwrap();
    s.stop().unwrap();
    one_close_per_accept(&f.rec);
    fds_return_to(fds0, "after stop");
    eprintln!(
        "TLS stalls: {} stalled closed by handshake_timeout ({handshake_ms} ms) after {took:?}, 10 garbage closed (EPROTO) in {garbage_took:?}, RSS {:.1} -> {:.1} MiB, fds {fds0}/{fds_running}",
        2 * n,
        mib(rss0),
        mib(rss)
    );
}

#[test]
fn tls_stalls_time_out_and_garbage_is_closed_at_once() {
    let _g = SERIAL.lock();
    tls_stalls(&Pki::new());
}

// ---------------------------------------------------------------------------------------------
// 7. UDP source floods

struct U {
    rec: Arc<Recorder>,
}

impl ServerListener<UdpServer> for U {
    fn on_accept(&self, _s: &UdpServer, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        self.rec.push(Ev::Accept(id));
        HandleResult::Ok
    }
    fn on_receive(&self, s: &UdpServer, id: ConnId, data: &[u8]) -> HandleResult {
        // A full socket buffer under a flood is a legitimate send failure.
        let _ = s.send(id, data);
        HandleResult::Ok
    }
    fn on_close(&self, _s: &UdpServer, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.rec.closed(id, op, e)
    }
}

fn udp_peer(a: SocketAddr) -> UdpSocket {
    let p = UdpSocket::bind("127.0.0.1:0").unwrap();
    p.connect(a).unwrap();
    p
}

/// One datagram out, its echo back; datagrams dropped under the flood are retried, boundedly.
fn udp_roundtrip(p: &UdpSocket, msg: &[u8]) -> bool {
    p.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 2048];
    for _ in 0..25 {
        p.send(msg).unwrap();
        while let Ok(n) = p.recv(&mut buf) {
            if &buf[..n] == msg {
                return true;
            }
        }
    }
    false
}

fn udp_floods() {
    let sources = 2000 * scale();
    let probes = 2000 * scale();
    let max = 32;
    let workers = 2;
    let fds0 = open_fds();
    let rec = Recorder::new();
    let s = UdpServer::new(U { rec: rec.clone() });
    s.set_worker_thread_count(workers).unwrap();
    s.set_max_connection_count(max as u32).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    let fds_running = open_fds();
    let rss0 = rss_bytes();

    let confirmed: Vec<UdpSocket> = (0..4).map(|_| udp_peer(a)).collect();
    for (i, p) in confirmed.iter().enumerate() {
        assert!(udp_roundtrip(p, format!("hello {i}").as_bytes()));
        assert!(udp_roundtrip(p, format!("again {i}").as_bytes()));
    }
    let confirmed_ids = s.all_connection_ids();
    assert_eq!(confirmed_ids.len(), 4);

    let probers: Vec<UdpSocket> = (0..20).map(|_| udp_peer(a)).collect();
    let t0 = Instant::now();
    let mut peak = 0;
    for i in 0..sources.max(probes) {
        if i < sources {
            // A new source each time, never heard from again.
            let _ = udp_peer(a).send(b"one datagram");
        }
        if i < probes {
            let _ = probers[i % probers.len()].send(&[]);
        }
        if i % 500 == 499 {
            peak = peak.max(s.connection_count());
            for (k, p) in confirmed.iter().enumerate() {
                assert!(
                    udp_roundtrip(p, format!("during {i} {k}").as_bytes()),
                    "a confirmed peer was not served during the flood"
                );
            }
        }
    }
    let flood_took = t0.elapsed();
    // Probe answers are replies to strangers: 64 a second per worker socket at most.
    let mut answers = 0u64;
    for p in &probers {
        p.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut b = [0u8; 64];
        while p.recv(&mut b).is_ok() {
            answers += 1;
        }
    }
    let secs = t0.elapsed().as_secs() + 1;
    assert!(
        answers <= 64 * workers as u64 * secs,
        "{answers} answers to {probes} probes in {:?}",
        t0.elapsed()
    );
    let now = s.connection_count();
    // Admission checks and registers in one step, so workers admitting at once cannot pass
    // the limit together.
    let cap = max;
    assert!(
        now <= cap && peak <= cap,
        "peers {now} now, {peak} at peak, max_connection_count {max}, {workers} workers"
    );
    for id in &confirmed_ids {
        assert!(s.is_connected(*id), "a confirmed peer was evicted");
    }
    assert!(rec
        .events()
        .iter()
        .all(|e| !matches!(e, Ev::Close(id, ..) if confirmed_ids.contains(id))));
    // A newcomer is admitted in place of an unconfirmed source, and confirms itself. Eviction
    // looks at the worker socket the kernel hands the newcomer to (README: UDP admission): one
    // landing on a worker that holds only confirmed peers is refused, so several newcomers try
    // — with at most 4 confirmed peers among 32 places, a worker holding unconfirmed ones takes
    // one of them (16 misses in a row: 2^-16).
    let admitted = |p: &UdpSocket| -> bool {
        p.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 64];
        for _ in 0..10 {
            p.send(b"newcomer").unwrap();
            match p.recv(&mut buf) {
                Ok(n) if &buf[..n] == b"newcomer" => return true,
                // The 16-byte close notification: refused on this worker.
                Ok(16) => return false,
                _ => {}
            }
        }
        false
    };
    let fresh = (0..16)
        .map(|_| udp_peer(a))
        .find(|p| admitted(p))
        .expect("no newcomer admitted");
    assert!(udp_roundtrip(&fresh, b"newcomer again"));
    let me = fresh.local_addr().unwrap();
    assert!(s
        .all_connection_ids()
        .iter()
        .any(|&i| s.remote_address(i).ok() == Some(me)));
    let rss = rss_within(rss0, 16 * MIB, "UDP flood");
    drop((confirmed, probers, fresh));
    fds_return_to(fds_running, "after the flood");
    s.stop().unwrap();
    fds_return_to(fds0, "after stop");
    eprintln!(
        "UDP floods: {sources} one-datagram sources + {probes} probes in {flood_took:?}, {answers} probe answers, peers <= {peak}/{max}, RSS {:.1} -> {:.1} MiB, fds {fds0}/{fds_running}",
        mib(rss0),
        mib(rss)
    );
}

#[test]
fn udp_source_floods_never_displace_confirmed_peers() {
    let _g = SERIAL.lock();
    udp_floods();
}

/// The admission rule: a newcomer is refused only when every peer is confirmed — whichever
/// worker socket the kernel hands it to, and whichever holds the unconfirmed peers.
#[test]
fn udp_newcomer_is_refused_only_when_every_peer_is_confirmed() {
    let _g = SERIAL.lock();
    // Where the kernel puts each source decides it: several servers make it near certain.
    for round in 0..10 {
        let rec = Recorder::new();
        let s = UdpServer::new(U { rec: rec.clone() });
        s.set_worker_thread_count(2).unwrap();
        s.set_max_connection_count(4).unwrap();
        s.start("127.0.0.1", 0).unwrap();
        let a = s.listen_address().unwrap();
        let confirmed: Vec<UdpSocket> = (0..2).map(|_| udp_peer(a)).collect();
        for p in &confirmed {
            assert!(udp_roundtrip(p, b"one"));
            assert!(udp_roundtrip(p, b"two"));
        }
        // One datagram each: every newcomer after the table fills must evict an unconfirmed one.
        for i in 0..20 {
            let p = udp_peer(a);
            p.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            p.send(b"newcomer").unwrap();
            let mut b = [0u8; 64];
            let n = p.recv(&mut b).expect("an answer");
            assert_eq!(
                &b[..n],
                b"newcomer",
                "round {round}: newcomer {i} refused, peers {:?}",
                s.all_connection_ids()
            );
        }
        s.stop().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Garbage to every model

/// The close a PACK server documents for a header: `None` when the header is valid.
fn pack_verdict(header: &[u8], flag: u16, max: u32) -> Option<i32> {
    let w = u32::from_le_bytes(header[..4].try_into().unwrap());
    let (got_flag, len) = ((w >> 22) as u16, w & 0x3F_FFFF);
    if flag != 0 && got_flag != flag {
        Some(libc::EBADMSG)
    } else if len == 0 || len > max {
        Some(libc::EMSGSIZE)
    } else {
        None
    }
}

/// Garbage to PUSH and PULL is data: echoed byte for byte, nothing closed with an error.
fn garbage_is_data<M: Model>()
where
    Server<M, Plain>: Ops,
{
    let (s, f, a) = start::<M, Plain>(|_| {});
    for i in 0..8u64 {
        let g = pattern(800 + i, 1 + (i as usize * 4099) % (32 * KIB));
        let mut c = connect(a);
        assert!(roundtrip(&mut c, &g) == g, "garbage echoed intact");
    }
    served(a, 81);
    assert!(eventually(|| s.connection_count() == 0));
    assert!(
        f.rec.closes().iter().all(|c| c.2 == 0),
        "{:?}",
        f.rec.closes()
    );
    s.stop().unwrap();
}

/// Garbage to PACK: the header decides, and the close says why.
fn garbage_to_pack(flag: u16) {
    let max = 256 * 1024;
    let (s, f, a) = start::<Pack, Plain>(|s| {
        s.set_pack_header_flag(flag).unwrap();
        s.set_max_pack_size(max).unwrap();
    });
    let mut seed = 900;
    for k in 0..8 {
        let g = loop {
            seed += 1;
            let g = pattern(seed, 1 + (seed as usize * 4099) % (32 * KIB) + 4);
            if pack_verdict(&g, flag, max).is_some() {
                break g;
            }
        };
        let want = pack_verdict(&g, flag, max).unwrap();
        let mut c = connect(a);
        let _ = c.write_all(&g);
        assert!(closed_by_peer(&mut c));
        assert!(f.rec.wait_count(k + 1, |e| matches!(e, Ev::Close(..))));
        assert_eq!(f.rec.closes()[k].1, SocketOperation::Receive);
        assert_eq!(
            f.rec.closes()[k].2,
            want,
            "flag {flag}, header {:02x?}",
            &g[..4]
        );
    }
    served_pack(a, flag, 82);
    assert_eq!(f.received.load(Ordering::Relaxed), 1000);
    s.stop().unwrap();
}

/// Garbage instead of a ClientHello, to a TLS server of model `M`: (`Handshake`, `EPROTO`),
/// nothing reaches the application.
fn garbage_to_tls<M: Model>(pki: &Pki)
where
    Server<M, Tls>: Ops,
    Client<M, Tls>: Ops,
{
    let (s, f, a) = tls_server::<M>(pki, |_| {});
    let mut seed = 1000;
    for k in 0..6 {
        let g = loop {
            seed += 1;
            let g = pattern(seed, 1 + (seed as usize * 4099) % (16 * KIB));
            // Not a TLS content type: rustls cannot wait for more of it.
            if !(0x14..=0x18).contains(&g[0]) {
                break g;
            }
        };
        let mut c = connect(a);
        let _ = c.write_all(&g);
        assert!(closed_by_peer(&mut c));
        assert!(f.rec.wait_count(k + 1, |e| matches!(e, Ev::Close(..))));
        assert_eq!(
            (f.rec.closes()[k].1, f.rec.closes()[k].2),
            (SocketOperation::Handshake, libc::EPROTO)
        );
    }
    // A record header then garbage: a handshake message that does not parse.
    let mut c = connect(a);
    let mut rec = vec![0x16, 0x03, 0x01, 0x00, 0x40];
    rec.extend_from_slice(&pattern(77, 0x40));
    let _ = c.write_all(&rec);
    assert!(closed_by_peer(&mut c));
    assert!(f.rec.wait_count(7, |e| matches!(e, Ev::Close(..))));
    assert_eq!(f.rec.closes()[6].1, SocketOperation::Handshake);
    assert_eq!(f.received.load(Ordering::Relaxed), 0);
    served_tls::<M>(pki, a, 83);
    s.stop().unwrap();
}

fn garbage_everywhere(pki: &Pki) {
    warm_client_pool(pki);
    let fds0 = open_fds();
    let rss0 = rss_bytes();
    let t0 = Instant::now();
    garbage_is_data::<Push>();
    garbage_is_data::<Pull>();
    garbage_to_pack(0);
    garbage_to_pack(0x2A5);
    garbage_to_tls::<Push>(pki);
    garbage_to_tls::<Pull>(pki);
    garbage_to_tls::<Pack>(pki);
    let rss = rss_within(rss0, 16 * MIB, "garbage");
    fds_return_to(fds0, "after the garbage servers stopped");
    eprintln!(
        "garbage: PUSH, PULL, PACK (flag 0 and 0x2A5), TLS x3 in {:?}, RSS {:.1} -> {:.1} MiB, fds {fds0}",
        t0.elapsed(),
        mib(rss0),
        mib(rss)
    );
}

#[test]
fn garbage_to_every_model_is_data_or_closed_with_the_documented_error() {
    let _g = SERIAL.lock();
    garbage_everywhere(&Pki::new());
}

// ---------------------------------------------------------------------------------------------
// 9. No byte lost while the attacks run

/// Attackers against one server until `stop`: resets, tricklers, idlers, garbage, and peers
/// that send without ever reading. Returns the number of attacker connections made.
fn attack(a: SocketAddr, stop: Arc<AtomicBool>) -> Vec<thread::JoinHandle<usize>> {
    let mut hs = Vec::new();
    let st = stop.clone();
    hs.push(thread::spawn(move || {
        let mut n = 0;
        while !st.load(Ordering::Relaxed) {
            let mut c = connect(a);
            let _ = c.write_all(&pattern(n as u64, (n % 7) * 1000));
            reset(c);
            n += 1;
        }
        n
    }));
    let st = stop.clone();
    hs.push(thread::spawn(move || {
        // Tricklers and idlers, replaced when the server closes them.
        let mut n = 0;
        let mut tricklers: Vec<TcpStream> = Vec::new();
        let mut idlers: Vec<TcpStream> = Vec::new();
        while !st.load(Ordering::Relaxed) {
            tricklers.retain_mut(|c| c.write_all(b"x").is_ok());
            while tricklers.len() < 10 {
                tricklers.push(connect(a));
                n += 1;
            }
            // Kept while the server has not closed them (a read would block).
            idlers.retain_mut(|c| {
                c.set_nonblocking(true).unwrap();
                matches!(c.read(&mut [0u8; 1]), Err(ref e) if e.kind() == ErrorKind::WouldBlock)
            });
            while idlers.len() < 20 {
                idlers.push(connect(a));
                n += 1;
            }
            thread::sleep(Duration::from_millis(50));
        }
        n
    }));
    let st = stop.clone();
    hs.push(thread::spawn(move || {
        let mut n = 0;
        while !st.load(Ordering::Relaxed) {
            let mut c = connect(a);
            let _ = c.write_all(&pattern(7000 + n as u64, 8 * KIB));
            drop(c); // unread echo: a reset
            n += 1;
            thread::sleep(Duration::from_millis(2));
        }
        n
    }));
    hs.push(thread::spawn(move || {
        // Senders that never read: the echo fills their queue and the application closes them.
        let mut n = 0;
        let junk = pattern(5, 64 * KIB);
        while !stop.load(Ordering::Relaxed) {
            let mut c = connect_small_rcvbuf(a);
            c.set_write_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            n += 1;
            while !stop.load(Ordering::Relaxed) && c.write_all(&junk).is_ok() {}
        }
        n
    }));
    hs
}

struct Survivors {
    roundtrips: usize,
    bytes: usize,
    attackers: usize,
    rss0: u64,
    rss_peak: u64,
    fds_running: usize,
}

/// Well-behaved clients do echo round trips while the attacks run, and check every byte.
fn no_byte_lost(clients: usize, roundtrips: usize) -> Survivors {
    let fds0 = open_fds();
    let limit = 256 * KIB;
    let (s, f, a) = start::<Push, Plain>(|s| {
        // Room for the attackers' churn (a connection refused over the limit is reset, which
        // a good client would see as a lost connection), and an idle limit no busy client
        // reaches even when this 2-core machine starves its thread for a while; idlers go by
        // the first-read limit.
        s.set_max_connection_count(1000).unwrap();
        s.set_first_read_timeout(400).unwrap();
        s.set_idle_timeout(10_000).unwrap();
        s.set_max_pending_bytes(limit).unwrap();
    });
    f.tally_only();
    let fds_running = open_fds();
    let rss0 = rss_bytes();
    let stop = Arc::new(AtomicBool::new(false));
    let attackers = attack(a, stop.clone());
    thread::sleep(Duration::from_millis(100));
    let rss_peak = Arc::new(Mutex::new(0u64));
    let good: Vec<_> = (0..clients)
        .map(|k| {
            let rss_peak = rss_peak.clone();
            let f = f.clone();
            thread::spawn(move || {
                let mut c = connect(a);
                let mut bytes = 0;
                for r in 0..roundtrips {
                    let m = pattern(
                        (k * 100_000 + r) as u64,
                        1 + (r * 997 + k * 131) % (16 * KIB),
                    );
                    let mut back = vec![0u8; m.len()];
                    if let Err(e) = c.write_all(&m).and_then(|_| c.read_exact(&mut back)) {
                        // Say why the server let go: its close reasons so far.
                        let why: std::collections::BTreeMap<_, _> = f
                            .tally
                            .lock()
                            .why
                            .iter()
                            .map(|((op, err), n)| (format!("{op:?}/{err}"), *n))
                            .collect();
                        panic!(
                            "client {k} round trip {r}: {e}; server closes {why:?}, echo sends failed {}",
                            f.echo_failed.load(Ordering::Relaxed)
                        );
                    }
                    assert!(back == m, "client {k} round trip {r}: echo differs");
                    bytes += m.len();
                    if r % 50 == 0 {
                        let mut p = rss_peak.lock();
                        *p = (*p).max(rss_bytes());
                    }
                }
                bytes
            })
        })
        .collect();
    let bytes: usize = good.into_iter().map(|h| h.join().unwrap()).sum();
    stop.store(true, Ordering::Relaxed);
    let attackers: usize = attackers.into_iter().map(|h| h.join().unwrap()).sum();
    let rss_peak = *rss_peak.lock();
    // Queues: a few never-readers at max_pending_bytes at a time; everything else is small.
    assert!(
        rss_peak <= rss0 + 8 * limit as u64 + 32 * MIB,
        "RSS peak {:.1} MiB, baseline {:.1} MiB",
        mib(rss_peak),
        mib(rss0)
    );
    assert!(
        eventually(|| s.connection_count() == 0),
        "{} left",
        s.connection_count()
    );
    fds_return_to(fds_running, "after the attackers");
    served(a, 91);
    f.one_close_per_accept_tallied();
    s.stop().unwrap();
    fds_return_to(fds0, "after stop");
    Survivors {
        roundtrips: clients * roundtrips,
        bytes,
        attackers,
        rss0,
        rss_peak,
        fds_running,
    }
}

#[test]
fn no_byte_is_lost_on_surviving_connections_while_attacks_run() {
    let _g = SERIAL.lock();
    let r = no_byte_lost(8, 200);
    eprintln!(
        "no byte lost: {} round trips ({:.1} MiB) verified against {} attacker connections, RSS {:.1} -> peak {:.1} MiB, fds {}",
        r.roundtrips,
        mib(r.bytes as u64),
        r.attackers,
        mib(r.rss0),
        mib(r.rss_peak),
        r.fds_running
    );
}

// ---------------------------------------------------------------------------------------------
// Soak

/// Loops every attack for `FAULTS_SOAK_SECS` (default 180) and checks, after each round (its
/// servers all stopped), that nothing grows:
///
/// - the heap the process's Rust code holds, in bytes and blocks (the counting allocator of
///   this binary): a leak in hpsocket, rustls or the tests — connection tables, the shared
///   client pool's slabs and timer heaps, thread-locals, ID or UDP peer maps, TLS session
///   caches, recorder logs — shows here whatever the allocator keeps. The largest of the last
///   third of the rounds must be within 256 KiB and 256 blocks of the first third's;
/// - the process's threads: back to the first round's count;
/// - resident memory: the largest RSS of the last third within 10 % (or 4 MiB) of the first
///   third's.
///
/// RSS can grow without a leak: glibc gives back the free top of a thread's arena only past
/// its trim threshold (`malloc_trim`, which the library calls when a component stops, returns
/// the free chunks inside every arena but not that top), and the first free of a block above
/// its mmap threshold raises that threshold to the block's size and the trim threshold to
/// twice it (up to 32 and 64 MiB). While the servers here logged every accept and close,
/// `no_byte_lost`'s log (some 10^5 connections a round, up to 12 MiB, grown on the server's
/// workers) raised them that far, and RSS crept from 12 to 61 MiB in 3 minutes and 77 in 7
/// while the heap held between rounds stayed at 0.06 MiB in 446 blocks: each arena (up to 8
/// per core, taken in turn by the workers of each round's 19 servers and the test's threads)
/// kept the highest top it had reached. Tallied instead (`F::tally_only`), a round's largest
/// blocks are 2 MiB (payloads, a PACK partial packet) and RSS stays at 8–10 MiB over 19
/// rounds. Should RSS grow again while the heap does not, it is the allocator:
/// `FAULTS_SOAK_PIN_GLIBC=1` pins both thresholds at their 128 KiB defaults (as
/// `MALLOC_TRIM_THRESHOLD_=131072` does; with the 12 MiB log it kept RSS at 6.5–7.3 MiB), and
/// `MALLOC_ARENA_MAX=1` (5.6 MiB) or `2` (24 MiB, level after 4 rounds) bounds the arenas.
#[test]
#[ignore = "minutes long: cargo test --release -p hpsocket --test faults -- --ignored soak"]
fn soak() {
    let _g = SERIAL.lock();
    let secs: u64 = std::env::var("FAULTS_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(180);
    if std::env::var_os("FAULTS_SOAK_PIN_GLIBC").is_some() {
        pin_glibc_thresholds();
    }
    let pki = Pki::new();
    let t0 = Instant::now();
    let mut samples: Vec<(u64, testkit::HeapLive)> = Vec::new();
    let mut threads0 = None;
    while t0.elapsed() < Duration::from_secs(secs) || samples.len() < 3 {
        let _ = testkit::heap_peak();
        slowloris();
        idle_exhaustion();
        announced_never_sent();
        never_readers();
        reset_churn();
        tls_stalls(&pki);
        udp_floods();
        garbage_everywhere(&pki);
        no_byte_lost(8, 200);
        // A stopped component's workers are joined, but a stop run from a callback ends on a
        // thread of its own.
        let threads = *threads0.get_or_insert_with(testkit::threads);
        assert!(
            testkit::eventually(Duration::from_secs(5), || testkit::threads() <= threads),
            "round {}: {} threads, {threads} after the first round",
            samples.len() + 1,
            testkit::threads()
        );
        let peak = testkit::heap_peak();
        let (rss, heap) = (rss_bytes(), heap_live());
        eprintln!(
            "soak round {}: RSS {:.1} MiB, heap {:.2} MiB in {} blocks (round's peak {:.1} MiB), {threads} threads, at {:?}",
            samples.len() + 1,
            mib(rss),
            mib(heap.bytes as u64),
            heap.blocks,
            mib(peak as u64),
            t0.elapsed()
        );
        samples.push((rss, heap));
    }
    let third = samples.len() / 3;
    let max_of = |rounds: &[(u64, testkit::HeapLive)]| {
        rounds.iter().fold((0, 0, 0), |(r, b, k), (rss, h)| {
            (r.max(*rss), b.max(h.bytes), k.max(h.blocks))
        })
    };
    let (rss1, bytes1, blocks1) = max_of(&samples[..third]);
    let (rss3, bytes3, blocks3) = max_of(&samples[samples.len() - third..]);
    assert!(
        bytes3 <= bytes1 + 256 * KIB && blocks3 <= blocks1 + 256,
        "heap grew: first third max {:.2} MiB in {blocks1} blocks, last third max {:.2} MiB in {blocks3} blocks over {} rounds",
        mib(bytes1 as u64),
        mib(bytes3 as u64),
        samples.len()
    );
    assert!(
        rss3 <= (rss1 + rss1 / 10).max(rss1 + 4 * MIB),
        "RSS grew: first third max {:.1} MiB, last third max {:.1} MiB over {} rounds, while the heap did not: memory the allocator keeps (see `soak`, FAULTS_SOAK_PIN_GLIBC=1)",
        mib(rss1),
        mib(rss3),
        samples.len()
    );
}

/// Pins glibc's mmap and trim thresholds at their defaults (128 KiB), which also stops glibc
/// from raising them after a large free (see `soak`). Other allocators have no such knobs.
fn pin_glibc_thresholds() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters, under the allocator's lock.
    unsafe {
        assert_eq!(libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024), 1);
        assert_eq!(libc::mallopt(libc::M_TRIM_THRESHOLD, 128 * 1024), 1);
    }
}
