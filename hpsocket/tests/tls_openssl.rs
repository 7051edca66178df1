//! Interop with OpenSSL's command-line tools on loopback: our SSL client and agent against
//! `openssl s_server`, and `openssl s_client` against our SSL server, over TLS 1.2 and 1.3,
//! with and without client certificates.
//!
//! `.ci/run` installs `openssl` and sets `HPSOCKET_REQUIRE_OPENSSL=1`, so on CI a missing tool
//! fails the test; elsewhere the tests say they are skipped.

mod util;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use hpsocket::tls::{TlsClientSetup, TlsServerSetup, VerifyMode};
use hpsocket::*;
use testkit::{Proc, TempDir};
use util::*;

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("HPSOCKET_REQUIRE_OPENSSL").is_none(),
            "openssl is required (HPSOCKET_REQUIRE_OPENSSL is set) but cannot be run"
        );
        eprintln!("skipped: the openssl command-line tool is not installed");
    }
    ok
}

/// An `openssl` command (stderr discarded), killed when dropped.
fn openssl(args: &[&str]) -> Proc {
    let mut cmd = Command::new("openssl");
    cmd.args(args).stderr(Stdio::null());
    Proc::spawn(cmd)
}

/// `openssl s_server -rev` (answers each line reversed) on an ephemeral loopback port.
fn s_server(files: &TempDir, pki: &Pki, extra: &[&str]) -> (Proc, u16) {
    let (cert, key) = pki
        .0
        .leaf(&["localhost", "127.0.0.1"])
        .write(files.path(), "server");
    let mut args = vec![
        "s_server",
        "-accept",
        "127.0.0.1:0",
        "-rev",
        "-cert",
        cert.to_str().unwrap(),
        "-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut p = openssl(&args);
    let line = p
        .line_where(LIMIT, |l| l.starts_with("ACCEPT"))
        .expect("s_server did not start");
    let port = line.rsplit(':').next().unwrap().trim().parse().unwrap();
    (p, port)
}

fn keeping() -> Arc<Recorder> {
    let r = Recorder::new();
    r.keep_data.store(true, Ordering::Relaxed);
    r
}

fn received(rec: &Recorder, id: ConnId) -> Vec<u8> {
    rec.data.lock().get(&id).cloned().unwrap_or_default()
}

fn reversed(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.bytes().rev().collect();
    v.push(b'\n');
    v
}

#[test]
fn our_client_and_agent_against_openssl_s_server() {
    if !openssl_available() {
        return;
    }
    let pki = Pki::new();
    for version in ["-tls1_3", "-tls1_2"] {
        let files = TempDir::new(&format!("hps-openssl-srv{version}"));
        let (_server, port) = s_server(&files, &pki, &[version]);

        let rec = keeping();
        let client = SslClient::new(G(rec.clone()));
        client.setup_ssl_context(&pki.client_setup()).unwrap();
        client.start("localhost", port, true).unwrap();
        client.send(b"hello from hpsocket\n").unwrap();
        let id = client.connection_id().unwrap();
        assert!(
            rec.wait_until(|_| received(&rec, id) == reversed("hello from hpsocket")),
            "{version}: {:?} {:?}",
            rec.events(),
            String::from_utf8_lossy(&received(&rec, id))
        );
        let info = client.ssl_session_info().unwrap();
        let want = if version == "-tls1_3" {
            "TLSv1_3"
        } else {
            "TLSv1_2"
        };
        assert_eq!(info.version.as_deref(), Some(want));
        client.stop().unwrap();
    }

    // An agent, verifying by IP address, over a server that insists on client certificates.
    let files = TempDir::new("hps-openssl-mtls");
    let ca = pki.0.write_ca(&files.join("ca.pem"));
    let (_server, port) = s_server(
        &files,
        &pki,
        &[
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            ca.to_str().unwrap(),
        ],
    );
    let rec = keeping();
    let agent = SslAgent::new(G(rec.clone()));
    agent
        .setup_ssl_context(&TlsClientSetup {
            cert: Some(pki.leaf(&["agent.example"])),
            ..pki.client_setup()
        })
        .unwrap();
    agent.start(None, true).unwrap();
    let id = agent.connect("127.0.0.1", port).unwrap();
    agent.send(id, b"mutual\n").unwrap();
    assert!(rec.wait_until(|_| received(&rec, id) == reversed("mutual")));
    agent.stop().unwrap();
}

/// Runs `openssl s_client` against our echo server and checks lines come back unchanged.
fn s_client_echo(port: u16, ca: &Path, extra: &[&str]) -> std::result::Result<(), String> {
    let port = port.to_string();
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec![
        "s_client",
        "-connect",
        &connect,
        "-servername",
        "localhost",
        "-CAfile",
        ca.to_str().unwrap(),
        "-verify_return_error",
        "-quiet",
    ];
    args.extend_from_slice(extra);
    let mut p = openssl(&args);
    for i in 0..3 {
        let line = format!("line {i} through openssl s_client");
        p.send_line(&line).unwrap();
        if p.line_where(LIMIT, |l| l == line).is_none() {
            return Err(format!("no echo of {line:?}"));
        }
    }
    Ok(())
}

#[test]
fn openssl_s_client_against_our_server() {
    if !openssl_available() {
        return;
    }
    let pki = Pki::new();
    let files = TempDir::new("hps-openssl-cli");
    let ca = pki.0.write_ca(&files.join("ca.pem"));

    let rec = Recorder::echoing();
    let server = SslServer::new(G(rec.clone()));
    server.setup_ssl_context(&pki.server_setup()).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    let port = server.listen_address().unwrap().port();
    s_client_echo(port, &ca, &["-tls1_3"]).unwrap();
    s_client_echo(port, &ca, &["-tls1_2"]).unwrap();
    assert!(rec.wait_count(2, |e| matches!(e, Ev::Close(..))));
    server.stop().unwrap();

    // A PULL server requiring client certificates: s_client with and without one.
    let rec = Recorder::echoing();
    let server = SslPullServer::new(G(rec.clone()));
    let mut setup: TlsServerSetup = pki.server_setup();
    setup.verify = VerifyMode::PEER | VerifyMode::FAIL_IF_NO_PEER_CERT;
    setup.ca = Some(pki.ca_pem());
    server.setup_ssl_context(&setup).unwrap();
    server.start("127.0.0.1", 0).unwrap();
    let port = server.listen_address().unwrap().port();
    let (cert, key) = pki
        .0
        .leaf(&["openssl-client"])
        .write(files.path(), "client");
    s_client_echo(
        port,
        &ca,
        &[
            "-cert",
            cert.to_str().unwrap(),
            "-key",
            key.to_str().unwrap(),
        ],
    )
    .unwrap();
    assert!(s_client_echo(port, &ca, &[]).is_err());
    assert!(rec.wait_until(|evs| evs
        .iter()
        .any(|e| matches!(e, Ev::Close(_, SocketOperation::Handshake, _)))));
    server.stop().unwrap();
}
