//! WebSocket interop with independent implementations from PyPI — `websockets` and
//! `wsproto` (tests/ws_peers.py drives them): each as a client of our WsServer and as an
//! echo server for our WsClient, with permessage-deflate, text, binary, fragmented and
//! 1 MiB messages, ping/pong and a close code. Skipped when the packages are missing,
//! unless `HPSOCKET_REQUIRE_WS_PEERS=1` (CI installs them).

mod util;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hpsocket::prelude::*;
use hpsocket::*;
use parking_lot::Mutex;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ws_peers.py");

fn peers_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import websockets, wsproto"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("HPSOCKET_REQUIRE_WS_PEERS").as_deref() != Ok("1"),
            "python3 with websockets and wsproto is required (HPSOCKET_REQUIRE_WS_PEERS=1)"
        );
        eprintln!("skipped: python3 -m pip install websockets wsproto");
    }
    ok
}

/// A child process killed when dropped.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` to exit within `limit`; returns (success, stdout).
fn finish(mut child: Child, limit: Duration) -> (bool, String) {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            use std::io::Read;
            let mut out = String::new();
            if let Some(mut o) = child.stdout.take() {
                let _ = o.read_to_string(&mut out);
            }
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut out);
            }
            return (st.success(), out);
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return (false, "timed out".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Default)]
struct Log {
    closes: Vec<(Option<u16>, String)>,
    texts: Vec<String>,
    binaries: Vec<Vec<u8>>,
    pongs: usize,
    opened: usize,
}

struct Echo(Arc<Mutex<Log>>);

impl ServerListener<WsServer> for Echo {
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
        _id: ConnId,
        code: Option<u16>,
        reason: &str,
    ) -> HandleResult {
        self.0.lock().closes.push((code, reason.to_string()));
        HandleResult::Ok
    }
}

#[test]
fn python_clients_talk_to_our_server() {
    if !peers_available() {
        return;
    }
    let log = Arc::new(Mutex::new(Log::default()));
    let s = WsServer::new(Echo(log.clone()));
    s.set_ws_deflate(true).unwrap();
    s.set_ws_max_message_size(2 << 20).unwrap();
    s.start("127.0.0.1", 0).unwrap();
    let port = s.listen_address().unwrap().port().to_string();
    for mode in ["websockets-client", "wsproto-client"] {
        let child = Command::new("python3")
            .args([SCRIPT, mode, &port])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (ok, out) = finish(child, Duration::from_secs(60));
        assert!(ok && out.contains("OK"), "{mode}: {out}");
    }
    assert!(util::eventually(|| log.lock().closes.len() == 2));
    assert_eq!(
        log.lock().closes,
        [
            (Some(4001), "bye".to_string()),
            (Some(4001), "bye".to_string())
        ]
    );
    s.stop().unwrap();
}

struct Side(Arc<Mutex<Log>>);

impl ClientListener<WsClient> for Side {
    fn on_ws_open(&self, _c: &WsClient, _id: ConnId, _m: &HttpMessage) -> HandleResult {
        self.0.lock().opened += 1;
        HandleResult::Ok
    }
    fn on_ws_message(&self, _c: &WsClient, _id: ConnId, msg: WsMessage<'_>) -> HandleResult {
        match msg {
            WsMessage::Text(t) => self.0.lock().texts.push(t.to_string()),
            WsMessage::Binary(b) => self.0.lock().binaries.push(b.to_vec()),
        }
        HandleResult::Ok
    }
    fn on_ws_pong(&self, _c: &WsClient, _id: ConnId, _p: &[u8]) -> HandleResult {
        self.0.lock().pongs += 1;
        HandleResult::Ok
    }
    fn on_ws_close(
        &self,
        _c: &WsClient,
        _id: ConnId,
        code: Option<u16>,
        reason: &str,
    ) -> HandleResult {
        self.0.lock().closes.push((code, reason.to_string()));
        HandleResult::Ok
    }
}

#[test]
fn our_client_talks_to_python_servers() {
    if !peers_available() {
        return;
    }
    for mode in ["websockets-server", "wsproto-server"] {
        let mut child = Command::new("python3")
            .args([SCRIPT, mode])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _peer = Peer(child);
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| panic!("{mode}: {line}"))
            .parse()
            .unwrap();

        let log = Arc::new(Mutex::new(Log::default()));
        let c = WsClient::new(Side(log.clone()));
        c.set_ws_deflate(true).unwrap();
        c.set_ws_max_message_size(2 << 20).unwrap();
        // Messages above 3000 bytes go out in several frames.
        c.set_ws_fragment_size(3000).unwrap();
        c.start("127.0.0.1", port, false).unwrap();
        assert!(
            util::eventually(|| log.lock().opened == 1),
            "{mode}: no open"
        );
        let long_text = "fragmented and compressed ✓ ".repeat(400);
        let big: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7 % 256) as u8).collect();
        c.send_text("héllo").unwrap();
        c.send_text(&long_text).unwrap();
        c.send_binary(&big).unwrap();
        c.send_ping(b"p").unwrap();
        assert!(
            util::eventually(|| {
                let l = log.lock();
                l.texts.len() == 2 && l.binaries.len() == 1 && l.pongs == 1
            }),
            "{mode}: echoes missing"
        );
        assert_eq!(log.lock().texts, ["héllo".to_string(), long_text]);
        assert!(log.lock().binaries[0] == big, "{mode}: 1 MiB echo differs");
        c.close_ws(4001, "bye").unwrap();
        assert!(
            util::eventually(|| !log.lock().closes.is_empty()),
            "{mode}: close not answered"
        );
        assert_eq!(log.lock().closes[0].0, Some(4001), "{mode}");
        let _ = c.stop();
    }
}
