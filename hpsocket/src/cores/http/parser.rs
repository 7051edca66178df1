//! The driver: feeds bytes through head collection and body framing and reports each step
//! to the owner's [`HttpSink`], one message after another (pipelining), until the stream
//! ends, fails, or switches protocols.

use std::collections::VecDeque;

use super::body::{BodyReader, Framing, Step};
use super::head::{self, HeadBuf, Section};
use super::message::{Message, SentMethod};
use super::{ErrorKind, Event, HttpSink, Kind, Limits, ParseError, ParseResult, UpgradeType};

/// What [`Parser::feed`] did with the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feed {
    /// All of them were parsed (part of a head may be held until the rest arrives).
    Done,
    /// The connection switched protocols after the first `consumed` bytes; the rest of the
    /// input (and everything after it) belongs to the new protocol, not to the parser.
    Upgraded { consumed: usize },
}

/// Where the stream is.
#[derive(Debug)]
enum State {
    /// Between messages or inside a head.
    Head,
    /// Inside a body.
    Body(BodyReader),
    /// Inside the trailer section after the last chunk.
    Trailers,
    /// After a message that closes the connection, or after the end of the stream: only
    /// empty lines may follow.
    Closed,
    /// Switched protocols: the parser takes no more bytes.
    Upgraded,
    /// Stopped by an error, which every later call returns.
    Failed(ParseError),
}

/// An HTTP/1.x parser for one connection's incoming direction.
#[derive(Debug)]
pub(crate) struct Parser {
    kind: Kind,
    limits: Limits,
    state: State,
    msg: Message,
    head: HeadBuf,
    /// Whether the body of the current message is reported (`SkipBody` clears it).
    report_body: bool,
    /// httparse's field slots, kept between heads.
    scratch: Vec<httparse::Header<'static>>,
    /// Methods of the requests sent and not yet answered (response side).
    sent: VecDeque<SentMethod>,
}

impl Parser {
    /// A parser for `kind` messages under `limits`.
    pub fn new(kind: Kind, limits: Limits) -> Parser {
        Parser {
            kind,
            limits,
            state: State::Head,
            msg: Message::default(),
            head: HeadBuf::default(),
            report_body: true,
            scratch: Vec::new(),
            sent: VecDeque::new(),
        }
    }

    /// The current (or last) message. Valid between events and after `feed` returns, until
    /// the next message begins.
    pub fn message(&self) -> &Message {
        &self.msg
    }

    /// Response side: the owner sent a request with `method`; its response will be read
    /// with it in mind (HEAD: no body; CONNECT + 2xx: a tunnel). Pipelined requests queue.
    pub fn push_request_method(&mut self, method: &str) {
        self.sent.push_back(SentMethod::new(method));
    }

    /// Whether a head (or trailer section) has begun and not yet completed: the owner's
    /// head timeout should run while this is true.
    pub fn head_in_progress(&self) -> bool {
        match self.state {
            State::Head => self.head.started(),
            State::Trailers => true,
            _ => false,
        }
    }

    /// Whether the connection has switched protocols.
    pub fn is_upgraded(&self) -> bool {
        matches!(self.state, State::Upgraded)
    }

    /// Bytes held for an incomplete head or trailer section.
    pub fn buffered(&self) -> usize {
        self.head.buf.len()
    }

