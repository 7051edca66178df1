//! Layer 2 (roles): listener objects (tables of C callbacks, in their registry) and the
//! bridge that turns each component's Rust events into calls of those callbacks. Every
//! component is created on a [`Bridge`]; the `Create_HP_*Listener` and `HP_Set_FN_*` exports
//! that fill the tables are the listener family's (`crate::listener`).

use std::ffi::{c_int, c_void};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use hpsocket::*;

use crate::marshal::c_callback;
use crate::roles::Registry;

/// `En_HP_HandleResult` as the C callbacks return it.
pub type HR = c_int;

/// Callback slots; which ones a role uses is fixed by the setters.
#[derive(Default)]
pub struct ListenerObj {
    pub(crate) prepare: AtomicUsize,
    pub(crate) accept_or_connect: AtomicUsize,
    pub(crate) handshake: AtomicUsize,
    pub(crate) send: AtomicUsize,
    pub(crate) receive: AtomicUsize,
    pub(crate) pull_receive: AtomicUsize,
    pub(crate) close: AtomicUsize,
    pub(crate) shutdown: AtomicUsize,
}

pub(crate) static LISTENERS: LazyLock<Registry<ListenerObj>> = LazyLock::new(Registry::default);

type FnPrepare = unsafe extern "C" fn(*mut c_void, usize, usize) -> HR; // agent/client (id, socket)
type FnPrepareListen = unsafe extern "C" fn(*mut c_void, usize) -> HR;
type FnAccept = unsafe extern "C" fn(*mut c_void, usize, usize) -> HR;
type FnId = unsafe extern "C" fn(*mut c_void, usize) -> HR;
type FnData = unsafe extern "C" fn(*mut c_void, usize, *const u8, c_int) -> HR;
type FnPull = unsafe extern "C" fn(*mut c_void, usize, c_int) -> HR;
type FnClose = unsafe extern "C" fn(*mut c_void, usize, c_int, c_int) -> HR;
type FnSender = unsafe extern "C" fn(*mut c_void) -> HR;

fn load<F: Copy>(slot: &AtomicUsize) -> Option<F> {
    let v = slot.load(Ordering::Acquire);
    if v == 0 {
        None
    } else {
        debug_assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<usize>());
        // SAFETY: the slot only ever holds a function pointer of type F, stored by the
        // matching HP_Set_FN_* setter.
        Some(unsafe { std::mem::transmute_copy::<usize, F>(&v) })
    }
}

fn hr(v: HR) -> HandleResult {
    match v {
        0 => HandleResult::Ok,
        2 => HandleResult::Error,
        _ => HandleResult::Ignore,
    }
}

/// The Rust listener of a C component: forwards each event to the C callback, passing the
/// component's handle as `pSender`.
pub struct Bridge {
    /// The C callbacks.
    pub listener: Arc<ListenerObj>,
    /// The component's handle, set once it is registered.
    pub sender: AtomicUsize,
}

impl Bridge {
    fn sender(&self) -> *mut c_void {
        self.sender.load(Ordering::Acquire) as *mut c_void
    }
    /// Calls a C callback with the sender handle, marked as inside that component's callback
    /// (so `Destroy_*` and `Wait` called from it do not block on it).
    fn call(&self, f: impl FnOnce(*mut c_void) -> HR) -> HandleResult {
        let s = self.sender();
        hr(c_callback(s as usize, || f(s)))
    }
    fn prepare(&self, id: Option<ConnId>, fd: usize) -> HandleResult {
        match id {
            None => load::<FnPrepareListen>(&self.listener.prepare)
                .map_or(HandleResult::Ok, |f| self.call(|s| unsafe { f(s, fd) })),
            Some(id) => load::<FnPrepare>(&self.listener.prepare).map_or(HandleResult::Ok, |f| {
                self.call(|s| unsafe { f(s, id.get(), fd) })
            }),
        }
    }
    fn accept(&self, id: ConnId, fd: usize) -> HandleResult {
        load::<FnAccept>(&self.listener.accept_or_connect).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), fd) })
        })
    }
    fn connect(&self, id: ConnId) -> HandleResult {
        load::<FnId>(&self.listener.accept_or_connect).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get()) })
        })
    }
    fn handshake(&self, id: ConnId) -> HandleResult {
        load::<FnId>(&self.listener.handshake).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get()) })
        })
    }
    fn data(&self, slot: &AtomicUsize, id: ConnId, d: &[u8]) -> HandleResult {
        load::<FnData>(slot).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), d.as_ptr(), d.len() as c_int) })
        })
    }
    fn pull(&self, id: ConnId, len: usize) -> HandleResult {
        load::<FnPull>(&self.listener.pull_receive).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), len.min(c_int::MAX as usize) as c_int) })
        })
    }
    fn close(&self, id: ConnId, op: SocketOperation, err: i32) -> HandleResult {
        // En_HP_SocketOperation has no handshake value: HP-Socket reports a failed TLS
        // handshake as SO_RECEIVE, and so do we.
        let op = match op {
            SocketOperation::Handshake => SocketOperation::Receive,
            other => other,
        };
        load::<FnClose>(&self.listener.close).map_or(HandleResult::Ok, |f| {
            self.call(|s| unsafe { f(s, id.get(), op as c_int, err) })
        })
    }
    fn shutdown(&self) -> HandleResult {
        load::<FnSender>(&self.listener.shutdown)
            .map_or(HandleResult::Ok, |f| self.call(|s| unsafe { f(s) }))
    }
    fn wants_send(&self) -> bool {
        self.listener.send.load(Ordering::Acquire) != 0
    }
}

