//! One worker: a thread running a `mio` event loop over the connections and sources it owns.
//!
//! Readiness → the connection's session → what it hands back (close, refuse, stop reading) →
//! its next deadline in the timer heap. Commands from other threads arrive on the channel.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use slab::Slab;

use super::conn::{Conn, Handler};
use super::timers::{Timer, TimerKind};
use super::{Cmd, Source, WorkerShared, CURRENT, WAKE};
use crate::clock::now_ms;
use crate::session::{Origin, Step};
use crate::types::SocketOperation;

/// Reads per readiness event before the connection yields to the others on its worker.
const MAX_READS: usize = 16;

/// Starts a worker thread named `name`; returns what other threads hold of it.
pub(super) fn spawn(name: &str) -> io::Result<(Arc<WorkerShared>, JoinHandle<()>)> {
    static UIDS: AtomicUsize = AtomicUsize::new(1);
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
        sources: Vec::new(),
        now: now_ms(),
    };
    let h = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || worker.run())?;
    Ok((shared, h))
}

struct ConnEntry {
    conn: Arc<Conn>,
    /// The socket's connect is in flight (readiness means "connect finished").
    connecting: bool,
    /// The peer's EOF (or an error) was reported: a short read no longer proves the socket
    /// is drained, so reads go on until EOF.
    read_closed: bool,
    /// The earliest session deadline a timer is armed for.
    armed: u64,
}

