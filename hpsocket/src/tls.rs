//! TLS for the SSL components: configuration in HP-Socket's terms ([`TlsServerSetup`],
//! [`TlsClientSetup`], [`VerifyMode`], [`Pem`]) or in rustls' own (`set_tls_config`), and
//! what a session negotiated ([`TlsInfo`]).
//!
//! Inside, each connection has a sans-IO rustls session between its socket and its receive
//! model: ciphertext in, plaintext out, and the reverse. It owns no socket, so it is tested
//! with two sessions talking through byte vectors split at every boundary (and fuzzed).
//!
//! ```no_run
//! use hpsocket::tls::{Pem, TlsServerSetup};
//! use hpsocket::{ConnId, HandleResult, ServerListener, SslServer};
//!
//! struct Echo;
//! impl ServerListener<SslServer> for Echo {
//!     fn on_receive(&self, s: &SslServer, id: ConnId, data: &[u8]) -> HandleResult {
//!         let _ = s.send(id, data); // plaintext in, plaintext out
//!         HandleResult::Ok
//!     }
//! }
//!
//! let server = SslServer::new(Echo);
//! server.setup_ssl_context(&TlsServerSetup::new(
//!     Pem::File("server.pem".into()),
//!     Pem::File("server.key".into()),
//! ))?;
//! server.start("0.0.0.0", 5555)?;
//! # Ok::<(), hpsocket::Error>(())
//! ```
//!

/// The rustls this crate is built on, for [`set_tls_config`](crate::Server::set_tls_config)
/// with a configuration built by hand.
pub use rustls;

use std::collections::HashMap;
use std::io::{Read, Write};

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

/// Peer-verification flags (`En_HP_SSLVerifyMode`, OpenSSL semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VerifyMode(pub u32);

impl VerifyMode {
    /// Do not verify the peer (`SSL_VM_NONE`).
    pub const NONE: VerifyMode = VerifyMode(0x00);
    /// Verify the peer's certificate when it sends one (`SSL_VM_PEER`); a client always
    /// requires the server's.
    pub const PEER: VerifyMode = VerifyMode(0x01);
    /// Server: fail when the client sends no certificate (`SSL_VM_FAIL_IF_NO_PEER_CERT`).
    pub const FAIL_IF_NO_PEER_CERT: VerifyMode = VerifyMode(0x02);
    /// Verify the client only on the first handshake (`SSL_VM_CLIENT_ONCE`); rustls does no
    /// renegotiation, so every handshake is a first one.
    pub const CLIENT_ONCE: VerifyMode = VerifyMode(0x04);

    fn has(self, f: VerifyMode) -> bool {
        self.0 & f.0 != 0
    }
}

impl std::ops::BitOr for VerifyMode {
    type Output = VerifyMode;
    fn bitor(self, o: VerifyMode) -> VerifyMode {
        VerifyMode(self.0 | o.0)
    }
}

/// Why a TLS configuration could not be built.
#[derive(Debug)]
pub enum TlsConfigError {
    /// A file could not be read.
    Io(std::io::Error),
    /// PEM data held no certificate / key, or could not be parsed.
    Pem(String),
    /// rustls refused the configuration.
    Rustls(rustls::Error),
    /// Something rustls does not support (for example an encrypted private key).
    Unsupported(&'static str),
}

impl std::fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsConfigError::Io(e) => write!(f, "cannot read TLS file: {e}"),
            TlsConfigError::Pem(e) => write!(f, "bad PEM data: {e}"),
            TlsConfigError::Rustls(e) => write!(f, "TLS configuration refused: {e}"),
            TlsConfigError::Unsupported(w) => write!(f, "not supported: {w}"),
        }
    }
}

impl std::error::Error for TlsConfigError {}

impl From<rustls::Error> for TlsConfigError {
    fn from(e: rustls::Error) -> Self {
        TlsConfigError::Rustls(e)
    }
}

/// PEM input: a file path or the PEM text itself (HP-Socket's `SetupSSLContext` and
/// `SetupSSLContextByMemory`).
#[derive(Clone, Debug)]
pub enum Pem {
    /// Read from this file.
    File(std::path::PathBuf),
    /// This PEM text.
    Memory(String),
}

impl Pem {
    fn bytes(&self) -> Result<Vec<u8>, TlsConfigError> {
        match self {
            Pem::File(p) => std::fs::read(p).map_err(TlsConfigError::Io),
            Pem::Memory(s) => Ok(s.as_bytes().to_vec()),
        }
    }

