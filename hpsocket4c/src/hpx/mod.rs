//! Our WebSocket extension of the C API (`include/HPSocket4C-WS.h`): the library's
//! `WsServer` / `WssServer`, `WsAgent` / `WssAgent` and `WsClient` / `WssClient` for C
//! programs. HP-Socket has no such components (it offers only the frame-level functions on
//! its HTTP components, [`crate::ws`]); every name here carries the `HPX_` prefix, which
//! HP-Socket does not use, so the extension cannot clash with a future HP-Socket name.
//!
//! - Create / Destroy (this file): `Create_HPX_{Ws,Wss}{Server,Agent,Client}` and their
//!   Destroy. The handles are ordinary 4C components: `HP_Server_*`, `HP_Agent_*`,
//!   `HP_Client_*` start, stop and query them, the `HP_SSL*_*` functions set up the Wss ones,
//!   and the HTTP getters (`HP_HttpServer_GetUrlField`, `HP_HttpAgent_GetHeader`, ...) read
//!   the handshake's request or response; a server answers plain HTTP requests with
//!   `HP_HttpServer_SendResponse` and the other server sends.
//! - The listener ([`listener`]): `Create_HPX_WsListener` and the `HPX_Set_FN_*` setters.
//! - The operations ([`ops`]): send text, binary and pings, start the close handshake.
//! - The properties ([`props`]): subprotocols, permessage-deflate, message and fragment
//!   sizes, keep-alive pings, the path agents and clients ask for.
//!
//! Failures: FALSE (0, NULL) with errno `EBADF` (unknown handle), `EINVAL` (a bad argument, a
//! handle that is not one of these components, a listener bound to another kind),
//! `EBADSLT` (unknown or closed connection), `EPERM` (the WebSocket is not open yet or is
//! closing; a property set while the component runs).
//!
//! Layer 3 (families): imports only [`crate::marshal`] and [`crate::roles`].

pub mod listener;
pub mod ops;
pub mod props;

use std::ffi::c_void;

use hpsocket::{WsAgent, WsClient, WsServer, WssAgent, WssClient, WssServer};

use crate::marshal::ffi;
use crate::roles::bridge::{WsRole, LISTENERS};
use crate::roles::http::Http;
use crate::roles::ssl::Ssl;
use crate::roles::{create, destroy, Agt, Cli, Srv, AGENTS, CLIENTS, SERVERS};

type H = *mut c_void;

/// Runs `$body` with `$c` bound to the Ws or Wss component behind `$h` in `$reg` (`$e` the
/// role's enum); another component fails with EINVAL, an unknown handle with EBADF.
macro_rules! with_ws {
    ($reg:ident, $e:ident, $h:expr, $fail:expr, |$c:ident| $body:expr) => {
        match $reg.get($h).as_deref() {
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
pub(crate) use with_ws;

/// Whether `listener` is a listener object that serves (or may now serve) `role`.
fn bound(listener: H, role: WsRole) -> bool {
    LISTENERS.get(listener).is_some_and(|l| l.bind(role))
}

/// The Create / Destroy pairs of one role: `$response` says whether the getters read
/// responses (agents, clients).
macro_rules! ws_lifecycle {
    ($reg:ident, $e:ident, $role:ident, $response:expr;
     $create:ident / $destroy:ident => $ty:ty;
     $screate:ident / $sdestroy:ident => $sty:ty;) => {
        /// Creates a WebSocket component reporting to `listener` (NULL, errno EBADF: not a
        /// listener; EINVAL: a listener bound to another kind of component).
        #[no_mangle]
        pub extern "C" fn $create(listener: H) -> H {
            ffi!(std::ptr::null_mut(), {
                if !bound(listener, WsRole::$role) {
                    return std::ptr::null_mut();
                }
                create(&$reg, listener, |br| {
                    let st = br.http.clone();
                    if $response {
                        st.set_response();
                    }
                    $e::Ws(Http::new(<$ty>::new(br), st))
                })
            })
        }
        /// Destroys a WebSocket component, stopping it first.
        #[no_mangle]
        pub extern "C" fn $destroy(h: H) {
            destroy(&$reg, h)
        }
        /// Creates a WebSocket component over TLS; set it up with the `HP_SSL*_SetupSSLContext`
        /// functions before starting it.
        #[no_mangle]
        pub extern "C" fn $screate(listener: H) -> H {
            ffi!(std::ptr::null_mut(), {
                if !bound(listener, WsRole::$role) {
                    return std::ptr::null_mut();
                }
                create(&$reg, listener, |br| {
                    let st = br.http.clone();
                    if $response {
                        st.set_response();
                    }
                    $e::Wss(Http::new(Ssl::from(<$sty>::new(br)), st))
                })
            })
        }
        /// Destroys a WebSocket component over TLS, stopping it first.
        #[no_mangle]
        pub extern "C" fn $sdestroy(h: H) {
            destroy(&$reg, h)
        }
    };
}

ws_lifecycle!(SERVERS, Srv, Server, false;
    Create_HPX_WsServer / Destroy_HPX_WsServer => WsServer;
    Create_HPX_WssServer / Destroy_HPX_WssServer => WssServer;);
ws_lifecycle!(AGENTS, Agt, Agent, true;
    Create_HPX_WsAgent / Destroy_HPX_WsAgent => WsAgent;
    Create_HPX_WssAgent / Destroy_HPX_WssAgent => WssAgent;);
ws_lifecycle!(CLIENTS, Cli, Client, true;
    Create_HPX_WsClient / Destroy_HPX_WsClient => WsClient;
    Create_HPX_WssClient / Destroy_HPX_WssClient => WssClient;);
