//! Layer 3 (families): the listener objects' exports, `Create_HP_*Listener` /
//! `Destroy_HP_*Listener` and the `HP_Set_FN_*` callback setters. The objects and the bridge
//! that calls their callbacks are in [`crate::roles::bridge`].

use std::ffi::c_void;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::marshal::ffi;
use crate::roles::bridge::{ListenerObj, LISTENERS};
use crate::roles::new_handle;

// ---- Create / Destroy listeners ----

fn create_listener() -> *mut c_void {
    ffi!(std::ptr::null_mut(), {
        let h = new_handle();
        LISTENERS.insert(h, Arc::new(ListenerObj::default()));
        h as *mut c_void
    })
}

fn destroy_listener(l: *mut c_void) {
    ffi!((), {
        LISTENERS.remove(l);
    })
}

macro_rules! listener_ctors {
    ($($create:ident $destroy:ident),* $(,)?) => {$(
        /// Creates a listener object (a table of callbacks, all unset).
        #[no_mangle]
        pub extern "C" fn $create() -> *mut c_void {
            create_listener()
        }
        /// Destroys a listener object; destroy the components using it first.
        #[no_mangle]
        pub extern "C" fn $destroy(listener: *mut c_void) {
            destroy_listener(listener)
        }
    )*};
}
listener_ctors!(
    Create_HP_TcpServerListener Destroy_HP_TcpServerListener,
    Create_HP_TcpAgentListener Destroy_HP_TcpAgentListener,
    Create_HP_TcpClientListener Destroy_HP_TcpClientListener,
    Create_HP_TcpPullServerListener Destroy_HP_TcpPullServerListener,
    Create_HP_TcpPullAgentListener Destroy_HP_TcpPullAgentListener,
    Create_HP_TcpPullClientListener Destroy_HP_TcpPullClientListener,
    Create_HP_TcpPackServerListener Destroy_HP_TcpPackServerListener,
    Create_HP_TcpPackAgentListener Destroy_HP_TcpPackAgentListener,
    Create_HP_TcpPackClientListener Destroy_HP_TcpPackClientListener,
    Create_HP_UdpServerListener Destroy_HP_UdpServerListener,
    Create_HP_UdpClientListener Destroy_HP_UdpClientListener,
    Create_HP_UdpCastListener Destroy_HP_UdpCastListener,
    Create_HP_HttpServerListener Destroy_HP_HttpServerListener,
    Create_HP_HttpAgentListener Destroy_HP_HttpAgentListener,
    Create_HP_HttpClientListener Destroy_HP_HttpClientListener,
);

macro_rules! setters {
    ($($name:ident => $slot:ident),* $(,)?) => {$(
        /// Sets (or, with NULL, clears) one callback of a listener.
        #[no_mangle]
        pub extern "C" fn $name(listener: *mut c_void, f: Option<unsafe extern "C" fn()>) {
            ffi!((), {
                if let Some(l) = LISTENERS.get(listener) {
                    l.$slot.store(f.map_or(0, |f| f as usize), Ordering::Release);
                }
            })
        }
    )*};
}
setters!(
    HP_Set_FN_Server_OnPrepareListen => prepare,
    HP_Set_FN_Server_OnAccept => accept_or_connect,
    HP_Set_FN_Server_OnHandShake => handshake,
    HP_Set_FN_Server_OnSend => send,
    HP_Set_FN_Server_OnReceive => receive,
    HP_Set_FN_Server_OnPullReceive => pull_receive,
    HP_Set_FN_Server_OnClose => close,
    HP_Set_FN_Server_OnShutdown => shutdown,
    HP_Set_FN_Agent_OnPrepareConnect => prepare,
    HP_Set_FN_Agent_OnConnect => accept_or_connect,
    HP_Set_FN_Agent_OnHandShake => handshake,
    HP_Set_FN_Agent_OnSend => send,
    HP_Set_FN_Agent_OnReceive => receive,
    HP_Set_FN_Agent_OnPullReceive => pull_receive,
    HP_Set_FN_Agent_OnClose => close,
    HP_Set_FN_Agent_OnShutdown => shutdown,
    HP_Set_FN_Client_OnPrepareConnect => prepare,
    HP_Set_FN_Client_OnConnect => accept_or_connect,
    HP_Set_FN_Client_OnHandShake => handshake,
    HP_Set_FN_Client_OnSend => send,
    HP_Set_FN_Client_OnReceive => receive,
    HP_Set_FN_Client_OnPullReceive => pull_receive,
    HP_Set_FN_Client_OnClose => close,
);

