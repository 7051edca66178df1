//! `hps`: hpsocket's command-line tool — echo demos for every component and the
//! performance test.

mod bench;
mod certs;
mod http;
mod http_bench;
mod listeners;
mod loadgen;
mod session;
mod tokio_echo;
mod udp;
mod udp_load;
mod ws;
mod ws_bench;

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use hpsocket::*;

use certs::{Plan, Res};
use listeners::{scheduler, EchoServer, Load};
use session::Session;

#[derive(Parser)]
#[command(
    name = "hps",
    version,
    about = "hpsocket (HP-Socket in Rust): echo demos for every component and a performance test",
    long_about = "hpsocket (HP-Socket in Rust): echo demos for every component and a performance test.\n\n\
Start an echo server, then talk to it with a client or an agent — every echoed byte is verified:\n  \
hps server --model pack --port 5555\n  \
hps client --model pack --port 5555 --messages 1000\n  \
hps agent  --model pack --port 5555 --connections 100\n\n\
With TLS, add --tls to each (the server prints the CA file of the certificate it made; pass it \
to the others as --ca FILE to verify the server):\n  \
hps server --tls --port 5556\n  \
hps client --tls --port 5556 --ca /tmp/hps-…-ca.pem\n\n\
Or measure: `hps pfm` starts its own echo server and drives it (no set-up needed)."
)]
struct Cli {
    /// Log filter (tracing syntax: error, warn, info, debug, or per-module).
    #[arg(long, global = true)]
    log: Option<String>,
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Echo server: sends every received byte (PUSH / PULL) or packet (PACK) back.
    Server(ServerArgs),
    /// Echo client: one connection, ping-pong messages, verifies every echoed byte.
    Client(LoadArgs),
    /// Echo agent: many connections from one agent, ping-pong, verifies every echoed byte.
    Agent(LoadArgs),
    /// Performance test: N connections × M rounds × S bytes against a server (by default one
    /// it starts in-process), with throughput and round-trip latency.
    Pfm(PfmArgs),
    /// UDP echo server: every datagram back to its sender (a virtual connection per peer).
    UdpServer(udp::UdpServerArgs),
    /// UDP echo client: ping-pong of datagrams, verifies every echoed byte.
    UdpClient(udp::UdpClientArgs),
    /// UDP cast: several members on one multicast group (or broadcast address) that must all
    /// hear every datagram.
    UdpCast(udp::UdpCastArgs),
    /// HTTP server: static files from --root (content types, HEAD, keep-alive, directory
    /// listings, 404), one log line per request.
    HttpServer(http::HttpServerArgs),
    /// HTTP client: one request, prints the status, header fields and body.
    HttpClient(http::HttpClientArgs),
    /// WebSocket echo server (WsServer; WssServer with --tls): every message back with its
    /// type; plain HTTP gets a browser demo page (/demo) and, with --root, static files.
    WsServer(ws::WsServerArgs),
    /// WebSocket client (WsClient; WssClient for wss://): N messages, every echoed byte
    /// verified.
    WsClient(ws::WsClientArgs),
    /// Side-by-side benchmark: hpsocket vs a tokio echo server vs the original HP-Socket
    /// 5.2.1, each in its own process; writes docs/BENCHMARKS.md and an SVG chart.
    Bench(bench::BenchArgs),
    /// Load generator used by `hps bench` (one thread, verifies every byte).
    #[command(hide = true)]
    Loadgen(loadgen::LoadgenArgs),
    /// tokio (or, with --tls, tokio-rustls) echo server used by `hps bench`.
    #[command(hide = true)]
    TokioEcho(tokio_echo::TokioEchoArgs),
    /// HTTP "Hello, world!" servers used by `hps bench` (hpsocket's `HttpServer`, hyper).
    #[command(hide = true)]
    HttpBenchServer(http_bench::HttpBenchServerArgs),
    /// WebSocket echo servers used by `hps bench` (hpsocket's `WsServer`, tokio-tungstenite).
    #[command(hide = true)]
    WsBenchServer(ws_bench::WsBenchServerArgs),
}

#[derive(Clone, Copy, ValueEnum, Debug)]
enum ModelArg {
    /// Bytes as they arrive (on_receive per read).
    Push,
    /// Buffered bytes the application fetches (on_pull_receive + fetch).
    Pull,
    /// Whole packets with HP-Socket's 4-byte header.
    Pack,
}

