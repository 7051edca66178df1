//! The HTTP servers of `hps bench` (hidden subcommand `hps http-bench-server`): every request
//! is answered `200 OK` with `Content-Type: text/plain` and the 13-byte body
//! `Hello, world!`, keep-alive on. `--impl hpsocket` is our `HttpServer`; `--impl hyper` a
//! hyper 1.x HTTP/1.1 server on a current-thread tokio runtime (the reference peer the issue
//! names). Both print `READY <port>` and run until killed or stdin closes.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use hpsocket::*;

use crate::certs::Res;

/// The body every bench server answers with.
pub const BODY: &[u8] = b"Hello, world!";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Impl {
    /// hpsocket's `HttpServer`.
    Hpsocket,
    /// hyper 1.x (http1, keep-alive) on a current-thread tokio runtime.
    Hyper,
}

#[derive(Args, Debug)]
pub struct HttpBenchServerArgs {
    #[arg(long = "impl", value_enum, default_value_t = Impl::Hpsocket)]
    pub imp: Impl,
    /// Port on 127.0.0.1 (0: any free port; printed as `READY <port>`).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// hpsocket: worker threads.
    #[arg(long, default_value_t = 1)]
    pub workers: u32,
    /// hpsocket: bytes read per read call.
    #[arg(long, default_value_t = 16384)]
    pub buf: u32,
}

/// Answers every complete request with the fixed response.
struct Hello;

impl ServerListener<HttpServer> for Hello {
    fn on_message_complete(&self, s: &HttpServer, id: ConnId, _m: &HttpMessage) -> ParseResult {
        match s.send_response(id, 200, None, &[("Content-Type", "text/plain")], BODY) {
            Ok(()) => ParseResult::Ok,
            Err(_) => ParseResult::Error,
        }
    }

    fn wants_send_events(&self) -> bool {
        false
    }
}

pub(crate) fn ready(port: u16) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY {port}")?;
    out.flush()
}

/// Blocks until stdin reaches end-of-file (the bench kills us anyway).
pub(crate) fn wait_stdin() {
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
}

fn hpsocket_server(a: &HttpBenchServerArgs) -> Res<ExitCode> {
    let s = HttpServer::new(Hello);
    s.set_worker_thread_count(a.workers)?;
    s.set_socket_buffer_size(a.buf)?;
    s.start("127.0.0.1", a.port)?;
    ready(s.listen_address()?.port())?;
    wait_stdin();
    s.stop()?;
    Ok(ExitCode::SUCCESS)
}

fn hyper_server(a: &HttpBenchServerArgs) -> Res<ExitCode> {
    use http_body_util::Full;
    use hyper::body::Bytes;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::{Request, Response};
    use hyper_util::rt::TokioIo;

    async fn hello(
        _req: Request<hyper::body::Incoming>,
    ) -> std::result::Result<Response<Full<Bytes>>, std::convert::Infallible> {
        Ok(Response::builder()
            .header("Content-Type", "text/plain")
            .body(Full::new(Bytes::from_static(BODY)))
            .expect("a valid response"))
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let port = a.port;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        ready(listener.local_addr()?.port())?;
        std::thread::spawn(|| {
            wait_stdin();
            std::process::exit(0)
        });
        loop {
            let (s, _) = listener.accept().await?;
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(s), service_fn(hello))
                    .await;
            });
        }
    })
}

pub fn run(a: &HttpBenchServerArgs) -> Res<ExitCode> {
    match a.imp {
        Impl::Hpsocket => hpsocket_server(a),
        Impl::Hyper => hyper_server(a),
    }
}
