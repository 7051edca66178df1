//! The benchmark load generator (`hps loadgen`, used by `hps bench`): one thread, one `mio`
//! event loop, N connections; every echoed byte is checked against the pattern that was sent.
//! With `--tls` each connection runs a rustls client session over its non-blocking socket
//! (ciphertext read straight from the socket into rustls, no extra copy). With `--mode ws`
//! each connection runs the WebSocket opening handshake itself (its own key, the server's
//! accept checked), then sends masked binary frames and checks the unmasked echoes.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use hpsocket::tls::rustls::pki_types::ServerName;
use hpsocket::tls::rustls::ClientConnection;
use hpsocket::tls::{Pem, TlsClientSetup, VerifyMode};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// Pattern period: a prime, so it does not line up with message sizes.
pub(crate) const PERIOD: u64 = 251;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_helpers_agree_with_the_definition() {
        let mut v = Vec::new();
        fill(&mut v, 17, 1000, 3000);
        for (i, b) in v.iter().enumerate() {
            assert_eq!(*b as u64, (17 + 1000 + i as u64) % PERIOD);
        }
        assert_eq!(mismatches(&v, 17, 1000), 0);
        v[5] ^= 1;
        v[2999] ^= 1;
        assert_eq!(mismatches(&v, 17, 1000), 2);
    }

    const OK: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 13\r\n\r\nHello, world!";

    /// A server's answer to connection `w` and two echoed frames of 64 and 300 bytes (the
    /// second with a 16-bit length) of stream `seed`.
    fn ws_answer(w: &WsRead, seed: u64, accept: &str) -> Vec<u8> {
        let _ = w;
        let mut v = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .into_bytes();
        v.extend_from_slice(&[0x82, 64]);
        fill(&mut v, seed, 0, 64);
        v.extend_from_slice(&[0x82, 126, 1, 44]);
        fill(&mut v, seed, 64, 300);
        v
    }

    #[test]
    fn ws_handshake_and_frames_are_checked_however_they_are_split() {
        let key = WsRead::new(3).key;
        let accept = hpsocket::ws_accept_key(&key);
        let all = ws_answer(&WsRead::new(3), 9, &accept);
        for step in 1..=all.len() {
            let mut w = WsRead::new(3);
            let mut recvd = 0;
            let mut bad = 0;
            for part in all.chunks(step) {
                bad += w.take(part, 9, &mut recvd);
            }
            assert_eq!(
                (bad, recvd, w.open, w.broken),
                (0, 364, true, false),
                "step {step}"
            );
        }
        // A wrong byte in a payload is counted; a wrong accept value or a text frame breaks.
        let mut w = WsRead::new(3);
        let mut wrong = all.clone();
        let n = wrong.len();
        wrong[n - 1] ^= 0x55;
        assert_eq!(w.take(&wrong, 9, &mut 0), 1);
        let mut w = WsRead::new(3);
        assert_eq!(w.take(&ws_answer(&w, 9, "nope"), 9, &mut 0), 1);
        assert!(w.broken && !w.open);
        let mut w = WsRead::new(3);
        let mut text = all.clone();
        let at = text.len() - 300 - 4; // the second frame's header
        text[at] = 0x81;
        assert_eq!(w.take(&text, 9, &mut 0), 1);
        assert!(w.broken);
    }

    #[test]
    fn ws_frames_are_masked_with_the_right_lengths() {
        let mut w = WsRead::new(0);
        for n in [1usize, 125, 126, 65535, 65536] {
            let payload: Vec<u8> = (0..n).map(|i| (i % 256) as u8).collect();
            let mut out = Vec::new();
            w.frame(&mut out, &payload);
            assert_eq!(out[0], 0x82);
            assert!(out[1] & 0x80 != 0, "masked");
            let (len, at) = match out[1] & 0x7F {
                126 => (u16::from_be_bytes([out[2], out[3]]) as usize, 4),
                127 => (
                    u64::from_be_bytes(out[2..10].try_into().unwrap()) as usize,
                    10,
                ),
                l => (l as usize, 2),
            };
            assert_eq!(len, n);
            let mask = &out[at..at + 4];
            let unmasked: Vec<u8> = out[at + 4..]
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i & 3])
                .collect();
            assert_eq!(unmasked, payload);
        }
    }

    #[test]
    fn http_responses_are_framed_and_checked_however_they_are_split() {
        let two: Vec<u8> = [OK, OK].concat();
        for step in 1..=two.len() {
            let mut h = HttpRead::default();
            let (mut done, mut bad) = (0, 0);
            for part in two.chunks(step) {
                let (d, b) = h.take(part);
                done += d;
                bad += b;
            }
            assert_eq!((done, bad, h.broken), (2, 0, false), "step {step}");
            assert_eq!(h.bytes, two.len() as u64);
        }
    }

    #[test]
    fn wrong_http_responses_are_errors() {
        let wrong_body = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!";
        let wrong_status = b"HTTP/1.1 404 Not Found\r\nContent-Length: 13\r\n\r\nHello, world!";
        let wrong_len = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nHe";
        for r in [&wrong_body[..], wrong_status, wrong_len] {
            let mut h = HttpRead::default();
            assert_eq!(
                h.take(&[r, OK].concat()),
                (2, 1),
                "{}",
                String::from_utf8_lossy(r)
            );
        }
        // Unframable: no Content-Length, chunked, not HTTP.
        for r in [
            &b"HTTP/1.1 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"SSH-2.0\r\n\r\n",
        ] {
            let mut h = HttpRead::default();
            assert_eq!(h.take(r), (0, 1));
            assert!(h.broken);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// One message in flight per connection.
    Pingpong,
    /// Up to 4 messages in flight per connection.
    Bulk,
    /// Ping-pong of HP-Socket PACK packets (4-byte header, flag 0).
    Pack,
    /// Connect, echo one byte on each connection, print READY, then hold until stdin closes.
    Idle,
    /// Ping-pong of datagrams, one UDP socket per "connection".
    Udp,
    /// HTTP/1.1 keep-alive: `GET /hello`, read the whole response (status 200,
    /// `Content-Length`, body `Hello, world!`), then the next request; one message per
    /// request/response.
    Http,
    /// WebSocket: the opening handshake on each connection, then ping-pong of masked binary
    /// messages (one frame each, one in flight), every echoed frame and byte checked.
    Ws,
}

/// The body the HTTP bench servers answer with (`hps http-bench-server`, the original's
/// `hp_pack_peer http-server`).
pub(crate) const HTTP_BODY: &[u8] = b"Hello, world!";

/// Longest response head the HTTP mode accepts.
const MAX_HTTP_HEAD: usize = 8192;

#[derive(Args, Debug, Clone)]
pub struct LoadgenArgs {
    /// Server address, e.g. 127.0.0.1:5555.
    #[arg(long)]
    pub addr: SocketAddr,
    /// Connections.
    #[arg(long, default_value_t = 100)]
    pub conns: usize,
    /// Message (PACK: body) size in bytes.
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    #[arg(long, value_enum, default_value_t = Mode::Pingpong)]
    pub mode: Mode,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Warm-up seconds, not counted.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Speak TLS (rustls client); the handshakes happen during the warm-up.
    #[arg(long)]
    pub tls: bool,
    /// TLS: verify the server against this CA (PEM file); without it, no verification.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca: Option<PathBuf>,
}

/// The pattern twice over, so any run of up to PERIOD bytes is one slice of it.
fn table() -> &'static [u8] {
    static T: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    T.get_or_init(|| (0..2 * PERIOD).map(|i| (i % PERIOD) as u8).collect())
}

