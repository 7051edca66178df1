//! The UDP demos: `hps udp-server` (echo), `hps udp-client` (ping-pong of datagrams, every
//! byte verified) and `hps udp-cast` (multicast or broadcast members that must all hear each
//! other).

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clap::Args;
use hpsocket::*;
use parking_lot::Mutex;
use tracing::{debug, info};

use crate::certs::Res;
use crate::session::pattern_byte;

/// Datagram `seq`: the demos' byte pattern, recomputed on receipt, so nothing is kept to
/// compare against.
fn datagram(seq: u64, size: usize) -> Vec<u8> {
    (0..size).map(|i| pattern_byte(0, seq, i)).collect()
}

#[derive(Args)]
pub struct UdpServerArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    addr: String,
    /// Port (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 5555)]
    port: u16,
    /// Worker threads (default: one per CPU), each with its own socket on the port.
    #[arg(long)]
    workers: Option<u32>,
    /// Largest datagram accepted and sent (1..=65507).
    #[arg(long, default_value_t = 1432)]
    max_datagram_size: u32,
    /// Close peers silent for this many detect intervals (0: never).
    #[arg(long, default_value_t = 3)]
    detect_attempts: u32,
    /// Detect interval in ms (0: no detection).
    #[arg(long, default_value_t = 60_000)]
    detect_interval: u32,
    /// Stop after this many seconds (0: run until killed).
    #[arg(long, default_value_t = 0.0)]
    seconds: f64,
}

struct Echo;

impl ServerListener<UdpServer> for Echo {
    fn on_accept(&self, s: &UdpServer, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        info!(%id, peer = ?s.remote_address(id).ok(), "new peer");
        HandleResult::Ok
    }
    fn on_receive(&self, s: &UdpServer, id: ConnId, data: &[u8]) -> HandleResult {
        debug!(%id, len = data.len(), "datagram");
        // A full socket buffer drops the echo, as the network could: not a reason to close.
        if let Err(e) = s.send(id, data) {
            debug!(%id, %e, "echo not sent");
        }
        HandleResult::Ok
    }
    fn on_close(&self, _s: &UdpServer, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        info!(%id, ?op, e, "peer closed");
        HandleResult::Ok
    }
    // No on_send here: spare the library the copy it makes to report sends.
    fn wants_send_events(&self) -> bool {
        false
    }
}

pub fn server(a: &UdpServerArgs) -> Res<ExitCode> {
    let s = UdpServer::new(Echo);
    if let Some(w) = a.workers {
        s.set_worker_thread_count(w)?;
    }
    s.set_max_datagram_size(a.max_datagram_size)?;
    s.set_detect_attempts(a.detect_attempts)?;
    s.set_detect_interval(a.detect_interval)?;
    s.start(&a.addr, a.port)?;
    let banner = format!("hps UDP echo server listening on {}\n", s.listen_address()?);
    crate::announce_and_serve(&banner, a.seconds, |t| s.wait(t), || s.stop())
}

#[derive(Args)]
pub struct UdpClientArgs {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    addr: String,
    /// Server port.
    #[arg(long, default_value_t = 5555)]
    port: u16,
    /// Datagrams (round trips).
    #[arg(long, default_value_t = 100)]
    messages: u64,
    /// Bytes per datagram (1..=1432 by default; see --max-datagram-size).
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Largest datagram the client sends.
    #[arg(long, default_value_t = 1432)]
    max_datagram_size: u32,
    /// Resend a datagram whose echo has not come back within this many ms (UDP may drop it).
    #[arg(long, default_value_t = 500)]
    resend_ms: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
}

/// The client's progress, shared with its listener.
struct Pong {
    /// The sequence number of the datagram in flight.
    seq: AtomicU64,
    size: usize,
    errors: AtomicU64,
    tx: Mutex<mpsc::Sender<std::result::Result<u64, String>>>,
}

/// The listener: a handle on the shared progress.
struct PongRef(Arc<Pong>);

impl ClientListener<UdpClient> for PongRef {
    fn on_receive(&self, _c: &UdpClient, _id: ConnId, data: &[u8]) -> HandleResult {
        let me = &self.0;
        let want = me.seq.load(Ordering::Acquire);
        let is = |seq: u64| {
            data.len() == me.size
                && data
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| b == pattern_byte(0, seq, i))
        };
        if !is(want) {
            // The second echo of a datagram that was resent arrives late: not a mismatch.
            if (want.saturating_sub(8)..want).any(is) {
                return HandleResult::Ok;
            }
            me.errors.fetch_add(1, Ordering::Relaxed);
        }
        let _ = me.tx.lock().send(Ok(want));
        HandleResult::Ok
    }
    fn on_close(&self, _c: &UdpClient, _id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        let _ = self
            .0
            .tx
            .lock()
            .send(Err(format!("closed: {op:?}, error {e}")));
        HandleResult::Ok
    }
}

