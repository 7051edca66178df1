//! HP-Socket's thread pool (`IHPThreadPool`; the 4C `HP_ThreadPool_*` family): [`ThreadPool`],
//! its listener, its socket tasks (`task`) and its errors. The pool's semantics, its memory
//! bound and its differences from HP-Socket are documented on [`ThreadPool`], where users see
//! them.

mod task;

pub use task::{SocketTask, TaskBuffer, TaskBufferType};

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::types::ServiceState;

/// The upper bound of the default thread count (HP-Socket's `MAX_WORKER_THREAD_COUNT`).
const MAX_DEFAULT_THREADS: u32 = 512;

/// What `submit` does when the queue is full (`En_HP_RejectedPolicy`). See the
/// [`ThreadPool` documentation](ThreadPool#when-the-queue-is-full).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum RejectedPolicy {
    /// `TRP_CALL_FAIL`: fail at once.
    #[default]
    CallFail = 0,
    /// `TRP_WAIT_FOR`: wait for room, up to the submit's `max_wait`.
    WaitFor = 1,
    /// `TRP_CALLER_RUN`: run the task on the submitting thread.
    CallerRun = 2,
}

impl RejectedPolicy {
    /// The policy with HP-Socket's numeric value, `None` for any other value.
    ///
    /// ```
    /// use hpsocket::RejectedPolicy;
    /// assert_eq!(RejectedPolicy::from_raw(1), Some(RejectedPolicy::WaitFor));
    /// assert_eq!(RejectedPolicy::from_raw(-1), None);
    /// ```
    pub fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(RejectedPolicy::CallFail),
            1 => Some(RejectedPolicy::WaitFor),
            2 => Some(RejectedPolicy::CallerRun),
            _ => None,
        }
    }
}

/// Why a submit was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubmitErrorKind {
    /// The pool is not started (stopped, starting or stopping).
    NotStarted,
    /// The queue is full and the policy is [`RejectedPolicy::CallFail`].
    QueueFull,
    /// The queue stayed full for the submit's whole `max_wait` ([`RejectedPolicy::WaitFor`]).
    TimedOut,
}

impl SubmitErrorKind {
    /// The errno value HP-Socket sets for this failure: `EPERM` (`ERROR_INVALID_STATE`),
    /// `EXFULL` (`ERROR_DESTINATION_ELEMENT_FULL`), `ETIMEDOUT` (`ERROR_TIMEOUT`).
    pub fn errno(self) -> i32 {
        match self {
            SubmitErrorKind::NotStarted => libc::EPERM,
            SubmitErrorKind::QueueFull => libc::EXFULL,
            SubmitErrorKind::TimedOut => libc::ETIMEDOUT,
        }
    }
}

impl fmt::Display for SubmitErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SubmitErrorKind::NotStarted => "the thread pool is not started",
            SubmitErrorKind::QueueFull => "the thread pool's task queue is full",
            SubmitErrorKind::TimedOut => "timed out waiting for room in the thread pool's queue",
        })
    }
}

/// A refused submit: why, and the task, handed back unrun and undropped.
///
/// ```
/// use hpsocket::{SubmitErrorKind, ThreadPool};
///
/// let pool = ThreadPool::new(()); // not started
/// let err = pool.submit(|| println!("never"), None).unwrap_err();
/// assert_eq!(err.kind(), SubmitErrorKind::NotStarted);
/// assert_eq!(err.errno(), libc::EPERM);
/// let task = err.into_task(); // still ours
/// # drop(task);
/// ```
pub struct SubmitError<T> {
    kind: SubmitErrorKind,
    task: T,
}

impl<T> SubmitError<T> {
    /// Why the submit was refused.
    pub fn kind(&self) -> SubmitErrorKind {
        self.kind
    }

    /// The errno value HP-Socket sets for this failure (see [`SubmitErrorKind::errno`]).
    pub fn errno(&self) -> i32 {
        self.kind.errno()
    }

    /// The refused task.
    pub fn task(&self) -> &T {
        &self.task
    }

    /// Takes the refused task back.
    pub fn into_task(self) -> T {
        self.task
    }
}