#[derive(Args, Clone)]
struct ModelOpts {
    /// Receive model.
    #[arg(long, value_enum, default_value = "push")]
    model: ModelArg,
    /// PACK: largest packet body (1..=4194303).
    #[arg(long, default_value_t = DEFAULT_MAX_PACK_SIZE)]
    max_pack_size: u32,
    /// PACK: header flag (0..=1023; 0 = not checked).
    #[arg(long, default_value_t = 0)]
    pack_flag: u16,
}

#[derive(Args)]
struct ServerArgs {
    #[command(flatten)]
    model: ModelOpts,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    addr: String,
    /// Port to listen on (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 5555)]
    port: u16,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    workers: Option<u32>,
    /// Bytes read per read call (default 4096, HP-Socket's).
    #[arg(long)]
    socket_buffer_size: Option<u32>,
    /// Stop after this many seconds (0: run until killed).
    #[arg(long, default_value_t = 0.0)]
    seconds: f64,
    /// Close a connection that sends nothing this many ms after it opened (0: never).
    #[arg(long, default_value_t = hpsocket::config::DEFAULT_FIRST_READ_TIMEOUT)]
    first_read_timeout: u32,
    /// Close a connection that has sent nothing for this many ms (0: never). On by default
    /// here, unlike the library's default: a demo server on a shared port should not keep
    /// abandoned connections forever.
    #[arg(long, default_value_t = 300_000)]
    idle_timeout: u32,
    #[command(flatten)]
    tls: certs::ServerTls,
}

/// Receive limits of a server (`first_read_timeout`, `idle_timeout`); `None`: the library's
/// defaults.
type Limits = Option<(u32, u32)>;

#[derive(Args)]
struct LoadArgs {
    #[command(flatten)]
    model: ModelOpts,
    /// Server address.
    #[arg(long, default_value = "127.0.0.1")]
    addr: String,
    /// Server port.
    #[arg(long, default_value_t = 5555)]
    port: u16,
    /// Connections (agent only).
    #[arg(long, default_value_t = 10)]
    connections: usize,
    /// Messages (round trips) per connection.
    #[arg(long, default_value_t = 100)]
    messages: u64,
    /// Bytes per message.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    #[command(flatten)]
    tls: certs::ClientTls,
}

#[derive(Args)]
struct PfmArgs {
    #[command(flatten)]
    model: ModelOpts,
    /// Server as HOST:PORT; without it, an echo server of the same model is started
    /// in-process on 127.0.0.1.
    #[arg(long)]
    addr: Option<String>,
    /// Concurrent connections.
    #[arg(short = 'c', long, default_value_t = 100)]
    connections: usize,
    /// Round trips per connection (0: run for --seconds).
    #[arg(short = 'r', long, default_value_t = 1000)]
    rounds: u64,
    /// Seconds to run when --rounds is 0.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Bytes per message.
    #[arg(short = 's', long, default_value_t = 64)]
    size: usize,
    /// Milliseconds each connection waits between rounds.
    #[arg(long, default_value_t = 0)]
    interval: u64,
    /// Worker threads of the load generator (default: one per CPU).
    #[arg(long)]
    workers: Option<u32>,
    /// Worker threads of the in-process server.
    #[arg(long, default_value_t = 1)]
    server_workers: u32,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    timeout: f64,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    tls: certs::PfmTls,
}

/// Applies the PACK options where the component is a PACK one.
trait PackCfg {
    fn pack_cfg(&self, _o: &ModelOpts) -> hpsocket::Result<()> {
        Ok(())
    }
}

/// Applies the TLS setup where the component is an SSL one.
trait TlsCfg {
    fn tls_cfg(&self, _p: &Plan) -> Res<()> {
        Ok(())
    }
}

macro_rules! cfg_impls {
    ($($c:ident),*) => {$(
        impl<T: Transport> PackCfg for $c<Push, T> {}
        impl<T: Transport> PackCfg for $c<Pull, T> {}
        impl<T: Transport> PackCfg for $c<Pack, T> {
            fn pack_cfg(&self, o: &ModelOpts) -> hpsocket::Result<()> {
                self.set_max_pack_size(o.max_pack_size)?;
                self.set_pack_header_flag(o.pack_flag)
            }
        }
        impl<M: Model> TlsCfg for $c<M, Plain> {}
    )*};
}
cfg_impls!(Server, Agent, Client);

impl<M: Model> TlsCfg for Server<M, Tls> {
    fn tls_cfg(&self, p: &Plan) -> Res<()> {
        Ok(self.setup_ssl_context(p.server.as_ref().ok_or("no TLS server setup")?)?)
    }
}

