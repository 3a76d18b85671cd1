//! What connections say through `tracing`: a span per listener and per connection (socket type,
//! endpoint, peer address, mechanism), and one event per lifecycle step at a level that fits it.
//! Nothing is logged per message; without a subscriber the macros cost a relaxed load each.
//!
//! Levels: listening (bind) is INFO; connecting, accepting, handshake success, disconnects and
//! reconnect scheduling are DEBUG; a failed handshake (the reason: refused credentials, a bad
//! greeting, a timeout), a lost heartbeat and an accept error are INFO, since they usually mean
//! a misconfigured or misbehaving peer; nothing here is an error of this process.

use tracing::{debug, info, Span};
use zmtp_codec::{ConnectionError, PeerInfo};

use super::driver::Exit;
use super::settings::ConnectionSettings;
use crate::options::Security;

/// The mechanism a socket's connections use, as its ZMTP name.
pub(crate) fn mechanism(settings: &ConnectionSettings) -> &'static str {
    match settings.security {
        Security::Null => "NULL",
        Security::PlainClient(_) | Security::PlainServer => "PLAIN",
        Security::CurveClient { .. } | Security::CurveServer(_) => "CURVE",
        Security::Gssapi(_) => "GSSAPI",
    }
}

/// The span of a listener (accept loop) of a bound endpoint.
pub(crate) fn listener_span(settings: &ConnectionSettings, endpoint: &str) -> Span {
    tracing::info_span!(
        "zmtp::listener",
        socket = settings.config.socket_type.as_str(),
        endpoint,
    )
}

/// The span of one connection: accepted through `endpoint` from `peer`, or made to `endpoint`
/// (its peer address recorded once connected).
pub(crate) fn connection_span(settings: &ConnectionSettings, endpoint: &str, peer: &str) -> Span {
    tracing::info_span!(
        "zmtp::conn",
        socket = settings.config.socket_type.as_str(),
        endpoint,
        peer,
        mechanism = mechanism(settings),
    )
}

/// The handshake completed (for a legacy peer: the identity exchange).
pub(crate) fn handshake_succeeded(peer: &PeerInfo) {
    let peer_socket = peer.socket_type.map_or("unknown", |t| t.as_str());
    match peer.legacy {
        None => debug!(
            peer_socket,
            zmtp = %format_args!("{}.{}", peer.greeting.major, peer.greeting.minor),
            identity = ?peer.identity(),
            "handshake succeeded"
        ),
        Some(version) => debug!(
            peer_socket,
            zmtp = %format_args!("{}.0", peer.greeting.major),
            identity = ?peer.identity(),
            "legacy peer ({version}) served without security"
        ),
    }
}

/// A connection ended: how, at the level it deserves. `ready`: its handshake had completed.
pub(crate) fn connection_ended(exit: &Exit, ready: bool) {
    match exit {
        Exit::SocketClosed => debug!("connection closed with the socket"),
        Exit::Unbound => debug!("connection closed: its endpoint was unbound"),
        Exit::Connection(ConnectionError::HeartbeatTimeout | ConnectionError::TtlExpired) => {
            info!(reason = %exit, "peer stopped answering heartbeats: disconnected");
        }
        Exit::Connection(ConnectionError::PeerClosed { .. }) if ready => {
            debug!("peer disconnected");
        }
        _ if !ready => info!(reason = %exit, "handshake failed"),
        _ => debug!(reason = %exit, "disconnected"),
    }
}
