//! `ws://`: ZeroMQ over WebSocket (ZWS 2.0, RFC 45), on tcp connections upgraded with HTTP/1.1;
//! the upgrade and the WebSocket framing are tokio-tungstenite's.
//!
//! ZWS 2.0 has no greeting: the mechanism is the subprotocol (`ZWS2.0/NULL`, `ZWS2.0/PLAIN`,
//! `ZWS2.0/CURVE`), and each ZMTP frame is one binary WebSocket message whose first byte is the
//! frame's flags (`0x01` more, `0x02` command) followed by its body, with no length (the
//! WebSocket message has one). The bare `ZWS2.0` (what browsers' jszmq offers) has no
//! mechanism at all: each side's first message is its routing id, and no READY is exchanged.
//!
//! The connection engine and the codec are the ones of `tcp://`, unchanged: [`WsStream`] is a
//! byte stream that translates at the frame level. To the codec it reads as a ZMTP 3.0 peer
//! (a greeting made from the subprotocol, then each message as a ZMTP frame, flags and
//! length); what the codec writes loses its greeting and each ZMTP frame becomes one
//! WebSocket message (the header byte before the body is overwritten with the ZWS flags, so the
//! body is not copied again). As libzmq's ws engine does, subscriptions travel as ZMTP 3.0
//! messages (`\x01topic`), and heartbeats (`ZMQ_HEARTBEAT_IVL`, `ZMQ_HEARTBEAT_TIMEOUT`) are
//! WebSocket PINGs sent by this stream (the codec sends none to a ZMTP 3.0 peer); tungstenite
//! answers the peer's. tcp, ipc and inproc pay nothing for it: the translation exists only in
//! this stream type.
//!
//! `wss://` is not here: tokio-tungstenite's rustls feature would give the TLS, but the
//! certificate options (libzmq's `ZMQ_WSS_*`) are not wired; it is refused as not supported.
//!
//! As libzmq 4.3.5: the path of the URL is sent by a connecting socket and not checked by a
//! bound one; the bare `ZWS2.0` does not check the peer's socket type (there is none to check).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Sleep;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{self, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::WebSocketStream;
use tokio_util::sync::CancellationToken;
use zmtp_codec::greeting::{GreetingWriter, GREETING_LEN};
use zmtp_codec::{Command, MechanismName, Metadata, SocketType};

use super::connecter::{self, with_timeout};
use super::listener::{self, Accept};
use crate::core::{Core, PipeId};
use crate::endpoint::{Endpoint, TcpEndpoint, TcpHost, WsEndpoint};
use crate::engine::ConnectionSettings;
use crate::options::Security;

/// The ZWS 2.0 flags byte: more frames follow.
const ZWS_MORE: u8 = 0x01;
/// The ZWS 2.0 flags byte: a command.
const ZWS_COMMAND: u8 = 0x02;
/// ZMTP's frame flags.
const ZMTP_MORE: u8 = 0x01;
const ZMTP_LONG: u8 = 0x02;
const ZMTP_COMMAND: u8 = 0x04;
/// The bare subprotocol: no mechanism, routing ids as first messages.
const BARE: &str = "ZWS2.0";

