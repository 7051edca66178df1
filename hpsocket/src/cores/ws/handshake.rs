//! The opening handshake (RFC 6455 §4) as pure functions over header values: the session
//! passes the fields of its HTTP message as `(name, value)` pairs (names compared without
//! case, a field may repeat) and gets the negotiated result or the reason to refuse.
//!
//! Server: [`check_request`] → [`accept`] (the 101's header fields). Client:
//! [`new_client_key`] → [`request_headers`] → [`check_response`].

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::rand::SecureRandom as _;

use super::deflate::{self, DeflateConfig, DeflateParams};

/// The GUID RFC 6455 appends to the client's key.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// One extension parameter: name and value (unquoted), if any.
pub type Param = (String, Option<String>);

/// Why a handshake is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeError {
    /// Server: the request's method is not GET.
    NotGet,
    /// No `Upgrade` field with the `websocket` token.
    NoUpgrade,
    /// No `Connection` field with the `upgrade` token.
    NoConnectionUpgrade,
    /// Server: `Sec-WebSocket-Version` is not 13 (answer 426 with `Sec-WebSocket-Version: 13`).
    UnsupportedVersion,
    /// Server: `Sec-WebSocket-Key` is missing, repeated, or not base64 of 16 bytes.
    BadKey,
    /// Client: the response's status is not 101.
    NotSwitching(u16),
    /// Client: `Sec-WebSocket-Accept` is missing or does not match our key.
    BadAccept,
    /// Client: the server chose a subprotocol we did not offer, or several.
    BadProtocol,
    /// Client: the server answered with an extension or parameter we did not offer, or one
    /// we cannot honour.
    BadExtension,
    /// The system's random source failed (client key).
    NoRandom,
}

impl HandshakeError {
    /// The status a server answers with: 426 for the version, 405 for the method, 400 for
    /// the rest.
    pub fn status(&self) -> u16 {
        match self {
            HandshakeError::UnsupportedVersion => 426,
            HandshakeError::NotGet => 405,
            _ => 400,
        }
    }

    /// A short English description.
    pub fn description(&self) -> &'static str {
        use HandshakeError::*;
        match self {
            NotGet => "a WebSocket upgrade must be a GET request",
            NoUpgrade => "no Upgrade: websocket",
            NoConnectionUpgrade => "no Connection: upgrade",
            UnsupportedVersion => "Sec-WebSocket-Version is not 13",
            BadKey => "Sec-WebSocket-Key is missing or malformed",
            NotSwitching(_) => "the server did not switch protocols",
            BadAccept => "Sec-WebSocket-Accept does not match the key",
            BadProtocol => "the server chose a subprotocol that was not offered",
            BadExtension => "the server's extensions do not match the offer",
            NoRandom => "the system's random source failed",
        }
    }
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for HandshakeError {}

/// `Sec-WebSocket-Accept` for a client's key: base64 of SHA-1 of the key and RFC 6455's
/// GUID (`258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).
pub fn accept_key(client_key: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(client_key.trim().as_bytes());
    ctx.update(GUID.as_bytes());
    STANDARD.encode(ctx.finish())
}

/// A fresh `Sec-WebSocket-Key`: base64 of 16 random bytes.
pub fn new_client_key() -> Result<String, HandshakeError> {
    let mut k = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut k)
        .map_err(|_| HandshakeError::NoRandom)?;
    Ok(STANDARD.encode(k))
}

/// The items of a comma-separated list (RFC 9110 §5.6.1), trimmed, empty ones dropped;
/// commas inside double quotes do not split.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(value);
    std::iter::from_fn(move || loop {
        let s = rest?;
        let mut quoted = false;
        let end = s
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == ',' && !quoted
            })
            .map(|(i, _)| i);
        let item = match end {
            Some(i) => {
                rest = Some(&s[i + 1..]);
                &s[..i]
            }
            None => {
                rest = None;
                s
            }
        };
        let item = item.trim();
        if !item.is_empty() {
            return Some(item);
        }
    })
}

