//! The component's connections by ID, sharded so lookups from many threads rarely meet.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};

use crate::reactor::Conn;
use crate::types::ConnId;

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
