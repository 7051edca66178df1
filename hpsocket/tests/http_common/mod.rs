//! What the HTTP test files share: a recording echo server, a raw connection and a
//! response reader.
#![allow(dead_code)]

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use hpsocket::prelude::*;
use hpsocket::*;
use parking_lot::Mutex;

pub const LIMIT: Duration = Duration::from_secs(10);

/// What a server saw of each request, in order.
#[derive(Default)]
pub struct Seen {
    pub events: Vec<String>,
    pub closes: Vec<(SocketOperation, i32)>,
}

/// Answers every request with `method url body` as a `text/plain` body, echoing the request's
/// `X-Tag` header.
pub struct Echo {
    pub seen: Arc<Mutex<Seen>>,
    pub body: Mutex<std::collections::HashMap<ConnId, Vec<u8>>>,
}

impl Echo {
    pub fn new() -> (Echo, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        (
            Echo {
                seen: seen.clone(),
                body: Mutex::new(Default::default()),
            },
            seen,
        )
    }
    pub fn log(&self, e: String) {
        self.seen.lock().events.push(e);
    }
}

impl ServerListener<HttpServer> for Echo {
    fn on_message_begin(&self, _s: &HttpServer, id: ConnId, _m: &HttpMessage) -> ParseResult {
        self.log("begin".into());
        self.body.lock().remove(&id);
        ParseResult::Ok
    }
    fn on_request_line(
        &self,
        _s: &HttpServer,
        _id: ConnId,
        _m: &HttpMessage,
        method: &str,
        url: &str,
    ) -> ParseResult {
        self.log(format!("line {method} {url}"));
        ParseResult::Ok
    }
    fn on_headers_complete(&self, _s: &HttpServer, _id: ConnId, m: &HttpMessage) -> ParseResult {
        self.log(format!(
            "headers {} keep-alive={}",
            m.header_count(),
            m.keep_alive()
        ));
        ParseResult::Ok
    }
    fn on_body(&self, _s: &HttpServer, id: ConnId, _m: &HttpMessage, data: &[u8]) -> ParseResult {
        self.body
            .lock()
            .entry(id)
            .or_default()
            .extend_from_slice(data);
        ParseResult::Ok
    }
    fn on_chunk_header(
        &self,
        _s: &HttpServer,
        _id: ConnId,
        _m: &HttpMessage,
        n: u64,
    ) -> ParseResult {
        self.log(format!("chunk {n}"));
        ParseResult::Ok
    }
    fn on_message_complete(&self, s: &HttpServer, id: ConnId, m: &HttpMessage) -> ParseResult {
        self.log("complete".into());
        let mut out = format!("{} {} ", m.method(), m.url()).into_bytes();
        out.extend_from_slice(&self.body.lock().remove(&id).unwrap_or_default());
        let tag = m
            .header("x-tag")
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        let headers = [("Content-Type", "text/plain"), ("X-Tag", tag.as_str())];
        if m.method() == "HEAD" {
            let len = out.len().to_string();
            let headers = [("Content-Length", len.as_str())];
            s.send_response(id, 200, None, &headers, &[]).unwrap();
        } else {
            s.send_response(id, 200, None, &headers, &out).unwrap();
        }
        ParseResult::Ok
    }
    fn on_upgrade(
        &self,
        _s: &HttpServer,
        _id: ConnId,
        _m: &HttpMessage,
        k: UpgradeType,
    ) -> ParseResult {
        self.log(format!("upgrade {k:?}"));
        ParseResult::Ok
    }
    fn on_receive(&self, s: &HttpServer, id: ConnId, data: &[u8]) -> HandleResult {
        // After an upgrade: raw bytes, echoed upper-cased.
        self.log(format!("raw {}", String::from_utf8_lossy(data)));
        let _ = s.send(id, &data.to_ascii_uppercase());
        HandleResult::Ok
    }
    fn on_parse_error(&self, _s: &HttpServer, _id: ConnId, _m: &HttpMessage, e: &HttpParseError) {
        self.log(format!("parse error {:?} {}", e.kind, e.code()));
    }
    fn on_close(
        &self,
        _s: &HttpServer,
        _id: ConnId,
        op: SocketOperation,
        err: i32,
    ) -> HandleResult {
        self.seen.lock().closes.push((op, err));
        HandleResult::Ok
    }
}

pub fn server() -> (HttpServer, Arc<Mutex<Seen>>, SocketAddr) {
    let (l, seen) = Echo::new();
    let s = HttpServer::new(l);
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    (s, seen, a)
}

pub fn connect(a: SocketAddr) -> TcpStream {
    let c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c
}

/// A response as read: status, (lower-cased name, value) fields, body.
pub type Response = (u16, Vec<(String, String)>, Vec<u8>);

/// Bodies of finished responses by connection.
pub type Done = Arc<Mutex<Vec<(ConnId, Vec<u8>)>>>;

/// Reads one response (head + Content-Length body) from `c`; `None` at EOF.
pub fn read_response(c: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Response> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(buf[..end].to_vec()).unwrap();
            let mut lines = head.split("\r\n");
            let status: u16 = lines
                .next()
                .unwrap()
                .split(' ')
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            let headers: Vec<(String, String)> = lines
                .map(|l| {
                    let (n, v) = l.split_once(": ").unwrap();
                    (n.to_ascii_lowercase(), v.to_string())
                })
                .collect();
            let len: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let mut b = [0u8; 4096];
                let n = c.read(&mut b).unwrap();
                assert!(n > 0, "EOF inside a body");
                buf.extend_from_slice(&b[..n]);
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return Some((status, headers, body));
        }
        let mut b = [0u8; 4096];
        match c.read(&mut b) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
}

pub fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}
