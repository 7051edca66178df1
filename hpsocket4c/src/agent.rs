//! `HP_Agent_*`, `HP_TcpAgent_*`, `HP_TcpPullAgent_*`, `HP_TcpPackAgent_*` and the agent
//! Create / Destroy functions, plain and SSL (the SSL agents' own functions are in
//! [`crate::ssl`]).
//!
//! Layer 3 (families): imports only [`crate::marshal`], [`crate::ops`] and [`crate::roles`].

use std::ffi::{c_char, c_int, c_void};

use hpsocket::*;

use crate::marshal::{
    b, bytes, code, cstr, error_desc, fail, ffi, need_id, opt_addr, or_errno, put, put_addr,
    put_host, set_errno, wsabufs, BOOL, FALSE, TRUE, WSABUF,
};
use crate::ops::{conn_exports, prop_exports, state_exports};
use crate::roles::{lifecycle_exports, with_any, Agt, AGENTS};

macro_rules! with_agt {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        with_any!(AGENTS, Agt, [Http, Https, Ws, Wss], $h, $fail, |$c| $body)
    };
}

type H = *mut c_void;

lifecycle_exports!(AGENTS, Agt;
    Create_HP_TcpAgent / Destroy_HP_TcpAgent => Push(TcpAgent);
    Create_HP_TcpPullAgent / Destroy_HP_TcpPullAgent => Pull(TcpPullAgent);
    Create_HP_TcpPackAgent / Destroy_HP_TcpPackAgent => Pack(TcpPackAgent);
    Create_HP_SSLAgent / Destroy_HP_SSLAgent => SslPush(SslAgent);
    Create_HP_SSLPullAgent / Destroy_HP_SSLPullAgent => SslPull(SslPullAgent);
    Create_HP_SSLPackAgent / Destroy_HP_SSLPackAgent => SslPack(SslPackAgent);
);

/// Starts the agent's workers; `bind` (NULL: none) is the local address of every connection.
#[no_mangle]
pub unsafe extern "C" fn HP_Agent_Start(h: H, bind: *const c_char, async_connect: BOOL) -> BOOL {
    ffi!(FALSE, {
        let bind = opt_addr(bind);
        with_agt!(
            h,
            FALSE,
            |c| b(c.start(bind.as_deref(), async_connect != 0))
        )
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
        local_address: opt_addr(local).map(|l| l.into_owned()),
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
        local_address: opt_addr(local).map(|l| l.into_owned()),
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
        let Some(id) = need_id(id) else { return FALSE };
        with_agt!(h, FALSE, |c| put_host(c.remote_host(id), buf, len, port))
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
        with_agt!(h, (), |c| or_errno(c.set_reuse_address_policy(policy)))
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

state_exports!(with_agt, H;
    HP_Agent_Stop, HP_Agent_Wait, HP_Agent_IsSecure, HP_Agent_HasStarted, HP_Agent_GetState,
    HP_Agent_GetLastError, HP_Agent_GetLastErrorDesc);

crate::ops::id_model_exports!(AGENTS, Agt, with_agt;
    HP_TcpAgent_SendSmallFile, HP_TcpPullAgent_Fetch, HP_TcpPullAgent_Peek,
    HP_TcpPackAgent_GetMaxPackSize / HP_TcpPackAgent_SetMaxPackSize, HP_TcpPackAgent_GetPackHeaderFlag / HP_TcpPackAgent_SetPackHeaderFlag);
