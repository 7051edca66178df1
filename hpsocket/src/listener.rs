//! The event-listener traits: what the application implements to hear from a component.
//!
//! Every method has a default that returns [`HandleResult::Ok`], so a listener implements only
//! the events it needs. Callbacks of one connection never run at the same time and arrive in
//! order — accept / connect, handshake, receive and send, then close exactly once — on the
//! worker that owns the connection. A callback may call any method of its component (send,
//! disconnect, even stop) without deadlock.
//!
//! The first argument is the component itself (`S`), so a callback can reply:
//!
//! ```
//! use hpsocket::prelude::*;
//! use hpsocket::{ConnId, HandleResult, ServerListener, TcpServer};
//!
//! struct Echo;
//! impl ServerListener for Echo {
//!     fn on_receive(&self, server: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
//!         match server.send(id, data) {
//!             Ok(()) => HandleResult::Ok,
//!             Err(_) => HandleResult::Error,
//!         }
//!     }
//! }
//! ```

use socket2::SockRef;

use crate::cores::http::{Message as HttpMessage, ParseError, ParseResult, UpgradeType};
use crate::session::ws::WsMessage;
use crate::types::{ConnId, HandleResult, SocketOperation};

/// The HTTP parse events (HP-Socket's `IHttpListener`), the same in the three listener
/// traits: only the HTTP components fire them. Each gets the message parsed so far (its head
/// is complete from `on_message_begin` on), so a callback reads the method, URL, headers and
/// cookies without a lookup; returning [`ParseResult::Error`] closes the connection
/// (`Receive`, `ECANCELED`).
macro_rules! http_events {
    ($S:ident, $c:ident) => {
        /// HTTP: a message's head has arrived (HP-Socket's `OnMessageBegin`; it fires when
        /// the head is whole, so a refused head fires only `on_parse_error`).
        fn on_message_begin(&self, $c: &$S, id: ConnId, msg: &HttpMessage) -> ParseResult {
            let _ = ($c, id, msg);
            ParseResult::Ok
        }

        /// HTTP, servers: the request line.
        fn on_request_line(
            &self,
            $c: &$S,
            id: ConnId,
            msg: &HttpMessage,
            method: &str,
            url: &str,
        ) -> ParseResult {
            let _ = ($c, id, msg, method, url);
            ParseResult::Ok
        }

        /// HTTP, agents and clients: the status line of a response.
        fn on_status_line(
            &self,
            $c: &$S,
            id: ConnId,
            msg: &HttpMessage,
            status: u16,
            reason: &str,
        ) -> ParseResult {
            let _ = ($c, id, msg, status, reason);
            ParseResult::Ok
        }

        /// HTTP: one header field, in arrival order (trailer fields of a chunked body come
        /// the same way after the last chunk header).
        fn on_header(
            &self,
            $c: &$S,
            id: ConnId,
            msg: &HttpMessage,
            name: &str,
            value: &[u8],
        ) -> ParseResult {
            let _ = ($c, id, msg, name, value);
            ParseResult::Ok
        }

        /// HTTP: the head is complete. [`ParseResult::SkipBody`] frames the body without
        /// reporting it; [`ParseResult::Upgrade`] switches protocols right after the head.
        fn on_headers_complete(&self, $c: &$S, id: ConnId, msg: &HttpMessage) -> ParseResult {
            let _ = ($c, id, msg);
            ParseResult::Ok
        }

        /// HTTP: a piece of the body as it arrives.
        fn on_body(&self, $c: &$S, id: ConnId, msg: &HttpMessage, data: &[u8]) -> ParseResult {
            let _ = ($c, id, msg, data);
            ParseResult::Ok
        }

        /// HTTP: a chunk of `size` bytes begins (0: the last one).
        fn on_chunk_header(
            &self,
            $c: &$S,
            id: ConnId,
            msg: &HttpMessage,
            size: u64,
        ) -> ParseResult {
            let _ = ($c, id, msg, size);
            ParseResult::Ok
        }

        /// HTTP: a chunk (or the trailer section after the last one) is complete.
        fn on_chunk_complete(&self, $c: &$S, id: ConnId, msg: &HttpMessage) -> ParseResult {
            let _ = ($c, id, msg);
            ParseResult::Ok
        }

        /// HTTP: the message is complete; a server answers it now (or later, from any
        /// thread: the connection remembers whether the request kept it alive).
        fn on_message_complete(&self, $c: &$S, id: ConnId, msg: &HttpMessage) -> ParseResult {
            let _ = ($c, id, msg);
            ParseResult::Ok
        }

        /// HTTP: the connection switches protocols (WebSocket, a CONNECT tunnel, another
        /// `Upgrade`). After a WebSocket upgrade the bytes that follow are frames
        /// (`on_ws_message_header`, `on_ws_message_body`, `on_ws_message_complete`); after
        /// any other every later byte goes to `on_receive` untouched.
        fn on_upgrade(
            &self,
            $c: &$S,
            id: ConnId,
            msg: &HttpMessage,
            kind: UpgradeType,
        ) -> ParseResult {
            let _ = ($c, id, msg, kind);
            ParseResult::Ok
        }

        /// WebSocket (after a `websocket` upgrade that `on_upgrade` accepted): a frame's
        /// header (HP-Socket's `OnWSMessageHeader`): the FIN bit, the reserved bits (RSV1 =
        /// 0b100), the opcode, the masking key (frames from clients carry one; their bodies
        /// arrive unmasked) and the body's length. Fragments, control frames and the close
        /// handshake are the listener's, as in HP-Socket; `Error` closes the connection
        /// (`Receive`, `ECANCELED`).
        #[allow(clippy::too_many_arguments)]
        fn on_ws_message_header(
            &self,
            $c: &$S,
            id: ConnId,
            fin: bool,
            rsv: u8,
            opcode: u8,
            mask: Option<[u8; 4]>,
            body_len: u64,
        ) -> HandleResult {
            let _ = ($c, id, fin, rsv, opcode, mask, body_len);
            HandleResult::Ok
        }

        /// WebSocket: a piece of the current frame's body, unmasked
        /// (`OnWSMessageBody`).
        fn on_ws_message_body(&self, $c: &$S, id: ConnId, data: &[u8]) -> HandleResult {
            let _ = ($c, id, data);
            HandleResult::Ok
        }

        /// WebSocket: the current frame is complete (`OnWSMessageComplete`).
        fn on_ws_message_complete(&self, $c: &$S, id: ConnId) -> HandleResult {
            let _ = ($c, id);
            HandleResult::Ok
        }

        /// [`Ws`](crate::Ws) model: the opening handshake is done (`msg` is the client's
        /// request on a server — path, headers, cookies — and the server's `101` on a
        /// client); messages may be sent from here on. `Error` closes the connection.
        fn on_ws_open(&self, $c: &$S, id: ConnId, msg: &HttpMessage) -> HandleResult {
            let _ = ($c, id, msg);
            HandleResult::Ok
        }

        /// [`Ws`](crate::Ws) model: a whole message (fragments joined, inflated when
        /// permessage-deflate was agreed, text checked as UTF-8), borrowed for the call.
        /// `Error` closes the connection (`Receive`, `ECANCELED`) without a close frame.
        fn on_ws_message(&self, $c: &$S, id: ConnId, msg: WsMessage<'_>) -> HandleResult {
            let _ = ($c, id, msg);
            HandleResult::Ok
        }

        /// [`Ws`](crate::Ws) model: a ping arrived (its pong is already queued).
        fn on_ws_ping(&self, $c: &$S, id: ConnId, payload: &[u8]) -> HandleResult {
            let _ = ($c, id, payload);
            HandleResult::Ok
        }

        /// [`Ws`](crate::Ws) model: a pong arrived.
        fn on_ws_pong(&self, $c: &$S, id: ConnId, payload: &[u8]) -> HandleResult {
            let _ = ($c, id, payload);
            HandleResult::Ok
        }

        /// [`Ws`](crate::Ws) model: the peer's close frame (`code` `None`: it carried
        /// none). The framework answers it (or it answers ours) and then closes the
        /// connection: `on_close` follows with (`Close`, 0).
        fn on_ws_close(
            &self,
            $c: &$S,
            id: ConnId,
            code: Option<u16>,
            reason: &str,
        ) -> HandleResult {
            let _ = ($c, id, code, reason);
            HandleResult::Ok
        }

        /// HTTP: the input is not acceptable HTTP. The connection closes next (`Receive`,
        /// `EBADMSG`); a server has already answered with the error's status (400, 413,
        /// 431, 501 or 505). For logging: parsing cannot go on.
        fn on_parse_error(&self, $c: &$S, id: ConnId, msg: &HttpMessage, error: &ParseError) {
            let _ = ($c, id, msg, error);
        }
    };
}

