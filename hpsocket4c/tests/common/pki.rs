//! Test certificates made with rcgen: a CA and leaves it signs, as PEM text, and a folder of
//! PEM files for the C example.

use std::path::Path;

/// A certificate and its (unencrypted) key.
pub struct Leaf {
    pub cert: String,
    pub key: String,
}

/// A test CA.
pub struct Pki {
    pub ca: String,
    ca_params: rcgen::CertificateParams,
    ca_key: rcgen::KeyPair,
}

impl Pki {
    pub fn new() -> Pki {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name = rcgen::DistinguishedName::new();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "hpsocket4c test CA");
        let ca = ca_params.self_signed(&ca_key).expect("CA cert").pem();
        Pki {
            ca,
            ca_params,
            ca_key,
        }
    }

    /// A leaf for these names (DNS names or IP addresses), signed by the CA.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .expect("leaf params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("hpsocket4c test leaf"),
        );
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = params.signed_by(&key, &issuer).expect("leaf cert");
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// The files `hpsocket4c/examples/c/ssl_echo.c` reads: `ca.pem`, `ca/ca.pem`, and `<name>.pem` /
    /// `<name>.key` for server (localhost, 127.0.0.1), client, other (another host) and sni
    /// (localhost only).
    pub fn write_example_files(&self, dir: &Path) {
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        };
        std::fs::create_dir_all(dir.join("ca")).expect("CA folder");
        write("ca.pem", &self.ca);
        write("ca/ca.pem", &self.ca);
        for (name, hosts) in [
            ("server", &["localhost", "127.0.0.1"][..]),
            ("client", &["client.hpsocket4c.test"][..]),
            ("other", &["other.hpsocket4c.test"][..]),
            ("sni", &["localhost"][..]),
        ] {
            let leaf = self.leaf(hosts);
            write(&format!("{name}.pem"), &leaf.cert);
            write(&format!("{name}.key"), &leaf.key);
        }
    }
}
