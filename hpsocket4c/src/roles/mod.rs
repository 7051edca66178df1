//! Layer 2 of 3, the roles: what a C handle stands for. The handle registries (`Registry`,
//! `SERVERS`, `AGENTS`, `CLIENTS`, and the listeners' in [`bridge`]), the role enums
//! [`Srv`], [`Agt`] and [`Cli`] with their TCP, SSL, UDP, HTTP and WebSocket variants (each one an
//! [`hpsocket::Component`]), and the macros that dispatch a handle to its component
//! (`each_variant!`, `with_any!`) or generate the Create / Destroy exports
//! (`lifecycle_exports!`).
//!
//! The variants' wrappers live here too, because the enums hold them: [`ssl::Ssl`] (an SSL
//! component with the settings the 4C API keeps beside it) and [`udp::Udp`] (a UDP component
//! as the shared `HP_Server_*` / `HP_Client_*` functions see it), and [`bridge::Bridge`], the
//! listener every component is created on. This layer imports only [`crate::marshal`]; the
//! families (layer 3) import it and never each other.

pub mod bridge;
pub mod http;
pub mod ssl;
pub mod udp;

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use hpsocket::*;
use parking_lot::RwLock;

use crate::marshal::{ffi, in_callback, set_errno};
use crate::roles::bridge::Bridge;
use crate::roles::http::{Http, SyncHttp};
use crate::roles::ssl::Ssl;
use crate::roles::udp::Udp;

// ---- the roles ----

/// A server of any receive model, plain or SSL.
pub enum Srv {
    /// PUSH.
    Push(TcpServer),
    /// PULL.
    Pull(TcpPullServer),
    /// PACK.
    Pack(TcpPackServer),
    /// SSL PUSH.
    SslPush(Ssl<SslServer>),
    /// SSL PULL.
    SslPull(Ssl<SslPullServer>),
    /// SSL PACK.
    SslPack(Ssl<SslPackServer>),
    /// UDP (driven by the same `HP_Server_*` functions).
    Udp(Udp<UdpServer>),
    /// HTTP (a TCP server too: every `HP_Server_*` / `HP_TcpServer_*` function applies).
    Http(Http<HttpServer>),
    /// HTTPS (an SSL server too: the `HP_SSLServer_*` functions apply).
    Https(Http<Ssl<HttpsServer>>),
    /// WebSocket (our `HPX_WsServer_*` extension; an HTTP server too for plain requests).
    Ws(Http<WsServer>),
    /// WebSocket over TLS (an SSL server too).
    Wss(Http<Ssl<WssServer>>),
}

pub(crate) static SERVERS: LazyLock<Registry<Srv>> = LazyLock::new(Registry::default);

component_enum!(Srv, [Udp, Http, Https, Ws, Wss]);

/// An agent of any receive model, plain or SSL.
pub enum Agt {
    /// PUSH.
    Push(TcpAgent),
    /// PULL.
    Pull(TcpPullAgent),
    /// PACK.
    Pack(TcpPackAgent),
    /// SSL PUSH.
    SslPush(Ssl<SslAgent>),
    /// SSL PULL.
    SslPull(Ssl<SslPullAgent>),
    /// SSL PACK.
    SslPack(Ssl<SslPackAgent>),
    /// HTTP.
    Http(Http<HttpAgent>),
    /// HTTPS.
    Https(Http<Ssl<HttpsAgent>>),
    /// WebSocket (our `HPX_WsAgent_*` extension).
    Ws(Http<WsAgent>),
    /// WebSocket over TLS.
    Wss(Http<Ssl<WssAgent>>),
}

pub(crate) static AGENTS: LazyLock<Registry<Agt>> = LazyLock::new(Registry::default);

component_enum!(Agt, [Http, Https, Ws, Wss]);

/// A client of any receive model, plain or SSL.
pub enum Cli {
    /// PUSH.
    Push(TcpClient),
    /// PULL.
    Pull(TcpPullClient),
    /// PACK.
    Pack(TcpPackClient),
    /// SSL PUSH.
    SslPush(Ssl<SslClient>),
    /// SSL PULL.
    SslPull(Ssl<SslPullClient>),
    /// SSL PACK.
    SslPack(Ssl<SslPackClient>),
    /// UDP client (driven by the same `HP_Client_*` functions).
    Udp(Udp<UdpClient>),
    /// UDP cast (driven by the same `HP_Client_*` functions).
    Cast(Udp<UdpCast>),
    /// HTTP.
    Http(Http<HttpClient>),
    /// HTTPS.
    Https(Http<Ssl<HttpsClient>>),
    /// HTTP sync client (its `HP_Client_*` functions act on the client it wraps).
    Sync(SyncHttp<Plain>),
    /// HTTPS sync client (an SSL client too).
    SyncS(Ssl<SyncHttp<Tls>>),
    /// WebSocket (our `HPX_WsClient_*` extension).
    Ws(Http<WsClient>),
    /// WebSocket over TLS.
    Wss(Http<Ssl<WssClient>>),
}

pub(crate) static CLIENTS: LazyLock<Registry<Cli>> = LazyLock::new(Registry::default);

component_enum!(Cli, [Udp, Cast, Http, Https, Sync, SyncS, Ws, Wss]);