/// Why a `ws://` connection was dropped (inside the `io::Error` the connection ends with,
/// `ErrorKind::InvalidData` but for I/O failures of the WebSocket layer).
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The HTTP upgrade or the WebSocket framing failed: a malformed frame, a message over
    /// `ZMQ_MAXMSGSIZE` (tungstenite's message size limit), a bad handshake.
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tungstenite::Error),
    /// A text message: ZWS 2.0 carries binary messages only.
    #[error("a text WebSocket message (ZWS 2.0 carries binary messages only)")]
    TextMessage,
    /// A binary message without the flags byte.
    #[error("an empty WebSocket message (a ZWS 2.0 frame starts with its flags byte)")]
    EmptyMessage,
    /// The peer offered or chose no subprotocol that matches this socket's mechanism.
    #[error("no ZWS 2.0 subprotocol for mechanism {0} (the peer offered {1:?})")]
    Subprotocol(&'static str, String),
    /// The socket's mechanism has no ZWS 2.0 subprotocol (GSSAPI).
    #[error("mechanism {0} has no ZWS 2.0 subprotocol (libzmq's ws:// has NULL, PLAIN, CURVE)")]
    Mechanism(&'static str),
    /// What the codec wrote is not ZMTP (cannot happen with our codec).
    #[error("outbound bytes are not a ZMTP frame stream")]
    Outbound,
}

impl From<WsError> for io::Error {
    fn from(e: WsError) -> io::Error {
        match e {
            WsError::WebSocket(tungstenite::Error::Io(io)) => io,
            e => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

/// What a side of a connection needs to pick or check the subprotocol.
#[derive(Debug, Clone)]
pub(crate) struct WsSide {
    /// Our mechanism's name in the subprotocol (`NULL`, `PLAIN`, `CURVE`); `None`: GSSAPI,
    /// which has none.
    mechanism: Option<&'static str>,
    socket_type: SocketType,
    config: WebSocketConfig,
    /// `ZMQ_HEARTBEAT_IVL` and `ZMQ_HEARTBEAT_TIMEOUT` (`None`: the interval; zero: none).
    heartbeat: Option<(Duration, Option<Duration>)>,
}

impl WsSide {
    pub(crate) fn new(settings: &ConnectionSettings) -> WsSide {
        let mechanism = match &settings.security {
            Security::Null => Some("NULL"),
            Security::PlainClient(_) | Security::PlainServer => Some("PLAIN"),
            Security::CurveClient { .. } | Security::CurveServer(_) => Some("CURVE"),
            Security::Gssapi(_) => None,
        };
        // ZMQ_MAXMSGSIZE bounds a WebSocket message (its flags byte included) before it is
        // read whole; -1 is libzmq's "no limit".
        let max = settings
            .config
            .max_msg_size
            .and_then(|m| usize::try_from(m).ok())
            .map(|m| m.saturating_add(1));
        let config = WebSocketConfig::default()
            .max_message_size(max)
            .max_frame_size(max);
        let heartbeat = settings.config.heartbeat_ivl.map(|ivl| {
            let timeout = settings.config.heartbeat_timeout.unwrap_or(ivl);
            (ivl, (!timeout.is_zero()).then_some(timeout))
        });
        WsSide {
            mechanism,
            socket_type: settings.config.socket_type,
            config,
            heartbeat,
        }
    }

    /// The subprotocols a connecting socket offers, as libzmq offers them.
    fn offer(&self) -> Result<&'static str, WsError> {
        match self.mechanism.ok_or(WsError::Mechanism("GSSAPI"))? {
            "NULL" => Ok("ZWS2.0/NULL,ZWS2.0"),
            "PLAIN" => Ok("ZWS2.0/PLAIN"),
            _ => Ok("ZWS2.0/CURVE"),
        }
    }

    /// Whether `protocol` (one subprotocol name) is ours: the mechanism's, or the bare
    /// `ZWS2.0` under NULL.
    fn accepts(&self, protocol: &str) -> bool {
        match self.mechanism {
            Some(name) => {
                protocol.strip_prefix("ZWS2.0/") == Some(name)
                    || (name == "NULL" && protocol == BARE)
            }
            None => false,
        }
    }
}

/// The mode a connection runs in, from the agreed subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `ZWS2.0/<mechanism>`: the ZMTP handshake (READY, HELLO, ...) flows as commands.
    Mechanism(&'static str),
    /// `ZWS2.0`: routing ids as first messages, nothing else.
    Bare,
}

impl Mode {
    fn of(protocol: &str) -> Option<Mode> {
        match protocol {
            BARE => Some(Mode::Bare),
            "ZWS2.0/NULL" => Some(Mode::Mechanism("NULL")),
            "ZWS2.0/PLAIN" => Some(Mode::Mechanism("PLAIN")),
            "ZWS2.0/CURVE" => Some(Mode::Mechanism("CURVE")),
            _ => None,
        }
    }
}

type Handshake<S> =
    Pin<Box<dyn Future<Output = Result<(WebSocketStream<S>, Mode), WsError>> + Send>>;

enum State<S> {
    /// Accepted, the upgrade not read yet (made on the first poll, in the connection's task).
    Accepted(Option<S>),
    /// The server's side of the upgrade under way.
    Upgrading(Handshake<S>),
    /// Boxed: the open stream is much larger than the other states.
    Open(Box<WebSocketStream<S>>),
}

/// A `ws://` connection as the byte stream of ZMTP frames the connection engine runs the codec
/// over (see the module's documentation).
pub(crate) struct WsStream<S> {
    state: State<S>,
    side: Arc<WsSide>,
    mode: Mode,
    /// What the codec reads next: the greeting made up for the peer, then its frames.
    inbound: BytesMut,
    /// Bare mode: the peer's routing id (its first message) not read yet.
    awaiting_routing_id: bool,
    /// What the codec wrote that is not a whole frame yet.
    outbound: BytesMut,
    /// Greeting bytes of the codec still to drop.
    greeting_left: usize,
    /// Bare mode: our READY not seen yet (it becomes our routing id message).
    awaiting_ready: bool,
    /// Bytes taken by a write whose WebSocket messages are not flushed yet: the write
    /// reports them once they are (the engine offers the same bytes again meanwhile).
    accepted: usize,
    /// What the codec wrote during the upgrade is sent but not flushed yet.
    unflushed: bool,
    /// `ZMQ_HEARTBEAT_IVL` and `ZMQ_HEARTBEAT_TIMEOUT`, as WebSocket PINGs (started once open).
    heartbeat: Option<Heartbeat>,
}

/// WebSocket PINGs every `ivl`; a peer heard from by no message within `timeout` of a PING is
/// dropped, as libzmq's ws engine does.
struct Heartbeat {
    ivl: Duration,
    /// `None`: no timeout (`ZMQ_HEARTBEAT_TIMEOUT` 0).
    timeout: Option<Duration>,
    next_ping: Pin<Box<Sleep>>,
    /// Armed by a PING, disarmed by anything heard.
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<S> std::fmt::Debug for WsStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsStream")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> WsStream<S> {
    fn new(state: State<S>, side: Arc<WsSide>, mode: Mode) -> WsStream<S> {
        let mut stream = WsStream {
            state,
            side,
            mode,
            inbound: BytesMut::new(),
            awaiting_routing_id: false,
            outbound: BytesMut::new(),
            greeting_left: GREETING_LEN,
            awaiting_ready: false,
            accepted: 0,
            unflushed: false,
            heartbeat: None,
        };
        if matches!(stream.state, State::Open(_)) {
            stream.opened(mode);
        }
        stream
    }

    /// The subprotocol is agreed: the codec gets the peer's greeting.
    fn opened(&mut self, mode: Mode) {
        self.mode = mode;
        let name = match mode {
            Mode::Mechanism(name) => name,
            Mode::Bare => "NULL",
        };
        let mechanism = MechanismName::new(name).unwrap_or(MechanismName::NULL);
        let greeting = GreetingWriter::new(mechanism, 0);
        self.inbound.extend_from_slice(greeting.as_bytes());
        // ZMTP 3.0 to the codec: subscriptions as messages, as libzmq's ws engine sends them.
        self.inbound[11] = 0;
        self.awaiting_routing_id = mode == Mode::Bare;
        self.awaiting_ready = mode == Mode::Bare;
        self.heartbeat = self.side.heartbeat.map(|(ivl, timeout)| Heartbeat {
            ivl,
            timeout,
            next_ping: Box::pin(tokio::time::sleep(ivl)),
            deadline: None,
        });
    }

    /// Sends a PING when one is due, and fails the connection when the peer has been silent
    /// past `ZMQ_HEARTBEAT_TIMEOUT` after one. Registers the timers' wakers.
    fn poll_heartbeat(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let (Some(heartbeat), State::Open(ws)) = (self.heartbeat.as_mut(), &mut self.state) else {
            return Ok(());
        };
        if let Some(deadline) = heartbeat.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no message from the peer within ZMQ_HEARTBEAT_TIMEOUT of a WebSocket PING",
                ));
            }
        }
        if heartbeat.next_ping.as_mut().poll(cx).is_ready() {
            let now = tokio::time::Instant::now();
            heartbeat.next_ping.as_mut().reset(now + heartbeat.ivl);
            let _ = heartbeat.next_ping.as_mut().poll(cx);
            if let (None, Some(timeout)) = (&heartbeat.deadline, heartbeat.timeout) {
                let mut deadline = Box::pin(tokio::time::sleep(timeout));
                let _ = deadline.as_mut().poll(cx);
                heartbeat.deadline = Some(deadline);
            }
            Pin::new(&mut **ws)
                .start_send(WsMessage::Ping(Bytes::new()))
                .map_err(WsError::from)?;
            self.unflushed = true;
        }
        Ok(())
    }

    /// Drives the server's upgrade until the stream is open.
    fn poll_open(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Open(_) => return Poll::Ready(Ok(())),
                State::Accepted(stream) => {
                    let Some(stream) = stream.take() else {
                        return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
                    };
                    self.state =
                        State::Upgrading(Box::pin(server_upgrade(stream, self.side.clone())));
                }
                State::Upgrading(upgrade) => {
                    let (ws, mode) = ready!(upgrade.as_mut().poll(cx))?;
                    self.state = State::Open(Box::new(ws));
                    self.opened(mode);
                    // What the codec wrote during the upgrade goes now.
                    self.translate_out()?;
                    self.unflushed = true;
                }
            }
        }
    }

    fn ws(&mut self) -> &mut WebSocketStream<S> {
        match &mut self.state {
            State::Open(ws) => ws,
            _ => unreachable!("polled after poll_open"),
        }
    }

    /// One WebSocket message in, as the codec reads it. `false`: nothing for the codec.
    fn translate_in(&mut self, message: WsMessage) -> Result<bool, WsError> {
        let data = match message {
            WsMessage::Binary(data) => data,
            WsMessage::Text(_) => return Err(WsError::TextMessage),
            // tungstenite answers a PING itself.
            WsMessage::Ping(_) | WsMessage::Frame(_) => return Ok(false),
            WsMessage::Pong(_) => {
                // A PONG to our heartbeat: a PONG command to the codec.
                push_frame(&mut self.inbound, ZMTP_COMMAND, &pong_command());
                return Ok(true);
            }
            WsMessage::Close(_) => return Ok(false),
        };
        let (&flags, body) = data.split_first().ok_or(WsError::EmptyMessage)?;
        if self.awaiting_routing_id {
            // Bare ZWS2.0: the peer's routing id, as a READY with a socket type ours accepts.
            self.awaiting_routing_id = false;
            let mut metadata = Metadata::new();
            let peer = (0..=u8::MAX)
                .filter_map(SocketType::from_raw)
                .find(|t| self.side.socket_type.is_compatible_with(*t))
                .unwrap_or(self.side.socket_type);
            let _ = metadata.insert("Socket-Type", peer.as_str());
            if !body.is_empty() {
                let _ = metadata.insert("Identity", Bytes::copy_from_slice(body));
            }
            let mut ready = BytesMut::new();
            Command::Ready(metadata).encode_body(&mut ready);
            push_frame(&mut self.inbound, ZMTP_COMMAND, &ready);
            return Ok(true);
        }
        let mut zmtp = 0;
        if flags & ZWS_MORE != 0 {
            zmtp |= ZMTP_MORE;
        }
        if flags & ZWS_COMMAND != 0 {
            zmtp |= ZMTP_COMMAND;
        }
        push_frame(&mut self.inbound, zmtp, body);
        Ok(true)
    }

    /// Sends every whole ZMTP frame the codec wrote as a WebSocket message.
    fn translate_out(&mut self) -> Result<(), WsError> {
        loop {
            if self.greeting_left > 0 {
                let n = self.greeting_left.min(self.outbound.len());
                self.outbound.advance(n);
                self.greeting_left -= n;
                if self.greeting_left > 0 {
                    return Ok(());
                }
            }
            let Some(&flags) = self.outbound.first() else {
                return Ok(());
            };
            let header = if flags & ZMTP_LONG != 0 { 9 } else { 2 };
            if self.outbound.len() < header {
                return Ok(());
            }
            let len = if flags & ZMTP_LONG != 0 {
                let mut size = [0u8; 8];
                size.copy_from_slice(&self.outbound[1..9]);
                usize::try_from(u64::from_be_bytes(size)).map_err(|_| WsError::Outbound)?
            } else {
                usize::from(self.outbound[1])
            };
            if self.outbound.len() - header < len {
                return Ok(());
            }
            // The byte before the body becomes the ZWS flags: the body is not copied.
            self.outbound.advance(header - 1);
            let mut frame = self.outbound.split_to(len + 1);
            let mut zws = 0;
            if flags & ZMTP_MORE != 0 {
                zws |= ZWS_MORE;
            }
            if flags & ZMTP_COMMAND != 0 {
                zws |= ZWS_COMMAND;
            }
            frame[0] = zws;
            let message = if flags & ZMTP_COMMAND != 0 {
                match Command::parse(frame.clone().freeze().slice(1..)) {
                    // Heartbeats are WebSocket's own, as libzmq's ws engine sends them.
                    Ok(Command::Ping { .. }) => WsMessage::Ping(Bytes::new()),
                    // tungstenite answers PINGs; the codec never sees one to answer.
                    Ok(Command::Pong { .. }) => continue,
                    Ok(Command::Ready(metadata)) if self.awaiting_ready => {
                        // Bare ZWS2.0: our routing id instead of READY.
                        self.awaiting_ready = false;
                        let mut id = BytesMut::with_capacity(1);
                        id.put_u8(0);
                        if let Some(identity) = metadata.identity() {
                            id.extend_from_slice(identity);
                        }
                        WsMessage::Binary(id.freeze())
                    }
                    _ => WsMessage::Binary(frame.freeze()),
                }
            } else {
                WsMessage::Binary(frame.freeze())
            };
            Pin::new(self.ws()).start_send(message)?;
        }
    }
}

