//! The `SYS_*` helpers: socket options, addresses, byte order and errno.
//!
//! Layer 3 (families): imports only [`crate::marshal`].

use std::ffi::{c_char, c_int, c_void, CString};
use std::net::{IpAddr, ToSocketAddrs};
use std::os::fd::BorrowedFd;

use socket2::SockRef;

use crate::marshal::{cstr, errno, ffi, set_errno, write_addr, write_str, BOOL, FALSE, TRUE};

/// The calling thread's errno.
#[no_mangle]
pub extern "C" fn SYS_GetLastError() -> u32 {
    errno() as u32
}

/// `strerror` of the calling thread's errno (valid until the next call on this thread).
#[no_mangle]
pub extern "C" fn SYS_GetLastErrorStr() -> *const c_char {
    thread_local! {
        static MSG: std::cell::RefCell<CString> = std::cell::RefCell::new(CString::default());
    }
    let e = errno();
    let text = std::io::Error::from_raw_os_error(e).to_string();
    MSG.with(|m| {
        *m.borrow_mut() = CString::new(text).unwrap_or_default();
        m.borrow().as_ptr()
    })
}

fn sock(fd: c_int) -> Option<BorrowedFd<'static>> {
    if fd < 0 {
        set_errno(libc::EBADF);
        return None;
    }
    // SAFETY: the caller names an open socket it owns for the duration of the call; the
    // reference does not outlive it.
    Some(unsafe { BorrowedFd::borrow_raw(fd) })
}

fn rc(r: std::io::Result<()>) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => {
            set_errno(e.raw_os_error().unwrap_or(libc::EIO));
            -1
        }
    }
}

/// `setsockopt`.
#[no_mangle]
pub unsafe extern "C" fn SYS_SetSocketOption(
    s: c_int,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: c_int,
) -> c_int {
    libc::setsockopt(s, level, name, val, len as libc::socklen_t)
}

/// `getsockopt`.
#[no_mangle]
pub unsafe extern "C" fn SYS_GetSocketOption(
    s: c_int,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    len: *mut c_int,
) -> c_int {
    if len.is_null() {
        set_errno(libc::EINVAL);
        return -1;
    }
    let mut l = *len as libc::socklen_t;
    let r = libc::getsockopt(s, level, name, val, &mut l);
    *len = l as c_int;
    r
}

/// `ioctl`.
#[no_mangle]
pub unsafe extern "C" fn SYS_IoctlSocket(
    s: c_int,
    cmd: libc::c_long,
    arg: *mut libc::c_ulong,
) -> c_int {
    libc::ioctl(s, cmd as libc::Ioctl, arg)
}

/// Sets (`set`) or clears file status flags `fl`.
#[no_mangle]
pub extern "C" fn SYS_fcntl_SETFL(fd: c_int, fl: c_int, set: BOOL) -> BOOL {
    // SAFETY: fcntl on a caller-provided descriptor; failures are reported, not UB.
    unsafe {
        let cur = libc::fcntl(fd, libc::F_GETFL);
        if cur < 0 {
            return FALSE;
        }
        let new = if set != 0 { cur | fl } else { cur & !fl };
        (libc::fcntl(fd, libc::F_SETFL, new) == 0) as BOOL
    }
}

/// Non-blocking mode on or off.
#[no_mangle]
pub extern "C" fn SYS_SSO_NoBlock(s: c_int, on: BOOL) -> c_int {
    ffi!(-1, {
        sock(s).map_or(-1, |b| rc(SockRef::from(&b).set_nonblocking(on != 0)))
    })
}

/// `TCP_NODELAY`.
#[no_mangle]
pub extern "C" fn SYS_SSO_NoDelay(s: c_int, on: BOOL) -> c_int {
    ffi!(-1, {
        sock(s).map_or(-1, |b| rc(SockRef::from(&b).set_tcp_nodelay(on != 0)))
    })
}

/// `SO_LINGER` off (`dont`) or on with 0 s.
#[no_mangle]
pub extern "C" fn SYS_SSO_DontLinger(s: c_int, dont: BOOL) -> c_int {
    ffi!(-1, {
        let l = (dont == 0).then_some(std::time::Duration::ZERO);
        sock(s).map_or(-1, |b| rc(SockRef::from(&b).set_linger(l)))
    })
}

/// `SO_LINGER`.
#[no_mangle]
pub extern "C" fn SYS_SSO_Linger(s: c_int, onoff: u16, secs: u16) -> c_int {
    ffi!(-1, {
        let l = (onoff != 0).then(|| std::time::Duration::from_secs(secs as u64));
        sock(s).map_or(-1, |b| rc(SockRef::from(&b).set_linger(l)))
    })
}

