//! The SSL components' own functions (HP-Socket 5.8's `HPSocket4C-SSL.h`, TCP components
//! only): TLS set-up from PEM files or PEM text, SNI contexts and server names, cipher lists,
//! the auto-handshake flag, session info, and the two global helpers.
//!
//! The SSL components themselves are the `Ssl*` variants of [`Srv`], [`Agt`] and [`Cli`], so
//! every `HP_Server_*` / `HP_Agent_*` / `HP_Client_*` / PULL / PACK function works on them.
//!
//! Each SSL server keeps the setup accumulated by Setup / AddSSLContext / BindSSLServerName
//! and re-applies all of it at every step (see [`crate::roles::ssl`]).
//!
//! Layer 3 (families): imports only the FFI helpers ([`crate::marshal`]) and the roles
//! ([`crate::roles`]); the matching of server names and the detection of encrypted keys are
//! the library's (`hpsocket::tls`).

use std::ffi::{c_char, c_int, c_ulong, c_void, CStr};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::Ordering;

use hpsocket::tls::{Pem, TlsClientSetup, TlsServerSetup, VerifyMode};
use hpsocket::{Component, ServiceState};

use crate::marshal::{cstr, fail, ffi, need_id, set_errno, BOOL, FALSE, TRUE};
use crate::roles::ssl::{ExtraSsl, ServerSetup, SslState};
use crate::roles::{Agt, Cli, Srv, AGENTS, CLIENTS, SERVERS};

/// The C type of the SNI callback `HP_SSLServer_SetupSSLContext` takes.
pub use crate::roles::ssl::SniCallbackFn;

type H = *mut c_void;

/// Binds `name` (from [`bindable_name`]) to context `index` with HP-Socket's meaning: the
/// name and, when it has a dot, every subdomain (`example.com` covers `a.b.example.com`; a
/// dotless `localhost` covers only itself). The matching itself is the library's
/// ([`TlsServerSetup::select_context`]): a `.domain` binding covers the subdomains, the
/// nearest bound parent wins, and a later binding of a name replaces an earlier one.
fn bind(setup: &mut TlsServerSetup, name: &str, index: usize) {
    setup.bind_server_name(name, index);
    if name.contains('.') {
        setup.bind_server_name(&format!(".{name}"), index);
    }
}

/// Where the PEM arguments of a Setup / Add call live.
#[derive(Clone, Copy)]
enum Source {
    /// File paths (the CA may also be a directory).
    File,
    /// PEM text (`...ByMemory`).
    Memory,
}

/// A PEM argument; NULL or empty is `None`.
unsafe fn pem(p: *const c_char, src: Source) -> Option<Pem> {
    if p.is_null() {
        return None;
    }
    let bytes = CStr::from_ptr(p).to_bytes();
    if bytes.is_empty() {
        return None;
    }
    Some(match src {
        // Paths are bytes on Linux: no UTF-8 requirement.
        Source::File => Pem::File(std::ffi::OsStr::from_bytes(bytes).into()),
        Source::Memory => Pem::Memory(String::from_utf8_lossy(bytes).into_owned()),
    })
}

/// A certificate and its key: both or neither (EINVAL).
fn pair(cert: Option<Pem>, key: Option<Pem>) -> Result<Option<(Pem, Pem)>, c_int> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(c), Some(k)) => {
            refuse_encrypted(&k)?;
            Ok(Some((c, k)))
        }
        _ => Err(libc::EINVAL),
    }
}

/// rustls reads only unencrypted keys, and the key password HP-Socket takes cannot help: an
/// encrypted key (either form, as [`Pem::holds_encrypted_key`] recognises them) fails with
/// EOPNOTSUPP here, where the library's error would map to EINVAL.
fn refuse_encrypted(key: &Pem) -> Result<(), c_int> {
    match key.holds_encrypted_key() {
        Ok(true) => Err(libc::EOPNOTSUPP),
        // A read error is reported by building the context, with its own errno.
        Ok(false) | Err(_) => Ok(()),
    }
}

