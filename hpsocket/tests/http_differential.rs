//! Differential test of the HTTP/1.1 parser against llhttp (Node's parser, the successor of
//! the `http_parser` HP-Socket embeds), run through PyPI's `llhttp` binding by
//! `tests/http_peer.py`.
//!
//! A deterministic corpus — hand-written and generated valid requests and responses,
//! pipelines, and the request-smuggling shapes (CL + TE, duplicate CL, TE codings, bad chunk
//! sizes, obs-fold, bare LF, space before the colon …) — goes through both parsers. Where
//! both accept, the completed messages must be the same (method, URL, status, keep-alive,
//! fields with trailers, body, where the connection switches protocols); where both refuse,
//! the messages completed before the refusal must be. Every case on which the verdicts
//! differ is listed in [`KNOWN`] with the reason ours is right; an unlisted difference, or a
//! listed one that went away, fails the test.
//!
//! Needs `python3` with `pip install llhttp`; skipped (with a message) without them unless
//! `HPSOCKET_REQUIRE_HTTP_PEER=1`.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use hpsocket::fuzzing::http::{run, Ev, Options};

/// One input and how to feed it.
struct Case {
    name: String,
    request: bool,
    /// The requests a response answers.
    methods: Vec<&'static str>,
    eof: bool,
    data: Vec<u8>,
}

/// A completed message as both sides report it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Msg {
    method: Vec<u8>,
    url: Vec<u8>,
    status: u16,
    keep_alive: bool,
    body: Vec<u8>,
    fields: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    accepted: bool,
    error: String,
    upgraded_after: Option<usize>,
    msgs: Vec<Msg>,
}

