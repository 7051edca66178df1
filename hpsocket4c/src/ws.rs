//! The WebSocket functions of HP-Socket 5.8's 4C API on the HTTP components:
//! `HP_Http{Server,Agent,Client}_SendWSMessage` and `HP_Http{Server,Agent,Client}_GetWSMessageState`.
//! The frame events (`OnWSMessageHeader`, `OnWSMessageBody`, `OnWSMessageComplete`) are fired
//! by the listener bridge ([`crate::roles::bridge`]) after a `websocket` upgrade that the
//! application's `OnUpgrade` accepted.
//!
//! Signatures are 5.8.6's: the server's `SendWSMessage` has no mask argument (5.2 had one
//! before `pData`; see the README for what a 5.2 caller changes), agents and clients take
//! `const BYTE lpszMask[4]`, and `pData` is `const BYTE*` everywhere. Differences:
//!
//! - A NULL mask from an agent or client draws a fresh random key (RFC 6455 requires
//!   clients to mask, and our servers refuse unmasked frames); HP-Socket sends the frame
//!   unmasked.
//! - The caller's buffer is never written: the frame is masked in a copy (HP-Socket 5.2
//!   masked `pData` in place).
//! - `GetWSMessageState`'s `*lpszMask` points at four bytes kept per connection, rewritten at
//!   each call and valid until the connection's `OnClose` returns (HP-Socket's points into
//!   the connection's frame state, rewritten at each frame).
//!
//! Failures: FALSE with errno `EPERM` (the connection has not switched to WebSocket),
//! `EBADSLT` (unknown or closed connection), `EINVAL` (a NULL `pData` with a length, a
//! negative length, a `ullBodyLen` below the data's length, a handle that is not an HTTP
//! component), `EBADF` (destroyed handle).
//!
//! Layer 3 (families): imports only [`crate::marshal`] and [`crate::roles`].

use std::ffi::{c_int, c_void};

use hpsocket::{ConnId, Result, WsMessageState};

use crate::marshal::{b, bytes, fail, ffi, need_id, set_errno, BOOL, FALSE, TRUE};
use crate::roles::http::{with_http, HttpStore};
use crate::roles::{Agt, Cli, Srv, AGENTS, CLIENTS, SERVERS};

type H = *mut c_void;

/// The `const BYTE lpszMask[4]` argument of an agent or client: NULL asks for a fresh random
/// key (`None`).
unsafe fn mask_arg(p: *const u8) -> Option<[u8; 4]> {
    // `[u8; 4]` has alignment 1: any pointer to four readable bytes will do.
    (!p.is_null()).then(|| std::ptr::read(p as *const [u8; 4]))
}

/// The out-parameters of `GetWSMessageState`; each may be NULL (that field is not wanted).
struct StateOut {
    fin: *mut BOOL,
    rsv: *mut u8,
    opcode: *mut u8,
    mask: *mut *const u8,
    len: *mut u64,
    remain: *mut u64,
}

impl StateOut {
    /// Writes the frame state `r` of connection `id` (whose mask bytes `store` keeps); FALSE
    /// with errno if there is none.
    unsafe fn put(self, store: &HttpStore, id: ConnId, r: Result<WsMessageState>) -> BOOL {
        let st = match r {
            Ok(st) => st,
            Err(e) => return fail(&e),
        };
        let mask = match st.mask {
            None => std::ptr::null(),
            Some(k) if !self.mask.is_null() => match store.ws_mask(id, k) {
                Ok(p) => p,
                Err(m) => {
                    set_errno(m.errno());
                    return FALSE;
                }
            },
            Some(_) => std::ptr::null(),
        };
        if !self.fin.is_null() {
            *self.fin = st.fin as BOOL;
        }
        if !self.rsv.is_null() {
            *self.rsv = st.rsv;
        }
        if !self.opcode.is_null() {
            *self.opcode = st.opcode;
        }
        if !self.mask.is_null() {
            *self.mask = mask;
        }
        if !self.len.is_null() {
            *self.len = st.body_len;
        }
        if !self.remain.is_null() {
            *self.remain = st.body_remain;
        }
        TRUE
    }
}

