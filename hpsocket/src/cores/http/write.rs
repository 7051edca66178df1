//! Writing HTTP/1.1 heads and chunks (sans-IO): what `send_response`, `send_request` and
//! `send_chunk_data` put on the wire, following HP-Socket's rules for the fields it adds:
//!
//! - `Content-Length` is added to every response, and to a request with a body, unless the
//!   caller gave `Content-Length` or `Transfer-Encoding`;
//! - `Connection: keep-alive` / `close` is added when the caller gave no `Connection` (a
//!   server answers with the keep-alive of the request it answers);
//! - a request gets `Host` (with the port unless it is the scheme's default) unless the caller
//!   gave one, and `Cookie` from the client's cookies;
//! - the method of a request line is upper-cased (5.8 behaviour).
//!
//! Unlike HP-Socket, names are compared case-insensitively (`content-length` given by the
//! caller is not doubled), and a name or value holding CR, LF or NUL is refused instead of
//! written (it would let a caller's data split the head: response splitting).

use super::HttpVersion;

/// A header field or value the caller gave cannot be written safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField(pub String);

impl std::fmt::Display for BadField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "header field {:?} holds CR, LF or NUL, or has an empty or invalid name",
            self.0
        )
    }
}

/// What the fields a writer adds depend on.
pub(crate) struct Extra<'a> {
    /// Body bytes that follow the head (`None`: the caller frames the body itself, e.g.
    /// chunked, and gave the framing field).
    pub body_len: usize,
    /// A request (else a response).
    pub request: bool,
    /// `Some(true)`: add `Connection: keep-alive`, `Some(false)`: `close`, `None`: nothing.
    pub keep_alive: Option<bool>,
    /// Requests: the `Host` value to add (already with its port when not the default).
    pub host: Option<&'a str>,
    /// Requests: `name=value` pairs for a `Cookie` field.
    pub cookies: &'a [(String, String)],
}

fn version_str(v: HttpVersion) -> &'static str {
    match v {
        HttpVersion::V1_0 => "HTTP/1.0",
        HttpVersion::V1_1 => "HTTP/1.1",
    }
}

/// RFC 9110 `tchar`: a visible ASCII character other than a delimiter.
const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9' | b'A'..=b'Z'
        | b'^'..=b'z' | b'|' | b'~')
}

/// `is_tchar` as a table: a name is checked at one load per byte (every response's
/// fields pass here).
static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = is_tchar(i as u8);
        i += 1;
    }
    t
};

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| TCHAR[usize::from(b)])
}

/// Appends `n` in decimal without allocating.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn valid_value(v: &str) -> bool {
    !v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

/// Appends the status line of a response.
pub(crate) fn status_line(out: &mut Vec<u8>, v: HttpVersion, status: u16, reason: Option<&str>) {
    let reason = reason.unwrap_or_else(|| reason_phrase(status));
    out.extend_from_slice(version_str(v).as_bytes());
    out.push(b' ');
    push_decimal(out, u64::from(status));
    out.push(b' ');
    // A reason with a line break would end the line early: keep what precedes it.
    let reason = reason.as_bytes();
    let cut = reason
        .iter()
        .position(|&b| matches!(b, b'\r' | b'\n' | 0))
        .unwrap_or(reason.len());
    out.extend_from_slice(&reason[..cut]);
    out.extend_from_slice(b"\r\n");
}

