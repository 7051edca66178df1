//! The KCP protocol engine (message mode): sequence numbers, acknowledgements, windows,
//! retransmission (by timeout and by duplicate acks), congestion control and window probing.
//! Wire-compatible with ikcp; written from the protocol's rules, not from its source.

use std::collections::VecDeque;

use super::segment::{diff, Command, Header, Segments, HEADER_LEN};
use super::{ConfigError, InputError, KcpConfig, SendError};

/// ikcp's `IKCP_WND_RCV`: a message may have at most 127 fragments, so that it fits the
/// smallest receive window any peer may have.
pub(crate) const MAX_FRAGMENTS: usize = 127;
const RTO_DEFAULT: u32 = 200;
const RTO_MAX: u32 = 60_000;
const THRESH_INIT: u32 = 2;
const THRESH_MIN: u32 = 2;
const PROBE_INIT: u32 = 7_000;
const PROBE_LIMIT: u32 = 120_000;
const ASK_SEND: u8 = 1;
const ASK_TELL: u8 = 2;
/// Largest UDP payload: no datagram a socket delivers is longer.
pub const MAX_DATAGRAM: usize = 65_507;
/// The window a peer is assumed to have until it tells its own.
const DEFAULT_REMOTE_WINDOW: u32 = 128;

struct InFlight {
    sn: u32,
    frg: u8,
    ts: u32,
    resend_at: u32,
    rto: u32,
    fastack: u32,
    xmit: u32,
    data: Vec<u8>,
}

struct Fragment {
    sn: u32,
    frg: u8,
    data: Vec<u8>,
}

/// One KCP conversation: messages in ([`Kcp::send`]), datagrams out ([`Kcp::poll_transmit`]),
/// datagrams in ([`Kcp::input`]), messages out ([`Kcp::recv`]). It owns no socket and reads
/// no clock: every call that needs the time takes it, in milliseconds (any epoch, wrapping).
///
/// Drive it like ikcp: call [`Kcp::update`] at [`Kcp::check`]'s time (or every interval),
/// [`Kcp::flush`] after `send` / `input` to answer at once, and drain `poll_transmit`.
///
/// ```
/// use hpsocket::arq::{Kcp, KcpConfig};
/// // With congestion control on, the first flush sends nothing: the window opens after it.
/// let cfg = KcpConfig { no_congestion_control: true, ..KcpConfig::default() };
/// let mut a = Kcp::new(1, cfg).unwrap();
/// let mut b = Kcp::new(1, cfg).unwrap();
/// a.send(b"hello").unwrap();
/// a.flush(0);
/// while let Some(d) = a.poll_transmit() {
///     b.input(0, &d).unwrap();
/// }
/// assert_eq!(b.recv().as_deref(), Some(&b"hello"[..]));
/// ```
pub struct Kcp {
    conv: u32,
    peer_conv: u32,
    mtu: usize,
    mss: usize,
    max_message: usize,
    send_limit: usize,
    dead_link: u32,
    dead: bool,
    /// The fatal input error that ended the conversation, repeated to every later input.
    broken: Option<InputError>,

    snd_una: u32,
    snd_nxt: u32,
    rcv_nxt: u32,
    snd_wnd: u32,
    rcv_wnd: u32,
    rmt_wnd: u32,
    cwnd: u32,
    ssthresh: u32,
    incr: usize,

    srtt: u32,
    rttval: u32,
    rto: u32,
    min_rto: u32,
    nodelay: bool,
    nocwnd: bool,
    fast_resend: u32,
    fast_limit: u32,
    interval: u32,

    current: u32,
    updated: bool,
    ts_flush: u32,
    probe: u8,
    ts_probe: u32,
    probe_wait: u32,
    retransmits: u64,

    snd_queue: VecDeque<(u8, Vec<u8>)>,
    snd_buf: VecDeque<InFlight>,
    pending_bytes: usize,
    rcv_buf: VecDeque<Fragment>,
    rcv_queue: VecDeque<Fragment>,
    acks: Vec<(u32, u32)>,

    datagram: Vec<u8>,
    out: VecDeque<Vec<u8>>,
}

