//! The HTTP roles: [`Server`], [`Agent`] and [`Client`] with the [`Http`] receive model, and
//! their operations — send a response (server), a request (agent, client), chunks, a local
//! file; release a connection after a delay. Parsing and its events are the session's
//! (`session::http`); the heads are written by `cores::http::write`.

use std::path::Path;
use std::sync::Arc;

use std::sync::OnceLock;

use parking_lot::Mutex;

use crate::cores::http::cookie::CookieJar;
use crate::cores::http::write::{self, Extra};
use crate::cores::http::{HttpVersion, Message};
use crate::error::{Error, Result};
use crate::model::{Http, HttpModel, Plain, Tls, Transport};
use crate::reactor::Conn;
use crate::roles::agent::Agent;
use crate::roles::api::Role;
use crate::roles::client::Client;
use crate::roles::server::Server;
use crate::session::ws::write_ws_message;
use crate::session::ws::WsMessageState;
use crate::types::ConnId;

/// HP-Socket's HTTP server.
pub type HttpServer = Server<Http, Plain>;
/// HP-Socket's HTTPS server.
pub type HttpsServer = Server<Http, Tls>;
/// HP-Socket's HTTP agent (many outgoing HTTP connections).
pub type HttpAgent = Agent<Http, Plain>;
/// HP-Socket's HTTPS agent.
pub type HttpsAgent = Agent<Http, Tls>;
/// HP-Socket's HTTP client (one outgoing HTTP connection).
pub type HttpClient = Client<Http, Plain>;
/// HP-Socket's HTTPS client.
pub type HttpsClient = Client<Http, Tls>;

/// A header field to send: (name, value).
pub type Header<'a> = (&'a str, &'a str);

const BAD_FIELD: Error =
    Error::InvalidParam("a header, method, path or chunk extension holds CR, LF or NUL");

/// Largest file `send_local_file` sends (HP-Socket reads "small files" whole too).
pub const MAX_LOCAL_FILE: u64 = 64 << 20;

/// Opens a file for `send_local_file`: its length, up to [`MAX_LOCAL_FILE`].
fn open_small_file(path: &Path) -> Result<(std::fs::File, usize)> {
    let file = std::fs::File::open(path).map_err(Error::Io)?;
    let meta = file.metadata().map_err(Error::Io)?;
    if !meta.is_file() {
        return Err(Error::InvalidParam("not a regular file"));
    }
    if meta.len() > MAX_LOCAL_FILE {
        return Err(Error::InvalidParam("file larger than MAX_LOCAL_FILE"));
    }
    Ok((file, meta.len() as usize))
}

/// A message body: bytes, or the first bytes of a file (sent with `sendfile`).
#[derive(Clone, Copy)]
enum Body<'a> {
    Bytes(&'a [u8]),
    File(&'a std::fs::File, usize),
}

impl Body<'_> {
    fn len(&self) -> usize {
        match self {
            Body::Bytes(b) => b.len(),
            Body::File(_, n) => *n,
        }
    }
}

thread_local! {
    /// The head being written on this thread, reused: a response or request allocates
    /// nothing for its head.
    static HEAD: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}
/// Bodies up to this size are copied behind the head: one buffer, one plain `write`.
const COALESCE: usize = 2048;
/// A head buffer grown past this (huge caller headers) is freed instead of kept.
const HEAD_KEEP: usize = 64 * 1024;

/// Runs `f` with this thread's empty head buffer.
fn with_head<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    HEAD.with(|h| match h.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            let r = f(&mut buf);
            if buf.capacity() > HEAD_KEEP {
                *buf = Vec::new();
            }
            r
        }
        // Only if `f` itself writes a head (it does not): a buffer of its own.
        Err(_) => f(&mut Vec::new()),
    })
}