/// A host name for BindSSLServerName, lower-cased. As in HP-Socket an IP address, an empty
/// name or one starting or ending with a dot is refused (EINVAL). Unlike HP-Socket a name
/// without a dot (`localhost`, an intranet host) is accepted, and a leading `*.` is dropped:
/// the lookup already covers subdomains.
fn bindable_name(name: &str) -> Result<String, c_int> {
    let name = name.to_ascii_lowercase();
    let name = name.strip_prefix("*.").unwrap_or(&name);
    if name.is_empty()
        || name.starts_with('.')
        || name.ends_with('.')
        || name.contains('*')
        || name.parse::<std::net::IpAddr>().is_ok()
    {
        return Err(libc::EINVAL);
    }
    Ok(name.to_string())
}

/// Maps a result whose error is an errno value to BOOL.
fn done(r: Result<(), c_int>) -> BOOL {
    match r {
        Ok(()) => TRUE,
        Err(e) => {
            set_errno(e);
            FALSE
        }
    }
}

/// A client-side setup (agents and clients) from the C arguments.
unsafe fn client_setup(
    st: &SslState,
    verify: c_int,
    cert: *const c_char,
    key: *const c_char,
    ca: *const c_char,
    src: Source,
) -> Result<TlsClientSetup, c_int> {
    Ok(TlsClientSetup {
        verify: VerifyMode(verify as u32),
        ca: pem(ca, src),
        cert: pair(pem(cert, src), pem(key, src))?,
        cipher_list: st.cipher_list(),
        ..Default::default()
    })
}

/// `GetSSLSessionInfo`: HP-Socket hands out OpenSSL objects (`SSL_CTX*`, `X509*`, ...) that a
/// rustls session does not have, so there is nothing faithful to return.
unsafe fn session_info_unsupported(out: *mut *mut c_void) -> BOOL {
    if !out.is_null() {
        *out = std::ptr::null_mut();
    }
    set_errno(libc::EOPNOTSUPP);
    FALSE
}

/// Runs `$body` with `$c` bound to the SSL component behind handle `$h` in registry `$reg`
/// and `$st` to its [`SslState`]; a plain component fails with EINVAL, an unknown handle with
/// EBADF.
macro_rules! with_ssl {
    ($reg:ident, $e:ident, $h:expr, $fail:expr, |$c:ident, $st:ident| $body:expr) => {
        match $reg.get($h).as_deref() {
            Some($e::SslPush(x)) => {
                let ($c, $st) = (&**x, &x.state);
                $body
            }
            Some($e::SslPull(x)) => {
                let ($c, $st) = (&**x, &x.state);
                $body
            }
            Some($e::SslPack(x)) => {
                let ($c, $st) = (&**x, &x.state);
                $body
            }
            Some($e::Https(x)) => {
                let ($c, $st) = (&***x, &x.state);
                $body
            }
            Some($e::Wss(x)) => {
                let ($c, $st) = (&***x, &x.state);
                $body
            }
            Some(other) => match ExtraSsl::extra_ssl(other) {
                Some(($c, $st)) => $body,
                None => {
                    set_errno(libc::EINVAL);
                    $fail
                }
            },
            None => $fail,
        }
    };
}