fn values<'h, I>(headers: I, name: &'h str) -> impl Iterator<Item = &'h str> + 'h
where
    I: IntoIterator<Item = (&'h str, &'h str)>,
    I::IntoIter: 'h,
{
    headers
        .into_iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn has_token<'h, I>(headers: I, name: &'h str, token: &str) -> bool
where
    I: IntoIterator<Item = (&'h str, &'h str)>,
    I::IntoIter: 'h,
{
    values(headers, name).any(|v| split_list(v).any(|t| t.eq_ignore_ascii_case(token)))
}

/// Parses `Sec-WebSocket-Extensions` values into `(name, params)`, in order; `None` if one
/// is malformed.
pub fn parse_extensions<'v>(
    values: impl IntoIterator<Item = &'v str>,
) -> Option<Vec<(String, Vec<Param>)>> {
    let mut out = Vec::new();
    for v in values {
        for ext in split_list(v) {
            let mut parts = ext.split(';').map(str::trim);
            let name = parts.next().filter(|n| is_token(n))?;
            let mut params = Vec::new();
            for p in parts {
                let (k, v) = match p.split_once('=') {
                    None => (p, None),
                    Some((k, v)) => {
                        let v = v.trim();
                        let v = match v.strip_prefix('"') {
                            Some(q) => q.strip_suffix('"')?,
                            None => v,
                        };
                        (k.trim(), Some(v).filter(|v| is_token(v))?.into())
                    }
                };
                if !is_token(k) {
                    return None;
                }
                params.push((k.to_string(), v.map(String::from)));
            }
            out.push((name.to_string(), params));
        }
    }
    Some(out)
}

/// Whether `s` is an RFC 7230 token (what a subprotocol name must be).
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// What a client asked for, as [`check_request`] found it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// `Sec-WebSocket-Key`.
    pub key: String,
    /// The subprotocols offered, in the client's order of preference.
    pub protocols: Vec<String>,
    /// The extensions offered, in order, with their parameters (a malformed header offers
    /// none).
    pub extensions: Vec<(String, Vec<Param>)>,
}

/// What the handshake agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Negotiated {
    /// The subprotocol chosen, if any.
    pub protocol: Option<String>,
    /// permessage-deflate's parameters, if it was agreed.
    pub deflate: Option<DeflateParams>,
}

/// Server: checks a client's opening handshake (method and every header field).
pub fn check_request<'h, I>(method: &str, headers: I) -> Result<Request, HandshakeError>
where
    I: IntoIterator<Item = (&'h str, &'h str)> + Clone,
    I::IntoIter: 'h,
{
    if method != "GET" {
        return Err(HandshakeError::NotGet);
    }
    if !has_token(headers.clone(), "upgrade", "websocket") {
        return Err(HandshakeError::NoUpgrade);
    }
    if !has_token(headers.clone(), "connection", "upgrade") {
        return Err(HandshakeError::NoConnectionUpgrade);
    }
    let mut versions = values(headers.clone(), "sec-websocket-version").flat_map(split_list);
    if versions.next() != Some("13") || versions.next().is_some() {
        return Err(HandshakeError::UnsupportedVersion);
    }
    let mut keys = values(headers.clone(), "sec-websocket-key");
    let key = match (keys.next(), keys.next()) {
        (Some(k), None) => k,
        _ => return Err(HandshakeError::BadKey),
    };
    match STANDARD.decode(key) {
        Ok(raw) if raw.len() == 16 => {}
        _ => return Err(HandshakeError::BadKey),
    }
    let protocols = values(headers.clone(), "sec-websocket-protocol")
        .flat_map(split_list)
        .map(String::from)
        .collect();
    let extensions =
        parse_extensions(values(headers, "sec-websocket-extensions")).unwrap_or_default();
    Ok(Request {
        key: key.to_string(),
        protocols,
        extensions,
    })
}

