//! The UDP client: one connected socket, the connection model of a TCP client, HP-Socket's
//! heartbeat (0-byte probes) and close notification.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::component::{apply_reuse, guard, must_not_block, parse_ip, Core, IdSource};
use crate::config::{properties, udp_properties};
use crate::error::{Error, Result};
use crate::listener::ClientListener;
use crate::model::ModelKind;
use crate::reactor::{Cmd, Pool, WorkerShared};
use crate::roles::api::{Component, Role};
use crate::roles::udp::worker::{owner_key, Datagram, PeerRef, UdpMsg};
use crate::roles::udp::{classify, Kind, CLOSE_NOTIFY};
use crate::types::{ConnId, HandleResult, ServiceState, SocketOperation};

/// A UDP client: a connected UDP socket with the event model of [`TcpClient`](crate::TcpClient)
/// — `on_connect` and `on_handshake` once started, `on_receive` per datagram, `on_close`
/// once. With detection on (`detect_attempts` × `detect_interval`), it sends a 0-byte probe
/// every interval and closes with `SocketOperation::Close` / `ECONNRESET` when the server
/// stays silent through `detect_attempts` of them. `stop` sends HP-Socket's close
/// notification, and one from the server closes the client.
///
/// ```no_run
/// use hpsocket::{ClientListener, ConnId, HandleResult, UdpClient};
///
/// struct Print;
/// impl ClientListener<UdpClient> for Print {
///     fn on_receive(&self, _c: &UdpClient, _id: ConnId, datagram: &[u8]) -> HandleResult {
///         println!("{} bytes", datagram.len());
///         HandleResult::Ok
///     }
/// }
///
/// let client = UdpClient::new(Print);
/// client.start("127.0.0.1", 5555, true)?;
/// client.send(b"hello")?;
/// # Ok::<(), hpsocket::Error>(())
/// ```
pub struct UdpClient {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    listener: Box<dyn ClientListener<UdpClient>>,
    peer: Mutex<Option<Arc<PeerRef>>>,
    remote_host: Mutex<Option<(String, u16)>>,
    max_datagram: AtomicUsize,
    extra: AtomicUsize,
}

impl Clone for UdpClient {
    fn clone(&self) -> Self {
        UdpClient {
            inner: self.inner.clone(),
        }
    }
}

impl UdpClient {
    /// Creates a stopped client that reports to `listener`.
    pub fn new(listener: impl ClientListener<UdpClient>) -> Self {
        UdpClient {
            inner: Arc::new(Inner {
                core: Core::new(IdSource::Global, false, ModelKind::Push, false),
                listener: Box::new(listener),
                peer: Mutex::new(None),
                remote_host: Mutex::new(None),
                max_datagram: AtomicUsize::new(0),
                extra: AtomicUsize::new(0),
            }),
        }
    }

    /// Connects the socket to `host:port`. `on_connect` and `on_handshake` follow on the
    /// client's worker (`async_connect` only decides whether name resolution failures are
    /// reported here or as `on_close`; a UDP connect does not wait for the server).
    pub fn start(&self, host: &str, port: u16, async_connect: bool) -> Result<()> {
        self.start_with_bind(host, port, async_connect, None, 0)
    }

