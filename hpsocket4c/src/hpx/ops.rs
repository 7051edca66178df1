//! The operations of our WebSocket extension: `HPX_Ws{Server,Agent,Client}_SendText`,
//! `_SendBinary`, `_SendPing` and `_Close`, on the Ws and Wss components alike (servers and
//! agents name the connection, a client has one).
//!
//! They fail (FALSE) with errno `EPERM` before the connection's `OnWsOpen`, once a close was
//! sent, and once the peer's close was received (from the return of its `OnWsClose`: the
//! library answers a close after that event), `EBADSLT` for an unknown or closed connection (a client that is not
//! started: `EPERM`), `EINVAL` for a bad argument (text that is not UTF-8, a ping payload over
//! 125 bytes, a close code that may not be sent, a reason over 123 bytes), `EBADF` for an
//! unknown handle.

use std::ffi::{c_char, c_int, c_void, CStr};

use crate::hpx::with_ws;
use crate::marshal::{b, bytes, ffi, need_id, set_errno, BOOL, FALSE};
use crate::roles::{Agt, Cli, Srv, AGENTS, CLIENTS, SERVERS};

type H = *mut c_void;

/// A text argument: `len` bytes at `p`, or up to the NUL with `len` -1; it must be UTF-8.
/// NULL with a length, a length below -1 or text that is not UTF-8: errno EINVAL.
unsafe fn text_arg<'a>(p: *const c_char, len: c_int) -> Option<&'a str> {
    let raw = if len == -1 {
        if p.is_null() {
            set_errno(libc::EINVAL);
            return None;
        }
        CStr::from_ptr(p).to_bytes()
    } else {
        bytes(p as *const u8, len)?
    };
    match std::str::from_utf8(raw) {
        Ok(s) => Some(s),
        Err(_) => {
            set_errno(libc::EINVAL);
            None
        }
    }
}

/// A close reason: NULL is none; it must be UTF-8 (EINVAL).
unsafe fn reason_arg<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return Some("");
    }
    text_arg(p, -1)
}

/// The four operations of one role; `[$id]` is the connection ID argument of servers and
/// agents (none for a client).
macro_rules! ws_ops {
    ($reg:ident, $e:ident, [$($id:ident)?];
     $text:ident, $binary:ident, $ping:ident, $close:ident) => {
        /// Sends a text message (`len` -1: up to the NUL); it must be UTF-8.
        #[no_mangle]
        pub unsafe extern "C" fn $text(h: H, $($id: usize,)? text: *const c_char, len: c_int) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                let Some(t) = text_arg(text, len) else { return FALSE };
                with_ws!($reg, $e, h, FALSE, |c| b(c.send_text($($id,)? t)))
            })
        }

        /// Sends a binary message of `len` bytes.
        #[no_mangle]
        pub unsafe extern "C" fn $binary(h: H, $($id: usize,)? data: *const u8, len: c_int) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                let Some(d) = bytes(data, len) else { return FALSE };
                with_ws!($reg, $e, h, FALSE, |c| b(c.send_binary($($id,)? d)))
            })
        }

        /// Sends a ping with a payload of at most 125 bytes; its pong comes to OnWsPong.
        #[no_mangle]
        pub unsafe extern "C" fn $ping(h: H, $($id: usize,)? data: *const u8, len: c_int) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                let Some(d) = bytes(data, len) else { return FALSE };
                with_ws!($reg, $e, h, FALSE, |c| b(c.send_ping($($id,)? d)))
            })
        }

        /// Starts the close handshake with `code` and `reason` (NULL: none; at most 123
        /// bytes of UTF-8). The connection closes when the peer answers (OnWsClose, then
        /// OnClose), or after a deadline.
        #[no_mangle]
        pub unsafe extern "C" fn $close(h: H, $($id: usize,)? code: u16, reason: *const c_char) -> BOOL {
            ffi!(FALSE, {
                $(let Some($id) = need_id($id) else { return FALSE };)?
                let Some(r) = reason_arg(reason) else { return FALSE };
                with_ws!($reg, $e, h, FALSE, |c| b(c.close_ws($($id,)? code, r)))
            })
        }
    };
}

ws_ops!(SERVERS, Srv, [id];
    HPX_WsServer_SendText, HPX_WsServer_SendBinary, HPX_WsServer_SendPing, HPX_WsServer_Close);
ws_ops!(AGENTS, Agt, [id];
    HPX_WsAgent_SendText, HPX_WsAgent_SendBinary, HPX_WsAgent_SendPing, HPX_WsAgent_Close);
ws_ops!(CLIENTS, Cli, [];
    HPX_WsClient_SendText, HPX_WsClient_SendBinary, HPX_WsClient_SendPing, HPX_WsClient_Close);