impl Kcp {
    /// A conversation `conv` (the ID its segments carry and expect), checked settings.
    pub fn new(conv: u32, config: KcpConfig) -> Result<Kcp, ConfigError> {
        config.validate()?;
        let mtu = config.mtu as usize;
        let mss = mtu - HEADER_LEN;
        Ok(Kcp {
            conv,
            peer_conv: conv,
            mtu,
            mss,
            max_message: config.max_message_size,
            send_limit: config.send_queue_limit,
            dead_link: config.dead_link,
            dead: false,
            broken: None,
            snd_una: 0,
            snd_nxt: 0,
            rcv_nxt: 0,
            snd_wnd: config.send_window.into(),
            rcv_wnd: u32::from(config.recv_window).max(MAX_FRAGMENTS as u32 + 1),
            rmt_wnd: DEFAULT_REMOTE_WINDOW,
            cwnd: 0,
            ssthresh: THRESH_INIT,
            incr: 0,
            srtt: 0,
            rttval: 0,
            rto: RTO_DEFAULT,
            min_rto: config.min_rto,
            nodelay: config.no_delay,
            nocwnd: config.no_congestion_control,
            fast_resend: config.fast_resend,
            fast_limit: config.fast_limit,
            interval: config.interval.clamp(10, 5_000),
            current: 0,
            updated: false,
            ts_flush: 0,
            probe: 0,
            ts_probe: 0,
            probe_wait: 0,
            retransmits: 0,
            snd_queue: VecDeque::new(),
            snd_buf: VecDeque::new(),
            pending_bytes: 0,
            rcv_buf: VecDeque::new(),
            rcv_queue: VecDeque::new(),
            acks: Vec::new(),
            datagram: Vec::with_capacity(mtu),
            out: VecDeque::new(),
        })
    }

    /// The conversation ID this side writes into its segments.
    pub fn conv(&self) -> u32 {
        self.conv
    }

    /// The conversation ID accepted on incoming segments (the same as [`Kcp::conv`] unless
    /// [`Kcp::set_peer_conv`] changed it).
    pub fn peer_conv(&self) -> u32 {
        self.peer_conv
    }

    /// Accept segments carrying `conv` instead of our own: HP-Socket's ARQ gives each side
    /// its own conversation ID, and each writes its own into what it sends.
    pub fn set_peer_conv(&mut self, conv: u32) {
        self.peer_conv = conv;
    }

    /// Largest message [`Kcp::send`] accepts and [`Kcp::recv`] delivers.
    pub fn max_message_size(&self) -> usize {
        self.max_message
    }

    /// Payload bytes per segment (MTU minus the 24-byte header).
    pub fn mss(&self) -> usize {
        self.mss
    }

    /// Segments not yet acknowledged: queued plus in flight (ikcp's `ikcp_waitsnd`,
    /// HP-Socket's `GetWaitingSendMessageCount`).
    pub fn waiting_send(&self) -> usize {
        self.snd_queue.len() + self.snd_buf.len()
    }

    /// Message bytes accepted by `send` and not yet acknowledged.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// True once a segment was sent `dead_link` times without being acknowledged: the
    /// peer is gone (ikcp's `state == -1`). The core keeps working; its owner decides.
    pub fn is_dead_link(&self) -> bool {
        self.dead
    }

    /// The current retransmission timeout, in milliseconds.
    pub fn rto(&self) -> u32 {
        self.rto
    }

    /// Segments retransmitted so far (by timeout or fast retransmit).
    pub fn retransmits(&self) -> u64 {
        self.retransmits
    }

    /// Fragments held for reassembly and delivery: never more than twice the receive
    /// window (`rcv_buf` + `rcv_queue`).
    pub fn buffered_segments(&self) -> usize {
        self.rcv_buf.len() + self.rcv_queue.len()
    }

    /// Bytes of payload held on the receive side (see [`Kcp::buffered_segments`]).
    pub fn buffered_bytes(&self) -> usize {
        self.rcv_buf
            .iter()
            .chain(&self.rcv_queue)
            .map(|f| f.data.len())
            .sum()
    }

    /// Queues one message (split into at most 127 fragments of `mss` bytes). An empty
    /// message is one empty segment, delivered as an empty message.
    pub fn send(&mut self, msg: &[u8]) -> Result<(), SendError> {
        if msg.len() > self.max_message {
            return Err(SendError::TooLarge {
                len: msg.len(),
                max: self.max_message,
            });
        }
        if self.pending_bytes + msg.len() > self.send_limit {
            return Err(SendError::QueueFull {
                pending: self.pending_bytes,
                limit: self.send_limit,
            });
        }
        let count = msg.len().div_ceil(self.mss).max(1);
        debug_assert!(count <= MAX_FRAGMENTS);
        if msg.is_empty() {
            self.snd_queue.push_back((0, Vec::new()));
        }
        for (i, chunk) in msg.chunks(self.mss).enumerate() {
            self.snd_queue
                .push_back(((count - 1 - i) as u8, chunk.to_vec()));
        }
        self.pending_bytes += msg.len();
        Ok(())
    }

