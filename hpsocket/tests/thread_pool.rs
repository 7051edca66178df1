//! The thread pool (`IHPThreadPool`): the three rejection policies under a full queue, many
//! submitters, resizing and stopping while busy, the events, calls on a stopped pool, and
//! socket-task buffers freed exactly once in every ownership mode and on every path.
//!
//! Every wait here is bounded: blocked tasks wait on a [`Gate`] that gives up after `LIMIT`.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hpsocket::{
    ConnId, Error, RejectedPolicy, ServiceState, SocketTask, StopOutcome, SubmitErrorKind,
    TaskBuffer, TaskBufferType, ThreadPool, ThreadPoolListener,
};
use proptest::prelude::*;

const LIMIT: Duration = Duration::from_secs(10);

fn eventually(f: impl FnMut() -> bool) -> bool {
    testkit::eventually(LIMIT, f)
}

/// A latch that tasks block on until the test opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    cv: Condvar,
    waiting: AtomicUsize,
}

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::default()
    }

    /// Blocks until the gate opens (at most `LIMIT`, so a broken test fails instead of hanging).
    fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let g = self.open.lock().unwrap();
        let (g, _) = self.cv.wait_timeout_while(g, LIMIT, |open| !*open).unwrap();
        assert!(*g, "the gate was never opened");
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }

    fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

/// Counts its drops: stands for a buffer's (or a C task object's) `free`.
struct Counted {
    freed: Arc<AtomicUsize>,
    bytes: Vec<u8>,
}

impl Counted {
    fn new(freed: &Arc<AtomicUsize>, bytes: &[u8]) -> Counted {
        Counted {
            freed: freed.clone(),
            bytes: bytes.to_vec(),
        }
    }
}

impl AsRef<[u8]> for Counted {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.freed.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Startup,
    Shutdown,
    Start(ThreadId),
    End(ThreadId),
}

type Hook = Box<dyn Fn(&ThreadPool) + Send + Sync>;

/// Records the pool's events; checks that worker events arrive on the worker itself.
#[derive(Default)]
struct Events {
    log: Mutex<Vec<Ev>>,
    wrong_thread: AtomicBool,
    on_shutdown: Mutex<Option<Hook>>,
}

impl Events {
    fn new() -> Arc<Events> {
        Arc::default()
    }

    fn count(&self, f: impl Fn(&Ev) -> bool) -> usize {
        self.log.lock().unwrap().iter().filter(|e| f(e)).count()
    }

    fn starts(&self) -> usize {
        self.count(|e| matches!(e, Ev::Start(_)))
    }

    fn ends(&self) -> usize {
        self.count(|e| matches!(e, Ev::End(_)))
    }

    fn shutdowns(&self) -> usize {
        self.count(|e| *e == Ev::Shutdown)
    }

    fn startups(&self) -> usize {
        self.count(|e| *e == Ev::Startup)
    }

    fn last(&self) -> Option<Ev> {
        self.log.lock().unwrap().last().cloned()
    }
}

struct Rec(Arc<Events>);

impl ThreadPoolListener for Rec {
    fn on_startup(&self, pool: &ThreadPool) {
        assert_eq!(pool.state(), ServiceState::Starting);
        self.0.log.lock().unwrap().push(Ev::Startup);
    }
    fn on_shutdown(&self, pool: &ThreadPool) {
        assert_eq!(pool.state(), ServiceState::Stopping);
        self.0.log.lock().unwrap().push(Ev::Shutdown);
        if let Some(hook) = &*self.0.on_shutdown.lock().unwrap() {
            hook(pool);
        }
    }
    fn on_worker_thread_start(&self, _pool: &ThreadPool, thread: ThreadId) {
        if thread != thread::current().id() {
            self.0.wrong_thread.store(true, Ordering::SeqCst);
        }
        self.0.log.lock().unwrap().push(Ev::Start(thread));
    }
    fn on_worker_thread_end(&self, _pool: &ThreadPool, thread: ThreadId) {
        if thread != thread::current().id() {
            self.0.wrong_thread.store(true, Ordering::SeqCst);
        }
        self.0.log.lock().unwrap().push(Ev::End(thread));
    }
}

fn recorded() -> (ThreadPool, Arc<Events>) {
    let ev = Events::new();
    (ThreadPool::new(Rec(ev.clone())), ev)
}

/// Occupies every one of `n` workers with a task blocked on `gate`.
fn occupy(pool: &ThreadPool, gate: &Arc<Gate>, n: usize) {
    for _ in 0..n {
        let g = gate.clone();
        pool.submit(move || g.pass(), None).unwrap();
    }
    assert!(eventually(|| gate.waiting() == n));
}

fn counter_task(c: &Arc<AtomicUsize>) -> impl FnOnce() + Send + 'static {
    let c = c.clone();
    move || {
        c.fetch_add(1, Ordering::SeqCst);
    }
}