/// Sends `head` then `body` on `c` as one unit.
fn send_message(c: &Arc<Conn>, head: &mut Vec<u8>, body: Body<'_>) -> Result<()> {
    match body {
        Body::Bytes(b) if b.len() <= COALESCE => {
            head.extend_from_slice(b);
            c.send(&[head])
        }
        Body::Bytes(b) => c.send(&[head, b]),
        Body::File(f, n) => c.send_file(head, f, n),
    }
}

fn chunk(data: &[u8], extensions: Option<&str>) -> Result<Vec<u8>> {
    let mut line = Vec::with_capacity(16);
    write::chunk_line(&mut line, data.len(), extensions).map_err(|_| BAD_FIELD)?;
    Ok(line)
}

/// Properties of every HTTP component.
macro_rules! http_properties {
    () => {
        $crate::config::properties! {
            /// Largest message head in bytes — start line and header fields — and, apart,
            /// largest trailer section (ours; default 16 KiB, 1 ..= 1 MiB). A larger head is a
            /// parse error: a server answers 431 and closes.
            http_max_head_size, set_http_max_head_size: u32, |v| (1..=1 << 20).contains(&v), "http_max_head_size must be 1 ..= 1048576";
            /// Most header fields in a head (ours; default 100, 1 ..= 10000); past it 431.
            http_max_headers, set_http_max_headers: u32, |v| (1..=10_000).contains(&v), "http_max_headers must be 1 ..= 10000";
            /// Largest body of one message in bytes (ours; default 16 MiB; 0: no limit). A
            /// larger `Content-Length` is refused at the head (413), a larger chunked or
            /// read-until-close body where it passes the limit.
            http_max_body_size, set_http_max_body_size: u64, |_v| true, "";
            /// Time in ms from a message head's first byte to its end (ours; default 30000;
            /// 0: none). A head that takes longer closes the connection with (`Receive`,
            /// `ETIMEDOUT`), after a 408 from a server — slowloris defence.
            http_head_timeout, set_http_head_timeout: u32, |_v| true, "";
            /// Delay in ms between `release` and the close (`ReleaseDelay`, default 3000,
            /// 100 ..= 60000 as in HP-Socket).
            http_release_delay, set_http_release_delay: u32, |v| (100..=60_000).contains(&v), "http_release_delay must be 100 ..= 60000";
            /// The HTTP version this side writes (`LocalVersion`, default 1.1).
            http_local_version, set_http_local_version: HttpVersion, |_v| true, "";
            /// Parse HTTP from a connection's first byte (`HttpAutoStart`, default true).
            /// Off: bytes go to `on_receive` until `start_http` is called for the connection
            /// (for protocols that speak something else first, e.g. a PROXY header).
            http_auto_start, set_http_auto_start: bool, |_v| true, "";
        }
    };
}

impl<M: HttpModel, T: Transport> Server<M, T> {
    http_properties!();

