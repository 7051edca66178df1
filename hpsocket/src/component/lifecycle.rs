//! The life cycle every component shares: `Stopped → Starting → Started → Stopping → Stopped`,
//! one run per start, each run numbered (its generation).
//!
//! Whatever may add a connection to a run (a start, a connect, an accept) first takes a
//! [`Ticket`] of the current run, and a connection joins the run only through
//! [`Ticket::attach`], which fails once a stop began or the run is over. A stop waits until
//! no ticket is out and no connection is attached ([`Lifecycle::wait_drained`]), so nothing
//! of a run outlives its stop, and nothing of an old run can join a new one: a connect that
//! was blocked while the component stopped and started again holds a ticket of the old
//! generation, which no longer attaches.
//!
//! The module depends on nothing of the crate but its `sync` primitives (std's, or shuttle's
//! in `tests/lifecycle_models.rs`, which explores this very code under random schedules).

use std::time::{Duration, Instant};

use super::sync::{Condvar, Mutex, MutexGuard};

/// Where a component is in its life cycle (the public `ServiceState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Stopped,
    Starting,
    Started,
    Stopping,
}

struct State {
    phase: Phase,
    /// The generation of the current (or last) run; 0 before the first start.
    run: u64,
    /// Tickets out: starts, connects and accepts of the current run under way.
    inflight: usize,
    /// Connections attached to the current run and not yet detached.
    conns: usize,
}

/// One component's life cycle (see the module documentation).
pub(crate) struct Lifecycle {
    st: Mutex<State>,
    cv: Condvar,
    /// The run ends by itself when its last connection and ticket are gone (a client, whose
    /// one connection is its whole run).
    ends_with_last: bool,
}

/// A start, connect or accept of run `run` under way; while it is out, that run's stop
/// cannot complete. Give it back with [`finish`](Ticket::finish) (or drop it).
pub(crate) struct Ticket<'a> {
    lc: &'a Lifecycle,
    run: u64,
    done: bool,
}

impl Lifecycle {
    /// A stopped component; `ends_with_last`: see [`Lifecycle`].
    pub fn new(ends_with_last: bool) -> Lifecycle {
        Lifecycle {
            st: Mutex::new(State {
                phase: Phase::Stopped,
                run: 0,
                inflight: 0,
                conns: 0,
            }),
            cv: Condvar::new(),
            ends_with_last,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned one still holds a valid state.
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn phase(&self) -> Phase {
        self.lock().phase
    }

    /// The current (or last) run's generation.
    pub fn run(&self) -> u64 {
        self.lock().run
    }

    /// True while run `run` is the current one and `phase` is Started (or Starting, with
    /// `allow_starting`): what a blocked connect polls to learn it was overtaken by a stop.
    pub fn is_current(&self, run: u64, allow_starting: bool) -> bool {
        let st = self.lock();
        st.run == run && live(st.phase, allow_starting)
    }

    /// `Stopped → Starting`: a new run, whose start holds the returned ticket. `Err`: the
    /// phase it was in.
    pub fn begin_start(&self) -> Result<Ticket<'_>, Phase> {
        let mut st = self.lock();
        if st.phase != Phase::Stopped {
            return Err(st.phase);
        }
        st.phase = Phase::Starting;
        st.run += 1;
        st.inflight = 1;
        st.conns = 0;
        Ok(Ticket {
            lc: self,
            run: st.run,
            done: false,
        })
    }

    /// A ticket of the current run, if it is Started (or Starting, with `allow_starting`).
    pub fn enter(&self, allow_starting: bool) -> Option<Ticket<'_>> {
        let mut st = self.lock();
        if !live(st.phase, allow_starting) {
            return None;
        }
        st.inflight += 1;
        Some(Ticket {
            lc: self,
            run: st.run,
            done: false,
        })
    }

    /// `Starting → Started` for run `run`; false when a stop overtook it (or the run is over).
    pub fn started(&self, run: u64) -> bool {
        let mut st = self.lock();
        if st.run != run || st.phase != Phase::Starting {
            return false;
        }
        st.phase = Phase::Started;
        drop(st);
        self.cv.notify_all();
        true
    }

    /// `Started` (or `Starting`, with `allow_starting`) `→ Stopping`; the run's generation,
    /// or the phase that refused it.
    pub fn begin_stop(&self, allow_starting: bool) -> Result<u64, Phase> {
        let mut st = self.lock();
        if !live(st.phase, allow_starting) {
            return Err(st.phase);
        }
        st.phase = Phase::Stopping;
        let run = st.run;
        drop(st);
        self.cv.notify_all();
        Ok(run)
    }

