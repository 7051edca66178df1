//! The WebSocket components (`Ws` model) over loopback: our WsServer against an independent
//! client (tungstenite) and our WsClient, subprotocols and permessage-deflate negotiated,
//! the close handshake from both sides, and what a bad handshake or bad frame gets.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use hpsocket::prelude::*;
use hpsocket::*;
use parking_lot::Mutex;
use tungstenite::protocol::frame::coding::CloseCode as TCloseCode;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::protocol::{Role, WebSocket};
use tungstenite::Message;

/// What a side saw.
#[derive(Default)]
struct Log {
    opens: Vec<String>,
    texts: Vec<String>,
    binaries: Vec<Vec<u8>>,
    pings: Vec<Vec<u8>>,
    pongs: Vec<Vec<u8>>,
    ws_closes: Vec<(Option<u16>, String)>,
    closes: Vec<(SocketOperation, i32)>,
    http: Vec<String>,
}

type Shared = Arc<Mutex<Log>>;

/// Echoes every message; answers plain HTTP requests with their path.
struct Echo(Shared);

impl ServerListener<WsServer> for Echo {
    fn on_ws_open(&self, _s: &WsServer, _id: ConnId, m: &HttpMessage) -> HandleResult {
        self.0.lock().opens.push(m.url().to_string());
        HandleResult::Ok
    }
    fn on_ws_message(&self, s: &WsServer, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        match msg {
            WsMessage::Text(t) => {
                self.0.lock().texts.push(t.to_string());
                s.send_text(id, t).unwrap();
            }
            WsMessage::Binary(b) => {
                self.0.lock().binaries.push(b.to_vec());
                s.send_binary(id, b).unwrap();
            }
        }
        HandleResult::Ok
    }
    fn on_ws_ping(&self, _s: &WsServer, _id: ConnId, p: &[u8]) -> HandleResult {
        self.0.lock().pings.push(p.to_vec());
        HandleResult::Ok
    }
    fn on_ws_close(
        &self,
        _s: &WsServer,
        _id: ConnId,
        code: Option<u16>,
        reason: &str,
    ) -> HandleResult {
        self.0.lock().ws_closes.push((code, reason.to_string()));
        HandleResult::Ok
    }
    fn on_message_complete(&self, s: &WsServer, id: ConnId, m: &HttpMessage) -> ParseResult {
        self.0.lock().http.push(m.url().to_string());
        s.send_response(id, 200, None, &[], m.url().as_bytes())
            .unwrap();
        ParseResult::Ok
    }
    fn on_close(&self, _s: &WsServer, _id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.lock().closes.push((op, e));
        HandleResult::Ok
    }
}

fn server(setup: impl FnOnce(&WsServer)) -> (WsServer, Shared, std::net::SocketAddr) {
    let log = Shared::default();
    let s = WsServer::new(Echo(log.clone()));
    setup(&s);
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();
    (s, log, a)
}

/// Sends an opening handshake on a raw stream; returns the stream and the response head.
fn raw_handshake(a: std::net::SocketAddr, extra: &str) -> (TcpStream, String) {
    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        c,
        "GET /chat?room=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        if c.read(&mut b).unwrap() == 0 {
            break;
        }
        head.push(b[0]);
    }
    (c, String::from_utf8(head).unwrap())
}

