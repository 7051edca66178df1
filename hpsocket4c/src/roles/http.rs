//! Layer 2 (roles): the HTTP variants' wrapper, [`Http`], and what makes HP-Socket's getters by
//! connection ID possible over a library that hands each event the message it belongs to.
//!
//! HP-Socket's HTTP callbacks get only `(pSender, dwConnID, ...)`; the application reads the
//! method, URL, headers and cookies back through `HP_HttpServer_GetHeader(pSender, dwConnID,
//! ...)` and friends, which hand out `LPCSTR`s that stay valid until the next message begins
//! on that connection. The library gives every HTTP event a `&HttpMessage` instead. Two pieces
//! join the models:
//!
//! - **The current message, per thread.** While the bridge runs a C HTTP callback it records
//!   `(component, connection, &HttpMessage)` in a thread-local stack (`with_message`); a
//!   getter called from that callback for that connection reads the live message.
//! - **A snapshot per connection** ([`Snapshot`], kept in the component's [`HttpStore`]): the
//!   C strings the getters hand out, all NUL-terminated in one buffer, with an index. It is
//!   built the first time a getter needs it during a message (from the live message), and in
//!   any case when the head is complete (`OnHeadersComplete`) and again at `OnMessageComplete`
//!   if trailer fields were added — so getters called later, from any thread, still answer for
//!   the last message. A snapshot is never changed once built: a newer one (with the trailers)
//!   retires it, and retired ones are kept until the next message begins on the connection, so
//!   every pointer handed out stays valid until then (or until the connection's `OnClose`
//!   returns), which is HP-Socket's lifetime for them.
//!
//! Cost: one snapshot per message, up to three allocations (the buffer, sized once, the header
//! index, the cookie index) and one copy of the head's text; a component that never calls a
//! getter still pays it at headers-complete (the price of answering outside callbacks). About
//! 0.4 µs for a 555-byte, 12-field browser request in a release build (`snapshot_cost`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use hpsocket::{ConnId, HttpMessage, HttpParseError, SyncClient, Transport, UpgradeType, UrlField};
use parking_lot::Mutex;

/// An HTTP component with the state the 4C API keeps beside it. Dereferences to the component
/// (for HTTPS: to its [`Ssl`](crate::roles::ssl::Ssl) wrapper, and through it to the component).
pub struct Http<C> {
    comp: C,
    /// The per-connection snapshots the getters read (shared with the component's bridge).
    pub(crate) store: std::sync::Arc<HttpStore>,
}

impl<C> Http<C> {
    /// Wraps `comp`, whose bridge fills `store`.
    pub(crate) fn new(comp: C, store: std::sync::Arc<HttpStore>) -> Self {
        Http { comp, store }
    }
}

impl<C> Deref for Http<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.comp
    }
}

/// An HTTP sync client (HP-Socket's `HttpSyncClient`): the library's [`SyncClient`] with the
/// getters' store, filled from each response. Dereferences to its underlying client, so the
/// `HP_Client_*` functions work on it.
pub struct SyncHttp<T: Transport> {
    sync: SyncClient<T>,
    /// The last response's snapshot, under [`SyncHttp::id`].
    pub(crate) store: std::sync::Arc<HttpStore>,
    /// The last response's body as `GetResponseBody` hands it out (valid until the next
    /// request or cleanup).
    pub(crate) body: Mutex<Vec<u8>>,
}

impl<T: Transport> SyncHttp<T> {
    /// The key of the response in the store (a sync client has one request at a time).
    pub(crate) fn id() -> ConnId {
        ConnId::new(1).expect("1 is a valid connection ID")
    }

    /// A sync client with HP-Socket's timeouts.
    pub(crate) fn new() -> Self {
        let store = std::sync::Arc::new(HttpStore::default());
        store.set_response();
        store.open(Self::id());
        SyncHttp {
            sync: SyncClient::new(),
            store,
            body: Mutex::new(Vec::new()),
        }
    }

    /// The library's sync client.
    pub(crate) fn sync(&self) -> &SyncClient<T> {
        &self.sync
    }

