//! permessage-deflate (RFC 7692): negotiation of its parameters, and the per-message
//! compressor and decompressor (raw DEFLATE through `flate2` on `zlib-rs`).
//!
//! A message is compressed whole and ended with a sync flush, whose closing `00 00 ff ff` is
//! stripped; the receiver appends it again before inflating. RSV1 marks the first frame of a
//! compressed message only.
//!
//! Window sizes: zlib (and so `zlib-rs`) cannot deflate with a 256-byte window (8 bits; it
//! silently uses 9), so we never agree to compress with fewer than 9 bits: a server declines an
//! offer carrying `server_max_window_bits=8`, a client fails a response carrying
//! `client_max_window_bits=8`. We always inflate with the largest window (15), which reads
//! any peer's output, so we never ask a peer to shrink its window.
//!
//! A message that ends a DEFLATE stream (a block with BFINAL set, which RFC 7692 allows)
//! resets the decompressor after that message.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::handshake::{HandshakeError, Param};
use super::WsError;

/// The extension's name in `Sec-WebSocket-Extensions`.
pub const NAME: &str = "permessage-deflate";
/// The bytes a sync flush ends with, stripped from each compressed message.
const TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// What we want from permessage-deflate, on either side of the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateConfig {
    /// Reset our compressor after each message (costs ratio, saves nothing here but makes
    /// each message decodable alone). Announced as `server_no_context_takeover` by a server,
    /// `client_no_context_takeover` by a client.
    pub no_context_takeover: bool,
    /// Ask the peer to reset its compressor after each message.
    pub request_no_context_takeover: bool,
    /// Our compressor's window, 9..=15 bits (out of range values are clamped).
    pub max_window_bits: u8,
    /// The compression level, 0..=9.
    pub level: u32,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            no_context_takeover: false,
            request_no_context_takeover: false,
            max_window_bits: 15,
            level: 6,
        }
    }
}

/// What the handshake agreed on, from one endpoint's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// Our compressor resets after each message.
    pub local_no_context_takeover: bool,
    /// Our compressor's window, 9..=15 bits.
    pub local_max_window_bits: u8,
    /// The peer's compressor resets after each message (so does our decompressor).
    pub remote_no_context_takeover: bool,
    /// Our compression level, 0..=9.
    pub level: u32,
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            local_no_context_takeover: false,
            local_max_window_bits: 15,
            remote_no_context_takeover: false,
            level: 6,
        }
    }
}

/// The parameters of one offer or answer, each at most once.
#[derive(Debug, Default)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value.
    client_max_window_bits: Option<Option<u8>>,
}

fn window_bits(v: Option<&str>) -> Option<u8> {
    let v = v?;
    // A value is 1*DIGIT without leading zeros, 8..=15.
    if v.starts_with('0') {
        return None;
    }
    v.parse::<u8>().ok().filter(|b| (8..=15).contains(b))
}

/// Parses the parameters; `None` if one is unknown, repeated or malformed.
fn parse(params: &[Param]) -> Option<Parsed> {
    let mut p = Parsed::default();
    for (name, value) in params {
        let value = value.as_deref();
        match name.to_ascii_lowercase().as_str() {
            "server_no_context_takeover" if value.is_none() && !p.server_no_context_takeover => {
                p.server_no_context_takeover = true
            }
            "client_no_context_takeover" if value.is_none() && !p.client_no_context_takeover => {
                p.client_no_context_takeover = true
            }
            "server_max_window_bits" if p.server_max_window_bits.is_none() => {
                p.server_max_window_bits = Some(window_bits(value)?)
            }
            "client_max_window_bits" if p.client_max_window_bits.is_none() => {
                p.client_max_window_bits = Some(match value {
                    None => None,
                    v => Some(window_bits(v)?),
                })
            }
            _ => return None,
        }
    }
    Some(p)
}

impl DeflateConfig {
    fn bits(&self) -> u8 {
        self.max_window_bits.clamp(9, 15)
    }

    /// Client: our offer, the value of `Sec-WebSocket-Extensions`.
    pub fn offer(&self) -> String {
        let mut s = String::from(NAME);
        if self.no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if self.request_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        match self.bits() {
            15 => s.push_str("; client_max_window_bits"),
            b => s.push_str(&format!("; client_max_window_bits={b}")),
        }
        s
    }

    /// Server: accepts one permessage-deflate offer's parameters if we can honour them,
    /// giving the agreed parameters and the response's extension value.
    pub fn accept(&self, params: &[Param]) -> Option<(DeflateParams, String)> {
        let p = parse(params)?;
        let mut bits = self.bits();
        if let Some(asked) = p.server_max_window_bits {
            if asked < 9 {
                return None;
            }
            bits = bits.min(asked);
        }
        let agreed = DeflateParams {
            local_no_context_takeover: self.no_context_takeover || p.server_no_context_takeover,
            local_max_window_bits: bits,
            // The client's hint that it resets anyway is echoed, so both sides agree.
            remote_no_context_takeover: self.request_no_context_takeover
                || p.client_no_context_takeover,
            level: self.level.min(9),
        };
        let mut s = String::from(NAME);
        if agreed.local_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if agreed.remote_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if p.server_max_window_bits.is_some() || bits < 15 {
            s.push_str(&format!("; server_max_window_bits={bits}"));
        }
        Some((agreed, s))
    }

