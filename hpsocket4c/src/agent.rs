//! `HP_Agent_*`, `HP_TcpAgent_*`, `HP_TcpPullAgent_*`, `HP_TcpPackAgent_*` and the agent
//! Create / Destroy functions.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

use hpsocket::*;

use crate::listener::bridge;
use crate::ops::{bytes, conn_exports, prop_exports, wsabufs, WSABUF};
use crate::server::{stoppable, Stoppable};
use crate::{
    b, code, conn_id, cstr, error_desc, fail, ffi, new_handle, set_errno, write_addr, write_str,
    Registry, BOOL, FALSE, TRUE,
};

/// An agent of any receive model.
pub enum Agt {
    /// PUSH.
    Push(TcpAgent),
    /// PULL.
    Pull(TcpPullAgent),
    /// PACK.
    Pack(TcpPackAgent),
}

pub(crate) static AGENTS: LazyLock<Registry<Agt>> = LazyLock::new(Registry::default);

macro_rules! with_agt {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match AGENTS.get($h) {
            None => $fail,
            Some(o) => match &*o {
                Agt::Push($c) => $body,
                Agt::Pull($c) => $body,
                Agt::Pack($c) => $body,
            },
        }
    };
}

type H = *mut c_void;

stoppable!(TcpAgent, TcpPullAgent, TcpPackAgent);

fn create(listener: H, make: impl FnOnce(crate::listener::Bridge) -> Agt) -> H {
    ffi!(std::ptr::null_mut(), {
        let Some(br) = bridge(listener) else {
            return std::ptr::null_mut();
        };
        let h = new_handle();
        br.sender.store(h, Ordering::Release);
        AGENTS.insert(h, Arc::new(make(br)));
        h as H
    })
}

fn destroy(h: H) {
    ffi!((), {
        if let Some(o) = AGENTS.remove(h) {
            let s: &dyn Stoppable = match &*o {
                Agt::Push(s) => s,
                Agt::Pull(s) => s,
                Agt::Pack(s) => s,
            };
            if s.has_started() {
                let _ = s.stop();
                s.wait(Some(std::time::Duration::from_secs(30)));
            }
        }
    })
}

/// Creates a PUSH agent reporting to `listener`.
#[no_mangle]
pub extern "C" fn Create_HP_TcpAgent(listener: H) -> H {
    create(listener, |br| Agt::Push(TcpAgent::new(br)))
}
/// Creates a PULL agent.
#[no_mangle]
pub extern "C" fn Create_HP_TcpPullAgent(listener: H) -> H {
    create(listener, |br| Agt::Pull(TcpPullAgent::new(br)))
}
/// Creates a PACK agent.
#[no_mangle]
pub extern "C" fn Create_HP_TcpPackAgent(listener: H) -> H {
    create(listener, |br| Agt::Pack(TcpPackAgent::new(br)))
}
/// Destroys an agent (stopping it first).
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpAgent(h: H) {
    destroy(h)
}
/// Destroys a PULL agent.
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpPullAgent(h: H) {
    destroy(h)
}
/// Destroys a PACK agent.
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpPackAgent(h: H) {
    destroy(h)
}

/// Starts the agent's workers; `bind` (NULL: none) is the local address of every connection.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_Start(h: H, bind: *const c_char, async_connect: BOOL) -> BOOL {
    ffi!(FALSE, {
        let bind = cstr(bind);
        with_agt!(h, FALSE, |c| b(c.start(bind, async_connect != 0)))
    })
}

/// Closes every connection, then fires OnShutdown.
#[no_mangle]
pub extern "C" fn HP_Agent_Stop(h: H) -> BOOL {
    ffi!(FALSE, { with_agt!(h, FALSE, |c| b(c.stop())) })
}

/// Waits until stopped (`ms` = 0xFFFFFFFF: forever).
#[no_mangle]
pub extern "C" fn HP_Agent_Wait(h: H, ms: u32) -> BOOL {
    ffi!(FALSE, {
        let t = (ms != u32::MAX).then(|| std::time::Duration::from_millis(ms as u64));
        with_agt!(h, FALSE, |c| c.wait(t) as BOOL)
    })
}

unsafe fn connect(
    h: H,
    host: *const c_char,
    port: u16,
    out: *mut usize,
    opts: ConnectOptions,
) -> BOOL {
    ffi!(FALSE, {
        let Some(host) = cstr(host) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        with_agt!(h, FALSE, |c| match c.connect_with(host, port, &opts) {
            Ok(id) => {
                if !out.is_null() {
                    *out = id.get();
                }
                TRUE
            }
            Err(e) => fail(&e),
        })
    })
}

/// Connects to `host:port`; the new connection's ID goes to `*id` (may be NULL).
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_Connect(
    h: H,
    host: *const c_char,
    port: u16,
    id: *mut usize,
) -> BOOL {
    connect(h, host, port, id, ConnectOptions::default())
}

