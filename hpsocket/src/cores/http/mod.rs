//! The HTTP/1.1 parser (sans-IO): bytes in, parse events out, for the request side (servers)
//! and the response side (clients). No socket, thread or clock: the session that owns it
//! feeds what it read, calls [`Parser::feed_eof`] when the peer closed, and arms its head
//! timeout while [`Parser::head_in_progress`] says a head is arriving.
//!
//! - [`head`] finds the end of a head, runs `httparse` on it and decides the framing,
//!   keep-alive and upgrade of the message; [`message`] keeps the parsed head ([`Message`]);
//!   [`url`] splits a request target into HP-Socket's URL fields.
//! - [`body`] frames bodies (Content-Length, chunked, read-until-close) without buffering them.
//! - [`parser`] drives the two and reports events to the owner's [`HttpSink`].
//!
//! # Events
//! In HP-Socket's order (`IHttpListener`): message begin → request line or status line →
//! one header event per field → headers complete → body pieces (for chunked bodies each chunk
//! is `chunk header(size)` → body … → `chunk complete`; the last chunk is `chunk header(0)` →
//! trailer fields as header events → `chunk complete`) → message complete → upgrade (when the
//! connection switches protocols; every later byte is the owner's, see [`Feed::Upgraded`]).
//! Any event returning [`ParseResult::Error`] stops parsing; a parse error is reported once
//! through [`HttpSink::on_parse_error`] and then returned by every later call.
//!
//! Differences from HP-Socket 5.8.6 (its embedded `http_parser` 2.7.1), each deliberate:
//! - message begin comes when the whole head has arrived, not at its first byte, so a head
//!   that is refused (too large, malformed) produces only the parse-error event;
//! - `chunk complete` follows every chunk, as HP-Socket's listener documentation says (its
//!   code reports only the last one);
//! - [`ParseResult::SkipBody`] from headers complete still frames the body and discards it,
//!   where HP-Socket's parser would read the body's bytes as the next message (a desync);
//! - a response is an upgrade only with status 101, or 2xx to CONNECT (`http_parser` 2.7.1
//!   switched on any status carrying `Upgrade` + `Connection: upgrade`);
//! - interim 1xx responses (other than 101) produce [`HttpSink::on_interim`] only, and the
//!   final response that follows is the message;
//! - a request with both Content-Length and Transfer-Encoding, or any Transfer-Encoding
//!   whose last coding is not `chunked`, is refused (`http_parser` 2.7.1 ignored any
//!   Transfer-Encoding other than exactly `chunked`, a request-smuggling hole).
//!
//! # Limits
//! [`Limits`] (defaults in parentheses), each checked before the bytes it guards are kept:
//! - `max_head_size` (16 KiB): request/status line plus header fields, and separately the
//!   trailer section; past it 431. `http_parser` 2.7.1, which HP-Socket embeds, allows
//!   80 KiB; 16 KiB is Node's and h11's default, fits any real browser's cookies, and keeps a
//!   10,000-connection server's worst case for heads at 160 MiB instead of 800 MiB.
//! - `max_headers` (100): header fields in a head (and in a trailer section); past it 431.
//!   Apache's and hyper's default; HP-Socket has no count limit.
//! - `max_body_size` (16 MiB): bytes of one message body; a larger Content-Length is refused
//!   at the head (413, before an `Expect: 100-continue` client sends it), a chunked or
//!   read-until-close body is stopped where it passes the limit. The parser does not hold
//!   bodies, but HP-Socket applications (and its sync client) usually collect them; 0 means
//!   unlimited and must be set explicitly. HP-Socket has no limit.
//! - `max_chunk_line` (1 KiB): one chunk-size line with its extensions (ignored); past it
//!   400. The size itself needs at most 16 hex digits; extensions are almost never sent.
//!
//! # Memory
//! The parser holds the current message's head and trailers (each ≤ `max_head_size`, kept so
//! the owner can read them until the next message begins), at most one incomplete head or
//! trailer section (≤ `max_head_size` + 1), and the FIFO of request methods the owner pushed.
//! A chunk-size line is parsed as it arrives and never held; bodies are handed to the sink
//! as slices of the fed bytes and never copied. So a connection's parser is bounded by
//! `3 × max_head_size` plus its header index (≤ `2 × max_headers` entries).
//!
//! # Status of errors
//! Every [`ParseError`] carries the status a server should answer (see
//! [`ParseError::status`]): 431 for a head or header count over the limit, 413 for a body
//! over the limit, 501 for a transfer coding other than chunked, 505 for an HTTP version
//! other than 1.0 / 1.1, 400 for everything malformed; none when the owner's own event
//! returned an error. Its numeric code is `http_parser`'s `HPE_*` errno, which HP-Socket's
//! `GetParseErrorCode` returns.