/// The exports every SSL role has: CleanupSSLContext, the auto-handshake flag and the cipher
/// list.
macro_rules! ssl_role_exports {
    ($reg:ident, $e:ident; $cleanup:ident, $set_auto:ident, $is_auto:ident, $set_list:ident,
     $get_list:ident) => {
        /// Removes the TLS context (a server's added contexts and bound names too); only while
        /// stopped (otherwise errno EPERM). Start then fails until the next Setup.
        #[no_mangle]
        pub extern "C" fn $cleanup(h: H) {
            ffi!((), {
                with_ssl!($reg, $e, h, (), |c, st| match c.cleanup_ssl_context() {
                    Ok(()) => *st.server.lock() = None,
                    Err(e) => set_errno(e.errno()),
                })
            })
        }

        /// Records the auto-handshake flag (only while stopped, otherwise errno EPERM).
        /// Handshakes start on their own whatever its value.
        #[no_mangle]
        pub extern "C" fn $set_auto(h: H, auto: BOOL) {
            ffi!((), {
                with_ssl!($reg, $e, h, (), |c, st| {
                    if c.state() != ServiceState::Stopped {
                        set_errno(libc::EPERM);
                    } else {
                        st.auto_handshake.store(auto != 0, Ordering::Relaxed);
                    }
                })
            })
        }

        /// The recorded auto-handshake flag (TRUE by default).
        #[no_mangle]
        pub extern "C" fn $is_auto(h: H) -> BOOL {
            ffi!(FALSE, {
                with_ssl!(
                    $reg,
                    $e,
                    h,
                    FALSE,
                    |_c, st| st.auto_handshake.load(Ordering::Relaxed) as BOOL
                )
            })
        }

        /// Sets the OpenSSL-style cipher list the next SetupSSLContext uses (only while
        /// stopped, otherwise errno EPERM; NULL: errno EINVAL; empty: rustls' defaults).
        #[no_mangle]
        pub unsafe extern "C" fn $set_list(h: H, list: *const c_char) {
            ffi!((), {
                if list.is_null() {
                    set_errno(libc::EINVAL);
                    return;
                }
                let list = CStr::from_ptr(list).to_owned();
                with_ssl!($reg, $e, h, (), |c, st| {
                    if c.state() != ServiceState::Stopped {
                        set_errno(libc::EPERM);
                    } else {
                        *st.cipher_list.lock() = list;
                    }
                })
            })
        }

        /// The cipher list ("DEFAULT" until set); valid until the next SetSSLCipherList or
        /// the component's destruction.
        #[no_mangle]
        pub extern "C" fn $get_list(h: H) -> *const c_char {
            ffi!(std::ptr::null(), {
                with_ssl!($reg, $e, h, std::ptr::null(), |_c, st| st
                    .cipher_list
                    .lock()
                    .as_ptr())
            })
        }
    };
}

/// StartSSLHandShake and GetSSLSessionInfo of a role whose connections have IDs.
macro_rules! ssl_conn_exports {
    ($reg:ident, $e:ident; $start:ident, $info:ident) => {
        /// Handshakes start on their own at accept / connect: TRUE when `id` is a live TLS
        /// connection (its handshake under way or done), FALSE with errno EBADSLT otherwise.
        #[no_mangle]
        pub extern "C" fn $start(h: H, id: usize) -> BOOL {
            ffi!(FALSE, {
                let Some(id) = need_id(id) else { return FALSE };
                with_ssl!($reg, $e, h, FALSE, |c, _st| match c.ssl_session_info(id) {
                    Ok(_) => TRUE,
                    Err(e) => fail(&e),
                })
            })
        }

        /// Not available (HP-Socket returns raw OpenSSL objects): FALSE with errno
        /// EOPNOTSUPP, and `*lppInfo` set to NULL.
        #[no_mangle]
        pub unsafe extern "C" fn $info(h: H, _id: usize, _info: c_int, out: *mut *mut c_void) -> BOOL {
            ffi!(FALSE, {
                with_ssl!($reg, $e, h, FALSE, |_c, _st| session_info_unsupported(out))
            })
        }
    };
}

/// SetupSSLContext / SetupSSLContextByMemory of an outgoing role (agent, client).
macro_rules! ssl_client_setup_exports {
    ($reg:ident, $e:ident; $($setup:ident => $src:ident),*) => {$(
        /// Sets up TLS (only while stopped): verify mode (`En_HP_SSLVerifyMode`), optional
        /// client certificate and key (NULL / empty: none), key password (ignored; an
        /// encrypted key fails with EOPNOTSUPP), CA (file or directory, or PEM text for
        /// `ByMemory`).
        #[no_mangle]
        pub unsafe extern "C" fn $setup(
            h: H,
            verify: c_int,
            cert: *const c_char,
            key: *const c_char,
            _password: *const c_char,
            ca: *const c_char,
        ) -> BOOL {
            ffi!(FALSE, {
                with_ssl!($reg, $e, h, FALSE, |c, st| done(
                    client_setup(st, verify, cert, key, ca, Source::$src)
                        .and_then(|s| c.setup_ssl_context(&s).map_err(|e| e.errno()))
                ))
            })
        }
    )*};
}