/// Appends `n` pattern bytes of stream `seed` starting at offset `start`.
pub(crate) fn fill(out: &mut Vec<u8>, seed: u64, start: u64, n: usize) {
    let t = table();
    let (mut k, mut left) = (start, n);
    while left > 0 {
        let off = ((seed + k) % PERIOD) as usize;
        let take = left.min(PERIOD as usize);
        out.extend_from_slice(&t[off..off + take]);
        k += take as u64;
        left -= take;
    }
}

/// Counts the bytes of `data` that differ from stream `seed` at offset `start`.
pub(crate) fn mismatches(data: &[u8], seed: u64, start: u64) -> u64 {
    let t = table();
    let mut bad = 0;
    let mut k = start;
    for chunk in data.chunks(PERIOD as usize) {
        let off = ((seed + k) % PERIOD) as usize;
        let want = &t[off..off + chunk.len()];
        if chunk != want {
            bad += chunk.iter().zip(want).filter(|(a, b)| a != b).count() as u64;
        }
        k += chunk.len() as u64;
    }
    bad
}

struct Conn {
    stream: TcpStream,
    /// The TLS session; boxed so it can be lifted out while the rest of `Conn` is borrowed.
    tls: Option<Box<ClientConnection>>,
    seed: u64,
    /// Payload bytes queued for sending so far / verified back so far.
    sent: u64,
    recvd: u64,
    out: Vec<u8>,
    out_off: usize,
    /// PACK: header bytes collected, body bytes left in the current packet.
    hdr: Vec<u8>,
    body_left: usize,
    connected: bool,
    /// HTTP mode: `sent` / `recvd` count requests / complete responses, and this reads
    /// the responses.
    http: Option<Box<HttpRead>>,
    /// WebSocket mode: the handshake and the frames being read.
    ws: Option<Box<WsRead>>,
}

