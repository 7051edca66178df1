//! Tunable properties with HP-Socket's names, defaults and ranges.
//!
//! Every property has a getter named after it and a `set_` setter on each component that has
//! it. Setters fail with [`Error::IllegalState`] while the component is not stopped and with
//! [`Error::InvalidParam`] when the value is out of range, so a bad value is caught where it is
//! set instead of at `start` as in HP-Socket.
//!
//! How HP-Socket's object-pool properties map onto this design: connections are named by IDs
//! that are never reused, so a freed connection object can never be reached through a stale ID
//! and needs no lock time; per-connection memory is allocated at accept and freed at close, and
//! send-queue chunks are recycled inside each connection. The pool and hold properties are
//! therefore accepted, range-checked and reported truthfully, but have no effect.

use crate::error::{Error, Result};
use crate::types::{OnSendSyncPolicy, ReuseAddressPolicy, SendPolicy};

/// The full set of properties of a TCP component. Components expose the subset that applies to
/// their role through getters and setters; this struct is the snapshot taken at `start`.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub worker_thread_count: u32,
    pub max_connection_count: u32,
    pub socket_listen_queue: u32,
    pub accept_socket_count: u32,
    pub socket_buffer_size: u32,
    pub keep_alive_time: u32,
    pub keep_alive_interval: u32,
    pub no_delay: bool,
    pub reuse_address_policy: ReuseAddressPolicy,
    pub send_policy: SendPolicy,
    pub on_send_sync_policy: OnSendSyncPolicy,
    pub free_socket_obj_lock_time: u32,
    pub free_socket_obj_pool: u32,
    pub free_socket_obj_hold: u32,
    pub free_buffer_obj_pool: u32,
    pub free_buffer_obj_hold: u32,
    pub free_buffer_pool_size: u32,
    pub free_buffer_pool_hold: u32,
    pub mark_silence: bool,
    pub max_pending_bytes: usize,
    pub memory_budget: usize,
    pub connect_timeout: u32,
    pub close_flush_timeout: u32,
    pub max_pack_size: u32,
    pub pack_header_flag: u16,
    pub pull_buffer_limit: usize,
    pub handshake_timeout: u32,
    pub first_read_timeout: u32,
    pub max_connections_per_address: u32,
    pub idle_timeout: u32,
    pub max_datagram_size: u32,
    pub detect_attempts: u32,
    pub detect_interval: u32,
    pub cast_mode: crate::types::CastMode,
    pub multicast_ttl: u32,
    pub multicast_loop: bool,
    pub http_max_head_size: u32,
    pub http_max_headers: u32,
    pub http_max_body_size: u64,
    pub http_head_timeout: u32,
    pub http_release_delay: u32,
    pub http_local_version: crate::cores::http::HttpVersion,
    pub http_use_cookie: bool,
    pub http_auto_start: bool,
    /// `Ws` model (see `roles/ws.rs`).
    pub ws_protocols: Vec<String>,
    pub ws_path: String,
    pub ws_deflate: bool,
    pub ws_max_message_size: usize,
    pub ws_fragment_size: u32,
    pub ws_ping_interval: u32,
}

