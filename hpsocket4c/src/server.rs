//! `HP_Server_*`, `HP_TcpServer_*`, `HP_TcpPullServer_*`, `HP_TcpPackServer_*` and the
//! server Create / Destroy functions.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

use hpsocket::*;

use crate::listener::bridge;
use crate::ops::{bytes, conn_exports, prop_exports, wsabufs, WSABUF};
use crate::{
    b, code, conn_id, cstr, error_desc, fail, ffi, new_handle, set_errno, write_addr, Registry,
    BOOL, FALSE, TRUE,
};

/// A server of any receive model.
pub enum Srv {
    /// PUSH.
    Push(TcpServer),
    /// PULL.
    Pull(TcpPullServer),
    /// PACK.
    Pack(TcpPackServer),
}

pub(crate) static SERVERS: LazyLock<Registry<Srv>> = LazyLock::new(Registry::default);

/// Runs `$body` with `$c` bound to the server behind handle `$h`, whatever its model.
macro_rules! with_srv {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match SERVERS.get($h) {
            None => $fail,
            Some(o) => match &*o {
                Srv::Push($c) => $body,
                Srv::Pull($c) => $body,
                Srv::Pack($c) => $body,
            },
        }
    };
}

type H = *mut c_void;

fn create(listener: H, make: impl FnOnce(crate::listener::Bridge) -> Srv) -> H {
    ffi!(std::ptr::null_mut(), {
        let Some(br) = bridge(listener) else {
            return std::ptr::null_mut();
        };
        let h = new_handle();
        br.sender.store(h, Ordering::Release);
        SERVERS.insert(h, Arc::new(make(br)));
        h as H
    })
}

fn destroy(h: H) {
    ffi!((), {
        if let Some(o) = SERVERS.remove(h) {
            with_srv_obj(&o, |s| {
                if s.has_started() {
                    let _ = s.stop();
                    s.wait(Some(std::time::Duration::from_secs(30)));
                }
            });
        }
    })
}

fn with_srv_obj(o: &Srv, f: impl Fn(&dyn Stoppable)) {
    match o {
        Srv::Push(s) => f(s),
        Srv::Pull(s) => f(s),
        Srv::Pack(s) => f(s),
    }
}

/// What Destroy needs of any component.
pub(crate) trait Stoppable {
    fn has_started(&self) -> bool;
    fn stop(&self) -> hpsocket::Result<()>;
    fn wait(&self, t: Option<std::time::Duration>) -> bool;
}

macro_rules! stoppable {
    ($($t:ty),*) => {$(
        impl Stoppable for $t {
            fn has_started(&self) -> bool { <$t>::has_started(self) }
            fn stop(&self) -> hpsocket::Result<()> { <$t>::stop(self) }
            fn wait(&self, t: Option<std::time::Duration>) -> bool { <$t>::wait(self, t) }
        }
    )*};
}
stoppable!(TcpServer, TcpPullServer, TcpPackServer);
pub(crate) use stoppable;

/// Creates a PUSH server reporting to `listener`.
#[no_mangle]
pub extern "C" fn Create_HP_TcpServer(listener: H) -> H {
    create(listener, |br| Srv::Push(TcpServer::new(br)))
}
/// Creates a PULL server.
#[no_mangle]
pub extern "C" fn Create_HP_TcpPullServer(listener: H) -> H {
    create(listener, |br| Srv::Pull(TcpPullServer::new(br)))
}
/// Creates a PACK server.
#[no_mangle]
pub extern "C" fn Create_HP_TcpPackServer(listener: H) -> H {
    create(listener, |br| Srv::Pack(TcpPackServer::new(br)))
}
/// Destroys a server (stopping it first).
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpServer(h: H) {
    destroy(h)
}
/// Destroys a PULL server.
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpPullServer(h: H) {
    destroy(h)
}
/// Destroys a PACK server.
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpPackServer(h: H) {
    destroy(h)
}

/// Starts listening on `address:port` (NULL / empty address: 0.0.0.0).
#[no_mangle]
pub unsafe extern "C" fn HP_Server_Start(h: H, address: *const c_char, port: u16) -> BOOL {
    ffi!(FALSE, {
        let addr = cstr(address).unwrap_or("");
        with_srv!(h, FALSE, |c| b(c.start(addr, port)))
    })
}

