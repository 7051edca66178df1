//! `hps loadgen --mode udp`: N UDP sockets on one `mio` loop, each with one datagram in flight
//! to the server; every echo is checked byte for byte. A datagram whose echo has not come back
//! within 200 ms counts as lost (an error) and the socket sends the next one, so a drop cannot
//! stall the run.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

use crate::loadgen::{fill, mismatches, own_cpu, LoadgenArgs, Report, PERIOD};

const LOST_AFTER: Duration = Duration::from_millis(200);

struct Peer {
    sock: UdpSocket,
    seed: u64,
    /// Sequence number of the datagram in flight; its bytes start at `seq * size` of the
    /// socket's pattern stream.
    seq: u64,
    sent_at: Instant,
    echoed: u64,
}

impl Peer {
    fn send(&mut self, size: usize, out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        fill(out, self.seed, self.seq * size as u64, size);
        self.sent_at = Instant::now();
        match self.sock.send(out) {
            Ok(_) => Ok(()),
            // The kernel dropped it: the loss timer resends.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }
}

pub fn run(a: &LoadgenArgs) -> io::Result<Report> {
    let size = a.size.max(1);
    let mut poll = Poll::new()?;
    let local: SocketAddr = match a.addr {
        SocketAddr::V4(_) => "127.0.0.1:0".parse().expect("literal"),
        SocketAddr::V6(_) => "[::1]:0".parse().expect("literal"),
    };
    let mut out = Vec::with_capacity(size);
    let mut peers = Vec::with_capacity(a.conns);
    for i in 0..a.conns {
        let mut sock = UdpSocket::bind(local)?;
        sock.connect(a.addr)?;
        poll.registry()
            .register(&mut sock, Token(i), Interest::READABLE)?;
        let mut p = Peer {
            sock,
            seed: (i as u64 * 37) % PERIOD,
            seq: 0,
            sent_at: Instant::now(),
            echoed: 0,
        };
        p.send(size, &mut out)?;
        peers.push(p);
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 65536];
    let start = Instant::now();
    let warm_end = start + Duration::from_secs_f64(a.warmup);
    let end = warm_end + Duration::from_secs_f64(a.seconds);
    let (mut errors, mut lost) = (0u64, 0u64);
    let mut base: Option<(u64, Instant)> = None;
    let total = |p: &[Peer]| p.iter().map(|p| p.echoed).sum::<u64>();
    let mut last_sweep = Instant::now();
    loop {
        let now = Instant::now();
        if base.is_none() && now >= warm_end {
            base = Some((total(&peers), now));
            // Losses of the warm-up (first datagrams of new peers) do not count.
            lost = 0;
        }
        if now >= end {
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(20)))?;
        for ev in events.iter() {
            let p = &mut peers[ev.token().0];
            loop {
                let n = match p.sock.recv(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    // ECONNREFUSED from an ICMP error: the server is gone.
                    Err(e) => return Err(e),
                };
                let d = &buf[..n];
                if n == size && mismatches(d, p.seed, p.seq * size as u64) == 0 {
                    p.echoed += 1;
                    p.seq += 1;
                    p.send(size, &mut out)?;
                } else if n == size
                    && (p.seq.saturating_sub(4)..p.seq)
                        .any(|old| mismatches(d, p.seed, old * size as u64) == 0)
                {
                    // The echo of a datagram already given up as lost: late, not wrong.
                } else {
                    errors += 1;
                }
            }
        }
        if now.duration_since(last_sweep) >= Duration::from_millis(20) {
            last_sweep = now;
            for p in peers.iter_mut() {
                if now.duration_since(p.sent_at) >= LOST_AFTER {
                    lost += 1;
                    p.seq += 1;
                    p.send(size, &mut out)?;
                }
            }
        }
    }
    let (b0, t0) = base.unwrap_or((0, start));
    let msgs = total(&peers) - b0;
    if lost > 0 {
        eprintln!("loadgen: {lost} datagrams lost");
    }
    Ok(Report {
        msgs,
        bytes: msgs * size as u64,
        secs: t0.elapsed().as_secs_f64(),
        errors: errors + lost,
        cpu: own_cpu(),
        tls: None,
    })
}
