//! The C example of our WebSocket extension (`hpsocket4c/examples/c/ws_chat.c`, a server and
//! a client in one program) compiled with `cc -std=c99 -Wall -Wextra -Werror` against
//! `include/HPSocket4C-WS.h` and our `libhpsocket4c.so`, run on loopback:
//!
//! - two clients one after the other, each sending 24 messages (text and binary, 0 to 70,001
//!   bytes, permessage-deflate agreed), checking every echo, a ping's pong, then closing
//!   with 1000 and waiting for the server's answer and the close;
//! - a plain HTTP request to the same port gets the server's page (200);
//! - the server stops cleanly when its stdin closes and reports 2 opens, 48 messages, 2 close
//!   frames with code 1000 and 1 page.
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);
const MESSAGES: &str = "24";

/// Builds `ws_chat` in `dir` against the library there.
fn build(dir: &Path) -> PathBuf {
    let exe = dir.join("ws_chat");
    compile_c(
        &[&root().join("hpsocket4c/examples/c/ws_chat.c")],
        &exe,
        dir,
        &[],
    );
    exe
}

/// Runs `ws_chat client` against `port`; panics unless it reports every message.
fn client(exe: &Path, port: u16) {
    let mut cmd = program(exe);
    cmd.args(["client", "127.0.0.1", &port.to_string(), MESSAGES]);
    let out = output_within(cmd, LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ws_chat client failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), format!("OK {MESSAGES} messages"));
}

#[test]
fn c_ws_chat_client_against_c_ws_chat_server() {
    let dir = scratch("ws-chat-c-example");
    cdylib_copy(&dir);
    let exe = build(&dir);

    let mut cmd = program(&exe);
    cmd.arg("server");
    let mut srv = Proc::spawn(cmd);
    let line = srv.line(LIMIT).expect("ws_chat server printed nothing");
    let port: u16 = line
        .trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));

    client(&exe, port);
    client(&exe, port);

    // A plain request: the page.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(
        answer.ends_with("\r\n\r\nws_chat: connect a WebSocket to /chat\n"),
        "{answer}"
    );

    let (code, rest) = srv.finish(LIMIT);
    let n: usize = MESSAGES.parse().unwrap();
    let want = format!(
        "STOPPED opens=2 messages={} closes=2 pages=1 shutdown=1",
        2 * n
    );
    assert!(
        rest.iter().any(|l| l.trim() == want),
        "want {want:?}: {rest:#?}"
    );
    assert_eq!(code, Some(0), "{rest:#?}");
}
