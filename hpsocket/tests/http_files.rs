//! `send_local_file` over loopback: a file larger than the socket buffers goes out whole and
//! in order (plain: `sendfile` with the rest queued; TLS: read and encrypted), the response
//! pipelined behind it waits for it, a request body can be a file too, and a path that is
//! not a readable regular file is refused before anything is sent.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hpsocket::prelude::*;
use hpsocket::*;
use parking_lot::Mutex;

/// 12 MiB: several times what a loopback socket buffers, under the 16 MiB send bound.
const BIG: usize = 12 << 20;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ (i >> 16) as u8).collect()
}

/// A temporary file removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, data: &[u8]) -> TempFile {
        let p = std::env::temp_dir().join(format!("hps-{tag}-{}", std::process::id()));
        std::fs::write(&p, data).unwrap();
        TempFile(p)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Answers `/big` with the file, `/small` with a short body, and `POST /count` with the
/// number of body bytes and their checksum; records `send_local_file` errors.
struct Files {
    path: PathBuf,
    body: Mutex<Vec<u8>>,
    errors: Arc<Mutex<Vec<String>>>,
    /// `Some`: wants `on_send` (the file is then copied) and counts the bytes it reports.
    sent: Option<Arc<Mutex<usize>>>,
}

macro_rules! files_listener {
    ($srv:ty) => {
        impl ServerListener<$srv> for Files {
            fn on_body(&self, _s: &$srv, _id: ConnId, _m: &HttpMessage, d: &[u8]) -> ParseResult {
                self.body.lock().extend_from_slice(d);
                ParseResult::Ok
            }
            fn on_message_complete(&self, s: &$srv, id: ConnId, m: &HttpMessage) -> ParseResult {
                let r = match m.url() {
                    "/big" => s.send_local_file(id, &self.path, 200, None, &[]),
                    "/dir" => s.send_local_file(id, std::env::temp_dir(), 200, None, &[]),
                    "/missing" => s.send_local_file(id, "/nonexistent/hps", 200, None, &[]),
                    "/count" => {
                        let b = std::mem::take(&mut *self.body.lock());
                        let sum: u64 = b.iter().map(|&x| u64::from(x)).sum();
                        let text = format!("{} {sum}", b.len());
                        s.send_response(id, 200, None, &[], text.as_bytes())
                    }
                    _ => s.send_response(id, 200, None, &[], b"small"),
                };
                if let Err(e) = r {
                    self.errors.lock().push(format!("{} {e}", m.url()));
                    let _ = s.send_response(id, 500, None, &[], b"");
                }
                ParseResult::Ok
            }
            fn on_send(&self, _s: &$srv, _id: ConnId, d: &[u8]) -> HandleResult {
                if let Some(n) = &self.sent {
                    *n.lock() += d.len();
                }
                HandleResult::Ok
            }
            fn wants_send_events(&self) -> bool {
                self.sent.is_some()
            }
        }
    };
}
files_listener!(HttpServer);
files_listener!(HttpsServer);

fn files(path: &std::path::Path) -> (Files, Arc<Mutex<Vec<String>>>) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let f = Files {
        path: path.to_path_buf(),
        body: Mutex::new(Vec::new()),
        errors: errors.clone(),
        sent: None,
    };
    (f, errors)
}

/// Reads one `Content-Length` response; returns (status, body).
fn read_response(c: &mut TcpStream, buf: &mut Vec<u8>) -> (u16, Vec<u8>) {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(buf[..end].to_vec()).unwrap();
            let status = head[9..12].parse().unwrap();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .map_or(0, |v| v.parse().unwrap());
            while buf.len() < end + 4 + len {
                let mut b = vec![0u8; 1 << 16];
                let n = c.read(&mut b).unwrap();
                assert!(n > 0, "EOF inside a body");
                buf.extend_from_slice(&b[..n]);
            }
            let body = buf[end + 4..end + 4 + len].to_vec();
            buf.drain(..end + 4 + len);
            return (status, body);
        }
        let mut b = [0u8; 4096];
        let n = c.read(&mut b).unwrap();
        assert!(n > 0, "EOF before a response");
        buf.extend_from_slice(&b[..n]);
    }
}