    fn certs(&self) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
        let b = self.bytes()?;
        let certs: Vec<_> = CertificateDer::pem_slice_iter(&b)
            .collect::<Result<_, _>>()
            .map_err(|e| TlsConfigError::Pem(e.to_string()))?;
        if certs.is_empty() {
            return Err(TlsConfigError::Pem("no certificate found".into()));
        }
        Ok(certs)
    }

    fn key(&self) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
        let b = self.bytes()?;
        if String::from_utf8_lossy(&b).contains("ENCRYPTED PRIVATE KEY") {
            return Err(TlsConfigError::Unsupported(
                "encrypted private keys (decrypt the key first; rustls reads plain PKCS#8/PKCS#1/SEC1)",
            ));
        }
        PrivateKeyDer::from_pem_slice(&b).map_err(|e| TlsConfigError::Pem(e.to_string()))
    }
}

/// Loads CA certificates from a PEM file, a PEM text, or every `.pem` / `.crt` file of a
/// directory (HP-Socket's "CA file or path").
fn roots(ca: &Pem) -> Result<RootCertStore, TlsConfigError> {
    let mut store = RootCertStore::empty();
    let mut add = |p: &Pem| -> Result<(), TlsConfigError> {
        for c in p.certs()? {
            store.add(c)?;
        }
        Ok(())
    };
    match ca {
        Pem::File(p) if p.is_dir() => {
            let dir = std::fs::read_dir(p).map_err(TlsConfigError::Io)?;
            for e in dir.flatten() {
                let path = e.path();
                let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
                if matches!(ext, "pem" | "crt" | "cer") {
                    add(&Pem::File(path))?;
                }
            }
        }
        other => add(other)?,
    }
    if store.is_empty() {
        return Err(TlsConfigError::Pem("no CA certificate found".into()));
    }
    Ok(store)
}

fn certified(
    cert: &Pem,
    key: &Pem,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsConfigError> {
    Ok(Arc::new(CertifiedKey::from_der(
        cert.certs()?,
        key.key()?,
        provider,
    )?))
}

/// The crypto provider restricted to an OpenSSL-style cipher list (HP-Socket's
/// `SetSSLCipherList`): `:`-separated suite names, OpenSSL's (`ECDHE-RSA-AES128-GCM-SHA256`,
/// `TLS_AES_128_GCM_SHA256`) or IANA's; `!name` / `-name` removes one; keywords such as
/// `HIGH` or `DEFAULT` stand for every suite rustls offers (all of them are strong). As with
/// OpenSSL's cipher list, TLS 1.3 suites are restricted only when the list names some.
fn provider_with(
    cipher_list: Option<&str>,
) -> Result<Arc<rustls::crypto::CryptoProvider>, TlsConfigError> {
    let base = rustls::crypto::ring::default_provider();
    let Some(list) = cipher_list.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(Arc::new(base));
    };
    let name_of = |s: &rustls::SupportedCipherSuite| s.suite().as_str().unwrap_or("").to_string();
    let find = |token: &str| -> Option<String> {
        let t = token.to_ascii_uppercase().replace('-', "_");
        let openssl = match t.as_str() {
            "TLS_AES_128_GCM_SHA256" => "TLS13_AES_128_GCM_SHA256".to_string(),
            "TLS_AES_256_GCM_SHA384" => "TLS13_AES_256_GCM_SHA384".to_string(),
            "TLS_CHACHA20_POLY1305_SHA256" => "TLS13_CHACHA20_POLY1305_SHA256".to_string(),
            _ => match t.strip_prefix("ECDHE_") {
                // ECDHE-RSA-AES128-GCM-SHA256 → TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
                Some(rest) => {
                    let (auth, rest) = rest.split_once('_').unwrap_or((rest, ""));
                    let rest = rest
                        .replace("AES128", "AES_128")
                        .replace("AES256", "AES_256");
                    let rest = if rest == "CHACHA20_POLY1305" {
                        "CHACHA20_POLY1305_SHA256".to_string()
                    } else {
                        rest
                    };
                    format!("TLS_ECDHE_{auth}_WITH_{rest}")
                }
                None => t.clone(),
            },
        };
        base.cipher_suites
            .iter()
            .map(name_of)
            .find(|n| *n == openssl || *n == t)
    };
    let (mut chosen, mut removed, mut keyword) = (Vec::new(), Vec::new(), false);
    for token in list.split([':', ',', ' ']).filter(|t| !t.is_empty()) {
        if let Some(t) = token.strip_prefix(['!', '-']) {
            removed.extend(find(t));
        } else {
            let t = token.trim_start_matches('+');
            match find(t) {
                Some(n) => chosen.push(n),
                None => keyword = true,
            }
        }
    }
    let names_tls13 = chosen.iter().any(|n| n.starts_with("TLS13_"));
    let names_tls12 = chosen.iter().any(|n| !n.starts_with("TLS13_"));
    let keep = |s: &rustls::SupportedCipherSuite| {
        let n = name_of(s);
        if removed.contains(&n) {
            return false;
        }
        let tls13 = n.starts_with("TLS13_");
        let named = if tls13 { names_tls13 } else { names_tls12 };
        chosen.contains(&n) || (!named && (keyword || tls13))
    };
    let suites: Vec<_> = base.cipher_suites.iter().copied().filter(keep).collect();
    if suites.is_empty() {
        return Err(TlsConfigError::Unsupported(
            "no cipher suite of the cipher list is supported",
        ));
    }
    Ok(Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: suites,
        ..base
    }))
}

