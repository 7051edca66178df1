//! A deterministic test harness: a server session and a client session driven against each
//! other in memory, with a virtual clock, no sockets, no threads and no sleeps (quinn-proto's
//! `Pair` is the model).
//!
//! Each side writes into its own [`Pipe`] (the kernel's send buffer, with a capacity so that
//! writes can come back short); [`Pair::drive`] moves bytes from one side's pipe into the
//! other's `handle_read` in chunks of a chosen size, does what the reactor would do with the
//! answers, and repeats until nothing moves. The application is a closure per side that sees
//! every event and may act through [`Ctl`] (send, close, pause, fetch) as a listener would.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;

use crate::model::ModelKind;
use crate::session::{Budget, CloseReq, Event, Origin, Session, Settings, Step};
use crate::tls::TlsSession;
use crate::types::{FetchResult, HandleResult, SocketOperation};

/// An event as recorded (owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ev {
    Accept,
    Connect,
    Handshake,
    Receive(Vec<u8>),
    PullReceive(usize),
    Send(Vec<u8>),
    Close(SocketOperation, i32),
    /// An HTTP event, as its debug text (the message is the parser's, borrowed).
    Http(String),
    /// A WebSocket frame event, as its debug text.
    Ws(String),
}

impl Ev {
    fn of(e: &Event<'_>) -> Ev {
        match *e {
            Event::Accept => Ev::Accept,
            Event::Connect => Ev::Connect,
            Event::Handshake => Ev::Handshake,
            Event::Receive(d) => Ev::Receive(d.to_vec()),
            Event::PullReceive(n) => Ev::PullReceive(n),
            Event::Send(d) => Ev::Send(d.to_vec()),
            Event::Close(op, e) => Ev::Close(op, e),
            Event::Http(_, ref h) => Ev::Http(format!("{h:?}")),
            Event::Ws(ref w) => Ev::Ws(format!("{w:?}")),
        }
    }
}

/// Bytes one side wrote and the peer has not read yet: a socket's send buffer.
#[derive(Default)]
pub(crate) struct Pipe {
    pub bytes: Vec<u8>,
    /// How many bytes it holds before writes come back short.
    pub cap: usize,
    /// The writer's side shut down (after its close).
    pub eof: bool,
}

/// A `Write` over a shared pipe (several may exist; each borrows it only inside `write`).
#[derive(Clone)]
pub(crate) struct PipeW(pub Rc<RefCell<Pipe>>);

impl Write for PipeW {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut p = self.0.borrow_mut();
        if p.eof {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let room = p.cap.saturating_sub(p.bytes.len());
        if room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = room.min(buf.len());
        p.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a callback may do, as a listener does through its component.
pub(crate) struct Ctl<'a> {
    pub session: &'a Session,
    pub w: PipeW,
    pub now: u64,
}

impl Ctl<'_> {
    pub fn send(&self, data: &[u8]) -> bool {
        self.session.send(&[data], &mut self.w.clone()).is_ok()
    }
    pub fn close(&self, graceful: bool) -> bool {
        let req = if graceful {
            CloseReq::GRACEFUL
        } else {
            CloseReq::forced(SocketOperation::Close, 0)
        };
        self.session.request_close(req, self.now)
    }
    pub fn pause(&self, pause: bool) {
        self.session.pause(pause);
    }
    pub fn fetch(&self, n: usize) -> Option<Vec<u8>> {
        let mut out = vec![0; n];
        match self.session.fetch(&mut out, true).0 {
            FetchResult::Ok => Some(out),
            _ => None,
        }
    }
}

