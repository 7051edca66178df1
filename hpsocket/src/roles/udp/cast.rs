//! The UDP cast component: multicast or broadcast, no connections to keep.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::component::{apply_reuse, guard, must_not_block, parse_ip, Core, IdSource};
use crate::config::properties;
use crate::error::{Error, Result};
use crate::listener::ClientListener;
use crate::model::ModelKind;
use crate::reactor::{Cmd, Pool};
use crate::roles::api::Role;
use crate::roles::udp::worker::{owner_key, Datagram, PeerRef, UdpMsg};
use crate::types::{CastMode, ConnId, HandleResult, ServiceState, SocketOperation};

/// A UDP cast endpoint (HP-Socket's `UdpCast`): joins a multicast group (or uses broadcast),
/// sends every datagram to the group (or broadcast address) and receives what is cast to its
/// port. Events follow the client's: `on_connect` / `on_handshake` once started,
/// `on_receive` per datagram — [`last_sender`](Self::last_sender) tells who sent it —
/// `on_close` once stopped.
///
/// ```no_run
/// use hpsocket::{ClientListener, ConnId, HandleResult, UdpCast};
///
/// struct Print;
/// impl ClientListener<UdpCast> for Print {
///     fn on_receive(&self, c: &UdpCast, _id: ConnId, datagram: &[u8]) -> HandleResult {
///         println!("{:?}: {} bytes", c.last_sender(), datagram.len());
///         HandleResult::Ok
///     }
/// }
///
/// let cast = UdpCast::new(Print);
/// cast.set_multicast_loop(true)?;
/// cast.start("239.255.0.1", 5555, Some("127.0.0.1"))?; // group, port, interface
/// cast.send(b"hello, group")?;
/// # Ok::<(), hpsocket::Error>(())
/// ```
pub struct UdpCast {
    inner: Arc<Inner>,
}

struct Inner {
    core: Core,
    listener: Box<dyn ClientListener<UdpCast>>,
    peer: Mutex<Option<Arc<PeerRef>>>,
    sender: Mutex<Option<SocketAddr>>,
    max_datagram: AtomicUsize,
}

impl Clone for UdpCast {
    fn clone(&self) -> Self {
        UdpCast {
            inner: self.inner.clone(),
        }
    }
}

impl UdpCast {
    /// Creates a stopped cast endpoint that reports to `listener`.
    pub fn new(listener: impl ClientListener<UdpCast>) -> Self {
        let core = Core::new(IdSource::Global, false, ModelKind::Push, false);
        UdpCast {
            inner: Arc::new(Inner {
                core,
                listener: Box::new(listener),
                peer: Mutex::new(None),
                sender: Mutex::new(None),
                max_datagram: AtomicUsize::new(0),
            }),
        }
    }

    /// Binds `port` on `bind_address` (`None`: any address; it is also the interface used
    /// for multicast) and joins `cast_address` (multicast) or enables broadcast to it
    /// (`""` in broadcast mode: `255.255.255.255`).
    pub fn start(&self, cast_address: &str, port: u16, bind_address: Option<&str>) -> Result<()> {
        let cfg = self.core().begin_start()?;
        let r = (|| {
            let mode = cfg.cast_mode;
            let cast_ip: IpAddr = match (mode, cast_address.trim()) {
                (CastMode::Broadcast, "") => Ipv4Addr::BROADCAST.into(),
                (_, a) => a.parse().map_err(|_| {
                    Error::SocketCreate(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("not an IP address: {a:?}"),
                    ))
                })?,
            };
            let IpAddr::V4(group) = cast_ip else {
                return Err(Error::NotSupported("IPv6 casting"));
            };
            if mode == CastMode::Multicast && !group.is_multicast() {
                return Err(Error::InvalidParam("cast address is not a multicast group"));
            }
            let local = match bind_address.filter(|a| !a.trim().is_empty()) {
                Some(a) => parse_ip(Some(a))?,
                None => Ipv4Addr::UNSPECIFIED.into(),
            };
            let IpAddr::V4(iface) = local else {
                return Err(Error::NotSupported("IPv6 casting"));
            };
            let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
                .map_err(Error::SocketCreate)?;
            apply_reuse(&sock, cfg.reuse_address_policy).map_err(Error::SocketBind)?;
            // Several members of a group on one host share the port.
            sock.set_reuse_port(true).map_err(Error::SocketBind)?;
            // Receive what is cast to the port whatever the destination address.
            sock.bind(&SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port).into())
                .map_err(Error::SocketBind)?;
            match mode {
                CastMode::Multicast => {
                    sock.join_multicast_v4(&group, &iface)
                        .map_err(Error::SocketCreate)?;
                    sock.set_multicast_if_v4(&iface)
                        .map_err(Error::SocketCreate)?;
                    sock.set_multicast_ttl_v4(cfg.multicast_ttl)
                        .map_err(Error::SocketCreate)?;
                    sock.set_multicast_loop_v4(cfg.multicast_loop)
                        .map_err(Error::SocketCreate)?;
                }
                CastMode::Broadcast => sock.set_broadcast(true).map_err(Error::SocketCreate)?,
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
                addr: SocketAddr::new(group.into(), port),
                socket,
                worker: worker.clone(),
                extra: AtomicUsize::new(0),
                connected_at: now,
                last_recv: now.into(),
                closed: AtomicBool::new(false),
            });
            *self.inner.peer.lock() = Some(peer.clone());
            self.inner
                .max_datagram
                .store(cfg.max_datagram_size as usize, Ordering::Release);
            self.core().set_state(ServiceState::Started);
            worker.post(Cmd::Open(Box::new(CastEntry {
                cast: self.clone(),
                peer,
                buf: Vec::new(),
                armed: u64::MAX,
                done: false,
            })));
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
            None => Err(Error::IllegalState("cast is not started")),
        }
    }

    /// The endpoint's ID (`None` before the first start).
    pub fn connection_id(&self) -> Option<ConnId> {
        self.inner.peer.lock().as_ref().map(|p| p.id)
    }

    /// Casts one datagram of 1 ..= `max_datagram_size` bytes to the group / broadcast
    /// address.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        let max = self.inner.max_datagram.load(Ordering::Acquire);
        let peer = self.peer()?;
        if data.is_empty() || data.len() > max {
            return Err(Error::MessageSize {
                size: data.len(),
                max,
            });
        }
        match peer.socket.send_to(data, peer.addr) {
            Ok(n) if n == data.len() => {}
            Ok(_) => return Err(Error::Io(std::io::ErrorKind::WriteZero.into())),
            Err(e) => return Err(Error::Io(e)),
        }
        if self.inner.listener.wants_send_events() {
            peer.post(UdpMsg::Sent(peer.id, data.to_vec()));
        }
        Ok(())
    }

    /// The sender of the datagram being delivered (inside `on_receive`: the current one;
    /// afterwards, the last one). HP-Socket's `GetRemoteAddress` on a cast.
    pub fn last_sender(&self) -> Option<SocketAddr> {
        *self.inner.sender.lock()
    }

    /// The group or broadcast address and port datagrams are cast to.
    pub fn cast_address(&self) -> Result<SocketAddr> {
        Ok(self.peer()?.addr)
    }

    /// The bound local address.
    pub fn local_address(&self) -> Result<SocketAddr> {
        self.peer()?.socket.local_addr().map_err(Error::Io)
    }

    properties! {
        /// Largest datagram sent or accepted (`MaxDatagramSize`, default 1432, 1 ..= 65507);
        /// larger ones received are dropped.
        max_datagram_size, set_max_datagram_size: u32, |v| (1..=65_507).contains(&v), "max_datagram_size must be 1 ..= 65507";
        /// Multicast or broadcast (`CastMode`, default multicast).
        cast_mode, set_cast_mode: CastMode, |_v| true, "";
        /// Multicast TTL (`MultiCastTtl`, default 1: this network only; 0 ..= 255).
        multicast_ttl, set_multicast_ttl: u32, |v| v <= 255, "multicast_ttl must be 0 ..= 255";
        /// Receive one's own multicasts (`MultiCastLoop`, default false).
        multicast_loop, set_multicast_loop: bool, |_v| true, "";
        /// `SO_REUSEADDR` / `SO_REUSEPORT` on the bound socket (`ReuseAddressPolicy`, default
        /// `AddrOnly`; members of a group on one host share the port in any case).
        reuse_address_policy, set_reuse_address_policy: crate::types::ReuseAddressPolicy, |_v| true, "";
    }

    fn closed(&self, peer: &PeerRef) {
        peer.closed.store(true, Ordering::Release);
        self.core().release();
        self.core().set_state(ServiceState::Stopped);
    }
}

