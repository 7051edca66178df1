//! One connection's sans-IO TLS session: ciphertext in, plaintext out, and the reverse. It
//! owns no socket, so it is tested with two sessions talking through byte vectors split at
//! every boundary (and fuzzed through [`drive_pair`]).

use std::io::{Read, Write};
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ServerConfig};

/// The errno reported in `on_close` for a TLS failure, chosen so that `strerror` reads as a
/// clear reason: an expired certificate, a rejected one, a missing one, an alert from the
/// peer, or a protocol violation (garbage instead of TLS records).
pub(crate) fn errno_of(e: &rustls::Error) -> i32 {
    use rustls::{CertificateError, Error as E};
    match e {
        E::InvalidCertificate(CertificateError::Expired)
        | E::InvalidCertificate(CertificateError::ExpiredContext { .. }) => libc::EKEYEXPIRED,
        E::InvalidCertificate(_) => libc::EKEYREJECTED,
        E::NoCertificatesPresented => libc::ENOKEY,
        E::AlertReceived(_) => libc::ECONNABORTED,
        _ => libc::EPROTO,
    }
}

/// Keeps an error that is not rustls' own (an I/O error between rustls and our buffers, an
/// invalid server name) typed inside the `rustls::Error` a session reports: the caller can
/// downcast it through [`std::error::Error::source`]. `errno_of` maps it to EPROTO, as any
/// error it does not name.
fn other(e: impl std::error::Error + Send + Sync + 'static) -> rustls::Error {
    rustls::Error::Other(rustls::OtherError(Arc::new(e)))
}

/// A host name that is neither a DNS name nor an IP address, given for SNI.
#[derive(Debug)]
struct InvalidServerName {
    name: String,
    source: rustls::pki_types::InvalidDnsNameError,
}

impl std::fmt::Display for InvalidServerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid server name {:?}", self.name)
    }
}

impl std::error::Error for InvalidServerName {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// What one call of [`TlsSession::read_tls`] produced besides plaintext.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsProgress {
    /// The handshake completed during this call (fire `on_handshake`).
    pub handshake_done: bool,
    /// The peer sent close_notify.
    pub peer_closed: bool,
}

/// One connection's TLS state: ciphertext in and out, plaintext in and out, no socket.
pub(crate) struct TlsSession {
    conn: rustls::Connection,
    handshaken: bool,
    partial: RecordTracker,
}

/// Follows the record framing of the ciphertext fed to rustls, so the session can say how many
/// bytes of an unfinished record rustls holds (they count against the memory budget: a peer
/// that sends 18 KiB records one byte short on 10,000 connections pins 180 MB). rustls does
/// not expose its deframer's fill, and the framing is five bytes of plain header.
#[derive(Default)]
struct RecordTracker {
    header: [u8; 5],
    header_len: usize,
    /// Bytes of the current record's body still to come (0: between records or in a header).
    body_left: usize,
    /// Bytes of the current record received so far (header included).
    held: usize,
}

impl RecordTracker {
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.body_left > 0 {
                let n = self.body_left.min(data.len());
                self.body_left -= n;
                self.held += n;
                data = &data[n..];
                if self.body_left == 0 {
                    self.held = 0;
                }
                continue;
            }
            let n = (5 - self.header_len).min(data.len());
            self.header[self.header_len..self.header_len + n].copy_from_slice(&data[..n]);
            self.header_len += n;
            self.held += n;
            data = &data[n..];
            if self.header_len == 5 {
                self.header_len = 0;
                self.body_left = u16::from_be_bytes([self.header[3], self.header[4]]) as usize;
                if self.body_left == 0 {
                    self.held = 0;
                }
            }
        }
    }
}

impl TlsSession {
    fn new(mut conn: rustls::Connection) -> TlsSession {
        // Plaintext sent before the handshake completes waits inside rustls; the component's
        // own `max_pending_bytes` bounds it, so rustls' separate 64 KiB limit is lifted.
        conn.set_buffer_limit(None);
        TlsSession {
            conn,
            handshaken: false,
            partial: RecordTracker::default(),
        }
    }

