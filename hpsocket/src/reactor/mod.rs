//! Worker threads, each running one `mio` event loop over the connections it owns.
//!
//! The reactor only moves bytes: readiness → read into the connection's session → write what
//! the session hands back → timers at the session's deadline. It does not know which receive
//! model or transport a connection uses; the session does ([`crate::session`]).
//!
//! A connection belongs to one worker for its whole life; the worker alone reads it, fires its
//! events and closes it, so its callbacks never run concurrently and the receive path takes no
//! lock. Other threads reach a worker only through its command channel (plus a wake-up), for
//! adopting new connections, closes, resumes and send notifications.

mod conn;
mod pool;
mod timers;
mod worker;

use std::any::Any;
use std::cell::Cell;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;
use mio::{Token, Waker};

pub(crate) use conn::{Conn, Handler};
pub(crate) use pool::Pool;

use crate::session::Origin;

pub(super) const WAKE: Token = Token(usize::MAX - 1);

thread_local! {
    pub(super) static CURRENT: Cell<usize> = const { Cell::new(0) };
}

/// True on any worker thread of any pool: blocking waits there could deadlock.
pub(crate) fn on_worker_thread() -> bool {
    CURRENT.with(|c| c.get() != 0)
}

pub(crate) enum Cmd {
    /// Own this connection from now on.
    Adopt(Arc<Conn>, Origin),
    Listen(mio::net::TcpListener, Arc<dyn Handler>),
    Unlisten(Arc<dyn Handler>),
    /// Look at the connection's doorbell.
    Kick(Arc<Conn>),
    /// Own this source (a UDP socket and its peers) from now on.
    Open(Box<dyn Source>),
    /// The component with this key stops: close every source it owns on this worker.
    CloseOwner(usize),
    /// A message for the source with this key (see [`Source::command`]).
    Message(usize, Box<dyn Any + Send>),
    Exit,
}

/// A socket that is not a TCP connection — a UDP socket with its virtual connections — as a
/// worker drives it. The worker calls these on readiness, timers and commands; the source
/// does its own protocol and fires its component's events, so the reactor needs to know
/// nothing of it.
pub(crate) trait Source: Send {
    /// The descriptor to poll (readable interest).
    fn fd(&self) -> RawFd;
    /// Identifies this source for [`Cmd::Message`].
    fn key(&self) -> usize;
    /// Identifies the component (for [`Cmd::CloseOwner`]).
    fn owner_key(&self) -> usize;
    /// Registered with the worker's poll.
    fn opened(&mut self, _now: u64) {}
    /// Reads and dispatches; true when the socket may still hold more.
    fn readable(&mut self, now: u64) -> bool;
    /// When [`expire`](Self::expire) is next needed.
    fn next_due(&self) -> Option<u64>;
    fn expire(&mut self, now: u64);
    /// The component stops: close everything.
    fn close_all(&mut self);
    /// A message another thread posted for this source.
    fn command(&mut self, msg: Box<dyn Any + Send>);
    /// The deadline the worker's timer is armed for.
    fn armed(&mut self) -> &mut u64;
    /// The worker may drop the source (a closed client).
    fn is_done(&self) -> bool {
        false
    }
}

/// The part of a worker other threads hold: its command channel and waker.
pub(crate) struct WorkerShared {
    pub(super) tx: Sender<Cmd>,
    pub(super) waker: Waker,
    pub(super) uid: usize,
    /// A wake-up is pending (one covers every command posted before the worker drains).
    pub(super) notified: AtomicBool,
}

impl WorkerShared {
    pub fn is_current(&self) -> bool {
        CURRENT.with(|c| c.get() == self.uid)
    }

    pub fn post(&self, cmd: Cmd) {
        if self.tx.send(cmd).is_err() {
            return;
        }
        // One wake-up covers every command posted before the worker drains its channel.
        if !self.is_current() && !self.notified.swap(true, Ordering::AcqRel) {
            let _ = self.waker.wake();
        }
    }
}
