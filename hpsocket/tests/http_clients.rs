//! HTTP clients over loopback: our client, agent and sync client against our server, cookies,
//! HTTPS, and the independent peers — curl and Python's `http.client` against our server,
//! our clients against Python's `http.server`.

mod http_common;
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hpsocket::prelude::*;
use hpsocket::*;
use http_common::*;
use parking_lot::Mutex;

// ---- clients ------------------------------------------------------------------------------

/// Collects responses: status, headers of interest, body.
#[derive(Default)]
struct Got {
    responses: Vec<(u16, Vec<u8>)>,
    body: Vec<u8>,
    upgraded: Vec<u8>,
}

struct Collect(Arc<Mutex<Got>>);

impl ClientListener<HttpClient> for Collect {
    fn on_body(&self, _c: &HttpClient, _id: ConnId, _m: &HttpMessage, d: &[u8]) -> ParseResult {
        self.0.lock().body.extend_from_slice(d);
        ParseResult::Ok
    }
    fn on_message_complete(&self, _c: &HttpClient, _id: ConnId, m: &HttpMessage) -> ParseResult {
        let mut g = self.0.lock();
        let body = std::mem::take(&mut g.body);
        g.responses.push((m.status_code(), body));
        ParseResult::Ok
    }
    fn on_receive(&self, _c: &HttpClient, _id: ConnId, d: &[u8]) -> HandleResult {
        self.0.lock().upgraded.extend_from_slice(d);
        HandleResult::Ok
    }
}

#[test]
fn our_client_talks_to_our_server_including_head_and_pipelining() {
    let (s, _seen, a) = server();
    let got = Arc::new(Mutex::new(Got::default()));
    let c = HttpClient::new(Collect(got.clone()));
    c.start("127.0.0.1", a.port(), false).unwrap();
    c.send_get("/x", &[("X-Tag", "t")]).unwrap();
    c.send_head("/y", &[]).unwrap();
    c.send_post("/z", &[], b"payload").unwrap();
    c.send_request("put", "/w", &[("Content-Type", "text/plain")], b"p")
        .unwrap();
    assert!(util::eventually(|| got.lock().responses.len() == 4));
    let r = got.lock().responses.clone();
    assert_eq!(r[0], (200, b"GET /x ".to_vec()));
    assert_eq!(
        r[1],
        (200, Vec::new()),
        "HEAD: no body despite Content-Length"
    );
    assert_eq!(r[2], (200, b"POST /z payload".to_vec()));
    assert_eq!(r[3], (200, b"PUT /w p".to_vec()));
    assert!(c.is_keep_alive().unwrap());
    // Bad header values are refused before anything is written.
    assert!(matches!(
        c.send_get("/", &[("X", "a\r\nb: c")]),
        Err(Error::InvalidParam(_))
    ));
    c.stop().unwrap();
    s.stop().unwrap();
}

#[test]
fn an_agent_runs_requests_on_many_connections() {
    struct A(Done, Mutex<std::collections::HashMap<ConnId, Vec<u8>>>);
    impl AgentListener<HttpAgent> for A {
        fn on_body(&self, _a: &HttpAgent, id: ConnId, _m: &HttpMessage, d: &[u8]) -> ParseResult {
            self.1.lock().entry(id).or_default().extend_from_slice(d);
            ParseResult::Ok
        }
        fn on_message_complete(&self, _a: &HttpAgent, id: ConnId, _m: &HttpMessage) -> ParseResult {
            let body = self.1.lock().remove(&id).unwrap_or_default();
            self.0.lock().push((id, body));
            ParseResult::Ok
        }
    }
    let (s, _seen, a) = server();
    let done = Arc::new(Mutex::new(Vec::new()));
    let agent = HttpAgent::new(A(done.clone(), Mutex::new(Default::default())));
    agent.start(None, false).unwrap();
    let ids: Vec<ConnId> = (0..10)
        .map(|_| agent.connect("127.0.0.1", a.port()).unwrap())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        agent
            .send_post(*id, &format!("/{i}"), &[], format!("n{i}").as_bytes())
            .unwrap();
    }
    assert!(util::eventually(|| done.lock().len() == 10));
    for (id, body) in done.lock().iter() {
        let i = ids.iter().position(|x| x == id).unwrap();
        assert_eq!(body, format!("POST /{i} n{i}").as_bytes());
    }
    agent.stop().unwrap();
    s.stop().unwrap();
}

// ---- independent peers --------------------------------------------------------------------