impl<T> fmt::Debug for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubmitError")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl<T> std::error::Error for SubmitError<T> {}

impl std::error::Error for SubmitErrorKind {}

/// How a successful [`ThreadPool::stop`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StopOutcome {
    /// Every queued task ran and every worker ended.
    Complete,
    /// `max_wait` passed first. The pool is stopped all the same (it can start again).
    TimedOut {
        /// Queued tasks dropped without running.
        dropped: usize,
        /// Workers still inside a task, left to finish it and end on their own.
        abandoned: usize,
    },
    /// Called on one of the pool's workers: the stop is under way and completes
    /// (`on_shutdown`, state `Stopped`) when the last worker ends. Use
    /// [`ThreadPool::wait`] on another thread to know when.
    Deferred,
}

/// The pool's events (`IHPThreadPoolListener`; the 4C `HP_FN_ThreadPool_On*` callbacks). All
/// methods do nothing by default; `()` is a listener that ignores everything.
pub trait ThreadPoolListener: Send + Sync + 'static {
    /// `start` has begun (state `Starting`), before any worker is started; on the thread
    /// calling `start`. Tasks cannot be submitted yet.
    fn on_startup(&self, pool: &ThreadPool) {
        let _ = pool;
    }

    /// The stop is complete but for this event: every worker has ended (or was abandoned by a
    /// stop that timed out) and the dropped tasks are gone; state `Stopping` until it
    /// returns. On the thread calling `stop`, or on the last worker for a deferred stop.
    fn on_shutdown(&self, pool: &ThreadPool) {
        let _ = pool;
    }

    /// A worker thread has started; on that thread, before it runs any task.
    fn on_worker_thread_start(&self, pool: &ThreadPool, thread: ThreadId) {
        let _ = (pool, thread);
    }

    /// A worker thread is ending (the pool shrank or stopped); on that thread, after its last
    /// task.
    fn on_worker_thread_end(&self, pool: &ThreadPool, thread: ThreadId) {
        let _ = (pool, thread);
    }
}

impl ThreadPoolListener for () {}

type Job = Box<dyn FnOnce() + Send>;

/// Everything the pool's threads share, behind one lock.
struct Core {
    state: ServiceState,
    /// Bumped by every completed stop: workers of an earlier run that a timed-out stop
    /// abandoned see the change and end without touching this run's counts.
    generation: u64,
    queue: VecDeque<Job>,
    max_queue: u32,
    policy: RejectedPolicy,
    stack_size: u32,
    /// The thread count asked for (HP-Socket's `m_dwThreadCount`, `GetThreadCount`).
    target: u32,
    /// Workers that have not decided to end; above `target` while surplus workers finish
    /// their current task.
    threads: u32,
    /// Workers whose thread has not finished (their end event included); a stop waits for 0.
    running: u32,
    /// Tasks running now, on workers or on callers (`GetTaskCount`).
    executing: u32,
    /// The stop was asked for on a worker: the last worker to end completes it.
    deferred: bool,
    /// The thread completing a stop (it runs `on_shutdown`).
    finisher: Option<ThreadId>,
}

impl Core {
    fn full(&self) -> bool {
        self.max_queue != 0 && self.queue.len() >= self.max_queue as usize
    }

    /// One worker thread is done. True when that completes a deferred stop, which the caller
    /// must then finish.
    fn release_worker(&mut self, done: &Condvar) -> bool {
        self.running -= 1;
        if self.running == 0 && self.state == ServiceState::Stopping {
            if self.deferred {
                return true;
            }
            done.notify_all();
        }
        false
    }
}

struct Shared {
    listener: Box<dyn ThreadPoolListener>,
    core: Mutex<Core>,
    /// Workers wait here for a task (or to end).
    work: Condvar,
    /// `WaitFor` submits wait here for room in the queue.
    room: Condvar,
    /// `stop` waits here for the workers to end, `wait` for the state `Stopped`.
    done: Condvar,
}

thread_local! {
    /// On a worker thread: its pool (the address of the shared state) and run.
    static WORKER_OF: Cell<(usize, u64)> = const { Cell::new((0, 0)) };
}

