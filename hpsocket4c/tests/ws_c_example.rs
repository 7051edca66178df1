//! The WebSocket C example (`hpsocket4c/examples/c/ws_echo.c`, a server and a client in one
//! program) compiled with `cc` against `include/HPSocket4C.h`:
//!
//! - against our `libhpsocket4c.so`: the client upgrades, sends 24 frames of 0 to 70,001
//!   bytes (text and binary, a NULL mask and a chosen one) and a close frame, and checks every
//!   echoed byte and `GetWSMessageState`; a plain request gets 426; the server stops cleanly
//!   when its stdin closes and reports the upgrade and the 25 frames;
//! - interop with the ORIGINAL HP-Socket 5.2.1 library, through the interop peer
//!   (`interop/hp_pack_peer.c`, built on the original's 4C API with 5.2's signatures): our
//!   client against the original's WebSocket echo server (`ws-echo-server`), and the
//!   original's client (`ws-client`) against our server. Needs the original package, fetched
//!   by `scripts/fetch-hpsocket.sh` (a missing package fails the test;
//!   `HPSOCKET_SKIP_INTEROP=1` skips it on purpose).
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);
const FRAMES: &str = "24";

/// Builds `ws_echo` in `dir` against the library there.
fn build(dir: &Path) -> PathBuf {
    let exe = dir.join("ws_echo");
    compile_c(
        &[&root().join("hpsocket4c/examples/c/ws_echo.c")],
        &exe,
        dir,
        &[],
    );
    exe
}

/// Reads the `READY <port>` line of a server just started.
fn ready(p: &mut Proc, who: &str) -> u16 {
    let line = p
        .line(LIMIT)
        .unwrap_or_else(|| panic!("{who} printed nothing before READY"));
    line.trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from {who}: {line:?}"))
}

/// Starts `ws_echo server`; the process and its port.
fn our_server(exe: &Path) -> (Proc, u16) {
    let mut cmd = program(exe);
    cmd.arg("server");
    let mut p = Proc::spawn(cmd);
    let port = ready(&mut p, "ws_echo server");
    (p, port)
}

/// Runs `ws_echo client` against `port`; panics unless it reports every frame.
fn our_client(exe: &Path, port: u16) {
    let mut cmd = program(exe);
    cmd.args(["client", "127.0.0.1", &port.to_string(), FRAMES]);
    let out = output_within(cmd, LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ws_echo client failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), format!("OK {FRAMES} frames"));
}

/// Stops `ws_echo server` (stdin closed) and checks its report: `upgrades` connections, each
/// with the client's frames and its close frame echoed.
fn stop_our_server(mut p: Proc, upgrades: usize) {
    let (code, rest) = p.finish(LIMIT);
    let frames: usize = FRAMES.parse::<usize>().unwrap() + 1;
    let want = format!(
        "STOPPED upgrades={upgrades} frames={} shutdown=1",
        upgrades * frames
    );
    assert!(
        rest.iter().any(|l| l.trim() == want),
        "want {want:?}: {rest:#?}"
    );
    assert_eq!(code, Some(0), "{rest:#?}");
}

#[test]
fn c_ws_client_against_c_ws_server() {
    let dir = scratch("ws-c-example");
    cdylib_copy(&dir);
    let exe = build(&dir);
    let (srv, port) = our_server(&exe);
    our_client(&exe, port);

    // A request without an upgrade: 426.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 426 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    stop_our_server(srv, 1);
}

/// The interop peer built on the original library, in `dir`.
#[cfg(target_arch = "x86_64")]
fn original_peer(pkg: &Path, dir: &Path) -> PathBuf {
    let exe = dir.join("hp_pack_peer");
    Cc::new()
        .flags(["-O2", "-pthread"])
        .source(root().join("interop/hp_pack_peer.c"))
        .link(pkg, &format!(":{}", testkit::original::ORIGINAL_LIB))
        .build(&exe)
        .unwrap_or_else(|e| panic!("compiling interop/hp_pack_peer.c: {e}"));
    exe
}

/// Our WebSocket client and server against the ORIGINAL HP-Socket 5.2.1 library's, both ways.
#[cfg(target_arch = "x86_64")]
#[test]
fn c_ws_echo_interoperates_with_the_original_library() {
    let Some(pkg) = original_package() else {
        return;
    };
    let dir = scratch("ws-c-example-interop");
    cdylib_copy(&dir);
    let exe = build(&dir);
    let peer = original_peer(&pkg, &dir);

    // Our client against the original's echo server.
    let mut cmd = program(&peer);
    cmd.arg("ws-echo-server");
    let mut orig = Proc::spawn(cmd);
    let port = ready(&mut orig, "the original ws-echo-server");
    our_client(&exe, port);
    let (code, rest) = orig.finish(LIMIT);
    assert_eq!(code, Some(0), "the original server: {rest:#?}");
    println!("original server <- our client: {FRAMES} frames and a close echoed");

    // The original's client against our server.
    let (srv, port) = our_server(&exe);
    let mut cmd = program(&peer);
    cmd.args(["ws-client", &port.to_string(), FRAMES]);
    let out = output_within(cmd, LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the original ws-client failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), format!("OK {FRAMES}"));
    stop_our_server(srv, 1);
    println!("our server <- original client: {FRAMES} frames and a close echoed");
}
