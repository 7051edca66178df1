//! HP-Socket's "4C" C API over `hpsocket`: same function names, signatures, enum values and
//! return conventions as `libhpsocket4c`, so programs written for HP-Socket can link this
//! library instead.
//!
//! This crate only maps: every behaviour lives in `hpsocket`. Conventions:
//! - Objects (components and listeners) are handles into a registry of live objects, so a
//!   call on a destroyed or never-created object fails cleanly (FALSE, `errno` = `EBADF`)
//!   instead of touching freed memory.
//! - Every exported function catches panics; a failing call returns FALSE / 0 / NULL with
//!   `errno` set (read it with `SYS_GetLastError`).
//! - Callbacks run on the worker threads, as in the original.
#![deny(missing_docs)]
#![allow(clippy::missing_safety_doc)] // every export is documented in include/HPSocket4C.h
#![allow(non_snake_case)] // the 4C names
#![allow(clippy::upper_case_acronyms)] // BOOL, WSABUF: the C names

pub mod agent;
pub mod client;
pub mod codec;
pub mod listener;
pub mod ops;
pub mod pending;
pub mod server;
pub mod ssl;
pub mod sys;
pub mod udp;

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hpsocket::{ConnId, Error, SocketError};
use parking_lot::RwLock;

pub(crate) type BOOL = c_int;
pub(crate) const TRUE: BOOL = 1;
pub(crate) const FALSE: BOOL = 0;

/// Sets the calling thread's `errno`.
pub(crate) fn set_errno(e: c_int) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = e }
}

pub(crate) fn errno() -> c_int {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() }
}

/// Runs an export body, turning a panic into `fail` with errno EFAULT.
macro_rules! ffi {
    ($fail:expr, $body:block) => {{
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => {
                $crate::set_errno(libc::EFAULT);
                $fail
            }
        }
    }};
}
pub(crate) use ffi;

/// Maps a Rust result to BOOL, setting errno on failure.
pub(crate) fn b(r: hpsocket::Result<()>) -> BOOL {
    match r {
        Ok(()) => TRUE,
        Err(e) => fail(&e),
    }
}

pub(crate) fn fail(e: &Error) -> BOOL {
    set_errno(e.errno());
    FALSE
}

/// A connection ID argument; 0 sets errno `EBADSLT` (HP-Socket's "object not found").
pub(crate) fn need_id(raw: usize) -> Option<ConnId> {
    let id = ConnId::new(raw);
    if id.is_none() {
        set_errno(libc::EBADSLT);
    }
    id
}

/// Stores a successful result through an out pointer (NULL: `EINVAL`), or reports the error.
pub(crate) unsafe fn put<T, C>(
    out: *mut C,
    r: hpsocket::Result<T>,
    conv: impl FnOnce(T) -> C,
) -> BOOL {
    if out.is_null() {
        set_errno(libc::EINVAL);
        return FALSE;
    }
    match r {
        Ok(v) => {
            *out = conv(v);
            TRUE
        }
        Err(e) => fail(&e),
    }
}

/// Maps a `(host, port)` result to the C out-parameters.
pub(crate) unsafe fn put_host(
    r: hpsocket::Result<(String, u16)>,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    match r {
        Ok((host, p)) => {
            let ok = write_str(&host, buf, len);
            if ok == TRUE && !port.is_null() {
                *port = p;
            }
            ok
        }
        Err(e) => fail(&e),
    }
}

/// Maps an address result to the C out-parameters.
pub(crate) unsafe fn put_addr(
    r: hpsocket::Result<std::net::SocketAddr>,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    match r {
        Ok(a) => write_addr(a, buf, len, port),
        Err(e) => fail(&e),
    }
}

/// What Create / Destroy need of a component of any role and model.
pub(crate) trait Component: Send + Sync + 'static {
    fn has_started(&self) -> bool;
    fn stop(&self) -> hpsocket::Result<()>;
    fn wait(&self, t: Option<std::time::Duration>) -> bool;
}