// ---- rejection policies ----

#[test]
fn call_fail_refuses_at_once_and_hands_the_task_back() {
    let pool = ThreadPool::new(());
    pool.start(1, 2, RejectedPolicy::CallFail, 0).unwrap();
    assert_eq!(pool.max_queue_size(), 2);
    assert_eq!(pool.rejected_policy(), RejectedPolicy::CallFail);
    let gate = Gate::new();
    occupy(&pool, &gate, 1);
    let ran = Arc::new(AtomicUsize::new(0));
    pool.submit(counter_task(&ran), None).unwrap();
    pool.submit(counter_task(&ran), None).unwrap();
    assert_eq!(pool.queue_size(), 2);

    let freed = Arc::new(AtomicUsize::new(0));
    let held = Counted::new(&freed, b"");
    let r = ran.clone();
    let t0 = Instant::now();
    // max_wait only matters for WaitFor: this fails at once all the same.
    let err = pool
        .submit(
            move || {
                let _held = held;
                r.fetch_add(100, Ordering::SeqCst);
            },
            Some(Duration::from_secs(5)),
        )
        .unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(1));
    assert_eq!(err.kind(), SubmitErrorKind::QueueFull);
    assert_eq!(err.errno(), libc::EXFULL);
    assert!(err.to_string().contains("full"));
    // Handed back: neither run nor dropped.
    assert_eq!(freed.load(Ordering::SeqCst), 0);
    let task = err.into_task();
    task();
    assert_eq!(ran.load(Ordering::SeqCst), 100);
    assert_eq!(freed.load(Ordering::SeqCst), 1);

    gate.open();
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!(ran.load(Ordering::SeqCst), 102);
}

