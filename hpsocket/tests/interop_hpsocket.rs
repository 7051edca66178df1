//! Interoperability with the ORIGINAL HP-Socket library (5.2.1, C "4C" API), byte-exact, in
//! both directions, over loopback:
//!
//! - (a) the original PACK server echoes packets sent by our `TcpPackClient`;
//! - (b) our `TcpPackServer` echoes packets sent by the original PACK client;
//! - (c) a header-flag mismatch (our server 7, original client 8) makes our server close that
//!   connection with `on_close(SocketOperation::Receive, 74 /* EBADMSG */)`;
//! - plus two edge cases: an oversize packet from the original client (our server closes with
//!   `EMSGSIZE` 90) and a flag mismatch the other way round (the original server closes on our
//!   client).
//!
//! The original peer is `interop/hp_pack_peer.c`, compiled here with `cc` into
//! `<target>/interop/`. It links `libhpsocket4c_amd64_64.so` from the PyPI package `hpsocket`
//! 0.9.3, which `scripts/fetch-hpsocket.sh` downloads (with pip) into
//! `<target>/hpsocket-orig/` (or `$HPSOCKET_ORIG_DIR`) when it is not there yet, so a plain
//! `cargo test` works on a fresh machine with access to PyPI.
//!
//! If the library cannot be obtained (no network, no pip) or the peer does not compile, every
//! test here FAILS with a message saying why. To skip them on purpose, set
//! `HPSOCKET_SKIP_INTEROP=1`: each test then prints a notice to stderr and passes.
//!
//! Every wait is bounded, and the peer processes are killed when their guard drops.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

use hpsocket::*;
use testkit::original::ORIGINAL_LIB;
use testkit::{output_within, Cc, Proc};

/// Bound of every wait.
const LIMIT: Duration = Duration::from_secs(30);
const SIZES: [usize; 6] = [1, 100, 4096, 65536, 1 << 20, 0x3F_FFFF];
const FLAGS: [u16; 3] = [0, 0x123, 0x3FF];
const MAX: u32 = 0x3F_FFFF;
const EBADMSG: i32 = 74;
const EMSGSIZE: i32 = 90;

/// Packet `k` of `n` bytes: byte `i` is `(i * 31 + k * 7) & 0xFF`, the pattern the C peer
/// sends and checks.
fn pattern(k: usize, n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + k * 7) as u8).collect()
}

// ---------------------------------------------------------------------------------------------
// Getting the original library and building the C peer (once per test process).

/// The compiled peer, `None` when skipped by `HPSOCKET_SKIP_INTEROP=1`; panics with the reason
/// when the library or the peer cannot be had.
fn peer() -> Option<&'static Path> {
    static PEER: OnceLock<PathBuf> = OnceLock::new();
    let pkg = testkit::original_package()?;
    let exe = PEER.get_or_init(|| {
        let out_dir = testkit::target_dir().join("interop");
        std::fs::create_dir_all(&out_dir).unwrap_or_else(|e| panic!("{}: {e}", out_dir.display()));
        let exe = out_dir.join("hp_pack_peer");
        Cc::new()
            .flags(["-O2", "-pthread"])
            .source(testkit::workspace_root().join("interop/hp_pack_peer.c"))
            .link(&pkg, &format!(":{ORIGINAL_LIB}"))
            .build(&exe)
            .unwrap_or_else(|e| {
                panic!(
                    "compiling interop/hp_pack_peer.c: {e} \
                     (set HPSOCKET_SKIP_INTEROP=1 to skip the interop tests on purpose)"
                )
            });
        exe
    });
    Some(exe.as_path())
}

// ---------------------------------------------------------------------------------------------
// Peer processes.

/// A command running the peer on the original library. `cargo test` puts `target/debug`,
/// which holds our `libhpsocket4c.so`, on `LD_LIBRARY_PATH`, and the loader searches that
/// before the peer's run path: without this the "original" would be ours.
fn original(peer: &Path) -> Command {
    let mut cmd = Command::new(peer);
    cmd.env_remove("LD_LIBRARY_PATH");
    cmd
}

/// Starts the original PACK echo server (1 worker thread); returns it (killed on drop; its
/// stdin closing also stops it) and its port.
fn original_server(peer: &Path, flag: u16, max: u32) -> (Proc, u16) {
    let mut cmd = original(peer);
    cmd.args(["server", &flag.to_string(), &max.to_string(), "0", "1"]);
    let mut proc = Proc::spawn(cmd);
    let line = proc
        .line(LIMIT)
        .expect("the original server printed no READY line in time");
    let port = line
        .trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from the original server: {line:?}"));
    (proc, port)
}

