//! Unit and property tests of the HTTP parser, through the same recorder the fuzz target and
//! the differential test use (`probe`).

use super::probe::{run, Ev, Options, Run, Summary};
use super::{
    HttpSink, Kind, Limits, Message, ParseError, ParseResult, Parser, UpgradeType, UrlField,
    DEFAULT_MAX_HEAD_SIZE,
};
use proptest::prelude::*;

/// A sink that accepts everything, or refuses body pieces.
struct Quiet {
    fail_body: bool,
}
impl HttpSink for Quiet {
    fn on_message_begin(&mut self, _: &Message) -> ParseResult {
        ParseResult::Ok
    }
    fn on_request_line(&mut self, _: &Message, _: &str, _: &str) -> ParseResult {
        ParseResult::Ok
    }
    fn on_status_line(&mut self, _: &Message, _: u16, _: &str) -> ParseResult {
        ParseResult::Ok
    }
    fn on_header(&mut self, _: &Message, _: &str, _: &[u8]) -> ParseResult {
        ParseResult::Ok
    }
    fn on_headers_complete(&mut self, _: &Message) -> ParseResult {
        ParseResult::Ok
    }
    fn on_body(&mut self, _: &Message, _: &[u8]) -> ParseResult {
        if self.fail_body {
            ParseResult::Error
        } else {
            ParseResult::Ok
        }
    }
    fn on_chunk_header(&mut self, _: &Message, _: u64) -> ParseResult {
        ParseResult::Ok
    }
    fn on_chunk_complete(&mut self, _: &Message) -> ParseResult {
        ParseResult::Ok
    }
    fn on_message_complete(&mut self, _: &Message) -> ParseResult {
        ParseResult::Ok
    }
    fn on_upgrade(&mut self, _: &Message, _: UpgradeType) -> ParseResult {
        ParseResult::Ok
    }
    fn on_parse_error(&mut self, _: &Message, _: &ParseError) {}
}

fn req(data: &[u8]) -> Run {
    run(true, &[], data, &[], false, Options::default())
}

fn req_with(data: &[u8], opts: Options) -> Run {
    run(true, &[], data, &[], false, opts)
}

fn res(methods: &[&str], data: &[u8], eof: bool) -> Run {
    run(false, methods, data, &[], eof, Options::default())
}

/// The events with every head summary blanked, for comparing sequences.
fn shape(r: &Run) -> Vec<Ev> {
    r.events
        .iter()
        .map(|e| match e {
            Ev::HeadersComplete(_) => Ev::HeadersComplete(Box::default()),
            e => e.clone(),
        })
        .collect()
}

fn summaries(r: &Run) -> Vec<Summary> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Ev::HeadersComplete(s) => Some((**s).clone()),
            _ => None,
        })
        .collect()
}

fn summary(r: &Run) -> Summary {
    summaries(r).into_iter().next().expect("a head")
}

fn last(r: &Run) -> &Ev {
    r.events.last().expect("an event")
}

fn hc() -> Ev {
    Ev::HeadersComplete(Box::default())
}

fn h(name: &str, value: &str) -> Ev {
    Ev::Header(name.into(), value.as_bytes().to_vec())
}

fn body(b: &str) -> Ev {
    Ev::Body(b.as_bytes().to_vec())
}

fn error(code: u16, status: u16) -> Ev {
    Ev::Error(code, status)
}

// ---- requests ----------------------------------------------------------------------------

