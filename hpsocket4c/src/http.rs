//! The HTTP family of HP-Socket 5.8's 4C API: `Create_HP_Http{Server,Agent,Client}` and their
//! HTTPS twins, the `HP_HttpServer_*`, `HP_HttpAgent_*` and `HP_HttpClient_*` functions
//! (sending requests and responses, the getters by connection ID, the properties). The
//! listener setters are the listener family's (`crate::listener`); the TCP operations on
//! HTTP components are the shared `HP_Server_*` / `HP_Agent_*` / `HP_Client_*` functions.
//!
//! The getters read the per-connection snapshots described in [`crate::roles::http`]: inside
//! an HTTP callback they answer for the message being parsed; outside, for the last message
//! whose head was complete. Strings they return stay valid until the next message begins on
//! the connection (or its `OnClose` returns). They fail (FALSE, NULL or 0) with errno
//! `EBADSLT` for an unknown or closed connection, `ENODATA` before its first message,
//! `EINVAL` for a handle that is not an HTTP component (our WebSocket ones are, for the
//! getters and a server's answers: see `with_http_or_ws!`) or a NULL argument.
//!
//! Layer 3 (families): imports only [`crate::marshal`] and [`crate::roles`].

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Arc;

use hpsocket::*;

use crate::marshal::{
    b, bytes, cstr, ffi, file_path, need_id, opt_str, or_errno, set_errno, BOOL, FALSE, TRUE,
};
use crate::roles::http::{with_http, with_http_or_ws, Http, HttpStore, Snapshot, SyncHttp};
use crate::roles::ssl::Ssl;
use crate::roles::{create, destroy, Agt, Cli, Srv, AGENTS, CLIENTS, SERVERS};

type H = *mut c_void;

/// `TNVPair` (`THeader`, `TCookie`): a name and a value, both C strings.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct TNVPair {
    /// The name.
    pub name: *const c_char,
    /// The value.
    pub value: *const c_char,
}

/// `En_HP_HttpVersion` values.
const HV_1_0: c_int = 0x0001;
const HV_1_1: c_int = 0x0101;

fn version_to_c(v: HttpVersion) -> c_int {
    match v {
        HttpVersion::V1_0 => HV_1_0,
        HttpVersion::V1_1 => HV_1_1,
    }
}

fn version_from_c(v: c_int) -> Option<HttpVersion> {
    match v {
        HV_1_0 => Some(HttpVersion::V1_0),
        HV_1_1 => Some(HttpVersion::V1_1),
        _ => None,
    }
}

// ---- Create / Destroy ----

macro_rules! http_lifecycle {
    ($reg:ident, $e:ident, $response:expr;
     $create:ident / $destroy:ident => Http($ty:ty);
     $screate:ident / $sdestroy:ident => Https($sty:ty);) => {
        /// Creates an HTTP component reporting to `listener` (NULL if it is not a listener).
        #[no_mangle]
        pub extern "C" fn $create(listener: H) -> H {
            create(&$reg, listener, |br| {
                let st = br.http.clone();
                if $response {
                    st.set_response();
                }
                $e::Http(Http::new(<$ty>::new(br), st))
            })
        }
        /// Destroys an HTTP component, stopping it first.
        #[no_mangle]
        pub extern "C" fn $destroy(h: H) {
            destroy(&$reg, h)
        }
        /// Creates an HTTPS component reporting to `listener`; set it up with the
        /// `HP_SSL*_SetupSSLContext` functions before starting it.
        #[no_mangle]
        pub extern "C" fn $screate(listener: H) -> H {
            create(&$reg, listener, |br| {
                let st = br.http.clone();
                if $response {
                    st.set_response();
                }
                $e::Https(Http::new(Ssl::from(<$sty>::new(br)), st))
            })
        }
        /// Destroys an HTTPS component, stopping it first.
        #[no_mangle]
        pub extern "C" fn $sdestroy(h: H) {
            destroy(&$reg, h)
        }
    };
}

http_lifecycle!(SERVERS, Srv, false;
    Create_HP_HttpServer / Destroy_HP_HttpServer => Http(HttpServer);
    Create_HP_HttpsServer / Destroy_HP_HttpsServer => Https(HttpsServer););
http_lifecycle!(AGENTS, Agt, true;
    Create_HP_HttpAgent / Destroy_HP_HttpAgent => Http(HttpAgent);
    Create_HP_HttpsAgent / Destroy_HP_HttpsAgent => Https(HttpsAgent););
http_lifecycle!(CLIENTS, Cli, true;
    Create_HP_HttpClient / Destroy_HP_HttpClient => Http(HttpClient);
    Create_HP_HttpsClient / Destroy_HP_HttpsClient => Https(HttpsClient););

// ---- arguments ----