    /// Keeps the last response for the getters (`method`: the request's), or forgets it.
    pub(crate) fn keep(&self, method: Option<&str>) {
        let r = self.sync.response();
        let snap = method
            .filter(|_| r.status != 0)
            .map(|m| Snapshot::from_response(&r, m));
        *self.body.lock() = r.body;
        self.store.set(Self::id(), snap);
    }
}

impl<T: Transport> Deref for SyncHttp<T> {
    type Target = hpsocket::Client<hpsocket::Http, T>;
    fn deref(&self) -> &Self::Target {
        self.sync.client()
    }
}

/// Runs `$body` with `$c` bound to the HTTP or HTTPS component behind `$h` in `$reg` (`$e` is
/// the role's enum; another component: errno EINVAL; unknown handle: EBADF). A sync client
/// is not an HTTP component here: the functions that need one refuse it too.
macro_rules! with_http {
    ($reg:ident, $e:ident, $h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match $reg.get($h).as_deref() {
            Some($e::Http($c)) => $body,
            Some($e::Https($c)) => $body,
            Some(_) => {
                $crate::marshal::set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}
pub(crate) use with_http;

/// [`with_http!`] that also takes the WebSocket variants (`Ws`, `Wss`: our extension's
/// components, HTTP components for their getters and, on servers, for answering plain
/// requests). The HTTP functions that would disturb a WebSocket session (requests,
/// HP-Socket's frame API) keep to [`with_http!`] and refuse them (EINVAL).
macro_rules! with_http_or_ws {
    ($reg:ident, $e:ident, $h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match $reg.get($h).as_deref() {
            Some($e::Http($c)) => $body,
            Some($e::Https($c)) => $body,
            Some($e::Ws($c)) => $body,
            Some($e::Wss($c)) => $body,
            Some(_) => {
                $crate::marshal::set_errno(libc::EINVAL);
                $fail
            }
            None => $fail,
        }
    };
}
pub(crate) use with_http_or_ws;

// ---- the current message of this thread ----

thread_local! {
    /// `(component handle, connection ID, message)` of the HTTP callbacks this thread is
    /// running, innermost last. The pointer is only read while its entry is on the stack,
    /// i.e. while the event that lent the reference runs.
    static CURRENT: RefCell<Vec<(usize, usize, *const HttpMessage)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` (the call of a C HTTP callback of component `sender` for connection `id`) with
/// `msg` reachable by the getters of this thread.
pub(crate) fn with_message<R>(
    sender: usize,
    id: ConnId,
    msg: &HttpMessage,
    f: impl FnOnce() -> R,
) -> R {
    struct Pop;
    impl Drop for Pop {
        fn drop(&mut self) {
            CURRENT.with(|v| v.borrow_mut().pop());
        }
    }
    CURRENT.with(|v| {
        v.borrow_mut()
            .push((sender, id.get(), msg as *const HttpMessage))
    });
    let _pop = Pop;
    f()
}

/// Runs `f` with the live message of `(sender, id)` if this thread is inside one of its HTTP
/// callbacks.
fn current<R>(sender: usize, id: ConnId, f: impl FnOnce(Option<&HttpMessage>) -> R) -> R {
    let p = CURRENT.with(|v| {
        v.borrow()
            .iter()
            .rev()
            .find(|(s, i, _)| *s == sender && *i == id.get())
            .map(|e| e.2)
    });
    // SAFETY: the entry is on the stack only while the event that lent `&HttpMessage` runs on
    // this thread, and we are inside it (called from the callback, on this thread).
    f(p.map(|p| unsafe { &*p }))
}

// ---- snapshots ----

/// An offset into [`Snapshot::buf`] where a NUL-terminated string starts.
type Off = u32;

/// What the getters hand out for one message, as C strings in one buffer.
pub struct Snapshot {
    buf: Vec<u8>,
    /// Header fields seen when it was built (trailers make a newer snapshot).
    count: usize,
    method: Off,
    url_fields: [Option<Off>; 7],
    field_set: u16,
    /// `MAKEWORD(major, minor)`.
    pub(crate) version: u16,
    pub(crate) status: u16,
    pub(crate) content_length: u64,
    pub(crate) keep_alive: bool,
    pub(crate) upgrade: UpgradeType,
    headers: Vec<(Off, Off)>,
    cookies: Vec<(Off, Off)>,
}

impl Snapshot {
    /// Copies what the getters read from `msg`; `response`: the message is a response (its
    /// cookies come from `Set-Cookie`).
    fn new(msg: &HttpMessage, response: bool) -> Snapshot {
        // Sized up front (an upper bound of what `put` writes), so the buffer is allocated once.
        let size = msg.method().len()
            + msg.url().len() * 2
            + msg.headers().map(|(n, v)| n.len() + v.len()).sum::<usize>() * 2
            + 2 * (8 + 2 * msg.header_count());
        let mut buf = Vec::with_capacity(size);
        let mut put = |b: &[u8]| -> Off {
            let at = buf.len() as Off;
            // A NUL inside a value would end the C string early; it cannot come from the
            // parser (httparse refuses control bytes), but keep C's view well-defined.
            let from = buf.len();
            buf.extend_from_slice(b);
            if b.contains(&0) {
                for c in &mut buf[from..] {
                    if *c == 0 {
                        *c = b' ';
                    }
                }
            }
            buf.push(0);
            at
        };
        let method = put(msg.method().as_bytes());
        let mut url_fields = [None; 7];
        for f in UrlField::ALL {
            url_fields[f as usize] = msg.url_field(f).map(|v| put(v.as_bytes()));
        }
        let mut headers = Vec::with_capacity(msg.header_count());
        for (n, v) in msg.headers() {
            headers.push((put(n.as_bytes()), put(v)));
        }
        let mut cookies = Vec::new();
        if response {
            // `Set-Cookie: name=value; attributes`: the name and value the response sets.
            for (n, v) in msg.header_values("Set-Cookie").filter_map(set_cookie) {
                cookies.push((put(n), put(v)));
            }
        } else {
            for (n, v) in msg.cookies() {
                cookies.push((put(n), put(v)));
            }
        }
        let version = match msg.version() {
            hpsocket::HttpVersion::V1_0 => 0x0001,
            hpsocket::HttpVersion::V1_1 => 0x0101,
        };
        Snapshot {
            buf,
            count: msg.header_count(),
            method,
            url_fields,
            field_set: msg.url_field_set(),
            version,
            status: msg.status_code(),
            content_length: msg.content_length().unwrap_or(0),
            keep_alive: msg.keep_alive(),
            upgrade: msg.upgrade_type(),
            headers,
            cookies,
        }
    }

    /// The snapshot of a sync client's response to a `method` request.
    pub(crate) fn from_response(r: &hpsocket::SyncResponse, method: &str) -> Snapshot {
        let mut buf = Vec::with_capacity(256);
        let mut put = |b: &[u8]| -> Off {
            let at = buf.len() as Off;
            buf.extend(b.iter().map(|&c| if c == 0 { b' ' } else { c }));
            buf.push(0);
            at
        };
        let method = put(method.to_ascii_uppercase().as_bytes());
        let headers: Vec<(Off, Off)> = r
            .headers
            .iter()
            .map(|(n, v)| (put(n.as_bytes()), put(v)))
            .collect();
        let cookies = r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Set-Cookie"))
            .filter_map(|(_, v)| set_cookie(v))
            .map(|(n, v)| (put(n), put(v)))
            .collect();
        let content_length = r
            .header("Content-Length")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Snapshot {
            buf,
            count: headers.len(),
            method,
            url_fields: [None; 7],
            field_set: 0,
            version: match r.version {
                Some(hpsocket::HttpVersion::V1_0) => 0x0001,
                Some(hpsocket::HttpVersion::V1_1) => 0x0101,
                None => 0,
            },
            status: r.status,
            content_length,
            keep_alive: r.keep_alive,
            upgrade: UpgradeType::None,
            headers,
            cookies,
        }
    }

    fn at(&self, off: Off) -> *const c_char {
        // In bounds: every offset was handed out by `put`.
        self.buf[off as usize..].as_ptr() as *const c_char
    }

    fn bytes(&self, off: Off) -> &[u8] {
        let s = &self.buf[off as usize..];
        &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())]
    }

    /// The method (request: as received; response: the request's).
    pub(crate) fn method(&self) -> *const c_char {
        self.at(self.method)
    }

    /// `1 << field` for each URL field present.
    pub(crate) fn url_field_set(&self) -> u16 {
        self.field_set
    }

    /// One URL field: "" when absent, as HP-Socket's empty strings.
    pub(crate) fn url_field(&self, i: usize) -> *const c_char {
        match self.url_fields.get(i).copied().flatten() {
            Some(o) => self.at(o),
            None => c"".as_ptr(),
        }
    }

    /// The values of the fields named `name` (case-insensitive), in order.
    pub(crate) fn header_values<'a>(
        &'a self,
        name: &'a [u8],
    ) -> impl Iterator<Item = *const c_char> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| self.bytes(*n).eq_ignore_ascii_case(name))
            .map(|(_, v)| self.at(*v))
    }

    /// Every field as (name, value).
    pub(crate) fn headers(&self) -> impl Iterator<Item = (*const c_char, *const c_char)> + '_ {
        self.headers.iter().map(|(n, v)| (self.at(*n), self.at(*v)))
    }

    /// The cookie named `name` (case-sensitive); the last one wins, as in HP-Socket's map.
    pub(crate) fn cookie(&self, name: &[u8]) -> Option<*const c_char> {
        self.cookies
            .iter()
            .rev()
            .find(|(n, _)| self.bytes(*n) == name)
            .map(|(_, v)| self.at(*v))
    }

    /// Every cookie as (name, value), one per name (the last value of a repeated name).
    pub(crate) fn cookies(&self) -> Vec<(*const c_char, *const c_char)> {
        let mut out: Vec<(Off, Off)> = Vec::with_capacity(self.cookies.len());
        for &(n, v) in &self.cookies {
            match out
                .iter_mut()
                .find(|(m, _)| self.bytes(*m) == self.bytes(n))
            {
                Some(e) => e.1 = v,
                None => out.push((n, v)),
            }
        }
        out.into_iter()
            .map(|(n, v)| (self.at(n), self.at(v)))
            .collect()
    }
}

/// The name and value a `Set-Cookie: name=value; attributes` field sets.
fn set_cookie(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let pair = v.split(|&c| c == b';').next().unwrap_or_default();
    let eq = pair.iter().position(|&c| c == b'=')?;
    let name = pair[..eq].trim_ascii();
    (!name.is_empty()).then(|| (name, pair[eq + 1..].trim_ascii()))
}

/// One connection's getter state.
#[derive(Default)]
struct ConnHttp {
    /// The newest snapshot of the current message.
    snap: Option<Snapshot>,
    /// Older snapshots of the current message, kept so their pointers stay valid.
    retired: Vec<Snapshot>,
    /// The parse error of the connection: `http_parser`'s code and its description.
    error: Option<(u16, CString)>,
    /// The masking key `GetWSMessageState` last handed out a pointer to: allocated once per
    /// connection and rewritten in place, so the pointer stays valid until the connection's
    /// state is dropped (its `OnClose` returned), its bytes those of the frame last asked
    /// about (HP-Socket's pointer, into the connection's frame state, behaves alike).
    ws_mask: Option<Box<[AtomicU8; 4]>>,
}

const SHARDS: usize = 16;

/// The getter state of a component's connections, sharded by connection ID so workers seldom
/// meet on one lock.
pub struct HttpStore {
    shards: [Mutex<HashMap<usize, ConnHttp>>; SHARDS],
    /// Responses (agents and clients) or requests (servers).
    response: AtomicBool,
}

impl Default for HttpStore {
    fn default() -> Self {
        HttpStore {
            shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
            response: AtomicBool::new(false),
        }
    }
}

/// Why a getter found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    /// No such connection (or it closed): errno `EBADSLT`.
    Connection,
    /// The connection has no message yet: errno `ENODATA`.
    Message,
}

impl Missing {
    /// The errno a getter sets.
    pub(crate) fn errno(self) -> i32 {
        match self {
            Missing::Connection => libc::EBADSLT,
            Missing::Message => libc::ENODATA,
        }
    }
}

impl HttpStore {
    fn shard(&self, id: ConnId) -> &Mutex<HashMap<usize, ConnHttp>> {
        &self.shards[id.get() % SHARDS]
    }

    fn is_response(&self) -> bool {
        self.response.load(Ordering::Relaxed)
    }

    /// Marks the store as reading responses (agents, clients).
    pub(crate) fn set_response(&self) {
        self.response.store(true, Ordering::Relaxed)
    }

    /// A connection opened (accept / connect): its getters answer from now on.
    pub(crate) fn open(&self, id: ConnId) {
        self.shard(id).lock().entry(id.get()).or_default();
    }

    /// A message begins on `id`: the previous message's strings expire.
    pub(crate) fn begin(&self, id: ConnId) {
        let mut m = self.shard(id).lock();
        let c = m.entry(id.get()).or_default();
        c.snap = None;
        c.retired.clear();
        c.error = None;
    }

    /// Makes sure `id` has a snapshot of `msg` as it is now (headers-complete,
    /// message-complete, parse error).
    pub(crate) fn keep(&self, id: ConnId, msg: &HttpMessage) {
        let response = self.is_response();
        let mut m = self.shard(id).lock();
        refresh(m.entry(id.get()).or_default(), msg, response);
    }

    /// Records the parse error of `id` (its snapshot too).
    pub(crate) fn parse_error(&self, id: ConnId, msg: &HttpMessage, e: &HttpParseError) {
        let response = self.is_response();
        let mut m = self.shard(id).lock();
        let c = m.entry(id.get()).or_default();
        refresh(c, msg, response);
        let desc = CString::new(e.description()).unwrap_or_default();
        c.error = Some((e.code(), desc));
    }

    /// Replaces the strings of `id` with `snap` (a sync client's response): the previous ones
    /// expire.
    pub(crate) fn set(&self, id: ConnId, snap: Option<Snapshot>) {
        let mut m = self.shard(id).lock();
        let c = m.entry(id.get()).or_default();
        c.retired.clear();
        c.error = None;
        c.snap = snap;
    }

    /// The connection closed: its strings expire.
    pub(crate) fn close(&self, id: ConnId) {
        self.shard(id).lock().remove(&id.get());
    }

    /// Runs `f` on the snapshot of `(sender, id)`: the live message's when called from one of
    /// its HTTP callbacks on this thread, else the last one kept.
    pub(crate) fn read<R>(
        &self,
        sender: usize,
        id: ConnId,
        f: impl FnOnce(&Snapshot) -> R,
    ) -> Result<R, Missing> {
        let response = self.is_response();
        current(sender, id, |live| {
            let mut m = self.shard(id).lock();
            let c = match (m.get_mut(&id.get()), live) {
                (Some(c), _) => c,
                // A callback of a connection this store has not seen open (cannot happen:
                // accept / connect come first), still served.
                (None, Some(_)) => m.entry(id.get()).or_default(),
                (None, None) => return Err(Missing::Connection),
            };
            if let Some(msg) = live {
                refresh(c, msg, response);
            }
            c.snap.as_ref().map(f).ok_or(Missing::Message)
        })
    }

    /// A pointer to `mask`, the masking key of the frame being received on `id`, for
    /// `GetWSMessageState`: the connection's own four bytes, valid until its state is
    /// dropped (EBADSLT: the connection is unknown or closed).
    pub(crate) fn ws_mask(&self, id: ConnId, mask: [u8; 4]) -> Result<*const u8, Missing> {
        let mut m = self.shard(id).lock();
        let c = m.get_mut(&id.get()).ok_or(Missing::Connection)?;
        let slot = c.ws_mask.get_or_insert_with(Default::default);
        for (b, v) in slot.iter().zip(mask) {
            // Atomic stores: a reader in C may hold the pointer of an earlier call while
            // another thread asks again.
            b.store(v, Ordering::Relaxed);
        }
        // `[AtomicU8; 4]` has the layout of `[u8; 4]`.
        Ok(slot.as_ptr() as *const u8)
    }

    /// The parse error code and description of `id` (0 and "HPE_OK" without one).
    pub(crate) fn error(&self, id: ConnId) -> Result<(u16, *const c_char), Missing> {
        let m = self.shard(id).lock();
        let c = m.get(&id.get()).ok_or(Missing::Connection)?;
        Ok(match &c.error {
            Some((code, d)) => (*code, d.as_ptr()),
            None => (0, c"HPE_OK".as_ptr()),
        })
    }
}

/// Builds a snapshot of `msg` unless the newest one already holds all its fields; the one it
/// replaces is retired, not dropped.
fn refresh(c: &mut ConnHttp, msg: &HttpMessage, response: bool) {
    if c.snap
        .as_ref()
        .is_some_and(|s| s.count == msg.header_count())
    {
        return;
    }
    if let Some(old) = c.snap.replace(Snapshot::new(msg, response)) {
        c.retired.push(old);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use hpsocket::prelude::*;
    use hpsocket::HttpServer;

    use super::*;

    /// A browser-like request: 12 fields, cookies, a query; about 700 bytes of head.
    const REQUEST: &[u8] = b"GET /app/items/42?view=full&lang=en HTTP/1.1\r\n\
        Host: shop.example.com\r\n\
        User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
        Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
        Accept-Language: en-US,en;q=0.5\r\n\
        Accept-Encoding: gzip, deflate, br\r\n\
        Referer: https://shop.example.com/app/items?page=2\r\n\
        Connection: keep-alive\r\n\
        Cookie: session=0123456789abcdef0123456789abcdef; theme=dark; cart=3\r\n\
        Upgrade-Insecure-Requests: 1\r\n\
        Sec-Fetch-Dest: document\r\n\
        Sec-Fetch-Mode: navigate\r\n\
        Sec-Fetch-Site: same-origin\r\n\r\n";

    struct Measure(mpsc::Sender<(Duration, usize, usize)>);

    impl ServerListener<HttpServer> for Measure {
        fn on_headers_complete(
            &self,
            _s: &HttpServer,
            _id: ConnId,
            m: &HttpMessage,
        ) -> ParseResult {
            const N: u32 = 2000;
            let t = Instant::now();
            let mut size = 0;
            for _ in 0..N {
                let snap = std::hint::black_box(Snapshot::new(m, false));
                size = snap.buf.len();
            }
            let _ = self.0.send((t.elapsed() / N, size, m.header_count()));
            ParseResult::Ok
        }
    }

    /// What a snapshot costs, measured on a real parsed message (`cargo test -p hpsocket4c
    /// snapshot_cost -- --nocapture` prints it; run with `--release` for the figure that
    /// matters). The bound only catches a gross regression.
    #[test]
    fn snapshot_cost() {
        let (tx, rx) = mpsc::channel();
        let s = HttpServer::new(Measure(tx));
        s.start("127.0.0.1", 0).unwrap();
        let a = s.listen_address().unwrap();
        let mut c = std::net::TcpStream::connect(a).unwrap();
        c.write_all(REQUEST).unwrap();
        let (per, size, fields) = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        println!(
            "snapshot of a {}-byte head with {fields} fields: {per:?} each, {size} bytes, 3 allocations",
            REQUEST.len()
        );
        assert!(per < Duration::from_millis(1), "{per:?}");
        let m = HttpMessage::default();
        let snap = Snapshot::new(&m, false);
        assert!(snap.headers.is_empty());
        drop(c);
        let _ = s.stop();
    }
}
