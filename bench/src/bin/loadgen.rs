//! Load generator: one thread, one `mio` event loop, N connections to an echo server.
//!
//! - `pingpong`: each connection writes S bytes, waits until all S came back, repeats.
//! - `bulk`: each connection keeps up to 4×S bytes in flight, in S-byte messages.
//! - `pack`: like `pingpong`, but each message is one HP-Socket PACK packet: a 4-byte
//!   little-endian header `(flag 0 << 22) | S`, then an S-byte body. A PACK echo server sends
//!   back the same packet (same header, same body), so the echoed stream must equal the sent
//!   one; a wrong header or a re-framed body shows up as wrong bytes. Counts are of whole
//!   packets (S + 4 bytes on the wire); `bytes` and `mb_per_s` include the headers.
//!
//! Every connection sends a deterministic byte pattern of its own and every echoed byte is
//! checked against it. (In `pack` mode the body of packet m of a connection is the pattern
//! from offset `seed + m × S`.) After `--warmup` seconds the echoed bytes are counted for `--seconds`
//! seconds; one JSON line goes to stdout, diagnostics to stderr.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// Pattern period: a prime, so it does not line up with message sizes.
const PERIOD: usize = 251;
const READ_BUF: usize = 256 * 1024;
/// Bulk mode: bytes in flight per connection, in messages.
const BULK_WINDOW: usize = 4;
/// PACK header size and largest body (HP-Socket's 22-bit length field).
const PACK_HEADER: usize = 4;
const PACK_MAX_BODY: usize = 0x3F_FFFF;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    Pingpong,
    Bulk,
    /// Pingpong with HP-Socket PACK framing (4-byte header, flag 0).
    Pack,
}

#[derive(Parser, Debug)]
#[command(about = "Single-threaded echo load generator that verifies every byte")]
struct Args {
    /// Server address, e.g. 127.0.0.1:5555.
    #[arg(long)]
    addr: SocketAddr,
    /// Connections.
    #[arg(long, default_value_t = 100)]
    conns: usize,
    /// Message size in bytes (`pack`: the packet body, without the 4-byte header).
    #[arg(long, default_value_t = 64)]
    size: usize,
    #[arg(long, value_enum, default_value_t = Mode::Pingpong)]
    mode: Mode,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Warm-up seconds, not counted.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Set TCP_NODELAY on the client sockets.
    #[arg(long)]
    nodelay: bool,
}

struct Conn {
    stream: TcpStream,
    /// Offset of this connection's stream in the pattern.
    seed: usize,
    sent: u64,
    recvd: u64,
    /// Bytes the connection may have sent so far (pingpong: end of the current message;
    /// bulk: `recvd + window`).
    limit: u64,
    dead: bool,
    /// `recvd` when the measurement began.
    recvd_at_start: u64,
}

struct Gen {
    mode: Mode,
    /// Bytes of one message on the wire (`pack`: header + body).
    size: u64,
    /// `pack` mode: body size; 0 otherwise.
    body: usize,
    /// `pack` mode: the expected bytes of the current write or read, assembled here.
    scratch: Vec<u8>,
    pattern: Vec<u8>,
    buf: Vec<u8>,
    total: u64,
    mismatched: u64,
    conn_errors: u64,
}

impl Gen {
    fn expected(&self, seed: usize, offset: u64, len: usize) -> &[u8] {
        let start = (offset % PERIOD as u64) as usize + seed;
        let start = start % PERIOD;
        &self.pattern[start..start + len]
    }

    /// `pack` mode: the expected wire bytes `[offset, offset + len)` of a connection's stream
    /// into `out` (headers and bodies).
    fn pack_expected_into(&self, seed: usize, offset: u64, len: usize, out: &mut Vec<u8>) {
        out.clear();
        let frame = self.size;
        let header = (self.body as u32).to_le_bytes(); // flag 0
        let (mut off, end) = (offset, offset + len as u64);
        while off < end {
            let m = off / frame;
            let w = (off % frame) as usize;
            let frame_end = (m + 1) * frame;
            let take_end = end.min(frame_end);
            if w < PACK_HEADER {
                let h_end = (take_end - m * frame).min(PACK_HEADER as u64) as usize;
                out.extend_from_slice(&header[w..h_end]);
                off = m * frame + h_end as u64;
                continue;
            }
            let start = (seed + (m as usize % PERIOD) * (self.body % PERIOD)) % PERIOD;
            let b0 = w - PACK_HEADER;
            let b1 = (take_end - m * frame) as usize - PACK_HEADER;
            out.extend_from_slice(&self.pattern[start + b0..start + b1]);
            off = take_end;
        }
    }

    fn fail(&mut self, c: &mut Conn, what: &str, e: Option<io::Error>) {
        if !c.dead {
            c.dead = true;
            self.conn_errors += 1;
            match e {
                Some(e) => eprintln!("loadgen: connection {} {what}: {e}", c.seed),
                None => eprintln!("loadgen: connection {} {what}", c.seed),
            }
        }
    }