/// Cases whose verdicts differ on purpose: (case name, which side refuses, why ours is right).
const KNOWN: &[(&str, Side, &str)] = &[
    ("req-no-host", Side::Ours, "RFC 9112 §3.2: an HTTP/1.1 request without Host MUST get 400"),
    ("req-two-hosts", Side::Ours, "RFC 9112 §3.2: more than one Host MUST get 400"),
    ("req-cl-equal-twice", Side::Theirs, "RFC 9110 §8.6 lets a recipient take equal duplicate lengths as one"),
    ("req-cl-list-equal", Side::Theirs, "RFC 9110 §8.6: a list of one repeated length is that length"),
    ("req-te-gzip-chunked", Side::Ours, "we do not decode gzip; RFC 9112 §6.1 asks for 501 on a coding not understood"),
    ("req-te-http10", Side::Ours, "RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing"),
    ("req-lf-only-lines", Side::Theirs, "RFC 9112 §2.2: a recipient MAY take a bare LF as a line end (httparse does, http_parser did)"),
    ("req-lf-only-last-line", Side::Theirs, "as above: bare LF ends lines in a head"),
    ("req-method-lowercase", Side::Theirs, "methods are case-sensitive tokens (RFC 9110 §9.1); an unknown one is the application's to refuse"),
    ("req-method-extension", Side::Theirs, "extension methods are tokens like any other (RFC 9110 §9.1)"),
    ("req-chunk-ext-quoted-odd", Side::Theirs, "extensions are skipped, not interpreted; CR, LF and controls in them are still refused"),
    ("req-http-2", Side::Ours, "HTTP/2 is not spoken in HTTP/1 syntax: 505 (RFC 9110 §15.6.6)"),
    ("req-http-09", Side::Ours, "HTTP/0.9 has no fields and no status line; HP-Socket speaks 1.0 and 1.1"),
    ("req-double-space", Side::Ours, "RFC 9112 §3: single spaces; splitting on runs of whitespace is only a MAY"),
    ("req-url-double-at", Side::Ours, "'a@b@c' hides the host a proxy would route on"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Our parser refuses, llhttp accepts.
    Ours,
    /// llhttp refuses, ours accepts.
    Theirs,
}

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    if s == "-" {
        return Vec::new();
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex from the peer"))
        .collect()
}

/// Our verdict: completed messages (interim responses are not messages), error, upgrade.
fn ours(c: &Case) -> Outcome {
    let r = run(
        c.request,
        &c.methods,
        &c.data,
        &[],
        c.eof,
        Options::default(),
    );
    let mut msgs = Vec::new();
    let mut cur = Msg::default();
    let mut error = String::new();
    for e in &r.events {
        match e {
            Ev::Begin => cur = Msg::default(),
            Ev::RequestLine(m, u) => {
                cur.method = m.as_bytes().to_vec();
                cur.url = u.as_bytes().to_vec();
            }
            Ev::StatusLine(s, _) => cur.status = *s,
            Ev::Header(n, v) => cur.fields.push((n.as_bytes().to_vec(), v.clone())),
            Ev::HeadersComplete(s) => cur.keep_alive = s.keep_alive,
            Ev::Body(b) => cur.body.extend_from_slice(b),
            Ev::Complete => msgs.push(std::mem::take(&mut cur)),
            Ev::Error(code, status) => error = format!("code {code} status {status}"),
            Ev::ChunkHeader(_) | Ev::ChunkComplete | Ev::Upgrade(_) | Ev::Interim(_) => {}
        }
    }
    Outcome {
        accepted: error.is_empty(),
        error,
        upgraded_after: r.upgraded_after,
        msgs,
    }
}

/// llhttp's verdicts, or `None` when the peer cannot run here.
fn theirs(cases: &[Case]) -> Option<Vec<Outcome>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http_peer.py");
    let child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return skip(&format!("python3 cannot be run ({e})")),
    };
    let mut input = String::new();
    for (i, c) in cases.iter().enumerate() {
        let kind = if c.request { "req" } else { "res" };
        input.push_str(&format!(
            "{i} {kind} {} {}\n",
            u8::from(c.eof),
            hex(&c.data)
        ));
    }
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("python3 runs");
    let written = writer.join().expect("writer");
    // Exit 3: no llhttp module (the peer quits before reading, so the write may have failed).
    if out.status.code() == Some(3) {
        return skip("the Python module llhttp is not installed (pip install llhttp)");
    }
    written.expect("the peer reads its input");
    assert!(out.status.success(), "the peer failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).expect("ASCII from the peer");
    let mut outcomes = Vec::new();
    let mut cur: Option<Outcome> = None;
    for line in text.lines() {
        let w: Vec<&str> = line.split(' ').collect();
        match w[0] {
            "case" => {
                cur = Some(Outcome {
                    accepted: w[2] == "ok",
                    error: w[2].trim_start_matches("err:").to_string(),
                    upgraded_after: w[3].parse().ok(),
                    msgs: Vec::new(),
                })
            }
            "msg" => cur.as_mut().expect("case").msgs.push(Msg {
                method: unhex(w[1]),
                url: unhex(w[2]),
                status: w[3].parse().expect("status"),
                keep_alive: w[4] == "1",
                body: unhex(w[5]),
                fields: Vec::new(),
            }),
            "hdr" => {
                let m = cur.as_mut().and_then(|c| c.msgs.last_mut()).expect("msg");
                m.fields.push((unhex(w[1]), unhex(w[2])));
            }
            "end" => {
                let mut o = cur.take().expect("case");
                if o.accepted {
                    o.error.clear();
                }
                // A field value has no leading or trailing whitespace (RFC 9110 §5.5): llhttp
                // hands over the trailing part, httparse does not.
                for m in &mut o.msgs {
                    for (_, v) in &mut m.fields {
                        while matches!(v.last(), Some(b' ' | b'\t')) {
                            v.pop();
                        }
                    }
                }
                // Interim 1xx responses are messages to llhttp; ours skips them.
                o.msgs
                    .retain(|m| !(100..200).contains(&m.status) || m.status == 101);
                outcomes.push(o);
            }
            other => panic!("unexpected line from the peer: {other}"),
        }
    }
    assert_eq!(outcomes.len(), cases.len(), "one verdict per case");
    Some(outcomes)
}

fn skip(why: &str) -> Option<Vec<Outcome>> {
    assert!(
        std::env::var("HPSOCKET_REQUIRE_HTTP_PEER").as_deref() != Ok("1"),
        "the llhttp peer is required (HPSOCKET_REQUIRE_HTTP_PEER=1) but {why}"
    );
    eprintln!("skipped: {why}");
    None
}

// ---- the corpus ------------------------------------------------------------------------

