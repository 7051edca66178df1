//! The thread pool (`IHPThreadPool`): the three rejection policies under a full queue, many
//! submitters, resizing while busy, calls on a stopped pool. Stopping, socket-task buffers,
//! thread counts and the interleaving property are in `thread_pool_life.rs`.
//!
//! Every wait here is bounded: blocked tasks wait on a `Gate` that gives up after `LIMIT`.

mod thread_pool_common;

use thread_pool_common::*;

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use hpsocket::{
    Error, RejectedPolicy, ServiceState, SocketTask, StopOutcome, SubmitErrorKind, TaskBuffer,
    ThreadPool,
};

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
