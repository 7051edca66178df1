//! Loopback ports.

/// A TCP port on 127.0.0.1 that was free a moment ago: bound, then released, so nothing
/// listens there (connecting to it is refused). Another process may take it meanwhile, so use
/// it at once.
pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a TCP socket on 127.0.0.1")
}

/// A UDP port on 127.0.0.1 that was free a moment ago (bound, then released).
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("bind a UDP socket on 127.0.0.1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_tcp_port_refuses_connections() {
        let port = free_tcp_port();
        assert_ne!(port, 0);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[test]
    fn a_free_udp_port_can_be_bound() {
        let port = free_udp_port();
        assert_ne!(port, 0);
        std::net::UdpSocket::bind(("127.0.0.1", port)).expect("rebind the free port");
    }
}
