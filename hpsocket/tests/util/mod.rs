//! Shared helpers for the integration tests: an event recorder that implements every listener
//! trait, bounded waits, and small socket helpers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hpsocket::*;
use parking_lot::{Condvar, Mutex};

/// Upper bound of any wait in the tests: generous, since CI machines are shared.
pub const LIMIT: Duration = Duration::from_secs(20);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    PrepareListen,
    PrepareConnect(ConnId),
    Accept(ConnId),
    Connect(ConnId),
    Handshake(ConnId),
    Send(ConnId, usize),
    Receive(ConnId, usize),
    Close(ConnId, SocketOperation, i32),
    Shutdown,
}

impl Ev {
    pub fn id(&self) -> Option<ConnId> {
        match self {
            Ev::PrepareConnect(i)
            | Ev::Accept(i)
            | Ev::Connect(i)
            | Ev::Handshake(i)
            | Ev::Send(i, _)
            | Ev::Receive(i, _)
            | Ev::Close(i, _, _) => Some(*i),
            _ => None,
        }
    }
}

pub type RecvHook = Box<dyn Fn(ConnId, &[u8]) + Send + Sync>;
pub type CloseHook = Box<dyn Fn(ConnId) + Send + Sync>;

/// Records every event; optionally echoes what it receives. Knobs are atomics so a test can
/// change behaviour while the component runs.
#[derive(Default)]
pub struct Recorder {
    events: Mutex<Vec<Ev>>,
    cv: Condvar,
    pub data: Mutex<std::collections::HashMap<ConnId, Vec<u8>>>,
    pub echo: AtomicBool,
    /// HandleResult returned by on_accept / on_connect (0 Ok, 1 Ignore, 2 Error).
    pub accept_result: AtomicU8,
    /// HandleResult returned by on_receive.
    pub receive_result: AtomicU8,
    /// Keep the received bytes per connection in `data`.
    pub keep_data: AtomicBool,
    /// Called on every on_receive after recording; lets a test act inside the callback.
    pub on_recv_hook: Mutex<Option<RecvHook>>,
    pub on_close_hook: Mutex<Option<CloseHook>>,
}

/// Polls `f` until it holds or the test bound passes. For state that settles just after an
/// event: a connection is still in its component's table during its `on_close` (as in
/// HP-Socket, so the callback can read its extra data) and leaves it right after.
pub fn eventually(f: impl FnMut() -> bool) -> bool {
    testkit::eventually(LIMIT, f)
}

pub fn hr(v: u8) -> HandleResult {
    match v {
        1 => HandleResult::Ignore,
        2 => HandleResult::Error,
        _ => HandleResult::Ok,
    }
}

impl Recorder {
    pub fn new() -> Arc<Recorder> {
        Arc::new(Recorder::default())
    }

    pub fn echoing() -> Arc<Recorder> {
        let r = Recorder::default();
        r.echo.store(true, Ordering::Relaxed);
        Arc::new(r)
    }

    pub fn push(&self, e: Ev) {
        self.events.lock().push(e);
        self.cv.notify_all();
    }

    pub fn events(&self) -> Vec<Ev> {
        self.events.lock().clone()
    }

    pub fn count(&self, f: impl Fn(&Ev) -> bool) -> usize {
        self.events.lock().iter().filter(|e| f(e)).count()
    }

    /// Waits (bounded) until `f` holds over the event list; true if it did.
    pub fn wait_until(&self, f: impl Fn(&[Ev]) -> bool) -> bool {
        let deadline = Instant::now() + LIMIT;
        let mut g = self.events.lock();
        loop {
            if f(&g) {
                return true;
            }
            if self.cv.wait_until(&mut g, deadline).timed_out() {
                return f(&g);
            }
        }
    }

    pub fn wait_count(&self, n: usize, f: impl Fn(&Ev) -> bool) -> bool {
        self.wait_until(|evs| evs.iter().filter(|e| f(e)).count() >= n)
    }

