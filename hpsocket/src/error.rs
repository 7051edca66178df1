//! The error type of every fallible operation.

use std::fmt;
use std::io;

use crate::types::{ConnId, SocketError};

/// Why an operation failed.
///
/// Each error maps to HP-Socket's component code ([`Error::socket_error`]) and to the errno
/// value the original sets for the same failure ([`Error::errno`]), which is what the C ABI
/// reports through `GetLastError` / `SYS_GetLastError`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The component is not in a state that allows the call (for example `start` twice,
    /// `stop` when stopped, setting a property while started).
    IllegalState(&'static str),
    /// A parameter or property value is out of range.
    InvalidParam(&'static str),
    /// No connection has this ID (never existed, or already closed).
    ConnectionNotFound(ConnId),
    /// The connection is closing: it accepts no more data.
    ConnectionClosing(ConnId),
    /// The connection's queue of unsent bytes would exceed `max_pending_bytes`.
    SendQueueFull {
        /// The connection.
        id: ConnId,
        /// Bytes already queued.
        pending: usize,
        /// The configured bound.
        limit: usize,
    },
    /// The component's memory budget (`memory_budget`) is spent: what peers made it hold
    /// (queued sends, partial packets, PULL buffers, unfinished TLS records) would pass it.
    MemoryBudget {
        /// Bytes the component holds.
        held: usize,
        /// The budget.
        limit: usize,
    },
    /// A message is empty or larger than the allowed maximum.
    MessageSize {
        /// The size that was asked for.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// An address did not parse or resolve, or a socket could not be created.
    SocketCreate(io::Error),
    /// `bind` failed.
    SocketBind(io::Error),
    /// `on_prepare_listen` / `on_prepare_connect` returned `HandleResult::Error`.
    SocketPrepare,
    /// `listen` failed.
    SocketListen(io::Error),
    /// The event loop or a worker thread could not be created.
    WorkerThreadCreate(io::Error),
    /// A synchronous connect failed, or `on_connect` refused it.
    ConnectServer(io::Error),
    /// `max_connection_count` connections are already open.
    ConnectionLimit(u32),
    /// An I/O error on an established connection (the connection is being closed).
    Io(io::Error),
    /// The operation is not supported by this component.
    NotSupported(&'static str),
    /// A TLS component was started without a TLS context (`setup_ssl_context` /
    /// `set_tls_config` first).
    TlsNotReady,
    /// A TLS context could not be built from the given certificates, keys or CA.
    TlsConfig(crate::tls::TlsConfigError),
}

impl Error {
    /// HP-Socket's component-level code for this error.
    pub fn socket_error(&self) -> SocketError {
        match self {
            Error::IllegalState(_) => SocketError::IllegalState,
            Error::InvalidParam(_) | Error::MessageSize { .. } => SocketError::InvalidParam,
            Error::SocketCreate(_) => SocketError::SocketCreate,
            Error::SocketBind(_) => SocketError::SocketBind,
            Error::SocketPrepare => SocketError::SocketPrepare,
            Error::SocketListen(_) => SocketError::SocketListen,
            Error::WorkerThreadCreate(_) => SocketError::WorkerThreadCreate,
            Error::ConnectServer(_) | Error::ConnectionLimit(_) => SocketError::ConnectServer,
            Error::ConnectionNotFound(_)
            | Error::ConnectionClosing(_)
            | Error::SendQueueFull { .. }
            | Error::MemoryBudget { .. }
            | Error::Io(_) => SocketError::DataSend,
            Error::NotSupported(_) => SocketError::IllegalState,
            Error::TlsNotReady | Error::TlsConfig(_) => SocketError::SslEnvNotReady,
        }
    }

    /// The errno value HP-Socket sets for this failure (`SYS_GetLastError`).
    pub fn errno(&self) -> i32 {
        match self {
            Error::IllegalState(_) => libc::EPERM,
            Error::InvalidParam(_) => libc::EINVAL,
            Error::ConnectionNotFound(_) | Error::ConnectionClosing(_) => libc::EBADSLT,
            Error::SendQueueFull { .. } | Error::MemoryBudget { .. } => libc::ENOBUFS,
            Error::MessageSize { .. } => libc::EMSGSIZE,
            Error::SocketPrepare => libc::ECANCELED,
            Error::ConnectionLimit(_) => libc::ENOSR,
            Error::NotSupported(_) => libc::EPERM,
            Error::TlsNotReady => libc::EPERM,
            Error::TlsConfig(crate::tls::TlsConfigError::Io(e)) => io_errno(e),
            Error::TlsConfig(_) => libc::EINVAL,
            Error::SocketCreate(e)
            | Error::SocketBind(e)
            | Error::SocketListen(e)
            | Error::WorkerThreadCreate(e)
            | Error::ConnectServer(e)
            | Error::Io(e) => io_errno(e),
        }
    }
}

/// An I/O error's errno; errors made by the library itself (an address that is not an IP
/// address, a timeout) carry a kind instead of an OS code.
fn io_errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(match e.kind() {
        io::ErrorKind::InvalidInput => libc::EINVAL,
        io::ErrorKind::TimedOut => libc::ETIMEDOUT,
        io::ErrorKind::AddrNotAvailable => libc::EADDRNOTAVAIL,
        _ => libc::EIO,
    })
}

impl From<crate::tls::TlsConfigError> for Error {
    fn from(e: crate::tls::TlsConfigError) -> Self {
        Error::TlsConfig(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::IllegalState(what) => write!(f, "illegal state: {what}"),
            Error::InvalidParam(what) => write!(f, "invalid parameter: {what}"),
            Error::ConnectionNotFound(id) => write!(f, "no connection with ID {id}"),
            Error::ConnectionClosing(id) => write!(f, "connection {id} is closing"),
            Error::SendQueueFull { id, pending, limit } => write!(
                f,
                "connection {id}: send queue full ({pending} bytes pending, limit {limit})"
            ),
            Error::MemoryBudget { held, limit } => {
                write!(f, "memory budget spent ({held} bytes held, budget {limit})")
            }
            Error::MessageSize { size, max } => {
                write!(f, "message size {size} is not in 1..={max}")
            }
            Error::SocketCreate(e) => write!(f, "cannot create socket: {e}"),
            Error::SocketBind(e) => write!(f, "cannot bind socket: {e}"),
            Error::SocketPrepare => write!(f, "the prepare callback refused the socket"),
            Error::SocketListen(e) => write!(f, "cannot listen: {e}"),
            Error::WorkerThreadCreate(e) => write!(f, "cannot start worker thread: {e}"),
            Error::ConnectServer(e) => write!(f, "cannot connect to server: {e}"),
            Error::ConnectionLimit(n) => write!(f, "connection limit reached ({n} connections)"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::NotSupported(what) => write!(f, "not supported: {what}"),
            Error::TlsNotReady => write!(f, "TLS context not set up (call setup_ssl_context)"),
            Error::TlsConfig(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::SocketCreate(e)
            | Error::SocketBind(e)
            | Error::SocketListen(e)
            | Error::WorkerThreadCreate(e)
            | Error::ConnectServer(e)
            | Error::Io(e) => Some(e),
            Error::TlsConfig(e) => Some(e),
            _ => None,
        }
    }
}

/// Shorthand for `std::result::Result<T, hpsocket::Error>`.
pub type Result<T> = std::result::Result<T, Error>;