    fn on_readable(&mut self, c: &mut Conn) {
        while !c.dead {
            match c.stream.read(&mut self.buf) {
                Ok(0) => {
                    self.fail(c, "closed by the server", None);
                    return;
                }
                Ok(n) => {
                    if c.recvd + n as u64 > c.sent {
                        self.fail(c, "received more bytes than it sent", None);
                        return;
                    }
                    let mut scratch = std::mem::take(&mut self.scratch);
                    let exp = if self.mode == Mode::Pack {
                        self.pack_expected_into(c.seed, c.recvd, n, &mut scratch);
                        &scratch[..]
                    } else {
                        self.expected(c.seed, c.recvd, n)
                    };
                    if exp != &self.buf[..n] {
                        let bad = exp
                            .iter()
                            .zip(&self.buf[..n])
                            .filter(|(a, b)| a != b)
                            .count() as u64;
                        if self.mismatched == 0 {
                            eprintln!(
                                "loadgen: connection {} got {bad} wrong bytes at offset {}",
                                c.seed, c.recvd
                            );
                        }
                        self.mismatched += bad;
                    }
                    self.scratch = scratch;
                    c.recvd += n as u64;
                    self.total += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.fail(c, "read failed", Some(e));
                    return;
                }
            }
        }
        match self.mode {
            Mode::Pingpong | Mode::Pack => {
                if c.recvd == c.limit {
                    c.limit += self.size;
                }
            }
            Mode::Bulk => c.limit = c.recvd + BULK_WINDOW as u64 * self.size,
        }
        self.on_writable(c);
    }

    fn on_writable(&mut self, c: &mut Conn) {
        while !c.dead && c.sent < c.limit {
            // Writes stay within one message.
            let in_msg = self.size - c.sent % self.size;
            let len = (c.limit - c.sent).min(in_msg) as usize;
            let mut scratch = std::mem::take(&mut self.scratch);
            let data = if self.mode == Mode::Pack {
                self.pack_expected_into(c.seed, c.sent, len, &mut scratch);
                &scratch[..]
            } else {
                self.expected(c.seed, c.sent, len)
            };
            let r = c.stream.write(data);
            self.scratch = scratch;
            match r {
                Ok(0) => {
                    self.fail(c, "write returned 0", None);
                    return;
                }
                Ok(n) => c.sent += n as u64,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.fail(c, "write failed", Some(e));
                    return;
                }
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.size == 0 || args.conns == 0 {
        return Err("--size and --conns must be > 0".into());
    }
    if args.mode == Mode::Pack && args.size > PACK_MAX_BODY {
        return Err(format!("--mode pack: --size must be <= {PACK_MAX_BODY}").into());
    }
    let (wire_size, body) = match args.mode {
        Mode::Pack => (args.size + PACK_HEADER, args.size),
        _ => (args.size, 0),
    };
    let span = PERIOD + READ_BUF.max(args.size);
    let pattern: Vec<u8> = (0..span).map(|i| ((i % PERIOD) * 7 + 13) as u8).collect();
    let mut lg = Gen {
        mode: args.mode,
        size: wire_size as u64,
        body,
        scratch: Vec::with_capacity(READ_BUF.max(wire_size)),
        pattern,
        buf: vec![0; READ_BUF],
        total: 0,
        mismatched: 0,
        conn_errors: 0,
    };

    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let std_stream = std::net::TcpStream::connect(args.addr)?;
        std_stream.set_nodelay(args.nodelay)?;
        std_stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(std_stream);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        let limit = match args.mode {
            Mode::Pingpong | Mode::Pack => wire_size as u64,
            Mode::Bulk => (BULK_WINDOW * wire_size) as u64,
        };
        conns.push(Conn {
            stream,
            seed: (i * 37) % PERIOD,
            sent: 0,
            recvd: 0,
            limit,
            dead: false,
            recvd_at_start: 0,
        });
    }
    for c in conns.iter_mut() {
        lg.on_writable(c);
    }

    let mut events = Events::with_capacity(1024);
    let begin = Instant::now();
    let warm_end = begin + Duration::from_secs_f64(args.warmup);
    let mut measure: Option<(Instant, u64)> = None;
    let end = warm_end + Duration::from_secs_f64(args.seconds);
    loop {
        let now = Instant::now();
        if measure.is_none() && now >= warm_end {
            measure = Some((now, lg.total));
            for c in conns.iter_mut() {
                c.recvd_at_start = c.recvd;
            }
        }
        if now >= end {
            break;
        }
        let next = if measure.is_none() { warm_end } else { end };
        match poll.poll(&mut events, Some(next - now)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
        for ev in events.iter() {
            let c = &mut conns[ev.token().0];
            if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
                lg.on_readable(c);
            }
            if ev.is_writable() {
                lg.on_writable(c);
            }
        }
        if conns.iter().all(|c| c.dead) {
            eprintln!("loadgen: every connection failed");
            break;
        }
    }

    let (t0, base) = measure.unwrap_or((Instant::now(), lg.total));
    let secs = t0.elapsed().as_secs_f64().max(1e-9);
    let bytes = lg.total - base;
    let stalled = conns
        .iter()
        .filter(|c| !c.dead && c.recvd == c.recvd_at_start)
        .count();
    if stalled > 0 {
        eprintln!(
            "loadgen: {stalled} of {} connections echoed nothing while measuring",
            conns.len()
        );
    }
    if lg.mismatched > 0 || lg.conn_errors > 0 {
        eprintln!(
            "loadgen: {} wrong bytes, {} failed connections",
            lg.mismatched, lg.conn_errors
        );
    }
    let msgs = bytes / lg.size;
    println!(
        "{{\"msgs\":{msgs},\"bytes\":{bytes},\"secs\":{secs:.3},\"msgs_per_s\":{:.1},\"mb_per_s\":{:.2},\"errors\":{}}}",
        bytes as f64 / lg.size as f64 / secs,
        bytes as f64 / secs / 1e6,
        lg.mismatched + lg.conn_errors
    );
    Ok(())
}