/// Appends the request line; `Err` when the method or path could split the line.
pub(crate) fn request_line(
    out: &mut Vec<u8>,
    method: &str,
    path: &str,
    v: HttpVersion,
) -> Result<(), BadField> {
    if !valid_name(method) {
        return Err(BadField(method.to_string()));
    }
    if path.is_empty() || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(BadField(path.to_string()));
    }
    out.extend_from_slice(method.to_ascii_uppercase().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.push(b' ');
    out.extend_from_slice(version_str(v).as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends the caller's header fields, the fields HP-Socket adds, and the empty line that
/// ends the head.
pub(crate) fn header_lines(
    out: &mut Vec<u8>,
    headers: &[(&str, &str)],
    extra: &Extra<'_>,
) -> Result<(), BadField> {
    // One pass: check, write, and note which of the fields we add the caller gave. On a
    // bad field the half-written head is dropped with the error.
    let (mut framed, mut connection, mut host) = (false, false, false);
    for (n, v) in headers {
        if !valid_name(n) || !valid_value(v) {
            return Err(BadField(format!("{n}: {v}")));
        }
        match n.len() {
            4 => host |= n.eq_ignore_ascii_case("Host"),
            10 => connection |= n.eq_ignore_ascii_case("Connection"),
            14 => framed |= n.eq_ignore_ascii_case("Content-Length"),
            17 => framed |= n.eq_ignore_ascii_case("Transfer-Encoding"),
            _ => {}
        }
        field(out, n, v);
    }
    if (!extra.request || extra.body_len > 0) && !framed {
        out.extend_from_slice(b"Content-Length: ");
        push_decimal(out, extra.body_len as u64);
        out.extend_from_slice(b"\r\n");
    }
    if let Some(k) = extra.keep_alive.filter(|_| !connection) {
        out.extend_from_slice(if k {
            b"Connection: keep-alive\r\n"
        } else {
            b"Connection: close\r\n"
        });
    }
    if let Some(h) = extra.host.filter(|h| !h.is_empty()) {
        if extra.request && !host {
            if !valid_value(h) {
                return Err(BadField(h.to_string()));
            }
            field(out, "Host", h);
        }
    }
    if extra.request && !extra.cookies.is_empty() {
        out.extend_from_slice(b"Cookie: ");
        for (i, (n, v)) in extra.cookies.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(n.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

fn field(out: &mut Vec<u8>, n: &str, v: &str) {
    out.reserve(n.len() + v.len() + 4);
    out.extend_from_slice(n.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(v.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// The line that opens a chunk of `len` bytes (0: the last chunk), with optional extensions;
/// the chunk's data and a CRLF follow it on the wire.
pub(crate) fn chunk_line(
    out: &mut Vec<u8>,
    len: usize,
    extensions: Option<&str>,
) -> Result<(), BadField> {
    out.extend_from_slice(format!("{len:x}").as_bytes());
    if let Some(e) = extensions.filter(|e| !e.is_empty()) {
        if !valid_value(e) {
            return Err(BadField(e.to_string()));
        }
        out.extend_from_slice(if e.starts_with(';') { b" " } else { b" ;" });
        out.extend_from_slice(e.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// The standard reason phrase of a status code (HP-Socket's `GetHttpDefaultStatusCodeDesc`
/// answers `***` for codes it does not know; we answer `Unknown`).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "Unknown",
    }
}

/// The whole response a server sends before closing a connection whose request it cannot
/// parse (or that timed out): status, `Content-Length: 0`, `Connection: close`.
pub(crate) fn error_response(status: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    status_line(&mut out, HttpVersion::V1_1, status, None);
    out.extend_from_slice(b"Content-Length: 0\r\nConnection: close\r\n\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cores::http::{HttpSink, Kind, Limits, Message, ParseError, ParseResult, Parser};

    /// Method, URL, Host and Cookie of a request as its getters say them.
    type Head = (String, String, Option<Vec<u8>>, Option<Vec<u8>>);

    /// Keeps what a request's getters say at headers complete, and its body.
    #[derive(Default)]
    struct Got {
        head: Option<Head>,
        body: Vec<u8>,
        complete: bool,
    }

    impl HttpSink for Got {
        fn on_message_begin(&mut self, _m: &Message) -> ParseResult {
            ParseResult::Ok
        }
        fn on_request_line(&mut self, _m: &Message, _me: &str, _u: &str) -> ParseResult {
            ParseResult::Ok
        }
        fn on_status_line(&mut self, _m: &Message, _s: u16, _r: &str) -> ParseResult {
            ParseResult::Ok
        }
        fn on_header(&mut self, _m: &Message, _n: &str, _v: &[u8]) -> ParseResult {
            ParseResult::Ok
        }
        fn on_headers_complete(&mut self, m: &Message) -> ParseResult {
            self.head = Some((
                m.method().to_string(),
                m.url().to_string(),
                m.header("host").map(Vec::from),
                m.header("cookie").map(Vec::from),
            ));
            ParseResult::Ok
        }
        fn on_body(&mut self, _m: &Message, d: &[u8]) -> ParseResult {
            self.body.extend_from_slice(d);
            ParseResult::Ok
        }
        fn on_chunk_header(&mut self, _m: &Message, _s: u64) -> ParseResult {
            ParseResult::Ok
        }
        fn on_chunk_complete(&mut self, _m: &Message) -> ParseResult {
            ParseResult::Ok
        }
        fn on_message_complete(&mut self, _m: &Message) -> ParseResult {
            self.complete = true;
            ParseResult::Ok
        }
        fn on_upgrade(&mut self, _m: &Message, _k: crate::cores::http::UpgradeType) -> ParseResult {
            ParseResult::Ok
        }
        fn on_parse_error(&mut self, _m: &Message, e: &ParseError) {
            panic!("parse error {e}");
        }
    }

    fn response(headers: &[(&str, &str)], body: &[u8], keep: bool) -> Vec<u8> {
        let mut out = Vec::new();
        status_line(&mut out, HttpVersion::V1_1, 200, None);
        let extra = Extra {
            body_len: body.len(),
            request: false,
            keep_alive: Some(keep),
            host: None,
            cookies: &[],
        };
        header_lines(&mut out, headers, &extra).unwrap();
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_response_gets_length_and_connection_unless_given() {
        let r = response(&[("Content-Type", "text/plain")], b"hello", true);
        assert_eq!(
            r,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"
        );
        let r = response(
            &[("content-length", "5"), ("CONNECTION", "close")],
            b"hello",
            true,
        );
        assert_eq!(
            r,
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nCONNECTION: close\r\n\r\nhello"
        );
        let r = response(&[("Transfer-Encoding", "chunked")], b"", false);
        assert_eq!(
            r,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn what_we_write_our_parser_reads_back() {
        let mut out = Vec::new();
        request_line(&mut out, "post", "/a?b=c", HttpVersion::V1_1).unwrap();
        let cookies = [
            ("s".to_string(), "1".to_string()),
            ("t".to_string(), "2".to_string()),
        ];
        let extra = Extra {
            body_len: 3,
            request: true,
            keep_alive: Some(true),
            host: Some("example.com:8080"),
            cookies: &cookies,
        };
        header_lines(&mut out, &[("X-A", "b")], &extra).unwrap();
        out.extend_from_slice(b"xyz");
        let mut got = Got::default();
        Parser::new(Kind::Request, Limits::default())
            .feed(&out, &mut got)
            .unwrap();
        let (method, url, host, cookie) = got.head.expect("a head");
        assert_eq!((method.as_str(), url.as_str()), ("POST", "/a?b=c"));
        assert_eq!(host.as_deref(), Some(&b"example.com:8080"[..]));
        assert_eq!(cookie.as_deref(), Some(&b"s=1; t=2"[..]));
        assert_eq!(got.body, b"xyz");
        assert!(got.complete);
    }

    #[test]
    fn fields_that_could_split_the_head_are_refused() {
        let mut out = Vec::new();
        let extra = Extra {
            body_len: 0,
            request: false,
            keep_alive: None,
            host: None,
            cookies: &[],
        };
        assert!(header_lines(&mut out, &[("X", "a\r\nSet-Cookie: x=1")], &extra).is_err());
        assert!(header_lines(&mut out, &[("Bad Name", "v")], &extra).is_err());
        assert!(header_lines(&mut out, &[("", "v")], &extra).is_err());
        assert!(request_line(&mut out, "GET", "/a b", HttpVersion::V1_1).is_err());
        assert!(chunk_line(&mut out, 1, Some("a\nb")).is_err());
        let mut line = Vec::new();
        status_line(&mut line, HttpVersion::V1_0, 404, Some("Gone\r\nX: y"));
        assert_eq!(line, b"HTTP/1.0 404 Gone\r\n");
    }

    #[test]
    fn chunk_lines_follow_hp_socket() {
        let mut out = Vec::new();
        chunk_line(&mut out, 255, None).unwrap();
        chunk_line(&mut out, 16, Some("a=1")).unwrap();
        chunk_line(&mut out, 0, Some(";last")).unwrap();
        assert_eq!(out, b"ff\r\n10 ;a=1\r\n0 ;last\r\n");
    }
}