/// WebSocket mode: one connection's handshake and the server's frames being read.
struct WsRead {
    /// The `Sec-WebSocket-Key` this connection sends.
    key: String,
    /// The opening handshake went out / its `101` answer came back right: frames may go.
    requested: bool,
    open: bool,
    /// The answer's head collected so far.
    head: Vec<u8>,
    /// The header of the frame being read, collected so far, and payload bytes left in it.
    hdr: Vec<u8>,
    left: u64,
    /// Frames sent (each gets its own masking key).
    frames: u32,
    /// The stream cannot be read on (bad answer, unexpected frame): the connection is given
    /// up.
    broken: bool,
}

impl WsRead {
    fn new(i: usize) -> WsRead {
        use base64::Engine as _;
        let nonce: Vec<u8> = (0..16u8)
            .map(|b| {
                (i as u64)
                    .wrapping_mul(0x9E37_79B9)
                    .wrapping_add(b as u64 * 131) as u8
            })
            .collect();
        WsRead {
            key: base64::engine::general_purpose::STANDARD.encode(nonce),
            requested: false,
            open: false,
            head: Vec::new(),
            hdr: Vec::new(),
            left: 0,
            frames: 0,
            broken: false,
        }
    }

    /// The opening handshake's request.
    fn request(&self, addr: SocketAddr) -> Vec<u8> {
        format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            self.key
        )
        .into_bytes()
    }

    /// Appends one masked binary frame (FIN) carrying `payload`.
    fn frame(&mut self, out: &mut Vec<u8>, payload: &[u8]) {
        out.push(0x82);
        let n = payload.len();
        if n < 126 {
            out.push(0x80 | n as u8);
        } else if n <= 0xFFFF {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        self.frames = self.frames.wrapping_add(1);
        let mask = self.frames.wrapping_mul(0x9E37_79B9).to_be_bytes();
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
    }

    /// Reads the handshake's answer, then frames; verifies payload bytes against stream `seed`
    /// from offset `*recvd` on. Returns the errors (mismatched bytes, a wrong answer or frame).
    fn take(&mut self, mut data: &[u8], seed: u64, recvd: &mut u64) -> u64 {
        let mut bad = 0;
        if !self.open {
            let from = self.head.len().saturating_sub(3);
            self.head.extend_from_slice(data);
            let Some(end) = self.head[from..]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|p| from + p + 4)
            else {
                if self.head.len() > MAX_HTTP_HEAD {
                    self.broken = true;
                    bad += 1;
                }
                return bad;
            };
            data = &data[data.len() - (self.head.len() - end)..];
            if !self.accepted(&self.head[..end - 4]) {
                self.broken = true;
                return bad + 1;
            }
            self.open = true;
            self.head = Vec::new();
        }
        while !self.broken && !data.is_empty() {
            if self.left == 0 {
                // A frame header: 2 bytes, then the extended length if any (no mask: a
                // server's frames are not masked).
                let need = match self.hdr.get(1).map(|b| b & 0x7F) {
                    None => 2,
                    Some(126) => 4,
                    Some(127) => 10,
                    Some(_) => 2,
                };
                let take = (need - self.hdr.len()).min(data.len());
                self.hdr.extend_from_slice(&data[..take]);
                data = &data[take..];
                if self.hdr.len() < need || (need == 2 && matches!(self.hdr[1] & 0x7F, 126 | 127)) {
                    continue;
                }
                // FIN, binary, no RSV bits, not masked.
                if self.hdr[0] != 0x82 || self.hdr[1] & 0x80 != 0 {
                    self.broken = true;
                    return bad + 1;
                }
                self.left = match self.hdr[1] & 0x7F {
                    126 => u16::from_be_bytes([self.hdr[2], self.hdr[3]]) as u64,
                    127 => u64::from_be_bytes(self.hdr[2..10].try_into().expect("8 bytes")),
                    n => n as u64,
                };
                self.hdr.clear();
                continue;
            }
            let n = (self.left.min(data.len() as u64)) as usize;
            bad += mismatches(&data[..n], seed, *recvd);
            *recvd += n as u64;
            self.left -= n as u64;
            data = &data[n..];
        }
        bad
    }

    /// Whether the answer's head (without its final CRLF CRLF) is a `101` with the accept
    /// value of our key.
    fn accepted(&self, head: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(head) else {
            return false;
        };
        let mut lines = text.split("\r\n");
        let switching = lines.next().is_some_and(|l| l.starts_with("HTTP/1.1 101"));
        let want = hpsocket::ws_accept_key(&self.key);
        let accept = lines.any(|l| {
            l.split_once(':').is_some_and(|(n, v)| {
                n.eq_ignore_ascii_case("sec-websocket-accept") && v.trim() == want
            })
        });
        switching && accept
    }
}

