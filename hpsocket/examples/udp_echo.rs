//! UDP echo in one process: a `UdpServer` that echoes every datagram and a few `UdpClient`s
//! that send numbered datagrams and verify the echoes; shows per-peer connection IDs and the
//! heartbeat settings.
//!
//! ```sh
//! cargo run --example udp_echo -- [CLIENTS] [DATAGRAMS] [SIZE]
//! ```

use hpsocket::prelude::*;
use std::sync::mpsc;
use std::time::Duration;

use hpsocket::{ClientListener, ConnId, HandleResult, ServerListener, UdpClient, UdpServer};

struct Echo;
impl ServerListener<UdpServer> for Echo {
    fn on_accept(&self, s: &UdpServer, id: ConnId, _sock: hpsocket::SockRef<'_>) -> HandleResult {
        if let Ok(peer) = s.remote_address(id) {
            println!("server: peer {peer} is connection {id}");
        }
        HandleResult::Ok
    }
    fn on_receive(&self, s: &UdpServer, id: ConnId, datagram: &[u8]) -> HandleResult {
        if s.send(id, datagram).is_ok() {
            HandleResult::Ok
        } else {
            HandleResult::Error
        }
    }
}

struct Collect(mpsc::Sender<Vec<u8>>);
impl ClientListener<UdpClient> for Collect {
    fn on_receive(&self, _c: &UdpClient, _id: ConnId, datagram: &[u8]) -> HandleResult {
        let _ = self.0.send(datagram.to_vec());
        HandleResult::Ok
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let datagrams: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    let size: usize = args.next().map_or(Ok(512), |a| a.parse())?;

    let server = UdpServer::new(Echo);
    server.set_detect_attempts(3)?;
    server.set_detect_interval(1000)?;
    server.start("127.0.0.1", 0)?;
    let port = server.listen_address()?.port();

    for c in 0..clients {
        let (tx, rx) = mpsc::channel();
        let client = UdpClient::new(Collect(tx));
        // Probes every second keep the server's detection from closing an idle client.
        client.set_detect_attempts(3)?;
        client.set_detect_interval(1000)?;
        client.start("127.0.0.1", port, false)?;
        for i in 0..datagrams {
            let mut d = vec![(c * 31 + i) as u8; size];
            d[..8].copy_from_slice(&(i as u64).to_le_bytes());
            client.send(&d)?;
            // Ping-pong, so a busy loopback never has to drop a datagram.
            if rx.recv_timeout(Duration::from_secs(5))? != d {
                return Err("echo differs".into());
            }
        }
        println!(
            "client {c} (connection {}): {datagrams} × {size} B echoed and verified",
            client.connection_id().map_or(0, |i| i.get())
        );
        client.stop()?;
    }
    server.stop()?;
    Ok(())
}
