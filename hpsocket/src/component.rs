//! The part every component shares: life-cycle state, the connection table, configuration,
//! connection operations by ID, and the event hooks the reactor calls.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, RwLock};
use socket2::{Domain, Protocol, SockRef, Socket, TcpKeepalive, Type};

use crate::clock::now_ms;
use crate::config::Config;
use crate::conn::{Conn, ConnTable, Handler};
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::reactor::{Cmd, Pool};
use crate::session::{CloseReq, Event, Origin, Session, Settings};
use crate::tls::{TlsConfigError, TlsContext, TlsSession};
use crate::types::{
    ConnId, FetchResult, HandleResult, ReuseAddressPolicy, ServiceState, SocketError,
    SocketOperation,
};

thread_local! {
    static IN_CALLBACK: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// True while this thread runs a listener callback: a blocking wait here (in `stop`) could
/// wait for this very callback to return.
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(|c| c.get() > 0)
}

/// True where `stop` must not block: inside a callback or on any worker thread.
pub(crate) fn must_not_block() -> bool {
    in_callback() || crate::reactor::on_worker_thread()
}

/// Runs a listener callback: marks the thread as inside a callback and turns a panic into
/// `on_panic` (logged), so a faulty callback closes its connection instead of killing a
/// worker and stalling every connection on it.
pub(crate) fn guard<R>(on_panic: R, f: impl FnOnce() -> R) -> R {
    IN_CALLBACK.with(|c| c.set(c.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CALLBACK.with(|c| c.set(c.get() - 1));
    match r {
        Ok(v) => v,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".into());
            tracing::error!("listener callback panicked: {msg}");
            on_panic
        }
    }
}

/// What a new connection is made of (see [`Core::new_conn`]).
pub(crate) struct NewConn {
    pub id: ConnId,
    pub stream: mio::net::TcpStream,
    pub owner: Arc<dyn Handler>,
    pub worker: Arc<crate::reactor::WorkerShared>,
    pub remote: SocketAddr,
    pub host: Option<String>,
    pub extra: usize,
    pub origin: Origin,
    pub tls: Option<TlsSession>,
    /// The listener wants `on_send` events.
    pub notes: bool,
}

/// Where a component draws connection IDs from.
pub(crate) enum IdSource {
    /// Per component, 1, 2, 3 … (servers and agents).
    Own(AtomicUsize),
    /// The process-wide counter (clients, as in HP-Socket).
    Global,
}

static GLOBAL_IDS: AtomicUsize = AtomicUsize::new(1);

pub(crate) struct Core {
    pub config: RwLock<Config>,
    state: Mutex<ServiceState>,
    state_cv: Condvar,
    pub table: ConnTable,
    ids: IdSource,
    pool: RwLock<Option<Arc<Pool>>>,
    owns_pool: bool,
    owner: RwLock<Option<Arc<dyn Handler>>>,
    accepting: AtomicBool,
    last_error: Mutex<(SocketError, String)>,
    settings: RwLock<ConnSettings>,
    model: ModelKind,
    /// TLS components: the context set up by the application, and the one taken at `start`.
    secure: bool,
    tls: RwLock<Option<TlsContext>>,
    active_tls: RwLock<Option<TlsContext>>,
}

impl Core {
    pub fn new(ids: IdSource, owns_pool: bool, model: ModelKind, secure: bool) -> Core {
        Core {
            config: RwLock::new(Config::default()),
            state: Mutex::new(ServiceState::Stopped),
            state_cv: Condvar::new(),
            table: ConnTable::default(),
            ids,
            pool: RwLock::new(None),
            owns_pool,
            owner: RwLock::new(None),
            accepting: AtomicBool::new(false),
            last_error: Mutex::new((SocketError::Ok, String::new())),
            settings: RwLock::new(settings_of(&Config::default(), model)),
            model,
            secure,
            tls: RwLock::new(None),
            active_tls: RwLock::new(None),
        }
    }

    /// Installs (or with `None` removes) the TLS context; only while stopped.
    pub fn set_tls(&self, ctx: Option<TlsContext>) -> Result<()> {
        let st = self.state.lock();
        if *st != ServiceState::Stopped {
            return Err(Error::IllegalState(
                "the TLS context can only be changed while stopped",
            ));
        }
        *self.tls.write() = ctx;
        Ok(())
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    /// UDP: makes the pool current and starts accepting (the sockets' owner is not a TCP
    /// `Owner`).
    pub fn activate_pool(&self, pool: Arc<Pool>) {
        *self.pool.write() = Some(pool);
        self.accepting.store(true, Ordering::Release);
    }

    pub fn has_tls(&self) -> bool {
        self.tls.read().is_some()
    }

    /// A TLS session for a new connection (`None` for the plain transport). `host`: the host
    /// an outgoing connection was asked to reach (its SNI name unless the setup names one).
    pub fn tls_session(&self, host: Option<&str>) -> Result<Option<TlsSession>> {
        match &*self.active_tls.read() {
            None => Ok(None),
            Some(ctx) => ctx
                .session(host)
                .map(Some)
                .map_err(|e| Error::TlsConfig(TlsConfigError::Rustls(e))),
        }
    }

    pub fn set_config(&self, f: impl FnOnce(&mut Config)) -> Result<()> {
        let st = self.state.lock();
        if *st != ServiceState::Stopped {
            return Err(Error::IllegalState(
                "properties can only be set while stopped",
            ));
        }
        f(&mut self.config.write());
        Ok(())
    }

    pub fn state(&self) -> ServiceState {
        *self.state.lock()
    }

    pub fn set_state(&self, s: ServiceState) {
        *self.state.lock() = s;
        self.state_cv.notify_all();
    }

    pub fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::Acquire)
    }

    pub fn next_id(&self) -> ConnId {
        let counter = match &self.ids {
            IdSource::Own(c) => c,
            IdSource::Global => &GLOBAL_IDS,
        };
        loop {
            if let Some(id) = ConnId::new(counter.fetch_add(1, Ordering::Relaxed)) {
                return id;
            }
        }
    }

    pub fn record_error(&self, e: &Error) {
        *self.last_error.lock() = (e.socket_error(), e.to_string());
    }

    pub fn last_error(&self) -> SocketError {
        self.last_error.lock().0
    }

    pub fn last_error_desc(&self) -> String {
        let e = self.last_error.lock();
        if e.1.is_empty() {
            e.0.description().to_string()
        } else {
            e.1.clone()
        }
    }

    /// Stopped → Starting; anything else is an illegal state (recorded as the last error).
    pub fn begin_start(&self) -> Result<Config> {
        let mut st = self.state.lock();
        if *st != ServiceState::Stopped {
            let e = Error::IllegalState("already started");
            drop(st);
            self.record_error(&e);
            return Err(e);
        }
        if self.secure && self.tls.read().is_none() {
            drop(st);
            self.record_error(&Error::TlsNotReady);
            return Err(Error::TlsNotReady);
        }
        *st = ServiceState::Starting;
        *self.last_error.lock() = (SocketError::Ok, String::new());
        *self.active_tls.write() = if self.secure {
            self.tls.read().clone()
        } else {
            None
        };
        let cfg = self.config.read().clone();
        *self.settings.write() = settings_of(&cfg, self.model);
        Ok(cfg)
    }

    /// Makes the pool and owner current and starts accepting new connections.
    pub fn activate(&self, pool: Arc<Pool>, owner: Arc<dyn Handler>) {
        *self.pool.write() = Some(pool);
        *self.owner.write() = Some(owner);
        self.accepting.store(true, Ordering::Release);
    }

    /// Undoes a start that failed part-way and records why.
    pub fn start_failed(&self, e: Error) -> Error {
        self.accepting.store(false, Ordering::Release);
        let pool = self.pool.write().take();
        if let (Some(pool), true) = (pool, self.owns_pool) {
            pool.shutdown();
        }
        *self.owner.write() = None;
        self.record_error(&e);
        self.set_state(ServiceState::Stopped);
        e
    }

    pub fn pool(&self) -> Option<Arc<Pool>> {
        self.pool.read().clone()
    }

    pub fn owner(&self) -> Option<Arc<dyn Handler>> {
        self.owner.read().clone()
    }

    /// Drops the component's self-reference (taken at start), so a stopped component can be
    /// freed.
    pub fn release(&self) {
        *self.owner.write() = None;
        *self.pool.write() = None;
    }

    /// A connection with a fresh session made from the settings taken at `start`.
    pub fn new_conn(&self, n: NewConn) -> Arc<Conn> {
        let cs = self.settings();
        let mut settings = cs.session;
        settings.notes = n.notes;
        let session = Session::new(settings, n.origin, n.tls, now_ms());
        Conn::new(
            n.id,
            n.stream,
            n.owner,
            n.worker,
            n.remote,
            n.host,
            n.extra,
            cs.buffer_size,
            session,
        )
    }

    pub fn settings(&self) -> ConnSettings {
        *self.settings.read()
    }

    /// Started (or Starting) → Stopping; stops accepting and asks every connection to close
    /// gracefully.
    pub fn begin_stop(&self, allow_starting: bool) -> Result<()> {
        {
            let mut st = self.state.lock();
            let ok =
                *st == ServiceState::Started || (allow_starting && *st == ServiceState::Starting);
            if !ok {
                let e = Error::IllegalState("not started");
                drop(st);
                self.record_error(&e);
                return Err(e);
            }
            *st = ServiceState::Stopping;
        }
        self.accepting.store(false, Ordering::Release);
        for conn in self.table.all() {
            conn.request_close(CloseReq {
                op: SocketOperation::Close,
                err: 0,
                graceful: true,
            });
        }
        Ok(())
    }

    /// Waits for every connection to close, ends the pool, then runs `shutdown` (the
    /// `on_shutdown` event) and marks the component stopped.
    pub fn complete_stop(&self, shutdown: impl FnOnce()) {
        self.table.wait_empty();
        let pool = self.pool.write().take();
        if let (Some(pool), true) = (pool, self.owns_pool) {
            pool.shutdown();
        }
        shutdown();
        *self.owner.write() = None;
        self.set_state(ServiceState::Stopped);
    }

    /// Blocks until stopped or the timeout passes; true when stopped.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut st = self.state.lock();
        while *st != ServiceState::Stopped {
            match deadline {
                Some(d) => {
                    if self.state_cv.wait_until(&mut st, d).timed_out() {
                        return *st == ServiceState::Stopped;
                    }
                }
                None => self.state_cv.wait(&mut st),
            }
        }
        true
    }

    // ---- operations on one connection ----

    fn not_found(&self, id: ConnId) -> Error {
        if self.state() == ServiceState::Stopped {
            Error::IllegalState("component is not started")
        } else {
            Error::ConnectionNotFound(id)
        }
    }

    pub fn with_conn<R>(&self, id: ConnId, f: impl FnOnce(&Arc<Conn>) -> R) -> Result<R> {
        self.table.with(id, f).ok_or_else(|| self.not_found(id))
    }

    pub fn send(&self, id: ConnId, bufs: &[&[u8]]) -> Result<()> {
        self.with_conn(id, |c| c.send(bufs))?
    }

    pub fn disconnect(&self, id: ConnId, force: bool) -> Result<()> {
        let req = CloseReq {
            op: SocketOperation::Close,
            err: 0,
            graceful: !force,
        };
        if self.with_conn(id, |c| c.request_close(req))? {
            Ok(())
        } else {
            Err(Error::ConnectionNotFound(id))
        }
    }

    /// Disconnects every connection for which `pick` is true; errors if not started.
    fn disconnect_where(&self, force: bool, pick: impl Fn(&Conn) -> bool) -> Result<()> {
        if self.state() != ServiceState::Started {
            return Err(Error::IllegalState("component is not started"));
        }
        for c in self.table.all() {
            if pick(&c) {
                c.request_close(CloseReq {
                    op: SocketOperation::Close,
                    err: 0,
                    graceful: !force,
                });
            }
        }
        Ok(())
    }

    pub fn disconnect_long(&self, period: Duration, force: bool) -> Result<()> {
        let ms = checked_period(period)?;
        let now = now_ms();
        self.disconnect_where(force, |c| now.saturating_sub(c.session.opened_at()) >= ms)
    }

    pub fn disconnect_silence(&self, period: Duration, force: bool) -> Result<()> {
        let ms = checked_period(period)?;
        if !self.settings().session.mark_silence {
            return Err(Error::IllegalState("mark_silence is off"));
        }
        let now = now_ms();
        self.disconnect_where(force, |c| {
            now.saturating_sub(c.session.last_received()) >= ms
        })
    }

    /// PULL fetch / peek; an unknown ID is `DataNotFound` (the original crashes there).
    pub fn fetch(&self, id: ConnId, out: &mut [u8], consume: bool) -> FetchResult {
        self.table
            .with(id, |c| c.fetch(out, consume))
            .unwrap_or(FetchResult::DataNotFound)
    }

    pub fn pause_receive(&self, id: ConnId, pause: bool) -> Result<()> {
        self.with_conn(id, |c| c.pause(pause))
    }

    pub fn is_paused(&self, id: ConnId) -> Result<bool> {
        self.with_conn(id, |c| c.session.is_paused())
    }

    pub fn pending(&self, id: ConnId) -> Result<usize> {
        self.with_conn(id, |c| c.pending())
    }

    pub fn connect_period(&self, id: ConnId) -> Result<Duration> {
        self.with_conn(id, |c| {
            Duration::from_millis(now_ms().saturating_sub(c.session.opened_at()))
        })
    }

    pub fn silence_period(&self, id: ConnId) -> Result<Duration> {
        if !self.settings().session.mark_silence {
            return Err(Error::IllegalState("mark_silence is off"));
        }
        self.with_conn(id, |c| {
            Duration::from_millis(now_ms().saturating_sub(c.session.last_received()))
        })
    }
}