/// A `match` over the variants of a role's enum (the three receive models, plain and SSL,
/// plus the role's UDP variants `[$x]`), binding `$c` to the component. The SSL and UDP
/// variants dereference to their component, so one body serves all. With `else`, variants
/// not listed take the fallback.
macro_rules! each_variant {
    ($e:ident, $o:expr, [$($x:ident),*], |$c:ident| $body:expr $(, else $other:expr)?) => {
        match $o {
            $e::Push($c) => $body,
            $e::Pull($c) => $body,
            $e::Pack($c) => $body,
            $e::SslPush($c) => $body,
            $e::SslPull($c) => $body,
            $e::SslPack($c) => $body,
            $($e::$x($c) => $body,)*
            $(
                #[allow(unreachable_patterns)]
                _ => $other,
            )?
        }
    };
}
pub(crate) use each_variant;

/// Implements [`Component`] for a role's enum with UDP variants `[$x]`.
macro_rules! component_enum {
    ($e:ident, [$($x:ident),*]) => {
        impl $crate::Component for $e {
            fn has_started(&self) -> bool {
                $crate::each_variant!($e, self, [$($x),*], |c| c.has_started())
            }
            fn stop(&self) -> hpsocket::Result<()> {
                $crate::each_variant!($e, self, [$($x),*], |c| c.stop())
            }
            fn wait(&self, t: Option<std::time::Duration>) -> bool {
                $crate::each_variant!($e, self, [$($x),*], |c| c.wait(t))
            }
        }
    };
}
pub(crate) use component_enum;

/// Runs `$body` with `$c` bound to the component behind handle `$h` in registry `$reg`,
/// whatever its receive model and transport (`$e` is the role's enum, `[$x]` the UDP
/// variants the body applies to). A component of a variant not listed fails with errno
/// EINVAL: a TCP-only function called on a UDP component.
macro_rules! with_any {
    ($reg:ident, $e:ident, [$($x:ident),*], $h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match $reg.get($h) {
            None => $fail,
            Some(o) => $crate::each_variant!($e, &*o, [$($x),*], |$c| $body, else {
                $crate::set_errno(libc::EINVAL);
                $fail
            }),
        }
    };
}
pub(crate) use with_any;

/// The `Create_HP_*` / `Destroy_HP_*` exports of one role: one pair per receive model and
/// transport.
macro_rules! lifecycle_exports {
    ($reg:ident, $e:ident; $($create:ident / $destroy:ident => $variant:ident($ty:ty);)*) => {$(
        /// Creates a component reporting to `listener` (NULL if it is not a listener).
        #[no_mangle]
        pub extern "C" fn $create(listener: *mut std::ffi::c_void) -> *mut std::ffi::c_void {
            // `into`: the SSL variants wrap their component with its SSL state.
            $crate::create(&$reg, listener, |br| $e::$variant(<$ty>::new(br).into()))
        }
        /// Destroys a component, stopping it first.
        #[no_mangle]
        pub extern "C" fn $destroy(h: *mut std::ffi::c_void) {
            $crate::destroy(&$reg, h)
        }
    )*};
}
pub(crate) use lifecycle_exports;

/// `Create_HP_*`: a component reporting to `listener`, registered under a new handle that
/// its callbacks receive as `pSender`.
pub(crate) fn create<T: Component>(
    reg: &Registry<T>,
    listener: *mut c_void,
    make: impl FnOnce(listener::Bridge) -> T,
) -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        let Some(br) = listener::bridge(listener) else {
            return std::ptr::null_mut();
        };
        let h = new_handle();
        br.sender.store(h, Ordering::Release);
        reg.insert(h, Arc::new(make(br)));
        h as *mut c_void
    })
}

/// `Destroy_HP_*`: unregisters the handle (later calls fail with EBADF), stops the component
/// if it runs and waits (bounded) for it.
pub(crate) fn destroy<T: Component>(reg: &Registry<T>, h: *mut c_void) {
    ffi!((), {
        if let Some(c) = reg.remove(h) {
            if c.has_started() {
                let _ = c.stop();
                c.wait(Some(std::time::Duration::from_secs(30)));
            }
        }
    })
}

/// PULL `Fetch` / `Peek` over a C buffer; `take` runs on the PULL component, or is `None`
/// when the handle is not a PULL component of the role.
pub(crate) fn pull_take(
    p: *mut u8,
    len: c_int,
    take: impl FnOnce(&mut [u8]) -> Option<hpsocket::FetchResult>,
) -> c_int {
    ffi!(hpsocket::FetchResult::DataNotFound as c_int, {
        if p.is_null() || len <= 0 {
            set_errno(libc::EINVAL);
            return hpsocket::FetchResult::LengthTooLong as c_int;
        }
        // SAFETY: the caller provides `len` writable bytes at `p`.
        let out = unsafe { std::slice::from_raw_parts_mut(p, len as usize) };
        take(out).unwrap_or(hpsocket::FetchResult::DataNotFound) as c_int
    })
}

