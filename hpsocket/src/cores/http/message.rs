//! The parsed head of one message: what HP-Socket's getters read (method, URL fields,
//! version, status, headers, cookies, keep-alive, upgrade …).
//!
//! The head's bytes are kept as they arrived in one buffer and every field is a span of it,
//! so filling a message copies the head once and allocates nothing once the buffers have
//! grown to the connection's usual head size.

use super::{HttpVersion, ParseError, UpgradeType, UrlField};

/// A byte range of [`Message::raw`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// Where `part` lies inside `whole`; empty when it is not inside it (httparse hands out a
    /// static `""` for a reason phrase that is not UTF-8).
    pub fn of(whole: &[u8], part: &[u8]) -> Span {
        let base = whole.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        match at.checked_sub(base) {
            Some(start) if start <= whole.len() && part.len() <= whole.len() - start => Span {
                start,
                end: start + part.len(),
            },
            _ => Span::default(),
        }
    }

    /// Moves the span by `by` bytes (trailers parsed apart, then appended).
    pub fn shift(self, by: usize) -> Span {
        Span {
            start: self.start.saturating_add(by),
            end: self.end.saturating_add(by),
        }
    }
}

/// The method of a request the owner sent, as the response parser needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SentMethod {
    /// One of the methods HP-Socket names (no allocation).
    Known(&'static str),
    /// Any other token.
    Other(Box<str>),
}

const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

impl SentMethod {
    /// Records `method`, without allocating for the methods HP-Socket names.
    pub fn new(method: &str) -> SentMethod {
        // Case-insensitive, as HP-Socket's client matches what it sent.
        match KNOWN_METHODS
            .iter()
            .find(|m| m.eq_ignore_ascii_case(method))
        {
            Some(m) => SentMethod::Known(m),
            None => SentMethod::Other(method.into()),
        }
    }

    /// The method as sent (a known one in upper case).
    pub fn as_str(&self) -> &str {
        match self {
            SentMethod::Known(m) => m,
            SentMethod::Other(m) => m,
        }
    }
}

/// One message's head as parsed: the request or status line, the header fields (trailers
/// appended after the last chunk), and what the parser decided from them.
#[derive(Debug, Default)]
pub struct Message {
    /// The head's bytes, then the trailer section's.
    pub(crate) raw: Vec<u8>,
    pub(crate) method: Span,
    /// For responses: the method of the request this answers (from the owner's FIFO).
    pub(crate) request_method: Option<SentMethod>,
    pub(crate) url: Span,
    pub(crate) url_fields: [Option<Span>; 7],
    pub(crate) version: HttpVersion,
    pub(crate) status: u16,
    pub(crate) reason: Span,
    /// (name, value) of every field in arrival order; trailers from `trailers_from` on.
    pub(crate) headers: Vec<(Span, Span)>,
    pub(crate) trailers_from: usize,
    /// (name, value) from the Cookie fields; a later name replaces an earlier one's value.
    pub(crate) cookies: Vec<(Span, Span)>,
    pub(crate) content_length: Option<u64>,
    pub(crate) chunked: bool,
    pub(crate) keep_alive: bool,
    pub(crate) upgrade: UpgradeType,
    pub(crate) expect_continue: bool,
    pub(crate) error: Option<ParseError>,
}

