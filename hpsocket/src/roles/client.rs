//! The client role: one outgoing connection, run on the process-wide shared workers.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::component::{
    guard, must_not_block, open_connection, parse_ip, tls_client_ops, ConnectSpec, Core, IdSource,
    Lifecycle,
};
use crate::config::{
    common_properties, connect_properties, pack_properties, properties, pull_properties,
};
use crate::error::{Error, Result};
use crate::listener::ClientListener;
use crate::model::{Model, Pack, Plain, Pull, Push, Tls, Transport};
use crate::reactor::Pool;
use crate::reactor::{Conn, Handler};
use crate::roles::api::{Component, Role};
use crate::session::Event;
use crate::types::{ConnId, FetchResult, HandleResult, ServiceState};

/// A TCP client: one connection to one server. `M` is the receive model.
///
/// Clients own no threads: every client in the process runs on one shared pool of workers
/// (one per CPU), so thousands of clients cost thousands of sockets, not thousands of
/// threads. When the connection closes the client returns to `Stopped` and can be started
/// again.
///
/// ```no_run
/// use hpsocket::prelude::*;
/// use hpsocket::{ClientListener, ConnId, HandleResult, TcpClient};
///
/// struct Print;
/// impl ClientListener for Print {
///     fn on_receive(&self, _c: &TcpClient, _id: ConnId, data: &[u8]) -> HandleResult {
///         println!("{}", String::from_utf8_lossy(data));
///         HandleResult::Ok
///     }
/// }
///
/// let client = TcpClient::new(Print);
/// client.start("127.0.0.1", 5555, false)?; // synchronous connect
/// client.send(b"hello")?;
/// client.stop()?;
/// # Ok::<(), hpsocket::Error>(())
/// ```
pub struct Client<M: Model = Push, T: Transport = Plain> {
    inner: Arc<Inner<M, T>>,
}

/// HP-Socket's PUSH client.
pub type TcpClient = Client<Push>;
/// HP-Socket's PULL client.
pub type TcpPullClient = Client<Pull>;
/// HP-Socket's PACK client.
pub type TcpPackClient = Client<Pack>;
/// HP-Socket's SSL PUSH client.
pub type SslClient = Client<Push, Tls>;
/// HP-Socket's SSL PULL client.
pub type SslPullClient = Client<Pull, Tls>;
/// HP-Socket's SSL PACK client.
pub type SslPackClient = Client<Pack, Tls>;

struct Inner<M: Model, T: Transport> {
    core: Core,
    listener: Box<dyn ClientListener<Client<M, T>>>,
    id: AtomicUsize,
    extra: AtomicUsize,
    remote_host: Mutex<Option<(String, u16)>>,
    _model: PhantomData<(M, T)>,
}

impl<M: Model, T: Transport> Clone for Client<M, T> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

impl<M: Model, T: Transport> Client<M, T> {
    /// Creates a stopped client that reports to `listener`.
    pub fn new(listener: impl ClientListener<Client<M, T>>) -> Self {
        let mut core = Core::new(IdSource::Global, false, M::KIND, T::SECURE);
        core.config.get_mut().max_connection_count = 1;
        // The connection is the client's whole run: the run ends with it.
        core.lifecycle = Lifecycle::new(true);
        Client {
            inner: Arc::new(Inner {
                core,
                listener: Box::new(listener),
                id: AtomicUsize::new(0),
                extra: AtomicUsize::new(0),
                remote_host: Mutex::new(None),
                _model: PhantomData,
            }),
        }
    }

    /// Connects to `host:port`. With `async_connect` (HP-Socket's default) it returns once the
    /// connect is under way, in state `Starting`; `on_connect` (state `Started`) or `on_close`
    /// with `SocketOperation::Connect` follows. Otherwise it blocks up to `connect_timeout`
    /// and a failure is returned as `ConnectServer`, without events.
    pub fn start(&self, host: &str, port: u16, async_connect: bool) -> Result<()> {
        self.start_with_bind(host, port, async_connect, None, 0)
    }

