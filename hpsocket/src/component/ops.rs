//! The public operations every role shares, written once and expanded into each role.

/// Operations by connection ID, shared by Server and Agent.
macro_rules! conn_ops {
    () => {
        /// Sends `data` on connection `id`. Never blocks: bytes the socket does not take at
        /// once are queued (up to `max_pending_bytes`) and written in order by the worker.
        /// Callable from any thread, inside or outside callbacks.
        pub fn send(&self, id: $crate::ConnId, data: &[u8]) -> $crate::Result<()> {
            self.core().send(id, &[data])
        }

        /// Sends `len` bytes of `data` starting at `offset` (HP-Socket's `SendPart`).
        pub fn send_part(
            &self,
            id: $crate::ConnId,
            data: &[u8],
            offset: usize,
            len: usize,
        ) -> $crate::Result<()> {
            let part = offset
                .checked_add(len)
                .and_then(|end| data.get(offset..end))
                .ok_or($crate::Error::InvalidParam(
                    "offset + len is past the end of the buffer",
                ))?;
            self.core().send(id, &[part])
        }

        /// Sends several buffers in order as one unit (a gathered write).
        pub fn send_packets(&self, id: $crate::ConnId, bufs: &[&[u8]]) -> $crate::Result<()> {
            self.core().send(id, bufs)
        }

        /// Closes connection `id`. Graceful (`force == false`): queued bytes are written
        /// first, within `close_flush_timeout`. Forced: queued bytes are dropped and the close
        /// event says so (`SocketOperation::Send`, `ECANCELED`) when there were any.
        /// `on_close` follows on the connection's worker.
        pub fn disconnect(&self, id: $crate::ConnId, force: bool) -> $crate::Result<()> {
            self.core().disconnect(id, force)
        }

        /// Disconnects every connection older than `period`.
        pub fn disconnect_long_connections(
            &self,
            period: std::time::Duration,
            force: bool,
        ) -> $crate::Result<()> {
            self.core().disconnect_long(period, force)
        }

        /// Disconnects every connection that received nothing for `period` (needs
        /// `mark_silence`).
        pub fn disconnect_silence_connections(
            &self,
            period: std::time::Duration,
            force: bool,
        ) -> $crate::Result<()> {
            self.core().disconnect_silence(period, force)
        }

        /// Stops (`true`) or resumes (`false`) reading from connection `id`. While paused,
        /// data waits in the kernel and the peer is slowed by TCP flow control; nothing is
        /// lost.
        pub fn pause_receive(&self, id: $crate::ConnId, pause: bool) -> $crate::Result<()> {
            self.core().pause_receive(id, pause)
        }

        /// Whether reading from connection `id` is paused.
        pub fn is_pause_receive(&self, id: $crate::ConnId) -> $crate::Result<bool> {
            self.core().is_paused(id)
        }

        /// Bytes accepted by `send` on connection `id` and not yet written.
        pub fn pending_data_length(&self, id: $crate::ConnId) -> $crate::Result<usize> {
            self.core().pending(id)
        }

        /// Whether connection `id` is open.
        pub fn is_connected(&self, id: $crate::ConnId) -> bool {
            self.core().table.get(id).is_some_and(|c| c.is_open())
        }

        /// Number of open connections.
        pub fn connection_count(&self) -> usize {
            self.core().table.len()
        }

        /// IDs of every open connection, ascending.
        pub fn all_connection_ids(&self) -> Vec<$crate::ConnId> {
            self.core().table.ids()
        }

        /// Time since connection `id` was established.
        pub fn connect_period(&self, id: $crate::ConnId) -> $crate::Result<std::time::Duration> {
            self.core().connect_period(id)
        }

        /// Time since connection `id` last received data (needs `mark_silence`).
        pub fn silence_period(&self, id: $crate::ConnId) -> $crate::Result<std::time::Duration> {
            self.core().silence_period(id)
        }

        /// Local address of connection `id`.
        pub fn local_address(&self, id: $crate::ConnId) -> $crate::Result<std::net::SocketAddr> {
            self.core().with_conn(id, |c| c.local)
        }

        /// Remote address of connection `id`.
        pub fn remote_address(&self, id: $crate::ConnId) -> $crate::Result<std::net::SocketAddr> {
            self.core().with_conn(id, |c| c.remote)
        }

        /// Attaches a user value to connection `id` (HP-Socket's connection extra, a
        /// pointer-sized value).
        pub fn set_connection_extra(&self, id: $crate::ConnId, extra: usize) -> $crate::Result<()> {
            self.core().with_conn(id, |c| {
                c.extra.store(extra, std::sync::atomic::Ordering::Release)
            })
        }

        /// The user value attached to connection `id` (0 when none was set).
        pub fn connection_extra(&self, id: $crate::ConnId) -> $crate::Result<usize> {
            self.core()
                .with_conn(id, |c| c.extra.load(std::sync::atomic::Ordering::Acquire))
        }
    };
}

