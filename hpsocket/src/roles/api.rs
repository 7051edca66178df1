//! What every component offers, as traits written once: [`Component`] (life cycle and last
//! error, every role) and [`Connections`] (operations by connection ID: servers and agents).
//!
//! They are implemented once over the component core, so code that drives components of any
//! role, receive model or transport — the C ABI, the `hps` tool, tests — takes `&dyn
//! Connections` or `impl Component` instead of building its own abstraction. Bring them into
//! scope with `use hpsocket::prelude::*;`.
//!
//! ```no_run
//! use hpsocket::prelude::*;
//! use hpsocket::{TcpPackServer, TcpServer};
//!
//! struct Quiet;
//! impl ServerListener for Quiet {}
//! impl ServerListener<TcpPackServer> for Quiet {}
//!
//! // One function for servers of any model (and agents): they are all `Connections`.
//! fn broadcast(c: &dyn Connections, data: &[u8]) {
//!     for id in c.all_connection_ids() {
//!         let _ = c.send(id, data);
//!     }
//! }
//!
//! let push = TcpServer::new(Quiet);
//! let pack = TcpPackServer::new(Quiet);
//! push.start("127.0.0.1", 0)?;
//! pack.start("127.0.0.1", 0)?;
//! broadcast(&push, b"hello");
//! broadcast(&pack, b"hello");
//! push.stop()?;
//! pack.stop()?;
//! # Ok::<(), hpsocket::Error>(())
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use crate::component::Core;
use crate::error::{Error, Result};
use crate::types::{ConnId, ServiceState, SocketError};

/// The life cycle every component shares (HP-Socket's `Stop`, `Wait`, `GetState`,
/// `HasStarted`, `IsSecure`, `GetLastError`, `GetLastErrorDesc`). Starting differs by role
/// (a server listens, a client connects), so `start` is each role's own method.
pub trait Component: Send + Sync {
    /// Stops the component: closes every connection gracefully (queued bytes are flushed
    /// first), fires `on_close` for each and then `on_shutdown` (not on clients), and ends its
    /// workers. From outside the component's callbacks this returns when all of that is done;
    /// inside a callback it starts the stop and returns at once (the rest completes after the
    /// callback returns; use [`wait`](Self::wait) elsewhere to know when).
    fn stop(&self) -> Result<()>;

    /// Blocks until the component is stopped or `timeout` passes (`None`: no limit); true when
    /// stopped. Do not call it inside a callback with `None`: a stop started there completes
    /// only after the callback returns.
    fn wait(&self, timeout: Option<Duration>) -> bool;

    /// Current life-cycle state.
    fn state(&self) -> ServiceState;

    /// True when starting or started.
    fn has_started(&self) -> bool {
        matches!(self.state(), ServiceState::Started | ServiceState::Starting)
    }

    /// Whether the component uses TLS (the [`Tls`](crate::Tls) transport).
    fn is_secure(&self) -> bool;

    /// Code of the last `start` / `stop` failure (`SocketError::Ok` if none).
    fn last_error(&self) -> SocketError;

    /// Description of the last `start` / `stop` failure.
    fn last_error_desc(&self) -> String;
}

/// Operations on connections by ID, shared by servers and agents of every model and
/// transport, and by [`UdpServer`](crate::UdpServer) (HP-Socket's `IComplexSocket`). Object
/// safe: `&dyn Connections` drives any of them.
pub trait Connections: Component {
    /// Sends `data` on connection `id`. Never blocks: bytes the socket does not take at once
    /// are queued (up to `max_pending_bytes`) and written in order by the worker. Callable
    /// from any thread, inside or outside callbacks. PACK components add the packet header;
    /// UDP sends one datagram.
    fn send(&self, id: ConnId, data: &[u8]) -> Result<()> {
        self.send_packets(id, &[data])
    }

    /// Sends `len` bytes of `data` starting at `offset` (HP-Socket's `SendPart`).
    fn send_part(&self, id: ConnId, data: &[u8], offset: usize, len: usize) -> Result<()> {
        self.send(id, part_of(data, offset, len)?)
    }

    /// Sends several buffers in order as one unit (a gathered write; one packet for PACK, one
    /// datagram for UDP).
    fn send_packets(&self, id: ConnId, bufs: &[&[u8]]) -> Result<()>;

    /// Closes connection `id`. Graceful (`force == false`): queued bytes are written first,
    /// within `close_flush_timeout`. Forced: queued bytes are dropped and the close event says
    /// so (`SocketOperation::Send`, `ECANCELED`) when there were any. `on_close` follows on
    /// the connection's worker.
    fn disconnect(&self, id: ConnId, force: bool) -> Result<()>;

    /// Disconnects every connection older than `period`.
    fn disconnect_long_connections(&self, period: Duration, force: bool) -> Result<()>;

    /// Disconnects every connection that received nothing for `period` (needs
    /// `mark_silence`).
    fn disconnect_silence_connections(&self, period: Duration, force: bool) -> Result<()>;

    /// Stops (`true`) or resumes (`false`) reading from connection `id`. While paused, data
    /// waits in the kernel and the peer is slowed by TCP flow control; nothing is lost. (UDP:
    /// not supported, as in HP-Socket.)
    fn pause_receive(&self, id: ConnId, pause: bool) -> Result<()>;