#[test]
fn a_large_file_goes_out_whole_before_the_response_pipelined_behind_it() {
    let data = pattern(BIG);
    let file = TempFile::new("big-plain", &data);
    let (l, errors) = files(&file.0);
    let s = HttpServer::new(l);
    s.start("127.0.0.1", 0).unwrap();
    let mut c = TcpStream::connect(s.listen_address().unwrap()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // Not reading for a while fills the socket: the rest of the file must be queued and the
    // second response must wait behind it.
    std::thread::sleep(Duration::from_millis(300));
    let mut buf = Vec::new();
    let (status, body) = read_response(&mut c, &mut buf);
    assert_eq!(status, 200);
    assert_eq!(body.len(), BIG);
    assert!(
        body == data,
        "the file's bytes arrived changed or out of order"
    );
    assert_eq!(read_response(&mut c, &mut buf), (200, b"small".to_vec()));

    // Twice more on the same connection: the file's offset is per send, not the file's.
    for _ in 0..2 {
        c.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (_, body) = read_response(&mut c, &mut buf);
        assert!(body == data);
    }
    assert!(errors.lock().is_empty(), "{:?}", errors.lock());
    s.stop().unwrap();
}

#[test]
fn with_on_send_wanted_the_file_is_copied_and_reported() {
    let data = pattern(BIG);
    let file = TempFile::new("big-notes", &data);
    let (mut l, errors) = files(&file.0);
    let sent = Arc::new(Mutex::new(0));
    l.sent = Some(sent.clone());
    let s = HttpServer::new(l);
    s.start("127.0.0.1", 0).unwrap();
    let mut c = TcpStream::connect(s.listen_address().unwrap()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut buf = Vec::new();
    let (_, body) = read_response(&mut c, &mut buf);
    assert!(body == data);
    // Every byte written, head included, reached on_send.
    assert!(util::eventually(|| *sent.lock() > BIG));
    assert!(*sent.lock() < BIG + 200);
    assert!(errors.lock().is_empty(), "{:?}", errors.lock());
    s.stop().unwrap();
}

#[test]
fn paths_that_are_not_readable_regular_files_are_refused_before_sending() {
    let file = TempFile::new("refused", b"x");
    let (l, errors) = files(&file.0);
    let s = HttpServer::new(l);
    s.start("127.0.0.1", 0).unwrap();
    let mut c = TcpStream::connect(s.listen_address().unwrap()).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /dir HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    // Nothing of a refused file went out: the fallback 500s are the whole answers.
    assert_eq!(read_response(&mut c, &mut buf).0, 500);
    assert_eq!(read_response(&mut c, &mut buf).0, 500);
    let e = errors.lock().clone();
    assert!(
        e[0].starts_with("/dir ") && e[0].contains("regular file"),
        "{e:?}"
    );
    assert!(e[1].starts_with("/missing "), "{e:?}");
    s.stop().unwrap();
}

#[test]
fn a_request_body_can_be_a_file() {
    let data = pattern(3 << 20);
    let sum: u64 = data.iter().map(|&x| u64::from(x)).sum();
    let file = TempFile::new("upload", &data);
    let (l, _) = files(&file.0);
    let s = HttpServer::new(l);
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port();

    struct Got(Arc<Mutex<Vec<Vec<u8>>>>, Mutex<Vec<u8>>);
    impl ClientListener<HttpClient> for Got {
        fn on_body(&self, _c: &HttpClient, _id: ConnId, _m: &HttpMessage, d: &[u8]) -> ParseResult {
            self.1.lock().extend_from_slice(d);
            ParseResult::Ok
        }
        fn on_message_complete(
            &self,
            _c: &HttpClient,
            _id: ConnId,
            _m: &HttpMessage,
        ) -> ParseResult {
            let b = std::mem::take(&mut *self.1.lock());
            self.0.lock().push(b);
            ParseResult::Ok
        }
    }
    let got = Arc::new(Mutex::new(Vec::new()));
    let c = HttpClient::new(Got(got.clone(), Mutex::new(Vec::new())));
    c.start("127.0.0.1", port, false).unwrap();
    c.send_local_file(&file.0, "POST", "/count", &[]).unwrap();
    c.send_get("/small", &[]).unwrap();
    assert!(util::eventually(|| got.lock().len() == 2));
    assert_eq!(got.lock()[0], format!("{} {sum}", data.len()).into_bytes());
    assert_eq!(got.lock()[1], b"small");
    c.stop().unwrap();
    s.stop().unwrap();
}

#[test]
fn over_tls_the_file_is_read_and_encrypted() {
    let data = pattern(5 << 20);
    let file = TempFile::new("big-tls", &data);
    let (l, errors) = files(&file.0);
    let pki = util::Pki::new();
    let s = HttpsServer::new(l);
    s.setup_ssl_context(&pki.server_setup()).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port();
    let sync = HttpsSyncClient::new();
    sync.client()
        .setup_ssl_context(&pki.client_setup())
        .unwrap();
    sync.open_url(
        "GET",
        &format!("https://localhost:{port}/big"),
        &[],
        b"",
        false,
    )
    .unwrap();
    assert_eq!(sync.status_code(), 200);
    assert!(sync.response_body() == data);
    sync.stop().unwrap();
    assert!(errors.lock().is_empty(), "{:?}", errors.lock());
    s.stop().unwrap();
}