pub(crate) mod body;
pub mod cookie;
pub(crate) mod head;
pub(crate) mod message;
pub(crate) mod parser;
#[doc(hidden)]
pub mod probe;
pub(crate) mod url;
pub(crate) mod write;

#[cfg(test)]
mod tests;

pub use message::Message;
pub(crate) use parser::{Feed, Parser};

/// What an event handler tells the parser (HP-Socket's `En_HP_HttpParseResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseResult {
    /// Go on (`HPR_OK`, 0).
    Ok = 0,
    /// From headers complete only: frame the body but do not report it (`HPR_SKIP_BODY`, 1).
    SkipBody = 1,
    /// From headers complete only: switch protocols right after this head
    /// (`HPR_UPGRADE`, 2).
    Upgrade = 2,
    /// Stop parsing: the connection is to be closed (`HPR_ERROR`, -1).
    Error = -1,
}

/// The protocol a connection switches to (HP-Socket's `En_HP_HttpUpgradeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpgradeType {
    /// No switch (`HUT_NONE`, 0).
    #[default]
    None = 0,
    /// `Upgrade: websocket` (`HUT_WEB_SOCKET`, 1).
    WebSocket = 1,
    /// A CONNECT request, or a 2xx answer to one (`HUT_HTTP_TUNNEL`, 2).
    HttpTunnel = 2,
    /// Any other `Upgrade` (`HUT_UNKNOWN`, -1).
    Unknown = -1,
}

/// The HTTP version of a message (HP-Socket's `En_HP_HttpVersion`: low byte major, high
/// byte minor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpVersion {
    /// HTTP/1.0 (`HV_1_0`, 0x0001).
    V1_0 = 0x0001,
    /// HTTP/1.1 (`HV_1_1`, 0x0101).
    #[default]
    V1_1 = 0x0101,
}

/// The fields of a request URL, in HP-Socket's `En_HP_HttpUrlField` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlField {
    /// `http` in `http://host/` (`HUF_SCHEMA`, 0).
    Schema = 0,
    /// `HUF_HOST`, 1.
    Host = 1,
    /// `HUF_PORT`, 2.
    Port = 2,
    /// `HUF_PATH`, 3.
    Path = 3,
    /// Without the `?` (`HUF_QUERY`, 4).
    Query = 4,
    /// Without the `#` (`HUF_FRAGMENT`, 5).
    Fragment = 5,
    /// Without the `@` (`HUF_USERINFO`, 6).
    UserInfo = 6,
}

impl UrlField {
    /// Every field, in order.
    pub const ALL: [UrlField; 7] = [
        UrlField::Schema,
        UrlField::Host,
        UrlField::Port,
        UrlField::Path,
        UrlField::Query,
        UrlField::Fragment,
        UrlField::UserInfo,
    ];
}

/// Which side of a connection the parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Requests (a server).
    Request,
    /// Responses (a client): needs the method of each request sent
    /// ([`Parser::push_request_method`]).
    Response,
}

/// Default [`Limits::max_head_size`]: 16 KiB.
pub const DEFAULT_MAX_HEAD_SIZE: usize = 16 * 1024;
/// Default [`Limits::max_headers`]: 100.
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// Default [`Limits::max_body_size`]: 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 16 * 1024 * 1024;
/// Default [`Limits::max_chunk_line`]: 1 KiB.
pub const DEFAULT_MAX_CHUNK_LINE: usize = 1024;

