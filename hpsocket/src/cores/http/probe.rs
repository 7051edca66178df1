//! The parser seen from outside, for the property tests, the fuzz target and the differential
//! test against llhttp (`hpsocket::fuzzing::http`): runs a byte stream through a parser and
//! records the events as plain values. Not part of the supported API.

use super::{
    HttpSink, Kind, Limits, Message, ParseError, ParseResult, Parser, UpgradeType, UrlField,
};

/// A message's head as its getters read it (recorded at headers complete).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// `Message::method`.
    pub method: String,
    /// `Message::url_field` of each field, in `En_HP_HttpUrlField` order.
    pub url_fields: Vec<Option<String>>,
    /// `Message::url_field_set`.
    pub url_field_set: u16,
    /// `Message::version` as `En_HP_HttpVersion`.
    pub version: u16,
    /// `Message::status_code`.
    pub status: u16,
    /// `Message::header_count`.
    pub header_count: usize,
    /// `Message::content_length`.
    pub content_length: Option<u64>,
    /// `Message::content_type`.
    pub content_type: Option<Vec<u8>>,
    /// `Message::content_encoding`.
    pub content_encoding: Option<Vec<u8>>,
    /// `Message::host`.
    pub host: Option<Vec<u8>>,
    /// `Message::cookies`.
    pub cookies: Vec<(Vec<u8>, Vec<u8>)>,
    /// `Message::is_chunked`.
    pub chunked: bool,
    /// `Message::keep_alive`.
    pub keep_alive: bool,
    /// `Message::upgrade_type` as `En_HP_HttpUpgradeType`.
    pub upgrade: i8,
    /// `Message::expect_continue`.
    pub expect_continue: bool,
}

impl Summary {
    fn of(m: &Message) -> Summary {
        for (name, value) in m.cookies() {
            assert_eq!(m.cookie(name), Some(value), "cookie names are unique");
        }
        Summary {
            method: m.method().into(),
            url_fields: UrlField::ALL
                .iter()
                .map(|&f| m.url_field(f).map(String::from))
                .collect(),
            url_field_set: m.url_field_set(),
            version: m.version() as u16,
            status: m.status_code(),
            header_count: m.header_count(),
            content_length: m.content_length(),
            content_type: m.content_type().map(Vec::from),
            content_encoding: m.content_encoding().map(Vec::from),
            host: m.host().map(Vec::from),
            cookies: m.cookies().map(|(n, v)| (n.into(), v.into())).collect(),
            chunked: m.is_chunked(),
            keep_alive: m.keep_alive(),
            upgrade: m.upgrade_type() as i8,
            expect_continue: m.expect_continue(),
        }
    }
}

/// One recorded event. Adjacent body pieces are merged, so how the stream was split does
/// not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// Message begin.
    Begin,
    /// Method and URL.
    RequestLine(String, String),
    /// Status code and reason.
    StatusLine(u16, String),
    /// Name and value (also for trailer fields).
    Header(String, Vec<u8>),
    /// Headers complete, with the head as the getters read it.
    HeadersComplete(Box<Summary>),
    /// Body bytes.
    Body(Vec<u8>),
    /// A chunk's size.
    ChunkHeader(u64),
    /// A chunk's end.
    ChunkComplete,
    /// Message complete.
    Complete,
    /// Switch to another protocol (HP-Socket's upgrade-type number).
    Upgrade(i8),
    /// An interim 1xx response's status.
    Interim(u16),
    /// Parse error: HP-Socket's code and the status to answer (0: none).
    Error(u16, u16),
}

/// What [`run`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The events, bodies merged.
    pub events: Vec<Ev>,
    /// Bytes the parser took before switching protocols (`None`: it did not switch).
    pub upgraded_after: Option<usize>,
    /// The largest incomplete head the parser held between calls.
    pub max_buffered: usize,
    /// `Parser::head_in_progress` after the last piece (before the end of the stream).
    pub head_in_progress: bool,
}

/// How a run is set up; 0 keeps a default.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `max_head_size`.
    pub head: usize,
    /// `max_headers`.
    pub headers: usize,
    /// `max_body_size` (`u64::MAX` is as good as unlimited).
    pub body: u64,
    /// `max_chunk_line`.
    pub chunk_line: usize,
    /// What headers complete answers, as `En_HP_HttpParseResult` (0 OK, 1 skip body,
    /// 2 upgrade, -1 error).
    pub headers_complete: i8,
    /// The event (counted from 1, body pieces not counted) that answers error; 0: none.
    pub fail_at: usize,
}

struct Recorder {
    events: Vec<Ev>,
    headers_complete: ParseResult,
    fail_at: usize,
    seen: usize,
}

impl Recorder {
    fn push(&mut self, ev: Ev) -> ParseResult {
        // Body pieces follow the split, so they neither count nor fail: the answers, like the
        // events, must not depend on how the stream was cut.
        match (self.events.last_mut(), ev) {
            (Some(Ev::Body(acc)), Ev::Body(more)) => {
                acc.extend_from_slice(&more);
                return ParseResult::Ok;
            }
            (_, Ev::Body(more)) => {
                self.events.push(Ev::Body(more));
                return ParseResult::Ok;
            }
            (_, ev) => self.events.push(ev),
        }
        self.seen += 1;
        if self.seen == self.fail_at {
            ParseResult::Error
        } else {
            ParseResult::Ok
        }
    }
}

