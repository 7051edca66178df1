//! The roles: what the application holds. [`server::Server`], [`agent::Agent`] and
//! [`client::Client`] are the TCP roles (generic over receive model and transport; HP-Socket's
//! class names are aliases), [`udp`] holds the UDP server, client and cast.
//!
//! A role composes the component core (`crate::component`) with its listener: it implements
//! the reactor's `Handler` (one `event` dispatch from session events to listener methods) and
//! offers HP-Socket's operations.

pub(crate) mod agent;
pub(crate) mod api;
pub(crate) mod client;
pub(crate) mod http;
pub(crate) mod http_sync;
pub(crate) mod server;
pub(crate) mod udp;
pub(crate) mod ws;

/// Fires an HTTP parse event on a listener: the same for the three roles, whose listener
/// traits carry the same HTTP events.
macro_rules! http_dispatch {
    // Agents and clients: a complete response's cookies go into the jar first.
    ($l:expr, $c:expr, $id:expr, $msg:expr, $ev:expr, outgoing: $conn:expr) => {{
        if matches!($ev, crate::session::HttpEv::MessageComplete) {
            let use_cookie = $c.core().config.read().http_use_cookie;
            crate::roles::http::keep_cookies($conn, $msg, use_cookie);
        }
        crate::roles::http_dispatch!($l, $c, $id, $msg, $ev)
    }};
    ($l:expr, $c:expr, $id:expr, $msg:expr, $ev:expr) => {{
        use crate::cores::http::ParseResult as P;
        use crate::session::HttpEv;
        let (l, c, id, m) = ($l, $c, $id, $msg);
        let r: P = match $ev {
            HttpEv::MessageBegin => guard(P::Error, || l.on_message_begin(c, id, m)),
            HttpEv::RequestLine { method, url } => {
                guard(P::Error, || l.on_request_line(c, id, m, method, url))
            }
            HttpEv::StatusLine { status, reason } => {
                guard(P::Error, || l.on_status_line(c, id, m, status, reason))
            }
            HttpEv::Header { name, value } => {
                guard(P::Error, || l.on_header(c, id, m, name, value))
            }
            HttpEv::HeadersComplete => guard(P::Error, || l.on_headers_complete(c, id, m)),
            HttpEv::Body(d) => guard(P::Error, || l.on_body(c, id, m, d)),
            HttpEv::ChunkHeader(n) => guard(P::Error, || l.on_chunk_header(c, id, m, n)),
            HttpEv::ChunkComplete => guard(P::Error, || l.on_chunk_complete(c, id, m)),
            HttpEv::MessageComplete => guard(P::Error, || l.on_message_complete(c, id, m)),
            HttpEv::Upgrade(k) => guard(P::Error, || l.on_upgrade(c, id, m, k)),
            HttpEv::ParseError(e) => {
                guard((), || l.on_parse_error(c, id, m, e));
                P::Ok
            }
        };
        crate::session::Reply::from(r)
    }};
}
pub(crate) use http_dispatch;

/// Fires a WebSocket frame event on a listener (the same for the three roles).
macro_rules! ws_dispatch {
    ($l:expr, $c:expr, $id:expr, $ev:expr) => {{
        use crate::session::WsEv;
        use crate::types::HandleResult as H;
        let (l, c, id) = ($l, $c, $id);
        let r: H = match $ev {
            WsEv::Header(h) => guard(H::Error, || {
                l.on_ws_message_header(c, id, h.fin, h.rsv, h.opcode, h.mask, h.len)
            }),
            WsEv::Body(d) => guard(H::Error, || l.on_ws_message_body(c, id, d)),
            WsEv::Complete => guard(H::Error, || l.on_ws_message_complete(c, id)),
            WsEv::Message(msg) => guard(H::Error, || l.on_ws_message(c, id, msg)),
            WsEv::Ping(p) => guard(H::Error, || l.on_ws_ping(c, id, p)),
            WsEv::Pong(p) => guard(H::Error, || l.on_ws_pong(c, id, p)),
            WsEv::Close { code, reason } => guard(H::Error, || l.on_ws_close(c, id, code, reason)),
        };
        crate::session::Reply::from(r)
    }};
}
pub(crate) use ws_dispatch;