/// The HTTP response being read on one connection.
#[derive(Default)]
struct HttpRead {
    /// Response bytes received (head and body).
    bytes: u64,
    /// The head collected so far.
    head: Vec<u8>,
    /// Past the head of the current response: reading its body.
    in_body: bool,
    /// Body bytes of the current response seen so far / still to come.
    body_off: usize,
    body_left: usize,
    /// The current response is wrong (status, length or body bytes).
    bad: bool,
    /// The byte stream cannot be framed any more (bad head); the connection is given up.
    broken: bool,
}

impl HttpRead {
    /// Frames and checks responses; returns (complete responses, wrong ones among them or
    /// unparsable heads).
    fn take(&mut self, mut data: &[u8]) -> (u64, u64) {
        self.bytes += data.len() as u64;
        let (mut done, mut bad) = (0, 0);
        while !self.broken && (self.in_body || !data.is_empty()) {
            if !self.in_body {
                // In the head: look for its end, starting where the last search stopped.
                let from = self.head.len().saturating_sub(3);
                self.head.extend_from_slice(data);
                let Some(end) = head_end(&self.head, from) else {
                    if self.head.len() > MAX_HTTP_HEAD {
                        self.broken = true;
                        bad += 1;
                    }
                    break;
                };
                // What follows the head in this read is body (or the next response).
                data = &data[data.len() - (self.head.len() - end)..];
                match parse_head(&self.head[..end - 4]) {
                    Some((status, len)) => {
                        self.bad = status != 200 || len != HTTP_BODY.len();
                        self.body_left = len;
                        self.body_off = 0;
                        self.in_body = true;
                    }
                    None => {
                        self.broken = true;
                        bad += 1;
                    }
                }
                self.head.clear();
            } else {
                let n = self.body_left.min(data.len());
                if HTTP_BODY.get(self.body_off..self.body_off + n) != Some(&data[..n]) {
                    self.bad = true;
                }
                self.body_off += n;
                self.body_left -= n;
                data = &data[n..];
                if self.body_left > 0 {
                    break;
                }
                done += 1;
                bad += self.bad as u64;
                self.in_body = false;
            }
        }
        (done, bad)
    }
}

