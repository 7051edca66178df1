//! # hpsocket
//!
//! HP-Socket's TCP communication framework, in Rust: servers, agents and clients that move
//! bytes and report events, with HP-Socket's names, defaults and event contract.
//!
//! - [`TcpServer`] listens and serves many connections; [`TcpAgent`] opens many outgoing
//!   connections; [`TcpClient`] opens one. All three are aliases of generic components
//!   ([`Server`], [`Agent`], [`Client`]) whose type parameter is the receive model.
//! - The application implements a listener trait ([`ServerListener`], [`AgentListener`],
//!   [`ClientListener`]); each callback returns a [`HandleResult`].
//! - Connections are named only by [`ConnId`].
//! - A second type parameter is the transport: [`Plain`] (default) or [`Tls`]. The SSL
//!   components ([`SslServer`], [`SslPullAgent`], [`SslPackClient`] …) are the same
//!   components over TLS (rustls); see [`tls`].
//!
//! ## Threads and ordering
//! Each connection belongs to one worker thread, which reads it and fires all its events, so a
//! connection's callbacks never overlap and arrive in order. `send`, `disconnect` and `stop`
//! may be called from any thread, including inside callbacks; `send` never blocks.
//!
//! ```no_run
//! use hpsocket::prelude::*;
//! use hpsocket::{ConnId, HandleResult, ServerListener, TcpServer};
//!
//! struct Echo;
//! impl ServerListener for Echo {
//!     fn on_receive(&self, s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
//!         if s.send(id, data).is_err() { HandleResult::Error } else { HandleResult::Ok }
//!     }
//! }
//! let server = TcpServer::new(Echo);
//! server.start("0.0.0.0", 5555)?;
//! server.wait(None);
//! # Ok::<(), hpsocket::Error>(())
//! ```
// No unsafe code outside `sys`: the two audited calls that have no safe wrapper (glibc's
// `malloc_trim`, Linux `sendfile`), allowed there by name.
#![deny(unsafe_code)]
#![deny(missing_docs)]

mod clock;
mod component;
pub mod config;
mod cores;
mod error;
mod listener;
mod model;
mod reactor;
mod roles;
mod session;
mod sys;
mod thread_pool;
pub mod tls;
mod types;

/// The ARQ core (sans-IO KCP with HP-Socket's handshake): what the UDP ARQ components run.
pub use cores::arq;
pub use cores::http::cookie;
pub use cores::http::write::reason_phrase;
pub use cores::http::{
    ErrorKind as HttpErrorKind, Event as HttpEvent, HttpVersion, Message as HttpMessage,
    ParseError as HttpParseError, ParseResult, UpgradeType, UrlField,
};
pub use cores::pack::{DEFAULT_MAX_PACK_SIZE, MAX_PACK_HEADER_FLAG, MAX_PACK_SIZE_LIMIT};
/// The `Sec-WebSocket-Accept` value answering a client's `Sec-WebSocket-Key` (RFC 6455
/// §4.2.2): what a server using the frame-level API puts in its `101` response.
pub use cores::ws::handshake::accept_key as ws_accept_key;
pub use error::{Error, Result};
pub use listener::{AgentListener, ClientListener, ServerListener};
pub use model::{Http, HttpModel, Model, Pack, Plain, Pull, Push, Tls, Transport, Ws};
pub use roles::agent::{
    Agent, ConnectOptions, SslAgent, SslPackAgent, SslPullAgent, TcpAgent, TcpPackAgent,
    TcpPullAgent,
};
pub use roles::api::{Component, Connections};
pub use roles::client::{
    Client, SslClient, SslPackClient, SslPullClient, TcpClient, TcpPackClient, TcpPullClient,
};
pub use roles::http::{
    cookie_jar, Header, HttpAgent, HttpClient, HttpServer, HttpsAgent, HttpsClient, HttpsServer,
    MAX_LOCAL_FILE,
};
pub use roles::http_sync::{
    HttpSyncClient, HttpsSyncClient, SyncClient, SyncResponse, Url, DEFAULT_SYNC_CONNECT_TIMEOUT,
    DEFAULT_SYNC_REQUEST_TIMEOUT,
};
pub use roles::server::{
    Server, SslPackServer, SslPullServer, SslServer, TcpPackServer, TcpPullServer, TcpServer,
};
pub use roles::udp::cast::UdpCast;
pub use roles::udp::client::UdpClient;
pub use roles::udp::server::UdpServer;
pub use roles::ws::{WsAgent, WsClient, WsServer, WssAgent, WssClient, WssServer};
pub use session::ws::{WsMessage, WsMessageState};
pub use socket2::SockRef;
pub use thread_pool::{
    RejectedPolicy, SocketTask, StopOutcome, SubmitError, SubmitErrorKind, TaskBuffer,
    TaskBufferType, ThreadPool, ThreadPoolListener,
};
pub use types::{
    CastMode, ConnId, FetchResult, HandleResult, OnSendSyncPolicy, ReuseAddressPolicy, SendPolicy,
    ServiceState, SocketError, SocketOperation,
};

