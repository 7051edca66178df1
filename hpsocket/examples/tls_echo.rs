//! TLS echo in one process: makes a throw-away CA and server certificate, starts an
//! `SslServer` that echoes, connects an `SslClient` that verifies the server against the CA,
//! and checks every echoed byte.
//!
//! ```sh
//! cargo run --example tls_echo -- [MESSAGES] [SIZE]
//! ```

use hpsocket::prelude::*;
use std::sync::mpsc;
use std::time::Duration;

use hpsocket::tls::{Pem, TlsClientSetup, TlsServerSetup, VerifyMode};
use hpsocket::{ClientListener, ConnId, HandleResult, ServerListener, SslClient, SslServer};

struct Echo;
impl ServerListener<SslServer> for Echo {
    fn on_handshake(&self, s: &SslServer, id: ConnId) -> HandleResult {
        if let Ok(info) = s.ssl_session_info(id) {
            println!(
                "server: connection {id} speaks {} with {}",
                info.version.unwrap_or_default(),
                info.cipher_suite.unwrap_or_default()
            );
        }
        HandleResult::Ok
    }
    fn on_receive(&self, s: &SslServer, id: ConnId, data: &[u8]) -> HandleResult {
        if s.send(id, data).is_ok() {
            HandleResult::Ok
        } else {
            HandleResult::Error
        }
    }
}

/// Forwards what the client receives to the main thread.
struct Collect(mpsc::Sender<Vec<u8>>);
impl ClientListener<SslClient> for Collect {
    fn on_receive(&self, _c: &SslClient, _id: ConnId, data: &[u8]) -> HandleResult {
        let _ = self.0.send(data.to_vec());
        HandleResult::Ok
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let messages: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    let size: usize = args.next().map_or(Ok(1024), |a| a.parse())?;

    // A CA and a certificate for localhost signed by it.
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?.pem();
    let key = rcgen::KeyPair::generate()?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])?
        .signed_by(&key, &rcgen::Issuer::from_params(&ca_params, &ca_key))?;

    let server = SslServer::new(Echo);
    server.setup_ssl_context(&TlsServerSetup::new(
        Pem::Memory(cert.pem()),
        Pem::Memory(key.serialize_pem()),
    ))?;
    server.start("127.0.0.1", 0)?;
    let port = server.listen_address()?.port();

    let (tx, rx) = mpsc::channel();
    let client = SslClient::new(Collect(tx));
    client.setup_ssl_context(&TlsClientSetup {
        verify: VerifyMode::PEER,
        ca: Some(Pem::Memory(ca)),
        ..Default::default()
    })?;
    client.start("localhost", port, false)?;
    let payload: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    let started = std::time::Instant::now();
    for _ in 0..messages {
        // Ping-pong: the next message goes once the previous one is back.
        client.send(&payload)?;
        let mut back = Vec::with_capacity(size);
        while back.len() < size {
            back.extend(rx.recv_timeout(Duration::from_secs(10))?);
        }
        if back != payload {
            return Err("echo differs".into());
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "client: {messages} × {size} B echoed over TLS and verified in {secs:.3} s ({:.0} msgs/s)",
        messages as f64 / secs
    );
    client.stop()?;
    server.stop()?;
    Ok(())
}
