//! The server role: listens on one address and serves many connections.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use parking_lot::Mutex;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::component::{
    apply_conn_options, apply_reuse, finish_stop, guard, parse_ip, tls_server_ops, Core, IdSource,
    NewConn,
};
use crate::config::{
    common_properties, multi_properties, pack_properties, properties, pull_properties,
};
use crate::error::{Error, Result};
use crate::listener::ServerListener;
use crate::model::{Model, Pack, Plain, Pull, Push, Tls, Transport};
use crate::reactor::{Cmd, Pool};
use crate::reactor::{Conn, Handler};
use crate::roles::api::{Component, Role, TableRole};
use crate::session::{Event, Origin};
use crate::types::{ConnId, FetchResult, HandleResult};

/// A TCP server: listens on one address, accepts many connections and spreads them over its
/// worker threads. `M` is the receive model. Cloning gives another handle to the same server.
///
/// ```no_run
/// use hpsocket::prelude::*;
/// use hpsocket::{ConnId, HandleResult, ServerListener, TcpServer};
///
/// struct Echo;
/// impl ServerListener for Echo {
///     fn on_receive(&self, s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
///         let _ = s.send(id, data);
///         HandleResult::Ok
///     }
/// }
///
/// let server = TcpServer::new(Echo);
/// server.start("127.0.0.1", 0)?;
/// println!("listening on {}", server.listen_address()?);
/// server.stop()?;
/// # Ok::<(), hpsocket::Error>(())
/// ```
pub struct Server<M: Model = Push, T: Transport = Plain> {
    inner: Arc<Inner<M, T>>,
}

/// HP-Socket's PUSH server.
pub type TcpServer = Server<Push>;
/// HP-Socket's PULL server.
pub type TcpPullServer = Server<Pull>;
/// HP-Socket's PACK server.
pub type TcpPackServer = Server<Pack>;
/// HP-Socket's SSL PUSH server.
pub type SslServer = Server<Push, Tls>;
/// HP-Socket's SSL PULL server.
pub type SslPullServer = Server<Pull, Tls>;
/// HP-Socket's SSL PACK server.
pub type SslPackServer = Server<Pack, Tls>;

struct Inner<M: Model, T: Transport> {
    core: Core,
    listener: Box<dyn ServerListener<Server<M, T>>>,
    listen_addr: Mutex<Option<SocketAddr>>,
    /// Open connections per remote IP, kept while `max_connections_per_address` is set.
    per_addr: Mutex<std::collections::HashMap<std::net::IpAddr, u32>>,
    _model: PhantomData<(M, T)>,
}

impl<M: Model, T: Transport> Clone for Server<M, T> {
    fn clone(&self) -> Self {
        Server {
            inner: self.inner.clone(),
        }
    }
}

impl<M: Model, T: Transport> Server<M, T> {
    /// Creates a stopped server that reports to `listener`.
    pub fn new(listener: impl ServerListener<Server<M, T>>) -> Self {
        let core = Core::new(IdSource::Own(AtomicUsize::new(1)), true, M::KIND, T::SECURE);
        core.config.write().first_read_timeout = crate::config::DEFAULT_FIRST_READ_TIMEOUT;
        Server {
            inner: Arc::new(Inner {
                core,
                listener: Box::new(listener),
                listen_addr: Mutex::new(None),
                per_addr: Mutex::new(Default::default()),
                _model: PhantomData,
            }),
        }
    }

    /// Binds `address:port` (empty address: `0.0.0.0`; port 0: the kernel picks, read it
    /// back with [`listen_address`](Self::listen_address)), starts the workers and begins
    /// accepting.
    pub fn start(&self, address: &str, port: u16) -> Result<()> {
        let (cfg, ticket) = self.core().begin_run()?;
        match self.try_start(address, port, &cfg, ticket.run()) {
            Ok(()) => {
                self.core().started(ticket);
                Ok(())
            }
            Err(e) => Err(self.core().start_failed(ticket, e)),
        }
    }

