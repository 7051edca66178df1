//! The HTTP C examples (`hpsocket4c/examples/c/http_server.c`, `http_client.c`) compiled with
//! `cc` against `include/HPSocket4C.h`:
//!
//! - against our `libhpsocket4c.so`: the client's GET / POST / HEAD requests on one keep-alive
//!   connection are answered (status, X-Tag, body, HEAD without a body), the server's getters
//!   report method, path, query, header, cookie, length and keep-alive, a garbage request
//!   gets 400 and a PARSE_ERROR line, and the server stops cleanly when its stdin closes;
//! - interop with the ORIGINAL HP-Socket 5.2.1 library (the same sources linked against it):
//!   the original's HttpClient against our HttpServer, and our HttpClient against the
//!   original's HttpServer. Needs the original package, fetched by
//!   `scripts/fetch-hpsocket.sh` (a missing package fails the test;
//!   `HPSOCKET_SKIP_INTEROP=1` skips it on purpose).
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(60);
const REQUESTS: &str = "30";

fn build(dir: &Path) {
    let examples = root().join("hpsocket4c/examples/c");
    for name in ["http_server", "http_client"] {
        compile_c(
            &[&examples.join(format!("{name}.c"))],
            &dir.join(name),
            dir,
            &[],
        );
    }
}

/// Starts `http_server` from `dir`; the process and its port.
fn server(dir: &Path) -> (Proc, u16) {
    let mut p = Proc::spawn(program(dir.join("http_server")));
    let ready = p
        .line(LIMIT)
        .expect("http_server printed nothing before READY");
    let port = ready
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from http_server: {ready:?}"));
    (p, port)
}

/// Runs `http_client` from `dir` against `port`; panics unless it reports every response.
fn client(dir: &Path, port: u16) {
    let mut cmd = program(dir.join("http_client"));
    cmd.args(["127.0.0.1", &port.to_string(), REQUESTS]);
    let out = output_within(cmd, LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "http_client ({}) failed ({}):\n{stdout}\n{}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), format!("OK {REQUESTS} responses"));
}

/// Checks the REQUEST lines the server printed for one run of the client. `original`: the
/// server ran on the original library, whose GetContentLength gives `http_parser`'s "none"
/// (`ULLONG_MAX`) for a request without Content-Length, where ours gives 0.
fn check_requests(lines: &[String], original: bool) {
    let reqs: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("REQUEST "))
        .map(|l| {
            if original {
                l.replace(&format!(" len={} ", u64::MAX), " len=0 ")
            } else {
                l.clone()
            }
        })
        .collect();
    assert_eq!(reqs.len().to_string(), REQUESTS, "{lines:#?}");
    assert_eq!(
        reqs[0].as_str(),
        "REQUEST GET /get query=i=0 tag=t0 cookie=0 len=0 keepalive=1"
    );
    assert_eq!(
        reqs[1].as_str(),
        "REQUEST POST /post query=- tag=t1 cookie=1 len=6 keepalive=1"
    );
    assert_eq!(
        reqs[2].as_str(),
        "REQUEST HEAD /head query=- tag=t2 cookie=2 len=0 keepalive=1"
    );
}

#[test]
fn c_http_client_against_c_http_server() {
    let dir = scratch("http-c-example");
    cdylib_copy(&dir);
    build(&dir);
    let (mut srv, port) = server(&dir);
    client(&dir, port);

    // A garbage request: 400, then the close.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"NOT HTTP AT ALL\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    srv.line_where(LIMIT, |l| l.starts_with("PARSE_ERROR "))
        .expect("no PARSE_ERROR line");

    let (code, rest) = srv.finish(LIMIT);
    let mut all = srv.seen.clone();
    all.extend(rest.iter().cloned());
    check_requests(&all, false);
    let stopped = all
        .iter()
        .find(|l| l.starts_with("STOPPED "))
        .unwrap_or_else(|| panic!("no STOPPED line: {all:#?}"));
    assert_eq!(
        stopped.as_str(),
        format!("STOPPED requests={REQUESTS} parse_errors=1 shutdown=1")
    );
    assert_eq!(code, Some(0));
}

/// The same examples built against the ORIGINAL HP-Socket 5.2.1 library talk HTTP with the
/// ones built against ours, in both roles.
#[cfg(target_arch = "x86_64")]
#[test]
fn c_http_examples_interoperate_with_the_original_library() {
    let Some(pkg) = original_package() else {
        return;
    };
    let ours = scratch("http-c-example-ours");
    cdylib_copy(&ours);
    let orig = scratch("http-c-example-orig");
    // The original's SONAME is libhpsocket4c.so: a copy under that name links and loads.
    std::fs::copy(
        pkg.join("libhpsocket4c_amd64_64.so"),
        orig.join("libhpsocket4c.so"),
    )
    .expect("copy the original library");
    build(&ours);
    build(&orig);

    for (server_dir, client_dir) in [(&orig, &ours), (&ours, &orig)] {
        let (mut srv, port) = server(server_dir);
        client(client_dir, port);
        let (code, rest) = srv.finish(LIMIT);
        let mut all = srv.seen.clone();
        all.extend(rest.iter().cloned());
        check_requests(&all, server_dir == &orig);
        assert_eq!(
            code,
            Some(0),
            "server ({}) : {all:#?}",
            server_dir.display()
        );
        println!(
            "server {} <- client {}: {REQUESTS} requests answered",
            server_dir.file_name().unwrap().to_string_lossy(),
            client_dir.file_name().unwrap().to_string_lossy()
        );
    }
}