fn case(name: &str, request: bool, methods: &[&'static str], eof: bool, data: &[u8]) -> Case {
    Case {
        name: name.into(),
        request,
        methods: methods.to_vec(),
        eof,
        data: data.to_vec(),
    }
}

fn req(name: &str, data: &str) -> Case {
    case(name, true, &[], false, data.as_bytes())
}

/// Hand-written requests: valid ones, then every smuggling shape we know.
fn requests() -> Vec<Case> {
    let post = |name: &str, fields: &str, body: &str| {
        req(
            name,
            &format!("POST /s HTTP/1.1\r\nHost: h\r\n{fields}\r\n\r\n{body}"),
        )
    };
    vec![
        req("req-get", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-absolute", "GET http://user@example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        req("req-asterisk", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01"),
        req("req-websocket", "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n\x01\x02"),
        req("req-http10", "GET / HTTP/1.0\r\n\r\n"),
        req("req-http10-keepalive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n"),
        req("req-close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        req("req-pipeline", "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-leading-crlf", "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-empty-value", "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n"),
        req("req-value-ws", "GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a b \t\r\n\r\n"),
        req("req-obs-text", "GET / HTTP/1.1\r\nHost: h\r\nX-A: caf\u{e9}\r\n\r\n"),
        req("req-expect", "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok"),
        post("req-cl", "Content-Length: 5", "hello"),
        post("req-cl-zero", "Content-Length: 0", ""),
        post("req-chunked", "Transfer-Encoding: chunked", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        post("req-chunked-ext", "Transfer-Encoding: chunked", "5;a=b;c=\"d\"\r\nhello\r\n0\r\n\r\n"),
        post("req-chunked-trailers", "Transfer-Encoding: chunked", "1\r\nx\r\n0\r\nX-T: 1\r\nY-T: 2\r\n\r\n"),
        post("req-chunked-upper-hex", "Transfer-Encoding: chunked", "A\r\n0123456789\r\n0\r\n\r\n"),
        post("req-chunked-leading-zeros", "Transfer-Encoding: chunked", "0005\r\nhello\r\n0\r\n\r\n"),
        post("req-te-case", "Transfer-Encoding: Chunked", "1\r\nx\r\n0\r\n\r\n"),
        // Smuggling shapes: refused by both, unless listed in KNOWN.
        post("req-cl-te", "Content-Length: 4\r\nTransfer-Encoding: chunked", "0\r\n\r\n"),
        post("req-te-cl", "Transfer-Encoding: chunked\r\nContent-Length: 4", "0\r\n\r\n"),
        post("req-cl-differ", "Content-Length: 3\r\nContent-Length: 4", "abcd"),
        post("req-cl-equal-twice", "Content-Length: 3\r\nContent-Length: 3", "abc"),
        post("req-cl-list-equal", "Content-Length: 3, 3", "abc"),
        post("req-cl-list-differ", "Content-Length: 3, 4", "abcd"),
        post("req-cl-plus", "Content-Length: +3", "abc"),
        post("req-cl-hex", "Content-Length: 0x3", "abc"),
        post("req-cl-space-inside", "Content-Length: 1 2", "abc"),
        post("req-cl-overflow", "Content-Length: 99999999999999999999", "abc"),
        post("req-cl-negative", "Content-Length: -1", "abc"),
        post("req-te-identity", "Transfer-Encoding: identity", "abc"),
        post("req-te-gzip", "Transfer-Encoding: gzip", "abc"),
        post("req-te-gzip-chunked", "Transfer-Encoding: gzip, chunked", "0\r\n\r\n"),
        post("req-te-chunked-gzip", "Transfer-Encoding: chunked, gzip", "0\r\n\r\n"),
        post("req-te-chunked-twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "0\r\n\r\n"),
        post("req-te-xchunked", "Transfer-Encoding: xchunked", "0\r\n\r\n"),
        post("req-te-chunked-junk", "Transfer-Encoding: chunked-false", "0\r\n\r\n"),
        post("req-te-space-before-colon", "Transfer-Encoding : chunked", "0\r\n\r\n"),
        post("req-te-obs-fold", "Transfer-Encoding:\r\n chunked", "0\r\n\r\n"),
        post("req-te-vtab", "Transfer-Encoding:\x0bchunked", "0\r\n\r\n"),
        req("req-te-http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        post("req-chunk-size-x", "Transfer-Encoding: chunked", "x\r\nabc\r\n0\r\n\r\n"),
        post("req-chunk-size-0x", "Transfer-Encoding: chunked", "0x3\r\nabc\r\n0\r\n\r\n"),
        post("req-chunk-size-negative", "Transfer-Encoding: chunked", "-3\r\nabc\r\n0\r\n\r\n"),
        post("req-chunk-size-overflow", "Transfer-Encoding: chunked", "10000000000000003\r\nabc\r\n0\r\n\r\n"),
        post("req-chunk-size-space", "Transfer-Encoding: chunked", "3 \r\nabc\r\n0\r\n\r\n"),
        post("req-chunk-size-lf", "Transfer-Encoding: chunked", "3\nabc\r\n0\r\n\r\n"),
        post("req-chunk-size-cr", "Transfer-Encoding: chunked", "3\rabc\r\n0\r\n\r\n"),
        post("req-chunk-data-no-crlf", "Transfer-Encoding: chunked", "3\r\nabcX\r\n0\r\n\r\n"),
        post("req-chunk-data-lf", "Transfer-Encoding: chunked", "3\r\nabc\n0\r\n\r\n"),
        post("req-chunk-ext-lf", "Transfer-Encoding: chunked", "3;a\nb\r\nabc\r\n0\r\n\r\n"),
        post("req-chunk-ext-nul", "Transfer-Encoding: chunked", "3;a\0\r\nabc\r\n0\r\n\r\n"),
        post("req-chunk-ext-quoted-odd", "Transfer-Encoding: chunked", "3;a=\"b\r\nabc\r\n0\r\n\r\n"),
        post("req-obs-fold", "X-A: a\r\n b", ""),
        post("req-space-before-colon", "X-A : b", ""),
        post("req-bare-cr-value", "X-A: a\rb", ""),
        post("req-nul-value", "X-A: a\0b", ""),
        post("req-name-bad-char", "X(A): b", ""),
        post("req-empty-name", ": b", ""),
        req("req-lf-only-lines", "GET / HTTP/1.1\nHost: h\n\n"),
        req("req-lf-only-last-line", "GET / HTTP/1.1\r\nHost: h\r\n\n"),
        req("req-no-host", "GET / HTTP/1.1\r\n\r\n"),
        req("req-two-hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        req("req-method-lowercase", "get / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-method-extension", "FROB / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-method-bad", "G(T / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-double-space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-space-in-url", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-http-1-2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n"),
        req("req-http-2", "GET / HTTP/2.0\r\nHost: h\r\n\r\n"),
        req("req-http-09", "GET /\r\n\r\n"),
        req("req-version-junk", "GET / HTTP/1.1x\r\nHost: h\r\n\r\n"),
        req("req-url-double-at", "GET http://a@b@c/ HTTP/1.1\r\nHost: h\r\n\r\n"),
        req("req-after-close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
    ]
}

fn res(name: &str, methods: &[&'static str], eof: bool, data: &str) -> Case {
    case(name, false, methods, eof, data.as_bytes())
}

/// Hand-written responses. (The binding cannot tell llhttp a response answers HEAD, so
/// HEAD is left to the unit tests.)
fn responses() -> Vec<Case> {
    vec![
        res("res-cl", &["GET"], false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
        res("res-chunked", &["GET"], false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nT: x\r\n\r\n"),
        res("res-until-close", &["GET"], true, "HTTP/1.1 200 OK\r\n\r\nall of it"),
        res("res-http10-until-close", &["GET"], true, "HTTP/1.0 200 OK\r\n\r\nall of it"),
        res("res-204", &["GET", "GET"], false, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        res("res-304", &["GET", "GET"], false, "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        res("res-100-continue", &["POST"], false, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
        res("res-101", &["GET"], false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x01\x00"),
        res("res-no-reason", &["GET"], false, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"),
        res("res-pipeline", &["GET", "GET", "GET"], false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        res("res-cl-te", &["GET"], false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        res("res-cl-differ", &["GET"], false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        res("res-eof-in-body", &["GET"], true, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"),
        res("res-eof-in-chunk", &["GET"], true, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
        res("res-bad-status", &["GET"], false, "HTTP/1.1 2x0 OK\r\n\r\n"),
    ]
}

/// A small deterministic generator (xorshift), so the corpus is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    /// `min` to `max - 1` random bytes.
    fn bytes(&mut self, min: usize, max: usize) -> Vec<u8> {
        let n = min + self.below(max - min);
        (0..n).map(|_| self.next() as u8).collect()
    }
    /// `min` to `max - 1` characters of `alphabet`.
    fn text(&mut self, alphabet: &[u8], min: usize, max: usize) -> String {
        let n = min + self.below(max - min);
        (0..n).map(|_| *self.pick(alphabet) as char).collect()
    }
}

const NAME: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~";
const VALUE: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 \t!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const PATH: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%";

/// Header fields that do not change framing, keep-alive or upgrade.
fn fields(rng: &mut Rng, max: usize) -> String {
    let mut out = String::new();
    for _ in 0..rng.below(max) {
        let name = format!("X-{}", rng.text(NAME, 1, 13));
        let value = rng.text(VALUE, 0, 30);
        out.push_str(&format!("{name}: {}\r\n", value.trim_matches([' ', '\t'])));
    }
    out
}

/// A body framed by Content-Length or chunked (random chunk sizes, extensions, trailers).
fn framed_body(rng: &mut Rng, head: &mut String) -> Vec<u8> {
    let body = rng.bytes(0, 200);
    if rng.below(2) == 0 {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        return body;
    }
    head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    let mut out = Vec::new();
    let mut rest = &body[..];
    while !rest.is_empty() {
        let n = (1 + rng.below(60)).min(rest.len());
        let ext = if rng.below(3) == 0 { ";name=value" } else { "" };
        out.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    out.extend_from_slice(b"0\r\n");
    out.extend_from_slice(fields(rng, 3).as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

fn generated_requests(rng: &mut Rng, count: usize) -> Vec<Case> {
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
    (0..count)
        .map(|i| {
            let mut data = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let method = *rng.pick(&methods);
                let path = format!("/{}", rng.text(PATH, 0, 20));
                let query = if rng.below(2) == 0 {
                    format!("?{}", rng.text(PATH, 0, 10))
                } else {
                    String::new()
                };
                let mut head = format!("{method} {path}{query} HTTP/1.1\r\nHost: example.com\r\n");
                head.push_str(&fields(rng, 6));
                let body = if rng.below(2) == 0 {
                    framed_body(rng, &mut head)
                } else {
                    head.push_str("\r\n");
                    Vec::new()
                };
                data.extend_from_slice(head.as_bytes());
                data.extend_from_slice(&body);
            }
            case(&format!("gen-req-{i}"), true, &[], rng.below(2) == 0, &data)
        })
        .collect()
}

fn generated_responses(rng: &mut Rng, count: usize) -> Vec<Case> {
    let statuses = [
        (200, "OK"),
        (201, "Created"),
        (404, "Not Found"),
        (500, "Internal Server Error"),
    ];
    (0..count)
        .map(|i| {
            let mut data = Vec::new();
            let n = 1 + rng.below(3);
            for _ in 0..n {
                let (status, reason) = *rng.pick(&statuses);
                let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
                head.push_str(&fields(rng, 6));
                let body = framed_body(rng, &mut head);
                data.extend_from_slice(head.as_bytes());
                data.extend_from_slice(&body);
            }
            case(&format!("gen-res-{i}"), false, &["GET"; 3], true, &data)
        })
        .collect()
}

#[test]
fn our_parser_agrees_with_llhttp() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases = requests();
    cases.extend(responses());
    cases.extend(generated_requests(&mut rng, 300));
    cases.extend(generated_responses(&mut rng, 100));
    let Some(peer) = theirs(&cases) else {
        return;
    };
    let known: BTreeMap<&str, (Side, &str)> =
        KNOWN.iter().map(|&(n, s, why)| (n, (s, why))).collect();
    let mut problems = Vec::new();
    let (mut agreed, mut refused_both, mut differ) = (0, 0, 0);
    for (c, theirs) in cases.iter().zip(&peer) {
        let ours = ours(c);
        let verdict = match (ours.accepted, theirs.accepted) {
            (true, true) | (false, false) => None,
            (false, true) => Some(Side::Ours),
            (true, false) => Some(Side::Theirs),
        };
        match (verdict, known.get(c.name.as_str())) {
            (None, None) => {
                if ours.msgs != theirs.msgs
                    || (ours.accepted && ours.upgraded_after != theirs.upgraded_after)
                {
                    problems.push(format!("{}: both {} but the messages differ:\n  ours   {:?} {:?}\n  theirs {:?} {:?}", c.name, if ours.accepted { "accept" } else { "refuse" }, ours.msgs, ours.upgraded_after, theirs.msgs, theirs.upgraded_after));
                }
                if ours.accepted {
                    agreed += 1;
                } else {
                    refused_both += 1;
                }
            }
            (Some(side), Some(&(want, why))) if side == want => {
                differ += 1;
                eprintln!(
                    "known difference {}: {side:?} refuses ({}); {why}",
                    c.name,
                    if side == Side::Ours {
                        &ours.error
                    } else {
                        &theirs.error
                    }
                );
            }
            (v, k) => problems.push(format!(
                "{}: verdicts {:?} (ours {} {:?}, llhttp {}), listed as {:?}",
                c.name,
                v,
                ours.accepted,
                ours.error,
                theirs.error,
                k.map(|k| k.0)
            )),
        }
    }
    eprintln!(
        "{} cases: {agreed} accepted alike, {refused_both} refused alike, {differ} known differences",
        cases.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
