//! The WebSocket demos: `hps ws-server` (hpsocket's `WsServer`, or `WssServer` with `--tls`:
//! echoes every message with its type; plain HTTP requests get a built-in demo page, the
//! `/result` a page reports to, and with `--root` static files) and `hps ws-client URL`
//! (`WsClient` / `WssClient`: N messages of a deterministic pattern, every echoed byte
//! verified).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clap::Args;
use hpsocket::*;
use parking_lot::Mutex;
use tracing::info;

use crate::certs::{Plan, Res};
use crate::http::{log_parse_error, logged, send_bytes, Files};
use crate::TlsCfg;

/// The demo page: opens a WebSocket back to this server, sends text and binary messages,
/// checks the echoes; with `?auto=1` it runs the check itself and reports to `/result`.
pub const DEMO_PAGE: &str = include_str!("ws_demo.html");

#[derive(Args)]
pub struct WsServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    addr: String,
    /// Port (0: any free port; then the first line printed is `READY <port>`).
    #[arg(long, default_value_t = 9090)]
    port: u16,
    /// Also serve the files under this directory to plain GET / HEAD requests (the demo page
    /// stays at /demo, and is at / too when DIR has no index.html).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Accept permessage-deflate (RFC 7692) when a client offers it.
    #[arg(long)]
    deflate: bool,
    /// Subprotocols spoken, in order of preference (comma-separated).
    #[arg(long, value_delimiter = ',')]
    protocols: Vec<String>,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    workers: Option<u32>,
    /// Stop after this many seconds (0: run until killed).
    #[arg(long, default_value_t = 0.0)]
    seconds: f64,
    #[command(flatten)]
    tls: crate::certs::ServerTls,
}

/// What the server keeps of an open WebSocket, for its close line.
struct Open {
    peer: String,
    msgs: u64,
    bytes: u64,
}

/// Echoes messages; answers plain HTTP with the demo page, `/result` and the files.
struct WsEcho {
    files: Option<Files>,
    open: Mutex<HashMap<ConnId, Open>>,
}

/// The value of `key` in a query string (`+` and `%XX` decoded).
fn query_value(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == key).then(|| percent_decode(&v.replace('+', " ")))
    })
}

/// `%XX` decoding that keeps what does not decode.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The line `/result` prints: `RESULT ok=1 n=N bytes=B` or `RESULT ok=0 why=...` (one line,
/// whatever the page sent).
fn result_line(query: &str) -> String {
    let one_line = |v: String| v.replace(['\r', '\n'], " ");
    if query_value(query, "ok").as_deref() == Some("1") {
        format!(
            "RESULT ok=1 n={} bytes={}",
            one_line(query_value(query, "n").unwrap_or_default()),
            one_line(query_value(query, "bytes").unwrap_or_default())
        )
    } else {
        format!(
            "RESULT ok=0 why={}",
            one_line(query_value(query, "why").unwrap_or_default())
        )
    }
}

impl WsEcho {
    fn answer<T: Transport>(&self, s: &Server<Ws, T>, id: ConnId, m: &HttpMessage) -> Result<u16> {
        let path = m.url_field(UrlField::Path).unwrap_or("/");
        let get = matches!(m.method(), "GET" | "HEAD");
        if path == "/result" {
            let line = result_line(m.url_field(UrlField::Query).unwrap_or(""));
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}").and_then(|_| out.flush());
            info!("{line}");
            return send_bytes(s, id, m, 200, "text/plain; charset=utf-8", b"ok\n");
        }
        let demo = path == "/demo"
            || path == "/" && self.files.as_ref().is_none_or(|f| !f.has_index(path));
        if get && demo {
            return send_bytes(
                s,
                id,
                m,
                200,
                "text/html; charset=utf-8",
                DEMO_PAGE.as_bytes(),
            );
        }
        match &self.files {
            Some(f) => f.answer(s, id, m),
            None if !get => send_bytes(
                s,
                id,
                m,
                405,
                "text/plain; charset=utf-8",
                b"method not allowed\n",
            ),
            None => send_bytes(s, id, m, 404, "text/plain; charset=utf-8", b"not found\n"),
        }
    }
}

impl<T: Transport> ServerListener<Server<Ws, T>> for WsEcho {
    fn on_ws_open(&self, s: &Server<Ws, T>, id: ConnId, m: &HttpMessage) -> HandleResult {
        let peer = s
            .remote_address(id)
            .map(|p| p.to_string())
            .unwrap_or_default();
        let offered = |name: &str| {
            m.header(name)
                .map(|v| format!(", {name}: {}", String::from_utf8_lossy(v)))
                .unwrap_or_default()
        };
        info!(
            "{peer} WebSocket open {}{}{}",
            m.url(),
            offered("Sec-WebSocket-Protocol"),
            offered("Sec-WebSocket-Extensions")
        );
        self.open.lock().insert(
            id,
            Open {
                peer,
                msgs: 0,
                bytes: 0,
            },
        );
        HandleResult::Ok
    }

