//! Echo client: sends numbered messages to an echo server and checks every byte that comes
//! back.
//!
//! ```text
//! cargo run --example echo_client -- [ADDR] [PORT] [MESSAGES] [SIZE]
//! ```
//! Defaults: 127.0.0.1, 5555, 1000 messages of 64 bytes.

use hpsocket::prelude::*;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use hpsocket::{ClientListener, ConnId, HandleResult, SocketOperation, TcpClient};
use parking_lot::Mutex;

struct Checker {
    /// Bytes sent and not yet echoed back, shared with `main`.
    expected: Arc<Mutex<Vec<u8>>>,
    done: mpsc::SyncSender<Result<(), String>>,
}

impl ClientListener for Checker {
    fn on_receive(&self, _c: &TcpClient, _id: ConnId, data: &[u8]) -> HandleResult {
        let mut exp = self.expected.lock();
        if exp.len() < data.len() || exp[..data.len()] != *data {
            let _ = self
                .done
                .send(Err("echoed bytes differ from the bytes sent".into()));
            return HandleResult::Error;
        }
        exp.drain(..data.len());
        if exp.is_empty() {
            let _ = self.done.send(Ok(()));
        }
        HandleResult::Ok
    }

    fn on_close(
        &self,
        _c: &TcpClient,
        id: ConnId,
        op: SocketOperation,
        error: i32,
    ) -> HandleResult {
        if !self.expected.lock().is_empty() {
            let _ = self
                .done
                .send(Err(format!("[{id}] closed early ({op:?}, error {error})")));
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
    let messages: usize = args.get(2).and_then(|p| p.parse().ok()).unwrap_or(1000);
    let size: usize = args
        .get(3)
        .and_then(|p| p.parse().ok())
        .unwrap_or(64)
        .max(1);

    let (tx, rx) = mpsc::sync_channel(4);
    let expected = Arc::new(Mutex::new(Vec::new()));
    let client = TcpClient::new(Checker {
        expected: expected.clone(),
        done: tx,
    });
    client.start(&addr, port, false)?;
    let start = Instant::now();
    // One message in flight at a time: a ping-pong round trip per message.
    for i in 0..messages {
        let msg: Vec<u8> = (0..size).map(|k| (i * 31 + k) as u8).collect();
        expected.lock().extend_from_slice(&msg);
        client.send(&msg)?;
        rx.recv_timeout(Duration::from_secs(10))??;
    }
    let elapsed = start.elapsed();
    println!(
        "{messages} × {size} B echoed and verified in {:.3} s ({:.0} round trips/s)",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64()
    );
    client.stop()?;
    Ok(())
}