// The HTTP listeners: the TCP events share the slots above; the parse events have their own.
// The WebSocket frame events (after an accepted `websocket` upgrade) have theirs too.
setters!(
    HP_Set_FN_HttpServer_OnMessageBegin => message_begin,
    HP_Set_FN_HttpServer_OnRequestLine => request_line,
    HP_Set_FN_HttpServer_OnHeader => header,
    HP_Set_FN_HttpServer_OnHeadersComplete => headers_complete,
    HP_Set_FN_HttpServer_OnBody => body,
    HP_Set_FN_HttpServer_OnChunkHeader => chunk_header,
    HP_Set_FN_HttpServer_OnChunkComplete => chunk_complete,
    HP_Set_FN_HttpServer_OnMessageComplete => message_complete,
    HP_Set_FN_HttpServer_OnUpgrade => upgrade,
    HP_Set_FN_HttpServer_OnParseError => parse_error,
    HP_Set_FN_HttpServer_OnWSMessageHeader => ws_message_header,
    HP_Set_FN_HttpServer_OnWSMessageBody => ws_message_body,
    HP_Set_FN_HttpServer_OnWSMessageComplete => ws_message_complete,
    HP_Set_FN_HttpServer_OnPrepareListen => prepare,
    HP_Set_FN_HttpServer_OnAccept => accept_or_connect,
    HP_Set_FN_HttpServer_OnHandShake => handshake,
    HP_Set_FN_HttpServer_OnReceive => receive,
    HP_Set_FN_HttpServer_OnSend => send,
    HP_Set_FN_HttpServer_OnClose => close,
    HP_Set_FN_HttpServer_OnShutdown => shutdown,
    HP_Set_FN_HttpAgent_OnMessageBegin => message_begin,
    HP_Set_FN_HttpAgent_OnStatusLine => status_line,
    HP_Set_FN_HttpAgent_OnHeader => header,
    HP_Set_FN_HttpAgent_OnHeadersComplete => headers_complete,
    HP_Set_FN_HttpAgent_OnBody => body,
    HP_Set_FN_HttpAgent_OnChunkHeader => chunk_header,
    HP_Set_FN_HttpAgent_OnChunkComplete => chunk_complete,
    HP_Set_FN_HttpAgent_OnMessageComplete => message_complete,
    HP_Set_FN_HttpAgent_OnUpgrade => upgrade,
    HP_Set_FN_HttpAgent_OnParseError => parse_error,
    HP_Set_FN_HttpAgent_OnWSMessageHeader => ws_message_header,
    HP_Set_FN_HttpAgent_OnWSMessageBody => ws_message_body,
    HP_Set_FN_HttpAgent_OnWSMessageComplete => ws_message_complete,
    HP_Set_FN_HttpAgent_OnPrepareConnect => prepare,
    HP_Set_FN_HttpAgent_OnConnect => accept_or_connect,
    HP_Set_FN_HttpAgent_OnHandShake => handshake,
    HP_Set_FN_HttpAgent_OnReceive => receive,
    HP_Set_FN_HttpAgent_OnSend => send,
    HP_Set_FN_HttpAgent_OnClose => close,
    HP_Set_FN_HttpAgent_OnShutdown => shutdown,
    HP_Set_FN_HttpClient_OnMessageBegin => message_begin,
    HP_Set_FN_HttpClient_OnStatusLine => status_line,
    HP_Set_FN_HttpClient_OnHeader => header,
    HP_Set_FN_HttpClient_OnHeadersComplete => headers_complete,
    HP_Set_FN_HttpClient_OnBody => body,
    HP_Set_FN_HttpClient_OnChunkHeader => chunk_header,
    HP_Set_FN_HttpClient_OnChunkComplete => chunk_complete,
    HP_Set_FN_HttpClient_OnMessageComplete => message_complete,
    HP_Set_FN_HttpClient_OnUpgrade => upgrade,
    HP_Set_FN_HttpClient_OnParseError => parse_error,
    HP_Set_FN_HttpClient_OnWSMessageHeader => ws_message_header,
    HP_Set_FN_HttpClient_OnWSMessageBody => ws_message_body,
    HP_Set_FN_HttpClient_OnWSMessageComplete => ws_message_complete,
    HP_Set_FN_HttpClient_OnPrepareConnect => prepare,
    HP_Set_FN_HttpClient_OnConnect => accept_or_connect,
    HP_Set_FN_HttpClient_OnHandShake => handshake,
    HP_Set_FN_HttpClient_OnReceive => receive,
    HP_Set_FN_HttpClient_OnSend => send,
    HP_Set_FN_HttpClient_OnClose => close,
);