/// Events of a server component (`S` is the server type, [`TcpServer`](crate::TcpServer) by
/// default).
pub trait ServerListener<S = crate::TcpServer>: Send + Sync + 'static {
    /// During `start`, after bind and before listen: set options on the listening socket.
    /// `Error` makes `start` fail with `SocketError::SocketPrepare`.
    fn on_prepare_listen(&self, server: &S, socket: SockRef<'_>) -> HandleResult {
        let _ = (server, socket);
        HandleResult::Ok
    }

    /// A connection was accepted and has its ID; nothing was read from it yet. `Error`
    /// refuses it: the socket is closed and no other event of it fires.
    fn on_accept(&self, server: &S, id: ConnId, socket: SockRef<'_>) -> HandleResult {
        let _ = (server, id, socket);
        HandleResult::Ok
    }

    /// The connection is ready for data (right after `on_accept` for plain TCP; after the
    /// TLS handshake for TLS). `Error` refuses it as `on_accept` does (plain TCP).
    fn on_handshake(&self, server: &S, id: ConnId) -> HandleResult {
        let _ = (server, id);
        HandleResult::Ok
    }

    /// `data` was written to the socket (a send may be reported in several parts).
    fn on_send(&self, server: &S, id: ConnId, data: &[u8]) -> HandleResult {
        let _ = (server, id, data);
        HandleResult::Ok
    }

    /// Bytes arrived: PUSH, one read's worth; PACK, one whole packet body. `Error` closes the connection with
    /// `SocketOperation::Receive` and `ECANCELED`.
    fn on_receive(&self, server: &S, id: ConnId, data: &[u8]) -> HandleResult {
        let _ = (server, id, data);
        HandleResult::Ok
    }

    /// PULL only: bytes arrived and `len` bytes are now buffered in total; take them with
    /// `fetch` / `peek`. `Error` closes the connection (`Receive`, `ECANCELED`).
    fn on_pull_receive(&self, server: &S, id: ConnId, len: usize) -> HandleResult {
        let _ = (server, id, len);
        HandleResult::Ok
    }

    /// The connection closed. `op` is the operation that failed (or `Close` for an orderly
    /// close) and `error` the OS error code (0 for none). Fires exactly once per connection
    /// that was accepted.
    fn on_close(&self, server: &S, id: ConnId, op: SocketOperation, error: i32) -> HandleResult {
        let _ = (server, id, op, error);
        HandleResult::Ok
    }

    /// The server stopped: every `on_close` has fired.
    fn on_shutdown(&self, server: &S) -> HandleResult {
        let _ = server;
        HandleResult::Ok
    }

    /// Whether `on_send` must see bytes that other threads wrote directly (which costs a copy
    /// and a wake-up per such send). Default true; return false when `on_send` is unused.
    fn wants_send_events(&self) -> bool {
        true
    }

    http_events!(S, server);
}