impl Core {
    /// What connection `id`'s TLS session negotiated.
    pub fn tls_info(&self, id: ConnId) -> Result<crate::tls::TlsInfo> {
        self.with_conn(id, |c| c.session.tls_info())?
            .ok_or(Error::NotSupported("not a TLS connection"))
    }
}

fn checked_period(period: Duration) -> Result<u64> {
    let ms = period.as_millis();
    if ms > (i32::MAX / 2) as u128 {
        return Err(Error::InvalidParam("period must be at most 1073741823 ms"));
    }
    Ok(ms as u64)
}

/// What every connection of a component is made with (copied at `start`).
#[derive(Clone, Copy)]
pub(crate) struct ConnSettings {
    /// Bytes per read.
    pub buffer_size: usize,
    pub session: Settings,
}

fn settings_of(cfg: &Config, model: ModelKind) -> ConnSettings {
    ConnSettings {
        buffer_size: cfg.socket_buffer_size as usize,
        session: Settings {
            model,
            pack_flag: cfg.pack_header_flag,
            pack_max: cfg.max_pack_size,
            pull_limit: cfg.pull_buffer_limit,
            max_pending: cfg.max_pending_bytes,
            mark_silence: cfg.mark_silence,
            close_flush_ms: cfg.close_flush_timeout as u64,
            connect_timeout_ms: cfg.connect_timeout as u64,
            handshake_timeout_ms: cfg.handshake_timeout as u64,
            notes: true,
        },
    }
}