/// A ZMTP frame of `body` with `flags` (the long flag added when needed) for the codec to read.
fn push_frame(dst: &mut BytesMut, flags: u8, body: &[u8]) {
    if body.len() > 255 {
        dst.put_u8(flags | ZMTP_LONG);
        dst.put_u64(body.len() as u64);
    } else {
        dst.put_u8(flags);
        // At most 255 just above.
        #[allow(clippy::cast_possible_truncation)]
        dst.put_u8(body.len() as u8);
    }
    dst.extend_from_slice(body);
}

fn pong_command() -> BytesMut {
    let mut body = BytesMut::new();
    Command::Pong {
        context: Bytes::new(),
    }
    .encode_body(&mut body);
    body
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncRead for WsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_open(cx))?;
        if this.unflushed {
            // Pending: the transport wakes this task when it can take more, and reads come back.
            if let Poll::Ready(flushed) = Pin::new(this.ws()).poll_flush(cx) {
                flushed.map_err(WsError::from)?;
                this.unflushed = false;
            }
        }
        while this.inbound.is_empty() {
            let next = match Pin::new(this.ws()).poll_next(cx) {
                Poll::Ready(next) => next,
                Poll::Pending => {
                    this.poll_heartbeat(cx)?;
                    if this.unflushed {
                        if let Poll::Ready(flushed) = Pin::new(this.ws()).poll_flush(cx) {
                            flushed.map_err(WsError::from)?;
                            this.unflushed = false;
                        }
                    }
                    return Poll::Pending;
                }
            };
            match next {
                None | Some(Ok(WsMessage::Close(_))) => return Poll::Ready(Ok(())),
                Some(Ok(message)) => {
                    // Anything heard answers a PING.
                    if let Some(heartbeat) = this.heartbeat.as_mut() {
                        heartbeat.deadline = None;
                    }
                    this.translate_in(message)?;
                }
                Some(Err(e)) => return Poll::Ready(Err(WsError::from(e).into())),
            }
        }
        let n = this.inbound.len().min(buf.remaining());
        buf.put_slice(&this.inbound[..n]);
        this.inbound.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncWrite for WsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !matches!(this.state, State::Open(_)) {
            // The upgrade is under way (driven by reads): what the codec writes meanwhile (its
            // greeting, its first handshake command) waits here, so that a connection whose
            // upgrade never comes can still end (ZMQ_HANDSHAKE_IVL) with nothing unwritten.
            this.outbound.extend_from_slice(buf);
            return Poll::Ready(Ok(buf.len()));
        }
        if this.accepted == 0 {
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            this.outbound.extend_from_slice(buf);
            this.accepted = buf.len();
            this.translate_out()?;
        }
        // Reported once it left for the transport, as a tcp write would be: what the engine
        // counts as written is not held here.
        ready!(Pin::new(this.ws()).poll_flush(cx)).map_err(WsError::from)?;
        Poll::Ready(Ok(std::mem::take(&mut this.accepted)))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !matches!(this.state, State::Open(_)) {
            return Poll::Ready(Ok(()));
        }
        ready!(Pin::new(this.ws()).poll_flush(cx)).map_err(WsError::from)?;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_open(cx))?;
        ready!(Pin::new(this.ws()).poll_close(cx)).map_err(WsError::from)?;
        Poll::Ready(Ok(()))
    }
}

