//! Worker threads, each running one `mio` event loop over the connections it owns.
//!
//! A connection belongs to one worker for its whole life; the worker alone reads it, fires its
//! events and closes it, so its callbacks never run concurrently and the receive path takes no
//! lock. Other threads reach a worker only through its command channel (plus a wake-up), for
//! adopting new connections, closes, resumes and send notifications.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use parking_lot::Mutex;
use slab::Slab;

use crate::component::Owner;
use crate::conn::{now_ms, CloseReq, Conn};
use crate::model::ModelKind;
use crate::pack::Flow;
use crate::sendq::MAX_IOV;
use crate::types::{HandleResult, SocketOperation};
use crate::udp::worker::{Datagram, PeerRef};

const WAKE: Token = Token(usize::MAX - 1);
/// Reads per readiness event before the connection yields to the others on its worker.
const MAX_READS: usize = 16;

thread_local! {
    static CURRENT: Cell<usize> = const { Cell::new(0) };
}

/// True on any worker thread of any pool: blocking waits there could deadlock.
pub(crate) fn on_worker_thread() -> bool {
    CURRENT.with(|c| c.get() != 0)
}

pub(crate) enum AdoptKind {
    /// Accepted by a server: fire `on_accept` and `on_handshake`, then register.
    Accepted,
    /// An asynchronous connect is in progress.
    Connecting,
    /// A synchronous connect completed and its events were fired by the caller.
    Connected,
}

pub(crate) enum Cmd {
    Adopt(Arc<Conn>, AdoptKind),
    Listen(mio::net::TcpListener, Arc<dyn Owner>),
    Unlisten(Arc<dyn Owner>),
    Kick(Arc<Conn>),
    /// UDP: own this socket (a server has one per worker; a client one) and its peers.
    UdpOpen(Box<dyn Datagram>),
    /// UDP stop: tell and close every peer of the component with this key, drop its sockets.
    UdpStop(usize),
    UdpDisconnect(Arc<PeerRef>),
    /// A datagram another thread sent, for `on_send`.
    UdpSent(Arc<PeerRef>, Vec<u8>),
    Exit,
}

/// The part of a worker other threads hold: its command channel and waker.
pub(crate) struct WorkerShared {
    tx: Sender<Cmd>,
    waker: Waker,
    uid: usize,
    notified: AtomicBool,
}

impl WorkerShared {
    pub fn is_current(&self) -> bool {
        CURRENT.with(|c| c.get() == self.uid)
    }

    pub fn post(&self, cmd: Cmd) {
        if self.tx.send(cmd).is_err() {
            return;
        }
        // One wake-up covers every command posted before the worker drains its channel.
        if !self.is_current() && !self.notified.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }
}

/// A set of worker threads.
pub(crate) struct Pool {
    workers: Vec<Arc<WorkerShared>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next: AtomicUsize,
}

