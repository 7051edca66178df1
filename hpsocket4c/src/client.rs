//! `HP_Client_*`, `HP_TcpClient_*`, `HP_TcpPullClient_*`, `HP_TcpPackClient_*` and the
//! client Create / Destroy functions.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

use hpsocket::*;

use crate::listener::bridge;
use crate::ops::{bytes, prop_exports, wsabufs, WSABUF};
use crate::server::{stoppable, Stoppable};
use crate::{
    b, code, cstr, error_desc, fail, ffi, new_handle, set_errno, write_addr, write_str, Registry,
    BOOL, FALSE, TRUE,
};

/// A client of any receive model.
pub enum Cli {
    /// PUSH.
    Push(TcpClient),
    /// PULL.
    Pull(TcpPullClient),
    /// PACK.
    Pack(TcpPackClient),
}

pub(crate) static CLIENTS: LazyLock<Registry<Cli>> = LazyLock::new(Registry::default);

macro_rules! with_cli {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match CLIENTS.get($h) {
            None => $fail,
            Some(o) => match &*o {
                Cli::Push($c) => $body,
                Cli::Pull($c) => $body,
                Cli::Pack($c) => $body,
            },
        }
    };
}

type H = *mut c_void;

stoppable!(TcpClient, TcpPullClient, TcpPackClient);

fn create(listener: H, make: impl FnOnce(crate::listener::Bridge) -> Cli) -> H {
    ffi!(std::ptr::null_mut(), {
        let Some(br) = bridge(listener) else {
            return std::ptr::null_mut();
        };
        let h = new_handle();
        br.sender.store(h, Ordering::Release);
        CLIENTS.insert(h, Arc::new(make(br)));
        h as H
    })
}

fn destroy(h: H) {
    ffi!((), {
        if let Some(o) = CLIENTS.remove(h) {
            let s: &dyn Stoppable = match &*o {
                Cli::Push(s) => s,
                Cli::Pull(s) => s,
                Cli::Pack(s) => s,
            };
            if s.has_started() {
                let _ = s.stop();
                s.wait(Some(std::time::Duration::from_secs(30)));
            }
        }
    })
}

