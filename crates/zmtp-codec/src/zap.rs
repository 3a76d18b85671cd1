//! The data a handshake exchanges with a ZAP handler (RFC 27): what the server side of a
//! mechanism asks, and what it is told. How requests and replies travel (a Rust handler, or a
//! libzmq-style socket at `inproc://zeromq.zap.01`) is the socket layer's business.

use bytes::Bytes;

use crate::greeting::MechanismName;
use crate::metadata::Metadata;

/// An authentication request, as the server side of a handshake raises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapRequest {
    /// `ZMQ_ZAP_DOMAIN` of the server socket.
    pub domain: Bytes,
    /// The peer's address as text (its IP for tcp).
    pub address: Bytes,
    /// The routing id of the *server* socket, as libzmq sends it (not the peer's).
    pub routing_id: Bytes,
    /// The mechanism: `NULL`, `PLAIN`, `CURVE` or `GSSAPI`.
    pub mechanism: MechanismName,
    /// Mechanism-specific credentials: none for NULL; user name and password for PLAIN; the
    /// client's 32-byte public key for CURVE; the client principal's name for GSSAPI.
    pub credentials: Vec<Bytes>,
}

/// A ZAP handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapReply {
    /// 200 (accept), 300 (temporary failure), 400 (refused) or 500 (internal error).
    pub status_code: u16,
    /// Human-readable status text.
    pub status_text: Bytes,
    /// The user id the handler assigns (meaningful with 200); becomes the `User-Id` property.
    pub user_id: Bytes,
    /// Metadata the handler attaches to the peer; becomes properties of the peer.
    pub metadata: Metadata,
}

impl ZapReply {
    /// An accepting reply with a user id.
    pub fn accept(user_id: impl Into<Bytes>) -> ZapReply {
        ZapReply {
            status_code: 200,
            status_text: Bytes::from_static(b"OK"),
            user_id: user_id.into(),
            metadata: Metadata::new(),
        }
    }

    /// A refusing reply (status 400).
    pub fn refuse(text: impl Into<Bytes>) -> ZapReply {
        ZapReply {
            status_code: 400,
            status_text: text.into(),
            user_id: Bytes::new(),
            metadata: Metadata::new(),
        }
    }

    /// Whether the handler accepted the peer.
    pub fn is_accepted(&self) -> bool {
        self.status_code == 200
    }
}