    /// Parses `data`, reporting events to `sink` as they complete.
    pub fn feed<S: HttpSink + ?Sized>(
        &mut self,
        data: &[u8],
        sink: &mut S,
    ) -> Result<Feed, ParseError> {
        let mut pos = 0;
        loop {
            let rest = data.get(pos..).unwrap_or_default();
            match &mut self.state {
                State::Failed(e) => return Err(*e),
                State::Upgraded => return Ok(Feed::Upgraded { consumed: pos }),
                State::Closed => {
                    return match rest.iter().position(|&b| b != b'\r' && b != b'\n') {
                        None => Ok(Feed::Done),
                        Some(_) => Err(self.fail(ErrorKind::DataAfterClose, sink)),
                    };
                }
                State::Head => {
                    if rest.is_empty() {
                        return Ok(Feed::Done);
                    }
                    let (n, r) =
                        self.head
                            .take(rest, self.limits.max_head_size, Section::Head(self.kind));
                    pos += n;
                    match r {
                        Err(k) => return Err(self.fail(k, sink)),
                        Ok(false) => return Ok(Feed::Done),
                        Ok(true) => self.on_head(sink)?,
                    }
                }
                State::Body(body) => {
                    let (n, step) = match body.step(rest) {
                        Ok(s) => s,
                        Err(k) => return Err(self.fail(k, sink)),
                    };
                    pos += n;
                    let report = self.report_body;
                    let msg = &self.msg;
                    let (r, event) = match step {
                        Step::NeedMore => return Ok(Feed::Done),
                        Step::Done => {
                            self.complete(sink)?;
                            continue;
                        }
                        Step::LastChunk => {
                            self.state = State::Trailers;
                            self.head.start_trailers();
                            (
                                report.then(|| sink.on_chunk_header(msg, 0)),
                                Event::ChunkHeader,
                            )
                        }
                        Step::Data(d) => (report.then(|| sink.on_body(msg, d)), Event::Body),
                        Step::ChunkHeader(n) => (
                            report.then(|| sink.on_chunk_header(msg, n)),
                            Event::ChunkHeader,
                        ),
                        Step::ChunkComplete => (
                            report.then(|| sink.on_chunk_complete(msg)),
                            Event::ChunkComplete,
                        ),
                    };
                    if r == Some(ParseResult::Error) {
                        return Err(self.fail(ErrorKind::Callback(event), sink));
                    }
                }
                State::Trailers => {
                    if rest.is_empty() {
                        return Ok(Feed::Done);
                    }
                    let (n, r) = self
                        .head
                        .take(rest, self.limits.max_head_size, Section::Trailers);
                    pos += n;
                    match r {
                        Err(k) => return Err(self.fail(k, sink)),
                        Ok(false) => return Ok(Feed::Done),
                        Ok(true) => self.on_trailers(sink)?,
                    }
                }
            }
        }
    }

    /// The peer closed its sending side: completes a response read until the close, and
    /// refuses a stream that ends inside a message.
    pub fn feed_eof<S: HttpSink + ?Sized>(&mut self, sink: &mut S) -> Result<(), ParseError> {
        match &mut self.state {
            State::Failed(e) => Err(*e),
            State::Closed | State::Upgraded => Ok(()),
            State::Head if !self.head.started() => {
                self.state = State::Closed;
                Ok(())
            }
            State::Head | State::Trailers => Err(self.fail(ErrorKind::UnexpectedEof, sink)),
            State::Body(body) => match body.eof() {
                Err(k) => Err(self.fail(k, sink)),
                Ok(completes) => {
                    if completes {
                        self.complete(sink)?;
                    }
                    if !matches!(self.state, State::Upgraded | State::Failed(_)) {
                        self.state = State::Closed;
                    }
                    Ok(())
                }
            },
        }
    }

    /// Stops for good: records the error, tells the sink, and returns the error.
    fn fail<S: HttpSink + ?Sized>(&mut self, kind: ErrorKind, sink: &mut S) -> ParseError {
        let e = ParseError::new(kind);
        self.fail_quietly(e);
        sink.on_parse_error(&self.msg, &e);
        e
    }

    fn fail_quietly(&mut self, e: ParseError) {
        self.msg.error = Some(e);
        self.msg.keep_alive = false;
        self.state = State::Failed(e);
    }