    /// Sends a whole response to connection `id`: the status line (`reason` `None`: the
    /// standard phrase), `headers`, then `body`. `Content-Length` is added unless `headers`
    /// hold it or `Transfer-Encoding`; `Connection` is added from the request being
    /// answered (keep-alive or close) unless `headers` hold it — also when the response is
    /// sent later, from another thread (HP-Socket's `SendResponse`).
    ///
    /// A header holding CR, LF or NUL is refused (`InvalidParam`): it would split the head.
    pub fn send_response(
        &self,
        id: ConnId,
        status: u16,
        reason: Option<&str>,
        headers: &[Header<'_>],
        body: &[u8],
    ) -> Result<()> {
        self.respond(id, status, reason, headers, Body::Bytes(body))
    }

    /// Sends a file as the body of a response (`SendLocalFile`); regular files up to
    /// [`MAX_LOCAL_FILE`] bytes. On a plain connection whose listener does not want
    /// `on_send` for direct writes (`wants_send_events` false) the file goes from the page
    /// cache to the socket with `sendfile`, uncopied: only what the socket does not take at
    /// once is read into the send queue. Otherwise (TLS, or `on_send` wanted: it reports the
    /// bytes) the file is read and sent like a body.
    pub fn send_local_file(
        &self,
        id: ConnId,
        path: impl AsRef<Path>,
        status: u16,
        reason: Option<&str>,
        headers: &[Header<'_>],
    ) -> Result<()> {
        let (file, len) = open_small_file(path.as_ref())?;
        self.respond(id, status, reason, headers, Body::File(&file, len))
    }

    fn respond(
        &self,
        id: ConnId,
        status: u16,
        reason: Option<&str>,
        headers: &[Header<'_>],
        body: Body<'_>,
    ) -> Result<()> {
        let version = self.http_local_version();
        self.core().with_conn(id, |c| {
            with_head(|head| {
                write::status_line(head, version, status, reason);
                let extra = Extra {
                    body_len: body.len(),
                    request: false,
                    keep_alive: Some(c.session.http_keep_alive()),
                    host: None,
                    cookies: &[],
                };
                write::header_lines(head, headers, &extra).map_err(|_| BAD_FIELD)?;
                send_message(c, head, body)
            })
        })?
    }

    /// Sends one chunk of a chunked body (`SendChunkData`): after a response whose headers
    /// hold `Transfer-Encoding: chunked`; an empty `data` is the last chunk.
    pub fn send_chunk_data(&self, id: ConnId, data: &[u8], extensions: Option<&str>) -> Result<()> {
        let line = chunk(data, extensions)?;
        self.core().send(id, &[&line, data, b"\r\n"])
    }

    /// HP-Socket's `Release`: bytes that arrive from now on close the connection, and after
    /// `http_release_delay` it is closed once everything queued is written (`on_close`
    /// with `Close`, 0).
    pub fn release(&self, id: ConnId) -> Result<()> {
        let delay = self.http_release_delay() as u64;
        if self.core().with_conn(id, |c| c.release(delay))? {
            Ok(())
        } else {
            Err(Error::ConnectionClosing(id))
        }
    }

    /// Starts HTTP parsing on connection `id` (HP-Socket's `StartHttp`): only with
    /// `http_auto_start` off, once per connection.
    pub fn start_http(&self, id: ConnId) -> Result<()> {
        let auto = self.http_auto_start();
        self.core().with_conn(id, |c| start_http_on(c, auto))?
    }

    /// Sends one WebSocket frame to connection `id` (HP-Socket 5.8's `SendWSMessage`; a
    /// server's frames are unmasked): the FIN bit, the reserved bits (low three), the
    /// opcode, then `data`. `body_len` 0 sends a frame of `data.len()` bytes; a larger
    /// `body_len` announces a longer body whose rest the caller sends with `send`; a
    /// smaller one is refused (`InvalidParam`).
    pub fn send_ws_message(
        &self,
        id: ConnId,
        fin: bool,
        rsv: u8,
        opcode: u8,
        data: &[u8],
        body_len: u64,
    ) -> Result<()> {
        self.core()
            .with_conn(id, |c| send_ws(c, fin, rsv, opcode, None, data, body_len))?
    }

    /// The WebSocket frame being received on `id` (HP-Socket's `GetWSMessageState`):
    /// `IllegalState` unless the connection switched to WebSocket; all zero between
    /// frames.
    pub fn ws_message_state(&self, id: ConnId) -> Result<WsMessageState> {
        self.core().with_conn(id, ws_state_of)?
    }

    /// Whether the request being answered on `id` keeps the connection open.
    pub fn is_keep_alive(&self, id: ConnId) -> Result<bool> {
        self.core().with_conn(id, |c| c.session.http_keep_alive())
    }
}

/// Writes and sends one WebSocket frame on `c` (see `send_ws_message`).
fn send_ws(
    c: &Arc<Conn>,
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    data: &[u8],
    body_len: u64,
) -> Result<()> {
    with_head(|buf| {
        write_ws_message(fin, rsv, opcode, mask, data, body_len, buf).ok_or(
            Error::InvalidParam("body_len is below the data's length or above a frame's limit"),
        )?;
        c.send(&[buf])
    })
}

fn ws_state_of(c: &Arc<Conn>) -> Result<WsMessageState> {
    c.session.ws_message_state().ok_or(Error::IllegalState(
        "the connection has not switched to WebSocket",
    ))
}

/// A fresh masking key from this thread's pool of system randomness.
fn random_mask() -> [u8; 4] {
    use crate::cores::ws::message::{MaskSource, RandomMasks};
    thread_local! {
        static MASKS: std::cell::RefCell<RandomMasks> = std::cell::RefCell::new(RandomMasks::default());
    }
    MASKS.with(|m| m.borrow_mut().next_mask())
}

/// The process-wide cookie jar of HTTP agents and clients (HP-Socket's global cookie
/// manager): components with `http_use_cookie` (the default, as in HP-Socket) take the
/// `Set-Cookie` fields of every response into it and send the matching cookies with every
/// request. Lock it to read, add, delete, load or save cookies.
pub fn cookie_jar() -> &'static Mutex<CookieJar> {
    static JAR: OnceLock<Mutex<CookieJar>> = OnceLock::new();
    JAR.get_or_init(|| Mutex::new(CookieJar::new()))
}

/// Seconds since the epoch (the cookie jar's clock).
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The host a connection's cookies belong to: the name it connected to, else its address.
fn cookie_host(c: &Conn) -> String {
    c.remote_host
        .clone()
        .unwrap_or_else(|| c.remote.ip().to_string())
}

/// Agents and clients: a complete response's cookies go into the jar.
pub(crate) fn keep_cookies(c: &crate::reactor::Conn, msg: &Message, use_cookie: bool) {
    let path = c.session.http_answered_path();
    if !use_cookie || msg.header("set-cookie").is_none() {
        return;
    }
    let host = cookie_host(c);
    cookie_jar().lock().store_response(
        msg.header_values("set-cookie"),
        &host,
        path.as_deref().unwrap_or("/"),
        unix_now(),
    );
}

/// `StartHttp` on connection `c`: refused while auto-start is on, or when started already.
fn start_http_on(c: &crate::reactor::Conn, auto: bool) -> Result<()> {
    if auto {
        return Err(Error::IllegalState(
            "http_auto_start is on: HTTP has started by itself",
        ));
    }
    if c.session.start_http() {
        Ok(())
    } else {
        Err(Error::IllegalState(
            "HTTP has started on this connection already",
        ))
    }
}

/// Writes and sends a request on `c`: the request line, `headers`, the fields HP-Socket
/// adds (`Host`, `Content-Length`, `Cookie` from the jar with `use_cookie`), then `body`.
#[allow(clippy::too_many_arguments)]
fn send_request_on(
    c: &Arc<Conn>,
    version: HttpVersion,
    use_cookie: bool,
    secure: bool,
    method: &str,
    path: &str,
    headers: &[Header<'_>],
    body: Body<'_>,
) -> Result<()> {
    let given = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("cookie"));
    let cookies = if use_cookie && !given {
        cookie_jar()
            .lock()
            .for_request(&cookie_host(c), path, secure, unix_now())
    } else {
        Vec::new()
    };
    let host = host_of(c, secure);
    let extra = Extra {
        body_len: body.len(),
        request: true,
        keep_alive: None,
        host: Some(&host),
        cookies: &cookies,
    };
    with_head(|head| {
        write::request_line(head, method, path, version).map_err(|_| BAD_FIELD)?;
        write::header_lines(head, headers, &extra).map_err(|_| BAD_FIELD)?;
        match body {
            Body::Bytes(b) if b.len() <= COALESCE => {
                head.extend_from_slice(b);
                c.send_request(method, path, &[head])
            }
            Body::Bytes(b) => c.send_request(method, path, &[head, b]),
            Body::File(f, n) => c.send_request_file(method, path, head, f, n),
        }
    })
}

/// `Host` for a connection: its cookie host ([`cookie_host`]; an IPv6 address in brackets),
/// with the port unless it is the scheme's default.
pub(crate) fn host_of(c: &Conn, secure: bool) -> String {
    let mut name = cookie_host(c);
    if c.remote_host.is_none() && c.remote.is_ipv6() {
        name = format!("[{name}]");
    }
    let port = c.remote.port();
    if port == if secure { 443 } else { 80 } {
        name
    } else {
        format!("{name}:{port}")
    }
}

/// The request operations of agents (by connection ID) and clients (their one connection).
macro_rules! request_ops {
    ($who:literal, $($id:ident: $idty:ty,)? |$me:ident| $conn:expr) => {
        /// Sends a request: the request line (`method` upper-cased, `path` as given),
        /// `headers`, then `body`. `Host` is added (the host connected to, with its port
        /// unless it is the default) unless `headers` hold one; `Content-Length` when there
        /// is a body and `headers` hold neither it nor `Transfer-Encoding`
        /// (HP-Socket's `SendRequest`).
        pub fn send_request(
            &self,
            $($id: $idty,)?
            method: &str,
            path: &str,
            headers: &[Header<'_>],
            body: &[u8],
        ) -> Result<()> {
            self.request($($id,)? method, path, headers, Body::Bytes(body))
        }

        /// Sends a file as the body of a request (`SendLocalFile`); regular files up to
        /// [`MAX_LOCAL_FILE`] bytes, with `sendfile` as the server's `send_local_file`.
        pub fn send_local_file(
            &self,
            $($id: $idty,)?
            path_to_file: impl AsRef<Path>,
            method: &str,
            path: &str,
            headers: &[Header<'_>],
        ) -> Result<()> {
            let (file, len) = open_small_file(path_to_file.as_ref())?;
            self.request($($id,)? method, path, headers, Body::File(&file, len))
        }

        fn request(
            &self,
            $($id: $idty,)?
            method: &str,
            path: &str,
            headers: &[Header<'_>],
            body: Body<'_>,
        ) -> Result<()> {
            let version = self.http_local_version();
            let use_cookie = self.http_use_cookie();
            let $me = self;
            $conn.and_then(|id| {
                $me.core().with_conn(id, |c| {
                    send_request_on(c, version, use_cookie, T::SECURE, method, path, headers, body)
                })?
            })
        }

        /// Sends one chunk of a chunked request body; an empty `data` is the last chunk.
        pub fn send_chunk_data(
            &self,
            $($id: $idty,)?
            data: &[u8],
            extensions: Option<&str>,
        ) -> Result<()> {
            let line = chunk(data, extensions)?;
            let $me = self;
            $conn.and_then(|id| $me.core().send(id, &[&line, data, b"\r\n"]))
        }

        /// `GET path` (HP-Socket's `SendGet`).
        pub fn send_get(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>]) -> Result<()> {
            self.send_request($($id,)? "GET", path, headers, &[])
        }
        /// `POST path` with a body.
        pub fn send_post(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>], body: &[u8]) -> Result<()> {
            self.send_request($($id,)? "POST", path, headers, body)
        }
        /// `PUT path` with a body.
        pub fn send_put(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>], body: &[u8]) -> Result<()> {
            self.send_request($($id,)? "PUT", path, headers, body)
        }
        /// `PATCH path` with a body.
        pub fn send_patch(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>], body: &[u8]) -> Result<()> {
            self.send_request($($id,)? "PATCH", path, headers, body)
        }
        /// `DELETE path`.
        pub fn send_delete(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>]) -> Result<()> {
            self.send_request($($id,)? "DELETE", path, headers, &[])
        }
        /// `HEAD path` (the response has no body, whatever its `Content-Length`).
        pub fn send_head(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>]) -> Result<()> {
            self.send_request($($id,)? "HEAD", path, headers, &[])
        }
        /// `TRACE path`.
        pub fn send_trace(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>]) -> Result<()> {
            self.send_request($($id,)? "TRACE", path, headers, &[])
        }
        /// `OPTIONS path`.
        pub fn send_options(&self, $($id: $idty,)? path: &str, headers: &[Header<'_>]) -> Result<()> {
            self.send_request($($id,)? "OPTIONS", path, headers, &[])
        }
        /// `CONNECT host:port` (a 2xx answer turns the connection into a tunnel:
        /// `on_upgrade`, then `on_receive`).
        pub fn send_connect(&self, $($id: $idty,)? authority: &str, headers: &[Header<'_>]) -> Result<()> {
            self.send_request($($id,)? "CONNECT", authority, headers, &[])
        }

        /// Starts HTTP parsing on the connection (HP-Socket's `StartHttp`): only with
        /// `http_auto_start` off, once per connection.
        pub fn start_http(&self, $($id: $idty)?) -> Result<()> {
            let auto = self.http_auto_start();
            let $me = self;
            $conn.and_then(|id| $me.core().with_conn(id, |c| start_http_on(c, auto))?)
        }

        /// Sends one WebSocket frame (HP-Socket 5.8's `SendWSMessage`): the FIN bit, the
        /// reserved bits (low three), the opcode, then `data` masked with `mask` — `None`
        /// draws a fresh random key, as RFC 6455 requires of clients (HP-Socket would send
        /// the frame unmasked, which a server must refuse). `body_len` as the server's
        /// `send_ws_message`; the rest of a longer body is the caller's to mask and send.
        #[allow(clippy::too_many_arguments)]
        pub fn send_ws_message(
            &self,
            $($id: $idty,)?
            fin: bool,
            rsv: u8,
            opcode: u8,
            mask: Option<[u8; 4]>,
            data: &[u8],
            body_len: u64,
        ) -> Result<()> {
            let mask = Some(mask.unwrap_or_else(random_mask));
            let $me = self;
            $conn.and_then(|id| {
                $me.core()
                    .with_conn(id, |c| send_ws(c, fin, rsv, opcode, mask, data, body_len))?
            })
        }

        /// The WebSocket frame being received (HP-Socket's `GetWSMessageState`):
        /// `IllegalState` unless the connection switched to WebSocket.
        pub fn ws_message_state(&self, $($id: $idty)?) -> Result<WsMessageState> {
            let $me = self;
            $conn.and_then(|id| $me.core().with_conn(id, ws_state_of)?)
        }

        /// Whether the last response on the connection keeps it open.
        pub fn is_keep_alive(&self, $($id: $idty)?) -> Result<bool> {
            let $me = self;
            $conn.and_then(|id| $me.core().with_conn(id, |c| c.session.http_keep_alive()))
        }
    };
}

/// The cookie switch of agents and clients.
macro_rules! cookie_properties {
    () => {
        $crate::config::properties! {
            /// Whether the component uses the process-wide [`cookie_jar`]: stores the
            /// `Set-Cookie` fields of responses and sends matching cookies with requests
            /// (`UseCookie`, default true as in HP-Socket). A request whose headers already
            /// hold `Cookie` is sent as given.
            http_use_cookie, set_http_use_cookie: bool, |_v| true, "";
        }
    };
}

impl<M: HttpModel, T: Transport> Agent<M, T> {
    http_properties!();
    cookie_properties!();
    request_ops!("agent", id: ConnId, |me| Ok::<ConnId, Error>(id));
}

impl<M: HttpModel, T: Transport> Client<M, T> {
    http_properties!();
    cookie_properties!();
    request_ops!("client", |me| me.id());
}
