//! HTTP servers over loopback against raw sockets: pipelining, keep-alive, error answers,
//! timeouts, upgrades, release, auto-start. Clients, agents, the sync client, cookies, TLS
//! and the independent peers (curl, Python) are in `http_clients.rs`.

mod http_common;
mod util;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hpsocket::prelude::*;
use hpsocket::*;
use http_common::*;
use parking_lot::Mutex;

#[test]
fn pipelined_requests_get_their_answers_in_order_with_keep_alive() {
    let (s, seen, a) = server();
    let mut c = connect(a);
    c.write_all(
        b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Tag: one\r\n\r\n\
          POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\
          POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n\
          HEAD /d HTTP/1.1\r\nHost: h\r\n\r\n",
    )
    .unwrap();
    let mut buf = Vec::new();
    let (st, h, body) = read_response(&mut c, &mut buf).unwrap();
    assert_eq!((st, body.as_slice()), (200, &b"GET /a?x=1 "[..]));
    assert_eq!(header(&h, "x-tag"), Some("one"));
    assert_eq!(header(&h, "connection"), Some("keep-alive"));
    let (_, _, body) = read_response(&mut c, &mut buf).unwrap();
    assert_eq!(body, b"POST /b hello");
    let (_, _, body) = read_response(&mut c, &mut buf).unwrap();
    assert_eq!(body, b"POST /c abcde");
    // HEAD: a Content-Length and no body (read_response would read one: check by hand).
    let deadline = Instant::now() + LIMIT;
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && Instant::now() < deadline {
        let mut b = [0u8; 1024];
        let n = c.read(&mut b).unwrap();
        buf.extend_from_slice(&b[..n]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Length: 8\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    let ev = seen.lock().events.clone();
    assert_eq!(ev.iter().filter(|e| *e == "complete").count(), 4, "{ev:?}");
    assert!(ev.contains(&"chunk 3".to_string()) && ev.contains(&"chunk 0".to_string()));
    assert_eq!(
        ev[0..3],
        ["begin", "line GET /a?x=1", "headers 2 keep-alive=true"]
    );
    s.stop().unwrap();
}

#[test]
fn connection_close_and_http_1_0_are_answered_with_close() {
    let (s, _seen, a) = server();
    for (req, want) in [
        (
            &b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"[..],
            "close",
        ),
        (b"GET / HTTP/1.0\r\n\r\n", "close"),
        (
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            "keep-alive",
        ),
    ] {
        let mut c = connect(a);
        c.write_all(req).unwrap();
        let (_, h, _) = read_response(&mut c, &mut Vec::new()).unwrap();
        assert_eq!(header(&h, "connection"), Some(want));
    }
    s.stop().unwrap();
}

#[test]
fn a_response_sent_later_from_another_thread_keeps_the_requests_keep_alive() {
    struct Later(Arc<Mutex<Option<ConnId>>>);
    impl ServerListener<HttpServer> for Later {
        fn on_message_complete(
            &self,
            _s: &HttpServer,
            id: ConnId,
            _m: &HttpMessage,
        ) -> ParseResult {
            *self.0.lock() = Some(id);
            ParseResult::Ok
        }
    }
    let slot = Arc::new(Mutex::new(None));
    let s = HttpServer::new(Later(slot.clone()));
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    for (req, want) in [
        (
            &b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"[..],
            "close",
        ),
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "keep-alive"),
    ] {
        let mut c = connect(a);
        c.write_all(req).unwrap();
        assert!(util::eventually(|| slot.lock().is_some()));
        let id = slot.lock().take().unwrap();
        let s2 = s.clone();
        std::thread::spawn(move || s2.send_response(id, 204, None, &[], b"").unwrap())
            .join()
            .unwrap();
        let (st, h, _) = read_response(&mut c, &mut Vec::new()).unwrap();
        assert_eq!((st, header(&h, "connection")), (204, Some(want)));
    }
    s.stop().unwrap();
}

#[test]
fn bad_requests_get_their_status_then_the_connection_closes() {
    let (s, seen, a) = server();
    let big = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    for (req, status) in [
        (b"GARBAGE\r\n\r\n".to_vec(), 400),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec(),
            400,
        ),
        (big.into_bytes(), 431),
        (
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999\r\n\r\n".to_vec(),
            413,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec(),
            501,
        ),
    ] {
        let mut c = connect(a);
        c.write_all(&req).unwrap();
        let mut buf = Vec::new();
        let (st, h, _) = read_response(&mut c, &mut buf).expect("an answer before the close");
        assert_eq!(st, status);
        assert_eq!(header(&h, "connection"), Some("close"));
        assert!(
            read_response(&mut c, &mut buf).is_none(),
            "closed after the answer"
        );
    }
    assert!(util::eventually(|| seen.lock().closes.len() == 5));
    let closes = seen.lock().closes.clone();
    assert!(
        closes
            .iter()
            .all(|c| *c == (SocketOperation::Receive, libc::EBADMSG)),
        "{closes:?}"
    );
    assert_eq!(
        seen.lock()
            .events
            .iter()
            .filter(|e| e.starts_with("parse error"))
            .count(),
        5
    );
    s.stop().unwrap();
}

