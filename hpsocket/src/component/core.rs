//! The state every component shares: life cycle, connection table, configuration, the
//! settings connections are made with, and the operations on one connection by ID.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, RwLock};

use crate::clock::now_ms;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::reactor::{Conn, Handler, Pool};
use crate::session::{Budget, CloseReq, Origin, Session, Settings};
use crate::tls::{TlsConfigError, TlsContext, TlsSession};
use crate::types::{ConnId, FetchResult, ServiceState, SocketError, SocketOperation};

use super::table::ConnTable;

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
    /// Connections refused over `max_connection_count`.
    pub refused: std::sync::atomic::AtomicU64,
    /// The memory budget of the current run (made at `start` from `memory_budget`).
    budget: RwLock<Arc<Budget>>,
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
            refused: std::sync::atomic::AtomicU64::new(0),
            budget: RwLock::new(Arc::new(Budget::default())),
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
        *self.budget.write() = Arc::new(Budget::new(cfg.memory_budget));
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
        let budget = self.budget.read().clone();
        let session = Session::new(settings, n.origin, n.tls, now_ms(), budget);
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

    /// Bytes the connections of the current run hold against `memory_budget`.
    pub fn memory_held(&self) -> usize {
        self.budget.read().held()
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
        // The run's buffers and worker stacks are free now; give the pages back (see
        // `session::budget`): a process that starts and stops components stays flat.
        crate::session::release_free_memory();
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
            first_read_ms: cfg.first_read_timeout as u64,
            idle_ms: cfg.idle_timeout as u64,
            notes: true,
            http_limits: crate::cores::http::Limits::default()
                .with_max_head_size(cfg.http_max_head_size as usize)
                .with_max_headers(cfg.http_max_headers as usize)
                .with_max_body_size(cfg.http_max_body_size),
            http_head_ms: cfg.http_head_timeout as u64,
            http_auto_start: cfg.http_auto_start,
            ws_ping_ms: cfg.ws_ping_interval as u64,
        },
    }
}