/// HP-Socket's thread pool (`IHPThreadPool`; the 4C `HP_ThreadPool_*` family): worker threads,
/// as many as asked for and resizable while running, that run submitted tasks in order of
/// submission, with a queue that may be bounded and a policy for what `submit` does when the
/// queue is full.
///
/// It is a building block of its own: the components' event loops do not use it. The usual
/// use is to move slow work (a database call, a file read) out of a connection's callback:
/// submit a [`SocketTask`] carrying the connection ID and the received bytes, and send the
/// answer from the task.
///
/// # Life cycle
/// [`ThreadPool::start`] (`Stopped` → `Starting` → `Started`) fires
/// [`on_startup`](ThreadPoolListener::on_startup), then starts the workers, each firing
/// [`on_worker_thread_start`](ThreadPoolListener::on_worker_thread_start) on its own thread.
/// [`ThreadPool::stop`] (`Stopping` → `Stopped`) refuses new tasks, lets the workers run
/// **every task still queued**, waits for them to end (each fires
/// [`on_worker_thread_end`](ThreadPoolListener::on_worker_thread_end)), then fires
/// [`on_shutdown`](ThreadPoolListener::on_shutdown). If `max_wait` passes first, the tasks
/// still queued are dropped without running (a socket task's buffer is freed then) and the
/// workers still inside a task are left to finish it on their own; see [`StopOutcome`].
/// A stopped pool can be started again.
///
/// # When the queue is full
/// `max_queue_size` bounds the tasks waiting in the queue (0: no bound). When a submit finds
/// it full, the pool's [`RejectedPolicy`] decides:
/// - [`CallFail`](RejectedPolicy::CallFail) (`TRP_CALL_FAIL`, the default): the submit fails
///   at once with [`SubmitErrorKind::QueueFull`] (errno `EXFULL`, HP-Socket's
///   `ERROR_DESTINATION_ELEMENT_FULL`).
/// - [`WaitFor`](RejectedPolicy::WaitFor) (`TRP_WAIT_FOR`): the submit blocks until a worker
///   takes a task off the queue, up to its `max_wait` (`None`: no limit), then fails with
///   [`SubmitErrorKind::TimedOut`] (`ETIMEDOUT`); a stop wakes it with
///   [`SubmitErrorKind::NotStarted`] (`EPERM`). It waits on a condition variable, not in a
///   loop.
/// - [`CallerRun`](RejectedPolicy::CallerRun) (`TRP_CALLER_RUN`): the task runs at once on
///   the submitting thread, and the submit returns when it is done; [`ThreadPool::task_count`]
///   counts it meanwhile.
///
/// A refused task is never dropped and never run: [`SubmitError::into_task`] hands it back,
/// so whoever owns resources inside it (HP-Socket: "destroy the task yourself when the
/// submit fails") still owns them.
///
/// # Memory bound
/// The queue holds at most `max_queue_size` tasks, each one box (plus, for a socket task, its
/// buffer); with 0 it grows with whatever is submitted faster than the workers run it, as
/// HP-Socket's does. A pool fed from network callbacks should set a bound and pick
/// `CallFail` (shed load) or `WaitFor` with a short `max_wait` (push back on the sender).
///
/// # Threads and callbacks
/// Every method may be called from any thread, inside tasks and inside the listener's
/// callbacks. Two calls could wait for the calling thread itself; they do not:
/// - `stop` on one of the pool's workers (from a task or a worker event) starts the stop and
///   returns [`StopOutcome::Deferred`] at once; the last worker to end completes it. In
///   `on_shutdown` (the stop is completing on that thread) `stop` fails at once.
/// - `wait` on one of the pool's workers, or in `on_shutdown`, returns `false` at once
///   instead of waiting for a stop that cannot complete while it waits.
///
/// A task that panics is caught and logged, and its worker goes on; so is a listener
/// callback that panics. A task run by `CallerRun` panics into its caller, as a direct call
/// would.
///
/// # Differences from HP-Socket (5.8, `Linux/src/HPThreadPool.cpp`)
/// - **Shrinking** takes effect as soon as the surplus workers finish their current task;
///   HP-Socket's surplus workers keep taking tasks until the queue is empty, so a pool that
///   is never idle never shrinks. Growing again first keeps workers that were about to end
///   instead of starting new ones.
/// - **A stop that times out** cannot cancel threads (HP-Socket calls `pthread_cancel`, which
///   leaks whatever the cancelled task held): the workers still inside a task are abandoned —
///   they finish it, fire `on_worker_thread_end` and end, apart from any later run of the
///   pool. [`StopOutcome::TimedOut`] says how many tasks were dropped and workers abandoned
///   (HP-Socket returns `TRUE` with errno `ECANCELED` then).
/// - **Stop inside a task** is deferred instead of waiting forever for its own thread.
/// - **Events**: `on_shutdown` comes after every (non-abandoned) `on_worker_thread_end`
///   (HP-Socket may fire a worker's end after `OnShutdown`); the worker events carry the
///   Rust [`ThreadId`] (the C ABI reads `pthread_self()` inside the callback, which runs on
///   that worker).
/// - **`max_wait`** is an `Option<Duration>`: `None` waits without limit, `Some(ZERO)` does
///   not wait. HP-Socket's `dwMaxWait` treats both `INFINITE` and `0` as no limit; the C ABI
///   maps both to `None`. HP-Socket's `Stop` sleeps 15 ms before stopping; this one does not.
/// - **Stack size** 0 means Rust's default for spawned threads (2 MiB, or `RUST_MIN_STACK`),
///   not the pthread default (`ulimit -s`, usually 8 MiB); a size below the platform minimum
///   is raised to it instead of failing with `EINVAL`.
/// - **CPU count** for the thread-count rules is `available_parallelism` (it honours CPU
///   affinity and cgroup quotas), not `get_nprocs`.
/// - **Policies** are an enum, so an out-of-range policy cannot reach a submit (HP-Socket
///   accepts one at `Start` and fails each full-queue submit with `EINVAL`).
///
/// # Example
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use hpsocket::{RejectedPolicy, ServiceState, StopOutcome, ThreadPool};
///
/// let pool = ThreadPool::new(());
/// // 4 workers, at most 100 queued tasks, submits wait when the queue is full.
/// pool.start(4, 100, RejectedPolicy::WaitFor, 0)?;
/// let sum = Arc::new(AtomicUsize::new(0));
/// for i in 1..=10 {
///     let sum = sum.clone();
///     pool.submit(move || { sum.fetch_add(i, Ordering::Relaxed); }, None)
///         .map_err(|e| e.kind())?;
/// }
/// // A stop runs what is still queued before it returns.
/// assert_eq!(pool.stop(None)?, StopOutcome::Complete);
/// assert_eq!(sum.load(Ordering::Relaxed), 55);
/// assert_eq!(pool.state(), ServiceState::Stopped);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ThreadPool {
    shared: Arc<Shared>,
    /// False for the views handed to listener callbacks on worker threads: dropping a view
    /// does not stop the pool.
    owner: bool,
}

