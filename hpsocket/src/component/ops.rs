//! The TLS set-up operations, written once and expanded into the TLS roles (their
//! signatures differ between servers and outgoing roles; the operations every role shares are
//! the traits of `roles::api`).

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

pub(crate) use {tls_client_ops, tls_server_ops};
