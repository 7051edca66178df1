//! The one socket of a UDP client or cast, written once for both: how the component starts,
//! stops and sends on it, and how its worker opens, reads and closes it. What differs — the
//! client's heartbeat and close notification on a connected socket, the cast's senders on a
//! bound one — is the role's [`EndpointRole`].

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use socket2::{SockRef, Socket};

use crate::component::{guard, must_not_block};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::listener::ClientListener;
use crate::reactor::{Cmd, Pool};
use crate::roles::api::Role;
use crate::roles::udp::worker::{Datagram, PeerRef, UdpMsg, CONFIRMED};
use crate::types::{ConnId, HandleResult, ServiceState, SocketOperation};

/// What a UDP client or cast does its own way; the rest is [`Endpoint`] and the functions
/// of this module.
pub(crate) trait EndpointRole: Role + Clone + 'static {
    /// What the role keeps on the worker between events (the client's detect schedule).
    type Ticks: Send + 'static;
    /// The `IllegalState` message before the first start.
    const NOT_STARTED: &'static str;

    fn slot(&self) -> &Slot;
    fn listener(&self) -> &dyn ClientListener<Self>;
    /// Writes one datagram to the endpoint's address (a connected socket needs none).
    fn transmit(peer: &PeerRef, data: &[u8]) -> io::Result<usize>;
    /// Reads one datagram and who sent it.
    fn recv(peer: &PeerRef, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    /// One datagram read; `oversize`: it did not fit `max_datagram_size` and `data` is cut.
    fn datagram(ep: &mut Endpoint<Self>, data: &[u8], from: SocketAddr, oversize: bool, now: u64);
    /// A read failed for another reason than an empty or interrupted socket. Ignored unless
    /// the role has a peer to lose over it.
    fn read_failed(_ep: &mut Endpoint<Self>, _e: io::Error) {}
    /// Tells the other side the endpoint closes, where the role has a way to.
    fn notify_close(_peer: &PeerRef) {}
    /// `on_connect` and `on_handshake` accepted the endpoint.
    fn connected(_ep: &mut Endpoint<Self>, _now: u64) {}
    fn next_due(_ep: &Endpoint<Self>) -> Option<u64> {
        None
    }
    fn expire(_ep: &mut Endpoint<Self>, _now: u64) {}
}

/// The component's side of the endpoint: what other threads reach it by.
pub(crate) struct Slot {
    peer: Mutex<Option<Arc<PeerRef>>>,
    max_datagram: AtomicUsize,
}

impl Slot {
    pub fn new() -> Slot {
        Slot {
            peer: Mutex::new(None),
            max_datagram: AtomicUsize::new(0),
        }
    }

    /// The endpoint's ID (`None` before the first start).
    pub fn id(&self) -> Option<ConnId> {
        self.peer.lock().as_ref().map(|p| p.id)
    }

    fn max_datagram(&self) -> usize {
        self.max_datagram.load(Ordering::Acquire)
    }
}

/// `start`'s frame: the configuration snapshot for `open`, and a failed start undone.
pub(crate) fn start<R: EndpointRole>(
    role: &R,
    open: impl FnOnce(&Config) -> Result<()>,
) -> Result<()> {
    let (cfg, ticket) = role.core().begin_run()?;
    match open(&cfg) {
        Ok(()) => Ok(()),
        Err(e) => {
            *role.slot().peer.lock() = None;
            Err(role.core().start_failed(ticket, e))
        }
    }
}

/// `on_prepare_connect` on the socket about to be used; `Error` refuses the start.
pub(crate) fn prepare<R: EndpointRole>(role: &R, id: ConnId, sock: &Socket) -> Result<()> {
    if guard(HandleResult::Error, || {
        role.listener()
            .on_prepare_connect(role, id, SockRef::from(sock))
    }) == HandleResult::Error
    {
        return Err(Error::SocketPrepare);
    }
    Ok(())
}

/// Makes the ready socket the component's endpoint (reachable for `send` and `stop`) on a
/// worker of the shared pool. The worker gets it at [`Endpoint::launch`], the last step of
/// `start`, so that whatever `on_connect` may read is set before.
pub(crate) fn open<R: EndpointRole>(
    role: &R,
    sock: Socket,
    id: ConnId,
    addr: SocketAddr,
    cfg: &Config,
    ticks: R::Ticks,
) -> Result<Endpoint<R>> {
    sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
    let socket = Arc::new(mio::net::UdpSocket::from_std(std::net::UdpSocket::from(
        sock,
    )));
    let pool = Pool::shared().map_err(Error::WorkerThreadCreate)?;
    role.core().activate_pool(pool.clone());
    let now = crate::clock::now_ms();
    let peer = Arc::new(PeerRef {
        id,
        addr,
        socket,
        worker: pool.pick(),
        extra: AtomicUsize::new(0),
        connected_at: now,
        last_recv: now.into(),
        closed: AtomicBool::new(false),
        // A client's one connection is never evicted.
        admission: CONFIRMED.into(),
    });
    let slot = role.slot();
    *slot.peer.lock() = Some(peer.clone());
    slot.max_datagram
        .store(cfg.max_datagram_size as usize, Ordering::Release);
    Ok(Endpoint {
        role: role.clone(),
        peer,
        ticks,
        buf: Vec::new(),
        armed: u64::MAX,
        done: false,
    })
}

