//! HP-Socket's `HttpSyncClient`: one blocking request at a time over an [`HttpClient`]
//! (or [`HttpsClient`]), its response kept for reading afterwards.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::cores::http::{HttpVersion, Message, ParseError, ParseResult};
use crate::error::{Error, Result};
use crate::listener::ClientListener;
use crate::model::{Http, Plain, Tls, Transport};
use crate::roles::api::Component;
use crate::roles::client::Client;
use crate::roles::http::Header;
use crate::types::{ConnId, HandleResult, SocketOperation};

/// Default connect timeout of the sync client (HP-Socket's
/// `DEFAULT_HTTP_SYNC_CONNECT_TIMEOUT`): 5 s.
pub const DEFAULT_SYNC_CONNECT_TIMEOUT: u32 = 5_000;
/// Default request timeout of the sync client (`DEFAULT_HTTP_SYNC_REQUEST_TIMEOUT`): 10 s.
pub const DEFAULT_SYNC_REQUEST_TIMEOUT: u32 = 10_000;

/// Stores a timeout of at least 1 ms.
fn set_ms(cell: &AtomicU32, ms: u32, what: &'static str) -> Result<()> {
    crate::config::check(ms >= 1, what)?;
    cell.store(ms, Ordering::Relaxed);
    Ok(())
}

/// The response to the last request, as the sync client kept it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncResponse {
    /// Status code (0 before any response).
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// HTTP version of the response.
    pub version: Option<HttpVersion>,
    /// Header fields in arrival order (trailers of a chunked body appended).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body (bounded by `http_max_body_size`, 16 MiB by default).
    pub body: Vec<u8>,
    /// Whether the connection stays open for the next request.
    pub keep_alive: bool,
}

impl SyncResponse {
    /// The first field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

/// Where a request stands.
#[derive(Default)]
struct State {
    response: SyncResponse,
    /// `Some` once the request ended: its outcome.
    outcome: Option<std::result::Result<(), String>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    done: Condvar,
}

impl Shared {
    fn finish(&self, outcome: std::result::Result<(), String>) {
        let mut st = self.state.lock();
        if st.outcome.is_none() {
            st.outcome = Some(outcome);
        }
        self.done.notify_all();
    }
}

struct Collect(Arc<Shared>);

impl<T: Transport> ClientListener<Client<Http, T>> for Collect {
    fn on_status_line(
        &self,
        _c: &Client<Http, T>,
        _id: ConnId,
        m: &Message,
        status: u16,
        reason: &str,
    ) -> ParseResult {
        let mut st = self.0.state.lock();
        st.response.status = status;
        st.response.reason = reason.to_string();
        st.response.version = Some(m.version());
        ParseResult::Ok
    }
    fn on_header(
        &self,
        _c: &Client<Http, T>,
        _id: ConnId,
        _m: &Message,
        name: &str,
        value: &[u8],
    ) -> ParseResult {
        self.0
            .state
            .lock()
            .response
            .headers
            .push((name.to_string(), value.to_vec()));
        ParseResult::Ok
    }
    fn on_body(&self, _c: &Client<Http, T>, _id: ConnId, _m: &Message, d: &[u8]) -> ParseResult {
        self.0.state.lock().response.body.extend_from_slice(d);
        ParseResult::Ok
    }
    fn on_message_complete(&self, _c: &Client<Http, T>, _id: ConnId, m: &Message) -> ParseResult {
        self.0.state.lock().response.keep_alive = m.keep_alive();
        self.0.finish(Ok(()));
        ParseResult::Ok
    }
    fn on_parse_error(&self, _c: &Client<Http, T>, _id: ConnId, _m: &Message, e: &ParseError) {
        self.0.finish(Err(format!("bad response: {e}")));
    }
    fn on_close(
        &self,
        _c: &Client<Http, T>,
        _id: ConnId,
        op: SocketOperation,
        err: i32,
    ) -> HandleResult {
        self.0
            .finish(Err(format!("connection closed ({op:?}, errno {err})")));
        HandleResult::Ok
    }
}

/// A URL the sync client can open: `http://` (or `https://` for [`HttpsSyncClient`]),
/// host (a name, an IPv4 address or `[IPv6]`), optional port, path with query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `https` (else `http`).
    pub secure: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port (80 / 443 when the URL has none).
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl Url {
    /// Parses `url`; `None` when it is not an absolute http(s) URL.
    pub fn parse(url: &str) -> Option<Url> {
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        let (secure, rest) = if lower.starts_with("https://") {
            (true, &url[8..])
        } else if lower.starts_with("http://") {
            (false, &url[7..])
        } else {
            return None;
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or("");
        let path = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let default = if secure { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']')?;
            match after.strip_prefix(':') {
                Some(p) => (h, p.parse().ok()?),
                None if after.is_empty() => (h, default),
                None => return None,
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().ok()?),
                None => (authority, default),
            }
        };
        if host.is_empty() || host.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return None;
        }
        Some(Url {
            secure,
            host: host.to_string(),
            port,
            path,
        })
    }
}

