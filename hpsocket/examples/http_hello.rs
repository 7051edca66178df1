//! An HTTP server and client in one process: the server answers every request with what it
//! saw (method, path, body); the client sends a GET, a POST and a HEAD on one keep-alive
//! connection and prints the answers.
//!
//! ```text
//! cargo run --example http_hello            # then also: curl -d x=1 http://127.0.0.1:PORT/a
//! ```

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use hpsocket::prelude::*;
use hpsocket::{ClientListener, HttpClient, HttpServer};
use parking_lot::Mutex;

/// Collects each request's body by connection, answers when the request is complete.
#[derive(Default)]
struct Hello {
    bodies: Mutex<HashMap<ConnId, Vec<u8>>>,
}

impl ServerListener<HttpServer> for Hello {
    fn on_body(&self, _s: &HttpServer, id: ConnId, _m: &HttpMessage, data: &[u8]) -> ParseResult {
        self.bodies
            .lock()
            .entry(id)
            .or_default()
            .extend_from_slice(data);
        ParseResult::Ok
    }

    fn on_message_complete(&self, s: &HttpServer, id: ConnId, m: &HttpMessage) -> ParseResult {
        let body = self.bodies.lock().remove(&id).unwrap_or_default();
        let text = format!(
            "{} {} ({} body bytes, host {:?})\n",
            m.method(),
            m.url(),
            body.len(),
            m.host().map(String::from_utf8_lossy)
        );
        let headers = [("Content-Type", "text/plain; charset=utf-8")];
        // A HEAD answer carries the length of the body it does not send.
        let r = if m.method() == "HEAD" {
            let len = text.len().to_string();
            s.send_response(id, 200, None, &[("Content-Length", len.as_str())], b"")
        } else {
            s.send_response(id, 200, None, &headers, text.as_bytes())
        };
        if r.is_err() {
            return ParseResult::Error;
        }
        ParseResult::Ok
    }
}

/// Prints each response and reports when it is complete.
struct Print(Mutex<mpsc::Sender<()>>);

impl ClientListener<HttpClient> for Print {
    fn on_status_line(
        &self,
        _c: &HttpClient,
        _id: ConnId,
        _m: &HttpMessage,
        status: u16,
        reason: &str,
    ) -> ParseResult {
        print!("{status} {reason}: ");
        ParseResult::Ok
    }

    fn on_body(&self, _c: &HttpClient, _id: ConnId, _m: &HttpMessage, data: &[u8]) -> ParseResult {
        print!("{}", String::from_utf8_lossy(data));
        ParseResult::Ok
    }

    fn on_message_complete(&self, _c: &HttpClient, _id: ConnId, m: &HttpMessage) -> ParseResult {
        if m.content_length() == Some(0) || m.method() == "HEAD" {
            let len = m.header("content-length").map(String::from_utf8_lossy);
            println!("(no body; Content-Length {len:?})");
        }
        let _ = self.0.lock().send(());
        ParseResult::Ok
    }
}

fn main() -> hpsocket::Result<()> {
    let server = HttpServer::new(Hello::default());
    server.start("127.0.0.1", 0)?;
    let addr = server.listen_address()?;
    println!("HTTP server on http://{addr}/");

    let (tx, rx) = mpsc::channel();
    let client = HttpClient::new(Print(Mutex::new(tx)));
    client.start("127.0.0.1", addr.port(), false)?;
    client.send_get("/hello?lang=rust", &[])?;
    client.send_post("/form", &[("Content-Type", "text/plain")], b"some data")?;
    client.send_head("/hello", &[])?;
    for _ in 0..3 {
        rx.recv_timeout(Duration::from_secs(5))
            .expect("a response within 5 s");
    }
    client.stop()?;
    server.stop()?;
    Ok(())
}