/// Parses a bind address; `None` or empty means IPv4 "any", as in HP-Socket.
pub(crate) fn parse_ip(addr: Option<&str>) -> Result<IpAddr> {
    match addr.map(str::trim) {
        None | Some("") => Ok(IpAddr::from([0, 0, 0, 0])),
        Some(a) => a.parse().map_err(|_| {
            Error::SocketCreate(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not an IP address: {a:?}"),
            ))
        }),
    }
}

pub(crate) fn apply_reuse(sock: &Socket, policy: ReuseAddressPolicy) -> std::io::Result<()> {
    match policy {
        ReuseAddressPolicy::None => Ok(()),
        ReuseAddressPolicy::AddrOnly => sock.set_reuse_address(true),
        ReuseAddressPolicy::AddrAndPort => {
            sock.set_reuse_address(true)?;
            sock.set_reuse_port(true)
        }
    }
}

/// Applies the per-connection socket options of `cfg`.
pub(crate) fn apply_conn_options(sock: SockRef<'_>, cfg: &Config) {
    if cfg.no_delay {
        let _ = sock.set_tcp_nodelay(true);
    }
    if cfg.keep_alive_time > 0 && cfg.keep_alive_interval > 0 {
        let ka = TcpKeepalive::new()
            .with_time(Duration::from_millis(cfg.keep_alive_time as u64))
            .with_interval(Duration::from_millis(cfg.keep_alive_interval as u64))
            .with_retries(5);
        let _ = sock.set_tcp_keepalive(&ka);
    }
}

