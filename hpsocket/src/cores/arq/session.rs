//! One HP-Socket ARQ connection: the handshake that trades conversation IDs, KCP once both
//! sides agree, and the close.
//!
//! The handshake (HP-Socket's `CArqSessionT`, re-derived): each side sends
//! `(self, peer, complete)` at `min(interval × n, 2 s)` after its `n`-th send until its
//! handshake is done. A side learns the peer's ID from the first handshake it hears, and is
//! *ready* (can send and receive data) once a handshake names its own ID back. A ready side
//! goes on sending handshakes, now flagged complete, until it hears the peer's complete
//! flag. Both must happen within the handshake timeout from the session's creation, or the
//! session fails. A handshake naming another conversation resets the session.

use std::collections::VecDeque;

use super::handshake::{classify, DatagramKind, Handshake, CLOSE_NOTIFY};
use super::segment::diff;
use super::{ConfigError, InputError, Kcp, KcpConfig, SendError, HEADER_LEN, MAX_FRAGMENTS};

/// HP-Socket's ceiling on the pause between two handshakes (`ARQ_MAX_HANDSHAKE_INTERVAL`).
const MAX_HANDSHAKE_INTERVAL: u32 = 2_000;

/// The settings of an ARQ connection: KCP's, plus the handshake timeout. [`Default`] is
/// HP-Socket's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArqConfig {
    /// The KCP settings ([`KcpConfig::hp_socket`] by default).
    pub kcp: KcpConfig,
    /// Milliseconds the handshake may take, both sides' halves (HP-Socket 5,000). A graceful
    /// close waits at most as long for its data to be acknowledged.
    pub handshake_timeout: u32,
}

impl Default for ArqConfig {
    fn default() -> Self {
        ArqConfig {
            kcp: KcpConfig::hp_socket(),
            handshake_timeout: 5_000,
        }
    }
}

impl ArqConfig {
    /// HP-Socket's checks (`TArqAttr::IsValid`) on top of KCP's: a positive flush
    /// interval, a handshake timeout above twice the minimum RTO, an MTU of 72 bytes (three
    /// headers) or more, a non-empty maximum message below 127 segments' worth.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.kcp.validate()?;
        let k = &self.kcp;
        if k.interval == 0 {
            return Err(ConfigError("flush interval must be at least 1 ms"));
        }
        if u64::from(self.handshake_timeout) <= 2 * u64::from(k.min_rto) {
            return Err(ConfigError(
                "handshake timeout must exceed twice the min RTO",
            ));
        }
        if (k.mtu as usize) < 3 * HEADER_LEN {
            return Err(ConfigError("mtu must be at least 72"));
        }
        if k.max_message_size == 0
            || k.max_message_size >= MAX_FRAGMENTS * (k.mtu as usize - HEADER_LEN)
        {
            return Err(ConfigError(
                "max message size must be 1 .. 127 segments of mtu - 24 bytes",
            ));
        }
        Ok(())
    }
}

/// What happened to the session, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The handshake named our ID back: messages can flow (HP-Socket's `OnHandShake`).
    Connected,
    /// The session ended; nothing follows.
    Closed(CloseReason),
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// [`ArqSession::close`] or [`ArqSession::abort`].
    Local,
    /// The peer sent the close notification.
    Peer,
    /// The handshake did not complete in time (HP-Socket: `ERROR_TIMEOUT`).
    HandshakeTimeout,
    /// A segment went unacknowledged `dead_link` times.
    DeadLink,
    /// A graceful close found its data still unacknowledged after the timeout.
    CloseTimeout,
    /// A fatal input error ([`InputError::is_fatal`]).
    Error(InputError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Handshaking,
    Ready,
    /// A graceful close waiting for its data to be acknowledged, since this time.
    Closing(u32),
    Closed(CloseReason),
}

/// One ARQ connection (see the module documentation for the handshake).
///
/// Drive it with [`ArqSession::input`] for each datagram from the peer,
/// [`ArqSession::handle_timeout`] at [`ArqSession::poll_timeout`], and after each call drain
/// [`ArqSession::poll_transmit`] (datagrams to send), [`ArqSession::poll_event`] and
/// [`ArqSession::recv`] (messages). Times are milliseconds on any wrapping `u32` clock.
///
/// ```
/// use hpsocket::arq::{ArqConfig, ArqSession, Event};
/// let cfg = ArqConfig::default();
/// let mut client = ArqSession::new(1, 0, cfg).unwrap();
/// let mut server = ArqSession::new(2, 0, cfg).unwrap();
/// let mut now = 0;
/// while !(client.is_ready() && server.is_ready()) {
///     while let Some(d) = client.poll_transmit() { server.input(now, &d).unwrap(); }
///     while let Some(d) = server.poll_transmit() { client.input(now, &d).unwrap(); }
///     now += 10;
///     client.handle_timeout(now);
///     server.handle_timeout(now);
/// }
/// assert_eq!(client.poll_event(), Some(Event::Connected));
/// client.send(b"ping").unwrap();
/// while let Some(d) = client.poll_transmit() { server.input(now, &d).unwrap(); }
/// assert_eq!(server.recv().as_deref(), Some(&b"ping"[..]));
/// ```
#[derive(Debug)]
pub struct ArqSession {
    kcp: Kcp,
    handshake_timeout: u32,
    interval: u32,
    self_id: u32,
    peer_id: u32,
    created: u32,
    now: u32,
    hs_next: u32,
    hs_count: u32,
    /// The peer said its handshake is complete: ours need not be repeated.
    peer_complete: bool,
    state: State,
    out: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
}

