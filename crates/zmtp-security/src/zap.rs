//! ZAP (RFC 27) as libzmq speaks it: requests and replies as multipart messages, the checks
//! libzmq makes on a reply, and what each status code does to a handshake.
//!
//! When ZAP is consulted (libzmq's rules; the socket layer knows whether a handler exists):
//! - NULL: only when the socket has a ZAP domain (`ZMQ_ZAP_DOMAIN`); without a handler the peer
//!   is accepted unless `ZMQ_ZAP_ENFORCE_DOMAIN` is set.
//! - PLAIN server: always; without a handler the handshake fails.
//! - CURVE server: when a handler exists; without one every client with a valid vouch is
//!   accepted ("Stonehouse").
//! - GSSAPI server: when a handler exists.
//!
//! Status codes: 200 accepts; 300 (temporary failure) closes without an ERROR command; 400 and
//! 500 send ERROR with the code as its reason, then close. A reply that breaks the rules below
//! fails the handshake without an ERROR.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use zmtp_codec::{
    Command, HandshakeContext, MechanismError, MechanismName, Message, Metadata, ZapReply,
    ZapRequest,
};

/// Where a libzmq-style ZAP handler binds.
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";
/// The protocol version frame.
pub const ZAP_VERSION: &[u8] = b"1.0";
/// The request id libzmq always sends (and requires back).
pub const REQUEST_ID: &[u8] = b"1";

/// The request as the frames a handler receives (without any envelope): version, request id,
/// domain, address, routing id, mechanism, credentials.
pub fn encode_request(request: &ZapRequest) -> Message {
    let mut msg = Message::new();
    msg.push_back(Bytes::from_static(ZAP_VERSION));
    msg.push_back(Bytes::from_static(REQUEST_ID));
    msg.push_back(request.domain.clone());
    msg.push_back(request.address.clone());
    msg.push_back(request.routing_id.clone());
    msg.push_back(Bytes::copy_from_slice(request.mechanism.as_bytes()));
    msg.extend(request.credentials.iter().cloned());
    msg
}

/// Reads a request (what a handler does); `None` if the frames are not a ZAP 1.0 request.
pub fn decode_request(msg: &Message) -> Option<(Bytes, ZapRequest)> {
    let frames = msg.frames();
    if frames.len() < 6 || frames[0] != ZAP_VERSION {
        return None;
    }
    let mechanism = MechanismName::new(std::str::from_utf8(&frames[5]).ok()?)?;
    Some((
        frames[1].clone(),
        ZapRequest {
            domain: frames[2].clone(),
            address: frames[3].clone(),
            routing_id: frames[4].clone(),
            mechanism,
            credentials: frames[6..].to_vec(),
        },
    ))
}

/// The reply as the frames a handler sends (without any envelope): version, request id, status
/// code, status text, user id, metadata.
pub fn encode_reply(request_id: &Bytes, reply: &ZapReply) -> Message {
    let mut metadata = bytes::BytesMut::new();
    reply.metadata.encode(&mut metadata);
    Message::from(vec![
        Bytes::from_static(ZAP_VERSION),
        request_id.clone(),
        Bytes::from(reply.status_code.to_string()),
        reply.status_text.clone(),
        reply.user_id.clone(),
        metadata.freeze(),
    ])
}

/// Reads a handler's reply with libzmq's checks: exactly six frames, version `1.0`, request id
/// `1`, status code `200`, `300`, `400` or `500`, metadata that parses.
pub fn decode_reply(msg: &Message) -> Result<ZapReply, MechanismError> {
    let frames = msg.frames();
    if frames.len() != 6 {
        return Err(MechanismError::ZapMalformed {
            reason: "a reply has exactly six frames",
        });
    }
    if frames[0] != ZAP_VERSION {
        return Err(MechanismError::ZapMalformed {
            reason: "version is not 1.0",
        });
    }
    if frames[1] != REQUEST_ID {
        return Err(MechanismError::ZapMalformed {
            reason: "request id does not match",
        });
    }
    let status_code = match &frames[2][..] {
        b"200" => 200,
        b"300" => 300,
        b"400" => 400,
        b"500" => 500,
        _ => {
            return Err(MechanismError::ZapMalformed {
                reason: "status code is not 200, 300, 400 or 500",
            })
        }
    };
    let metadata =
        Metadata::parse(frames[5].clone()).map_err(|_| MechanismError::ZapMalformed {
            reason: "metadata does not parse",
        })?;
    Ok(ZapReply {
        status_code,
        status_text: frames[3].clone(),
        user_id: frames[4].clone(),
        metadata,
    })
}

/// The future a [`ZapHandler`] returns.
pub type ZapFuture = Pin<Box<dyn Future<Output = ZapReply> + Send + 'static>>;

/// An authentication handler, called by the socket layer with each [`ZapRequest`] a server-side
/// handshake raises. It is runtime-agnostic: any future will do. The socket layer also serves a
/// libzmq-style handler (a REP socket bound at [`ZAP_ENDPOINT`]): it forwards
/// [`encode_request`] to that socket and parses the answer with [`decode_reply`].
pub trait ZapHandler: Send + Sync + 'static {
    /// Decides on one request.
    fn authenticate(&self, request: ZapRequest) -> ZapFuture;
}