/// Stops the server: closes every connection, then fires OnShutdown.
#[no_mangle]
pub extern "C" fn HP_Server_Stop(h: H) -> BOOL {
    ffi!(FALSE, { with_srv!(h, FALSE, |c| b(c.stop())) })
}

/// Waits until stopped (`ms` = 0xFFFFFFFF: forever); TRUE when stopped.
#[no_mangle]
pub extern "C" fn HP_Server_Wait(h: H, ms: u32) -> BOOL {
    ffi!(FALSE, {
        let t = (ms != u32::MAX).then(|| std::time::Duration::from_millis(ms as u64));
        with_srv!(h, FALSE, |c| c.wait(t) as BOOL)
    })
}

/// The listening address and port.
#[no_mangle]
pub unsafe extern "C" fn HP_Server_GetListenAddress(
    h: H,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, {
        with_srv!(h, FALSE, |c| match c.listen_address() {
            Ok(a) => write_addr(a, buf, len, port),
            Err(e) => fail(&e),
        })
    })
}

/// FALSE: the plain TCP servers are not secure.
#[no_mangle]
pub extern "C" fn HP_Server_IsSecure(h: H) -> BOOL {
    ffi!(FALSE, { with_srv!(h, FALSE, |c| c.is_secure() as BOOL) })
}

/// TRUE when starting or started.
#[no_mangle]
pub extern "C" fn HP_Server_HasStarted(h: H) -> BOOL {
    ffi!(FALSE, { with_srv!(h, FALSE, |c| c.has_started() as BOOL) })
}

/// `En_HP_ServiceState`.
#[no_mangle]
pub extern "C" fn HP_Server_GetState(h: H) -> c_int {
    ffi!(3, { with_srv!(h, 3, |c| c.state() as c_int) })
}

/// `En_HP_SocketError` of the last Start / Stop failure.
#[no_mangle]
pub extern "C" fn HP_Server_GetLastError(h: H) -> c_int {
    ffi!(2, { with_srv!(h, 2, |c| code(c.last_error())) })
}

/// Description of the last error (static string).
#[no_mangle]
pub extern "C" fn HP_Server_GetLastErrorDesc(h: H) -> *const c_char {
    ffi!(error_desc(2), {
        with_srv!(h, error_desc(2), |c| error_desc(code(c.last_error())))
    })
}

conn_exports!(with_srv, H;
    HP_Server_Send, HP_Server_SendPart, HP_Server_SendPackets, HP_Server_PauseReceive,
    HP_Server_IsPauseReceive, HP_Server_Disconnect, HP_Server_DisconnectLongConnections,
    HP_Server_DisconnectSilenceConnections, HP_Server_SetConnectionExtra,
    HP_Server_GetConnectionExtra, HP_Server_GetPendingDataLength, HP_Server_GetConnectionCount,
    HP_Server_GetAllConnectionIDs, HP_Server_GetConnectPeriod, HP_Server_GetSilencePeriod,
    HP_Server_GetLocalAddress, HP_Server_GetRemoteAddress, HP_Server_IsConnected);