/// What an outgoing connection needs besides the target.
pub(crate) struct ConnectSpec<'a> {
    pub host: &'a str,
    pub port: u16,
    pub bind: Option<SocketAddr>,
    pub async_connect: bool,
    pub extra: usize,
    /// The listener wants `on_send` events.
    pub notes: bool,
}

/// Opens an outgoing connection for an agent or client: resolve, create, bind, prepare,
/// connect (blocking with the connect timeout, or non-blocking), then hand it to a worker.
/// `prepare` is `on_prepare_connect`; `connected` fires `on_connect` / `on_handshake` for a
/// synchronous connect, on the caller's thread, before the worker can fire anything else.
pub(crate) fn open_connection(
    core: &Core,
    cfg: &Config,
    id: ConnId,
    spec: ConnectSpec<'_>,
    prepare: impl FnOnce(SockRef<'_>) -> HandleResult,
) -> Result<Arc<Conn>> {
    let (pool, owner) = match (core.pool(), core.owner()) {
        (Some(p), Some(o)) if core.is_accepting() => (p, o),
        _ => return Err(Error::IllegalState("component is not started")),
    };
    let addrs: Vec<SocketAddr> = (spec.host, spec.port)
        .to_socket_addrs()
        .map_err(Error::SocketCreate)?
        .collect();
    let remote = match spec.bind {
        Some(b) => addrs
            .iter()
            .find(|a| a.is_ipv4() == b.is_ipv4())
            .or(addrs.first()),
        None => addrs.first(),
    }
    .copied()
    .ok_or_else(|| {
        Error::SocketCreate(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("cannot resolve {:?}", spec.host),
        ))
    })?;
    // Before connecting, so a host name TLS cannot use fails without touching the network.
    let tls = core.tls_session(Some(spec.host))?;
    let sock = Socket::new(
        Domain::for_address(remote),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(Error::SocketCreate)?;
    if let Some(bind) = spec.bind {
        apply_reuse(&sock, cfg.reuse_address_policy).map_err(Error::SocketBind)?;
        sock.bind(&bind.into()).map_err(Error::SocketBind)?;
    }
    if prepare(SockRef::from(&sock)) == HandleResult::Error {
        return Err(Error::SocketPrepare);
    }
    apply_conn_options(SockRef::from(&sock), cfg);
    let mut early_error = None;
    if spec.async_connect {
        sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
        match sock.connect(&remote.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            // Reported through on_close like any other async connect failure, so the event
            // sequence does not depend on how fast the kernel answered.
            Err(e) => early_error = Some(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    } else {
        sock.connect_timeout(
            &remote.into(),
            Duration::from_millis(cfg.connect_timeout as u64),
        )
        .map_err(Error::ConnectServer)?;
        sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
    }
    let stream = mio::net::TcpStream::from_std(std::net::TcpStream::from(sock));
    let worker = pool.pick();
    let origin = if spec.async_connect {
        Origin::Connecting
    } else {
        Origin::Connected
    };
    let conn = core.new_conn(NewConn {
        id,
        stream,
        owner,
        worker: worker.clone(),
        remote,
        host: Some(spec.host.to_string()),
        extra: spec.extra,
        origin,
        tls,
        notes: spec.notes,
    });
    core.table.insert(conn.clone());
    // Re-check after inserting: a stop that began meanwhile did not see this connection.
    let refused = if !core.is_accepting() {
        Some(Error::IllegalState("component is stopping"))
    } else if core.table.len() > cfg.max_connection_count as usize {
        Some(Error::ConnectionLimit(cfg.max_connection_count))
    } else {
        None
    };
    if let Some(e) = refused {
        conn.session.abandon();
        core.table.remove(id);
        return Err(e);
    }
    if let Some(err) = early_error {
        conn.request_close(CloseReq {
            op: SocketOperation::Connect,
            err,
            graceful: false,
        });
        worker.post(Cmd::Adopt(conn.clone(), Origin::Connecting));
    } else if spec.async_connect {
        worker.post(Cmd::Adopt(conn.clone(), Origin::Connecting));
    } else {
        // A synchronous connect's events fire on the caller's thread, before the worker can
        // fire anything else of the connection.
        if conn.fire(Event::Connect) == HandleResult::Error
            || (!conn.session.is_secure() && conn.fire(Event::Handshake) == HandleResult::Error)
        {
            conn.session.abandon();
            core.table.remove(id);
            return Err(Error::ConnectServer(std::io::Error::from_raw_os_error(
                libc::ECANCELED,
            )));
        }
        worker.post(Cmd::Adopt(conn.clone(), Origin::Connected));
    }
    Ok(conn)
}

/// Operations by connection ID, shared by Server and Agent.
macro_rules! conn_ops {
    () => {
        /// Sends `data` on connection `id`. Never blocks: bytes the socket does not take at
        /// once are queued (up to `max_pending_bytes`) and written in order by the worker.
        /// Callable from any thread, inside or outside callbacks.
        pub fn send(&self, id: $crate::ConnId, data: &[u8]) -> $crate::Result<()> {
            self.core().send(id, &[data])
        }

        /// Sends `len` bytes of `data` starting at `offset` (HP-Socket's `SendPart`).
        pub fn send_part(
            &self,
            id: $crate::ConnId,
            data: &[u8],
            offset: usize,
            len: usize,
        ) -> $crate::Result<()> {
            let part = offset
                .checked_add(len)
                .and_then(|end| data.get(offset..end))
                .ok_or($crate::Error::InvalidParam(
                    "offset + len is past the end of the buffer",
                ))?;
            self.core().send(id, &[part])
        }

        /// Sends several buffers in order as one unit (a gathered write).
        pub fn send_packets(&self, id: $crate::ConnId, bufs: &[&[u8]]) -> $crate::Result<()> {
            self.core().send(id, bufs)
        }

        /// Closes connection `id`. Graceful (`force == false`): queued bytes are written
        /// first, within `close_flush_timeout`. Forced: queued bytes are dropped and the close
        /// event says so (`SocketOperation::Send`, `ECANCELED`) when there were any.
        /// `on_close` follows on the connection's worker.
        pub fn disconnect(&self, id: $crate::ConnId, force: bool) -> $crate::Result<()> {
            self.core().disconnect(id, force)
        }

        /// Disconnects every connection older than `period`.
        pub fn disconnect_long_connections(
            &self,
            period: std::time::Duration,
            force: bool,
        ) -> $crate::Result<()> {
            self.core().disconnect_long(period, force)
        }

        /// Disconnects every connection that received nothing for `period` (needs
        /// `mark_silence`).
        pub fn disconnect_silence_connections(
            &self,
            period: std::time::Duration,
            force: bool,
        ) -> $crate::Result<()> {
            self.core().disconnect_silence(period, force)
        }

        /// Stops (`true`) or resumes (`false`) reading from connection `id`. While paused,
        /// data waits in the kernel and the peer is slowed by TCP flow control; nothing is
        /// lost.
        pub fn pause_receive(&self, id: $crate::ConnId, pause: bool) -> $crate::Result<()> {
            self.core().pause_receive(id, pause)
        }

        /// Whether reading from connection `id` is paused.
        pub fn is_pause_receive(&self, id: $crate::ConnId) -> $crate::Result<bool> {
            self.core().is_paused(id)
        }

        /// Bytes accepted by `send` on connection `id` and not yet written.
        pub fn pending_data_length(&self, id: $crate::ConnId) -> $crate::Result<usize> {
            self.core().pending(id)
        }

        /// Whether connection `id` is open.
        pub fn is_connected(&self, id: $crate::ConnId) -> bool {
            self.core().table.get(id).is_some_and(|c| c.is_open())
        }

        /// Number of open connections.
        pub fn connection_count(&self) -> usize {
            self.core().table.len()
        }

        /// IDs of every open connection, ascending.
        pub fn all_connection_ids(&self) -> Vec<$crate::ConnId> {
            self.core().table.ids()
        }

        /// Time since connection `id` was established.
        pub fn connect_period(&self, id: $crate::ConnId) -> $crate::Result<std::time::Duration> {
            self.core().connect_period(id)
        }

        /// Time since connection `id` last received data (needs `mark_silence`).
        pub fn silence_period(&self, id: $crate::ConnId) -> $crate::Result<std::time::Duration> {
            self.core().silence_period(id)
        }

        /// Local address of connection `id`.
        pub fn local_address(&self, id: $crate::ConnId) -> $crate::Result<std::net::SocketAddr> {
            self.core().with_conn(id, |c| c.local)
        }

        /// Remote address of connection `id`.
        pub fn remote_address(&self, id: $crate::ConnId) -> $crate::Result<std::net::SocketAddr> {
            self.core().with_conn(id, |c| c.remote)
        }

        /// Attaches a user value to connection `id` (HP-Socket's connection extra, a
        /// pointer-sized value).
        pub fn set_connection_extra(&self, id: $crate::ConnId, extra: usize) -> $crate::Result<()> {
            self.core().with_conn(id, |c| {
                c.extra.store(extra, std::sync::atomic::Ordering::Release)
            })
        }

        /// The user value attached to connection `id` (0 when none was set).
        pub fn connection_extra(&self, id: $crate::ConnId) -> $crate::Result<usize> {
            self.core()
                .with_conn(id, |c| c.extra.load(std::sync::atomic::Ordering::Acquire))
        }
    };
}

/// Life-cycle queries shared by every component.
macro_rules! state_ops {
    () => {
        /// Current life-cycle state.
        pub fn state(&self) -> $crate::ServiceState {
            self.core().state()
        }

        /// True when starting or started.
        pub fn has_started(&self) -> bool {
            matches!(
                self.core().state(),
                $crate::ServiceState::Started | $crate::ServiceState::Starting
            )
        }

        /// Whether the component uses TLS (the [`Tls`](crate::Tls) transport).
        pub fn is_secure(&self) -> bool {
            self.core().secure()
        }

        /// Code of the last `start` / `stop` failure (`SocketError::Ok` if none).
        pub fn last_error(&self) -> $crate::SocketError {
            self.core().last_error()
        }

        /// Description of the last `start` / `stop` failure.
        pub fn last_error_desc(&self) -> String {
            self.core().last_error_desc()
        }

        /// Blocks until the component is stopped or `timeout` passes (`None`: no limit);
        /// true when stopped. Do not call it inside a callback with `None`: a stop started
        /// there completes only after the callback returns.
        pub fn wait(&self, timeout: Option<std::time::Duration>) -> bool {
            self.core().wait(timeout)
        }
    };
}

/// TLS set-up of a server (`Server<M, Tls>`).
macro_rules! tls_server_ops {
    () => {
        /// Sets up the TLS context from certificates and keys (HP-Socket's
        /// `SetupSSLContext` / `SetupSSLContextByMemory` plus `AddSSLContext` and
        /// `BindSSLServerName` for SNI). Only while stopped; `start` fails with
        /// `TlsNotReady` until this (or [`set_tls_config`](Self::set_tls_config)) succeeds.
        pub fn setup_ssl_context(&self, setup: &$crate::tls::TlsServerSetup) -> $crate::Result<()> {
            let cfg = setup.build()?;
            self.core()
                .set_tls(Some($crate::tls::TlsContext::Server(cfg)))
        }

        /// Uses a rustls server configuration built by the application (any rustls
        /// feature: ALPN, session tickets, custom verifiers, key logging …).
        pub fn set_tls_config(
            &self,
            config: std::sync::Arc<$crate::tls::rustls::ServerConfig>,
        ) -> $crate::Result<()> {
            self.core()
                .set_tls(Some($crate::tls::TlsContext::Server(config)))
        }

        /// Removes the TLS context (HP-Socket's `CleanupSSLContext`); only while stopped.
        pub fn cleanup_ssl_context(&self) -> $crate::Result<()> {
            self.core().set_tls(None)
        }

        /// Whether a TLS context is set up.
        pub fn has_ssl_context(&self) -> bool {
            self.core().has_tls()
        }

        /// What connection `id`'s TLS session negotiated (version, cipher suite, SNI name,
        /// peer certificates).
        pub fn ssl_session_info(&self, id: $crate::ConnId) -> $crate::Result<$crate::tls::TlsInfo> {
            self.core().tls_info(id)
        }

        $crate::config::tls_properties!();
    };
}

/// TLS set-up of an outgoing role (`Agent<M, Tls>`, `Client<M, Tls>`).
macro_rules! tls_client_ops {
    () => {
        /// Sets up the TLS context: how to verify servers, and an optional client
        /// certificate (HP-Socket's `SetupSSLContext` / `SetupSSLContextByMemory`). Only while
        /// stopped; `start` fails with `TlsNotReady` until this (or
        /// [`set_tls_config`](Self::set_tls_config)) succeeds.
        pub fn setup_ssl_context(&self, setup: &$crate::tls::TlsClientSetup) -> $crate::Result<()> {
            let config = setup.build()?;
            self.core().set_tls(Some($crate::tls::TlsContext::Client {
                config,
                server_name: setup.server_name.clone(),
            }))
        }

        /// Uses a rustls client configuration built by the application. `server_name`: the
        /// SNI / verification name of every connection (`None`: each connection's host).
        pub fn set_tls_config(
            &self,
            config: std::sync::Arc<$crate::tls::rustls::ClientConfig>,
            server_name: Option<String>,
        ) -> $crate::Result<()> {
            self.core().set_tls(Some($crate::tls::TlsContext::Client {
                config,
                server_name,
            }))
        }

        /// Removes the TLS context (HP-Socket's `CleanupSSLContext`); only while stopped.
        pub fn cleanup_ssl_context(&self) -> $crate::Result<()> {
            self.core().set_tls(None)
        }

        /// Whether a TLS context is set up.
        pub fn has_ssl_context(&self) -> bool {
            self.core().has_tls()
        }

        $crate::config::tls_properties!();
    };
}

pub(crate) use {conn_ops, state_ops, tls_client_ops, tls_server_ops};