/// The parser's limits (the module documentation says why each default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest head (start line and header fields, with its closing empty line), and largest
    /// trailer section; the empty lines before a message count too. At least 1.
    pub max_head_size: usize,
    /// Most header fields in one head or one trailer section.
    pub max_headers: usize,
    /// Largest body of one message; 0 = unlimited.
    pub max_body_size: u64,
    /// Longest chunk-size line, extensions and CRLF included.
    pub max_chunk_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            max_headers: DEFAULT_MAX_HEADERS,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_chunk_line: DEFAULT_MAX_CHUNK_LINE,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_head_size`] (0 is taken as 1: every head is refused).
    pub fn with_max_head_size(mut self, n: usize) -> Self {
        self.max_head_size = n.max(1);
        self
    }
    /// Sets [`Limits::max_headers`].
    pub fn with_max_headers(mut self, n: usize) -> Self {
        self.max_headers = n;
        self
    }
    /// Sets [`Limits::max_body_size`]; 0 lifts the limit.
    pub fn with_max_body_size(mut self, n: u64) -> Self {
        self.max_body_size = n;
        self
    }
    /// Sets [`Limits::max_chunk_line`].
    pub fn with_max_chunk_line(mut self, n: usize) -> Self {
        self.max_chunk_line = n;
        self
    }
}

/// The events of a message, for [`ErrorKind::Callback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// the listener's `on_message_begin`.
    MessageBegin,
    /// the listener's `on_request_line`.
    RequestLine,
    /// the listener's `on_header`.
    Header,
    /// the listener's `on_headers_complete`.
    HeadersComplete,
    /// the listener's `on_body`.
    Body,
    /// the listener's `on_message_complete`.
    MessageComplete,
    /// the listener's `on_status_line`.
    StatusLine,
    /// the listener's `on_chunk_header`.
    ChunkHeader,
    /// the listener's `on_chunk_complete`.
    ChunkComplete,
    /// the listener's `on_upgrade` and the listener's `on_interim`.
    Upgrade,
}

/// Why a byte stream is not an acceptable HTTP/1.x stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The owner's event returned [`ParseResult::Error`].
    Callback(Event),
    /// The stream ended inside a message.
    UnexpectedEof,
    /// The head (or trailer section) is larger than `max_head_size`.
    HeadTooLarge,
    /// More header fields than `max_headers`.
    TooManyHeaders,
    /// Bytes after a message that closes the connection.
    DataAfterClose,
    /// A version other than `HTTP/1.0` / `HTTP/1.1` in the usual form.
    UnsupportedVersion,
    /// A malformed version.
    InvalidVersion,
    /// A malformed status code.
    InvalidStatus,
    /// A malformed method.
    InvalidMethod,
    /// A malformed request target.
    InvalidUrl,
    /// No `Host` in an HTTP/1.1 request, or more than one.
    InvalidHost,
    /// A line ending that is not CRLF or LF.
    LfExpected,
    /// A bad byte in a header name or value (including obs-fold and a space before the colon).
    InvalidHeader,
    /// A Content-Length that is not a decimal number.
    InvalidContentLength,
    /// Content-Length values that differ, or Content-Length with Transfer-Encoding.
    UnexpectedContentLength,
    /// A malformed chunk-size line (not hex, overflow, too long, bad extension bytes).
    InvalidChunkSize,
    /// Chunk data not followed by CRLF.
    ChunkNotTerminated,
    /// A head that ends where `httparse` wants more (cannot happen on valid input).
    MalformedHead,
    /// Transfer-Encoding on a request whose last coding is not `chunked`, `chunked`
    /// twice, or Transfer-Encoding in an HTTP/1.0 request.
    BadTransferEncoding,
    /// A transfer coding other than `chunked` on a request (the parser does not decode).
    UnsupportedTransferEncoding,
    /// A body larger than `max_body_size`.
    BodyTooLarge,
}

/// A parse error: what went wrong, with HP-Socket's code and the status to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ErrorKind,
}

impl ParseError {
    /// The error for `kind`.
    pub(crate) fn new(kind: ErrorKind) -> Self {
        ParseError { kind }
    }

    /// `http_parser`'s `HPE_*` errno (what HP-Socket's `GetParseErrorCode` returns); 33 is
    /// `HPE_INVALID_TRANSFER_ENCODING` of later `http_parser` releases, 34 is ours (body over
    /// the limit).
    pub fn code(&self) -> u16 {
        use ErrorKind::*;
        match self.kind {
            Callback(e) => match e {
                Event::MessageBegin => 1,
                Event::RequestLine => 2,
                Event::Header => 4,
                Event::HeadersComplete => 5,
                Event::Body => 6,
                Event::MessageComplete => 7,
                Event::StatusLine => 8,
                Event::ChunkHeader => 9,
                Event::ChunkComplete => 10,
                // http_parser has no upgrade callback; HP-Socket reports a refused upgrade
                // as a failed headers-complete.
                Event::Upgrade => 5,
            },
            UnexpectedEof => 11,
            HeadTooLarge | TooManyHeaders => 12,
            DataAfterClose => 13,
            UnsupportedVersion | InvalidVersion => 14,
            InvalidStatus => 15,
            InvalidMethod => 16,
            InvalidUrl => 17,
            InvalidHost => 18,
            LfExpected => 23,
            InvalidHeader => 24,
            InvalidContentLength => 25,
            UnexpectedContentLength => 26,
            InvalidChunkSize => 27,
            ChunkNotTerminated => 30,
            MalformedHead => 32,
            BadTransferEncoding | UnsupportedTransferEncoding => 33,
            BodyTooLarge => 34,
        }
    }