macro_rules! common_events {
    ($s:ty) => {
        fn on_handshake(&self, _s: &$s, id: ConnId) -> HandleResult {
            self.handshake(id)
        }
        fn on_send(&self, _s: &$s, id: ConnId, d: &[u8]) -> HandleResult {
            self.data(&self.listener.send, id, d)
        }
        fn on_receive(&self, _s: &$s, id: ConnId, d: &[u8]) -> HandleResult {
            self.data(&self.listener.receive, id, d)
        }
        fn on_pull_receive(&self, _s: &$s, id: ConnId, len: usize) -> HandleResult {
            self.pull(id, len)
        }
        fn on_close(&self, _s: &$s, id: ConnId, op: SocketOperation, e: i32) -> HandleResult {
            self.close(id, op, e)
        }
        fn wants_send_events(&self) -> bool {
            self.wants_send()
        }
    };
}

macro_rules! server_bridge {
    ($($s:ty),*) => {$(
        impl ServerListener<$s> for Bridge {
            fn on_prepare_listen(&self, _s: &$s, sock: SockRef<'_>) -> HandleResult {
                self.prepare(None, sock.as_raw_fd() as usize)
            }
            fn on_accept(&self, _s: &$s, id: ConnId, sock: SockRef<'_>) -> HandleResult {
                self.accept(id, sock.as_raw_fd() as usize)
            }
            fn on_shutdown(&self, _s: &$s) -> HandleResult {
                self.shutdown()
            }
            common_events!($s);
        }
    )*};
}
server_bridge!(
    TcpServer,
    TcpPullServer,
    TcpPackServer,
    SslServer,
    SslPullServer,
    SslPackServer
);

impl ServerListener<UdpServer> for Bridge {
    fn on_prepare_listen(&self, _s: &UdpServer, sock: SockRef<'_>) -> HandleResult {
        self.prepare(None, sock.as_raw_fd() as usize)
    }
    /// HP-Socket hands a UDP server's OnAccept the peer's `sockaddr`, not a socket.
    fn on_accept(&self, s: &UdpServer, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
        match s.remote_address(id) {
            Ok(a) => {
                let a = socket2::SockAddr::from(a);
                self.accept(id, a.as_ptr() as usize)
            }
            Err(_) => HandleResult::Error,
        }
    }
    fn on_shutdown(&self, _s: &UdpServer) -> HandleResult {
        self.shutdown()
    }
    common_events!(UdpServer);
}

macro_rules! agent_bridge {
    ($($s:ty),*) => {$(
        impl AgentListener<$s> for Bridge {
            fn on_prepare_connect(&self, _s: &$s, id: ConnId, sock: SockRef<'_>) -> HandleResult {
                self.prepare(Some(id), sock.as_raw_fd() as usize)
            }
            fn on_connect(&self, _s: &$s, id: ConnId) -> HandleResult {
                self.connect(id)
            }
            fn on_shutdown(&self, _s: &$s) -> HandleResult {
                self.shutdown()
            }
            common_events!($s);
        }
    )*};
}
agent_bridge!(
    TcpAgent,
    TcpPullAgent,
    TcpPackAgent,
    SslAgent,
    SslPullAgent,
    SslPackAgent
);

macro_rules! client_bridge {
    ($($s:ty),*) => {$(
        impl ClientListener<$s> for Bridge {
            fn on_prepare_connect(&self, _s: &$s, id: ConnId, sock: SockRef<'_>) -> HandleResult {
                self.prepare(Some(id), sock.as_raw_fd() as usize)
            }
            fn on_connect(&self, _s: &$s, id: ConnId) -> HandleResult {
                self.connect(id)
            }
            common_events!($s);
        }
    )*};
}
client_bridge!(
    TcpClient,
    TcpPullClient,
    TcpPackClient,
    SslClient,
    SslPullClient,
    SslPackClient,
    UdpClient,
    UdpCast
);

/// The bridge for a new component using `listener` (errno EBADF if it is not a listener).
pub(crate) fn bridge(listener: *mut c_void) -> Option<Bridge> {
    LISTENERS.get(listener).map(|l| Bridge {
        listener: l,
        sender: AtomicUsize::new(0),
    })
}
