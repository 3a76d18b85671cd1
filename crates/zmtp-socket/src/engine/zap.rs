//! Who answers a connection's ZAP requests: the Rust handler installed on the socket, else a
//! libzmq-style handler, a socket bound at `inproc://zeromq.zap.01` in the socket's context.
//!
//! As libzmq does, each request goes over a pipe of its own to the handler (libzmq's session
//! opens one per handshake): here a DEALER of the context, connected for the one request and
//! dropped with it. The request is sent behind an empty delimiter frame, so a REP handler sees
//! the bare request and its reply comes back the same way; a ROUTER handler sees the delimiter
//! after the routing id, as with libzmq. The reply goes through libzmq's checks
//! ([`decode_reply`]): a malformed one fails the handshake without an ERROR.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use zmtp_codec::{MechanismError, Message, ZapReply, ZapRequest};
use zmtp_security::zap::{decode_reply, encode_request, ZapHandler, ZAP_ENDPOINT};

use crate::context::{Context, Shared};
use crate::options::SocketOptions;
use crate::socket::Dealer;

/// The inproc name a libzmq-style handler binds.
pub(crate) fn handler_name() -> &'static str {
    ZAP_ENDPOINT.trim_start_matches("inproc://")
}

/// A pending answer.
pub(crate) type ZapAnswer = Pin<Box<dyn Future<Output = Result<ZapReply, MechanismError>> + Send>>;

/// Where a connection's requests go.
#[derive(Clone)]
pub(crate) enum ZapRoute {
    /// The socket's own handler (`set_zap_handler`).
    Handler(Arc<dyn ZapHandler>),
    /// The socket bound at `inproc://zeromq.zap.01` in the context.
    Inproc(Arc<Shared>),
}

impl std::fmt::Debug for ZapRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZapRoute::Handler(_) => f.write_str("ZapRoute::Handler"),
            ZapRoute::Inproc(_) => f.write_str("ZapRoute::Inproc"),
        }
    }
}

impl ZapRoute {
    /// The handler that answers for a connection starting now: the socket's own, else a socket
    /// bound at `inproc://zeromq.zap.01` now, else none (libzmq looks when each handshake
    /// starts, too).
    pub(crate) fn find(own: Option<&Arc<dyn ZapHandler>>, context: &Arc<Shared>) -> Option<Self> {
        match own {
            Some(handler) => Some(ZapRoute::Handler(handler.clone())),
            None if context.inproc.is_bound(handler_name()) => {
                Some(ZapRoute::Inproc(context.clone()))
            }
            None => None,
        }
    }

    /// Asks for a verdict on `request`.
    pub(crate) fn ask(&self, request: ZapRequest) -> ZapAnswer {
        match self {
            ZapRoute::Handler(handler) => {
                let reply = handler.authenticate(request);
                Box::pin(async move { Ok(reply.await) })
            }
            ZapRoute::Inproc(context) => Box::pin(ask_inproc(context.clone(), request)),
        }
    }
}

/// One request to the inproc handler, on a pipe of its own. The connection's handshake timer
/// (`ZMQ_HANDSHAKE_IVL`) bounds the wait: a handler that never answers fails the handshake.
async fn ask_inproc(context: Arc<Shared>, request: ZapRequest) -> Result<ZapReply, MechanismError> {
    let unavailable = |what: &str| MechanismError::Refused {
        status: 500,
        text: format!("the ZAP handler at {ZAP_ENDPOINT} {what}"),
    };
    let context = Context { shared: context };
    // LINGER 0: a request whose handshake is gone is not worth delivering.
    let options = SocketOptions::new().linger(Some(Duration::ZERO));
    let dealer =
        Dealer::with_options_in(&context, options).map_err(|_| unavailable("cannot be reached"))?;
    dealer
        .connect(ZAP_ENDPOINT)
        .await
        .map_err(|_| unavailable("cannot be reached"))?;
    let mut msg = Message::single(Bytes::new());
    msg.extend(encode_request(&request));
    dealer
        .send(msg)
        .await
        .map_err(|_| unavailable("cannot be reached"))?;
    let reply = dealer.recv().await.map_err(|_| unavailable("went away"))?;
    check_inproc_reply(reply)
}

/// What the inproc handler's socket delivered, checked: an empty delimiter frame, then a reply
/// that passes libzmq's checks ([`decode_reply`]).
pub(crate) fn check_inproc_reply(reply: Message) -> Result<ZapReply, MechanismError> {
    let mut frames = reply.into_iter();
    if frames.next().is_none_or(|delimiter| !delimiter.is_empty()) {
        return Err(MechanismError::ZapMalformed {
            reason: "the reply does not start with an empty delimiter frame",
        });
    }
    decode_reply(&frames.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&'static [u8]]) -> Message {
        parts.iter().map(|p| Bytes::from_static(p)).collect()
    }

    /// Debug names the route, not the handler behind it (a closure has nothing to show).
    #[test]
    fn debug_names_the_route() {
        let handler: Arc<dyn ZapHandler> =
            Arc::new(|_: ZapRequest| async { ZapReply::accept("alice") });
        assert_eq!(
            format!("{:?}", ZapRoute::Handler(handler)),
            "ZapRoute::Handler"
        );
        let context = Context::on_caller_runtime();
        assert_eq!(
            format!("{:?}", ZapRoute::Inproc(context.shared.clone())),
            "ZapRoute::Inproc"
        );
    }

    #[test]
    fn inproc_reply_needs_the_delimiter_then_a_valid_reply() {
        let ok = frames(&[b"", b"1.0", b"1", b"200", b"OK", b"alice", b""]);
        let reply = check_inproc_reply(ok).expect("a valid reply behind a delimiter");
        assert_eq!(reply.user_id, Bytes::from_static(b"alice"));
        let no_delimiter = frames(&[b"1.0", b"1", b"200", b"OK", b"alice", b""]);
        assert_eq!(
            check_inproc_reply(no_delimiter),
            Err(MechanismError::ZapMalformed {
                reason: "the reply does not start with an empty delimiter frame",
            })
        );
        assert!(check_inproc_reply(Message::new()).is_err());
        let bad_code = frames(&[b"", b"1.0", b"1", b"404", b"OK", b"", b""]);
        assert!(check_inproc_reply(bad_code).is_err());
    }
}