enum Entry {
    Conn(ConnEntry),
    Listener(mio::net::TcpListener, Arc<dyn Handler>),
    Source(Box<dyn Source>),
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
    /// Slab keys of sources (few; commands find theirs here, not by scanning the slab).
    sources: Vec<usize>,
    now: u64,
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn same_owner(a: &Arc<dyn Handler>, b: &Arc<dyn Handler>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// Runs `$call` on a connection's session with the socket as its writer and the connection's
/// handler as its event sink.
macro_rules! drive {
    ($conn:expr, |$w:ident, $sink:ident| $call:expr) => {{
        let conn: &Arc<Conn> = $conn;
        let mut $w: &mio::net::TcpStream = &conn.stream;
        let mut $sink = |ev: crate::session::Event<'_>| conn.fire(ev);
        $call
    }};
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
                e.conn.session.abandon();
                let _ = e.conn.stream.shutdown(std::net::Shutdown::Both);
                e.conn.owner.closed(&e.conn);
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
            Some(Entry::Source(_)) => {
                self.source_readable(token);
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

    /// Returns false while the connect is still in progress, or when the connection is gone.
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
        let step = drive!(&conn, |w, sink| conn
            .session
            .connected(self.now, &mut w, &mut sink));
        self.apply(token, step)
    }

    /// Carries out what a session call decided; true while the connection lives and may be
    /// read. Re-arms its timer for the session's next deadline.
    fn apply(&mut self, token: usize, step: Step) -> bool {
        match step {
            Step::Go => {
                self.arm(token);
                true
            }
            Step::Stop => {
                self.arm(token);
                false
            }
            Step::Close(op, err) => {
                self.close(token, op, err);
                false
            }
            Step::Refused => {
                self.release(token);
                false
            }
        }
    }

    /// Keeps a timer armed for the session's earliest deadline.
    fn arm(&mut self, token: usize) {
        let Some(Entry::Conn(e)) = self.slab.get_mut(token) else {
            return;
        };
        if let Some(at) = e.conn.session.poll_timeout() {
            if at < e.armed {
                e.armed = at;
                self.timers.push(Reverse(Timer {
                    at,
                    token,
                    id: e.conn.id.get(),
                    kind: TimerKind::Session,
                }));
            }
        }
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
        if matches!(self.slab.get(token), Some(Entry::Source(_))) {
            self.source_readable(token);
            return;
        }
        let Some(conn) = self.conn(token) else { return };
        let size = conn.buffer_size;
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        for _ in 0..MAX_READS {
            let step = drive!(&conn, |w, sink| conn
                .session
                .before_read(self.now, &mut w, &mut sink));
            if step != Step::Go {
                self.apply(token, step);
                return;
            }
            match (&conn.stream).read(&mut self.buf[..size]) {
                Ok(0) => {
                    self.close(token, SocketOperation::Close, 0);
                    return;
                }
                Ok(n) => {
                    let buf = std::mem::take(&mut self.buf);
                    let step = drive!(&conn, |w, sink| conn.session.handle_read(
                        &buf[..n],
                        self.now,
                        &mut w,
                        &mut sink
                    ));
                    self.buf = buf;
                    // A read adds a deadline only when the session says so (an HTTP head
                    // begins); start, connect and close requests re-arm where they happen.
                    if step != Step::Go && !self.apply(token, step) {
                        return;
                    }
                    if step == Step::Go && conn.session.take_new_deadline() {
                        self.arm(token);
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

    fn on_writable(&mut self, token: usize) {
        let Some(conn) = self.conn(token) else { return };
        let step = drive!(&conn, |w, sink| conn
            .session
            .handle_writable(self.now, &mut w, &mut sink));
        if step != Step::Go {
            self.apply(token, step);
        }
    }

    /// Carries out requests other threads left on the connection. Returns false when the
    /// connection is gone afterwards.
    fn attend(&mut self, token: usize) -> bool {
        let Some(Entry::Conn(e)) = self.slab.get(token) else {
            return false;
        };
        let conn = e.conn.clone();
        let step = drive!(&conn, |w, sink| conn
            .session
            .attend(self.now, &mut w, &mut sink));
        self.apply(token, step) || step == Step::Stop
    }

    /// Closes the connection: releases the socket, then the session fires `on_close`
    /// (exactly once).
    fn close(&mut self, token: usize, op: SocketOperation, err: i32) {
        let Some(conn) = self.unregister(token) else {
            return;
        };
        drive!(&conn, |_w, sink| conn.session.finish(op, err, &mut sink));
        conn.owner.closed(&conn);
    }

    /// The listener refused the connection: release it with no close event.
    fn release(&mut self, token: usize) {
        if let Some(conn) = self.unregister(token) {
            conn.session.abandon();
            conn.owner.closed(&conn);
        }
    }

    fn unregister(&mut self, token: usize) -> Option<Arc<Conn>> {
        let Some(Entry::Conn(_)) = self.slab.get(token) else {
            return None;
        };
        let Entry::Conn(e) = self.slab.remove(token) else {
            unreachable!()
        };
        let fd = e.conn.stream.as_raw_fd();
        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        let _ = e.conn.stream.shutdown(std::net::Shutdown::Both);
        Some(e.conn)
    }

    fn source_readable(&mut self, token: usize) {
        let now = self.now;
        let more = match self.slab.get_mut(token) {
            Some(Entry::Source(u)) => u.readable(now),
            _ => return,
        };
        if more {
            self.ready.push(token);
        }
        self.source_arm(token);
    }

    /// Drops a socket whose component is done with it (a closed client).
    fn source_reap(&mut self, token: usize) {
        if matches!(self.slab.get(token), Some(Entry::Source(u)) if u.is_done()) {
            if let Some(Entry::Source(u)) = self.slab.get(token) {
                let fd = u.fd();
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
            self.slab.remove(token);
            self.sources.retain(|&x| x != token);
        }
    }

    /// Keeps one timer armed for the socket's earliest detect tick.
    fn source_arm(&mut self, token: usize) {
        self.source_reap(token);
        let Some(Entry::Source(u)) = self.slab.get_mut(token) else {
            return;
        };
        if let Some(due) = u.next_due() {
            if due < *u.armed() {
                *u.armed() = due;
                self.timers.push(Reverse(Timer {
                    at: due,
                    token,
                    id: 0,
                    kind: TimerKind::Source,
                }));
            }
        }
    }

    fn source_token(&self, key: usize) -> Option<usize> {
        self.sources
            .iter()
            .copied()
            .find(|&t| matches!(self.slab.get(t), Some(Entry::Source(u)) if u.key() == key))
    }

    fn source_command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Open(entry) => {
                let fd = entry.fd();
                let token = self.slab.insert(Entry::Source(entry));
                match self.poll.registry().register(
                    &mut SourceFd(&fd),
                    Token(token),
                    Interest::READABLE,
                ) {
                    Ok(()) => {
                        self.sources.push(token);
                        if let Some(Entry::Source(u)) = self.slab.get_mut(token) {
                            u.opened(self.now);
                        }
                        self.source_readable(token);
                    }
                    Err(e) => {
                        tracing::error!("cannot register UDP socket: {e}");
                        self.slab.remove(token);
                    }
                }
            }
            Cmd::CloseOwner(owner) => {
                let tokens: Vec<usize> = self
                    .sources
                    .iter()
                    .copied()
                    .filter(|&t| matches!(self.slab.get(t), Some(Entry::Source(u)) if u.owner_key() == owner))
                    .collect();
                for t in tokens {
                    if let Some(Entry::Source(u)) = self.slab.get_mut(t) {
                        u.close_all();
                        let fd = u.fd();
                        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
                    }
                    self.slab.remove(t);
                    self.sources.retain(|&x| x != t);
                }
            }
            Cmd::Message(key, msg) => {
                if let Some(t) = self.source_token(key) {
                    if let Some(Entry::Source(u)) = self.slab.get_mut(t) {
                        u.command(msg);
                    }
                    self.source_reap(t);
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

    fn adopt(&mut self, conn: Arc<Conn>, origin: Origin) {
        let owner = conn.owner.clone();
        if origin == Origin::Accepted && !owner.is_accepting() {
            // Stopping: refused with no close event, as in HP-Socket.
            conn.session.abandon();
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
            owner.closed(&conn);
            return;
        }
        if origin != Origin::Accepted && !owner.is_accepting() {
            // Connected while the component stops: close it like the others.
            conn.request_close(crate::session::CloseReq::GRACEFUL);
        }
        let token = self.slab.insert(Entry::Conn(ConnEntry {
            conn: conn.clone(),
            connecting: origin == Origin::Connecting,
            read_closed: false,
            armed: u64::MAX,
        }));
        conn.token.store(token, Ordering::Release);
        let fd = conn.stream.as_raw_fd();
        if let Err(e) = self.poll.registry().register(
            &mut SourceFd(&fd),
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            match origin {
                Origin::Accepted => self.release(token),
                Origin::Connecting => self.close(token, SocketOperation::Connect, errno(&e)),
                Origin::Connected => self.close(token, SocketOperation::Close, errno(&e)),
            }
            return;
        }
        let step = drive!(&conn, |w, sink| conn
            .session
            .start(origin, self.now, &mut w, &mut sink));
        self.apply(token, step);
    }

    /// Returns false on `Exit`.
    fn drain_commands(&mut self) -> bool {
        self.shared.notified.swap(false, Ordering::AcqRel);
        while let Ok(cmd) = self.rx.try_recv() {
            match cmd {
                Cmd::Adopt(conn, origin) => self.adopt(conn, origin),
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
                    {
                        let (_, resume) = conn.session.take_doorbell();
                        if self.attend(token) && resume {
                            // Bytes (and an EOF) that arrived while paused raised no new edge.
                            self.on_readable(token);
                        }
                    }
                }
                c @ (Cmd::Open(..) | Cmd::CloseOwner(_) | Cmd::Message(..)) => {
                    self.source_command(c)
                }
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
            match t.kind {
                TimerKind::Accept => {
                    if matches!(self.slab.get(t.token), Some(Entry::Listener(..))) {
                        self.accept(t.token);
                    }
                }
                TimerKind::Source => {
                    if let Some(Entry::Source(u)) = self.slab.get_mut(t.token) {
                        if *u.armed() == t.at {
                            *u.armed() = u64::MAX;
                        }
                        u.expire(now);
                        self.source_arm(t.token);
                    }
                }
                TimerKind::Session => {
                    let conn = match self.slab.get_mut(t.token) {
                        Some(Entry::Conn(e)) if e.conn.id.get() == t.id => {
                            if e.armed == t.at {
                                e.armed = u64::MAX;
                            }
                            e.conn.clone()
                        }
                        _ => continue,
                    };
                    let mut w: &mio::net::TcpStream = &conn.stream;
                    let step = conn.session.handle_timeout(now, &mut w);
                    // A session may ask to be read again from a deadline (room in its
                    // component's memory budget): the doorbell says so.
                    if self.apply(t.token, step) && conn.session.take_doorbell().1 {
                        self.on_readable(t.token);
                    }
                }
            }
        }
    }
}