#[test]
fn wait_for_blocks_until_there_is_room_or_the_time_is_up() {
    let pool = Arc::new(ThreadPool::new(()));
    pool.start(1, 1, RejectedPolicy::WaitFor, 0).unwrap();
    let gate = Gate::new();
    occupy(&pool, &gate, 1);
    let ran = Arc::new(AtomicUsize::new(0));
    pool.submit(counter_task(&ran), None).unwrap();

    let t0 = Instant::now();
    let err = pool
        .submit(counter_task(&ran), Some(Duration::from_millis(200)))
        .unwrap_err();
    let waited = t0.elapsed();
    assert_eq!(err.kind(), SubmitErrorKind::TimedOut);
    assert_eq!(err.errno(), libc::ETIMEDOUT);
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    assert!(waited < LIMIT);
    // Some(ZERO) does not wait at all.
    let t0 = Instant::now();
    let err = pool
        .submit(counter_task(&ran), Some(Duration::ZERO))
        .unwrap_err();
    assert_eq!(err.kind(), SubmitErrorKind::TimedOut);
    assert!(t0.elapsed() < Duration::from_secs(1));

    // No limit: blocks until a worker takes a task off the queue.
    let done = Arc::new(AtomicBool::new(false));
    let submitter = {
        let (pool, ran, done) = (pool.clone(), ran.clone(), done.clone());
        thread::spawn(move || {
            let r = pool.submit(counter_task(&ran), None).map_err(|e| e.kind());
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    thread::sleep(Duration::from_millis(100));
    assert!(!done.load(Ordering::SeqCst), "the submit did not wait");
    gate.open();
    assert_eq!(submitter.join().unwrap(), Ok(()));
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!(ran.load(Ordering::SeqCst), 2);
}

#[test]
fn a_stop_wakes_waiting_submitters_and_gives_them_their_task_back() {
    let pool = Arc::new(ThreadPool::new(()));
    pool.start(1, 1, RejectedPolicy::WaitFor, 0).unwrap();
    let gate = Gate::new();
    occupy(&pool, &gate, 1);
    let ran = Arc::new(AtomicUsize::new(0));
    pool.submit(counter_task(&ran), None).unwrap();
    let submitter = {
        let (pool, ran) = (pool.clone(), ran.clone());
        thread::spawn(move || pool.submit(counter_task(&ran), None).map(|_| ()))
    };
    thread::sleep(Duration::from_millis(50));
    let stopper = {
        let pool = pool.clone();
        thread::spawn(move || pool.stop(None).unwrap())
    };
    let err = submitter.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), SubmitErrorKind::NotStarted);
    assert_eq!(err.errno(), libc::EPERM);
    gate.open();
    assert_eq!(stopper.join().unwrap(), StopOutcome::Complete);
    // The queued task ran during the stop; the refused one did not.
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    err.into_task()();
    assert_eq!(ran.load(Ordering::SeqCst), 2);
}

#[test]
fn caller_run_runs_the_task_on_the_calling_thread() {
    let pool = Arc::new(ThreadPool::new(()));
    pool.start(1, 1, RejectedPolicy::CallerRun, 0).unwrap();
    let gate = Gate::new();
    occupy(&pool, &gate, 1);
    let ran = Arc::new(AtomicUsize::new(0));
    pool.submit(counter_task(&ran), None).unwrap();
    assert_eq!(pool.task_count(), 1);

    for from_main in [true, false] {
        let pool2 = pool.clone();
        let run = move || {
            let (tx, rx) = mpsc::channel();
            let p = pool2.clone();
            pool2
                .submit(
                    move || tx.send((thread::current().id(), p.task_count())).unwrap(),
                    None,
                )
                .unwrap();
            // Done by the time submit returns, on this thread, counted while it ran.
            let (tid, count) = rx.try_recv().expect("the task ran before submit returned");
            assert_eq!(tid, thread::current().id());
            assert_eq!(count, 2);
        };
        if from_main {
            run();
        } else {
            thread::spawn(run).join().unwrap();
        }
    }
    assert_eq!(pool.task_count(), 1);
    assert_eq!(pool.queue_size(), 1);
    gate.open();
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

// ---- many submitters ----

#[test]
fn thousands_of_tasks_from_many_threads_each_run_exactly_once() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 1000;
    for (queue, policy) in [
        (0, RejectedPolicy::CallFail),
        (16, RejectedPolicy::WaitFor),
        (16, RejectedPolicy::CallerRun),
    ] {
        let pool = Arc::new(ThreadPool::new(()));
        pool.start(4, queue, policy, 0).unwrap();
        let slots: Arc<Vec<AtomicU8>> = Arc::new(
            (0..THREADS * PER_THREAD)
                .map(|_| AtomicU8::new(0))
                .collect(),
        );
        let submitters: Vec<_> = (0..THREADS)
            .map(|t| {
                let (pool, slots) = (pool.clone(), slots.clone());
                thread::spawn(move || {
                    for i in 0..PER_THREAD {
                        let (slots, n) = (slots.clone(), t * PER_THREAD + i);
                        let task = move || {
                            slots[n].fetch_add(1, Ordering::SeqCst);
                        };
                        assert!(pool.submit(task, None).is_ok(), "{policy:?} refused a task");
                    }
                })
            })
            .collect();
        for s in submitters {
            s.join().unwrap();
        }
        assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
        let wrong: Vec<_> = (0..slots.len())
            .filter(|&n| slots[n].load(Ordering::SeqCst) != 1)
            .collect();
        assert!(
            wrong.is_empty(),
            "{policy:?}: tasks not run once: {wrong:?}"
        );
        assert_eq!((pool.task_count(), pool.queue_size()), (0, 0));
    }
}

// ---- resizing ----

/// A task that records how many such tasks run at once, then blocks on the gate.
fn tracked(
    gate: &Arc<Gate>,
    now: &Arc<AtomicUsize>,
    high: &Arc<AtomicUsize>,
) -> impl FnOnce() + Send + 'static {
    let (gate, now, high) = (gate.clone(), now.clone(), high.clone());
    move || {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        high.fetch_max(n, Ordering::SeqCst);
        gate.pass();
        now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn growing_while_busy_runs_more_tasks_at_once() {
    let (pool, ev) = recorded();
    pool.start(2, 0, RejectedPolicy::CallFail, 0).unwrap();
    let gate = Gate::new();
    let (now, high) = (Arc::default(), Arc::default());
    for _ in 0..8 {
        pool.submit(tracked(&gate, &now, &high), None).unwrap();
    }
    assert!(eventually(|| gate.waiting() == 2));
    thread::sleep(Duration::from_millis(50));
    assert_eq!(high.load(Ordering::SeqCst), 2);
    assert_eq!(pool.queue_size(), 6);
    assert_eq!(pool.task_count(), 2);

    pool.adjust_thread_count(8).unwrap();
    assert_eq!(pool.thread_count(), 8);
    assert!(eventually(|| gate.waiting() == 8));
    assert_eq!(high.load(Ordering::SeqCst), 8);
    assert_eq!(pool.task_count(), 8);
    assert_eq!(ev.starts(), 8);
    gate.open();
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!((ev.starts(), ev.ends()), (8, 8));
}

#[test]
fn shrinking_while_busy_ends_the_surplus_workers_after_their_task() {
    let (pool, ev) = recorded();
    pool.start(6, 0, RejectedPolicy::CallFail, 0).unwrap();
    let gate = Gate::new();
    occupy(&pool, &gate, 6);
    pool.adjust_thread_count(2).unwrap();
    // The count asked for at once (HP-Socket's GetThreadCount); no busy worker is cut short.
    assert_eq!(pool.thread_count(), 2);
    thread::sleep(Duration::from_millis(50));
    assert_eq!(ev.ends(), 0);
    assert_eq!(gate.waiting(), 6);
    gate.open();
    assert!(eventually(|| ev.ends() == 4));

    let (now, high) = (Arc::default(), Arc::default());
    let free = Gate::new();
    free.open();
    for _ in 0..40 {
        let t = tracked(&free, &now, &high);
        pool.submit(
            move || {
                thread::sleep(Duration::from_millis(1));
                t()
            },
            None,
        )
        .unwrap();
    }
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert!(high.load(Ordering::SeqCst) <= 2, "{high:?}");
    assert_eq!((ev.starts(), ev.ends()), (6, 6));
}

#[test]
fn shrinking_ends_workers_even_when_the_queue_never_empties() {
    let (pool, ev) = recorded();
    pool.start(4, 0, RejectedPolicy::CallFail, 0).unwrap();
    let gate = Gate::new();
    occupy(&pool, &gate, 4);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        pool.submit(counter_task(&ran), None).unwrap();
    }
    pool.adjust_thread_count(1).unwrap();
    gate.open();
    // HP-Socket's surplus workers would drain the queue first; these end after their task.
    assert!(eventually(|| ev.ends() == 3));
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!(ran.load(Ordering::SeqCst), 50);
}

#[test]
fn growing_back_keeps_workers_that_were_about_to_end() {
    let (pool, ev) = recorded();
    pool.start(4, 0, RejectedPolicy::CallFail, 0).unwrap();
    let gate = Gate::new();
    occupy(&pool, &gate, 4);
    pool.adjust_thread_count(1).unwrap();
    pool.adjust_thread_count(4).unwrap();
    assert_eq!(pool.thread_count(), 4);
    gate.open();
    thread::sleep(Duration::from_millis(50));
    assert_eq!((ev.starts(), ev.ends()), (4, 0));
    pool.adjust_thread_count(6).unwrap();
    assert!(eventually(|| ev.starts() == 6));
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!((ev.starts(), ev.ends()), (6, 6));
}

// ---- stopping ----

#[test]
fn stop_while_busy_runs_the_queue_then_fires_shutdown_once() {
    let (pool, ev) = recorded();
    let pool = Arc::new(pool);
    pool.start(2, 0, RejectedPolicy::CallFail, 0).unwrap();
    assert_eq!(ev.startups(), 1);
    let gate = Gate::new();
    occupy(&pool, &gate, 2);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        pool.submit(counter_task(&ran), None).unwrap();
    }
    let stopper = {
        let pool = pool.clone();
        thread::spawn(move || pool.stop(None).unwrap())
    };
    assert!(eventually(|| pool.state() == ServiceState::Stopping));
    assert!(!pool.has_started());
    let err = pool.submit(counter_task(&ran), None).unwrap_err();
    assert_eq!(err.kind(), SubmitErrorKind::NotStarted);
    assert!(matches!(
        pool.adjust_thread_count(4),
        Err(Error::IllegalState(_))
    ));
    // A second stop waits for the first to complete, then fails.
    let second = {
        let pool = pool.clone();
        thread::spawn(move || pool.stop(None))
    };
    assert!(!pool.wait(Some(Duration::from_millis(20))));
    gate.open();
    assert_eq!(stopper.join().unwrap(), StopOutcome::Complete);
    let second = second.join().unwrap().unwrap_err();
    assert!(matches!(second, Error::IllegalState(_)));
    assert_eq!(second.errno(), libc::EPERM);
    assert!(pool.wait(None));

    assert_eq!(ran.load(Ordering::SeqCst), 10);
    assert_eq!(
        (ev.startups(), ev.shutdowns(), ev.starts(), ev.ends()),
        (1, 1, 2, 2)
    );
    assert_eq!(ev.last(), Some(Ev::Shutdown));
    assert!(!ev.wrong_thread.load(Ordering::SeqCst));
    assert_eq!(pool.state(), ServiceState::Stopped);
    assert_eq!(
        (
            pool.thread_count(),
            pool.max_queue_size(),
            pool.rejected_policy()
        ),
        (0, 0, RejectedPolicy::CallFail)
    );

    // A stopped pool starts again, with the same events.
    pool.start(1, 0, RejectedPolicy::CallFail, 0).unwrap();
    pool.submit(counter_task(&ran), None).unwrap();
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!(ran.load(Ordering::SeqCst), 11);
    assert_eq!(
        (ev.startups(), ev.shutdowns(), ev.starts(), ev.ends()),
        (2, 2, 3, 3)
    );
}

