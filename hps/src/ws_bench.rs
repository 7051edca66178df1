//! The WebSocket echo servers of `hps bench` (hidden subcommand `hps ws-bench-server`): every
//! message goes back with its type. `--impl hpsocket` is our `WsServer` (1 worker);
//! `--impl tungstenite` a tokio-tungstenite server on a current-thread tokio runtime (a task
//! per connection), the reference peer. Both print `READY <port>` and run until killed or
//! stdin closes.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use hpsocket::*;

use crate::certs::Res;
use crate::http_bench::{ready, wait_stdin};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Impl {
    /// hpsocket's `WsServer`.
    Hpsocket,
    /// tokio-tungstenite on a current-thread tokio runtime.
    Tungstenite,
}

#[derive(Args, Debug)]
pub struct WsBenchServerArgs {
    #[arg(long = "impl", value_enum, default_value_t = Impl::Hpsocket)]
    pub imp: Impl,
    /// Port on 127.0.0.1 (0: any free port; printed as `READY <port>`).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// hpsocket: worker threads.
    #[arg(long, default_value_t = 1)]
    pub workers: u32,
    /// Bytes read per read call (tungstenite: its `read_buffer_size`, which it zero-fills
    /// before every read).
    #[arg(long, default_value_t = 16384)]
    pub buf: u32,
}

/// Echoes every message.
struct Echo;

impl ServerListener<WsServer> for Echo {
    fn on_ws_message(&self, s: &WsServer, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        let sent = match msg {
            WsMessage::Text(t) => s.send_text(id, t),
            WsMessage::Binary(b) => s.send_binary(id, b),
        };
        if sent.is_ok() {
            HandleResult::Ok
        } else {
            HandleResult::Error
        }
    }

    fn wants_send_events(&self) -> bool {
        false
    }
}

fn hpsocket_server(a: &WsBenchServerArgs) -> Res<ExitCode> {
    let s = WsServer::new(Echo);
    s.set_worker_thread_count(a.workers)?;
    s.set_socket_buffer_size(a.buf)?;
    s.start("127.0.0.1", a.port)?;
    ready(s.listen_address()?.port())?;
    wait_stdin();
    s.stop()?;
    Ok(ExitCode::SUCCESS)
}

async fn tungstenite_echo(stream: tokio::net::TcpStream, buf: usize) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
    use tokio_tungstenite::tungstenite::Message;
    // The default read buffer is 128 KiB, zero-filled before each read: the same 16 KiB
    // as the other peers instead.
    let config = WebSocketConfig::default().read_buffer_size(buf);
    let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    while let Some(Ok(m)) = ws.next().await {
        // Pings are answered and closes echoed by tungstenite itself.
        if matches!(m, Message::Text(_) | Message::Binary(_)) && ws.send(m).await.is_err() {
            return;
        }
    }
}

fn tungstenite_server(a: &WsBenchServerArgs) -> Res<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let (port, buf) = (a.port, a.buf as usize);
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        ready(listener.local_addr()?.port())?;
        std::thread::spawn(|| {
            wait_stdin();
            std::process::exit(0)
        });
        loop {
            let (s, _) = listener.accept().await?;
            tokio::spawn(tungstenite_echo(s, buf));
        }
    })
}

pub fn run(a: &WsBenchServerArgs) -> Res<ExitCode> {
    match a.imp {
        Impl::Hpsocket => hpsocket_server(a),
        Impl::Tungstenite => tungstenite_server(a),
    }
}