impl ArqSession {
    /// A session whose conversation ID is `self_id` (non-zero; see
    /// [`ConvIds`](super::ConvIds)), created at `now`. Its first handshake is queued at once.
    pub fn new(self_id: u32, now: u32, config: ArqConfig) -> Result<ArqSession, ConfigError> {
        config.validate()?;
        if self_id == 0 {
            return Err(ConfigError("conversation ID 0 means unknown"));
        }
        let kcp = Kcp::new(self_id, config.kcp)?;
        let mut s = ArqSession {
            kcp,
            handshake_timeout: config.handshake_timeout,
            interval: config.kcp.interval.clamp(10, 5_000),
            self_id,
            peer_id: 0,
            created: now,
            now,
            hs_next: now,
            hs_count: 0,
            peer_complete: false,
            state: State::Handshaking,
            out: VecDeque::new(),
            events: VecDeque::new(),
        };
        s.send_handshake(now);
        Ok(s)
    }

    /// Our conversation ID.
    pub fn self_id(&self) -> u32 {
        self.self_id
    }

    /// The peer's conversation ID (0 until its first handshake arrived).
    pub fn peer_id(&self) -> u32 {
        self.peer_id
    }

    /// True between [`Event::Connected`] and the start of a close.
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    /// True once [`Event::Closed`] was queued.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        match self.state {
            State::Closed(r) => Some(r),
            _ => None,
        }
    }

    /// The KCP engine (statistics: RTO, windows, buffered bytes).
    pub fn kcp(&self) -> &Kcp {
        &self.kcp
    }

    /// Segments not yet acknowledged (HP-Socket's `GetWaitingSendMessageCount`).
    pub fn waiting_send(&self) -> usize {
        self.kcp.waiting_send()
    }

    /// Takes in one datagram from the peer at `now`. See [`InputError`] for what refuses a
    /// datagram; a fatal error also closes the session ([`Event::Closed`]).
    pub fn input(&mut self, now: u32, datagram: &[u8]) -> Result<(), InputError> {
        self.now = now;
        if self.is_closed() {
            return Err(InputError::Closed);
        }
        match classify(datagram) {
            DatagramKind::Probe => Ok(()),
            DatagramKind::CloseNotify => {
                self.finish(CloseReason::Peer, false);
                Ok(())
            }
            DatagramKind::Handshake => {
                let hs = Handshake::decode(datagram).map_err(InputError::Handshake)?;
                self.on_handshake(now, hs)
            }
            // Data that overtook the handshake: the peer sends it again (HP-Socket ignores
            // it too).
            DatagramKind::Segments if self.state == State::Handshaking => Ok(()),
            DatagramKind::Segments => match self.kcp.input(now, datagram) {
                Ok(()) => {
                    // Acks go out at once rather than at the next interval (HP-Socket
                    // flushes after every input too).
                    self.kcp.flush(now);
                    self.check_closing(now);
                    Ok(())
                }
                Err(e) => {
                    if e.is_fatal() {
                        self.finish(CloseReason::Error(e), false);
                    }
                    Err(e)
                }
            },
            DatagramKind::Invalid => Err(InputError::InvalidDatagram {
                len: datagram.len(),
            }),
        }
    }

    fn on_handshake(&mut self, now: u32, hs: Handshake) -> Result<(), InputError> {
        let reset = if self.state == State::Handshaking {
            if self.peer_id == 0 {
                self.peer_id = hs.self_id;
                self.hs_next = now;
                self.hs_count = 0;
            }
            if hs.self_id != self.peer_id {
                true
            } else if hs.peer_id == self.self_id {
                self.state = State::Ready;
                self.kcp.set_peer_conv(self.peer_id);
                self.events.push_back(Event::Connected);
                return Ok(());
            } else {
                hs.peer_id != 0
            }
        } else {
            // A peer still asking for our ID long after we both agreed is not the peer we
            // agreed with (HP-Socket allows it for twice the handshake timeout).
            hs.self_id != self.peer_id
                || (hs.peer_id != self.self_id
                    && (hs.peer_id != 0
                        || diff(now, self.created) as i64 > 2 * i64::from(self.handshake_timeout)))
        };
        if reset {
            let e = InputError::Reset { got: hs.self_id };
            self.finish(CloseReason::Error(e), false);
            return Err(e);
        }
        if hs.complete {
            self.peer_complete = true;
        }
        if !self.timed_out(now) {
            self.send_handshake(now);
        }
        Ok(())
    }

    fn timed_out(&self, now: u32) -> bool {
        diff(now, self.created) as i64 > i64::from(self.handshake_timeout)
    }

    /// Sends our handshake if its time has come.
    fn send_handshake(&mut self, now: u32) {
        if diff(now, self.hs_next) < 0 {
            return;
        }
        self.hs_count += 1;
        let pause = self
            .interval
            .saturating_mul(self.hs_count)
            .min(MAX_HANDSHAKE_INTERVAL);
        self.hs_next = now.wrapping_add(pause);
        let hs = Handshake {
            complete: self.state != State::Handshaking,
            self_id: self.self_id,
            peer_id: self.peer_id,
        };
        self.out.push_back(hs.encode().to_vec());
    }

    /// Queues a message; it is written at once as far as the windows allow.
    pub fn send(&mut self, msg: &[u8]) -> Result<(), SendError> {
        match self.state {
            State::Ready => {}
            State::Handshaking => return Err(SendError::NotReady),
            State::Closing(_) | State::Closed(_) => return Err(SendError::Closed),
        }
        if msg.is_empty() {
            return Err(SendError::Empty);
        }
        self.kcp.send(msg)?;
        self.kcp.flush(self.now);
        Ok(())
    }

    /// The next message received, in order. Messages that arrived before a close can still
    /// be taken after it.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        self.kcp.recv()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next datagram to send to the peer.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.out.is_empty() && !self.is_closed() {
            return self.kcp.poll_transmit();
        }
        self.out.pop_front()
    }

    /// When [`ArqSession::handle_timeout`] should run next (`None` once closed).
    pub fn poll_timeout(&self) -> Option<u32> {
        let deadline = |t: u32, d: u32| if diff(d, t) < 0 { d } else { t };
        let hs_deadline = self
            .created
            .wrapping_add(self.handshake_timeout)
            .wrapping_add(1);
        match self.state {
            State::Handshaking => Some(deadline(self.hs_next, hs_deadline)),
            State::Ready => {
                let k = self.kcp.check(self.now);
                Some(if self.peer_complete {
                    k
                } else {
                    deadline(deadline(k, self.hs_next), hs_deadline)
                })
            }
            State::Closing(since) => Some(deadline(
                self.kcp.check(self.now),
                since.wrapping_add(self.handshake_timeout).wrapping_add(1),
            )),
            State::Closed(_) => None,
        }
    }

    /// Runs what is due at `now`: handshake retries and timeout, KCP's flush and
    /// retransmissions, dead-link detection, the end of a graceful close.
    pub fn handle_timeout(&mut self, now: u32) {
        self.now = now;
        match self.state {
            State::Handshaking => {
                if self.timed_out(now) {
                    return self.finish(CloseReason::HandshakeTimeout, false);
                }
                self.send_handshake(now);
            }
            State::Ready => {
                if !self.peer_complete {
                    if self.timed_out(now) {
                        return self.finish(CloseReason::HandshakeTimeout, false);
                    }
                    self.send_handshake(now);
                }
                self.kcp.update(now);
                if self.kcp.is_dead_link() {
                    self.finish(CloseReason::DeadLink, false);
                }
            }
            State::Closing(since) => {
                self.kcp.update(now);
                if self.kcp.is_dead_link() {
                    self.finish(CloseReason::DeadLink, true);
                } else if diff(now, since) as i64 > i64::from(self.handshake_timeout) {
                    self.finish(CloseReason::CloseTimeout, true);
                } else {
                    self.check_closing(now);
                }
            }
            State::Closed(_) => {}
        }
    }

    /// Closes gracefully: nothing more is accepted, what was sent is delivered (until the
    /// handshake timeout passes), then the peer is told.
    pub fn close(&mut self, now: u32) {
        self.now = now;
        match self.state {
            State::Ready => {
                self.state = State::Closing(now);
                self.kcp.flush(now);
                self.check_closing(now);
            }
            State::Handshaking => self.finish(CloseReason::Local, true),
            State::Closing(_) | State::Closed(_) => {}
        }
    }

    /// Closes at once: unsent data is dropped, the peer is told.
    pub fn abort(&mut self) {
        if !self.is_closed() {
            self.finish(CloseReason::Local, true);
        }
    }

    fn check_closing(&mut self, _now: u32) {
        if matches!(self.state, State::Closing(_)) && self.kcp.waiting_send() == 0 {
            self.finish(CloseReason::Local, true);
        }
    }

    fn finish(&mut self, reason: CloseReason, notify: bool) {
        if notify {
            // What KCP still had to say (the last acks) goes before the notification.
            while let Some(d) = self.kcp.poll_transmit() {
                self.out.push_back(d);
            }
            self.out.push_back(CLOSE_NOTIFY.to_vec());
        }
        self.state = State::Closed(reason);
        self.events.push_back(Event::Closed(reason));
    }
}
