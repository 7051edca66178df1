//! The component layer: what every role (server, agent, client, UDP) shares — life cycle,
//! connection table, configuration, connection operations by ID, socket options, outgoing
//! connects, the callback guard and the stop hand-off.
//!
//! It sits above the reactor (it implements [`Handler`](crate::reactor::Handler) for each
//! role and hands connections to workers) and below the roles.

mod connect;
mod core;
mod lifecycle;
mod ops;
mod sockopt;
mod table;

pub(crate) use self::core::{Core, IdSource, NewConn};
pub(crate) use connect::{open_connection, ConnectSpec};
pub(crate) use lifecycle::Lifecycle;
pub(crate) use ops::{tls_client_ops, tls_server_ops};
pub(crate) use sockopt::{apply_conn_options, apply_reuse, parse_ip};

use crate::error::{Error, Result};

/// The primitives of `lifecycle` (shuttle's in its models, which compile that file alone).
mod sync {
    pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
}

thread_local! {
    static IN_CALLBACK: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// True while this thread runs a listener callback: a blocking wait here (in `stop`) could
/// wait for this very callback to return.
pub(crate) fn in_callback() -> bool {
    IN_CALLBACK.with(|c| c.get() > 0)
}

/// True where `stop` must not block: inside a callback or on any worker thread.
pub(crate) fn must_not_block() -> bool {
    in_callback() || crate::reactor::on_worker_thread()
}

/// Runs a listener callback: marks the thread as inside a callback and turns a panic into
/// `on_panic` (logged), so a faulty callback closes its connection instead of killing a
/// worker and stalling every connection on it.
pub(crate) fn guard<R>(on_panic: R, f: impl FnOnce() -> R) -> R {
    IN_CALLBACK.with(|c| c.set(c.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CALLBACK.with(|c| c.set(c.get() - 1));
    match r {
        Ok(v) => v,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".into());
            tracing::error!("listener callback panicked: {msg}");
            on_panic
        }
    }
}

/// Runs the rest of a `stop` (`finish`: wait for the connections, end the workers, fire
/// `on_shutdown`): here when the caller may block, on a thread of its own when it may not
/// (inside a callback or on a worker, where waiting could wait for itself).
pub(crate) fn finish_stop(finish: impl FnOnce() + Send + 'static) -> Result<()> {
    if must_not_block() {
        std::thread::Builder::new()
            .name("hps-stop".into())
            .spawn(finish)
            .map_err(Error::WorkerThreadCreate)?;
    } else {
        finish();
    }
    Ok(())
}
