//! One connection's state shared between its worker and every thread that may call into it.
//!
//! The worker owns reading; any thread may send. Sending takes only this connection's lock, so
//! there is no global lock on the send path: the caller writes directly to the socket when
//! nothing is queued, and queues the rest for the worker to drain on the next writable edge.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, IoSlice, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex, RwLock};

use crate::component::Owner;
use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::pack::{header, Framer};
use crate::pull::PullBuffer;
use crate::reactor::{Cmd, WorkerShared};
use crate::sendq::{SendQueue, MAX_IOV};
use crate::tls::TlsSession;
use crate::types::{ConnId, FetchResult, SocketOperation};

/// Milliseconds on a process-wide monotonic clock (connect and silence periods).
pub(crate) fn now_ms() -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// A close that some thread asked for; the worker carries it out.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CloseReq {
    pub op: SocketOperation,
    pub err: i32,
    /// Flush queued bytes first.
    pub graceful: bool,
}

pub(crate) struct Tx {
    pub q: SendQueue,
    /// A write hit `EAGAIN`: only the worker writes until the queue is drained.
    pub blocked: bool,
    pub close: Option<CloseReq>,
    pub closed: bool,
    /// Bytes written and not yet reported through `on_send`, in write order. Recorded under
    /// this lock by whichever thread wrote, fired by the worker between callbacks.
    notes: std::collections::VecDeque<Vec<u8>>,
    notes_bytes: usize,
    /// TLS transport: the session (under this lock because sending and receiving both drive
    /// it) and its send bookkeeping.
    pub tls: Option<Box<TlsTx>>,
}

/// The send side of a TLS connection: what the socket queue cannot tell about plaintext.
pub(crate) struct TlsTx {
    pub session: TlsSession,
    /// Plaintext accepted before the handshake completed, still inside rustls.
    unsent_plain: usize,
    /// Ciphertext bytes produced so far, and written to the socket so far.
    produced: u64,
    written: u64,
    /// `on_send` notes waiting for the last byte of their ciphertext to be written:
    /// (ciphertext offset where it ends, plaintext). `u64::MAX`: not encrypted yet.
    marks: std::collections::VecDeque<(u64, Vec<u8>)>,
    /// close_notify was queued.
    pub close_sent: bool,
}

impl TlsTx {
    fn new(session: TlsSession) -> TlsTx {
        TlsTx {
            session,
            unsent_plain: 0,
            produced: 0,
            written: 0,
            marks: Default::default(),
            close_sent: false,
        }
    }

    /// Encrypts one ordered unit of plaintext; returns the ciphertext to write (empty while
    /// the handshake runs: rustls keeps the plaintext until then).
    fn encrypt(
        &mut self,
        bufs: &[&[u8]],
        note: bool,
    ) -> std::result::Result<Vec<u8>, rustls::Error> {
        let mut plain = Vec::new();
        for b in bufs {
            self.session.write_plain(b)?;
            if note {
                plain.extend_from_slice(b);
            }
        }
        let handshaking = self.session.is_handshaking();
        if handshaking {
            self.unsent_plain += bufs.iter().map(|b| b.len()).sum::<usize>();
        }
        let out = self.output();
        if note {
            let end = if handshaking { u64::MAX } else { self.produced };
            self.marks.push_back((end, plain));
        }
        Ok(out)
    }

    /// Takes the ciphertext rustls has ready (handshake messages, records, alerts). Once the
    /// handshake is done this includes the plaintext sent before it.
    pub fn output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.session.take_tls(&mut out);
        self.produced += out.len() as u64;
        if self.unsent_plain > 0 && !self.session.is_handshaking() {
            self.unsent_plain = 0;
            for m in self.marks.iter_mut().filter(|m| m.0 == u64::MAX) {
                m.0 = self.produced;
            }
        }
        out
    }
}

impl Tx {
    /// `n` more bytes reached the socket: TLS notes whose ciphertext is now all written
    /// become `on_send` notes.
    fn wrote(&mut self, n: usize) {
        let Some(tls) = self.tls.as_mut() else { return };
        tls.written += n as u64;
        while tls.marks.front().is_some_and(|m| m.0 <= tls.written) {
            let (_, plain) = tls.marks.pop_front().expect("checked");
            self.notes_bytes += plain.len();
            self.notes.push_back(plain);
        }
    }

    /// Unsent bytes: queued ciphertext (or plaintext) plus plaintext waiting for the TLS
    /// handshake.
    pub fn pending(&self) -> usize {
        self.q.len() + self.tls.as_ref().map_or(0, |t| t.unsent_plain)
    }

    pub fn has_notes(&self) -> bool {
        !self.notes.is_empty()
    }