    pub fn closes(&self) -> Vec<(ConnId, SocketOperation, i32)> {
        self.events
            .lock()
            .iter()
            .filter_map(|e| match e {
                Ev::Close(i, o, c) => Some((*i, *o, *c)),
                _ => None,
            })
            .collect()
    }

    pub fn received(&self, id: ConnId, data: &[u8]) -> HandleResult {
        if self.keep_data.load(Ordering::Relaxed) {
            self.data
                .lock()
                .entry(id)
                .or_default()
                .extend_from_slice(data);
        }
        self.push(Ev::Receive(id, data.len()));
        if let Some(h) = &*self.on_recv_hook.lock() {
            h(id, data);
        }
        hr(self.receive_result.load(Ordering::Relaxed))
    }

    pub fn closed(&self, id: ConnId, op: SocketOperation, err: i32) -> HandleResult {
        self.push(Ev::Close(id, op, err));
        if let Some(h) = &*self.on_close_hook.lock() {
            h(id);
        }
        HandleResult::Ok
    }
}

/// Wraps the shared recorder so the component can own a listener while the test keeps one too.
pub struct L(pub Arc<Recorder>);

impl ServerListener for L {
    fn on_prepare_listen(&self, _s: &TcpServer, _sock: SockRef<'_>) -> HandleResult {
        self.0.push(Ev::PrepareListen);
        HandleResult::Ok
    }
    fn on_accept(&self, _s: &TcpServer, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        self.0.push(Ev::Accept(id));
        hr(self.0.accept_result.load(Ordering::Relaxed))
    }
    fn on_handshake(&self, _s: &TcpServer, id: ConnId) -> HandleResult {
        self.0.push(Ev::Handshake(id));
        HandleResult::Ok
    }
    fn on_send(&self, _s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.push(Ev::Send(id, data.len()));
        HandleResult::Ok
    }
    fn on_receive(&self, s: &TcpServer, id: ConnId, data: &[u8]) -> HandleResult {
        if self.0.echo.load(Ordering::Relaxed) {
            s.send(id, data).expect("echo send");
        }
        self.0.received(id, data)
    }
    fn on_close(&self, _s: &TcpServer, id: ConnId, op: SocketOperation, err: i32) -> HandleResult {
        self.0.closed(id, op, err)
    }
    fn on_shutdown(&self, _s: &TcpServer) -> HandleResult {
        self.0.push(Ev::Shutdown);
        HandleResult::Ok
    }
}

impl AgentListener for L {
    fn on_prepare_connect(&self, _a: &TcpAgent, id: ConnId, _s: SockRef<'_>) -> HandleResult {
        self.0.push(Ev::PrepareConnect(id));
        HandleResult::Ok
    }
    fn on_connect(&self, _a: &TcpAgent, id: ConnId) -> HandleResult {
        self.0.push(Ev::Connect(id));
        hr(self.0.accept_result.load(Ordering::Relaxed))
    }
    fn on_handshake(&self, _a: &TcpAgent, id: ConnId) -> HandleResult {
        self.0.push(Ev::Handshake(id));
        HandleResult::Ok
    }
    fn on_send(&self, _a: &TcpAgent, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.push(Ev::Send(id, data.len()));
        HandleResult::Ok
    }
    fn on_receive(&self, a: &TcpAgent, id: ConnId, data: &[u8]) -> HandleResult {
        if self.0.echo.load(Ordering::Relaxed) {
            a.send(id, data).expect("echo send");
        }
        self.0.received(id, data)
    }
    fn on_close(&self, _a: &TcpAgent, id: ConnId, op: SocketOperation, err: i32) -> HandleResult {
        self.0.closed(id, op, err)
    }
    fn on_shutdown(&self, _a: &TcpAgent) -> HandleResult {
        self.0.push(Ev::Shutdown);
        HandleResult::Ok
    }
}

