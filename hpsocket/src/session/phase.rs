//! A connection's life cycle as one enum, with its transitions as methods.
//!
//! Connecting → Handshaking → Open → Closing → Closed, with short cuts where the contract has
//! them (a plain transport goes straight to Open; any phase may close at once). Each phase
//! carries the deadline that belongs to it, so the next timeout of a connection is a function
//! of its phase and nothing else.

use crate::types::SocketOperation;

/// A close that some thread asked for; the worker carries it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloseReq {
    pub op: SocketOperation,
    pub err: i32,
    /// Flush what `send` accepted first.
    pub graceful: bool,
}

impl CloseReq {
    /// The orderly close of `disconnect` / `stop`.
    pub const GRACEFUL: CloseReq = CloseReq {
        op: SocketOperation::Close,
        err: 0,
        graceful: true,
    };

    /// A close that discards what is queued.
    pub fn forced(op: SocketOperation, err: i32) -> CloseReq {
        CloseReq {
            op,
            err,
            graceful: false,
        }
    }
}

/// Where a connection is in its life. Deadlines are milliseconds on the session's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// An outgoing connect is in flight; it fails with `ETIMEDOUT` at `until`.
    Connecting { until: u64 },
    /// The transport's handshake runs (TLS); it fails with `ETIMEDOUT` at `until`.
    Handshaking { until: u64 },
    /// Data flows both ways.
    Open,
    /// A close was asked for. A graceful one waits for the queue to drain, until `until`;
    /// `handshake_until` keeps a running handshake's deadline.
    Closing {
        req: CloseReq,
        until: Option<u64>,
        handshake_until: Option<u64>,
        /// TLS: close_notify was queued.
        notified: bool,
    },
    /// Closed: `on_close` fired (or the connection was refused before it opened).
    Closed,
}

/// What a deadline that passed means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    Connect,
    Handshake,
    Flush,
}

impl Phase {
    /// The connect completed: a plain transport is open, TLS starts its handshake.
    pub fn connected(&mut self, now: u64, handshake: Option<u64>) {
        *self = match (*self, handshake) {
            (Phase::Connecting { .. }, Some(t)) => Phase::Handshaking { until: now + t },
            (Phase::Connecting { .. }, None) => Phase::Open,
            (other, _) => other,
        };
    }

    /// The transport's handshake completed.
    pub fn handshake_done(&mut self) {
        match self {
            Phase::Handshaking { .. } => *self = Phase::Open,
            Phase::Closing {
                handshake_until, ..
            } => *handshake_until = None,
            _ => {}
        }
    }

    /// Records a close request; the first one wins, except that a forced request makes a
    /// graceful one forced. A request while connecting is carried out at once (nothing can
    /// have been queued). Returns false when already closed.
    pub fn request_close(&mut self, req: CloseReq, now: u64, flush_ms: u64) -> bool {
        let (req, handshake_until) = match *self {
            Phase::Closed => return false,
            Phase::Closing {
                req: ref mut old, ..
            } => {
                if !req.graceful {
                    old.graceful = false;
                }
                return true;
            }
            Phase::Connecting { .. } => (
                CloseReq {
                    graceful: false,
                    ..req
                },
                None,
            ),
            Phase::Handshaking { until } => (req, Some(until)),
            Phase::Open => (req, None),
        };
        *self = Phase::Closing {
            req,
            until: req.graceful.then_some(now + flush_ms),
            handshake_until,
            notified: false,
        };
        true
    }

    pub fn is_closed(&self) -> bool {
        matches!(self, Phase::Closed)
    }

    pub fn is_connecting(&self) -> bool {
        matches!(self, Phase::Connecting { .. })
    }

    /// The close asked for, if any.
    pub fn close_req(&self) -> Option<CloseReq> {
        match self {
            Phase::Closing { req, .. } => Some(*req),
            _ => None,
        }
    }

    /// The earliest deadline of this phase.
    pub fn deadline(&self) -> Option<u64> {
        match *self {
            Phase::Connecting { until } | Phase::Handshaking { until } => Some(until),
            Phase::Closing {
                until,
                handshake_until,
                ..
            } => until.into_iter().chain(handshake_until).min(),
            Phase::Open | Phase::Closed => None,
        }
    }

    /// Which deadline passed at `now`, if any (the handshake's first: it says more).
    pub fn expired(&self, now: u64) -> Option<Expired> {
        match *self {
            Phase::Connecting { until } if now >= until => Some(Expired::Connect),
            Phase::Handshaking { until } if now >= until => Some(Expired::Handshake),
            Phase::Closing {
                handshake_until: Some(h),
                ..
            } if now >= h => Some(Expired::Handshake),
            Phase::Closing { until: Some(u), .. } if now >= u => Some(Expired::Flush),
            _ => None,
        }
    }
}