/// HP-Socket's HTTP sync client: [`open_url`](Self::open_url) connects (or reuses the
/// connection to the same host and port), sends one request and blocks until its response is
/// complete, the request timeout passes, or the connection fails; the response stays readable
/// ([`response`](Self::response)) until the next request. Redirects are not followed (a 3xx
/// is a response like any other), as in HP-Socket.
///
/// ```no_run
/// use hpsocket::HttpSyncClient;
///
/// let c = HttpSyncClient::new();
/// c.open_url("GET", "http://127.0.0.1:8080/index.html", &[], b"", false)?;
/// let r = c.response();
/// println!("{} {} ({} bytes)", r.status, r.reason, r.body.len());
/// # Ok::<(), hpsocket::Error>(())
/// ```
pub struct SyncClient<T: Transport = Plain> {
    client: Client<Http, T>,
    shared: Arc<Shared>,
    /// The host and port the current connection goes to.
    target: Mutex<Option<(String, u16)>>,
    connect_timeout: AtomicU32,
    request_timeout: AtomicU32,
    /// One request at a time.
    busy: Mutex<()>,
}

/// HP-Socket's `HttpSyncClient`.
pub type HttpSyncClient = SyncClient<Plain>;
/// HP-Socket's `HttpsSyncClient` (set its TLS context through [`SyncClient::client`]).
pub type HttpsSyncClient = SyncClient<Tls>;

impl<T: Transport> Default for SyncClient<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Transport> SyncClient<T> {
    /// A sync client with HP-Socket's timeouts (connect 5 s, request 10 s).
    pub fn new() -> Self {
        let shared = Arc::new(Shared::default());
        SyncClient {
            client: Client::new(Collect(shared.clone())),
            shared,
            target: Mutex::new(None),
            connect_timeout: DEFAULT_SYNC_CONNECT_TIMEOUT.into(),
            request_timeout: DEFAULT_SYNC_REQUEST_TIMEOUT.into(),
            busy: Mutex::new(()),
        }
    }

    /// The underlying client, for its properties (HTTP limits, TLS context, socket options).
    pub fn client(&self) -> &Client<Http, T> {
        &self.client
    }

    /// Connect timeout in ms (`ConnectTimeout`, default 5000).
    pub fn connect_timeout(&self) -> u32 {
        self.connect_timeout.load(Ordering::Relaxed)
    }

    /// Sets the connect timeout in ms (>= 1).
    pub fn set_connect_timeout(&self, ms: u32) -> Result<()> {
        set_ms(&self.connect_timeout, ms, "connect_timeout must be >= 1")
    }

    /// Request timeout in ms (`RequestTimeout`, default 10000): from sending to the end of
    /// the response.
    pub fn request_timeout(&self) -> u32 {
        self.request_timeout.load(Ordering::Relaxed)
    }

    /// Sets the request timeout in ms (>= 1).
    pub fn set_request_timeout(&self, ms: u32) -> Result<()> {
        set_ms(&self.request_timeout, ms, "request_timeout must be >= 1")
    }