/// A C array of `count` headers. NULL with a count above 0, a negative count, a NULL name
/// or text that is not UTF-8 is refused (EINVAL); a NULL value is empty.
unsafe fn c_headers<'a>(p: *const TNVPair, count: c_int) -> Option<Vec<(&'a str, &'a str)>> {
    if count < 0 || (p.is_null() && count > 0) {
        set_errno(libc::EINVAL);
        return None;
    }
    if count == 0 {
        return Some(Vec::new());
    }
    let v = std::slice::from_raw_parts(p, count as usize);
    let mut out = Vec::new();
    if out.try_reserve_exact(v.len()).is_err() {
        set_errno(libc::ENOMEM);
        return None;
    }
    for h in v {
        let name = cstr(h.name);
        let value = if h.value.is_null() {
            Some("")
        } else {
            cstr(h.value)
        };
        match (name, value) {
            (Some(n), Some(v)) => out.push((n, v)),
            _ => {
                set_errno(libc::EINVAL);
                return None;
            }
        }
    }
    Some(out)
}

/// A required C string (NULL or not UTF-8: EINVAL).
unsafe fn req_str<'a>(p: *const c_char) -> Option<&'a str> {
    let s = cstr(p);
    if s.is_none() {
        set_errno(libc::EINVAL);
    }
    s
}

/// A request path: NULL or empty is `/`, as in HP-Socket.
unsafe fn path_arg<'a>(p: *const c_char) -> Option<&'a str> {
    match opt_str(p) {
        Ok(None) | Ok(Some("")) => Some("/"),
        Ok(Some(s)) => Some(s),
        Err(()) => None,
    }
}

// ---- getters ----

/// The store and connection a getter reads: server and agent getters name the connection,
/// a client's is its own.
type Target = Option<(Arc<HttpStore>, ConnId)>;

fn srv(h: H, id: usize) -> Target {
    let id = need_id(id)?;
    with_http_or_ws!(SERVERS, Srv, h, None, |c| Some((c.store.clone(), id)))
}

fn agt(h: H, id: usize) -> Target {
    let id = need_id(id)?;
    with_http_or_ws!(AGENTS, Agt, h, None, |c| Some((c.store.clone(), id)))
}

fn cli(h: H) -> Target {
    let conn = |store: &Arc<HttpStore>, id: Option<ConnId>| match id {
        Some(id) => Some((store.clone(), id)),
        None => {
            set_errno(libc::EBADSLT);
            None
        }
    };
    match CLIENTS.get(h).as_deref() {
        Some(Cli::Http(c)) => conn(&c.store, c.connection_id()),
        Some(Cli::Https(c)) => conn(&c.store, c.connection_id()),
        Some(Cli::Ws(c)) => conn(&c.store, c.connection_id()),
        Some(Cli::Wss(c)) => conn(&c.store, c.connection_id()),
        // A sync client's getters read its last response, even after the connection closed.
        Some(Cli::Sync(c)) => Some((c.store.clone(), SyncHttp::<Plain>::id())),
        Some(Cli::SyncS(c)) => Some((c.store.clone(), SyncHttp::<Tls>::id())),
        Some(_) => {
            set_errno(libc::EINVAL);
            None
        }
        None => None,
    }
}

/// Runs `f` on the snapshot of the target (`h` is the component handle the callbacks see).
fn snap<R>(t: Target, h: H, fail: R, f: impl FnOnce(&Snapshot) -> R) -> R {
    let Some((store, id)) = t else { return fail };
    match store.read(h as usize, id, f) {
        Ok(r) => r,
        Err(m) => {
            set_errno(m.errno());
            fail
        }
    }
}

/// A getter's "not there" (a header or cookie the message lacks): errno `ENODATA`.
fn absent<R>(fail: R) -> R {
    set_errno(libc::ENODATA);
    fail
}

/// The first value of header `name` (NULL without one).
fn first_header(t: Target, h: H, name: &[u8]) -> *const c_char {
    snap(t, h, std::ptr::null(), |s| {
        s.header_values(name)
            .next()
            .unwrap_or_else(|| absent(std::ptr::null()))
    })
}

/// Writes up to `*count` values of an iterator into `out`, HP-Socket's way: a NULL array or a
/// zero count asks for the number (FALSE, `*count` set); otherwise TRUE when there was at
/// least one and all fitted, with `*count` the number there is.
unsafe fn fill<T>(out: *mut T, count: *mut u32, all: impl ExactSizeIterator<Item = T>) -> BOOL {
    let n = all.len() as u32;
    let cap = *count;
    *count = n;
    if out.is_null() || cap == 0 || n == 0 || n > cap {
        set_errno(if n == 0 { libc::ENODATA } else { libc::ENOBUFS });
        return FALSE;
    }
    for (i, v) in all.enumerate() {
        *out.add(i) = v;
    }
    TRUE
}