    /// [`start`](Self::start) from a given local address and port.
    pub fn start_with_bind(
        &self,
        host: &str,
        port: u16,
        async_connect: bool,
        bind_address: Option<&str>,
        local_port: u16,
    ) -> Result<()> {
        let _ = async_connect;
        let cfg = self.core().begin_start()?;
        let r = (|| {
            let remote: SocketAddr = (host, port)
                .to_socket_addrs()
                .map_err(Error::SocketCreate)?
                .next()
                .ok_or_else(|| {
                    Error::SocketCreate(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("cannot resolve {host:?}"),
                    ))
                })?;
            let sock = Socket::new(
                Domain::for_address(remote),
                Type::DGRAM,
                Some(Protocol::UDP),
            )
            .map_err(Error::SocketCreate)?;
            let bind = match (bind_address.filter(|a| !a.trim().is_empty()), local_port) {
                (Some(a), p) => Some(SocketAddr::new(parse_ip(Some(a))?, p)),
                (None, 0) => None,
                (None, p) => Some(SocketAddr::new([0, 0, 0, 0].into(), p)),
            };
            if let Some(b) = bind {
                apply_reuse(&sock, cfg.reuse_address_policy).map_err(Error::SocketBind)?;
                sock.bind(&b.into()).map_err(Error::SocketBind)?;
            }
            let id = self.core().next_id();
            if guard(HandleResult::Error, || {
                self.inner
                    .listener
                    .on_prepare_connect(self, id, SockRef::from(&sock))
            }) == HandleResult::Error
            {
                return Err(Error::SocketPrepare);
            }
            sock.connect(&remote.into()).map_err(Error::ConnectServer)?;
            sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
            let socket = Arc::new(mio::net::UdpSocket::from_std(std::net::UdpSocket::from(
                sock,
            )));
            let pool = Pool::shared().map_err(Error::WorkerThreadCreate)?;
            self.core().activate_pool(pool.clone());
            let worker = pool.pick();
            let now = crate::clock::now_ms();
            let peer = Arc::new(PeerRef {
                id,
                addr: remote,
                socket: socket.clone(),
                worker: worker.clone(),
                extra: AtomicUsize::new(0),
                connected_at: now,
                last_recv: now.into(),
                closed: AtomicBool::new(false),
            });
            *self.inner.peer.lock() = Some(peer.clone());
            *self.inner.remote_host.lock() = Some((host.to_string(), port));
            self.inner
                .max_datagram
                .store(cfg.max_datagram_size as usize, Ordering::Release);
            let detect = (cfg.detect_attempts > 0 && cfg.detect_interval > 0)
                .then_some((cfg.detect_attempts, cfg.detect_interval as u64));
            let entry = ClientEntry {
                client: self.clone(),
                peer,
                worker: worker.clone(),
                detect,
                fails: 0,
                due: u64::MAX,
                armed: u64::MAX,
                buf: Vec::new(),
                done: false,
            };
            self.core().set_state(ServiceState::Started);
            worker.post(Cmd::Open(Box::new(entry)));
            Ok(())
        })();
        r.map_err(|e| {
            *self.inner.peer.lock() = None;
            self.core().start_failed(e)
        })
    }

    /// See [`Component::stop`].
    fn stop_role_impl(&self) -> Result<()> {
        let core = self.core();
        core.begin_stop(true)?;
        let peer = self.inner.peer.lock().clone();
        match peer {
            Some(p) if !p.closed.load(Ordering::Acquire) => {
                p.post(UdpMsg::Disconnect(p.id));
                if !must_not_block() {
                    core.wait(None);
                }
            }
            _ => {
                core.release();
                core.set_state(ServiceState::Stopped);
            }
        }
        Ok(())
    }

    fn peer(&self) -> Result<Arc<PeerRef>> {
        match &*self.inner.peer.lock() {
            Some(p) if !p.closed.load(Ordering::Acquire) => Ok(p.clone()),
            Some(p) => Err(Error::ConnectionNotFound(p.id)),
            None => Err(Error::IllegalState("client is not started")),
        }
    }

    /// The connection's ID (`None` before the first start).
    pub fn connection_id(&self) -> Option<ConnId> {
        self.inner.peer.lock().as_ref().map(|p| p.id)
    }

    /// Sends one datagram of 1 ..= `max_datagram_size` bytes (see
    /// [`UdpServer::send`](crate::Connections::send)).
    pub fn send(&self, data: &[u8]) -> Result<()> {
        let max = self.inner.max_datagram.load(Ordering::Acquire);
        let peer = self.peer()?;
        if data.is_empty() || data.len() > max {
            return Err(Error::MessageSize {
                size: data.len(),
                max,
            });
        }
        match peer.socket.send(data) {
            Ok(n) if n == data.len() => {}
            Ok(_) => return Err(Error::Io(std::io::ErrorKind::WriteZero.into())),
            Err(e) => return Err(Error::Io(e)),
        }
        if self.inner.listener.wants_send_events() {
            peer.post(UdpMsg::Sent(peer.id, data.to_vec()));
        }
        Ok(())
    }

    /// Sends the buffers together as one datagram.
    pub fn send_packets(&self, bufs: &[&[u8]]) -> Result<()> {
        self.send(&bufs.concat())
    }

    /// Whether the client is started and its connection open.
    pub fn is_connected(&self) -> bool {
        self.state() == ServiceState::Started && self.peer().is_ok()
    }

    /// Local address of the socket.
    pub fn local_address(&self) -> Result<SocketAddr> {
        self.peer()?.socket.local_addr().map_err(Error::Io)
    }

    /// The server's address.
    pub fn remote_address(&self) -> Result<SocketAddr> {
        Ok(self.peer()?.addr)
    }

    /// The host and port given to `start`.
    pub fn remote_host(&self) -> Result<(String, u16)> {
        self.inner
            .remote_host
            .lock()
            .clone()
            .ok_or(Error::IllegalState("client was never started"))
    }

    /// Attaches a user value to the client.
    pub fn set_extra(&self, extra: usize) {
        self.inner.extra.store(extra, Ordering::Release);
    }

    /// The user value attached to the client.
    pub fn extra(&self) -> usize {
        self.inner.extra.load(Ordering::Acquire)
    }

    udp_properties!();
    properties! {
        /// `SO_REUSEADDR` / `SO_REUSEPORT` when binding a local address (`ReuseAddressPolicy`,
        /// default `AddrOnly`).
        reuse_address_policy, set_reuse_address_policy: crate::types::ReuseAddressPolicy, |_v| true, "";
    }

    fn closed(&self, peer: &PeerRef) {
        peer.closed.store(true, Ordering::Release);
        let core = self.core();
        core.release();
        core.set_state(ServiceState::Stopped);
    }
}

