//! Listeners of the demos and the performance test, one implementation per receive model,
//! each for plain TCP and TLS alike (the component hands them plaintext either way).

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use hpsocket::*;
use tracing::{debug, info, warn};

use crate::session::{Next, Session};

/// Sends queued for later (the `--interval` between rounds), in due order.
pub type Task = (Instant, Box<dyn FnOnce() + Send>);

/// Starts the thread that runs delayed sends; all delays are equal, so FIFO is due order.
pub fn scheduler() -> mpsc::Sender<Task> {
    let (tx, rx) = mpsc::channel::<Task>();
    std::thread::Builder::new()
        .name("hps-interval".into())
        .spawn(move || {
            for (due, task) in rx {
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                task();
            }
        })
        .expect("start the interval thread");
    tx
}

/// Echo server: logs events and sends every received byte (or packet) back.
pub struct EchoServer;

fn log_close(id: ConnId, op: SocketOperation, error: i32) {
    if error == 0 {
        info!(%id, ?op, "closed");
    } else {
        warn!(%id, ?op, error, reason = %std::io::Error::from_raw_os_error(error), "closed");
    }
}

macro_rules! echo_server_common {
    ($s:ty) => {
        fn on_accept(&self, s: &$s, id: ConnId, _sock: SockRef<'_>) -> HandleResult {
            info!(%id, peer = ?s.remote_address(id).ok(), "accepted");
            HandleResult::Ok
        }
        fn on_close(&self, _s: &$s, id: ConnId, op: SocketOperation, error: i32) -> HandleResult {
            log_close(id, op, error);
            HandleResult::Ok
        }
        fn on_shutdown(&self, _s: &$s) -> HandleResult {
            info!("server stopped");
            HandleResult::Ok
        }
        fn wants_send_events(&self) -> bool {
            false
        }
    };
}

macro_rules! echo_push {
    ($s:ty) => {
        impl<T: Transport> ServerListener<$s> for EchoServer {
            echo_server_common!($s);
            fn on_receive(&self, s: &$s, id: ConnId, data: &[u8]) -> HandleResult {
                debug!(%id, len = data.len(), "received");
                match s.send(id, data) {
                    Ok(()) => HandleResult::Ok,
                    Err(e) => {
                        warn!(%id, "send failed: {e}");
                        HandleResult::Error
                    }
                }
            }
        }
    };
}
echo_push!(Server<Push, T>);
echo_push!(Server<Pack, T>);

impl<T: Transport> ServerListener<Server<Pull, T>> for EchoServer {
    echo_server_common!(Server<Pull, T>);
    fn on_pull_receive(&self, s: &Server<Pull, T>, id: ConnId, len: usize) -> HandleResult {
        debug!(%id, len, "received");
        let mut buf = vec![0u8; len];
        if s.fetch(id, &mut buf) != FetchResult::Ok || s.send(id, &buf).is_err() {
            return HandleResult::Error;
        }
        HandleResult::Ok
    }
}

/// Load side of a demo or of `hps pfm`: drives the ping-pong session.
pub struct Load {
    pub session: Arc<Session>,
    pub later: Option<mpsc::Sender<Task>>,
}

impl Load {
    fn next(&self, next: Next, send: impl FnOnce(&[u8]) + Send + 'static) -> HandleResult {
        match next {
            Next::Send(m) => send(&m),
            Next::Later(m) => {
                if let Some(tx) = &self.later {
                    let due = Instant::now() + self.session.interval;
                    let _ = tx.send((due, Box::new(move || send(&m))));
                }
            }
            Next::Wait | Next::Done => {}
        }
        HandleResult::Ok
    }
}

macro_rules! load_agent_common {
    ($a:ty) => {
        fn on_handshake(&self, a: &$a, id: ConnId) -> HandleResult {
            if let Some(m) = self.session.first(id.get() - 1) {
                if a.send(id, &m).is_err() {
                    return HandleResult::Error;
                }
            }
            HandleResult::Ok
        }
        fn on_close(&self, _a: &$a, id: ConnId, op: SocketOperation, error: i32) -> HandleResult {
            if op != SocketOperation::Close || error != 0 {
                log_close(id, op, error);
            }
            self.session.on_close(id.get() - 1);
            HandleResult::Ok
        }
        fn wants_send_events(&self) -> bool {
            false
        }
    };
}

macro_rules! load_agent_push {
    ($a:ty) => {
        impl<T: Transport> AgentListener<$a> for Load {
            load_agent_common!($a);
            fn on_receive(&self, a: &$a, id: ConnId, data: &[u8]) -> HandleResult {
                let next = self.session.on_bytes(id.get() - 1, data);
                let a = a.clone();
                self.next(next, move |m| {
                    let _ = a.send(id, m);
                })
            }
        }
    };
}
load_agent_push!(Agent<Push, T>);
load_agent_push!(Agent<Pack, T>);

impl<T: Transport> AgentListener<Agent<Pull, T>> for Load {
    load_agent_common!(Agent<Pull, T>);
    fn on_pull_receive(&self, a: &Agent<Pull, T>, id: ConnId, len: usize) -> HandleResult {
        let mut buf = vec![0u8; len];
        if a.fetch(id, &mut buf) != FetchResult::Ok {
            return HandleResult::Error;
        }
        let next = self.session.on_bytes(id.get() - 1, &buf);
        let a = a.clone();
        self.next(next, move |m| {
            let _ = a.send(id, m);
        })
    }
}

macro_rules! load_client_common {
    ($c:ty) => {
        fn on_connect(&self, _c: &$c, id: ConnId) -> HandleResult {
            info!(%id, "connected");
            HandleResult::Ok
        }
        fn on_handshake(&self, c: &$c, _id: ConnId) -> HandleResult {
            if let Some(m) = self.session.first(0) {
                if c.send(&m).is_err() {
                    return HandleResult::Error;
                }
            }
            HandleResult::Ok
        }
        fn on_close(&self, _c: &$c, id: ConnId, op: SocketOperation, error: i32) -> HandleResult {
            log_close(id, op, error);
            self.session.on_close(0);
            HandleResult::Ok
        }
        fn wants_send_events(&self) -> bool {
            false
        }
    };
}

macro_rules! load_client_push {
    ($c:ty) => {
        impl<T: Transport> ClientListener<$c> for Load {
            load_client_common!($c);
            fn on_receive(&self, c: &$c, _id: ConnId, data: &[u8]) -> HandleResult {
                let next = self.session.on_bytes(0, data);
                let c = c.clone();
                self.next(next, move |m| {
                    let _ = c.send(m);
                })
            }
        }
    };
}
load_client_push!(Client<Push, T>);
load_client_push!(Client<Pack, T>);

impl<T: Transport> ClientListener<Client<Pull, T>> for Load {
    load_client_common!(Client<Pull, T>);
    fn on_pull_receive(&self, c: &Client<Pull, T>, _id: ConnId, len: usize) -> HandleResult {
        let mut buf = vec![0u8; len];
        if c.fetch(&mut buf) != FetchResult::Ok {
            return HandleResult::Error;
        }
        let next = self.session.on_bytes(0, &buf);
        let c = c.clone();
        self.next(next, move |m| {
            let _ = c.send(m);
        })
    }
}
