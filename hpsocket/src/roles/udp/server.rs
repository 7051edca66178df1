//! The UDP server: one bound address, one virtual connection per peer address.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::clock::now_ms;
use crate::component::{apply_reuse, finish_stop, guard, parse_ip, Core, IdSource};
use crate::config::{multi_properties, properties, udp_properties};
use crate::cores::udp_peers::Detect;
use crate::error::{Error, Result};
use crate::listener::ServerListener;
use crate::model::ModelKind;
use crate::reactor::{Cmd, Pool};
use crate::roles::api::{Component, Connections, Role};
use crate::roles::udp::worker::{
    owner_key, Admission, PeerMap, PeerRef, UdpEntry, UdpMsg, UdpOwner,
};
use crate::types::{ConnId, HandleResult, ServiceState, SocketOperation};

/// A UDP server: each remote address that sends to it becomes a virtual connection with its
/// own [`ConnId`], reported through the same [`ServerListener`] events as TCP — `on_accept`
/// and `on_handshake` on its first datagram, `on_receive` once per datagram, `on_close` when
/// it is disconnected, sends HP-Socket's close notification, or stays silent through
/// `detect_attempts` detect ticks (clients keep themselves alive with 0-byte probes, which
/// are answered and not reported).
///
/// One socket per worker thread shares the address (`SO_REUSEPORT`): the kernel keeps each
/// peer on one socket, so a peer's events always come from one worker, in order.
///
/// ```no_run
/// use hpsocket::prelude::*;
/// use hpsocket::{ConnId, HandleResult, ServerListener, UdpServer};
///
/// struct Echo;
/// impl ServerListener<UdpServer> for Echo {
///     fn on_receive(&self, s: &UdpServer, id: ConnId, datagram: &[u8]) -> HandleResult {
///         let _ = s.send(id, datagram);
///         HandleResult::Ok
///     }
/// }
///
/// let server = UdpServer::new(Echo);
/// server.start("127.0.0.1", 5555)?;
/// # Ok::<(), hpsocket::Error>(())
/// ```
pub struct UdpServer {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    listener: Box<dyn ServerListener<UdpServer>>,
    peers: RwLock<PeerMap>,
    listen_addr: Mutex<Option<SocketAddr>>,
    /// Taken at `start`.
    max_datagram: AtomicUsize,
    max_connections: AtomicUsize,
    detect: Mutex<Option<Detect>>,
    /// The self-reference the workers hold while started.
    owner: Mutex<Option<Arc<dyn UdpOwner>>>,
}

impl Clone for UdpServer {
    fn clone(&self) -> Self {
        UdpServer {
            inner: self.inner.clone(),
        }
    }
}

impl UdpServer {
    /// Creates a stopped server that reports to `listener`.
    pub fn new(listener: impl ServerListener<UdpServer>) -> Self {
        UdpServer {
            inner: Arc::new(Inner {
                core: Core::new(
                    IdSource::Own(AtomicUsize::new(1)),
                    true,
                    ModelKind::Push,
                    false,
                ),
                listener: Box::new(listener),
                peers: RwLock::new(PeerMap::default()),
                listen_addr: Mutex::new(None),
                max_datagram: AtomicUsize::new(0),
                max_connections: AtomicUsize::new(0),
                detect: Mutex::new(None),
                owner: Mutex::new(None),
            }),
        }
    }

    /// Binds `address:port` (port 0: the kernel picks; see
    /// [`listen_address`](Self::listen_address)) and starts receiving.
    pub fn start(&self, address: &str, port: u16) -> Result<()> {
        let (cfg, ticket) = self.core().begin_run()?;
        match self.try_start(address, port, &cfg) {
            Ok(()) => {
                self.core().started(ticket);
                Ok(())
            }
            Err(e) => {
                *self.inner.owner.lock() = None;
                Err(self.core().start_failed(ticket, e))
            }
        }
    }

