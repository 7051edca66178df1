//! The agent role: one object, many outgoing connections (the client side of a proxy).

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::component::{
    finish_stop, guard, open_connection, parse_ip, tls_client_ops, ConnectSpec, Core, IdSource,
};
use crate::config::{
    common_properties, connect_properties, multi_properties, pack_properties, pull_properties,
};
use crate::error::{Error, Result};
use crate::listener::AgentListener;
use crate::model::{Model, Pack, Plain, Pull, Push, Tls, Transport};
use crate::reactor::Pool;
use crate::reactor::{Conn, Handler};
use crate::roles::api::{Role, TableRole};
use crate::session::Event;
use crate::types::{ConnId, FetchResult, HandleResult, ServiceState};

/// Options of one [`Agent::connect_with`] call.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// Value attached to the connection before any event fires (see `connection_extra`).
    pub extra: usize,
    /// Local address to bind, overriding the agent's bind address.
    pub local_address: Option<String>,
    /// Local port to bind (0: any).
    pub local_port: u16,
}

/// A TCP agent: started once, then opens any number of outgoing connections, each named by
/// its connection ID, on the agent's worker threads. `M` is the receive model.
///
/// ```no_run
/// use hpsocket::prelude::*;
/// use hpsocket::{AgentListener, ConnId, HandleResult, TcpAgent};
///
/// struct Print;
/// impl AgentListener for Print {
///     fn on_receive(&self, _a: &TcpAgent, id: ConnId, data: &[u8]) -> HandleResult {
///         println!("{id}: {} bytes", data.len());
///         HandleResult::Ok
///     }
/// }
///
/// let agent = TcpAgent::new(Print);
/// agent.start(None, true)?;
/// let id = agent.connect("127.0.0.1", 5555)?;
/// agent.send(id, b"hello")?;
/// # Ok::<(), hpsocket::Error>(())
/// ```
pub struct Agent<M: Model = Push, T: Transport = Plain> {
    inner: Arc<Inner<M, T>>,
}

/// HP-Socket's PUSH agent.
pub type TcpAgent = Agent<Push>;
/// HP-Socket's PULL agent.
pub type TcpPullAgent = Agent<Pull>;
/// HP-Socket's PACK agent.
pub type TcpPackAgent = Agent<Pack>;
/// HP-Socket's SSL PUSH agent.
pub type SslAgent = Agent<Push, Tls>;
/// HP-Socket's SSL PULL agent.
pub type SslPullAgent = Agent<Pull, Tls>;
/// HP-Socket's SSL PACK agent.
pub type SslPackAgent = Agent<Pack, Tls>;

struct Inner<M: Model, T: Transport> {
    core: Core,
    listener: Box<dyn AgentListener<Agent<M, T>>>,
    bind: Mutex<Option<std::net::IpAddr>>,
    async_connect: AtomicBool,
    _model: PhantomData<(M, T)>,
}

impl<M: Model, T: Transport> Clone for Agent<M, T> {
    fn clone(&self) -> Self {
        Agent {
            inner: self.inner.clone(),
        }
    }
}

impl<M: Model, T: Transport> Agent<M, T> {
    /// Creates a stopped agent that reports to `listener`.
    pub fn new(listener: impl AgentListener<Agent<M, T>>) -> Self {
        Agent {
            inner: Arc::new(Inner {
                core: Core::new(IdSource::Own(AtomicUsize::new(1)), true, M::KIND, T::SECURE),
                listener: Box::new(listener),
                bind: Mutex::new(None),
                async_connect: AtomicBool::new(true),
                _model: PhantomData,
            }),
        }
    }

    /// Starts the workers. `bind_address`: local address for every connection (`None`: let
    /// the kernel choose). `async_connect`: `connect` returns at once and the outcome comes as
    /// `on_connect` or `on_close` (HP-Socket's default); otherwise `connect` blocks up to
    /// `connect_timeout` and fails with `ConnectServer`.
    pub fn start(&self, bind_address: Option<&str>, async_connect: bool) -> Result<()> {
        let (cfg, ticket) = self.core().begin_run()?;
        let r = (|| {
            let bind = match bind_address {
                Some(a) if !a.trim().is_empty() => Some(parse_ip(Some(a))?),
                _ => None,
            };
            *self.inner.bind.lock() = bind;
            self.inner
                .async_connect
                .store(async_connect, Ordering::Release);
            let pool = Pool::start(cfg.worker_thread_count as usize, "hps-agent")
                .map_err(Error::WorkerThreadCreate)?;
            self.core()
                .activate(ticket.run(), pool, Arc::new(self.clone()));
            Ok(())
        })();
        match r {
            Ok(()) => {
                self.core().started(ticket);
                Ok(())
            }
            Err(e) => Err(self.core().start_failed(ticket, e)),
        }
    }

    /// Connects to `host:port` (an IP address or a name to resolve) and returns the new
    /// connection's ID.
    pub fn connect(&self, host: &str, port: u16) -> Result<ConnId> {
        self.connect_with(host, port, &ConnectOptions::default())
    }