/// Creates a PUSH client reporting to `listener`.
#[no_mangle]
pub extern "C" fn Create_HP_TcpClient(listener: H) -> H {
    create(listener, |br| Cli::Push(TcpClient::new(br)))
}
/// Creates a PULL client.
#[no_mangle]
pub extern "C" fn Create_HP_TcpPullClient(listener: H) -> H {
    create(listener, |br| Cli::Pull(TcpPullClient::new(br)))
}
/// Creates a PACK client.
#[no_mangle]
pub extern "C" fn Create_HP_TcpPackClient(listener: H) -> H {
    create(listener, |br| Cli::Pack(TcpPackClient::new(br)))
}
/// Destroys a client (stopping it first).
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpClient(h: H) {
    destroy(h)
}
/// Destroys a PULL client.
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpPullClient(h: H) {
    destroy(h)
}
/// Destroys a PACK client.
#[no_mangle]
pub extern "C" fn Destroy_HP_TcpPackClient(h: H) {
    destroy(h)
}

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
        let bind = cstr(bind);
        with_cli!(h, FALSE, |c| b(c.start_with_bind(
            host,
            port,
            async_connect != 0,
            bind,
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

/// Closes the connection.
#[no_mangle]
pub extern "C" fn HP_Client_Stop(h: H) -> BOOL {
    ffi!(FALSE, { with_cli!(h, FALSE, |c| b(c.stop())) })
}

/// Waits until stopped (`ms` = 0xFFFFFFFF: forever).
#[no_mangle]
pub extern "C" fn HP_Client_Wait(h: H, ms: u32) -> BOOL {
    ffi!(FALSE, {
        let t = (ms != u32::MAX).then(|| std::time::Duration::from_millis(ms as u64));
        with_cli!(h, FALSE, |c| c.wait(t) as BOOL)
    })
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
        if out.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        with_cli!(h, FALSE, |c| match c.is_pause_receive() {
            Ok(v) => {
                *out = v as BOOL;
                TRUE
            }
            Err(e) => fail(&e),
        })
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

/// FALSE: the plain TCP clients are not secure.
#[no_mangle]
pub extern "C" fn HP_Client_IsSecure(h: H) -> BOOL {
    ffi!(FALSE, { with_cli!(h, FALSE, |c| c.is_secure() as BOOL) })
}

/// TRUE when starting or started.
#[no_mangle]
pub extern "C" fn HP_Client_HasStarted(h: H) -> BOOL {
    ffi!(FALSE, { with_cli!(h, FALSE, |c| c.has_started() as BOOL) })
}

/// Whether the connection is established.
#[no_mangle]
pub extern "C" fn HP_Client_IsConnected(h: H) -> BOOL {
    ffi!(FALSE, { with_cli!(h, FALSE, |c| c.is_connected() as BOOL) })
}

/// `En_HP_ServiceState`.
#[no_mangle]
pub extern "C" fn HP_Client_GetState(h: H) -> c_int {
    ffi!(3, { with_cli!(h, 3, |c| c.state() as c_int) })
}

/// `En_HP_SocketError` of the last Start / Stop failure.
#[no_mangle]
pub extern "C" fn HP_Client_GetLastError(h: H) -> c_int {
    ffi!(2, { with_cli!(h, 2, |c| code(c.last_error())) })
}

/// Description of the last error (static string).
#[no_mangle]
pub extern "C" fn HP_Client_GetLastErrorDesc(h: H) -> *const c_char {
    ffi!(error_desc(2), {
        with_cli!(h, error_desc(2), |c| error_desc(code(c.last_error())))
    })
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
        with_cli!(h, FALSE, |c| match c.local_address() {
            Ok(a) => write_addr(a, buf, len, port),
            Err(e) => fail(&e),
        })
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
        with_cli!(h, FALSE, |c| match c.remote_address() {
            Ok(a) => write_addr(a, buf, len, port),
            Err(e) => fail(&e),
        })
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
        with_cli!(h, FALSE, |c| match c.remote_host() {
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

/// Bytes queued and not yet written.
#[no_mangle]
pub unsafe extern "C" fn HP_Client_GetPendingDataLength(h: H, out: *mut c_int) -> BOOL {
    ffi!(FALSE, {
        if out.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        with_cli!(h, FALSE, |c| match c.pending_data_length() {
            Ok(v) => {
                *out = v.min(c_int::MAX as usize) as c_int;
                TRUE
            }
            Err(e) => fail(&e),
        })
    })
}

prop_exports!(with_cli, H;
    HP_Client_GetOnSendSyncPolicy / HP_Client_SetOnSendSyncPolicy: c_int => on_send_sync_policy / set_on_send_sync_policy;
    HP_Client_GetFreeBufferPoolSize / HP_Client_SetFreeBufferPoolSize: u32 => free_buffer_pool_size / set_free_buffer_pool_size;
    HP_Client_GetFreeBufferPoolHold / HP_Client_SetFreeBufferPoolHold: u32 => free_buffer_pool_hold / set_free_buffer_pool_hold;
    HP_Client_GetReuseAddressPolicy / HP_Client_SetReuseAddressPolicy: c_int => reuse_address_policy / set_reuse_address_policy;
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
        let Some((content, hd, tl)) = crate::sys::small_file(file, head, tail) else {
            return FALSE;
        };
        let parts: Vec<&[u8]> = [hd, &content[..], tl]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        with_cli!(h, FALSE, |c| b(c.send_packets(&parts)))
    })
}

macro_rules! with_pack {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match CLIENTS.get($h).as_deref() {
            Some(Cli::Pack($c)) => $body,
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

fn pull_take(h: H, p: *mut u8, len: c_int, consume: bool) -> c_int {
    ffi!(FetchResult::DataNotFound as c_int, {
        if p.is_null() || len <= 0 {
            set_errno(libc::EINVAL);
            return FetchResult::LengthTooLong as c_int;
        }
        // SAFETY: the caller provides `len` writable bytes at `p`.
        let out = unsafe { std::slice::from_raw_parts_mut(p, len as usize) };
        match CLIENTS.get(h).as_deref() {
            Some(Cli::Pull(s)) => {
                if consume {
                    s.fetch(out) as c_int
                } else {
                    s.peek(out) as c_int
                }
            }
            _ => FetchResult::DataNotFound as c_int,
        }
    })
}

/// PULL: moves exactly `len` buffered bytes into `p`.
#[no_mangle]
pub extern "C" fn HP_TcpPullClient_Fetch(h: H, p: *mut u8, len: c_int) -> c_int {
    pull_take(h, p, len, true)
}

/// PULL: copies exactly `len` buffered bytes into `p` without consuming them.
#[no_mangle]
pub extern "C" fn HP_TcpPullClient_Peek(h: H, p: *mut u8, len: c_int) -> c_int {
    pull_take(h, p, len, false)
}