/// The end of a head (just past its CRLF CRLF) searched from `from`: a byte loop, since
/// the load generator's own CPU per message is what a 2-core run is limited by.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    (from.max(3)..buf.len())
        .find(|&i| {
            buf[i] == b'\n' && buf[i - 1] == b'\r' && buf[i - 2] == b'\n' && buf[i - 3] == b'\r'
        })
        .map(|i| i + 1)
}

/// The status and `Content-Length` of a response head (without its final CRLF CRLF); `None`
/// when it is not an HTTP/1.x response with a `Content-Length`. Bytes, not text: no UTF-8
/// pass and no substring searcher per response.
fn parse_head(head: &[u8]) -> Option<(u16, usize)> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next()?;
    let rest = status_line.strip_prefix(b"HTTP/1.")?;
    let status = digits(rest.get(2..5)?)?;
    let mut len = None;
    for l in lines {
        let colon = l.iter().position(|&b| b == b':')?;
        let (name, value) = (&l[..colon], l[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            len = Some(digits(value)?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return None;
        }
    }
    Some((u16::try_from(status).ok()?, len?))
}

/// A non-empty run of ASCII digits as a number.
fn digits(b: &[u8]) -> Option<usize> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    b.iter().try_fold(0usize, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + usize::from(d - b'0'))
    })
}

pub struct Report {
    pub msgs: u64,
    pub bytes: u64,
    pub secs: f64,
    pub errors: u64,
    /// This process's CPU seconds (utime + stime) at the end.
    pub cpu: f64,
    /// TLS: the protocol version and cipher suite of the first connection.
    pub tls: Option<String>,
}

pub(crate) fn own_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let f: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

impl Conn {
    fn queue_message(&mut self, size: usize, pack: bool) {
        if let Some(w) = self.ws.as_deref_mut() {
            let mut payload = Vec::with_capacity(size);
            fill(&mut payload, self.seed, self.sent, size);
            w.frame(&mut self.out, &payload);
            self.sent += size as u64;
            return;
        }
        if pack {
            self.out.extend_from_slice(&(size as u32).to_le_bytes());
        }
        fill(&mut self.out, self.seed, self.sent, size);
        self.sent += size as u64;
    }

    /// The byte stream cannot be framed any more (HTTP, WebSocket).
    fn broken(&self) -> bool {
        self.http.as_ref().is_some_and(|h| h.broken) || self.ws.as_ref().is_some_and(|w| w.broken)
    }

