//! Heads: collecting one (and a trailer section, which is framed the same way), parsing it
//! with `httparse`, and deciding from its fields how the body is framed, whether the
//! connection stays open and whether it switches protocols.
//!
//! Why httparse: it is the head parser of hyper (so of most Rust HTTP stacks), fuzzed there
//! for years, rejects what request smugglers rely on (obs-fold, whitespace before the colon,
//! bare CR, NUL and other controls in values, malformed request lines) and does so without
//! copying or allocating. It parses a complete head only: this file finds where the head
//! ends, so each head is parsed once however it was split, and bodies are framed by `body`.

use super::body::Framing;
use super::message::{Message, SentMethod, Span};
use super::{url, ErrorKind, HttpVersion, Kind, Limits, UpgradeType};

/// Which section a [`HeadBuf`] collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// A request or status line and header fields; empty lines before it are skipped.
    Head(Kind),
    /// The trailer fields after the last chunk (possibly none: just the empty line).
    Trailers,
}

/// An incomplete head or trailer section, held until its closing empty line arrives.
#[derive(Debug, Default)]
pub(crate) struct HeadBuf {
    /// The section's bytes so far (all of it once complete).
    pub buf: Vec<u8>,
    /// CR and LF bytes skipped before the head began: they count toward the size limit, so
    /// an endless stream of empty lines is refused like an endless head.
    skipped: usize,
    /// A byte other than CR / LF has arrived (a trailer section starts at once).
    started: bool,
    /// The first line was checked: garbage (a TLS hello on a plain port, say) is refused
    /// as soon as its first line is complete, not after `max_head_size` bytes.
    line_checked: bool,
}

/// Receive buffers above this capacity are released after use instead of kept.
const KEEP_CAPACITY: usize = 16 * 1024;

impl HeadBuf {
    /// Whether a head has begun (its first byte other than CR / LF arrived).
    pub fn started(&self) -> bool {
        self.started
    }

    /// Prepares for the next head, handing back the buffer of the last one for reuse.
    pub fn reset(&mut self, reuse: Vec<u8>) {
        self.buf = if reuse.capacity() > KEEP_CAPACITY {
            Vec::new()
        } else {
            reuse
        };
        self.buf.clear();
        self.skipped = 0;
        self.started = false;
        self.line_checked = false;
    }

    /// Prepares for a trailer section.
    pub fn start_trailers(&mut self) {
        self.buf.clear();
        self.skipped = 0;
        self.started = true;
        self.line_checked = true;
    }

    /// Takes the bytes of the section from `data`, up to its closing empty line. Returns
    /// how many bytes it took and whether the section is now complete in `buf`.
    pub fn take(
        &mut self,
        data: &[u8],
        max: usize,
        section: Section,
    ) -> (usize, Result<bool, ErrorKind>) {
        let mut i = 0;
        if !self.started {
            while let Some(&b) = data.get(i) {
                if b != b'\r' && b != b'\n' {
                    break;
                }
                i += 1;
                self.skipped += 1;
                if self.skipped >= max {
                    return (i, Err(ErrorKind::HeadTooLarge));
                }
            }
            if i == data.len() {
                return (i, Ok(false));
            }
            self.started = true;
        }
        let limit = max.saturating_sub(self.skipped);
        // One byte past the limit tells "too large" from "exactly the limit".
        let room = limit.saturating_add(1).saturating_sub(self.buf.len());
        let rest = data.get(i..).unwrap_or_default();
        let take = room.min(rest.len());
        let old = self.buf.len();
        self.buf
            .extend_from_slice(rest.get(..take).unwrap_or_default());
        let taken = i + take;
        // The closing empty line may have begun in the bytes held before ("\n\r" + "\n").
        let end = find_end(&self.buf, old.saturating_sub(2));
        // A head complete (and within the limit) in this read is parsed whole next, which
        // reports a bad first line the same way: check it apart only otherwise.
        let whole = end.is_some_and(|e| e <= limit);
        if let (Section::Head(kind), false, false) = (section, self.line_checked, whole) {
            if let Some(nl) = self
                .buf
                .get(old..)
                .and_then(|b| b.iter().position(|&c| c == b'\n'))
            {
                self.line_checked = true;
                if let Err(e) =
                    check_first_line(kind, self.buf.get(..=old + nl).unwrap_or_default())
                {
                    return (taken, Err(e));
                }
            }
        }
        match end {
            Some(end) if end > limit => (taken, Err(ErrorKind::HeadTooLarge)),
            Some(end) => {
                let excess = self.buf.len() - end;
                self.buf.truncate(end);
                (taken - excess, Ok(true))
            }
            None if self.buf.len() > limit => (taken, Err(ErrorKind::HeadTooLarge)),
            None => (taken, Ok(false)),
        }
    }
}

