//! Errors, one variant per way a peer (or a caller) can break the protocol. All derive
//! `PartialEq` so that tests can assert the exact error.

use crate::greeting::{LegacyVersion, MechanismName};
use crate::socket_type::SocketType;

/// The peer's greeting is not ZMTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GreetingError {
    /// A byte that no ZMTP version (1.0, 2.0 or 3.x) allows at that position.
    #[error("not a ZMTP peer: byte {byte:#04x} at offset {offset} of its greeting")]
    NotZmtp {
        /// Offset of the offending byte from the start of the connection.
        offset: usize,
        /// The byte that was read.
        byte: u8,
    },
}

/// A frame header that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The size field exceeds `ZMQ_MAXMSGSIZE`; refused before any byte of the body is buffered.
    #[error(
        "frame of {size} bytes exceeds the maximum message size of {max} bytes (ZMQ_MAXMSGSIZE)"
    )]
    TooLarge {
        /// The size the peer announced.
        size: u64,
        /// The configured limit.
        max: u64,
    },
    /// A multipart message whose frames, with [`FRAME_OVERHEAD`] bytes counted for each frame
    /// after the first, add up to more than `ZMQ_MAXMSGSIZE`: refused at the frame that takes
    /// it over. libzmq checks only each frame, so that a message that never ends grows
    /// without limit there; this bounds the whole message.
    ///
    /// [`FRAME_OVERHEAD`]: crate::connection::FRAME_OVERHEAD
    #[error(
        "multipart message of {frames} frames counts {size} bytes (its bodies and {} per frame after the first), over the maximum message size of {max} bytes (ZMQ_MAXMSGSIZE)",
        crate::connection::FRAME_OVERHEAD
    )]
    MessageTooLarge {
        /// Frames of the message so far, the refused one included.
        frames: u64,
        /// What the message counts with the refused frame: the bodies' bytes plus
        /// [`FRAME_OVERHEAD`](crate::connection::FRAME_OVERHEAD) for each frame after the
        /// first.
        size: u64,
        /// The configured limit.
        max: u64,
    },
    /// A long size field above 2^63 - 1, which libzmq also rejects.
    #[error("frame size {size} does not fit in 63 bits")]
    SizeOverflow {
        /// The size the peer announced.
        size: u64,
    },
    /// A command frame with the MORE flag set (commands are always single frames).
    #[error("command frame has the MORE flag set (flags byte {flags:#04x})")]
    CommandWithMore {
        /// The flags byte as read.
        flags: u8,
    },
    /// A ZMTP 1.0 frame whose length is 0: the length counts the flags byte, so it is at least
    /// 1 (libzmq's v1 decoder refuses it too).
    #[error("ZMTP 1.0 frame with length 0 (the length must count the flags byte)")]
    V1ZeroLength,
    /// A ZMTP 2.0 frame with the COMMAND bit set: 2.0 has no commands.
    #[error("ZMTP 2.0 frame with the COMMAND flag set (ZMTP 2.0 has no commands)")]
    CommandInZmtp2,
}

/// A metadata property list (READY, INITIATE, ZAP replies) that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// The list ends inside a property.
    #[error("metadata property at byte {offset} is truncated")]
    Truncated {
        /// Offset of the property within the list.
        offset: usize,
    },
    /// A property with a zero-length name.
    #[error("metadata property at byte {offset} has an empty name")]
    EmptyName {
        /// Offset of the property within the list.
        offset: usize,
    },
    /// A name we were asked to send that the grammar does not allow (1-255 of `A-Za-z0-9-_.+`).
    #[error("invalid metadata property name {name:?}")]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// A value we were asked to send that is longer than 2^31 - 1 bytes.
    #[error("metadata property {name:?} has a value of {len} bytes, more than 2^31 - 1")]
    ValueTooLong {
        /// The property's name.
        name: String,
        /// The value's length.
        len: usize,
    },
}

