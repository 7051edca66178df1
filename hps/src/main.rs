//! `hps`: hpsocket's command-line tool — echo demos for every component and the
//! performance test.

mod bench;
mod listeners;
mod loadgen;
mod session;
mod tokio_echo;

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use hpsocket::*;

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
    /// Side-by-side benchmark: hpsocket vs a tokio echo server vs the original HP-Socket
    /// 5.2.1, each in its own process; writes docs/BENCHMARKS.md and an SVG chart.
    Bench(bench::BenchArgs),
    /// Load generator used by `hps bench` (one thread, verifies every byte).
    #[command(hide = true)]
    Loadgen(loadgen::LoadgenArgs),
    /// tokio echo server used by `hps bench`.
    #[command(hide = true)]
    TokioEcho {
        #[arg(long, default_value_t = 0)]
        port: u16,
        #[arg(long, default_value_t = 16384)]
        buf: usize,
    },
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
}

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
}

/// Applies the PACK options where the component is a PACK one.
trait PackCfg {
    fn pack_cfg(&self, _o: &ModelOpts) -> hpsocket::Result<()> {
        Ok(())
    }
}
macro_rules! no_pack {
    ($($t:ty),*) => { $(impl PackCfg for $t {})* };
}
no_pack!(
    TcpServer,
    TcpPullServer,
    TcpAgent,
    TcpPullAgent,
    TcpClient,
    TcpPullClient
);
macro_rules! pack {
    ($($t:ty),*) => {$(
        impl PackCfg for $t {
            fn pack_cfg(&self, o: &ModelOpts) -> hpsocket::Result<()> {
                self.set_max_pack_size(o.max_pack_size)?;
                self.set_pack_header_flag(o.pack_flag)
            }
        }
    )*};
}
pack!(TcpPackServer, TcpPackAgent, TcpPackClient);

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn start_server<M: Model>(
    o: &ModelOpts,
    addr: &str,
    port: u16,
    workers: Option<u32>,
    buffer: Option<u32>,
) -> Res<Server<M>>
where
    EchoServer: ServerListener<Server<M>>,
    Server<M>: PackCfg,
{
    let s = Server::<M>::new(EchoServer);
    if let Some(w) = workers {
        s.set_worker_thread_count(w)?;
    }
    if let Some(b) = buffer {
        s.set_socket_buffer_size(b)?;
    }
    s.pack_cfg(o)?;
    s.start(addr, port)?;
    Ok(s)
}

fn server<M: Model>(a: &ServerArgs) -> Res<ExitCode>
where
    EchoServer: ServerListener<Server<M>>,
    Server<M>: PackCfg,
{
    let s = start_server::<M>(&a.model, &a.addr, a.port, a.workers, a.socket_buffer_size)?;
    println!(
        "hps {:?} echo server listening on {}",
        a.model.model,
        s.listen_address()?
    );
    std::io::stdout().flush()?;
    if a.seconds > 0.0 {
        s.wait(Some(Duration::from_secs_f64(a.seconds)));
        s.stop()?;
    } else {
        s.wait(None);
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

fn client<M: Model>(a: &LoadArgs) -> Res<ExitCode>
where
    Load: ClientListener<Client<M>>,
    Client<M>: PackCfg,
{
    let (session, done) = Session::new(1, a.size, a.messages.max(1), Duration::ZERO);
    let session = Arc::new(session);
    let c = Client::<M>::new(Load {
        session: session.clone(),
        later: None,
    });
    c.pack_cfg(&a.model)?;
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

fn start_load<M: Model>(
    o: &ModelOpts,
    host: &str,
    port: u16,
    connections: usize,
    session: Arc<Session>,
    workers: Option<u32>,
) -> Res<Agent<M>>
where
    Load: AgentListener<Agent<M>>,
    Agent<M>: PackCfg,
{
    let later = (!session.interval.is_zero()).then(scheduler);
    let agent = Agent::<M>::new(Load { session, later });
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

fn agent<M: Model>(a: &LoadArgs) -> Res<ExitCode>
where
    Load: AgentListener<Agent<M>>,
    Agent<M>: PackCfg,
{
    let (session, done) = Session::new(a.connections, a.size, a.messages.max(1), Duration::ZERO);
    let session = Arc::new(session);
    let start = Instant::now();
    let ag = start_load::<M>(
        &a.model,
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

fn pfm<M: Model>(a: &PfmArgs) -> Res<ExitCode>
where
    EchoServer: ServerListener<Server<M>>,
    Server<M>: PackCfg,
    Load: AgentListener<Agent<M>>,
    Agent<M>: PackCfg,
{
    if a.connections == 0 || a.size == 0 {
        return Err("--connections and --size must be at least 1".into());
    }
    let mut server = None;
    let (host, port) = match &a.addr {
        Some(hp) => {
            let (h, p) = hp.rsplit_once(':').ok_or("--addr must be HOST:PORT")?;
            (h.trim_matches(['[', ']']).to_string(), p.parse::<u16>()?)
        }
        None => {
            let s = start_server::<M>(&a.model, "127.0.0.1", 0, Some(a.server_workers), None)?;
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
        "hps pfm: {:?}, {} connections × {} × {} B against {host}:{port}{}",
        a.model.model,
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
    let agent = start_load::<M>(
        &a.model,
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
        Command::Pfm(_) | Command::Bench(_) | Command::Loadgen(_) | Command::TokioEcho { .. }
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
    let r = match &cli.cmd {
        Command::Server(a) => match a.model.model {
            ModelArg::Push => server::<Push>(a),
            ModelArg::Pull => server::<Pull>(a),
            ModelArg::Pack => server::<Pack>(a),
        },
        Command::Client(a) => match a.model.model {
            ModelArg::Push => client::<Push>(a),
            ModelArg::Pull => client::<Pull>(a),
            ModelArg::Pack => client::<Pack>(a),
        },
        Command::Agent(a) => match a.model.model {
            ModelArg::Push => agent::<Push>(a),
            ModelArg::Pull => agent::<Pull>(a),
            ModelArg::Pack => agent::<Pack>(a),
        },
        Command::Pfm(a) => match a.model.model {
            ModelArg::Push => pfm::<Push>(a),
            ModelArg::Pull => pfm::<Pull>(a),
            ModelArg::Pack => pfm::<Pack>(a),
        },
        Command::Bench(a) => bench::run(a).map(|_| ExitCode::SUCCESS),
        Command::Loadgen(a) => loadgen::run(a).map_err(Into::into).map(|r| {
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
        Command::TokioEcho { port, buf } => tokio_echo::run(*port, *buf)
            .map_err(Into::into)
            .map(|_| ExitCode::SUCCESS),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hps: error: {e}");
            ExitCode::from(2)
        }
    }
}
