//! Tests of the opening handshake's checks and of permessage-deflate's negotiation.

use super::deflate::{DeflateConfig, DeflateParams};
use super::handshake::{
    accept, accept_key, check_request, check_response, new_client_key, parse_extensions,
    request_headers, select_protocol, split_list, HandshakeError, Negotiated,
};
use base64::Engine as _;

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn req(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut h = vec![
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", KEY),
        ("Sec-WebSocket-Version", "13"),
    ];
    h.extend_from_slice(extra);
    h
}

fn without(h: &[(&'static str, &'static str)], name: &str) -> Vec<(&'static str, &'static str)> {
    h.iter().copied().filter(|(n, _)| *n != name).collect()
}

fn check(h: &[(&'static str, &'static str)]) -> Result<super::handshake::Request, HandshakeError> {
    check_request("GET", h.iter().copied())
}

#[test]
fn rfc_accept_key() {
    // RFC 6455 §1.3 (the 28-character value the RFC prints).
    assert_eq!(accept_key(KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

#[test]
fn client_keys_are_16_random_bytes() {
    let a = new_client_key().unwrap();
    let b = new_client_key().unwrap();
    assert_ne!(a, b);
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&a)
        .unwrap();
    assert_eq!(raw.len(), 16);
}

#[test]
fn a_valid_request() {
    let r = check(&req(&[
        ("Sec-WebSocket-Protocol", "chat, superchat"),
        ("Sec-WebSocket-Protocol", "v2"),
    ]))
    .unwrap();
    assert_eq!(r.key, KEY);
    assert_eq!(r.protocols, ["chat", "superchat", "v2"]);
    // Tokens without case, among others, over several fields.
    let h = [
        ("upgrade", "h2c, WebSocket"),
        ("CONNECTION", "keep-alive, UPGRADE"),
        ("sec-websocket-key", KEY),
        ("sec-websocket-version", " 13 "),
    ];
    assert!(check(&h).is_ok());
}

#[test]
fn invalid_requests() {
    let good = req(&[]);
    assert_eq!(
        check_request("POST", good.iter().copied()).unwrap_err(),
        HandshakeError::NotGet
    );
    assert_eq!(
        check(&without(&good, "Upgrade")).unwrap_err(),
        HandshakeError::NoUpgrade
    );
    let mut h = without(&good, "Upgrade");
    h.push(("Upgrade", "websocketx"));
    assert_eq!(check(&h).unwrap_err(), HandshakeError::NoUpgrade);
    assert_eq!(
        check(&without(&good, "Connection")).unwrap_err(),
        HandshakeError::NoConnectionUpgrade
    );
    let mut h = without(&good, "Connection");
    h.push(("Connection", "keep-alive, upgrades"));
    assert_eq!(check(&h).unwrap_err(), HandshakeError::NoConnectionUpgrade);
    for v in ["8", "13, 8", "", "14"] {
        let mut h = without(&good, "Sec-WebSocket-Version");
        h.push(("Sec-WebSocket-Version", v));
        let e = check(&h).unwrap_err();
        assert_eq!(e, HandshakeError::UnsupportedVersion);
        assert_eq!(e.status(), 426);
    }
    assert_eq!(
        check(&without(&good, "Sec-WebSocket-Version")).unwrap_err(),
        HandshakeError::UnsupportedVersion
    );
    for k in [
        "",
        "abc",
        "dGhlIHNhbXBsZSBub25jZQ",
        "dGhlIHNhbXBsZSBub25jZSE=",
        "!!!!",
    ] {
        let mut h = without(&good, "Sec-WebSocket-Key");
        h.push(("Sec-WebSocket-Key", k));
        assert_eq!(check(&h).unwrap_err(), HandshakeError::BadKey, "{k:?}");
    }
    assert_eq!(
        check(&without(&good, "Sec-WebSocket-Key")).unwrap_err(),
        HandshakeError::BadKey
    );
    let mut twice = good.clone();
    twice.push(("Sec-WebSocket-Key", KEY));
    assert_eq!(check(&twice).unwrap_err(), HandshakeError::BadKey);
    assert_eq!(HandshakeError::BadKey.status(), 400);
}

#[test]
fn subprotocol_selection() {
    let offered = vec!["b".to_string(), "a".to_string()];
    // The client's order decides.
    assert_eq!(select_protocol(&offered, &["a", "b"]), Some("b".into()));
    assert_eq!(select_protocol(&offered, &["a"]), Some("a".into()));
    assert_eq!(select_protocol(&offered, &["A"]), None);
    assert_eq!(select_protocol(&[], &["a"]), None);
}

#[test]
fn lists_and_extensions_parse() {
    assert_eq!(
        split_list(" a , ,b,\"c,d\" ").collect::<Vec<_>>(),
        ["a", "b", "\"c,d\""]
    );
    let e = parse_extensions([
        "permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=\"10\"",
        "x-other",
    ])
    .unwrap();
    assert_eq!(e.len(), 3);
    assert_eq!(e[0].1, [("client_max_window_bits".into(), None)]);
    assert_eq!(
        e[1].1,
        [("server_max_window_bits".into(), Some("10".into()))]
    );
    assert_eq!(e[2], ("x-other".into(), vec![]));
    assert!(parse_extensions(["a; b=\"x"]).is_none());
    assert!(parse_extensions(["a b"]).is_none());
    assert!(parse_extensions(["a; =1"]).is_none());
}

/// The server's answer to `offers` with our `cfg`.
fn server_answer(offers: &'static str, cfg: &DeflateConfig) -> (Negotiated, Option<String>) {
    let h = req(&[("Sec-WebSocket-Extensions", offers)]);
    let r = check(&h).unwrap();
    let (n, headers) = accept(&r, &[], Some(cfg));
    let ext = headers
        .iter()
        .find(|(k, _)| *k == "Sec-WebSocket-Extensions")
        .map(|(_, v)| v.clone());
    (n, ext)
}

#[test]
fn server_negotiates_permessage_deflate() {
    let cfg = DeflateConfig::default();
    let (n, ext) = server_answer("permessage-deflate; client_max_window_bits", &cfg);
    assert_eq!(ext.as_deref(), Some("permessage-deflate"));
    assert_eq!(n.deflate, Some(DeflateParams::default()));

    let (n, ext) = server_answer(
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
        &cfg,
    );
    assert_eq!(
        ext.as_deref(),
        Some("permessage-deflate; server_no_context_takeover; server_max_window_bits=10")
    );
    let p = n.deflate.unwrap();
    assert!(p.local_no_context_takeover);
    assert_eq!(p.local_max_window_bits, 10);
    assert!(!p.remote_no_context_takeover);

    // Window 8 cannot be honoured by zlib: that offer is declined, the next one taken.
    let (n, ext) = server_answer(
        "permessage-deflate; server_max_window_bits=8, permessage-deflate",
        &cfg,
    );
    assert_eq!(ext.as_deref(), Some("permessage-deflate"));
    assert!(n.deflate.is_some());

    // Offers with unknown, repeated or malformed parameters are declined.
    for bad in [
        "permessage-deflate; foo",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; server_no_context_takeover=1",
        "x-webkit-deflate-frame",
    ] {
        let (n, ext) = server_answer(bad, &cfg);
        assert_eq!((n.deflate, ext), (None, None), "{bad}");
    }

    // Our own wishes: no context takeover both ways and a smaller window.
    let ours = DeflateConfig {
        no_context_takeover: true,
        request_no_context_takeover: true,
        max_window_bits: 11,
        level: 1,
    };
    let (n, ext) = server_answer("permessage-deflate", &ours);
    assert_eq!(
        ext.as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11")
    );
    assert_eq!(
        n.deflate,
        Some(DeflateParams {
            local_no_context_takeover: true,
            local_max_window_bits: 11,
            remote_no_context_takeover: true,
            level: 1,
        })
    );
    // No deflate config: declined.
    let r = check(&req(&[("Sec-WebSocket-Extensions", "permessage-deflate")])).unwrap();
    let (n, headers) = accept(&r, &[], None);
    assert!(n.deflate.is_none());
    assert!(!headers
        .iter()
        .any(|(k, _)| *k == "Sec-WebSocket-Extensions"));
}

fn response(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut h = vec![
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    ];
    h.extend_from_slice(extra);
    h
}

fn client_check(
    h: &[(&'static str, &'static str)],
    deflate: Option<&DeflateConfig>,
) -> Result<Negotiated, HandshakeError> {
    check_response(101, h.iter().copied(), KEY, &["chat", "v2"], deflate)
}

#[test]
fn client_checks_the_response() {
    assert_eq!(
        client_check(&response(&[]), None).unwrap(),
        Negotiated::default()
    );
    assert_eq!(
        check_response(200, response(&[]).iter().copied(), KEY, &[], None).unwrap_err(),
        HandshakeError::NotSwitching(200)
    );
    assert_eq!(
        client_check(&without(&response(&[]), "Upgrade"), None).unwrap_err(),
        HandshakeError::NoUpgrade
    );
    assert_eq!(
        client_check(&without(&response(&[]), "Connection"), None).unwrap_err(),
        HandshakeError::NoConnectionUpgrade
    );
    let mut wrong = without(&response(&[]), "Sec-WebSocket-Accept");
    assert_eq!(
        client_check(&wrong, None).unwrap_err(),
        HandshakeError::BadAccept
    );
    wrong.push(("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kGxzzzo"));
    assert_eq!(
        client_check(&wrong, None).unwrap_err(),
        HandshakeError::BadAccept
    );

    let n = client_check(&response(&[("Sec-WebSocket-Protocol", "v2")]), None).unwrap();
    assert_eq!(n.protocol.as_deref(), Some("v2"));
    for bad in ["other", "chat, v2", "Chat"] {
        assert_eq!(
            client_check(&response(&[("Sec-WebSocket-Protocol", bad)]), None).unwrap_err(),
            HandshakeError::BadProtocol
        );
    }
    // An extension we did not offer.
    assert_eq!(
        client_check(
            &response(&[("Sec-WebSocket-Extensions", "permessage-deflate")]),
            None
        )
        .unwrap_err(),
        HandshakeError::BadExtension
    );
}

#[test]
fn client_checks_the_deflate_answer() {
    let cfg = DeflateConfig::default();
    let ok = |v: &'static str| {
        client_check(&response(&[("Sec-WebSocket-Extensions", v)]), Some(&cfg))
            .map(|n| n.deflate.unwrap())
    };
    assert_eq!(ok("permessage-deflate").unwrap(), DeflateParams::default());
    let p = ok("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=10").unwrap();
    assert!(p.local_no_context_takeover && p.remote_no_context_takeover);
    assert_eq!(p.local_max_window_bits, 10);
    for bad in [
        "permessage-deflate; client_max_window_bits=8",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; foo=1",
        "permessage-deflate, permessage-deflate",
        "x-other",
    ] {
        assert_eq!(ok(bad).unwrap_err(), HandshakeError::BadExtension, "{bad}");
    }
    // Not agreeing to deflate is fine.
    let n = client_check(&response(&[]), Some(&cfg)).unwrap();
    assert_eq!(n.deflate, None);
    // We asked for server_no_context_takeover: the answer must carry it.
    let strict = DeflateConfig {
        request_no_context_takeover: true,
        max_window_bits: 12,
        ..cfg
    };
    assert_eq!(
        strict.offer(),
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=12"
    );
    let answer = |v: &'static str| {
        client_check(&response(&[("Sec-WebSocket-Extensions", v)]), Some(&strict))
    };
    assert_eq!(
        answer("permessage-deflate").unwrap_err(),
        HandshakeError::BadExtension
    );
    // A window above the one we offered.
    assert_eq!(
        answer("permessage-deflate; server_no_context_takeover; client_max_window_bits=13")
            .unwrap_err(),
        HandshakeError::BadExtension
    );
    assert!(answer("permessage-deflate; server_no_context_takeover").is_ok());
}

#[test]
fn client_and_server_agree() {
    let client_cfg = DeflateConfig {
        no_context_takeover: true,
        ..Default::default()
    };
    let key = new_client_key().unwrap();
    let headers = request_headers(&key, &["a", "b"], Some(&client_cfg));
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = check_request("GET", pairs.iter().copied()).unwrap();
    let server_cfg = DeflateConfig {
        max_window_bits: 10,
        ..Default::default()
    };
    let (server_side, answer) = accept(&r, &["b"], Some(&server_cfg));
    let pairs: Vec<(&str, &str)> = answer.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let client_side = check_response(
        101,
        pairs.iter().copied(),
        &key,
        &["a", "b"],
        Some(&client_cfg),
    )
    .unwrap();
    assert_eq!(server_side.protocol.as_deref(), Some("b"));
    assert_eq!(client_side.protocol, server_side.protocol);
    let (s, c) = (server_side.deflate.unwrap(), client_side.deflate.unwrap());
    assert_eq!(s.local_max_window_bits, 10);
    assert!(c.local_no_context_takeover);
    assert_eq!(s.remote_no_context_takeover, c.local_no_context_takeover);
    assert_eq!(c.remote_no_context_takeover, s.local_no_context_takeover);
}