/// The server's side of the upgrade: picks the first subprotocol the client offers that is
/// ours (a client offering none of ours gets `400 Bad Request`).
async fn server_upgrade<S>(
    stream: S,
    side: Arc<WsSide>,
) -> Result<(WebSocketStream<S>, Mode), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if side.mechanism.is_none() {
        return Err(WsError::Mechanism("GSSAPI"));
    }
    let mut chosen = None;
    let mut offered = String::new();
    // The refusal's type is tungstenite's callback's.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, mut response: Response| {
        let protocols = request
            .headers()
            .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim);
        for protocol in protocols {
            if !offered.is_empty() {
                offered.push(',');
            }
            offered.push_str(protocol);
            if chosen.is_none() && side.accepts(protocol) {
                chosen = Mode::of(protocol).map(|mode| (mode, protocol.to_owned()));
            }
        }
        match &chosen {
            Some((_, protocol)) => {
                if let Ok(value) = HeaderValue::from_str(protocol) {
                    response
                        .headers_mut()
                        .insert(http::header::SEC_WEBSOCKET_PROTOCOL, value);
                }
                Ok(response)
            }
            None => {
                let mut refusal = ErrorResponse::new(Some(
                    "no ZWS 2.0 subprotocol of this socket's mechanism".into(),
                ));
                *refusal.status_mut() = http::StatusCode::BAD_REQUEST;
                Err(refusal)
            }
        }
    };
    let result =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(side.config)).await;
    match (result, chosen) {
        (Ok(ws), Some((mode, _))) => Ok((ws, mode)),
        (Err(_), None) | (Ok(_), None) => Err(WsError::Subprotocol(
            side.mechanism.unwrap_or("GSSAPI"),
            offered,
        )),
        (Err(e), Some(_)) => Err(e.into()),
    }
}

