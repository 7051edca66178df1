//! The core seen from outside, for the property tests, the differential tests and the fuzz
//! target: runs a byte stream through an endpoint (or the bare frame decoder) in pieces and
//! records what came out as plain values.

use super::frame::{Decoder, FrameSink, Header, MaskRule};
use super::message::{Config, Endpoint, Event, MaskSource, State};
use super::WsError;

/// Deterministic masks (a linear congruential sequence) for reproducible tests.
#[derive(Debug, Clone, Default)]
pub struct CountingMasks(pub u32);

impl MaskSource for CountingMasks {
    fn next_mask(&mut self) -> [u8; 4] {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0.to_le_bytes()
    }
}

/// One recorded event, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rec {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping.
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// The peer's close: code and reason.
    Close(Option<u16>, String),
}

impl Rec {
    /// The owned copy of an event.
    pub fn of(ev: Event<'_>) -> Rec {
        match ev {
            Event::Text(t) => Rec::Text(t.into()),
            Event::Binary(b) => Rec::Binary(b.into()),
            Event::Ping(p) => Rec::Ping(p.into()),
            Event::Pong(p) => Rec::Pong(p.into()),
            Event::Close { code, reason } => Rec::Close(code.map(|c| c.0), reason.into()),
        }
    }
}

/// What [`run`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The events, in order.
    pub events: Vec<Rec>,
    /// The error that stopped the endpoint, if any.
    pub error: Option<WsError>,
    /// Everything the endpoint queued for sending (pongs, closes).
    pub output: Vec<u8>,
    /// The final state.
    pub state: State,
    /// The most memory the endpoint held for receiving between calls.
    pub max_buffered: usize,
}

/// The next piece's length: `cuts` cycled (zeros skipped), the rest when empty.
fn pieces<'d>(data: &'d mut [u8], cuts: &'d [usize]) -> impl Iterator<Item = &'d mut [u8]> {
    let mut cut = cuts.iter().copied().filter(|&n| n > 0).cycle();
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let k = cut.next().unwrap_or(rest.len()).min(rest.len());
        let (now, later) = std::mem::take(&mut rest).split_at_mut(k);
        rest = later;
        Some(now)
    })
}

/// Feeds `data` to an endpoint set up by `config`, in pieces cut at `cuts` (cycled).
pub fn run(config: Config, data: &[u8], cuts: &[usize]) -> Run {
    run_with(Endpoint::new(config, CountingMasks(7)), data, cuts)
}

/// Feeds `data` to `ep` in pieces cut at `cuts` (cycled).
pub fn run_with<M: MaskSource>(mut ep: Endpoint<M>, data: &[u8], cuts: &[usize]) -> Run {
    let mut data = data.to_vec();
    let mut events = Vec::new();
    let mut error = None;
    let mut max_buffered = 0;
    for piece in pieces(&mut data, cuts) {
        let r = ep.feed(piece, |ev| {
            events.push(Rec::of(ev));
            Ok(())
        });
        max_buffered = max_buffered.max(ep.buffered());
        if let Err(e) = r {
            error = Some(e);
            break;
        }
    }
    Run {
        events,
        error,
        output: ep.take_output(),
        state: ep.state(),
        max_buffered,
    }
}

/// What [`run_frames`] saw: each frame's header and merged body, whether it completed, and
/// the error that stopped the decoder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frames {
    /// Header, body and completion of each frame, in order.
    pub frames: Vec<(Header, Vec<u8>, bool)>,
    /// The structural error, if any.
    pub error: Option<WsError>,
}

impl FrameSink for Frames {
    fn on_header(&mut self, h: &Header) -> Result<(), WsError> {
        assert!(
            self.frames.last().is_none_or(|f| f.2),
            "header inside a frame"
        );
        self.frames.push((*h, Vec::new(), false));
        Ok(())
    }
    fn on_body(&mut self, h: &Header, data: &[u8]) -> Result<(), WsError> {
        assert!(!data.is_empty(), "empty body piece");
        let f = self.frames.last_mut().expect("a frame");
        assert_eq!(f.0, *h);
        f.1.extend_from_slice(data);
        assert!(f.1.len() as u64 <= h.len);
        Ok(())
    }
    fn on_complete(&mut self, h: &Header) -> Result<(), WsError> {
        let f = self.frames.last_mut().expect("a frame");
        assert_eq!(f.1.len() as u64, h.len);
        f.2 = true;
        Ok(())
    }
}

/// Feeds `data` to a bare frame decoder in pieces cut at `cuts` (cycled).
pub fn run_frames(max_frame_size: usize, rule: MaskRule, data: &[u8], cuts: &[usize]) -> Frames {
    let mut d = Decoder::new(max_frame_size, rule);
    let mut rec = Frames::default();
    let mut data = data.to_vec();
    for piece in pieces(&mut data, cuts) {
        if let Err(e) = d.feed(piece, &mut rec) {
            rec.error = Some(e);
            break;
        }
        assert!(d.buffered() < super::frame::MAX_HEADER_LEN);
    }
    rec
}