    fn try_start(
        &self,
        address: &str,
        port: u16,
        cfg: &crate::config::Config,
        run: u64,
    ) -> Result<()> {
        let ip = parse_ip(Some(address))?;
        let addr = SocketAddr::new(ip, port);
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(Error::SocketCreate)?;
        apply_reuse(&sock, cfg.reuse_address_policy).map_err(Error::SocketBind)?;
        sock.bind(&addr.into()).map_err(Error::SocketBind)?;
        if guard(HandleResult::Error, || {
            self.inner
                .listener
                .on_prepare_listen(self, SockRef::from(&sock))
        }) == HandleResult::Error
        {
            return Err(Error::SocketPrepare);
        }
        sock.listen(cfg.socket_listen_queue.min(i32::MAX as u32) as i32)
            .map_err(Error::SocketListen)?;
        sock.set_nonblocking(true).map_err(Error::SocketListen)?;
        let local = sock
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .unwrap_or(addr);
        *self.inner.listen_addr.lock() = Some(local);
        let pool = Pool::start(cfg.worker_thread_count as usize, "hps-server")
            .map_err(Error::WorkerThreadCreate)?;
        let owner: Arc<dyn Handler> = Arc::new(self.clone());
        self.core().activate(run, pool.clone(), owner.clone());
        let listener = mio::net::TcpListener::from_std(std::net::TcpListener::from(sock));
        pool.first().post(Cmd::Listen(listener, owner));
        Ok(())
    }

    /// Gives back the place `conn` held under `max_connections_per_address`.
    fn forget_addr(&self, conn: &Conn) {
        let mut per = self.inner.per_addr.lock();
        if let Some(n) = per.get_mut(&conn.remote.ip()) {
            *n -= 1;
            if *n == 0 {
                per.remove(&conn.remote.ip());
            }
        }
    }

    /// See [`Component::stop`].
    fn stop_role_impl(&self) -> Result<()> {
        let run = self.core().begin_stop(false)?;
        if let Some((pool, owner)) = self.core().run_handles(run) {
            pool.first().post(Cmd::Unlisten(owner));
        }
        let me = self.clone();
        let finish = move || {
            me.core().complete_stop(run, || {
                guard(HandleResult::Ok, || me.inner.listener.on_shutdown(&me));
            })
        };
        finish_stop(finish)
    }

    /// Connections refused because `max_connection_count` connections were open, or
    /// `max_connections_per_address` from the same address (since the server was created). They get no event, as in HP-Socket; this count and a log line
    /// (tracing, at the 1st, 2nd, 4th, 8th … refusal) say it happened.
    pub fn refused_connection_count(&self) -> u64 {
        self.core()
            .refused
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The address the server listens on (with the real port when started with port 0).
    pub fn listen_address(&self) -> Result<SocketAddr> {
        if !self.has_started() {
            return Err(Error::IllegalState("server is not started"));
        }
        self.inner
            .listen_addr
            .lock()
            .ok_or(Error::IllegalState("server is not started"))
    }

    common_properties!();
    multi_properties!();
    properties! {
        /// Most connections open at once from one remote IP address (ours; 0, the default:
        /// no cap). Over it a new connection is refused like one over
        /// `max_connection_count`: closed without events, counted in
        /// [`refused_connection_count`](Self::refused_connection_count) and logged.
        max_connections_per_address, set_max_connections_per_address: u32, |_v| true, "";
        /// `listen()` backlog (`SocketListenQueue`, default `SOMAXCONN`, >= 1).
        socket_listen_queue, set_socket_listen_queue: u32, |v| v >= 1, "socket_listen_queue must be >= 1";
        /// Accepts per wake-up (`AcceptSocketCount`, default 64, >= 1). Accepted for
        /// compatibility: the acceptor drains the backlog on each readiness event.
        accept_socket_count, set_accept_socket_count: u32, |v| v >= 1, "accept_socket_count must be >= 1";
    }
}

impl<M: Model, T: Transport> Handler for Server<M, T> {
    fn event(&self, conn: &Conn, ev: Event<'_>) -> crate::session::Reply {
        let (l, id) = (&self.inner.listener, conn.id);
        match ev {
            Event::Accept => guard(HandleResult::Error, || {
                l.on_accept(self, id, SockRef::from(&conn.stream))
            })
            .into(),
            Event::Connect => crate::session::Reply::Ok,
            Event::Handshake => guard(HandleResult::Error, || l.on_handshake(self, id)).into(),
            Event::Receive(d) => guard(HandleResult::Error, || l.on_receive(self, id, d)).into(),
            Event::PullReceive(n) => {
                guard(HandleResult::Error, || l.on_pull_receive(self, id, n)).into()
            }
            Event::Send(d) => guard(HandleResult::Ok, || l.on_send(self, id, d)).into(),
            Event::Http(m, hev) if M::WS && crate::roles::ws::is_handshake(m) => {
                use crate::roles::ws::{server_event, Upgrade};
                match server_event(self.core(), conn, m, &hev) {
                    Upgrade::Swallow => crate::session::Reply::Ok,
                    Upgrade::Refuse => crate::session::Reply::Error,
                    Upgrade::Open => {
                        guard(HandleResult::Error, || l.on_ws_open(self, id, m)).into()
                    }
                }
            }
            Event::Http(m, hev) => crate::roles::http_dispatch!(l, self, id, m, hev),
            Event::Ws(wev) => crate::roles::ws_dispatch!(l, self, id, wev),
            Event::Close(op, e) => guard(HandleResult::Ok, || l.on_close(self, id, op, e)).into(),
        }
    }