/// Default worker thread count: one per available CPU (an epoll worker never blocks, so more
/// threads than cores only add context switches; HP-Socket's 2×CPU+2 comes from a design whose
/// workers can block).
pub(crate) fn default_workers() -> u32 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1)
        .clamp(1, 512)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            worker_thread_count: default_workers(),
            max_connection_count: 10_000,
            socket_listen_queue: libc::SOMAXCONN as u32,
            accept_socket_count: 64,
            socket_buffer_size: 4096,
            keep_alive_time: 60_000,
            keep_alive_interval: 20_000,
            no_delay: false,
            reuse_address_policy: ReuseAddressPolicy::AddrOnly,
            send_policy: SendPolicy::Pack,
            on_send_sync_policy: OnSendSyncPolicy::None,
            free_socket_obj_lock_time: 20_000,
            free_socket_obj_pool: 600,
            free_socket_obj_hold: 600,
            free_buffer_obj_pool: 1024,
            free_buffer_obj_hold: 1024,
            free_buffer_pool_size: 60,
            free_buffer_pool_hold: 60,
            mark_silence: true,
            max_pending_bytes: 16 * 1024 * 1024,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            connect_timeout: 10_000,
            close_flush_timeout: 10_000,
            max_pack_size: crate::cores::pack::DEFAULT_MAX_PACK_SIZE,
            pack_header_flag: 0,
            pull_buffer_limit: 4 * 1024 * 1024,
            handshake_timeout: 10_000,
            // Servers turn it on (see `DEFAULT_FIRST_READ_TIMEOUT`); outgoing roles wait for
            // servers that speak when they please.
            first_read_timeout: 0,
            max_connections_per_address: 0,
            idle_timeout: 0,
            max_datagram_size: 1432,
            detect_attempts: 3,
            detect_interval: 60_000,
            cast_mode: crate::types::CastMode::Multicast,
            multicast_ttl: 1,
            multicast_loop: false,
            http_max_head_size: crate::cores::http::DEFAULT_MAX_HEAD_SIZE as u32,
            http_max_headers: crate::cores::http::DEFAULT_MAX_HEADERS as u32,
            http_max_body_size: crate::cores::http::DEFAULT_MAX_BODY_SIZE,
            http_head_timeout: DEFAULT_HTTP_HEAD_TIMEOUT,
            http_release_delay: DEFAULT_HTTP_RELEASE_DELAY,
            http_local_version: crate::cores::http::HttpVersion::V1_1,
            http_use_cookie: true,
            http_auto_start: true,
            ws_protocols: Vec::new(),
            ws_path: "/".to_string(),
            ws_deflate: false,
            ws_max_message_size: crate::cores::ws::DEFAULT_MAX_MESSAGE_SIZE,
            ws_fragment_size: 0,
            ws_ping_interval: DEFAULT_WS_PING_INTERVAL,
        }
    }
}

/// Default `ws_ping_interval` of the WebSocket components: 30 s (a peer silent that long is
/// pinged; silent for twice as long, closed). Shorter than the idle timeouts of common
/// proxies and NATs (60 s and more), so the pings also keep those paths open.
pub const DEFAULT_WS_PING_INTERVAL: u32 = 30_000;

/// Default `http_head_timeout` of the HTTP components: 30 s from a message head's first byte
/// to its end (ours; a head trickled byte by byte — slowloris — otherwise holds a connection
/// for as long as the idle limit allows).
pub const DEFAULT_HTTP_HEAD_TIMEOUT: u32 = 30_000;

/// Default `http_release_delay` of the HTTP components: 3 s (HP-Socket's
/// `DEFAULT_HTTP_RELEASE_DELAY`).
pub const DEFAULT_HTTP_RELEASE_DELAY: u32 = 3_000;

/// Default [`memory_budget`](crate::Server::memory_budget) of a component: 1 GiB.
pub const DEFAULT_MEMORY_BUDGET: usize = 1 << 30;

/// Servers' default [`first_read_timeout`](crate::Server::first_read_timeout): 60 s.
pub const DEFAULT_FIRST_READ_TIMEOUT: u32 = 60_000;

pub(crate) fn check(ok: bool, what: &'static str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParam(what))
    }
}