/// The client's socket as its worker runs it.
struct ClientEntry {
    client: UdpClient,
    peer: Arc<PeerRef>,
    worker: Arc<WorkerShared>,
    detect: Option<(u32, u64)>,
    fails: u32,
    due: u64,
    armed: u64,
    buf: Vec<u8>,
    done: bool,
}

impl ClientEntry {
    fn close(&mut self, op: SocketOperation, err: i32, notify: bool) {
        if self.done {
            return;
        }
        self.done = true;
        if notify {
            let _ = self.peer.socket.send(&CLOSE_NOTIFY);
        }
        let c = &self.client;
        let id = self.peer.id;
        self.peer.closed.store(true, Ordering::Release);
        guard((), || {
            c.inner.listener.on_close(c, id, op, err);
        });
        c.closed(&self.peer);
    }
}

impl Datagram for ClientEntry {
    fn socket(&self) -> &Arc<mio::net::UdpSocket> {
        &self.peer.socket
    }

    fn owner_key(&self) -> usize {
        owner_key(&self.client.inner)
    }

    fn opened(&mut self, now: u64) {
        let _ = &self.worker;
        let c = self.client.clone();
        let id = self.peer.id;
        if !c.core().is_accepting() {
            // stopped before the worker got here
            self.close(SocketOperation::Close, 0, false);
            return;
        }
        if guard(HandleResult::Error, || c.inner.listener.on_connect(&c, id)) == HandleResult::Error
            || guard(HandleResult::Error, || {
                c.inner.listener.on_handshake(&c, id)
            }) == HandleResult::Error
        {
            self.close(SocketOperation::Connect, libc::ECANCELED, false);
            return;
        }
        if let Some((_, interval)) = self.detect {
            self.due = now + interval;
        }
    }

    fn readable(&mut self, now: u64) -> bool {
        let cap = self.client.inner.max_datagram.load(Ordering::Acquire) + 1;
        if self.buf.len() < cap {
            self.buf.resize(cap, 0);
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut more = true;
        for _ in 0..64 {
            if self.done {
                more = false;
                break;
            }
            let n = match self.peer.socket.recv(&mut buf[..cap]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    more = false;
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // ICMP port unreachable and friends: the server is not there.
                Err(e) => {
                    self.close(
                        SocketOperation::Receive,
                        e.raw_os_error().unwrap_or(libc::EIO),
                        false,
                    );
                    more = false;
                    break;
                }
            };
            self.fails = 0;
            self.peer
                .last_recv
                .store(now, std::sync::atomic::Ordering::Relaxed);
            if n >= cap {
                self.close(SocketOperation::Receive, libc::EMSGSIZE, true);
                continue;
            }
            match classify(&buf[..n]) {
                // The server's answer to a probe: proof of life, nothing to report.
                Kind::Probe => {}
                Kind::CloseNotify => self.close(SocketOperation::Close, 0, false),
                Kind::Data => {
                    let c = self.client.clone();
                    let id = self.peer.id;
                    let data = &buf[..n];
                    if guard(HandleResult::Error, || {
                        c.inner.listener.on_receive(&c, id, data)
                    }) == HandleResult::Error
                    {
                        self.close(SocketOperation::Receive, libc::ECANCELED, true);
                    }
                }
            }
        }
        self.buf = buf;
        more
    }

    fn next_due(&self) -> Option<u64> {
        (!self.done && self.due != u64::MAX).then_some(self.due)
    }

    fn expire(&mut self, now: u64) {
        let Some((attempts, interval)) = self.detect else {
            return;
        };
        while !self.done && self.due <= now {
            if self.fails >= attempts {
                self.close(SocketOperation::Close, libc::ECONNRESET, false);
                return;
            }
            self.fails += 1;
            let _ = self.peer.socket.send(&[]);
            self.due += interval;
        }
    }

    fn close_all(&mut self) {
        self.close(SocketOperation::Close, 0, true);
    }

    fn disconnect(&mut self, _id: ConnId) {
        self.close(SocketOperation::Close, 0, true);
    }

    fn fire_sent(&self, id: ConnId, data: &[u8]) {
        if !self.done {
            let c = &self.client;
            guard((), || {
                c.inner.listener.on_send(c, id, data);
            });
        }
    }

    fn armed(&mut self) -> &mut u64 {
        &mut self.armed
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

impl Role for UdpClient {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        self.stop_role_impl()
    }
}
