//! The lower half of a session: life-cycle phase, transport (plain or TLS) and the queue of
//! bytes accepted by `send` but not yet written.
//!
//! Any thread may send, so the connection layer keeps this half behind a lock; the lock is
//! never held across a callback. Writing goes through a `&mut dyn Write` the caller passes
//! (rustls' `write_tls` shape): a socket in production, a byte pipe in the test harness. A
//! send writes the caller's buffers straight to it when nothing is queued (no copy), and
//! queues only what it did not take.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

use crate::cores::sendq::{SendQueue, MAX_IOV};
use crate::session::phase::Phase;
use crate::tls::TlsSession;

/// The send side of a TLS connection: what the socket queue cannot tell about plaintext.
pub(crate) struct TlsTx {
    pub session: TlsSession,
    /// Plaintext accepted before the handshake completed, still inside rustls.
    unsent_plain: usize,
    /// Ciphertext bytes produced so far, and written so far.
    produced: u64,
    written: u64,
    /// `on_send` notes waiting for the last byte of their ciphertext to be written:
    /// (ciphertext offset where it ends, plaintext). `u64::MAX`: not encrypted yet.
    marks: VecDeque<(u64, Vec<u8>)>,
}

impl TlsTx {
    fn new(session: TlsSession) -> TlsTx {
        TlsTx {
            session,
            unsent_plain: 0,
            produced: 0,
            written: 0,
            marks: VecDeque::new(),
        }
    }

    /// Encrypts one ordered unit of plaintext; returns the ciphertext to write (empty while
    /// the handshake runs: rustls keeps the plaintext until then).
    fn encrypt(&mut self, bufs: &[&[u8]], note: bool) -> Result<Vec<u8>, rustls::Error> {
        let mut plain = Vec::new();
        for b in bufs {
            self.session.write_plain(b)?;
            if note {
                plain.extend_from_slice(b);
            }
        }
        let handshaking = self.session.is_handshaking();
        if handshaking {
            self.unsent_plain += bufs.iter().map(|b| b.len()).sum::<usize>();
        }
        let out = self.output();
        if note {
            let end = if handshaking { u64::MAX } else { self.produced };
            self.marks.push_back((end, plain));
        }
        Ok(out)
    }

    /// Takes the ciphertext rustls has ready (handshake messages, records, alerts). Once the
    /// handshake is done this includes the plaintext sent before it.
    fn output(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.session.take_tls(&mut out);
        self.produced += out.len() as u64;
        if self.unsent_plain > 0 && !self.session.is_handshaking() {
            self.unsent_plain = 0;
            for m in self.marks.iter_mut().filter(|m| m.0 == u64::MAX) {
                m.0 = self.produced;
            }
        }
        out
    }
}

/// Why `send` refused bytes (mapped to the public error by the connection layer).
#[derive(Debug)]
pub(crate) enum SendRefused {
    Closed,
    Closing,
    Full {
        pending: usize,
    },
    /// The transport or the writer failed: the connection is closing with this error.
    Failed(io::Error),
}

pub(crate) struct Link {
    pub phase: Phase,
    pub tls: Option<Box<TlsTx>>,
    q: SendQueue,
    /// A write came back short: only the worker writes until the queue is drained.
    blocked: bool,
    /// Bytes written and not yet reported through `on_send`, in write order.
    notes: VecDeque<Vec<u8>>,
    notes_bytes: usize,
}

impl Link {
    pub fn new(phase: Phase, tls: Option<TlsSession>) -> Link {
        Link {
            phase,
            tls: tls.map(|t| Box::new(TlsTx::new(t))),
            q: SendQueue::default(),
            blocked: false,
            notes: VecDeque::new(),
            notes_bytes: 0,
        }
    }

    /// Unsent bytes: queued ciphertext (or plaintext) plus plaintext waiting for the TLS
    /// handshake.
    pub fn pending(&self) -> usize {
        self.q.len() + self.tls.as_ref().map_or(0, |t| t.unsent_plain)
    }

    /// What the send bound counts: unsent bytes and unreported `on_send` copies.
    pub fn held(&self) -> usize {
        self.pending() + self.notes_bytes
    }

