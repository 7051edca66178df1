//! Plain value types shared by every component: connection IDs and HP-Socket's enums.

use std::fmt;
use std::num::NonZeroUsize;

/// Names one connection of one component, for the component's whole lifetime.
///
/// IDs are non-zero and drawn from a per-component 64-bit counter (clients draw from a
/// process-wide one, as in HP-Socket), so an ID is never reused: a stale ID held after its
/// connection closed fails with [`Error::ConnectionNotFound`](crate::Error::ConnectionNotFound)
/// instead of reaching a newer connection.
///
/// ```
/// use hpsocket::ConnId;
/// let id = ConnId::new(7).unwrap();
/// assert_eq!(id.get(), 7);
/// assert!(ConnId::new(0).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(NonZeroUsize);

impl ConnId {
    /// Wraps a raw ID; `None` for 0, which never names a connection.
    pub fn new(raw: usize) -> Option<Self> {
        NonZeroUsize::new(raw).map(ConnId)
    }

    /// The raw value, as HP-Socket's `HP_CONNID`.
    pub fn get(self) -> usize {
        self.0.get()
    }
}

impl fmt::Debug for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnId({})", self.0)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// What a callback tells the framework to do next (`En_HP_HandleResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(i32)]
pub enum HandleResult {
    /// Continue normally.
    #[default]
    Ok = 0,
    /// Skip the default action where the event has one; otherwise the same as `Ok`.
    Ignore = 1,
    /// Refuse (accept / connect / prepare) or close the connection the event is about.
    Error = 2,
}

/// The operation during which a connection closed (`En_HP_SocketOperation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum SocketOperation {
    /// Not known.
    Unknown = 0,
    /// Accepting a connection.
    Accept = 1,
    /// Connecting to a server (async connect failed, timed out or was refused by `on_connect`).
    Connect = 2,
    /// Writing data.
    Send = 3,
    /// Reading or processing received data (including `HandleResult::Error` from `on_receive`).
    Receive = 4,
    /// An orderly close: peer EOF or reset, `disconnect`, `stop`.
    Close = 5,
    /// The TLS handshake failed or timed out (ours: HP-Socket has no such value and reports
    /// these as `Receive`, which is what the C ABI passes on).
    Handshake = 6,
}

/// Life-cycle state of a component (`En_HP_ServiceState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ServiceState {
    /// `start` is running.
    Starting = 0,
    /// Started and serving.
    Started = 1,
    /// `stop` is running: connections are closing.
    Stopping = 2,
    /// Not started, or fully stopped.
    Stopped = 3,
}

/// Component-level error codes (`En_HP_SocketError`), reported by `last_error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum SocketError {
    /// No error.
    Ok = 0,
    /// The call is not allowed in the component's current state.
    IllegalState = 1,
    /// A parameter or property is out of range.
    InvalidParam = 2,
    /// A socket could not be created, or an address did not parse.
    SocketCreate = 3,
    /// `bind` failed.
    SocketBind = 4,
    /// `on_prepare_listen` / `on_prepare_connect` refused.
    SocketPrepare = 5,
    /// `listen` failed.
    SocketListen = 6,
    /// The event loop could not be created.
    CpCreate = 7,
    /// A worker thread could not be started.
    WorkerThreadCreate = 8,
    /// A detector thread could not be started (unused: timers live in the workers).
    DetectThreadCreate = 9,
    /// A socket could not be registered with the event loop.
    SocketAttachToCp = 10,
    /// Connecting to the server failed.
    ConnectServer = 11,
    /// A network error.
    Network = 12,
    /// Processing data failed.
    DataProc = 13,
    /// Sending data failed.
    DataSend = 14,
    /// TLS is not configured.
    SslEnvNotReady = 101,
}

impl SocketError {
    /// HP-Socket's English description of the code (`HP_GetSocketErrorDesc`).
    pub fn description(self) -> &'static str {
        match self {
            SocketError::Ok => "SUCCESS",
            SocketError::IllegalState => "Illegal State",
            SocketError::InvalidParam => "Invalid Parameter",
            SocketError::SocketCreate => "Create SOCKET Fail",
            SocketError::SocketBind => "Bind SOCKET Fail",
            SocketError::SocketPrepare => "Prepare SOCKET Fail",
            SocketError::SocketListen => "Listen SOCKET Fail",
            SocketError::CpCreate => "Create IOCP Fail",
            SocketError::WorkerThreadCreate => "Create Worker Thread Fail",
            SocketError::DetectThreadCreate => "Create Detector Thread Fail",
            SocketError::SocketAttachToCp => "Attach SOCKET to IOCP Fail",
            SocketError::ConnectServer => "Connect to Server Fail",
            SocketError::Network => "Network Error",
            SocketError::DataProc => "Process Data Error",
            SocketError::DataSend => "Send Data Fail",
            SocketError::SslEnvNotReady => "SSL environment not ready",
        }
    }
}

/// HP-Socket's send policy (`En_HP_SendPolicy`).
///
/// Kept for compatibility: HP-Socket documents it as having no effect on Linux, and here too
/// every policy behaves the same way (direct write when the queue is empty, ordered queue
/// otherwise, drained with vectored writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(i32)]
pub enum SendPolicy {
    /// Pack small sends together (the default).
    #[default]
    Pack = 0,
    /// Safe mode.
    Safe = 1,
    /// Direct mode.
    Direct = 2,
}

/// When `on_send` is fired relative to other events (`En_HP_OnSendSyncPolicy`, HP-Socket 5.8).
///
/// Kept for compatibility: HP-Socket documents it as having no effect on Linux. Here `on_send`
/// always fires on the connection's worker, in write order, between its other callbacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(i32)]
pub enum OnSendSyncPolicy {
    /// No synchronization (the default).
    #[default]
    None = 0,
    /// Synchronized with `on_close`.
    Close = 1,
    /// Synchronized with `on_receive`.
    Receive = 2,
}

/// Address-reuse policy for bound sockets (`En_HP_ReuseAddressPolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(i32)]
pub enum ReuseAddressPolicy {
    /// Neither `SO_REUSEADDR` nor `SO_REUSEPORT`.
    None = 0,
    /// `SO_REUSEADDR` only (the default).
    #[default]
    AddrOnly = 1,
    /// `SO_REUSEADDR` and `SO_REUSEPORT`: several listeners may share a port (kernel load
    /// balancing across processes or components).
    AddrAndPort = 2,
}

/// How a [`UdpCast`](crate::UdpCast) reaches its peers (`En_HP_CastMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(i32)]
pub enum CastMode {
    /// Join the multicast group given as the cast address and send to it (the default).
    #[default]
    Multicast = 0,
    /// Send to the broadcast address (`255.255.255.255` when none is given) and receive
    /// broadcasts on the port.
    Broadcast = 1,
}

/// Result of a PULL `fetch` / `peek` (`En_HP_FetchResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum FetchResult {
    /// The buffer was filled.
    Ok = 0,
    /// Fewer bytes are buffered than asked for; nothing was consumed.
    LengthTooLong = 1,
    /// No such connection (unknown ID or already closed).
    DataNotFound = 2,
}
