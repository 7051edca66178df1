//! A set of worker threads, and the process-wide pool that clients share.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

use parking_lot::Mutex;

use super::worker;
use super::{Cmd, WorkerShared};

/// A set of worker threads.
pub(crate) struct Pool {
    workers: Vec<Arc<WorkerShared>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next: AtomicUsize,
}

impl Pool {
    pub fn start(n: usize, name: &str) -> io::Result<Arc<Pool>> {
        let mut workers: Vec<Arc<WorkerShared>> = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            match worker::spawn(&format!("{name}-{i}")) {
                Ok((shared, h)) => {
                    threads.push(h);
                    workers.push(shared);
                }
                Err(e) => {
                    for w in &workers {
                        w.post(Cmd::Exit);
                    }
                    for h in threads {
                        let _ = h.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(Arc::new(Pool {
            workers,
            threads: Mutex::new(threads),
            next: AtomicUsize::new(0),
        }))
    }

    /// The process-wide pool that clients share (one worker per CPU), started on first use.
    pub fn shared() -> io::Result<Arc<Pool>> {
        static SHARED: OnceLock<Arc<Pool>> = OnceLock::new();
        static INIT: Mutex<()> = Mutex::new(());
        if let Some(p) = SHARED.get() {
            return Ok(p.clone());
        }
        let _g = INIT.lock();
        if let Some(p) = SHARED.get() {
            return Ok(p.clone());
        }
        let p = Pool::start(crate::config::default_workers() as usize, "hps-client")?;
        let _ = SHARED.set(p.clone());
        Ok(p)
    }

    /// Round-robin choice of the worker for a new connection.
    pub fn pick(&self) -> Arc<WorkerShared> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        self.workers[i].clone()
    }

    pub fn first(&self) -> &Arc<WorkerShared> {
        &self.workers[0]
    }

    pub fn workers(&self) -> &[Arc<WorkerShared>] {
        &self.workers
    }

    /// Ends every worker and joins them (except the calling thread, if it is one of them: it
    /// ends when its current callback returns).
    pub fn shutdown(&self) {
        for w in &self.workers {
            w.post(Cmd::Exit);
        }
        let threads = std::mem::take(&mut *self.threads.lock());
        let me = std::thread::current().id();
        for h in threads {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
    }
}