#[test]
fn a_stop_that_times_out_drops_the_queue_and_abandons_busy_workers() {
    let (pool, ev) = recorded();
    pool.start(1, 0, RejectedPolicy::CallFail, 0).unwrap();
    let gate = Gate::new();
    let freed = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicUsize::new(0));
    let task = |g: Option<Arc<Gate>>| {
        let ran = ran.clone();
        SocketTask::new(
            None,
            TaskBuffer::attach(Counted::new(&freed, b"payload")),
            move |t| {
                assert_eq!(t.buffer.as_slice(), b"payload");
                if let Some(g) = g {
                    g.pass();
                }
                ran.fetch_add(1, Ordering::SeqCst);
            },
        )
    };
    pool.submit_task(task(Some(gate.clone())), None).unwrap();
    assert!(eventually(|| gate.waiting() == 1));
    for _ in 0..5 {
        pool.submit_task(task(None), None).unwrap();
    }

    let t0 = Instant::now();
    let out = pool.stop(Some(Duration::from_millis(100))).unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(100));
    assert_eq!(
        out,
        StopOutcome::TimedOut {
            dropped: 5,
            abandoned: 1
        }
    );
    // The queued tasks' buffers are freed, unrun; the busy one is still held.
    assert_eq!(freed.load(Ordering::SeqCst), 5);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    assert_eq!(pool.state(), ServiceState::Stopped);
    assert_eq!((ev.shutdowns(), ev.ends()), (1, 0));

    // The pool starts again while the abandoned worker is still busy.
    pool.start(1, 0, RejectedPolicy::CallFail, 0).unwrap();
    let after = Arc::new(AtomicUsize::new(0));
    pool.submit(counter_task(&after), None).unwrap();
    assert!(eventually(|| after.load(Ordering::SeqCst) == 1));
    gate.open();
    // The abandoned worker finishes its task (freeing its buffer) and ends on its own.
    assert!(eventually(
        || freed.load(Ordering::SeqCst) == 6 && ev.ends() == 1
    ));
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    // ... without touching the new run's counts.
    assert_eq!((pool.task_count(), pool.thread_count()), (0, 1));
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!((ev.starts(), ev.ends(), ev.shutdowns()), (2, 2, 2));
}