impl<M: Model> TlsCfg for Agent<M, Tls> {
    fn tls_cfg(&self, p: &Plan) -> Res<()> {
        Ok(self.setup_ssl_context(p.client.as_ref().ok_or("no TLS client setup")?)?)
    }
}

impl<M: Model> TlsCfg for Client<M, Tls> {
    fn tls_cfg(&self, p: &Plan) -> Res<()> {
        Ok(self.setup_ssl_context(p.client.as_ref().ok_or("no TLS client setup")?)?)
    }
}

fn start_server<M: Model, T: Transport>(
    o: &ModelOpts,
    tls: &Plan,
    addr: &str,
    port: u16,
    workers: Option<u32>,
    buffer: Option<u32>,
    limits: Limits,
) -> Res<Server<M, T>>
where
    EchoServer: ServerListener<Server<M, T>>,
    Server<M, T>: PackCfg + TlsCfg,
{
    let s = Server::<M, T>::new(EchoServer);
    s.tls_cfg(tls)?;
    if let Some(w) = workers {
        s.set_worker_thread_count(w)?;
    }
    if let Some(b) = buffer {
        s.set_socket_buffer_size(b)?;
    }
    if let Some((first_read, idle)) = limits {
        s.set_first_read_timeout(first_read)?;
        s.set_idle_timeout(idle)?;
    }
    s.pack_cfg(o)?;
    s.start(addr, port)?;
    Ok(s)
}

fn server<M: Model, T: Transport>(a: &ServerArgs) -> Res<ExitCode>
where
    EchoServer: ServerListener<Server<M, T>>,
    Server<M, T>: PackCfg + TlsCfg,
{
    let (plan, ca_file) = a.tls.plan()?;
    let s = start_server::<M, T>(
        &a.model,
        &plan,
        &a.addr,
        a.port,
        a.workers,
        a.socket_buffer_size,
        Some((a.first_read_timeout, a.idle_timeout)),
    )?;
    let mut out = format!(
        "hps {:?} echo server{} listening on {}\n",
        a.model.model,
        if a.tls.tls { " (TLS)" } else { "" },
        s.listen_address()?
    );
    if let Some(ca) = &ca_file {
        out += &format!(
            "TLS: throw-away certificate for localhost, 127.0.0.1 and ::1; its CA is {} (clients: --ca {0})\n",
            ca.display()
        );
    }
    announce_and_serve(&out, a.seconds, |t| s.wait(t), || s.stop())
}

/// Prints the server's banner in one write (scripts read the port from its first line; a
/// reader that closes the pipe after it cannot make us fail), then runs until killed or, with
/// `seconds` > 0, for that long and stops.
fn announce_and_serve(
    banner: &str,
    seconds: f64,
    wait: impl Fn(Option<Duration>) -> bool,
    stop: impl FnOnce() -> hpsocket::Result<()>,
) -> Res<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(banner.as_bytes())?;
    stdout.flush()?;
    drop(stdout);
    if seconds > 0.0 {
        wait(Some(Duration::from_secs_f64(seconds)));
        stop()?;
    } else {
        wait(None);
    }
    Ok(ExitCode::SUCCESS)
}

/// Waits until every connection settled or the deadline passes; true when all settled.
fn settle(session: &Session, done: &std::sync::mpsc::Receiver<()>, deadline: Instant) -> bool {
    while session.settled() < session.connections() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || done.recv_timeout(left).is_err() && Instant::now() >= deadline {
            return session.settled() >= session.connections();
        }
    }
    true
}