/// Events of an agent component (`S` is the agent type, [`TcpAgent`](crate::TcpAgent) by
/// default).
pub trait AgentListener<S = crate::TcpAgent>: Send + Sync + 'static {
    /// The socket of connection `id` exists (and is bound) and is about to connect. `Error`
    /// makes that `connect` fail with `SocketError::SocketPrepare`.
    fn on_prepare_connect(&self, agent: &S, id: ConnId, socket: SockRef<'_>) -> HandleResult {
        let _ = (agent, id, socket);
        HandleResult::Ok
    }

    /// Connection `id` is established. `Error` closes it (asynchronous connect:
    /// `on_close` with `SocketOperation::Connect`; synchronous: `connect` fails).
    fn on_connect(&self, agent: &S, id: ConnId) -> HandleResult {
        let _ = (agent, id);
        HandleResult::Ok
    }

    /// The connection is ready for data (right after `on_connect` for plain TCP).
    fn on_handshake(&self, agent: &S, id: ConnId) -> HandleResult {
        let _ = (agent, id);
        HandleResult::Ok
    }

    /// `data` was written to the socket.
    fn on_send(&self, agent: &S, id: ConnId, data: &[u8]) -> HandleResult {
        let _ = (agent, id, data);
        HandleResult::Ok
    }

    /// Bytes arrived. `Error` closes the connection (`Receive`, `ECANCELED`).
    fn on_receive(&self, agent: &S, id: ConnId, data: &[u8]) -> HandleResult {
        let _ = (agent, id, data);
        HandleResult::Ok
    }

    /// PULL only: bytes arrived and `len` bytes are now buffered in total; take them with
    /// `fetch` / `peek`. `Error` closes the connection (`Receive`, `ECANCELED`).
    fn on_pull_receive(&self, agent: &S, id: ConnId, len: usize) -> HandleResult {
        let _ = (agent, id, len);
        HandleResult::Ok
    }

    /// The connection closed (or its asynchronous connect failed: `SocketOperation::Connect`
    /// with the OS error). Fires exactly once per connection `connect` returned.
    fn on_close(&self, agent: &S, id: ConnId, op: SocketOperation, error: i32) -> HandleResult {
        let _ = (agent, id, op, error);
        HandleResult::Ok
    }

    /// The agent stopped: every `on_close` has fired.
    fn on_shutdown(&self, agent: &S) -> HandleResult {
        let _ = agent;
        HandleResult::Ok
    }

    /// See [`ServerListener::wants_send_events`].
    fn wants_send_events(&self) -> bool {
        true
    }

    http_events!(S, agent);
}