/// A getter of one value by name (a header, a cookie) through `*value`: NULL `name` or `value`
/// is EINVAL, a name the message lacks ENODATA. `t` runs after the argument checks.
unsafe fn by_name(
    t: impl FnOnce() -> Target,
    h: H,
    name: *const c_char,
    value: *mut *const c_char,
    find: impl FnOnce(&Snapshot, &[u8]) -> Option<*const c_char>,
) -> BOOL {
    if name.is_null() || value.is_null() {
        set_errno(libc::EINVAL);
        return FALSE;
    }
    let name = CStr::from_ptr(name).to_bytes();
    snap(t(), h, FALSE, |s| match find(s, name) {
        Some(v) => {
            *value = v;
            TRUE
        }
        None => absent(FALSE),
    })
}

/// A getter of a list, written out by [`fill`]: a NULL `count` is EINVAL. `t` runs after the
/// argument check.
unsafe fn list<T>(
    t: impl FnOnce() -> Target,
    h: H,
    out: *mut T,
    count: *mut u32,
    all: impl FnOnce(&Snapshot) -> Vec<T>,
) -> BOOL {
    if count.is_null() {
        set_errno(libc::EINVAL);
        return FALSE;
    }
    snap(t(), h, FALSE, |s| fill(out, count, all(s).into_iter()))
}

/// The getters every HTTP role has; `$($id)?` is the connection ID argument of servers and
/// agents (a client has none).
macro_rules! common_getters {
    ($target:ident, [$($id:ident)?];
     $is_upgrade:ident, $is_keep_alive:ident, $version:ident, $content_length:ident,
     $content_type:ident, $content_encoding:ident, $transfer_encoding:ident,
     $upgrade_type:ident, $parse_error:ident, $header:ident, $headers:ident,
     $all_headers:ident, $all_names:ident, $cookie:ident, $all_cookies:ident) => {
        /// Whether the message upgrades the connection (WebSocket, CONNECT tunnel, other).
        #[no_mangle]
        pub extern "C" fn $is_upgrade(h: H $(, $id: usize)?) -> BOOL {
            ffi!(FALSE, { snap($target(h $(, $id)?), h, FALSE, |s| (s.upgrade != UpgradeType::None) as BOOL) })
        }
        /// Whether the connection stays open after the message.
        #[no_mangle]
        pub extern "C" fn $is_keep_alive(h: H $(, $id: usize)?) -> BOOL {
            ffi!(FALSE, { snap($target(h $(, $id)?), h, FALSE, |s| s.keep_alive as BOOL) })
        }
        /// The message's HTTP version, `MAKEWORD(major, minor)` (0 on failure).
        #[no_mangle]
        pub extern "C" fn $version(h: H $(, $id: usize)?) -> u16 {
            ffi!(0, { snap($target(h $(, $id)?), h, 0, |s| s.version) })
        }
        /// The declared Content-Length (0 without one, or for a chunked body).
        #[no_mangle]
        pub extern "C" fn $content_length(h: H $(, $id: usize)?) -> u64 {
            ffi!(0, { snap($target(h $(, $id)?), h, 0, |s| s.content_length) })
        }
        /// The Content-Type field (NULL without one).
        #[no_mangle]
        pub extern "C" fn $content_type(h: H $(, $id: usize)?) -> *const c_char {
            ffi!(std::ptr::null(), { first_header($target(h $(, $id)?), h, b"Content-Type") })
        }
        /// The Content-Encoding field (NULL without one).
        #[no_mangle]
        pub extern "C" fn $content_encoding(h: H $(, $id: usize)?) -> *const c_char {
            ffi!(std::ptr::null(), { first_header($target(h $(, $id)?), h, b"Content-Encoding") })
        }
        /// The Transfer-Encoding field (NULL without one).
        #[no_mangle]
        pub extern "C" fn $transfer_encoding(h: H $(, $id: usize)?) -> *const c_char {
            ffi!(std::ptr::null(), { first_header($target(h $(, $id)?), h, b"Transfer-Encoding") })
        }
        /// `En_HP_HttpUpgradeType` of the message (HUT_NONE on failure).
        #[no_mangle]
        pub extern "C" fn $upgrade_type(h: H $(, $id: usize)?) -> c_int {
            ffi!(0, { snap($target(h $(, $id)?), h, 0, |s| s.upgrade as c_int) })
        }
        /// The parse error's code (`http_parser`'s `HPE_*`; 0 without one) and, through
        /// `desc` (may be NULL), its description ("HPE_OK" without one).
        #[no_mangle]
        pub unsafe extern "C" fn $parse_error(h: H $(, $id: usize)?, desc: *mut *const c_char) -> u16 {
            ffi!(0, {
                let Some((store, id)) = $target(h $(, $id)?) else { return 0 };
                match store.error(id) {
                    Ok((code, d)) => {
                        if !desc.is_null() {
                            *desc = d;
                        }
                        code
                    }
                    Err(m) => {
                        set_errno(m.errno());
                        0
                    }
                }
            })
        }
        /// The first value of header `name` (case-insensitive) through `*value`.
        #[no_mangle]
        pub unsafe extern "C" fn $header(h: H $(, $id: usize)?, name: *const c_char, value: *mut *const c_char) -> BOOL {
            ffi!(FALSE, {
                by_name(|| $target(h $(, $id)?), h, name, value, |s, n| s.header_values(n).next())
            })
        }
        /// Every value of header `name`: `*count` is the array's capacity in and the number
        /// of values out (a NULL array or 0 asks for the number: FALSE).
        #[no_mangle]
        pub unsafe extern "C" fn $headers(h: H $(, $id: usize)?, name: *const c_char, values: *mut *const c_char, count: *mut u32) -> BOOL {
            ffi!(FALSE, {
                if name.is_null() {
                    set_errno(libc::EINVAL);
                    return FALSE;
                }
                let name = CStr::from_ptr(name).to_bytes();
                list(|| $target(h $(, $id)?), h, values, count, |s| s.header_values(name).collect())
            })
        }
        /// Every header field as (name, value), in arrival order (trailers last).
        #[no_mangle]
        pub unsafe extern "C" fn $all_headers(h: H $(, $id: usize)?, out: *mut TNVPair, count: *mut u32) -> BOOL {
            ffi!(FALSE, {
                list(|| $target(h $(, $id)?), h, out, count, |s| {
                    s.headers().map(|(name, value)| TNVPair { name, value }).collect()
                })
            })
        }
        /// Every header name, in arrival order (a repeated field's name once per field).
        #[no_mangle]
        pub unsafe extern "C" fn $all_names(h: H $(, $id: usize)?, out: *mut *const c_char, count: *mut u32) -> BOOL {
            ffi!(FALSE, {
                list(|| $target(h $(, $id)?), h, out, count, |s| s.headers().map(|(n, _)| n).collect())
            })
        }
        /// The value of cookie `name` (case-sensitive) through `*value`: a request's `Cookie`
        /// fields, or the cookies a response sets (`Set-Cookie`).
        #[no_mangle]
        pub unsafe extern "C" fn $cookie(h: H $(, $id: usize)?, name: *const c_char, value: *mut *const c_char) -> BOOL {
            ffi!(FALSE, {
                by_name(|| $target(h $(, $id)?), h, name, value, |s, n| s.cookie(n))
            })
        }
        /// Every cookie as (name, value), one per name.
        #[no_mangle]
        pub unsafe extern "C" fn $all_cookies(h: H $(, $id: usize)?, out: *mut TNVPair, count: *mut u32) -> BOOL {
            ffi!(FALSE, {
                list(|| $target(h $(, $id)?), h, out, count, |s| {
                    s.cookies().into_iter().map(|(name, value)| TNVPair { name, value }).collect()
                })
            })
        }
    };
}