/// Where the section in `buf` ends (just past its empty line), looking at lines that start
/// at or after `from`. httparse ends lines with CRLF or a bare LF, so an empty line is
/// "\r\n" or "\n" at the start of a line.
pub(crate) fn find_end(buf: &[u8], from: usize) -> Option<usize> {
    let empty_at = |p: usize| match buf.get(p) {
        Some(b'\n') => Some(p + 1),
        Some(b'\r') if buf.get(p + 1) == Some(&b'\n') => Some(p + 2),
        _ => None,
    };
    if from == 0 {
        if let Some(end) = empty_at(0) {
            return Some(end);
        }
    }
    let mut k = from;
    while let Some(p) = buf.get(k..)?.iter().position(|&c| c == b'\n') {
        let nl = k + p;
        if let Some(end) = empty_at(nl + 1) {
            return Some(end);
        }
        k = nl + 1;
    }
    None
}

/// Checks a complete first line alone: httparse wants more (the header fields) when the
/// line is good, and says what is wrong when it is not.
fn check_first_line(kind: Kind, line: &[u8]) -> Result<(), ErrorKind> {
    let mut none: [httparse::Header<'_>; 0] = [];
    match kind {
        Kind::Request => {
            let mut req = httparse::Request::new(&mut none);
            let r = req.parse(line);
            r.map(drop)
                .map_err(|e| error_of(kind, e, req.method.is_some(), line))
        }
        Kind::Response => {
            let mut res = httparse::Response::new(&mut none);
            res.parse(line)
                .map(drop)
                .map_err(|e| error_of(kind, e, false, line))
        }
    }
}

/// Our error for an httparse error; `method_seen`: the request's method was read, so a
/// token error is in the target.
fn error_of(kind: Kind, e: httparse::Error, method_seen: bool, head: &[u8]) -> ErrorKind {
    use httparse::Error as E;
    match e {
        E::HeaderName | E::HeaderValue => ErrorKind::InvalidHeader,
        E::NewLine => ErrorKind::LfExpected,
        E::Status => ErrorKind::InvalidStatus,
        E::TooManyHeaders => ErrorKind::TooManyHeaders,
        // "GET /" with no version (HTTP/0.9) ends the target at the line end.
        E::Token if kind == Kind::Request && method_seen && words(head) < 3 => {
            ErrorKind::InvalidVersion
        }
        E::Token if kind == Kind::Request && method_seen => ErrorKind::InvalidUrl,
        E::Token if kind == Kind::Request => ErrorKind::InvalidMethod,
        E::Token => ErrorKind::InvalidVersion,
        E::Version if looks_like_version(kind, head) => ErrorKind::UnsupportedVersion,
        E::Version => ErrorKind::InvalidVersion,
    }
}

/// How many space-separated words the first line has.
fn words(head: &[u8]) -> usize {
    first_line(head).split(|&c| c == b' ').count()
}

fn first_line(head: &[u8]) -> &[u8] {
    let line = head.split(|&c| c == b'\n').next().unwrap_or_default();
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether the version field of the first line is well formed ("HTTP/2", "HTTP/1.2"), so
/// the refusal is 505 rather than 400.
fn looks_like_version(kind: Kind, head: &[u8]) -> bool {
    let mut words = first_line(head).split(|&c| c == b' ');
    let field = match kind {
        // method SP target SP version: exactly three words.
        Kind::Request => words.nth(2).filter(|_| words.next().is_none()),
        Kind::Response => words.next(),
    };
    let Some(v) = field.and_then(|f| f.strip_prefix(b"HTTP/")) else {
        return false;
    };
    let mut parts = v.split(|&c| c == b'.');
    let digits =
        |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    digits(parts.next()) && parts.next().is_none_or(|p| digits(Some(p))) && parts.next().is_none()
}

/// Reuses a vector's allocation for headers borrowing another buffer (the vector is
/// emptied, so no header outlives what it borrowed; std collects in place).
fn recycle<'a, 'b>(mut v: Vec<httparse::Header<'a>>) -> Vec<httparse::Header<'b>> {
    v.clear();
    v.into_iter().map(|_| httparse::EMPTY_HEADER).collect()
}

/// Parses the complete head in `msg.raw` into `msg`'s fields.
pub(crate) fn parse_head(
    kind: Kind,
    msg: &mut Message,
    max_headers: usize,
    scratch: &mut Vec<httparse::Header<'static>>,
) -> Result<(), ErrorKind> {
    let mut hs = recycle(std::mem::take(scratch));
    // A field takes at least 2 bytes ("a:" or its line end), so this many slots can never
    // be what runs out first, and a huge `max_headers` cannot allocate more than the head.
    hs.resize(
        max_headers.min(msg.raw.len() / 2 + 1),
        httparse::EMPTY_HEADER,
    );
    let result = fill(kind, msg, &mut hs);
    *scratch = recycle(hs);
    result
}

fn fill<'b>(
    kind: Kind,
    msg: &'b mut Message,
    hs: &mut [httparse::Header<'b>],
) -> Result<(), ErrorKind> {
    let Message {
        raw,
        method,
        url,
        url_fields,
        version,
        status,
        reason,
        headers,
        cookies,
        ..
    } = msg;
    let raw: &'b [u8] = raw;
    let (minor, used) = match kind {
        Kind::Request => {
            let mut req = httparse::Request::new(hs);
            let n = match req.parse(raw) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) => return Err(ErrorKind::MalformedHead),
                Err(e) => return Err(error_of(kind, e, req.method.is_some(), raw)),
            };
            let m = req.method.unwrap_or_default();
            let target = req.path.unwrap_or_default();
            *method = Span::of(raw, m.as_bytes());
            *url = Span::of(raw, target.as_bytes());
            *url_fields = url::split(target.as_bytes(), url.start, m == "CONNECT")
                .ok_or(ErrorKind::InvalidUrl)?;
            headers.extend(
                req.headers
                    .iter()
                    .map(|h| (Span::of(raw, h.name.as_bytes()), Span::of(raw, h.value))),
            );
            (req.version, n)
        }
        Kind::Response => {
            let mut res = httparse::Response::new(hs);
            let n = match res.parse(raw) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) => return Err(ErrorKind::MalformedHead),
                Err(e) => return Err(error_of(kind, e, false, raw)),
            };
            *status = res.code.unwrap_or_default();
            *reason = Span::of(raw, res.reason.unwrap_or_default().as_bytes());
            headers.extend(
                res.headers
                    .iter()
                    .map(|h| (Span::of(raw, h.name.as_bytes()), Span::of(raw, h.value))),
            );
            (res.version, n)
        }
    };
    if used != raw.len() {
        return Err(ErrorKind::MalformedHead);
    }
    *version = if minor == Some(0) {
        HttpVersion::V1_0
    } else {
        HttpVersion::V1_1
    };
    if kind == Kind::Request {
        for &(name, value) in headers.iter() {
            if name_is(raw, name, "Cookie") {
                add_cookies(raw, value, cookies);
            }
        }
    }
    Ok(())
}