impl ClientListener for L {
    fn on_prepare_connect(&self, _c: &TcpClient, id: ConnId, _s: SockRef<'_>) -> HandleResult {
        self.0.push(Ev::PrepareConnect(id));
        HandleResult::Ok
    }
    fn on_connect(&self, _c: &TcpClient, id: ConnId) -> HandleResult {
        self.0.push(Ev::Connect(id));
        hr(self.0.accept_result.load(Ordering::Relaxed))
    }
    fn on_handshake(&self, _c: &TcpClient, id: ConnId) -> HandleResult {
        self.0.push(Ev::Handshake(id));
        HandleResult::Ok
    }
    fn on_send(&self, _c: &TcpClient, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.push(Ev::Send(id, data.len()));
        HandleResult::Ok
    }
    fn on_receive(&self, c: &TcpClient, id: ConnId, data: &[u8]) -> HandleResult {
        if self.0.echo.load(Ordering::Relaxed) {
            c.send(data).expect("echo send");
        }
        self.0.received(id, data)
    }
    fn on_close(&self, _c: &TcpClient, id: ConnId, op: SocketOperation, err: i32) -> HandleResult {
        self.0.closed(id, op, err)
    }
}

/// A server on `addr` port 0 reporting to a fresh recorder (echoing when `echo`).
pub fn server(addr: &str, echo: bool) -> (TcpServer, Arc<Recorder>, SocketAddr) {
    let rec = if echo {
        Recorder::echoing()
    } else {
        Recorder::new()
    };
    let s = TcpServer::new(L(rec.clone()));
    s.set_worker_thread_count(2).unwrap();
    s.start(addr, 0).expect("start server");
    let a = s.listen_address().unwrap();
    (s, rec, a)
}

pub fn connect(a: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&a, LIMIT).expect("connect");
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.set_write_timeout(Some(LIMIT)).unwrap();
    s
}

/// Writes `msg` and reads back exactly as many bytes.
pub fn roundtrip(s: &mut TcpStream, msg: &[u8]) -> Vec<u8> {
    s.write_all(msg).unwrap();
    let mut back = vec![0u8; msg.len()];
    s.read_exact(&mut back).unwrap();
    back
}

/// Reads until EOF (bounded by the read timeout).
pub fn read_to_eof(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    s.read_to_end(&mut v)?;
    Ok(v)
}

/// Deterministic test payload.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Threads of this process (from /proc).
pub fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Listener impls for the PACK components: identical to PUSH (each receive is one packet).
macro_rules! packet_listeners {
    ($server:ty, $agent:ty, $client:ty) => {
        impl ServerListener<$server> for L {
            fn on_accept(&self, _s: &$server, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
                self.0.push(Ev::Accept(id));
                hr(self.0.accept_result.load(Ordering::Relaxed))
            }
            fn on_receive(&self, s: &$server, id: ConnId, data: &[u8]) -> HandleResult {
                if self.0.echo.load(Ordering::Relaxed) {
                    s.send(id, data).expect("echo send");
                }
                self.0.received(id, data)
            }
            fn on_close(
                &self,
                _s: &$server,
                id: ConnId,
                op: SocketOperation,
                e: i32,
            ) -> HandleResult {
                self.0.closed(id, op, e)
            }
            fn on_shutdown(&self, _s: &$server) -> HandleResult {
                self.0.push(Ev::Shutdown);
                HandleResult::Ok
            }
        }
        impl AgentListener<$agent> for L {
            fn on_connect(&self, _a: &$agent, id: ConnId) -> HandleResult {
                self.0.push(Ev::Connect(id));
                HandleResult::Ok
            }
            fn on_receive(&self, a: &$agent, id: ConnId, data: &[u8]) -> HandleResult {
                if self.0.echo.load(Ordering::Relaxed) {
                    a.send(id, data).expect("echo send");
                }
                self.0.received(id, data)
            }
            fn on_close(
                &self,
                _a: &$agent,
                id: ConnId,
                op: SocketOperation,
                e: i32,
            ) -> HandleResult {
                self.0.closed(id, op, e)
            }
        }
        impl ClientListener<$client> for L {
            fn on_connect(&self, _c: &$client, id: ConnId) -> HandleResult {
                self.0.push(Ev::Connect(id));
                HandleResult::Ok
            }
            fn on_receive(&self, c: &$client, id: ConnId, data: &[u8]) -> HandleResult {
                if self.0.echo.load(Ordering::Relaxed) {
                    c.send(data).expect("echo send");
                }
                self.0.received(id, data)
            }
            fn on_close(
                &self,
                _c: &$client,
                id: ConnId,
                op: SocketOperation,
                e: i32,
            ) -> HandleResult {
                self.0.closed(id, op, e)
            }
        }
    };
}
packet_listeners!(TcpPackServer, TcpPackAgent, TcpPackClient);