/// The properties and HTTP start control every HTTP role has.
macro_rules! common_props {
    ($reg:ident, $e:ident, [$($id:ident)?];
     $set_version:ident, $get_version:ident, $set_auto:ident, $is_auto:ident, $start_http:ident) => {
        /// Sets the HTTP version this side writes (`HV_1_0` or `HV_1_1`; other values, or a
        /// running component: ignored, errno EINVAL / EPERM).
        #[no_mangle]
        pub extern "C" fn $set_version(h: H, v: c_int) {
            ffi!((), {
                let Some(v) = version_from_c(v) else {
                    set_errno(libc::EINVAL);
                    return;
                };
                with_http!($reg, $e, h, (), |c| or_errno(c.set_http_local_version(v)))
            })
        }
        /// The HTTP version this side writes (`HV_1_1` by default).
        #[no_mangle]
        pub extern "C" fn $get_version(h: H) -> c_int {
            ffi!(HV_1_1, { with_http!($reg, $e, h, HV_1_1, |c| version_to_c(c.http_local_version())) })
        }
        /// Whether HTTP starts by itself on each connection (TRUE, the default) or waits for
        /// StartHttp; set while stopped (otherwise errno EPERM).
        #[no_mangle]
        pub extern "C" fn $set_auto(h: H, auto: BOOL) {
            ffi!((), {
                with_http!($reg, $e, h, (), |c| or_errno(c.set_http_auto_start(auto != FALSE)))
            })
        }
        /// Whether HTTP starts by itself (TRUE by default).
        #[no_mangle]
        pub extern "C" fn $is_auto(h: H) -> BOOL {
            ffi!(FALSE, { with_http!($reg, $e, h, FALSE, |c| c.http_auto_start() as BOOL) })
        }
        /// Starts HTTP on a connection when auto start is off, once (auto start on, or
        /// started already: FALSE, errno EPERM, as HP-Socket's).
        #[no_mangle]
        pub extern "C" fn $start_http(h: H $(, $id: usize)?) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                with_http!($reg, $e, h, FALSE, |c| b(c.start_http($($id)?)))
            })
        }
    };
}

// ---- server ----