/// The client's side of the upgrade on a connected stream: `GET path` with our subprotocols;
/// the server's choice sets the mode.
async fn client_upgrade<S>(
    stream: S,
    endpoint: &WsEndpoint,
    side: &WsSide,
) -> Result<(WebSocketStream<S>, Mode), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let offer = side.offer()?;
    let host = TcpEndpoint {
        host: endpoint.host.clone(),
        port: endpoint.port,
    };
    let request = http::Request::builder()
        .method("GET")
        .uri(format!("ws://{host}{}", endpoint.path))
        .header(http::header::HOST, host.to_string())
        .header(http::header::CONNECTION, "Upgrade")
        .header(http::header::UPGRADE, "websocket")
        .header(http::header::SEC_WEBSOCKET_VERSION, "13")
        .header(http::header::SEC_WEBSOCKET_KEY, generate_key())
        .header(http::header::SEC_WEBSOCKET_PROTOCOL, offer)
        .body(())
        .map_err(|e| WsError::WebSocket(tungstenite::Error::HttpFormat(e)))?;
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(side.config)).await?;
    let chosen = response
        .headers()
        .get(http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_owned();
    match Mode::of(&chosen).filter(|_| side.accepts(&chosen)) {
        Some(mode) => Ok((ws, mode)),
        None => Err(WsError::Subprotocol(
            side.mechanism.unwrap_or("GSSAPI"),
            chosen,
        )),
    }
}