/// The first protocol the client offered that we support (compared exactly, as RFC 6455
/// subprotocol names are case-sensitive).
pub fn select_protocol(offered: &[String], supported: &[&str]) -> Option<String> {
    offered
        .iter()
        .find(|p| supported.contains(&p.as_str()))
        .cloned()
}

/// Server: accepts a checked request: what was agreed and the header fields of the
/// `101 Switching Protocols` response. `deflate`: our permessage-deflate settings, or
/// `None` to decline it; the first offer we can honour is taken.
pub fn accept(
    request: &Request,
    protocols: &[&str],
    deflate: Option<&DeflateConfig>,
) -> (Negotiated, Vec<(&'static str, String)>) {
    let mut headers = vec![
        ("Upgrade", "websocket".to_string()),
        ("Connection", "Upgrade".to_string()),
        ("Sec-WebSocket-Accept", accept_key(&request.key)),
    ];
    let protocol = select_protocol(&request.protocols, protocols);
    if let Some(p) = &protocol {
        headers.push(("Sec-WebSocket-Protocol", p.clone()));
    }
    let agreed = deflate.and_then(|cfg| {
        request
            .extensions
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(deflate::NAME))
            .find_map(|(_, params)| cfg.accept(params))
    });
    if let Some((_, value)) = &agreed {
        headers.push(("Sec-WebSocket-Extensions", value.clone()));
    }
    let negotiated = Negotiated {
        protocol,
        deflate: agreed.map(|(p, _)| p),
    };
    (negotiated, headers)
}

/// Client: the header fields of an opening handshake with `key` (besides the request line
/// and `Host`).
pub fn request_headers(
    key: &str,
    protocols: &[&str],
    deflate: Option<&DeflateConfig>,
) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("Upgrade", "websocket".to_string()),
        ("Connection", "Upgrade".to_string()),
        ("Sec-WebSocket-Key", key.to_string()),
        ("Sec-WebSocket-Version", "13".to_string()),
    ];
    if !protocols.is_empty() {
        h.push(("Sec-WebSocket-Protocol", protocols.join(", ")));
    }
    if let Some(cfg) = deflate {
        h.push(("Sec-WebSocket-Extensions", cfg.offer()));
    }
    h
}

/// Client: checks the server's answer to the handshake we sent with `key`, `protocols` and
/// `deflate`.
pub fn check_response<'h, I>(
    status: u16,
    headers: I,
    key: &str,
    protocols: &[&str],
    deflate: Option<&DeflateConfig>,
) -> Result<Negotiated, HandshakeError>
where
    I: IntoIterator<Item = (&'h str, &'h str)> + Clone,
    I::IntoIter: 'h,
{
    if status != 101 {
        return Err(HandshakeError::NotSwitching(status));
    }
    if !has_token(headers.clone(), "upgrade", "websocket") {
        return Err(HandshakeError::NoUpgrade);
    }
    if !has_token(headers.clone(), "connection", "upgrade") {
        return Err(HandshakeError::NoConnectionUpgrade);
    }
    let mut accepts = values(headers.clone(), "sec-websocket-accept");
    match (accepts.next(), accepts.next()) {
        (Some(a), None) if a == accept_key(key) => {}
        _ => return Err(HandshakeError::BadAccept),
    }
    let chosen: Vec<&str> = values(headers.clone(), "sec-websocket-protocol")
        .flat_map(split_list)
        .collect();
    let protocol = match chosen[..] {
        [] => None,
        [p] if protocols.contains(&p) => Some(p.to_string()),
        _ => return Err(HandshakeError::BadProtocol),
    };
    let exts = parse_extensions(values(headers, "sec-websocket-extensions"))
        .ok_or(HandshakeError::BadExtension)?;
    let deflate = match (&exts[..], deflate) {
        ([], _) => None,
        ([(name, params)], Some(cfg)) if name.eq_ignore_ascii_case(deflate::NAME) => {
            Some(cfg.check_answer(params)?)
        }
        _ => return Err(HandshakeError::BadExtension),
    };
    Ok(Negotiated { protocol, deflate })
}