/// Sends a whole response: status line (`desc` NULL: the standard reason phrase), the
/// headers, then the body. `Content-Length` and `Connection` are added unless given.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpServer_SendResponse(
    h: H,
    id: usize,
    status: u16,
    desc: *const c_char,
    headers: *const TNVPair,
    count: c_int,
    data: *const u8,
    len: c_int,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        let Ok(desc) = opt_str(desc) else {
            return FALSE;
        };
        let Some(hs) = c_headers(headers, count) else {
            return FALSE;
        };
        let Some(body) = bytes(data, len) else {
            return FALSE;
        };
        with_http_or_ws!(SERVERS, Srv, h, FALSE, |c| b(
            c.send_response(id, status, desc, &hs, body)
        ))
    })
}

/// Sends a file (up to 64 MiB) as the body of a response.
#[no_mangle]
pub unsafe extern "C" fn HP_HttpServer_SendLocalFile(
    h: H,
    id: usize,
    file: *const c_char,
    status: u16,
    desc: *const c_char,
    headers: *const TNVPair,
    count: c_int,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        let Some(file) = file_path(file) else {
            return FALSE;
        };
        let Ok(desc) = opt_str(desc) else {
            return FALSE;
        };
        let Some(hs) = c_headers(headers, count) else {
            return FALSE;
        };
        with_http_or_ws!(SERVERS, Srv, h, FALSE, |c| b(
            c.send_local_file(id, file, status, desc, &hs)
        ))
    })
}

/// Sends one chunk of a chunked response body (`len` 0: the last chunk).
#[no_mangle]
pub unsafe extern "C" fn HP_HttpServer_SendChunkData(
    h: H,
    id: usize,
    data: *const u8,
    len: c_int,
    extensions: *const c_char,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        let Some(d) = bytes(data, len) else {
            return FALSE;
        };
        let Ok(ext) = opt_str(extensions) else {
            return FALSE;
        };
        with_http_or_ws!(SERVERS, Srv, h, FALSE, |c| b(c.send_chunk_data(id, d, ext)))
    })
}

/// Closes the connection after the release delay, once what is queued is written; bytes
/// arriving meanwhile close it at once.
#[no_mangle]
pub extern "C" fn HP_HttpServer_Release(h: H, id: usize) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        with_http_or_ws!(SERVERS, Srv, h, FALSE, |c| b(c.release(id)))
    })
}

/// Sets the release delay in ms (0 ..= 60000; ignored while started or out of range).
#[no_mangle]
pub extern "C" fn HP_HttpServer_SetReleaseDelay(h: H, ms: u32) {
    ffi!((), {
        with_http_or_ws!(SERVERS, Srv, h, (), |c| or_errno(
            c.set_http_release_delay(ms)
        ))
    })
}

/// The release delay in ms (3000 by default).
#[no_mangle]
pub extern "C" fn HP_HttpServer_GetReleaseDelay(h: H) -> u32 {
    ffi!(0, {
        with_http_or_ws!(SERVERS, Srv, h, 0, |c| c.http_release_delay())
    })
}

/// `1 << field` for each `En_HP_HttpUrlField` the request URL has.
#[no_mangle]
pub extern "C" fn HP_HttpServer_GetUrlFieldSet(h: H, id: usize) -> u16 {
    ffi!(0, { snap(srv(h, id), h, 0, |s| s.url_field_set()) })
}

/// One field of the request URL ("" when the URL lacks it; NULL for a field out of range).
#[no_mangle]
pub extern "C" fn HP_HttpServer_GetUrlField(h: H, id: usize, field: c_int) -> *const c_char {
    ffi!(std::ptr::null(), {
        if !(0..7).contains(&field) {
            set_errno(libc::EINVAL);
            return std::ptr::null();
        }
        snap(srv(h, id), h, std::ptr::null(), |s| {
            s.url_field(field as usize)
        })
    })
}

/// The request method.
#[no_mangle]
pub extern "C" fn HP_HttpServer_GetMethod(h: H, id: usize) -> *const c_char {
    ffi!(std::ptr::null(), {
        snap(srv(h, id), h, std::ptr::null(), |s| s.method())
    })
}

/// The Host field (NULL without one).
#[no_mangle]
pub extern "C" fn HP_HttpServer_GetHost(h: H, id: usize) -> *const c_char {
    ffi!(std::ptr::null(), { first_header(srv(h, id), h, b"Host") })
}

common_getters!(srv, [id];
    HP_HttpServer_IsUpgrade, HP_HttpServer_IsKeepAlive, HP_HttpServer_GetVersion,
    HP_HttpServer_GetContentLength, HP_HttpServer_GetContentType,
    HP_HttpServer_GetContentEncoding, HP_HttpServer_GetTransferEncoding,
    HP_HttpServer_GetUpgradeType, HP_HttpServer_GetParseErrorCode, HP_HttpServer_GetHeader,
    HP_HttpServer_GetHeaders, HP_HttpServer_GetAllHeaders, HP_HttpServer_GetAllHeaderNames,
    HP_HttpServer_GetCookie, HP_HttpServer_GetAllCookies);