#[test]
fn curl_gets_answers_from_our_server() {
    if Command::new("curl").arg("--version").output().is_err() {
        assert!(
            std::env::var("HPSOCKET_REQUIRE_CURL").is_err(),
            "curl is required (HPSOCKET_REQUIRE_CURL is set)"
        );
        eprintln!("skipped: curl is not installed");
        return;
    }
    let (s, _seen, a) = server();
    let base = format!("http://{a}");
    // Two requests on one connection (curl reuses it), a POST, a HEAD.
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-H", "X-Tag: c1"])
        .arg(format!("{base}/one"))
        .arg(format!("{base}/two?q=1"))
        .args(["-d", "data=1", "-X", "POST"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "POST /one data=1POST /two?q=1 data=1"
    );
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-I"])
        .arg(format!("{base}/h"))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-length: 8"),
        "{head}"
    );
    s.stop().unwrap();
}

fn python() -> Option<&'static str> {
    Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .map(|_| "python3")
}

#[test]
fn pythons_http_client_and_server_interoperate_with_ours() {
    let Some(py) = python() else {
        eprintln!("skipped: python3 missing");
        return;
    };
    // Python's client against our server: keep-alive over several requests and a chunked
    // request body.
    let (s, _seen, a) = server();
    let script = format!(
        r#"
import http.client
c = http.client.HTTPConnection("127.0.0.1", {port}, timeout=10)
out = []
for i in range(3):
    c.request("POST", "/p%d" % i, body=b"b%d" % i, headers={{"X-Tag": "t%d" % i}})
    r = c.getresponse()
    out.append("%d %s %s" % (r.status, r.getheader("X-Tag"), r.read().decode()))
c.request("PUT", "/chunked", body=iter([b"ab", b"cd"]), encode_chunked=True)
r = c.getresponse()
out.append(r.read().decode())
print("|".join(out))
"#,
        port = a.port()
    );
    let out = Command::new(py).arg("-c").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "200 t0 POST /p0 b0|200 t1 POST /p1 b1|200 t2 POST /p2 b2|PUT /chunked abcd"
    );
    s.stop().unwrap();

    // Our client against Python's server (HTTP/1.0 responses, read until close).
    let dir = std::env::temp_dir().join(format!("hps-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("f.txt"), b"file body").unwrap();
    let port = testkit::free_tcp_port();
    let mut child = Command::new(py)
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + LIMIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "python http.server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = Arc::new(Mutex::new(Got::default()));
    let c = HttpClient::new(Collect(got.clone()));
    c.start("127.0.0.1", port, false).unwrap();
    assert!(util::eventually(|| c.is_connected()));
    c.send_get("/f.txt", &[]).unwrap();
    assert!(util::eventually(|| !got.lock().responses.is_empty()));
    assert_eq!(got.lock().responses[0], (200, b"file body".to_vec()));
    let _ = c.stop();
    // The sync client too (HTTP/1.0 answers: a new connection each time).
    let sync = HttpSyncClient::new();
    for _ in 0..2 {
        sync.open_url(
            "GET",
            &format!("http://127.0.0.1:{port}/f.txt"),
            &[],
            b"",
            false,
        )
        .unwrap();
        assert_eq!(
            (sync.status_code(), sync.response_body()),
            (200, b"file body".to_vec())
        );
    }
    sync.open_url(
        "GET",
        &format!("http://127.0.0.1:{port}/missing"),
        &[],
        b"",
        false,
    )
    .unwrap();
    assert_eq!(sync.status_code(), 404);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the sync client ----------------------------------------------------------------------

#[test]
fn the_sync_client_reuses_its_connection_and_keeps_the_response() {
    let (s, _seen, a) = server();
    let c = HttpSyncClient::new();
    let base = format!("http://127.0.0.1:{}", a.port());
    c.open_url(
        "GET",
        &format!("{base}/one?x=1"),
        &[("X-Tag", "s1")],
        b"",
        false,
    )
    .unwrap();
    let r = c.response();
    assert_eq!((r.status, r.reason.as_str()), (200, "OK"));
    assert_eq!(r.body, b"GET /one?x=1 ");
    assert_eq!(r.header("x-tag"), Some(&b"s1"[..]));
    assert!(r.keep_alive);
    c.open_url("POST", &format!("{base}/two"), &[], b"abc", false)
        .unwrap();
    assert_eq!(c.response_body(), b"POST /two abc");
    // Both requests went over one connection.
    assert_eq!(s.connection_count(), 1);
    c.send_request("HEAD", "/three", &[], b"").unwrap();
    assert_eq!((c.status_code(), c.response_body().len()), (200, 0));
    c.cleanup_request_result();
    assert_eq!(c.status_code(), 0);
    // A forced reconnect opens a new connection.
    c.open_url("GET", &format!("{base}/four"), &[], b"", true)
        .unwrap();
    assert!(util::eventually(|| s.connection_count() == 1));
    c.stop().unwrap();
    s.stop().unwrap();
}

#[test]
fn the_sync_client_fails_clearly() {
    let c = HttpSyncClient::new();
    assert!(matches!(
        c.open_url("GET", "https://127.0.0.1:1/", &[], b"", false),
        Err(Error::InvalidParam(_))
    ));
    assert!(matches!(
        c.open_url("GET", "not a url", &[], b"", false),
        Err(Error::InvalidParam(_))
    ));
    // Nothing listens: the connect fails.
    let port = testkit::free_tcp_port();
    assert!(c
        .open_url("GET", &format!("http://127.0.0.1:{port}/"), &[], b"", false)
        .is_err());
    // A server that accepts and never answers: the request timeout ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    c.set_request_timeout(300).unwrap();
    let t0 = Instant::now();
    let r = c.open_url("GET", &url, &[], b"", false);
    assert!(
        matches!(&r, Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut),
        "{r:?}"
    );
    assert!(t0.elapsed() >= Duration::from_millis(250) && t0.elapsed() < LIMIT);
    // A server that answers garbage: a clear parse error, not a hang.
    let garbage = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", garbage.local_addr().unwrap());
    let t = std::thread::spawn(move || {
        let (mut s, _) = garbage.accept().unwrap();
        let mut b = [0u8; 1024];
        let _ = s.read(&mut b);
        s.write_all(b"NOT HTTP\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(200));
    });
    let r = c.open_url("GET", &url, &[], b"", false);
    assert!(
        matches!(&r, Err(Error::Io(e)) if e.to_string().contains("bad response")),
        "{r:?}"
    );
    t.join().unwrap();
}

// ---- cookies ------------------------------------------------------------------------------

#[test]
fn clients_keep_the_cookies_servers_set_and_send_them_back() {
    /// Sets a cookie on /login, answers every request with the Cookie field it got.
    struct Jar;
    impl ServerListener<HttpServer> for Jar {
        fn on_message_complete(&self, s: &HttpServer, id: ConnId, m: &HttpMessage) -> ParseResult {
            let got = m
                .header("cookie")
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default();
            let set: &[Header<'_>] = if m.url().starts_with("/login") {
                &[
                    ("Set-Cookie", "sid=s3cr3t; Path=/"),
                    ("Set-Cookie", "pref=dark; Path=/app"),
                ]
            } else {
                &[]
            };
            s.send_response(id, 200, None, set, got.as_bytes()).unwrap();
            ParseResult::Ok
        }
    }
    let s = HttpServer::new(Jar);
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port();
    // "localhost": the jar is process-wide, and the other tests talk to 127.0.0.1.
    let c = HttpSyncClient::new();
    let base = format!("http://localhost:{port}");
    c.open_url("GET", &format!("{base}/login"), &[], b"", false)
        .unwrap();
    assert_eq!(c.response_body(), b"");
    c.open_url("GET", &format!("{base}/app/page"), &[], b"", false)
        .unwrap();
    assert_eq!(c.response_body(), b"pref=dark; sid=s3cr3t");
    c.open_url("GET", &format!("{base}/other"), &[], b"", false)
        .unwrap();
    assert_eq!(c.response_body(), b"sid=s3cr3t");
    // Given Cookie fields are sent as they are; a client without cookies sends none.
    c.open_url(
        "GET",
        &format!("{base}/app"),
        &[("Cookie", "x=1")],
        b"",
        false,
    )
    .unwrap();
    assert_eq!(c.response_body(), b"x=1");
    let plain = HttpSyncClient::new();
    plain.client().set_http_use_cookie(false).unwrap();
    plain
        .open_url("GET", &format!("{base}/app/page"), &[], b"", false)
        .unwrap();
    assert_eq!(plain.response_body(), b"");
    // The jar saves in curl's format and curl sends the cookies back.
    let mut file = Vec::new();
    cookie_jar().lock().save(&mut file).unwrap();
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(
        text.contains("localhost\tFALSE\t/\tFALSE\t0\tsid\ts3cr3t"),
        "{text}"
    );
    if Command::new("curl").arg("--version").output().is_ok() {
        let path = std::env::temp_dir().join(format!("hps-jar-{}.txt", std::process::id()));
        std::fs::write(&path, &file).unwrap();
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "-b"])
            .arg(&path)
            .arg(format!("{base}/app/x"))
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&path);
        let body = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            body.contains("sid=s3cr3t") && body.contains("pref=dark"),
            "{body}"
        );
    }
    c.stop().unwrap();
    plain.stop().unwrap();
    s.stop().unwrap();
}