#[test]
fn an_independent_client_gets_its_messages_echoed_and_closes_cleanly() {
    let (s, log, a) = server(|_| {});
    let (c, head) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    let mut ws = WebSocket::from_raw_socket(c, Role::Client, None);
    ws.send(Message::text("héllo ✓")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("héllo ✓"));
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    ws.send(Message::binary(big.clone())).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(big.clone()));
    ws.send(Message::Ping(b"are you there".to_vec().into()))
        .unwrap();
    assert_eq!(
        ws.read().unwrap(),
        Message::Pong(b"are you there".to_vec().into())
    );
    ws.close(Some(CloseFrame {
        code: TCloseCode::Normal,
        reason: "bye".into(),
    }))
    .unwrap();
    loop {
        match ws.read() {
            Ok(Message::Close(Some(f))) => assert_eq!(f.code, TCloseCode::Normal),
            Ok(m) => panic!("unexpected {m:?}"),
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(util::eventually(|| log.lock().closes.len() == 1));
    let l = log.lock();
    assert_eq!(l.opens, ["/chat?room=1"]);
    assert_eq!(l.texts, ["héllo ✓"]);
    assert!(l.binaries[0] == big);
    assert_eq!(l.pings, [b"are you there".to_vec()]);
    assert_eq!(l.ws_closes, [(Some(1000), "bye".to_string())]);
    assert_eq!(l.closes, [(SocketOperation::Close, 0)]);
    assert!(
        l.http.is_empty(),
        "the handshake is not an HTTP request for the listener"
    );
    drop(l);
    s.stop().unwrap();
}

/// Our client: records, and sends what the test asks when open.
struct Side(Shared);

impl ClientListener<WsClient> for Side {
    fn on_ws_open(&self, _c: &WsClient, _id: ConnId, m: &HttpMessage) -> HandleResult {
        let p = m
            .header("sec-websocket-protocol")
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        self.0.lock().opens.push(p);
        HandleResult::Ok
    }
    fn on_ws_message(&self, _c: &WsClient, _id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        match msg {
            WsMessage::Text(t) => self.0.lock().texts.push(t.to_string()),
            WsMessage::Binary(b) => self.0.lock().binaries.push(b.to_vec()),
        }
        HandleResult::Ok
    }
    fn on_ws_pong(&self, _c: &WsClient, _id: ConnId, p: &[u8]) -> HandleResult {
        self.0.lock().pongs.push(p.to_vec());
        HandleResult::Ok
    }
    fn on_ws_close(
        &self,
        _c: &WsClient,
        _id: ConnId,
        code: Option<u16>,
        reason: &str,
    ) -> HandleResult {
        self.0.lock().ws_closes.push((code, reason.to_string()));
        HandleResult::Ok
    }
    fn on_close(&self, _c: &WsClient, _id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.lock().closes.push((op, e));
        HandleResult::Ok
    }
}

#[test]
fn our_client_and_server_negotiate_protocol_and_deflate_and_close_from_the_server() {
    let (s, slog, a) = server(|s| {
        s.set_ws_protocols(&["v2.chat", "v1.chat"]).unwrap();
        s.set_ws_deflate(true).unwrap();
    });
    let log = Shared::default();
    let c = WsClient::new(Side(log.clone()));
    c.set_ws_protocols(&["v1.chat", "v2.chat"]).unwrap();
    c.set_ws_deflate(true).unwrap();
    c.set_ws_path("/room/7").unwrap();
    // Not open yet: nothing can be sent.
    assert!(c.send_text("early").is_err());
    c.start("127.0.0.1", a.port(), false).unwrap();
    assert!(util::eventually(|| log.lock().opens.len() == 1));
    // The server picks the first of the client's offers it speaks.
    assert_eq!(log.lock().opens[0], "v1.chat");
    assert_eq!(slog.lock().opens, ["/room/7"]);
    let text = "compress me ".repeat(5000);
    c.send_text(&text).unwrap();
    let bin: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 256) as u8).collect();
    c.send_binary(&bin).unwrap();
    c.send_ping(b"p1").unwrap();
    assert!(util::eventually(|| {
        let l = log.lock();
        l.texts.len() == 1 && l.binaries.len() == 1 && l.pongs.len() == 1
    }));
    assert_eq!(log.lock().texts[0], text);
    assert!(log.lock().binaries[0] == bin);
    assert_eq!(log.lock().pongs[0], b"p1");
    // The server closes: the client is told, answers, and both ends close.
    let id = s.all_connection_ids()[0];
    s.close_ws(id, 4000, "done").unwrap();
    assert!(matches!(
        s.send_text(id, "after close"),
        Err(Error::IllegalState(_))
    ));
    assert!(util::eventually(
        || log.lock().closes.len() == 1 && slog.lock().closes.len() == 1
    ));
    assert_eq!(log.lock().ws_closes, [(Some(4000), "done".to_string())]);
    // The server got the answer to its close (the same code).
    assert_eq!(slog.lock().ws_closes, [(Some(4000), String::new())]);
    // The client's one connection is over, so it has stopped itself.
    let _ = c.stop();
    s.stop().unwrap();
}

