//! One connection as the reactor holds it: its socket, its sans-IO [`Session`], and the
//! handler (the component) its events go to.
//!
//! Any thread may send: [`Conn::send`] takes only the session's link lock and writes straight
//! to the socket when nothing is queued; the worker drains the rest on the next writable
//! edge. Whatever another thread asks of the worker (a close, a resume, `on_send` notes)
//! rings the session's doorbell and posts a [`Cmd::Kick`].

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use super::{Cmd, WorkerShared};
use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::session::{CloseReq, Event, Reply, SendError, SendRefused, Session};
use crate::types::{ConnId, FetchResult};

/// Where a connection's events go, and what the reactor asks of its component. Implemented
/// by the component layer (above), so the reactor needs nothing of it but this.
pub(crate) trait Handler: Send + Sync + 'static {
    /// Fires one event of `conn` on the listener (guarded against panics).
    fn event(&self, conn: &Conn, ev: Event<'_>) -> Reply;
    /// Server: a new connection came out of `accept`.
    fn accepted(&self, _stream: mio::net::TcpStream, _addr: SocketAddr) {}
    /// The connection is gone (closed, or refused before it opened): forget its ID.
    fn closed(&self, conn: &Conn);
    /// False once the component stops: new connections are refused.
    fn is_accepting(&self) -> bool;
}

pub(crate) struct Conn {
    pub id: ConnId,
    /// The generation of the component run it belongs to: its close is counted against
    /// that run only.
    pub run: u64,
    pub stream: mio::net::TcpStream,
    pub owner: Arc<dyn Handler>,
    pub worker: Arc<WorkerShared>,
    /// Slab key in the worker, `usize::MAX` until registered.
    pub token: AtomicUsize,
    pub session: Session,
    /// Bytes per read.
    pub buffer_size: usize,
    pub extra: AtomicUsize,
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub remote_host: Option<String>,
}

impl Conn {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: ConnId,
        run: u64,
        stream: mio::net::TcpStream,
        owner: Arc<dyn Handler>,
        worker: Arc<WorkerShared>,
        remote: SocketAddr,
        remote_host: Option<String>,
        extra: usize,
        buffer_size: usize,
        session: Session,
    ) -> Arc<Conn> {
        let local = stream
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        Arc::new(Conn {
            id,
            run,
            stream,
            owner,
            worker,
            token: AtomicUsize::new(usize::MAX),
            session,
            buffer_size,
            extra: AtomicUsize::new(extra),
            remote,
            local,
            remote_host,
        })
    }

    /// Fires an event of this connection on its handler.
    pub fn fire(&self, ev: Event<'_>) -> Reply {
        self.owner.event(self, ev)
    }

    /// Queues or writes `bufs` as one ordered unit. Never blocks on the socket.
    pub fn send(self: &Arc<Self>, bufs: &[&[u8]]) -> Result<()> {
        let mut w: &mio::net::TcpStream = &self.stream;
        let r = self.session.send(bufs, &mut w);
        self.sent(r)
    }

    /// Sends `head` and then the first `len` bytes of `file` as one unit (`sendfile` when
    /// the transport allows; see `Session::send_file`).
    pub fn send_file(
        self: &Arc<Self>,
        head: &[u8],
        file: &std::fs::File,
        len: usize,
    ) -> Result<()> {
        let r = self.session_send_file(head, file, len);
        self.sent(r)
    }

    fn session_send_file(
        &self,
        head: &[u8],
        file: &std::fs::File,
        len: usize,
    ) -> std::result::Result<bool, SendError> {
        use std::os::fd::AsFd;
        let mut w: &mio::net::TcpStream = &self.stream;
        self.session
            .send_file(head, file, len, Some(self.stream.as_fd()), &mut w)
    }

    /// HTTP: sends a request whose response the parser must match to `method`.
    pub fn send_request(self: &Arc<Self>, method: &str, path: &str, bufs: &[&[u8]]) -> Result<()> {
        let mut w: &mio::net::TcpStream = &self.stream;
        let r = self
            .session
            .send_request(method, path, || self.session.send(bufs, &mut w));
        self.sent(r)
    }

    /// HTTP: sends a request whose body is the first `len` bytes of `file`.
    pub fn send_request_file(
        self: &Arc<Self>,
        method: &str,
        path: &str,
        head: &[u8],
        file: &std::fs::File,
        len: usize,
    ) -> Result<()> {
        let r = self
            .session
            .send_request(method, path, || self.session_send_file(head, file, len));
        self.sent(r)
    }

    /// HTTP's `Release`: see `Session::http_release`.
    pub fn release(self: &Arc<Self>, delay_ms: u64) -> bool {
        let ok = self.session.http_release(now_ms(), delay_ms);
        if ok {
            self.kick();
        }
        ok
    }

    /// Maps a session send's outcome to the public result (and wakes the worker for
    /// `on_send` notes).
    pub fn sent_result(self: &Arc<Self>, r: std::result::Result<bool, SendError>) -> Result<()> {
        self.sent(r)
    }

    fn sent(self: &Arc<Self>, r: std::result::Result<bool, SendError>) -> Result<()> {
        match r {
            Ok(notify) => {
                if notify {
                    // The worker fires on_send after the current callback, never nested in it.
                    self.kick();
                }
                Ok(())
            }
            Err(SendError::Size { size, max }) => Err(Error::MessageSize { size, max }),
            Err(SendError::Budget { held, limit }) => Err(Error::MemoryBudget { held, limit }),
            Err(SendError::Refused(r)) => Err(match r {
                SendRefused::Closed => Error::ConnectionNotFound(self.id),
                SendRefused::Closing => Error::ConnectionClosing(self.id),
                SendRefused::Full { pending } => Error::SendQueueFull {
                    id: self.id,
                    pending,
                    limit: self.session.settings().max_pending,
                },
                SendRefused::Failed(e) => {
                    self.kick();
                    Error::Io(e)
                }
            }),
        }
    }

    /// PULL fetch / peek.
    pub fn fetch(self: &Arc<Self>, out: &mut [u8], consume: bool) -> FetchResult {
        let (r, ring) = self.session.fetch(out, consume);
        if ring {
            self.kick();
        }
        r
    }

    /// Stops or resumes reading.
    pub fn pause(self: &Arc<Self>, pause: bool) {
        if self.session.pause(pause) {
            self.kick();
        }
    }

    /// Asks the worker to close this connection (first request wins, a forced one upgrades a
    /// graceful one). Returns false when it is already closed.
    pub fn request_close(self: &Arc<Self>, req: CloseReq) -> bool {
        let ok = self.session.request_close(req, now_ms());
        if ok {
            self.kick();
        }
        ok
    }

    /// Asks the worker to look at this connection's doorbell.
    pub fn kick(self: &Arc<Self>) {
        self.worker.post(Cmd::Kick(self.clone()));
    }

    pub fn pending(&self) -> usize {
        self.session.pending()
    }

    pub fn is_open(&self) -> bool {
        !self.session.is_closed()
    }
}
