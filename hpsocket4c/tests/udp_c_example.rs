//! `hpsocket4c/examples/c/udp_echo.c` compiled with `cc -Werror` against
//! `include/HPSocket4C.h` and our `libhpsocket4c.so`, then run on loopback: a UDP server and
//! clients through the C API, every echo byte-exact, one connection per client with its own
//! non-zero ID, OnAccept's `sockaddr` naming the client's local port, the connection count, UDP
//! properties kept, and an OnClose for every connection once the server stops. The program
//! bounds itself (30 s) and so does the test.
#![cfg(target_os = "linux")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn c_udp_echo_runs_clean() {
    let dir = scratch("udp-c-example");
    cdylib_copy(&dir);
    let exe = dir.join("udp_echo");
    compile_c(
        &[&root().join("hpsocket4c/examples/c/udp_echo.c")],
        &exe,
        &dir,
        &[],
    );
    for (args, want) in [
        (vec![], "OK 10 clients x 100 datagrams x 64 B"),
        (
            vec!["20", "50", "512"],
            "OK 20 clients x 50 datagrams x 512 B",
        ),
        (
            vec!["1", "3", "1432"],
            "OK 1 clients x 3 datagrams x 1432 B",
        ),
    ] {
        let mut cmd = Command::new(&exe);
        cmd.args(&args);
        let out = output_within(cmd, LIMIT);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.starts_with(want),
            "udp_echo {args:?} ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Bad arguments are refused with a usage message, not run.
    let mut cmd = Command::new(&exe);
    cmd.arg("0");
    let out = output_within(cmd, LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}
