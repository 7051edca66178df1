//! The properties of our WebSocket extension, on the Ws and Wss components alike:
//! `HPX_Ws{Server,Agent,Client}_{Set,Get}Protocols`, `SetDeflate` / `IsDeflate`,
//! `{Set,Get}MaxMessageSize`, `{Set,Get}FragmentSize`, `{Set,Get}PingInterval`, and for
//! agents and clients `{Set,Get}Path`.
//!
//! Setters return BOOL (HP-Socket's return nothing): FALSE with errno `EPERM` while the
//! component is not stopped, `EINVAL` for a bad value, `EBADF` for an unknown handle. Getters
//! of numbers return 0 and getters of flags FALSE on failure (errno set); the string getters
//! copy into the caller's buffer as `HP_Server_GetListenAddress` does.

use std::ffi::{c_char, c_int, c_void};

use crate::hpx::with_ws;
use crate::marshal::{b, cstr, ffi, set_errno, write_str, BOOL, FALSE};
use crate::roles::{Agt, Cli, Srv, AGENTS, CLIENTS, SERVERS};

type H = *mut c_void;

/// A comma-separated list of subprotocols (NULL or empty: none); items are trimmed, and an
/// empty item or text that is not UTF-8 is refused (EINVAL). Whether each is a token is the
/// library's check.
unsafe fn protocols_arg<'a>(p: *const c_char) -> Option<Vec<&'a str>> {
    if p.is_null() {
        return Some(Vec::new());
    }
    let Some(s) = cstr(p) else {
        set_errno(libc::EINVAL);
        return None;
    };
    if s.trim().is_empty() {
        return Some(Vec::new());
    }
    let v: Vec<&str> = s.split(',').map(str::trim).collect();
    if v.iter().any(|p| p.is_empty()) {
        set_errno(libc::EINVAL);
        return None;
    }
    Some(v)
}

/// The properties every WebSocket role has.
macro_rules! ws_props {
    ($reg:ident, $e:ident;
     $set_protocols:ident, $get_protocols:ident, $set_deflate:ident, $is_deflate:ident,
     $set_max:ident, $get_max:ident, $set_fragment:ident, $get_fragment:ident,
     $set_ping:ident, $get_ping:ident) => {
        /// Sets the subprotocols this side speaks, comma-separated, in order of preference
        /// (NULL or "": none). Only while stopped.
        #[no_mangle]
        pub unsafe extern "C" fn $set_protocols(h: H, list: *const c_char) -> BOOL {
            ffi!(FALSE, {
                let Some(v) = protocols_arg(list) else { return FALSE };
                with_ws!($reg, $e, h, FALSE, |c| b(c.set_ws_protocols(&v)))
            })
        }
        /// The subprotocols, comma-separated ("" for none), into `buf` (`*len`: its size in,
        /// the string's length plus one out; too small: FALSE, EINVAL, `*len` the size needed).
        #[no_mangle]
        pub unsafe extern "C" fn $get_protocols(h: H, buf: *mut c_char, len: *mut c_int) -> BOOL {
            ffi!(FALSE, {
                with_ws!($reg, $e, h, FALSE, |c| write_str(&c.ws_protocols().join(","), buf, len))
            })
        }
        /// Offers (agents, clients) or accepts (servers) permessage-deflate. Only while stopped.
        #[no_mangle]
        pub extern "C" fn $set_deflate(h: H, on: BOOL) -> BOOL {
            ffi!(FALSE, { with_ws!($reg, $e, h, FALSE, |c| b(c.set_ws_deflate(on != FALSE))) })
        }
        /// Whether permessage-deflate is offered / accepted (FALSE by default).
        #[no_mangle]
        pub extern "C" fn $is_deflate(h: H) -> BOOL {
            ffi!(FALSE, { with_ws!($reg, $e, h, FALSE, |c| c.ws_deflate() as BOOL) })
        }
        /// Sets the largest message received, in bytes (0: no limit). Only while stopped.
        #[no_mangle]
        pub extern "C" fn $set_max(h: H, v: u32) -> BOOL {
            ffi!(FALSE, { with_ws!($reg, $e, h, FALSE, |c| b(c.set_ws_max_message_size(v as usize))) })
        }
        /// The largest message received (16 MiB by default; 0: no limit).
        #[no_mangle]
        pub extern "C" fn $get_max(h: H) -> u32 {
            ffi!(0, {
                with_ws!($reg, $e, h, 0, |c| u32::try_from(c.ws_max_message_size()).unwrap_or(u32::MAX))
            })
        }
        /// Sets the size of the frames messages sent are split into (0: one frame each).
        /// Only while stopped.
        #[no_mangle]
        pub extern "C" fn $set_fragment(h: H, v: u32) -> BOOL {
            ffi!(FALSE, { with_ws!($reg, $e, h, FALSE, |c| b(c.set_ws_fragment_size(v))) })
        }
        /// The fragment size (0 by default: one frame per message).
        #[no_mangle]
        pub extern "C" fn $get_fragment(h: H) -> u32 {
            ffi!(0, { with_ws!($reg, $e, h, 0, |c| c.ws_fragment_size()) })
        }
        /// Sets the keep-alive ping interval in ms (0: off, else >= 100). Only while stopped.
        #[no_mangle]
        pub extern "C" fn $set_ping(h: H, ms: u32) -> BOOL {
            ffi!(FALSE, { with_ws!($reg, $e, h, FALSE, |c| b(c.set_ws_ping_interval(ms))) })
        }
        /// The keep-alive ping interval in ms (30000 by default).
        #[no_mangle]
        pub extern "C" fn $get_ping(h: H) -> u32 {
            ffi!(0, { with_ws!($reg, $e, h, 0, |c| c.ws_ping_interval()) })
        }
    };
}