impl ssl::ExtraSsl for Srv {
    type C = HttpsServer;
    fn extra_ssl(&self) -> Option<(&HttpsServer, &ssl::SslState)> {
        None
    }
}

impl ssl::ExtraSsl for Agt {
    type C = HttpsAgent;
    fn extra_ssl(&self) -> Option<(&HttpsAgent, &ssl::SslState)> {
        None
    }
}

impl ssl::ExtraSsl for Cli {
    type C = HttpsClient;
    fn extra_ssl(&self) -> Option<(&HttpsClient, &ssl::SslState)> {
        match self {
            Cli::SyncS(x) => Some((x, &x.state)),
            _ => None,
        }
    }
}

/// A `match` over the variants of a role's enum (the three receive models, plain and SSL,
/// plus the role's UDP and HTTP variants listed in `[$x]`), binding `$c` to the component. The SSL and UDP
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

/// Implements the library's [`hpsocket::Component`] for a role's enum with UDP variants
/// `[$x]`, so Create / Destroy (and anything else) drive any variant through it.
macro_rules! component_enum {
    ($e:ident, [$($x:ident),*]) => {
        impl hpsocket::Component for $e {
            fn stop(&self) -> hpsocket::Result<()> {
                $crate::roles::each_variant!($e, self, [$($x),*], |c| c.stop())
            }
            fn wait(&self, t: Option<std::time::Duration>) -> bool {
                $crate::roles::each_variant!($e, self, [$($x),*], |c| c.wait(t))
            }
            fn state(&self) -> hpsocket::ServiceState {
                $crate::roles::each_variant!($e, self, [$($x),*], |c| c.state())
            }
            fn is_secure(&self) -> bool {
                $crate::roles::each_variant!($e, self, [$($x),*], |c| c.is_secure())
            }
            fn last_error(&self) -> hpsocket::SocketError {
                $crate::roles::each_variant!($e, self, [$($x),*], |c| c.last_error())
            }
            fn last_error_desc(&self) -> String {
                $crate::roles::each_variant!($e, self, [$($x),*], |c| c.last_error_desc())
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
            Some(o) => $crate::roles::each_variant!($e, &*o, [$($x),*], |$c| $body, else {
                $crate::marshal::set_errno(libc::EINVAL);
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
            $crate::roles::create(&$reg, listener, |br| $e::$variant(<$ty>::new(br).into()))
        }
        /// Destroys a component, stopping it first.
        #[no_mangle]
        pub extern "C" fn $destroy(h: *mut std::ffi::c_void) {
            $crate::roles::destroy(&$reg, h)
        }
    )*};
}
pub(crate) use lifecycle_exports;

/// `Create_HP_*`: a component reporting to `listener`, registered under a new handle that
/// its callbacks receive as `pSender`.
pub(crate) fn create<T: Component + 'static>(
    reg: &Registry<T>,
    listener: *mut c_void,
    make: impl FnOnce(Bridge) -> T,
) -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        let Some(br) = bridge::bridge(listener) else {
            return std::ptr::null_mut();
        };
        let h = new_handle();
        br.sender.store(h, Ordering::Release);
        reg.insert(h, Arc::new(make(br)));
        h as *mut c_void
    })
}

/// How long `Destroy_HP_*` outside callbacks waits for the component to stop.
const DESTROY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `Destroy_HP_*`: unregisters the handle at once (later calls fail with EBADF), then stops the
/// component if it runs.
///
/// Outside callbacks it waits (bounded by [`DESTROY_WAIT`]) for the stop to finish, as
/// HP-Socket's destructor does. Inside a C callback (of this component or any other) it must
/// not wait: the stop cannot finish before the callback returns, so the wait would block the
/// worker for the whole bound. There `stop` only starts the stop (the library finishes it on a
/// thread of its own once the callbacks return) and our reference is dropped at once; the
/// component keeps itself alive until that stop completes (its self-reference, released by the
/// library after `OnShutdown`), so nothing is freed under a running callback.
pub(crate) fn destroy<T: Component + 'static>(reg: &Registry<T>, h: *mut c_void) {
    ffi!((), {
        if let Some(c) = reg.remove(h) {
            if c.has_started() {
                let _ = c.stop();
                if !in_callback(None) {
                    c.wait(Some(DESTROY_WAIT));
                }
            }
        }
    })
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

/// A new handle, never handed out before.
pub(crate) fn new_handle() -> usize {
    // Handles look like aligned pointers to C code; 16-byte steps keep them aligned.
    NEXT_HANDLE.fetch_add(16, Ordering::Relaxed)
}

impl<T> Registry<T> {
    /// Registers `v` under handle `h`.
    pub fn insert(&self, h: usize, v: Arc<T>) {
        self.map.write().insert(h, v);
    }
    /// The object behind `h` (none: errno EBADF).
    pub fn get(&self, h: *mut std::ffi::c_void) -> Option<Arc<T>> {
        let r = self.map.read().get(&(h as usize)).cloned();
        if r.is_none() {
            set_errno(libc::EBADF);
        }
        r
    }
    /// Unregisters `h`; later calls with it fail with EBADF.
    pub fn remove(&self, h: *mut std::ffi::c_void) -> Option<Arc<T>> {
        self.map.write().remove(&(h as usize))
    }
}