    pub fn server(cfg: Arc<ServerConfig>) -> Result<TlsSession, rustls::Error> {
        Ok(TlsSession::new(rustls::ServerConnection::new(cfg)?.into()))
    }

    /// `sni`: the host name to ask for and verify (an IP address is sent as-is).
    pub fn client(cfg: Arc<ClientConfig>, sni: &str) -> Result<TlsSession, rustls::Error> {
        let name = ServerName::try_from(sni.to_string()).map_err(|source| {
            other(InvalidServerName {
                name: sni.to_string(),
                source,
            })
        })?;
        Ok(TlsSession::new(
            rustls::ClientConnection::new(cfg, name)?.into(),
        ))
    }

    pub fn is_handshaking(&self) -> bool {
        !self.handshaken
    }

    /// Feeds ciphertext; appends decrypted bytes to `plain`.
    pub fn read_tls(
        &mut self,
        mut data: &[u8],
        plain: &mut Vec<u8>,
    ) -> Result<TlsProgress, rustls::Error> {
        let mut progress = TlsProgress::default();
        while !data.is_empty() {
            let before = data;
            let n = self.conn.read_tls(&mut data).map_err(other)?;
            if n == 0 {
                break;
            }
            self.partial.feed(&before[..n]);
            let state = self.conn.process_new_packets()?;
            if !self.handshaken && !self.conn.is_handshaking() {
                self.handshaken = true;
                progress.handshake_done = true;
            }
            let want = state.plaintext_bytes_to_read();
            if want > 0 {
                let start = plain.len();
                plain.resize(start + want, 0);
                let got = self
                    .conn
                    .reader()
                    .read(&mut plain[start..])
                    .map_err(other)?;
                plain.truncate(start + got);
            }
            if state.peer_has_closed() {
                progress.peer_closed = true;
            }
        }
        Ok(progress)
    }

    /// Ciphertext bytes of an unfinished record that rustls holds until the rest arrives.
    pub fn partial_record(&self) -> usize {
        self.partial.held
    }

    /// Encrypts `data` (buffered by rustls until the handshake completes).
    pub fn write_plain(&mut self, data: &[u8]) -> Result<(), rustls::Error> {
        self.conn.writer().write_all(data).map_err(other)
    }

    /// Moves pending ciphertext (handshake, records, alerts) into `out`.
    pub fn take_tls(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
    }

    /// Queues close_notify.
    pub fn close(&mut self) {
        self.conn.send_close_notify();
    }

    /// The SNI host name the client asked for (server side).
    pub fn server_name(&self) -> Option<&str> {
        match &self.conn {
            rustls::Connection::Server(s) => s.server_name(),
            rustls::Connection::Client(_) => None,
        }
    }

    pub fn info(&self) -> TlsInfo {
        TlsInfo {
            handshake_complete: self.handshaken,
            version: self
                .conn
                .protocol_version()
                .and_then(|v| v.as_str())
                .map(str::to_string),
            cipher_suite: self
                .conn
                .negotiated_cipher_suite()
                .and_then(|c| c.suite().as_str())
                .map(str::to_string),
            server_name: self.server_name().map(str::to_string),
            peer_certificates: self
                .conn
                .peer_certificates()
                .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
                .unwrap_or_default(),
        }
    }
}

/// What one connection's TLS session negotiated (the portable part of HP-Socket's
/// `GetSSLSessionInfo`, which hands out raw OpenSSL pointers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The handshake has completed.
    pub handshake_complete: bool,
    /// Protocol version, e.g. `"TLSv1_3"`.
    pub version: Option<String>,
    /// Cipher suite, e.g. `"TLS13_AES_256_GCM_SHA384"`.
    pub cipher_suite: Option<String>,
    /// Server side: the host name the client asked for (SNI).
    pub server_name: Option<String>,
    /// The peer's certificate chain (DER), end-entity first; empty when it sent none.
    pub peer_certificates: Vec<Vec<u8>>,
}