    /// Writes what it can; false on a fatal error.
    fn flush(&mut self) -> bool {
        if let Some(t) = self.tls.as_mut() {
            return flush_tls(t, &mut self.stream, &mut self.out, &mut self.out_off);
        }
        while self.out_off < self.out.len() {
            match self.stream.write(&self.out[self.out_off..]) {
                Ok(0) => return false,
                Ok(n) => self.out_off += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        if self.out_off == self.out.len() {
            self.out.clear();
            self.out_off = 0;
        }
        true
    }

    /// Verifies received bytes; returns the mismatches (HTTP: the wrong responses).
    fn take(&mut self, data: &[u8], size: usize, pack: bool) -> u64 {
        if let Some(h) = self.http.as_deref_mut() {
            let (done, bad) = h.take(data);
            self.recvd += done;
            return bad;
        }
        if let Some(w) = self.ws.as_deref_mut() {
            return w.take(data, self.seed, &mut self.recvd);
        }
        let mut bad = 0;
        let mut i = 0;
        while i < data.len() {
            if pack && self.body_left == 0 {
                self.hdr.push(data[i]);
                i += 1;
                if self.hdr.len() == 4 {
                    let w =
                        u32::from_le_bytes([self.hdr[0], self.hdr[1], self.hdr[2], self.hdr[3]]);
                    if w as usize != size {
                        bad += 1;
                    }
                    self.body_left = (w & 0x3F_FFFF) as usize;
                    self.hdr.clear();
                }
                continue;
            }
            let n = if pack {
                self.body_left.min(data.len() - i)
            } else {
                data.len() - i
            };
            bad += mismatches(&data[i..i + n], self.seed, self.recvd);
            self.recvd += n as u64;
            if pack {
                self.body_left -= n;
            }
            i += n;
        }
        bad
    }
}

/// Hands queued plaintext to rustls (which takes only up to its buffer limit at a time, and
/// holds it until the handshake is done), then writes the ciphertext it can.
fn flush_tls(
    t: &mut ClientConnection,
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    out_off: &mut usize,
) -> bool {
    loop {
        while *out_off < out.len() {
            match t.writer().write(&out[*out_off..]) {
                Ok(0) => break,
                Ok(n) => *out_off += n,
                Err(_) => return false,
            }
        }
        if *out_off == out.len() {
            out.clear();
            *out_off = 0;
        }
        if !t.wants_write() {
            return true;
        }
        while t.wants_write() {
            match t.write_tls(stream) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        // rustls' buffer drained: room for more plaintext, if any is left.
        if out.is_empty() {
            return true;
        }
    }
}

/// Reads and decrypts what the socket has, verifying the plaintext; false when the connection
/// is over (closed, failed, or TLS error).
fn read_tls(
    c: &mut Conn,
    t: &mut ClientConnection,
    buf: &mut [u8],
    msg: usize,
    pack: bool,
) -> (bool, u64) {
    let mut bad = 0;
    loop {
        match t.read_tls(&mut c.stream) {
            Ok(0) => return (false, bad),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (true, bad),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return (false, bad),
        }
        if t.process_new_packets().is_err() {
            return (false, bad);
        }
        loop {
            match t.reader().read(buf) {
                Ok(0) => return (false, bad),
                Ok(n) => bad += c.take(&buf[..n], msg, pack),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return (false, bad),
            }
        }
    }
}

fn tls_config(a: &LoadgenArgs) -> io::Result<Option<Arc<hpsocket::tls::rustls::ClientConfig>>> {
    if !a.tls {
        return Ok(None);
    }
    let setup = TlsClientSetup {
        verify: if a.ca.is_some() {
            VerifyMode::PEER
        } else {
            VerifyMode::NONE
        },
        ca: a.ca.clone().map(Pem::File),
        ..Default::default()
    };
    setup
        .build()
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))
}

pub fn run(a: &LoadgenArgs) -> io::Result<Report> {
    if a.mode == Mode::Udp {
        return crate::udp_load::run(a);
    }
    let size = a.size.max(1);
    let pack = a.mode == Mode::Pack;
    let http = a.mode == Mode::Http;
    // Bytes (HTTP: requests) in flight per connection.
    let window = match a.mode {
        Mode::Bulk => 4 * size as u64,
        Mode::Idle | Mode::Http => 1,
        _ => size as u64,
    };
    let request = format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", a.addr).into_bytes();
    let msg = if a.mode == Mode::Idle { 1 } else { size };
    let tls = tls_config(a)?;
    let server_name = ServerName::IpAddress(a.addr.ip().into());
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(a.conns);
    for i in 0..a.conns {
        let tls = match &tls {
            Some(cfg) => Some(Box::new(
                ClientConnection::new(cfg.clone(), server_name.clone())
                    .map_err(|e| io::Error::other(e.to_string()))?,
            )),
            None => None,
        };
        let mut stream = TcpStream::connect(a.addr)?;
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        conns.push(Conn {
            stream,
            tls,
            seed: (i as u64 * 37) % PERIOD,
            sent: 0,
            recvd: 0,
            out: Vec::new(),
            out_off: 0,
            hdr: Vec::new(),
            body_left: 0,
            connected: false,
            http: http.then(Box::default),
            ws: (a.mode == Mode::Ws).then(|| Box::new(WsRead::new(i))),
        });
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 256 * 1024];
    let start = Instant::now();
    let warm_end = start + Duration::from_secs_f64(a.warmup);
    let end = warm_end + Duration::from_secs_f64(a.seconds);
    let mut errors = 0u64;
    let mut base: Option<((u64, u64), Instant)> = None;
    // Received so far: (bytes or, HTTP, responses; bytes).
    let total = |conns: &[Conn]| {
        conns.iter().fold((0u64, 0u64), |(m, b), c| {
            let bytes = c.http.as_ref().map_or(c.recvd, |h| h.bytes);
            (m + c.recvd, b + bytes)
        })
    };
    let mut dead = 0usize;
    loop {
        let now = Instant::now();
        if a.mode == Mode::Idle {
            if conns.iter().all(|c| c.recvd >= 1) {
                break;
            }
            if now > start + Duration::from_secs(120) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "idle connections not echoed",
                ));
            }
        } else {
            if base.is_none() && now >= warm_end {
                base = Some((total(&conns), now));
            }
            if now >= end {
                break;
            }
        }
        poll.poll(&mut events, Some(Duration::from_millis(50)))?;
        for ev in events.iter() {
            let c = &mut conns[ev.token().0];
            if !c.connected && (ev.is_writable() || ev.is_readable()) {
                match c.stream.peer_addr() {
                    Ok(_) => c.connected = true,
                    Err(_) if !ev.is_error() => continue,
                    Err(_) => {
                        dead += 1;
                        continue;
                    }
                }
            }
            if ev.is_readable() && c.tls.is_some() {
                let mut t = c.tls.take().expect("checked");
                let (alive, bad) = read_tls(c, &mut t, &mut buf, msg, pack);
                errors += bad;
                c.tls = Some(t);
                if !alive || c.broken() {
                    dead += 1;
                }
            } else if ev.is_readable() {
                loop {
                    match c.stream.read(&mut buf) {
                        Ok(0) => {
                            dead += 1;
                            break;
                        }
                        Ok(n) => {
                            errors += c.take(&buf[..n], msg, pack);
                            if c.broken() {
                                dead += 1;
                                break;
                            }
                            // A short read drained the socket: the next arrival is a new
                            // edge, so asking again would only return EAGAIN — a wasted
                            // syscall per message that would make the load generator, not
                            // the server, what a 2-core run measures. (A close that came
                            // with the data is read on.)
                            if n < buf.len() && !ev.is_read_closed() {
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => {
                            dead += 1;
                            break;
                        }
                    }
                }
            }
            while c.connected && c.sent - c.recvd < window {
                if a.mode == Mode::Idle && c.sent >= 1 {
                    break;
                }
                if http {
                    c.out.extend_from_slice(&request);
                    c.sent += 1;
                    continue;
                }
                if let Some(w) = c.ws.as_deref_mut() {
                    if !w.requested {
                        c.out.extend_from_slice(&w.request(a.addr));
                        w.requested = true;
                    }
                    if !w.open {
                        break;
                    }
                }
                c.queue_message(msg, pack);
            }
            if !c.flush() {
                dead += 1;
            }
        }
        if dead > 0 {
            errors += dead as u64;
            break;
        }
    }
    let ((m0, b0), t0) = base.unwrap_or(((0, 0), start));
    let (m1, b1) = total(&conns);
    let bytes = b1 - b0;
    // HTTP counts responses; the others count bytes, `size` to a message.
    let msgs = if http { m1 - m0 } else { bytes / size as u64 };
    let secs = t0.elapsed().as_secs_f64();
    if a.mode == Mode::Idle {
        println!("READY {}", conns.len());
        io::stdout().flush()?;
        // Hold the connections until whoever started us closes our stdin.
        let mut sink = Vec::new();
        let _ = io::stdin().read_to_end(&mut sink);
    }
    let tls = conns.first().and_then(|c| {
        let t = c.tls.as_ref()?;
        Some(format!(
            "{:?} {:?}",
            t.protocol_version()?,
            t.negotiated_cipher_suite()?.suite()
        ))
    });
    Ok(Report {
        msgs,
        bytes,
        secs,
        errors,
        cpu: own_cpu(),
        tls,
    })
}
