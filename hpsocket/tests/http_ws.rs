//! HP-Socket's frame-level WebSocket API on the HTTP components, over loopback: our
//! HttpServer answers the upgrade and echoes frames to an independent client (tungstenite)
//! and to our own HttpClient; frames that break the mask rule close the connection; the
//! frame state is readable while a body arrives.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use hpsocket::prelude::*;
use hpsocket::*;
use parking_lot::Mutex;
use tungstenite::protocol::{Role, WebSocket};
use tungstenite::Message;

/// A frame header as a listener saw it: (fin, rsv, opcode, mask, body length).
type FrameHead = (bool, u8, u8, Option<[u8; 4]>, u64);

/// What a side saw: frame headers, completed frames, closes.
#[derive(Default)]
struct Log {
    headers: Vec<FrameHead>,
    /// (opcode, body) of each complete frame.
    frames: Vec<(u8, Vec<u8>)>,
    /// The frame state seen in the first body event of each frame.
    states: Vec<WsMessageState>,
    closes: Vec<(SocketOperation, i32)>,
    upgrades: Vec<UpgradeType>,
}

/// Answers a WebSocket upgrade with 101 and echoes every frame back (a close is echoed and
/// the connection then closed, as HP-Socket's demo server does).
#[derive(Default)]
struct EchoWs {
    log: Arc<Mutex<Log>>,
    body: Mutex<Vec<u8>>,
}

impl ServerListener<HttpServer> for EchoWs {
    fn on_upgrade(
        &self,
        s: &HttpServer,
        id: ConnId,
        m: &HttpMessage,
        k: UpgradeType,
    ) -> ParseResult {
        self.log.lock().upgrades.push(k);
        let Some(key) = m.header("sec-websocket-key") else {
            return ParseResult::Error;
        };
        let accept = ws_accept_key(std::str::from_utf8(key).unwrap());
        let headers = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept.as_str()),
        ];
        s.send_response(id, 101, None, &headers, b"").unwrap();
        ParseResult::Ok
    }
    fn on_ws_message_header(
        &self,
        s: &HttpServer,
        id: ConnId,
        fin: bool,
        rsv: u8,
        opcode: u8,
        mask: Option<[u8; 4]>,
        len: u64,
    ) -> HandleResult {
        self.log.lock().headers.push((fin, rsv, opcode, mask, len));
        assert_eq!(s.ws_message_state(id).unwrap().body_len, len);
        self.body.lock().clear();
        HandleResult::Ok
    }
    fn on_ws_message_body(&self, s: &HttpServer, id: ConnId, d: &[u8]) -> HandleResult {
        let mut b = self.body.lock();
        if b.is_empty() {
            self.log.lock().states.push(s.ws_message_state(id).unwrap());
        }
        b.extend_from_slice(d);
        HandleResult::Ok
    }
    fn on_ws_message_complete(&self, s: &HttpServer, id: ConnId) -> HandleResult {
        let body = std::mem::take(&mut *self.body.lock());
        let last = *self.log.lock().headers.last().unwrap();
        let (fin, rsv, opcode) = (last.0, last.1, last.2);
        self.log.lock().frames.push((opcode, body.clone()));
        s.send_ws_message(id, fin, rsv, opcode, &body, 0).unwrap();
        if opcode == 0x8 {
            s.disconnect(id, false).unwrap();
        }
        HandleResult::Ok
    }
    fn on_close(&self, _s: &HttpServer, _id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.log.lock().closes.push((op, e));
        HandleResult::Ok
    }
}

fn echo_server() -> (HttpServer, Arc<Mutex<Log>>, std::net::SocketAddr) {
    let l = EchoWs::default();
    let log = l.log.clone();
    let s = HttpServer::new(l);
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    (s, log, a)
}

