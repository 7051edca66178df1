//! The upper half of a session: the receive model's state on the worker's side.
//!
//! PUSH keeps nothing; PACK keeps its framer (the packet being assembled and packets a pause
//! held back); HTTP its parser (`http.rs`); PULL's buffer lives in the session itself because `fetch` may come from any
//! thread.

use crate::cores::http::Kind;
use crate::cores::pack::{Flow, Framer};
use crate::model::ModelKind;
use crate::session::http::HttpRx;
use crate::session::Settings;

pub(crate) struct Receiver {
    framer: Option<Framer>,
    /// HTTP: the parser (requests on a server, responses on agents and clients).
    pub http: Option<Box<HttpRx>>,
}

impl Receiver {
    pub fn new(s: &Settings, server: bool) -> Receiver {
        let kind = if server {
            Kind::Request
        } else {
            Kind::Response
        };
        Receiver {
            framer: (s.model == ModelKind::Pack).then(|| Framer::new(s.pack_max, s.pack_flag)),
            http: (s.model == ModelKind::Http).then(|| Box::new(HttpRx::new(kind, s.http_limits))),
        }
    }

    /// PACK: bytes held back (a partial packet, or whole packets a pause kept); HTTP: an
    /// unfinished head.
    pub fn buffered(&self) -> usize {
        self.framer.as_ref().map_or(0, |f| f.buffered())
            + self.http.as_ref().map_or(0, |h| h.buffered())
    }

    /// PACK: feeds bytes to the framer; `packet` is called for each whole packet and returns
    /// true to hold the rest. `Ok(true)`: held; `Err`: the framing error's errno.
    pub fn push_packets(
        &mut self,
        input: &[u8],
        packet: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<bool, i32> {
        let Some(f) = self.framer.as_mut() else {
            return Ok(false);
        };
        match f.push(input, |p| {
            if packet(p) {
                Flow::Hold
            } else {
                Flow::Continue
            }
        }) {
            Ok(Flow::Hold) => Ok(true),
            Ok(Flow::Continue) => Ok(false),
            Err(e) => Err(e.errno()),
        }
    }
}
