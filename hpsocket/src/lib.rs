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
//!
//! ## Threads and ordering
//! Each connection belongs to one worker thread, which reads it and fires all its events, so a
//! connection's callbacks never overlap and arrive in order. `send`, `disconnect` and `stop`
//! may be called from any thread, including inside callbacks; `send` never blocks.
//!
//! ```no_run
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod agent;
mod client;
mod component;
pub mod config;
mod conn;
mod error;
mod listener;
mod model;
mod pack;
mod pull;
mod reactor;
mod sendq;
mod server;
mod types;

pub use agent::{Agent, ConnectOptions, TcpAgent, TcpPackAgent, TcpPullAgent};
pub use client::{Client, TcpClient, TcpPackClient, TcpPullClient};
pub use error::{Error, Result};
pub use listener::{AgentListener, ClientListener, ServerListener};
pub use model::{Model, Pack, Pull, Push};
pub use pack::{DEFAULT_MAX_PACK_SIZE, MAX_PACK_HEADER_FLAG, MAX_PACK_SIZE_LIMIT};
pub use server::{Server, TcpPackServer, TcpPullServer, TcpServer};
pub use socket2::SockRef;
pub use types::{
    ConnId, FetchResult, HandleResult, ReuseAddressPolicy, SendPolicy, ServiceState, SocketError,
    SocketOperation,
};