/// Chooses a server certificate for the host name a client asked for (SNI): return 0 for the
/// default certificate, `n > 0` for the `n`-th of [`TlsServerSetup::contexts`], a negative
/// number to refuse the handshake (HP-Socket's `HP_Fn_SNI_ServerNameCallback`).
pub type SniCallback = Arc<dyn Fn(&str) -> i32 + Send + Sync>;

/// Server certificates: the default one plus the extra contexts, chosen by SNI host name.
struct SniResolver {
    contexts: Vec<Arc<CertifiedKey>>,
    names: HashMap<String, usize>,
    callback: Option<SniCallback>,
}

impl std::fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SniResolver")
            .field("contexts", &self.contexts.len())
            .field("names", &self.names)
            .finish()
    }
}

impl SniResolver {
    /// Index of the context bound to `name`: an exact match first, then a `*.domain` wildcard
    /// covering one label.
    fn lookup(&self, name: &str) -> usize {
        let name = name.to_ascii_lowercase();
        if let Some(&i) = self.names.get(&name) {
            return i;
        }
        name.split_once('.')
            .and_then(|(_, rest)| self.names.get(&format!("*.{rest}")).copied())
            .unwrap_or(0)
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let index = match (hello.server_name(), &self.callback) {
            (Some(name), Some(cb)) => {
                // The callback is application code running on a worker: a panic refuses this
                // handshake instead of taking the worker down.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(name))).unwrap_or(-1)
            }
            (Some(name), None) => self.lookup(name) as i32,
            (None, _) => 0,
        };
        if index < 0 {
            return None;
        }
        self.contexts
            .get(index as usize)
            .or(self.contexts.first())
            .cloned()
    }
}

/// A TLS server configuration in HP-Socket's terms: certificate and key, optional client
/// verification against a CA, optional extra certificates chosen by SNI host name. TLS 1.2
/// and 1.3.
///
/// ```
/// use hpsocket::tls::{Pem, TlsServerSetup, VerifyMode};
///
/// let mut setup = TlsServerSetup::new(Pem::File("server.pem".into()), Pem::File("server.key".into()));
/// setup.verify = VerifyMode::NONE;
/// let other = setup.add_context(Pem::File("b.pem".into()), Pem::File("b.key".into()));
/// setup.bind_server_name("b.example.com", other);
/// ```
#[derive(Clone)]
pub struct TlsServerSetup {
    /// Verification of client certificates.
    pub verify: VerifyMode,
    /// Certificate chain (PEM).
    pub cert: Pem,
    /// Private key (PEM, not encrypted).
    pub key: Pem,
    /// CA used to verify clients (needed with `VerifyMode::PEER`).
    pub ca: Option<Pem>,
    /// Extra (certificate chain, key) pairs for SNI (HP-Socket's `AddSSLContext`); the
    /// `n`-th has index `n` (1-based, 0 is the default certificate).
    pub contexts: Vec<(Pem, Pem)>,
    /// Host names bound to context indexes (HP-Socket's `BindSSLServerName`); `*.domain`
    /// covers one label. Used when there is no `sni_callback`.
    pub names: Vec<(String, usize)>,
    /// Chooses the context by host name instead of `names`.
    pub sni_callback: Option<SniCallback>,
    /// OpenSSL-style cipher list (HP-Socket's `SetSSLCipherList`); `None`: rustls' defaults.
    pub cipher_list: Option<String>,
}

impl std::fmt::Debug for TlsServerSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServerSetup")
            .field("verify", &self.verify)
            .field("cert", &self.cert)
            .field("ca", &self.ca)
            .field("contexts", &self.contexts.len())
            .field("names", &self.names)
            .field("sni_callback", &self.sni_callback.is_some())
            .field("cipher_list", &self.cipher_list)
            .finish_non_exhaustive()
    }
}

impl TlsServerSetup {
    /// A setup with this certificate and key, no client verification and no SNI contexts.
    pub fn new(cert: Pem, key: Pem) -> TlsServerSetup {
        TlsServerSetup {
            verify: VerifyMode::NONE,
            cert,
            key,
            ca: None,
            contexts: Vec::new(),
            names: Vec::new(),
            sni_callback: None,
            cipher_list: None,
        }
    }