pub fn client(a: &UdpClientArgs) -> Res<ExitCode> {
    if a.size == 0 {
        return Err("--size must be at least 1".into());
    }
    let (tx, rx) = mpsc::channel();
    let pong = Arc::new(Pong {
        seq: AtomicU64::new(0),
        size: a.size,
        errors: AtomicU64::new(0),
        tx: Mutex::new(tx),
    });
    let c = UdpClient::new(PongRef(pong.clone()));
    c.set_max_datagram_size(a.max_datagram_size)?;
    c.start(&a.addr, a.port, false)?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(a.timeout);
    let mut resent = 0u64;
    let mut failure = None;
    'all: for seq in 0..a.messages {
        pong.seq.store(seq, Ordering::Release);
        c.send(&datagram(seq, a.size))?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                failure = Some("timed out".to_string());
                break 'all;
            }
            match rx.recv_timeout(left.min(Duration::from_millis(a.resend_ms))) {
                Ok(Ok(s)) if s == seq => break,
                Ok(Ok(_)) => {}
                Ok(Err(why)) => {
                    failure = Some(why);
                    break 'all;
                }
                Err(_) => {
                    resent += 1;
                    c.send(&datagram(seq, a.size))?;
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let errors = pong.errors.load(Ordering::Relaxed);
    c.stop()?;
    let done = if failure.is_none() {
        a.messages
    } else {
        pong.seq.load(Ordering::Relaxed)
    };
    println!(
        "{done} datagrams × {} B echoed in {secs:.3} s; {} bytes verified, {errors} errors, {resent} resent",
        a.size,
        done * a.size as u64
    );
    if let Some(f) = failure {
        eprintln!("FAILED: {f}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: {errors} mismatched datagrams");
        ExitCode::FAILURE
    })
}

#[derive(Args)]
pub struct UdpCastArgs {
    /// Multicast group (with --broadcast: the broadcast address, e.g. 127.255.255.255).
    #[arg(long, default_value = "239.255.0.1")]
    group: String,
    /// Port every member binds and casts to (0: a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Local interface address.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Broadcast instead of multicast.
    #[arg(long)]
    broadcast: bool,
    /// Members started in this process.
    #[arg(long, default_value_t = 3)]
    members: usize,
    /// Datagrams each member casts.
    #[arg(long, default_value_t = 10)]
    messages: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
}

/// What one member heard: datagrams by sender port.
struct Ear {
    heard: Mutex<Vec<(u16, Vec<u8>)>>,
    count: AtomicUsize,
}

/// The listener: a handle on what the member heard.
struct EarRef(Arc<Ear>);

impl ClientListener<UdpCast> for EarRef {
    fn on_receive(&self, c: &UdpCast, _id: ConnId, data: &[u8]) -> HandleResult {
        let from = c.last_sender().map_or(0, |a| a.port());
        self.0.heard.lock().push((from, data.to_vec()));
        self.0.count.fetch_add(1, Ordering::Release);
        HandleResult::Ok
    }
    fn wants_send_events(&self) -> bool {
        false
    }
}

pub fn cast(a: &UdpCastArgs) -> Res<ExitCode> {
    let port = match a.port {
        0 => std::net::UdpSocket::bind((a.bind.as_str(), 0))?
            .local_addr()?
            .port(),
        p => p,
    };
    let mode = if a.broadcast {
        CastMode::Broadcast
    } else {
        CastMode::Multicast
    };
    let mut members = Vec::new();
    for _ in 0..a.members.max(1) {
        let ear = Arc::new(Ear {
            heard: Mutex::new(Vec::new()),
            count: AtomicUsize::new(0),
        });
        let c = UdpCast::new(EarRef(ear.clone()));
        c.set_cast_mode(mode)?;
        c.set_multicast_loop(true)?;
        c.start(&a.group, port, Some(&a.bind))?;
        members.push((c, ear));
    }
    println!(
        "hps UDP cast: {} members, {:?} to {}:{port} via {}",
        members.len(),
        mode,
        a.group,
        a.bind
    );
    let start = Instant::now();
    for m in 0..a.messages {
        for (k, (c, _)) in members.iter().enumerate() {
            c.send(format!("member {k} datagram {m}").as_bytes())?;
        }
    }
    // Every member hears every datagram, its own included (loop on).
    let want = members.len() * a.messages as usize;
    let deadline = start + Duration::from_secs_f64(a.timeout);
    while members
        .iter()
        .any(|(_, e)| e.count.load(Ordering::Acquire) < want)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut ok = true;
    for (k, (c, ear)) in members.iter().enumerate() {
        let heard = ear.heard.lock();
        let mut texts: Vec<&[u8]> = heard.iter().map(|(_, d)| d.as_slice()).collect();
        texts.sort_unstable();
        let mut expect: Vec<Vec<u8>> = (0..a.messages)
            .flat_map(|m| {
                (0..members.len()).map(move |j| format!("member {j} datagram {m}").into_bytes())
            })
            .collect();
        expect.sort_unstable();
        let good = texts.len() == expect.len()
            && texts.iter().zip(&expect).all(|(t, e)| *t == e.as_slice());
        println!(
            "member {k}: heard {} of {want}{}",
            heard.len(),
            if good { "" } else { " — MISMATCH" }
        );
        ok &= good;
        drop(heard);
        c.stop()?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: not every member heard every datagram");
        ExitCode::FAILURE
    })
}