    /// [`start`](Self::start) from a given local address and port.
    pub fn start_with_bind(
        &self,
        host: &str,
        port: u16,
        async_connect: bool,
        bind_address: Option<&str>,
        local_port: u16,
    ) -> Result<()> {
        let (cfg, ticket) = self.core().begin_run()?;
        let r = (|| {
            let pool = Pool::shared().map_err(Error::WorkerThreadCreate)?;
            self.core()
                .activate(ticket.run(), pool, Arc::new(self.clone()));
            let bind = match (bind_address.filter(|a| !a.trim().is_empty()), local_port) {
                (Some(a), p) => Some(SocketAddr::new(parse_ip(Some(a))?, p)),
                (None, 0) => None,
                (None, p) => Some(SocketAddr::new([0, 0, 0, 0].into(), p)),
            };
            let id = self.core().next_id();
            self.inner.id.store(id.get(), Ordering::Release);
            *self.inner.remote_host.lock() = Some((host.to_string(), port));
            let l = &self.inner.listener;
            let spec = ConnectSpec {
                host,
                port,
                bind,
                async_connect,
                extra: 0,
                notes: l.wants_send_events(),
            };
            open_connection(self.core(), &cfg, id, spec, Some(&ticket), |sock| {
                guard(HandleResult::Error, || l.on_prepare_connect(self, id, sock))
            })?;
            Ok(())
        })();
        match r {
            // Started comes with on_connect (a synchronous connect fired it already); the
            // ticket goes back, and if the connection closed meanwhile the run ends here.
            Ok(()) => {
                let run = ticket.run();
                if ticket.finish() {
                    self.core().release_run(run);
                }
                Ok(())
            }
            Err(e) => Err(self.core().start_failed(ticket, e)),
        }
    }

    /// See [`Component::stop`]. Waits (outside callbacks) until the run is over: its
    /// connection closed and a start still under way (a synchronous connect blocked on a slow
    /// server) gave up, so a later `start` never meets anything of this run.
    fn stop_role_impl(&self) -> Result<()> {
        let core = self.core();
        let run = core.begin_stop(true)?;
        if !must_not_block() {
            core.lifecycle.wait_run_over(run);
        }
        Ok(())
    }

    pub(crate) fn id(&self) -> Result<ConnId> {
        ConnId::new(self.inner.id.load(Ordering::Acquire))
            .ok_or(Error::IllegalState("client is not started"))
    }

    /// The current connection's ID (`None` before the first start). IDs come from a
    /// process-wide counter, and every start takes a new one.
    pub fn connection_id(&self) -> Option<ConnId> {
        self.id().ok()
    }

    /// Sends `data`; see [`Connections::send`](crate::Connections::send).
    pub fn send(&self, data: &[u8]) -> Result<()> {
        self.core().send(self.id()?, &[data])
    }

    /// Sends `len` bytes of `data` from `offset`.
    pub fn send_part(&self, data: &[u8], offset: usize, len: usize) -> Result<()> {
        let part = crate::roles::api::part_of(data, offset, len)?;
        self.core().send(self.id()?, &[part])
    }

    /// Sends several buffers in order as one unit.
    pub fn send_packets(&self, bufs: &[&[u8]]) -> Result<()> {
        self.core().send(self.id()?, bufs)
    }

    /// Pauses (`true`) or resumes reading; nothing is lost.
    pub fn pause_receive(&self, pause: bool) -> Result<()> {
        self.core().pause_receive(self.id()?, pause)
    }

    /// Whether reading is paused.
    pub fn is_pause_receive(&self) -> Result<bool> {
        self.core().is_paused(self.id()?)
    }

    /// Bytes accepted by `send` and not yet written.
    pub fn pending_data_length(&self) -> Result<usize> {
        self.core().pending(self.id()?)
    }

    /// Whether the connection is established and open.
    pub fn is_connected(&self) -> bool {
        self.state() == ServiceState::Started
            && self
                .id()
                .ok()
                .and_then(|id| self.core().table.get(id))
                .is_some_and(|c| c.is_open())
    }

    /// Local address of the connection.
    pub fn local_address(&self) -> Result<SocketAddr> {
        self.core().with_conn(self.id()?, |c| c.local)
    }

    /// Remote address of the connection.
    pub fn remote_address(&self) -> Result<SocketAddr> {
        self.core().with_conn(self.id()?, |c| c.remote)
    }

    /// The host and port given to `start`.
    pub fn remote_host(&self) -> Result<(String, u16)> {
        self.inner
            .remote_host
            .lock()
            .clone()
            .ok_or(Error::IllegalState("client was never started"))
    }

    /// Attaches a user value to the client (HP-Socket's `SetExtra`).
    pub fn set_extra(&self, extra: usize) {
        self.inner.extra.store(extra, Ordering::Release);
    }