/// The application of one side: sees each event (already recorded) and answers.
pub(crate) type App = Box<dyn FnMut(&Ev, &Ctl<'_>) -> HandleResult>;

pub(crate) struct Side {
    pub session: Session,
    pub out: PipeW,
    pub events: Vec<Ev>,
    pub app: App,
    /// The reactor released it (closed or refused).
    pub gone: bool,
    /// Reading stopped (pause, full PULL buffer) until the doorbell says resume.
    stopped: bool,
    origin: Origin,
}

impl Side {
    fn new(session: Session, origin: Origin, cap: usize) -> Side {
        Side {
            session,
            out: PipeW(Rc::new(RefCell::new(Pipe {
                cap,
                ..Pipe::default()
            }))),
            events: Vec::new(),
            app: Box::new(|_, _| HandleResult::Ok),
            gone: false,
            stopped: false,
            origin,
        }
    }

    /// Runs one session call with this side's writer and a sink that records and asks the
    /// app; then carries out the step as the reactor does.
    fn call(
        &mut self,
        now: u64,
        f: impl FnOnce(&Session, &mut PipeW, &mut super::Sink<'_>) -> Step,
    ) {
        if !self.gone {
            let step = self.run(now, f);
            self.apply(step, now);
        }
    }

    fn run(
        &mut self,
        now: u64,
        f: impl FnOnce(&Session, &mut PipeW, &mut super::Sink<'_>) -> Step,
    ) -> Step {
        {
            let Side {
                session,
                out,
                events,
                app,
                ..
            } = self;
            let mut w = out.clone();
            let ctl_w = out.clone();
            let mut sink = |e: Event<'_>| {
                let ev = Ev::of(&e);
                events.push(ev.clone());
                let ctl = Ctl {
                    session,
                    w: ctl_w.clone(),
                    now,
                };
                app(&ev, &ctl).into()
            };
            f(session, &mut w, &mut sink)
        }
    }

    fn apply(&mut self, step: Step, now: u64) {
        match step {
            Step::Go => {}
            Step::Stop => self.stopped = true,
            Step::Close(op, err) => self.close(op, err, now),
            Step::Refused => {
                self.session.abandon();
                self.gone = true;
                self.out.0.borrow_mut().eof = true;
            }
        }
    }

    /// What the reactor's close does: release the "socket" (the peer sees EOF after the
    /// bytes in flight), then let the session fire `on_close`.
    pub fn close(&mut self, op: SocketOperation, err: i32, now: u64) {
        if self.gone {
            return;
        }
        self.gone = true;
        self.out.0.borrow_mut().eof = true;
        self.run(now, |s, _w, sink| {
            s.finish(op, err, sink);
            Step::Go
        });
    }

    /// The doorbell, as a posted `Kick` would be handled.
    fn kick(&mut self, now: u64) -> bool {
        if self.gone {
            return false;
        }
        let (attend, resume) = self.session.take_doorbell();
        if !attend && !resume {
            return false;
        }
        self.call(now, |s, w, sink| s.attend(now, w, sink));
        if resume {
            self.stopped = false;
        }
        true
    }

    /// Bytes received so far through `Receive` events, concatenated.
    pub fn received(&self) -> Vec<u8> {
        let mut v = Vec::new();
        for e in &self.events {
            if let Ev::Receive(d) = e {
                v.extend_from_slice(d);
            }
        }
        v
    }

    /// Bytes reported through `Send` events, concatenated.
    pub fn sent_events(&self) -> Vec<u8> {
        let mut v = Vec::new();
        for e in &self.events {
            if let Ev::Send(d) = e {
                v.extend_from_slice(d);
            }
        }
        v
    }

    pub fn ctl(&self, now: u64) -> Ctl<'_> {
        Ctl {
            session: &self.session,
            w: self.out.clone(),
            now,
        }
    }

    pub fn closes(&self) -> Vec<(SocketOperation, i32)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Ev::Close(op, err) => Some((*op, *err)),
                _ => None,
            })
            .collect()
    }
}

/// Settings for harness sessions (the component defaults, adjusted by the test).
pub(crate) fn settings(model: ModelKind) -> Settings {
    Settings {
        model,
        pack_flag: 0,
        pack_max: crate::cores::pack::DEFAULT_MAX_PACK_SIZE,
        pull_limit: 4 << 20,
        max_pending: 16 << 20,
        mark_silence: true,
        close_flush_ms: 3_000,
        connect_timeout_ms: 10_000,
        handshake_timeout_ms: 10_000,
        first_read_ms: 0,
        idle_ms: 0,
        notes: true,
        http_limits: Default::default(),
        http_head_ms: 30_000,
        http_auto_start: true,
        ws_ping_ms: 0,
    }
}

pub(crate) struct Pair {
    pub now: u64,
    pub server: Side,
    pub client: Side,
    /// Bytes moved per `handle_read` (cycled); models how the kernel splits a stream.
    pub chunks: Vec<usize>,
    chunk_i: usize,
}

/// Transport of a pair: plain, or TLS with these configurations.
pub(crate) type TlsPair = Option<(Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>)>;

impl Pair {
    /// A server session (accepted) and a client session (connecting) with these settings;
    /// nothing happens until [`connect`](Self::connect).
    pub fn new(s: Settings, c: Settings, tls: TlsPair, cap: usize) -> Pair {
        Pair::with_budget(s, c, tls, cap, Arc::new(Budget::default()))
    }

