//! Echo agent: opens many connections from one agent to an echo server, sends a message on
//! each and checks every echoed byte.
//!
//! ```text
//! cargo run --example echo_agent -- [ADDR] [PORT] [CONNECTIONS] [SIZE]
//! ```
//! Defaults: 127.0.0.1, 5555, 100 connections, 4096 bytes each.

use hpsocket::prelude::*;
use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hpsocket::{AgentListener, ConnId, HandleResult, SocketOperation, TcpAgent};
use parking_lot::Mutex;

fn payload(id: ConnId, size: usize) -> Vec<u8> {
    (0..size).map(|k| (id.get() * 7 + k) as u8).collect()
}

struct Checker {
    size: usize,
    received: Mutex<HashMap<ConnId, Vec<u8>>>,
    done: mpsc::Sender<(ConnId, bool)>,
}

impl AgentListener for Checker {
    fn on_connect(&self, agent: &TcpAgent, id: ConnId) -> HandleResult {
        match agent.send(id, &payload(id, self.size)) {
            Ok(()) => HandleResult::Ok,
            Err(_) => HandleResult::Error,
        }
    }

    fn on_receive(&self, _a: &TcpAgent, id: ConnId, data: &[u8]) -> HandleResult {
        let mut all = self.received.lock();
        let got = all.entry(id).or_default();
        got.extend_from_slice(data);
        if got.len() >= self.size {
            let ok = *got == payload(id, self.size);
            let _ = self.done.send((id, ok));
        }
        HandleResult::Ok
    }

    fn on_close(&self, _a: &TcpAgent, id: ConnId, op: SocketOperation, error: i32) -> HandleResult {
        if op != SocketOperation::Close {
            eprintln!("[{id}] closed: {op:?}, error {error}");
            let _ = self.done.send((id, false));
        }
        HandleResult::Ok
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .map(String::as_str)
        .unwrap_or("127.0.0.1")
        .to_string();
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).unwrap_or(5555);
    let conns: usize = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(100);
    let size: usize = args
        .get(3)
        .and_then(|p| p.parse().ok())
        .unwrap_or(4096)
        .max(1);

    let (tx, rx) = mpsc::channel();
    let agent = TcpAgent::new(Checker {
        size,
        received: Mutex::new(HashMap::new()),
        done: tx,
    });
    agent.start(None, true)?;
    let start = Instant::now();
    for _ in 0..conns {
        agent.connect(&addr, port)?;
    }
    let mut ok = 0;
    for _ in 0..conns {
        let (id, good) = rx.recv_timeout(Duration::from_secs(10))?;
        if !good {
            return Err(format!("connection {id}: echo mismatch or early close").into());
        }
        ok += 1;
    }
    println!(
        "{ok} connections × {size} B echoed and verified in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    agent.stop()?;
    Ok(())
}
