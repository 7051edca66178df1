//! Interop with OpenSSL's command-line tools on loopback: our SSL client and agent against
//! `openssl s_server`, and `openssl s_client` against our SSL server, over TLS 1.2 and 1.3,
//! with and without client certificates.
//!
//! `.ci/run` installs `openssl` and sets `HPSOCKET_REQUIRE_OPENSSL=1`, so on CI a missing tool
//! fails the test; elsewhere the tests say they are skipped.

mod util;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};

use hpsocket::tls::{Pem, TlsClientSetup, TlsServerSetup, VerifyMode};
use hpsocket::*;
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

/// A temporary directory holding the PEM files OpenSSL reads.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(tag: &str) -> Files {
        let dir = std::env::temp_dir().join(format!("hps-openssl-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Files { dir }
    }

    fn write(&self, name: &str, pem: &Pem) -> PathBuf {
        let Pem::Memory(text) = pem else {
            panic!("test PEMs are in memory")
        };
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A child process killed when dropped, with its stdout lines delivered on a channel.
struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Proc {
    fn spawn(args: &[&str]) -> Proc {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run openssl");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc { child, lines }
    }

    /// The next stdout line that satisfies `f`, within the test limit.
    fn line_where(&self, f: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = std::time::Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if f(&l) => return Some(l),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    fn send_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl s_server -rev` (answers each line reversed) on an ephemeral loopback port.
fn s_server(files: &Files, pki: &Pki, extra: &[&str]) -> (Proc, u16) {
    let (cert, key) = pki.leaf(&["localhost", "127.0.0.1"]);
    let cert = files.write("server.pem", &cert);
    let key = files.write("server.key", &key);
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
    let p = Proc::spawn(&args);
    let line = p
        .line_where(|l| l.starts_with("ACCEPT"))
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
        let files = Files::new(&format!("srv{version}"));
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
    let files = Files::new("mtls");
    let ca = files.write("ca.pem", &pki.ca_pem());
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
    let mut p = Proc::spawn(&args);
    for i in 0..3 {
        let line = format!("line {i} through openssl s_client");
        p.send_line(&line);
        if p.line_where(|l| l == line).is_none() {
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
    let files = Files::new("cli");
    let ca = files.write("ca.pem", &pki.ca_pem());

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
    let (c, k) = pki.leaf(&["openssl-client"]);
    let cert = files.write("client.pem", &c);
    let key = files.write("client.key", &k);
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