    fn try_start(&self, address: &str, port: u16, cfg: &crate::config::Config) -> Result<()> {
        let ip = parse_ip(Some(address))?;
        let mut addr = SocketAddr::new(ip, port);
        let n = cfg.worker_thread_count.max(1) as usize;
        let mut sockets = Vec::with_capacity(n);
        for i in 0..n {
            let sock = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
                .map_err(Error::SocketCreate)?;
            apply_reuse(&sock, cfg.reuse_address_policy).map_err(Error::SocketBind)?;
            // Every worker's socket shares the address; the kernel spreads peers over them.
            sock.set_reuse_port(true).map_err(Error::SocketBind)?;
            sock.bind(&addr.into()).map_err(Error::SocketBind)?;
            if i == 0 {
                if guard(HandleResult::Error, || {
                    self.inner
                        .listener
                        .on_prepare_listen(self, SockRef::from(&sock))
                }) == HandleResult::Error
                {
                    return Err(Error::SocketPrepare);
                }
                // Port 0: the others bind to the port the kernel chose for the first.
                if let Some(a) = sock.local_addr().ok().and_then(|a| a.as_socket()) {
                    addr = a;
                }
            }
            sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
            sockets.push(Arc::new(mio::net::UdpSocket::from_std(
                std::net::UdpSocket::from(sock),
            )));
        }
        *self.inner.listen_addr.lock() = Some(addr);
        self.inner
            .max_datagram
            .store(cfg.max_datagram_size as usize, Ordering::Release);
        self.inner
            .max_connections
            .store(cfg.max_connection_count as usize, Ordering::Release);
        *self.inner.detect.lock() = Some(Detect {
            attempts: cfg.detect_attempts,
            interval_ms: cfg.detect_interval as u64,
        });
        let pool = Pool::start(n, "hps-udp").map_err(Error::WorkerThreadCreate)?;
        let owner: Arc<dyn UdpOwner> = Arc::new(self.clone());
        *self.inner.owner.lock() = Some(owner.clone());
        self.core().activate_pool(pool.clone());
        for (w, s) in pool.workers().iter().zip(sockets) {
            let entry = UdpEntry::new(s, owner.clone(), w.clone());
            w.post(Cmd::Open(Box::new(entry)));
        }
        Ok(())
    }

    /// See [`Component::stop`].
    fn stop_role_impl(&self) -> Result<()> {
        let run = self.core().begin_stop(false)?;
        if let (Some(pool), Some(owner)) = (self.core().pool(), self.inner.owner.lock().clone()) {
            for w in pool.workers() {
                w.post(Cmd::CloseOwner(owner_key(&owner)));
            }
        }
        let me = self.clone();
        let finish = move || {
            me.core().complete_stop(run, || {
                guard(HandleResult::Ok, || me.inner.listener.on_shutdown(&me));
            });
            *me.inner.owner.lock() = None;
            me.inner.peers.write().clear();
        };
        finish_stop(finish)
    }

    /// The bound address (with the real port when started with port 0).
    pub fn listen_address(&self) -> Result<SocketAddr> {
        if !self.has_started() {
            return Err(Error::IllegalState("server is not started"));
        }
        self.inner
            .listen_addr
            .lock()
            .ok_or(Error::IllegalState("server is not started"))
    }

    fn peer(&self, id: ConnId) -> Result<Arc<PeerRef>> {
        match self.inner.peers.read().by_id.get(&id) {
            Some(p) => Ok(p.clone()),
            None if self.state() == ServiceState::Stopped => {
                Err(Error::IllegalState("component is not started"))
            }
            None => Err(Error::ConnectionNotFound(id)),
        }
    }

