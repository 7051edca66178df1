//! `--tls` for the demos and `hps pfm`: command-line options, a throw-away CA and certificate
//! when none are given, and the TLS setups handed to the SSL components.

use std::path::{Path, PathBuf};

use clap::Args;
use hpsocket::tls::{Pem, TlsClientSetup, TlsServerSetup, VerifyMode};

pub type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Names the generated certificate is valid for: every way a local client may dial it.
pub const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// TLS options of `hps server`.
#[derive(Args, Clone, Debug, Default)]
pub struct ServerTls {
    /// Use TLS (rustls): the SSL server of the chosen model. Without --cert/--key a throw-away
    /// CA and a certificate for localhost, 127.0.0.1 and ::1 are generated, and the CA's PEM
    /// file is printed for clients' --ca.
    #[arg(long)]
    pub tls: bool,
    /// TLS: the server's certificate chain (PEM file); needs --key.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// TLS: the private key of --cert (PEM file, not encrypted).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub key: Option<PathBuf>,
    /// TLS: require client certificates issued by this CA (PEM file).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca: Option<PathBuf>,
}

/// TLS options of `hps client` and `hps agent`.
#[derive(Args, Clone, Debug, Default)]
pub struct ClientTls {
    /// Use TLS (rustls): the SSL client / agent of the chosen model.
    #[arg(long)]
    pub tls: bool,
    /// TLS: verify the server's certificate against this CA (PEM file, e.g. the one a
    /// `hps server --tls` prints). Without it the server's certificate is NOT verified.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca: Option<PathBuf>,
    /// TLS: client certificate chain (PEM file) for servers that require one; needs --key.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// TLS: the private key of --cert (PEM file, not encrypted).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub key: Option<PathBuf>,
}

/// TLS options of `hps pfm`.
#[derive(Args, Clone, Debug, Default)]
pub struct PfmTls {
    /// Use TLS (rustls): the SSL server and agent of the chosen model. The in-process server
    /// gets a throw-away certificate (or --cert/--key) and the agent verifies it.
    #[arg(long)]
    pub tls: bool,
    /// TLS: the in-process server's certificate chain (PEM file); needs --key.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"], conflicts_with = "addr")]
    pub cert: Option<PathBuf>,
    /// TLS: the private key of --cert (PEM file, not encrypted).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"], conflicts_with = "addr")]
    pub key: Option<PathBuf>,
    /// TLS: verify the server against this CA (PEM file). Default: the generated CA; with
    /// --cert or --addr and no --ca the server's certificate is NOT verified.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub ca: Option<PathBuf>,
}

/// A CA and one leaf it signed, all PEM text.
pub struct Pki {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

/// Makes a CA and a certificate for `names` (DNS names or IP addresses).
pub fn generate(names: &[&str]) -> Res<Pki> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    // Distinct subject names: some verifiers take a leaf whose subject equals its issuer's
    // for a self-signed certificate.
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "hps throw-away CA");
    let ca = ca_params.self_signed(&ca_key)?.pem();
    let key = rcgen::KeyPair::generate()?;
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().copied().unwrap_or("hps"),
    );
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let cert = params.signed_by(&key, &issuer)?.pem();
    Ok(Pki {
        ca,
        cert,
        key: key.serialize_pem(),
    })
}

/// Writes `text` to a new file `name` in the temporary folder. The name carries our PID and
/// a counter so concurrent runs do not overwrite each other.
pub fn write_temp(name: &str, text: &str) -> Res<PathBuf> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "hps-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, text)?;
    Ok(path)
}

fn file(p: &Path) -> Pem {
    Pem::File(p.to_path_buf())
}

/// TLS setups for whichever side a command runs; the plain components ignore them.
#[derive(Default)]
pub struct Plan {
    pub server: Option<TlsServerSetup>,
    pub client: Option<TlsClientSetup>,
}

/// Client setup: verify against `ca` when given, otherwise accept any certificate (said on
/// stdout, so nobody mistakes the run for a verified one).
pub(crate) fn client_setup(ca: Option<&Path>, cert: Option<(&Path, &Path)>) -> TlsClientSetup {
    if ca.is_none() {
        println!("TLS: no --ca given, the server's certificate is NOT verified");
    }
    TlsClientSetup {
        verify: if ca.is_some() {
            VerifyMode::PEER
        } else {
            VerifyMode::NONE
        },
        ca: ca.map(file),
        cert: cert.map(|(c, k)| (file(c), file(k))),
        ..Default::default()
    }
}

impl ServerTls {
    /// The server's plan, and the CA file written when a certificate was generated.
    pub fn plan(&self) -> Res<(Plan, Option<PathBuf>)> {
        if !self.tls {
            return Ok((Plan::default(), None));
        }
        let (mut setup, ca_file) = match (&self.cert, &self.key) {
            (Some(c), Some(k)) => (TlsServerSetup::new(file(c), file(k)), None),
            _ => {
                let pki = generate(&LOCAL_NAMES)?;
                let path = write_temp("ca.pem", &pki.ca)?;
                (
                    TlsServerSetup::new(Pem::Memory(pki.cert), Pem::Memory(pki.key)),
                    Some(path),
                )
            }
        };
        if let Some(ca) = &self.ca {
            setup.verify = VerifyMode::PEER | VerifyMode::FAIL_IF_NO_PEER_CERT;
            setup.ca = Some(file(ca));
        }
        Ok((
            Plan {
                server: Some(setup),
                client: None,
            },
            ca_file,
        ))
    }
}

impl ClientTls {
    pub fn plan(&self) -> Plan {
        if !self.tls {
            return Plan::default();
        }
        let cert = self.cert.as_deref().zip(self.key.as_deref());
        Plan {
            server: None,
            client: Some(client_setup(self.ca.as_deref(), cert)),
        }
    }
}

impl PfmTls {
    /// Both sides' plan; `in_process`: whether pfm starts the server itself.
    pub fn plan(&self, in_process: bool) -> Res<Plan> {
        if !self.tls {
            return Ok(Plan::default());
        }
        if !in_process {
            return Ok(Plan {
                server: None,
                client: Some(client_setup(self.ca.as_deref(), None)),
            });
        }
        let (server, client) = match (&self.cert, &self.key) {
            (Some(c), Some(k)) => (
                TlsServerSetup::new(file(c), file(k)),
                client_setup(self.ca.as_deref(), None),
            ),
            _ => {
                let pki = generate(&LOCAL_NAMES)?;
                let client = match &self.ca {
                    Some(_) => client_setup(self.ca.as_deref(), None),
                    // Both sides live here, so the agent can verify against the CA it shares
                    // with the server: the measured handshakes are the real thing.
                    None => TlsClientSetup {
                        verify: VerifyMode::PEER,
                        ca: Some(Pem::Memory(pki.ca)),
                        ..Default::default()
                    },
                };
                (
                    TlsServerSetup::new(Pem::Memory(pki.cert), Pem::Memory(pki.key)),
                    client,
                )
            }
        };
        Ok(Plan {
            server: Some(server),
            client: Some(client),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_verifies_against_its_ca() {
        let pki = generate(&LOCAL_NAMES).unwrap();
        let server = TlsServerSetup::new(Pem::Memory(pki.cert), Pem::Memory(pki.key));
        server.build().unwrap();
        let client = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(Pem::Memory(pki.ca)),
            ..Default::default()
        };
        client.build().unwrap();
    }
}
