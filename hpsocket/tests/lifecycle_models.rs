//! Concurrency models of the component life cycle, checked with shuttle: the real state
//! machine (`src/component/lifecycle.rs`, compiled here with shuttle's primitives) driven by
//! the protocol the roles follow around it — a connection table, starts, stops, restarts,
//! connects and accepts that take a ticket, insert and attach, workers that close a
//! connection on request or when its peer resets, and sends and disconnects by ID from other
//! threads. Shuttle runs each model under many random and PCT schedules (seeded, so a failure
//! reproduces) and fails on a deadlock as well as on a broken assertion.
//!
//! What every schedule must keep:
//! - every connection that joined a run is closed exactly once, before that run's stop ends;
//! - no connection joins a run after its stop began, and none joins a later run;
//! - `stop` returns (no deadlock), and `start` after `stop` succeeds;
//! - a client's run is stopped exactly when nothing of it is left (no start under way and no
//!   connection open): a stale start never stops a later run over its live connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use shuttle::sync::{Arc, Condvar, Mutex};
use shuttle::thread;

/// What `lifecycle.rs` imports as `super::sync`.
mod sync {
    pub(crate) use shuttle::sync::{Condvar, Mutex, MutexGuard};
}

#[path = "../src/component/lifecycle.rs"]
#[allow(dead_code)]
mod lifecycle;

use lifecycle::{Lifecycle, Phase};

/// Schedules per model and scheduler: the four models take about a second together on the
/// 2-core machine (debug build), so CI keeps them in the ordinary `cargo test`.
const RANDOM: usize = 10_000;
const PCT: usize = 10_000;
const SEED: u64 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Log {
    Attach(u64, usize),
    Close(u64, usize),
    StopDone(u64),
}

/// One connection as a worker owns it.
struct ModelConn {
    id: usize,
    run: u64,
    close_req: Mutex<bool>,
    cv: Condvar,
    closes: AtomicUsize,
}

impl ModelConn {
    fn request_close(&self) {
        *self.close_req.lock().unwrap() = true;
        self.cv.notify_all();
    }
}

/// A component: its life cycle, connection table and the run's handles (generation-tagged).
struct Model {
    lc: Lifecycle,
    table: Mutex<HashMap<usize, Arc<ModelConn>>>,
    run_slot: Mutex<Option<u64>>,
    log: Mutex<Vec<Log>>,
    next_id: AtomicUsize,
    workers: Mutex<Vec<thread::JoinHandle<()>>>,
    all: Mutex<Vec<Arc<ModelConn>>>,
    /// A client: its runs end with their last connection.
    client: bool,
}

impl Model {
    fn new(ends_with_last: bool) -> Arc<Model> {
        Arc::new(Model {
            lc: Lifecycle::new(ends_with_last),
            table: Mutex::new(HashMap::new()),
            run_slot: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            next_id: AtomicUsize::new(1),
            workers: Mutex::new(Vec::new()),
            all: Mutex::new(Vec::new()),
            client: ends_with_last,
        })
    }

    fn log(&self, e: Log) {
        self.log.lock().unwrap().push(e);
    }

    fn release_run(&self, run: u64) {
        let mut slot = self.run_slot.lock().unwrap();
        if *slot == Some(run) {
            *slot = None;
        }
    }

    /// The worker: closes the connection on request, at once when the run is no longer live
    /// (as `adopt` does), or when its peer resets (odd IDs).
    fn spawn_worker(self: &Arc<Self>, conn: Arc<ModelConn>) {
        let me = self.clone();
        let h = thread::spawn(move || {
            if conn.id % 2 == 0 && me.lc.is_current(conn.run, true) {
                let mut req = conn.close_req.lock().unwrap();
                while !*req {
                    req = conn.cv.wait(req).unwrap();
                }
            }
            me.close(&conn);
        });
        self.workers.lock().unwrap().push(h);
    }

    /// The worker's close: the close event, then `closed` (table, then the run's count).
    fn close(&self, conn: &ModelConn) {
        assert_eq!(
            conn.closes.fetch_add(1, Ordering::SeqCst),
            0,
            "closed twice"
        );
        self.log(Log::Close(conn.run, conn.id));
        self.table.lock().unwrap().remove(&conn.id);
        if self.lc.detach(conn.run) {
            self.release_run(conn.run);
        }
    }

    /// `open_connection` / `accepted`: ticket, handles of the ticket's run, insert, attach.
    /// `start`: the run of a client's start (its ticket is the caller's).
    fn connect(self: &Arc<Self>, start: Option<&lifecycle::Ticket<'_>>) -> Result<usize, ()> {
        let own;
        let ticket = match start {
            Some(t) => t,
            None => {
                own = self.lc.enter(false).ok_or(())?;
                &own
            }
        };
        let starting = start.is_some();
        let slot = *self.run_slot.lock().unwrap();
        assert_eq!(
            slot,
            Some(ticket.run()),
            "a ticket of a run without handles"
        );
        thread::yield_now(); // the connect itself: anything may happen meanwhile
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let conn = Arc::new(ModelConn {
            id,
            run: ticket.run(),
            close_req: Mutex::new(false),
            cv: Condvar::new(),
            closes: AtomicUsize::new(0),
        });
        self.table.lock().unwrap().insert(id, conn.clone());
        if !ticket.attach(starting) {
            self.table.lock().unwrap().remove(&id);
            return Err(());
        }
        self.log(Log::Attach(ticket.run(), id));
        if starting {
            // A synchronous connect fires on_connect on the caller's thread: Started.
            self.lc.started(ticket.run());
        }
        self.all.lock().unwrap().push(conn.clone());
        self.spawn_worker(conn);
        Ok(id)
    }