/// A command frame whose body does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// A command frame with no body at all.
    #[error("empty command frame")]
    Empty,
    /// The name length byte points past the end of the frame.
    #[error("command name of {len} bytes does not fit in a frame of {frame_len} bytes")]
    NameTruncated {
        /// The announced name length.
        len: usize,
        /// The frame's body length.
        frame_len: usize,
    },
    /// A known command whose data is too short or inconsistent.
    #[error("malformed {command} command: {reason}")]
    Malformed {
        /// The command's name.
        command: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A READY (or INITIATE) whose metadata does not parse.
    #[error("{command} command: {source}")]
    Metadata {
        /// The command's name.
        command: &'static str,
        /// The metadata error.
        source: MetadataError,
    },
}

/// A security mechanism failed: in the handshake, or opening a sealed message. Mechanisms return
/// these; most end the connection without a word, some after sending an ERROR command (which the
/// mechanism queues itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MechanismError {
    /// A command arrived that the handshake does not allow at this point.
    #[error("expected a {expected} command, got {got:?}")]
    UnexpectedCommand {
        /// What the mechanism was waiting for.
        expected: &'static str,
        /// The name of what came.
        got: String,
    },
    /// A handshake command that does not parse.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The peer's metadata has no `Socket-Type` property.
    #[error("the peer's metadata has no Socket-Type property")]
    MissingSocketType,
    /// The peer announced a socket type that libzmq does not know.
    #[error("the peer announced an unknown socket type {0:?}")]
    UnknownSocketType(String),
    /// The peer's socket type cannot talk to ours (RFC 23/37 table).
    #[error("a {local} socket cannot talk to a {peer} peer")]
    IncompatibleSocketType {
        /// Our socket type.
        local: SocketType,
        /// The peer's socket type.
        peer: SocketType,
    },
    /// The peer sent an ERROR command and gave up on the handshake.
    #[error("the peer refused the handshake: {reason:?}")]
    PeerError {
        /// The reason text the peer sent (libzmq sends a ZAP status code such as "400").
        reason: String,
    },
    /// Authentication failed at the server: the ZAP handler (or the mechanism itself) said no.
    #[error("authentication refused with status {status}: {text:?}")]
    Refused {
        /// The ZAP status code (300, 400 or 500).
        status: u16,
        /// The status text.
        text: String,
    },
    /// A ZAP reply came that the mechanism was not waiting for.
    #[error("a ZAP reply arrived while none was awaited")]
    UnexpectedZapReply,
    /// The ZAP handler's reply breaks RFC 27 (libzmq's `ZAP_MALFORMED_REPLY`, `BAD_VERSION`,
    /// `BAD_REQUEST_ID`, `INVALID_STATUS_CODE`, `INVALID_METADATA`).
    #[error("malformed ZAP reply: {reason}")]
    ZapMalformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A command has the wrong size for its kind (CURVE's HELLO must be 200 bytes, ...).
    #[error("{command} command has {got} bytes, expected {expected}")]
    WrongSize {
        /// The command's name.
        command: &'static str,
        /// The size required (or the least size allowed).
        expected: usize,
        /// The size received.
        got: usize,
    },
    /// The peer asks for a version of the mechanism we do not speak.
    #[error("{command} command announces version {major}.{minor}")]
    UnsupportedVersion {
        /// The command's name.
        command: &'static str,
        /// Major version.
        major: u8,
        /// Minor version.
        minor: u8,
    },
    /// A cryptographic box did not open: wrong key, or tampered bytes.
    #[error("the {what} box did not open (wrong key or tampered data)")]
    DecryptFailed {
        /// Which box: "HELLO", "WELCOME", "cookie", "INITIATE", "vouch", "READY", "MESSAGE".
        what: &'static str,
    },
    /// One of our own cryptographic boxes could not be sealed (the cipher refused the length):
    /// nothing is sent in its place.
    #[error("the {what} box could not be sealed: {reason}")]
    EncryptFailed {
        /// Which box: "HELLO", "WELCOME", "cookie", "vouch", "INITIATE", "READY", "MESSAGE".
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A short nonce that does not increase: a replayed or reordered command.
    #[error("{command} nonce {got} does not follow the last one, {last}")]
    NonceNotIncreasing {
        /// The command's name.
        command: &'static str,
        /// The last nonce accepted from the peer.
        last: u64,
        /// The nonce received.
        got: u64,
    },
    /// The vouch inside CURVE's INITIATE does not match this connection's keys.
    #[error("the client's vouch does not match this connection")]
    VouchMismatch,
    /// A GSS-API call failed; the text is the library's.
    #[error("GSS-API: {0}")]
    Gssapi(String),
    /// A blocking job's output came back that the mechanism was not waiting for (none was out,
    /// or it is of another type): a driver bug, never the peer's doing.
    #[error("the output of a blocking job arrived while none was awaited")]
    UnexpectedBlockingOutput,
    /// The driver could not run the mechanism's blocking job to the end (it panicked, or the
    /// runtime was shutting down); the text says why.
    #[error("the mechanism's blocking job ({what}) failed: {reason}")]
    BlockingJobFailed {
        /// What the job was doing.
        what: &'static str,
        /// Why it did not finish.
        reason: String,
    },
}

/// Why a connection ended. Once returned, the connection emits nothing more but what is left
/// to transmit (an ERROR command, if the handshake sent one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// The peer's greeting is not ZMTP.
    #[error(transparent)]
    Greeting(#[from] GreetingError),
    /// The peer speaks ZMTP 1.0 or 2.0, which has no security: refused because this side has a
    /// security mechanism other than NULL or a `ZMQ_ZAP_DOMAIN` (libzmq's downgrade
    /// protection, its `zap_enabled` rule).
    #[error(
        "the peer speaks {0}, refused: a security mechanism or ZAP domain is in force (downgrade protection)"
    )]
    LegacyPeerRefused(LegacyVersion),
    /// The peer's greeting names another security mechanism.
    #[error("security mechanism mismatch: we use {local}, the peer uses {peer}")]
    MechanismMismatch {
        /// Ours.
        local: MechanismName,
        /// The peer's.
        peer: MechanismName,
    },
    /// A frame header that cannot be accepted.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A command that does not parse (PING, PONG, SUBSCRIBE, ...).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// An ordinary message frame arrived before the handshake finished.
    #[error("a message frame arrived before the handshake finished")]
    MessageBeforeReady,
    /// The security mechanism failed (handshake refused, or a sealed message did not open).
    #[error("security mechanism: {0}")]
    Mechanism(#[from] MechanismError),
    /// The handshake did not finish within `ZMQ_HANDSHAKE_IVL`.
    #[error("the handshake did not finish in time (ZMQ_HANDSHAKE_IVL)")]
    HandshakeTimeout,
    /// Nothing arrived within `ZMQ_HEARTBEAT_TIMEOUT` of a PING we sent.
    #[error("no traffic from the peer within the heartbeat timeout (ZMQ_HEARTBEAT_TIMEOUT)")]
    HeartbeatTimeout,
    /// Nothing arrived within the TTL the peer put in its last PING (its `ZMQ_HEARTBEAT_TTL`).
    #[error("no traffic from the peer within the TTL of its PING (ZMQ_HEARTBEAT_TTL)")]
    TtlExpired,
    /// The peer closed the transport.
    #[error("the peer closed the connection (during the handshake: {during_handshake})")]
    PeerClosed {
        /// Whether the handshake was still under way (a refused peer often just closes).
        during_handshake: bool,
    },
    /// The connection was closed locally.
    #[error("the connection was closed locally")]
    Closed,
}

/// A message could not be queued on a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The handshake has not finished yet.
    #[error("the connection is not ready: its handshake has not finished")]
    NotReady,
    /// The connection has ended.
    #[error("the connection has ended")]
    Closed,
    /// An empty message (no frames) cannot be sent.
    #[error("a message needs at least one frame")]
    EmptyMessage,
}
