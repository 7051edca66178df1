//! Layer 1 of 3, FFI marshalling: the C types the exports take (`BOOL`, `WSABUF`), errno,
//! the panic guard every export runs in (`ffi!`), and the conversions between Rust results,
//! strings, addresses and buffers and their C forms. It imports nothing from the crate; the
//! roles (layer 2) and the families (layer 3) build on it.

use std::ffi::{c_char, c_int, CStr};
use std::os::unix::ffi::OsStrExt;

use hpsocket::{ConnId, Error, SocketError};

/// The C `BOOL`.
pub(crate) type BOOL = c_int;
/// The C `TRUE`.
pub(crate) const TRUE: BOOL = 1;
/// The C `FALSE`.
pub(crate) const FALSE: BOOL = 0;

/// Sets the calling thread's `errno`.
pub(crate) fn set_errno(e: c_int) {
    // SAFETY: __errno_location returns this thread's errno slot.
    unsafe { *libc::__errno_location() = e }
}

/// The calling thread's `errno`.
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
                $crate::marshal::set_errno(libc::EFAULT);
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

/// Sets errno for `e`; FALSE.
pub(crate) fn fail(e: &Error) -> BOOL {
    set_errno(e.errno());
    FALSE
}

/// A result for a C function returning nothing: errno is the only way to report the failure.
pub(crate) fn or_errno(r: hpsocket::Result<()>) {
    if let Err(e) = r {
        set_errno(e.errno());
    }
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

/// Reads a required C string argument; NULL and invalid UTF-8 are `None` (the caller fails
/// with `EINVAL`).
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        None
    } else {
        CStr::from_ptr(p).to_str().ok()
    }
}

/// Reads an optional C string argument: NULL is `None`; text that is not UTF-8 fails (errno
/// `EINVAL`) rather than being taken for "none".
pub(crate) unsafe fn opt_str<'a>(p: *const c_char) -> Result<Option<&'a str>, ()> {
    if p.is_null() {
        return Ok(None);
    }
    match cstr(p) {
        Some(s) => Ok(Some(s)),
        None => {
            set_errno(libc::EINVAL);
            Err(())
        }
    }
}

/// Reads a file name argument as bytes, as Linux paths are (they need not be UTF-8); NULL
/// fails (errno `EINVAL`).
pub(crate) unsafe fn file_path<'a>(p: *const c_char) -> Option<&'a std::path::Path> {
    if p.is_null() {
        set_errno(libc::EINVAL);
        return None;
    }
    let b = CStr::from_ptr(p).to_bytes();
    Some(std::path::Path::new(std::ffi::OsStr::from_bytes(b)))
}

/// Reads an optional C string argument (a bind or local address): NULL is `None`. Bytes that
/// are not UTF-8 are replaced (U+FFFD), never dropped: the result is then no IP address, so
/// the component refuses it exactly as it refuses any bad address (FALSE, errno `EINVAL`,
/// its own last error `SE_SOCKET_CREATE`). Taking a mangled address for "none" would bind
/// every interface instead of the one the caller named.
pub(crate) unsafe fn opt_addr<'a>(p: *const c_char) -> Option<std::borrow::Cow<'a, str>> {
    (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy())
}

