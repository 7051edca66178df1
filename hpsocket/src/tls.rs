//! TLS configuration in HP-Socket's terms and the sans-IO TLS session (rustls) that will sit
//! between a connection's socket and its receive model.
//!
//! The session takes ciphertext in and gives plaintext out ([`TlsSession::read_tls`]), takes
//! plaintext in and gives ciphertext out ([`TlsSession::write_plain`]); it owns no socket, so
//! it is tested here with two sessions talking through byte vectors, split at every boundary.
//!
//! Status: the transport is being wired into the reactor; this module is the finished core.

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

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Server certificates: a default one plus any chosen by SNI host name.
#[derive(Debug)]
struct SniResolver {
    default: Arc<CertifiedKey>,
    by_name: HashMap<String, Arc<CertifiedKey>>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let chosen = hello
            .server_name()
            .and_then(|n| self.by_name.get(&n.to_ascii_lowercase()));
        Some(chosen.unwrap_or(&self.default).clone())
    }
}

/// A TLS server configuration: certificate and key, optional client verification against a
/// CA, optional extra certificates chosen by SNI host name. TLS 1.2 and 1.3.
#[derive(Clone, Debug)]
pub struct TlsServerSetup {
    /// Verification of client certificates.
    pub verify: VerifyMode,
    /// Certificate chain (PEM).
    pub cert: Pem,
    /// Private key (PEM, not encrypted).
    pub key: Pem,
    /// CA used to verify clients (needed with `VerifyMode::PEER`).
    pub ca: Option<Pem>,
    /// Extra certificates by host name (HP-Socket's `AddSSLContext` + `BindSSLServerName`).
    pub sni: Vec<(String, Pem, Pem)>,
}

impl TlsServerSetup {
    /// Builds the rustls configuration.
    pub fn build(&self) -> Result<Arc<ServerConfig>, TlsConfigError> {
        let provider = provider();
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
        let mut by_name = HashMap::new();
        for (name, cert, key) in &self.sni {
            by_name.insert(name.to_ascii_lowercase(), certified(cert, key, &provider)?);
        }
        let resolver = SniResolver {
            default: certified(&self.cert, &self.key, &provider)?,
            by_name,
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
}

impl TlsClientSetup {
    /// Builds the rustls configuration.
    pub fn build(&self) -> Result<Arc<ClientConfig>, TlsConfigError> {
        let provider = provider();
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

/// What one call of [`TlsSession::read_tls`] produced besides plaintext.
// Used by the TLS transport being wired into the reactor (issue 7); tested below until then.
#[allow(dead_code)]
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsProgress {
    /// The handshake completed during this call (fire `on_handshake`).
    pub handshake_done: bool,
    /// The peer sent close_notify.
    pub peer_closed: bool,
}

/// One connection's TLS state.
// Used by the TLS transport being wired into the reactor (issue 7); tested below until then.
#[allow(dead_code)]
pub(crate) struct TlsSession {
    conn: rustls::Connection,
    handshaken: bool,
}

#[allow(dead_code)] // see TlsSession
impl TlsSession {
    pub fn server(cfg: Arc<ServerConfig>) -> Result<TlsSession, rustls::Error> {
        Ok(TlsSession {
            conn: rustls::ServerConnection::new(cfg)?.into(),
            handshaken: false,
        })
    }

    /// `sni`: the host name to ask for and verify (an IP address is sent as-is).
    pub fn client(cfg: Arc<ClientConfig>, sni: &str) -> Result<TlsSession, rustls::Error> {
        let name = ServerName::try_from(sni.to_string())
            .map_err(|_| rustls::Error::General(format!("invalid server name {sni:?}")))?;
        Ok(TlsSession {
            conn: rustls::ClientConnection::new(cfg, name)?.into(),
            handshaken: false,
        })
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
        TlsServerSetup {
            verify: VerifyMode::NONE,
            cert,
            key,
            ca: None,
            sni: Vec::new(),
        }
    }

    #[test]
    fn handshake_and_data_split_at_every_size() {
        let pki = Pki::new();
        let server = server_setup(&pki).build().unwrap();
        let client = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
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
        }
        .build()
        .unwrap();
        assert!(exchange(server.clone(), with_cert, "localhost", 100).is_ok());
        let without = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
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
        setup.sni.push(("B.example".into(), c, k));
        let server = setup.build().unwrap();
        let client = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
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
        }
        .build()
        .unwrap();
        assert!(exchange(server.clone(), trusting, "wrong.example", 100).is_err());
        let other = Pki::new();
        let untrusting = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(other.ca()),
            cert: None,
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