impl HttpSink for Recorder {
    fn on_message_begin(&mut self, _: &Message) -> ParseResult {
        self.push(Ev::Begin)
    }
    fn on_request_line(&mut self, _: &Message, method: &str, url: &str) -> ParseResult {
        self.push(Ev::RequestLine(method.into(), url.into()))
    }
    fn on_status_line(&mut self, _: &Message, status: u16, reason: &str) -> ParseResult {
        self.push(Ev::StatusLine(status, reason.into()))
    }
    fn on_header(&mut self, _: &Message, name: &str, value: &[u8]) -> ParseResult {
        self.push(Ev::Header(name.into(), value.into()))
    }
    fn on_headers_complete(&mut self, msg: &Message) -> ParseResult {
        match self.push(Ev::HeadersComplete(Box::new(Summary::of(msg)))) {
            ParseResult::Error => ParseResult::Error,
            _ => self.headers_complete,
        }
    }
    fn on_body(&mut self, _: &Message, data: &[u8]) -> ParseResult {
        self.push(Ev::Body(data.into()))
    }
    fn on_chunk_header(&mut self, _: &Message, size: u64) -> ParseResult {
        self.push(Ev::ChunkHeader(size))
    }
    fn on_chunk_complete(&mut self, _: &Message) -> ParseResult {
        self.push(Ev::ChunkComplete)
    }
    fn on_message_complete(&mut self, _: &Message) -> ParseResult {
        self.push(Ev::Complete)
    }
    fn on_upgrade(&mut self, _: &Message, kind: UpgradeType) -> ParseResult {
        self.push(Ev::Upgrade(kind as i8))
    }
    fn on_parse_error(&mut self, msg: &Message, err: &ParseError) {
        assert_eq!(
            msg.parse_error(),
            Some(err),
            "the message records its error"
        );
        self.push(Ev::Error(err.code(), err.status().unwrap_or(0)));
    }
    fn on_interim(&mut self, msg: &Message) -> ParseResult {
        self.push(Ev::Interim(msg.status_code()))
    }
}

/// Feeds `data` to a parser (`request`: the request side, else the response side with
/// `methods` pushed as the requests sent) in pieces of the sizes in `cuts` (cycled; empty:
/// all at once), then the end of the stream when `eof`; records every event. Must never
/// panic.
pub fn run(
    request: bool,
    methods: &[&str],
    data: &[u8],
    cuts: &[usize],
    eof: bool,
    opts: Options,
) -> Run {
    let mut l = Limits::default();
    if opts.head != 0 {
        l = l.with_max_head_size(opts.head);
    }
    if opts.headers != 0 {
        l = l.with_max_headers(opts.headers);
    }
    if opts.body != 0 {
        l = l.with_max_body_size(opts.body);
    }
    if opts.chunk_line != 0 {
        l = l.with_max_chunk_line(opts.chunk_line);
    }
    let kind = if request {
        Kind::Request
    } else {
        Kind::Response
    };
    let mut p = Parser::new(kind, l);
    for m in methods {
        p.push_request_method(m);
    }
    let mut rec = Recorder {
        events: Vec::new(),
        headers_complete: match opts.headers_complete {
            1 => ParseResult::SkipBody,
            2 => ParseResult::Upgrade,
            -1 => ParseResult::Error,
            _ => ParseResult::Ok,
        },
        fail_at: opts.fail_at,
        seen: 0,
    };
    let mut max_buffered = 0;
    let mut head_in_progress = false;
    let mut fed = 0usize;
    let mut cut = cuts.iter().copied().filter(|&n| n > 0).cycle();
    let mut rest = data;
    while !rest.is_empty() {
        let k = cut.next().unwrap_or(rest.len()).min(rest.len());
        let (piece, after) = rest.split_at(k);
        let fed_result = p.feed(piece, &mut rec);
        max_buffered = max_buffered.max(p.buffered());
        head_in_progress = p.head_in_progress();
        match fed_result {
            Ok(super::Feed::Done) => {}
            Ok(super::Feed::Upgraded { consumed }) => {
                assert!(p.is_upgraded());
                return Run {
                    events: rec.events,
                    upgraded_after: Some(fed + consumed),
                    max_buffered,
                    head_in_progress,
                };
            }
            Err(e) => {
                assert_eq!(p.message().parse_error(), Some(&e));
                return Run {
                    events: rec.events,
                    upgraded_after: None,
                    max_buffered,
                    head_in_progress,
                };
            }
        }
        fed += k;
        rest = after;
    }
    if eof {
        let _ = p.feed_eof(&mut rec);
    }
    Run {
        events: rec.events,
        upgraded_after: None,
        max_buffered,
        head_in_progress,
    }
}