impl ThreadPool {
    /// A stopped pool reporting its events to `listener` (`Create_HP_ThreadPool`; pass `()`
    /// for none).
    pub fn new(listener: impl ThreadPoolListener) -> ThreadPool {
        ThreadPool {
            shared: Arc::new(Shared {
                listener: Box::new(listener),
                core: Mutex::new(Core {
                    state: ServiceState::Stopped,
                    generation: 0,
                    queue: VecDeque::new(),
                    max_queue: 0,
                    policy: RejectedPolicy::CallFail,
                    stack_size: 0,
                    target: 0,
                    threads: 0,
                    running: 0,
                    executing: 0,
                    deferred: false,
                    finisher: None,
                }),
                work: Condvar::new(),
                room: Condvar::new(),
                done: Condvar::new(),
            }),
            owner: true,
        }
    }

    /// HP-Socket's default thread count: 2 × CPUs + 2, at most 512.
    pub fn default_thread_count() -> u32 {
        cpus()
            .saturating_mul(2)
            .saturating_add(2)
            .min(MAX_DEFAULT_THREADS)
    }

    /// The thread count HP-Socket's rules give for `n`: `n` when positive,
    /// [`default_thread_count`](Self::default_thread_count) for 0, CPUs × −`n` when negative.
    pub fn resolve_thread_count(n: i32) -> u32 {
        match n {
            n if n > 0 => n.unsigned_abs(),
            0 => Self::default_thread_count(),
            n => cpus().saturating_mul(n.unsigned_abs()),
        }
    }