/// `stop`: the worker closes the endpoint (firing `on_close`); waited for unless called
/// where waiting would deadlock.
pub(crate) fn stop<R: EndpointRole>(role: &R) -> Result<()> {
    let core = role.core();
    core.begin_stop(true)?;
    let peer = role.slot().peer.lock().clone();
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

/// The open endpoint, or why there is none.
pub(crate) fn peer<R: EndpointRole>(role: &R) -> Result<Arc<PeerRef>> {
    match &*role.slot().peer.lock() {
        Some(p) if !p.closed.load(Ordering::Acquire) => Ok(p.clone()),
        Some(p) => Err(Error::ConnectionNotFound(p.id)),
        None => Err(Error::IllegalState(R::NOT_STARTED)),
    }
}

pub(crate) fn local_address<R: EndpointRole>(role: &R) -> Result<SocketAddr> {
    peer(role)?.socket.local_addr().map_err(Error::Io)
}

/// Sends one datagram of 1 ..= `max_datagram_size` bytes; `on_send` follows on the worker,
/// never nested in the caller's callback.
pub(crate) fn send<R: EndpointRole>(role: &R, data: &[u8]) -> Result<()> {
    let max = role.slot().max_datagram();
    let peer = peer(role)?;
    if data.is_empty() || data.len() > max {
        return Err(Error::MessageSize {
            size: data.len(),
            max,
        });
    }
    match R::transmit(&peer, data) {
        Ok(n) if n == data.len() => {}
        Ok(_) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
        Err(e) => return Err(Error::Io(e)),
    }
    if role.listener().wants_send_events() {
        peer.post(UdpMsg::Sent(peer.id, data.to_vec()));
    }
    Ok(())
}

/// The endpoint's socket as its worker runs it.
pub(crate) struct Endpoint<R: EndpointRole> {
    role: R,
    pub peer: Arc<PeerRef>,
    pub ticks: R::Ticks,
    buf: Vec<u8>,
    armed: u64,
    done: bool,
}

impl<R: EndpointRole> Endpoint<R> {
    /// The component is started and its worker takes the socket.
    pub fn launch(self) {
        self.role.core().set_state(ServiceState::Started);
        let worker = self.peer.worker.clone();
        worker.post(Cmd::Open(Box::new(self)));
    }

    pub fn role(&self) -> &R {
        &self.role
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Closes the endpoint once: `on_close`, then the component is stopped. `notify` tells
    /// the other side, where the role can.
    pub fn close(&mut self, op: SocketOperation, err: i32, notify: bool) {
        if self.done {
            return;
        }
        self.done = true;
        if notify {
            R::notify_close(&self.peer);
        }
        self.peer.closed.store(true, Ordering::Release);
        let (c, id) = (&self.role, self.peer.id);
        guard((), || {
            c.listener().on_close(c, id, op, err);
        });
        c.core().release();
        c.core().set_state(ServiceState::Stopped);
    }

    /// `on_receive`; `Error` closes the endpoint.
    pub fn deliver(&mut self, data: &[u8]) {
        let (c, id) = (&self.role, self.peer.id);
        if guard(HandleResult::Error, || c.listener().on_receive(c, id, data))
            == HandleResult::Error
        {
            self.close(SocketOperation::Receive, libc::ECANCELED, true);
        }
    }
}

impl<R: EndpointRole> Datagram for Endpoint<R> {
    fn socket(&self) -> &Arc<mio::net::UdpSocket> {
        &self.peer.socket
    }

    /// The slot lives in the component's shared allocation, so its address names the
    /// component for as long as the endpoint runs.
    fn owner_key(&self) -> usize {
        std::ptr::from_ref(self.role.slot()) as usize
    }

    fn opened(&mut self, now: u64) {
        if !self.role.core().is_accepting() {
            // stopped before the worker got here
            self.close(SocketOperation::Close, 0, false);
            return;
        }
        let (c, id) = (&self.role, self.peer.id);
        if guard(HandleResult::Error, || c.listener().on_connect(c, id)) == HandleResult::Error
            || guard(HandleResult::Error, || c.listener().on_handshake(c, id))
                == HandleResult::Error
        {
            self.close(SocketOperation::Connect, libc::ECANCELED, false);
            return;
        }
        R::connected(self, now);
    }

    fn readable(&mut self, now: u64) -> bool {
        // One byte more than the largest datagram allowed: a datagram that fills it was
        // larger than allowed (the kernel truncated it), one that does not fits.
        let cap = self.role.slot().max_datagram() + 1;
        if self.buf.len() < cap {
            self.buf.resize(cap, 0);
        }
        let mut buf = std::mem::take(&mut self.buf);
        let mut more = true;
        for _ in 0..super::MAX_READS {
            if self.done {
                more = false;
                break;
            }
            let (n, from) = match R::recv(&self.peer, &mut buf[..cap]) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    more = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    R::read_failed(self, e);
                    continue;
                }
            };
            R::datagram(self, &buf[..n.min(cap - 1)], from, n >= cap, now);
        }
        self.buf = buf;
        // A closed endpoint has nothing more to read, whatever the last read left.
        more && !self.done
    }

    fn next_due(&self) -> Option<u64> {
        R::next_due(self)
    }

    fn expire(&mut self, now: u64) {
        R::expire(self, now)
    }

    fn close_all(&mut self) {
        self.close(SocketOperation::Close, 0, true);
    }

    fn disconnect(&mut self, _id: ConnId) {
        self.close(SocketOperation::Close, 0, true);
    }

    fn fire_sent(&self, id: ConnId, data: &[u8]) {
        if !self.done {
            let c = &self.role;
            guard((), || {
                c.listener().on_send(c, id, data);
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