fn verdict(session: &Session, all: bool) -> ExitCode {
    let errors = session.errors.load(Ordering::Relaxed);
    let early = session.closed_early.load(Ordering::Relaxed);
    if errors > 0 || early > 0 || !all {
        eprintln!(
            "FAILED: {errors} mismatched bytes, {early} connections closed early{}",
            if all { "" } else { ", timed out" }
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn client<M: Model, T: Transport>(a: &LoadArgs) -> Res<ExitCode>
where
    Load: ClientListener<Client<M, T>>,
    Client<M, T>: PackCfg + TlsCfg,
{
    let (session, done) = Session::new(1, a.size, a.messages.max(1), Duration::ZERO);
    let session = Arc::new(session);
    let c = Client::<M, T>::new(Load {
        session: session.clone(),
        later: None,
    });
    c.pack_cfg(&a.model)?;
    c.tls_cfg(&a.tls.plan())?;
    let start = Instant::now();
    c.start(&a.addr, a.port, true)?;
    let all = settle(&session, &done, start + Duration::from_secs_f64(a.timeout));
    let secs = start.elapsed().as_secs_f64();
    let _ = c.stop();
    println!(
        "{} messages × {} B echoed in {:.3} s; {} bytes verified, {} errors",
        session.msgs.load(Ordering::Relaxed),
        a.size,
        secs,
        session.bytes_verified.load(Ordering::Relaxed),
        session.errors.load(Ordering::Relaxed)
    );
    Ok(verdict(&session, all))
}

#[allow(clippy::too_many_arguments)]
fn start_load<M: Model, T: Transport>(
    o: &ModelOpts,
    tls: &Plan,
    host: &str,
    port: u16,
    connections: usize,
    session: Arc<Session>,
    workers: Option<u32>,
) -> Res<Agent<M, T>>
where
    Load: AgentListener<Agent<M, T>>,
    Agent<M, T>: PackCfg + TlsCfg,
{
    let later = (!session.interval.is_zero()).then(scheduler);
    let agent = Agent::<M, T>::new(Load { session, later });
    agent.tls_cfg(tls)?;
    if let Some(w) = workers {
        agent.set_worker_thread_count(w)?;
    }
    agent.set_max_connection_count((connections as u32).max(1))?;
    agent.pack_cfg(o)?;
    agent.start(None, true)?;
    for _ in 0..connections {
        agent.connect(host, port)?;
    }
    Ok(agent)
}

fn agent<M: Model, T: Transport>(a: &LoadArgs) -> Res<ExitCode>
where
    Load: AgentListener<Agent<M, T>>,
    Agent<M, T>: PackCfg + TlsCfg,
{
    let (session, done) = Session::new(a.connections, a.size, a.messages.max(1), Duration::ZERO);
    let session = Arc::new(session);
    let start = Instant::now();
    let ag = start_load::<M, T>(
        &a.model,
        &a.tls.plan(),
        &a.addr,
        a.port,
        a.connections,
        session.clone(),
        None,
    )?;
    let all = settle(&session, &done, start + Duration::from_secs_f64(a.timeout));
    let secs = start.elapsed().as_secs_f64();
    let _ = ag.stop();
    println!(
        "{} connections: {} messages × {} B echoed in {:.3} s; {} bytes verified, {} errors",
        a.connections,
        session.msgs.load(Ordering::Relaxed),
        a.size,
        secs,
        session.bytes_verified.load(Ordering::Relaxed),
        session.errors.load(Ordering::Relaxed)
    );
    Ok(verdict(&session, all))
}

fn pfm<M: Model, T: Transport>(a: &PfmArgs) -> Res<ExitCode>
where
    EchoServer: ServerListener<Server<M, T>>,
    Server<M, T>: PackCfg + TlsCfg,
    Load: AgentListener<Agent<M, T>>,
    Agent<M, T>: PackCfg + TlsCfg,
{
    if a.connections == 0 || a.size == 0 {
        return Err("--connections and --size must be at least 1".into());
    }
    let plan = a.tls.plan(a.addr.is_none())?;
    let mut server = None;
    let (host, port) = match &a.addr {
        Some(hp) => {
            let (h, p) = hp.rsplit_once(':').ok_or("--addr must be HOST:PORT")?;
            (h.trim_matches(['[', ']']).to_string(), p.parse::<u16>()?)
        }
        None => {
            let s = start_server::<M, T>(
                &a.model,
                &plan,
                "127.0.0.1",
                0,
                Some(a.server_workers),
                None,
                None,
            )?;
            let port = s.listen_address()?.port();
            server = Some(s);
            ("127.0.0.1".to_string(), port)
        }
    };
    let (session, done) = Session::new(
        a.connections,
        a.size,
        a.rounds,
        Duration::from_millis(a.interval),
    );
    let session = Arc::new(session);
    println!(
        "hps pfm: {:?}{}, {} connections × {} × {} B against {host}:{port}{}",
        a.model.model,
        if a.tls.tls { " over TLS" } else { "" },
        a.connections,
        if a.rounds == 0 {
            format!("{} s", a.seconds)
        } else {
            format!("{} rounds", a.rounds)
        },
        a.size,
        if server.is_some() {
            " (in-process server)"
        } else {
            ""
        }
    );
    let bar = if a.quiet {
        indicatif::ProgressBar::hidden()
    } else if a.rounds > 0 {
        indicatif::ProgressBar::new(a.connections as u64 * a.rounds)
    } else {
        indicatif::ProgressBar::new((a.seconds * 10.0) as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
        )
        .expect("valid template"),
    );
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(a.timeout);
    let agent = start_load::<M, T>(
        &a.model,
        &plan,
        &host,
        port,
        a.connections,
        session.clone(),
        a.workers,
    )?;
    let mut stopped_clock = false;
    while session.settled() < a.connections && Instant::now() < deadline {
        let _ = done.recv_timeout(Duration::from_millis(100));
        let msgs = session.msgs.load(Ordering::Relaxed);
        if a.rounds > 0 {
            bar.set_position(msgs);
        } else {
            bar.set_position((start.elapsed().as_secs_f64() * 10.0) as u64);
            if !stopped_clock && start.elapsed().as_secs_f64() >= a.seconds {
                session.running.store(false, Ordering::Relaxed);
                stopped_clock = true;
            }
        }
        bar.set_message(format!("{msgs} msgs"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let all = session.settled() >= a.connections
        && session.finished.load(Ordering::Relaxed) == a.connections;
    agent.stop()?;
    if let Some(s) = server {
        s.stop()?;
    }
    let msgs = session.msgs.load(Ordering::Relaxed);
    let h = &session.latency;
    println!("| connections | size | total time | msgs/s | MB/s (each way) | p50 RTT | p99 RTT | max RTT | errors | bytes verified |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} B | {:.3} s | {:.0} | {:.2} | {} µs | {} µs | {} µs | {} | {} |",
        a.connections,
        a.size,
        elapsed,
        msgs as f64 / elapsed,
        msgs as f64 * a.size as f64 / elapsed / 1e6,
        h.quantile(0.5),
        h.quantile(0.99),
        h.max(),
        session.errors.load(Ordering::Relaxed),
        session.bytes_verified.load(Ordering::Relaxed),
    );
    Ok(verdict(&session, all))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_log = if matches!(
        cli.cmd,
        Command::Pfm(_)
            | Command::Bench(_)
            | Command::Loadgen(_)
            | Command::TokioEcho(_)
            | Command::HttpBenchServer(_)
            | Command::WsBenchServer(_)
    ) {
        "warn"
    } else {
        "info"
    };
    let filter = cli
        .log
        .clone()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| default_log.to_string());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    // Every (model, transport) pair is its own component type, chosen here once.
    macro_rules! pick {
        ($f:ident, $a:expr, $tls:expr) => {
            match ($a.model.model, $tls) {
                (ModelArg::Push, false) => $f::<Push, Plain>($a),
                (ModelArg::Pull, false) => $f::<Pull, Plain>($a),
                (ModelArg::Pack, false) => $f::<Pack, Plain>($a),
                (ModelArg::Push, true) => $f::<Push, Tls>($a),
                (ModelArg::Pull, true) => $f::<Pull, Tls>($a),
                (ModelArg::Pack, true) => $f::<Pack, Tls>($a),
            }
        };
    }
    let r = match &cli.cmd {
        Command::Server(a) => pick!(server, a, a.tls.tls),
        Command::Client(a) => pick!(client, a, a.tls.tls),
        Command::Agent(a) => pick!(agent, a, a.tls.tls),
        Command::Pfm(a) => pick!(pfm, a, a.tls.tls),
        Command::UdpServer(a) => udp::server(a),
        Command::UdpClient(a) => udp::client(a),
        Command::UdpCast(a) => udp::cast(a),
        Command::HttpServer(a) => http::server(a),
        Command::HttpClient(a) => http::client(a),
        Command::Bench(a) => bench::run(a).map(|_| ExitCode::SUCCESS),
        Command::Loadgen(a) => loadgen::run(a).map_err(Into::into).map(|r| {
            if let Some(t) = &r.tls {
                println!("TLS {t}");
            }
            println!(
                "RESULT {} {} {:.6} {} {:.6}",
                r.msgs, r.bytes, r.secs, r.errors, r.cpu
            );
            if r.errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }),
        Command::TokioEcho(a) => tokio_echo::run(a).map(|_| ExitCode::SUCCESS),
        Command::HttpBenchServer(a) => http_bench::run(a),
        Command::WsServer(a) => ws::server(a),
        Command::WsClient(a) => ws::client(a),
        Command::WsBenchServer(a) => ws_bench::run(a),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hps: error: {e}");
            ExitCode::from(2)
        }
    }
}