#[test]
fn stop_and_wait_inside_a_task_do_not_wait_for_their_own_thread() {
    let (pool, ev) = recorded();
    let pool = Arc::new(pool);
    pool.start(1, 0, RejectedPolicy::CallFail, 0).unwrap();
    let gate = Gate::new();
    let (tx, rx) = mpsc::channel();
    {
        let (p, gate) = (pool.clone(), gate.clone());
        pool.submit(
            move || {
                gate.pass();
                let stopped = p.stop(None).map_err(|e| e.to_string());
                let waited = p.wait(None);
                let again = p.stop(None).is_err();
                tx.send((stopped, waited, again)).unwrap();
            },
            None,
        )
        .unwrap();
    }
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..5 {
        pool.submit(counter_task(&ran), None).unwrap();
    }
    gate.open();
    let (stopped, waited, again) = rx.recv_timeout(LIMIT).expect("the task hung");
    assert_eq!(stopped, Ok(StopOutcome::Deferred));
    assert!(!waited, "wait inside the pool's own task returned true");
    assert!(again, "a second stop inside the task succeeded");
    // The stop completes once the worker has drained the queue and ended.
    assert!(pool.wait(Some(LIMIT)));
    assert_eq!(ran.load(Ordering::SeqCst), 5);
    assert_eq!((ev.shutdowns(), ev.ends()), (1, 1));
    assert_eq!(ev.last(), Some(Ev::Shutdown));
}

#[test]
fn stop_and_wait_inside_on_shutdown_return_at_once() {
    let (pool, ev) = recorded();
    let seen = Arc::new(Mutex::new(None));
    {
        let seen = seen.clone();
        *ev.on_shutdown.lock().unwrap() = Some(Box::new(move |p: &ThreadPool| {
            *seen.lock().unwrap() = Some((p.stop(None).is_err(), p.wait(None)));
        }));
    }
    pool.start(2, 0, RejectedPolicy::CallFail, 0).unwrap();
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!(*seen.lock().unwrap(), Some((true, false)));
    assert_eq!(pool.state(), ServiceState::Stopped);
}

#[test]
fn stop_inside_on_startup_makes_start_fail_cleanly() {
    struct StopAtStartup(Arc<Mutex<Option<bool>>>, Arc<AtomicUsize>);
    impl ThreadPoolListener for StopAtStartup {
        fn on_startup(&self, pool: &ThreadPool) {
            *self.0.lock().unwrap() = Some(pool.stop(None).is_ok());
        }
        fn on_shutdown(&self, _pool: &ThreadPool) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }
    let stopped: Arc<Mutex<Option<bool>>> = Arc::default();
    let shutdowns = Arc::new(AtomicUsize::new(0));
    let pool = ThreadPool::new(StopAtStartup(stopped.clone(), shutdowns.clone()));
    let e = pool.start(2, 0, RejectedPolicy::CallFail, 0).unwrap_err();
    assert!(matches!(e, Error::IllegalState(_)), "{e}");
    assert_eq!(*stopped.lock().unwrap(), Some(true));
    assert_eq!(shutdowns.load(Ordering::SeqCst), 1);
    assert_eq!(
        (pool.state(), pool.thread_count()),
        (ServiceState::Stopped, 0)
    );
}

