//! Receive models (how received bytes reach the application) and transports (what lies
//! between them and the socket).

/// Which receive model a component uses (a type parameter of every component).
///
/// Sealed: the models are [`Push`], [`Pull`], [`Pack`], [`Http`] and [`Ws`].
pub trait Model: sealed::Sealed + Send + Sync + 'static {
    #[doc(hidden)]
    const KIND: ModelKind;
    /// The component runs WebSocket's opening handshake and delivers whole messages.
    #[doc(hidden)]
    const WS: bool = false;
}

/// The models that speak HTTP/1.1 ([`Http`], [`Ws`]): they share the HTTP operations and
/// properties.
pub trait HttpModel: Model {}

#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    Push,
    Pull,
    Pack,
    Http,
}

/// PUSH: every chunk read from the socket is handed to `on_receive` as it arrives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Push;

/// PULL: received bytes are buffered; `on_pull_receive` reports how many are buffered in
/// total and the application takes them with `fetch` / `peek`.
///
/// The buffer is bounded by `pull_buffer_limit`: while it holds that much, the connection is
/// not read (TCP flow control slows the peer) until `fetch` brings it below the limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pull;

/// PACK: every `on_receive` is one whole packet, framed on the wire with HP-Socket's 4-byte
/// header (22-bit length, 10-bit flag); `send` adds the header and `send_packets` sends its
/// buffers as one packet.
///
/// A header with another flag or a length of 0 / above `max_pack_size` closes that
/// connection with `SocketOperation::Receive` and `EBADMSG` (flag) or `EMSGSIZE` (length).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pack;

/// HTTP/1.1: received bytes are parsed into requests (servers) or responses (agents and
/// clients) and reported through the listener's HTTP events (`on_message_begin` …
/// `on_message_complete`); the component sends whole responses / requests. A connection that
/// upgrades (WebSocket, CONNECT tunnel, another protocol) hands every later byte to
/// `on_receive`, as HP-Socket does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Http;

impl Model for Http {
    const KIND: ModelKind = ModelKind::Http;
}

/// WebSocket (RFC 6455) over HTTP/1.1: a server answers a valid opening handshake itself
/// (subprotocols and permessage-deflate negotiated from its properties) and a client sends
/// one when its connection is ready; from then on the listener gets `on_ws_open`, whole
/// messages in `on_ws_message` (text checked as UTF-8, within `ws_max_message_size`),
/// `on_ws_ping` / `on_ws_pong` (pings are answered by the framework) and the peer's close in
/// `on_ws_close`, and the component sends with `send_text`, `send_binary`, `send_ping` and
/// `close_ws`. Other HTTP requests reach the HTTP events as on an [`Http`] server (to serve
/// files beside the WebSocket endpoint).
#[derive(Debug, Clone, Copy, Default)]
pub struct Ws;

impl Model for Ws {
    const KIND: ModelKind = ModelKind::Http;
    const WS: bool = true;
}

impl HttpModel for Http {}
impl HttpModel for Ws {}

impl Model for Push {
    const KIND: ModelKind = ModelKind::Push;
}

impl Model for Pull {
    const KIND: ModelKind = ModelKind::Pull;
}

impl Model for Pack {
    const KIND: ModelKind = ModelKind::Pack;
}

/// Which transport a component uses (a type parameter of every TCP component).
///
/// Sealed: the transports are [`Plain`] and [`Tls`].
pub trait Transport: sealed::Sealed + Send + Sync + 'static {
    #[doc(hidden)]
    const SECURE: bool;
}

/// Bytes go to and from the socket as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

/// TLS 1.2 / 1.3 (rustls) between the socket and the receive model: the application sends and
/// receives plaintext, `on_handshake` fires when the TLS handshake completes, and the
/// component needs a TLS context (`setup_ssl_context` or `set_tls_config`) before `start`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tls;

impl Transport for Plain {
    const SECURE: bool = false;
}

impl Transport for Tls {
    const SECURE: bool = true;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Push {}
    impl Sealed for super::Pull {}
    impl Sealed for super::Pack {}
    impl Sealed for super::Http {}
    impl Sealed for super::Ws {}
    impl Sealed for super::Plain {}
    impl Sealed for super::Tls {}
}