/// Connects with an extra value attached before any event fires.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_ConnectWithExtra(
    h: H,
    host: *const c_char,
    port: u16,
    id: *mut usize,
    extra: *mut c_void,
) -> BOOL {
    let opts = ConnectOptions {
        extra: extra as usize,
        ..Default::default()
    };
    connect(h, host, port, id, opts)
}

/// Connects from a given local port.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_ConnectWithLocalPort(
    h: H,
    host: *const c_char,
    port: u16,
    id: *mut usize,
    local_port: u16,
) -> BOOL {
    let opts = ConnectOptions {
        local_port,
        ..Default::default()
    };
    connect(h, host, port, id, opts)
}

/// Connects from a given local address.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_ConnectWithLocalAddress(
    h: H,
    host: *const c_char,
    port: u16,
    id: *mut usize,
    local: *const c_char,
) -> BOOL {
    let opts = ConnectOptions {
        local_address: cstr(local).map(str::to_string),
        ..Default::default()
    };
    connect(h, host, port, id, opts)
}

/// Connects with an extra value from a given local port.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_ConnectWithExtraAndLocalPort(
    h: H,
    host: *const c_char,
    port: u16,
    id: *mut usize,
    extra: *mut c_void,
    local_port: u16,
) -> BOOL {
    let opts = ConnectOptions {
        extra: extra as usize,
        local_port,
        ..Default::default()
    };
    connect(h, host, port, id, opts)
}

/// Connects with an extra value from a given local address and port.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_ConnectWithExtraAndLocalAddressPort(
    h: H,
    host: *const c_char,
    port: u16,
    id: *mut usize,
    extra: *mut c_void,
    local_port: u16,
    local: *const c_char,
) -> BOOL {
    let opts = ConnectOptions {
        extra: extra as usize,
        local_port,
        local_address: cstr(local).map(str::to_string),
    };
    connect(h, host, port, id, opts)
}

/// The host name and port a connection was asked to connect to.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_GetRemoteHost(
    h: H,
    id: usize,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = conn_id(id) else {
            set_errno(libc::EBADSLT);
            return FALSE;
        };
        with_agt!(h, FALSE, |c| match c.remote_host(id) {
            Ok((host, p)) => {
                let r = write_str(&host, buf, len);
                if r == TRUE && !port.is_null() {
                    *port = p;
                }
                r
            }
            Err(e) => fail(&e),
        })
    })
}

/// FALSE: the plain TCP agents are not secure.
#[no_mangle]
pub extern "C" fn HP_Agent_IsSecure(h: H) -> BOOL {
    ffi!(FALSE, { with_agt!(h, FALSE, |c| c.is_secure() as BOOL) })
}

/// TRUE when starting or started.
#[no_mangle]
pub extern "C" fn HP_Agent_HasStarted(h: H) -> BOOL {
    ffi!(FALSE, { with_agt!(h, FALSE, |c| c.has_started() as BOOL) })
}

/// `En_HP_ServiceState`.
#[no_mangle]
pub extern "C" fn HP_Agent_GetState(h: H) -> c_int {
    ffi!(3, { with_agt!(h, 3, |c| c.state() as c_int) })
}

/// `En_HP_SocketError` of the last Start / Stop failure.
#[no_mangle]
pub extern "C" fn HP_Agent_GetLastError(h: H) -> c_int {
    ffi!(2, { with_agt!(h, 2, |c| code(c.last_error())) })
}

/// Description of the last error (static string).
#[no_mangle]
pub extern "C" fn HP_Agent_GetLastErrorDesc(h: H) -> *const c_char {
    ffi!(error_desc(2), {
        with_agt!(h, error_desc(2), |c| error_desc(code(c.last_error())))
    })
}

conn_exports!(with_agt, H;
    HP_Agent_Send, HP_Agent_SendPart, HP_Agent_SendPackets, HP_Agent_PauseReceive,
    HP_Agent_IsPauseReceive, HP_Agent_Disconnect, HP_Agent_DisconnectLongConnections,
    HP_Agent_DisconnectSilenceConnections, HP_Agent_SetConnectionExtra,
    HP_Agent_GetConnectionExtra, HP_Agent_GetPendingDataLength, HP_Agent_GetConnectionCount,
    HP_Agent_GetAllConnectionIDs, HP_Agent_GetConnectPeriod, HP_Agent_GetSilencePeriod,
    HP_Agent_GetLocalAddress, HP_Agent_GetRemoteAddress, HP_Agent_IsConnected);