    /// Adds an SNI context and returns its index (HP-Socket's `AddSSLContext`).
    pub fn add_context(&mut self, cert: Pem, key: Pem) -> usize {
        self.contexts.push((cert, key));
        self.contexts.len()
    }

    /// Serves context `index` to clients asking for `name` (HP-Socket's `BindSSLServerName`).
    pub fn bind_server_name(&mut self, name: &str, index: usize) {
        self.names.push((name.to_ascii_lowercase(), index));
    }

    /// Builds the rustls configuration.
    pub fn build(&self) -> Result<Arc<ServerConfig>, TlsConfigError> {
        let provider = provider_with(self.cipher_list.as_deref())?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
        let builder = if self.verify.has(VerifyMode::PEER) {
            let ca = self.ca.as_ref().ok_or(TlsConfigError::Unsupported(
                "VerifyMode::PEER on a server needs a CA to verify clients against",
            ))?;
            let v =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider.clone());
            let v = if self.verify.has(VerifyMode::FAIL_IF_NO_PEER_CERT) {
                v
            } else {
                v.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(
                v.build()
                    .map_err(|e| TlsConfigError::Pem(format!("client verifier: {e}")))?,
            )
        } else {
            builder.with_no_client_auth()
        };
        let mut contexts = vec![certified(&self.cert, &self.key, &provider)?];
        for (cert, key) in &self.contexts {
            contexts.push(certified(cert, key, &provider)?);
        }
        let mut names = HashMap::new();
        for (name, index) in &self.names {
            if *index >= contexts.len() {
                return Err(TlsConfigError::Unsupported(
                    "a server name is bound to a context index that was never added",
                ));
            }
            names.insert(name.to_ascii_lowercase(), *index);
        }
        let resolver = SniResolver {
            contexts,
            names,
            callback: self.sni_callback.clone(),
        };
        Ok(Arc::new(builder.with_cert_resolver(Arc::new(resolver))))
    }
}

/// Accepts any server certificate (`VerifyMode::NONE` on a client, as HP-Socket allows).
/// Signatures are still checked, so the session keys are bound to the presented key.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end: &CertificateDer<'_>,
        _inter: &[CertificateDer<'_>],
        _name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS client configuration: server verification against a CA (or none), optional client
/// certificate for mutual TLS.
#[derive(Clone, Debug, Default)]
pub struct TlsClientSetup {
    /// `VerifyMode::PEER` verifies the server against `ca`; `NONE` accepts any certificate.
    pub verify: VerifyMode,
    /// CA used to verify the server.
    pub ca: Option<Pem>,
    /// Client certificate and key, for servers that ask for one.
    pub cert: Option<(Pem, Pem)>,
    /// Host name sent as SNI and verified against the server's certificate; `None`: the host
    /// given to `connect` / `start`.
    pub server_name: Option<String>,
    /// OpenSSL-style cipher list (HP-Socket's `SetSSLCipherList`); `None`: rustls' defaults.
    pub cipher_list: Option<String>,
}

impl TlsClientSetup {
    /// Builds the rustls configuration.
    pub fn build(&self) -> Result<Arc<ClientConfig>, TlsConfigError> {
        let provider = provider_with(self.cipher_list.as_deref())?;
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
        let builder = if self.verify.has(VerifyMode::PEER) {
            let ca = self.ca.as_ref().ok_or(TlsConfigError::Unsupported(
                "VerifyMode::PEER on a client needs a CA to verify the server against",
            ))?;
            builder.with_root_certificates(roots(ca)?)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider.clone())))
        };
        let cfg = match &self.cert {
            Some((c, k)) => builder.with_client_auth_cert(c.certs()?, k.key()?)?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(cfg))
    }
}

/// A built TLS context, as a component holds it.
#[derive(Clone)]
pub(crate) enum TlsContext {
    Server(Arc<ServerConfig>),
    Client {
        config: Arc<ClientConfig>,
        server_name: Option<String>,
    },
}

impl TlsContext {
    /// A new session for one connection; `host` is the connect host of an outgoing one.
    pub fn session(&self, host: Option<&str>) -> Result<TlsSession, rustls::Error> {
        match self {
            TlsContext::Server(cfg) => TlsSession::server(cfg.clone()),
            TlsContext::Client {
                config,
                server_name,
            } => {
                let name = server_name.as_deref().or(host).unwrap_or("localhost");
                TlsSession::client(config.clone(), name)
            }
        }
    }
}