// ---- servers ----

/// Runs `$body` with `$st` bound to the SSL server's state and `$apply` to a closure applying
/// a setup to it.
macro_rules! with_ssl_server {
    ($h:expr, $fail:expr, |$st:ident, $apply:ident| $body:expr) => {
        with_ssl!(SERVERS, Srv, $h, $fail, |c, $st| {
            let $apply = |s: &TlsServerSetup| c.setup_ssl_context(s);
            $body
        })
    };
}

#[allow(clippy::too_many_arguments)]
unsafe fn server_setup(
    h: H,
    verify: c_int,
    cert: *const c_char,
    key: *const c_char,
    ca: *const c_char,
    callback: Option<SniCallbackFn>,
    src: Source,
) -> BOOL {
    ffi!(FALSE, {
        with_ssl_server!(h, FALSE, |st, apply| done(st.change_server(
            h as usize,
            apply,
            |_| {
                // A server needs its certificate; HP-Socket would fail in OpenSSL instead.
                let (cert, key) = pair(pem(cert, src), pem(key, src))?.ok_or(libc::EINVAL)?;
                let mut base = TlsServerSetup::new(cert, key);
                base.verify = VerifyMode(verify as u32);
                base.ca = pem(ca, src);
                base.cipher_list = st.cipher_list();
                Ok((ServerSetup { base, callback }, ()))
            }
        )))
    })
}

unsafe fn add_context(h: H, cert: *const c_char, key: *const c_char, src: Source) -> c_int {
    ffi!(-1, {
        with_ssl_server!(h, -1, |st, apply| {
            let r = st.change_server(h as usize, apply, |current| {
                let Some(current) = current else {
                    return Err(libc::EPERM);
                };
                let (cert, key) = pair(pem(cert, src), pem(key, src))?.ok_or(libc::EINVAL)?;
                let mut next = current.clone();
                let index = next.base.add_context(cert, key);
                Ok((next, index as c_int))
            });
            r.unwrap_or_else(|e| {
                set_errno(e);
                -1
            })
        })
    })
}

/// Sets up the server's TLS context from PEM files (only while stopped; a new Setup replaces
/// the previous one with its added contexts and names): verify mode (`En_HP_SSLVerifyMode`;
/// PEER needs a CA), certificate and key (required), key password (ignored; an encrypted key
/// fails with EOPNOTSUPP), CA file or directory, SNI callback (NULL: the bound names).
#[no_mangle]
pub unsafe extern "C" fn HP_SSLServer_SetupSSLContext(
    h: H,
    verify: c_int,
    cert: *const c_char,
    key: *const c_char,
    _password: *const c_char,
    ca: *const c_char,
    callback: Option<SniCallbackFn>,
) -> BOOL {
    server_setup(h, verify, cert, key, ca, callback, Source::File)
}

/// [`HP_SSLServer_SetupSSLContext`] with PEM text instead of paths.
#[no_mangle]
pub unsafe extern "C" fn HP_SSLServer_SetupSSLContextByMemory(
    h: H,
    verify: c_int,
    cert: *const c_char,
    key: *const c_char,
    _password: *const c_char,
    ca: *const c_char,
    callback: Option<SniCallbackFn>,
) -> BOOL {
    server_setup(h, verify, cert, key, ca, callback, Source::Memory)
}

/// Adds an SNI certificate after Setup (errno EPERM before) and returns its index (1, 2, ...),
/// or -1 with errno set. Client verification is the server's (Setup's): this context's verify
/// mode and CA are ignored.
#[no_mangle]
pub unsafe extern "C" fn HP_SSLServer_AddSSLContext(
    h: H,
    _verify: c_int,
    cert: *const c_char,
    key: *const c_char,
    _password: *const c_char,
    _ca: *const c_char,
) -> c_int {
    add_context(h, cert, key, Source::File)
}