fn name_is(raw: &[u8], name: Span, want: &str) -> bool {
    raw.get(name.start..name.end)
        .is_some_and(|n| n.eq_ignore_ascii_case(want.as_bytes()))
}

/// `name=value` pairs of a Cookie field, split at ';' and trimmed; pairs without a name are
/// skipped and a repeated name takes the later value (HP-Socket's rules).
fn add_cookies(raw: &[u8], value: Span, cookies: &mut Vec<(Span, Span)>) {
    let v = raw.get(value.start..value.end).unwrap_or_default();
    let mut at = value.start;
    for pair in v.split(|&c| c == b';') {
        let start = at;
        at += pair.len() + 1;
        let Some(eq) = pair.iter().position(|&c| c == b'=') else {
            continue;
        };
        let name = trim_span(raw, start, start + eq);
        let val = trim_span(raw, start + eq + 1, start + pair.len());
        if name.start == name.end {
            continue;
        }
        let key = raw.get(name.start..name.end);
        match cookies
            .iter_mut()
            .find(|(n, _)| raw.get(n.start..n.end) == key)
        {
            Some(slot) => slot.1 = val,
            None => cookies.push((name, val)),
        }
    }
}

fn trim_span(raw: &[u8], mut start: usize, mut end: usize) -> Span {
    let ws = |p: usize| matches!(raw.get(p), Some(b' ' | b'\t'));
    while start < end && ws(start) {
        start += 1;
    }
    while end > start && ws(end - 1) {
        end -= 1;
    }
    Span { start, end }
}