    fn on_ws_message(&self, s: &Server<Ws, T>, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        let (sent, len) = match msg {
            WsMessage::Text(t) => (s.send_text(id, t), t.len()),
            WsMessage::Binary(b) => (s.send_binary(id, b), b.len()),
        };
        if let Some(o) = self.open.lock().get_mut(&id) {
            o.msgs += 1;
            o.bytes += len as u64;
        }
        match sent {
            Ok(()) => HandleResult::Ok,
            Err(e) => {
                info!("echo failed: {e}");
                HandleResult::Error
            }
        }
    }

    fn on_ws_close(
        &self,
        _s: &Server<Ws, T>,
        id: ConnId,
        code: Option<u16>,
        reason: &str,
    ) -> HandleResult {
        tracing::debug!("{id:?}: close frame {code:?} {reason:?}");
        HandleResult::Ok
    }

    fn on_close(
        &self,
        _s: &Server<Ws, T>,
        id: ConnId,
        op: SocketOperation,
        e: i32,
    ) -> HandleResult {
        if let Some(o) = self.open.lock().remove(&id) {
            info!(
                "{} WebSocket closed after {} messages ({} bytes) echoed ({op:?}, {e})",
                o.peer, o.msgs, o.bytes
            );
        }
        HandleResult::Ok
    }

    fn on_message_complete(&self, s: &Server<Ws, T>, id: ConnId, m: &HttpMessage) -> ParseResult {
        logged(s, id, m, self.answer(s, id, m))
    }

    fn on_parse_error(&self, s: &Server<Ws, T>, id: ConnId, _m: &HttpMessage, e: &HttpParseError) {
        log_parse_error(s, id, e);
    }

    /// No `on_send`: files go out with `sendfile`, uncopied.
    fn wants_send_events(&self) -> bool {
        false
    }
}

fn serve<T: Transport>(a: &WsServerArgs, plan: &Plan, ca_file: Option<PathBuf>) -> Res<ExitCode>
where
    Server<Ws, T>: TlsCfg,
{
    let files = a.root.as_deref().map(Files::new).transpose()?;
    let root = files.as_ref().map(|f| f.root().display().to_string());
    let s = Server::<Ws, T>::new(WsEcho {
        files,
        open: Mutex::new(HashMap::new()),
    });
    s.tls_cfg(plan)?;
    if let Some(w) = a.workers {
        s.set_worker_thread_count(w)?;
    }
    s.set_ws_deflate(a.deflate)?;
    let protocols: Vec<&str> = a.protocols.iter().map(String::as_str).collect();
    s.set_ws_protocols(&protocols)?;
    s.start(&a.addr, a.port)?;
    let at = s.listen_address()?;
    let (ws, http) = if a.tls.tls {
        ("wss", "https")
    } else {
        ("ws", "http")
    };
    let mut banner = String::new();
    if a.port == 0 {
        banner += &format!("READY {}\n", at.port());
    }
    banner += &format!(
        "hps WebSocket echo server on {ws}://{at}/ (demo page: {http}://{at}/demo){}{}\n",
        root.map(|r| format!(", serving {r}")).unwrap_or_default(),
        if a.deflate {
            ", permessage-deflate"
        } else {
            ""
        }
    );
    if let Some(ca) = &ca_file {
        banner += &format!(
            "TLS: throw-away certificate for localhost, 127.0.0.1 and ::1; its CA is {} (clients: --ca {0})\n",
            ca.display()
        );
    }
    crate::announce_and_serve(&banner, a.seconds, |t| s.wait(t), || s.stop())
}

pub fn server(a: &WsServerArgs) -> Res<ExitCode> {
    let (plan, ca_file) = a.tls.plan()?;
    if a.tls.tls {
        serve::<Tls>(a, &plan, ca_file)
    } else {
        serve::<Plain>(a, &plan, ca_file)
    }
}

#[derive(Args)]
pub struct WsClientArgs {
    /// Server URL: `ws://host[:port]/path` (`wss://` for TLS).
    url: String,
    /// Messages, one in flight at a time.
    #[arg(long, default_value_t = 100)]
    count: u64,
    /// Bytes per message.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Send text messages (UTF-8 mixing 1- to 4-byte characters) instead of binary ones.
    #[arg(long)]
    text: bool,
    /// Offer permessage-deflate.
    #[arg(long)]
    deflate: bool,
    /// Offer this subprotocol (repeatable, in order of preference).
    #[arg(long)]
    protocol: Vec<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// wss: verify the server against this CA (PEM file, e.g. the one `hps ws-server --tls`
    /// prints). Without it the server's certificate is NOT verified.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// wss: client certificate chain (PEM file); needs --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// wss: the private key of --cert (PEM file, not encrypted).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
}

