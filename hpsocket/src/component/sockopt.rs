//! Socket options and addresses, applied the way HP-Socket's properties say.

use std::net::IpAddr;
use std::time::Duration;

use socket2::{SockRef, Socket, TcpKeepalive};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::types::ReuseAddressPolicy;

/// Parses a bind address; `None` or empty means IPv4 "any", as in HP-Socket.
pub(crate) fn parse_ip(addr: Option<&str>) -> Result<IpAddr> {
    match addr.map(str::trim) {
        None | Some("") => Ok(IpAddr::from([0, 0, 0, 0])),
        Some(a) => a.parse().map_err(|_| {
            Error::SocketCreate(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not an IP address: {a:?}"),
            ))
        }),
    }
}

pub(crate) fn apply_reuse(sock: &Socket, policy: ReuseAddressPolicy) -> std::io::Result<()> {
    match policy {
        ReuseAddressPolicy::None => Ok(()),
        ReuseAddressPolicy::AddrOnly => sock.set_reuse_address(true),
        ReuseAddressPolicy::AddrAndPort => {
            sock.set_reuse_address(true)?;
            sock.set_reuse_port(true)
        }
    }
}

/// Applies the per-connection socket options of `cfg`.
pub(crate) fn apply_conn_options(sock: SockRef<'_>, cfg: &Config) {
    if cfg.no_delay {
        let _ = sock.set_tcp_nodelay(true);
    }
    if cfg.keep_alive_time > 0 && cfg.keep_alive_interval > 0 {
        let ka = TcpKeepalive::new()
            .with_time(Duration::from_millis(cfg.keep_alive_time as u64))
            .with_interval(Duration::from_millis(cfg.keep_alive_interval as u64))
            .with_retries(5);
        let _ = sock.set_tcp_keepalive(&ka);
    }
}
