//! Why a connection ended: what the engine reports and the monitor turns into events. A module
//! of its own, so that neither the engine nor the monitor imports the other for it.

use zmtp_codec::ConnectionError;

/// Why a connection task ended.
#[derive(Debug)]
pub(crate) enum Exit {
    /// The connection state machine ended (handshake refused, peer closed, heartbeat lost, ...).
    Connection(ConnectionError),
    /// Reading or writing the transport failed.
    Io(std::io::Error),
    /// The socket was closed and everything queued was written (or its linger ran out).
    SocketClosed,
    /// The endpoint the connection was accepted through was unbound (libzmq ends those
    /// connections, dropping what is queued for them).
    Unbound,
    /// The security mechanism could not be set up from the socket's options.
    Mechanism(String),
}

impl Exit {
    /// Whether the connection ended on what libzmq 4.3 calls a protocol error: the peer
    /// refused the handshake (an ERROR command: ZAP denial, wrong credentials), the
    /// mechanisms differ, or the peer's bytes broke the protocol (a greeting that is not ZMTP,
    /// a malformed frame or command). libzmq's session is not remade after one (no reconnect);
    /// a lost transport, a timeout or a close is not one.
    pub(crate) fn is_protocol_error(&self) -> bool {
        match self {
            Exit::Connection(reason) => match reason {
                ConnectionError::Greeting(_)
                | ConnectionError::LegacyPeerRefused(_)
                | ConnectionError::MechanismMismatch { .. }
                | ConnectionError::Frame(_)
                | ConnectionError::Command(_)
                | ConnectionError::MessageBeforeReady
                | ConnectionError::Mechanism(_) => true,
                ConnectionError::HandshakeTimeout
                | ConnectionError::HeartbeatTimeout
                | ConnectionError::TtlExpired
                | ConnectionError::PeerClosed { .. }
                | ConnectionError::Closed => false,
            },
            Exit::Io(_) | Exit::SocketClosed | Exit::Unbound | Exit::Mechanism(_) => false,
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Connection(reason) => write!(f, "{reason}"),
            Exit::Io(e) => write!(f, "I/O error: {e}"),
            Exit::SocketClosed => f.write_str("the socket was closed"),
            Exit::Unbound => f.write_str("its endpoint was unbound"),
            Exit::Mechanism(reason) => write!(f, "no mechanism: {reason}"),
        }
    }
}