/// [`HP_SSLServer_AddSSLContext`] with PEM text instead of paths.
#[no_mangle]
pub unsafe extern "C" fn HP_SSLServer_AddSSLContextByMemory(
    h: H,
    _verify: c_int,
    cert: *const c_char,
    key: *const c_char,
    _password: *const c_char,
    _ca: *const c_char,
) -> c_int {
    add_context(h, cert, key, Source::Memory)
}

/// Serves context `index` (0: the default one) to clients asking for `name` or one of its
/// subdomains. FALSE with errno EINVAL for a bad name or a negative index, ENOANO for an index
/// that was never added (or before Setup).
#[no_mangle]
pub unsafe extern "C" fn HP_SSLServer_BindSSLServerName(
    h: H,
    name: *const c_char,
    index: c_int,
) -> BOOL {
    ffi!(FALSE, {
        with_ssl_server!(h, FALSE, |st, apply| done(st.change_server(
            h as usize,
            apply,
            |current| {
                let name = cstr(name).ok_or(libc::EINVAL)?;
                let name = bindable_name(name)?;
                let index = usize::try_from(index).map_err(|_| libc::EINVAL)?;
                let current = current.ok_or(libc::ENOANO)?;
                if index > current.base.contexts.len() {
                    return Err(libc::ENOANO);
                }
                let mut next = current.clone();
                bind(&mut next.base, &name, index);
                Ok((next, ()))
            }
        )))
    })
}

ssl_role_exports!(SERVERS, Srv;
    HP_SSLServer_CleanupSSLContext, HP_SSLServer_SetSSLAutoHandShake,
    HP_SSLServer_IsSSLAutoHandShake, HP_SSLServer_SetSSLCipherList,
    HP_SSLServer_GetSSLCipherList);

ssl_conn_exports!(SERVERS, Srv; HP_SSLServer_StartSSLHandShake, HP_SSLServer_GetSSLSessionInfo);

// ---- agents ----

ssl_client_setup_exports!(AGENTS, Agt;
    HP_SSLAgent_SetupSSLContext => File, HP_SSLAgent_SetupSSLContextByMemory => Memory);

ssl_role_exports!(AGENTS, Agt;
    HP_SSLAgent_CleanupSSLContext, HP_SSLAgent_SetSSLAutoHandShake,
    HP_SSLAgent_IsSSLAutoHandShake, HP_SSLAgent_SetSSLCipherList,
    HP_SSLAgent_GetSSLCipherList);

ssl_conn_exports!(AGENTS, Agt; HP_SSLAgent_StartSSLHandShake, HP_SSLAgent_GetSSLSessionInfo);

// ---- clients ----

ssl_client_setup_exports!(CLIENTS, Cli;
    HP_SSLClient_SetupSSLContext => File, HP_SSLClient_SetupSSLContextByMemory => Memory);

ssl_role_exports!(CLIENTS, Cli;
    HP_SSLClient_CleanupSSLContext, HP_SSLClient_SetSSLAutoHandShake,
    HP_SSLClient_IsSSLAutoHandShake, HP_SSLClient_SetSSLCipherList,
    HP_SSLClient_GetSSLCipherList);

/// The handshake starts on its own at connect: TRUE while the client's TLS connection is up
/// (its handshake under way or done), FALSE with errno set otherwise.
#[no_mangle]
pub extern "C" fn HP_SSLClient_StartSSLHandShake(h: H) -> BOOL {
    ffi!(FALSE, {
        with_ssl!(
            CLIENTS,
            Cli,
            h,
            FALSE,
            |c, _st| match c.ssl_session_info() {
                Ok(_) => TRUE,
                Err(e) => fail(&e),
            }
        )
    })
}

