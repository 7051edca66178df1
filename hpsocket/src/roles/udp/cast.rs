//! The UDP cast component: multicast or broadcast, no connections to keep.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;
use socket2::{Domain, Protocol, Socket, Type};

use crate::component::{apply_reuse, parse_ip, Core, IdSource};
use crate::config::properties;
use crate::error::{Error, Result};
use crate::listener::ClientListener;
use crate::model::ModelKind;
use crate::roles::api::Role;
use crate::roles::udp::endpoint::{self, Endpoint, EndpointRole, Slot};
use crate::roles::udp::worker::PeerRef;
use crate::types::{CastMode, ConnId};

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
    slot: Slot,
    sender: Mutex<Option<SocketAddr>>,
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
                slot: Slot::new(),
                sender: Mutex::new(None),
            }),
        }
    }

    /// Binds `port` on `bind_address` (`None`: any address; it is also the interface used
    /// for multicast) and joins `cast_address` (multicast) or enables broadcast to it
    /// (`""` in broadcast mode: `255.255.255.255`).
    pub fn start(&self, cast_address: &str, port: u16, bind_address: Option<&str>) -> Result<()> {
        endpoint::start(self, |cfg| {
            let mode = cfg.cast_mode;
            let cast_ip: IpAddr = match (mode, cast_address.trim()) {
                (CastMode::Broadcast, "") => Ipv4Addr::BROADCAST.into(),
                (_, a) => a.parse().map_err(|_| {
                    Error::SocketCreate(io::Error::new(
                        io::ErrorKind::InvalidInput,
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
            endpoint::prepare(self, id, &sock)?;
            let group = SocketAddr::new(group.into(), port);
            endpoint::open(self, sock, id, group, cfg, ())?.launch();
            Ok(())
        })
    }

    /// The endpoint's ID (`None` before the first start).
    pub fn connection_id(&self) -> Option<ConnId> {
        self.inner.slot.id()
    }

    /// Casts one datagram of 1 ..= `max_datagram_size` bytes to the group / broadcast
    /// address.
    pub fn send(&self, data: &[u8]) -> Result<()> {
        endpoint::send(self, data)
    }

    /// The sender of the datagram being delivered (inside `on_receive`: the current one;
    /// afterwards, the last one). HP-Socket's `GetRemoteAddress` on a cast.
    pub fn last_sender(&self) -> Option<SocketAddr> {
        *self.inner.sender.lock()
    }

    /// The group or broadcast address and port datagrams are cast to.
    pub fn cast_address(&self) -> Result<SocketAddr> {
        Ok(endpoint::peer(self)?.addr)
    }

    /// The bound local address.
    pub fn local_address(&self) -> Result<SocketAddr> {
        endpoint::local_address(self)
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
}

impl EndpointRole for UdpCast {
    type Ticks = ();
    const NOT_STARTED: &'static str = "cast is not started";

    fn slot(&self) -> &Slot {
        &self.inner.slot
    }

    fn listener(&self) -> &dyn ClientListener<Self> {
        &*self.inner.listener
    }

    fn transmit(peer: &PeerRef, data: &[u8]) -> io::Result<usize> {
        peer.socket.send_to(data, peer.addr)
    }

    fn recv(peer: &PeerRef, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        // Casting has no peer to lose: errors concern one datagram (the default
        // `read_failed` passes over them).
        peer.socket.recv_from(buf)
    }

    fn datagram(ep: &mut Endpoint<Self>, data: &[u8], from: SocketAddr, oversize: bool, now: u64) {
        // Oversize datagrams are dropped: nobody's connection to close.
        if data.is_empty() || oversize {
            return;
        }
        ep.peer.last_recv.store(now, Ordering::Relaxed);
        *ep.role().inner.sender.lock() = Some(from);
        ep.deliver(data);
    }
}

impl Role for UdpCast {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        endpoint::stop(self)
    }
}