common_props!(SERVERS, Srv, [id];
    HP_HttpServer_SetLocalVersion, HP_HttpServer_GetLocalVersion, HP_HttpServer_SetHttpAutoStart,
    HP_HttpServer_IsHttpAutoStart, HP_HttpServer_StartHttp);

// ---- agent and client: requests ----

/// The request exports of agents (`[id]`) and clients (`[]`).
macro_rules! request_exports {
    ($reg:ident, $e:ident, [$($id:ident)?];
     $request:ident, $local_file:ident, $chunk:ident, $connect:ident) => {
        /// Sends a request: request line, headers (`Host` and `Content-Length` are added
        /// unless given), then the body.
        #[no_mangle]
        #[allow(clippy::too_many_arguments)]
        pub unsafe extern "C" fn $request(
            h: H, $($id: usize,)? method: *const c_char, path: *const c_char,
            headers: *const TNVPair, count: c_int, data: *const u8, len: c_int,
        ) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                let Some(method) = req_str(method) else { return FALSE };
                let Some(path) = path_arg(path) else { return FALSE };
                let Some(hs) = c_headers(headers, count) else { return FALSE };
                let Some(body) = bytes(data, len) else { return FALSE };
                with_http!($reg, $e, h, FALSE, |c| b(c.send_request($($id,)? method, path, &hs, body)))
            })
        }

        /// Sends a file (up to 64 MiB) as the body of a request.
        #[no_mangle]
        pub unsafe extern "C" fn $local_file(
            h: H, $($id: usize,)? file: *const c_char, method: *const c_char,
            path: *const c_char, headers: *const TNVPair, count: c_int,
        ) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                let Some(file) = file_path(file) else { return FALSE };
                let Some(method) = req_str(method) else { return FALSE };
                let Some(path) = path_arg(path) else { return FALSE };
                let Some(hs) = c_headers(headers, count) else { return FALSE };
                with_http!($reg, $e, h, FALSE, |c| b(c.send_local_file($($id,)? file, method, path, &hs)))
            })
        }

        /// Sends one chunk of a chunked request body (`len` 0: the last chunk).
        #[no_mangle]
        pub unsafe extern "C" fn $chunk(
            h: H, $($id: usize,)? data: *const u8, len: c_int, extensions: *const c_char,
        ) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                let Some(d) = bytes(data, len) else { return FALSE };
                let Ok(ext) = opt_str(extensions) else { return FALSE };
                with_http!($reg, $e, h, FALSE, |c| b(c.send_chunk_data($($id,)? d, ext)))
            })
        }

        /// Sends `CONNECT host:port` (a 2xx answer turns the connection into a tunnel:
        /// OnUpgrade, then OnReceive).
        #[no_mangle]
        pub unsafe extern "C" fn $connect(
            h: H, $($id: usize,)? host: *const c_char, headers: *const TNVPair, count: c_int,
        ) -> BOOL {
            if host.is_null() {
                set_errno(libc::EINVAL);
                return FALSE;
            }
            $request(h, $($id,)? c"CONNECT".as_ptr(), host, headers, count, std::ptr::null(), 0)
        }
    };
}

/// `SendPost` and the other verbs with a body, over `SendRequest` (`[id]` for agents).
macro_rules! body_verb {
    ($ids:tt $request:ident: $($name:ident => $verb:literal),*) => {$(
        body_verb!(@one $ids $request $name $verb);
    )*};
    (@one [$($id:ident)?] $request:ident $name:ident $verb:literal) => {
        /// Sends a request of this method with a body.
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            h: H, $($id: usize,)? path: *const c_char, headers: *const TNVPair,
            count: c_int, data: *const u8, len: c_int,
        ) -> BOOL {
            $request(h, $($id,)? $verb.as_ptr(), path, headers, count, data, len)
        }
    };
}

/// `SendGet` and the other verbs without a body, over `SendRequest`.
macro_rules! bodyless_verb {
    ($ids:tt $request:ident: $($name:ident => $verb:literal),*) => {$(
        bodyless_verb!(@one $ids $request $name $verb);
    )*};
    (@one [$($id:ident)?] $request:ident $name:ident $verb:literal) => {
        /// Sends a request of this method without a body.
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            h: H, $($id: usize,)? path: *const c_char, headers: *const TNVPair, count: c_int,
        ) -> BOOL {
            $request(h, $($id,)? $verb.as_ptr(), path, headers, count, std::ptr::null(), 0)
        }
    };
}

/// `SetUseCookie` / `IsUseCookie`: whether the component uses the process-wide cookie jar
/// (stores responses' `Set-Cookie`, sends matching cookies with requests).
macro_rules! cookie_flag {
    ($reg:ident, $e:ident; $set:ident, $is:ident) => {
        /// Sets whether the cookie jar is used (TRUE by default); set while stopped
        /// (otherwise errno EPERM).
        #[no_mangle]
        pub extern "C" fn $set(h: H, on: BOOL) {
            ffi!((), {
                with_http!($reg, $e, h, (), |c| or_errno(
                    c.set_http_use_cookie(on != FALSE)
                ))
            })
        }
        /// Whether the cookie jar is used.
        #[no_mangle]
        pub extern "C" fn $is(h: H) -> BOOL {
            ffi!(FALSE, {
                with_http!($reg, $e, h, FALSE, |c| c.http_use_cookie() as BOOL)
            })
        }
    };
}