impl<F, Fut> ZapHandler for F
where
    F: Fn(ZapRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ZapReply> + Send + 'static,
{
    fn authenticate(&self, request: ZapRequest) -> ZapFuture {
        Box::pin(self(request))
    }
}

/// Applies a verdict to a server-side handshake: `Ok` on 200 (with the handler's `User-Id` and
/// metadata merged into `peer`); on 400 and 500 an ERROR command carrying the code is queued;
/// 300 closes silently.
pub(crate) fn apply_verdict(
    cx: &mut HandshakeContext<'_>,
    reply: &ZapReply,
    peer: &mut Metadata,
) -> Result<(), MechanismError> {
    match reply.status_code {
        200 => {
            zmtp_codec::connection::merge_zap_metadata(peer, reply);
            Ok(())
        }
        300 | 400 | 500 => {
            if reply.status_code != 300 {
                cx.send_command(&Command::Error {
                    reason: Bytes::from(reply.status_code.to_string()),
                });
            }
            Err(MechanismError::Refused {
                status: reply.status_code,
                text: String::from_utf8_lossy(&reply.status_text).into_owned(),
            })
        }
        _ => Err(MechanismError::ZapMalformed {
            reason: "status code is not 200, 300, 400 or 500",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply_frames(frames: &[&[u8]]) -> Message {
        frames.iter().map(|f| Bytes::copy_from_slice(f)).collect()
    }

    #[test]
    fn closures_are_handlers() {
        let handler = |req: ZapRequest| async move {
            if req.credentials.first().is_some_and(|u| u == "admin") {
                ZapReply::accept("admin")
            } else {
                ZapReply::refuse("who are you")
            }
        };
        let req = ZapRequest {
            domain: Bytes::new(),
            address: Bytes::new(),
            routing_id: Bytes::new(),
            mechanism: MechanismName::PLAIN,
            credentials: vec![Bytes::from_static(b"admin"), Bytes::from_static(b"pw")],
        };
        let boxed: Box<dyn ZapHandler> = Box::new(handler);
        let reply = poll_once(boxed.authenticate(req));
        assert!(reply.is_accepted());
    }

    /// Polls a future that never waits (the handler above is immediately ready).
    fn poll_once(mut fut: ZapFuture) -> ZapReply {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("the handler should be ready at once"),
        }
    }

    #[test]
    fn request_round_trip() {
        let req = ZapRequest {
            domain: Bytes::from_static(b"global"),
            address: Bytes::from_static(b"127.0.0.1"),
            routing_id: Bytes::new(),
            mechanism: MechanismName::PLAIN,
            credentials: vec![Bytes::from_static(b"admin"), Bytes::from_static(b"secret")],
        };
        let msg = encode_request(&req);
        assert_eq!(msg.len(), 8);
        assert_eq!(msg.frames()[5], &b"PLAIN"[..]);
        assert_eq!(
            decode_request(&msg),
            Some((Bytes::from_static(REQUEST_ID), req))
        );
    }

    #[test]
    fn reply_round_trip_with_metadata() {
        let mut reply = ZapReply::accept("alice");
        reply.metadata.insert("Hello", "World").expect("valid");
        let msg = encode_reply(&Bytes::from_static(REQUEST_ID), &reply);
        assert_eq!(decode_reply(&msg), Ok(reply));
    }

    #[test]
    fn malformed_replies_like_libzmq_test_security_zap() {
        let ok: [&[u8]; 6] = [b"1.0", b"1", b"200", b"OK", b"", b""];
        assert!(decode_reply(&reply_frames(&ok)).is_ok());
        let cases: Vec<(Vec<&[u8]>, &str)> = vec![
            (
                vec![b"2.0", b"1", b"200", b"OK", b"", b""],
                "version is not 1.0",
            ),
            (
                vec![b"1.0", b"2", b"200", b"OK", b"", b""],
                "request id does not match",
            ),
            (
                vec![b"1.0", b"1", b"201", b"OK", b"", b""],
                "status code is not 200, 300, 400 or 500",
            ),
            (
                vec![b"1.0", b"1", b"20", b"OK", b"", b""],
                "status code is not 200, 300, 400 or 500",
            ),
            (
                vec![b"1.0", b"1", b"200", b"OK", b""],
                "a reply has exactly six frames",
            ),
            (
                vec![b"1.0", b"1", b"200", b"OK", b"", b"", b"extra"],
                "a reply has exactly six frames",
            ),
            (
                vec![b"1.0", b"1", b"200", b"OK", b"", b"\x05Hel"],
                "metadata does not parse",
            ),
        ];
        for (frames, reason) in cases {
            assert_eq!(
                decode_reply(&reply_frames(&frames)),
                Err(MechanismError::ZapMalformed { reason }),
                "{frames:?}"
            );
        }
    }
}
