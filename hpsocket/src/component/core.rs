//! The state every component shares: life cycle, connection table, configuration, the
//! settings connections are made with, and the operations on one connection by ID.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};

use crate::clock::now_ms;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::reactor::{Conn, Handler, Pool};
use crate::session::{Budget, CloseReq, Origin, Session, Settings};
use crate::tls::{TlsConfigError, TlsContext, TlsSession};
use crate::types::{ConnId, FetchResult, ServiceState, SocketError, SocketOperation};

use super::lifecycle::{Lifecycle, Phase, Ticket};
use super::table::ConnTable;

/// What a new connection is made of (see [`Core::new_conn`]).
pub(crate) struct NewConn {
    pub id: ConnId,
    /// The run it belongs to (see [`Lifecycle`]).
    pub run: u64,
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

/// What one run of a component hands out, tagged with the run's generation so that a stale
/// holder (a connect that outlived its run) cannot use the pool or owner of a later run.
struct Run {
    gen: u64,
    pool: Arc<Pool>,
    owner: Option<Arc<dyn Handler>>,
}

pub(crate) struct Core {
    pub config: RwLock<Config>,
    /// The state machine every transition goes through (see `component::lifecycle`).
    pub lifecycle: Lifecycle,
    pub table: ConnTable,
    ids: IdSource,
    run: RwLock<Option<Run>>,
    owns_pool: bool,
    /// Mirrors "the current run is live" for the hot checks (a worker adopting a
    /// connection, a UDP datagram); the lifecycle decides, this only follows.
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
            lifecycle: Lifecycle::new(false),
            table: ConnTable::default(),
            ids,
            run: RwLock::new(None),
            owns_pool,
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
        if self.lifecycle.phase() != Phase::Stopped {
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
        *self.run.write() = Some(Run {
            gen: self.lifecycle.run(),
            pool,
            owner: None,
        });
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
        // Held across the check and the change: a start reads the configuration after its
        // transition, so it sees all of a change or none.
        let mut cfg = self.config.write();
        if self.lifecycle.phase() != Phase::Stopped {
            return Err(Error::IllegalState(
                "properties can only be set while stopped",
            ));
        }
        f(&mut cfg);
        Ok(())
    }

    pub fn state(&self) -> ServiceState {
        match self.lifecycle.phase() {
            Phase::Stopped => ServiceState::Stopped,
            Phase::Starting => ServiceState::Starting,
            Phase::Started => ServiceState::Started,
            Phase::Stopping => ServiceState::Stopping,
        }
    }