#[test]
fn dropping_the_pool_stops_it_after_running_the_queue() {
    let (pool, ev) = recorded();
    pool.start(1, 0, RejectedPolicy::CallFail, 0).unwrap();
    let gate = Gate::new();
    occupy(&pool, &gate, 1);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..5 {
        pool.submit(counter_task(&ran), None).unwrap();
    }
    gate.open();
    drop(pool);
    assert_eq!(ran.load(Ordering::SeqCst), 5);
    assert_eq!((ev.shutdowns(), ev.ends()), (1, 1));
}

// ---- calls on a stopped pool ----

#[test]
fn calls_on_a_stopped_pool_fail_clearly() {
    let pool = ThreadPool::new(());
    for round in 0..2 {
        assert_eq!(pool.state(), ServiceState::Stopped);
        assert!(!pool.has_started());
        let ran = Arc::new(AtomicUsize::new(0));
        let err = pool.submit(counter_task(&ran), None).unwrap_err();
        assert_eq!(err.kind(), SubmitErrorKind::NotStarted);
        assert_eq!(err.errno(), libc::EPERM);
        err.into_task()();
        assert_eq!(ran.load(Ordering::SeqCst), 1);

        let task = SocketTask::new(None, TaskBuffer::copy(b"kept"), |_| {});
        let err = pool.submit_task(task, None).unwrap_err();
        assert_eq!(err.kind(), SubmitErrorKind::NotStarted);
        assert_eq!(err.task().buffer.as_slice(), b"kept");

        let e = pool.adjust_thread_count(2).unwrap_err();
        assert!(matches!(e, Error::IllegalState(_)), "{e}");
        assert_eq!(e.errno(), libc::EPERM);
        assert!(matches!(pool.stop(None), Err(Error::IllegalState(_))));
        assert!(pool.wait(Some(Duration::ZERO)));
        assert_eq!(
            (pool.thread_count(), pool.queue_size(), pool.task_count()),
            (0, 0, 0)
        );

        if round == 0 {
            pool.start(1, 0, RejectedPolicy::WaitFor, 0).unwrap();
            assert!(pool.has_started());
            assert!(matches!(
                pool.start(1, 0, RejectedPolicy::WaitFor, 0),
                Err(Error::IllegalState(_))
            ));
            pool.stop(None).unwrap();
        }
    }
}

// ---- socket tasks and buffer ownership ----

/// Runs one socket task through each path a task can take; returns what its buffer saw.
#[test]
fn socket_task_buffers_are_freed_exactly_once_in_every_mode_and_path() {
    #[derive(Clone, Copy, Debug)]
    enum Path {
        Run,
        Refused,
        CallerRun,
        DroppedAtStop,
    }
    for path in [
        Path::Run,
        Path::Refused,
        Path::CallerRun,
        Path::DroppedAtStop,
    ] {
        for mode in [
            TaskBufferType::Copy,
            TaskBufferType::Attach,
            TaskBufferType::Refer,
        ] {
            let freed = Arc::new(AtomicUsize::new(0));
            let shared: Arc<[u8]> = Arc::from(&b"refer"[..]);
            let mut source = b"copy".to_vec();
            let buffer = match mode {
                TaskBufferType::Copy => TaskBuffer::copy(&source),
                TaskBufferType::Attach => TaskBuffer::attach(Counted::new(&freed, b"attach")),
                TaskBufferType::Refer => TaskBuffer::refer(shared.clone()),
            };
            source[0] = b'X'; // a copy does not see later changes
            assert_eq!(buffer.buffer_type(), mode);
            let expect: &[u8] = match mode {
                TaskBufferType::Copy => b"copy",
                TaskBufferType::Attach => b"attach",
                TaskBufferType::Refer => b"refer",
            };
            // The task object itself: its procedure holds a Counted, dropped with the task.
            let task_freed = Arc::new(AtomicUsize::new(0));
            let marker = Counted::new(&task_freed, b"");
            let seen = Arc::new(Mutex::new(None));
            let s = seen.clone();
            let task = SocketTask::new(ConnId::new(9), buffer, move |t| {
                let _marker = &marker;
                *s.lock().unwrap() = Some((t.conn_id, t.buffer.as_slice().to_vec(), t.wparam));
            })
            .with_params(5, -5);
            assert_eq!((task.wparam, task.lparam), (5, -5));

            let policy = match path {
                Path::CallerRun => RejectedPolicy::CallerRun,
                _ => RejectedPolicy::CallFail,
            };
            let pool = ThreadPool::new(());
            pool.start(1, 1, policy, 0).unwrap();
            let gate = Gate::new();
            let blocked = !matches!(path, Path::Run);
            if blocked {
                occupy(&pool, &gate, 1);
            }
            let filler = Arc::new(AtomicUsize::new(0));
            if matches!(path, Path::Refused | Path::CallerRun) {
                pool.submit(counter_task(&filler), None).unwrap();
            }
            let r = pool.submit_task(task, None);
            match path {
                Path::Refused => {
                    let err = r.unwrap_err();
                    assert_eq!(err.kind(), SubmitErrorKind::QueueFull);
                    assert_eq!(freed.load(Ordering::SeqCst), 0);
                    assert_eq!(task_freed.load(Ordering::SeqCst), 0);
                    // The caller owns it again (HP-Socket: Destroy_HP_SocketTaskObj).
                    drop(err.into_task());
                }
                _ => r.unwrap(),
            }
            let out = if matches!(path, Path::DroppedAtStop) {
                pool.stop(Some(Duration::from_millis(20))).unwrap()
            } else {
                gate.open();
                pool.stop(None).unwrap()
            };
            gate.open();
            // Abandoned workers finish on their own; wait for this one so counts settle.
            assert!(pool.wait(None));
            let ran = matches!(path, Path::Run | Path::CallerRun);
            let got = seen.lock().unwrap().clone();
            if ran {
                assert_eq!(
                    got,
                    Some((ConnId::new(9), expect.to_vec(), 5)),
                    "{path:?} {mode:?}"
                );
            } else {
                assert_eq!(got, None, "{path:?} {mode:?}");
            }
            if matches!(path, Path::DroppedAtStop) {
                assert_eq!(
                    out,
                    StopOutcome::TimedOut {
                        dropped: 1,
                        abandoned: 1
                    }
                );
            }
            assert!(eventually(|| task_freed.load(Ordering::SeqCst) == 1));
            let want_freed = usize::from(mode == TaskBufferType::Attach);
            assert_eq!(
                freed.load(Ordering::SeqCst),
                want_freed,
                "{path:?} {mode:?}"
            );
            assert_eq!(Arc::strong_count(&shared), 1, "{path:?} {mode:?}");
        }
    }
}

