//! The WebSocket roles: [`Server`], [`Agent`] and [`Client`] with the [`Ws`] model. The
//! opening handshake is run here (it needs the component's properties and the listener):
//! a server checks a client's upgrade request, answers `101` (or the handshake error's
//! status) and hands the agreed parameters to the session; a client sends the request when
//! its connection is ready and checks the server's answer. Everything after that — frames,
//! messages, pings, the close handshake — is the session's (`session::ws`) and the sans-IO
//! core's (`cores::ws`).

use std::sync::Arc;

use crate::component::Core;
use crate::config::Config;
use crate::cores::http::write::{self, Extra};
use crate::cores::http::{HttpVersion, Message, UpgradeType};
use crate::cores::ws::deflate::DeflateConfig;
use crate::cores::ws::handshake::{self, Negotiated};
use crate::cores::ws::message::Config as WsConfig;
use crate::cores::ws::{opcode, CloseCode, Limits, Role, SendError as CoreSendError};
use crate::error::{Error, Result};
use crate::model::{Plain, Tls, Transport, Ws};
use crate::reactor::Conn;
use crate::roles::agent::Agent;
use crate::roles::api::Role as _;
use crate::roles::client::Client;
use crate::roles::server::Server;
use crate::session::{HttpEv, WsSendError};
use crate::types::ConnId;

/// A WebSocket server (whole messages; see [`Ws`]).
pub type WsServer = Server<Ws, Plain>;
/// A WebSocket server over TLS (`wss://`).
pub type WssServer = Server<Ws, Tls>;
/// A WebSocket agent: many outgoing WebSocket connections.
pub type WsAgent = Agent<Ws, Plain>;
/// A WebSocket agent over TLS.
pub type WssAgent = Agent<Ws, Tls>;
/// A WebSocket client: one outgoing WebSocket connection.
pub type WsClient = Client<Ws, Plain>;
/// A WebSocket client over TLS.
pub type WssClient = Client<Ws, Tls>;

/// What the role does with an HTTP event of a WebSocket upgrade.
pub(crate) enum Upgrade {
    /// Part of the handshake's HTTP message: not the listener's.
    Swallow,
    /// The handshake is agreed: fire `on_ws_open`.
    Open,
    /// The handshake failed (answered, on a server): close the connection.
    Refuse,
}

/// Whether an HTTP event belongs to a WebSocket handshake the `Ws` model runs itself.
pub(crate) fn is_handshake(m: &Message) -> bool {
    m.upgrade_type() == UpgradeType::WebSocket
}

fn ws_config(
    cfg: &Config,
    role: Role,
    deflate: Option<crate::cores::ws::deflate::DeflateParams>,
) -> WsConfig {
    WsConfig {
        role,
        limits: Limits::default().with_max_message_size(cfg.ws_max_message_size),
        fragment_size: cfg.ws_fragment_size as usize,
        deflate,
    }
}

fn deflate_of(cfg: &Config) -> Option<DeflateConfig> {
    cfg.ws_deflate.then(DeflateConfig::default)
}

/// The message's fields as text (a field that is not UTF-8 cannot be part of a valid
/// handshake and is left out).
fn text_headers(m: &Message) -> Vec<(&str, &str)> {
    m.headers()
        .filter_map(|(n, v)| Some((n, std::str::from_utf8(v).ok()?)))
        .collect()
}

/// Sends a response head with `headers` and an empty body.
fn send_head(c: &Conn, version: HttpVersion, status: u16, headers: &[(&str, &str)], close: bool) {
    let mut head = Vec::with_capacity(256);
    write::status_line(&mut head, version, status, None);
    let extra = Extra {
        body_len: 0,
        request: false,
        keep_alive: close.then_some(false),
        host: None,
        cookies: &[],
    };
    if write::header_lines(&mut head, headers, &extra).is_ok() {
        let mut w: &mio::net::TcpStream = &c.stream;
        let _ = c.session.send(&[&head], &mut w);
    }
}

/// Servers: an HTTP event of a request that asks for WebSocket. At its upgrade event the
/// request is checked and answered.
pub(crate) fn server_event(core: &Core, c: &Conn, m: &Message, ev: &HttpEv<'_>) -> Upgrade {
    if !matches!(ev, HttpEv::Upgrade(_)) {
        return Upgrade::Swallow;
    }
    let cfg = core.config.read();
    let headers = text_headers(m);
    let request = match handshake::check_request(m.method(), headers.iter().copied()) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!("refusing a WebSocket handshake: {e:?}");
            let upgrade = [("Sec-WebSocket-Version", "13")];
            let extra: &[(&str, &str)] = if e.status() == 426 { &upgrade } else { &[] };
            send_head(c, cfg.http_local_version, e.status(), extra, true);
            return Upgrade::Refuse;
        }
    };
    let protocols: Vec<&str> = cfg.ws_protocols.iter().map(String::as_str).collect();
    let deflate = deflate_of(&cfg);
    let (agreed, answer) = handshake::accept(&request, &protocols, deflate.as_ref());
    let answer: Vec<(&str, &str)> = answer.iter().map(|(n, v)| (*n, v.as_str())).collect();
    send_head(c, HttpVersion::V1_1, 101, &answer, false);
    c.session
        .ws_prepare(ws_config(&cfg, Role::Server, agreed.deflate));
    Upgrade::Open
}

