//! A WebSocket echo server and a client in one process: the client sends a text and a
//! binary message, prints the echoes, then closes; the server echoes whole messages (pings
//! are answered by the framework).
//!
//! ```text
//! cargo run --example ws_echo -- --stay   # the server stays up 10 s for a browser:
//!                                         # new WebSocket("ws://127.0.0.1:PORT/")
//! ```

use std::sync::mpsc;
use std::time::Duration;

use hpsocket::prelude::*;
use hpsocket::{ClientListener, WsClient, WsMessage, WsServer};
use parking_lot::Mutex;

/// Sends every message back as it came.
struct Echo;

impl ServerListener<WsServer> for Echo {
    fn on_ws_open(&self, _s: &WsServer, id: ConnId, req: &HttpMessage) -> HandleResult {
        println!("server: {id:?} opened {}", req.url());
        HandleResult::Ok
    }

    fn on_ws_message(&self, s: &WsServer, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        let r = match msg {
            WsMessage::Text(t) => s.send_text(id, t),
            WsMessage::Binary(b) => s.send_binary(id, b),
        };
        if r.is_err() {
            return HandleResult::Error;
        }
        HandleResult::Ok
    }

    fn on_ws_close(
        &self,
        _s: &WsServer,
        id: ConnId,
        code: Option<u16>,
        reason: &str,
    ) -> HandleResult {
        println!("server: {id:?} closed by the client ({code:?} {reason:?})");
        HandleResult::Ok
    }
}

/// Prints the echoes; tells `main` when the connection is ready and when both came back.
struct Print(Mutex<mpsc::Sender<&'static str>>);

impl ClientListener<WsClient> for Print {
    fn on_ws_open(&self, _c: &WsClient, _id: ConnId, _res: &HttpMessage) -> HandleResult {
        let _ = self.0.lock().send("open");
        HandleResult::Ok
    }

    fn on_ws_message(&self, _c: &WsClient, _id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        match msg {
            WsMessage::Text(t) => println!("client: text echo {t:?}"),
            WsMessage::Binary(b) => {
                println!("client: binary echo of {} bytes", b.len());
                let _ = self.0.lock().send("done");
            }
        }
        HandleResult::Ok
    }
}

fn main() -> hpsocket::Result<()> {
    let server = WsServer::new(Echo);
    server.start("127.0.0.1", 0)?;
    let port = server
        .listen_address()
        .map_err(|_| hpsocket::Error::IllegalState("no address"))?
        .port();
    println!("server: ws://127.0.0.1:{port}/");

    let (tx, rx) = mpsc::channel();
    let client = WsClient::new(Print(Mutex::new(tx)));
    client.set_ws_path("/echo")?;
    client.start("127.0.0.1", port, false)?;
    let wait = |what| rx.recv_timeout(Duration::from_secs(5)) == Ok(what);
    if !wait("open") {
        return Err(hpsocket::Error::IllegalState("no WebSocket handshake"));
    }
    client.send_text("hello, WebSocket")?;
    client.send_binary(&[7u8; 4096])?;
    if !wait("done") {
        return Err(hpsocket::Error::IllegalState("no echo"));
    }
    client.close_ws(1000, "bye")?;

    if std::env::args().any(|a| a == "--stay") {
        std::thread::sleep(Duration::from_secs(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let _ = client.stop();
    server.stop()
}