#[test]
fn a_procedure_may_keep_its_buffer() {
    let pool = ThreadPool::new(());
    pool.start(1, 0, RejectedPolicy::CallFail, 0).unwrap();
    let freed = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let task = SocketTask::new(
        None,
        TaskBuffer::attach(Counted::new(&freed, b"kept")),
        move |t| tx.send(std::mem::take(&mut t.buffer)).unwrap(),
    );
    pool.submit_task(task, None).unwrap();
    let kept = rx.recv_timeout(LIMIT).unwrap();
    pool.stop(None).unwrap();
    assert_eq!(kept.as_slice(), b"kept");
    assert_eq!(freed.load(Ordering::SeqCst), 0);
    drop(kept);
    assert_eq!(freed.load(Ordering::SeqCst), 1);
}

/// How the C ABI wraps a `TSocketTask` pointer: an owner whose drop is
/// `Destroy_HP_SocketTaskObj`, submitted as a closure; a refused one goes back to the caller.
#[test]
fn a_task_owning_a_foreign_object_frees_it_once_on_every_path() {
    for policy in [
        RejectedPolicy::CallFail,
        RejectedPolicy::WaitFor,
        RejectedPolicy::CallerRun,
    ] {
        let pool = ThreadPool::new(());
        pool.start(1, 1, policy, 0).unwrap();
        let gate = Gate::new();
        occupy(&pool, &gate, 1);
        let freed = Arc::new(AtomicUsize::new(0));
        let mut refused = 0;
        for _ in 0..3 {
            let owner = Counted::new(&freed, b"");
            let r = pool.submit(move || drop(owner), Some(Duration::from_millis(10)));
            if let Err(e) = r {
                refused += 1;
                drop(e.into_task()); // the C caller destroys it itself
            }
        }
        // One queued, the rest refused (CallFail, WaitFor) or run by the caller.
        let expected_refused = if policy == RejectedPolicy::CallerRun {
            0
        } else {
            2
        };
        assert_eq!(refused, expected_refused, "{policy:?}");
        gate.open();
        pool.stop(None).unwrap();
        assert_eq!(freed.load(Ordering::SeqCst), 3, "{policy:?}");
    }
}

// ---- thread counts, stacks, panics ----

#[test]
fn thread_counts_follow_hp_socket_rules() {
    let cpus = thread::available_parallelism().unwrap().get() as u32;
    let default = (cpus * 2 + 2).min(512);
    assert_eq!(ThreadPool::default_thread_count(), default);
    assert_eq!(ThreadPool::resolve_thread_count(0), default);
    assert_eq!(ThreadPool::resolve_thread_count(3), 3);
    assert_eq!(ThreadPool::resolve_thread_count(-1), cpus);
    assert_eq!(ThreadPool::resolve_thread_count(-2), 2 * cpus);

    let (pool, ev) = recorded();
    pool.start(0, 0, RejectedPolicy::CallFail, 0).unwrap();
    assert_eq!(pool.thread_count(), default);
    assert!(eventually(|| ev.starts() == default as usize));
    pool.adjust_thread_count(-1).unwrap();
    assert_eq!(pool.thread_count(), cpus);
    assert!(eventually(|| ev.ends() == (default - cpus) as usize));
    pool.stop(None).unwrap();
}