/// Parses the complete trailer section in `buf` and appends it to `msg` (bytes and fields).
pub(crate) fn add_trailers(
    msg: &mut Message,
    buf: &[u8],
    max_headers: usize,
    scratch: &mut Vec<httparse::Header<'static>>,
) -> Result<(), ErrorKind> {
    let mut hs = recycle(std::mem::take(scratch));
    hs.resize(max_headers.min(buf.len() / 2 + 1), httparse::EMPTY_HEADER);
    let base = msg.raw.len();
    let result = match httparse::parse_headers(buf, &mut hs) {
        Ok(httparse::Status::Complete((n, fields))) if n == buf.len() => {
            msg.trailers_from = msg.headers.len();
            msg.headers.extend(fields.iter().map(|h| {
                (
                    Span::of(buf, h.name.as_bytes()).shift(base),
                    Span::of(buf, h.value).shift(base),
                )
            }));
            Ok(())
        }
        Ok(_) => Err(ErrorKind::MalformedHead),
        Err(e) => Err(error_of(Kind::Request, e, true, b"")),
    };
    *scratch = recycle(hs);
    if result.is_ok() {
        msg.raw.extend_from_slice(buf);
    }
    result
}

/// The `Connection` options that matter here.
#[derive(Default)]
struct ConnectionOptions {
    close: bool,
    keep_alive: bool,
    upgrade: bool,
}

/// The elements of a comma-separated field value, trimmed, empty ones left out (RFC 9110
/// §5.6.1 asks recipients to accept them).
fn elements(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&c| c == b',').map(trim).filter(|e| !e.is_empty())
}

