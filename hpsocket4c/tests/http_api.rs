//! The HTTP family of the C API called directly from Rust (the `extern "C"` functions of the
//! rlib) on loopback:
//!
//! - a C-ABI HTTP server answers a raw `TcpStream` client (POST with a body, query, repeated
//!   header and cookies, then a keep-alive GET and a HEAD on the same connection) and curl
//!   when it is installed (skipped if not, unless `HPSOCKET_REQUIRE_CURL` is set); the getters
//!   are checked inside the callbacks (method, URL fields, headers, cookies, content length,
//!   keep-alive, version, host) and from the test thread afterwards (the kept snapshot);
//! - a garbage request gets 400 and OnParseError fires with a code and a description, which
//!   GetParseErrorCode reports too;
//! - a C-ABI HTTP client and agent against that server: status code, headers, body, HEAD
//!   without a body, keep-alive;
//! - bad calls: NULL / destroyed / non-HTTP handles, unknown connection IDs, NULL arguments,
//!   stopped components, StartHttp and the auto-start switch, out-of-range values.
//!
//! Every wait is bounded.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use hpsocket4c::agent::*;
use hpsocket4c::client::*;
use hpsocket4c::http::*;
use hpsocket4c::listener::*;
use hpsocket4c::server::*;
use hpsocket4c::sys::SYS_GetLastError;

mod common;
use common::http::{read_header_lines, sync_get};

type H = *mut c_void;

const TRUE: c_int = 1;
const FALSE: c_int = 0;
const HPR_OK: c_int = 0;
const HUF_PATH: c_int = 3;
const HUF_QUERY: c_int = 4;
const HV_1_0: c_int = 0x0001;
const HV_1_1: c_int = 0x0101;

const EPERM: u32 = 1;
const EBADF: u32 = 9;
const EINVAL: u32 = 22;
const ENODATA: u32 = 61;
const EBADSLT: u32 = 57;

const LIMIT: Duration = Duration::from_secs(15);
const LOCALHOST: &CStr = c"127.0.0.1";

/// What the callbacks saw, as text lines, by component handle.
static SEEN: LazyLock<Mutex<HashMap<usize, Vec<String>>>> = LazyLock::new(Default::default);
/// Bodies collected per (handle, connection).
type Bodies = HashMap<(usize, usize), Vec<u8>>;
static BODIES: LazyLock<Mutex<Bodies>> = LazyLock::new(Default::default);

fn log(h: H, line: String) {
    SEEN.lock()
        .unwrap()
        .entry(h as usize)
        .or_default()
        .push(line);
}

fn seen(h: H) -> Vec<String> {
    SEEN.lock()
        .unwrap()
        .get(&(h as usize))
        .cloned()
        .unwrap_or_default()
}