#[test]
fn workers_get_the_stack_size_asked_for() {
    fn depth(n: u32) -> u32 {
        let pad = std::hint::black_box([n as u8; 512]);
        if n == 0 {
            pad[0] as u32
        } else {
            depth(n - 1) + 1
        }
    }
    let pool = ThreadPool::new(());
    // 16 MiB: deeper than the 2 MiB default stack allows.
    pool.start(1, 0, RejectedPolicy::CallFail, 16 << 20)
        .unwrap();
    let (tx, rx) = mpsc::channel();
    pool.submit(move || tx.send(depth(12_000)).unwrap(), None)
        .unwrap();
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 12_000);
    pool.stop(None).unwrap();
    // A size below the platform's minimum is raised to it.
    pool.start(1, 0, RejectedPolicy::CallFail, 1).unwrap();
    let (tx, rx) = mpsc::channel();
    pool.submit(move || tx.send(7).unwrap(), None).unwrap();
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 7);
    pool.stop(None).unwrap();
}

#[test]
fn a_panicking_task_does_not_take_its_worker() {
    let (pool, ev) = recorded();
    pool.start(1, 0, RejectedPolicy::CallFail, 0).unwrap();
    pool.submit(|| panic!("a task panics"), None).unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    pool.submit(counter_task(&ran), None).unwrap();
    assert!(eventually(|| ran.load(Ordering::SeqCst) == 1));
    assert_eq!(pool.task_count(), 0);
    assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
    assert_eq!((ev.starts(), ev.ends()), (1, 1));
}

// ---- any interleaving ----

#[derive(Clone, Debug)]
enum Op {
    Submit(usize),
    Resize(i32),
    Yield,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..12).prop_map(Op::Submit),
        2 => (1i32..6).prop_map(Op::Resize),
        1 => Just(Op::Yield),
    ]
}

fn policy() -> impl Strategy<Value = RejectedPolicy> {
    prop_oneof![
        Just(RejectedPolicy::CallFail),
        Just(RejectedPolicy::WaitFor),
        Just(RejectedPolicy::CallerRun),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Two threads interleave submits and resizes; every accepted task runs exactly once, and
    /// every refused one never runs.
    #[test]
    fn any_interleaving_of_submits_and_resizes_runs_each_accepted_task_once(
        threads in 1i32..5,
        queue in prop_oneof![Just(0u32), 1u32..4],
        policy in policy(),
        ops in proptest::collection::vec((any::<bool>(), op()), 1..24),
    ) {
        let pool = Arc::new(ThreadPool::new(()));
        pool.start(threads, queue, policy, 0).unwrap();
        let total: usize = ops.iter().map(|(_, o)| if let Op::Submit(n) = o { *n } else { 0 }).sum();
        let slots: Arc<Vec<AtomicU8>> = Arc::new((0..total).map(|_| AtomicU8::new(0)).collect());
        let accepted: Arc<Vec<AtomicBool>> = Arc::new((0..total).map(|_| AtomicBool::new(false)).collect());
        let mut next = 0;
        let mut halves: [Vec<(Op, usize)>; 2] = [Vec::new(), Vec::new()];
        for (side, o) in ops {
            halves[usize::from(side)].push((o.clone(), next));
            if let Op::Submit(n) = o {
                next += n;
            }
        }
        let runners: Vec<_> = halves
            .into_iter()
            .map(|half| {
                let (pool, slots, accepted) = (pool.clone(), slots.clone(), accepted.clone());
                thread::spawn(move || {
                    for (o, first) in half {
                        match o {
                            Op::Submit(n) => {
                                for id in first..first + n {
                                    let s = slots.clone();
                                    let task = move || {
                                        s[id].fetch_add(1, Ordering::SeqCst);
                                    };
                                    let wait = Some(Duration::from_millis(1));
                                    if pool.submit(task, wait).is_ok() {
                                        accepted[id].store(true, Ordering::SeqCst);
                                    }
                                }
                            }
                            Op::Resize(n) => pool.adjust_thread_count(n).unwrap(),
                            Op::Yield => thread::yield_now(),
                        }
                    }
                })
            })
            .collect();
        for r in runners {
            r.join().unwrap();
        }
        prop_assert_eq!(pool.stop(None).unwrap(), StopOutcome::Complete);
        for id in 0..total {
            let want = u8::from(accepted[id].load(Ordering::SeqCst));
            prop_assert_eq!(slots[id].load(Ordering::SeqCst), want, "task {}", id);
        }
        prop_assert_eq!((pool.task_count(), pool.queue_size()), (0, 0));
    }
}
