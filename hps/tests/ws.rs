//! `hps ws-server` and `hps ws-client` end to end: the client verifies every echoed byte (text
//! and binary, with and without permessage-deflate, over TLS too), the server serves its demo
//! page and files, and a real browser (headless Chromium, when installed) runs the demo page's
//! check against the server.

mod util;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testkit::TempDir;
use util::{hps, run, succeeded, ws_server, LIMIT};

#[test]
fn ws_client_verifies_text_and_binary_echoes_with_and_without_deflate() {
    let srv = ws_server(
        &["--deflate", "--protocols", "chat,superchat"],
        Stdio::null(),
    );
    let url = format!("ws://127.0.0.1:{}/room/1", srv.1);
    // 100, 300 and 70000 bytes: 7-bit, 16-bit and 64-bit frame lengths.
    for (count, size) in [("40", "100"), ("40", "300"), ("4", "70000")] {
        for text in [false, true] {
            for deflate in [false, true] {
                let mut cmd = hps();
                cmd.args(["ws-client", &url, "--count", count, "--size", size]);
                if text {
                    cmd.arg("--text");
                }
                if deflate {
                    cmd.arg("--deflate");
                }
                let what = format!("{count} × {size} text {text} deflate {deflate}");
                let out = succeeded(&run(&mut cmd), &what);
                let kind = if text { "text" } else { "binary" };
                assert!(
                    out.contains(&format!("{count} {kind} messages × {size} B")),
                    "{what}: {out}"
                );
                let bytes: u64 = count.parse::<u64>().unwrap() * size.parse::<u64>().unwrap();
                assert!(
                    out.contains(&format!("{bytes} bytes verified, 0 errors")),
                    "{what}: {out}"
                );
                let agreed = if deflate { "on" } else { "off" };
                assert!(
                    out.contains(&format!("permessage-deflate {agreed}")),
                    "{what}: {out}"
                );
            }
        }
    }
    // The server picks the subprotocol the client prefers among those it speaks.
    let out = run(hps().args([
        "ws-client",
        &url,
        "--count",
        "3",
        "--protocol",
        "superchat",
        "--protocol",
        "chat",
    ]));
    assert!(
        succeeded(&out, "protocol").contains("subprotocol superchat"),
        "{out:?}"
    );
}