#[test]
fn a_bad_handshake_is_refused_and_plain_requests_reach_the_http_events() {
    let (s, log, a) = server(|_| {});
    let (mut c, head) = raw_handshake(a, "Sec-WebSocket-Version: 8\r\n");
    assert!(head.starts_with("HTTP/1.1 426 "), "{head}");
    assert!(head.contains("Sec-WebSocket-Version: 13\r\n"), "{head}");
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    assert!(rest.is_empty());

    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    // (An HTTP server leaves closing to the application, as HP-Socket does: read the one
    // response.)
    let mut all = Vec::new();
    while !all.ends_with(b"/index.html") {
        let mut b = [0u8; 256];
        let n = c.read(&mut b).unwrap();
        assert!(n > 0);
        all.extend_from_slice(&b[..n]);
    }
    let all = String::from_utf8(all).unwrap();
    assert!(
        all.starts_with("HTTP/1.1 200 ") && all.ends_with("/index.html"),
        "{all}"
    );
    assert_eq!(log.lock().http, ["/index.html"]);
    assert!(log.lock().opens.is_empty());
    s.stop().unwrap();
}

#[test]
fn invalid_utf8_in_a_text_message_fails_the_connection_with_1007() {
    let (s, log, a) = server(|_| {});
    let (mut c, head) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    assert!(head.starts_with("HTTP/1.1 101 "));
    // A masked text frame holding 0xFF (never valid UTF-8).
    let mask = [1u8, 2, 3, 4];
    c.write_all(&[
        0x81,
        0x81,
        mask[0],
        mask[1],
        mask[2],
        mask[3],
        0xFF ^ mask[0],
    ])
    .unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    // The server's close frame: unmasked, code 1007.
    assert!(got.len() >= 4 && got[0] == 0x88, "{got:?}");
    assert_eq!(u16::from_be_bytes([got[2], got[3]]), 1007);
    assert!(util::eventually(|| log.lock().closes.len() == 1));
    assert_eq!(
        log.lock().closes[0],
        (SocketOperation::Receive, libc::EBADMSG)
    );
    assert!(log.lock().texts.is_empty());
    s.stop().unwrap();
}