/// Reads a C string argument; NULL is `None`.
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        None
    } else {
        CStr::from_ptr(p).to_str().ok()
    }
}

/// Writes `s` NUL-terminated into a caller buffer of `*len` bytes; on success `*len` becomes
/// the string length plus one. A buffer too small (or NULL) fails with `*len` set to the size
/// needed and errno `EINVAL`.
pub(crate) unsafe fn write_str(s: &str, buf: *mut c_char, len: *mut c_int) -> BOOL {
    if len.is_null() {
        set_errno(libc::EINVAL);
        return FALSE;
    }
    let need = s.len() + 1;
    if buf.is_null() || (*len as isize) < need as isize {
        *len = need as c_int;
        set_errno(libc::EINVAL);
        return FALSE;
    }
    std::ptr::copy_nonoverlapping(s.as_ptr(), buf as *mut u8, s.len());
    *buf.add(s.len()) = 0;
    *len = need as c_int;
    TRUE
}

pub(crate) unsafe fn write_addr(
    a: std::net::SocketAddr,
    buf: *mut c_char,
    len: *mut c_int,
    port: *mut u16,
) -> BOOL {
    let r = write_str(&a.ip().to_string(), buf, len);
    if r == TRUE && !port.is_null() {
        *port = a.port();
    }
    r
}

// ---- the registry of live objects ----

static NEXT_HANDLE: AtomicUsize = AtomicUsize::new(0x1000);

/// Live objects by handle. Handles are never reused, so a stale handle cannot reach a newer
/// object.
pub(crate) struct Registry<T> {
    map: RwLock<HashMap<usize, Arc<T>>>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            map: RwLock::new(HashMap::new()),
        }
    }
}

pub(crate) fn new_handle() -> usize {
    // Handles look like aligned pointers to C code; 16-byte steps keep them aligned.
    NEXT_HANDLE.fetch_add(16, Ordering::Relaxed)
}

impl<T> Registry<T> {
    pub fn insert(&self, h: usize, v: Arc<T>) {
        self.map.write().insert(h, v);
    }
    pub fn get(&self, h: *mut std::ffi::c_void) -> Option<Arc<T>> {
        let r = self.map.read().get(&(h as usize)).cloned();
        if r.is_none() {
            set_errno(libc::EBADF);
        }
        r
    }
    pub fn remove(&self, h: *mut std::ffi::c_void) -> Option<Arc<T>> {
        self.map.write().remove(&(h as usize))
    }
}

// ---- global functions ----

/// Version of the 4C API this library implements (5.8.x): (major<<24)|(minor<<16)|(rev<<8)|build.
#[no_mangle]
pub extern "C" fn HP_GetHPSocketVersion() -> u32 {
    (5 << 24) | (8 << 16) | (6 << 8) | 1
}

static DESCS: [&CStr; 17] = [
    c"SUCCESS",
    c"Illegal State",
    c"Invalid Parameter",
    c"Create SOCKET Fail",
    c"Bind SOCKET Fail",
    c"Prepare SOCKET Fail",
    c"Listen SOCKET Fail",
    c"Create IOCP Fail",
    c"Create Worker Thread Fail",
    c"Create Detector Thread Fail",
    c"Attach SOCKET to IOCP Fail",
    c"Connect to Server Fail",
    c"Network Error",
    c"Process Data Error",
    c"Send Data Fail",
    c"SSL environment not ready",
    c"UNKNOWN ERROR",
];

pub(crate) fn error_desc(code: c_int) -> *const c_char {
    let i = match code {
        0..=14 => code as usize,
        101 => 15,
        _ => 16,
    };
    DESCS[i].as_ptr()
}

/// English description of an `En_HP_SocketError` code (static string).
#[no_mangle]
pub extern "C" fn HP_GetSocketErrorDesc(code: c_int) -> *const c_char {
    error_desc(code)
}

pub(crate) fn code(e: SocketError) -> c_int {
    e as c_int
}
