//! A UDP server socket as one worker runs it: reads datagrams, keeps the peer table, fires
//! the events of the peers that arrive on this socket.
//!
//! A UDP server opens one socket per worker on the same address (`SO_REUSEPORT`): the kernel
//! hashes each peer's address to one socket, so a peer's datagrams and events always stay on
//! one worker and no datagram is handed between threads.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::cores::udp_peers::{Detect, PeerTable};
use crate::reactor::{Cmd, Source, WorkerShared};
use crate::roles::udp::{classify, Kind, CLOSE_NOTIFY};
use crate::types::{ConnId, HandleResult, SocketOperation};

/// What other threads know of one peer: enough to send to it and to describe it.
pub(crate) struct PeerRef {
    pub id: ConnId,
    pub addr: SocketAddr,
    pub socket: Arc<mio::net::UdpSocket>,
    pub worker: Arc<WorkerShared>,
    pub extra: AtomicUsize,
    pub connected_at: u64,
    pub last_recv: AtomicU64,
    pub closed: AtomicBool,
    /// [`UNCONFIRMED`], [`CONFIRMED`] or [`EVICTED`]: a peer's own worker confirms it and any
    /// worker may evict it, so the two decide by compare-and-swap (exactly one wins).
    pub admission: AtomicU8,
}

/// Admitted by one datagram; may be evicted to admit a newcomer into a full table.
pub(crate) const UNCONFIRMED: u8 = 0;
/// Sent a second datagram: never evicted.
pub(crate) const CONFIRMED: u8 = 1;
/// Its place went to a newcomer; its worker closes it (`Close`, `ETIMEDOUT`).
pub(crate) const EVICTED: u8 = 2;