    fn send_datagram(&self, id: ConnId, data: &[u8]) -> Result<()> {
        let max = self.inner.max_datagram.load(Ordering::Acquire);
        let peer = self.peer(id)?;
        if data.is_empty() || data.len() > max {
            return Err(Error::MessageSize {
                size: data.len(),
                max,
            });
        }
        if peer.closed.load(Ordering::Acquire) {
            return Err(Error::ConnectionNotFound(id));
        }
        match peer.socket.send_to(data, peer.addr) {
            Ok(n) if n == data.len() => {}
            Ok(_) => return Err(Error::Io(std::io::ErrorKind::WriteZero.into())),
            Err(e) => return Err(Error::Io(e)),
        }
        if self.inner.listener.wants_send_events() {
            // Reported by the peer's worker between callbacks, never nested in this one.
            peer.post(UdpMsg::Sent(peer.id, data.to_vec()));
        }
        Ok(())
    }

    fn disconnect_where(&self, force: bool, pick: impl Fn(&PeerRef, u64) -> bool) -> Result<()> {
        if !self.has_started() {
            return Err(Error::IllegalState("component is not started"));
        }
        let now = now_ms();
        let chosen: Vec<ConnId> = self
            .inner
            .peers
            .read()
            .by_id
            .values()
            .filter(|p| pick(p, now))
            .map(|p| p.id)
            .collect();
        for id in chosen {
            // A peer that closed meanwhile is not an error here.
            let _ = self.disconnect(id, force);
        }
        Ok(())
    }

    multi_properties!();
    udp_properties!();
    properties! {
        /// `SO_REUSEADDR` / `SO_REUSEPORT` on the bound sockets (`ReuseAddressPolicy`,
        /// default `AddrOnly`; the worker sockets share the port in any case).
        reuse_address_policy, set_reuse_address_policy: crate::types::ReuseAddressPolicy, |_v| true, "";
    }
}

impl UdpOwner for UdpServer {
    fn next_id(&self) -> ConnId {
        self.core().next_id()
    }
    fn is_accepting(&self) -> bool {
        self.core().is_accepting()
    }
    fn max_connections(&self) -> usize {
        self.inner.max_connections.load(Ordering::Acquire)
    }
    fn max_datagram(&self) -> usize {
        self.inner.max_datagram.load(Ordering::Acquire)
    }
    fn detect(&self) -> Option<Detect> {
        *self.inner.detect.lock()
    }
    fn admit(&self, peer: Arc<PeerRef>) -> Admission {
        let max = self.max_connections();
        self.inner.peers.write().admit(peer, max)
    }
    fn unregister(&self, id: ConnId) {
        self.inner.peers.write().remove(id);
    }
    fn fire_accept(&self, id: ConnId, socket: &mio::net::UdpSocket) -> HandleResult {
        guard(HandleResult::Error, || {
            self.inner
                .listener
                .on_accept(self, id, SockRef::from(socket))
        })
    }
    fn fire_handshake(&self, id: ConnId) -> HandleResult {
        guard(HandleResult::Error, || {
            self.inner.listener.on_handshake(self, id)
        })
    }
    fn fire_send(&self, id: ConnId, data: &[u8]) {
        guard((), || {
            self.inner.listener.on_send(self, id, data);
        })
    }
    fn fire_receive(&self, id: ConnId, data: &[u8]) -> HandleResult {
        guard(HandleResult::Error, || {
            self.inner.listener.on_receive(self, id, data)
        })
    }
    fn fire_close(&self, id: ConnId, op: SocketOperation, err: i32) {
        guard((), || {
            self.inner.listener.on_close(self, id, op, err);
        })
    }
}

impl Connections for UdpServer {
    /// Sends one datagram of 1 ..= `max_datagram_size` bytes to peer `id`. Never blocks: when
    /// the socket's send buffer is full the send fails with `Error::Io` (`WouldBlock`) and
    /// nothing is queued — UDP has no order to keep.
    fn send(&self, id: ConnId, data: &[u8]) -> Result<()> {
        self.send_datagram(id, data)
    }

    /// Sends the buffers together as ONE datagram (their total must fit `max_datagram_size`).
    fn send_packets(&self, id: ConnId, bufs: &[&[u8]]) -> Result<()> {
        let all: Vec<u8> = bufs.concat();
        self.send_datagram(id, &all)
    }