impl Pool {
    pub fn start(n: usize, name: &str) -> io::Result<Arc<Pool>> {
        static UIDS: AtomicUsize = AtomicUsize::new(1);
        let mut workers: Vec<Arc<WorkerShared>> = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let poll = Poll::new()?;
            let waker = Waker::new(poll.registry(), WAKE)?;
            let (tx, rx) = crossbeam_channel::unbounded();
            let shared = Arc::new(WorkerShared {
                tx,
                waker,
                uid: UIDS.fetch_add(1, Ordering::Relaxed),
                notified: AtomicBool::new(false),
            });
            let worker = Worker {
                poll,
                rx,
                shared: shared.clone(),
                slab: Slab::new(),
                timers: BinaryHeap::new(),
                ready: Vec::new(),
                buf: Vec::new(),
                plain: Vec::new(),
                udp: Vec::new(),
                now: now_ms(),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || worker.run());
            match spawned {
                Ok(h) => threads.push(h),
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
            workers.push(shared);
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

#[derive(PartialEq, Eq, Clone, Copy)]
enum Step {
    /// Keep reading.
    Go,
    /// The connection closed or paused: stop reading it.
    Stop,
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
enum TimerKind {
    Connect,
    CloseFlush,
    Accept,
    Handshake,
    UdpDetect,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: u64,
    token: usize,
    id: usize,
    kind: TimerKind,
}

struct ConnEntry {
    conn: Arc<Conn>,
    connecting: bool,
    flush_timer: bool,
    /// The peer's EOF (or an error) was reported: a short read no longer proves the socket
    /// is drained, so reads go on until EOF.
    read_closed: bool,
}

enum Entry {
    Conn(ConnEntry),
    Listener(mio::net::TcpListener, Arc<dyn Owner>),
    Udp(Box<dyn Datagram>),
}

struct Worker {
    poll: Poll,
    rx: Receiver<Cmd>,
    shared: Arc<WorkerShared>,
    slab: Slab<Entry>,
    timers: BinaryHeap<Reverse<Timer>>,
    /// Connections that stopped reading at `MAX_READS` and still have data.
    ready: Vec<usize>,
    buf: Vec<u8>,
    /// TLS: plaintext decrypted from one read.
    plain: Vec<u8>,
    /// Slab keys of UDP sockets (few; commands find theirs here, not by scanning the slab).
    udp: Vec<usize>,
    now: u64,
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn same_owner(a: &Arc<dyn Owner>, b: &Arc<dyn Owner>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

impl Worker {
    fn run(mut self) {
        CURRENT.with(|c| c.set(self.shared.uid));
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = if !self.ready.is_empty() || !self.rx.is_empty() {
                Some(Duration::ZERO)
            } else {
                self.timers
                    .peek()
                    .map(|Reverse(t)| Duration::from_millis(t.at.saturating_sub(now_ms())))
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    tracing::error!("poll failed: {e}");
                    std::thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
            self.now = now_ms();
            for ev in events.iter() {
                let token = ev.token().0;
                if ev.token() == WAKE {
                    continue;
                }
                self.handle_event(token, ev);
            }
            if !self.drain_commands() {
                break;
            }
            if !self.ready.is_empty() {
                let ready = std::mem::take(&mut self.ready);
                for token in ready {
                    self.on_readable(token);
                }
            }
            self.fire_timers();
            // Callbacks fired from the ready list or timers may have posted to this worker
            // without a wake-up.
            if !self.drain_commands() {
                break;
            }
        }
        // Components close their connections before ending the pool; whatever is left (a
        // component that was dropped while started) is closed without events.
        for e in self.slab.drain() {
            if let Entry::Conn(e) = e {
                e.conn.tx.lock().closed = true;
                let _ = e.conn.stream.shutdown(std::net::Shutdown::Both);
                e.conn.owner.core().table.remove(e.conn.id);
            }
        }
        CURRENT.with(|c| c.set(0));
    }

    fn handle_event(&mut self, token: usize, ev: &mio::event::Event) {
        let connecting = match self.slab.get(token) {
            Some(Entry::Listener(..)) => {
                self.accept(token);
                return;
            }
            Some(Entry::Udp(_)) => {
                self.udp_readable(token);
                return;
            }
            Some(Entry::Conn(e)) => e.connecting,
            None => return,
        };
        if connecting && !self.finish_connect(token) {
            return;
        }
        if ev.is_read_closed() || ev.is_error() {
            if let Some(Entry::Conn(e)) = self.slab.get_mut(token) {
                e.read_closed = true;
            }
        }
        if ev.is_writable() || ev.is_error() || ev.is_write_closed() {
            self.on_writable(token);
        }
        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
            self.on_readable(token);
        }
    }

    /// Returns false while the connect is still in progress or when it failed.
    fn finish_connect(&mut self, token: usize) -> bool {
        let Some(Entry::Conn(e)) = self.slab.get(token) else {
            return false;
        };
        let conn = e.conn.clone();
        match conn.stream.take_error() {
            Ok(None) => {}
            Ok(Some(e)) | Err(e) => {
                self.close(token, SocketOperation::Connect, errno(&e));
                return false;
            }
        }
        match conn.stream.peer_addr() {
            Ok(_) => {}
            Err(e)
                if e.kind() == io::ErrorKind::NotConnected
                    || e.raw_os_error() == Some(libc::EINPROGRESS) =>
            {
                return false;
            }
            Err(e) => {
                self.close(token, SocketOperation::Connect, errno(&e));
                return false;
            }
        }
        if let Some(Entry::Conn(e)) = self.slab.get_mut(token) {
            e.connecting = false;
        }
        if conn.owner.fire_connect(&conn) == HandleResult::Error
            || (!conn.secure && conn.owner.fire_handshake(conn.id) == HandleResult::Error)
        {
            self.close(token, SocketOperation::Connect, libc::ECANCELED);
            return false;
        }
        if conn.secure && !self.start_tls(token, &conn) {
            return false;
        }
        self.attend(token)
    }

    /// TLS: arms the handshake timeout and sends what the session has to say first (the
    /// ClientHello on an outgoing connection). Returns false when the connection is gone.
    fn start_tls(&mut self, token: usize, conn: &Arc<Conn>) -> bool {
        self.timers.push(Reverse(Timer {
            at: self.now + conn.settings.handshake_timeout_ms,
            token,
            id: conn.id.get(),
            kind: TimerKind::Handshake,
        }));
        let r = conn.tx.lock().flush_tls(&conn.stream);
        if let Err(e) = r {
            self.close(token, SocketOperation::Handshake, errno(&e));
            return false;
        }
        true
    }

    fn conn(&self, token: usize) -> Option<Arc<Conn>> {
        match self.slab.get(token) {
            Some(Entry::Conn(e)) if !e.connecting => Some(e.conn.clone()),
            _ => None,
        }
    }

    fn read_closed(&self, token: usize) -> bool {
        matches!(self.slab.get(token), Some(Entry::Conn(e)) if e.read_closed)
    }

    fn on_readable(&mut self, token: usize) {
        if matches!(self.slab.get(token), Some(Entry::Udp(_))) {
            self.udp_readable(token);
            return;
        }
        let Some(conn) = self.conn(token) else { return };
        let size = conn.settings.buffer_size;
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let model = conn.settings.model;
        for _ in 0..MAX_READS {
            if conn.paused.load(Ordering::Acquire) {
                return;
            }
            match model {
                // Packets held back by a pause inside on_receive go out before new reads.
                ModelKind::Pack if conn.framer.lock().buffered() > 0 => {
                    match self.deliver(token, &conn, &[]) {
                        Step::Go => {}
                        Step::Stop => return,
                    }
                    if conn.paused.load(Ordering::Acquire) {
                        return;
                    }
                }
                ModelKind::Pull if conn.pull.lock().len() >= conn.settings.pull_limit => {
                    // Full: stop reading until fetch makes room (it resumes us).
                    conn.rx_full.store(true, Ordering::Release);
                    if conn.pull.lock().len() >= conn.settings.pull_limit {
                        return;
                    }
                    conn.rx_full.store(false, Ordering::Release);
                }
                _ => {}
            }
            match (&conn.stream).read(&mut self.buf[..size]) {
                Ok(0) => {
                    self.close(token, SocketOperation::Close, 0);
                    return;
                }
                Ok(n) => {
                    conn.mark_received(self.now);
                    let buf = std::mem::take(&mut self.buf);
                    let step = if conn.secure {
                        self.receive_tls(token, &conn, &buf[..n])
                    } else {
                        self.deliver(token, &conn, &buf[..n])
                    };
                    self.buf = buf;
                    if step == Step::Stop {
                        return;
                    }
                    if n < size && !self.read_closed(token) {
                        // Short read: the socket is drained; the next arrival is a new edge.
                        // (Not so once EOF was reported with the data: that edge is spent,
                        // so read on until the EOF itself.)
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let op = if e.kind() == io::ErrorKind::ConnectionReset {
                        SocketOperation::Close
                    } else {
                        SocketOperation::Receive
                    };
                    self.close(token, op, errno(&e));
                    return;
                }
            }
        }
        self.ready.push(token);
    }

    /// TLS: decrypts `data`, answers the handshake, fires `on_handshake` when it completes and
    /// hands the plaintext to the receive model.
    fn receive_tls(&mut self, token: usize, conn: &Arc<Conn>, data: &[u8]) -> Step {
        let mut plain = std::mem::take(&mut self.plain);
        plain.clear();
        let (progress, handshaking, wrote) = {
            let mut tx = conn.tx.lock();
            let Some(tls) = tx.tls.as_mut() else {
                return Step::Stop;
            };
            let handshaking = tls.session.is_handshaking();
            let progress = tls.session.read_tls(data, &mut plain);
            // Handshake replies, and on failure the alert that tells the peer why.
            let wrote = tx.flush_tls(&conn.stream);
            (progress, handshaking, wrote)
        };
        let progress = match progress {
            Ok(p) => p,
            Err(e) => {
                let op = if handshaking {
                    SocketOperation::Handshake
                } else {
                    SocketOperation::Receive
                };
                tracing::debug!("connection {}: TLS error: {e}", conn.id);
                self.plain = plain;
                self.close(token, op, crate::tls::errno_of(&e));
                return Step::Stop;
            }
        };
        if let Err(e) = wrote {
            self.plain = plain;
            self.close(token, SocketOperation::Send, errno(&e));
            return Step::Stop;
        }
        if progress.handshake_done {
            if conn.owner.fire_handshake(conn.id) == HandleResult::Error {
                self.plain = plain;
                self.close(token, SocketOperation::Handshake, libc::ECANCELED);
                return Step::Stop;
            }
            // Plaintext sent before the handshake went out with its last flight; a graceful
            // close that waited for it can go on.
            self.fire_notes(conn);
            let closing = conn.tx.lock().close.is_some();
            if closing && !self.attend(token) {
                self.plain = plain;
                return Step::Stop;
            }
        }
        let mut step = Step::Go;
        if !plain.is_empty() {
            step = self.deliver(token, conn, &plain);
        }
        self.plain = plain;
        if step == Step::Go && progress.peer_closed {
            self.close(token, SocketOperation::Close, 0);
            return Step::Stop;
        }
        step
    }

    /// Hands received bytes to the application through the connection's receive model.
    fn deliver(&mut self, token: usize, conn: &Arc<Conn>, data: &[u8]) -> Step {
        let id = conn.id;
        let failed = match conn.settings.model {
            ModelKind::Push => (conn.owner.fire_receive(id, data) == HandleResult::Error)
                .then_some(libc::ECANCELED),
            ModelKind::Pull => {
                let total = conn.pull.lock().append(data);
                (conn.owner.fire_pull_receive(id, total) == HandleResult::Error)
                    .then_some(libc::ECANCELED)
            }
            ModelKind::Pack => {
                let mut input = data;
                loop {
                    let mut refused = false;
                    let r = conn.framer.lock().push(input, |packet| {
                        refused = conn.owner.fire_receive(id, packet) == HandleResult::Error;
                        if refused
                            || conn.paused.load(Ordering::Acquire)
                            || conn.attention.load(Ordering::Acquire)
                        {
                            Flow::Hold
                        } else {
                            Flow::Continue
                        }
                    });
                    match r {
                        Err(e) => break Some(e.errno()),
                        Ok(_) if refused => break Some(libc::ECANCELED),
                        Ok(Flow::Continue) => break None,
                        Ok(Flow::Hold) => {
                            // Held for a request made inside the callback: carry it out, then
                            // deliver the rest unless paused (no new edge would bring them).
                            if conn.attention.load(Ordering::Acquire) && !self.attend(token) {
                                return Step::Stop;
                            }
                            if conn.paused.load(Ordering::Acquire) {
                                return Step::Stop;
                            }
                            input = &[];
                        }
                    }
                }
            }
        };
        if let Some(err) = failed {
            self.close(token, SocketOperation::Receive, err);
            return Step::Stop;
        }
        if conn.attention.load(Ordering::Acquire) && !self.attend(token) {
            return Step::Stop;
        }
        Step::Go
    }

    fn on_writable(&mut self, token: usize) {
        let Some(conn) = self.conn(token) else { return };
        let notify = conn.owner.wants_send_events();
        let mut failed = None;
        let graceful_done;
        {
            let mut tx = conn.tx.lock();
            while !tx.q.is_empty() {
                let mut iov = [IoSlice::new(&[]); MAX_IOV];
                let k = tx.q.io_slices(&mut iov);
                match (&conn.stream).write_vectored(&iov[..k]) {
                    Ok(0) => {
                        failed = Some(libc::EPIPE);
                        break;
                    }
                    Ok(n) => tx.advance(n, notify),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failed = Some(errno(&e));
                        break;
                    }
                }
            }
            if tx.q.is_empty() {
                tx.blocked = false;
            }
            graceful_done = tx.q.is_empty() && tx.close.is_some_and(|c| c.graceful);
        }
        self.fire_notes(&conn);
        if let Some(err) = failed {
            self.close(token, SocketOperation::Send, err);
        } else if graceful_done {
            self.attend(token);
        }
    }

    /// Fires `on_send` for writes recorded on the connection, in write order, outside its
    /// lock (so `on_send` never nests inside another callback of the connection).
    fn fire_notes(&mut self, conn: &Arc<Conn>) {
        loop {
            let note = conn.tx.lock().take_note();
            match note {
                Some(n) => conn.owner.fire_send(conn.id, &n),
                None => return,
            }
        }
    }

    /// Carries out requests other threads left on the connection. Returns false when the
    /// connection is gone afterwards.
    fn attend(&mut self, token: usize) -> bool {
        let Some(Entry::Conn(e)) = self.slab.get_mut(token) else {
            return false;
        };
        let conn = e.conn.clone();
        conn.attention.store(false, Ordering::Release);
        if !e.connecting {
            self.fire_notes(&conn);
        }
        let Some(Entry::Conn(e)) = self.slab.get_mut(token) else {
            return false;
        };
        let (req, queued) = {
            let mut tx = conn.tx.lock();
            let mut failed = None;
            if let (Some(c), Some(tls)) = (tx.close, tx.tls.as_mut()) {
                // A graceful TLS close says so with close_notify, flushed like queued data.
                if c.graceful && !tls.close_sent && !tls.session.is_handshaking() {
                    tls.close_sent = true;
                    tls.session.close();
                    failed = tx.flush_tls(&conn.stream).err();
                }
            }
            if let Some(e) = failed {
                tx.close = Some(CloseReq {
                    op: SocketOperation::Send,
                    err: errno(&e),
                    graceful: false,
                });
            }
            (tx.close, tx.pending())
        };
        if let Some(req) = req {
            if !req.graceful || queued == 0 || e.connecting {
                self.close(token, req.op, req.err);
                return false;
            }
            if !e.flush_timer {
                e.flush_timer = true;
                self.timers.push(Reverse(Timer {
                    at: self.now + conn.settings.close_flush_timeout_ms,
                    token,
                    id: conn.id.get(),
                    kind: TimerKind::CloseFlush,
                }));
            }
        }
        true
    }

    /// Closes the connection and fires `on_close` exactly once.
    fn close(&mut self, token: usize, mut op: SocketOperation, mut err: i32) {
        let Some(Entry::Conn(_)) = self.slab.get(token) else {
            return;
        };
        let Entry::Conn(e) = self.slab.remove(token) else {
            unreachable!()
        };
        let conn = e.conn;
        if !e.connecting {
            // Writes that happened are reported before the close.
            self.fire_notes(&conn);
        }
        let dropped = {
            let mut tx = conn.tx.lock();
            tx.closed = true;
            tx.close = None;
            tx.take_all_notes();
            let unsent = tx.pending();
            tx.q.clear();
            unsent
        };
        if dropped > 0 && op == SocketOperation::Close && err == 0 {
            // A forced close discarded accepted bytes: say so.
            op = SocketOperation::Send;
            err = libc::ECANCELED;
        }
        let fd = conn.stream.as_raw_fd();
        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        conn.owner.fire_close(conn.id, op, err);
        conn.owner.closed(&conn);
    }

    fn udp_readable(&mut self, token: usize) {
        let now = self.now;
        let more = match self.slab.get_mut(token) {
            Some(Entry::Udp(u)) => u.readable(now),
            _ => return,
        };
        if more {
            self.ready.push(token);
        }
        self.udp_arm(token);
    }

    /// Drops a socket whose component is done with it (a closed client).
    fn udp_reap(&mut self, token: usize) {
        if matches!(self.slab.get(token), Some(Entry::Udp(u)) if u.is_done()) {
            if let Some(Entry::Udp(u)) = self.slab.get(token) {
                let fd = u.socket().as_raw_fd();
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
            self.slab.remove(token);
            self.udp.retain(|&x| x != token);
        }
    }

    /// Keeps one timer armed for the socket's earliest detect tick.
    fn udp_arm(&mut self, token: usize) {
        self.udp_reap(token);
        let Some(Entry::Udp(u)) = self.slab.get_mut(token) else {
            return;
        };
        if let Some(due) = u.next_due() {
            if due < *u.armed() {
                *u.armed() = due;
                self.timers.push(Reverse(Timer {
                    at: due,
                    token,
                    id: 0,
                    kind: TimerKind::UdpDetect,
                }));
            }
        }
    }

    fn udp_token(&self, pred: impl Fn(&dyn Datagram) -> bool) -> Option<usize> {
        self.udp
            .iter()
            .copied()
            .find(|&t| matches!(self.slab.get(t), Some(Entry::Udp(u)) if pred(&**u)))
    }

    fn udp_command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::UdpOpen(entry) => {
                let fd = entry.socket().as_raw_fd();
                let token = self.slab.insert(Entry::Udp(entry));
                match self.poll.registry().register(
                    &mut SourceFd(&fd),
                    Token(token),
                    Interest::READABLE,
                ) {
                    Ok(()) => {
                        self.udp.push(token);
                        if let Some(Entry::Udp(u)) = self.slab.get_mut(token) {
                            u.opened(self.now);
                        }
                        self.udp_readable(token);
                    }
                    Err(e) => {
                        tracing::error!("cannot register UDP socket: {e}");
                        self.slab.remove(token);
                    }
                }
            }
            Cmd::UdpStop(owner) => {
                let tokens: Vec<usize> = self
                    .udp
                    .iter()
                    .copied()
                    .filter(|&t| matches!(self.slab.get(t), Some(Entry::Udp(u)) if u.owner_key() == owner))
                    .collect();
                for t in tokens {
                    if let Some(Entry::Udp(u)) = self.slab.get_mut(t) {
                        u.close_all();
                        let fd = u.socket().as_raw_fd();
                        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
                    }
                    self.slab.remove(t);
                    self.udp.retain(|&x| x != t);
                }
            }
            Cmd::UdpDisconnect(peer) => {
                if let Some(t) = self.udp_token(|u| Arc::ptr_eq(u.socket(), &peer.socket)) {
                    if let Some(Entry::Udp(u)) = self.slab.get_mut(t) {
                        u.disconnect(peer.id);
                    }
                    self.udp_reap(t);
                }
            }
            Cmd::UdpSent(peer, data) => {
                if let Some(t) = self.udp_token(|u| Arc::ptr_eq(u.socket(), &peer.socket)) {
                    if let Some(Entry::Udp(u)) = self.slab.get(t) {
                        u.fire_sent(peer.id, &data);
                    }
                }
            }
            _ => {}
        }
    }

    fn accept(&mut self, token: usize) {
        loop {
            let Some(Entry::Listener(l, owner)) = self.slab.get(token) else {
                return;
            };
            match l.accept() {
                Ok((stream, addr)) => {
                    let owner = owner.clone();
                    owner.accepted(stream, addr);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // EMFILE and friends: the connection stays in the backlog and no new edge
                    // will come for it; retry shortly instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    self.timers.push(Reverse(Timer {
                        at: now_ms() + 100,
                        token,
                        id: 0,
                        kind: TimerKind::Accept,
                    }));
                    return;
                }
            }
        }
    }

    fn adopt(&mut self, conn: Arc<Conn>, kind: AdoptKind) {
        let owner = conn.owner.clone();
        if let AdoptKind::Accepted = kind {
            if !owner.core().is_accepting()
                || owner.fire_accept(&conn) == HandleResult::Error
                || (!conn.secure && owner.fire_handshake(conn.id) == HandleResult::Error)
            {
                // Refused: no close event, as in HP-Socket.
                conn.tx.lock().closed = true;
                owner.closed(&conn);
                let _ = conn.stream.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
        let connecting = matches!(kind, AdoptKind::Connecting);
        if !owner.core().is_accepting() {
            // Connected while the component stops: close it like the others.
            conn.request_close(CloseReq {
                op: SocketOperation::Close,
                err: 0,
                graceful: true,
            });
        }
        let token = self.slab.insert(Entry::Conn(ConnEntry {
            conn: conn.clone(),
            connecting,
            flush_timer: false,
            read_closed: false,
        }));
        conn.token.store(token, Ordering::Release);
        let fd = conn.stream.as_raw_fd();
        if let Err(e) = self.poll.registry().register(
            &mut SourceFd(&fd),
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            let op = if connecting {
                SocketOperation::Connect
            } else {
                SocketOperation::Close
            };
            self.close(token, op, errno(&e));
            return;
        }
        if connecting {
            self.timers.push(Reverse(Timer {
                at: self.now + conn.settings.connect_timeout_ms,
                token,
                id: conn.id.get(),
                kind: TimerKind::Connect,
            }));
        } else if conn.secure && !self.start_tls(token, &conn) {
            return;
        }
        self.attend(token);
    }

    /// Returns false on `Exit`.
    fn drain_commands(&mut self) -> bool {
        self.shared.notified.swap(false, Ordering::AcqRel);
        while let Ok(cmd) = self.rx.try_recv() {
            match cmd {
                Cmd::Adopt(conn, kind) => self.adopt(conn, kind),
                Cmd::Listen(mut listener, owner) => {
                    let entry = self.slab.vacant_entry();
                    let token = entry.key();
                    match self.poll.registry().register(
                        &mut listener,
                        Token(token),
                        Interest::READABLE,
                    ) {
                        Ok(()) => {
                            entry.insert(Entry::Listener(listener, owner));
                            self.accept(token);
                        }
                        Err(e) => tracing::error!("cannot register listener: {e}"),
                    }
                }
                Cmd::Unlisten(owner) => {
                    let tokens: Vec<usize> = self
                        .slab
                        .iter()
                        .filter_map(|(t, e)| match e {
                            Entry::Listener(_, o) if same_owner(o, &owner) => Some(t),
                            _ => None,
                        })
                        .collect();
                    for t in tokens {
                        if let Entry::Listener(mut l, _) = self.slab.remove(t) {
                            let _ = self.poll.registry().deregister(&mut l);
                        }
                    }
                }
                Cmd::Kick(conn) => {
                    let token = conn.token.load(Ordering::Acquire);
                    if matches!(self.slab.get(token), Some(Entry::Conn(e)) if Arc::ptr_eq(&e.conn, &conn))
                        && self.attend(token)
                        && conn.resume.swap(false, Ordering::AcqRel)
                    {
                        // Bytes (and an EOF) that arrived while paused raised no new edge.
                        self.on_readable(token);
                    }
                }
                c @ (Cmd::UdpOpen(..)
                | Cmd::UdpStop(_)
                | Cmd::UdpDisconnect(_)
                | Cmd::UdpSent(..)) => self.udp_command(c),
                Cmd::Exit => return false,
            }
        }
        true
    }

    fn fire_timers(&mut self) {
        let now = now_ms();
        while let Some(Reverse(t)) = self.timers.peek() {
            if t.at > now {
                break;
            }
            let Reverse(t) = self.timers.pop().expect("peeked timer");
            if t.kind == TimerKind::Accept {
                if matches!(self.slab.get(t.token), Some(Entry::Listener(..))) {
                    self.accept(t.token);
                }
                continue;
            }
            if t.kind == TimerKind::UdpDetect {
                if let Some(Entry::Udp(u)) = self.slab.get_mut(t.token) {
                    if *u.armed() == t.at {
                        *u.armed() = u64::MAX;
                    }
                    u.expire(now);
                    self.udp_arm(t.token);
                }
                continue;
            }
            let (live, connecting) = match self.slab.get(t.token) {
                Some(Entry::Conn(e)) if e.conn.id.get() == t.id => (true, e.connecting),
                _ => (false, false),
            };
            if !live {
                continue;
            }
            match t.kind {
                TimerKind::Connect if connecting => {
                    self.close(t.token, SocketOperation::Connect, libc::ETIMEDOUT)
                }
                TimerKind::Connect => {}
                TimerKind::CloseFlush => {
                    self.close(t.token, SocketOperation::Send, libc::ETIMEDOUT)
                }
                TimerKind::Handshake => {
                    let stalled = match self.slab.get(t.token) {
                        Some(Entry::Conn(e)) => e
                            .conn
                            .tx
                            .lock()
                            .tls
                            .as_ref()
                            .is_some_and(|t| t.session.is_handshaking()),
                        _ => false,
                    };
                    if stalled {
                        self.close(t.token, SocketOperation::Handshake, libc::ETIMEDOUT)
                    }
                }
                TimerKind::Accept | TimerKind::UdpDetect => {}
            }
        }
    }
}