/// Drives a server and a client session through byte vectors: `c2s` is sent by the client
/// right away (before the handshake completes), `s2c` by the server once its handshake is
/// done; every flight of ciphertext is delivered in pieces cut at `cuts` (cycled). With
/// `flip = Some((to_server, offset, mask))` the byte at `offset` of the ciphertext going that
/// way is XORed with `mask`. Returns what each side decrypted (server, client) and the first
/// TLS error, if any. Used by the proptests below and the `tls_glue` fuzz target.
pub(crate) fn drive_pair(
    server: Arc<ServerConfig>,
    client: Arc<ClientConfig>,
    c2s: &[u8],
    s2c: &[u8],
    cuts: &[usize],
    flip: Option<(bool, usize, u8)>,
) -> (Vec<u8>, Vec<u8>, Option<rustls::Error>) {
    let (mut s_plain, mut c_plain) = (Vec::new(), Vec::new());
    let (mut s, mut c) = match (
        TlsSession::server(server),
        TlsSession::client(client, "localhost"),
    ) {
        (Ok(s), Ok(c)) => (s, c),
        (Err(e), _) | (_, Err(e)) => return (s_plain, c_plain, Some(e)),
    };
    let mut cut = cuts.iter().copied().filter(|&n| n > 0).cycle();
    let mut deliver = |to: &mut TlsSession,
                       wire: &mut Vec<u8>,
                       sent: &mut usize,
                       flip_here: Option<(usize, u8)>,
                       plain: &mut Vec<u8>|
     -> Result<bool, rustls::Error> {
        if let Some((at, mask)) = flip_here {
            if at >= *sent && at < *sent + wire.len() {
                wire[at - *sent] ^= mask;
            }
        }
        *sent += wire.len();
        let mut rest = &wire[..];
        let mut done = false;
        while !rest.is_empty() {
            let k = cut.next().unwrap_or(rest.len()).min(rest.len());
            done |= to.read_tls(&rest[..k], plain)?.handshake_done;
            rest = &rest[k..];
        }
        wire.clear();
        Ok(done)
    };
    let to_server = flip.filter(|f| f.0).map(|f| (f.1, f.2));
    let to_client = flip.filter(|f| !f.0).map(|f| (f.1, f.2));
    let (mut up, mut down) = (0usize, 0usize);
    if let Err(e) = c.write_plain(c2s) {
        return (s_plain, c_plain, Some(e));
    }
    let mut replied = false;
    for _ in 0..16 {
        let mut wire = Vec::new();
        c.take_tls(&mut wire);
        let progressed = !wire.is_empty();
        if let Err(e) = deliver(&mut s, &mut wire, &mut up, to_server, &mut s_plain) {
            // The alert goes back to the client, as it would on a socket.
            s.take_tls(&mut wire);
            let _ = c.read_tls(&wire, &mut c_plain);
            return (s_plain, c_plain, Some(e));
        }
        if !s.is_handshaking() && !replied {
            replied = true;
            if let Err(e) = s.write_plain(s2c) {
                return (s_plain, c_plain, Some(e));
            }
        }
        s.take_tls(&mut wire);
        let progressed = progressed || !wire.is_empty();
        if let Err(e) = deliver(&mut c, &mut wire, &mut down, to_client, &mut c_plain) {
            return (s_plain, c_plain, Some(e));
        }
        if !progressed {
            break;
        }
    }
    (s_plain, c_plain, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::testutil::{exchange, pair_configs, server_setup, Pki};
    use crate::tls::{TlsClientSetup, VerifyMode};

    /// What an unfinished record holds, computed from the record lengths (the tracker's
    /// independent check).
    fn expected_partial(lens: &[usize], fed: usize) -> usize {
        let mut at = 0;
        for &l in lens {
            let end = at + 5 + l;
            if fed < end {
                return fed - at;
            }
            at = end;
        }
        0
    }

    fn records(lens: &[usize]) -> Vec<u8> {
        let mut wire = Vec::new();
        for &l in lens {
            wire.extend_from_slice(&[22, 3, 1]);
            wire.extend_from_slice(&(l as u16).to_be_bytes());
            wire.extend(std::iter::repeat_n(0xAB, l));
        }
        wire
    }

    proptest::proptest! {
        #[test]
        fn the_record_tracker_counts_exactly_the_unfinished_record(
            lens in proptest::collection::vec(0usize..20_000, 1..6),
            cuts in proptest::collection::vec(1usize..9_000, 1..20),
        ) {
            let wire = records(&lens);
            let mut t = RecordTracker::default();
            let mut fed = 0;
            for c in cuts.iter().cycle() {
                if fed == wire.len() {
                    break;
                }
                let n = (*c).min(wire.len() - fed);
                t.feed(&wire[fed..fed + n]);
                fed += n;
                proptest::prop_assert_eq!(t.held, expected_partial(&lens, fed));
            }
        }
    }

    #[test]
    fn a_record_cut_short_is_held_until_its_last_byte() {
        let (server, _) = pair_configs();
        let mut s = TlsSession::server(server).unwrap();
        let mut plain = Vec::new();
        // A ClientHello-sized record header and part of its body: rustls waits for the rest.
        let wire = records(&[300]);
        s.read_tls(&wire[..200], &mut plain).unwrap();
        assert_eq!(s.partial_record(), 200);
    }

    #[test]
    fn handshake_and_data_split_at_every_size() {
        let pki = Pki::new();
        let server = server_setup(&pki).build().unwrap();
        let client = TlsClientSetup {
            verify: VerifyMode::PEER,
            ca: Some(pki.ca()),
            cert: None,
            server_name: None,
            cipher_list: None,
        }
        .build()
        .unwrap();
        for step in [1, 2, 3, 5, 7, 64, 1000, 1 << 20] {
            let (s, c, _) = exchange(server.clone(), client.clone(), "localhost", step).unwrap();
            assert_eq!(s, b"hello from client", "step {step}");
            assert_eq!(c, b"hello from server", "step {step}");
        }
    }

    #[test]
    fn garbage_instead_of_client_hello_is_an_error_not_a_panic() {
        let pki = Pki::new();
        let server = server_setup(&pki).build().unwrap();
        let mut s = TlsSession::server(server).unwrap();
        let mut plain = Vec::new();
        let r = s.read_tls(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", &mut plain);
        assert!(r.is_err());
        let mut alert = Vec::new();
        s.take_tls(&mut alert);
        assert!(plain.is_empty());
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any split of every flight delivers both payloads intact.
        #[test]
        fn records_split_anywhere_arrive_intact(
            c2s in proptest::collection::vec(any::<u8>(), 0..40_000),
            s2c in proptest::collection::vec(any::<u8>(), 0..40_000),
            cuts in proptest::collection::vec(1usize..20_000, 1..12),
        ) {
            let (server, client) = pair_configs();
            let (s, c, err) = drive_pair(server, client, &c2s, &s2c, &cuts, None);
            prop_assert!(err.is_none(), "{err:?}");
            prop_assert!(s == c2s);
            prop_assert!(c == s2c);
        }

        /// A flipped bit anywhere is an error (or lands where TLS ignores it), never wrong
        /// plaintext: what was decrypted is always a prefix of what was sent.
        #[test]
        fn a_flipped_bit_never_yields_wrong_plaintext(
            c2s in proptest::collection::vec(any::<u8>(), 1..5_000),
            s2c in proptest::collection::vec(any::<u8>(), 1..5_000),
            cuts in proptest::collection::vec(1usize..3_000, 1..6),
            to_server: bool,
            offset in 0usize..8_000,
            bit in 0u32..8,
        ) {
            let (server, client) = pair_configs();
            let flip = Some((to_server, offset, 1u8 << bit));
            let (s, c, _) = drive_pair(server, client, &c2s, &s2c, &cuts, flip);
            prop_assert!(c2s.starts_with(&s));
            prop_assert!(s2c.starts_with(&c));
        }
    }

    #[test]
    fn an_invalid_server_name_stays_typed() {
        let (_, client) = pair_configs();
        let Err(e) = TlsSession::client(client, "bad name!") else {
            panic!("accepted an invalid server name");
        };
        assert_eq!(errno_of(&e), libc::EPROTO);
        assert!(
            e.to_string().contains("invalid server name \"bad name!\""),
            "{e}"
        );
        let rustls::Error::Other(o) = &e else {
            panic!("{e:?}");
        };
        assert!(o.0.downcast_ref::<InvalidServerName>().is_some());
    }
}