request_exports!(AGENTS, Agt, [id];
    HP_HttpAgent_SendRequest, HP_HttpAgent_SendLocalFile, HP_HttpAgent_SendChunkData,
    HP_HttpAgent_SendConnect);
body_verb!([id] HP_HttpAgent_SendRequest: HP_HttpAgent_SendPost => c"POST",
    HP_HttpAgent_SendPut => c"PUT", HP_HttpAgent_SendPatch => c"PATCH");
bodyless_verb!([id] HP_HttpAgent_SendRequest: HP_HttpAgent_SendGet => c"GET",
    HP_HttpAgent_SendDelete => c"DELETE", HP_HttpAgent_SendHead => c"HEAD",
    HP_HttpAgent_SendTrace => c"TRACE", HP_HttpAgent_SendOptions => c"OPTIONS");

request_exports!(CLIENTS, Cli, [];
    HP_HttpClient_SendRequest, HP_HttpClient_SendLocalFile, HP_HttpClient_SendChunkData,
    HP_HttpClient_SendConnect);
body_verb!([] HP_HttpClient_SendRequest: HP_HttpClient_SendPost => c"POST",
    HP_HttpClient_SendPut => c"PUT", HP_HttpClient_SendPatch => c"PATCH");
bodyless_verb!([] HP_HttpClient_SendRequest: HP_HttpClient_SendGet => c"GET",
    HP_HttpClient_SendDelete => c"DELETE", HP_HttpClient_SendHead => c"HEAD",
    HP_HttpClient_SendTrace => c"TRACE", HP_HttpClient_SendOptions => c"OPTIONS");

/// The status code of the response on a connection (0 on failure).
#[no_mangle]
pub extern "C" fn HP_HttpAgent_GetStatusCode(h: H, id: usize) -> u16 {
    ffi!(0, { snap(agt(h, id), h, 0, |s| s.status) })
}

/// The status code of the client's response (0 on failure).
#[no_mangle]
pub extern "C" fn HP_HttpClient_GetStatusCode(h: H) -> u16 {
    ffi!(0, { snap(cli(h), h, 0, |s| s.status) })
}

common_getters!(agt, [id];
    HP_HttpAgent_IsUpgrade, HP_HttpAgent_IsKeepAlive, HP_HttpAgent_GetVersion,
    HP_HttpAgent_GetContentLength, HP_HttpAgent_GetContentType,
    HP_HttpAgent_GetContentEncoding, HP_HttpAgent_GetTransferEncoding,
    HP_HttpAgent_GetUpgradeType, HP_HttpAgent_GetParseErrorCode, HP_HttpAgent_GetHeader,
    HP_HttpAgent_GetHeaders, HP_HttpAgent_GetAllHeaders, HP_HttpAgent_GetAllHeaderNames,
    HP_HttpAgent_GetCookie, HP_HttpAgent_GetAllCookies);

common_getters!(cli, [];
    HP_HttpClient_IsUpgrade, HP_HttpClient_IsKeepAlive, HP_HttpClient_GetVersion,
    HP_HttpClient_GetContentLength, HP_HttpClient_GetContentType,
    HP_HttpClient_GetContentEncoding, HP_HttpClient_GetTransferEncoding,
    HP_HttpClient_GetUpgradeType, HP_HttpClient_GetParseErrorCode, HP_HttpClient_GetHeader,
    HP_HttpClient_GetHeaders, HP_HttpClient_GetAllHeaders, HP_HttpClient_GetAllHeaderNames,
    HP_HttpClient_GetCookie, HP_HttpClient_GetAllCookies);

common_props!(AGENTS, Agt, [id];
    HP_HttpAgent_SetLocalVersion, HP_HttpAgent_GetLocalVersion, HP_HttpAgent_SetHttpAutoStart,
    HP_HttpAgent_IsHttpAutoStart, HP_HttpAgent_StartHttp);

common_props!(CLIENTS, Cli, [];
    HP_HttpClient_SetLocalVersion, HP_HttpClient_GetLocalVersion, HP_HttpClient_SetHttpAutoStart,
    HP_HttpClient_IsHttpAutoStart, HP_HttpClient_StartHttp);

cookie_flag!(AGENTS, Agt; HP_HttpAgent_SetUseCookie, HP_HttpAgent_IsUseCookie);
cookie_flag!(CLIENTS, Cli; HP_HttpClient_SetUseCookie, HP_HttpClient_IsUseCookie);

// ---- sync client ----