/// The errno reported in `on_close` for a TLS failure, chosen so that `strerror` reads as a
/// clear reason: an expired certificate, a rejected one, a missing one, an alert from the
/// peer, or a protocol violation (garbage instead of TLS records).
pub(crate) fn errno_of(e: &rustls::Error) -> i32 {
    use rustls::{CertificateError, Error as E};
    match e {
        E::InvalidCertificate(CertificateError::Expired)
        | E::InvalidCertificate(CertificateError::ExpiredContext { .. }) => libc::EKEYEXPIRED,
        E::InvalidCertificate(_) => libc::EKEYREJECTED,
        E::NoCertificatesPresented => libc::ENOKEY,
        E::AlertReceived(_) => libc::ECONNABORTED,
        _ => libc::EPROTO,
    }
}

/// What one call of [`TlsSession::read_tls`] produced besides plaintext.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsProgress {
    /// The handshake completed during this call (fire `on_handshake`).
    pub handshake_done: bool,
    /// The peer sent close_notify.
    pub peer_closed: bool,
}

/// One connection's TLS state: ciphertext in and out, plaintext in and out, no socket.
pub(crate) struct TlsSession {
    conn: rustls::Connection,
    handshaken: bool,
}

impl TlsSession {
    fn new(mut conn: rustls::Connection) -> TlsSession {
        // Plaintext sent before the handshake completes waits inside rustls; the component's
        // own `max_pending_bytes` bounds it, so rustls' separate 64 KiB limit is lifted.
        conn.set_buffer_limit(None);
        TlsSession {
            conn,
            handshaken: false,
        }
    }

    pub fn server(cfg: Arc<ServerConfig>) -> Result<TlsSession, rustls::Error> {
        Ok(TlsSession::new(rustls::ServerConnection::new(cfg)?.into()))
    }

    /// `sni`: the host name to ask for and verify (an IP address is sent as-is).
    pub fn client(cfg: Arc<ClientConfig>, sni: &str) -> Result<TlsSession, rustls::Error> {
        let name = ServerName::try_from(sni.to_string())
            .map_err(|_| rustls::Error::General(format!("invalid server name {sni:?}")))?;
        Ok(TlsSession::new(
            rustls::ClientConnection::new(cfg, name)?.into(),
        ))
    }

    pub fn is_handshaking(&self) -> bool {
        !self.handshaken
    }

    /// Feeds ciphertext; appends decrypted bytes to `plain`.
    pub fn read_tls(
        &mut self,
        mut data: &[u8],
        plain: &mut Vec<u8>,
    ) -> Result<TlsProgress, rustls::Error> {
        let mut progress = TlsProgress::default();
        while !data.is_empty() {
            let n = self
                .conn
                .read_tls(&mut data)
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            if n == 0 {
                break;
            }
            let state = self.conn.process_new_packets()?;
            if !self.handshaken && !self.conn.is_handshaking() {
                self.handshaken = true;
                progress.handshake_done = true;
            }
            let want = state.plaintext_bytes_to_read();
            if want > 0 {
                let start = plain.len();
                plain.resize(start + want, 0);
                let got = self
                    .conn
                    .reader()
                    .read(&mut plain[start..])
                    .map_err(|e| rustls::Error::General(e.to_string()))?;
                plain.truncate(start + got);
            }
            if state.peer_has_closed() {
                progress.peer_closed = true;
            }
        }
        Ok(progress)
    }

    /// Encrypts `data` (buffered by rustls until the handshake completes).
    pub fn write_plain(&mut self, data: &[u8]) -> Result<(), rustls::Error> {
        self.conn
            .writer()
            .write_all(data)
            .map_err(|e| rustls::Error::General(e.to_string()))
    }

    /// Moves pending ciphertext (handshake, records, alerts) into `out`.
    pub fn take_tls(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
    }

    /// Queues close_notify.
    pub fn close(&mut self) {
        self.conn.send_close_notify();
    }

    /// The SNI host name the client asked for (server side).
    pub fn server_name(&self) -> Option<&str> {
        match &self.conn {
            rustls::Connection::Server(s) => s.server_name(),
            rustls::Connection::Client(_) => None,
        }
    }

    pub fn info(&self) -> TlsInfo {
        TlsInfo {
            handshake_complete: self.handshaken,
            version: self
                .conn
                .protocol_version()
                .and_then(|v| v.as_str())
                .map(str::to_string),
            cipher_suite: self
                .conn
                .negotiated_cipher_suite()
                .and_then(|c| c.suite().as_str())
                .map(str::to_string),
            server_name: self.server_name().map(str::to_string),
            peer_certificates: self
                .conn
                .peer_certificates()
                .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
                .unwrap_or_default(),
        }
    }
}