impl Message {
    /// Forgets the previous message, keeping the buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.raw.clear();
        self.method = Span::default();
        self.request_method = None;
        self.url = Span::default();
        self.url_fields = [None; 7];
        self.version = HttpVersion::default();
        self.status = 0;
        self.reason = Span::default();
        self.headers.clear();
        self.trailers_from = 0;
        self.cookies.clear();
        self.content_length = None;
        self.chunked = false;
        self.keep_alive = false;
        self.upgrade = UpgradeType::None;
        self.expect_continue = false;
    }

    /// The bytes of a span (empty if it is not inside the head, which cannot happen).
    pub(crate) fn bytes(&self, s: Span) -> &[u8] {
        self.raw.get(s.start..s.end).unwrap_or_default()
    }

    /// The text of a span: method, URL, names and the reason were checked by httparse to
    /// be ASCII or UTF-8, so this is never the empty fallback for them.
    pub(crate) fn text(&self, s: Span) -> &str {
        std::str::from_utf8(self.bytes(s)).unwrap_or_default()
    }

    /// The request's method; on the response side, the method of the request it answers
    /// (empty when the owner pushed none).
    pub fn method(&self) -> &str {
        match &self.request_method {
            Some(m) => m.as_str(),
            None => self.text(self.method),
        }
    }

    /// The request target as sent (request side).
    pub fn url(&self) -> &str {
        self.text(self.url)
    }

    /// One field of the request target, if it has it.
    pub fn url_field(&self, field: UrlField) -> Option<&str> {
        self.url_fields
            .get(field as usize)
            .copied()
            .flatten()
            .map(|s| self.text(s))
    }

    /// HP-Socket's field-set bit mask (`1 << field` for each field present).
    pub fn url_field_set(&self) -> u16 {
        self.url_fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.is_some())
            .fold(0, |set, (i, _)| set | (1 << i))
    }

    /// HTTP/1.0 or HTTP/1.1.
    pub fn version(&self) -> HttpVersion {
        self.version
    }

    /// The status code (response side; 0 on the request side).
    pub fn status_code(&self) -> u16 {
        self.status
    }

    /// The reason phrase (empty when absent or not UTF-8).
    pub fn reason(&self) -> &str {
        self.text(self.reason)
    }

    /// Every field as (name, value), in arrival order, trailers last.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.headers
            .iter()
            .map(|&(n, v)| (self.text(n), self.bytes(v)))
    }

    /// How many fields (trailers included).
    pub fn header_count(&self) -> usize {
        self.headers.len()
    }

    /// The values of every field named `name` (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        // Names compared as bytes: no UTF-8 check per field (httparse checked them).
        self.headers
            .iter()
            .filter(move |&&(n, _)| self.bytes(n).eq_ignore_ascii_case(name.as_bytes()))
            .map(|&(_, v)| self.bytes(v))
    }

    /// The first field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|&&(n, _)| self.bytes(n).eq_ignore_ascii_case(name.as_bytes()))
            .map(|&(_, v)| self.bytes(v))
    }

    /// The trailer fields alone (after the last chunk of a chunked body).
    pub fn trailers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.headers
            .get(self.trailers_from..)
            .unwrap_or_default()
            .iter()
            .map(|&(n, v)| (self.text(n), self.bytes(v)))
    }

    /// The cookies of the Cookie fields as (name, value); names are case-sensitive.
    pub fn cookies(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.cookies
            .iter()
            .map(|&(n, v)| (self.bytes(n), self.bytes(v)))
    }

    /// One cookie's value.
    pub fn cookie(&self, name: &[u8]) -> Option<&[u8]> {
        self.cookies().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The declared Content-Length (`None` when absent or the body is chunked).
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The first Content-Type field.
    pub fn content_type(&self) -> Option<&[u8]> {
        self.header("Content-Type")
    }

    /// The first Content-Encoding field.
    pub fn content_encoding(&self) -> Option<&[u8]> {
        self.header("Content-Encoding")
    }

    /// The Host field (a request has exactly one, an HTTP/1.0 one maybe none).
    pub fn host(&self) -> Option<&[u8]> {
        self.header("Host")
    }

    /// Whether the body is chunked.
    pub fn is_chunked(&self) -> bool {
        self.chunked
    }

    /// Whether the connection stays open after this message (HP-Socket's rule: HTTP/1.1
    /// unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`, and never
    /// after a response read until the connection closes).
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// The protocol the connection switches to after this message, if any.
    pub fn upgrade_type(&self) -> UpgradeType {
        self.upgrade
    }

    /// An HTTP/1.1 request with `Expect: 100-continue`: the server may answer
    /// `100 Continue` before the body comes.
    pub fn expect_continue(&self) -> bool {
        self.expect_continue
    }

    /// The parse error that stopped the parser, if any.
    pub fn parse_error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }
}