prop_exports!(with_agt, H;
    HP_Agent_GetOnSendSyncPolicy / HP_Agent_SetOnSendSyncPolicy: c_int => on_send_sync_policy / set_on_send_sync_policy;
    HP_Agent_GetSendPolicy / HP_Agent_SetSendPolicy: c_int => send_policy / set_send_policy;
    HP_Agent_GetFreeSocketObjLockTime / HP_Agent_SetFreeSocketObjLockTime: u32 => free_socket_obj_lock_time / set_free_socket_obj_lock_time;
    HP_Agent_GetFreeSocketObjPool / HP_Agent_SetFreeSocketObjPool: u32 => free_socket_obj_pool / set_free_socket_obj_pool;
    HP_Agent_GetFreeBufferObjPool / HP_Agent_SetFreeBufferObjPool: u32 => free_buffer_obj_pool / set_free_buffer_obj_pool;
    HP_Agent_GetFreeSocketObjHold / HP_Agent_SetFreeSocketObjHold: u32 => free_socket_obj_hold / set_free_socket_obj_hold;
    HP_Agent_GetFreeBufferObjHold / HP_Agent_SetFreeBufferObjHold: u32 => free_buffer_obj_hold / set_free_buffer_obj_hold;
    HP_Agent_GetMaxConnectionCount / HP_Agent_SetMaxConnectionCount: u32 => max_connection_count / set_max_connection_count;
    HP_Agent_GetWorkerThreadCount / HP_Agent_SetWorkerThreadCount: u32 => worker_thread_count / set_worker_thread_count;
    HP_Agent_IsMarkSilence / HP_Agent_SetMarkSilence: c_int => mark_silence / set_mark_silence;
    HP_Agent_GetReuseAddressPolicy / HP_Agent_SetReuseAddressPolicy: c_int => reuse_address_policy / set_reuse_address_policy;
    HP_TcpAgent_GetSocketBufferSize / HP_TcpAgent_SetSocketBufferSize: u32 => socket_buffer_size / set_socket_buffer_size;
    HP_TcpAgent_GetKeepAliveTime / HP_TcpAgent_SetKeepAliveTime: u32 => keep_alive_time / set_keep_alive_time;
    HP_TcpAgent_GetKeepAliveInterval / HP_TcpAgent_SetKeepAliveInterval: u32 => keep_alive_interval / set_keep_alive_interval;
    HP_TcpAgent_IsNoDelay / HP_TcpAgent_SetNoDelay: c_int => no_delay / set_no_delay;
);

/// 5.2 name: TRUE sets `SO_REUSEADDR` on bound sockets (the 5.8 policy `RAP_ADDR_ONLY`),
/// FALSE sets none.
#[no_mangle]
pub extern "C" fn HP_TcpAgent_SetReuseAddress(h: H, reuse: BOOL) {
    let policy = if reuse != 0 {
        ReuseAddressPolicy::AddrOnly
    } else {
        ReuseAddressPolicy::None
    };
    ffi!((), {
        with_agt!(h, (), |c| {
            if let Err(e) = c.set_reuse_address_policy(policy) {
                set_errno(e.errno());
            }
        })
    })
}

/// 5.2 name: whether bound sockets get `SO_REUSEADDR`.
#[no_mangle]
pub extern "C" fn HP_TcpAgent_IsReuseAddress(h: H) -> BOOL {
    ffi!(FALSE, {
        with_agt!(
            h,
            FALSE,
            |c| (c.reuse_address_policy() != ReuseAddressPolicy::None) as BOOL
        )
    })
}

/// Sends `head`, the file's bytes (< 4 MiB) and `tail` as one unit.
#[no_mangle]
pub unsafe extern "C" fn HP_TcpAgent_SendSmallFile(
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
        with_agt!(h, FALSE, |c| b(c.send_packets(id, &parts)))
    })
}

macro_rules! with_pack {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match AGENTS.get($h).as_deref() {
            Some(Agt::Pack($c)) => $body,
            Some(_) => {
                set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}

prop_exports!(with_pack, H;
    HP_TcpPackAgent_GetMaxPackSize / HP_TcpPackAgent_SetMaxPackSize: u32 => max_pack_size / set_max_pack_size;
    HP_TcpPackAgent_GetPackHeaderFlag / HP_TcpPackAgent_SetPackHeaderFlag: u16 => pack_header_flag / set_pack_header_flag;
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
        match AGENTS.get(h).as_deref() {
            Some(Agt::Pull(s)) => {
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

/// PULL: moves exactly `len` buffered bytes into `p`.
#[no_mangle]
pub extern "C" fn HP_TcpPullAgent_Fetch(h: H, id: usize, p: *mut u8, len: c_int) -> c_int {
    pull_take(h, id, p, len, true)
}

/// PULL: copies exactly `len` buffered bytes into `p` without consuming them.
#[no_mangle]
pub extern "C" fn HP_TcpPullAgent_Peek(h: H, id: usize, p: *mut u8, len: c_int) -> c_int {
    pull_take(h, id, p, len, false)
}
