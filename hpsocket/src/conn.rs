//! One connection as the reactor holds it: its socket, its sans-IO [`Session`], and the
//! handler (the component) its events go to.
//!
//! Any thread may send: [`Conn::send`] takes only the session's link lock and writes straight
//! to the socket when nothing is queued; the worker drains the rest on the next writable
//! edge. Whatever another thread asks of the worker (a close, a resume, `on_send` notes)
//! rings the session's doorbell and posts a [`Cmd::Kick`].

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::reactor::{Cmd, WorkerShared};
use crate::session::{CloseReq, Event, SendError, SendRefused, Session};
use crate::types::{ConnId, FetchResult, HandleResult};

/// Where a connection's events go, and what the reactor asks of its component. Implemented
/// by the component layer (above), so the reactor needs nothing of it but this.
pub(crate) trait Handler: Send + Sync + 'static {
    /// Fires one event of `conn` on the listener (guarded against panics).
    fn event(&self, conn: &Conn, ev: Event<'_>) -> HandleResult;
    /// Server: a new connection came out of `accept`.
    fn accepted(&self, _stream: mio::net::TcpStream, _addr: SocketAddr) {}
    /// The connection is gone (closed, or refused before it opened): forget its ID.
    fn closed(&self, conn: &Conn);
    /// False once the component stops: new connections are refused.
    fn is_accepting(&self) -> bool;
}

pub(crate) struct Conn {
    pub id: ConnId,
    pub stream: mio::net::TcpStream,
    pub owner: Arc<dyn Handler>,
    pub worker: Arc<WorkerShared>,
    /// Slab key in the worker, `usize::MAX` until registered.
    pub token: AtomicUsize,
    pub session: Session,
    /// Bytes per read.
    pub buffer_size: usize,
    pub extra: AtomicUsize,
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub remote_host: Option<String>,
}

impl Conn {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: ConnId,
        stream: mio::net::TcpStream,
        owner: Arc<dyn Handler>,
        worker: Arc<WorkerShared>,
        remote: SocketAddr,
        remote_host: Option<String>,
        extra: usize,
        buffer_size: usize,
        session: Session,
    ) -> Arc<Conn> {
        let local = stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        Arc::new(Conn {
            id,
            stream,
            owner,
            worker,
            token: AtomicUsize::new(usize::MAX),
            session,
            buffer_size,
            extra: AtomicUsize::new(extra),
            remote,
            local,
            remote_host,
        })
    }

    /// Fires an event of this connection on its handler.
    pub fn fire(&self, ev: Event<'_>) -> HandleResult {
        self.owner.event(self, ev)
    }

    /// Queues or writes `bufs` as one ordered unit. Never blocks on the socket.
    pub fn send(self: &Arc<Self>, bufs: &[&[u8]]) -> Result<()> {
        let mut w: &mio::net::TcpStream = &self.stream;
        match self.session.send(bufs, &mut w) {
            Ok(notify) => {
                if notify {
                    // The worker fires on_send after the current callback, never nested in it.
                    self.kick();
                }
                Ok(())
            }
            Err(SendError::Size { size, max }) => Err(Error::MessageSize { size, max }),
            Err(SendError::Refused(r)) => Err(match r {
                SendRefused::Closed => Error::ConnectionNotFound(self.id),
                SendRefused::Closing => Error::ConnectionClosing(self.id),
                SendRefused::Full { pending } => Error::SendQueueFull {
                    id: self.id,
                    pending,
                    limit: self.session.settings().max_pending,
                },
                SendRefused::Failed(e) => {
                    self.kick();
                    Error::Io(e)
                }
            }),
        }
    }

    /// PULL fetch / peek.
    pub fn fetch(self: &Arc<Self>, out: &mut [u8], consume: bool) -> FetchResult {
        let (r, ring) = self.session.fetch(out, consume);
        if ring {
            self.kick();
        }
        r
    }

    /// Stops or resumes reading.
    pub fn pause(self: &Arc<Self>, pause: bool) {
        if self.session.pause(pause) {
            self.kick();
        }
    }

    /// Asks the worker to close this connection (first request wins, a forced one upgrades a
    /// graceful one). Returns false when it is already closed.
    pub fn request_close(self: &Arc<Self>, req: CloseReq) -> bool {
        let ok = self.session.request_close(req, now_ms());
        if ok {
            self.kick();
        }
        ok
    }

    /// Asks the worker to look at this connection's doorbell.
    pub fn kick(self: &Arc<Self>) {
        self.worker.post(Cmd::Kick(self.clone()));
    }

    pub fn pending(&self) -> usize {
        self.session.pending()
    }

    pub fn is_open(&self) -> bool {
        !self.session.is_closed()
    }
}

/// Hashes connection IDs, which are sequential integers: a multiply spreads them well enough.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | *b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Shard = RwLock<HashMap<usize, Arc<Conn>, BuildHasherDefault<IdHasher>>>;
const SHARDS: usize = 64;

/// The component's connections by ID, sharded so lookups from many threads rarely meet.
pub(crate) struct ConnTable {
    shards: Box<[Shard]>,
    count: AtomicUsize,
    empty_lock: Mutex<()>,
    empty_cv: Condvar,
}

impl Default for ConnTable {
    fn default() -> Self {
        ConnTable {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            count: AtomicUsize::new(0),
            empty_lock: Mutex::new(()),
            empty_cv: Condvar::new(),
        }
    }
}

impl ConnTable {
    fn shard(&self, id: ConnId) -> &Shard {
        &self.shards[id.get() % SHARDS]
    }

    pub fn get(&self, id: ConnId) -> Option<Arc<Conn>> {
        self.shard(id).read().get(&id.get()).cloned()
    }

    /// Runs `f` on the connection without cloning its handle.
    pub fn with<R>(&self, id: ConnId, f: impl FnOnce(&Arc<Conn>) -> R) -> Option<R> {
        self.shard(id).read().get(&id.get()).map(f)
    }

    pub fn insert(&self, conn: Arc<Conn>) {
        let id = conn.id;
        if self.shard(id).write().insert(id.get(), conn).is_none() {
            self.count.fetch_add(1, Ordering::AcqRel);
        }
    }

    pub fn remove(&self, id: ConnId) -> Option<Arc<Conn>> {
        let c = self.shard(id).write().remove(&id.get());
        if c.is_some() && self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _g = self.empty_lock.lock();
            self.empty_cv.notify_all();
        }
        c
    }

    pub fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    pub fn all(&self) -> Vec<Arc<Conn>> {
        let mut v = Vec::with_capacity(self.len());
        for s in self.shards.iter() {
            v.extend(s.read().values().cloned());
        }
        v
    }

    pub fn ids(&self) -> Vec<ConnId> {
        let mut v = Vec::with_capacity(self.len());
        for s in self.shards.iter() {
            v.extend(s.read().values().map(|c| c.id));
        }
        v.sort_unstable();
        v
    }

    /// Blocks until the table is empty.
    pub fn wait_empty(&self) {
        let mut g = self.empty_lock.lock();
        while self.len() > 0 {
            self.empty_cv
                .wait_for(&mut g, std::time::Duration::from_millis(50));
        }
    }
}