    /// Starts the pool (`Start`).
    ///
    /// - `thread_count`: see [`resolve_thread_count`](Self::resolve_thread_count) (the C
    ///   ABI's `DWORD` is read as a signed value, as HP-Socket does).
    /// - `max_queue_size`: tasks that may wait in the queue; 0 for no bound.
    /// - `rejected_policy`: what a submit does when the queue is full.
    /// - `stack_size`: each worker's stack in bytes; 0 for the default.
    ///
    /// Fires `on_startup` before starting the workers. Fails with [`Error::IllegalState`]
    /// unless stopped, and with [`Error::WorkerThreadCreate`] when a thread cannot be
    /// created — the pool is stopped again then (firing `on_shutdown`), as in HP-Socket.
    pub fn start(
        &self,
        thread_count: i32,
        max_queue_size: u32,
        rejected_policy: RejectedPolicy,
        stack_size: u32,
    ) -> Result<()> {
        let generation = {
            let mut g = self.shared.core.lock();
            if g.state != ServiceState::Stopped {
                return Err(Error::IllegalState("thread pool is not stopped"));
            }
            g.state = ServiceState::Starting;
            g.max_queue = max_queue_size;
            g.policy = rejected_policy;
            g.stack_size = stack_size;
            g.generation
        };
        self.fire(|l| l.on_startup(self));
        match self.spawn_workers(Self::resolve_thread_count(thread_count), generation) {
            Ok(()) => {}
            Err(e @ Error::WorkerThreadCreate(_)) => {
                let _ = self.stop(None);
                return Err(e);
            }
            Err(e) => return Err(e),
        }
        let mut g = self.shared.core.lock();
        if g.generation == generation && g.state == ServiceState::Starting {
            g.state = ServiceState::Started;
            Ok(())
        } else {
            Err(Error::IllegalState(
                "thread pool was stopped while starting",
            ))
        }
    }

    /// Stops the pool (`Stop`): refuses new tasks, runs the queued ones, waits up to
    /// `max_wait` (`None`: no limit) for the workers to end, then fires `on_shutdown`. See
    /// [`StopOutcome`] for a stop that times out or is called on a worker.
    ///
    /// Fails with [`Error::IllegalState`] when the pool is stopped, or already stopping (then
    /// after waiting for that stop to complete, as HP-Socket does, unless the wait would be
    /// for the calling thread itself).
    pub fn stop(&self, max_wait: Option<Duration>) -> Result<StopOutcome> {
        let shared = &*self.shared;
        let mut g = shared.core.lock();
        match g.state {
            ServiceState::Stopped => {
                return Err(Error::IllegalState("thread pool is not started"));
            }
            ServiceState::Stopping => {
                if !self.waits_on_itself(&g) {
                    while g.state != ServiceState::Stopped {
                        shared.done.wait(&mut g);
                    }
                }
                return Err(Error::IllegalState("thread pool is already stopping"));
            }
            ServiceState::Starting | ServiceState::Started => {}
        }
        g.state = ServiceState::Stopping;
        g.target = 0;
        shared.work.notify_all();
        shared.room.notify_all();
        if self.is_current_worker(&g) {
            g.deferred = true;
            return Ok(StopOutcome::Deferred);
        }
        let deadline = deadline(max_wait);
        while g.running > 0 {
            match deadline {
                None => shared.done.wait(&mut g),
                Some(d) => {
                    if shared.done.wait_until(&mut g, d).timed_out() {
                        break;
                    }
                }
            }
        }
        drop(g);
        Ok(self.finish_stop())
    }