    /// Blocks until run `run` has no ticket out and no connection attached (or is over).
    pub fn wait_drained(&self, run: u64) {
        let mut st = self.lock();
        while st.run == run && st.phase != Phase::Stopped && (st.inflight > 0 || st.conns > 0) {
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// `Stopping → Stopped` for run `run`; false if it was not stopping (or is over).
    pub fn finish_stop(&self, run: u64) -> bool {
        let mut st = self.lock();
        if st.run != run || st.phase != Phase::Stopping {
            return false;
        }
        st.phase = Phase::Stopped;
        drop(st);
        self.cv.notify_all();
        true
    }

    /// A connection of run `run` is gone. True when that ended the run (see
    /// [`Lifecycle::new`]): its owner releases what the run held.
    pub fn detach(&self, run: u64) -> bool {
        let mut st = self.lock();
        if st.run != run || st.conns == 0 {
            return false;
        }
        st.conns -= 1;
        let ended = self.settle(&mut st);
        drop(st);
        self.cv.notify_all();
        ended
    }

    /// A run that ends with its last connection: ends it when nothing is left.
    fn settle(&self, st: &mut State) -> bool {
        if self.ends_with_last && st.phase != Phase::Stopped && st.inflight == 0 && st.conns == 0 {
            st.phase = Phase::Stopped;
            return true;
        }
        false
    }

    /// Any phase → Stopped, for the roles that track their sockets themselves (UDP) and
    /// hand out no tickets.
    pub fn force_stop(&self) {
        self.lock().phase = Phase::Stopped;
        self.cv.notify_all();
    }

    /// Blocks until stopped, or until `timeout` passes; true when stopped.
    pub fn wait_stopped(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut st = self.lock();
        while st.phase != Phase::Stopped {
            match deadline {
                None => st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    st = self
                        .cv
                        .wait_timeout(st, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        true
    }

    /// Blocks until run `run` is over (another run may have begun since).
    pub fn wait_run_over(&self, run: u64) {
        let mut st = self.lock();
        while st.run == run && st.phase != Phase::Stopped {
            st = self.cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn live(phase: Phase, allow_starting: bool) -> bool {
    phase == Phase::Started || (allow_starting && phase == Phase::Starting)
}

impl Ticket<'_> {
    /// The generation of the run this ticket belongs to.
    pub fn run(&self) -> u64 {
        self.run
    }

    /// True while the ticket's run is current and live (see [`Lifecycle::is_current`]).
    pub fn is_current(&self, allow_starting: bool) -> bool {
        self.lc.is_current(self.run, allow_starting)
    }

    /// A connection joins the ticket's run: only while that run is current and Started (or
    /// Starting, with `allow_starting`), so a stop that began already never misses it. False:
    /// the caller closes the connection itself.
    pub fn attach(&self, allow_starting: bool) -> bool {
        let mut st = self.lc.lock();
        if st.run != self.run || !live(st.phase, allow_starting) {
            return false;
        }
        st.conns += 1;
        true
    }

    /// `Starting → Started` (see [`Lifecycle::started`]).
    pub fn started(&self) -> bool {
        self.lc.started(self.run)
    }

    /// A start that failed: `Starting → Stopped` (a stop that overtook it also ends here).
    /// True when this ended the run.
    pub fn fail_start(mut self) -> bool {
        self.done = true;
        let mut st = self.lc.lock();
        if st.run != self.run {
            return false;
        }
        st.inflight -= 1;
        let ended = if st.phase == Phase::Starting
            || (st.phase == Phase::Stopping && st.inflight == 0 && st.conns == 0)
        {
            st.phase = Phase::Stopped;
            true
        } else {
            self.lc.settle(&mut st)
        };
        drop(st);
        self.lc.cv.notify_all();
        ended
    }

    /// Gives the ticket back. True when that ended the run (see [`Lifecycle::new`]).
    pub fn finish(mut self) -> bool {
        self.release()
    }

    fn release(&mut self) -> bool {
        if self.done {
            return false;
        }
        self.done = true;
        let mut st = self.lc.lock();
        if st.run != self.run {
            return false;
        }
        st.inflight -= 1;
        let ended = self.lc.settle(&mut st);
        drop(st);
        self.lc.cv.notify_all();
        ended
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.release();
    }
}