    /// The user value attached to the client.
    pub fn extra(&self) -> usize {
        self.inner.extra.load(Ordering::Acquire)
    }

    common_properties!();
    connect_properties!();
    properties! {
        /// Free buffer pool size (`FreeBufferPoolSize`, default 60). No effect (see
        /// [`config`](crate::config)).
        free_buffer_pool_size, set_free_buffer_pool_size: u32, |_v| true, "";
        /// Free buffer pool hold (`FreeBufferPoolHold`, default 60). No effect.
        free_buffer_pool_hold, set_free_buffer_pool_hold: u32, |_v| true, "";
    }
}

impl<M: Model, T: Transport> Handler for Client<M, T> {
    fn event(&self, conn: &Conn, ev: Event<'_>) -> crate::session::Reply {
        let (l, id) = (&self.inner.listener, conn.id);
        match ev {
            Event::Accept => crate::session::Reply::Ok,
            Event::Connect => {
                // Connected: Starting → Started, for this connection's run only (not when a
                // stop overtook it).
                self.core().lifecycle.started(conn.run);
                guard(HandleResult::Error, || l.on_connect(self, id)).into()
            }
            Event::Handshake if M::WS => {
                if let Err(e) = crate::roles::ws::send_opening(self.core(), conn, T::SECURE) {
                    tracing::warn!("WebSocket handshake not sent: {e}");
                    return crate::session::Reply::Error;
                }
                guard(HandleResult::Error, || l.on_handshake(self, id)).into()
            }
            Event::Handshake => guard(HandleResult::Error, || l.on_handshake(self, id)).into(),
            Event::Receive(d) => guard(HandleResult::Error, || l.on_receive(self, id, d)).into(),
            Event::PullReceive(n) => {
                guard(HandleResult::Error, || l.on_pull_receive(self, id, n)).into()
            }
            Event::Send(d) => guard(HandleResult::Ok, || l.on_send(self, id, d)).into(),
            Event::Http(m, hev) if M::WS => {
                use crate::roles::ws::{client_event, Upgrade};
                match client_event(self.core(), conn, m, &hev) {
                    Upgrade::Swallow => crate::session::Reply::Ok,
                    Upgrade::Refuse => crate::session::Reply::Error,
                    Upgrade::Open => {
                        guard(HandleResult::Error, || l.on_ws_open(self, id, m)).into()
                    }
                }
            }
            Event::Http(m, hev) => {
                crate::roles::http_dispatch!(l, self, id, m, hev, outgoing: conn)
            }
            Event::Ws(wev) => crate::roles::ws_dispatch!(l, self, id, wev),
            Event::Close(op, e) => guard(HandleResult::Ok, || l.on_close(self, id, op, e)).into(),
        }
    }

    fn closed(&self, conn: &Conn) {
        let core = self.core();
        core.table.remove(conn.id);
        // The connection is the client's whole run: when it ends the run (no start still
        // under way), drop the self-reference taken at start so the client can be freed.
        if core.lifecycle.detach(conn.run) {
            core.release_run(conn.run);
        }
    }

    fn is_accepting(&self) -> bool {
        self.core().is_accepting()
    }
}

impl<T: Transport> Client<Pull, T> {
    /// Moves exactly `buf.len()` buffered bytes into `buf` (see
    /// [`Server::fetch`](crate::Server::fetch)).
    pub fn fetch(&self, buf: &mut [u8]) -> FetchResult {
        match self.id() {
            Ok(id) => self.core().fetch(id, buf, true),
            Err(_) => FetchResult::DataNotFound,
        }
    }

    /// Like [`fetch`](Self::fetch) but leaves the bytes buffered.
    pub fn peek(&self, buf: &mut [u8]) -> FetchResult {
        match self.id() {
            Ok(id) => self.core().fetch(id, buf, false),
            Err(_) => FetchResult::DataNotFound,
        }
    }

    pull_properties!();
}

impl<T: Transport> Client<Pack, T> {
    pack_properties!();
}

impl<M: Model> Client<M, Tls> {
    tls_client_ops!();

    /// What the connection's TLS session negotiated (version, cipher suite, server
    /// certificates).
    pub fn ssl_session_info(&self) -> Result<crate::tls::TlsInfo> {
        self.core().tls_info(self.id()?)
    }
}

impl<M: Model, T: Transport> Role for Client<M, T> {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        self.stop_role_impl()
    }
}
