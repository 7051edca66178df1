//! The C examples (`hpsocket4c/examples/c/echo_server.c`, `echo_client.c`) compiled with `cc`
//! against `include/HPSocket4C.h` and our `libhpsocket4c.so`, then run against each other on
//! loopback: the client's echoes must come back byte-exact, and the server must stop cleanly
//! when its standard input closes. Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn c_echo_client_against_c_echo_server() {
    let dir = scratch("c-examples");
    cdylib_copy(&dir);
    let examples = root().join("hpsocket4c/examples/c");
    let server_exe = dir.join("echo_server");
    let client_exe = dir.join("echo_client");
    compile_c(&[&examples.join("echo_server.c")], &server_exe, &dir, &[]);
    compile_c(&[&examples.join("echo_client.c")], &client_exe, &dir, &[]);

    let mut server = Proc::spawn({
        let mut c = program(&server_exe);
        c.arg("0");
        c
    });
    let ready = server
        .line(LIMIT)
        .expect("echo_server printed nothing (or exited) before READY");
    let port: u16 = ready
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from echo_server: {ready:?}"));
    assert_ne!(port, 0);

    // Two clients one after the other, then two at once.
    for count in ["60", "150"] {
        let mut cmd = program(&client_exe);
        cmd.args(["127.0.0.1", &port.to_string(), count]);
        let out = output_within(cmd, LIMIT);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "echo_client {count} failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with(&format!("OK {count} messages ")),
            "{stdout}"
        );
    }
    let both: Vec<_> = (0..2)
        .map(|_| {
            let exe = client_exe.clone();
            std::thread::spawn(move || {
                let mut cmd = program(exe);
                cmd.args(["127.0.0.1", &port.to_string(), "80"]);
                output_within(cmd, LIMIT)
            })
        })
        .collect();
    for h in both {
        let out = h.join().expect("client thread");
        assert!(
            out.status.success(),
            "concurrent echo_client failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Closing stdin stops the server: OnShutdown fired, every connection counted.
    let (code, rest) = server.finish(LIMIT);
    let stopped = rest
        .iter()
        .find(|l| l.starts_with("STOPPED "))
        .unwrap_or_else(|| panic!("no STOPPED line from echo_server: {rest:?}"));
    assert_eq!(code, Some(0), "echo_server exit code ({stopped})");
    assert!(stopped.contains("connections=4 "), "{stopped}");
    assert!(stopped.ends_with("shutdown=1"), "{stopped}");
}

#[test]
fn c_echo_client_fails_without_a_server() {
    let dir = scratch("c-examples-refused");
    cdylib_copy(&dir);
    let client_exe = dir.join("echo_client");
    compile_c(
        &[&root().join("hpsocket4c/examples/c/echo_client.c")],
        &client_exe,
        &dir,
        &[],
    );
    // A port that was free a moment ago: the synchronous connect is refused.
    let port = free_tcp_port();
    let mut cmd = program(&client_exe);
    cmd.args(["127.0.0.1", &port.to_string(), "3"]);
    let out = output_within(cmd, LIMIT);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect"), "{err}");
}

/// The same examples built against the ORIGINAL HP-Socket 5.2.1 library interoperate with the
/// ones built against ours, in both roles: evidence that the header describes the original's
/// ABI too. Needs the original package (`HPSOCKET_SKIP_INTEROP=1` skips).
#[cfg(target_arch = "x86_64")]
#[test]
fn c_examples_built_on_the_original_library_interoperate() {
    let Some(pkg) = original_package() else {
        return;
    };
    let ours = scratch("c-examples-ours");
    cdylib_copy(&ours);
    let orig = scratch("c-examples-orig");
    // The original's SONAME is libhpsocket4c.so: a copy under that name links and loads.
    std::fs::copy(
        pkg.join("libhpsocket4c_amd64_64.so"),
        orig.join("libhpsocket4c.so"),
    )
    .expect("copy the original library");
    let examples = root().join("hpsocket4c/examples/c");
    for dir in [&ours, &orig] {
        for name in ["echo_server", "echo_client"] {
            let src = examples.join(format!("{name}.c"));
            compile_c(&[&src], &dir.join(name), dir, &[]);
        }
    }

    for (server_dir, client_dir) in [(&orig, &ours), (&ours, &orig)] {
        let mut server = Proc::spawn(program(server_dir.join("echo_server")));
        let ready = server.line(LIMIT).expect("no READY line");
        let port = ready.strip_prefix("READY ").expect("READY <port>").trim();
        let mut cmd = program(client_dir.join("echo_client"));
        cmd.args(["127.0.0.1", port, "100"]);
        let out = output_within(cmd, LIMIT);
        assert!(
            out.status.success(),
            "client ({}) against server ({}) failed:\n{}",
            client_dir.display(),
            server_dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let (code, rest) = server.finish(LIMIT);
        assert_eq!(code, Some(0), "server ({}): {rest:?}", server_dir.display());
    }
}