    /// Closes peer `id`: it is sent the close notification and `on_close` follows on its
    /// worker (`force` makes no difference: a datagram is never half sent).
    fn disconnect(&self, id: ConnId, force: bool) -> Result<()> {
        let _ = force;
        let peer = self.peer(id)?;
        if peer.closed.load(Ordering::Acquire) {
            return Err(Error::ConnectionNotFound(id));
        }
        peer.post(UdpMsg::Disconnect(peer.id));
        Ok(())
    }

    /// Disconnects every peer connected for longer than `period`.
    fn disconnect_long_connections(&self, period: std::time::Duration, force: bool) -> Result<()> {
        self.disconnect_where(force, |p, now| {
            now.saturating_sub(p.connected_at) >= period.as_millis() as u64
        })
    }

    /// Disconnects every peer that sent nothing (not even a probe) for `period`.
    fn disconnect_silence_connections(
        &self,
        period: std::time::Duration,
        force: bool,
    ) -> Result<()> {
        self.disconnect_where(force, |p, now| {
            now.saturating_sub(p.last_recv.load(Ordering::Relaxed)) >= period.as_millis() as u64
        })
    }

    /// Bytes queued for peer `id`: always 0, as datagrams are handed to the kernel by `send`
    /// itself (the call fails instead of queueing when the socket buffer is full).
    fn pending_data_length(&self, id: ConnId) -> Result<usize> {
        self.peer(id).map(|_| 0)
    }

    /// Whether peer `id` is connected.
    fn is_connected(&self, id: ConnId) -> bool {
        self.peer(id)
            .is_ok_and(|p| !p.closed.load(Ordering::Acquire))
    }

    /// Number of connected peers.
    fn connection_count(&self) -> usize {
        self.inner.peers.read().by_id.len()
    }

    /// IDs of every connected peer, ascending.
    fn all_connection_ids(&self) -> Vec<ConnId> {
        let mut v: Vec<ConnId> = self.inner.peers.read().by_id.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// The peer's address.
    fn remote_address(&self, id: ConnId) -> Result<SocketAddr> {
        Ok(self.peer(id)?.addr)
    }

    /// The local address peer `id` talks to.
    fn local_address(&self, id: ConnId) -> Result<SocketAddr> {
        self.peer(id)?.socket.local_addr().map_err(Error::Io)
    }

    /// Time since peer `id` sent its first datagram.
    fn connect_period(&self, id: ConnId) -> Result<std::time::Duration> {
        let p = self.peer(id)?;
        Ok(std::time::Duration::from_millis(
            now_ms().saturating_sub(p.connected_at),
        ))
    }

    /// Time since peer `id` last sent anything (a probe included).
    fn silence_period(&self, id: ConnId) -> Result<std::time::Duration> {
        let p = self.peer(id)?;
        Ok(std::time::Duration::from_millis(
            now_ms().saturating_sub(p.last_recv.load(Ordering::Relaxed)),
        ))
    }

    /// Attaches a user value to peer `id`.
    fn set_connection_extra(&self, id: ConnId, extra: usize) -> Result<()> {
        self.peer(id)?.extra.store(extra, Ordering::Release);
        Ok(())
    }

    /// The user value attached to peer `id` (0 when none was set).
    fn connection_extra(&self, id: ConnId) -> Result<usize> {
        Ok(self.peer(id)?.extra.load(Ordering::Acquire))
    }

    fn pause_receive(&self, _id: ConnId, _pause: bool) -> Result<()> {
        Err(Error::NotSupported(
            "pause_receive on UDP (HP-Socket does not implement it either)",
        ))
    }

    fn is_pause_receive(&self, _id: ConnId) -> Result<bool> {
        Err(Error::NotSupported(
            "pause_receive on UDP (HP-Socket does not implement it either)",
        ))
    }
}

impl Role for UdpServer {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        self.stop_role_impl()
    }
}