/// Message `k` of a run: binary = the load generator's pattern (seed `k`); text = exactly
/// `size` bytes of UTF-8 mixing 1-, 2-, 3- and 4-byte characters, shifted by `k`.
fn message(k: u64, size: usize, text: bool) -> Vec<u8> {
    if !text {
        let mut v = Vec::with_capacity(size);
        crate::loadgen::fill(&mut v, k % crate::loadgen::PERIOD, 0, size);
        return v;
    }
    const CHARS: [char; 7] = ['a', 'é', '✓', '🦀', 'Z', '€', 'ß'];
    let mut s = String::with_capacity(size);
    let mut i = k as usize;
    while s.len() < size {
        let c = CHARS[i % CHARS.len()];
        if s.len() + c.len_utf8() <= size {
            s.push(c);
        } else {
            s.push((b'a' + (i % 26) as u8) as char);
        }
        i += 1;
    }
    s.into_bytes()
}

/// Counts the bytes of `got` that differ from `want` (a length difference counts its bytes).
fn differences(want: &[u8], got: &[u8]) -> u64 {
    let common = want.iter().zip(got).filter(|(a, b)| a != b).count();
    (common + want.len().abs_diff(got.len())) as u64
}

/// What a client run has seen (shared by its listener and the waiting thread).
struct Run {
    text: bool,
    size: usize,
    count: u64,
    received: AtomicU64,
    verified: AtomicU64,
    errors: AtomicU64,
    finished: AtomicBool,
    closed: AtomicBool,
    /// The agreed subprotocol and extensions (from the server's 101).
    agreed: Mutex<(String, String)>,
    done: Mutex<mpsc::Sender<()>>,
}

/// The client's listener: sends message k+1 when echo k has come back (and been checked).
struct Pinger(Arc<Run>);

impl Run {
    fn send<T: Transport>(&self, c: &Client<Ws, T>, k: u64) -> Result<()> {
        let m = message(k, self.size, self.text);
        if self.text {
            c.send_text(std::str::from_utf8(&m).expect("text messages are UTF-8"))
        } else {
            c.send_binary(&m)
        }
    }

    fn signal(&self) {
        let _ = self.done.lock().send(());
    }

    /// The last echo is in: close (1000) and wake the waiting thread.
    fn finish<T: Transport>(&self, c: &Client<Ws, T>) {
        self.finished.store(true, Ordering::Relaxed);
        let _ = c.close_ws(1000, "done");
        self.signal();
    }
}

impl<T: Transport> ClientListener<Client<Ws, T>> for Pinger {
    fn on_ws_open(&self, c: &Client<Ws, T>, _id: ConnId, m: &HttpMessage) -> HandleResult {
        let r = &self.0;
        let field = |n| {
            m.header(n)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default()
        };
        *r.agreed.lock() = (
            field("Sec-WebSocket-Protocol"),
            field("Sec-WebSocket-Extensions"),
        );
        if r.count == 0 {
            r.finish(c);
            return HandleResult::Ok;
        }
        match r.send(c, 0) {
            Ok(()) => HandleResult::Ok,
            Err(_) => HandleResult::Error,
        }
    }

    fn on_ws_message(&self, c: &Client<Ws, T>, _id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        let r = &self.0;
        let k = r.received.fetch_add(1, Ordering::Relaxed);
        let want = message(k, r.size, r.text);
        let (got, text) = match msg {
            WsMessage::Text(t) => (t.as_bytes(), true),
            WsMessage::Binary(b) => (b, false),
        };
        let bad = differences(&want, got) + u64::from(text != r.text);
        r.errors.fetch_add(bad, Ordering::Relaxed);
        r.verified
            .fetch_add(got.len().min(want.len()) as u64, Ordering::Relaxed);
        if k + 1 < r.count {
            return match r.send(c, k + 1) {
                Ok(()) => HandleResult::Ok,
                Err(_) => HandleResult::Error,
            };
        }
        r.finish(c);
        HandleResult::Ok
    }

    fn on_close(
        &self,
        _c: &Client<Ws, T>,
        _id: ConnId,
        op: SocketOperation,
        e: i32,
    ) -> HandleResult {
        let r = &self.0;
        if !r.finished.load(Ordering::Relaxed) {
            eprintln!(
                "the connection closed after {} echoes ({op:?}, {e})",
                r.received.load(Ordering::Relaxed)
            );
        }
        r.closed.store(true, Ordering::Relaxed);
        r.signal();
        HandleResult::Ok
    }
}