/// Opens a WebSocket over a raw stream: the handshake by hand, then tungstenite's protocol.
fn tungstenite_client(a: std::net::SocketAddr) -> WebSocket<TcpStream> {
    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    write!(
        c,
        "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        c.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(
        head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{head}"
    );
    WebSocket::from_raw_socket(c, Role::Client, None)
}

#[test]
fn the_server_echoes_frames_to_an_independent_client() {
    let (s, log, a) = echo_server();
    let mut ws = tungstenite_client(a);
    ws.send(Message::text("hello, frames")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("hello, frames"));
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    ws.send(Message::binary(big.clone())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(big.clone()));
    ws.close(None).unwrap();
    // The echoed close completes tungstenite's handshake; then the server closes.
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(util::eventually(|| log.lock().closes.len() == 1));
    let l = log.lock();
    assert_eq!(l.upgrades, [UpgradeType::WebSocket]);
    // Frames from a client are masked; their bodies reached the listener unmasked.
    assert!(l.headers.iter().all(|h| h.3.is_some()));
    assert!(l.headers[0].0);
    assert_eq!(l.headers[0].2, 0x1);
    assert_eq!(l.headers[1].4, big.len() as u64);
    assert_eq!(l.frames[1], (0x2, big));
    assert_eq!(l.frames[2].0, 0x8);
    // In the first body event the whole body was still to come, or part of it had come.
    assert!(l.states[1].body_remain <= l.states[1].body_len && l.states[1].body_len == 200_000);
    assert_eq!(l.states[1].mask, l.headers[1].3);
    drop(l);
    s.stop().unwrap();
}

/// Our client: upgrades, then records the server's frames.
#[derive(Default)]
struct WsClientSide {
    log: Arc<Mutex<Log>>,
    body: Mutex<Vec<u8>>,
}

impl ClientListener<HttpClient> for WsClientSide {
    fn on_upgrade(
        &self,
        _c: &HttpClient,
        _id: ConnId,
        m: &HttpMessage,
        k: UpgradeType,
    ) -> ParseResult {
        assert_eq!(m.status_code(), 101);
        self.log.lock().upgrades.push(k);
        ParseResult::Ok
    }
    fn on_ws_message_header(
        &self,
        _c: &HttpClient,
        _id: ConnId,
        fin: bool,
        rsv: u8,
        opcode: u8,
        mask: Option<[u8; 4]>,
        len: u64,
    ) -> HandleResult {
        self.log.lock().headers.push((fin, rsv, opcode, mask, len));
        HandleResult::Ok
    }
    fn on_ws_message_body(&self, c: &HttpClient, _id: ConnId, d: &[u8]) -> HandleResult {
        let mut b = self.body.lock();
        if b.is_empty() {
            self.log.lock().states.push(c.ws_message_state().unwrap());
        }
        b.extend_from_slice(d);
        HandleResult::Ok
    }
    fn on_ws_message_complete(&self, _c: &HttpClient, _id: ConnId) -> HandleResult {
        let body = std::mem::take(&mut *self.body.lock());
        let op = self.log.lock().headers.last().unwrap().2;
        self.log.lock().frames.push((op, body));
        HandleResult::Ok
    }
    fn on_close(&self, _c: &HttpClient, _id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.log.lock().closes.push((op, e));
        HandleResult::Ok
    }
}

