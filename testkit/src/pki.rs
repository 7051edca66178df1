//! A throw-away PKI for TLS tests, made with rcgen: one CA and leaf certificates it signs, as
//! PEM text, written to files on request.

use std::path::{Path, PathBuf};

/// A certificate and its (unencrypted, PKCS#8) private key, as PEM text.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// The certificate.
    pub cert: String,
    /// Its private key.
    pub key: String,
}

impl Leaf {
    /// Writes `<dir>/<name>.pem` (the certificate) and `<dir>/<name>.key` (the key) and returns
    /// their paths.
    pub fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        (
            write(&dir.join(format!("{name}.pem")), &self.cert),
            write(&dir.join(format!("{name}.key")), &self.key),
        )
    }
}

fn write(p: &Path, text: &str) -> PathBuf {
    std::fs::write(p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    p.to_path_buf()
}

/// A test CA (ECDSA P-256, no path length limit) that signs leaf certificates.
pub struct Pki {
    /// The CA certificate, PEM.
    pub ca: String,
    ca_params: rcgen::CertificateParams,
    ca_key: rcgen::KeyPair,
}

impl Default for Pki {
    fn default() -> Pki {
        Pki::new()
    }
}

impl Pki {
    /// A new CA, unrelated to any other.
    pub fn new() -> Pki {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        // A subject distinct from every leaf's: OpenSSL takes a leaf whose subject equals its
        // issuer for a self-signed certificate.
        ca_params.distinguished_name = rcgen::DistinguishedName::new();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "hpsocket test CA");
        let ca = ca_params
            .self_signed(&ca_key)
            .expect("CA certificate")
            .pem();
        Pki {
            ca,
            ca_params,
            ca_key,
        }
    }

    /// A leaf for these names (DNS names or IP addresses, the first also its common name),
    /// signed by the CA.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |_| {})
    }

    /// A leaf whose validity ended in 2001.
    pub fn expired(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |p| {
            p.not_before = rcgen::date_time_ymd(2000, 1, 1);
            p.not_after = rcgen::date_time_ymd(2001, 1, 1);
        })
    }

    /// A leaf for these names with its parameters changed by `tweak` before signing.
    pub fn leaf_with(
        &self,
        names: &[&str],
        tweak: impl FnOnce(&mut rcgen::CertificateParams),
    ) -> Leaf {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("leaf parameters");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("hpsocket test leaf"),
        );
        tweak(&mut params);
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).expect("leaf certificate");
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// Writes the CA certificate to `path` and returns the path.
    pub fn write_ca(&self, path: &Path) -> PathBuf {
        write(path, &self.ca)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::TempDir;

    #[test]
    fn cas_and_leaves_are_fresh_pem() {
        let pki = Pki::new();
        assert!(pki.ca.starts_with("-----BEGIN CERTIFICATE-----"));
        let leaf = pki.leaf(&["localhost", "127.0.0.1"]);
        assert!(leaf.cert.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(leaf.key.starts_with("-----BEGIN PRIVATE KEY-----"));
        // Each CA and each leaf is new.
        assert_ne!(pki.ca, Pki::new().ca);
        assert_ne!(leaf.cert, pki.leaf(&["localhost"]).cert);
    }

    #[test]
    fn files_hold_the_pem_text() {
        let pki = Pki::new();
        let d = TempDir::new("testkit-pki");
        let ca = pki.write_ca(&d.join("ca.pem"));
        assert_eq!(std::fs::read_to_string(ca).unwrap(), pki.ca);
        let leaf = pki.expired(&["old.example"]);
        let (c, k) = leaf.write(d.path(), "old");
        assert_eq!(c, d.join("old.pem"));
        assert_eq!(std::fs::read_to_string(c).unwrap(), leaf.cert);
        assert_eq!(std::fs::read_to_string(k).unwrap(), leaf.key);
    }
}