struct CastEntry {
    cast: UdpCast,
    peer: Arc<PeerRef>,
    buf: Vec<u8>,
    armed: u64,
    done: bool,
}

impl CastEntry {
    fn close(&mut self, op: SocketOperation, err: i32) {
        if self.done {
            return;
        }
        self.done = true;
        let c = &self.cast;
        let id = self.peer.id;
        self.peer.closed.store(true, Ordering::Release);
        guard((), || {
            c.inner.listener.on_close(c, id, op, err);
        });
        c.closed(&self.peer);
    }
}

impl Datagram for CastEntry {
    fn socket(&self) -> &Arc<mio::net::UdpSocket> {
        &self.peer.socket
    }

    fn owner_key(&self) -> usize {
        owner_key(&self.cast.inner)
    }

    fn opened(&mut self, _now: u64) {
        let c = self.cast.clone();
        let id = self.peer.id;
        if !c.core().is_accepting() {
            self.close(SocketOperation::Close, 0);
            return;
        }
        if guard(HandleResult::Error, || c.inner.listener.on_connect(&c, id)) == HandleResult::Error
            || guard(HandleResult::Error, || {
                c.inner.listener.on_handshake(&c, id)
            }) == HandleResult::Error
        {
            self.close(SocketOperation::Connect, libc::ECANCELED);
        }
    }

    fn readable(&mut self, now: u64) -> bool {
        let cap = self.cast.inner.max_datagram.load(Ordering::Acquire) + 1;
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
            let (n, from) = match self.peer.socket.recv_from(&mut buf[..cap]) {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    more = false;
                    break;
                }
                // Casting has no peer to lose: errors concern one datagram.
                Err(_) => continue,
            };
            // Oversize datagrams are dropped: nobody's connection to close.
            if n == 0 || n >= cap {
                continue;
            }
            self.peer.last_recv.store(now, Ordering::Relaxed);
            *self.cast.inner.sender.lock() = Some(from);
            let c = self.cast.clone();
            let id = self.peer.id;
            let data = &buf[..n];
            if guard(HandleResult::Error, || {
                c.inner.listener.on_receive(&c, id, data)
            }) == HandleResult::Error
            {
                self.close(SocketOperation::Receive, libc::ECANCELED);
            }
        }
        self.buf = buf;
        more
    }

    fn next_due(&self) -> Option<u64> {
        None
    }

    fn expire(&mut self, _now: u64) {}

    fn close_all(&mut self) {
        self.close(SocketOperation::Close, 0);
    }

    fn disconnect(&mut self, _id: ConnId) {
        self.close(SocketOperation::Close, 0);
    }

    fn fire_sent(&self, id: ConnId, data: &[u8]) {
        if !self.done {
            let c = &self.cast;
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

impl Role for UdpCast {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        self.stop_role_impl()
    }
}
