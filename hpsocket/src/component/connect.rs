//! Opening an outgoing connection (agents and clients).

use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::reactor::{Cmd, Conn};
use crate::session::{CloseReq, Event, Origin, Reply};
use crate::types::{ConnId, HandleResult, SocketOperation};

use super::core::{Core, NewConn};
use super::lifecycle::Ticket;
use super::sockopt::{apply_conn_options, apply_reuse};

/// What an outgoing connection needs besides the target.
pub(crate) struct ConnectSpec<'a> {
    pub host: &'a str,
    pub port: u16,
    pub bind: Option<SocketAddr>,
    pub async_connect: bool,
    pub extra: usize,
    /// The listener wants `on_send` events.
    pub notes: bool,
}

/// Opens an outgoing connection for an agent or client: resolve, create, bind, prepare,
/// connect (blocking with the connect timeout, or non-blocking), then hand it to a worker.
/// `prepare` is `on_prepare_connect`; `connected` fires `on_connect` / `on_handshake` for a
/// synchronous connect, on the caller's thread, before the worker can fire anything else.
///
/// `start`: the ticket of a client's start, whose run this connection is (`None`: an agent's
/// connect, which takes a ticket of the current run here). The connection joins that run
/// only if it is still live when the connection is ready: a stop (and a restart) that
/// overtook the connect makes it fail with `IllegalState`, its socket closed, no event fired
/// beyond `on_prepare_connect`. A blocked synchronous connect notices such a stop within
/// [`CANCEL_POLL`] and gives up, so the stop never waits for the connect timeout.
pub(crate) fn open_connection(
    core: &Core,
    cfg: &Config,
    id: ConnId,
    spec: ConnectSpec<'_>,
    start: Option<&Ticket<'_>>,
    prepare: impl FnOnce(SockRef<'_>) -> HandleResult,
) -> Result<Arc<Conn>> {
    let not_started = || Error::IllegalState("component is not started");
    // Resolved before the ticket is taken: a slow resolver does not hold up a stop.
    let remote = resolve(&spec)?;
    let own;
    let ticket = match start {
        Some(t) => t,
        None => {
            own = core.lifecycle.enter(false).ok_or_else(not_started)?;
            &own
        }
    };
    // A client's start connects while Starting.
    let starting = start.is_some();
    let (pool, owner) = core.run_handles(ticket.run()).ok_or_else(not_started)?;
    // Before connecting, so a host name TLS cannot use fails without touching the network.
    let tls = core.tls_session(Some(spec.host))?;
    let sock = Socket::new(
        Domain::for_address(remote),
        Type::STREAM,
        Some(Protocol::TCP),
    )
    .map_err(Error::SocketCreate)?;
    if let Some(bind) = spec.bind {
        apply_reuse(&sock, cfg.reuse_address_policy).map_err(Error::SocketBind)?;
        sock.bind(&bind.into()).map_err(Error::SocketBind)?;
    }
    if prepare(SockRef::from(&sock)) == HandleResult::Error {
        return Err(Error::SocketPrepare);
    }
    apply_conn_options(SockRef::from(&sock), cfg);
    let mut early_error = None;
    sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
    if spec.async_connect {
        match sock.connect(&remote.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            // Reported through on_close like any other async connect failure, so the event
            // sequence does not depend on how fast the kernel answered.
            Err(e) => early_error = Some(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    } else {
        let timeout = Duration::from_millis(cfg.connect_timeout as u64);
        connect_blocking(&sock, remote, timeout, || ticket.is_current(starting))?;
    }
    let stream = mio::net::TcpStream::from_std(std::net::TcpStream::from(sock));
    let worker = pool.pick();
    let origin = if spec.async_connect {
        Origin::Connecting
    } else {
        Origin::Connected
    };
    let conn = core.new_conn(NewConn {
        id,
        run: ticket.run(),
        stream,
        owner,
        worker: worker.clone(),
        remote,
        host: Some(spec.host.to_string()),
        extra: spec.extra,
        origin,
        tls,
        notes: spec.notes,
    });
    core.table.insert(conn.clone());
    // Joins the run only while it is live: a stop that began meanwhile did not see this
    // connection in its sweep, and a run that ended must not get it.
    if !ticket.attach(starting) {
        conn.session.abandon();
        core.table.remove(id);
        return Err(Error::IllegalState("component stopped during connect"));
    }
    // Leaves the run without an event (nothing was fired for it yet).
    let refuse = |e: Error| {
        conn.session.abandon();
        core.table.remove(id);
        core.lifecycle.detach(ticket.run());
        Err(e)
    };
    if core.table.len() > cfg.max_connection_count as usize {
        return refuse(Error::ConnectionLimit(cfg.max_connection_count));
    }
    if let Some(err) = early_error {
        conn.request_close(CloseReq {
            op: SocketOperation::Connect,
            err,
            graceful: false,
        });
        worker.post(Cmd::Adopt(conn.clone(), Origin::Connecting));
    } else if spec.async_connect {
        worker.post(Cmd::Adopt(conn.clone(), Origin::Connecting));
    } else {
        // A synchronous connect's events fire on the caller's thread, before the worker can
        // fire anything else of the connection.
        if conn.fire(Event::Connect) == Reply::Error
            || (!conn.session.is_secure() && conn.fire(Event::Handshake) == Reply::Error)
        {
            return refuse(Error::ConnectServer(std::io::Error::from_raw_os_error(
                libc::ECANCELED,
            )));
        }
        worker.post(Cmd::Adopt(conn.clone(), Origin::Connected));
    }
    Ok(conn)
}

/// How often a blocked synchronous connect looks whether a stop overtook it.
pub(crate) const CANCEL_POLL: Duration = Duration::from_millis(20);

/// Connects the non-blocking `sock`, waiting up to `timeout` (then `ETIMEDOUT`, as the
/// asynchronous path reports it) and giving up with `IllegalState` as soon as `live` says
/// the run is over.
fn connect_blocking(
    sock: &Socket,
    remote: SocketAddr,
    timeout: Duration,
    live: impl Fn() -> bool,
) -> Result<()> {
    match sock.connect(&remote.into()) {
        Ok(()) => return Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(Error::ConnectServer(e)),
    }
    let deadline = Instant::now() + timeout;
    loop {
        if !live() {
            return Err(Error::IllegalState("component stopped during connect"));
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::ConnectServer(std::io::Error::from_raw_os_error(
                libc::ETIMEDOUT,
            )));
        }
        let wait = (deadline - now).min(CANCEL_POLL);
        if !crate::sys::wait_writable(sock.as_fd(), wait).map_err(Error::ConnectServer)? {
            continue;
        }
        if let Some(e) = sock.take_error().map_err(Error::ConnectServer)? {
            return Err(Error::ConnectServer(e));
        }
        return match sock.peer_addr() {
            Ok(_) => Ok(()),
            Err(e) => Err(Error::ConnectServer(e)),
        };
    }
}

/// The address to connect to (of the bind address's family when one is given).
fn resolve(spec: &ConnectSpec<'_>) -> Result<SocketAddr> {
    let addrs: Vec<SocketAddr> = (spec.host, spec.port)
        .to_socket_addrs()
        .map_err(Error::SocketCreate)?
        .collect();
    match spec.bind {
        Some(b) => addrs
            .iter()
            .find(|a| a.is_ipv4() == b.is_ipv4())
            .or(addrs.first()),
        None => addrs.first(),
    }
    .copied()
    .ok_or_else(|| {
        Error::SocketCreate(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("cannot resolve {:?}", spec.host),
        ))
    })
}