    /// A complete head is in `self.head.buf`: parse it and report it.
    fn on_head<S: HttpSink + ?Sized>(&mut self, sink: &mut S) -> Result<(), ParseError> {
        self.msg.clear();
        std::mem::swap(&mut self.msg.raw, &mut self.head.buf);
        let reuse = std::mem::take(&mut self.head.buf);
        self.head.reset(reuse);
        if let Err(k) = head::parse_head(
            self.kind,
            &mut self.msg,
            self.limits.max_headers,
            &mut self.scratch,
        ) {
            return Err(self.fail(k, sink));
        }
        let interim = self.kind == Kind::Response
            && (100..200).contains(&self.msg.status)
            && self.msg.status != 101;
        if interim {
            // 100 Continue and friends: the real response to the same request follows.
            return match sink.on_interim(&self.msg) {
                ParseResult::Error => Err(self.fail(ErrorKind::Callback(Event::Upgrade), sink)),
                _ => Ok(()),
            };
        }
        if self.kind == Kind::Response {
            self.msg.request_method = self.sent.pop_front();
        }
        let mut framing = match head::analyze(self.kind, &mut self.msg, &self.limits) {
            Ok(f) => f,
            Err(k) => return Err(self.fail(k, sink)),
        };

        let msg = &self.msg;
        let mut r = sink.on_message_begin(msg);
        let mut event = Event::MessageBegin;
        if r != ParseResult::Error {
            (r, event) = match self.kind {
                Kind::Request => (
                    sink.on_request_line(msg, msg.text(msg.method), msg.url()),
                    Event::RequestLine,
                ),
                Kind::Response => (
                    sink.on_status_line(msg, msg.status, msg.reason()),
                    Event::StatusLine,
                ),
            };
        }
        for (name, value) in msg.headers() {
            if r == ParseResult::Error {
                break;
            }
            (r, event) = (sink.on_header(msg, name, value), Event::Header);
        }
        if r != ParseResult::Error {
            (r, event) = (sink.on_headers_complete(msg), Event::HeadersComplete);
        }
        self.report_body = true;
        match r {
            ParseResult::Error => return Err(self.fail(ErrorKind::Callback(event), sink)),
            ParseResult::SkipBody => self.report_body = false,
            ParseResult::Upgrade => {
                // The owner switches right after this head: no body is framed.
                if self.msg.upgrade == UpgradeType::None {
                    self.msg.upgrade = UpgradeType::Unknown;
                }
                framing = Framing::None;
            }
            ParseResult::Ok => {}
        }
        if framing == Framing::None {
            return self.complete(sink);
        }
        self.state = State::Body(BodyReader::new(
            framing,
            self.limits.max_body_size,
            self.limits.max_chunk_line,
        ));
        Ok(())
    }

    /// A complete trailer section is in `self.head.buf`: add it to the message, report its
    /// fields (as HP-Socket does, through the header event), then the last chunk's end.
    fn on_trailers<S: HttpSink + ?Sized>(&mut self, sink: &mut S) -> Result<(), ParseError> {
        let added = head::add_trailers(
            &mut self.msg,
            &self.head.buf,
            self.limits.max_headers,
            &mut self.scratch,
        );
        let reuse = std::mem::take(&mut self.head.buf);
        self.head.reset(reuse);
        if let Err(k) = added {
            return Err(self.fail(k, sink));
        }
        if self.report_body {
            let msg = &self.msg;
            let refused = msg
                .trailers()
                .any(|(name, value)| sink.on_header(msg, name, value) == ParseResult::Error);
            if refused {
                return Err(self.fail(ErrorKind::Callback(Event::Header), sink));
            }
            if sink.on_chunk_complete(msg) == ParseResult::Error {
                return Err(self.fail(ErrorKind::Callback(Event::ChunkComplete), sink));
            }
        }
        self.complete(sink)
    }

    /// The message is complete: report it, then switch protocols, close, or wait for the
    /// next message.
    fn complete<S: HttpSink + ?Sized>(&mut self, sink: &mut S) -> Result<(), ParseError> {
        if sink.on_message_complete(&self.msg) == ParseResult::Error {
            return Err(self.fail(ErrorKind::Callback(Event::MessageComplete), sink));
        }
        let upgrade = self.msg.upgrade;
        if upgrade != UpgradeType::None {
            if sink.on_upgrade(&self.msg, upgrade) == ParseResult::Error {
                // HP-Socket closes on a refused upgrade without a parse-error event.
                self.fail_quietly(ParseError::new(ErrorKind::Callback(Event::Upgrade)));
                return Err(ParseError::new(ErrorKind::Callback(Event::Upgrade)));
            }
            self.state = State::Upgraded;
        } else if self.msg.keep_alive {
            self.state = State::Head;
        } else {
            self.state = State::Closed;
        }
        Ok(())
    }
}
