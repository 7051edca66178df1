//! `HP_Client_*`, `HP_TcpClient_*`, `HP_TcpPullClient_*`, `HP_TcpPackClient_*` and the
//! client Create / Destroy functions, plain and SSL (the SSL clients' own functions are in
//! [`crate::ssl`]).
//!
//! Layer 3 (families): imports only [`crate::marshal`], [`crate::ops`] and [`crate::roles`].

use std::ffi::{c_char, c_int, c_void};

use hpsocket::*;

use crate::marshal::{
    b, bytes, code, cstr, error_desc, fail, ffi, opt_addr, pull_take, put, put_addr, put_host,
    set_errno, with_small_file, wsabufs, BOOL, FALSE, TRUE, WSABUF,
};
use crate::ops::{prop_exports, state_exports};
use crate::roles::{lifecycle_exports, with_any, Cli, CLIENTS};

/// Runs `$body` with `$c` bound to the client behind handle `$h`: TCP, UDP or cast.
macro_rules! with_cli {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        with_any!(
            CLIENTS,
            Cli,
            [Udp, Cast, Http, Https, Sync, SyncS, Ws, Wss],
            $h,
            $fail,
            |$c| { $body }
        )
    };
}

/// Runs `$body` with `$c` bound to the TCP client behind handle `$h` (UDP: EINVAL).
macro_rules! with_tcp_cli {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        with_any!(
            CLIENTS,
            Cli,
            [Http, Https, Sync, SyncS, Ws, Wss],
            $h,
            $fail,
            |$c| { $body }
        )
    };
}

type H = *mut c_void;

lifecycle_exports!(CLIENTS, Cli;
    Create_HP_TcpClient / Destroy_HP_TcpClient => Push(TcpClient);
    Create_HP_TcpPullClient / Destroy_HP_TcpPullClient => Pull(TcpPullClient);
    Create_HP_TcpPackClient / Destroy_HP_TcpPackClient => Pack(TcpPackClient);
    Create_HP_SSLClient / Destroy_HP_SSLClient => SslPush(SslClient);
    Create_HP_SSLPullClient / Destroy_HP_SSLPullClient => SslPull(SslPullClient);
    Create_HP_SSLPackClient / Destroy_HP_SSLPackClient => SslPack(SslPackClient);
);

unsafe fn start(
    h: H,
    host: *const c_char,
    port: u16,
    async_connect: BOOL,
    bind: *const c_char,
    local_port: u16,
) -> BOOL {
    ffi!(FALSE, {
        let Some(host) = cstr(host) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let bind = opt_addr(bind);
        with_cli!(h, FALSE, |c| b(c.start_with_bind(
            host,
            port,
            async_connect != 0,
            bind.as_deref(),
            local_port
        )))
    })
}

/// Connects to `host:port` (asynchronously when `async_connect`).
#[no_mangle]
pub unsafe extern "C" fn HP_Client_Start(
    h: H,
    host: *const c_char,
    port: u16,
    async_connect: BOOL,
) -> BOOL {
    start(h, host, port, async_connect, std::ptr::null(), 0)
}

/// Connects from a local address.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_StartWithBindAddress(
    h: H,
    host: *const c_char,
    port: u16,
    async_connect: BOOL,
    bind: *const c_char,
) -> BOOL {
    start(h, host, port, async_connect, bind, 0)
}

/// Connects from a local address and port.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_StartWithBindAddressAndLocalPort(
    h: H,
    host: *const c_char,
    port: u16,
    async_connect: BOOL,
    bind: *const c_char,
    local_port: u16,
) -> BOOL {
    start(h, host, port, async_connect, bind, local_port)
}

/// Sends `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_Send(h: H, p: *const u8, len: c_int) -> BOOL {
    ffi!(FALSE, {
        let Some(d) = bytes(p, len) else { return FALSE };
        // Empty sends fail: PACK says EMSGSIZE (from the library), the others EINVAL.
        with_cli!(h, FALSE, |c| match (c.send(d), d.is_empty()) {
            (Err(e), _) => fail(&e),
            (Ok(()), true) => {
                set_errno(libc::EINVAL);
                FALSE
            }
            (Ok(()), false) => TRUE,
        })
    })
}

/// Sends `len` bytes from `offset`.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_SendPart(h: H, p: *const u8, len: c_int, offset: c_int) -> BOOL {
    if offset < 0 || p.is_null() {
        set_errno(libc::EINVAL);
        return FALSE;
    }
    HP_Client_Send(h, p.add(offset as usize), len)
}

/// Sends several buffers as one unit (PACK: one packet).
#[no_mangle]
pub unsafe extern "C" fn HP_Client_SendPackets(h: H, bufs: *const WSABUF, count: c_int) -> BOOL {
    ffi!(FALSE, {
        let Some(v) = wsabufs(bufs, count) else {
            return FALSE;
        };
        with_cli!(h, FALSE, |c| b(c.send_packets(&v)))
    })
}

/// Pauses (TRUE) or resumes reading.
#[no_mangle]
pub extern "C" fn HP_Client_PauseReceive(h: H, pause: BOOL) -> BOOL {
    ffi!(FALSE, {
        with_cli!(h, FALSE, |c| b(c.pause_receive(pause != 0)))
    })
}

/// Whether reading is paused.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_IsPauseReceive(h: H, out: *mut BOOL) -> BOOL {
    ffi!(FALSE, {
        with_cli!(h, FALSE, |c| put(out, c.is_pause_receive(), |v| v as BOOL))
    })
}

