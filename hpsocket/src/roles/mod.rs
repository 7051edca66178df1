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
pub(crate) mod server;
pub(crate) mod udp;