    /// Whether reading from connection `id` is paused.
    fn is_pause_receive(&self, id: ConnId) -> Result<bool>;

    /// Bytes accepted by `send` on connection `id` and not yet written.
    fn pending_data_length(&self, id: ConnId) -> Result<usize>;

    /// Whether connection `id` is open.
    fn is_connected(&self, id: ConnId) -> bool;

    /// Number of open connections.
    fn connection_count(&self) -> usize;

    /// IDs of every open connection, ascending.
    fn all_connection_ids(&self) -> Vec<ConnId>;

    /// Time since connection `id` was established.
    fn connect_period(&self, id: ConnId) -> Result<Duration>;

    /// Time since connection `id` last received data (needs `mark_silence`).
    fn silence_period(&self, id: ConnId) -> Result<Duration>;

    /// Local address of connection `id`.
    fn local_address(&self, id: ConnId) -> Result<SocketAddr>;

    /// Remote address of connection `id`.
    fn remote_address(&self, id: ConnId) -> Result<SocketAddr>;

    /// Attaches a user value to connection `id` (HP-Socket's connection extra, a
    /// pointer-sized value).
    fn set_connection_extra(&self, id: ConnId, extra: usize) -> Result<()>;

    /// The user value attached to connection `id` (0 when none was set).
    fn connection_extra(&self, id: ConnId) -> Result<usize>;

    /// Bytes the connections hold together against the component's `memory_budget` (queued
    /// sends, PACK partial packets, PULL buffers, unfinished TLS records). UDP holds
    /// nothing: 0.
    fn memory_held(&self) -> usize {
        0
    }
}

/// `data[offset..offset + len]`, or the error every `send_part` gives when that is past the end.
pub(crate) fn part_of(data: &[u8], offset: usize, len: usize) -> Result<&[u8]> {
    offset
        .checked_add(len)
        .and_then(|end| data.get(offset..end))
        .ok_or(Error::InvalidParam(
            "offset + len is past the end of the buffer",
        ))
}

/// A role as the shared implementations see it: its component core and its own stop.
pub(crate) trait Role: Send + Sync {
    fn core(&self) -> &Core;
    fn stop_role(&self) -> Result<()>;
}

/// Roles whose connections live in the component core's table (TCP servers and agents).
pub(crate) trait TableRole: Role {}

impl<R: Role> Component for R {
    fn stop(&self) -> Result<()> {
        self.stop_role()
    }

    fn wait(&self, timeout: Option<Duration>) -> bool {
        self.core().wait(timeout)
    }

    fn state(&self) -> ServiceState {
        self.core().state()
    }

    fn is_secure(&self) -> bool {
        self.core().secure()
    }

    fn last_error(&self) -> SocketError {
        self.core().last_error()
    }

    fn last_error_desc(&self) -> String {
        self.core().last_error_desc()
    }
}

impl<R: TableRole> Connections for R {
    fn send_packets(&self, id: ConnId, bufs: &[&[u8]]) -> Result<()> {
        self.core().send(id, bufs)
    }

    fn disconnect(&self, id: ConnId, force: bool) -> Result<()> {
        self.core().disconnect(id, force)
    }

    fn disconnect_long_connections(&self, period: Duration, force: bool) -> Result<()> {
        self.core().disconnect_long(period, force)
    }

    fn disconnect_silence_connections(&self, period: Duration, force: bool) -> Result<()> {
        self.core().disconnect_silence(period, force)
    }

    fn pause_receive(&self, id: ConnId, pause: bool) -> Result<()> {
        self.core().pause_receive(id, pause)
    }

    fn is_pause_receive(&self, id: ConnId) -> Result<bool> {
        self.core().is_paused(id)
    }

    fn pending_data_length(&self, id: ConnId) -> Result<usize> {
        self.core().pending(id)
    }

    fn is_connected(&self, id: ConnId) -> bool {
        self.core().table.get(id).is_some_and(|c| c.is_open())
    }

    fn connection_count(&self) -> usize {
        self.core().table.len()
    }

    fn all_connection_ids(&self) -> Vec<ConnId> {
        self.core().table.ids()
    }

    fn connect_period(&self, id: ConnId) -> Result<Duration> {
        self.core().connect_period(id)
    }

    fn silence_period(&self, id: ConnId) -> Result<Duration> {
        self.core().silence_period(id)
    }

    fn local_address(&self, id: ConnId) -> Result<SocketAddr> {
        self.core().with_conn(id, |c| c.local)
    }

    fn remote_address(&self, id: ConnId) -> Result<SocketAddr> {
        self.core().with_conn(id, |c| c.remote)
    }

    fn set_connection_extra(&self, id: ConnId, extra: usize) -> Result<()> {
        self.core().with_conn(id, |c| {
            c.extra.store(extra, std::sync::atomic::Ordering::Release)
        })
    }

    fn connection_extra(&self, id: ConnId) -> Result<usize> {
        self.core()
            .with_conn(id, |c| c.extra.load(std::sync::atomic::Ordering::Acquire))
    }

    fn memory_held(&self) -> usize {
        self.core().memory_held()
    }
}