/// Attaches a value to the client.
#[no_mangle]
pub extern "C" fn HP_Client_SetExtra(h: H, extra: *mut c_void) {
    ffi!((), { with_cli!(h, (), |c| c.set_extra(extra as usize)) })
}

/// The value attached to the client.
#[no_mangle]
pub extern "C" fn HP_Client_GetExtra(h: H) -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        with_cli!(h, std::ptr::null_mut(), |c| c.extra() as *mut c_void)
    })
}

/// Whether the connection is established.
#[no_mangle]
pub extern "C" fn HP_Client_IsConnected(h: H) -> BOOL {
    ffi!(FALSE, { with_cli!(h, FALSE, |c| c.is_connected() as BOOL) })
}

/// The connection's ID (0 before the first start).
#[no_mangle]
pub extern "C" fn HP_Client_GetConnectionID(h: H) -> usize {
    ffi!(0, {
        with_cli!(h, 0, |c| c.connection_id().map_or(0, |i| i.get()))
    })
}

/// Local address of the connection.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_GetLocalAddress(
    h: H,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, {
        with_cli!(h, FALSE, |c| put_addr(c.local_address(), buf, len, port))
    })
}

/// Remote address of the connection (5.8).
#[no_mangle]
pub unsafe extern "C" fn HP_Client_GetRemoteAddress(
    h: H,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, {
        with_cli!(h, FALSE, |c| put_addr(c.remote_address(), buf, len, port))
    })
}

/// The host and port given to Start.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_GetRemoteHost(
    h: H,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, {
        with_cli!(h, FALSE, |c| put_host(c.remote_host(), buf, len, port))
    })
}

/// Bytes queued and not yet written.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_GetPendingDataLength(h: H, out: *mut c_int) -> BOOL {
    ffi!(FALSE, {
        with_cli!(h, FALSE, |c| put(
            out,
            c.pending_data_length(),
            |v| v.min(c_int::MAX as usize) as c_int
        ))
    })
}

prop_exports!(with_cli, H;
    HP_Client_GetOnSendSyncPolicy / HP_Client_SetOnSendSyncPolicy: c_int => on_send_sync_policy / set_on_send_sync_policy;
    HP_Client_GetFreeBufferPoolSize / HP_Client_SetFreeBufferPoolSize: u32 => free_buffer_pool_size / set_free_buffer_pool_size;
    HP_Client_GetFreeBufferPoolHold / HP_Client_SetFreeBufferPoolHold: u32 => free_buffer_pool_hold / set_free_buffer_pool_hold;
    HP_Client_GetReuseAddressPolicy / HP_Client_SetReuseAddressPolicy: c_int => reuse_address_policy / set_reuse_address_policy;
);

prop_exports!(with_tcp_cli, H;
    HP_TcpClient_GetSocketBufferSize / HP_TcpClient_SetSocketBufferSize: u32 => socket_buffer_size / set_socket_buffer_size;
    HP_TcpClient_GetKeepAliveTime / HP_TcpClient_SetKeepAliveTime: u32 => keep_alive_time / set_keep_alive_time;
    HP_TcpClient_GetKeepAliveInterval / HP_TcpClient_SetKeepAliveInterval: u32 => keep_alive_interval / set_keep_alive_interval;
    HP_TcpClient_IsNoDelay / HP_TcpClient_SetNoDelay: c_int => no_delay / set_no_delay;
);

/// Sends `head`, the file's bytes (< 4 MiB) and `tail` as one unit.
#[no_mangle]
pub unsafe extern "C" fn HP_TcpClient_SendSmallFile(
    h: H,
    file: *const c_char,
    head: *const WSABUF,
    tail: *const WSABUF,
) -> BOOL {
    ffi!(FALSE, {
        with_small_file(file, head, tail, |parts| {
            with_tcp_cli!(h, FALSE, |c| b(c.send_packets(parts)))
        })
    })
}

macro_rules! with_pack {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match CLIENTS.get($h).as_deref() {
            Some(Cli::Pack($c)) => $body,
            Some(Cli::SslPack($c)) => $body,
            Some(_) => {
                set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}

prop_exports!(with_pack, H;
    HP_TcpPackClient_GetMaxPackSize / HP_TcpPackClient_SetMaxPackSize: u32 => max_pack_size / set_max_pack_size;
    HP_TcpPackClient_GetPackHeaderFlag / HP_TcpPackClient_SetPackHeaderFlag: u16 => pack_header_flag / set_pack_header_flag;
);

/// PULL: moves exactly `len` buffered bytes into `p`.
#[no_mangle]
pub extern "C" fn HP_TcpPullClient_Fetch(h: H, p: *mut u8, len: c_int) -> c_int {
    pull_take(p, len, |out| match CLIENTS.get(h).as_deref() {
        Some(Cli::Pull(s)) => Some(s.fetch(out)),
        Some(Cli::SslPull(s)) => Some(s.fetch(out)),
        _ => None,
    })
}

/// PULL: copies exactly `len` buffered bytes into `p` without consuming them.
#[no_mangle]
pub extern "C" fn HP_TcpPullClient_Peek(h: H, p: *mut u8, len: c_int) -> c_int {
    pull_take(p, len, |out| match CLIENTS.get(h).as_deref() {
        Some(Cli::Pull(s)) => Some(s.peek(out)),
        Some(Cli::SslPull(s)) => Some(s.peek(out)),
        _ => None,
    })
}

state_exports!(with_cli, H;
    HP_Client_Stop, HP_Client_Wait, HP_Client_IsSecure, HP_Client_HasStarted, HP_Client_GetState,
    HP_Client_GetLastError, HP_Client_GetLastErrorDesc);
