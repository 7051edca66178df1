//! The listener of our WebSocket extension: `Create_HPX_WsListener` /
//! `Destroy_HPX_WsListener` and the `HPX_Set_FN_*` setters.
//!
//! The object is a 4C listener like the others (the bridge calls its callbacks), so the
//! socket events keep HP-Socket's callback types (`HP_FN_Server_OnAccept`, ...) and the HTTP
//! events of a server's plain requests keep `HP_FN_HttpServer_*`. A server's, an agent's and
//! a client's callbacks of one event have different C types and share a slot, so a listener
//! serves one kind of component: the first role setter, or the first `Create_HPX_*` given
//! it, binds it; a setter or Create of another kind then fails (errno EINVAL, the callback
//! not stored). The five WebSocket events (`HPX_Set_FN_Ws_*`) fit every kind.

use std::ffi::c_void;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::marshal::ffi;
use crate::roles::bridge::{ListenerObj, WsRole, LISTENERS};
use crate::roles::new_handle;

type H = *mut c_void;

/// Creates a listener for the WebSocket components (all callbacks unset, no kind bound yet).
#[no_mangle]
pub extern "C" fn Create_HPX_WsListener() -> H {
    ffi!(std::ptr::null_mut(), {
        let h = new_handle();
        LISTENERS.insert(h, Arc::new(ListenerObj::default()));
        h as H
    })
}

/// Destroys a WebSocket listener; destroy the components using it first.
#[no_mangle]
pub extern "C" fn Destroy_HPX_WsListener(listener: H) {
    ffi!((), {
        LISTENERS.remove(listener);
    })
}

/// Setters of one slot each; `$role` binds the listener to a kind of component first
/// (`Any`: no binding).
macro_rules! setters {
    ($role:ident; $($name:ident => $slot:ident),* $(,)?) => {$(
        /// Sets (or, with NULL, clears) one callback of a WebSocket listener.
        #[no_mangle]
        pub extern "C" fn $name(listener: H, f: Option<unsafe extern "C" fn()>) {
            ffi!((), {
                if let Some(l) = LISTENERS.get(listener) {
                    if setters!(@bind l, $role) {
                        l.$slot.store(f.map_or(0, |f| f as usize), Ordering::Release);
                    }
                }
            })
        }
    )*};
    (@bind $l:ident, Any) => { true };
    (@bind $l:ident, $role:ident) => { $l.bind(WsRole::$role) };
}

setters!(Server;
    HPX_Set_FN_WsServer_OnPrepareListen => prepare,
    HPX_Set_FN_WsServer_OnAccept => accept_or_connect,
    HPX_Set_FN_WsServer_OnHandShake => handshake,
    HPX_Set_FN_WsServer_OnSend => send,
    HPX_Set_FN_WsServer_OnClose => close,
    HPX_Set_FN_WsServer_OnShutdown => shutdown,
    HPX_Set_FN_WsServer_OnMessageBegin => message_begin,
    HPX_Set_FN_WsServer_OnRequestLine => request_line,
    HPX_Set_FN_WsServer_OnHeader => header,
    HPX_Set_FN_WsServer_OnHeadersComplete => headers_complete,
    HPX_Set_FN_WsServer_OnBody => body,
    HPX_Set_FN_WsServer_OnChunkHeader => chunk_header,
    HPX_Set_FN_WsServer_OnChunkComplete => chunk_complete,
    HPX_Set_FN_WsServer_OnMessageComplete => message_complete,
    HPX_Set_FN_WsServer_OnParseError => parse_error,
);

setters!(Agent;
    HPX_Set_FN_WsAgent_OnPrepareConnect => prepare,
    HPX_Set_FN_WsAgent_OnConnect => accept_or_connect,
    HPX_Set_FN_WsAgent_OnHandShake => handshake,
    HPX_Set_FN_WsAgent_OnSend => send,
    HPX_Set_FN_WsAgent_OnClose => close,
    HPX_Set_FN_WsAgent_OnShutdown => shutdown,
);

setters!(Client;
    HPX_Set_FN_WsClient_OnPrepareConnect => prepare,
    HPX_Set_FN_WsClient_OnConnect => accept_or_connect,
    HPX_Set_FN_WsClient_OnHandShake => handshake,
    HPX_Set_FN_WsClient_OnSend => send,
    HPX_Set_FN_WsClient_OnClose => close,
);

setters!(Any;
    HPX_Set_FN_Ws_OnWsOpen => ws_open,
    HPX_Set_FN_Ws_OnWsMessage => ws_message,
    HPX_Set_FN_Ws_OnWsPing => ws_ping,
    HPX_Set_FN_Ws_OnWsPong => ws_pong,
    HPX_Set_FN_Ws_OnWsClose => ws_close,
);
