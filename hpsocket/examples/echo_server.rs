//! Echo server: sends every received byte back.
//!
//! ```text
//! cargo run --example echo_server -- [ADDR] [PORT] [SECONDS]
//! ```
//! Defaults: 127.0.0.1, 5555, run until killed (SECONDS = 0).

use hpsocket::prelude::*;
use std::time::Duration;

use hpsocket::{ConnId, HandleResult, ServerListener, SockRef, SocketOperation, TcpServer};

struct Echo;

impl ServerListener for Echo {
    fn on_accept(&self, s: &TcpServer, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        println!("[{id}] accepted from {:?}", s.remote_address(id).ok());
        HandleResult::Ok
    }

    fn on_receive(&self, s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
        match s.send(id, data) {
            Ok(()) => HandleResult::Ok,
            Err(e) => {
                eprintln!("[{id}] send failed: {e}");
                HandleResult::Error
            }
        }
    }

    fn on_close(
        &self,
        _s: &TcpServer,
        id: ConnId,
        op: SocketOperation,
        error: i32,
    ) -> HandleResult {
        println!("[{id}] closed ({op:?}, error {error})");
        HandleResult::Ok
    }

    fn on_shutdown(&self, _s: &TcpServer) -> HandleResult {
        println!("server stopped");
        HandleResult::Ok
    }

    fn wants_send_events(&self) -> bool {
        false
    }
}

fn main() -> Result<(), hpsocket::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args.first().map(String::as_str).unwrap_or("127.0.0.1");
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(5555);
    let seconds: u64 = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let server = TcpServer::new(Echo);
    server.start(addr, port)?;
    println!("echo server listening on {}", server.listen_address()?);
    if seconds == 0 {
        server.wait(None);
    } else {
        std::thread::sleep(Duration::from_secs(seconds));
        server.stop()?;
    }
    Ok(())
}