/// The path agents and clients ask for.
macro_rules! ws_path {
    ($reg:ident, $e:ident; $set:ident, $get:ident) => {
        /// Sets the request target of the opening handshake (`/chat?room=1`: starts with `/`,
        /// no space or control). Only while stopped.
        #[no_mangle]
        pub unsafe extern "C" fn $set(h: H, path: *const c_char) -> BOOL {
            ffi!(FALSE, {
                let Some(p) = cstr(path) else {
                    set_errno(libc::EINVAL);
                    return FALSE;
                };
                with_ws!($reg, $e, h, FALSE, |c| b(c.set_ws_path(p)))
            })
        }
        /// The request target ("/" by default), into `buf` as the protocols' getter does.
        #[no_mangle]
        pub unsafe extern "C" fn $get(h: H, buf: *mut c_char, len: *mut c_int) -> BOOL {
            ffi!(FALSE, {
                with_ws!($reg, $e, h, FALSE, |c| write_str(&c.ws_path(), buf, len))
            })
        }
    };
}

ws_props!(SERVERS, Srv;
    HPX_WsServer_SetProtocols, HPX_WsServer_GetProtocols, HPX_WsServer_SetDeflate,
    HPX_WsServer_IsDeflate, HPX_WsServer_SetMaxMessageSize, HPX_WsServer_GetMaxMessageSize,
    HPX_WsServer_SetFragmentSize, HPX_WsServer_GetFragmentSize, HPX_WsServer_SetPingInterval,
    HPX_WsServer_GetPingInterval);
ws_props!(AGENTS, Agt;
    HPX_WsAgent_SetProtocols, HPX_WsAgent_GetProtocols, HPX_WsAgent_SetDeflate,
    HPX_WsAgent_IsDeflate, HPX_WsAgent_SetMaxMessageSize, HPX_WsAgent_GetMaxMessageSize,
    HPX_WsAgent_SetFragmentSize, HPX_WsAgent_GetFragmentSize, HPX_WsAgent_SetPingInterval,
    HPX_WsAgent_GetPingInterval);
ws_props!(CLIENTS, Cli;
    HPX_WsClient_SetProtocols, HPX_WsClient_GetProtocols, HPX_WsClient_SetDeflate,
    HPX_WsClient_IsDeflate, HPX_WsClient_SetMaxMessageSize, HPX_WsClient_GetMaxMessageSize,
    HPX_WsClient_SetFragmentSize, HPX_WsClient_GetFragmentSize, HPX_WsClient_SetPingInterval,
    HPX_WsClient_GetPingInterval);
ws_path!(AGENTS, Agt; HPX_WsAgent_SetPath, HPX_WsAgent_GetPath);
ws_path!(CLIENTS, Cli; HPX_WsClient_SetPath, HPX_WsClient_GetPath);
