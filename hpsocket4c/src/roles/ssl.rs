//! Layer 2 (roles): the SSL variants' wrapper, [`Ssl`]: an SSL component with the settings
//! the 4C API keeps beside it (auto-handshake flag, cipher list, a server's accumulated
//! setup). The exports that read and change them are the SSL family's (`crate::ssl`).
//!
//! HP-Socket builds an OpenSSL context step by step (Setup, then AddSSLContext and
//! BindSSLServerName); `hpsocket` takes a whole `TlsServerSetup` at once. So each SSL server
//! keeps the setup accumulated so far and re-applies all of it at every step
//! (`SslState::change_server`): a step the server refuses (a bad certificate, or the server
//! is running) leaves the previous setup in force and unchanged.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use hpsocket::tls::{SniCallback, TlsServerSetup};
use parking_lot::Mutex;

use crate::marshal::c_callback;

/// `HP_Fn_SNI_ServerNameCallback`: chooses the certificate for the host name a client asked
/// for (0: the default one, n > 0: the n-th added context, < 0: refuse the handshake).
/// `pContext` identifies the server; pass it on to `HP_SSL_DefaultServerNameCallback`.
pub type SniCallbackFn = unsafe extern "C" fn(*const c_char, *mut c_void) -> c_int;

/// What `GetSSLCipherList` reports before any `SetSSLCipherList`: OpenSSL's name for its
/// defaults, which stands for rustls' default suites here.
const DEFAULT_CIPHER_LIST: &CStr = c"DEFAULT";

/// An SSL component with the state the 4C API keeps beside it. Dereferences to the component,
/// so the generic exports call its methods as they do a plain component's.
pub struct Ssl<C> {
    comp: C,
    pub(crate) state: SslState,
}

impl<C> From<C> for Ssl<C> {
    fn from(comp: C) -> Self {
        Ssl {
            comp,
            state: SslState::default(),
        }
    }
}

impl<C> std::ops::Deref for Ssl<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.comp
    }
}

/// The 4C-level SSL settings of one component.
pub(crate) struct SslState {
    /// Recorded for `IsSSLAutoHandShake`; handshakes always start on their own.
    pub(crate) auto_handshake: AtomicBool,
    /// What `GetSSLCipherList` returns; the pointer handed out stays valid until the next
    /// `SetSSLCipherList` or the component's destruction, as in HP-Socket.
    pub(crate) cipher_list: Mutex<CString>,
    /// Servers: the setup accumulated by Setup / AddSSLContext / BindSSLServerName.
    pub(crate) server: Mutex<Option<ServerSetup>>,
}

impl Default for SslState {
    fn default() -> Self {
        SslState {
            auto_handshake: AtomicBool::new(true),
            cipher_list: Mutex::new(DEFAULT_CIPHER_LIST.to_owned()),
            server: Mutex::new(None),
        }
    }
}

impl SslState {
    /// The cipher list for a new setup (`None`: rustls' defaults).
    pub(crate) fn cipher_list(&self) -> Option<String> {
        let l = self.cipher_list.lock();
        let s = l.to_string_lossy();
        (!s.trim().is_empty()).then(|| s.into_owned())
    }

    /// Builds the next server setup from the current one with `change`, has the server
    /// `apply` it, and keeps it only if the server took it. Errors are errno values.
    pub(crate) fn change_server<R>(
        &self,
        h: usize,
        apply: impl FnOnce(&TlsServerSetup) -> hpsocket::Result<()>,
        change: impl FnOnce(Option<&ServerSetup>) -> Result<(ServerSetup, R), c_int>,
    ) -> Result<R, c_int> {
        let mut current = self.server.lock();
        let (next, r) = change(current.as_ref())?;
        apply(&next.build(h)).map_err(|e| e.errno())?;
        *current = Some(next);
        Ok(r)
    }
}

/// A server's accumulated setup.
#[derive(Clone)]
pub(crate) struct ServerSetup {
    /// Certificates, verification, added contexts and bound names (no `sni_callback`).
    pub(crate) base: TlsServerSetup,
    /// The application's SNI callback; `None`: the lookup of the bound names.
    pub(crate) callback: Option<SniCallbackFn>,
}

impl ServerSetup {
    /// The setup to apply to server `h`: the application's SNI callback when it gave one,
    /// otherwise the library's own lookup of the bound names.
    fn build(&self, h: usize) -> TlsServerSetup {
        let mut s = self.base.clone();
        s.sni_callback = self.callback.map(|f| -> SniCallback {
            Arc::new(move |name: &str| match CString::new(name) {
                // SAFETY: `f` is the application's callback, of this C type; `n` outlives the
                // call, and `h` is the opaque context the callback passes back to us.
                // Marked as a callback of `h`: Destroy / Wait called from it must not block.
                Ok(n) => c_callback(h, || unsafe { f(n.as_ptr(), h as *mut c_void) }),
                Err(_) => -1,
            })
        });
        s
    }
}

/// SSL components a role keeps outside its `Ssl*` / `Https` variants (the HTTPS sync client):
/// each role names the component type they have, so the SSL exports' bodies type-check for
/// it like for the other variants.
pub(crate) trait ExtraSsl {
    /// The component type of the extra SSL variants.
    type C;
    /// The component and its SSL state, when `self` is such a variant.
    fn extra_ssl(&self) -> Option<(&Self::C, &SslState)>;
}