/// What one connection's TLS session negotiated (the portable part of HP-Socket's
/// `GetSSLSessionInfo`, which hands out raw OpenSSL pointers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The handshake has completed.
    pub handshake_complete: bool,
    /// Protocol version, e.g. `"TLSv1_3"`.
    pub version: Option<String>,
    /// Cipher suite, e.g. `"TLS13_AES_256_GCM_SHA384"`.
    pub cipher_suite: Option<String>,
    /// Server side: the host name the client asked for (SNI).
    pub server_name: Option<String>,
    /// The peer's certificate chain (DER), end-entity first; empty when it sent none.
    pub peer_certificates: Vec<Vec<u8>>,
}

/// Drives a server and a client session through byte vectors: `c2s` is sent by the client
/// right away (before the handshake completes), `s2c` by the server once its handshake is
/// done; every flight of ciphertext is delivered in pieces cut at `cuts` (cycled). With
/// `flip = Some((to_server, offset, mask))` the byte at `offset` of the ciphertext going that
/// way is XORed with `mask`. Returns what each side decrypted (server, client) and the first
/// TLS error, if any. Used by the proptests below and the `tls_glue` fuzz target.
pub(crate) fn drive_pair(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
    c2s: &[u8],
    s2c: &[u8],
    cuts: &[usize],
    flip: Option<(bool, usize, u8)>,
) -> (Vec<u8>, Vec<u8>, Option<rustls::Error>) {
    let (mut s_plain, mut c_plain) = (Vec::new(), Vec::new());
    let (mut s, mut c) = match (
        TlsSession::server(server),
        TlsSession::client(client, "localhost"),
    ) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(e), _) | (_, Err(e)) => return (s_plain, c_plain, Some(e)),
    };
    let mut cut = cuts.iter().copied().filter(|&n| n > 0).cycle();
    let mut deliver = |to: &mut TlsSession,
                       wire: &mut Vec<u8>,
                       sent: &mut usize,
                       flip_here: Option<(usize, u8)>,
                       plain: &mut Vec<u8>|
     -> Result<bool, rustls::Error> {
        if let Some((at, mask)) = flip_here {
            if at >= *sent && at < *sent + wire.len() {
                wire[at - *sent] ^= mask;
            }
        }
        *sent += wire.len();
        let mut rest = &wire[..];
        let mut done = false;
        while !rest.is_empty() {
            let k = cut.next().unwrap_or(rest.len()).min(rest.len());
            done |= to.read_tls(&rest[..k], plain)?.handshake_done;
            rest = &rest[k..];
        }
        wire.clear();
        Ok(done)
    };
    let to_server = flip.filter(|f| f.0).map(|f| (f.1, f.2));
    let to_client = flip.filter(|f| !f.0).map(|f| (f.1, f.2));
    let (mut up, mut down) = (0usize, 0usize);
    if let Err(e) = c.write_plain(c2s) {
        return (s_plain, c_plain, Some(e));
    }
    let mut replied = false;
    for _ in 0..16 {
        let mut wire = Vec::new();
        c.take_tls(&mut wire);
        let progressed = !wire.is_empty();
        if let Err(e) = deliver(&mut s, &mut wire, &mut up, to_server, &mut s_plain) {
            // The alert goes back to the client, as it would on a socket.
            s.take_tls(&mut wire);
            let _ = c.read_tls(&wire, &mut c_plain);
            return (s_plain, c_plain, Some(e));
        }
        if !s.is_handshaking() && !replied {
            replied = true;
            if let Err(e) = s.write_plain(s2c) {
                return (s_plain, c_plain, Some(e));
            }
        }
        s.take_tls(&mut wire);
        let progressed = progressed || !wire.is_empty();
        if let Err(e) = deliver(&mut c, &mut wire, &mut down, to_client, &mut c_plain) {
            return (s_plain, c_plain, Some(e));
        }
        if !progressed {
            break;
        }
    }
    (s_plain, c_plain, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    struct Pki {
        ca: String,
        ca_params: CertificateParams,
        ca_key: KeyPair,
    }

    impl Pki {
        fn new() -> Pki {
            let ca_key = KeyPair::generate().unwrap();
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let ca = ca_params.self_signed(&ca_key).unwrap().pem();
            Pki {
                ca,
                ca_params,
                ca_key,
            }
        }

        /// (certificate PEM, key PEM) for these names, signed by the CA.
        fn leaf(&self, names: &[&str]) -> (Pem, Pem) {
            let key = KeyPair::generate().unwrap();
            let params =
                CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                    .unwrap();
            let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
            let cert = params.signed_by(&key, &issuer).unwrap();
            (Pem::Memory(cert.pem()), Pem::Memory(key.serialize_pem()))
        }

        fn ca(&self) -> Pem {
            Pem::Memory(self.ca.clone())
        }
    }

    /// (server plaintext, client plaintext, SNI name the server saw).
    type Exchanged = (Vec<u8>, Vec<u8>, Option<String>);

    /// Runs a handshake and one exchange each way through byte vectors, delivering ciphertext
    /// in pieces of `step` bytes. Returns (server plaintext, client plaintext) or the error.
    fn exchange(
        server: Arc<ServerConfig>,
        client: Arc<ClientConfig>,
        sni: &str,
        step: usize,
    ) -> Result<Exchanged, rustls::Error> {
        let mut s = TlsSession::server(server)?;
        let mut c = TlsSession::client(client, sni)?;
        // Queued before the handshake completes: sent after it.
        c.write_plain(b"hello from client")?;
        let (mut s_plain, mut c_plain) = (Vec::new(), Vec::new());
        let mut wrote_reply = false;
        for _ in 0..50 {
            let mut wire = Vec::new();
            c.take_tls(&mut wire);
            for piece in wire.chunks(step.max(1)) {
                if s.read_tls(piece, &mut s_plain)?.handshake_done {
                    assert!(!s.is_handshaking());
                }
            }
            if !s.is_handshaking() && !wrote_reply {
                s.write_plain(b"hello from server")?;
                wrote_reply = true;
            }
            let mut back = Vec::new();
            s.take_tls(&mut back);
            for piece in back.chunks(step.max(1)) {
                c.read_tls(piece, &mut c_plain)?;
            }
            if !s_plain.is_empty() && !c_plain.is_empty() {
                break;
            }
        }
        Ok((s_plain, c_plain, s.server_name().map(str::to_string)))
    }

    fn server_setup(pki: &Pki) -> TlsServerSetup {
        let (cert, key) = pki.leaf(&["localhost"]);
        TlsServerSetup::new(cert, key)
    }

    #[test]
    fn handshake_and_data_split_at_every_size() {
        let pki = Pki::new();
        let server = server_setup(&pki).build().unwrap();
        let client = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
            server_name: None,
            cipher_list: None,
        }
        .build()
        .unwrap();
        for step in [1, 2, 3, 5, 7, 64, 1000, 1 << 20] {
            let (s, c, _) = exchange(server.clone(), client.clone(), "localhost", step).unwrap();
            assert_eq!(s, b"hello from client", "step {step}");
            assert_eq!(c, b"hello from server", "step {step}");
        }
    }

    #[test]
    fn mutual_tls_and_missing_client_certificate() {
        let pki = Pki::new();
        let mut setup = server_setup(&pki);
        setup.verify = VerifyMode::PEER | VerifyMode::FAIL_IF_NO_PEER_CERT;
        setup.ca = Some(pki.ca());
        let server = setup.build().unwrap();
        let with_cert = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: Some(pki.leaf(&["client"])),
            server_name: None,
            cipher_list: None,
        }
        .build()
        .unwrap();
        assert!(exchange(server.clone(), with_cert, "localhost", 100).is_ok());
        let without = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
            server_name: None,
            cipher_list: None,
        }
        .build()
        .unwrap();
        assert!(exchange(server, without, "localhost", 100).is_err());
    }

    #[test]
    fn sni_selects_the_certificate() {
        let pki = Pki::new();
        let mut setup = server_setup(&pki);
        let (c, k) = pki.leaf(&["b.example"]);
        let b = setup.add_context(c, k);
        setup.bind_server_name("B.example", b);
        let server = setup.build().unwrap();
        let client = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
            server_name: None,
            cipher_list: None,
        }
        .build()
        .unwrap();
        // The SNI certificate verifies for b.example; the default one would not.
        let (_, _, name) = exchange(server.clone(), client.clone(), "b.example", 50).unwrap();
        assert_eq!(name.as_deref(), Some("b.example"));
        assert!(exchange(server, client, "localhost", 50).is_ok());
    }

    #[test]
    fn wrong_name_and_untrusted_certificates_are_rejected() {
        let pki = Pki::new();
        let server = server_setup(&pki).build().unwrap();
        let trusting = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
            server_name: None,
            cipher_list: None,
        }
        .build()
        .unwrap();
        assert!(exchange(server.clone(), trusting, "wrong.example", 100).is_err());
        let other = Pki::new();
        let untrusting = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(other.ca()),
            cert: None,
            server_name: None,
            cipher_list: None,
        }
        .build()
        .unwrap();
        assert!(exchange(server.clone(), untrusting, "localhost", 100).is_err());
        // VerifyMode::NONE accepts any certificate, as HP-Socket's SSL_VM_NONE client does.
        let any = TlsClientSetup::default().build().unwrap();
        assert!(exchange(server, any, "wrong.example", 100).is_ok());
    }

    #[test]
    fn garbage_instead_of_client_hello_is_an_error_not_a_panic() {
        let pki = Pki::new();
        let server = server_setup(&pki).build().unwrap();
        let mut s = TlsSession::server(server).unwrap();
        let mut plain = Vec::new();
        let r = s.read_tls(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", &mut plain);
        assert!(r.is_err());
        let mut alert = Vec::new();
        s.take_tls(&mut alert);
        assert!(plain.is_empty());
    }

    fn pair_configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
        use std::sync::OnceLock;
        static CFG: OnceLock<(Arc<ServerConfig>, Arc<ClientConfig>)> = OnceLock::new();
        CFG.get_or_init(|| {
            let pki = Pki::new();
            let server = server_setup(&pki).build().unwrap();
            let client = TlsClientSetup {
                verify: VerifyMode::PEER,
                ca: Some(pki.ca()),
                ..Default::default()
            }
            .build()
            .unwrap();
            (server, client)
        })
        .clone()
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any split of every flight delivers both payloads intact.
        #[test]
        fn records_split_anywhere_arrive_intact(
            c2s in proptest::collection::vec(any::<u8>(), 0..40_000),
            s2c in proptest::collection::vec(any::<u8>(), 0..40_000),
            cuts in proptest::collection::vec(1usize..20_000, 1..12),
        ) {
            let (server, client) = pair_configs();
            let (s, c, err) = drive_pair(server, client, &c2s, &s2c, &cuts, None);
            prop_assert!(err.is_none(), "{err:?}");
            prop_assert!(s == c2s);
            prop_assert!(c == s2c);
        }

        /// A flipped bit anywhere is an error (or lands where TLS ignores it), never wrong
        /// plaintext: what was decrypted is always a prefix of what was sent.
        #[test]
        fn a_flipped_bit_never_yields_wrong_plaintext(
            c2s in proptest::collection::vec(any::<u8>(), 1..5_000),
            s2c in proptest::collection::vec(any::<u8>(), 1..5_000),
            cuts in proptest::collection::vec(1usize..3_000, 1..6),
            to_server: bool,
            offset in 0usize..8_000,
            bit in 0u32..8,
        ) {
            let (server, client) = pair_configs();
            let flip = Some((to_server, offset, 1u8 << bit));
            let (s, c, _) = drive_pair(server, client, &c2s, &s2c, &cuts, flip);
            prop_assert!(c2s.starts_with(&s));
            prop_assert!(s2c.starts_with(&c));
        }
    }

    #[test]
    fn cipher_lists_in_openssl_terms() {
        let names = |l: &str| -> Vec<String> {
            provider_with(Some(l))
                .unwrap()
                .cipher_suites
                .iter()
                .map(|s| s.suite().as_str().unwrap().to_string())
                .collect()
        };
        let all = rustls::crypto::ring::default_provider().cipher_suites.len();
        assert_eq!(names("HIGH:!aNULL:!MD5").len(), all);
        // A TLS 1.2 list leaves TLS 1.3 alone, as OpenSSL's cipher list does.
        let l = names("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305");
        assert!(l.contains(&"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_string()));
        assert!(l.contains(&"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256".to_string()));
        assert!(l.contains(&"TLS13_AES_256_GCM_SHA384".to_string()));
        assert_eq!(l.iter().filter(|n| !n.starts_with("TLS13")).count(), 2);
        let l = names("TLS_AES_128_GCM_SHA256");
        assert_eq!(l.iter().filter(|n| n.starts_with("TLS13")).count(), 1);
        assert!(names("DEFAULT:!TLS_AES_256_GCM_SHA384")
            .iter()
            .all(|n| n != "TLS13_AES_256_GCM_SHA384"));
        assert!(provider_with(Some("!ALL:RC4-MD5")).is_ok_and(|p| !p.cipher_suites.is_empty()));
        let mut setup = TlsServerSetup::new(Pem::Memory(String::new()), Pem::Memory(String::new()));
        setup.cipher_list = Some("TLS_AES_128_GCM_SHA256:!TLS_AES_128_GCM_SHA256".into());
        assert!(matches!(setup.build(), Err(TlsConfigError::Unsupported(_))));
    }

    #[test]
    fn configuration_errors_are_clear() {
        let pki = Pki::new();
        let mut setup = server_setup(&pki);
        setup.key = Pem::Memory(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
                .into(),
        );
        assert!(matches!(setup.build(), Err(TlsConfigError::Unsupported(_))));
        let mut setup = server_setup(&pki);
        setup.cert = Pem::Memory("not pem".into());
        assert!(matches!(setup.build(), Err(TlsConfigError::Pem(_))));
        let mut setup = server_setup(&pki);
        setup.verify = VerifyMode::PEER;
        assert!(matches!(setup.build(), Err(TlsConfigError::Unsupported(_))));
        let missing = TlsServerSetup {
            cert: Pem::File("/nonexistent/cert.pem".into()),
            ..server_setup(&pki)
        };
        assert!(matches!(missing.build(), Err(TlsConfigError::Io(_))));
    }
}
