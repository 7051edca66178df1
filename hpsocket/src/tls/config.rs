//! TLS configuration in HP-Socket's terms: PEM input, verification flags, the server and
//! client setups, SNI certificate selection, and the built context a component holds.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use super::ciphers::provider_with;
use super::session::TlsSession;

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
    Pem(PemError),
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

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsConfigError::Io(e) => Some(e),
            TlsConfigError::Pem(e) => Some(e),
            TlsConfigError::Rustls(e) => Some(e),
            TlsConfigError::Unsupported(_) => None,
        }
    }
}

/// What was wrong with PEM input ([`TlsConfigError::Pem`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum PemError {
    /// The PEM text could not be parsed (or held no private key).
    Parse(rustls::pki_types::pem::Error),
    /// The certificate input held no certificate.
    NoCertificate,
    /// The CA input (file, text or directory) held no certificate.
    NoCaCertificate,
    /// The CA certificates could not make a client verifier (no usable trust anchor).
    ClientVerifier(rustls::server::VerifierBuilderError),
}

impl std::fmt::Display for PemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PemError::Parse(e) => write!(f, "{e}"),
            PemError::NoCertificate => write!(f, "no certificate found"),
            PemError::NoCaCertificate => write!(f, "no CA certificate found"),
            PemError::ClientVerifier(e) => write!(f, "client verifier: {e}"),
        }
    }
}

impl std::error::Error for PemError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PemError::Parse(e) => Some(e),
            PemError::ClientVerifier(e) => Some(e),
            PemError::NoCertificate | PemError::NoCaCertificate => None,
        }
    }
}

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

/// Whether PEM text holds an encrypted private key, in either form OpenSSL writes: PKCS#8
/// (`-----BEGIN ENCRYPTED PRIVATE KEY-----`) or the traditional one (a `-----BEGIN RSA/EC
/// PRIVATE KEY-----` block with a `Proc-Type: 4,ENCRYPTED` header). rustls reads only
/// unencrypted keys, so such a key is refused with [`TlsConfigError::Unsupported`] rather than
/// an obscure parse error.
pub fn is_encrypted_key(pem: &[u8]) -> bool {
    String::from_utf8_lossy(pem).lines().any(|l| {
        let l = l.trim();
        l.starts_with("-----BEGIN ENCRYPTED")
            || (l.starts_with("Proc-Type:") && l.contains("ENCRYPTED"))
    })
}

impl Pem {
    /// Whether this input holds an encrypted private key (see [`is_encrypted_key`]); a file
    /// that cannot be read is an [`TlsConfigError::Io`] error.
    pub fn holds_encrypted_key(&self) -> Result<bool, TlsConfigError> {
        Ok(is_encrypted_key(&self.bytes()?))
    }

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
            .map_err(|e| TlsConfigError::Pem(PemError::Parse(e)))?;
        if certs.is_empty() {
            return Err(TlsConfigError::Pem(PemError::NoCertificate));
        }
        Ok(certs)
    }

    fn key(&self) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
        let b = self.bytes()?;
        if is_encrypted_key(&b) {
            return Err(TlsConfigError::Unsupported(
                "encrypted private keys (decrypt the key first; rustls reads plain PKCS#8/PKCS#1/SEC1)",
            ));
        }
        PrivateKeyDer::from_pem_slice(&b).map_err(|e| TlsConfigError::Pem(PemError::Parse(e)))
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
        return Err(TlsConfigError::Pem(PemError::NoCaCertificate));
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

/// The SNI matching rule, the one place it lives (the server's own lookup, the C ABI's
/// `HP_SSL_DefaultServerNameCallback`): the index `bound` gives for the host name itself
/// (case-insensitive), else for `*.` and the host's parent domain (a wildcard covers exactly
/// one label), else for `.` and the nearest parent domain that has one bound (`.domain`
/// covers every subdomain, at any depth), else 0, the default context.
fn select_context(server_name: &str, bound: impl Fn(&str) -> Option<usize>) -> usize {
    let host = server_name.to_ascii_lowercase();
    if let Some(i) = bound(&host) {
        return i;
    }
    if let Some(i) = host
        .split_once('.')
        .and_then(|(_, parent)| bound(&format!("*.{parent}")))
    {
        return i;
    }
    host.match_indices('.')
        .find_map(|(at, _)| bound(&host[at..]))
        .unwrap_or(0)
}