/// Clients and agents: the connection is ready, so the opening handshake goes out (to
/// `ws_path`, with a fresh key, the configured subprotocols and permessage-deflate offer).
pub(crate) fn send_opening(core: &Core, c: &Conn, secure: bool) -> Result<()> {
    let cfg = core.config.read();
    let key = handshake::new_client_key()
        .map_err(|_| Error::IllegalState("no randomness for the WebSocket key"))?;
    let protocols: Vec<&str> = cfg.ws_protocols.iter().map(String::as_str).collect();
    let deflate = deflate_of(&cfg);
    let fields = handshake::request_headers(&key, &protocols, deflate.as_ref());
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let host = crate::roles::http::host_of(c, secure);
    let mut head = Vec::with_capacity(256);
    write::request_line(&mut head, "GET", &cfg.ws_path, HttpVersion::V1_1)
        .map_err(|_| Error::InvalidParam("ws_path cannot be sent"))?;
    let extra = Extra {
        body_len: 0,
        request: true,
        keep_alive: None,
        host: Some(&host),
        cookies: &[],
    };
    write::header_lines(&mut head, &fields, &extra)
        .map_err(|_| Error::InvalidParam("a WebSocket header cannot be sent"))?;
    c.session.ws_key(Some(key));
    let mut w: &mio::net::TcpStream = &c.stream;
    c.session
        .send_request("GET", &cfg.ws_path, || c.session.send(&[&head], &mut w))
        .map(|_| ())
        .map_err(|_| Error::IllegalState("the WebSocket handshake could not be sent"))
}

/// Clients and agents: an HTTP event of the server's answer to our opening handshake.
pub(crate) fn client_event(core: &Core, c: &Conn, m: &Message, ev: &HttpEv<'_>) -> Upgrade {
    // Every HTTP event of a WebSocket client is the handshake's.
    match ev {
        HttpEv::Upgrade(_) => {}
        // A complete answer that is not an upgrade (a 404, a 200): no WebSocket here.
        HttpEv::MessageComplete if !is_handshake(m) => {
            tracing::debug!("WebSocket handshake answered with {}", m.status_code());
            return Upgrade::Refuse;
        }
        _ => return Upgrade::Swallow,
    }
    let cfg = core.config.read();
    let Some(key) = c.session.ws_key(None) else {
        return Upgrade::Refuse;
    };
    let protocols: Vec<&str> = cfg.ws_protocols.iter().map(String::as_str).collect();
    let deflate = deflate_of(&cfg);
    let headers = text_headers(m);
    let agreed: Negotiated = match handshake::check_response(
        m.status_code(),
        headers.iter().copied(),
        &key,
        &protocols,
        deflate.as_ref(),
    ) {
        Ok(n) => n,
        Err(e) => {
            tracing::debug!("the server's WebSocket handshake is not acceptable: {e:?}");
            return Upgrade::Refuse;
        }
    };
    c.session
        .ws_prepare(ws_config(&cfg, Role::Client, agreed.deflate));
    Upgrade::Open
}

/// Sends through the connection's sending half; maps the failures.
fn ws_send(
    c: &Arc<Conn>,
    closing: bool,
    f: impl FnOnce(&mut crate::cores::ws::message::Sender) -> std::result::Result<(), CoreSendError>,
) -> Result<()> {
    let mut w: &mio::net::TcpStream = &c.stream;
    let r = c.session.ws_send(&mut w, closing, f);
    if closing && r.is_ok() {
        // The close's answer has a deadline: the worker arms it.
        c.kick();
    }
    match r {
        Ok(notify) => c.sent_result(Ok(notify)),
        Err(WsSendError::Send(e)) => c.sent_result(Err(e)),
        Err(WsSendError::NotOpen) => Err(Error::IllegalState(
            "the WebSocket is not open (no handshake yet, or closing)",
        )),
        Err(WsSendError::Bad(CoreSendError::BadCloseCode)) => {
            Err(Error::InvalidParam("a close code that may not be sent"))
        }
        Err(WsSendError::Bad(_)) => Err(Error::InvalidParam(
            "a ping payload over 125 bytes or a close reason over 123 bytes",
        )),
    }
}