#[test]
fn our_client_masks_its_frames_and_reads_the_servers() {
    let (s, slog, a) = echo_server();
    let l = WsClientSide::default();
    let log = l.log.clone();
    let c = HttpClient::new(l);
    c.start("127.0.0.1", a.port(), false).unwrap();
    // Before the upgrade the connection has no frame state.
    assert!(matches!(c.ws_message_state(), Err(Error::IllegalState(_))));
    let headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
    ];
    c.send_get("/chat", &headers).unwrap();
    assert!(util::eventually(|| log.lock().upgrades.len() == 1));
    // A random mask, a chosen one, and a frame whose body is announced longer and finished
    // with plain sends (masked by the caller from the right offset, as in HP-Socket).
    c.send_ws_message(true, 0, 0x1, None, b"first", 0).unwrap();
    c.send_ws_message(false, 0, 0x2, Some([1, 2, 3, 4]), b"frag", 0)
        .unwrap();
    c.send_ws_message(true, 0, 0x0, Some([9, 8, 7, 6]), b"ment", 10)
        .unwrap();
    let mut rest = b"-tail!".to_vec();
    for (i, b) in rest.iter_mut().enumerate() {
        *b ^= [9u8, 8, 7, 6][(i + 4) % 4];
    }
    c.send(&rest).unwrap();
    assert!(matches!(
        c.send_ws_message(true, 0, 0x1, None, b"too long", 3),
        Err(Error::InvalidParam(_))
    ));
    assert!(util::eventually(|| log.lock().frames.len() == 3));
    let got = log.lock();
    assert_eq!(got.frames[0], (0x1, b"first".to_vec()));
    assert_eq!(got.frames[1], (0x2, b"frag".to_vec()));
    assert_eq!(got.frames[2], (0x0, b"ment-tail!".to_vec()));
    // The server's frames are unmasked; the FIN bits came back as sent.
    assert!(got.headers.iter().all(|h| h.3.is_none()));
    assert_eq!(
        got.headers.iter().map(|h| h.0).collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!(got.states[0].opcode, 0x1);
    drop(got);
    let sl = slog.lock();
    let masks: Vec<_> = sl.headers.iter().map(|h| h.3).collect();
    assert!(masks[0].is_some());
    assert_eq!(masks[1], Some([1, 2, 3, 4]));
    assert_eq!(masks[2], Some([9, 8, 7, 6]));
    drop(sl);
    c.stop().unwrap();
    s.stop().unwrap();
}

#[test]
fn frames_that_break_the_mask_rule_close_the_connection() {
    let (s, log, a) = echo_server();
    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    // An unmasked text frame from a client, then more bytes that must never be read.
    c.write_all(&[0x81, 0x02, b'h', b'i', 0x81, 0x82]).unwrap();
    assert!(util::eventually(|| log.lock().closes.len() == 1));
    let l = log.lock();
    assert_eq!(l.closes[0], (SocketOperation::Receive, libc::EBADMSG));
    assert!(l.headers.is_empty() && l.frames.is_empty());
    drop(l);
    // The client reads the 101 and then the end of the stream.
    let mut all = Vec::new();
    let _ = c.read_to_end(&mut all);
    assert!(all.starts_with(b"HTTP/1.1 101 "));
    s.stop().unwrap();
}

#[test]
fn a_listener_error_in_a_frame_event_closes_with_ecanceled() {
    struct Refuse(Arc<Mutex<Log>>);
    impl ServerListener<HttpServer> for Refuse {
        fn on_ws_message_body(&self, _s: &HttpServer, _id: ConnId, _d: &[u8]) -> HandleResult {
            HandleResult::Error
        }
        fn on_close(
            &self,
            _s: &HttpServer,
            _id: ConnId,
            op: SocketOperation,
            e: i32,
        ) -> HandleResult {
            self.0.lock().closes.push((op, e));
            HandleResult::Ok
        }
    }
    let log = Arc::new(Mutex::new(Log::default()));
    let s = HttpServer::new(Refuse(log.clone()));
    s.start("127.0.0.1", 0).unwrap();
    let mut c = TcpStream::connect(s.listen_address().unwrap()).unwrap();
    // Head and a masked frame in one write: the frame is read in the read that upgraded.
    let mut req =
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".to_vec();
    req.extend_from_slice(&[0x82, 0x81, 1, 2, 3, 4, b'x' ^ 1]);
    c.write_all(&req).unwrap();
    assert!(util::eventually(|| log.lock().closes.len() == 1));
    assert_eq!(
        log.lock().closes[0],
        (SocketOperation::Receive, libc::ECANCELED)
    );
    s.stop().unwrap();
}