fn trim(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Decides a parsed head's framing, keep-alive, upgrade and `Expect: 100-continue`, and
/// refuses the heads smugglers send. `msg.request_method` must be set on the response side.
pub(crate) fn analyze(
    kind: Kind,
    msg: &mut Message,
    limits: &Limits,
) -> Result<Framing, ErrorKind> {
    let mut conn = ConnectionOptions::default();
    for v in msg.header_values("Connection") {
        for e in elements(v) {
            conn.close |= e.eq_ignore_ascii_case(b"close");
            conn.keep_alive |= e.eq_ignore_ascii_case(b"keep-alive");
            conn.upgrade |= e.eq_ignore_ascii_case(b"upgrade");
        }
    }

    // Content-Length: every value (also in list form) a decimal number, all equal.
    let mut length: Option<u64> = None;
    for v in msg.header_values("Content-Length") {
        for e in v.split(|&c| c == b',').map(trim) {
            let n = (!e.is_empty())
                .then(|| {
                    e.iter().try_fold(0u64, |n, &d| {
                        d.is_ascii_digit()
                            .then(|| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
                            .flatten()
                    })
                })
                .flatten()
                .ok_or(ErrorKind::InvalidContentLength)?;
            if length.is_some_and(|l| l != n) {
                return Err(ErrorKind::UnexpectedContentLength);
            }
            length = Some(n);
        }
    }

    // Transfer-Encoding: the codings in order across all its fields.
    let mut te = false;
    let (mut codings, mut chunked, mut last_chunked) = (0usize, 0usize, false);
    for v in msg.header_values("Transfer-Encoding") {
        te = true;
        for e in elements(v) {
            codings += 1;
            last_chunked = e.eq_ignore_ascii_case(b"chunked");
            chunked += usize::from(last_chunked);
        }
    }

    let v1_0 = msg.version == HttpVersion::V1_0;
    if kind == Kind::Request {
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1, never more than one.
        let hosts = msg.header_values("Host").count();
        if hosts > 1 || (hosts == 0 && !v1_0) {
            return Err(ErrorKind::InvalidHost);
        }
    }

    let mut framing = if te {
        // Both: the classic smuggling pair (RFC 9112 §6.3 allows refusing it).
        if length.is_some() {
            return Err(ErrorKind::UnexpectedContentLength);
        }
        match kind {
            Kind::Request => {
                // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means broken framing; a
                // request body's length is known only when chunked comes last, once.
                if v1_0 || !last_chunked || chunked != 1 {
                    return Err(ErrorKind::BadTransferEncoding);
                }
                if codings > 1 {
                    return Err(ErrorKind::UnsupportedTransferEncoding);
                }
                Framing::Chunked
            }
            Kind::Response => {
                if chunked > 1 {
                    return Err(ErrorKind::BadTransferEncoding);
                }
                // RFC 9112 §6.3: a response not ending in chunked runs until the close.
                if last_chunked && !v1_0 {
                    Framing::Chunked
                } else {
                    Framing::UntilClose
                }
            }
        }
    } else {
        match (length, kind) {
            (Some(0), _) | (None, Kind::Request) => Framing::None,
            (Some(n), _) => Framing::Length(n),
            (None, Kind::Response) => Framing::UntilClose,
        }
    };

    let upgrade_to = |msg: &Message| match msg.header("Upgrade") {
        Some(v) if trim(v).eq_ignore_ascii_case(b"websocket") => UpgradeType::WebSocket,
        _ => UpgradeType::Unknown,
    };
    match kind {
        Kind::Request => {
            if msg.text(msg.method) == "CONNECT" {
                msg.upgrade = UpgradeType::HttpTunnel;
                framing = Framing::None;
            } else if conn.upgrade && msg.header("Upgrade").is_some() {
                // The body, if any, comes first; the switch follows the message.
                msg.upgrade = upgrade_to(msg);
            }
            msg.expect_continue = !v1_0
                && msg
                    .header_values("Expect")
                    .any(|v| trim(v).eq_ignore_ascii_case(b"100-continue"));
        }
        Kind::Response => {
            let status = msg.status;
            let method = msg.request_method.as_ref().map(SentMethod::as_str);
            let is = |m: &str| method.is_some_and(|x| x.eq_ignore_ascii_case(m));
            if status == 101 {
                msg.upgrade = upgrade_to(msg);
                framing = Framing::None;
            } else if is("CONNECT") && (200..300).contains(&status) {
                msg.upgrade = UpgradeType::HttpTunnel;
                framing = Framing::None;
            } else if (100..200).contains(&status) || status == 204 || status == 304 || is("HEAD") {
                framing = Framing::None;
            }
        }
    }

    if let Framing::Length(n) = framing {
        if limits.max_body_size != 0 && n > limits.max_body_size {
            return Err(ErrorKind::BodyTooLarge);
        }
    }
    let keep_alive = if v1_0 { conn.keep_alive } else { !conn.close };
    msg.keep_alive = keep_alive && framing != Framing::UntilClose;
    msg.content_length = if te { None } else { length };
    msg.chunked = framing == Framing::Chunked;
    Ok(framing)
}