/// The message operations of WebSocket servers and agents (by connection ID) and clients
/// (their one connection).
macro_rules! ws_ops {
    ($($id:ident: $idty:ty,)? |$me:ident| $conn:expr) => {
        /// Sends a text message (one frame, or frames of `ws_fragment_size`; compressed when
        /// permessage-deflate was agreed). `IllegalState` before `on_ws_open` and once a
        /// close was sent or received.
        pub fn send_text(&self, $($id: $idty,)? text: &str) -> Result<()> {
            self.ws_op($($id,)? false, |s| {
                s.message(opcode::TEXT, text.as_bytes());
                Ok(())
            })
        }

        /// Sends a binary message (see [`send_text`](Self::send_text)).
        pub fn send_binary(&self, $($id: $idty,)? data: &[u8]) -> Result<()> {
            self.ws_op($($id,)? false, |s| {
                s.message(opcode::BINARY, data);
                Ok(())
            })
        }

        /// Sends a ping (payload at most 125 bytes); the pong comes to `on_ws_pong`.
        pub fn send_ping(&self, $($id: $idty,)? payload: &[u8]) -> Result<()> {
            self.ws_op($($id,)? false, |s| s.control(opcode::PING, payload))
        }

        /// Starts the close handshake: sends a close frame with `code` (1000 normal, 1001
        /// going away, 3000–4999 the application's …; 0 with an empty `reason`: a close
        /// without a status) and `reason` (at most 123 bytes).
        /// Nothing more is sent; when the peer's close arrives (`on_ws_close`) the
        /// connection closes — or after `close_flush_timeout` if it never does.
        pub fn close_ws(&self, $($id: $idty,)? code: u16, reason: &str) -> Result<()> {
            self.ws_op($($id,)? true, |s| s.close(CloseCode(code), reason))
        }

        fn ws_op(
            &self,
            $($id: $idty,)?
            closing: bool,
            f: impl FnOnce(&mut crate::cores::ws::message::Sender) -> std::result::Result<(), CoreSendError>,
        ) -> Result<()> {
            let $me = self;
            $conn.and_then(|id| $me.core().with_conn(id, |c| ws_send(c, closing, f))?)
        }
    };
}

/// The WebSocket properties every role has.
macro_rules! ws_properties {
    () => {
        $crate::config::properties! {
            /// permessage-deflate (RFC 7692): a server accepts a client's offer, a client
            /// offers it (ours; default false: zlib's state costs about 300 KiB per
            /// connection while it lasts, so it is opt-in).
            ws_deflate, set_ws_deflate: bool, |_v| true, "";
            /// Largest message received, compressed and inflated (ours; default 16 MiB; 0:
            /// no limit). A larger one fails the connection with close code 1009.
            ws_max_message_size, set_ws_max_message_size: usize, |_v| true, "";
            /// Messages sent are split into frames of this many bytes (ours; default 0:
            /// one frame per message).
            ws_fragment_size, set_ws_fragment_size: u32, |_v| true, "";
            /// Keep-alive in ms (ours; default 30000; 0: off): a peer that sent nothing for
            /// this long is pinged, one silent for twice as long is closed (`Receive`,
            /// `ETIMEDOUT`) — a dead peer or path is found without TCP keep-alive's hours.
            ws_ping_interval, set_ws_ping_interval: u32, |v| v == 0 || v >= 100, "ws_ping_interval must be 0 or >= 100";
        }

        /// The subprotocols this side speaks, in order of preference (`Sec-WebSocket-Protocol`;
        /// default none). A server picks the first the client offers that is in this list.
        pub fn ws_protocols(&self) -> Vec<String> {
            self.core().config.read().ws_protocols.clone()
        }

        /// Sets [`ws_protocols`](Self::ws_protocols); each a token (RFC 7230). Only while
        /// stopped.
        pub fn set_ws_protocols(&self, protocols: &[&str]) -> Result<()> {
            if protocols.iter().any(|p| !handshake::is_token(p)) {
                return Err(Error::InvalidParam("a subprotocol must be a token"));
            }
            let list = protocols.iter().map(|p| p.to_string()).collect();
            self.core().set_config(|c| c.ws_protocols = list)
        }
    };
}

/// The path agents and clients ask for.
macro_rules! ws_path_property {
    () => {
        /// The request target of the opening handshake (default `/`).
        pub fn ws_path(&self) -> String {
            self.core().config.read().ws_path.clone()
        }

        /// Sets [`ws_path`](Self::ws_path): an origin-form target such as `/chat?room=1`.
        /// Only while stopped.
        pub fn set_ws_path(&self, path: &str) -> Result<()> {
            if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
                return Err(Error::InvalidParam(
                    "ws_path must start with / and hold no space or control",
                ));
            }
            let path = path.to_string();
            self.core().set_config(|c| c.ws_path = path)
        }
    };
}

impl<T: Transport> Server<Ws, T> {
    ws_properties!();
    ws_ops!(id: ConnId, |me| Ok::<ConnId, Error>(id));
}

impl<T: Transport> Agent<Ws, T> {
    ws_properties!();
    ws_path_property!();
    ws_ops!(id: ConnId, |me| Ok::<ConnId, Error>(id));
}

impl<T: Transport> Client<Ws, T> {
    ws_properties!();
    ws_path_property!();
    ws_ops!(|me| me.id());
}