/// PULL listeners: record the reported totals; when echoing, fetch everything buffered and
/// send it back (and keep it when `keep_data`).
impl Recorder {
    pub fn pulled(
        &self,
        id: ConnId,
        len: usize,
        fetch: impl FnOnce(&mut [u8]) -> FetchResult,
    ) -> Option<Vec<u8>> {
        let echo = self.echo.load(Ordering::Relaxed);
        let keep = self.keep_data.load(Ordering::Relaxed);
        if !echo && !keep {
            self.push(Ev::Receive(id, len));
            return None;
        }
        let mut buf = vec![0u8; len];
        assert_eq!(fetch(&mut buf), FetchResult::Ok);
        if keep {
            self.data
                .lock()
                .entry(id)
                .or_default()
                .extend_from_slice(&buf);
        }
        // After the data is stored: waiters re-check on each event.
        self.push(Ev::Receive(id, len));
        echo.then_some(buf)
    }
}

impl ServerListener<TcpPullServer> for L {
    fn on_pull_receive(&self, s: &TcpPullServer, id: ConnId, len: usize) -> HandleResult {
        if let Some(b) = self.0.pulled(id, len, |buf| s.fetch(id, buf)) {
            s.send(id, &b).unwrap();
        }
        hr(self.0.receive_result.load(Ordering::Relaxed))
    }
    fn on_close(
        &self,
        _s: &TcpPullServer,
        id: ConnId,
        op: SocketOperation,
        e: i32,
    ) -> HandleResult {
        self.0.closed(id, op, e)
    }
}

impl AgentListener<TcpPullAgent> for L {
    fn on_connect(&self, _a: &TcpPullAgent, id: ConnId) -> HandleResult {
        self.0.push(Ev::Connect(id));
        HandleResult::Ok
    }
    fn on_pull_receive(&self, a: &TcpPullAgent, id: ConnId, len: usize) -> HandleResult {
        if let Some(b) = self.0.pulled(id, len, |buf| a.fetch(id, buf)) {
            a.send(id, &b).unwrap();
        }
        HandleResult::Ok
    }
    fn on_close(&self, _a: &TcpPullAgent, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.closed(id, op, e)
    }
}

impl ClientListener<TcpPullClient> for L {
    fn on_connect(&self, _c: &TcpPullClient, id: ConnId) -> HandleResult {
        self.0.push(Ev::Connect(id));
        HandleResult::Ok
    }
    fn on_pull_receive(&self, c: &TcpPullClient, id: ConnId, len: usize) -> HandleResult {
        if let Some(b) = self.0.pulled(id, len, |buf| c.fetch(buf)) {
            c.send(&b).unwrap();
        }
        HandleResult::Ok
    }
    fn on_close(
        &self,
        _c: &TcpPullClient,
        id: ConnId,
        op: SocketOperation,
        e: i32,
    ) -> HandleResult {
        self.0.closed(id, op, e)
    }
}

