//! Helpers the `hps` end-to-end tests share: running the binary with bounds, and the servers
//! it starts.

// Each test file uses its own subset.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use testkit::{output_within, Proc};

/// Bound of every command and every wait for a line of output.
pub const LIMIT: Duration = Duration::from_secs(60);

pub fn hps() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hps"))
}

/// Runs a command to completion within a bound.
pub fn run(cmd: &mut Command) -> Output {
    output_within(cmd, LIMIT)
}

/// Asserts that a command succeeded (naming `what` and showing its output if not) and returns
/// its standard output.
pub fn succeeded(out: &Output, what: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// A server process (killed on drop) and its port.
pub struct Server(pub Proc, pub u16);

/// Starts `hps ws-server --port 0` with `extra` arguments (stderr, its log, to `stderr`) and
/// reads its port from the `READY <port>` line.
pub fn ws_server(extra: &[&str], stderr: Stdio) -> Server {
    let mut cmd = hps();
    cmd.args(["ws-server", "--port", "0", "--seconds", "120"])
        .args(extra)
        .stderr(stderr);
    let mut proc = Proc::spawn(cmd);
    let line = proc
        .line(LIMIT)
        .expect("the WebSocket server printed nothing");
    let port = line
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no READY line: {line:?}"));
    Server(proc, port)
}