#[test]
fn expect_100_continue_is_answered_before_the_body() {
    let (s, _seen, a) = server();
    let mut c = connect(a);
    c.write_all(
        b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    let mut interim = [0u8; 25];
    c.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    c.write_all(b"hello").unwrap();
    let (st, _, body) = read_response(&mut c, &mut Vec::new()).unwrap();
    assert_eq!((st, body.as_slice()), (200, &b"POST /up hello"[..]));
    // Our client skips the interim answer and reads the real one.
    let got = Arc::new(Mutex::new(Got::default()));
    let cl = HttpClient::new(Collect(got.clone()));
    cl.start("127.0.0.1", a.port(), false).unwrap();
    cl.send_post("/x", &[("Expect", "100-continue")], b"body")
        .unwrap();
    assert!(util::eventually(|| got.lock().responses.len() == 1));
    assert_eq!(got.lock().responses[0], (200, b"POST /x body".to_vec()));
    cl.stop().unwrap();
    s.stop().unwrap();
}

// ---- HTTPS --------------------------------------------------------------------------------

#[test]
fn https_server_client_and_sync_client_talk_over_tls() {
    /// Answers with the request line and whether the connection is secure.
    struct Secure;
    impl ServerListener<HttpsServer> for Secure {
        fn on_message_complete(&self, s: &HttpsServer, id: ConnId, m: &HttpMessage) -> ParseResult {
            let body = format!("{} {} tls={}", m.method(), m.url(), s.is_secure());
            s.send_response(id, 200, None, &[], body.as_bytes())
                .unwrap();
            ParseResult::Ok
        }
    }
    let pki = util::Pki::new();
    let s = HttpsServer::new(Secure);
    s.setup_ssl_context(&pki.server_setup()).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port();

    // The asynchronous client, verifying the server.
    type Responses = Arc<Mutex<Vec<(u16, Vec<u8>)>>>;
    struct C(Responses, Mutex<Vec<u8>>);
    impl ClientListener<HttpsClient> for C {
        fn on_body(
            &self,
            _c: &HttpsClient,
            _id: ConnId,
            _m: &HttpMessage,
            d: &[u8],
        ) -> ParseResult {
            self.1.lock().extend_from_slice(d);
            ParseResult::Ok
        }
        fn on_message_complete(
            &self,
            _c: &HttpsClient,
            _id: ConnId,
            m: &HttpMessage,
        ) -> ParseResult {
            let body = std::mem::take(&mut *self.1.lock());
            self.0.lock().push((m.status_code(), body));
            ParseResult::Ok
        }
    }
    let got = Arc::new(Mutex::new(Vec::new()));
    let c = HttpsClient::new(C(got.clone(), Mutex::new(Vec::new())));
    c.setup_ssl_context(&pki.client_setup()).unwrap();
    c.start("localhost", port, false).unwrap();
    c.send_get("/secure", &[]).unwrap();
    c.send_post("/again", &[], b"x").unwrap();
    assert!(util::eventually(|| got.lock().len() == 2));
    assert_eq!(got.lock()[0], (200, b"GET /secure tls=true".to_vec()));
    assert_eq!(got.lock()[1], (200, b"POST /again tls=true".to_vec()));
    c.stop().unwrap();

    // The sync client with an https URL.
    let sync = HttpsSyncClient::new();
    sync.client()
        .setup_ssl_context(&pki.client_setup())
        .unwrap();
    sync.open_url(
        "GET",
        &format!("https://localhost:{port}/sync"),
        &[],
        b"",
        false,
    )
    .unwrap();
    assert_eq!(sync.response_body(), b"GET /sync tls=true");
    // http:// on the https client is refused.
    assert!(matches!(
        sync.open_url("GET", &format!("http://localhost:{port}/"), &[], b"", false),
        Err(Error::InvalidParam(_))
    ));
    sync.stop().unwrap();

    // curl over TLS, verifying against the test CA.
    if Command::new("curl").arg("--version").output().is_ok() {
        let ca = std::env::temp_dir().join(format!("hps-https-ca-{}.pem", std::process::id()));
        std::fs::write(&ca, &pki.0.ca).unwrap();
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", "--cacert"])
            .arg(&ca)
            .arg(format!("https://localhost:{port}/curl"))
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&ca);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "GET /curl tls=true");
    }
    s.stop().unwrap();
}