/// Events of a client component (`S` is the client type, [`TcpClient`](crate::TcpClient) by
/// default). A client has one connection and no shutdown event.
pub trait ClientListener<S = crate::TcpClient>: Send + Sync + 'static {
    /// The socket exists (and is bound) and is about to connect. `Error` makes `start` fail.
    fn on_prepare_connect(&self, client: &S, id: ConnId, socket: SockRef<'_>) -> HandleResult {
        let _ = (client, id, socket);
        HandleResult::Ok
    }

    /// Connected. `Error` closes the connection (or fails a synchronous `start`).
    fn on_connect(&self, client: &S, id: ConnId) -> HandleResult {
        let _ = (client, id);
        HandleResult::Ok
    }

    /// Ready for data (right after `on_connect` for plain TCP).
    fn on_handshake(&self, client: &S, id: ConnId) -> HandleResult {
        let _ = (client, id);
        HandleResult::Ok
    }

    /// `data` was written to the socket.
    fn on_send(&self, client: &S, id: ConnId, data: &[u8]) -> HandleResult {
        let _ = (client, id, data);
        HandleResult::Ok
    }

    /// Bytes arrived. `Error` closes the connection (`Receive`, `ECANCELED`).
    fn on_receive(&self, client: &S, id: ConnId, data: &[u8]) -> HandleResult {
        let _ = (client, id, data);
        HandleResult::Ok
    }

    /// PULL only: bytes arrived and `len` bytes are now buffered in total; take them with
    /// `fetch` / `peek`. `Error` closes the connection (`Receive`, `ECANCELED`).
    fn on_pull_receive(&self, client: &S, id: ConnId, len: usize) -> HandleResult {
        let _ = (client, id, len);
        HandleResult::Ok
    }

    /// The connection closed, or the asynchronous connect failed
    /// (`SocketOperation::Connect` with the OS error). The client is stopped afterwards.
    fn on_close(&self, client: &S, id: ConnId, op: SocketOperation, error: i32) -> HandleResult {
        let _ = (client, id, op, error);
        HandleResult::Ok
    }

    /// See [`ServerListener::wants_send_events`].
    fn wants_send_events(&self) -> bool {
        true
    }

    http_events!(S, client);
}
