//! The thread pool's life and tasks: stopping while busy, with a timeout and from inside
//! tasks or events; socket-task buffers freed exactly once in every ownership mode and on
//! every path; thread counts, stacks, panics; any interleaving of submits and resizes.
//!
//! Every wait here is bounded: blocked tasks wait on a `Gate` that gives up after `LIMIT`.

mod thread_pool_common;

use thread_pool_common::*;

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use hpsocket::{
    ConnId, Error, RejectedPolicy, ServiceState, SocketTask, StopOutcome, SubmitErrorKind,
    TaskBuffer, TaskBufferType, ThreadPool, ThreadPoolListener,
};
use proptest::prelude::*;

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
