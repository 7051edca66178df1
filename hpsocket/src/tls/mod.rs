//! TLS for the SSL components: configuration in HP-Socket's terms ([`TlsServerSetup`],
//! [`TlsClientSetup`], [`VerifyMode`], [`Pem`]) or in rustls' own (`set_tls_config`), and
//! what a session negotiated ([`TlsInfo`]).
//!
//! Inside, each connection has a sans-IO rustls session between its socket and its receive
//! model: ciphertext in, plaintext out, and the reverse. It owns no socket, so it is tested
//! with two sessions talking through byte vectors split at every boundary (and fuzzed).
//!
//! ```no_run
//! use hpsocket::prelude::*;
//! use hpsocket::tls::{Pem, TlsServerSetup};
//! use hpsocket::{ConnId, HandleResult, ServerListener, SslServer};
//!
//! struct Echo;
//! impl ServerListener<SslServer> for Echo {
//!     fn on_receive(&self, s: &SslServer, id: ConnId, data: &[u8]) -> HandleResult {
//!         let _ = s.send(id, data); // plaintext in, plaintext out
//!         HandleResult::Ok
//!     }
//! }
//!
//! let server = SslServer::new(Echo);
//! server.setup_ssl_context(&TlsServerSetup::new(
//!     Pem::File("server.pem".into()),
//!     Pem::File("server.key".into()),
//! ))?;
//! server.start("0.0.0.0", 5555)?;
//! # Ok::<(), hpsocket::Error>(())
//! ```
//!
//! Layout: `config.rs` holds the configuration types and the built context, `ciphers.rs`
//! maps OpenSSL-style cipher lists, `session.rs` the per-connection session.

/// The rustls this crate is built on, for [`set_tls_config`](crate::Server::set_tls_config)
/// with a configuration built by hand.
pub use rustls;

mod ciphers;
mod config;
mod session;
#[cfg(test)]
pub(crate) mod testutil;

pub(crate) use config::TlsContext;
pub use config::{
    is_encrypted_key, Pem, PemError, SniCallback, TlsClientSetup, TlsConfigError, TlsServerSetup,
    VerifyMode,
};
pub use session::TlsInfo;
pub(crate) use session::{drive_pair, errno_of, TlsSession};
// Kept at its old path (`crate::tls::TlsProgress`) for code inside the crate.
#[allow(unused_imports)]
pub(crate) use session::TlsProgress;