impl PeerRef {
    /// Its worker saw the confirming datagram; false when it was evicted first.
    pub fn confirm(&self) -> bool {
        self.admission
            .compare_exchange(UNCONFIRMED, CONFIRMED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    fn evict(&self) -> bool {
        self.admission
            .compare_exchange(UNCONFIRMED, EVICTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub fn is_evicted(&self) -> bool {
        self.admission.load(Ordering::Acquire) == EVICTED
    }
}

/// What [`PeerMap::admit`] did with a newcomer.
pub(crate) enum Admission {
    Admitted,
    /// Admitted in the place of this unconfirmed peer (now [`EVICTED`]; its worker must close
    /// it).
    Replaced(Arc<PeerRef>),
    /// The table is full of confirmed peers.
    Full,
}

/// A UDP server's peers across all its worker sockets, by ID, with the order they were
/// admitted in. Admission under pressure is component-wide: a newcomer arriving on any socket
/// takes the place of the oldest unconfirmed peer of any socket, so a flood of one-datagram
/// sources (forged addresses cost nothing) cycles through the unconfirmed places and never
/// displaces a peer that keeps talking, whichever worker the kernel hashed each to.
#[derive(Default)]
pub(crate) struct PeerMap {
    pub by_id: HashMap<ConnId, Arc<PeerRef>>,
    /// Admission order, oldest first; entries gone, confirmed or evicted are stale (skipped,
    /// and compacted away so churn does not grow it).
    fifo: VecDeque<Arc<PeerRef>>,
}

impl PeerMap {
    /// Registers `peer` if there is room under `max`, else in the place of the oldest
    /// unconfirmed peer — check, eviction and insert in one step under the caller's lock.
    pub fn admit(&mut self, peer: Arc<PeerRef>, max: usize) -> Admission {
        let mut verdict = Admission::Admitted;
        if self.by_id.len() >= max {
            verdict = Admission::Full;
            while let Some(old) = self.fifo.pop_front() {
                // Gone (closed by its worker) or confirmed: stale. The CAS loses to a
                // confirmation that came first, so a talking peer is never taken.
                if self.by_id.contains_key(&old.id) && old.evict() {
                    self.by_id.remove(&old.id);
                    verdict = Admission::Replaced(old);
                    break;
                }
            }
            if matches!(verdict, Admission::Full) {
                return verdict;
            }
        }
        self.by_id.insert(peer.id, peer.clone());
        self.fifo.push_back(peer);
        if self.fifo.len() > 2 * self.by_id.len() + 64 {
            let by_id = &self.by_id;
            self.fifo.retain(|p| {
                by_id.contains_key(&p.id) && p.admission.load(Ordering::Relaxed) == UNCONFIRMED
            });
        }
        verdict
    }

    pub fn remove(&mut self, id: ConnId) {
        self.by_id.remove(&id);
    }

    pub fn clear(&mut self) {
        self.by_id.clear();
        self.fifo.clear();
    }
}

/// How a UDP socket's worker reaches its component.
pub(crate) trait UdpOwner: Send + Sync + 'static {
    fn next_id(&self) -> ConnId;
    fn is_accepting(&self) -> bool;
    fn max_connections(&self) -> usize;
    fn max_datagram(&self) -> usize;
    fn detect(&self) -> Option<Detect>;
    /// Makes the peer reachable by ID (before `on_accept`, so the callback can send), if the
    /// component has room (`max_connections`) or an unconfirmed peer to evict.
    fn admit(&self, peer: Arc<PeerRef>) -> Admission;
    fn unregister(&self, id: ConnId);
    fn fire_accept(&self, id: ConnId, socket: &mio::net::UdpSocket) -> HandleResult;
    fn fire_handshake(&self, id: ConnId) -> HandleResult;
    fn fire_send(&self, id: ConnId, data: &[u8]);
    fn fire_receive(&self, id: ConnId, data: &[u8]) -> HandleResult;
    fn fire_close(&self, id: ConnId, op: SocketOperation, err: i32);
}

/// A UDP socket as a worker drives it (a server's share of peers, or a client's one
/// connection). The worker calls these on readiness, timers and commands; the entry fires
/// the component's events.
pub(crate) trait Datagram: Send {
    fn socket(&self) -> &Arc<mio::net::UdpSocket>;
    /// Identifies the component (for `stop`).
    fn owner_key(&self) -> usize;
    /// Registered with the worker's poll.
    fn opened(&mut self, _now: u64) {}
    /// Reads and dispatches; true when the socket may still hold more.
    fn readable(&mut self, now: u64) -> bool;
    fn next_due(&self) -> Option<u64>;
    fn expire(&mut self, now: u64);
    /// `stop`: every peer is told and closed.
    fn close_all(&mut self);
    fn disconnect(&mut self, id: ConnId);
    fn fire_sent(&self, id: ConnId, data: &[u8]);
    /// Peer `id`'s place went to a newcomer on another socket.
    fn evicted(&mut self, _id: ConnId) {}
    /// The detect tick the worker's timer is armed for.
    fn armed(&mut self) -> &mut u64;
    /// The worker may drop the socket (a closed client).
    fn is_done(&self) -> bool {
        false
    }
}

/// What other threads ask of a UDP socket's worker (through [`Cmd::Message`]).
pub(crate) enum UdpMsg {
    /// Close this virtual connection (the peer is told).
    Disconnect(ConnId),
    /// A datagram another thread sent, for `on_send`.
    Sent(ConnId, Vec<u8>),
    /// Another worker gave this peer's place to a newcomer: close it.
    Evicted(ConnId),
}

impl PeerRef {
    /// Asks this peer's worker to do `msg` on its socket.
    pub fn post(&self, msg: UdpMsg) {
        self.worker
            .post(Cmd::Message(socket_key(&self.socket), Box::new(msg)));
    }
}

/// The key a UDP socket's source answers to.
pub(crate) fn socket_key(s: &Arc<mio::net::UdpSocket>) -> usize {
    Arc::as_ptr(s) as usize
}

/// Every UDP socket is a reactor [`Source`]: messages are [`UdpMsg`].
impl<D: Datagram> Source for D {
    fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.socket().as_raw_fd()
    }
    fn key(&self) -> usize {
        socket_key(self.socket())
    }
    fn owner_key(&self) -> usize {
        Datagram::owner_key(self)
    }
    fn opened(&mut self, now: u64) {
        Datagram::opened(self, now)
    }
    fn readable(&mut self, now: u64) -> bool {
        Datagram::readable(self, now)
    }
    fn next_due(&self) -> Option<u64> {
        Datagram::next_due(self)
    }
    fn expire(&mut self, now: u64) {
        Datagram::expire(self, now)
    }
    fn close_all(&mut self) {
        Datagram::close_all(self)
    }
    fn command(&mut self, msg: Box<dyn std::any::Any + Send>) {
        match msg.downcast::<UdpMsg>().map(|m| *m) {
            Ok(UdpMsg::Disconnect(id)) => self.disconnect(id),
            Ok(UdpMsg::Sent(id, data)) => self.fire_sent(id, &data),
            Ok(UdpMsg::Evicted(id)) => self.evicted(id),
            Err(_) => {}
        }
    }
    fn armed(&mut self) -> &mut u64 {
        Datagram::armed(self)
    }
    fn is_done(&self) -> bool {
        Datagram::is_done(self)
    }
}

/// The key `Datagram::owner_key` reports for a component.
pub(crate) fn owner_key<T: ?Sized>(a: &Arc<T>) -> usize {
    Arc::as_ptr(a) as *const () as usize
}

pub(crate) struct UdpEntry {
    pub socket: Arc<mio::net::UdpSocket>,
    pub owner: Arc<dyn UdpOwner>,
    worker: Arc<WorkerShared>,
    peers: PeerTable,
    refs: std::collections::HashMap<ConnId, Arc<PeerRef>>,
    buf: Vec<u8>,
    armed: u64,
    /// Replies to sources that are not peers (probe answers, refusals): rate-limited, so a
    /// forged source cannot use the server as a reflector.
    replies: ReplyBudget,
}

/// At most `REPLIES_PER_SECOND` datagrams a second to sources that are not peers.
const REPLIES_PER_SECOND: u32 = 64;

struct ReplyBudget {
    left: u32,
    window: u64,
}

impl ReplyBudget {
    fn take(&mut self, now: u64) -> bool {
        if now >= self.window.saturating_add(1000) {
            self.window = now;
            self.left = REPLIES_PER_SECOND;
        }
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }
}

impl UdpEntry {
    pub fn new(
        socket: Arc<mio::net::UdpSocket>,
        owner: Arc<dyn UdpOwner>,
        worker: Arc<WorkerShared>,
    ) -> UdpEntry {
        let detect = owner.detect();
        UdpEntry {
            socket,
            owner,
            worker,
            peers: PeerTable::new(detect),
            refs: Default::default(),
            buf: Vec::new(),
            armed: u64::MAX,
            replies: ReplyBudget {
                left: REPLIES_PER_SECOND,
                window: 0,
            },
        }
    }

    /// Reads and dispatches datagrams; true when the socket may still hold more (the worker
    /// comes back to it after serving the others).
    pub fn readable(&mut self, now: u64) -> bool {
        // One byte more than the largest datagram allowed: a datagram that fills it was
        // larger than allowed (the kernel truncated it), one that does not fits.
        let cap = self.owner.max_datagram() + 1;
        if self.buf.len() < cap {
            self.buf.resize(cap, 0);
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut more = true;
        for _ in 0..super::MAX_READS {
            let (n, from) = match self.socket.recv_from(&mut buf[..cap]) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    more = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // ICMP errors for earlier sends (ECONNREFUSED …) surface here; they concern
                // one peer and must not stop the socket.
                Err(_) => continue,
            };
            self.datagram(from, &buf[..n.min(cap - 1)], n >= cap, now);
        }
        self.buf = buf;
        more
    }

    fn datagram(&mut self, from: SocketAddr, data: &[u8], oversize: bool, now: u64) {
        let kind = classify(data);
        let id = match self.peers.lookup(&from) {
            Some(id) => id,
            // Oversize or close-notify datagrams from strangers are ignored, as HP-Socket does.
            None if oversize || kind == Kind::CloseNotify => return,
            // A probe carries nothing: answered (so a client that only probes stays alive),
            // but no connection is made for it — admitting empty datagrams let a flood of
            // them fill the table.
            None if kind == Kind::Probe => {
                if self.replies.take(now) {
                    let _ = self.socket.send_to(&[], from);
                }
                return;
            }
            None => match self.accept(from, now) {
                Some(id) => id,
                None => return,
            },
        };
        let confirming = self.peers.received(id, now);
        if let Some(r) = self.refs.get(&id) {
            r.last_recv.store(now, Ordering::Relaxed);
            // Evicted by another worker (its message is on the way), or now, racing this
            // confirmation: it is gone either way.
            if r.is_evicted() || (confirming && !r.confirm()) {
                self.evicted(id);
                return;
            }
        }
        if oversize {
            self.close(id, SocketOperation::Receive, libc::EMSGSIZE, true);
            return;
        }
        match kind {
            Kind::Probe => {
                // The detect ACK.
                let _ = self.socket.send_to(&[], from);
            }
            Kind::CloseNotify => self.close(id, SocketOperation::Close, 0, false),
            Kind::Data => {
                if self.owner.fire_receive(id, data) == HandleResult::Error {
                    self.close(id, SocketOperation::Receive, libc::ECANCELED, true);
                }
            }
        }
    }

    /// A new peer: a connection ID, `on_accept`, `on_handshake`. Over the connection limit
    /// the peer gets the close notification instead.
    fn accept(&mut self, from: SocketAddr, now: u64) -> Option<ConnId> {
        if !self.owner.is_accepting() {
            return None;
        }
        let id = self.owner.next_id();
        let peer = Arc::new(PeerRef {
            id,
            addr: from,
            socket: self.socket.clone(),
            worker: self.worker.clone(),
            extra: AtomicUsize::new(0),
            connected_at: now,
            last_recv: AtomicU64::new(now),
            closed: AtomicBool::new(false),
            admission: AtomicU8::new(UNCONFIRMED),
        });
        // Check, evict and register in one step: workers admit concurrently, and a check
        // apart from the insert let each of them take the last place.
        match self.owner.admit(peer.clone()) {
            Admission::Admitted => {}
            Admission::Replaced(old) => {
                // The oldest peer that never sent a second datagram made room; its own worker
                // closes it, so its events stay on one thread.
                tracing::debug!("UDP peer {} evicted (unconfirmed) to admit {from}", old.id);
                if Arc::ptr_eq(&old.socket, &self.socket) {
                    self.evicted(old.id);
                } else {
                    old.post(UdpMsg::Evicted(old.id));
                }
            }
            Admission::Full => {
                if self.replies.take(now) {
                    let _ = self.socket.send_to(&CLOSE_NOTIFY, from);
                }
                return None;
            }
        }
        self.refs.insert(id, peer.clone());
        self.peers.insert(id, from, now);
        if self.owner.fire_accept(id, &self.socket) == HandleResult::Error
            || self.owner.fire_handshake(id) == HandleResult::Error
        {
            // Refused: gone without a close event.
            peer.closed.store(true, Ordering::Release);
            self.peers.remove(id);
            self.refs.remove(&id);
            self.owner.unregister(id);
            return None;
        }
        Some(id)
    }

    /// Closes peer `id` (once), telling it so when `notify`.
    pub fn close(&mut self, id: ConnId, op: SocketOperation, err: i32, notify: bool) {
        let Some(p) = self.peers.remove(id) else {
            return;
        };
        if notify {
            let _ = self.socket.send_to(&CLOSE_NOTIFY, p.addr);
        }
        self.forget(id);
        self.owner.fire_close(id, op, err);
    }

    /// Detect ticks due by `now`: silent peers close without a notification.
    pub fn expire(&mut self, now: u64) {
        for (id, _) in self.peers.expire(now) {
            self.forget(id);
            self.owner.fire_close(id, SocketOperation::Close, 0);
        }
    }

    /// `stop`: every peer is told and closed.
    pub fn close_all(&mut self) {
        let ids: Vec<ConnId> = self.peers.ids().collect();
        for id in ids {
            self.close(id, SocketOperation::Close, 0, true);
        }
    }

    fn forget(&mut self, id: ConnId) {
        self.forget_here(id);
        self.owner.unregister(id);
    }

    /// Closes peer `id`, whose place went to a newcomer (its component entry is gone), unless
    /// it closed meanwhile.
    pub fn evicted(&mut self, id: ConnId) {
        if self.peers.remove(id).is_some() {
            self.forget_here(id);
            self.owner
                .fire_close(id, SocketOperation::Close, libc::ETIMEDOUT);
        }
    }

    /// Forgets peer `id` on this socket only (its component entry is gone or replaced).
    fn forget_here(&mut self, id: ConnId) {
        if let Some(r) = self.refs.remove(&id) {
            r.closed.store(true, Ordering::Release);
        }
    }

    pub fn has_peer(&self, id: ConnId) -> bool {
        self.peers.get(id).is_some()
    }

    pub fn fire_sent(&self, id: ConnId, data: &[u8]) {
        if self.has_peer(id) {
            self.owner.fire_send(id, data);
        }
    }
}

impl Datagram for UdpEntry {
    fn socket(&self) -> &Arc<mio::net::UdpSocket> {
        &self.socket
    }
    fn owner_key(&self) -> usize {
        owner_key(&self.owner)
    }
    fn readable(&mut self, now: u64) -> bool {
        UdpEntry::readable(self, now)
    }
    fn next_due(&self) -> Option<u64> {
        self.peers.next_due()
    }
    fn expire(&mut self, now: u64) {
        UdpEntry::expire(self, now)
    }
    fn close_all(&mut self) {
        UdpEntry::close_all(self)
    }
    fn disconnect(&mut self, id: ConnId) {
        self.close(id, SocketOperation::Close, 0, true);
    }
    fn fire_sent(&self, id: ConnId, data: &[u8]) {
        UdpEntry::fire_sent(self, id, data)
    }
    fn evicted(&mut self, id: ConnId) {
        UdpEntry::evicted(self, id)
    }
    fn armed(&mut self) -> &mut u64 {
        &mut self.armed
    }
}
