//! HP-Socket's `SetSSLCipherList` in rustls terms: an OpenSSL-style cipher list mapped onto
//! the suites rustls' ring provider offers.

use std::sync::Arc;

use super::config::TlsConfigError;

/// The crypto provider restricted to an OpenSSL-style cipher list (HP-Socket's
/// `SetSSLCipherList`): `:`-separated suite names, OpenSSL's (`ECDHE-RSA-AES128-GCM-SHA256`,
/// `TLS_AES_128_GCM_SHA256`) or IANA's; `!name` / `-name` removes one; keywords such as
/// `HIGH` or `DEFAULT` stand for every suite rustls offers (all of them are strong). As with
/// OpenSSL's cipher list, TLS 1.3 suites are restricted only when the list names some.
pub(super) fn provider_with(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::{Pem, TlsServerSetup};

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
}