/// Runs the original PACK client to completion (bounded); returns (exit success, stdout).
fn original_client(peer: &Path, port: u16, flag: u16, max: u32, sizes: &[usize]) -> (bool, String) {
    let mut args = vec![
        "client".to_string(),
        port.to_string(),
        flag.to_string(),
        max.to_string(),
    ];
    args.extend(sizes.iter().map(|n| n.to_string()));
    let mut cmd = original(peer);
    cmd.args(&args).env("HP_PEER_TIMEOUT", "20");
    let out = output_within(cmd, LIMIT);
    // Its diagnostics, shown with the test's output if it fails.
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

// ---------------------------------------------------------------------------------------------
// Our side.

enum Got {
    Packet(Vec<u8>),
    Close(SocketOperation, i32),
}

/// Our client's listener: forwards every packet and the close to a channel.
struct ClientSink(mpsc::Sender<Got>);

impl ClientListener<TcpPackClient> for ClientSink {
    fn on_receive(&self, _c: &TcpPackClient, _id: ConnId, data: &[u8]) -> HandleResult {
        let _ = self.0.send(Got::Packet(data.to_vec()));
        HandleResult::Ok
    }

    fn on_close(
        &self,
        _c: &TcpPackClient,
        _id: ConnId,
        op: SocketOperation,
        err: i32,
    ) -> HandleResult {
        let _ = self.0.send(Got::Close(op, err));
        HandleResult::Ok
    }

    fn wants_send_events(&self) -> bool {
        false
    }
}

fn our_client(port: u16, flag: u16, max: u32) -> (TcpPackClient, mpsc::Receiver<Got>) {
    let (tx, rx) = mpsc::channel();
    let c = TcpPackClient::new(ClientSink(tx));
    c.set_max_pack_size(max).unwrap();
    c.set_pack_header_flag(flag).unwrap();
    c.start("127.0.0.1", port, false).unwrap();
    (c, rx)
}

/// Our echo server's listener: echoes, counts packets, forwards closes to a channel.
struct EchoServer {
    packets: AtomicUsize,
    closes: std::sync::Mutex<mpsc::Sender<(SocketOperation, i32)>>,
}

/// Hands the shared state to the server while the test keeps a reference.
struct Shared(Arc<EchoServer>);

impl ServerListener<TcpPackServer> for Shared {
    fn on_receive(&self, s: &TcpPackServer, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.packets.fetch_add(1, Ordering::SeqCst);
        if s.send(id, data).is_ok() {
            HandleResult::Ok
        } else {
            HandleResult::Error
        }
    }

    fn on_close(
        &self,
        _s: &TcpPackServer,
        _id: ConnId,
        op: SocketOperation,
        err: i32,
    ) -> HandleResult {
        let _ = self.0.closes.lock().unwrap().send((op, err));
        HandleResult::Ok
    }

    fn wants_send_events(&self) -> bool {
        false
    }
}

fn our_server(
    flag: u16,
    max: u32,
) -> (
    TcpPackServer,
    Arc<EchoServer>,
    mpsc::Receiver<(SocketOperation, i32)>,
    u16,
) {
    let (tx, rx) = mpsc::channel();
    let l = Arc::new(EchoServer {
        packets: AtomicUsize::new(0),
        closes: std::sync::Mutex::new(tx),
    });
    let s = TcpPackServer::new(Shared(l.clone()));
    s.set_worker_thread_count(1).unwrap();
    s.set_max_pack_size(max).unwrap();
    s.set_pack_header_flag(flag).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port();
    (s, l, rx, port)
}

fn expect_packet(rx: &mpsc::Receiver<Got>, want: &[u8], what: &str) {
    match rx.recv_timeout(LIMIT) {
        Ok(Got::Packet(p)) => {
            assert_eq!(p.len(), want.len(), "{what}: echoed length");
            if let Some(at) = p.iter().zip(want).position(|(a, b)| a != b) {
                panic!(
                    "{what}: first wrong byte at {at}: got {:#04x}, want {:#04x}",
                    p[at], want[at]
                );
            }
        }
        Ok(Got::Close(op, err)) => panic!("{what}: closed instead ({op:?}, {err})"),
        Err(e) => panic!("{what}: no echo within {LIMIT:?}: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// (a) Original PACK server, our PACK client: one packet at a time, then all at once.
#[test]
fn original_server_echoes_our_client() {
    let Some(peer) = peer() else { return };
    for flag in FLAGS {
        let (_server, port) = original_server(peer, flag, MAX);
        let (client, rx) = our_client(port, flag, MAX);
        for (k, n) in SIZES.iter().enumerate() {
            let body = pattern(k, *n);
            client.send(&body).unwrap();
            expect_packet(
                &rx,
                &body,
                &format!("flag {flag:#x}, packet {k} ({n} bytes)"),
            );
        }
        // Pipelined: every packet queued before any echo is read.
        for (k, n) in SIZES.iter().enumerate() {
            client.send(&pattern(100 + k, *n)).unwrap();
        }
        for (k, n) in SIZES.iter().enumerate() {
            expect_packet(
                &rx,
                &pattern(100 + k, *n),
                &format!("flag {flag:#x}, pipelined packet {k} ({n} bytes)"),
            );
        }
        assert!(
            rx.try_recv().is_err(),
            "flag {flag:#x}: unexpected extra event"
        );
        client.stop().unwrap();
    }
}

/// (b) Our PACK server, original PACK client.
#[test]
fn our_server_echoes_original_client() {
    let Some(peer) = peer() else { return };
    for flag in FLAGS {
        let (server, l, closes, port) = our_server(flag, MAX);
        let (ok, out) = original_client(peer, port, flag, MAX, &SIZES);
        assert!(ok, "flag {flag:#x}: original client: {out}");
        assert_eq!(out, format!("OK {}", SIZES.len()), "flag {flag:#x}");
        assert_eq!(l.packets.load(Ordering::SeqCst), SIZES.len());
        let (op, err) = closes
            .recv_timeout(LIMIT)
            .expect("our server saw no close of the original client's connection");
        // As the original reports a peer's orderly close: (SO_CLOSE, 0).
        assert_eq!((op, err), (SocketOperation::Close, 0), "flag {flag:#x}");
        server.stop().unwrap();
    }
}

/// (c) Header flag mismatch: our server (flag 7) closes the original client's (flag 8)
/// connection with (Receive, EBADMSG) and delivers nothing.
#[test]
fn flag_mismatch_closes_with_ebadmsg() {
    let Some(peer) = peer() else { return };
    let (server, l, closes, port) = our_server(7, MAX);
    let (ok, out) = original_client(peer, port, 8, MAX, &[100]);
    assert!(!ok, "the original client should fail, said: {out}");
    assert!(out.starts_with("FAIL"), "{out}");
    let close = closes
        .recv_timeout(LIMIT)
        .expect("our server did not close the connection");
    assert_eq!(close, (SocketOperation::Receive, EBADMSG));
    assert_eq!(l.packets.load(Ordering::SeqCst), 0);
    server.stop().unwrap();
}

/// An original client sending more than our server's max pack size: (Receive, EMSGSIZE).
#[test]
fn oversize_packet_from_original_closes_with_emsgsize() {
    let Some(peer) = peer() else { return };
    let (server, l, closes, port) = our_server(0x123, 1000);
    let (ok, out) = original_client(peer, port, 0x123, MAX, &[1000, 1001]);
    assert!(!ok, "the original client should fail, said: {out}");
    assert!(out.starts_with("FAIL") && out.ends_with("(1 ok)"), "{out}");
    let close = closes
        .recv_timeout(LIMIT)
        .expect("our server did not close the connection");
    assert_eq!(close, (SocketOperation::Receive, EMSGSIZE));
    assert_eq!(l.packets.load(Ordering::SeqCst), 1);
    server.stop().unwrap();
}

/// The other way round: the original server (flag 7) rejects our client's packets (flag 8)
/// and closes; our client reports the close and receives nothing.
#[test]
fn original_server_rejects_our_wrong_flag() {
    let Some(peer) = peer() else { return };
    let (_server, port) = original_server(peer, 7, MAX);
    let (client, rx) = our_client(port, 8, MAX);
    client.send(&pattern(0, 100)).unwrap();
    match rx.recv_timeout(LIMIT) {
        // The original closes gracefully: our client reports an orderly close.
        Ok(Got::Close(op, err)) => assert_eq!((op, err), (SocketOperation::Close, 0)),
        Ok(Got::Packet(p)) => panic!("echo of {} bytes despite the wrong flag", p.len()),
        Err(e) => panic!("our client saw no close: {e}"),
    }
    let _ = client.stop();
}