/// Runs `$body` with `$c` bound to the sync client behind `$h` (another component: EINVAL).
macro_rules! with_sync {
    ($h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match CLIENTS.get($h).as_deref() {
            Some(Cli::Sync($c)) => $body,
            Some(Cli::SyncS($c)) => $body,
            Some(_) => {
                set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}

/// Creates an HTTP sync client. `listener` may be NULL; its callbacks are not called (the
/// library's sync client collects the response itself): read the response with
/// `HP_HttpSyncClient_GetResponseBody` and the `HP_HttpClient_Get*` getters.
#[no_mangle]
pub extern "C" fn Create_HP_HttpSyncClient(_listener: H) -> H {
    ffi!(std::ptr::null_mut(), {
        let h = crate::roles::new_handle();
        CLIENTS.insert(h, Arc::new(Cli::Sync(SyncHttp::new())));
        h as H
    })
}

/// Destroys an HTTP sync client, closing its connection.
#[no_mangle]
pub extern "C" fn Destroy_HP_HttpSyncClient(h: H) {
    destroy(&CLIENTS, h)
}

/// Creates an HTTPS sync client (for `https://` URLs); set it up with
/// `HP_SSLClient_SetupSSLContext` first. `listener` as for `Create_HP_HttpSyncClient`.
#[no_mangle]
pub extern "C" fn Create_HP_HttpsSyncClient(_listener: H) -> H {
    ffi!(std::ptr::null_mut(), {
        let h = crate::roles::new_handle();
        CLIENTS.insert(h, Arc::new(Cli::SyncS(Ssl::from(SyncHttp::new()))));
        h as H
    })
}

/// Destroys an HTTPS sync client, closing its connection.
#[no_mangle]
pub extern "C" fn Destroy_HP_HttpsSyncClient(h: H) {
    destroy(&CLIENTS, h)
}

/// Sends `method url` (an absolute `http://` URL) and waits for the whole response (at most
/// the request timeout), reusing the open connection to the same host and port unless
/// `force_reconnect`. The response stays readable until the next request or
/// CleanupRequestResult.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpSyncClient_OpenUrl(
    h: H,
    method: *const c_char,
    url: *const c_char,
    headers: *const TNVPair,
    count: c_int,
    data: *const u8,
    len: c_int,
    force_reconnect: BOOL,
) -> BOOL {
    ffi!(FALSE, {
        let Some(method) = req_str(method) else {
            return FALSE;
        };
        let Some(url) = req_str(url) else {
            return FALSE;
        };
        let Some(hs) = c_headers(headers, count) else {
            return FALSE;
        };
        let Some(body) = bytes(data, len) else {
            return FALSE;
        };
        with_sync!(h, FALSE, |c| {
            let r = c
                .sync()
                .open_url(method, url, &hs, body, force_reconnect != FALSE);
            c.keep(Some(method));
            b(r)
        })
    })
}

/// Forgets the last response (its strings and body expire).
#[no_mangle]
pub extern "C" fn HP_HttpSyncClient_CleanupRequestResult(h: H) -> BOOL {
    ffi!(FALSE, {
        with_sync!(h, FALSE, |c| {
            c.sync().cleanup_request_result();
            c.keep(None);
            TRUE
        })
    })
}

/// Sets the connect timeout in ms (>= 1; default 5000).
#[no_mangle]
pub extern "C" fn HP_HttpSyncClient_SetConnectTimeout(h: H, ms: u32) {
    ffi!((), {
        with_sync!(h, (), |c| or_errno(c.sync().set_connect_timeout(ms)))
    })
}

/// Sets the request timeout in ms (>= 1; default 10000).
#[no_mangle]
pub extern "C" fn HP_HttpSyncClient_SetRequestTimeout(h: H, ms: u32) {
    ffi!((), {
        with_sync!(h, (), |c| or_errno(c.sync().set_request_timeout(ms)))
    })
}

/// The connect timeout in ms.
#[no_mangle]
pub extern "C" fn HP_HttpSyncClient_GetConnectTimeout(h: H) -> u32 {
    ffi!(0, { with_sync!(h, 0, |c| c.sync().connect_timeout()) })
}

/// The request timeout in ms.
#[no_mangle]
pub extern "C" fn HP_HttpSyncClient_GetRequestTimeout(h: H) -> u32 {
    ffi!(0, { with_sync!(h, 0, |c| c.sync().request_timeout()) })
}

/// The last response's body (`*body` valid until the next request or cleanup; empty before
/// the first response).
#[no_mangle]
pub unsafe extern "C" fn HP_HttpSyncClient_GetResponseBody(
    h: H,
    body: *mut *const u8,
    len: *mut c_int,
) -> BOOL {
    ffi!(FALSE, {
        if body.is_null() || len.is_null() {
            set_errno(libc::EINVAL);
            return FALSE;
        }
        with_sync!(h, FALSE, |c| {
            let b = c.body.lock();
            *body = b.as_ptr();
            *len = b.len().min(c_int::MAX as usize) as c_int;
            TRUE
        })
    })
}