    /// Size of the next whole message, if one is ready.
    pub fn peek_size(&self) -> Option<usize> {
        if self.broken.is_some() {
            return None;
        }
        let end = self.rcv_queue.iter().position(|f| f.frg == 0)?;
        Some(self.rcv_queue.range(..=end).map(|f| f.data.len()).sum())
    }

    /// The next whole message, in order, once all its fragments arrived (none after a
    /// fatal input error).
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        let size = self.peek_size()?;
        let was_full = self.rcv_queue.len() >= self.rcv_wnd as usize;
        let mut msg = Vec::with_capacity(size);
        while let Some(f) = self.rcv_queue.pop_front() {
            msg.extend_from_slice(&f.data);
            if f.frg == 0 {
                break;
            }
        }
        self.move_ready();
        // The peer stopped sending on our zero window: tell it at the next flush that
        // there is room again instead of waiting for its probe.
        if was_full && self.rcv_queue.len() < self.rcv_wnd as usize {
            self.probe |= ASK_TELL;
        }
        Some(msg)
    }

    /// Takes in one datagram. A datagram that is not entirely acceptable is refused whole
    /// and changes nothing (see [`InputError`]), except [`InputError::MessageTooLarge`],
    /// which is detected after reassembly and leaves the conversation unusable.
    pub fn input(&mut self, now: u32, datagram: &[u8]) -> Result<(), InputError> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        self.validate(datagram)?;
        self.current = now;
        let prev_una = self.snd_una;
        let mut max_ack: Option<(u32, u32)> = None;
        for seg in Segments::new(datagram) {
            let (h, payload) = seg.expect("validated");
            self.rmt_wnd = h.wnd.into();
            self.ack_una(h.una);
            match h.cmd {
                Command::Ack => {
                    let rtt = diff(now, h.ts);
                    if (0..=RTO_MAX as i32).contains(&rtt) {
                        self.sample_rtt(rtt as u32);
                    }
                    self.ack_one(h.sn);
                    // The conservative rule of newer ikcp (`IKCP_FASTACK_CONSERVE`, the
                    // `kcp` crate's default): only a later ack of a later send counts.
                    if max_ack.is_none_or(|(sn, ts)| diff(h.sn, sn) > 0 && diff(h.ts, ts) > 0) {
                        max_ack = Some((h.sn, h.ts));
                    }
                }
                Command::Push => {
                    self.push_ack(h.sn, h.ts);
                    if diff(h.sn, self.rcv_nxt) >= 0 {
                        self.store(h.sn, h.frg, payload);
                    }
                }
                Command::WindowAsk => self.probe |= ASK_TELL,
                Command::WindowTell => {}
            }
        }
        if let Some((sn, ts)) = max_ack {
            self.count_fastack(sn, ts);
        }
        if diff(self.snd_una, prev_una) > 0 {
            self.grow_cwnd();
        }
        let r = self.check_head_message();
        self.broken = r.err();
        r
    }

    /// Every check of `input` that can refuse a datagram, run before anything changes.
    fn validate(&self, datagram: &[u8]) -> Result<(), InputError> {
        if datagram.len() > MAX_DATAGRAM {
            return Err(InputError::DatagramTooLarge {
                len: datagram.len(),
            });
        }
        if datagram.is_empty() {
            return Err(InputError::Segment(super::SegmentError::Truncated {
                have: 0,
            }));
        }
        for seg in Segments::new(datagram) {
            let (h, _) = seg?;
            if h.conv != self.peer_conv {
                return Err(InputError::WrongConversation {
                    expected: self.peer_conv,
                    got: h.conv,
                });
            }
            if diff(h.una, self.snd_nxt) > 0 {
                return Err(InputError::AckOfUnsent {
                    sn: h.una,
                    next: self.snd_nxt,
                });
            }
            match h.cmd {
                Command::Ack if diff(h.sn, self.snd_nxt) >= 0 => {
                    return Err(InputError::AckOfUnsent {
                        sn: h.sn,
                        next: self.snd_nxt,
                    })
                }
                Command::Push => {
                    if diff(h.sn, self.rcv_nxt.wrapping_add(self.rcv_wnd)) >= 0 {
                        return Err(InputError::OutsideWindow {
                            sn: h.sn,
                            next: self.rcv_nxt,
                            window: self.rcv_wnd,
                        });
                    }
                    if usize::from(h.frg) >= MAX_FRAGMENTS {
                        return Err(InputError::TooManyFragments { frg: h.frg });
                    }
                    if h.len as usize > self.max_message {
                        return Err(InputError::SegmentTooLarge {
                            len: h.len,
                            max: self.max_message,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The message at the head of the queue must be able to complete within the window
    /// and the size limit; otherwise the peer broke the protocol and nothing further can
    /// be delivered.
    fn check_head_message(&self) -> Result<(), InputError> {
        let mut size = 0usize;
        for (i, f) in self.rcv_queue.iter().enumerate() {
            size += f.data.len();
            if size > self.max_message {
                return Err(InputError::MessageTooLarge {
                    max: self.max_message,
                });
            }
            if f.frg == 0 {
                return Ok(());
            }
            if i + 1 >= MAX_FRAGMENTS {
                return Err(InputError::MessageTooLarge {
                    max: self.max_message,
                });
            }
        }
        Ok(())
    }

    fn sample_rtt(&mut self, rtt: u32) {
        if self.srtt == 0 {
            self.srtt = rtt;
            self.rttval = rtt / 2;
        } else {
            let delta = rtt.abs_diff(self.srtt);
            self.rttval = (3 * self.rttval + delta) / 4;
            self.srtt = ((7 * self.srtt + rtt) / 8).max(1);
        }
        let rto = self.srtt + self.interval.max(4 * self.rttval);
        self.rto = rto.clamp(self.min_rto, RTO_MAX);
    }

    /// Everything below `una` arrived at the peer.
    fn ack_una(&mut self, una: u32) {
        while let Some(s) = self.snd_buf.front() {
            if diff(una, s.sn) <= 0 {
                break;
            }
            let s = self.snd_buf.pop_front().expect("front");
            self.pending_bytes -= s.data.len();
        }
        self.shrink();
    }

    fn ack_one(&mut self, sn: u32) {
        if diff(sn, self.snd_una) < 0 || diff(sn, self.snd_nxt) >= 0 {
            return;
        }
        let base = self.snd_una;
        if let Ok(i) = self
            .snd_buf
            .binary_search_by_key(&sn.wrapping_sub(base), |s| s.sn.wrapping_sub(base))
        {
            let s = self.snd_buf.remove(i).expect("found");
            self.pending_bytes -= s.data.len();
        }
        self.shrink();
    }

    fn shrink(&mut self) {
        self.snd_una = self.snd_buf.front().map_or(self.snd_nxt, |s| s.sn);
    }

    /// Segments below the highest acknowledged one, and last sent no later than it, were
    /// skipped by one more ack. A segment resent after it was not: counting it would
    /// resend it again for nothing.
    fn count_fastack(&mut self, sn: u32, ts: u32) {
        if diff(sn, self.snd_una) < 0 || diff(sn, self.snd_nxt) >= 0 {
            return;
        }
        for s in self.snd_buf.iter_mut() {
            if diff(sn, s.sn) <= 0 {
                break;
            }
            if diff(ts, s.ts) >= 0 {
                s.fastack += 1;
            }
        }
    }

    fn grow_cwnd(&mut self) {
        if self.cwnd >= self.rmt_wnd {
            return;
        }
        let mss = self.mss;
        if self.cwnd < self.ssthresh {
            self.cwnd += 1;
            self.incr += mss;
        } else {
            self.incr = self.incr.max(mss);
            self.incr += mss * mss / self.incr + mss / 16;
            if (self.cwnd as usize + 1) * mss <= self.incr {
                self.cwnd = self.incr.div_ceil(mss) as u32;
            }
        }
        if self.cwnd > self.rmt_wnd {
            self.cwnd = self.rmt_wnd;
            self.incr = self.rmt_wnd as usize * mss;
        }
    }

    /// Remembers an ack to send. Bounded: past twice the window further acks are dropped,
    /// which costs the peer one retransmission, as a lost ack would.
    fn push_ack(&mut self, sn: u32, ts: u32) {
        if self.acks.len() < 2 * self.rcv_wnd as usize {
            self.acks.push((sn, ts));
        }
    }

    fn store(&mut self, sn: u32, frg: u8, payload: &[u8]) {
        let base = self.rcv_nxt;
        let key = sn.wrapping_sub(base);
        if let Err(i) = self
            .rcv_buf
            .binary_search_by_key(&key, |f| f.sn.wrapping_sub(base))
        {
            self.rcv_buf.insert(
                i,
                Fragment {
                    sn,
                    frg,
                    data: payload.to_vec(),
                },
            );
        }
        self.move_ready();
    }

    /// Moves the in-order fragments to the delivery queue while it has room.
    fn move_ready(&mut self) {
        while self.rcv_queue.len() < self.rcv_wnd as usize {
            match self.rcv_buf.front() {
                Some(f) if f.sn == self.rcv_nxt => {
                    let f = self.rcv_buf.pop_front().expect("front");
                    self.rcv_queue.push_back(f);
                    self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
                }
                _ => break,
            }
        }
    }

    fn window_unused(&self) -> u16 {
        self.rcv_wnd.saturating_sub(self.rcv_queue.len() as u32) as u16
    }

    /// Next datagram to send, oldest first.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// Datagrams waiting in [`Kcp::poll_transmit`].
    pub fn transmit_queue_len(&self) -> usize {
        self.out.len()
    }

    /// Advances the clock; flushes when the flush interval is due (ikcp's `ikcp_update`).
    pub fn update(&mut self, now: u32) {
        self.current = now;
        if !self.updated {
            self.updated = true;
            self.ts_flush = now;
        }
        let mut slap = diff(now, self.ts_flush);
        if !(-10_000..10_000).contains(&slap) {
            self.ts_flush = now;
            slap = 0;
        }
        if slap >= 0 {
            self.ts_flush = self.ts_flush.wrapping_add(self.interval);
            if diff(now, self.ts_flush) >= 0 {
                self.ts_flush = now.wrapping_add(self.interval);
            }
            self.flush(now);
        }
    }

    /// When [`Kcp::update`] should run next, given the time now (ikcp's `ikcp_check`):
    /// the flush interval or the earliest retransmission, whichever is first.
    pub fn check(&self, now: u32) -> u32 {
        if !self.updated {
            return now;
        }
        let mut ts_flush = self.ts_flush;
        if !(-10_000..10_000).contains(&diff(now, ts_flush)) {
            ts_flush = now;
        }
        if diff(now, ts_flush) >= 0 {
            return now;
        }
        let mut minimal = diff(ts_flush, now) as u32;
        for s in &self.snd_buf {
            let d = diff(s.resend_at, now);
            if d <= 0 {
                return now;
            }
            minimal = minimal.min(d as u32);
        }
        now.wrapping_add(minimal.min(self.interval))
    }

    /// Writes what is due now: acks, window probes, new segments the windows allow,
    /// retransmissions (ikcp's `ikcp_flush`).
    pub fn flush(&mut self, now: u32) {
        self.current = now;
        if !self.updated {
            self.updated = true;
            self.ts_flush = now;
        }
        let wnd = self.window_unused();
        let mut ctl = Header {
            conv: self.conv,
            cmd: Command::Ack,
            frg: 0,
            wnd,
            ts: 0,
            sn: 0,
            una: self.rcv_nxt,
            len: 0,
        };
        for (sn, ts) in std::mem::take(&mut self.acks) {
            ctl.sn = sn;
            ctl.ts = ts;
            self.write(&ctl, &[]);
        }
        ctl.sn = 0;
        ctl.ts = 0;

        if self.rmt_wnd == 0 {
            if self.probe_wait == 0 {
                self.probe_wait = PROBE_INIT;
                self.ts_probe = now.wrapping_add(self.probe_wait);
            } else if diff(now, self.ts_probe) >= 0 {
                self.probe_wait = self.probe_wait.max(PROBE_INIT);
                self.probe_wait = (self.probe_wait + self.probe_wait / 2).min(PROBE_LIMIT);
                self.ts_probe = now.wrapping_add(self.probe_wait);
                self.probe |= ASK_SEND;
            }
        } else {
            self.ts_probe = 0;
            self.probe_wait = 0;
        }
        if self.probe & ASK_SEND != 0 {
            ctl.cmd = Command::WindowAsk;
            self.write(&ctl, &[]);
        }
        if self.probe & ASK_TELL != 0 {
            ctl.cmd = Command::WindowTell;
            self.write(&ctl, &[]);
        }
        self.probe = 0;

        let mut cwnd = self.snd_wnd.min(self.rmt_wnd);
        if !self.nocwnd {
            cwnd = cwnd.min(self.cwnd);
        }
        while diff(self.snd_nxt, self.snd_una.wrapping_add(cwnd)) < 0 {
            let Some((frg, data)) = self.snd_queue.pop_front() else {
                break;
            };
            self.snd_buf.push_back(InFlight {
                sn: self.snd_nxt,
                frg,
                ts: now,
                resend_at: now,
                rto: self.rto,
                fastack: 0,
                xmit: 0,
                data,
            });
            self.snd_nxt = self.snd_nxt.wrapping_add(1);
        }

        let resent = if self.fast_resend > 0 {
            self.fast_resend
        } else {
            u32::MAX
        };
        let rtomin = if self.nodelay { 0 } else { self.rto >> 3 };
        let (mut change, mut lost) = (0u32, false);
        let mut seg = ctl;
        seg.cmd = Command::Push;
        for i in 0..self.snd_buf.len() {
            let s = &mut self.snd_buf[i];
            let send = if s.xmit == 0 {
                s.rto = self.rto;
                s.resend_at = now.wrapping_add(s.rto + rtomin);
                true
            } else if diff(now, s.resend_at) >= 0 {
                s.rto += if self.nodelay {
                    s.rto / 2
                } else {
                    s.rto.max(self.rto)
                };
                s.resend_at = now.wrapping_add(s.rto);
                lost = true;
                self.retransmits += 1;
                true
            } else if s.fastack >= resent && (s.xmit <= self.fast_limit || self.fast_limit == 0) {
                s.fastack = 0;
                s.resend_at = now.wrapping_add(s.rto);
                change += 1;
                self.retransmits += 1;
                true
            } else {
                false
            };
            if send {
                s.xmit += 1;
                s.ts = now;
                if s.xmit >= self.dead_link {
                    self.dead = true;
                }
                seg.frg = s.frg;
                seg.ts = s.ts;
                seg.sn = s.sn;
                seg.len = s.data.len() as u32;
                let data = std::mem::take(&mut self.snd_buf[i].data);
                self.write(&seg, &data);
                self.snd_buf[i].data = data;
            }
        }
        self.emit();

        if change > 0 {
            let inflight = self.snd_nxt.wrapping_sub(self.snd_una);
            self.ssthresh = (inflight / 2).max(THRESH_MIN);
            self.cwnd = self.ssthresh.saturating_add(resent);
            self.incr = self.cwnd as usize * self.mss;
        }
        if lost {
            self.ssthresh = (cwnd / 2).max(THRESH_MIN);
            self.cwnd = 1;
            self.incr = self.mss;
        }
        if self.cwnd < 1 {
            self.cwnd = 1;
            self.incr = self.mss;
        }
    }

    /// Appends a segment to the datagram being built, sending that one first when the
    /// segment would not fit the MTU.
    fn write(&mut self, h: &Header, data: &[u8]) {
        if self.datagram.len() + HEADER_LEN + data.len() > self.mtu {
            self.emit();
        }
        h.encode(&mut self.datagram);
        self.datagram.extend_from_slice(data);
    }

    /// Queues the datagram being built. The queue is bounded (its owner drains it after
    /// every call); past the bound the oldest datagram is dropped, which the protocol
    /// recovers from like any loss.
    fn emit(&mut self) {
        if self.datagram.is_empty() {
            return;
        }
        let limit = 4 * (self.snd_wnd + self.rcv_wnd) as usize + 16;
        if self.out.len() >= limit {
            self.out.pop_front();
        }
        let d = std::mem::replace(&mut self.datagram, Vec::with_capacity(self.mtu));
        self.out.push_back(d);
    }
}

impl std::fmt::Debug for Kcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kcp")
            .field("conv", &self.conv)
            .field("peer_conv", &self.peer_conv)
            .field("snd_una", &self.snd_una)
            .field("snd_nxt", &self.snd_nxt)
            .field("rcv_nxt", &self.rcv_nxt)
            .field("cwnd", &self.cwnd)
            .field("rmt_wnd", &self.rmt_wnd)
            .field("rto", &self.rto)
            .field("snd_queue", &self.snd_queue.len())
            .field("snd_buf", &self.snd_buf.len())
            .field("rcv_buf", &self.rcv_buf.len())
            .field("rcv_queue", &self.rcv_queue.len())
            .field("dead", &self.dead)
            .finish()
    }
}
