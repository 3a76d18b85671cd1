//! Request / reply (REQ, REP): the envelopes, and the strict alternation of each side.
//!
//! On the wire a request is `[request id]? "" body...`: REQ adds an empty delimiter frame, with
//! `ZMQ_REQ_CORRELATE` preceded by a 4-byte request id (in the host's byte order, as libzmq
//! copies its `uint32_t`). REP keeps every frame up to and including the first empty one (the
//! envelope, which routing hops between may have grown) and hands back only the body; its reply
//! goes back with that envelope.

use std::task::Poll;

use bytes::Bytes;
use zmtp_codec::Message;

use super::routing::{random_u32, RoutingTable};
use super::{non_empty, poll_send_lb, Pattern, Sent};
use crate::core::pipe::PipeId;
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::Result;
use crate::options::SocketOptions;
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
    ) -> Result<Message> {
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
    pub(crate) fn check_recv(&self) -> Result<()> {
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

/// REQ: a request load-balanced to the next peer in turn, then its reply, in turn.
///
/// Sharing the socket does not loosen the alternation: while one task's request waits for room
/// or for its reply, a send from another is `EFSM` ([`Error::InvalidState`]), unless
/// `ZMQ_REQ_RELAXED` allows a new request once the earlier one went out.
#[derive(Debug, Default)]
pub(crate) struct Req {
    state: ReqState,
    /// A request was prepared and waits for room: no other may start.
    sending: bool,
    /// `ZMQ_REQ_RELAXED`, `ZMQ_REQ_CORRELATE`.
    relaxed: bool,
    correlate: bool,
}

impl Pattern for Req {
    fn configure(&mut self, options: &SocketOptions) {
        self.relaxed = options.get_req_relaxed();
        self.correlate = options.get_req_correlate();
    }

    fn prepare_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Result<()> {
        let body = non_empty(msg.take().unwrap_or_default())?;
        if self.sending {
            return Err(Error::InvalidState(
                "a REQ is sending a request already (a send of another task, or a sink's)",
            ));
        }
        let wire = self
            .state
            .begin_request(body, self.relaxed, self.correlate)?;
        // Replies that came in since (late ones to an earlier request) are not this one's.
        while pipes.pop_inbound(wake).is_some() {}
        self.sending = true;
        *msg = Some(wire);
        Ok(())
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        _msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        let sent = poll_send_lb(pipes);
        if let Poll::Ready(Ok(Sent::To(key))) = sent {
            if let Some(id) = pipes.id(key) {
                self.state.sent(id);
            }
            self.sending = false;
        }
        sent
    }

    fn send_abandoned(&mut self) {
        self.sending = false;
    }

    fn linger_target(&mut self, pipes: &mut Pipes, _msg: &mut Message) -> Option<usize> {
        self.sending = false;
        pipes.next_lb()
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        if let Err(e) = self.state.check_recv() {
            return Poll::Ready(Err(e));
        }
        while let Some((pipe, msg, _)) = pipes.pop_inbound(wake) {
            if let Some(body) = self.state.accept_reply(pipe, msg, self.correlate) {
                return Poll::Ready(Ok(body));
            }
        }
        Poll::Pending
    }

    fn inline_io(&self) -> bool {
        true
    }
}

/// REP: requests fair-queued from the peers, each reply back to the peer that asked, in turn.
/// A REP is a ROUTER underneath in libzmq: its peers get routing ids by the same rules.
#[derive(Debug, Default)]
pub(crate) struct Rep {
    table: RoutingTable,
    /// The request being answered: its pipe and envelope.
    pending: Option<(PipeId, Vec<Bytes>)>,
    /// The pipe the reply being sent goes to.
    reply_to: Option<PipeId>,
}

impl Pattern for Rep {
    fn configure(&mut self, options: &SocketOptions) {
        self.table.handover = options.get_router_handover();
    }

    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        self.table.identify(pipes, key, identity, wake);
    }

    fn detached(&mut self, pipes: &mut Pipes, key: usize, for_good: bool, _wake: &mut Wake) {
        if for_good {
            self.table.unroute(pipes, key);
        }
    }

    fn set_connect_rid(&mut self, pipes: &mut Pipes, id: PipeId, routing_id: Bytes) {
        self.table.set_connect_rid(pipes, id, routing_id);
    }

    fn prepare_send(
        &mut self,
        _pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Result<()> {
        let body = non_empty(msg.take().unwrap_or_default())?;
        let Some((pipe, envelope)) = self.pending.take() else {
            return Err(Error::InvalidState(
                "a REP must receive a request before it replies",
            ));
        };
        self.reply_to = Some(pipe);
        *msg = Some(wrap_reply(envelope, body));
        Ok(())
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        // Dropped if the peer is gone or its queue is at ZMQ_SNDHWM, as libzmq's REP (a ROUTER
        // without ZMQ_ROUTER_MANDATORY) drops it: a reply never waits.
        let to = self.reply_to.take().and_then(|id| {
            let pipe = pipes.get_mut(id)?;
            (!pipe.terminated && pipe.has_room()).then_some(id.key)
        });
        Poll::Ready(Ok(match to {
            Some(key) => Sent::To(key),
            None => {
                msg.take();
                Sent::Done
            }
        }))
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        if self.pending.is_some() {
            return Poll::Ready(Err(Error::InvalidState(
                "a REP must send the reply before it receives again",
            )));
        }
        while let Some((pipe, msg, _)) = pipes.pop_inbound(wake) {
            if let Some((envelope, body)) = split_request(msg) {
                self.pending = Some((pipe, envelope));
                return Poll::Ready(Ok(body));
            }
        }
        Poll::Pending
    }

    fn inline_io(&self) -> bool {
        true
    }
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
