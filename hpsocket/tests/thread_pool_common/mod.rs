//! What the thread-pool test files share: a bounded gate for blocking tasks, drop-counted
//! buffers, an event recorder.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use hpsocket::{ServiceState, ThreadPool, ThreadPoolListener};

pub const LIMIT: Duration = Duration::from_secs(10);

pub fn eventually(f: impl FnMut() -> bool) -> bool {
    testkit::eventually(LIMIT, f)
}

/// A latch that tasks block on until the test opens it.
#[derive(Default)]
pub struct Gate {
    pub open: Mutex<bool>,
    pub cv: Condvar,
    pub waiting: AtomicUsize,
}

impl Gate {
    pub fn new() -> Arc<Gate> {
        Arc::default()
    }

    /// Blocks until the gate opens (at most `LIMIT`, so a broken test fails instead of hanging).
    pub fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let g = self.open.lock().unwrap();
        let (g, _) = self.cv.wait_timeout_while(g, LIMIT, |open| !*open).unwrap();
        assert!(*g, "the gate was never opened");
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.cv.notify_all();
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

/// Counts its drops: stands for a buffer's (or a C task object's) `free`.
pub struct Counted {
    pub freed: Arc<AtomicUsize>,
    pub bytes: Vec<u8>,
}

impl Counted {
    pub fn new(freed: &Arc<AtomicUsize>, bytes: &[u8]) -> Counted {
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
pub enum Ev {
    Startup,
    Shutdown,
    Start(ThreadId),
    End(ThreadId),
}

pub type Hook = Box<dyn Fn(&ThreadPool) + Send + Sync>;

/// Records the pool's events; checks that worker events arrive on the worker itself.
#[derive(Default)]
pub struct Events {
    pub log: Mutex<Vec<Ev>>,
    pub wrong_thread: AtomicBool,
    pub on_shutdown: Mutex<Option<Hook>>,
}

impl Events {
    pub fn new() -> Arc<Events> {
        Arc::default()
    }

    pub fn count(&self, f: impl Fn(&Ev) -> bool) -> usize {
        self.log.lock().unwrap().iter().filter(|e| f(e)).count()
    }

    pub fn starts(&self) -> usize {
        self.count(|e| matches!(e, Ev::Start(_)))
    }

    pub fn ends(&self) -> usize {
        self.count(|e| matches!(e, Ev::End(_)))
    }

    pub fn shutdowns(&self) -> usize {
        self.count(|e| *e == Ev::Shutdown)
    }

    pub fn startups(&self) -> usize {
        self.count(|e| *e == Ev::Startup)
    }

    pub fn last(&self) -> Option<Ev> {
        self.log.lock().unwrap().last().cloned()
    }
}

pub struct Rec(Arc<Events>);

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

pub fn recorded() -> (ThreadPool, Arc<Events>) {
    let ev = Events::new();
    (ThreadPool::new(Rec(ev.clone())), ev)
}

/// Occupies every one of `n` workers with a task blocked on `gate`.
pub fn occupy(pool: &ThreadPool, gate: &Arc<Gate>, n: usize) {
    for _ in 0..n {
        let g = gate.clone();
        pool.submit(move || g.pass(), None).unwrap();
    }
    assert!(eventually(|| gate.waiting() == n));
}

pub fn counter_task(c: &Arc<AtomicUsize>) -> impl FnOnce() + Send + 'static {
    let c = c.clone();
    move || {
        c.fetch_add(1, Ordering::SeqCst);
    }
}
