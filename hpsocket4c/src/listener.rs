//! Listener objects (tables of C callbacks) and the bridge that turns Rust events into calls
//! of those callbacks.

use std::ffi::{c_int, c_void};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use hpsocket::*;

use crate::{ffi, new_handle, Registry};

/// `En_HP_HandleResult` as the C callbacks return it.
pub type HR = c_int;

/// Callback slots; which ones a role uses is fixed by the setters.
#[derive(Default)]
pub struct ListenerObj {
    prepare: AtomicUsize,
    accept_or_connect: AtomicUsize,
    handshake: AtomicUsize,
    send: AtomicUsize,
    receive: AtomicUsize,
    pull_receive: AtomicUsize,
    close: AtomicUsize,
    shutdown: AtomicUsize,
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
    fn prepare(&self, id: Option<ConnId>, fd: usize) -> HandleResult {
        let s = self.sender();
        match id {
            None => load::<FnPrepareListen>(&self.listener.prepare)
                .map_or(HandleResult::Ok, |f| hr(unsafe { f(s, fd) })),
            Some(id) => load::<FnPrepare>(&self.listener.prepare)
                .map_or(HandleResult::Ok, |f| hr(unsafe { f(s, id.get(), fd) })),
        }
    }
    fn accept(&self, id: ConnId, fd: usize) -> HandleResult {
        load::<FnAccept>(&self.listener.accept_or_connect).map_or(HandleResult::Ok, |f| {
            hr(unsafe { f(self.sender(), id.get(), fd) })
        })
    }
    fn connect(&self, id: ConnId) -> HandleResult {
        load::<FnId>(&self.listener.accept_or_connect).map_or(HandleResult::Ok, |f| {
            hr(unsafe { f(self.sender(), id.get()) })
        })
    }
    fn handshake(&self, id: ConnId) -> HandleResult {
        load::<FnId>(&self.listener.handshake).map_or(HandleResult::Ok, |f| {
            hr(unsafe { f(self.sender(), id.get()) })
        })
    }
    fn data(&self, slot: &AtomicUsize, id: ConnId, d: &[u8]) -> HandleResult {
        load::<FnData>(slot).map_or(HandleResult::Ok, |f| {
            hr(unsafe { f(self.sender(), id.get(), d.as_ptr(), d.len() as c_int) })
        })
    }
    fn pull(&self, id: ConnId, len: usize) -> HandleResult {
        load::<FnPull>(&self.listener.pull_receive).map_or(HandleResult::Ok, |f| {
            hr(unsafe {
                f(
                    self.sender(),
                    id.get(),
                    len.min(c_int::MAX as usize) as c_int,
                )
            })
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
            hr(unsafe { f(self.sender(), id.get(), op as c_int, err) })
        })
    }
    fn shutdown(&self) -> HandleResult {
        load::<FnSender>(&self.listener.shutdown)
            .map_or(HandleResult::Ok, |f| hr(unsafe { f(self.sender()) }))
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

// ---- Create / Destroy listeners ----

fn create_listener() -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        let h = new_handle();
        LISTENERS.insert(h, Arc::new(ListenerObj::default()));
        h as *mut c_void
    })
}

fn destroy_listener(l: *mut c_void) {
    ffi!((), {
        LISTENERS.remove(l);
    })
}

macro_rules! listener_ctors {
    ($($create:ident $destroy:ident),* $(,)?) => {$(
        /// Creates a listener object (a table of callbacks, all unset).
        #[no_mangle]
        pub extern "C" fn $create() -> *mut c_void {
            create_listener()
        }
        /// Destroys a listener object; destroy the components using it first.
        #[no_mangle]
        pub extern "C" fn $destroy(listener: *mut c_void) {
            destroy_listener(listener)
        }
    )*};
}
listener_ctors!(
    Create_HP_TcpServerListener Destroy_HP_TcpServerListener,
    Create_HP_TcpAgentListener Destroy_HP_TcpAgentListener,
    Create_HP_TcpClientListener Destroy_HP_TcpClientListener,
    Create_HP_TcpPullServerListener Destroy_HP_TcpPullServerListener,
    Create_HP_TcpPullAgentListener Destroy_HP_TcpPullAgentListener,
    Create_HP_TcpPullClientListener Destroy_HP_TcpPullClientListener,
    Create_HP_TcpPackServerListener Destroy_HP_TcpPackServerListener,
    Create_HP_TcpPackAgentListener Destroy_HP_TcpPackAgentListener,
    Create_HP_TcpPackClientListener Destroy_HP_TcpPackClientListener,
    Create_HP_UdpServerListener Destroy_HP_UdpServerListener,
    Create_HP_UdpClientListener Destroy_HP_UdpClientListener,
    Create_HP_UdpCastListener Destroy_HP_UdpCastListener,
);

macro_rules! setters {
    ($($name:ident => $slot:ident),* $(,)?) => {$(
        /// Sets (or, with NULL, clears) one callback of a listener.
        #[no_mangle]
        pub extern "C" fn $name(listener: *mut c_void, f: Option<unsafe extern "C" fn()>) {
            ffi!((), {
                if let Some(l) = LISTENERS.get(listener) {
                    l.$slot.store(f.map_or(0, |f| f as usize), Ordering::Release);
                }
            })
        }
    )*};
}
setters!(
    HP_Set_FN_Server_OnPrepareListen => prepare,
    HP_Set_FN_Server_OnAccept => accept_or_connect,
    HP_Set_FN_Server_OnHandShake => handshake,
    HP_Set_FN_Server_OnSend => send,
    HP_Set_FN_Server_OnReceive => receive,
    HP_Set_FN_Server_OnPullReceive => pull_receive,
    HP_Set_FN_Server_OnClose => close,
    HP_Set_FN_Server_OnShutdown => shutdown,
    HP_Set_FN_Agent_OnPrepareConnect => prepare,
    HP_Set_FN_Agent_OnConnect => accept_or_connect,
    HP_Set_FN_Agent_OnHandShake => handshake,
    HP_Set_FN_Agent_OnSend => send,
    HP_Set_FN_Agent_OnReceive => receive,
    HP_Set_FN_Agent_OnPullReceive => pull_receive,
    HP_Set_FN_Agent_OnClose => close,
    HP_Set_FN_Agent_OnShutdown => shutdown,
    HP_Set_FN_Client_OnPrepareConnect => prepare,
    HP_Set_FN_Client_OnConnect => accept_or_connect,
    HP_Set_FN_Client_OnHandShake => handshake,
    HP_Set_FN_Client_OnSend => send,
    HP_Set_FN_Client_OnReceive => receive,
    HP_Set_FN_Client_OnPullReceive => pull_receive,
    HP_Set_FN_Client_OnClose => close,
);

/// The bridge for a new component using `listener` (errno EBADF if it is not a listener).
pub(crate) fn bridge(listener: *mut c_void) -> Option<Bridge> {
    LISTENERS.get(listener).map(|l| Bridge {
        listener: l,
        sender: AtomicUsize::new(0),
    })
}