prop_exports!(with_srv, H;
    HP_Server_GetOnSendSyncPolicy / HP_Server_SetOnSendSyncPolicy: c_int => on_send_sync_policy / set_on_send_sync_policy;
    HP_Server_GetSendPolicy / HP_Server_SetSendPolicy: c_int => send_policy / set_send_policy;
    HP_Server_GetFreeSocketObjLockTime / HP_Server_SetFreeSocketObjLockTime: u32 => free_socket_obj_lock_time / set_free_socket_obj_lock_time;
    HP_Server_GetFreeSocketObjPool / HP_Server_SetFreeSocketObjPool: u32 => free_socket_obj_pool / set_free_socket_obj_pool;
    HP_Server_GetFreeBufferObjPool / HP_Server_SetFreeBufferObjPool: u32 => free_buffer_obj_pool / set_free_buffer_obj_pool;
    HP_Server_GetFreeSocketObjHold / HP_Server_SetFreeSocketObjHold: u32 => free_socket_obj_hold / set_free_socket_obj_hold;
    HP_Server_GetFreeBufferObjHold / HP_Server_SetFreeBufferObjHold: u32 => free_buffer_obj_hold / set_free_buffer_obj_hold;
    HP_Server_GetMaxConnectionCount / HP_Server_SetMaxConnectionCount: u32 => max_connection_count / set_max_connection_count;
    HP_Server_GetWorkerThreadCount / HP_Server_SetWorkerThreadCount: u32 => worker_thread_count / set_worker_thread_count;
    HP_Server_IsMarkSilence / HP_Server_SetMarkSilence: c_int => mark_silence / set_mark_silence;
    HP_Server_GetReuseAddressPolicy / HP_Server_SetReuseAddressPolicy: c_int => reuse_address_policy / set_reuse_address_policy;
    HP_TcpServer_GetAcceptSocketCount / HP_TcpServer_SetAcceptSocketCount: u32 => accept_socket_count / set_accept_socket_count;
    HP_TcpServer_GetSocketBufferSize / HP_TcpServer_SetSocketBufferSize: u32 => socket_buffer_size / set_socket_buffer_size;
    HP_TcpServer_GetSocketListenQueue / HP_TcpServer_SetSocketListenQueue: u32 => socket_listen_queue / set_socket_listen_queue;
    HP_TcpServer_GetKeepAliveTime / HP_TcpServer_SetKeepAliveTime: u32 => keep_alive_time / set_keep_alive_time;
    HP_TcpServer_GetKeepAliveInterval / HP_TcpServer_SetKeepAliveInterval: u32 => keep_alive_interval / set_keep_alive_interval;
    HP_TcpServer_IsNoDelay / HP_TcpServer_SetNoDelay: c_int => no_delay / set_no_delay;
);

/// Sends `head`, the file's bytes (< 4 MiB) and `tail` as one unit.
#[no_mangle]
pub unsafe extern "C" fn HP_TcpServer_SendSmallFile(
    h: H,
    id: usize,
    file: *const c_char,
    head: *const WSABUF,
    tail: *const WSABUF,
) -> BOOL {
    ffi!(FALSE, {
        let Some((content, hd, tl)) = crate::sys::small_file(file, head, tail) else {
            return FALSE;
        };
        let Some(id) = conn_id(id) else {
            set_errno(libc::EBADSLT);
            return FALSE;
        };
        let parts: Vec<&[u8]> = [hd, &content[..], tl]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        with_srv!(h, FALSE, |c| b(c.send_packets(id, &parts)))
    })
}

/// Runs `$body` with `$c` bound to the PACK server behind `$h` (others: errno EINVAL).
macro_rules! with_pack {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match SERVERS.get($h).as_deref() {
            Some(Srv::Pack($c)) => $body,
            Some(_) => {
                set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}

prop_exports!(with_pack, H;
    HP_TcpPackServer_GetMaxPackSize / HP_TcpPackServer_SetMaxPackSize: u32 => max_pack_size / set_max_pack_size;
    HP_TcpPackServer_GetPackHeaderFlag / HP_TcpPackServer_SetPackHeaderFlag: u16 => pack_header_flag / set_pack_header_flag;
);

fn pull_take(h: H, id: usize, p: *mut u8, len: c_int, consume: bool) -> c_int {
    ffi!(FetchResult::DataNotFound as c_int, {
        if p.is_null() || len <= 0 {
            set_errno(libc::EINVAL);
            return FetchResult::LengthTooLong as c_int;
        }
        // SAFETY: the caller provides `len` writable bytes at `p`.
        let out = unsafe { std::slice::from_raw_parts_mut(p, len as usize) };
        let Some(id) = conn_id(id) else {
            return FetchResult::DataNotFound as c_int;
        };
        match SERVERS.get(h).as_deref() {
            Some(Srv::Pull(s)) => {
                if consume {
                    s.fetch(id, out) as c_int
                } else {
                    s.peek(id, out) as c_int
                }
            }
            _ => FetchResult::DataNotFound as c_int,
        }
    })
}

/// PULL: moves exactly `len` buffered bytes into `p` (`En_HP_FetchResult`).
#[no_mangle]
pub extern "C" fn HP_TcpPullServer_Fetch(h: H, id: usize, p: *mut u8, len: c_int) -> c_int {
    pull_take(h, id, p, len, true)
}

/// PULL: copies exactly `len` buffered bytes into `p` without consuming them.
#[no_mangle]
pub extern "C" fn HP_TcpPullServer_Peek(h: H, id: usize, p: *mut u8, len: c_int) -> c_int {
    pull_take(h, id, p, len, false)
}