    /// An agent's or server's start: no connection of its own.
    fn start(self: &Arc<Self>) -> bool {
        let Ok(t) = self.lc.begin_start() else {
            return false;
        };
        *self.run_slot.lock().unwrap() = Some(t.run());
        assert!(t.started());
        t.finish();
        true
    }

    /// An agent's or server's stop, as `begin_stop` + `complete_stop` do it.
    fn stop(&self) -> bool {
        let Ok(run) = self.lc.begin_stop(false) else {
            return false;
        };
        self.sweep();
        self.lc.wait_drained(run);
        assert!(
            self.table.lock().unwrap().values().all(|c| c.run != run),
            "a connection of the stopped run is left"
        );
        self.release_run(run);
        self.log(Log::StopDone(run));
        assert!(self.lc.finish_stop(run));
        true
    }

    fn sweep(&self) {
        let conns: Vec<_> = self.table.lock().unwrap().values().cloned().collect();
        for c in conns {
            c.request_close();
        }
    }

    /// A client's start: a run whose start connects under its own ticket.
    fn client_start(self: &Arc<Self>) -> Result<usize, ()> {
        let Ok(t) = self.lc.begin_start() else {
            return Err(());
        };
        let run = t.run();
        *self.run_slot.lock().unwrap() = Some(run);
        match self.connect(Some(&t)) {
            Ok(id) => {
                if t.finish() {
                    self.release_run(run);
                }
                Ok(id)
            }
            Err(()) => {
                if t.fail_start() {
                    self.release_run(run);
                }
                Err(())
            }
        }
    }

    /// A client's stop: sweep, then wait until the run is over.
    fn client_stop(&self) -> bool {
        let Ok(run) = self.lc.begin_stop(true) else {
            return false;
        };
        self.sweep();
        self.lc.wait_run_over(run);
        true
    }

    /// `send` / `disconnect` by ID from another thread: only a connection in the table.
    fn disconnect(&self, id: usize) {
        let c = self.table.lock().unwrap().get(&id).cloned();
        if let Some(c) = c {
            c.request_close();
        }
    }

    /// Ends whatever is left, joins the workers, and checks the log.
    fn finish(&self) {
        loop {
            match self.lc.phase() {
                Phase::Stopped => break,
                Phase::Started if self.client => {
                    self.client_stop();
                }
                Phase::Started => {
                    self.stop();
                }
                _ => thread::yield_now(),
            }
        }
        let workers = std::mem::take(&mut *self.workers.lock().unwrap());
        for h in workers {
            h.join().unwrap();
        }
        for c in self.all.lock().unwrap().iter() {
            assert_eq!(c.closes.load(Ordering::SeqCst), 1, "connection {}", c.id);
        }
        let log = self.log.lock().unwrap().clone();
        for (i, e) in log.iter().enumerate() {
            if let Log::StopDone(run) = e {
                for later in &log[i + 1..] {
                    assert!(
                        !matches!(later, Log::Attach(r, _) | Log::Close(r, _) if r == run),
                        "{later:?} after the stop of run {run}: {log:?}"
                    );
                }
            }
        }
    }
}

/// An agent (or server: an accept is the same protocol on a worker): restart racing
/// connects, disconnects by ID and peer resets.
fn agent_model() {
    let m = Model::new(false);
    assert!(m.start());
    let a = m.clone();
    let life = thread::spawn(move || {
        assert!(a.stop());
        assert!(a.start(), "start after stop");
        assert!(a.stop());
    });
    let b = m.clone();
    let connects = thread::spawn(move || {
        let mut ids = Vec::new();
        for _ in 0..2 {
            if let Ok(id) = b.connect(None) {
                ids.push(id);
            }
        }
        ids
    });
    let c = m.clone();
    let other = thread::spawn(move || {
        let _ = c.connect(None);
        c.disconnect(2);
        c.disconnect(4);
    });
    life.join().unwrap();
    connects.join().unwrap();
    other.join().unwrap();
    assert_eq!(m.lc.phase(), Phase::Stopped);
    assert!(m.start(), "start after stop");
    m.finish();
}

/// A client: a stop from another thread during a start that connects, then a second start;
/// the first start's end must not touch the second run.
fn client_model() {
    let m = Model::new(true);
    let a = m.clone();
    let first = thread::spawn(move || a.client_start());
    let b = m.clone();
    let second = thread::spawn(move || {
        b.client_stop();
        b.client_start()
    });
    let _ = first.join().unwrap();
    let r2 = second.join().unwrap();
    // Whatever the order: a run is Stopped only when nothing of it is left. The phase is
    // read first: workers only remove connections, so one seen after it was there before.
    let phase = m.lc.phase();
    let live = m.table.lock().unwrap().len();
    if live > 0 {
        assert_ne!(phase, Phase::Stopped, "stopped over a live connection");
    }
    if let Ok(id) = r2 {
        if m.table.lock().unwrap().contains_key(&id) {
            assert_eq!(phase, Phase::Started, "the second run's connection is open");
        }
    }
    m.disconnect(1);
    m.disconnect(2);
    m.finish();
}

#[test]
fn agent_lifecycle_random() {
    shuttle::check_random_with_seed(agent_model, SEED, RANDOM);
}

#[test]
fn agent_lifecycle_pct() {
    shuttle::check_pct(agent_model, PCT, 3);
}

#[test]
fn client_lifecycle_random() {
    shuttle::check_random_with_seed(client_model, SEED, RANDOM);
}

#[test]
fn client_lifecycle_pct() {
    shuttle::check_pct(client_model, PCT, 3);
}
