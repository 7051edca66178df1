//! Echo server under test: `--impl hps` (hpsocket's `TcpServer`, one worker thread),
//! `--impl hps-pack` (hpsocket's `TcpPackServer`, one worker thread, header flag 0: echoes
//! every packet) or `--impl tokio` (a plain tokio echo server on a current-thread runtime).
//! All read with a buffer of `--buf` bytes. Prints `READY <port>` once listening, then serves
//! until killed.

use std::io::{self, Write};

use clap::{Parser, ValueEnum};
use hpsocket::{ConnId, HandleResult, ServerListener, TcpPackServer, TcpServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Impl {
    /// hpsocket's TcpServer (1 worker thread).
    Hps,
    /// hpsocket's TcpPackServer (1 worker thread, header flag 0), echoing whole packets.
    HpsPack,
    /// tokio, current-thread runtime, one task per connection.
    Tokio,
}

#[derive(Parser, Debug)]
#[command(about = "Echo server for the hps-bench comparison")]
struct Args {
    /// Which server to run.
    #[arg(long = "impl", value_enum)]
    imp: Impl,
    /// Port on 127.0.0.1 (0: the kernel picks; read it from the READY line).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Read buffer size in bytes (the same for both servers).
    #[arg(long, default_value_t = 16384)]
    buf: u32,
    /// `hps-pack`: largest packet body accepted (HP-Socket's `MaxPackSize`).
    #[arg(long, default_value_t = 262144)]
    max_pack: u32,
    /// Set TCP_NODELAY on accepted connections (both servers default to off).
    #[arg(long)]
    nodelay: bool,
}

fn ready(port: u16) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "READY {port}")?;
    out.flush()
}

struct Echo;

impl ServerListener for Echo {
    fn on_receive(&self, s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
        if s.send(id, data).is_err() {
            HandleResult::Error
        } else {
            HandleResult::Ok
        }
    }

    fn wants_send_events(&self) -> bool {
        false
    }
}

impl ServerListener<TcpPackServer> for Echo {
    fn on_receive(&self, s: &TcpPackServer, id: ConnId, data: &[u8]) -> HandleResult {
        // `data` is one whole packet body; `send` frames it again with the server's header.
        if s.send(id, data).is_err() {
            HandleResult::Error
        } else {
            HandleResult::Ok
        }
    }

    fn wants_send_events(&self) -> bool {
        false
    }
}

fn run_hps_pack(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let server = TcpPackServer::new(Echo);
    server.set_worker_thread_count(1)?;
    server.set_socket_buffer_size(args.buf)?;
    server.set_no_delay(args.nodelay)?;
    server.set_max_pack_size(args.max_pack)?;
    server.set_pack_header_flag(0)?;
    server.start("127.0.0.1", args.port)?;
    ready(server.listen_address()?.port())?;
    server.wait(None);
    Ok(())
}

fn run_hps(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let server = TcpServer::new(Echo);
    server.set_worker_thread_count(1)?;
    server.set_socket_buffer_size(args.buf)?;
    server.set_no_delay(args.nodelay)?;
    server.start("127.0.0.1", args.port)?;
    ready(server.listen_address()?.port())?;
    server.wait(None);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn run_tokio(args: &Args) -> io::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    ready(listener.local_addr()?.port())?;
    let buf_size = args.buf as usize;
    let nodelay = args.nodelay;
    loop {
        let (mut stream, _) = listener.accept().await?;
        if nodelay {
            stream.set_nodelay(true)?;
        }
        tokio::spawn(async move {
            let mut buf = vec![0u8; buf_size];
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    match args.imp {
        Impl::Hps => run_hps(&args),
        Impl::HpsPack => run_hps_pack(&args),
        Impl::Tokio => Ok(run_tokio(&args)?),
    }
}