/// HP-Socket PACK framing of one body, for raw-socket tests.
pub fn pack_frame(flag: u16, body: &[u8]) -> Vec<u8> {
    let mut v = (((flag as u32) << 22) | body.len() as u32)
        .to_le_bytes()
        .to_vec();
    v.extend_from_slice(body);
    v
}

/// Sum of the sizes of all receive events.
pub fn received_total(evs: &[Ev]) -> usize {
    evs.iter()
        .map(|e| if let Ev::Receive(_, n) = e { *n } else { 0 })
        .sum()
}

/// What the generic listener [`G`] needs from a component: send and (PULL) fetch by ID.
pub trait Ops {
    fn send_to(&self, id: ConnId, data: &[u8]) -> Result<()>;
    fn fetch_from(&self, id: ConnId, buf: &mut [u8]) -> FetchResult;
}

macro_rules! ops {
    (many $role:ident, $m:ty, $fetch:expr) => {
        impl<T: Transport> Ops for $role<$m, T> {
            fn send_to(&self, id: ConnId, data: &[u8]) -> Result<()> {
                self.send(id, data)
            }
            fn fetch_from(&self, id: ConnId, buf: &mut [u8]) -> FetchResult {
                let f: fn(&Self, ConnId, &mut [u8]) -> FetchResult = $fetch;
                f(self, id, buf)
            }
        }
    };
    (one $m:ty, $fetch:expr) => {
        impl<T: Transport> Ops for Client<$m, T> {
            fn send_to(&self, _id: ConnId, data: &[u8]) -> Result<()> {
                self.send(data)
            }
            fn fetch_from(&self, _id: ConnId, buf: &mut [u8]) -> FetchResult {
                let f: fn(&Self, &mut [u8]) -> FetchResult = $fetch;
                f(self, buf)
            }
        }
    };
}
ops!(many Server, Push, |_, _, _| unreachable!("PUSH has no fetch"));
ops!(many Server, Pack, |_, _, _| unreachable!("PACK has no fetch"));
ops!(many Server, Pull, |s, id, b| s.fetch(id, b));
ops!(many Agent, Push, |_, _, _| unreachable!("PUSH has no fetch"));
ops!(many Agent, Pack, |_, _, _| unreachable!("PACK has no fetch"));
ops!(many Agent, Pull, |s, id, b| s.fetch(id, b));
ops!(one Push, |_, _| unreachable!("PUSH has no fetch"));
ops!(one Pack, |_, _| unreachable!("PACK has no fetch"));
ops!(one Pull, |s, b| s.fetch(b));

/// A listener for every role, model and transport: records every event into the shared
/// recorder and, when it echoes, sends back what it receives (PULL: fetches it first).
pub struct G(pub Arc<Recorder>);

impl G {
    fn receive<C: Ops>(&self, c: &C, id: ConnId, data: &[u8]) -> HandleResult {
        if self.0.echo.load(Ordering::Relaxed) {
            c.send_to(id, data).expect("echo send");
        }
        self.0.received(id, data)
    }
    fn pull<C: Ops>(&self, c: &C, id: ConnId, len: usize) -> HandleResult {
        if let Some(b) = self.0.pulled(id, len, |buf| c.fetch_from(id, buf)) {
            c.send_to(id, &b).expect("echo send");
        }
        hr(self.0.receive_result.load(Ordering::Relaxed))
    }
}