#[test]
fn ws_client_fails_without_a_websocket_server_and_on_bad_urls() {
    // Nothing listening.
    let port = testkit::free_tcp_port();
    let out = run(hps().args([
        "ws-client",
        &format!("ws://127.0.0.1:{port}/"),
        "--timeout",
        "5",
    ]));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAILED"));
    // An HTTP server that is not a WebSocket one: the handshake is refused (404).
    let dir = TempDir::new("hps-ws-no-ws");
    let mut cmd = hps();
    cmd.args(["http-server", "--port", "0", "--seconds", "60", "--root"])
        .arg(dir.path())
        .stderr(Stdio::null());
    let mut http = testkit::Proc::spawn(cmd);
    let line = http.line(LIMIT).expect("the HTTP server printed nothing");
    let base = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .expect("no URL")
        .trim_end_matches('/')
        .to_string();
    let out = run(hps().args(["ws-client", &format!("ws://{base}/"), "--timeout", "5"]));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    // Not a ws:// URL.
    let out = run(hps().args(["ws-client", "http://127.0.0.1:1/"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn wss_client_verifies_the_server_with_the_printed_ca() {
    let mut srv = ws_server(&["--tls"], Stdio::null());
    let banner = srv.0.line(LIMIT).expect("no banner");
    assert!(banner.contains("wss://"), "{banner}");
    let ca_line = srv.0.line(LIMIT).expect("no CA line");
    let ca = ca_line
        .split_whitespace()
        .find(|w| w.ends_with("ca.pem"))
        .unwrap_or_else(|| panic!("no CA file in {ca_line:?}"))
        .to_string();
    let url = format!("wss://localhost:{}/", srv.1);
    for text in [false, true] {
        let mut cmd = hps();
        cmd.args([
            "ws-client",
            &url,
            "--count",
            "20",
            "--size",
            "5000",
            "--ca",
            &ca,
        ]);
        if text {
            cmd.arg("--text");
        }
        let out = succeeded(&run(&mut cmd), "wss");
        assert!(out.contains("100000 bytes verified, 0 errors"), "{out}");
        assert!(!out.contains("NOT verified"), "{out}");
    }
    // A plain ws:// client gets no WebSocket from a TLS server.
    let out = run(hps().args([
        "ws-client",
        &format!("ws://127.0.0.1:{}/", srv.1),
        "--timeout",
        "5",
    ]));
    assert_eq!(out.status.code(), Some(1));
    // A CA that did not sign the server's certificate fails the handshake.
    let dir = TempDir::new("hps-ws-other-ca");
    let other = testkit::Pki::new().write_ca(&dir.join("ca.pem"));
    let out = run(hps()
        .args(["ws-client", &url, "--timeout", "5", "--ca"])
        .arg(&other));
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_file(&ca);
}

#[test]
fn ws_server_serves_the_demo_page_files_and_prints_results() {
    let dir = TempDir::new("hps-ws-root");
    dir.write("a.txt", "file text\n");
    let mut srv = ws_server(&["--root", dir.path().to_str().unwrap()], Stdio::null());
    let base = format!("http://127.0.0.1:{}", srv.1);
    let get = |path: &str| run(hps().args(["http-client", &format!("{base}{path}")]));
    let demo = succeeded(&get("/demo"), "demo");
    assert!(demo.starts_with("200 OK\n"), "{demo}");
    assert!(
        demo.contains("text/html") && demo.contains("new WebSocket("),
        "{demo}"
    );
    // No index.html under the root: / is the demo page too.
    assert!(succeeded(&get("/"), "/").contains("new WebSocket("));
    assert!(succeeded(&get("/a.txt"), "file").ends_with("\nfile text\n"));
    assert!(!get("/missing").status.success());
    // With an index.html, / is that file; /demo stays.
    dir.write("index.html", "<h1>mine</h1>");
    assert!(succeeded(&get("/"), "index").ends_with("<h1>mine</h1>"));
    assert!(succeeded(&get("/demo"), "demo").contains("new WebSocket("));
    // What a page reports to /result comes out on stdout, one line.
    succeeded(&get("/result?ok=0&why=just%20a%0Atest"), "result");
    let line = srv
        .0
        .line_where(LIMIT, |l| l.starts_with("RESULT"))
        .expect("no RESULT line");
    assert_eq!(line, "RESULT ok=0 why=just a test");
    // Without --root only the demo page and /result are there.
    let bare = ws_server(&[], Stdio::null());
    let bare_base = format!("http://127.0.0.1:{}", bare.1);
    let out = run(hps().args(["http-client", &format!("{bare_base}/a.txt")]));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("404 "));
    let out = run(hps().args(["http-client", &format!("{bare_base}/")]));
    assert!(succeeded(&out, "bare /").contains("new WebSocket("));
}

/// The Chromium (or Chrome) binary: `HPSOCKET_CHROMIUM`, else the first of the usual names on
/// `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HPSOCKET_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
    .find(|p| p.is_file())
}

/// A headless browser in its own process group; the whole group is killed on drop.
struct Browser {
    child: Child,
    log: PathBuf,
    _profile: TempDir,
}

impl Browser {
    fn open(binary: &PathBuf, url: &str) -> Browser {
        use std::os::unix::process::CommandExt;
        let profile = TempDir::new("hps-chromium");
        let log = profile.join("browser.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!(
                "--user-data-dir={}",
                profile.join("profile").display()
            ))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
        Browser {
            child,
            log,
            _profile: profile,
        }
    }

    /// The last lines the browser printed (for a failure message).
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The browser's renderer and helper processes are in its group: end them all.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_headless_browser_runs_the_demo_page_check() {
    let Some(binary) = chromium() else {
        assert!(
            std::env::var_os("HPSOCKET_REQUIRE_BROWSER").is_none(),
            "Chromium is required (HPSOCKET_REQUIRE_BROWSER is set) but not installed"
        );
        eprintln!("skipped: no Chromium (apt-get install chromium)");
        return;
    };
    // Chromium offers permessage-deflate: once refused, once agreed.
    for extra in [&[][..], &["--deflate"][..]] {
        let mut srv = ws_server(extra, Stdio::null());
        let start = Instant::now();
        let browser = Browser::open(&binary, &format!("http://127.0.0.1:{}/demo?auto=1", srv.1));
        let result = srv
            .0
            .line_where(Duration::from_secs(30), |l| l.starts_with("RESULT"));
        let took = start.elapsed();
        let Some(line) = result else {
            panic!(
                "{extra:?}: no result from the browser within 30 s; the browser said:\n{}",
                browser.log_tail()
            );
        };
        // 27 messages (text with 1- to 4-byte characters, empty ones, 100 KB binary, a burst),
        // every byte compared by the page.
        assert!(
            line.starts_with("RESULT ok=1 n=27 "),
            "{extra:?}: {line}\n{}",
            browser.log_tail()
        );
        eprintln!("{extra:?}: {line} after {took:.1?}");
        drop(browser);
    }
}