    pub fn is_handshaking(&self) -> bool {
        self.tls
            .as_ref()
            .is_some_and(|t| t.session.is_handshaking())
    }

    /// Accepts one ordered unit of bytes (already framed by the receive model) and writes
    /// what `w` takes now. `note`: keep copies for `on_send`.
    pub fn send(
        &mut self,
        bufs: &[&[u8]],
        total: usize,
        limit: usize,
        note: bool,
        w: &mut dyn Write,
    ) -> Result<(), SendRefused> {
        match self.phase {
            Phase::Closed => return Err(SendRefused::Closed),
            Phase::Closing { .. } => return Err(SendRefused::Closing),
            _ => {}
        }
        let pending = self.held();
        if pending + total > limit {
            return Err(SendRefused::Full { pending });
        }
        let r = match self.tls.as_mut() {
            Some(tls) => match tls.encrypt(bufs, note) {
                Ok(cipher) => self.write(&[&cipher], false, w),
                Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            },
            None => self.write(bufs, note, w),
        };
        r.map_err(SendRefused::Failed)
    }

    /// Sends `head` then the first `len` bytes of `file` as one unit. With `sock` (the plain
    /// socket `w` writes to) and nothing queued ahead, the file goes out by `sendfile` and
    /// only what the socket does not take now is read into the queue; otherwise the file is
    /// read and sent like any buffer. The send bound counts the whole unit, as if queued.
    #[allow(clippy::too_many_arguments)]
    pub fn send_file(
        &mut self,
        head: &[u8],
        file: &std::fs::File,
        len: usize,
        limit: usize,
        note: bool,
        sock: Option<std::os::fd::BorrowedFd<'_>>,
        w: &mut dyn Write,
    ) -> Result<(), SendRefused> {
        let direct = sock.filter(|_| self.tls.is_none() && self.q.is_empty() && !self.blocked);
        let Some(sock) = direct else {
            let body = read_file_range(file, 0, len).map_err(SendRefused::Failed)?;
            return self.send(&[head, &body], head.len() + len, limit, note, w);
        };
        match self.phase {
            Phase::Closed => return Err(SendRefused::Closed),
            Phase::Closing { .. } => return Err(SendRefused::Closing),
            _ => {}
        }
        let pending = self.held();
        if pending + head.len() + len > limit {
            return Err(SendRefused::Full { pending });
        }
        let written = write_nonblocking(w, &[head]).map_err(SendRefused::Failed)?;
        let mut off = 0;
        let mut full = written < head.len();
        if !full {
            while off < len {
                match crate::sys::sendfile(sock, file, off as u64, len - off) {
                    // The file is shorter than when it was measured: the promised length
                    // cannot be kept, so the connection fails rather than hang its peer.
                    Ok(0) => return Err(SendRefused::Failed(io::ErrorKind::UnexpectedEof.into())),
                    Ok(n) => off += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        full = true;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // No sendfile for this pair (or platform): the rest is copied.
                    Err(e)
                        if (off == 0
                            && matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)))
                            || e.kind() == io::ErrorKind::Unsupported =>
                    {
                        break
                    }
                    Err(e) => return Err(SendRefused::Failed(e)),
                }
            }
        } else {
            self.q.push(&head[written..]);
        }
        if off < len {
            let rest = read_file_range(file, off, len - off).map_err(SendRefused::Failed)?;
            // Not full: sendfile could not be used, so the copy is written now.
            let n = if full {
                0
            } else {
                write_nonblocking(w, &[&rest]).map_err(SendRefused::Failed)?
            };
            self.q.push(&rest[n..]);
        }
        if !self.q.is_empty() {
            self.blocked = true;
        }
        Ok(())
    }

    /// Writes `bufs` now as far as `w` takes them and queues the rest behind what is already
    /// queued.
    fn write(&mut self, bufs: &[&[u8]], note: bool, w: &mut dyn Write) -> io::Result<()> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Ok(());
        }
        let mut written = 0;
        if self.q.is_empty() && !self.blocked {
            written = write_nonblocking(w, bufs)?;
        }
        if written > 0 {
            if note {
                let mut n = Vec::with_capacity(written);
                for b in bufs {
                    let k = b.len().min(written - n.len());
                    n.extend_from_slice(&b[..k]);
                    if n.len() == written {
                        break;
                    }
                }
                self.add_note(n);
            }
            self.wrote(written);
        }
        if written < total {
            self.blocked = true;
            let mut skip = written;
            for b in bufs {
                if skip >= b.len() {
                    skip -= b.len();
                    continue;
                }
                self.q.push(&b[skip..]);
                skip = 0;
            }
        }
        Ok(())
    }

    /// Drains the queue into `w` with vectored writes until it is empty or `w` is full.
    pub fn flush(&mut self, note: bool, w: &mut dyn Write) -> io::Result<()> {
        while !self.q.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let k = self.q.io_slices(&mut iov);
            match w.write_vectored(&iov[..k]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.advance(n, note),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.blocked = false;
        Ok(())
    }

    /// TLS: writes whatever ciphertext the session has ready (handshake flights, alerts,
    /// close_notify).
    pub fn flush_tls(&mut self, w: &mut dyn Write) -> io::Result<()> {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(());
        };
        let out = tls.output();
        self.write(&[&out], false, w)
    }

    /// TLS graceful close: queues close_notify once the handshake is over. Returns the write
    /// error, if any.
    pub fn notify_close(&mut self, w: &mut dyn Write) -> io::Result<()> {
        let handshaking = self.is_handshaking();
        let Phase::Closing { req, notified, .. } = &mut self.phase else {
            return Ok(());
        };
        if !req.graceful || *notified || handshaking {
            return Ok(());
        }
        let Some(tls) = self.tls.as_mut() else {
            return Ok(());
        };
        *notified = true;
        tls.session.close();
        self.flush_tls(w)
    }

    /// The worker wrote `n` queued bytes.
    fn advance(&mut self, n: usize, note: bool) {
        if note && self.tls.is_none() {
            let mut plain = Vec::with_capacity(n);
            self.q.advance(n, Some(&mut plain));
            self.add_note(plain);
        } else {
            self.q.advance(n, None);
        }
        self.wrote(n);
    }

    /// `n` more bytes reached the writer: TLS notes whose ciphertext is now all written
    /// become `on_send` notes.
    fn wrote(&mut self, n: usize) {
        let Some(tls) = self.tls.as_mut() else { return };
        tls.written += n as u64;
        while tls.marks.front().is_some_and(|m| m.0 <= tls.written) {
            let (_, plain) = tls.marks.pop_front().expect("checked");
            self.notes_bytes += plain.len();
            self.notes.push_back(plain);
        }
    }

    fn add_note(&mut self, note: Vec<u8>) {
        self.notes_bytes += note.len();
        self.notes.push_back(note);
    }

    pub fn has_notes(&self) -> bool {
        !self.notes.is_empty()
    }

    pub fn take_note(&mut self) -> Option<Vec<u8>> {
        let n = self.notes.pop_front()?;
        self.notes_bytes -= n.len();
        Some(n)
    }

    /// Closes for good: drops notes and queued bytes; returns how many unsent bytes were
    /// dropped.
    pub fn close(&mut self) -> usize {
        self.phase = Phase::Closed;
        self.notes.clear();
        self.notes_bytes = 0;
        let unsent = self.pending();
        self.q.clear();
        unsent
    }
}

/// Writes as much of `bufs` as `w` takes now; `Ok(n)` short of the total means it is full
/// (`WouldBlock`).
/// Reads `len` bytes of `file` from `offset` (an error if the file is shorter).
fn read_file_range(file: &std::fs::File, offset: usize, len: usize) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0; len];
    file.read_exact_at(&mut buf, offset as u64)?;
    Ok(buf)
}

pub(crate) fn write_nonblocking(w: &mut dyn Write, bufs: &[&[u8]]) -> io::Result<usize> {
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    let mut done = 0usize;
    while done < total {
        let r = if bufs.len() == 1 {
            w.write(&bufs[0][done..])
        } else {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let mut k = 0;
            let mut skip = done;
            for b in bufs {
                if k == MAX_IOV {
                    break;
                }
                if skip >= b.len() {
                    skip -= b.len();
                    continue;
                }
                iov[k] = IoSlice::new(&b[skip..]);
                skip = 0;
                k += 1;
            }
            w.write_vectored(&iov[..k])
        };
        match r {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
