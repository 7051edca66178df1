//! `HP_Server_*`, `HP_TcpServer_*`, `HP_TcpPullServer_*`, `HP_TcpPackServer_*` and the
//! server Create / Destroy functions, plain and SSL (the SSL servers' own functions are in
//! [`crate::ssl`]).
//!
//! Layer 3 (families): imports only [`crate::marshal`], [`crate::ops`] and [`crate::roles`].

use std::ffi::{c_char, c_int, c_void};

use hpsocket::*;

use crate::marshal::{
    b, bytes, code, error_desc, fail, ffi, need_id, opt_addr, put, put_addr, set_errno, wsabufs,
    BOOL, FALSE, TRUE, WSABUF,
};
use crate::ops::{conn_exports, prop_exports, state_exports};
use crate::roles::{lifecycle_exports, with_any, Srv, SERVERS};

/// Runs `$body` with `$c` bound to the server behind handle `$h`, whatever its model, TCP
/// or UDP.
macro_rules! with_srv {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        with_any!(SERVERS, Srv, [Udp, Http, Https, Ws, Wss], $h, $fail, |$c| {
            $body
        })
    };
}

/// Runs `$body` with `$c` bound to the TCP server behind handle `$h` (UDP: EINVAL).
macro_rules! with_tcp_srv {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        with_any!(SERVERS, Srv, [Http, Https, Ws, Wss], $h, $fail, |$c| $body)
    };
}

type H = *mut c_void;

lifecycle_exports!(SERVERS, Srv;
    Create_HP_TcpServer / Destroy_HP_TcpServer => Push(TcpServer);
    Create_HP_TcpPullServer / Destroy_HP_TcpPullServer => Pull(TcpPullServer);
    Create_HP_TcpPackServer / Destroy_HP_TcpPackServer => Pack(TcpPackServer);
    Create_HP_SSLServer / Destroy_HP_SSLServer => SslPush(SslServer);
    Create_HP_SSLPullServer / Destroy_HP_SSLPullServer => SslPull(SslPullServer);
    Create_HP_SSLPackServer / Destroy_HP_SSLPackServer => SslPack(SslPackServer);
);

/// Starts listening on `address:port` (NULL / empty address: 0.0.0.0; not an IP address, or not
/// UTF-8: FALSE, errno EINVAL).
#[no_mangle]
pub unsafe extern "C" fn HP_Server_Start(h: H, address: *const c_char, port: u16) -> BOOL {
    ffi!(FALSE, {
        let addr = opt_addr(address);
        let addr = addr.as_deref().unwrap_or("");
        with_srv!(h, FALSE, |c| b(c.start(addr, port)))
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
        with_srv!(h, FALSE, |c| put_addr(c.listen_address(), buf, len, port))
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
);

prop_exports!(with_tcp_srv, H;
    HP_TcpServer_GetAcceptSocketCount / HP_TcpServer_SetAcceptSocketCount: u32 => accept_socket_count / set_accept_socket_count;
    HP_TcpServer_GetSocketBufferSize / HP_TcpServer_SetSocketBufferSize: u32 => socket_buffer_size / set_socket_buffer_size;
    HP_TcpServer_GetSocketListenQueue / HP_TcpServer_SetSocketListenQueue: u32 => socket_listen_queue / set_socket_listen_queue;
    HP_TcpServer_GetKeepAliveTime / HP_TcpServer_SetKeepAliveTime: u32 => keep_alive_time / set_keep_alive_time;
    HP_TcpServer_GetKeepAliveInterval / HP_TcpServer_SetKeepAliveInterval: u32 => keep_alive_interval / set_keep_alive_interval;
    HP_TcpServer_IsNoDelay / HP_TcpServer_SetNoDelay: c_int => no_delay / set_no_delay;
);

state_exports!(with_srv, H;
    HP_Server_Stop, HP_Server_Wait, HP_Server_IsSecure, HP_Server_HasStarted, HP_Server_GetState,
    HP_Server_GetLastError, HP_Server_GetLastErrorDesc);

crate::ops::id_model_exports!(SERVERS, Srv, with_tcp_srv;
    HP_TcpServer_SendSmallFile, HP_TcpPullServer_Fetch, HP_TcpPullServer_Peek,
    HP_TcpPackServer_GetMaxPackSize / HP_TcpPackServer_SetMaxPackSize, HP_TcpPackServer_GetPackHeaderFlag / HP_TcpPackServer_SetPackHeaderFlag);