    /// Blocks until the pool is stopped or `max_wait` passes (`None`: no limit); true when
    /// stopped (`Wait`). On one of the pool's workers, or in `on_shutdown`, it returns false
    /// at once unless already stopped: the stop cannot complete while that thread waits.
    pub fn wait(&self, max_wait: Option<Duration>) -> bool {
        let deadline = deadline(max_wait);
        let mut g = self.shared.core.lock();
        loop {
            if g.state == ServiceState::Stopped {
                return true;
            }
            if self.waits_on_itself(&g) {
                return false;
            }
            match deadline {
                None => self.shared.done.wait(&mut g),
                Some(d) => {
                    if self.shared.done.wait_until(&mut g, d).timed_out() {
                        return g.state == ServiceState::Stopped;
                    }
                }
            }
        }
    }

    /// Submits a task (`Submit`). When the queue is full the pool's [`RejectedPolicy`]
    /// decides; `max_wait` (`None`: no limit) bounds the wait of
    /// [`WaitFor`](RejectedPolicy::WaitFor) and is ignored otherwise. A refused task comes
    /// back in the error, unrun.
    pub fn submit<F>(
        &self,
        task: F,
        max_wait: Option<Duration>,
    ) -> std::result::Result<(), SubmitError<F>>
    where
        F: FnOnce() + Send + 'static,
    {
        self.submit_with(task, |f: F| f(), max_wait)
    }

    /// Submits a socket task (`Submit` with a `TSocketTask`): as [`submit`](Self::submit);
    /// the task (and its buffer) is dropped after its procedure ran, or unrun if a stop that
    /// times out drops the queue. A refused task comes back in the error, buffer and all.
    pub fn submit_task(
        &self,
        task: SocketTask,
        max_wait: Option<Duration>,
    ) -> std::result::Result<(), SubmitError<SocketTask>> {
        self.submit_with(task, SocketTask::run, max_wait)
    }

    /// Sets the number of workers while started (`AdjustThreadCount`; `thread_count` as in
    /// [`start`](Self::start)). Growing starts threads at once; shrinking lets the surplus
    /// workers finish their current task and end, and [`thread_count`](Self::thread_count)
    /// reports the new count at once. Fails with [`Error::IllegalState`] unless started, and
    /// with [`Error::WorkerThreadCreate`] when a thread cannot be created (the threads
    /// already created stay).
    pub fn adjust_thread_count(&self, thread_count: i32) -> Result<()> {
        let wanted = Self::resolve_thread_count(thread_count);
        let (spawn, generation) = {
            let mut g = self.shared.core.lock();
            if g.state != ServiceState::Started {
                return Err(Error::IllegalState("thread pool is not started"));
            }
            if wanted <= g.target {
                g.target = wanted;
                self.shared.work.notify_all();
                return Ok(());
            }
            // Keep surplus workers that have not ended yet before starting new ones.
            let extra = wanted - g.target;
            let kept = (g.threads - g.target).min(extra);
            g.target += kept;
            (extra - kept, g.generation)
        };
        self.spawn_workers(spawn, generation)
    }

    /// True when starting or started (`HasStarted`).
    pub fn has_started(&self) -> bool {
        matches!(self.state(), ServiceState::Starting | ServiceState::Started)
    }

    /// The life-cycle state (`GetState`).
    pub fn state(&self) -> ServiceState {
        self.shared.core.lock().state
    }

    /// Tasks waiting in the queue (`GetQueueSize`).
    pub fn queue_size(&self) -> u32 {
        self.shared.core.lock().queue.len() as u32
    }

    /// Tasks running now, on workers or (by [`RejectedPolicy::CallerRun`]) on submitting
    /// threads (`GetTaskCount`).
    pub fn task_count(&self) -> u32 {
        self.shared.core.lock().executing
    }

    /// The number of workers asked for (`GetThreadCount`); after a shrink, surplus workers
    /// may still be finishing a task. 0 when stopped.
    pub fn thread_count(&self) -> u32 {
        self.shared.core.lock().target
    }

    /// The queue bound given to `start`, 0 for none (`GetMaxQueueSize`); 0 when stopped.
    pub fn max_queue_size(&self) -> u32 {
        self.shared.core.lock().max_queue
    }