    fn closed(&self, conn: &Conn) {
        self.core().table.remove(conn.id);
        self.forget_addr(conn);
        self.core().lifecycle.detach(conn.run);
    }

    fn is_accepting(&self) -> bool {
        self.core().is_accepting()
    }

    fn accepted(&self, stream: mio::net::TcpStream, addr: SocketAddr) {
        let core = self.core();
        if !core.is_accepting() {
            return;
        }
        let (max, per_cap) = {
            let cfg = core.config.read();
            (
                cfg.max_connection_count as usize,
                cfg.max_connections_per_address,
            )
        };
        if core.table.len() >= max {
            refused(core, addr, "max_connection_count", max);
            return;
        }
        // The accept counts as in flight until the connection joined the run (or not): a
        // stop waits for it, so nothing of this run outlives the stop.
        let Some(ticket) = core.lifecycle.enter(false) else {
            return;
        };
        let Some((pool, owner)) = core.run_handles(ticket.run()) else {
            return;
        };
        let tls = match core.tls_session(None) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("cannot start a TLS session: {e}");
                return;
            }
        };
        if per_cap > 0 {
            // Counted here, after the last early return: `closed` gives the place back.
            let mut per = self.inner.per_addr.lock();
            let n = per.entry(addr.ip()).or_insert(0);
            if *n >= per_cap {
                drop(per);
                refused(core, addr, "max_connections_per_address", per_cap as usize);
                return;
            }
            *n += 1;
        }
        apply_conn_options(SockRef::from(&stream), &core.config.read());
        let worker = pool.pick();
        let conn = core.new_conn(NewConn {
            id: core.next_id(),
            run: ticket.run(),
            stream,
            owner,
            worker: worker.clone(),
            remote: addr,
            host: None,
            extra: 0,
            origin: Origin::Accepted,
            tls,
            notes: self.inner.listener.wants_send_events(),
        });
        core.table.insert(conn.clone());
        if !ticket.attach(false) {
            // Stopping: refused with no event, as the worker refuses one it adopts then.
            conn.session.abandon();
            core.table.remove(conn.id);
            self.forget_addr(&conn);
            return;
        }
        worker.post(Cmd::Adopt(conn, Origin::Accepted));
    }
}

impl<T: Transport> Server<Pull, T> {
    /// Moves exactly `buf.len()` buffered bytes of connection `id` into `buf`:
    /// `LengthTooLong` (nothing taken) when fewer are buffered, `DataNotFound` for an unknown
    /// or closed connection.
    pub fn fetch(&self, id: ConnId, buf: &mut [u8]) -> FetchResult {
        self.core().fetch(id, buf, true)
    }

    /// Like [`fetch`](Self::fetch) but leaves the bytes buffered.
    pub fn peek(&self, id: ConnId, buf: &mut [u8]) -> FetchResult {
        self.core().fetch(id, buf, false)
    }

    pull_properties!();
}

impl<T: Transport> Server<Pack, T> {
    pack_properties!();
}

impl<M: Model> Server<M, Tls> {
    tls_server_ops!();
}

impl<M: Model, T: Transport> Role for Server<M, T> {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        self.stop_role_impl()
    }
}

impl<M: Model, T: Transport> TableRole for Server<M, T> {}

/// A connection refused over a limit: closed without events, as HP-Socket does — but counted,
/// and logged at the 1st, 2nd, 4th, 8th … refusal, so a flood cannot flood the log.
fn refused(core: &Core, addr: SocketAddr, limit: &str, value: usize) {
    let n = core
        .refused
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    if n.is_power_of_two() {
        tracing::warn!(
            "connection from {addr} refused: {limit} ({value}) reached ({n} refused so far)"
        );
    }
}
