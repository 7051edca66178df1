//! UDP: the server's virtual connections per peer (`server.rs`, its worker-side socket in
//! `worker.rs`), and the client and cast roles on one shared endpoint (`endpoint.rs`). This
//! module holds what a datagram means.

pub(crate) mod cast;
pub(crate) mod client;
pub(crate) mod endpoint;
pub(crate) mod server;
pub(crate) mod worker;

/// Datagrams read per readiness event before a socket yields to the worker's others.
pub(crate) const MAX_READS: usize = 64;

/// The datagram HP-Socket sends to tell a peer its virtual connection is closed.
pub(crate) const CLOSE_NOTIFY: [u8; 16] = [
    0xBE, 0xB6, 0x1F, 0xEB, 0xDA, 0x52, 0x46, 0xBA, 0x92, 0x33, 0x59, 0xDB, 0xBF, 0xE6, 0xC8, 0xE4,
];

/// What a received datagram is to the connection it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 0 bytes: a detect probe, answered with 0 bytes and not reported.
    Probe,
    /// The 16-byte close notification: the peer closed.
    CloseNotify,
    /// Application data: one `on_receive`.
    Data,
}

pub(crate) fn classify(d: &[u8]) -> Kind {
    if d.is_empty() {
        Kind::Probe
    } else if d == CLOSE_NOTIFY {
        Kind::CloseNotify
    } else {
        Kind::Data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagram_kinds() {
        assert_eq!(classify(&[]), Kind::Probe);
        assert_eq!(classify(&CLOSE_NOTIFY), Kind::CloseNotify);
        assert_eq!(classify(&CLOSE_NOTIFY[..15]), Kind::Data);
        let mut longer = CLOSE_NOTIFY.to_vec();
        longer.push(0);
        assert_eq!(classify(&longer), Kind::Data);
    }
}
