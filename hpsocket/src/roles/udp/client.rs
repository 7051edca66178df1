//! The UDP client: one connected socket, the connection model of a TCP client, HP-Socket's
//! heartbeat (0-byte probes) and close notification.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use socket2::{Domain, Protocol, Socket, Type};

use crate::component::{apply_reuse, parse_ip, Core, IdSource};
use crate::config::{properties, udp_properties};
use crate::error::{Error, Result};
use crate::listener::ClientListener;
use crate::model::ModelKind;
use crate::roles::api::{Component, Role};
use crate::roles::udp::endpoint::{self, Endpoint, EndpointRole, Slot};
use crate::roles::udp::worker::PeerRef;
use crate::roles::udp::{classify, Kind, CLOSE_NOTIFY};
use crate::types::{ConnId, ServiceState, SocketOperation};

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
    slot: Slot,
    remote_host: Mutex<Option<(String, u16)>>,
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
                slot: Slot::new(),
                remote_host: Mutex::new(None),
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
        endpoint::start(self, |cfg| {
            let remote: SocketAddr = (host, port)
                .to_socket_addrs()
                .map_err(Error::SocketCreate)?
                .next()
                .ok_or_else(|| {
                    Error::SocketCreate(io::Error::new(
                        io::ErrorKind::InvalidInput,
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
            endpoint::prepare(self, id, &sock)?;
            sock.connect(&remote.into()).map_err(Error::ConnectServer)?;
            let heartbeat = Heartbeat {
                detect: (cfg.detect_attempts > 0 && cfg.detect_interval > 0)
                    .then_some((cfg.detect_attempts, cfg.detect_interval as u64)),
                fails: 0,
                due: u64::MAX,
            };
            let entry = endpoint::open(self, sock, id, remote, cfg, heartbeat)?;
            *self.inner.remote_host.lock() = Some((host.to_string(), port));
            entry.launch();
            Ok(())
        })
    }

    /// The connection's ID (`None` before the first start).
    pub fn connection_id(&self) -> Option<ConnId> {
        self.inner.slot.id()
    }

    /// Sends one datagram of 1 ..= `max_datagram_size` bytes (see
    /// [`UdpServer::send`](crate::Connections::send)).
    pub fn send(&self, data: &[u8]) -> Result<()> {
        endpoint::send(self, data)
    }

    /// Sends the buffers together as one datagram.
    pub fn send_packets(&self, bufs: &[&[u8]]) -> Result<()> {
        self.send(&bufs.concat())
    }

    /// Whether the client is started and its connection open.
    pub fn is_connected(&self) -> bool {
        self.state() == ServiceState::Started && endpoint::peer(self).is_ok()
    }

    /// Local address of the socket.
    pub fn local_address(&self) -> Result<SocketAddr> {
        endpoint::local_address(self)
    }

    /// The server's address.
    pub fn remote_address(&self) -> Result<SocketAddr> {
        Ok(endpoint::peer(self)?.addr)
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
}

/// The detect schedule, kept by the client's worker.
pub(crate) struct Heartbeat {
    /// (attempts, interval in ms); `None`: detection is off.
    detect: Option<(u32, u64)>,
    /// Probes sent since the server was last heard from.
    fails: u32,
    due: u64,
}

impl EndpointRole for UdpClient {
    type Ticks = Heartbeat;
    const NOT_STARTED: &'static str = "client is not started";

    fn slot(&self) -> &Slot {
        &self.inner.slot
    }

    fn listener(&self) -> &dyn ClientListener<Self> {
        &*self.inner.listener
    }

    fn transmit(peer: &PeerRef, data: &[u8]) -> io::Result<usize> {
        peer.socket.send(data)
    }

    fn recv(peer: &PeerRef, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        // Connected: the kernel only lets the server's datagrams through.
        peer.socket.recv(buf).map(|n| (n, peer.addr))
    }

    fn datagram(ep: &mut Endpoint<Self>, data: &[u8], _from: SocketAddr, oversize: bool, now: u64) {
        ep.ticks.fails = 0;
        ep.peer.last_recv.store(now, Ordering::Relaxed);
        if oversize {
            ep.close(SocketOperation::Receive, libc::EMSGSIZE, true);
            return;
        }
        match classify(data) {
            // The server's answer to a probe: proof of life, nothing to report.
            Kind::Probe => {}
            Kind::CloseNotify => ep.close(SocketOperation::Close, 0, false),
            Kind::Data => ep.deliver(data),
        }
    }

    fn read_failed(ep: &mut Endpoint<Self>, e: io::Error) {
        // ICMP port unreachable and friends: the server is not there.
        let err = e.raw_os_error().unwrap_or(libc::EIO);
        ep.close(SocketOperation::Receive, err, false);
    }

    fn notify_close(peer: &PeerRef) {
        let _ = peer.socket.send(&CLOSE_NOTIFY);
    }

    fn connected(ep: &mut Endpoint<Self>, now: u64) {
        if let Some((_, interval)) = ep.ticks.detect {
            ep.ticks.due = now + interval;
        }
    }

    fn next_due(ep: &Endpoint<Self>) -> Option<u64> {
        (!ep.is_done() && ep.ticks.due != u64::MAX).then_some(ep.ticks.due)
    }

    fn expire(ep: &mut Endpoint<Self>, now: u64) {
        let Some((attempts, interval)) = ep.ticks.detect else {
            return;
        };
        while !ep.is_done() && ep.ticks.due <= now {
            if ep.ticks.fails >= attempts {
                ep.close(SocketOperation::Close, libc::ECONNRESET, false);
                return;
            }
            ep.ticks.fails += 1;
            let _ = ep.peer.socket.send(&[]);
            ep.ticks.due += interval;
        }
    }
}

impl Role for UdpClient {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        endpoint::stop(self)
    }
}
