//! The main demo: an echo server, an agent and clients in one process, then a short
//! performance test, every echoed byte verified.
//!
//! ```text
//! cargo run --release --example demo -- [CONNECTIONS] [SIZE] [SECONDS]
//! ```
//! Defaults: 100 connections (half clients, half agent connections), 64 bytes, 3 seconds.

use hpsocket::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hpsocket::{
    AgentListener, ClientListener, ConnId, HandleResult, ServerListener, TcpAgent, TcpClient,
    TcpServer,
};
use parking_lot::Mutex;

struct Echo;
impl ServerListener for Echo {
    fn on_receive(&self, s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
        if s.send(id, data).is_ok() {
            HandleResult::Ok
        } else {
            HandleResult::Error
        }
    }
    fn wants_send_events(&self) -> bool {
        false
    }
}

/// Ping-pong state shared by the client and agent listeners: each connection keeps one
/// message in flight, checks the echo byte for byte and sends the next.
struct PingPong {
    size: usize,
    running: AtomicBool,
    msgs: AtomicU64,
    errors: AtomicU64,
    partial: Mutex<std::collections::HashMap<ConnId, usize>>,
}

impl PingPong {
    fn message(&self, id: ConnId) -> Vec<u8> {
        (0..self.size).map(|k| (id.get() + k) as u8).collect()
    }

    /// Returns true when a whole echo arrived and the next message should go out.
    fn on_bytes(&self, id: ConnId, data: &[u8]) -> bool {
        let mut partial = self.partial.lock();
        let got = partial.entry(id).or_default();
        let expect = self.message(id);
        for (i, b) in data.iter().enumerate() {
            if expect[(*got + i) % self.size] != *b {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        *got += data.len();
        if *got >= self.size {
            *got -= self.size;
            self.msgs.fetch_add(1, Ordering::Relaxed);
            return self.running.load(Ordering::Relaxed);
        }
        false
    }
}

struct ClientSide(Arc<PingPong>);
impl ClientListener for ClientSide {
    fn on_handshake(&self, c: &TcpClient, id: ConnId) -> HandleResult {
        let _ = c.send(&self.0.message(id));
        HandleResult::Ok
    }
    fn on_receive(&self, c: &TcpClient, id: ConnId, data: &[u8]) -> HandleResult {
        if self.0.on_bytes(id, data) {
            let _ = c.send(&self.0.message(id));
        }
        HandleResult::Ok
    }
    fn wants_send_events(&self) -> bool {
        false
    }
}

struct AgentSide(Arc<PingPong>);
impl AgentListener for AgentSide {
    fn on_handshake(&self, a: &TcpAgent, id: ConnId) -> HandleResult {
        let _ = a.send(id, &self.0.message(id));
        HandleResult::Ok
    }
    fn on_receive(&self, a: &TcpAgent, id: ConnId, data: &[u8]) -> HandleResult {
        if self.0.on_bytes(id, data) {
            let _ = a.send(id, &self.0.message(id));
        }
        HandleResult::Ok
    }
    fn wants_send_events(&self) -> bool {
        false
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let conns: usize = args
        .first()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100)
        .max(2);
    let size: usize = args
        .get(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(64)
        .max(1);
    let seconds: f64 = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(3.0);

    let server = TcpServer::new(Echo);
    server.set_worker_thread_count(1)?;
    server.start("127.0.0.1", 0)?;
    let port = server.listen_address()?.port();
    println!("echo server on 127.0.0.1:{port}");

    let pp = Arc::new(PingPong {
        size,
        running: AtomicBool::new(true),
        msgs: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        partial: Mutex::new(Default::default()),
    });
    let clients: Vec<TcpClient> = (0..conns / 2)
        .map(|_| {
            let c = TcpClient::new(ClientSide(pp.clone()));
            c.start("127.0.0.1", port, true).map(|_| c)
        })
        .collect::<Result<_, _>>()?;
    let agent = TcpAgent::new(AgentSide(pp.clone()));
    agent.set_worker_thread_count(1)?;
    agent.start(None, true)?;
    for _ in 0..conns - conns / 2 {
        agent.connect("127.0.0.1", port)?;
    }
    println!(
        "{} clients + {} agent connections, {size}-byte ping-pong for {seconds} s …",
        conns / 2,
        conns - conns / 2
    );
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let msgs = pp.msgs.load(Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    pp.running.store(false, Ordering::Relaxed);
    for c in &clients {
        c.stop()?;
    }
    agent.stop()?;
    server.stop()?;
    let errors = pp.errors.load(Ordering::Relaxed);
    println!(
        "| connections | size | round trips | round trips/s | MB/s (both ways) | byte errors |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {conns} | {size} B | {msgs} | {:.0} | {:.1} | {errors} |",
        msgs as f64 / elapsed,
        2.0 * (msgs as f64 * size as f64) / elapsed / 1e6
    );
    if errors > 0 {
        return Err(format!("{errors} echoed bytes differed from the bytes sent").into());
    }
    Ok(())
}