/// Waits until `h` logged a line starting with `prefix`; all its lines.
fn wait_line(h: H, prefix: &str) -> Vec<String> {
    let end = Instant::now() + LIMIT;
    loop {
        let v = seen(h);
        if v.iter().any(|l| l.starts_with(prefix)) {
            return v;
        }
        assert!(Instant::now() < end, "no {prefix:?} line; saw {v:#?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn line<'a>(v: &'a [String], prefix: &str) -> &'a str {
    v.iter()
        .rev()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {v:#?}"))
}

fn cb(f: *const ()) -> Option<unsafe extern "C" fn()> {
    // SAFETY: every `f` is an `extern "C"` function of the type the setter's C callback has.
    Some(unsafe { std::mem::transmute::<*const (), unsafe extern "C" fn()>(f) })
}

fn text(p: *const c_char) -> String {
    if p.is_null() {
        "(null)".into()
    } else {
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Starts server `s` on 127.0.0.1; its port.
unsafe fn start_on_localhost(s: H) -> u16 {
    assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), TRUE);
    let mut buf = [0 as c_char; 64];
    let (mut len, mut port) = (64, 0u16);
    assert_eq!(
        HP_Server_GetListenAddress(s, buf.as_mut_ptr(), &mut len, &mut port),
        TRUE
    );
    port
}

/// A raw client connected to `port`: its writing and its reading side.
fn raw_client(port: u16) -> (TcpStream, BufReader<TcpStream>) {
    let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    (c.try_clone().unwrap(), BufReader::new(c))
}

/// Whether curl is installed; without it the test fails if `HPSOCKET_REQUIRE_CURL` is set.
fn have_curl() -> bool {
    let have = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var_os("HPSOCKET_REQUIRE_CURL").is_none(),
            "curl is required (HPSOCKET_REQUIRE_CURL) but not installed"
        );
        eprintln!("NOTICE: curl not installed: its checks skipped");
    }
    have
}

/// The sync client's last response body (GetResponseBody must succeed).
unsafe fn sync_body(c: H) -> Vec<u8> {
    let mut body: *const u8 = std::ptr::null();
    let mut len: c_int = 0;
    assert_eq!(
        HP_HttpSyncClient_GetResponseBody(c, &mut body, &mut len),
        TRUE
    );
    std::slice::from_raw_parts(body, len as usize).to_vec()
}

// ---- the server's callbacks ----

unsafe extern "C" fn srv_request_line(
    s: H,
    id: usize,
    method: *const c_char,
    url: *const c_char,
) -> c_int {
    // The getters already answer here, for the message being parsed.
    let m = text(HP_HttpServer_GetMethod(s, id));
    log(s, format!("line {} {} getter={m}", text(method), text(url)));
    HPR_OK
}

unsafe extern "C" fn srv_headers_complete(s: H, id: usize) -> c_int {
    let mut value: *const c_char = std::ptr::null();
    let tag = if HP_HttpServer_GetHeader(s, id, c"x-TAG".as_ptr(), &mut value) == TRUE {
        text(value)
    } else {
        "-".into()
    };
    let mut multi = [std::ptr::null(); 4];
    let mut n: u32 = 4;
    let ok = HP_HttpServer_GetHeaders(s, id, c"X-Multi".as_ptr(), multi.as_mut_ptr(), &mut n);
    let multi: Vec<String> = if ok == TRUE {
        multi[..n as usize].iter().map(|p| text(*p)).collect()
    } else {
        vec![]
    };
    // The count first (NULL array), then the fields.
    let mut count: u32 = 0;
    let asked = HP_HttpServer_GetAllHeaders(s, id, std::ptr::null_mut(), &mut count);
    let mut all = vec![
        TNVPair {
            name: std::ptr::null(),
            value: std::ptr::null()
        };
        count as usize
    ];
    let got = HP_HttpServer_GetAllHeaders(s, id, all.as_mut_ptr(), &mut count);
    let mut names = vec![std::ptr::null(); count as usize];
    let mut ncount = count;
    HP_HttpServer_GetAllHeaderNames(s, id, names.as_mut_ptr(), &mut ncount);
    let mut cookie: *const c_char = std::ptr::null();
    let a = if HP_HttpServer_GetCookie(s, id, c"a".as_ptr(), &mut cookie) == TRUE {
        text(cookie)
    } else {
        "-".into()
    };
    let mut cookies = [TNVPair {
        name: std::ptr::null(),
        value: std::ptr::null(),
    }; 8];
    let mut ccount: u32 = 8;
    HP_HttpServer_GetAllCookies(s, id, cookies.as_mut_ptr(), &mut ccount);
    let cookies: Vec<String> = cookies[..ccount as usize]
        .iter()
        .map(|c| format!("{}={}", text(c.name), text(c.value)))
        .collect();
    log(
        s,
        format!(
            "head id={id} method={} path={} query={} set={:#x} tag={tag} multi={} count={count} asked={asked} got={got} names={} cookie_a={a} cookies={} len={} keep={} version={:#x} host={} type={} upgrade={}",
            text(HP_HttpServer_GetMethod(s, id)),
            text(HP_HttpServer_GetUrlField(s, id, HUF_PATH)),
            text(HP_HttpServer_GetUrlField(s, id, HUF_QUERY)),
            HP_HttpServer_GetUrlFieldSet(s, id),
            multi.join(","),
            names[..ncount as usize].iter().map(|p| text(*p)).collect::<Vec<_>>().join(","),
            cookies.join(","),
            HP_HttpServer_GetContentLength(s, id),
            HP_HttpServer_IsKeepAlive(s, id),
            HP_HttpServer_GetVersion(s, id),
            text(HP_HttpServer_GetHost(s, id)),
            text(HP_HttpServer_GetContentType(s, id)),
            HP_HttpServer_IsUpgrade(s, id),
        ),
    );
    HPR_OK
}

unsafe extern "C" fn body(s: H, id: usize, p: *const u8, n: c_int) -> c_int {
    let d = std::slice::from_raw_parts(p, n as usize);
    BODIES
        .lock()
        .unwrap()
        .entry((s as usize, id))
        .or_default()
        .extend_from_slice(d);
    HPR_OK
}

/// Answers `METHOD path body` with the request's X-Tag echoed; HEAD gets the length only.
unsafe extern "C" fn srv_message_complete(s: H, id: usize) -> c_int {
    let method = text(HP_HttpServer_GetMethod(s, id));
    let path = text(HP_HttpServer_GetUrlField(s, id, HUF_PATH));
    let body = BODIES
        .lock()
        .unwrap()
        .remove(&(s as usize, id))
        .unwrap_or_default();
    let mut out = format!("{method} {path} ").into_bytes();
    out.extend_from_slice(&body);
    let mut tag: *const c_char = c"none".as_ptr();
    HP_HttpServer_GetHeader(s, id, c"X-Tag".as_ptr(), &mut tag);
    let len = CString::new(out.len().to_string()).unwrap();
    let headers = [
        TNVPair {
            name: c"Content-Type".as_ptr(),
            value: c"text/plain".as_ptr(),
        },
        TNVPair {
            name: c"X-Tag".as_ptr(),
            value: tag,
        },
        TNVPair {
            name: c"Set-Cookie".as_ptr(),
            value: c"sid=42; Path=/".as_ptr(),
        },
        TNVPair {
            name: c"Content-Length".as_ptr(),
            value: len.as_ptr(),
        },
    ];
    let (data, n) = if method == "HEAD" {
        (std::ptr::null(), 0)
    } else {
        (out.as_ptr(), out.len() as c_int)
    };
    let ok = HP_HttpServer_SendResponse(s, id, 200, std::ptr::null(), headers.as_ptr(), 4, data, n);
    // As HP-Socket's applications do: a request that does not keep the connection is
    // answered, then released.
    if HP_HttpServer_IsKeepAlive(s, id) == FALSE {
        HP_HttpServer_Release(s, id);
    }
    log(s, format!("complete id={id} {method} {path} sent={ok}"));
    HPR_OK
}

unsafe extern "C" fn srv_parse_error(s: H, id: usize, code: c_int, desc: *const c_char) -> c_int {
    let mut d: *const c_char = std::ptr::null();
    let again = HP_HttpServer_GetParseErrorCode(s, id, &mut d);
    log(
        s,
        format!(
            "parse-error code={code} desc={} getter={again} {}",
            text(desc),
            text(d)
        ),
    );
    HPR_OK
}

unsafe extern "C" fn srv_close(s: H, id: usize, op: c_int, err: c_int) -> c_int {
    log(s, format!("close id={id} op={op} err={err}"));
    0
}

/// A C-ABI HTTP server on 127.0.0.1 and its port.
fn http_server() -> (H, H, u16) {
    let l = Create_HP_HttpServerListener();
    HP_Set_FN_HttpServer_OnRequestLine(l, cb(srv_request_line as *const ()));
    HP_Set_FN_HttpServer_OnHeadersComplete(l, cb(srv_headers_complete as *const ()));
    HP_Set_FN_HttpServer_OnBody(l, cb(body as *const ()));
    HP_Set_FN_HttpServer_OnMessageComplete(l, cb(srv_message_complete as *const ()));
    HP_Set_FN_HttpServer_OnParseError(l, cb(srv_parse_error as *const ()));
    HP_Set_FN_HttpServer_OnClose(l, cb(srv_close as *const ()));
    let s = Create_HP_HttpServer(l);
    assert!(!s.is_null());
    HP_HttpServer_SetReleaseDelay(s, 100);
    (l, s, unsafe { start_on_localhost(s) })
}

fn stop(s: H, l: H) {
    Destroy_HP_HttpServer(s);
    Destroy_HP_HttpServerListener(l);
}

/// Reads one response: status, headers (lower-cased names) and body (by Content-Length;
/// `head`: none).
fn read_response(
    r: &mut BufReader<TcpStream>,
    head: bool,
) -> (u16, HashMap<String, String>, Vec<u8>) {
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("status line {status:?}"))
        .parse()
        .unwrap();
    let mut headers = HashMap::new();
    for l in read_header_lines(r) {
        let (n, v) = l.split_once(':').unwrap();
        headers.insert(n.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let n: usize = headers
        .get("content-length")
        .map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0; if head { 0 } else { n }];
    r.read_exact(&mut body).unwrap();
    (code, headers, body)
}

#[test]
fn server_answers_a_raw_client_and_its_getters_work_inside_callbacks_and_after() {
    let (l, s, port) = http_server();
    let (mut w, mut r) = raw_client(port);

    w.write_all(
        b"POST /submit/form?x=1&y=2 HTTP/1.1\r\nHost: example.test:8080\r\nX-Tag: first\r\n\
          X-Multi: one\r\nX-Multi: two\r\nCookie: a=1; b=2\r\nCookie: c=3\r\n\
          Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    )
    .unwrap();
    let (code, headers, body) = read_response(&mut r, false);
    assert_eq!(code, 200);
    assert_eq!(headers["x-tag"], "first");
    assert_eq!(body, b"POST /submit/form hello");

    let v = wait_line(s, "complete");
    assert_eq!(
        line(&v, "line "),
        "line POST /submit/form?x=1&y=2 getter=POST"
    );
    let head = line(&v, "head ");
    for want in [
        "method=POST",
        "path=/submit/form",
        "query=x=1&y=2",
        // Path and query only: bits 3 and 4.
        "set=0x18",
        "tag=first",
        "multi=one,two",
        "count=8 asked=0 got=1",
        "names=Host,X-Tag,X-Multi,X-Multi,Cookie,Cookie,Content-Type,Content-Length",
        "cookie_a=1",
        "cookies=a=1,b=2,c=3",
        "len=5",
        "keep=1",
        "version=0x101",
        "host=example.test:8080",
        "type=text/plain",
        "upgrade=0",
    ] {
        assert!(head.contains(want), "{want:?} not in {head:?}");
    }
    let id: usize = head
        .split_whitespace()
        .find_map(|w| w.strip_prefix("id="))
        .unwrap()
        .parse()
        .unwrap();

    // Outside the callbacks, from this thread: the snapshot of the last message.
    unsafe {
        let mut value: *const c_char = std::ptr::null();
        assert_eq!(
            HP_HttpServer_GetHeader(s, id, c"X-Tag".as_ptr(), &mut value),
            TRUE
        );
        assert_eq!(text(value), "first");
        assert_eq!(text(HP_HttpServer_GetMethod(s, id)), "POST");
        assert_eq!(HP_HttpServer_GetContentLength(s, id), 5);
        assert_eq!(HP_HttpServer_IsKeepAlive(s, id), TRUE);
        let mut d: *const c_char = std::ptr::null();
        assert_eq!(HP_HttpServer_GetParseErrorCode(s, id, &mut d), 0);
        assert_eq!(text(d), "HPE_OK");
        // A header it lacks: FALSE, ENODATA.
        assert_eq!(
            HP_HttpServer_GetHeader(s, id, c"X-None".as_ptr(), &mut value),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), ENODATA);
        assert!(HP_HttpServer_GetContentEncoding(s, id).is_null());
        // The TCP functions work on the HTTP server.
        assert_eq!(HP_Server_GetConnectionCount(s), 1);
        assert_eq!(HP_Server_IsConnected(s, id), TRUE);
    }

    // Keep-alive: a GET and a HEAD on the same connection, the last one closing it.
    w.write_all(b"GET /again HTTP/1.1\r\nHost: h\r\nX-Tag: second\r\n\r\n")
        .unwrap();
    let (code, headers, body) = read_response(&mut r, false);
    assert_eq!((code, headers["x-tag"].as_str()), (200, "second"));
    assert_eq!(body, b"GET /again ");
    w.write_all(b"HEAD /h HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        .unwrap();
    let (code, headers, body) = read_response(&mut r, true);
    assert_eq!(code, 200);
    assert_eq!(
        headers["content-length"], "8",
        "HEAD: the length of what GET would send"
    );
    assert!(body.is_empty());
    // The server closes after answering a request that asked for it.
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    let v = wait_line(s, &format!("close id={id}"));
    let heads: Vec<&String> = v.iter().filter(|l| l.starts_with("head ")).collect();
    assert_eq!(heads.len(), 3);
    assert!(heads[1].contains("keep=1") && heads[1].contains("len=0"));
    assert!(heads[2].contains("method=HEAD") && heads[2].contains("keep=0"));
    // Closed: its getters fail.
    assert!(HP_HttpServer_GetMethod(s, id).is_null());
    assert_eq!(SYS_GetLastError(), EBADSLT);
    stop(s, l);
}

#[test]
fn garbage_gets_400_and_on_parse_error() {
    let (l, s, port) = http_server();
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"THIS IS NOT HTTP\r\n\r\n").unwrap();
    let mut out = Vec::new();
    c.read_to_end(&mut out).unwrap();
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 400 "), "{out:?}");
    let v = wait_line(s, "close");
    let e = line(&v, "parse-error");
    let code: i32 = e
        .split_whitespace()
        .find_map(|w| w.strip_prefix("code="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(code > 0, "{e}");
    assert!(e.contains(&format!("getter={code} ")), "{e}");
    assert!(!e.contains("desc= "), "a description: {e}");
    stop(s, l);
}

#[test]
fn curl_gets_answers() {
    if !have_curl() {
        return;
    }
    let (l, s, port) = http_server();
    let url = format!("http://127.0.0.1:{port}/curl/path?k=v");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-i",
            "--max-time",
            "10",
            "-H",
            "X-Tag: from-curl",
            "-b",
            "a=7",
        ])
        .args(["--data-binary", "payload", &url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("X-Tag: from-curl"), "{text}");
    assert!(text.ends_with("POST /curl/path payload"), "{text}");
    let v = wait_line(s, "complete");
    let head = line(&v, "head ");
    assert!(
        head.contains("cookie_a=7") && head.contains("query=k=v") && head.contains("len=7"),
        "{head}"
    );
    stop(s, l);
}

// ---- client and agent ----

unsafe extern "C" fn cli_status(c: H, id: usize, status: u16, desc: *const c_char) -> c_int {
    log(c, format!("status id={id} {status} {}", text(desc)));
    HPR_OK
}

unsafe extern "C" fn cli_complete(c: H, id: usize) -> c_int {
    let body = BODIES
        .lock()
        .unwrap()
        .remove(&(c as usize, id))
        .unwrap_or_default();
    let agent = AGENT.lock().unwrap().contains(&(c as usize));
    let (status, tag, len, keep, cookie) = if agent {
        let mut t: *const c_char = std::ptr::null();
        HP_HttpAgent_GetHeader(c, id, c"X-Tag".as_ptr(), &mut t);
        let mut k: *const c_char = std::ptr::null();
        HP_HttpAgent_GetCookie(c, id, c"sid".as_ptr(), &mut k);
        (
            HP_HttpAgent_GetStatusCode(c, id),
            text(t),
            HP_HttpAgent_GetContentLength(c, id),
            HP_HttpAgent_IsKeepAlive(c, id),
            text(k),
        )
    } else {
        let mut t: *const c_char = std::ptr::null();
        HP_HttpClient_GetHeader(c, c"X-Tag".as_ptr(), &mut t);
        let mut k: *const c_char = std::ptr::null();
        HP_HttpClient_GetCookie(c, c"sid".as_ptr(), &mut k);
        (
            HP_HttpClient_GetStatusCode(c),
            text(t),
            HP_HttpClient_GetContentLength(c),
            HP_HttpClient_IsKeepAlive(c),
            text(k),
        )
    };
    log(
        c,
        format!(
            "done id={id} status={status} tag={tag} len={len} keep={keep} sid={cookie} body={}",
            String::from_utf8_lossy(&body)
        ),
    );
    HPR_OK
}

/// The handles of the agents (their callbacks use the agent getters).
static AGENT: LazyLock<Mutex<Vec<usize>>> = LazyLock::new(Default::default);

fn tag(v: &CStr) -> [TNVPair; 1] {
    [TNVPair {
        name: c"X-Tag".as_ptr(),
        value: v.as_ptr(),
    }]
}

#[test]
fn client_and_agent_talk_to_the_server() {
    let (sl, s, port) = http_server();

    // Client.
    let l = Create_HP_HttpClientListener();
    HP_Set_FN_HttpClient_OnStatusLine(l, cb(cli_status as *const ()));
    HP_Set_FN_HttpClient_OnBody(l, cb(body as *const ()));
    HP_Set_FN_HttpClient_OnMessageComplete(l, cb(cli_complete as *const ()));
    let c = Create_HP_HttpClient(l);
    unsafe {
        assert_eq!(HP_Client_Start(c, LOCALHOST.as_ptr(), port, FALSE), TRUE);
        let h = tag(c"cli");
        assert_eq!(
            HP_HttpClient_SendGet(c, c"/get?q=1".as_ptr(), h.as_ptr(), 1),
            TRUE
        );
        let v = wait_line(c, "done");
        assert_eq!(
            line(&v, "done"),
            format!(
                "done id={} status=200 tag=cli len=9 keep=1 sid=42 body=GET /get ",
                HP_Client_GetConnectionID(c)
            )
        );
        assert!(line(&v, "status").ends_with(" 200 OK"));
        // Outside callbacks too.
        assert_eq!(HP_HttpClient_GetStatusCode(c), 200);
        assert_eq!(text(HP_HttpClient_GetContentType(c)), "text/plain");
        let mut n: u32 = 0;
        assert_eq!(
            HP_HttpClient_GetAllCookies(c, std::ptr::null_mut(), &mut n),
            FALSE
        );
        assert_eq!(n, 1);

        // HEAD: a Content-Length and no body.
        SEEN.lock().unwrap().remove(&(c as usize));
        assert_eq!(
            HP_HttpClient_SendHead(c, std::ptr::null(), std::ptr::null(), 0),
            TRUE
        );
        let v = wait_line(c, "done");
        assert!(
            line(&v, "done").ends_with("tag=none len=7 keep=1 sid=42 body="),
            "{v:?}"
        );
        assert_eq!(HP_Client_Stop(c), TRUE);
    }
    Destroy_HP_HttpClient(c);
    Destroy_HP_HttpClientListener(l);

    // Agent.
    let l = Create_HP_HttpAgentListener();
    HP_Set_FN_HttpAgent_OnStatusLine(l, cb(cli_status as *const ()));
    HP_Set_FN_HttpAgent_OnBody(l, cb(body as *const ()));
    HP_Set_FN_HttpAgent_OnMessageComplete(l, cb(cli_complete as *const ()));
    let a = Create_HP_HttpAgent(l);
    AGENT.lock().unwrap().push(a as usize);
    unsafe {
        assert_eq!(HP_Agent_Start(a, std::ptr::null(), FALSE), TRUE);
        let mut ids = [0usize; 2];
        for id in &mut ids {
            assert_eq!(HP_Agent_Connect(a, LOCALHOST.as_ptr(), port, id), TRUE);
        }
        let h = tag(c"agt");
        let body = b"abc";
        assert_eq!(
            HP_HttpAgent_SendPost(a, ids[0], c"/p".as_ptr(), h.as_ptr(), 1, body.as_ptr(), 3),
            TRUE
        );
        let v = wait_line(a, &format!("done id={}", ids[0]));
        assert!(
            line(&v, &format!("done id={}", ids[0]))
                .ends_with("status=200 tag=agt len=11 keep=1 sid=42 body=POST /p abc"),
            "{v:?}"
        );
        assert_eq!(
            HP_HttpAgent_SendRequest(
                a,
                ids[1],
                c"delete".as_ptr(),
                c"/d".as_ptr(),
                std::ptr::null(),
                0,
                std::ptr::null(),
                0
            ),
            TRUE
        );
        let v = wait_line(a, &format!("done id={}", ids[1]));
        assert!(
            line(&v, &format!("done id={}", ids[1]))
                .ends_with("tag=none len=10 keep=1 sid=42 body=DELETE /d "),
            "{v:?}"
        );
        assert_eq!(HP_HttpAgent_GetStatusCode(a, ids[1]), 200);
        assert_eq!(HP_Agent_GetConnectionCount(a), 2);
    }
    Destroy_HP_HttpAgent(a);
    Destroy_HP_HttpAgentListener(l);
    stop(s, sl);
}

// ---- bad calls ----

#[test]
fn bad_calls_fail_cleanly() {
    let (l, s, _port) = http_server();
    unsafe {
        let mut v: *const c_char = std::ptr::null();
        // Unknown connection.
        assert_eq!(
            HP_HttpServer_GetHeader(s, 999_999, c"Host".as_ptr(), &mut v),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EBADSLT);
        assert!(HP_HttpServer_GetMethod(s, 0).is_null());
        assert_eq!(SYS_GetLastError(), EBADSLT);
        assert_eq!(
            HP_HttpServer_SendResponse(
                s,
                999_999,
                200,
                std::ptr::null(),
                std::ptr::null(),
                0,
                std::ptr::null(),
                0
            ),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EBADSLT);
        assert_eq!(HP_HttpServer_Release(s, 999_999), FALSE);
        // NULL arguments.
        assert_eq!(
            HP_HttpServer_GetHeader(s, 1, std::ptr::null(), &mut v),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert_eq!(
            HP_HttpServer_GetHeader(s, 1, c"a".as_ptr(), std::ptr::null_mut()),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert_eq!(
            HP_HttpServer_GetAllHeaders(s, 1, std::ptr::null_mut(), std::ptr::null_mut()),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert_eq!(
            HP_HttpServer_SendResponse(
                s,
                1,
                200,
                std::ptr::null(),
                std::ptr::null(),
                2,
                std::ptr::null(),
                0
            ),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
        let bad = [TNVPair {
            name: std::ptr::null(),
            value: c"x".as_ptr(),
        }];
        assert_eq!(
            HP_HttpServer_SendResponse(
                s,
                1,
                200,
                std::ptr::null(),
                bad.as_ptr(),
                1,
                std::ptr::null(),
                0
            ),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert!(HP_HttpServer_GetUrlField(s, 1, 7).is_null());
        assert_eq!(SYS_GetLastError(), EINVAL);
        // Auto start: set while stopped only; StartHttp needs a live connection.
        assert_eq!(HP_HttpServer_IsHttpAutoStart(s), TRUE);
        HP_HttpServer_SetHttpAutoStart(s, FALSE);
        assert_eq!(SYS_GetLastError(), EPERM);
        assert_eq!(HP_HttpServer_IsHttpAutoStart(s), TRUE);
        assert_eq!(HP_HttpServer_StartHttp(s, 999_999), FALSE);
        assert_eq!(SYS_GetLastError(), EBADSLT);
        assert_eq!(HP_HttpServer_StartHttp(s, 0), FALSE);
        assert_eq!(SYS_GetLastError(), EBADSLT);
        // Properties.
        assert_eq!(HP_HttpServer_GetLocalVersion(s), HV_1_1);
        HP_HttpServer_SetLocalVersion(s, 0x0202);
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert_eq!(HP_HttpServer_GetReleaseDelay(s), 100);
        let fresh = Create_HP_HttpServer(l);
        assert_eq!(HP_HttpServer_GetReleaseDelay(fresh), 3000, "the default");
        Destroy_HP_HttpServer(fresh);
        // Stopped.
        assert_eq!(HP_Server_Stop(s), TRUE);
        HP_HttpServer_SetLocalVersion(s, HV_1_0);
        assert_eq!(HP_HttpServer_GetLocalVersion(s), HV_1_0);
        HP_HttpServer_SetReleaseDelay(s, 100_000);
        assert_eq!(SYS_GetLastError(), EINVAL);
        HP_HttpServer_SetReleaseDelay(s, 500);
        assert_eq!(HP_HttpServer_GetReleaseDelay(s), 500);
        assert_eq!(
            HP_HttpServer_SendChunkData(s, 1, c"x".as_ptr() as *const u8, 1, std::ptr::null()),
            FALSE
        );
        assert_ne!(SYS_GetLastError(), 0);

        // A TCP server is not an HTTP server; an HTTP server works with the TCP functions.
        let tl = Create_HP_TcpServerListener();
        let t = Create_HP_TcpServer(tl);
        assert!(HP_HttpServer_GetMethod(t, 1).is_null());
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert_eq!(HP_HttpServer_GetReleaseDelay(t), 0);
        assert_eq!(SYS_GetLastError(), EINVAL);
        assert_eq!(HP_Server_HasStarted(s), FALSE);
        assert_eq!(
            HP_TcpServer_GetSocketBufferSize(s),
            HP_TcpServer_GetSocketBufferSize(t)
        );
        Destroy_HP_TcpServer(t);
        Destroy_HP_TcpServerListener(tl);
    }
    stop(s, l);
    unsafe {
        // Destroyed and never-created handles.
        assert!(HP_HttpServer_GetMethod(s, 1).is_null());
        assert_eq!(SYS_GetLastError(), EBADF);
        assert!(HP_HttpServer_GetMethod(std::ptr::null_mut(), 1).is_null());
        assert_eq!(SYS_GetLastError(), EBADF);
        assert_eq!(HP_HttpClient_GetStatusCode(std::ptr::null_mut()), 0);
        assert_eq!(SYS_GetLastError(), EBADF);
        assert_eq!(
            HP_HttpAgent_SendGet(std::ptr::null_mut(), 1, c"/".as_ptr(), std::ptr::null(), 0),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EBADF);
    }
    assert!(Create_HP_HttpServer(std::ptr::null_mut()).is_null());

    // A client never started: no connection.
    let cl = Create_HP_HttpClientListener();
    let c = Create_HP_HttpClient(cl);
    unsafe {
        assert_eq!(
            HP_HttpClient_SendGet(c, c"/".as_ptr(), std::ptr::null(), 0),
            FALSE
        );
        assert_ne!(SYS_GetLastError(), 0);
        assert_eq!(HP_HttpClient_GetStatusCode(c), 0);
        assert_eq!(SYS_GetLastError(), EBADSLT);
        assert_eq!(HP_HttpClient_IsUseCookie(c), TRUE);
        HP_HttpClient_SetUseCookie(c, FALSE);
        assert_eq!(HP_HttpClient_IsUseCookie(c), FALSE);
        assert_eq!(HP_HttpClient_StartHttp(c), FALSE);
        assert_ne!(SYS_GetLastError(), 0);
        // The HTTPS client is an SSL client too.
        let sc = Create_HP_HttpsClient(cl);
        assert_eq!(HP_Client_IsSecure(sc), TRUE);
        assert_eq!(HP_Client_IsSecure(c), FALSE);
        Destroy_HP_HttpsClient(sc);
    }
    Destroy_HP_HttpClient(c);
    Destroy_HP_HttpClientListener(cl);
}

// ---- auto start off ----

/// Before StartHttp the bytes are the application's (OnReceive): a line `PING` is answered
/// with `PONG`, then HTTP starts on the connection; a second StartHttp fails.
unsafe extern "C" fn raw_receive(s: H, id: usize, p: *const u8, n: c_int) -> c_int {
    let d = std::slice::from_raw_parts(p, n as usize);
    log(
        s,
        format!("raw id={id} {}", String::from_utf8_lossy(d).trim_end()),
    );
    let started = HP_HttpServer_StartHttp(s, id);
    let again = HP_HttpServer_StartHttp(s, id);
    let errno = SYS_GetLastError();
    HP_Server_Send(s, id, b"PONG\r\n".as_ptr(), 6);
    log(s, format!("started={started} again={again} errno={errno}"));
    0
}

#[test]
fn start_http_with_auto_start_off() {
    let l = Create_HP_HttpServerListener();
    HP_Set_FN_HttpServer_OnReceive(l, cb(raw_receive as *const ()));
    HP_Set_FN_HttpServer_OnMessageComplete(l, cb(srv_message_complete as *const ()));
    let s = Create_HP_HttpServer(l);
    HP_HttpServer_SetHttpAutoStart(s, FALSE);
    assert_eq!(HP_HttpServer_IsHttpAutoStart(s), FALSE);
    let port = unsafe { start_on_localhost(s) };
    let (mut w, mut r) = raw_client(port);
    w.write_all(b"PING\r\n").unwrap();
    let mut pong = String::new();
    r.read_line(&mut pong).unwrap();
    assert_eq!(pong, "PONG\r\n");
    let v = wait_line(s, "started");
    assert_eq!(
        line(&v, "started"),
        format!("started=1 again=0 errno={EPERM}")
    );
    w.write_all(b"GET /now HTTP/1.1\r\nHost: h\r\n\r\n")
        .unwrap();
    let (code, _, body) = read_response(&mut r, false);
    assert_eq!((code, body.as_slice()), (200, &b"GET /now "[..]));
    stop(s, l);
}

// ---- HTTPS ----

unsafe extern "C" fn on_handshake(c: H, id: usize) -> c_int {
    log(c, format!("handshake id={id}"));
    0
}

#[test]
fn https_server_answers_an_https_client_and_curl() {
    use hpsocket4c::ssl::*;
    let pki = testkit::Pki::new();
    let leaf = pki.leaf(&["localhost", "127.0.0.1"]);
    let cert = CString::new(leaf.cert).unwrap();
    let key = CString::new(leaf.key).unwrap();
    let null = std::ptr::null();

    let l = Create_HP_HttpServerListener();
    HP_Set_FN_HttpServer_OnHeadersComplete(l, cb(srv_headers_complete as *const ()));
    HP_Set_FN_HttpServer_OnBody(l, cb(body as *const ()));
    HP_Set_FN_HttpServer_OnMessageComplete(l, cb(srv_message_complete as *const ()));
    let s = Create_HP_HttpsServer(l);
    let port = unsafe {
        // Not set up: Start fails as for the other SSL servers.
        assert_eq!(HP_Server_Start(s, LOCALHOST.as_ptr(), 0), FALSE);
        let ok = HP_SSLServer_SetupSSLContextByMemory(
            s,
            0,
            cert.as_ptr(),
            key.as_ptr(),
            null,
            null,
            None,
        );
        assert_eq!(ok, TRUE, "setup: errno {}", SYS_GetLastError());
        let port = start_on_localhost(s);
        assert_eq!(HP_Server_IsSecure(s), TRUE);
        port
    };

    let cl = Create_HP_HttpClientListener();
    HP_Set_FN_HttpClient_OnHandShake(cl, cb(on_handshake as *const ()));
    HP_Set_FN_HttpClient_OnBody(cl, cb(body as *const ()));
    HP_Set_FN_HttpClient_OnMessageComplete(cl, cb(cli_complete as *const ()));
    let c = Create_HP_HttpsClient(cl);
    unsafe {
        assert_eq!(
            HP_SSLClient_SetupSSLContextByMemory(c, 0, null, null, null, null),
            TRUE
        );
        assert_eq!(HP_Client_Start(c, LOCALHOST.as_ptr(), port, FALSE), TRUE);
        wait_line(c, "handshake");
        let h = tag(c"tls");
        assert_eq!(
            HP_HttpClient_SendGet(c, c"/secure".as_ptr(), h.as_ptr(), 1),
            TRUE
        );
        let v = wait_line(c, "done");
        assert!(
            line(&v, "done").ends_with("status=200 tag=tls len=12 keep=1 sid=42 body=GET /secure "),
            "{v:?}"
        );
    }
    Destroy_HP_HttpsClient(c);
    Destroy_HP_HttpClientListener(cl);

    // The HTTPS sync client: set up as an SSL client, https:// URLs only.
    let sc = Create_HP_HttpsSyncClient(std::ptr::null_mut());
    unsafe {
        let url = CString::new(format!("https://127.0.0.1:{port}/sync/tls")).unwrap();
        assert_eq!(
            HP_SSLClient_SetupSSLContextByMemory(sc, 0, null, null, null, null),
            TRUE
        );
        let ok = sync_get(sc, &url, FALSE);
        assert_eq!(ok, TRUE, "errno {}", SYS_GetLastError());
        assert_eq!(HP_HttpClient_GetStatusCode(sc), 200);
        assert_eq!(sync_body(sc), b"GET /sync/tls ");
        assert_eq!(HP_Client_IsSecure(sc), TRUE);
        let plain = CString::new(format!("http://127.0.0.1:{port}/")).unwrap();
        let ok = sync_get(sc, &plain, FALSE);
        assert_eq!((ok, SYS_GetLastError()), (FALSE, EINVAL));
    }
    Destroy_HP_HttpsSyncClient(sc);

    if have_curl() {
        let out = std::process::Command::new("curl")
            .args(["-s", "-k", "--max-time", "10", "-H", "X-Tag: tls-curl"])
            .arg(format!("https://127.0.0.1:{port}/by/curl"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "GET /by/curl ");
    }
    Destroy_HP_HttpsServer(s);
    Destroy_HP_HttpServerListener(l);
}

// ---- answers from another thread, concurrency, stop inside a callback ----

/// Records the connection for a later answer, from the test thread.
unsafe extern "C" fn deferred_complete(s: H, id: usize) -> c_int {
    log(s, format!("deferred id={id}"));
    HPR_OK
}

#[test]
fn answer_later_from_another_thread_with_the_getters() {
    let l = Create_HP_HttpServerListener();
    HP_Set_FN_HttpServer_OnMessageComplete(l, cb(deferred_complete as *const ()));
    let s = Create_HP_HttpServer(l);
    let port = unsafe { start_on_localhost(s) };
    let (mut w, mut r) = raw_client(port);
    w.write_all(b"GET /later?x=1 HTTP/1.0\r\nX-Tag: late\r\nCookie: a=9\r\n\r\n")
        .unwrap();
    let v = wait_line(s, "deferred");
    let id: usize = line(&v, "deferred")[12..].parse().unwrap();
    // On another thread, after the callbacks returned: the getters read the kept snapshot, and
    // the answer follows the request's keep-alive (HTTP/1.0 without keep-alive: close).
    let sh = s as usize;
    std::thread::spawn(move || unsafe {
        let s = sh as H;
        let mut tag: *const c_char = std::ptr::null();
        assert_eq!(
            HP_HttpServer_GetHeader(s, id, c"X-Tag".as_ptr(), &mut tag),
            TRUE
        );
        let mut cookie: *const c_char = std::ptr::null();
        assert_eq!(
            HP_HttpServer_GetCookie(s, id, c"a".as_ptr(), &mut cookie),
            TRUE
        );
        assert_eq!(HP_HttpServer_GetVersion(s, id), HV_1_0 as u16);
        assert_eq!(HP_HttpServer_IsKeepAlive(s, id), FALSE);
        let body = format!(
            "{} {} {}",
            text(HP_HttpServer_GetMethod(s, id)),
            text(tag),
            text(cookie)
        );
        let h = [TNVPair {
            name: c"X-Query".as_ptr(),
            value: HP_HttpServer_GetUrlField(s, id, HUF_QUERY),
        }];
        assert_eq!(
            HP_HttpServer_SendResponse(
                s,
                id,
                201,
                c"Made".as_ptr(),
                h.as_ptr(),
                1,
                body.as_ptr(),
                body.len() as c_int
            ),
            TRUE
        );
        assert_eq!(HP_HttpServer_Release(s, id), TRUE);
    })
    .join()
    .unwrap();
    let (code, headers, body) = read_response(&mut r, false);
    assert_eq!(code, 201);
    assert_eq!(headers["x-query"], "x=1");
    assert_eq!(headers["connection"], "close");
    assert_eq!(body, b"GET late 9");
    stop(s, l);
}

#[test]
fn many_clients_at_once_get_their_own_answers() {
    let (l, s, port) = http_server();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                let (mut w, mut r) = raw_client(port);
                for i in 0..25 {
                    let body = format!("t{t}-r{i}");
                    let req = format!(
                        "POST /c{t}/{i} HTTP/1.1\r\nHost: h\r\nX-Tag: {t}.{i}\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    w.write_all(req.as_bytes()).unwrap();
                    let (code, headers, got) = read_response(&mut r, false);
                    assert_eq!(code, 200);
                    assert_eq!(headers["x-tag"], format!("{t}.{i}"));
                    assert_eq!(got, format!("POST /c{t}/{i} {body}").into_bytes());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let v = seen(s);
    assert_eq!(v.iter().filter(|l| l.starts_with("head ")).count(), 16 * 25);
    stop(s, l);
}

unsafe extern "C" fn stop_inside(s: H, id: usize) -> c_int {
    let stopped = HP_Server_Stop(s);
    log(s, format!("stop-inside id={id} stopped={stopped}"));
    HPR_OK
}

unsafe extern "C" fn on_shutdown(s: H) -> c_int {
    log(s, "shutdown".into());
    0
}

/// A server whose OnMessageComplete is `complete` gets one request, and the server shuts
/// down; the listener, the server, its port and the lines it logged.
fn request_until_shutdown(complete: *const ()) -> (H, H, u16, Vec<String>) {
    let l = Create_HP_HttpServerListener();
    HP_Set_FN_HttpServer_OnMessageComplete(l, cb(complete));
    HP_Set_FN_HttpServer_OnShutdown(l, cb(on_shutdown as *const ()));
    let s = Create_HP_HttpServer(l);
    let port = unsafe { start_on_localhost(s) };
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    (l, s, port, wait_line(s, "shutdown"))
}

#[test]
fn stop_inside_an_http_callback() {
    let (l, s, _port, v) = request_until_shutdown(stop_inside as *const ());
    assert!(line(&v, "stop-inside").ends_with("stopped=1"), "{v:?}");
    assert_eq!(HP_Server_GetState(s), 3, "SS_STOPPED");
    stop(s, l);
}

unsafe extern "C" fn destroy_inside(s: H, id: usize) -> c_int {
    Destroy_HP_HttpServer(s);
    // The handle is gone at once; the stop finishes after this callback returns.
    let after = HP_HttpServer_GetMethod(s, id).is_null() && SYS_GetLastError() == EBADF;
    log(s, format!("destroyed id={id} handle_gone={after}"));
    HPR_OK
}

#[test]
fn destroy_inside_an_http_callback() {
    let (l, _s, port, v) = request_until_shutdown(destroy_inside as *const ());
    assert!(line(&v, "destroyed").ends_with("handle_gone=true"), "{v:?}");
    // The port is free again once the server is gone.
    let end = Instant::now() + LIMIT;
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < end, "still listening");
        std::thread::sleep(Duration::from_millis(10));
    }
    Destroy_HP_HttpServerListener(l);
}

// ---- sync client ----

#[test]
fn sync_client_opens_urls_and_its_getters_read_the_response() {
    let (l, s, port) = http_server();
    let c = Create_HP_HttpSyncClient(std::ptr::null_mut());
    assert!(!c.is_null());
    unsafe {
        assert_eq!(HP_HttpSyncClient_GetConnectTimeout(c), 5000);
        assert_eq!(HP_HttpSyncClient_GetRequestTimeout(c), 10000);
        HP_HttpSyncClient_SetRequestTimeout(c, 5000);
        assert_eq!(HP_HttpSyncClient_GetRequestTimeout(c), 5000);
        HP_HttpSyncClient_SetConnectTimeout(c, 0);
        assert_eq!(SYS_GetLastError(), EINVAL);
        // Before any request: no response.
        assert_eq!(HP_HttpClient_GetStatusCode(c), 0);
        assert_eq!(SYS_GetLastError(), ENODATA);

        let url = CString::new(format!("http://127.0.0.1:{port}/sync/a?q=1")).unwrap();
        let h = tag(c"sync");
        let ok = HP_HttpSyncClient_OpenUrl(
            c,
            c"GET".as_ptr(),
            url.as_ptr(),
            h.as_ptr(),
            1,
            std::ptr::null(),
            0,
            FALSE,
        );
        assert_eq!(ok, TRUE, "errno {}", SYS_GetLastError());
        assert_eq!(sync_body(c), b"GET /sync/a ");
        assert_eq!(HP_HttpClient_GetStatusCode(c), 200);
        let mut v: *const c_char = std::ptr::null();
        assert_eq!(HP_HttpClient_GetHeader(c, c"X-Tag".as_ptr(), &mut v), TRUE);
        assert_eq!(text(v), "sync");
        assert_eq!(HP_HttpClient_GetCookie(c, c"sid".as_ptr(), &mut v), TRUE);
        assert_eq!(text(v), "42");
        assert_eq!(HP_HttpClient_GetContentLength(c), 12);
        assert_eq!(HP_HttpClient_IsKeepAlive(c), TRUE);
        assert_eq!(HP_HttpClient_GetVersion(c), HV_1_1 as u16);
        let id = HP_Client_GetConnectionID(c);
        assert_ne!(id, 0);

        // A POST on the same connection.
        let url = CString::new(format!("http://127.0.0.1:{port}/sync/b")).unwrap();
        let ok = HP_HttpSyncClient_OpenUrl(
            c,
            c"post".as_ptr(),
            url.as_ptr(),
            std::ptr::null(),
            0,
            b"xyz".as_ptr(),
            3,
            FALSE,
        );
        assert_eq!(ok, TRUE);
        assert_eq!(sync_body(c), b"POST /sync/b xyz");
        assert_eq!(
            HP_Client_GetConnectionID(c),
            id,
            "the connection was reused"
        );

        // Cleanup forgets the response.
        assert_eq!(HP_HttpSyncClient_CleanupRequestResult(c), TRUE);
        assert_eq!(HP_HttpClient_GetStatusCode(c), 0);
        assert_eq!(SYS_GetLastError(), ENODATA);
        assert!(sync_body(c).is_empty());

        // Bad URLs and calls.
        for bad in [c"not a url", c"https://127.0.0.1/x"] {
            let ok = sync_get(c, bad, FALSE);
            assert_eq!(ok, FALSE);
            assert_eq!(SYS_GetLastError(), EINVAL);
        }
        let ok = HP_HttpSyncClient_OpenUrl(
            c,
            std::ptr::null(),
            url.as_ptr(),
            std::ptr::null(),
            0,
            std::ptr::null(),
            0,
            FALSE,
        );
        assert_eq!((ok, SYS_GetLastError()), (FALSE, EINVAL));
        assert_eq!(
            HP_HttpClient_SendGet(c, c"/".as_ptr(), std::ptr::null(), 0),
            FALSE
        );
        assert_eq!(SYS_GetLastError(), EINVAL);
        let mut len: c_int = 0;
        assert_eq!(
            HP_HttpSyncClient_GetResponseBody(c, std::ptr::null_mut(), &mut len),
            FALSE
        );
        // A server handle is no client at all; an HTTP client is no sync client.
        assert_eq!(HP_HttpSyncClient_CleanupRequestResult(s), FALSE);
        assert_eq!(SYS_GetLastError(), EBADF);
        let cl = Create_HP_HttpClientListener();
        let plain = Create_HP_HttpClient(cl);
        assert_eq!(HP_HttpSyncClient_CleanupRequestResult(plain), FALSE);
        assert_eq!(SYS_GetLastError(), EINVAL);
        Destroy_HP_HttpClient(plain);
        Destroy_HP_HttpClientListener(cl);
    }
    stop(s, l);
    // The server is gone: the reused connection is closed, a new one is refused.
    let url = CString::new(format!("http://127.0.0.1:{port}/gone")).unwrap();
    assert_eq!(sync_get(c, &url, TRUE), FALSE);
    Destroy_HP_HttpSyncClient(c);
    assert_eq!(HP_HttpSyncClient_GetRequestTimeout(c), 0);
    assert_eq!(SYS_GetLastError(), EBADF);
}