/// A bound `ws://` endpoint's listener: tcp's, whose connections upgrade in their own task.
pub(crate) struct WsListener {
    tcp: TcpListener,
    side: Arc<WsSide>,
}

impl WsListener {
    pub(crate) fn new(tcp: TcpListener, settings: &ConnectionSettings) -> WsListener {
        WsListener {
            tcp,
            side: Arc::new(WsSide::new(settings)),
        }
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

impl Accept for WsListener {
    type Stream = WsStream<TcpStream>;
    type Std = (std::net::TcpStream, Arc<WsSide>);

    fn into_std(stream: WsStream<TcpStream>) -> io::Result<Self::Std> {
        match stream.state {
            State::Accepted(Some(tcp)) => Ok((tcp.into_std()?, stream.side)),
            _ => Err(io::ErrorKind::InvalidInput.into()),
        }
    }

    fn from_std((tcp, side): Self::Std) -> io::Result<WsStream<TcpStream>> {
        let tcp = TcpStream::from_std(tcp)?;
        Ok(WsStream::new(State::Accepted(Some(tcp)), side, Mode::Bare))
    }

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(WsStream<TcpStream>, Bytes)>> {
        self.tcp.poll_accept(cx).map_ok(|(tcp, peer)| {
            let stream = WsStream::new(State::Accepted(Some(tcp)), self.side.clone(), Mode::Bare);
            (stream, Bytes::from(peer.ip().to_string()))
        })
    }

    fn peer_label(stream: &WsStream<TcpStream>) -> Option<String> {
        match &stream.state {
            State::Accepted(Some(tcp)) => tcp.peer_addr().ok().map(|peer| peer.to_string()),
            _ => None,
        }
    }

    fn admit(stream: &WsStream<TcpStream>, settings: &ConnectionSettings) -> bool {
        match &stream.state {
            State::Accepted(Some(tcp)) => <TcpListener as Accept>::admit(tcp, settings),
            _ => false,
        }
    }

    fn tune(stream: &WsStream<TcpStream>, settings: &ConnectionSettings) -> io::Result<()> {
        match &stream.state {
            State::Accepted(Some(tcp)) => <TcpListener as Accept>::tune(tcp, settings),
            _ => Ok(()),
        }
    }
}

/// Accepts connections until unbind or close; each upgrades and runs in its own task.
pub(crate) fn spawn_listener(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    listener: WsListener,
    endpoint: String,
    unbound: CancellationToken,
) -> JoinHandle<()> {
    listener::spawn_listener(core, settings, listener, endpoint, unbound)
}

/// Connects, upgrades, runs the connection, and reconnects until the socket closes or
/// `disconnect` says so. `ZMQ_CONNECT_TIMEOUT` bounds the tcp connect and the upgrade.
pub(crate) fn spawn_connecter(
    core: Arc<Core>,
    settings: Arc<ConnectionSettings>,
    endpoint: WsEndpoint,
    pipe: PipeId,
    disconnect: Arc<connecter::Disconnect>,
) -> JoinHandle<()> {
    let timeout = settings.connect_timeout;
    let tuning = settings.tcp.clone();
    let side = Arc::new(WsSide::new(&settings));
    let label = Endpoint::Ws(endpoint.clone());
    connecter::spawn_connecter(core, settings, label, pipe, true, disconnect, move || {
        let endpoint = endpoint.clone();
        let tuning = tuning.clone();
        let side = side.clone();
        async move {
            let tcp = TcpEndpoint {
                host: endpoint.host.clone(),
                port: endpoint.port,
            };
            let stream = with_timeout(timeout, async {
                let stream = super::tcp::connect(&tcp, &tuning, None).await?;
                let address = Bytes::from(
                    stream
                        .peer_addr()
                        .map(|a| a.ip().to_string())
                        .unwrap_or_default(),
                );
                let (ws, mode) = client_upgrade(stream, &endpoint, &side).await?;
                Ok((
                    WsStream::new(State::Open(Box::new(ws)), side.clone(), mode),
                    address,
                ))
            })
            .await?;
            Ok(stream)
        }
    })
}

/// `ws://*:port` binds every interface as tcp's `*` does.
pub(crate) fn tcp_part(endpoint: &WsEndpoint) -> TcpEndpoint {
    TcpEndpoint {
        host: endpoint.host.clone(),
        port: endpoint.port,
    }
}

/// The bound endpoint as `ws://127.0.0.1:port/path`.
pub(crate) fn bound_endpoint(local: SocketAddr, path: &str) -> String {
    Endpoint::Ws(WsEndpoint {
        host: TcpHost::Ip(local.ip()),
        port: local.port(),
        path: path.to_owned(),
    })
    .to_string()
}
