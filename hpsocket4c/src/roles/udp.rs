//! Layer 2 (roles): the UDP variants' wrapper, [`Udp`]. As in HP-Socket, a UDP server is
//! driven through the shared `HP_Server_*` functions and the UDP client and cast through
//! `HP_Client_*`: they are the `Udp` / `Cast` variants of the server and client enums. [`Udp`]
//! wraps each component with what those shared functions expect and UDP has no use for (send
//! policies, buffer pools: stored and reported back, no effect), and maps the rest onto the
//! component (a cast's "remote address" is its group). The UDP-only exports are the UDP
//! family's (`crate::udp`).

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicUsize, Ordering};

use hpsocket::*;

use crate::marshal::CVal;

/// A UDP component with the HP-Socket properties its shared functions read and write.
pub struct Udp<T> {
    inner: T,
    send_policy: AtomicI32,
    on_send_sync_policy: AtomicI32,
    mark_silence: AtomicBool,
    post_receive_count: AtomicU32,
    free_buffer_pool_size: AtomicU32,
    free_buffer_pool_hold: AtomicU32,
    /// `HP_Client_SetExtra` on a cast (servers and clients keep their own).
    extra: AtomicUsize,
}

impl<T> From<T> for Udp<T> {
    fn from(inner: T) -> Self {
        // HP-Socket's defaults.
        Udp {
            inner,
            send_policy: AtomicI32::new(SendPolicy::Pack as i32),
            on_send_sync_policy: AtomicI32::new(OnSendSyncPolicy::None as i32),
            mark_silence: AtomicBool::new(true),
            post_receive_count: AtomicU32::new(64),
            free_buffer_pool_size: AtomicU32::new(10),
            free_buffer_pool_hold: AtomicU32::new(40),
            extra: AtomicUsize::new(0),
        }
    }
}

impl<T> Deref for Udp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

// The stored-only properties below are set while stopped, like every other property: they
// ask the component, through the library's `Component`, whether it runs.

const RUNNING: Error = Error::IllegalState("property set while the component runs");

// Crate-only methods, used by the shared exports: the crate-only bound is fine.
#[allow(private_bounds)]
impl<T: Component> Udp<T> {
    fn store<A>(&self, slot: &A, put: impl FnOnce(&A)) -> Result<()> {
        if self.inner.has_started() {
            return Err(RUNNING);
        }
        put(slot);
        Ok(())
    }

    /// `SendPolicy`: kept for HP-Socket programs; a datagram is sent whole by `send` itself.
    pub(crate) fn send_policy(&self) -> SendPolicy {
        CVal::from_c(self.send_policy.load(Ordering::Relaxed))
    }
    /// Sets [`send_policy`](Self::send_policy).
    pub(crate) fn set_send_policy(&self, v: SendPolicy) -> Result<()> {
        self.store(&self.send_policy, |s| s.store(v as i32, Ordering::Relaxed))
    }
    /// `OnSendSyncPolicy`: kept for HP-Socket programs (no effect on Linux there either).
    pub(crate) fn on_send_sync_policy(&self) -> OnSendSyncPolicy {
        CVal::from_c(self.on_send_sync_policy.load(Ordering::Relaxed))
    }
    /// Sets [`on_send_sync_policy`](Self::on_send_sync_policy).
    pub(crate) fn set_on_send_sync_policy(&self, v: OnSendSyncPolicy) -> Result<()> {
        self.store(&self.on_send_sync_policy, |s| {
            s.store(v as i32, Ordering::Relaxed)
        })
    }
    /// `MarkSilence`: silence is always tracked for UDP peers (detection needs it).
    pub(crate) fn mark_silence(&self) -> bool {
        self.mark_silence.load(Ordering::Relaxed)
    }
    /// Sets [`mark_silence`](Self::mark_silence).
    pub(crate) fn set_mark_silence(&self, v: bool) -> Result<()> {
        self.store(&self.mark_silence, |s| s.store(v, Ordering::Relaxed))
    }
    /// `PostReceiveCount` (server): receives are not posted ahead on epoll; kept as set.
    pub(crate) fn post_receive_count(&self) -> u32 {
        self.post_receive_count.load(Ordering::Relaxed)
    }
    /// Sets [`post_receive_count`](Self::post_receive_count) (> 0).
    pub(crate) fn set_post_receive_count(&self, v: u32) -> Result<()> {
        if v == 0 {
            return Err(Error::InvalidParam("post_receive_count must be > 0"));
        }
        self.store(&self.post_receive_count, |s| s.store(v, Ordering::Relaxed))
    }
    /// `FreeBufferPoolSize` (client, cast): no buffer pool to size; kept as set.
    pub(crate) fn free_buffer_pool_size(&self) -> u32 {
        self.free_buffer_pool_size.load(Ordering::Relaxed)
    }
    /// Sets [`free_buffer_pool_size`](Self::free_buffer_pool_size).
    pub(crate) fn set_free_buffer_pool_size(&self, v: u32) -> Result<()> {
        self.store(&self.free_buffer_pool_size, |s| {
            s.store(v, Ordering::Relaxed)
        })
    }
    /// `FreeBufferPoolHold` (client, cast): kept as set.
    pub(crate) fn free_buffer_pool_hold(&self) -> u32 {
        self.free_buffer_pool_hold.load(Ordering::Relaxed)
    }
    /// Sets [`free_buffer_pool_hold`](Self::free_buffer_pool_hold).
    pub(crate) fn set_free_buffer_pool_hold(&self, v: u32) -> Result<()> {
        self.store(&self.free_buffer_pool_hold, |s| {
            s.store(v, Ordering::Relaxed)
        })
    }
}

