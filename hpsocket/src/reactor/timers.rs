//! The kinds of deadline a worker keeps in its timer heap.

#[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
pub(super) enum TimerKind {
    /// The session's deadline (connect, handshake, close flush).
    Session,
    /// Retry `accept` after a failure such as EMFILE.
    Accept,
    /// A source's deadline (UDP detect ticks).
    Source,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Timer {
    pub at: u64,
    pub token: usize,
    /// The connection ID the timer was armed for (a reused slab key must not fire it).
    pub id: usize,
    pub kind: TimerKind,
}
