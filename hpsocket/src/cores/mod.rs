//! The sans-IO cores: small state machines with no socket, thread or clock of their own, each
//! with one job, property-tested and fuzzed. Nothing here imports anything above it.
//!
//! - [`pack`]: HP-Socket's PACK framer (the only code that knows the 4-byte header);
//! - [`pull`]: the PULL receive buffer (the only code that knows fetch / peek);
//! - [`sendq`]: the per-connection queue of bytes accepted but not yet written;
//! - [`udp_peers`]: the UDP server's address ↔ connection table with its detect ticks;
//! - [`ws`]: the WebSocket codec (RFC 6455 frames and messages, permessage-deflate, the
//!   handshake's checks).
//!
//! The TLS session (`tls/session.rs`) is the fifth core; it lives beside the TLS
//! configuration in the public `tls` module.

pub mod arq;
pub(crate) mod http;
pub(crate) mod pack;
pub(crate) mod pull;
pub(crate) mod sendq;
pub(crate) mod udp_peers;
pub(crate) mod ws;