/// Not available (HP-Socket returns raw OpenSSL objects): FALSE with errno EOPNOTSUPP, and
/// `*lppInfo` set to NULL.
#[no_mangle]
pub unsafe extern "C" fn HP_SSLClient_GetSSLSessionInfo(
    h: H,
    _info: c_int,
    out: *mut *mut c_void,
) -> BOOL {
    ffi!(FALSE, {
        with_ssl!(CLIENTS, Cli, h, FALSE, |_c, _st| session_info_unsupported(
            out
        ))
    })
}

// ---- global functions ----

/// The SNI lookup used when Setup is given no callback: the context bound to `name` or to
/// its nearest parent domain (see BindSSLServerName), 0 if none. `context` is the `pContext`
/// an SNI callback receives (it identifies the server); anything else gives 0.
#[no_mangle]
pub unsafe extern "C" fn HP_SSL_DefaultServerNameCallback(
    name: *const c_char,
    context: *mut c_void,
) -> c_int {
    ffi!(0, {
        let Some(name) = cstr(name) else {
            return 0;
        };
        let Some(server) = SERVERS.get(context) else {
            return 0;
        };
        let st = match &*server {
            Srv::SslPush(x) => &x.state,
            Srv::SslPull(x) => &x.state,
            Srv::SslPack(x) => &x.state,
            Srv::Https(x) => &x.state,
            Srv::Wss(x) => &x.state,
            _ => return 0,
        };
        let index = st
            .server
            .lock()
            .as_ref()
            .map_or(0, |s| s.base.select_context(name));
        c_int::try_from(index).unwrap_or(0)
    })
}

/// Frees OpenSSL's per-thread state in HP-Socket. rustls keeps none: nothing to do.
#[no_mangle]
pub extern "C" fn HP_SSL_RemoveThreadLocalState(_thread: c_ulong) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A setup with these names bound as BindSSLServerName binds them.
    fn bound(v: &[(&str, usize)]) -> TlsServerSetup {
        let mut s = TlsServerSetup::new(Pem::Memory(String::new()), Pem::Memory(String::new()));
        for &(n, i) in v {
            bind(&mut s, &bindable_name(n).unwrap(), i);
        }
        s
    }

    #[test]
    fn bound_names_cover_parent_domains_that_keep_a_dot() {
        let n = bound(&[("example.com", 1), ("b.example.com", 2), ("localhost", 3)]);
        assert_eq!(n.select_context("example.com"), 1);
        assert_eq!(n.select_context("WWW.Example.com"), 1);
        assert_eq!(n.select_context("a.b.example.com"), 2);
        assert_eq!(n.select_context("localhost"), 3);
        assert_eq!(
            n.select_context("x.localhost"),
            0,
            "a dotless parent is never tried"
        );
        assert_eq!(n.select_context("com"), 0);
        assert_eq!(n.select_context("example.org"), 0);
        let again = bound(&[("example.com", 1), ("*.example.com", 2)]);
        assert_eq!(
            again.select_context("example.com"),
            2,
            "the later binding wins"
        );
        assert_eq!(again.select_context("a.b.example.com"), 2);
    }

    #[test]
    fn bindable_names() {
        assert_eq!(bindable_name("Example.COM"), Ok("example.com".into()));
        assert_eq!(bindable_name("*.example.com"), Ok("example.com".into()));
        assert_eq!(bindable_name("localhost"), Ok("localhost".into()));
        for bad in [
            "",
            ".example.com",
            "example.com.",
            "127.0.0.1",
            "::1",
            "*.*.x",
            "*.",
        ] {
            assert_eq!(bindable_name(bad), Err(libc::EINVAL), "{bad:?}");
        }
    }

    #[test]
    fn encrypted_keys_are_refused() {
        let pkcs8 =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMIIB\n-----END RSA PRIVATE KEY-----\n";
        let plain = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
        for k in [pkcs8, legacy] {
            assert_eq!(
                refuse_encrypted(&Pem::Memory(k.into())),
                Err(libc::EOPNOTSUPP)
            );
        }
        assert_eq!(refuse_encrypted(&Pem::Memory(plain.into())), Ok(()));
        assert_eq!(
            pair(Some(Pem::Memory(plain.into())), None).err(),
            Some(libc::EINVAL)
        );
    }
}