impl SniResolver {
    /// Index of the context bound to `name` ([`select_context`]).
    fn lookup(&self, name: &str) -> usize {
        select_context(name, |n| self.names.get(n).copied())
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
    /// Host names bound to context indexes (HP-Socket's `BindSSLServerName`), lower-case; a
    /// later binding of a name replaces an earlier one. `name` matches itself, `*.domain`
    /// one more label (`a.domain`, not `a.b.domain`), `.domain` every subdomain at any depth;
    /// an exact match wins over a wildcard, a wildcard over `.domain`, and the nearest
    /// `.domain` over farther ones (see [`TlsServerSetup::select_context`]). Used when there
    /// is no `sni_callback`.
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

    /// Serves context `index` to clients asking for `name` (HP-Socket's `BindSSLServerName`);
    /// `name` may be `*.domain` or `.domain`, see [`names`](TlsServerSetup::names).
    pub fn bind_server_name(&mut self, name: &str, index: usize) {
        self.names.push((name.to_ascii_lowercase(), index));
    }

    /// The context index the bound [`names`](TlsServerSetup::names) select for the host name
    /// a client asked for: the exact name, else a `*.domain` wildcard one label up, else the
    /// nearest `.domain`, else 0 (the default certificate). This is the rule the server
    /// applies when there is no `sni_callback`.
    pub fn select_context(&self, server_name: &str) -> usize {
        select_context(server_name, |n| {
            self.names
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|&(_, i)| i)
        })
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
                    .map_err(|e| TlsConfigError::Pem(PemError::ClientVerifier(e)))?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::testutil::{exchange, server_setup, Pki};

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

    fn setup_with_names(names: &[(&str, usize)]) -> TlsServerSetup {
        let mut s = TlsServerSetup::new(Pem::Memory(String::new()), Pem::Memory(String::new()));
        for &(n, i) in names {
            s.bind_server_name(n, i);
        }
        s
    }

    #[test]
    fn sni_exact_then_wildcard_then_default() {
        let s = setup_with_names(&[
            ("www.example.com", 1),
            ("*.example.com", 2),
            ("Other.Example", 3),
        ]);
        assert_eq!(
            s.select_context("www.example.com"),
            1,
            "exact beats wildcard"
        );
        assert_eq!(s.select_context("WWW.EXAMPLE.COM"), 1, "case-insensitive");
        assert_eq!(s.select_context("api.example.com"), 2);
        assert_eq!(s.select_context("other.example"), 3);
        assert_eq!(
            s.select_context("example.com"),
            0,
            "a wildcard needs a label"
        );
        assert_eq!(s.select_context("unknown.org"), 0);
        assert_eq!(s.select_context(""), 0);
        // The resolver the server uses applies the same rule.
        let r = SniResolver {
            contexts: Vec::new(),
            names: s.names.iter().cloned().collect(),
            callback: None,
        };
        for host in [
            "www.example.com",
            "api.example.com",
            "a.b.example.com",
            "x.org",
        ] {
            assert_eq!(r.lookup(host), s.select_context(host), "{host}");
        }
    }

    #[test]
    fn sni_wildcard_does_not_match_across_dots() {
        let s = setup_with_names(&[("*.example.com", 1)]);
        assert_eq!(s.select_context("a.example.com"), 1);
        assert_eq!(s.select_context("a.b.example.com"), 0);
        assert_eq!(s.select_context("a.bexample.com"), 0);
    }

    #[test]
    fn sni_dot_domain_covers_subdomains_nearest_first() {
        let s = setup_with_names(&[
            (".example.com", 1),
            (".b.example.com", 2),
            ("*.b.example.com", 3),
        ]);
        assert_eq!(s.select_context("a.example.com"), 1);
        assert_eq!(s.select_context("x.a.example.com"), 1);
        assert_eq!(
            s.select_context("a.c.b.example.com"),
            2,
            "the nearest parent wins"
        );
        assert_eq!(
            s.select_context("a.b.example.com"),
            3,
            "a wildcard beats .domain"
        );
        assert_eq!(
            s.select_context("example.com"),
            0,
            ".domain is not the domain itself"
        );
        // A later binding of the same name replaces the earlier one.
        let s = setup_with_names(&[("a.example", 1), ("A.example", 2)]);
        assert_eq!(s.select_context("a.example"), 2);
    }

    #[test]
    fn encrypted_keys_are_recognised_in_both_forms() {
        let pkcs8 =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let traditional = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                           DEK-Info: AES-128-CBC,00\n\nMIIB\n-----END RSA PRIVATE KEY-----\n";
        let plain = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
        for k in [pkcs8, traditional] {
            assert!(is_encrypted_key(k.as_bytes()), "{k}");
            let pem = Pem::Memory(k.into());
            assert!(pem.holds_encrypted_key().unwrap());
            assert!(matches!(pem.key(), Err(TlsConfigError::Unsupported(_))));
        }
        assert!(!is_encrypted_key(plain.as_bytes()));
        assert!(!Pem::Memory(plain.into()).holds_encrypted_key().unwrap());
        let missing = Pem::File("/nonexistent/key.pem".into());
        assert!(matches!(
            missing.holds_encrypted_key(),
            Err(TlsConfigError::Io(_))
        ));
    }

    #[test]
    fn pem_errors_stay_typed() {
        use std::error::Error as _;
        let e = Pem::Memory("not pem".into()).certs().unwrap_err();
        assert!(matches!(e, TlsConfigError::Pem(PemError::NoCertificate)));
        assert_eq!(e.to_string(), "bad PEM data: no certificate found");
        let e = Pem::Memory("-----BEGIN CERTIFICATE-----\n!!\n".into())
            .certs()
            .unwrap_err();
        assert!(matches!(e, TlsConfigError::Pem(PemError::Parse(_))));
        assert!(e.source().is_some());
        // A CA directory without certificates.
        let dir = std::env::temp_dir().join(format!("hpsocket-empty-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = roots(&Pem::File(dir.clone())).unwrap_err();
        let _ = std::fs::remove_dir(&dir);
        assert!(matches!(e, TlsConfigError::Pem(PemError::NoCaCertificate)));
        assert_eq!(e.to_string(), "bad PEM data: no CA certificate found");
        let e = Pem::File("/nonexistent/cert.pem".into())
            .certs()
            .unwrap_err();
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
        assert_eq!(io.map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
    }
}