thread_local! {
    /// The handles (`pSender`) whose C callbacks this thread is running, innermost last.
    static IN_CALLBACK: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs a C callback of component `sender`, marking the thread as inside it, so that the
/// exports it calls back into know not to block on that component (see [`in_callback`]).
pub(crate) fn c_callback<R>(sender: usize, f: impl FnOnce() -> R) -> R {
    struct Pop;
    impl Drop for Pop {
        // A drop guard, so a callback that unwinds (a Rust caller's panic) still pops.
        fn drop(&mut self) {
            IN_CALLBACK.with(|v| v.borrow_mut().pop());
        }
    }
    IN_CALLBACK.with(|v| v.borrow_mut().push(sender));
    let _pop = Pop;
    f()
}

/// True while this thread runs a C callback (of any component: `None`) or one of component
/// `sender`'s. Waiting there for a component to stop could wait for this very callback.
pub(crate) fn in_callback(sender: Option<usize>) -> bool {
    IN_CALLBACK.with(|v| {
        let v = v.borrow();
        match sender {
            None => !v.is_empty(),
            Some(h) => v.contains(&h),
        }
    })
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

/// Writes an address as text into a caller buffer (see [`write_str`]) and its port.
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

/// `WSABUF`: length first, then the pointer.
#[repr(C)]
pub struct WSABUF {
    /// Bytes at `buf`.
    pub len: u32,
    /// The first byte.
    pub buf: *const u8,
}

/// Borrows a C buffer; NULL with a non-zero length, or a negative length, is an error.
pub(crate) unsafe fn bytes<'a>(p: *const u8, len: c_int) -> Option<&'a [u8]> {
    if len < 0 || (p.is_null() && len > 0) {
        set_errno(libc::EINVAL);
        return None;
    }
    if len == 0 {
        return Some(&[]);
    }
    Some(std::slice::from_raw_parts(p, len as usize))
}

/// Borrows a C array of `WSABUF`s (NULL or `count` <= 0: EINVAL).
pub(crate) unsafe fn wsabufs<'a>(p: *const WSABUF, count: c_int) -> Option<Vec<&'a [u8]>> {
    if p.is_null() || count <= 0 {
        set_errno(libc::EINVAL);
        return None;
    }
    let v = std::slice::from_raw_parts(p, count as usize);
    // `count` is the caller's: a bogus one must fail (ENOMEM), not abort the process.
    let mut out = Vec::new();
    if out.try_reserve_exact(v.len()).is_err() {
        set_errno(libc::ENOMEM);
        return None;
    }
    for w in v {
        out.push(bytes(w.buf, w.len as c_int)?);
    }
    Some(out)
}

/// Files up to this size go through `SendSmallFile` (HP-Socket's limit).
const MAX_SMALL_FILE: u64 = 0x3F_FFFF;

/// Reads a small file and the optional head / tail buffers for `SendSmallFile`.
unsafe fn small_file<'a>(
    file: *const c_char,
    head: *const WSABUF,
    tail: *const WSABUF,
) -> Option<(Vec<u8>, &'a [u8], &'a [u8])> {
    let Some(path) = cstr(file) else {
        set_errno(libc::EINVAL);
        return None;
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            set_errno(e.raw_os_error().unwrap_or(libc::ENOENT));
            return None;
        }
    };
    if meta.len() == 0 || meta.len() > MAX_SMALL_FILE {
        set_errno(libc::EMSGSIZE);
        return None;
    }
    let content = match std::fs::read(path) {
        Ok(c) => c,
        Err(e) => {
            set_errno(e.raw_os_error().unwrap_or(libc::EIO));
            return None;
        }
    };
    let part = |w: *const WSABUF| -> Option<&'a [u8]> {
        if w.is_null() {
            return Some(&[]);
        }
        bytes((*w).buf, (*w).len as c_int)
    };
    Some((content, part(head)?, part(tail)?))
}

/// Runs `send` with head, the small file's bytes and tail as the parts of one send.
pub(crate) unsafe fn with_small_file(
    file: *const c_char,
    head: *const WSABUF,
    tail: *const WSABUF,
    send: impl FnOnce(&[&[u8]]) -> BOOL,
) -> BOOL {
    let Some((content, hd, tl)) = small_file(file, head, tail) else {
        return FALSE;
    };
    let parts: Vec<&[u8]> = [hd, &content[..], tl]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    send(&parts)
}

/// Conversions between property values and their C types.
pub(crate) trait CVal<C> {
    fn to_c(self) -> C;
    fn from_c(c: C) -> Self;
}

impl CVal<u32> for u32 {
    fn to_c(self) -> u32 {
        self
    }
    fn from_c(c: u32) -> u32 {
        c
    }
}

impl CVal<u16> for u16 {
    fn to_c(self) -> u16 {
        self
    }
    fn from_c(c: u16) -> u16 {
        c
    }
}

impl CVal<c_int> for bool {
    fn to_c(self) -> c_int {
        self as c_int
    }
    fn from_c(c: c_int) -> bool {
        c != 0
    }
}

impl CVal<c_int> for hpsocket::SendPolicy {
    fn to_c(self) -> c_int {
        self as c_int
    }
    fn from_c(c: c_int) -> Self {
        match c {
            1 => hpsocket::SendPolicy::Safe,
            2 => hpsocket::SendPolicy::Direct,
            _ => hpsocket::SendPolicy::Pack,
        }
    }
}

impl CVal<c_int> for hpsocket::OnSendSyncPolicy {
    fn to_c(self) -> c_int {
        self as c_int
    }
    fn from_c(c: c_int) -> Self {
        match c {
            1 => hpsocket::OnSendSyncPolicy::Close,
            2 => hpsocket::OnSendSyncPolicy::Receive,
            _ => hpsocket::OnSendSyncPolicy::None,
        }
    }
}

impl CVal<c_int> for hpsocket::ReuseAddressPolicy {
    fn to_c(self) -> c_int {
        self as c_int
    }
    fn from_c(c: c_int) -> Self {
        match c {
            0 => hpsocket::ReuseAddressPolicy::None,
            2 => hpsocket::ReuseAddressPolicy::AddrAndPort,
            _ => hpsocket::ReuseAddressPolicy::AddrOnly,
        }
    }
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

/// HP-Socket's description of an `En_HP_SocketError` code (static string).
pub(crate) fn error_desc(code: c_int) -> *const c_char {
    let i = match code {
        0..=14 => code as usize,
        101 => 15,
        _ => 16,
    };
    DESCS[i].as_ptr()
}

/// `En_HP_SocketError` as C sees it.
pub(crate) fn code(e: SocketError) -> c_int {
    e as c_int
}
