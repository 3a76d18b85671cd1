//! The REQ and REP envelopes and REQ's alternation, as pure state (no I/O, no lock).
//!
//! On the wire a request is `[request id]? "" body...`: REQ adds an empty delimiter frame, with
//! `ZMQ_REQ_CORRELATE` preceded by a 4-byte request id (in the host's byte order, as libzmq
//! copies its `uint32_t`). REP keeps every frame up to and including the first empty one (the
//! envelope, which routing hops between may have grown) and hands back only the body; its reply
//! goes back with that envelope.

use bytes::Bytes;
use zmtp_codec::Message;

use super::{routing::random_u32, PipeId};
use crate::Error;

/// A REQ socket's side of the exchange (libzmq's `req_t`).
#[derive(Debug)]
pub(crate) struct ReqState {
    /// A request went out; its reply has not come yet.
    awaiting_reply: bool,
    /// The pipe the request went to: replies from others are dropped.
    reply_pipe: Option<PipeId>,
    /// The last request id (`ZMQ_REQ_CORRELATE`); starts at a random value.
    request_id: u32,
}

impl Default for ReqState {
    fn default() -> Self {
        ReqState {
            awaiting_reply: false,
            reply_pipe: None,
            request_id: random_u32(),
        }
    }
}

impl ReqState {
    /// Starts a request: refuses a second one while a reply is due unless `relaxed`
    /// (`ZMQ_REQ_RELAXED`; the earlier reply is then dropped), and wraps `body` for the wire.
    pub(crate) fn begin_request(
        &mut self,
        body: Message,
        relaxed: bool,
        correlate: bool,
    ) -> Result<Message, Error> {
        if self.awaiting_reply {
            if !relaxed {
                return Err(Error::InvalidState(
                    "a REQ must receive the reply before it sends again",
                ));
            }
            self.awaiting_reply = false;
        }
        self.reply_pipe = None;
        let mut frames = Vec::with_capacity(body.len() + 2);
        if correlate {
            self.request_id = self.request_id.wrapping_add(1);
            frames.push(Bytes::copy_from_slice(&self.request_id.to_ne_bytes()));
        }
        frames.push(Bytes::new());
        frames.extend(body);
        Ok(Message::from(frames))
    }

    /// The request went to `pipe`: its reply is awaited from there.
    pub(crate) fn sent(&mut self, pipe: PipeId) {
        self.awaiting_reply = true;
        self.reply_pipe = Some(pipe);
    }

    /// Whether a receive is allowed now (a request is out).
    pub(crate) fn check_recv(&self) -> Result<(), Error> {
        if self.awaiting_reply {
            Ok(())
        } else {
            Err(Error::InvalidState(
                "a REQ must send a request before it receives",
            ))
        }
    }

    /// Takes `msg` from `pipe` as the reply if it is one: from the pipe asked, with the request
    /// id (`correlate`) and the delimiter, and a body. Returns the body, or `None` to drop it.
    pub(crate) fn accept_reply(
        &mut self,
        pipe: PipeId,
        msg: Message,
        correlate: bool,
    ) -> Option<Message> {
        if !self.awaiting_reply || self.reply_pipe.is_some_and(|p| p != pipe) {
            return None;
        }
        let mut frames = msg.into_iter();
        if correlate {
            let id = frames.next()?;
            if id[..] != self.request_id.to_ne_bytes() {
                return None;
            }
        }
        if !frames.next()?.is_empty() {
            return None;
        }
        let body: Message = frames.collect();
        if body.is_empty() {
            return None;
        }
        self.awaiting_reply = false;
        Some(body)
    }
}

/// Splits a request as REP does: the envelope (every frame up to and including the first empty
/// one) and the body after it. `None` for a malformed request (no delimiter, or nothing after
/// it), which libzmq's REP drops.
pub(crate) fn split_request(msg: Message) -> Option<(Vec<Bytes>, Message)> {
    let delimiter = msg.iter().position(Bytes::is_empty)?;
    if delimiter + 1 >= msg.len() {
        return None;
    }
    let mut frames = msg.into_vec();
    let body = frames.split_off(delimiter + 1);
    Some((frames, Message::from(body)))
}

/// A REP's reply on the wire: the request's envelope, then the body.
pub(crate) fn wrap_reply(envelope: Vec<Bytes>, body: Message) -> Message {
    let mut frames = envelope;
    frames.extend(body);
    Message::from(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: PipeId = PipeId {
        key: 0,
        generation: 1,
    };
    const B: PipeId = PipeId {
        key: 1,
        generation: 2,
    };

    #[test]
    fn req_alternates_strictly() {
        let mut req = ReqState::default();
        assert!(matches!(req.check_recv(), Err(Error::InvalidState(_))));
        let wire = req
            .begin_request(Message::from(["a", "b"]), false, false)
            .expect("first request");
        assert_eq!(wire, Message::from(["", "a", "b"]));
        req.sent(A);
        assert!(matches!(
            req.begin_request(Message::from(["again"]), false, false),
            Err(Error::InvalidState(_))
        ));
        req.check_recv().expect("a reply is due");
        assert_eq!(
            req.accept_reply(B, Message::from(["", "other"]), false),
            None
        );
        assert_eq!(
            req.accept_reply(A, Message::from(["no delimiter"]), false),
            None
        );
        assert_eq!(req.accept_reply(A, Message::from([""]), false), None);
        assert_eq!(
            req.accept_reply(A, Message::from(["", "r1", "r2"]), false),
            Some(Message::from(["r1", "r2"]))
        );
        assert!(matches!(req.check_recv(), Err(Error::InvalidState(_))));
    }

    #[test]
    fn correlated_requests_carry_an_id_and_only_its_reply_counts() {
        let mut req = ReqState::default();
        let first = req
            .begin_request(Message::from(["q"]), true, true)
            .expect("request");
        assert_eq!(first.len(), 3);
        assert_eq!(first.frames()[0].len(), 4);
        assert!(first.frames()[1].is_empty());
        req.sent(A);
        let old_id = first.frames()[0].clone();
        let second = req
            .begin_request(Message::from(["q2"]), true, true)
            .expect("relaxed: may send again");
        req.sent(A);
        let new_id = second.frames()[0].clone();
        assert_ne!(old_id, new_id);
        let reply = |id: &Bytes, body: &'static str| {
            Message::from(vec![id.clone(), Bytes::new(), Bytes::from(body)])
        };
        assert_eq!(req.accept_reply(A, reply(&old_id, "late"), true), None);
        assert_eq!(
            req.accept_reply(A, reply(&new_id, "fresh"), true),
            Some(Message::from(["fresh"]))
        );
    }

    #[test]
    fn rep_keeps_the_envelope_and_drops_malformed_requests() {
        let (env, body) =
            split_request(Message::from(["hop2", "hop1", "", "body", ""])).expect("well formed");
        assert_eq!(
            env,
            vec![Bytes::from("hop2"), Bytes::from("hop1"), Bytes::new()]
        );
        assert_eq!(body, Message::from(["body", ""]));
        assert_eq!(
            wrap_reply(env, Message::from(["reply"])),
            Message::from(["hop2", "hop1", "", "reply"])
        );
        assert!(split_request(Message::from(["no", "delimiter"])).is_none());
        assert!(split_request(Message::from(["x", ""])).is_none());
    }
}
