//! Fuzzing of the TLS glue: a server and a client session talking through byte vectors with
//! every flight cut where the input says (records and handshake messages split at any
//! boundary), optionally with one corrupted byte; and raw input fed to a server as if a peer
//! sent it instead of a ClientHello. Invariants: no panic, payloads intact when nothing was
//! corrupted, and never plaintext that differs from what was sent.
#![no_main]

use std::sync::{Arc, OnceLock};

use hpsocket::tls::{rustls, Pem, TlsClientSetup, TlsServerSetup, VerifyMode};
use libfuzzer_sys::fuzz_target;

fn configs() -> &'static (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    static CFG: OnceLock<(Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>)> = OnceLock::new();
    CFG.get_or_init(|| {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap().pem();
        let key = rcgen::KeyPair::generate().unwrap();
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        let server = TlsServerSetup::new(Pem::Memory(cert.pem()), Pem::Memory(key.serialize_pem()))
            .build()
            .unwrap();
        let client = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(Pem::Memory(ca)),
            ..Default::default()
        }
        .build()
        .unwrap();
        (server, client)
    })
}

fuzz_target!(|input: &[u8]| {
    if input.len() < 8 {
        return;
    }
    let (server, client) = configs();
    let cuts: Vec<usize> = input[1..5].iter().map(|&c| c as usize * 7 + 1).collect();
    let rest = &input[8..];
    match input[0] % 3 {
        // Raw bytes in place of a ClientHello.
        0 => {
            hpsocket::fuzzing::tls_server_feed(server.clone(), rest, &cuts);
        }
        // A clean exchange: both payloads must arrive intact.
        1 => {
            let (c2s, s2c) = rest.split_at(rest.len() / 2);
            let (s, c, failed) =
                hpsocket::fuzzing::tls_pair(server.clone(), client.clone(), c2s, s2c, &cuts, None);
            assert!(!failed);
            assert_eq!(s, c2s);
            assert_eq!(c, s2c);
        }
        // One corrupted byte: an error or untouched data, never different plaintext.
        _ => {
            let offset = u16::from_le_bytes([input[5], input[6]]) as usize;
            let mask = input[7] | 1;
            let to_server = input[0] & 8 != 0;
            let (c2s, s2c) = rest.split_at(rest.len() / 2);
            let flip = Some((to_server, offset, mask));
            let (s, c, _) =
                hpsocket::fuzzing::tls_pair(server.clone(), client.clone(), c2s, s2c, &cuts, flip);
            assert!(c2s.starts_with(&s));
            assert!(s2c.starts_with(&c));
        }
    }
});