#[test]
fn a_silent_peer_is_pinged_then_closed_and_an_answering_one_stays() {
    let (s, log, a) = server(|s| s.set_ws_ping_interval(150).unwrap());
    // Silent: reads nothing, answers nothing.
    let (mut silent, head) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    assert!(head.starts_with("HTTP/1.1 101 "));
    // Answering: tungstenite answers pings while it reads.
    let (c, head) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    assert!(head.starts_with("HTTP/1.1 101 "));
    c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut ws = WebSocket::from_raw_socket(c, Role::Client, None);
    let t0 = std::time::Instant::now();
    let mut pings = 0;
    while t0.elapsed() < Duration::from_millis(900) {
        match ws.read() {
            Ok(Message::Ping(_)) => pings += 1,
            Ok(m) => panic!("unexpected {m:?}"),
            Err(tungstenite::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("{e}"),
        }
        let _ = ws.flush();
    }
    assert!(pings >= 2, "pings seen: {pings}");
    // The silent one got a ping, then its connection closed for the silence.
    let mut got = Vec::new();
    let _ = silent.read_to_end(&mut got);
    assert!(got.starts_with(&[0x89, 0x00]), "{got:?}");
    let l = log.lock();
    assert_eq!(l.closes, [(SocketOperation::Receive, libc::ETIMEDOUT)]);
    drop(l);
    // The answering one is still open.
    ws.send(Message::text("still here")).unwrap();
    ws.get_ref()
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    loop {
        match ws.read().unwrap() {
            Message::Text(t) => {
                assert_eq!(t.as_str(), "still here");
                break;
            }
            Message::Ping(_) => {}
            m => panic!("unexpected {m:?}"),
        }
    }
    s.stop().unwrap();
}

#[test]
fn a_close_the_peer_never_answers_ends_at_the_flush_timeout() {
    let (s, log, a) = server(|s| s.set_close_flush_timeout(300).unwrap());
    let (mut c, head) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    assert!(head.starts_with("HTTP/1.1 101 "));
    assert!(util::eventually(|| log.lock().opens.len() == 1));
    let id = s.all_connection_ids()[0];
    s.close_ws(id, 1001, "going away").unwrap();
    let t0 = std::time::Instant::now();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    // The close frame came, then nothing until the wait ran out.
    assert_eq!(&got[..4], &[0x88, 12, 0x03, 0xE9]);
    assert_eq!(&got[4..], b"going away");
    assert!(
        t0.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t0.elapsed()
    );
    assert!(util::eventually(|| log.lock().closes.len() == 1));
    assert_eq!(
        log.lock().closes[0],
        (SocketOperation::Receive, libc::ETIMEDOUT)
    );
    s.stop().unwrap();
}

#[test]
fn a_message_over_the_limit_fails_with_1009_before_its_body_arrives() {
    let (s, log, a) = server(|s| s.set_ws_max_message_size(1000).unwrap());
    let (mut c, head) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    assert!(head.starts_with("HTTP/1.1 101 "));
    // A binary frame announcing 1 GiB: only its header is sent.
    let mut frame = vec![0x82, 0xFF];
    frame.extend_from_slice(&(1u64 << 30).to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    c.write_all(&frame).unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    assert!(got.len() >= 4 && got[0] == 0x88, "{got:?}");
    assert_eq!(u16::from_be_bytes([got[2], got[3]]), 1009);
    assert!(util::eventually(|| log.lock().closes.len() == 1));
    assert_eq!(
        log.lock().closes[0],
        (SocketOperation::Receive, libc::EBADMSG)
    );
    s.stop().unwrap();
}

#[test]
fn wss_client_and_server_talk_over_tls() {
    struct SecureEcho;
    impl ServerListener<WssServer> for SecureEcho {
        fn on_ws_message(&self, s: &WssServer, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
            if let WsMessage::Text(t) = msg {
                s.send_text(id, &format!("{t} over tls={}", s.is_secure()))
                    .unwrap();
            }
            HandleResult::Ok
        }
    }
    struct Got(Shared);
    impl ClientListener<WssClient> for Got {
        fn on_ws_open(&self, c: &WssClient, _id: ConnId, _m: &HttpMessage) -> HandleResult {
            c.send_text("hi").unwrap();
            HandleResult::Ok
        }
        fn on_ws_message(&self, _c: &WssClient, _id: ConnId, msg: WsMessage<'_>) -> HandleResult {
            if let WsMessage::Text(t) = msg {
                self.0.lock().texts.push(t.to_string());
            }
            HandleResult::Ok
        }
    }
    let pki = util::Pki::new();
    let s = WssServer::new(SecureEcho);
    s.setup_ssl_context(&pki.server_setup()).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port();
    let log = Shared::default();
    let c = WssClient::new(Got(log.clone()));
    c.setup_ssl_context(&pki.client_setup()).unwrap();
    c.start("localhost", port, false).unwrap();
    assert!(util::eventually(|| log.lock().texts.len() == 1));
    assert_eq!(log.lock().texts[0], "hi over tls=true");
    c.close_ws(1000, "").unwrap();
    let _ = c.stop();
    s.stop().unwrap();
}

#[test]
fn nothing_is_sent_after_the_peers_close_and_a_close_may_carry_no_status() {
    /// Tries to send from inside on_ws_close (recording whether it was accepted); closes
    /// without a status on "empty".
    struct Late(Arc<Mutex<Vec<bool>>>);
    impl ServerListener<WsServer> for Late {
        fn on_ws_message(&self, s: &WsServer, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
            if msg == WsMessage::Text("empty") {
                s.close_ws(id, 0, "").unwrap();
            }
            HandleResult::Ok
        }
        fn on_ws_close(&self, s: &WsServer, id: ConnId, _c: Option<u16>, _r: &str) -> HandleResult {
            self.0.lock().push(s.send_text(id, "too late").is_ok());
            HandleResult::Ok
        }
    }
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let s = WsServer::new(Late(accepted.clone()));
    s.start("127.0.0.1", 0).unwrap();
    let a = s.listen_address().unwrap();

    // The client closes: the server's send from on_ws_close is refused, and the client
    // reads only the close answer.
    let (c, _) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    let mut ws = WebSocket::from_raw_socket(c, Role::Client, None);
    ws.close(None).unwrap();
    loop {
        match ws.read() {
            Ok(Message::Close(_)) => {}
            Ok(m) => panic!("sent after the close: {m:?}"),
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(util::eventually(|| accepted.lock().len() == 1));
    assert_eq!(*accepted.lock(), [false]);

    // The server closes without a status: the client sees a close frame with no code.
    let (c, _) = raw_handshake(a, "Sec-WebSocket-Version: 13\r\n");
    let mut ws = WebSocket::from_raw_socket(c, Role::Client, None);
    ws.send(Message::text("empty")).unwrap();
    match ws.read().unwrap() {
        Message::Close(None) => {}
        m => panic!("expected an empty close, got {m:?}"),
    }
    s.stop().unwrap();
}
