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
#![allow(clippy::missing_safety_doc)] // every export is documented in include/HPSocket4C.h
#![allow(non_snake_case)] // the 4C names
#![allow(clippy::upper_case_acronyms)] // BOOL, WSABUF: the C names

pub mod agent;
pub mod client;
pub mod listener;
pub mod ops;
pub mod server;
pub mod sys;

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
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

pub(crate) fn conn_id(raw: usize) -> Option<ConnId> {
    ConnId::new(raw)
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