/// `SO_RCVBUF`.
#[no_mangle]
pub extern "C" fn SYS_SSO_RecvBuffSize(s: c_int, size: c_int) -> c_int {
    ffi!(-1, {
        sock(s).map_or(-1, |b| {
            rc(SockRef::from(&b).set_recv_buffer_size(size.max(0) as usize))
        })
    })
}

/// `SO_SNDBUF`.
#[no_mangle]
pub extern "C" fn SYS_SSO_SendBuffSize(s: c_int, size: c_int) -> c_int {
    ffi!(-1, {
        sock(s).map_or(-1, |b| {
            rc(SockRef::from(&b).set_send_buffer_size(size.max(0) as usize))
        })
    })
}

/// `SO_RCVTIMEO` in ms.
#[no_mangle]
pub extern "C" fn SYS_SSO_RecvTimeOut(s: c_int, ms: c_int) -> c_int {
    ffi!(-1, {
        let t = (ms > 0).then(|| std::time::Duration::from_millis(ms as u64));
        sock(s).map_or(-1, |b| rc(SockRef::from(&b).set_read_timeout(t)))
    })
}

/// `SO_SNDTIMEO` in ms.
#[no_mangle]
pub extern "C" fn SYS_SSO_SendTimeOut(s: c_int, ms: c_int) -> c_int {
    ffi!(-1, {
        let t = (ms > 0).then(|| std::time::Duration::from_millis(ms as u64));
        sock(s).map_or(-1, |b| rc(SockRef::from(&b).set_write_timeout(t)))
    })
}

/// Reuse policy: 0 none, 1 `SO_REUSEADDR`, 2 also `SO_REUSEPORT` (5.2 passes a BOOL: 0 / 1).
#[no_mangle]
pub extern "C" fn SYS_SSO_ReuseAddress(s: c_int, policy: c_int) -> c_int {
    ffi!(-1, {
        sock(s).map_or(-1, |b| {
            let k = SockRef::from(&b);
            let r = k.set_reuse_address(policy != 0);
            if r.is_ok() && policy == 2 {
                return rc(k.set_reuse_port(true));
            }
            rc(r)
        })
    })
}

unsafe fn sock_addr(
    s: c_int,
    remote: bool,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    let Some(b) = sock(s) else { return FALSE };
    let k = SockRef::from(&b);
    let a = if remote {
        k.peer_addr()
    } else {
        k.local_addr()
    };
    match a.ok().and_then(|a| a.as_socket()) {
        Some(a) => write_addr(a, buf, len, port),
        None => {
            set_errno(libc::ENOTCONN);
            FALSE
        }
    }
}

/// Local address of a socket.
#[no_mangle]
pub unsafe extern "C" fn SYS_GetSocketLocalAddress(
    s: c_int,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, { sock_addr(s, false, buf, len, port) })
}

/// Remote address of a socket.
#[no_mangle]
pub unsafe extern "C" fn SYS_GetSocketRemoteAddress(
    s: c_int,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    ffi!(FALSE, { sock_addr(s, true, buf, len, port) })
}

/// `En_HP_IPAddrType`: 0 all, 1 IPv4, 2 IPv6.
fn ip_type(ip: &IpAddr) -> c_int {
    if ip.is_ipv4() {
        1
    } else {
        2
    }
}

fn resolve(host: &str, want: c_int) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => (host, 0u16)
            .to_socket_addrs()
            .map(|it| it.map(|a| a.ip()).collect())
            .unwrap_or_default(),
    };
    out.retain(|ip| want == 0 || ip_type(ip) == want);
    out.dedup();
    out
}

/// One entry of `SYS_EnumHostIPAddresses`.
#[repr(C)]
pub struct TIPAddr {
    /// `En_HP_IPAddrType`.
    pub kind: c_int,
    /// The address as text.
    pub address: *mut c_char,
}

/// Resolves `host` to its addresses: a NULL-terminated array of entries, freed with
/// `SYS_FreeHostIPAddresses`.
#[no_mangle]
pub unsafe extern "C" fn SYS_EnumHostIPAddresses(
    host: *const c_char,
    kind: c_int,
    out: *mut *mut *mut TIPAddr,
    count: *mut c_int,
) -> BOOL {
    ffi!(FALSE, {
        let (Some(host), false, false) = (cstr(host), out.is_null(), count.is_null()) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        let ips = resolve(host, kind);
        *count = ips.len() as c_int;
        if ips.is_empty() {
            *out = std::ptr::null_mut();
            set_errno(libc::EHOSTUNREACH);
            return FALSE;
        }
        let mut v: Vec<*mut TIPAddr> = ips
            .iter()
            .map(|ip| {
                Box::into_raw(Box::new(TIPAddr {
                    kind: ip_type(ip),
                    address: CString::new(ip.to_string()).unwrap_or_default().into_raw(),
                }))
            })
            .collect();
        v.push(std::ptr::null_mut());
        *out = Box::into_raw(v.into_boxed_slice()) as *mut *mut TIPAddr;
        TRUE
    })
}