    /// The policy given to `start` (`GetRejectedPolicy`); `CallFail` when stopped.
    pub fn rejected_policy(&self) -> RejectedPolicy {
        self.shared.core.lock().policy
    }

    // ---- internals ----

    fn submit_with<T: Send + 'static>(
        &self,
        task: T,
        run: fn(T),
        max_wait: Option<Duration>,
    ) -> std::result::Result<(), SubmitError<T>> {
        let shared = &*self.shared;
        let refuse = |kind, task| Err(SubmitError { kind, task });
        // Computed on the first wait only: most submits never wait.
        let mut until: Option<Option<Instant>> = None;
        let mut expired = false;
        let mut g = shared.core.lock();
        loop {
            if g.state != ServiceState::Started {
                return refuse(SubmitErrorKind::NotStarted, task);
            }
            if !g.full() {
                g.queue.push_back(Box::new(move || run(task)));
                shared.work.notify_one();
                return Ok(());
            }
            match g.policy {
                RejectedPolicy::CallFail => return refuse(SubmitErrorKind::QueueFull, task),
                RejectedPolicy::CallerRun => {
                    g.executing += 1;
                    let _running = CallerRun {
                        shared,
                        generation: g.generation,
                    };
                    drop(g);
                    run(task);
                    return Ok(());
                }
                RejectedPolicy::WaitFor => {
                    if expired {
                        return refuse(SubmitErrorKind::TimedOut, task);
                    }
                    match *until.get_or_insert_with(|| deadline(max_wait)) {
                        None => shared.room.wait(&mut g),
                        Some(d) => expired = shared.room.wait_until(&mut g, d).timed_out(),
                    }
                }
            }
        }
    }

    /// Starts `count` workers for run `generation`, one at a time, each counted before its
    /// thread exists so that a stop meanwhile waits for it.
    fn spawn_workers(&self, count: u32, generation: u64) -> Result<()> {
        for _ in 0..count {
            let stack_size = {
                let mut g = self.shared.core.lock();
                let live = matches!(g.state, ServiceState::Starting | ServiceState::Started);
                if g.generation != generation || !live {
                    return Err(Error::IllegalState("thread pool is stopping"));
                }
                g.target += 1;
                g.threads += 1;
                g.running += 1;
                g.stack_size
            };
            let mut builder = thread::Builder::new().name("hp-thread-pool".into());
            if stack_size != 0 {
                builder = builder.stack_size(stack_size as usize);
            }
            let shared = self.shared.clone();
            if let Err(e) = builder.spawn(move || worker(shared, generation)) {
                let finish = {
                    let mut g = self.shared.core.lock();
                    g.generation == generation && {
                        g.threads -= 1;
                        g.target = g.target.min(g.threads);
                        g.release_worker(&self.shared.done)
                    }
                };
                if finish {
                    self.finish_stop();
                }
                return Err(Error::WorkerThreadCreate(e));
            }
        }
        Ok(())
    }

    /// The end of every stop: drops what is still queued, leaves any worker still running
    /// to itself, fires `on_shutdown` and resets the pool to `Stopped`.
    fn finish_stop(&self) -> StopOutcome {
        let shared = &*self.shared;
        let (queued, abandoned) = {
            let mut g = shared.core.lock();
            let queued = std::mem::take(&mut g.queue);
            let abandoned = g.running as usize;
            g.generation += 1;
            g.target = 0;
            g.threads = 0;
            g.running = 0;
            g.executing = 0;
            g.deferred = false;
            g.finisher = Some(thread::current().id());
            // Nobody should be waiting by now; wake any that is, to see the new run.
            shared.work.notify_all();
            shared.room.notify_all();
            (queued, abandoned)
        };
        let dropped = queued.len();
        if catch_unwind(AssertUnwindSafe(move || drop(queued))).is_err() {
            tracing::error!("a dropped thread pool task panicked in its destructor");
        }
        self.fire(|l| l.on_shutdown(self));
        let mut g = shared.core.lock();
        g.state = ServiceState::Stopped;
        g.max_queue = 0;
        g.policy = RejectedPolicy::CallFail;
        g.stack_size = 0;
        g.finisher = None;
        shared.done.notify_all();
        if dropped == 0 && abandoned == 0 {
            StopOutcome::Complete
        } else {
            StopOutcome::TimedOut { dropped, abandoned }
        }
    }

    fn addr(&self) -> usize {
        Arc::as_ptr(&self.shared) as usize
    }

    /// True on a worker of this pool's current run.
    fn is_current_worker(&self, g: &Core) -> bool {
        WORKER_OF.with(Cell::get) == (self.addr(), g.generation)
    }

    /// True when waiting for the stop would wait for the calling thread itself.
    fn waits_on_itself(&self, g: &Core) -> bool {
        self.is_current_worker(g) || g.finisher == Some(thread::current().id())
    }

    fn fire(&self, event: impl FnOnce(&dyn ThreadPoolListener)) {
        let listener = &*self.shared.listener;
        if catch_unwind(AssertUnwindSafe(|| event(listener))).is_err() {
            tracing::error!("a thread pool listener callback panicked");
        }
    }

    /// The worker's loop: take tasks until the pool has more workers than it wants, or a
    /// stop has emptied the queue, or a timed-out stop has abandoned this run.
    fn work(&self, generation: u64) {
        let shared = &*self.shared;
        let mut g = shared.core.lock();
        loop {
            if g.generation != generation {
                return;
            }
            let draining = g.state == ServiceState::Stopping && !g.queue.is_empty();
            if g.threads > g.target && !draining {
                g.threads -= 1;
                if !g.queue.is_empty() {
                    // The wake-up for that task may have come to this worker.
                    shared.work.notify_one();
                }
                return;
            }
            if let Some(job) = g.queue.pop_front() {
                g.executing += 1;
                if g.max_queue != 0 {
                    shared.room.notify_one();
                }
                MutexGuard::unlocked(&mut g, || {
                    if catch_unwind(AssertUnwindSafe(job)).is_err() {
                        tracing::error!("a thread pool task panicked; its worker goes on");
                    }
                });
                if g.generation == generation {
                    g.executing -= 1;
                }
                continue;
            }
            shared.work.wait(&mut g);
        }
    }
}