    /// Like [`new`](Self::new), the server side charging `budget`.
    pub fn with_budget(
        s: Settings,
        c: Settings,
        tls: TlsPair,
        cap: usize,
        budget: Arc<Budget>,
    ) -> Pair {
        let now = 1_000;
        let (st, ct) = match tls {
            Some((sc, cc)) => (
                Some(TlsSession::server(sc).unwrap()),
                Some(TlsSession::client(cc, "localhost").unwrap()),
            ),
            None => (None, None),
        };
        Pair {
            now,
            server: Side::new(
                Session::new(s, Origin::Accepted, st, now, budget),
                Origin::Accepted,
                cap,
            ),
            client: Side::new(
                Session::new(c, Origin::Connecting, ct, now, Arc::new(Budget::default())),
                Origin::Connecting,
                cap,
            ),
            chunks: vec![usize::MAX],
            chunk_i: 0,
        }
    }

    pub fn plain(model: ModelKind) -> Pair {
        Pair::new(settings(model), settings(model), None, 1 << 20)
    }

    /// The server adopts its side (accept events), the client's connect completes, and
    /// everything that follows is driven.
    pub fn connect(&mut self) {
        let now = self.now;
        let origin = self.server.origin;
        self.server
            .call(now, |s, w, sink| s.start(origin, now, w, sink));
        self.client
            .call(now, |s, w, sink| s.start(Origin::Connecting, now, w, sink));
        self.client
            .call(now, |s, w, sink| s.connected(now, w, sink));
        self.drive();
    }

    fn chunk(&mut self) -> usize {
        let c = self.chunks[self.chunk_i % self.chunks.len()].max(1);
        self.chunk_i += 1;
        c
    }

    /// Moves bytes and answers doorbells until nothing changes.
    pub fn drive(&mut self) {
        for _ in 0..100_000 {
            let mut moved = false;
            moved |= self.server.kick(self.now);
            moved |= self.client.kick(self.now);
            moved |= self.transfer(true);
            moved |= self.transfer(false);
            if !moved {
                return;
            }
        }
        panic!("the pair did not settle");
    }

    /// One delivery from one side's pipe into the other's session, then the sender's
    /// writable edge if it made room. Returns whether anything happened.
    fn transfer(&mut self, to_server: bool) -> bool {
        let now = self.now;
        let chunk = self.chunk();
        let (from, to) = if to_server {
            (&mut self.client, &mut self.server)
        } else {
            (&mut self.server, &mut self.client)
        };
        if to.gone || to.stopped {
            // A stopped reader reads again when its doorbell says resume (see `kick`).
            return false;
        }
        let mut step = Step::Go;
        to.call(now, |s, w, sink| {
            step = s.before_read(now, w, sink);
            step
        });
        if step != Step::Go || to.gone {
            return step != Step::Stop;
        }
        let data: Vec<u8> = {
            let mut p = from.out.0.borrow_mut();
            let n = chunk.min(p.bytes.len());
            p.bytes.drain(..n).collect()
        };
        if data.is_empty() {
            let eof = from.out.0.borrow().eof;
            if eof {
                // EOF: the reactor reports an orderly close.
                to.close(SocketOperation::Close, 0, now);
                return true;
            }
            return false;
        }
        to.call(now, |s, w, sink| s.handle_read(&data, now, w, sink));
        // The sender's buffer has room again: its writable edge.
        from.call(now, |s, w, sink| s.handle_writable(now, w, sink));
        true
    }

    /// Moves the virtual clock and fires both sessions' due deadlines.
    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
        let now = self.now;
        for side in [&mut self.server, &mut self.client] {
            if side.gone {
                continue;
            }
            if side.session.poll_timeout().is_some_and(|t| t <= now) {
                let mut w = side.out.clone();
                let step = side.session.handle_timeout(now, &mut w);
                side.apply(step, now);
            }
        }
        self.drive();
    }
}

/// The per-connection contract every event log must satisfy: accept or connect first, then
/// handshake (before any receive), close exactly once and last.
pub(crate) fn check_contract(events: &[Ev], server: bool) -> Result<(), String> {
    let closes = events.iter().filter(|e| matches!(e, Ev::Close(..))).count();
    if closes > 1 {
        return Err(format!("{closes} close events: {events:?}"));
    }
    if closes == 1 && !matches!(events.last(), Some(Ev::Close(..))) {
        return Err(format!("events after close: {events:?}"));
    }
    let first = if server { Ev::Accept } else { Ev::Connect };
    let opened = events.first() == Some(&first);
    for (i, e) in events.iter().enumerate() {
        match e {
            Ev::Receive(_) | Ev::PullReceive(_) if !events[..i].contains(&Ev::Handshake) => {
                return Err(format!("receive before handshake: {events:?}"));
            }
            Ev::Handshake if i == 0 || !opened => {
                return Err(format!("handshake first: {events:?}"));
            }
            Ev::Accept | Ev::Connect if i > 0 => {
                return Err(format!("accept/connect not first: {events:?}"));
            }
            _ => {}
        }
    }
    Ok(())
}