    /// Writes `bufs` now as far as the socket takes them and queues the rest behind what is
    /// already queued. `note`: record the written plaintext for `on_send` (plain transport;
    /// TLS records its notes when encrypting).
    pub fn write(
        &mut self,
        stream: &mio::net::TcpStream,
        bufs: &[&[u8]],
        note: bool,
    ) -> io::Result<()> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Ok(());
        }
        let mut written = 0;
        if self.q.is_empty() && !self.blocked {
            written = write_all_nonblocking(stream, bufs)?;
        }
        if written > 0 {
            if note {
                let mut n = Vec::with_capacity(written);
                for b in bufs {
                    let k = b.len().min(written - n.len());
                    n.extend_from_slice(&b[..k]);
                    if n.len() == written {
                        break;
                    }
                }
                self.add_note(n);
            }
            self.wrote(written);
        }
        if written < total {
            self.blocked = true;
            let mut skip = written;
            for b in bufs {
                if skip >= b.len() {
                    skip -= b.len();
                    continue;
                }
                self.q.push(&b[skip..]);
                skip = 0;
            }
        }
        Ok(())
    }

    /// The worker wrote `n` queued bytes.
    pub fn advance(&mut self, n: usize, note: bool) {
        if note && self.tls.is_none() {
            let mut plain = Vec::with_capacity(n);
            self.q.advance(n, Some(&mut plain));
            self.add_note(plain);
        } else {
            self.q.advance(n, None);
        }
        self.wrote(n);
    }

    /// TLS: writes whatever ciphertext the session has ready (after feeding it received
    /// records, or queuing close_notify).
    pub fn flush_tls(&mut self, stream: &mio::net::TcpStream) -> io::Result<()> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(());
        };
        let out = tls.output();
        self.write(stream, &[&out], false)
    }

    pub fn add_note(&mut self, note: Vec<u8>) {
        self.notes_bytes += note.len();
        self.notes.push_back(note);
    }

    pub fn take_note(&mut self) -> Option<Vec<u8>> {
        let n = self.notes.pop_front()?;
        self.notes_bytes -= n.len();
        Some(n)
    }

    pub fn take_all_notes(&mut self) {
        self.notes.clear();
        self.notes_bytes = 0;
    }
}

/// Per-connection settings copied from the component's configuration at creation, so the hot
/// path reads them without touching the component.
#[derive(Clone, Copy)]
pub(crate) struct ConnSettings {
    pub buffer_size: usize,
    pub max_pending: usize,
    pub mark_silence: bool,
    pub close_flush_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    pub handshake_timeout_ms: u64,
    pub model: ModelKind,
    pub pack_flag: u16,
    pub pack_max: u32,
    pub pull_limit: usize,
}

pub(crate) struct Conn {
    pub id: ConnId,
    pub stream: mio::net::TcpStream,
    pub owner: Arc<dyn Owner>,
    pub worker: Arc<WorkerShared>,
    /// Slab key in the worker, `usize::MAX` until registered.
    pub token: AtomicUsize,
    pub tx: Mutex<Tx>,
    /// Set when a close or resume is pending, so the worker checks after each callback.
    pub attention: AtomicBool,
    pub paused: AtomicBool,
    /// A resume is pending: the worker must try to read (edge-triggered readiness will not
    /// report bytes that arrived while paused).
    pub resume: AtomicBool,
    pub connected_at: u64,
    pub last_recv: AtomicU64,
    pub extra: AtomicUsize,
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub remote_host: Option<String>,
    pub settings: ConnSettings,
    /// PULL: bytes waiting for `fetch`.
    pub pull: Mutex<PullBuffer>,
    /// PULL: reading stopped because the buffer reached its limit.
    pub rx_full: AtomicBool,
    /// PACK: the packet being assembled (worker only; a lock so the type stays `Sync`).
    pub framer: Mutex<Framer>,
    /// TLS transport (the session lives in `tx`).
    pub secure: bool,
}