    /// The UDP roles' transitions (they hand out no tickets): `Started` for the current run,
    /// `Stopped` whatever the phase.
    pub fn set_state(&self, s: ServiceState) {
        match s {
            ServiceState::Started => {
                self.lifecycle.started(self.lifecycle.run());
            }
            ServiceState::Stopped => {
                self.accepting.store(false, Ordering::Release);
                self.lifecycle.force_stop();
            }
            _ => {}
        }
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

    /// Stopped → Starting: a new run, whose start holds the returned ticket (give it back
    /// with [`started`](Self::started) or [`start_failed`](Self::start_failed)); anything
    /// else is an illegal state (recorded as the last error).
    pub fn begin_run(&self) -> Result<(Config, Ticket<'_>)> {
        if self.secure && self.tls.read().is_none() && self.state() == ServiceState::Stopped {
            self.record_error(&Error::TlsNotReady);
            return Err(Error::TlsNotReady);
        }
        let ticket = match self.lifecycle.begin_start() {
            Ok(t) => t,
            Err(_) => {
                let e = Error::IllegalState("already started");
                self.record_error(&e);
                return Err(e);
            }
        };
        *self.last_error.lock() = (SocketError::Ok, String::new());
        *self.active_tls.write() = if self.secure {
            self.tls.read().clone()
        } else {
            None
        };
        let cfg = self.config.read().clone();
        *self.settings.write() = settings_of(&cfg, self.model);
        *self.budget.write() = Arc::new(Budget::new(cfg.memory_budget));
        Ok((cfg, ticket))
    }

    /// Makes run `gen`'s pool and owner current and starts accepting new connections.
    pub fn activate(&self, gen: u64, pool: Arc<Pool>, owner: Arc<dyn Handler>) {
        *self.run.write() = Some(Run {
            gen,
            pool,
            owner: Some(owner),
        });
        self.accepting.store(true, Ordering::Release);
    }

    /// Starting → Started, giving the start's ticket back; false when a stop overtook the
    /// start.
    pub fn started(&self, ticket: Ticket<'_>) -> bool {
        let ok = ticket.started();
        if ticket.finish() {
            // A client whose connection already closed again: the run is over.
            self.release_run(self.lifecycle.run());
        }
        ok
    }

    /// Undoes a start that failed part-way (only its own run's: a later run is left alone)
    /// and records why.
    pub fn start_failed(&self, ticket: Ticket<'_>, e: Error) -> Error {
        let gen = ticket.run();
        if self.lifecycle.run() == gen {
            self.record_error(&e);
        }
        if ticket.fail_start() {
            self.release_run(gen);
        }
        e
    }

    /// Run `gen`'s pool and owner, while it is the current run.
    pub fn run_handles(&self, gen: u64) -> Option<(Arc<Pool>, Arc<dyn Handler>)> {
        match &*self.run.read() {
            Some(r) if r.gen == gen => Some((r.pool.clone(), r.owner.clone()?)),
            _ => None,
        }
    }

    pub fn pool(&self) -> Option<Arc<Pool>> {
        self.run.read().as_ref().map(|r| r.pool.clone())
    }

    /// Drops the current run's handles (the UDP roles, which end their runs themselves).
    pub fn release(&self) {
        self.release_run(self.lifecycle.run());
    }

    /// Drops run `gen`'s handles, among them the component's self-reference (taken at start)
    /// so a stopped component can be freed; ends the pool when the component owns it. A
    /// later run's are left alone.
    pub fn release_run(&self, gen: u64) {
        let taken = {
            let mut slot = self.run.write();
            match &*slot {
                Some(r) if r.gen == gen => slot.take(),
                _ => None,
            }
        };
        if self.lifecycle.run() == gen {
            self.accepting.store(false, Ordering::Release);
        }
        if let Some(r) = taken {
            if self.owns_pool {
                r.pool.shutdown();
            }
        }
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
            n.run,
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
    /// gracefully. Returns the run being stopped.
    pub fn begin_stop(&self, allow_starting: bool) -> Result<u64> {
        let gen = match self.lifecycle.begin_stop(allow_starting) {
            Ok(gen) => gen,
            Err(_) => {
                let e = Error::IllegalState("not started");
                self.record_error(&e);
                return Err(e);
            }
        };
        self.accepting.store(false, Ordering::Release);
        for conn in self.table.all() {
            conn.request_close(CloseReq {
                op: SocketOperation::Close,
                err: 0,
                graceful: true,
            });
        }
        if self.lifecycle.phase() == Phase::Stopped {
            // A run that ends with its last connection had none left.
            self.release_run(gen);
        }
        Ok(gen)
    }

    /// Waits until run `gen` has nothing in flight (a blocked connect notices the stop and
    /// gives up) and every connection closed, ends the pool, then runs `shutdown` (the
    /// `on_shutdown` event) and marks the component stopped.
    pub fn complete_stop(&self, gen: u64, shutdown: impl FnOnce()) {
        self.lifecycle.wait_drained(gen);
        // The UDP roles' sockets are not attached to the run; their table empties too.
        self.table.wait_empty();
        self.release_run(gen);
        shutdown();
        // The run's buffers and worker stacks are free now; give the pages back (see
        // `session::budget`): a process that starts and stops components stays flat.
        crate::session::release_free_memory();
        self.lifecycle.finish_stop(gen);
    }

    /// Blocks until stopped or the timeout passes; true when stopped.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        self.lifecycle.wait_stopped(timeout)
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
