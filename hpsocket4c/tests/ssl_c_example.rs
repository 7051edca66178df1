//! The SSL C example (`hpsocket4c/examples/c/ssl_echo.c`: an SSL server and client in one
//! program) compiled with `cc` against `include/HPSocket4C-SSL.h` and our `libhpsocket4c.so`,
//! then run on loopback with certificates made here: mutual TLS from PEM files (CA given as a
//! directory to the server), the same from PEM text, SNI through AddSSLContext and
//! BindSSLServerName, and SNI without the binding (the client must refuse the server). Every
//! run is bounded in time.
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);

/// The example, built once, and its certificate folder.
fn example() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = scratch("ssl-c-example");
        cdylib_copy(&dir);
        let exe = dir.join("ssl_echo");
        let src = root().join("hpsocket4c/examples/c/ssl_echo.c");
        compile_c(&[&src], &exe, &dir, &["-pedantic"]);
        let pem = dir.join("pem");
        std::fs::create_dir_all(&pem).unwrap();
        write_example_files(&Pki::new(), &pem);
        (exe, pem)
    })
}

/// The files `ssl_echo.c` reads: `ca.pem`, `ca/ca.pem`, and `<name>.pem` / `<name>.key` for
/// server (localhost, 127.0.0.1), client, other (another host) and sni (localhost only).
fn write_example_files(pki: &Pki, dir: &Path) {
    std::fs::create_dir_all(dir.join("ca")).expect("CA folder");
    pki.write_ca(&dir.join("ca.pem"));
    pki.write_ca(&dir.join("ca/ca.pem"));
    for (name, hosts) in [
        ("server", &["localhost", "127.0.0.1"][..]),
        ("client", &["client.hpsocket4c.test"][..]),
        ("other", &["other.hpsocket4c.test"][..]),
        ("sni", &["localhost"][..]),
    ] {
        pki.leaf(hosts).write(dir, name);
    }
}

fn run(mode: &str, count: &str) -> Output {
    let (exe, pem): &(PathBuf, PathBuf) = example();
    let mut cmd = Command::new(exe);
    cmd.args([mode, path_str(pem), count]);
    output_within(cmd, LIMIT)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 scratch path")
}

fn assert_echoed(mode: &str, count: &str) {
    let out = run(mode, count);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ssl_echo {mode} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(&format!("OK {mode} {count} messages ")),
        "{stdout}"
    );
}

#[test]
fn mutual_tls_from_files() {
    assert_echoed("file", "60");
}

#[test]
fn mutual_tls_from_memory() {
    assert_echoed("memory", "40");
}

#[test]
fn sni_context_bound_to_the_name_the_client_asks_for() {
    assert_echoed("sni", "20");
}

#[test]
fn without_the_binding_the_client_refuses_the_default_certificate() {
    let out = run("sni-nobind", "5");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // SO_RECEIVE (4): a failed handshake is reported as HP-Socket does.
    assert!(
        stdout.starts_with("HANDSHAKE FAILED op=4 "),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