    /// Client: checks the server's answer to our [`DeflateConfig::offer`].
    pub fn check_answer(&self, params: &[Param]) -> Result<DeflateParams, HandshakeError> {
        let p = parse(params).ok_or(HandshakeError::BadExtension)?;
        if self.request_no_context_takeover && !p.server_no_context_takeover {
            return Err(HandshakeError::BadExtension);
        }
        let mut bits = self.bits();
        if let Some(limit) = p.client_max_window_bits {
            // We offered the parameter; the answer must carry a value within ours.
            let limit = limit.ok_or(HandshakeError::BadExtension)?;
            if limit < 9 || limit > bits {
                return Err(HandshakeError::BadExtension);
            }
            bits = limit;
        }
        Ok(DeflateParams {
            local_no_context_takeover: self.no_context_takeover || p.client_no_context_takeover,
            local_max_window_bits: bits,
            remote_no_context_takeover: p.server_no_context_takeover,
            level: self.level.min(9),
        })
    }
}

/// Grows `buf`'s capacity so that `want` more bytes fit, never past `cap` in total.
fn reserve_within(buf: &mut Vec<u8>, want: usize, cap: usize) {
    let goal = buf.len().saturating_add(want).min(cap);
    if goal > buf.capacity() {
        // At least double (amortized), but never past the cap.
        let target = goal.max(buf.capacity().saturating_mul(2)).min(cap);
        buf.reserve_exact(target - buf.len());
    }
}

/// Compresses outgoing messages.
pub(crate) struct Compressor {
    z: Compress,
    reset: bool,
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor")
            .field("reset", &self.reset)
            .finish()
    }
}

impl Compressor {
    pub fn new(p: &DeflateParams) -> Compressor {
        Compressor {
            z: Compress::new_with_window_bits(
                Compression::new(p.level.min(9)),
                false,
                p.local_max_window_bits.clamp(9, 15),
            ),
            reset: p.local_no_context_takeover,
        }
    }

    /// Appends `data` compressed as one message (sync-flushed, tail stripped) to `out`.
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        if data.is_empty() {
            // RFC 7692 §7.2.3.6: an empty stored block; the context is untouched.
            out.push(0x00);
            return;
        }
        let start = out.len();
        let base = self.z.total_in();
        loop {
            let used = (self.z.total_in() - base) as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve((data.len() - used) / 2 + 256);
            }
            let r = self.z.compress_vec(&data[used..], out, FlushCompress::Sync);
            let used = (self.z.total_in() - base) as usize;
            // Done when all input is in and the flush fitted with room to spare.
            if r.is_err() || (used == data.len() && out.len() < out.capacity()) {
                break;
            }
        }
        if out.len() >= start + 4 && out[out.len() - 4..] == TAIL {
            out.truncate(out.len() - 4);
        }
        if self.reset {
            self.z.reset();
        }
    }
}

/// Inflates incoming messages, never past a limit.
pub(crate) struct Decompressor {
    z: Decompress,
    reset: bool,
    /// The current message ended the DEFLATE stream (BFINAL).
    ended: bool,
}

impl std::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decompressor")
            .field("reset", &self.reset)
            .field("ended", &self.ended)
            .finish()
    }
}

impl Decompressor {
    pub fn new(p: &DeflateParams) -> Decompressor {
        Decompressor {
            z: Decompress::new(false),
            reset: p.remote_no_context_takeover,
            ended: false,
        }
    }

    /// Inflates a piece of a message's compressed payload, appending to `out`, whose length
    /// may not pass `limit` (0: none). The buffer never grows past `limit + 1` bytes.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), WsError> {
        if self.ended {
            return if input.is_empty() {
                Ok(())
            } else {
                Err(WsError::BadCompressedData)
            };
        }
        let cap = if limit == 0 {
            usize::MAX
        } else {
            limit.saturating_add(1)
        };
        let mut input = input;
        loop {
            reserve_within(out, input.len().saturating_mul(2).max(4096), cap);
            let (in0, out0) = (self.z.total_in(), out.len());
            let r = self.z.decompress_vec(input, out, FlushDecompress::Sync);
            input = &input[(self.z.total_in() - in0) as usize..];
            // Output past the limit came before any fault zlib found later in the same call.
            if limit != 0 && out.len() > limit {
                return Err(WsError::MessageTooLarge);
            }
            let status = r.map_err(|_| WsError::BadCompressedData)?;
            if status == Status::StreamEnd {
                self.ended = true;
                return if input.is_empty() {
                    Ok(())
                } else {
                    Err(WsError::BadCompressedData)
                };
            }
            let full = out.len() == out.capacity();
            if !full && (input.is_empty() || (out.len() == out0 && self.z.total_in() == in0)) {
                // All in, all out; or no progress with room left: the input is a truncated
                // block whose rest comes in the next piece.
                return Ok(());
            }
        }
    }

    /// The message's last piece has been pushed: inflates the stripped tail and resets the
    /// context when the peer does not keep it.
    pub fn finish(&mut self, out: &mut Vec<u8>, limit: usize) -> Result<(), WsError> {
        if !self.ended {
            self.push(&TAIL, out, limit)?;
        }
        if self.reset || self.ended {
            self.z.reset(false);
            self.ended = false;
        }
        Ok(())
    }
}
