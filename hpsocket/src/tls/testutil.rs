//! Test helpers shared by the TLS unit tests: a throw-away PKI and byte-vector exchanges.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::{ClientConfig, ServerConfig};

use super::{Pem, TlsClientSetup, TlsServerSetup, TlsSession, VerifyMode};

pub(super) struct Pki {
    ca: String,
    ca_params: CertificateParams,
    ca_key: KeyPair,
}

impl Pki {
    pub(super) fn new() -> Pki {
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
    pub(super) fn leaf(&self, names: &[&str]) -> (Pem, Pem) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        (Pem::Memory(cert.pem()), Pem::Memory(key.serialize_pem()))
    }

    pub(super) fn ca(&self) -> Pem {
        Pem::Memory(self.ca.clone())
    }
}

/// (server plaintext, client plaintext, SNI name the server saw).
pub(super) type Exchanged = (Vec<u8>, Vec<u8>, Option<String>);

/// Runs a handshake and one exchange each way through byte vectors, delivering ciphertext
/// in pieces of `step` bytes. Returns (server plaintext, client plaintext) or the error.
pub(super) fn exchange(
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

pub(super) fn server_setup(pki: &Pki) -> TlsServerSetup {
    let (cert, key) = pki.leaf(&["localhost"]);
    TlsServerSetup::new(cert, key)
}

/// A server and a client configuration that trust each other (one throw-away PKI per
/// process; the session harness uses it too).
pub(crate) fn pair_configs() -> (Arc<ServerConfig>, Arc<ClientConfig>) {
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