    /// Connects with per-connection options (extra value, local address and port).
    pub fn connect_with(&self, host: &str, port: u16, opts: &ConnectOptions) -> Result<ConnId> {
        let core = self.core();
        if core.state() != ServiceState::Started {
            return Err(Error::IllegalState("agent is not started"));
        }
        let cfg = core.config.read().clone();
        if core.table.len() >= cfg.max_connection_count as usize {
            return Err(Error::ConnectionLimit(cfg.max_connection_count));
        }
        let ip = match &opts.local_address {
            Some(a) => Some(parse_ip(Some(a))?),
            None => *self.inner.bind.lock(),
        };
        let bind = match (ip, opts.local_port) {
            (Some(ip), port) => Some(SocketAddr::new(ip, port)),
            (None, 0) => None,
            (None, port) => Some(SocketAddr::new([0, 0, 0, 0].into(), port)),
        };
        let id = core.next_id();
        let spec = ConnectSpec {
            host,
            port,
            bind,
            async_connect: self.inner.async_connect.load(Ordering::Acquire),
            extra: opts.extra,
            notes: self.inner.listener.wants_send_events(),
        };
        let l = &self.inner.listener;
        open_connection(core, &cfg, id, spec, None, |sock| {
            guard(HandleResult::Error, || l.on_prepare_connect(self, id, sock))
        })?;
        Ok(id)
    }

    /// See [`Component::stop`].
    fn stop_role_impl(&self) -> Result<()> {
        let run = self.core().begin_stop(false)?;
        let me = self.clone();
        let finish = move || {
            me.core().complete_stop(run, || {
                guard(HandleResult::Ok, || me.inner.listener.on_shutdown(&me));
            })
        };
        finish_stop(finish)
    }

    /// The host and port that connection `id` was asked to connect to.
    pub fn remote_host(&self, id: ConnId) -> Result<(String, u16)> {
        self.core().with_conn(id, |c| {
            (
                c.remote_host
                    .clone()
                    .unwrap_or_else(|| c.remote.ip().to_string()),
                c.remote.port(),
            )
        })
    }

    common_properties!();
    multi_properties!();
    connect_properties!();
}

impl<M: Model, T: Transport> Handler for Agent<M, T> {
    fn event(&self, conn: &Conn, ev: Event<'_>) -> crate::session::Reply {
        let (l, id) = (&self.inner.listener, conn.id);
        match ev {
            Event::Accept => crate::session::Reply::Ok,
            Event::Connect => guard(HandleResult::Error, || l.on_connect(self, id)).into(),
            Event::Handshake if M::WS => {
                if let Err(e) = crate::roles::ws::send_opening(self.core(), conn, T::SECURE) {
                    tracing::warn!("WebSocket handshake not sent: {e}");
                    return crate::session::Reply::Error;
                }
                guard(HandleResult::Error, || l.on_handshake(self, id)).into()
            }
            Event::Handshake => guard(HandleResult::Error, || l.on_handshake(self, id)).into(),
            Event::Receive(d) => guard(HandleResult::Error, || l.on_receive(self, id, d)).into(),
            Event::PullReceive(n) => {
                guard(HandleResult::Error, || l.on_pull_receive(self, id, n)).into()
            }
            Event::Send(d) => guard(HandleResult::Ok, || l.on_send(self, id, d)).into(),
            Event::Http(m, hev) if M::WS => {
                use crate::roles::ws::{client_event, Upgrade};
                match client_event(self.core(), conn, m, &hev) {
                    Upgrade::Swallow => crate::session::Reply::Ok,
                    Upgrade::Refuse => crate::session::Reply::Error,
                    Upgrade::Open => {
                        guard(HandleResult::Error, || l.on_ws_open(self, id, m)).into()
                    }
                }
            }
            Event::Http(m, hev) => {
                crate::roles::http_dispatch!(l, self, id, m, hev, outgoing: conn)
            }
            Event::Ws(wev) => crate::roles::ws_dispatch!(l, self, id, wev),
            Event::Close(op, e) => guard(HandleResult::Ok, || l.on_close(self, id, op, e)).into(),
        }
    }

    fn closed(&self, conn: &Conn) {
        self.core().table.remove(conn.id);
        self.core().lifecycle.detach(conn.run);
    }

    fn is_accepting(&self) -> bool {
        self.core().is_accepting()
    }
}

impl<T: Transport> Agent<Pull, T> {
    /// Moves exactly `buf.len()` buffered bytes of connection `id` into `buf` (see
    /// [`Server::fetch`](crate::Server::fetch)).
    pub fn fetch(&self, id: ConnId, buf: &mut [u8]) -> FetchResult {
        self.core().fetch(id, buf, true)
    }

    /// Like [`fetch`](Self::fetch) but leaves the bytes buffered.
    pub fn peek(&self, id: ConnId, buf: &mut [u8]) -> FetchResult {
        self.core().fetch(id, buf, false)
    }

    pull_properties!();
}

impl<T: Transport> Agent<Pack, T> {
    pack_properties!();
}

impl<M: Model> Agent<M, Tls> {
    tls_client_ops!();

    /// What connection `id`'s TLS session negotiated (version, cipher suite, server
    /// certificates).
    pub fn ssl_session_info(&self, id: ConnId) -> Result<crate::tls::TlsInfo> {
        self.core().tls_info(id)
    }
}

impl<M: Model, T: Transport> Role for Agent<M, T> {
    fn core(&self) -> &Core {
        &self.inner.core
    }

    fn stop_role(&self) -> Result<()> {
        self.stop_role_impl()
    }
}

impl<M: Model, T: Transport> TableRole for Agent<M, T> {}