/// Frees what `SYS_EnumHostIPAddresses` returned.
#[no_mangle]
pub unsafe extern "C" fn SYS_FreeHostIPAddresses(list: *mut *mut TIPAddr) -> BOOL {
    ffi!(FALSE, {
        if list.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        let mut n = 0;
        while !(*list.add(n)).is_null() {
            let e = Box::from_raw(*list.add(n));
            drop(CString::from_raw(e.address));
            n += 1;
        }
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            list,
            n + 1,
        )));
        TRUE
    })
}

/// Whether `addr` is an IP address literal, and of which type.
#[no_mangle]
pub unsafe extern "C" fn SYS_IsIPAddress(addr: *const c_char, kind: *mut c_int) -> BOOL {
    ffi!(FALSE, {
        match cstr(addr).and_then(|a| a.parse::<IpAddr>().ok()) {
            Some(ip) => {
                if !kind.is_null() {
                    *kind = ip_type(&ip);
                }
                TRUE
            }
            None => FALSE,
        }
    })
}

/// The first IP address of `host` as text.
#[no_mangle]
pub unsafe extern "C" fn SYS_GetIPAddress(
    host: *const c_char,
    buf: *mut c_char,
    len: *mut c_int,
    kind: *mut c_int,
) -> BOOL {
    ffi!(FALSE, {
        let Some(host) = cstr(host) else {
            set_errno(libc::EINVAL);
            return FALSE;
        };
        match resolve(host, 0).first() {
            Some(ip) => {
                if !kind.is_null() {
                    *kind = ip_type(ip);
                }
                write_str(&ip.to_string(), buf, len)
            }
            None => {
                set_errno(libc::EHOSTUNREACH);
                FALSE
            }
        }
    })
}

/// Network to host byte order, 64 bits.
#[no_mangle]
pub extern "C" fn SYS_NToH64(v: u64) -> u64 {
    u64::from_be(v)
}

/// Host to network byte order, 64 bits.
#[no_mangle]
pub extern "C" fn SYS_HToN64(v: u64) -> u64 {
    v.to_be()
}

/// Swaps the bytes of a 16-bit value.
#[no_mangle]
pub extern "C" fn SYS_SwapEndian16(v: u16) -> u16 {
    v.swap_bytes()
}

/// Swaps the bytes of a 32-bit value.
#[no_mangle]
pub extern "C" fn SYS_SwapEndian32(v: u32) -> u32 {
    v.swap_bytes()
}

/// TRUE on little-endian machines.
#[no_mangle]
pub extern "C" fn SYS_IsLittleEndian() -> BOOL {
    cfg!(target_endian = "little") as BOOL
}

// ---- memory (HP-Socket 5.8) ----

/// `malloc` (libc's, so that `free` — and a socket task in `TBT_ATTACH` mode — can release
/// it). NULL with errno `EINVAL` for a negative size, `ENOMEM` when out of memory.
#[no_mangle]
pub extern "C" fn SYS_Malloc(size: c_int) -> *mut u8 {
    if size < 0 {
        set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    }
    // SAFETY: plain libc allocation.
    unsafe { libc::malloc(size as usize) as *mut u8 }
}

/// `realloc` (libc's). NULL with errno `EINVAL` for a negative size (`p` untouched).
#[no_mangle]
pub unsafe extern "C" fn SYS_Realloc(p: *mut u8, size: c_int) -> *mut u8 {
    if size < 0 {
        set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    }
    libc::realloc(p as *mut c_void, size as usize) as *mut u8
}

/// `free` (libc's): releases what `SYS_Malloc`, `SYS_Realloc`, `SYS_Calloc` or `SYS_Alloca`
/// returned.
#[no_mangle]
pub unsafe extern "C" fn SYS_Free(p: *mut u8) {
    libc::free(p as *mut c_void)
}

/// `calloc` (libc's). NULL with errno `EINVAL` for a negative count or size.
#[no_mangle]
pub extern "C" fn SYS_Calloc(number: c_int, size: c_int) -> *mut c_void {
    if number < 0 || size < 0 {
        set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    }
    // SAFETY: plain libc allocation (calloc checks the product for overflow).
    unsafe { libc::calloc(number as usize, size as usize) }
}

/// HP-Socket's `SYS_Alloca` returns `alloca` memory of its own frame, gone when it returns; a
/// function cannot hand stack memory to its caller. This one returns `malloc` memory instead:
/// valid until released with `SYS_Free` (not released, it leaks). Errors as `SYS_Malloc`.
#[no_mangle]
pub extern "C" fn SYS_Alloca(size: c_int) -> *mut u8 {
    SYS_Malloc(size)
}
