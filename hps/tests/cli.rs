//! The `hps` binary end to end: demos start, echo and exit; pfm verifies every byte; bad
//! arguments fail clearly.

mod util;

use std::process::Stdio;
use std::time::{Duration, Instant};

use testkit::{Proc, TempDir};
use util::{hps, run, succeeded, Server, LIMIT};

fn server(model: &str, seconds: &str) -> Server {
    server_with(model, seconds, &[]).0
}

/// A server with extra arguments; also returns the second line it printed, if any (with
/// `--tls`, the one naming the generated CA file).
fn server_with(model: &str, seconds: &str, extra: &[&str]) -> (Server, String) {
    let mut cmd = hps();
    cmd.args([
        "server",
        "--model",
        model,
        "--port",
        "0",
        "--seconds",
        seconds,
    ])
    .args(extra)
    .stderr(Stdio::null());
    let mut proc = Proc::spawn(cmd);
    let line = proc.line(LIMIT).expect("the server printed nothing");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    let second = if extra.is_empty() {
        String::new()
    } else {
        proc.line(LIMIT).expect("no second line from the server")
    };
    (Server(proc, port), second)
}

#[test]
fn help_lists_the_subcommands() {
    let out = run(hps().arg("--help"));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in ["server", "client", "agent", "pfm", "ws-server", "ws-client"] {
        assert!(text.contains(sub), "{text}");
    }
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let out = run(hps().args(["pfm", "--model", "nope"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value"));
    let out = run(hps().args(["pfm", "--addr", "no-port-here", "--quiet"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HOST:PORT"));
    let out = run(hps().args(["pfm", "--connections", "0"]));
    assert_eq!(out.status.code(), Some(2));
    // --tls is --only tls: the two together are refused.
    let out = run(hps().args(["bench", "--tls", "--only", "pack"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn pfm_with_tiny_parameters_verifies_every_byte() {
    for model in ["push", "pull", "pack"] {
        let out = run(hps().args([
            "pfm", "--model", model, "-c", "5", "-r", "20", "-s", "100", "--quiet",
        ]));
        let text = succeeded(&out, model);
        // 5 connections × 20 rounds × 100 bytes, all verified, no errors.
        assert!(text.contains("| 0 | 10000 |"), "{model}: {text}");
    }
}

#[test]
fn demos_echo_for_every_model_and_exit_cleanly() {
    for model in ["push", "pull", "pack"] {
        let mut srv = server(model, "20");
        let port = srv.1.to_string();
        let out = run(hps().args([
            "client",
            "--model",
            model,
            "--port",
            &port,
            "--messages",
            "50",
        ]));
        assert!(
            out.status.success(),
            "{model} client: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("50 messages"));
        let out = run(hps().args([
            "agent",
            "--model",
            model,
            "--port",
            &port,
            "--connections",
            "5",
            "--messages",
            "20",
        ]));
        assert!(
            out.status.success(),
            "{model} agent: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("100 messages"));
        // The server ends by itself when its time is up; here we stop it early.
        let _ = srv.0.child.kill();
        assert!(srv.0.child.wait().is_ok());
    }
    // A server with a short run stops on its own with status 0.
    let mut srv = server("push", "0.5");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = srv.0.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
}

#[test]
fn client_against_a_closed_port_fails() {
    let port = testkit::free_tcp_port().to_string();
    let out = run(hps().args(["client", "--port", &port, "--timeout", "5"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAILED"));
}

#[test]
fn bench_runs_a_short_scenario_and_writes_the_report() {
    let dir = TempDir::new("hps-bench");
    let md = dir.join("B.md");
    let svg = dir.join("b.svg");
    let out = run(hps()
        .args([
            "bench",
            "--no-orig",
            "--secs",
            "0.5",
            "--warmup",
            "0.2",
            "--reps",
            "1",
            "--retries",
            "0",
            "--only",
            "100 × 64,tls,udp,http",
            "--out",
        ])
        .arg(&md)
        .arg("--svg")
        .arg(&svg));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = std::fs::read_to_string(&md).unwrap();
    for (scenario, peer) in [
        ("| ping-pong 100 × 64 B |", "| hpsocket |"),
        ("| ping-pong 100 × 64 B |", "| tokio |"),
        ("| TLS ping-pong 100 × 1 KiB |", "| hpsocket (TLS"),
        ("| TLS ping-pong 100 × 1 KiB |", "| tokio-rustls (TLS"),
        ("| UDP ping-pong 100 × 64 B |", "| hpsocket |"),
        ("| UDP ping-pong 100 × 64 B |", "| tokio |"),
        (
            "| HTTP keep-alive GET 100 × small response |",
            "| hpsocket |",
        ),
        ("| HTTP keep-alive GET 100 × small response |", "| hyper |"),
        // "100 × 64" picks the WebSocket scenario too.
        ("| WebSocket echo 100 × 64 B |", "| hpsocket |"),
        ("| WebSocket echo 100 × 64 B |", "| tokio-tungstenite |"),
    ] {
        let row = report
            .lines()
            .find(|l| l.contains(scenario) && l.contains(peer))
            .unwrap_or_else(|| panic!("no {peer} row in {report}"));
        // Every byte verified: the errors column is 0. UDP may drop datagrams when this
        // machine is busy (a datagram unanswered within its 200 ms counts as an error in a
        // 0.5 s run), so its rows need only carry traffic.
        let cols: Vec<&str> = row.split('|').map(str::trim).collect();
        if scenario.starts_with("| UDP") {
            assert!(cols[8].parse::<u64>().is_ok(), "{row}");
        } else {
            assert_eq!(cols[8], "0", "{row}");
        }
        // Messages (HTTP: parsed responses) were counted.
        assert!(cols[3].parse::<f64>().is_ok_and(|m| m > 0.0), "{row}");
    }
    // Every run is listed too (1 repetition: one row per scenario and peer), with its CPU.
    let (_, runs) = report
        .split_once("<summary>All runs</summary>")
        .unwrap_or_else(|| panic!("no All runs section in {report}"));
    let rows: Vec<&str> = runs
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(" | 1 | "))
        .collect();
    assert_eq!(rows.len(), 10, "{runs}");
    for row in rows {
        let cols: Vec<&str> = row.split('|').map(str::trim).collect();
        assert!(cols[7].ends_with('%') && cols[8].ends_with('%'), "{row}");
        assert_eq!(cols[10], "0", "{row}");
    }
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
}

#[test]
fn pfm_over_tls_verifies_every_byte() {
    for model in ["push", "pull", "pack"] {
        let out = run(hps().args([
            "pfm", "--tls", "--model", model, "-c", "5", "-r", "20", "-s", "100", "--quiet",
        ]));
        let text = succeeded(&out, model);
        assert!(text.contains("over TLS"), "{model}: {text}");
        assert!(text.contains("| 0 | 10000 |"), "{model}: {text}");
    }
}

#[test]
fn tls_demos_verify_the_server_with_the_printed_ca() {
    for model in ["push", "pull", "pack"] {
        let (srv, second) = server_with(model, "20", &["--tls"]);
        let port = srv.1.to_string();
        let ca = second
            .split_whitespace()
            .find(|w| w.ends_with("ca.pem"))
            .unwrap_or_else(|| panic!("no CA file in {second:?}"))
            .to_string();
        let out = run(hps().args([
            "client",
            "--tls",
            "--ca",
            &ca,
            "--model",
            model,
            "--port",
            &port,
            "--messages",
            "30",
        ]));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{model} client: {text}");
        assert!(text.contains("30 messages"), "{text}");
        // Verified: no warning about an unverified server.
        assert!(!text.contains("NOT verified"), "{text}");
        let out = run(hps().args([
            "agent",
            "--tls",
            "--ca",
            &ca,
            "--model",
            model,
            "--port",
            &port,
            "--connections",
            "4",
            "--messages",
            "10",
        ]));
        assert!(out.status.success(), "{model} agent");
        assert!(String::from_utf8_lossy(&out.stdout).contains("40 messages"));
        // A plain client gets no echo from a TLS server and says so.
        let out = run(hps().args([
            "client",
            "--model",
            model,
            "--port",
            &port,
            "--messages",
            "1",
            "--timeout",
            "5",
        ]));
        assert!(
            !out.status.success(),
            "{model}: plain client against TLS server"
        );
        // A CA that did not sign the server's certificate fails the handshake.
        let dir = TempDir::new("hps-cli-other-ca");
        let other = testkit::Pki::new().write_ca(&dir.join("ca.pem"));
        let out = run(hps()
            .args([
                "client",
                "--tls",
                "--model",
                model,
                "--port",
                &port,
                "--timeout",
                "5",
            ])
            .arg("--ca")
            .arg(&other));
        assert!(!out.status.success(), "{model}: client with the wrong CA");
        drop(srv);
        let _ = std::fs::remove_file(&ca);
    }
}

#[test]
fn udp_demos_echo_and_cast() {
    let mut cmd = hps();
    cmd.args(["udp-server", "--port", "0", "--seconds", "20"])
        .stderr(Stdio::null());
    let mut proc = Proc::spawn(cmd);
    let line = proc.line(LIMIT).expect("the UDP server printed nothing");
    let port = line.trim().rsplit(':').next().unwrap().to_string();
    let srv = Server(proc, port.parse().unwrap());
    let out = run(hps().args([
        "udp-client",
        "--port",
        &port,
        "--messages",
        "200",
        "--size",
        "1000",
    ]));
    let text = succeeded(&out, "udp demo");
    assert!(text.contains("200 datagrams × 1000 B"), "{text}");
    assert!(text.contains("200000 bytes verified, 0 errors"), "{text}");
    // Larger than the server accepts: the server drops it and closes the peer, so the client
    // never gets its echo and fails within its time limit.
    let out = run(hps().args([
        "udp-client",
        "--port",
        &port,
        "--messages",
        "1",
        "--size",
        "1433",
        "--max-datagram-size",
        "2000",
        "--timeout",
        "2",
    ]));
    assert!(!out.status.success());
    drop(srv);

    let out = run(hps().args(["udp-cast", "--members", "3", "--messages", "5"]));
    let text = succeeded(&out, "udp demo");
    assert_eq!(text.matches("heard 15 of 15").count(), 3, "{text}");
    let out = run(hps().args([
        "udp-cast",
        "--broadcast",
        "--group",
        "127.255.255.255",
        "--members",
        "2",
        "--messages",
        "3",
    ]));
    let text = succeeded(&out, "udp demo");
    assert_eq!(text.matches("heard 6 of 6").count(), 2, "{text}");
}

#[test]
fn http_demos_serve_files_and_fetch_them() {
    let root = std::env::temp_dir().join(format!("hps-cli-http-{}", std::process::id()));
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub").join("a.txt"), b"file text\n").unwrap();
    std::fs::write(root.join("page.html"), b"<h1>hi</h1>").unwrap();
    let mut cmd = hps();
    cmd.args(["http-server", "--port", "0", "--seconds", "20", "--root"])
        .arg(&root)
        .stderr(Stdio::null());
    let mut proc = Proc::spawn(cmd);
    let line = proc.line(LIMIT).expect("the HTTP server printed nothing");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let srv = Server(proc, port);

    let out = run(hps().args(["http-client", &format!("{base}/sub/a.txt")]));
    let text = succeeded(&out, "http-client");
    assert!(text.starts_with("200 OK\n"), "{text}");
    assert!(
        text.contains("Content-Type: text/plain; charset=utf-8"),
        "{text}"
    );
    assert!(text.ends_with("\nfile text\n"), "{text}");
    let out = run(hps().args(["http-client", &format!("{base}/page.html")]));
    assert!(succeeded(&out, "html").contains("text/html"));
    // A directory lists its entries; a missing file is 404 (exit status 1); HEAD has no body.
    let out = run(hps().args(["http-client", &format!("{base}/")]));
    let text = succeeded(&out, "listing");
    assert!(
        text.contains("sub/") && text.contains("page.html"),
        "{text}"
    );
    let out = run(hps().args(["http-client", &format!("{base}/missing")]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("404 Not Found"));
    let out = run(hps().args(["http-client", "-X", "HEAD", &format!("{base}/page.html")]));
    let text = succeeded(&out, "head");
    assert!(
        text.contains("Content-Length: 11") && text.ends_with("\n\n"),
        "{text}"
    );
    // Paths that leave the root are refused.
    let out = run(hps().args(["http-client", &format!("{base}/sub/../../etc/passwd")]));
    assert!(!out.status.success());
    drop(srv);
    let _ = std::fs::remove_dir_all(&root);
}