#[test]
fn a_simple_get() {
    let r = req(b"GET /a/b?x=1#f HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
    assert_eq!(
        shape(&r),
        vec![
            Ev::Begin,
            Ev::RequestLine("GET".into(), "/a/b?x=1#f".into()),
            h("Host", "example.com"),
            h("Accept", "*/*"),
            hc(),
            Ev::Complete,
        ]
    );
    let s = summary(&r);
    assert_eq!(s.method, "GET");
    assert_eq!(s.version, 0x0101);
    assert!(s.keep_alive);
    assert_eq!(
        s.url_fields[UrlField::Path as usize].as_deref(),
        Some("/a/b")
    );
    assert_eq!(
        s.url_fields[UrlField::Query as usize].as_deref(),
        Some("x=1")
    );
    assert_eq!(
        s.url_fields[UrlField::Fragment as usize].as_deref(),
        Some("f")
    );
    assert_eq!(s.url_field_set, (1 << 3) | (1 << 4) | (1 << 5));
    assert_eq!(s.host.as_deref(), Some(&b"example.com"[..]));
    assert_eq!(s.header_count, 2);
    assert!(!r.head_in_progress);
}

#[test]
fn a_content_length_body_and_getters() {
    let r = req(b"POST /p HTTP/1.1\r\nhost: h\r\ncontent-type: text/plain\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(r.events[r.events.len() - 2], body("hello"));
    assert_eq!(last(&r), &Ev::Complete);
    let s = summary(&r);
    assert_eq!(s.content_length, Some(5));
    assert_eq!(s.content_type.as_deref(), Some(&b"text/plain"[..]));
    assert_eq!(s.content_encoding.as_deref(), Some(&b"gzip"[..]));
    assert!(!s.chunked);
}

#[test]
fn a_chunked_body_with_extensions_and_trailers() {
    let r = req(
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
        5;name=value\r\nhello\r\n1 ; x\r\n!\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n",
    );
    assert_eq!(
        shape(&r)[4..],
        [
            hc(),
            Ev::ChunkHeader(5),
            body("hello"),
            Ev::ChunkComplete,
            Ev::ChunkHeader(1),
            body("!"),
            Ev::ChunkComplete,
            Ev::ChunkHeader(0),
            h("Expires", "never"),
            h("X-Sum", "1"),
            Ev::ChunkComplete,
            Ev::Complete,
        ]
    );
    assert!(summary(&r).chunked);
    assert_eq!(summary(&r).content_length, None);
}

#[test]
fn the_message_keeps_trailers_after_the_headers() {
    let mut p = Parser::new(Kind::Request, Limits::default());
    let wire = b"POST / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-A: 3\r\n\r\n";
    assert_eq!(
        p.feed(wire, &mut Quiet { fail_body: false }),
        Ok(super::Feed::Done)
    );
    let m = p.message();
    let all: Vec<&[u8]> = m.header_values("X-A").collect();
    assert_eq!(all, vec![&b"1"[..], b"2", b"3"]);
    assert_eq!(m.header("x-A"), Some(&b"1"[..]));
    let trailers: Vec<_> = m.trailers().collect();
    assert_eq!(trailers, vec![("X-A", &b"3"[..])]);
    assert_eq!(m.headers().count(), 5);
    assert_eq!(m.url(), "/");
    assert_eq!(m.reason(), "");
    assert_eq!(m.status_code(), 0);
}

#[test]
fn pipelined_requests_each_get_a_full_sequence() {
    let wire = b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n\r\nPOST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    let r = req(wire);
    let lines: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Ev::RequestLine(_, u) => Some(u.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(lines, ["/1", "/2", "/3"]);
    assert_eq!(r.events.iter().filter(|e| **e == Ev::Complete).count(), 3);
    assert_eq!(
        summaries(&r)
            .iter()
            .map(|s| s.keep_alive)
            .collect::<Vec<_>>(),
        [true, true, false]
    );
}

#[test]
fn keep_alive_follows_version_and_connection() {
    let ka = |head: &str| summary(&req(head.as_bytes())).keep_alive;
    assert!(ka("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert!(!ka(
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    ));
    assert!(!ka(
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n"
    ));
    assert!(!ka("GET / HTTP/1.0\r\n\r\n"));
    assert!(ka("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    // After a closing message only empty lines may come.
    let r = req(b"GET / HTTP/1.0\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    assert_eq!(last(&r), &error(13, 400));
    let r = req(b"GET / HTTP/1.0\r\n\r\n\r\n\r\n");
    assert_eq!(last(&r), &Ev::Complete);
}

#[test]
fn expect_continue_is_flagged_on_http_1_1() {
    let s = summary(&req(
        b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
    ));
    assert!(s.expect_continue);
    let s = summary(&req(
        b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
    ));
    assert!(!s.expect_continue);
    // A body over the limit is refused at the head, before the client sends it.
    let r = req_with(
        b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n",
        Options {
            body: 10,
            ..Options::default()
        },
    );
    assert_eq!(r.events, vec![error(34, 413)]);
}

#[test]
fn websocket_upgrade_hands_the_rest_back() {
    let head = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n";
    let mut wire = head.to_vec();
    wire.extend_from_slice(b"\x81\x05hello");
    let r = req(&wire);
    assert_eq!(summary(&r).upgrade, 1);
    assert_eq!(
        shape(&r)[shape(&r).len() - 2..],
        [Ev::Complete, Ev::Upgrade(1)]
    );
    assert_eq!(r.upgraded_after, Some(head.len()));
    // Upgrade without the Connection option is no upgrade.
    let r = req(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n");
    assert_eq!(summary(&r).upgrade, 0);
    assert_eq!(r.upgraded_after, None);
    // Another protocol: unknown, still a switch.
    let r = req(b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n");
    assert_eq!(last(&r), &Ev::Upgrade(-1));
}

#[test]
fn an_upgrade_request_with_a_body_switches_after_it() {
    let head = b"POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: upgrade\r\nContent-Length: 2\r\n\r\nab";
    let mut wire = head.to_vec();
    wire.extend_from_slice(b"raw");
    let r = req(&wire);
    assert_eq!(
        shape(&r)[shape(&r).len() - 3..],
        [body("ab"), Ev::Complete, Ev::Upgrade(1)]
    );
    assert_eq!(r.upgraded_after, Some(head.len()));
}

#[test]
fn connect_is_a_tunnel_with_host_and_port() {
    let head =
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nContent-Length: 10\r\n\r\n";
    let mut wire = head.to_vec();
    wire.extend_from_slice(b"\x16\x03\x01");
    let r = req(&wire);
    let s = summary(&r);
    assert_eq!(s.upgrade, 2);
    assert_eq!(
        s.url_fields[UrlField::Host as usize].as_deref(),
        Some("example.com")
    );
    assert_eq!(
        s.url_fields[UrlField::Port as usize].as_deref(),
        Some("443")
    );
    assert_eq!(last(&r), &Ev::Upgrade(2));
    assert_eq!(r.upgraded_after, Some(head.len()));
    // CONNECT needs host:port.
    let r = req(b"CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(r.events, vec![error(17, 400)]);
}

#[test]
fn url_forms_and_fields() {
    let f = |target: &str| {
        let r = req(format!("OPTIONS {target} HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes());
        match r.events.first() {
            Some(Ev::Begin) => Some(summary(&r).url_fields),
            _ => None,
        }
    };
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        f("http://user:pw@example.com:8080/p/q?a=b#c"),
        Some(vec![
            s("http"),
            s("example.com"),
            s("8080"),
            s("/p/q"),
            s("a=b"),
            s("c"),
            s("user:pw")
        ])
    );
    assert_eq!(
        f("https://[::1]:443"),
        Some(vec![s("https"), s("::1"), s("443"), None, None, None, None])
    );
    assert_eq!(
        f("*"),
        Some(vec![None, None, None, s("*"), None, None, None])
    );
    assert_eq!(
        f("/?"),
        Some(vec![None, None, None, s("/"), s(""), None, None])
    );
    assert_eq!(f("http://"), None);
    assert_eq!(f("http://h:70000/"), None);
    assert_eq!(f("http://a@b@c/"), None);
    assert_eq!(f("x"), None);
    assert_eq!(f("ftp:/x"), None);
}

#[test]
fn cookies_follow_hp_socket_rules() {
    let s = summary(&req(
        b"GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b = 2;bad; =x\r\ncookie: a=3; c=\r\n\r\n",
    ));
    let c: Vec<(&[u8], &[u8])> = s.cookies.iter().map(|(n, v)| (&n[..], &v[..])).collect();
    assert_eq!(c, vec![(&b"a"[..], &b"3"[..]), (b"b", b"2"), (b"c", b"")]);
}

#[test]
fn sink_answers_steer_the_parser() {
    let wire = b"POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcPOST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\nT: 1\r\n\r\n";
    // Skip body: framed and dropped, the next request is intact.
    let r = req_with(
        wire,
        Options {
            headers_complete: 1,
            ..Options::default()
        },
    );
    assert!(!r
        .events
        .iter()
        .any(|e| matches!(e, Ev::Body(_) | Ev::ChunkHeader(_) | Ev::ChunkComplete)));
    assert!(!r.events.contains(&h("T", "1")));
    assert_eq!(r.events.iter().filter(|e| **e == Ev::Complete).count(), 2);
    // Upgrade: the body's bytes are the new protocol's.
    let r = req_with(
        wire,
        Options {
            headers_complete: 2,
            ..Options::default()
        },
    );
    assert_eq!(last(&r), &Ev::Upgrade(-1));
    assert_eq!(
        r.upgraded_after,
        Some(wire.iter().position(|&b| b == b'a').unwrap())
    );
    // Error from any event stops with a callback error and no status to send.
    let r = req_with(
        wire,
        Options {
            headers_complete: -1,
            ..Options::default()
        },
    );
    assert_eq!(last(&r), &error(5, 0));
    for (at, code) in [(1, 1), (2, 2), (3, 4), (5, 5), (6, 7), (12, 9), (13, 10)] {
        let r = req_with(
            wire,
            Options {
                fail_at: at,
                ..Options::default()
            },
        );
        assert_eq!(last(&r), &error(code, 0), "failing event {at}");
        let counted = r.events.iter().filter(|e| !matches!(e, Ev::Body(_)));
        assert_eq!(counted.count(), at + 1);
    }
    // A refused body piece (the recorder never refuses one: pieces follow the split).
    let mut p = Parser::new(Kind::Request, Limits::default());
    let mut sink = Quiet { fail_body: true };
    let e = p.feed(wire, &mut sink).unwrap_err();
    assert_eq!((e.code(), e.status()), (6, None));
    assert_eq!(p.feed(b"more", &mut sink), Err(e), "an error is for good");
    assert_eq!(p.message().parse_error(), Some(&e));
}

// ---- responses ---------------------------------------------------------------------------

#[test]
fn responses_with_and_without_bodies() {
    let r = res(
        &["GET"],
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        false,
    );
    assert_eq!(
        shape(&r),
        vec![
            Ev::Begin,
            Ev::StatusLine(200, "OK".into()),
            h("Content-Length", "2"),
            hc(),
            body("hi"),
            Ev::Complete
        ]
    );
    assert_eq!(summary(&r).method, "GET");
    // HEAD: the length describes the GET; no body follows.
    let r = res(&["HEAD", "GET"], b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false);
    assert_eq!(r.events.iter().filter(|e| **e == Ev::Complete).count(), 2);
    assert!(!r.events.iter().any(|e| matches!(e, Ev::Body(_))));
    assert_eq!(summaries(&r)[0].content_length, Some(100));
    assert_eq!(summaries(&r)[1].method, "GET");
    for status in ["204 No Content", "304 Not Modified"] {
        let wire = format!("HTTP/1.1 {status}\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        let r = res(&["GET", "GET"], wire.as_bytes(), false);
        assert_eq!(
            r.events.iter().filter(|e| **e == Ev::Complete).count(),
            2,
            "{status}"
        );
    }
}

#[test]
fn a_response_without_length_runs_until_the_close() {
    let r = res(&["GET"], b"HTTP/1.1 200 OK\r\n\r\nsome bytes", false);
    assert_eq!(last(&r), &body("some bytes"));
    assert!(!summary(&r).keep_alive);
    let r = res(&["GET"], b"HTTP/1.1 200 OK\r\n\r\nsome bytes", true);
    assert_eq!(
        shape(&r)[shape(&r).len() - 2..],
        [body("some bytes"), Ev::Complete]
    );
    // A final coding other than chunked also runs until the close.
    let r = res(
        &["GET"],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz",
        true,
    );
    assert_eq!(shape(&r)[shape(&r).len() - 2..], [body("zz"), Ev::Complete]);
}

#[test]
fn eof_inside_a_message_is_an_error() {
    let r = res(
        &["GET"],
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
        true,
    );
    assert_eq!(last(&r), &error(11, 400));
    let r = res(
        &["GET"],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        true,
    );
    assert_eq!(last(&r), &error(11, 400));
    let r = res(
        &["GET"],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n",
        true,
    );
    assert_eq!(last(&r), &error(11, 400));
    let r = run(
        true,
        &[],
        b"GET / HTTP/1.1\r\nHo",
        &[],
        true,
        Options::default(),
    );
    assert_eq!(r.events, vec![error(11, 400)]);
    assert!(r.head_in_progress);
    // Between messages the end is clean.
    let r = run(
        true,
        &[],
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\n\r\n",
        &[],
        true,
        Options::default(),
    );
    assert_eq!(last(&r), &Ev::Complete);
    assert!(!r.head_in_progress);
}

#[test]
fn interim_responses_are_skipped() {
    let r = res(
        &["POST"],
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
        false,
    );
    assert_eq!(
        shape(&r),
        vec![
            Ev::Interim(100),
            Ev::Interim(103),
            Ev::Begin,
            Ev::StatusLine(201, "Created".into()),
            h("Content-Length", "0"),
            hc(),
            Ev::Complete
        ]
    );
    assert_eq!(summary(&r).method, "POST");
}

#[test]
fn switching_protocols_and_tunnels_on_the_client() {
    let head =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    let mut wire = head.to_vec();
    wire.extend_from_slice(b"\x81\x00");
    let r = res(&["GET"], &wire, false);
    assert_eq!(last(&r), &Ev::Upgrade(1));
    assert_eq!(r.upgraded_after, Some(head.len()));
    let head = b"HTTP/1.1 200 Connection established\r\n\r\n";
    let mut wire = head.to_vec();
    wire.extend_from_slice(b"\x16\x03");
    let r = res(&["CONNECT"], &wire, false);
    assert_eq!(last(&r), &Ev::Upgrade(2));
    assert_eq!(r.upgraded_after, Some(head.len()));
    // A refused CONNECT is an ordinary response.
    let r = res(
        &["CONNECT"],
        b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 1\r\n\r\nx",
        false,
    );
    assert_eq!(last(&r), &Ev::Complete);
    // Upgrade headers on a non-101 response switch nothing.
    let r = res(
        &["GET"],
        b"HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n",
        false,
    );
    assert_eq!(last(&r), &Ev::Complete);
}

// ---- errors and limits ------------------------------------------------------------------

#[test]
fn smuggling_shapes_are_refused_with_400() {
    let cases: &[(&str, Ev)] = &[
        (
            "Content-Length: 3\r\nTransfer-Encoding: chunked",
            error(26, 400),
        ),
        (
            "Transfer-Encoding: chunked\r\nContent-Length: 3",
            error(26, 400),
        ),
        ("Content-Length: 3\r\nContent-Length: 4", error(26, 400)),
        ("Content-Length: 3, 4", error(26, 400)),
        ("Content-Length: +3", error(25, 400)),
        ("Content-Length: 3 3", error(25, 400)),
        ("Content-Length: 0x3", error(25, 400)),
        ("Content-Length: 99999999999999999999999", error(25, 400)),
        ("Transfer-Encoding: chunked, gzip", error(33, 400)),
        ("Transfer-Encoding: identity", error(33, 400)),
        (
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
            error(33, 400),
        ),
        ("Transfer-Encoding: gzip, chunked", error(33, 501)),
        ("Transfer-Encoding: xchunked", error(33, 400)),
        ("Transfer-Encoding:\tchunked ", error(33, 400)).clone(),
        ("Foo: bar\r\n Folded: line", error(24, 400)),
        ("Foo : bar", error(24, 400)),
        ("Foo: b\rar", error(24, 400)),
        ("Foo: b\0ar", error(24, 400)),
        ("Host: other", error(18, 400)),
    ];
    for (fields, want) in cases {
        let wire = format!("POST / HTTP/1.1\r\nHost: h\r\n{fields}\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        let r = req(wire.as_bytes());
        if *fields == "Transfer-Encoding:\tchunked " {
            // Whitespace around a coding is allowed.
            assert_eq!(last(&r), &Ev::Complete, "{fields:?}");
            continue;
        }
        assert_eq!(r.events, vec![want.clone()], "{fields:?}");
    }
    // Equal duplicates are one length (RFC 9110 §8.6).
    let r =
        req(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc");
    assert_eq!(last(&r), &Ev::Complete);
    // Transfer-Encoding in HTTP/1.0 is broken framing.
    let r = req(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_eq!(r.events, vec![error(33, 400)]);
    // Both on a response too.
    let r = res(
        &["GET"],
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        false,
    );
    assert_eq!(r.events, vec![error(26, 400)]);
}

#[test]
fn bad_chunks_are_refused() {
    let cases: &[(&[u8], u16)] = &[
        (b"x\r\n", 27),
        (b"\r\n", 27),
        (b"-1\r\n", 27),
        (b"10000000000000000\r\n", 27),
        (b"5\n", 27),
        (b"5 \r\n", 27),
        (b"5;a\nb\r\n", 27),
        (b"5;\0\r\n", 27),
        (b"5\r\nhelloX", 30),
        (b"5\r\nhello\n", 30),
        (b"5\r\nhello\r\r", 30),
        (b"0\r\nBad Name: x\r\n\r\n", 24),
    ];
    for (chunks, code) in cases {
        let mut wire = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        wire.extend_from_slice(chunks);
        wire.extend_from_slice(b"0\r\n\r\n");
        let r = req(&wire);
        assert_eq!(
            last(&r),
            &error(*code, 400),
            "{:?}",
            String::from_utf8_lossy(chunks)
        );
    }
    // Leading zeros are fine; the line limit is not.
    let r = req(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000005\r\nhello\r\n0\r\n\r\n");
    assert_eq!(last(&r), &Ev::Complete);
    let mut wire = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;".to_vec();
    wire.extend(std::iter::repeat_n(b'x', 2000));
    let r = req_with(
        &wire,
        Options {
            chunk_line: 64,
            ..Options::default()
        },
    );
    assert_eq!(last(&r), &error(27, 400));
}

#[test]
fn malformed_heads_are_refused() {
    let cases: &[(&[u8], Ev)] = &[
        (b"G@T / HTTP/1.1\r\n\r\n", error(16, 400)),
        (b"GET /a b HTTP/1.1\r\n\r\n", error(14, 400)),
        (b"GET  / HTTP/1.1\r\n\r\n", error(17, 400)),
        (b"GET / HTTP/2.0\r\n\r\n", error(14, 505)),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", error(14, 505)),
        (b"GET / HTTP/1.1 x\r\n\r\n", error(23, 400)),
        (b"GET / HTTQ/1.1\r\n\r\n", error(14, 400)),
        (b"GET / HTTP/1.1\r\n\r\n", error(18, 400)),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            error(18, 400),
        ),
        (b"GET / HTTP/1.1\r\nHost: a\r\n\rx\r\n\r\n", error(23, 400)),
        (b"GET / HTTP/1.1\rHost: a\r\n\r\n", error(23, 400)),
        (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n",
            error(16, 400),
        ),
    ];
    for (wire, want) in cases {
        assert_eq!(
            req(wire).events,
            vec![want.clone()],
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
    // A TLS hello (no newline for a long while) is refused once its line is over the limit
    // at the latest.
    let mut hello = vec![0x16, 0x03, 0x01];
    hello.extend(std::iter::repeat_n(b'A', 40_000));
    let r = req(&hello);
    assert_eq!(r.events, vec![error(12, 431)]);
    // Responses.
    for (wire, want) in [
        (&b"HTTP/1.1 2000 OK\r\n\r\n"[..], error(15, 400)),
        (b"HTTP/1.1 20 OK\r\n\r\n", error(15, 400)),
        (b"HTTP/3 200 OK\r\n\r\n", error(14, 505)),
        (b"ICY 200 OK\r\n\r\n", error(14, 400)),
    ] {
        assert_eq!(
            res(&["GET"], wire, false).events,
            vec![want],
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
}

#[test]
fn head_limits_give_431() {
    let mut wire = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
    for i in 0..101 {
        wire.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    wire.extend_from_slice(b"\r\n");
    assert_eq!(req(&wire).events, vec![error(12, 431)]);
    let r = req_with(
        &wire,
        Options {
            headers: 200,
            ..Options::default()
        },
    );
    assert_eq!(last(&r), &Ev::Complete);

    let big = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
        "v".repeat(DEFAULT_MAX_HEAD_SIZE)
    );
    let r = req(big.as_bytes());
    assert_eq!(r.events, vec![error(12, 431)]);
    assert!(r.max_buffered <= DEFAULT_MAX_HEAD_SIZE + 1);
    // Exactly the limit passes; one byte more does not.
    let exact = |n: usize| {
        let head = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n";
        format!(
            "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
            "v".repeat(n - head.len())
        )
    };
    let opts = Options {
        head: 100,
        ..Options::default()
    };
    assert_eq!(last(&req_with(exact(100).as_bytes(), opts)), &Ev::Complete);
    assert_eq!(
        req_with(exact(101).as_bytes(), opts).events,
        vec![error(12, 431)]
    );
    // Endless empty lines are refused the same way.
    let r = req(&b"\r\n".repeat(DEFAULT_MAX_HEAD_SIZE));
    assert_eq!(r.events, vec![error(12, 431)]);
    // Trailers have the same limits.
    let mut wire =
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n".to_vec();
    wire.extend_from_slice(format!("T: {}\r\n\r\n", "v".repeat(200)).as_bytes());
    assert_eq!(last(&req_with(&wire, opts)), &error(12, 431));
}

#[test]
fn body_limits_give_413() {
    let opts = Options {
        body: 10,
        ..Options::default()
    };
    let r = req_with(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n",
        opts,
    );
    assert_eq!(r.events, vec![error(34, 413)]);
    let r = req_with(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789",
        opts,
    );
    assert_eq!(last(&r), &Ev::Complete);
    let r = req_with(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n", opts);
    assert_eq!(
        shape(&r)[shape(&r).len() - 3..],
        [body("abcdef"), Ev::ChunkComplete, error(34, 413)]
    );
    let r = run(
        false,
        &["GET"],
        b"HTTP/1.1 200 OK\r\n\r\n0123456789X",
        &[3],
        true,
        opts,
    );
    assert_eq!(
        shape(&r)[shape(&r).len() - 2..],
        [body("0123456789"), error(34, 413)]
    );
    // 0 lifts the limit; u64::MAX as a length is fine then.
    let r = req_with(
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\nab",
        Options {
            body: 0,
            ..Options::default()
        },
    );
    assert_eq!(last(&r), &error(34, 413), "0 in Options keeps the default");
    let r = run(
        true,
        &[],
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551615\r\n\r\nab",
        &[],
        true,
        Options {
            body: u64::MAX,
            ..Options::default()
        },
    );
    assert_eq!(
        shape(&r)[shape(&r).len() - 2..],
        [body("ab"), error(11, 400)]
    );
}

#[test]
fn zero_body_limit_means_unlimited() {
    use super::Limits;
    let l = Limits::default().with_max_body_size(0);
    assert_eq!(l.max_body_size, 0);
    let mut r = super::body::BodyReader::new(super::body::Framing::UntilClose, 0, 1024);
    let big = vec![0u8; 1 << 20];
    for _ in 0..64 {
        assert!(matches!(r.step(&big), Ok((n, super::body::Step::Data(_))) if n == big.len()));
    }
    assert_eq!(Limits::default().with_max_head_size(0).max_head_size, 1);
}

#[test]
fn head_progress_is_visible() {
    let r = run(true, &[], b"\r\n\r\n", &[], false, Options::default());
    assert!(!r.head_in_progress);
    let r = run(true, &[], b"GET / HT", &[], false, Options::default());
    assert!(r.head_in_progress && r.events.is_empty());
    let r = run(
        true,
        &[],
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab",
        &[],
        false,
        Options::default(),
    );
    assert!(!r.head_in_progress);
}

#[test]
fn errors_carry_code_status_and_text() {
    use super::{ErrorKind, Event, ParseError};
    let e = ParseError::new(ErrorKind::BodyTooLarge);
    assert_eq!((e.code(), e.status()), (34, Some(413)));
    assert!(!e.to_string().is_empty());
    let e = ParseError::new(ErrorKind::Callback(Event::Body));
    assert_eq!((e.code(), e.status()), (6, None));
    assert_eq!(
        ParseError::new(ErrorKind::UnsupportedTransferEncoding).status(),
        Some(501)
    );
    assert_eq!(
        ParseError::new(ErrorKind::UnsupportedVersion).status(),
        Some(505)
    );
}

// ---- any split is the same stream --------------------------------------------------------

/// A generated message and the events it must produce.
#[derive(Debug, Clone)]
struct Generated {
    wire: Vec<u8>,
    events: Vec<Ev>,
    method: &'static str,
}

fn field_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9-]{0,12}".prop_filter("framing fields are set apart", |n| {
        ![
            "content-length",
            "transfer-encoding",
            "host",
            "connection",
            "upgrade",
            "expect",
        ]
        .contains(&n.to_ascii_lowercase().as_str())
    })
}

fn field_value() -> impl Strategy<Value = String> {
    "([!-~]([ -~]{0,20}[!-~])?)?"
}

#[derive(Debug, Clone)]
enum BodyKind {
    None,
    Fixed(Vec<u8>),
    Chunked(Vec<Vec<u8>>, Vec<(String, String)>, bool),
}

fn body_kind() -> impl Strategy<Value = BodyKind> {
    prop_oneof![
        Just(BodyKind::None),
        proptest::collection::vec(any::<u8>(), 1..300).prop_map(BodyKind::Fixed),
        (
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..80), 0..6),
            proptest::collection::vec((field_name(), field_value()), 0..3),
            any::<bool>(),
        )
            .prop_map(|(c, t, ext)| BodyKind::Chunked(c, t, ext)),
    ]
}

/// The wire bytes and events of a head with `fields` and body `b`. The body's framing field
/// is always sent; its bytes and events only when the message has a body (`has_body`: not a
/// HEAD, 204 or 304 response).
fn head_and_body(
    first_line: String,
    start: Vec<Ev>,
    fields: Vec<(String, String)>,
    b: BodyKind,
    has_body: bool,
) -> (Vec<u8>, Vec<Ev>) {
    let mut wire = first_line.into_bytes();
    let mut events = start;
    let mut fields = fields;
    match &b {
        BodyKind::None => {}
        BodyKind::Fixed(d) => fields.push(("Content-Length".into(), d.len().to_string())),
        BodyKind::Chunked(..) => fields.push(("Transfer-Encoding".into(), "chunked".into())),
    }
    for (n, v) in &fields {
        wire.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        events.push(h(n, v));
    }
    wire.extend_from_slice(b"\r\n");
    events.push(hc());
    match b {
        BodyKind::Fixed(d) if has_body && !d.is_empty() => {
            wire.extend_from_slice(&d);
            events.push(Ev::Body(d));
        }
        BodyKind::Chunked(chunks, trailers, ext) if has_body => {
            for (i, c) in chunks.iter().enumerate() {
                let size = if i % 2 == 0 {
                    format!("{:x}", c.len())
                } else {
                    format!("{:X}", c.len())
                };
                let ext = if ext { ";e=\"v\"" } else { "" };
                wire.extend_from_slice(format!("{size}{ext}\r\n").as_bytes());
                wire.extend_from_slice(c);
                wire.extend_from_slice(b"\r\n");
                events.extend([
                    Ev::ChunkHeader(c.len() as u64),
                    Ev::Body(c.clone()),
                    Ev::ChunkComplete,
                ]);
            }
            wire.extend_from_slice(b"0\r\n");
            events.push(Ev::ChunkHeader(0));
            for (n, v) in &trailers {
                wire.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
                events.push(h(n, v));
            }
            wire.extend_from_slice(b"\r\n");
            events.push(Ev::ChunkComplete);
        }
        _ => {}
    }
    events.push(Ev::Complete);
    (wire, events)
}

fn request() -> impl Strategy<Value = Generated> {
    (
        prop::sample::select(vec![
            "GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "M-SEARCH",
        ]),
        "/[a-z0-9/._-]{0,20}(\\?[a-z0-9=&]{0,10})?",
        proptest::collection::vec((field_name(), field_value()), 0..8),
        body_kind(),
    )
        .prop_map(|(method, url, mut fields, b)| {
            fields.insert(0, ("Host".into(), "example.com".into()));
            let start = vec![Ev::Begin, Ev::RequestLine(method.into(), url.clone())];
            let first = format!("{method} {url} HTTP/1.1\r\n");
            let (wire, events) = head_and_body(first, start, fields, b, true);
            Generated {
                wire,
                events,
                method,
            }
        })
}

fn response() -> impl Strategy<Value = Generated> {
    let statuses = vec![
        (200, "OK"),
        (201, "Created"),
        (204, "No Content"),
        (304, "Not Modified"),
        (404, "Not Found"),
        (500, ""),
    ];
    (
        prop::sample::select(statuses),
        prop::sample::select(vec!["GET", "HEAD", "POST"]),
        proptest::collection::vec((field_name(), field_value()), 0..8),
        body_kind(),
    )
        .prop_map(|((status, reason), method, fields, b)| {
            let has_body = status != 204 && status != 304 && method != "HEAD";
            // Without a length a response runs until the close: give it an empty one.
            let b = match b {
                BodyKind::None if has_body => BodyKind::Fixed(Vec::new()),
                b => b,
            };
            let start = vec![Ev::Begin, Ev::StatusLine(status, reason.into())];
            let first = format!("HTTP/1.1 {status} {reason}\r\n");
            let (wire, events) = head_and_body(first, start, fields, b, has_body);
            Generated {
                wire,
                events,
                method,
            }
        })
}

fn feed_both_ways(request: bool, msgs: &[Generated], cuts: &[usize]) -> Result<(), TestCaseError> {
    let wire: Vec<u8> = msgs.iter().flat_map(|m| m.wire.clone()).collect();
    let methods: Vec<&str> = msgs.iter().map(|m| m.method).collect();
    let methods = if request { vec![] } else { methods };
    let opts = Options::default();
    let whole = run(request, &methods, &wire, &[], true, opts);
    let split = run(request, &methods, &wire, cuts, true, opts);
    prop_assert_eq!(&whole.events, &split.events);
    prop_assert_eq!(whole.upgraded_after, split.upgraded_after);
    prop_assert!(split.max_buffered <= DEFAULT_MAX_HEAD_SIZE + 1);
    let want: Vec<Ev> = msgs.iter().flat_map(|m| m.events.clone()).collect();
    prop_assert_eq!(shape(&whole), want);
    prop_assert!(whole.max_buffered <= DEFAULT_MAX_HEAD_SIZE + 1);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_of_pipelined_requests_gives_the_same_events(
        msgs in proptest::collection::vec(request(), 1..4),
        cuts in proptest::collection::vec(1usize..64, 1..12),
    ) {
        feed_both_ways(true, &msgs, &cuts)?;
    }

    #[test]
    fn any_split_of_pipelined_responses_gives_the_same_events(
        msgs in proptest::collection::vec(response(), 1..4),
        cuts in proptest::collection::vec(1usize..64, 1..12),
    ) {
        feed_both_ways(false, &msgs, &cuts)?;
    }

    #[test]
    fn any_split_of_any_bytes_gives_the_same_events(
        data in proptest::collection::vec(prop::sample::select(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n0\r\n5;x\r\n abc:\n\t\0".to_vec()), 0..400),
        cuts in proptest::collection::vec(1usize..32, 1..8),
        request in any::<bool>(),
        head in 0usize..200,
    ) {
        let opts = Options { head, body: 50, chunk_line: 16, headers: 4, ..Options::default() };
        let whole = run(request, &["GET", "HEAD"], &data, &[], true, opts);
        let split = run(request, &["GET", "HEAD"], &data, &cuts, true, opts);
        prop_assert_eq!(whole.events, split.events);
        prop_assert_eq!(whole.upgraded_after, split.upgraded_after);
        let max = if head == 0 { DEFAULT_MAX_HEAD_SIZE } else { head };
        prop_assert!(split.max_buffered <= max + 1);
    }
}
