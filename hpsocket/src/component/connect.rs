//! Opening an outgoing connection (agents and clients).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::reactor::{Cmd, Conn};
use crate::session::{CloseReq, Event, Origin, Reply};
use crate::types::{ConnId, HandleResult, SocketOperation};

use super::core::{Core, NewConn};
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
pub(crate) fn open_connection(
    core: &Core,
    cfg: &Config,
    id: ConnId,
    spec: ConnectSpec<'_>,
    prepare: impl FnOnce(SockRef<'_>) -> HandleResult,
) -> Result<Arc<Conn>> {
    let (pool, owner) = match (core.pool(), core.owner()) {
        (Some(p), Some(o)) if core.is_accepting() => (p, o),
        _ => return Err(Error::IllegalState("component is not started")),
    };
    let addrs: Vec<SocketAddr> = (spec.host, spec.port)
        .to_socket_addrs()
        .map_err(Error::SocketCreate)?
        .collect();
    let remote = match spec.bind {
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
    })?;
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
    if spec.async_connect {
        sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
        match sock.connect(&remote.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            // Reported through on_close like any other async connect failure, so the event
            // sequence does not depend on how fast the kernel answered.
            Err(e) => early_error = Some(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    } else {
        sock.connect_timeout(
            &remote.into(),
            Duration::from_millis(cfg.connect_timeout as u64),
        )
        .map_err(Error::ConnectServer)?;
        sock.set_nonblocking(true).map_err(Error::SocketCreate)?;
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
    // Re-check after inserting: a stop that began meanwhile did not see this connection.
    let refused = if !core.is_accepting() {
        Some(Error::IllegalState("component is stopping"))
    } else if core.table.len() > cfg.max_connection_count as usize {
        Some(Error::ConnectionLimit(cfg.max_connection_count))
    } else {
        None
    };
    if let Some(e) = refused {
        conn.session.abandon();
        core.table.remove(id);
        return Err(e);
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
            conn.session.abandon();
            core.table.remove(id);
            return Err(Error::ConnectServer(std::io::Error::from_raw_os_error(
                libc::ECANCELED,
            )));
        }
        worker.post(Cmd::Adopt(conn.clone(), Origin::Connected));
    }
    Ok(conn)
}