#[test]
fn a_head_that_does_not_finish_in_time_gets_408_and_a_close() {
    let (l, seen) = Echo::new();
    let s = HttpServer::new(l);
    s.set_http_head_timeout(300).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let mut c = connect(s.listen_address().unwrap());
    let t0 = Instant::now();
    c.write_all(b"GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ")
        .unwrap();
    let (st, _, _) = read_response(&mut c, &mut Vec::new()).expect("408");
    assert_eq!(st, 408);
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t0.elapsed()
    );
    assert!(util::eventually(
        || seen.lock().closes == vec![(SocketOperation::Receive, libc::ETIMEDOUT)]
    ));
    s.stop().unwrap();
}

#[test]
fn an_upgrade_hands_the_following_bytes_to_on_receive() {
    let (s, seen, a) = server();
    let mut c = connect(a);
    // Not WebSocket (whose frames have events of their own: tests/http_ws.rs).
    c.write_all(
        b"GET /chat HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: chat/1\r\n\r\nhello",
    )
    .unwrap();
    let mut buf = Vec::new();
    let (st, _, _) = read_response(&mut c, &mut buf).unwrap();
    assert_eq!(st, 200);
    // The bytes after the head are the new protocol's (echoed upper-cased by the listener).
    let mut got = buf.clone();
    while got.len() < 5 {
        let mut b = [0u8; 64];
        let n = c.read(&mut b).unwrap();
        got.extend_from_slice(&b[..n]);
    }
    assert_eq!(got, b"HELLO");
    c.write_all(b"more").unwrap();
    let mut b = [0u8; 4];
    c.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"MORE");
    let ev = seen.lock().events.clone();
    assert!(ev.contains(&"upgrade Unknown".to_string()), "{ev:?}");
    s.stop().unwrap();
}

#[test]
fn release_closes_the_connection_after_the_delay() {
    struct Rel;
    impl ServerListener<HttpServer> for Rel {
        fn on_message_complete(&self, s: &HttpServer, id: ConnId, _m: &HttpMessage) -> ParseResult {
            s.send_response(id, 200, None, &[], b"bye").unwrap();
            s.release(id).unwrap();
            assert!(s.release(id).is_err(), "released once");
            ParseResult::Ok
        }
    }
    let s = HttpServer::new(Rel);
    s.set_http_release_delay(200).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let mut c = connect(s.listen_address().unwrap());
    let t0 = Instant::now();
    c.write_all(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let (_, _, body) = read_response(&mut c, &mut buf).unwrap();
    assert_eq!(body, b"bye");
    assert!(read_response(&mut c, &mut buf).is_none());
    assert!(
        t0.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t0.elapsed()
    );
    s.stop().unwrap();
}

#[test]
fn with_auto_start_off_bytes_are_raw_until_start_http() {
    struct Late;
    impl ServerListener<HttpServer> for Late {
        fn on_receive(&self, s: &HttpServer, id: ConnId, data: &[u8]) -> HandleResult {
            assert_eq!(data, b"HELLO\n");
            s.send(id, b"OK\n").unwrap();
            s.start_http(id).unwrap();
            assert!(s.start_http(id).is_err(), "once per connection");
            HandleResult::Ok
        }
        fn on_message_complete(&self, s: &HttpServer, id: ConnId, m: &HttpMessage) -> ParseResult {
            s.send_response(id, 200, None, &[], m.url().as_bytes())
                .unwrap();
            ParseResult::Ok
        }
    }
    let s = HttpServer::new(Late);
    s.set_http_auto_start(false).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let mut c = connect(s.listen_address().unwrap());
    c.write_all(b"HELLO\n").unwrap();
    let mut ok = [0u8; 3];
    c.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"OK\n");
    c.write_all(b"GET /now-http HTTP/1.1\r\nHost: h\r\n\r\n")
        .unwrap();
    let (st, _, body) = read_response(&mut c, &mut Vec::new()).unwrap();
    assert_eq!((st, body.as_slice()), (200, &b"/now-http"[..]));
    s.stop().unwrap();
    // With auto-start on, start_http is refused.
    let (s, _seen, a) = server();
    let _c = connect(a);
    assert!(util::eventually(|| s.connection_count() == 1));
    let id = s.all_connection_ids()[0];
    assert!(matches!(s.start_http(id), Err(Error::IllegalState(_))));
    s.stop().unwrap();
}