/// Life-cycle queries shared by every component.
macro_rules! state_ops {
    () => {
        /// Current life-cycle state.
        pub fn state(&self) -> $crate::ServiceState {
            self.core().state()
        }

        /// True when starting or started.
        pub fn has_started(&self) -> bool {
            matches!(
                self.core().state(),
                $crate::ServiceState::Started | $crate::ServiceState::Starting
            )
        }

        /// Whether the component uses TLS (the [`Tls`](crate::Tls) transport).
        pub fn is_secure(&self) -> bool {
            self.core().secure()
        }

        /// Code of the last `start` / `stop` failure (`SocketError::Ok` if none).
        pub fn last_error(&self) -> $crate::SocketError {
            self.core().last_error()
        }

        /// Description of the last `start` / `stop` failure.
        pub fn last_error_desc(&self) -> String {
            self.core().last_error_desc()
        }

        /// Blocks until the component is stopped or `timeout` passes (`None`: no limit);
        /// true when stopped. Do not call it inside a callback with `None`: a stop started
        /// there completes only after the callback returns.
        pub fn wait(&self, timeout: Option<std::time::Duration>) -> bool {
            self.core().wait(timeout)
        }
    };
}

/// TLS set-up of a server (`Server<M, Tls>`).
macro_rules! tls_server_ops {
    () => {
        /// Sets up the TLS context from certificates and keys (HP-Socket's
        /// `SetupSSLContext` / `SetupSSLContextByMemory` plus `AddSSLContext` and
        /// `BindSSLServerName` for SNI). Only while stopped; `start` fails with
        /// `TlsNotReady` until this (or [`set_tls_config`](Self::set_tls_config)) succeeds.
        pub fn setup_ssl_context(&self, setup: &$crate::tls::TlsServerSetup) -> $crate::Result<()> {
            let cfg = setup.build()?;
            self.core()
                .set_tls(Some($crate::tls::TlsContext::Server(cfg)))
        }

        /// Uses a rustls server configuration built by the application (any rustls
        /// feature: ALPN, session tickets, custom verifiers, key logging …).
        pub fn set_tls_config(
            &self,
            config: std::sync::Arc<$crate::tls::rustls::ServerConfig>,
        ) -> $crate::Result<()> {
            self.core()
                .set_tls(Some($crate::tls::TlsContext::Server(config)))
        }

        /// Removes the TLS context (HP-Socket's `CleanupSSLContext`); only while stopped.
        pub fn cleanup_ssl_context(&self) -> $crate::Result<()> {
            self.core().set_tls(None)
        }

        /// Whether a TLS context is set up.
        pub fn has_ssl_context(&self) -> bool {
            self.core().has_tls()
        }

        /// What connection `id`'s TLS session negotiated (version, cipher suite, SNI name,
        /// peer certificates).
        pub fn ssl_session_info(&self, id: $crate::ConnId) -> $crate::Result<$crate::tls::TlsInfo> {
            self.core().tls_info(id)
        }

        $crate::config::tls_properties!();
    };
}

/// TLS set-up of an outgoing role (`Agent<M, Tls>`, `Client<M, Tls>`).
macro_rules! tls_client_ops {
    () => {
        /// Sets up the TLS context: how to verify servers, and an optional client
        /// certificate (HP-Socket's `SetupSSLContext` / `SetupSSLContextByMemory`). Only while
        /// stopped; `start` fails with `TlsNotReady` until this (or
        /// [`set_tls_config`](Self::set_tls_config)) succeeds.
        pub fn setup_ssl_context(&self, setup: &$crate::tls::TlsClientSetup) -> $crate::Result<()> {
            let config = setup.build()?;
            self.core().set_tls(Some($crate::tls::TlsContext::Client {
                config,
                server_name: setup.server_name.clone(),
            }))
        }

        /// Uses a rustls client configuration built by the application. `server_name`: the
        /// SNI / verification name of every connection (`None`: each connection's host).
        pub fn set_tls_config(
            &self,
            config: std::sync::Arc<$crate::tls::rustls::ClientConfig>,
            server_name: Option<String>,
        ) -> $crate::Result<()> {
            self.core().set_tls(Some($crate::tls::TlsContext::Client {
                config,
                server_name,
            }))
        }

        /// Removes the TLS context (HP-Socket's `CleanupSSLContext`); only while stopped.
        pub fn cleanup_ssl_context(&self) -> $crate::Result<()> {
            self.core().set_tls(None)
        }

        /// Whether a TLS context is set up.
        pub fn has_ssl_context(&self) -> bool {
            self.core().has_tls()
        }

        $crate::config::tls_properties!();
    };
}

pub(crate) use {conn_ops, state_ops, tls_client_ops, tls_server_ops};