macro_rules! generic_listener {
    ($trait:ident, $role:ident, $first:ident) => {
        impl<M: Model, T: Transport> $trait<$role<M, T>> for G
        where
            $role<M, T>: Ops,
        {
            fn $first(&self, _c: &$role<M, T>, id: ConnId) -> HandleResult {
                self.0.push(Ev::Connect(id));
                hr(self.0.accept_result.load(Ordering::Relaxed))
            }
            fn on_handshake(&self, _c: &$role<M, T>, id: ConnId) -> HandleResult {
                self.0.push(Ev::Handshake(id));
                HandleResult::Ok
            }
            fn on_send(&self, _c: &$role<M, T>, id: ConnId, data: &[u8]) -> HandleResult {
                self.0.push(Ev::Send(id, data.len()));
                HandleResult::Ok
            }
            fn on_receive(&self, c: &$role<M, T>, id: ConnId, data: &[u8]) -> HandleResult {
                self.receive(c, id, data)
            }
            fn on_pull_receive(&self, c: &$role<M, T>, id: ConnId, len: usize) -> HandleResult {
                self.pull(c, id, len)
            }
            fn on_close(
                &self,
                _c: &$role<M, T>,
                id: ConnId,
                op: SocketOperation,
                e: i32,
            ) -> HandleResult {
                self.0.closed(id, op, e)
            }
            fn wants_send_events(&self) -> bool {
                true
            }
        }
    };
}
generic_listener!(AgentListener, Agent, on_connect);
generic_listener!(ClientListener, Client, on_connect);

impl<M: Model, T: Transport> ServerListener<Server<M, T>> for G
where
    Server<M, T>: Ops,
{
    fn on_accept(&self, _s: &Server<M, T>, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        self.0.push(Ev::Accept(id));
        hr(self.0.accept_result.load(Ordering::Relaxed))
    }
    fn on_handshake(&self, _s: &Server<M, T>, id: ConnId) -> HandleResult {
        self.0.push(Ev::Handshake(id));
        HandleResult::Ok
    }
    fn on_send(&self, _s: &Server<M, T>, id: ConnId, data: &[u8]) -> HandleResult {
        self.0.push(Ev::Send(id, data.len()));
        HandleResult::Ok
    }
    fn on_receive(&self, s: &Server<M, T>, id: ConnId, data: &[u8]) -> HandleResult {
        self.receive(s, id, data)
    }
    fn on_pull_receive(&self, s: &Server<M, T>, id: ConnId, len: usize) -> HandleResult {
        self.pull(s, id, len)
    }
    fn on_close(&self, _s: &Server<M, T>, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
        self.0.closed(id, op, e)
    }
    fn on_shutdown(&self, _s: &Server<M, T>) -> HandleResult {
        self.0.push(Ev::Shutdown);
        HandleResult::Ok
    }
    fn wants_send_events(&self) -> bool {
        true
    }
}

/// A throw-away PKI for TLS tests (testkit's), its PEMs handed out as `tls::Pem` and in the
/// set-ups the tests start from.
pub struct Pki(pub testkit::Pki);

/// A certificate and key as `tls::Pem`s.
fn pems(leaf: testkit::Leaf) -> (tls::Pem, tls::Pem) {
    (tls::Pem::Memory(leaf.cert), tls::Pem::Memory(leaf.key))
}

impl Pki {
    pub fn new() -> Pki {
        Pki(testkit::Pki::new())
    }

    /// (certificate PEM, key PEM) for these names (DNS names or IP addresses).
    pub fn leaf(&self, names: &[&str]) -> (tls::Pem, tls::Pem) {
        pems(self.0.leaf(names))
    }

    /// A leaf whose validity ended in 2001.
    pub fn expired(&self, names: &[&str]) -> (tls::Pem, tls::Pem) {
        pems(self.0.expired(names))
    }

    pub fn ca_pem(&self) -> tls::Pem {
        tls::Pem::Memory(self.0.ca.clone())
    }

    /// Server setup: a certificate for localhost and 127.0.0.1, no client verification.
    pub fn server_setup(&self) -> tls::TlsServerSetup {
        let (c, k) = self.leaf(&["localhost", "127.0.0.1", "::1"]);
        tls::TlsServerSetup::new(c, k)
    }

    /// Client setup verifying servers against this CA.
    pub fn client_setup(&self) -> tls::TlsClientSetup {
        tls::TlsClientSetup {
            verify: tls::VerifyMode::PEER,
            ca: Some(self.ca_pem()),
            ..Default::default()
        }
    }
}