    /// Opens `url` with `method` (HP-Socket's `OpenUrl`): reuses the open connection to the
    /// same host and port unless `force_reconnect`, otherwise connects (blocking, at most
    /// the connect timeout), sends the request and waits for the whole response (at most the
    /// request timeout). A URL of the other scheme (https on [`HttpSyncClient`], http on
    /// [`HttpsSyncClient`]) is refused with `InvalidParam`.
    pub fn open_url(
        &self,
        method: &str,
        url: &str,
        headers: &[Header<'_>],
        body: &[u8],
        force_reconnect: bool,
    ) -> Result<()> {
        let u = Url::parse(url).ok_or(Error::InvalidParam("not an absolute http(s) URL"))?;
        if u.secure != T::SECURE {
            return Err(Error::InvalidParam(
                "URL scheme does not match the client (http: HttpSyncClient, https: HttpsSyncClient)",
            ));
        }
        let _one = self.busy.lock();
        let same = self
            .target
            .lock()
            .as_ref()
            .is_some_and(|(h, p)| *h == u.host && *p == u.port);
        if force_reconnect || !same || !self.client.is_connected() {
            self.connect(&u.host, u.port)?;
        }
        self.request_locked(method, &u.path, headers, body)
    }

    /// Sends a request on the open connection and waits for its response (HP-Socket's
    /// `SendRequest` on the sync client).
    pub fn send_request(
        &self,
        method: &str,
        path: &str,
        headers: &[Header<'_>],
        body: &[u8],
    ) -> Result<()> {
        let _one = self.busy.lock();
        self.request_locked(method, path, headers, body)
    }

    fn connect(&self, host: &str, port: u16) -> Result<()> {
        if self.client.has_started() {
            let _ = self.client.stop();
        }
        *self.target.lock() = None;
        self.client.set_connect_timeout(self.connect_timeout())?;
        self.client.start(host, port, false)?;
        *self.target.lock() = Some((host.to_string(), port));
        Ok(())
    }

    fn request_locked(
        &self,
        method: &str,
        path: &str,
        headers: &[Header<'_>],
        body: &[u8],
    ) -> Result<()> {
        *self.shared.state.lock() = State::default();
        self.client.send_request(method, path, headers, body)?;
        let deadline = Instant::now() + Duration::from_millis(self.request_timeout() as u64);
        let mut st = self.shared.state.lock();
        while st.outcome.is_none() {
            if self.shared.done.wait_until(&mut st, deadline).timed_out() && st.outcome.is_none() {
                drop(st);
                // The connection's state is unknown now: the next request starts afresh.
                let _ = self.client.stop();
                *self.target.lock() = None;
                return Err(Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "no complete response within the request timeout",
                )));
            }
        }
        match st.outcome.clone() {
            Some(Ok(())) => {
                let keep = st.response.keep_alive;
                drop(st);
                if !keep {
                    let _ = self.client.stop();
                    *self.target.lock() = None;
                }
                Ok(())
            }
            Some(Err(e)) => {
                drop(st);
                let _ = self.client.stop();
                *self.target.lock() = None;
                Err(Error::Io(std::io::Error::other(e)))
            }
            None => unreachable!("the loop waits for an outcome"),
        }
    }

    /// The last response (empty before the first; cleared by
    /// [`cleanup_request_result`](Self::cleanup_request_result)).
    pub fn response(&self) -> SyncResponse {
        self.shared.state.lock().response.clone()
    }

    /// Status code of the last response (0 if none).
    pub fn status_code(&self) -> u16 {
        self.shared.state.lock().response.status
    }

    /// The last response's body.
    pub fn response_body(&self) -> Vec<u8> {
        self.shared.state.lock().response.body.clone()
    }

    /// Forgets the last response (HP-Socket's `CleanupRequestResult`).
    pub fn cleanup_request_result(&self) {
        *self.shared.state.lock() = State::default();
    }

    /// Closes the connection.
    pub fn stop(&self) -> Result<()> {
        *self.target.lock() = None;
        if self.client.has_started() {
            self.client.stop()
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Url;

    #[test]
    fn urls_split_into_host_port_and_path() {
        let u = Url::parse("http://example.com/a/b?c=d#frag").unwrap();
        assert_eq!(
            (u.secure, u.host.as_str(), u.port, u.path.as_str()),
            (false, "example.com", 80, "/a/b?c=d")
        );
        let u = Url::parse("HTTPS://user:pw@[::1]:8443").unwrap();
        assert_eq!(
            (u.secure, u.host.as_str(), u.port, u.path.as_str()),
            (true, "::1", 8443, "/")
        );
        let u = Url::parse("http://h:81?x").unwrap();
        assert_eq!((u.port, u.path.as_str()), (81, "/?x"));
        for bad in [
            "ftp://h/",
            "http://",
            "http://:80/",
            "http://h:99999/",
            "http://[::1/",
            "http://a b/",
            "h/x",
        ] {
            assert_eq!(Url::parse(bad), None, "{bad}");
        }
    }
}