fn ping<T: Transport>(a: &WsClientArgs, url: &Url, plan: &Plan) -> Res<ExitCode>
where
    Client<Ws, T>: TlsCfg,
{
    let (tx, rx) = mpsc::channel();
    let p = Arc::new(Run {
        text: a.text,
        size: a.size,
        count: a.count,
        received: AtomicU64::new(0),
        verified: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        finished: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        agreed: Mutex::new(Default::default()),
        done: Mutex::new(tx),
    });
    let c = Client::<Ws, T>::new(Pinger(p.clone()));
    c.tls_cfg(plan)?;
    c.set_ws_path(&url.path)?;
    c.set_ws_deflate(a.deflate)?;
    let protocols: Vec<&str> = a.protocol.iter().map(String::as_str).collect();
    c.set_ws_protocols(&protocols)?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(a.timeout);
    c.start(&url.host, url.port, true)?;
    let over = || p.finished.load(Ordering::Relaxed) || p.closed.load(Ordering::Relaxed);
    while !over() && Instant::now() < deadline {
        let _ = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()));
    }
    let secs = start.elapsed().as_secs_f64();
    // After the last echo: give the close handshake a moment to finish cleanly.
    let close_by = Instant::now() + Duration::from_secs(2);
    while p.finished.load(Ordering::Relaxed)
        && !p.closed.load(Ordering::Relaxed)
        && Instant::now() < close_by
    {
        let _ = rx.recv_timeout(Duration::from_millis(50));
    }
    let _ = c.stop();
    let (received, verified, errors) = (
        p.received.load(Ordering::Relaxed),
        p.verified.load(Ordering::Relaxed),
        p.errors.load(Ordering::Relaxed),
    );
    let (protocol, extensions) = p.agreed.lock().clone();
    println!(
        "{received} {} messages × {} B echoed in {secs:.3} s; {verified} bytes verified, {errors} errors; subprotocol {}; permessage-deflate {}",
        if a.text { "text" } else { "binary" },
        a.size,
        if protocol.is_empty() { "none" } else { &protocol },
        if extensions.contains("permessage-deflate") { "on" } else { "off" },
    );
    if errors > 0 || received < a.count || !p.finished.load(Ordering::Relaxed) {
        eprintln!(
            "FAILED: {errors} mismatched bytes, {received} of {} messages echoed{}",
            a.count,
            if Instant::now() >= deadline {
                ", timed out"
            } else {
                ""
            }
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn client(a: &WsClientArgs) -> Res<ExitCode> {
    let lower = a.url.to_ascii_lowercase();
    let http = if lower.starts_with("ws://") {
        format!("http://{}", &a.url[5..])
    } else if lower.starts_with("wss://") {
        format!("https://{}", &a.url[6..])
    } else {
        String::new()
    };
    let Some(url) = Url::parse(&http) else {
        eprintln!("hps ws-client: not a ws:// or wss:// URL: {}", a.url);
        return Ok(ExitCode::from(2));
    };
    if url.secure {
        let cert = a.cert.as_deref().zip(a.key.as_deref());
        let plan = Plan {
            server: None,
            client: Some(crate::certs::client_setup(a.ca.as_deref(), cert)),
        };
        ping::<Tls>(a, &url, &plan)
    } else {
        if a.ca.is_some() || a.cert.is_some() {
            eprintln!("hps ws-client: --ca / --cert are for wss:// URLs");
            return Ok(ExitCode::from(2));
        }
        ping::<Plain>(a, &url, &Plan::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_messages_are_utf8_of_the_exact_size_and_differ_by_index() {
        for size in [0, 1, 2, 3, 4, 5, 63, 64, 1000, 65536] {
            for k in 0..8 {
                let m = message(k, size, true);
                assert_eq!(m.len(), size);
                let s = std::str::from_utf8(&m).unwrap();
                if size >= 64 {
                    assert!(s.chars().any(|c| c.len_utf8() == 4), "{s}");
                }
            }
            assert_eq!(message(3, size, false).len(), size);
        }
        assert_ne!(message(0, 64, true), message(1, 64, true));
        assert_ne!(message(0, 64, false), message(1, 64, false));
    }

    #[test]
    fn differences_count_bytes_and_length() {
        assert_eq!(differences(b"abc", b"abc"), 0);
        assert_eq!(differences(b"abc", b"abd"), 1);
        assert_eq!(differences(b"abc", b"ab"), 1);
        assert_eq!(differences(b"", b"xy"), 2);
    }

    #[test]
    fn result_lines_are_one_line_and_decoded() {
        assert_eq!(
            result_line("ok=1&n=27&bytes=212345"),
            "RESULT ok=1 n=27 bytes=212345"
        );
        assert_eq!(
            result_line("ok=0&why=message%203%20came%0Aback+wrong"),
            "RESULT ok=0 why=message 3 came back wrong"
        );
        assert_eq!(result_line(""), "RESULT ok=0 why=");
    }
}