/// Everything a program using hpsocket usually needs in scope: the listener traits, the
/// operation traits ([`Component`], [`Connections`]) and the types their methods take.
///
/// ```
/// use hpsocket::prelude::*;
/// ```
pub mod prelude {
    pub use crate::{
        AgentListener, ClientListener, Component, ConnId, Connections, FetchResult, HandleResult,
        HttpMessage, ParseResult, ServerListener, ServiceState, SocketOperation,
    };
}

/// Entry points for the fuzz targets in `fuzz/`; not part of the supported API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::cores::http::probe as http;
    use crate::cores::pack::{Flow, Framer};
    use crate::cores::pull::PullBuffer;
    use crate::tls::rustls;
    use crate::FetchResult;

    /// Feeds `data` to a PACK framer in pieces of the given sizes (cycled), holding after
    /// every `hold_every`-th packet (0: never). Returns the packets delivered and the errno
    /// of the framing error that stopped it, if any.
    pub fn pack_chunked(
        max: u32,
        flag: u16,
        data: &[u8],
        cuts: &[usize],
        hold_every: usize,
    ) -> (Vec<Vec<u8>>, Option<i32>) {
        let mut f = Framer::new(max, flag);
        let mut out = Vec::new();
        let mut n = 0usize;
        let mut deliver = |p: &[u8]| {
            out.push(p.to_vec());
            n += 1;
            if hold_every > 0 && n % hold_every == 0 {
                Flow::Hold
            } else {
                Flow::Continue
            }
        };
        let mut rest = data;
        let mut i = 0;
        while !rest.is_empty() {
            let k = cuts
                .get(i % cuts.len().max(1))
                .copied()
                .unwrap_or(rest.len())
                .clamp(1, rest.len());
            i += 1;
            let mut r = f.push(&rest[..k], &mut deliver);
            rest = &rest[k..];
            loop {
                match r {
                    Err(e) => return (out, Some(e.errno())),
                    Ok(Flow::Hold) => r = f.push(&[], &mut deliver),
                    Ok(Flow::Continue) => break,
                }
            }
        }
        (out, None)
    }

    /// Runs a TLS server and client session against each other through byte vectors (see the
    /// `tls_glue` fuzz target): returns the plaintext each side decrypted and whether a TLS
    /// error stopped the exchange.
    pub fn tls_pair(
        server: std::sync::Arc<rustls::ServerConfig>,
        client: std::sync::Arc<rustls::ClientConfig>,
        c2s: &[u8],
        s2c: &[u8],
        cuts: &[usize],
        flip: Option<(bool, usize, u8)>,
    ) -> (Vec<u8>, Vec<u8>, bool) {
        let (s, c, e) = crate::tls::drive_pair(server, client, c2s, s2c, cuts, flip);
        (s, c, e.is_some())
    }

    /// Feeds arbitrary bytes to a TLS server session in pieces cut at `cuts` (cycled) and
    /// collects its replies, as a connection fed garbage would; returns whether it refused
    /// them. Must never panic.
    pub fn tls_server_feed(
        server: std::sync::Arc<rustls::ServerConfig>,
        data: &[u8],
        cuts: &[usize],
    ) -> bool {
        let Ok(mut s) = crate::tls::TlsSession::server(server) else {
            return true;
        };
        let mut plain = Vec::new();
        let mut out = Vec::new();
        let mut cut = cuts.iter().copied().filter(|&n| n > 0).cycle();
        let mut rest = data;
        while !rest.is_empty() {
            let k = cut.next().unwrap_or(rest.len()).min(rest.len());
            let r = s.read_tls(&rest[..k], &mut plain);
            s.take_tls(&mut out);
            if r.is_err() {
                return true;
            }
            rest = &rest[k..];
        }
        // No handshake can complete without a client, so no plaintext either.
        assert!(plain.is_empty());
        false
    }

    /// The PULL buffer, for differential fuzzing against a plain byte vector.
    #[derive(Default)]
    pub struct Pull(PullBuffer);

    impl Pull {
        /// Appends bytes; returns the total buffered.
        pub fn append(&mut self, b: &[u8]) -> usize {
            self.0.append(b)
        }
        /// Fetch (`consume`) or peek exactly `out.len()` bytes.
        pub fn take(&mut self, out: &mut [u8], consume: bool) -> FetchResult {
            if consume {
                self.0.fetch(out)
            } else {
                self.0.peek(out)
            }
        }
        /// Bytes buffered.
        pub fn len(&self) -> usize {
            self.0.len()
        }
        /// True when nothing is buffered.
        pub fn is_empty(&self) -> bool {
            self.0.len() == 0
        }
    }
}