/// HP-Socket refuses a datagram of the wrong size as an invalid parameter (EINVAL).
fn hp_size(r: Result<()>) -> Result<()> {
    r.map_err(|e| match e {
        Error::MessageSize { .. } => {
            Error::InvalidParam("a datagram must be 1 ..= max_datagram_size bytes")
        }
        e => e,
    })
}

/// HP-Socket's UDP server does not implement pausing (FALSE, "call not implemented").
const NO_PAUSE: Error = Error::NotSupported("pausing receive on UDP");

impl Udp<UdpServer> {
    /// One datagram to peer `id` (wrong size: EINVAL, as in HP-Socket).
    pub fn send(&self, id: ConnId, data: &[u8]) -> Result<()> {
        hp_size(self.inner.send(id, data))
    }
    /// The buffers as one datagram.
    pub fn send_packets(&self, id: ConnId, bufs: &[&[u8]]) -> Result<()> {
        hp_size(self.inner.send_packets(id, bufs))
    }
    /// Not implemented for UDP, as in HP-Socket.
    pub fn pause_receive(&self, _id: ConnId, _pause: bool) -> Result<()> {
        Err(NO_PAUSE)
    }
    /// Not implemented for UDP, as in HP-Socket.
    pub fn is_pause_receive(&self, _id: ConnId) -> Result<bool> {
        Err(NO_PAUSE)
    }
}

impl Udp<UdpClient> {
    /// One datagram (wrong size: EINVAL, as in HP-Socket).
    pub fn send(&self, data: &[u8]) -> Result<()> {
        hp_size(self.inner.send(data))
    }
    /// The buffers as one datagram.
    pub fn send_packets(&self, bufs: &[&[u8]]) -> Result<()> {
        hp_size(self.inner.send_packets(bufs))
    }
    /// Not implemented for UDP, as in HP-Socket.
    pub fn pause_receive(&self, _pause: bool) -> Result<()> {
        Err(NO_PAUSE)
    }
    /// Not implemented for UDP, as in HP-Socket.
    pub fn is_pause_receive(&self) -> Result<bool> {
        Err(NO_PAUSE)
    }
    /// Always 0 while connected: a datagram is handed to the kernel by `send` itself.
    pub fn pending_data_length(&self) -> Result<usize> {
        self.remote_address().map(|_| 0)
    }
}

impl Udp<UdpCast> {
    /// `HP_Client_Start*` on a cast: `host` is the group (or broadcast) address, `bind` the
    /// local interface; the socket binds `port` (a cast has no separate local port).
    pub fn start_with_bind(
        &self,
        host: &str,
        port: u16,
        _async_connect: bool,
        bind: Option<&str>,
        _local_port: u16,
    ) -> Result<()> {
        self.inner.start(host, port, bind)
    }
    /// One datagram to the group (wrong size: EINVAL, as in HP-Socket).
    pub fn send(&self, data: &[u8]) -> Result<()> {
        hp_size(self.inner.send(data))
    }
    /// The buffers together as one datagram.
    pub fn send_packets(&self, bufs: &[&[u8]]) -> Result<()> {
        self.send(&bufs.concat())
    }
    /// Not implemented for UDP, as in HP-Socket.
    pub fn pause_receive(&self, _pause: bool) -> Result<()> {
        Err(NO_PAUSE)
    }
    /// Not implemented for UDP, as in HP-Socket.
    pub fn is_pause_receive(&self) -> Result<bool> {
        Err(NO_PAUSE)
    }
    /// Attaches a user value.
    pub fn set_extra(&self, extra: usize) {
        self.extra.store(extra, Ordering::Release)
    }
    /// The user value attached.
    pub fn extra(&self) -> usize {
        self.extra.load(Ordering::Acquire)
    }
    /// Whether the cast is started.
    pub fn is_connected(&self) -> bool {
        self.state() == ServiceState::Started && self.cast_address().is_ok()
    }
    /// The group or broadcast address.
    pub fn remote_address(&self) -> Result<std::net::SocketAddr> {
        self.cast_address()
    }
    /// The group or broadcast address, as text and port.
    pub fn remote_host(&self) -> Result<(String, u16)> {
        self.cast_address().map(|a| (a.ip().to_string(), a.port()))
    }
    /// Always 0 while started.
    pub fn pending_data_length(&self) -> Result<usize> {
        self.cast_address().map(|_| 0)
    }
}