/// A worker thread of run `generation`.
fn worker(shared: Arc<Shared>, generation: u64) {
    let pool = ThreadPool {
        shared,
        owner: false,
    };
    WORKER_OF.with(|w| w.set((pool.addr(), generation)));
    let me = thread::current().id();
    pool.fire(|l| l.on_worker_thread_start(&pool, me));
    pool.work(generation);
    pool.fire(|l| l.on_worker_thread_end(&pool, me));
    let finish = {
        let mut g = pool.shared.core.lock();
        g.generation == generation && g.release_worker(&pool.shared.done)
    };
    if finish {
        pool.finish_stop();
    }
}

/// Counts a `CallerRun` task in `task_count` while it runs (and if it panics).
struct CallerRun<'a> {
    shared: &'a Shared,
    generation: u64,
}

impl Drop for CallerRun<'_> {
    fn drop(&mut self) {
        let mut g = self.shared.core.lock();
        if g.generation == self.generation {
            g.executing -= 1;
        }
    }
}

impl Drop for ThreadPool {
    /// Stops a running pool and waits for it without limit, as HP-Socket's destructor does
    /// (on one of its own workers the stop is deferred instead).
    fn drop(&mut self) {
        if self.owner && self.state() != ServiceState::Stopped {
            let _ = self.stop(None);
        }
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.shared.core.lock();
        f.debug_struct("ThreadPool")
            .field("state", &g.state)
            .field("thread_count", &g.target)
            .field("queue_size", &g.queue.len())
            .field("task_count", &g.executing)
            .field("max_queue_size", &g.max_queue)
            .field("rejected_policy", &g.policy)
            .finish()
    }
}

fn cpus() -> u32 {
    thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
        .unwrap_or(1)
}

/// The instant `max_wait` from now; `None` for no limit (or one past what `Instant` holds).
fn deadline(max_wait: Option<Duration>) -> Option<Instant> {
    max_wait.and_then(|d| Instant::now().checked_add(d))
}
