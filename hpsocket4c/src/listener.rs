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