/// Sends one WebSocket frame to connection `id`, unmasked (5.8's signature: no mask
/// argument). `fin` the FIN bit, `rsv` RSV1..RSV3 as the low three bits (RSV1 = 0x4),
/// `opcode` 0x0..0xF. `body_len` 0: the frame's body is the `len` bytes at `data`; greater
/// than `len`: the frame announces `body_len` bytes, whose rest the caller sends with
/// `HP_Server_Send`; below `len`: FALSE, errno EINVAL. `data` is not written.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpServer_SendWSMessage(
    h: H,
    id: usize,
    fin: BOOL,
    rsv: u8,
    opcode: u8,
    data: *const u8,
    len: c_int,
    body_len: u64,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        let Some(d) = bytes(data, len) else {
            return FALSE;
        };
        with_http!(SERVERS, Srv, h, FALSE, |c| b(c.send_ws_message(
            id,
            fin != FALSE,
            rsv,
            opcode,
            d,
            body_len
        )))
    })
}

/// Sends one WebSocket frame to connection `id`, masked with the four bytes at `mask` (NULL:
/// a fresh random key). The rest as `HP_HttpServer_SendWSMessage`; the rest of a longer body
/// is the caller's to mask (continuing the key from offset `len`) and send.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpAgent_SendWSMessage(
    h: H,
    id: usize,
    fin: BOOL,
    rsv: u8,
    opcode: u8,
    mask: *const u8,
    data: *const u8,
    len: c_int,
    body_len: u64,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        let Some(d) = bytes(data, len) else {
            return FALSE;
        };
        let key = mask_arg(mask);
        with_http!(AGENTS, Agt, h, FALSE, |c| b(c.send_ws_message(
            id,
            fin != FALSE,
            rsv,
            opcode,
            key,
            d,
            body_len
        )))
    })
}

/// Sends one WebSocket frame on the client's connection, as `HP_HttpAgent_SendWSMessage`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpClient_SendWSMessage(
    h: H,
    fin: BOOL,
    rsv: u8,
    opcode: u8,
    mask: *const u8,
    data: *const u8,
    len: c_int,
    body_len: u64,
) -> BOOL {
    ffi!(FALSE, {
        let Some(d) = bytes(data, len) else {
            return FALSE;
        };
        let key = mask_arg(mask);
        with_http!(CLIENTS, Cli, h, FALSE, |c| b(c.send_ws_message(
            fin != FALSE,
            rsv,
            opcode,
            key,
            d,
            body_len
        )))
    })
}

/// The WebSocket frame being received on connection `id`: FIN, reserved bits, opcode, a
/// pointer to the masking key (NULL for an unmasked frame), the body's length and the bytes
/// still to come; all zero between frames. Each out-parameter may be NULL. FALSE with errno
/// EPERM if the connection has not switched to WebSocket.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpServer_GetWSMessageState(
    h: H,
    id: usize,
    fin: *mut BOOL,
    rsv: *mut u8,
    opcode: *mut u8,
    mask: *mut *const u8,
    len: *mut u64,
    remain: *mut u64,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        let out = StateOut {
            fin,
            rsv,
            opcode,
            mask,
            len,
            remain,
        };
        with_http!(SERVERS, Srv, h, FALSE, |c| out.put(
            &c.store,
            id,
            c.ws_message_state(id)
        ))
    })
}

/// The WebSocket frame being received on connection `id`, as
/// `HP_HttpServer_GetWSMessageState`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn HP_HttpAgent_GetWSMessageState(
    h: H,
    id: usize,
    fin: *mut BOOL,
    rsv: *mut u8,
    opcode: *mut u8,
    mask: *mut *const u8,
    len: *mut u64,
    remain: *mut u64,
) -> BOOL {
    ffi!(FALSE, {
        let Some(id) = need_id(id) else { return FALSE };
        let out = StateOut {
            fin,
            rsv,
            opcode,
            mask,
            len,
            remain,
        };
        with_http!(AGENTS, Agt, h, FALSE, |c| out.put(
            &c.store,
            id,
            c.ws_message_state(id)
        ))
    })
}

/// The WebSocket frame being received on the client's connection, as
/// `HP_HttpServer_GetWSMessageState` (no connection: FALSE, errno EBADSLT).
#[no_mangle]
pub unsafe extern "C" fn HP_HttpClient_GetWSMessageState(
    h: H,
    fin: *mut BOOL,
    rsv: *mut u8,
    opcode: *mut u8,
    mask: *mut *const u8,
    len: *mut u64,
    remain: *mut u64,
) -> BOOL {
    ffi!(FALSE, {
        let out = StateOut {
            fin,
            rsv,
            opcode,
            mask,
            len,
            remain,
        };
        with_http!(CLIENTS, Cli, h, FALSE, |c| match c.connection_id() {
            Some(id) => out.put(&c.store, id, c.ws_message_state()),
            None => {
                set_errno(libc::EBADSLT);
                FALSE
            }
        })
    })
}
