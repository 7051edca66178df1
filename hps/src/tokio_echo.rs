//! The tokio peer of `hps bench`: a plain tokio echo server on one thread (current-thread
//! runtime, one task per connection), reading with the same buffer size as ours; with `--tls`
//! the same over tokio-rustls, with the rustls configuration our SSL server builds from the
//! same certificate, so both negotiate the same protocol and cipher suite.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use hpsocket::tls::{Pem, TlsServerSetup};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Args, Debug)]
pub struct TokioEchoArgs {
    /// Port on 127.0.0.1 (0: any free port; printed as `READY <port>`).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Bytes read per read call.
    #[arg(long, default_value_t = 16384)]
    pub buf: usize,
    /// Echo over TLS (tokio-rustls) with --cert and --key.
    #[arg(long, requires_all = ["cert", "key"])]
    pub tls: bool,
    /// TLS certificate chain (PEM file).
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// TLS private key (PEM file).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Echo datagrams on one tokio UdpSocket instead (recv_from / send_to).
    #[arg(long, conflicts_with = "tls")]
    pub udp: bool,
}

/// The UDP peer: one socket, every datagram back to its sender.
async fn udp_echo(port: u16, buf: usize) -> std::io::Result<()> {
    let sock = tokio::net::UdpSocket::bind(("127.0.0.1", port)).await?;
    println!("READY {}", sock.local_addr()?.port());
    std::io::stdout().flush()?;
    let mut b = vec![0u8; buf.max(65536)];
    loop {
        let (n, from) = sock.recv_from(&mut b).await?;
        // A full send buffer drops the echo, as ours does.
        let _ = sock.send_to(&b[..n], from).await;
    }
}

async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, buf: usize) {
    let mut b = vec![0u8; buf];
    loop {
        let n = match s.read(&mut b).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // flush: tokio-rustls may keep encrypted bytes buffered until asked to write them.
        if s.write_all(&b[..n]).await.is_err() || s.flush().await.is_err() {
            return;
        }
    }
}

pub fn run(a: &TokioEchoArgs) -> Result<(), Box<dyn std::error::Error>> {
    let acceptor = match (a.tls, &a.cert, &a.key) {
        (true, Some(c), Some(k)) => {
            let cfg = TlsServerSetup::new(Pem::File(c.clone()), Pem::File(k.clone())).build()?;
            Some(tokio_rustls::TlsAcceptor::from(Arc::clone(&cfg)))
        }
        _ => None,
    };
    let buf = a.buf;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    if a.udp {
        return Ok(rt.block_on(udp_echo(a.port, buf))?);
    }
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", a.port)).await?;
        println!("READY {}", listener.local_addr()?.port());
        std::io::stdout().flush()?;
        loop {
            let (s, _) = listener.accept().await?;
            match &acceptor {
                None => {
                    tokio::spawn(echo(s, buf));
                }
                Some(acc) => {
                    let acc = acc.clone();
                    tokio::spawn(async move {
                        if let Ok(tls) = acc.accept(s).await {
                            echo(tls, buf).await;
                        }
                    });
                }
            }
        }
    })
}