/// Generates documented getter / setter pairs over `self.core().config`.
macro_rules! properties {
    ($( $(#[$doc:meta])* $field:ident, $setter:ident : $ty:ty, |$v:ident| $valid:expr, $msg:literal; )*) => {
        $(
            $(#[$doc])*
            pub fn $field(&self) -> $ty {
                self.core().config.read().$field
            }

            $(#[$doc])*
            ///
            /// Fails with `IllegalState` unless the component is stopped, and with
            /// `InvalidParam` when the value is out of range.
            pub fn $setter(&self, value: $ty) -> $crate::error::Result<()> {
                let $v = value;
                $crate::config::check($valid, $msg)?;
                self.core().set_config(|c| c.$field = value)
            }
        )*
    };
}

/// Properties shared by every TCP role.
macro_rules! common_properties {
    () => {
        $crate::config::properties! {
            /// Bytes read from the socket at most per read, so the largest chunk one PUSH
            /// `on_receive` sees (`SocketBufferSize`, default 4096, 8 ..= 16 MiB).
            socket_buffer_size, set_socket_buffer_size: u32, |v| (8..=16 << 20).contains(&v), "socket_buffer_size must be 8 ..= 16777216";
            /// TCP keep-alive idle time in ms (`KeepAliveTime`, default 60000; 0 turns
            /// keep-alive off, otherwise >= 1000).
            keep_alive_time, set_keep_alive_time: u32, |v| v == 0 || v >= 1000, "keep_alive_time must be 0 or >= 1000";
            /// TCP keep-alive probe interval in ms (`KeepAliveInterval`, default 20000; 0 or
            /// >= 1000). Keep-alive is on only when both time and interval are non-zero.
            keep_alive_interval, set_keep_alive_interval: u32, |v| v == 0 || v >= 1000, "keep_alive_interval must be 0 or >= 1000";
            /// `TCP_NODELAY` on every connection (`NoDelay`, default false).
            no_delay, set_no_delay: bool, |_v| true, "";
            /// `SO_REUSEADDR` / `SO_REUSEPORT` on bound sockets (`ReuseAddressPolicy`, default
            /// `AddrOnly`).
            reuse_address_policy, set_reuse_address_policy: $crate::types::ReuseAddressPolicy, |_v| true, "";
            /// Record the time of each receive (`MarkSilence`, default true); required by
            /// `silence_period` and `disconnect_silence_connections`.
            mark_silence, set_mark_silence: bool, |_v| true, "";
            /// Upper bound of one connection's queued, not yet written bytes (ours; default
            /// 16 MiB, >= 1). A `send` that would pass it fails with `SendQueueFull` and
            /// queues nothing, so a peer that stops reading cannot grow memory without limit.
            max_pending_bytes, set_max_pending_bytes: usize, |v| v >= 1, "max_pending_bytes must be >= 1";
            /// Closes a connection that has received nothing this many ms after it opened
            /// (after the TLS handshake for TLS), with `SocketOperation::Receive` /
            /// `ETIMEDOUT` (ours; 0 turns it off). Default 0 on agents and clients and
            /// [`DEFAULT_FIRST_READ_TIMEOUT`](crate::config::DEFAULT_FIRST_READ_TIMEOUT) on
            /// servers, so connections that are opened and never used cannot hold the
            /// server's slots. Turn it off for protocols whose clients only listen.
            first_read_timeout, set_first_read_timeout: u32, |_v| true, "";
            /// Closes a connection that has received nothing for this many ms, with
            /// `SocketOperation::Receive` / `ETIMEDOUT` (ours: HP-Socket's silence detection,
            /// done by the framework instead of by `disconnect_silence_connections` calls;
            /// default 0, off).
            idle_timeout, set_idle_timeout: u32, |_v| true, "";
            /// Bytes the component's connections may hold together (ours; default
            /// [`DEFAULT_MEMORY_BUDGET`](crate::config::DEFAULT_MEMORY_BUDGET), 1 GiB;
            /// >= 1 MiB): queued sends with their `on_send` copies, PACK partial packets, PULL
            /// buffers and the unfinished TLS record of each TLS connection. Past ¾ of it, connections that hold received bytes stop reading
            /// until the total falls (TCP's window slows their peers); past it, a `send` fails
            /// with `Error::MemoryBudget` and a connection whose received holdings grow is
            /// closed with (`Receive`, `ENOBUFS`). One connection pays, never the process.
            memory_budget, set_memory_budget: usize, |v| v >= 1 << 20, "memory_budget must be >= 1048576";
            /// Timeout in ms of a graceful close: when queued data cannot be flushed within it
            /// the connection is closed anyway with `SocketOperation::Send` / `ETIMEDOUT`
            /// (ours; default 10000, >= 1).
            close_flush_timeout, set_close_flush_timeout: u32, |v| v >= 1, "close_flush_timeout must be >= 1";
            /// Send policy (`SendPolicy`, default `Pack`); accepted for compatibility, every
            /// policy behaves the same (see [`SendPolicy`](crate::SendPolicy)).
            send_policy, set_send_policy: $crate::types::SendPolicy, |_v| true, "";
            /// `on_send` synchronization policy (`OnSendSyncPolicy`, default `None`); accepted
            /// for compatibility (see [`OnSendSyncPolicy`](crate::OnSendSyncPolicy)).
            on_send_sync_policy, set_on_send_sync_policy: $crate::types::OnSendSyncPolicy, |_v| true, "";
        }
    };
}

/// Properties of the components that own worker threads and many connections (Server, Agent).
macro_rules! multi_properties {
    () => {
        $crate::config::properties! {
            /// Worker threads, each running one event loop (`WorkerThreadCount`, default = the
            /// number of available CPUs, 1 ..= 512).
            worker_thread_count, set_worker_thread_count: u32, |v| (1..=512).contains(&v), "worker_thread_count must be 1 ..= 512";
            /// Connections allowed at once (`MaxConnectionCount`, default 10000,
            /// 1 ..= 5000000). Past it a server closes new connections without events and an
            /// agent's `connect` fails.
            max_connection_count, set_max_connection_count: u32, |v| (1..=5_000_000).contains(&v), "max_connection_count must be 1 ..= 5000000";
            /// How long a freed connection object stays unusable, in ms
            /// (`FreeSocketObjLockTime`, default 20000, >= 1000). No effect: IDs are never
            /// reused (see the module docs).
            free_socket_obj_lock_time, set_free_socket_obj_lock_time: u32, |v| v >= 1000, "free_socket_obj_lock_time must be >= 1000";
            /// Size of the free connection-object pool (`FreeSocketObjPool`, default 600). No
            /// effect (see the module docs).
            free_socket_obj_pool, set_free_socket_obj_pool: u32, |_v| true, "";
            /// Free connection-object hold threshold (`FreeSocketObjHold`, default 600). No
            /// effect.
            free_socket_obj_hold, set_free_socket_obj_hold: u32, |_v| true, "";
            /// Size of the free buffer-object pool (`FreeBufferObjPool`, default 1024). No
            /// effect.
            free_buffer_obj_pool, set_free_buffer_obj_pool: u32, |_v| true, "";
            /// Free buffer-object hold threshold (`FreeBufferObjHold`, default 1024). No
            /// effect.
            free_buffer_obj_hold, set_free_buffer_obj_hold: u32, |_v| true, "";
        }
    };
}

/// Properties of the components that connect out (Agent, Client).
macro_rules! connect_properties {
    () => {
        $crate::config::properties! {
            /// Connect timeout in ms for both synchronous and asynchronous connects (HP-Socket's
            /// sync-connect timeout, default 10000, >= 1). An async connect that times out closes
            /// with `SocketOperation::Connect` / `ETIMEDOUT`.
            connect_timeout, set_connect_timeout: u32, |v| v >= 1, "connect_timeout must be >= 1";
        }
    };
}

/// Properties of PACK components.
macro_rules! pack_properties {
    () => {
        $crate::config::properties! {
            /// Largest packet body accepted or sent (`MaxPackSize`, default 262144,
            /// 1 ..= 4194303).
            max_pack_size, set_max_pack_size: u32, |v| (1..=$crate::cores::pack::MAX_PACK_SIZE_LIMIT).contains(&v), "max_pack_size must be 1 ..= 4194303";
            /// Header flag written on every packet and required on every received one
            /// (`PackHeaderFlag`, default 0 = not checked, 0 ..= 1023).
            pack_header_flag, set_pack_header_flag: u16, |v| v <= $crate::cores::pack::MAX_PACK_HEADER_FLAG, "pack_header_flag must be 0 ..= 1023";
        }
    };
}

/// Properties of PULL components.
macro_rules! pull_properties {
    () => {
        $crate::config::properties! {
            /// Bytes a connection may hold unfetched (ours; default 4 MiB, >= 1). At the limit
            /// the connection is not read until `fetch` brings it below: the peer is slowed by
            /// TCP flow control, nothing is dropped.
            pull_buffer_limit, set_pull_buffer_limit: usize, |v| v >= 1, "pull_buffer_limit must be >= 1";
        }
    };
}

/// Properties of TLS components.
macro_rules! tls_properties {
    () => {
        $crate::config::properties! {
            /// Time in ms a connection may take to complete its TLS handshake, counted from
            /// accept / connect (ours; default 10000, >= 1). Past it the connection closes with
            /// `SocketOperation::Handshake` / `ETIMEDOUT`, so a peer that stalls mid-handshake
            /// cannot hold a connection slot.
            handshake_timeout, set_handshake_timeout: u32, |v| v >= 1, "handshake_timeout must be >= 1";
        }
    };
}

/// Properties of UDP components.
macro_rules! udp_properties {
    () => {
        $crate::config::properties! {
            /// Largest datagram sent or accepted (`MaxDatagramSize`, default 1432, 1 ..= 65507).
            /// A larger datagram from a peer closes it with `SocketOperation::Receive` /
            /// `EMSGSIZE`; a larger send fails with `MessageSize`.
            max_datagram_size, set_max_datagram_size: u32, |v| (1..=65_507).contains(&v), "max_datagram_size must be 1 ..= 65507";
            /// Silent detect ticks before a peer is closed (`DetectAttempts`, default 3; 0 turns
            /// detection off).
            detect_attempts, set_detect_attempts: u32, |_v| true, "";
            /// Detect tick interval in ms (`DetectInterval`, default 60000; 0 turns detection
            /// off, otherwise >= 100).
            detect_interval, set_detect_interval: u32, |v| v == 0 || v >= 100, "detect_interval must be 0 or >= 100";
        }
    };
}

pub(crate) use {
    common_properties, connect_properties, multi_properties, pack_properties, properties,
    pull_properties, tls_properties, udp_properties,
};