    /// The status a server should answer before closing, or `None` when the owner's own
    /// event failed (nothing to tell the peer).
    pub fn status(&self) -> Option<u16> {
        use ErrorKind::*;
        Some(match self.kind {
            Callback(_) => return None,
            HeadTooLarge | TooManyHeaders => 431,
            BodyTooLarge => 413,
            UnsupportedTransferEncoding => 501,
            UnsupportedVersion => 505,
            _ => 400,
        })
    }

    /// A short English description.
    pub fn description(&self) -> &'static str {
        use ErrorKind::*;
        match self.kind {
            Callback(_) => "an event handler returned an error",
            UnexpectedEof => "the connection closed in the middle of a message",
            HeadTooLarge => "the message head is larger than the limit",
            TooManyHeaders => "the message has more header fields than the limit",
            DataAfterClose => "bytes arrived after a message that closes the connection",
            UnsupportedVersion => "the HTTP version is not 1.0 or 1.1",
            InvalidVersion => "the HTTP version is malformed",
            InvalidStatus => "the status code is malformed",
            InvalidMethod => "the method is malformed",
            InvalidUrl => "the request target is malformed",
            InvalidHost => "an HTTP/1.1 request needs exactly one Host field",
            LfExpected => "a line does not end with CRLF or LF",
            InvalidHeader => "a header field has a byte that is not allowed",
            InvalidContentLength => "Content-Length is not a decimal number",
            UnexpectedContentLength => {
                "Content-Length conflicts with another Content-Length or with Transfer-Encoding"
            }
            InvalidChunkSize => "a chunk-size line is malformed or too long",
            ChunkNotTerminated => "chunk data is not followed by CRLF",
            MalformedHead => "the message head is malformed",
            BadTransferEncoding => "Transfer-Encoding does not end with a single chunked",
            UnsupportedTransferEncoding => "a transfer coding other than chunked",
            BodyTooLarge => "the body is larger than the limit",
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

/// The owner's side of the parser: one method per HP-Socket `IHttpListener` parse event.
/// Each gets the message as parsed so far (its head is complete from message begin on).
/// Results other than [`ParseResult::Error`] mean "go on" except where a method says more.
pub trait HttpSink {
    /// A message's head has arrived; [`Message`] holds it.
    fn on_message_begin(&mut self, msg: &Message) -> ParseResult;
    /// The request line (request parser).
    fn on_request_line(&mut self, msg: &Message, method: &str, url: &str) -> ParseResult;
    /// The status line (response parser).
    fn on_status_line(&mut self, msg: &Message, status: u16, reason: &str) -> ParseResult;
    /// One header field, in order; trailer fields come the same way after the last chunk.
    fn on_header(&mut self, msg: &Message, name: &str, value: &[u8]) -> ParseResult;
    /// The head is complete. [`ParseResult::SkipBody`]: frame the body without reporting
    /// it; [`ParseResult::Upgrade`]: the bytes after this head belong to another protocol.
    fn on_headers_complete(&mut self, msg: &Message) -> ParseResult;
    /// A piece of the body (a slice of the bytes fed, never copied).
    fn on_body(&mut self, msg: &Message, data: &[u8]) -> ParseResult;
    /// A chunk of `size` bytes begins (0: the last chunk, trailer fields follow).
    fn on_chunk_header(&mut self, msg: &Message, size: u64) -> ParseResult;
    /// A chunk (or the trailer section after the last one) is complete.
    fn on_chunk_complete(&mut self, msg: &Message) -> ParseResult;
    /// The message is complete.
    fn on_message_complete(&mut self, msg: &Message) -> ParseResult;
    /// The connection switches protocols (after message complete); every byte after it is
    /// the owner's ([`Feed::Upgraded`]).
    fn on_upgrade(&mut self, msg: &Message, kind: UpgradeType) -> ParseResult;
    /// The stream is not acceptable; parsing has stopped for good.
    fn on_parse_error(&mut self, msg: &Message, err: &ParseError);
    /// An interim 1xx response (not 101) on the response side, e.g. `100 Continue`; [`Message`]
    /// holds its head. The final response follows as a message of its own.
    fn on_interim(&mut self, msg: &Message) -> ParseResult {
        let _ = msg;
        ParseResult::Ok
    }
}