impl Conn {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: ConnId,
        stream: mio::net::TcpStream,
        owner: Arc<dyn Owner>,
        worker: Arc<WorkerShared>,
        remote: SocketAddr,
        remote_host: Option<String>,
        extra: usize,
        settings: ConnSettings,
        tls: Option<TlsSession>,
    ) -> Arc<Conn> {
        let local = stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let now = now_ms();
        let secure = tls.is_some();
        Arc::new(Conn {
            id,
            stream,
            owner,
            worker,
            token: AtomicUsize::new(usize::MAX),
            tx: Mutex::new(Tx {
                q: SendQueue::default(),
                blocked: false,
                close: None,
                closed: false,
                notes: Default::default(),
                notes_bytes: 0,
                tls: tls.map(|t| Box::new(TlsTx::new(t))),
            }),
            attention: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            resume: AtomicBool::new(false),
            connected_at: now,
            last_recv: AtomicU64::new(now),
            extra: AtomicUsize::new(extra),
            remote,
            local,
            remote_host,
            settings,
            pull: Mutex::new(PullBuffer::default()),
            rx_full: AtomicBool::new(false),
            framer: Mutex::new(Framer::new(settings.pack_max, settings.pack_flag)),
            secure,
        })
    }

    /// Queues or writes `bufs` as one ordered unit. Never blocks on the socket.
    pub fn send(self: &Arc<Self>, bufs: &[&[u8]]) -> Result<()> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if self.settings.model == ModelKind::Pack {
            let max = self.settings.pack_max as usize;
            if total == 0 || total > max {
                return Err(Error::MessageSize { size: total, max });
            }
            let h = header(self.settings.pack_flag, total as u32);
            let mut framed: Vec<&[u8]> = Vec::with_capacity(bufs.len() + 1);
            framed.push(&h);
            framed.extend_from_slice(bufs);
            return self.send_raw(&framed, total + h.len());
        }
        if total == 0 {
            return Ok(());
        }
        self.send_raw(bufs, total)
    }

    /// Fetches (or peeks) PULL data; lifts the read stop once the buffer is below its limit.
    pub fn fetch(self: &Arc<Self>, out: &mut [u8], consume: bool) -> FetchResult {
        if self.tx.lock().closed {
            return FetchResult::DataNotFound;
        }
        let (r, left) = {
            let mut p = self.pull.lock();
            let r = if consume { p.fetch(out) } else { p.peek(out) };
            (r, p.len())
        };
        if r == FetchResult::Ok
            && left < self.settings.pull_limit
            && self.rx_full.swap(false, Ordering::AcqRel)
        {
            self.resume.store(true, Ordering::Release);
            self.kick();
        }
        r
    }

    fn send_raw(self: &Arc<Self>, bufs: &[&[u8]], total: usize) -> Result<()> {
        let notify;
        {
            let mut tx = self.tx.lock();
            if tx.closed {
                return Err(Error::ConnectionNotFound(self.id));
            }
            if tx.close.is_some() {
                return Err(Error::ConnectionClosing(self.id));
            }
            // Unreported on_send copies count too, so memory stays within the bound.
            let pending = tx.pending() + tx.notes_bytes;
            if pending + total > self.settings.max_pending {
                return Err(Error::SendQueueFull {
                    id: self.id,
                    pending,
                    limit: self.settings.max_pending,
                });
            }
            let wants = self.owner.wants_send_events();
            let r = match tx.tls.as_mut() {
                Some(tls) => match tls.encrypt(bufs, wants) {
                    Ok(cipher) => tx.write(&self.stream, &[&cipher], false),
                    Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
                },
                None => tx.write(&self.stream, bufs, wants),
            };
            if let Err(e) = r {
                let err = e.raw_os_error().unwrap_or(libc::EIO);
                tx.close = Some(CloseReq {
                    op: SocketOperation::Send,
                    err,
                    graceful: false,
                });
                drop(tx);
                self.kick();
                return Err(Error::Io(e));
            }
            notify = tx.has_notes();
        }
        if notify {
            // The worker fires on_send after the current callback, never nested in it.
            self.kick();
        }
        Ok(())
    }

    /// Asks the worker to close this connection (first request wins, a forced one upgrades a
    /// graceful one). Returns false when it is already closed.
    pub fn request_close(self: &Arc<Self>, req: CloseReq) -> bool {
        {
            let mut tx = self.tx.lock();
            if tx.closed {
                return false;
            }
            match tx.close {
                Some(ref mut old) => {
                    if old.graceful && !req.graceful {
                        old.graceful = false;
                    }
                }
                None => tx.close = Some(req),
            }
        }
        self.kick();
        true
    }

    /// Asks the worker to look at this connection's pending requests.
    pub fn kick(self: &Arc<Self>) {
        self.attention.store(true, Ordering::Release);
        self.worker.post(Cmd::Kick(self.clone()));
    }

    pub fn pending(&self) -> usize {
        self.tx.lock().pending()
    }

    pub fn mark_received(&self, now: u64) {
        if self.settings.mark_silence {
            self.last_recv.store(now, Ordering::Relaxed);
        }
    }
}

/// Writes as much of `bufs` as the socket takes now; `Ok(n)` with `n` short of the total means
/// the socket is full (`EAGAIN`).
pub(crate) fn write_all_nonblocking(
    mut stream: &mio::net::TcpStream,
    bufs: &[&[u8]],
) -> io::Result<usize> {
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    let mut done = 0usize;
    while done < total {
        let r = if bufs.len() == 1 {
            stream.write(&bufs[0][done..])
        } else {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut k = 0;
            let mut skip = done;
            for b in bufs {
                if k == MAX_IOV {
                    break;
                }
                if skip >= b.len() {
                    skip -= b.len();
                    continue;
                }
                iov[k] = IoSlice::new(&b[skip..]);
                skip = 0;
                k += 1;
            }
            stream.write_vectored(&iov[..k])
        };
        match r {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
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
