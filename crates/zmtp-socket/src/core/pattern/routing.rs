//! Identity routing (ROUTER; REP and STREAM route replies with the same table): the table from
//! routing ids to pipes, how a new peer gets its id, and sending to / receiving from a named
//! peer.
//!
//! A pipe's routing id is, in libzmq's order: `ZMQ_CONNECT_RID` for a pipe this socket
//! connected; otherwise the peer's announced `Identity` when it is not empty; otherwise a
//! generated 5-byte id (a zero byte, then a 32-bit big-endian counter that starts at a random
//! value). An announced id already in use is refused: the newcomer is ignored (never read, never
//! routed to) unless `ZMQ_ROUTER_HANDOVER` is set, in which case it takes the id over and the
//! older connection ends.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::task::Poll;

use bytes::{BufMut, Bytes, BytesMut};
use zmtp_codec::Message;

use super::{Pattern, RawMode, Sent};
use crate::core::pipe::PipeId;
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::{Error, Result};
use crate::options::SocketOptions;

/// A random 32-bit value from the standard library's per-process random hash keys (enough to
/// start the routing-id counter and the REQ request id somewhere unpredictable, as libzmq does).
#[allow(clippy::cast_possible_truncation)]
pub(crate) fn random_u32() -> u32 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    hasher.write_u128(nanos);
    // Truncation intended: any 32 bits of the hash will do.
    hasher.finish() as u32
}

/// libzmq's generated routing id: a zero byte (never the first byte of an id a user chooses,
/// `ZMQ_ROUTING_ID` refuses it) and the counter in network order.
pub(crate) fn generated_id(counter: u32) -> Bytes {
    let mut id = BytesMut::with_capacity(5);
    id.put_u8(0);
    id.put_u32(counter);
    id.freeze()
}

/// Routing ids to pipes.
#[derive(Debug)]
pub(crate) struct RoutingTable {
    routes: HashMap<Bytes, usize>,
    /// The next generated routing id's counter (libzmq starts it at a random value).
    next_rid: u32,
    /// `ZMQ_ROUTER_HANDOVER`: a newcomer with an id in use takes it over.
    pub(crate) handover: bool,
}

impl Default for RoutingTable {
    fn default() -> Self {
        RoutingTable {
            routes: HashMap::new(),
            next_rid: random_u32(),
            handover: false,
        }
    }
}

impl RoutingTable {
    fn next_generated_id(&mut self) -> Bytes {
        let id = generated_id(self.next_rid);
        self.next_rid = self.next_rid.wrapping_add(1);
        id
    }

    /// Gives a newly attached pipe its routing id (libzmq's `router_t::identify_peer`).
    pub(crate) fn identify(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        let Some(pipe) = pipes.at(key) else {
            return;
        };
        if pipe.routing_id.is_some() || pipe.ignored {
            // Named by ZMQ_CONNECT_RID, or a reconnect: the id stays, as in libzmq.
            return;
        }
        let id = match identity {
            None => self.next_generated_id(),
            Some(id) => {
                if let Some(&old) = self.routes.get(id) {
                    if old != key {
                        if !self.handover {
                            if let Some(pipe) = pipes.at_mut(key) {
                                pipe.ignored = true;
                            }
                            return;
                        }
                        self.hand_over(pipes, old, wake);
                    }
                }
                id.clone()
            }
        };
        if let Some(pipe) = pipes.at_mut(key) {
            pipe.routing_id = Some(id.clone());
        }
        self.routes.insert(id, key);
    }

    /// `ZMQ_ROUTER_HANDOVER`: the pipe at `old` loses its id to a newcomer. Its unread messages
    /// stay readable under a generated id; its queued ones are dropped and its connection ends.
    fn hand_over(&mut self, pipes: &mut Pipes, old: usize, wake: &mut Wake) {
        let renamed = self.next_generated_id();
        self.unroute(pipes, old);
        let Some(pipe) = pipes.at_mut(old) else {
            return;
        };
        pipe.routing_id = Some(renamed);
        pipe.terminated = true;
        pipe.attached = false;
        pipe.outbound.clear();
        wake.push(pipe.writer.take());
        let empty = pipe.inbound.is_empty();
        pipes.leave_lb(old);
        if empty {
            pipes.remove(old);
        }
    }

    /// Takes the pipe at `key` out of the table (its id may be reused).
    pub(crate) fn unroute(&mut self, pipes: &Pipes, key: usize) {
        if let Some(id) = pipes.at(key).and_then(|p| p.routing_id.as_ref()) {
            if self.routes.get(id) == Some(&key) {
                self.routes.remove(id);
            }
        }
    }

    /// Names a pipe this socket connects before its connection exists (`ZMQ_CONNECT_RID`), so
    /// a ROUTER can address the peer at once. An id already in use leaves the pipe ignored, as
    /// libzmq refuses duplicates.
    pub(crate) fn set_connect_rid(&mut self, pipes: &mut Pipes, id: PipeId, routing_id: Bytes) {
        let taken = self.routes.contains_key(&routing_id);
        let Some(pipe) = pipes.get_mut(id) else {
            return;
        };
        if taken {
            pipe.ignored = true;
            return;
        }
        pipe.routing_id = Some(routing_id.clone());
        self.routes.insert(routing_id, id.key);
    }

    /// A send to `[routing id, frames...]`: the frames go to that peer. An unknown id, or a peer
    /// whose queue is at `ZMQ_SNDHWM`, drops the message silently, unless `mandatory`: then an
    /// unknown id is [`Error::HostUnreachable`] and a full queue waits (`Pending`; libzmq's
    /// `EAGAIN`). A message of the routing id alone is dropped, as libzmq drops a routing id
    /// sent without `ZMQ_SNDMORE`.
    pub(crate) fn poll_send(
        &self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        mandatory: bool,
    ) -> Poll<Result<Sent>> {
        let Some(m) = msg.as_mut() else {
            return Poll::Ready(Ok(Sent::Done));
        };
        let Some(rid) = m.first() else {
            return Poll::Ready(Err(Error::EmptyMessage));
        };
        if m.len() < 2 {
            msg.take();
            return Poll::Ready(Ok(Sent::Done));
        }
        let target = self.routes.get(rid).copied();
        match target.and_then(|key| pipes.at(key).map(|p| (key, p.has_room()))) {
            None => {
                let rid = m.first().cloned().unwrap_or_default();
                msg.take();
                if mandatory {
                    Poll::Ready(Err(Error::HostUnreachable(rid)))
                } else {
                    Poll::Ready(Ok(Sent::Done))
                }
            }
            Some((_, false)) if mandatory => Poll::Pending,
            Some((_, false)) => {
                msg.take();
                Poll::Ready(Ok(Sent::Done))
            }
            Some((key, true)) => {
                m.pop_front();
                Poll::Ready(Ok(Sent::To(key)))
            }
        }
    }

    /// Where a closing handle's message to `[routing id, frames...]` goes, room or not.
    pub(crate) fn linger_target(&self, msg: &mut Message) -> Option<usize> {
        let key = self.routes.get(msg.first()?).copied()?;
        if msg.len() < 2 {
            return None;
        }
        msg.pop_front();
        Some(key)
    }
}

/// A routed receive: the next message, fair-queued, as `[routing id, frames...]`.
pub(crate) fn poll_recv_routed(pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
    match pipes.pop_inbound(wake) {
        Some((_, mut msg, rid)) => {
            msg.push_front(rid.unwrap_or_default());
            Poll::Ready(Ok(msg))
        }
        None => Poll::Pending,
    }
}

/// ROUTER: identity routing out, fair queueing in.
#[derive(Debug, Default)]
pub(crate) struct Router {
    table: RoutingTable,
    /// `ZMQ_ROUTER_MANDATORY`.
    mandatory: bool,
    /// `ZMQ_ROUTER_RAW`: raw bytes with peers that are not ZeroMQ, as a STREAM socket.
    raw: bool,
}

impl Pattern for Router {
    fn configure(&mut self, options: &SocketOptions) {
        self.mandatory = options.get_router_mandatory();
        self.table.handover = options.get_router_handover();
        self.raw = options.get_router_raw();
    }

    fn raw(&self) -> Option<RawMode> {
        // libzmq's ROUTER_RAW always announces connections (it has no ZMQ_STREAM_NOTIFY).
        self.raw.then_some(RawMode {
            notify: true,
            inproc_refused: false,
        })
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

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        self.table.poll_send(pipes, msg, self.mandatory)
    }

    fn linger_target(&mut self, _pipes: &mut Pipes, msg: &mut Message) -> Option<usize> {
        self.table.linger_target(msg)
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        poll_recv_routed(pipes, wake)
    }

    fn set_connect_rid(&mut self, pipes: &mut Pipes, id: PipeId, routing_id: Bytes) {
        self.table.set_connect_rid(pipes, id, routing_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{
        attach, attached, core, core_with, deliver, marks, outbound_messages, received,
        reconfigure, send, take,
    };
    use crate::core::{Outbound, Outgoing};
    use zmtp_codec::SocketType;

    #[test]
    fn generated_ids_are_a_zero_byte_and_a_big_endian_counter() {
        assert_eq!(&generated_id(0x0102_0304)[..], &[0, 1, 2, 3, 4]);
        let core = core(SocketType::Router, 10, 10);
        let a = attached(&core, None);
        let b = attached(&core, None);
        let (ia, ib) = (
            core.routing_id(a).expect("id"),
            core.routing_id(b).expect("id"),
        );
        assert_eq!((ia.len(), ia[0]), (5, 0));
        let n = |id: &Bytes| u32::from_be_bytes([id[1], id[2], id[3], id[4]]);
        assert_eq!(n(&ib), n(&ia).wrapping_add(1), "consecutive");
    }

    /// The counter of generated ids (and REQ's request id) starts somewhere unpredictable, as
    /// libzmq's: four draws are not all the same (a false failure has odds of 2^-96).
    #[test]
    fn the_counters_start_at_random_values() {
        let draws = [(); 4].map(|()| random_u32());
        assert!(draws.iter().any(|&d| d != draws[0]), "{draws:?}");
    }

    #[test]
    fn routing_by_announced_identity_and_mandatory_errors() {
        let core = core(SocketType::Router, 1, 10);
        let a = attached(&core, Some("A"));
        let send = |m: Message, mandatory| {
            let options = marks(1, 10).router_mandatory(mandatory);
            reconfigure(&core, SocketType::Router, options);
            send(&core, m)
        };
        assert!(matches!(
            send(Message::from(["A", "hi"]), true),
            Poll::Ready(Ok(()))
        ));
        // Full (SNDHWM 1): dropped without ROUTER_MANDATORY, waits with it.
        assert!(matches!(
            send(Message::from(["A", "x"]), false),
            Poll::Ready(Ok(()))
        ));
        assert!(send(Message::from(["A", "x"]), true).is_pending());
        assert!(matches!(
            send(Message::from(["B", "x"]), true),
            Poll::Ready(Err(crate::Error::HostUnreachable(id))) if id == "B"
        ));
        assert!(matches!(
            send(Message::from(["B", "x"]), false),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(
            outbound_messages(&core, a),
            [Message::from(["hi"])],
            "the id is stripped"
        );
        deliver(&core, a, [Message::from(["req"])]);
        assert_eq!(received(&core), Some(Message::from(["A", "req"])));
    }

    #[test]
    fn a_duplicate_identity_is_ignored_without_handover() {
        let core = core(SocketType::Router, 10, 10);
        let a = attached(&core, Some("X"));
        let b = attached(&core, Some("X"));
        assert_eq!(core.routing_id(b), None);
        deliver(&core, b, [Message::from(["from b"])]);
        assert_eq!(received(&core), None, "never read");
        deliver(&core, a, [Message::from(["from a"])]);
        assert_eq!(received(&core), Some(Message::from(["X", "from a"])));
    }

    /// A peer gone for good frees its routing id for a newcomer; after a handover, the old
    /// peer's end leaves the id with the newcomer.
    #[test]
    fn an_id_is_freed_by_its_peer_leaving_and_kept_by_a_newcomer_it_went_to() {
        let core = core_with(SocketType::Router, marks(10, 10).router_mandatory(true));
        let a = attached(&core, Some("X"));
        core.detach(a, false);
        // Another peer takes the departed one's slot, so the next one cannot pass for it.
        attached(&core, Some("Y"));
        let b = attached(&core, Some("X"));
        assert_eq!(core.routing_id(b), Some(Bytes::from_static(b"X")));

        let core = core_with(SocketType::Router, marks(10, 10).router_handover(true));
        let a = attached(&core, Some("X"));
        let b = attached(&core, Some("X"));
        core.detach(a, false);
        assert!(matches!(send(&core, ["X", "to b"]), Poll::Ready(Ok(()))));
        assert_eq!(outbound_messages(&core, b), [Message::from(["to b"])]);
    }

    /// A ROUTER handle dropped while its send waits (`ZMQ_ROUTER_MANDATORY`, the peer at
    /// `ZMQ_SNDHWM`) queues the message for that peer, whatever the mark; a message that is
    /// only a routing id is dropped.
    #[test]
    fn a_handle_dropped_holding_a_send_queues_it_for_its_peer() {
        let core = core_with(SocketType::Router, marks(1, 10).router_mandatory(true));
        let a = attached(&core, Some("A"));
        assert!(matches!(send(&core, ["A", "1"]), Poll::Ready(Ok(()))));
        assert!(send(&core, ["A", "2"]).is_pending(), "full");
        core.send_on_drop(Outgoing::new(Message::from(["A", "held"])));
        core.send_on_drop(Outgoing::new(Message::from(["A"])));
        assert_eq!(
            outbound_messages(&core, a),
            [Message::from(["1"]), Message::from(["held"])]
        );
    }

    #[test]
    fn handover_gives_the_id_to_the_newcomer_and_ends_the_old_pipe() {
        let options = marks(10, 10).router_handover(true).router_mandatory(true);
        let core = core_with(SocketType::Router, options);
        let a = attached(&core, Some("X"));
        deliver(&core, a, [Message::from(["unread"])]);
        let b = attached(&core, Some("X"));
        assert_eq!(core.routing_id(b), Some(Bytes::from_static(b"X")));
        assert_eq!(take(&core, a, 10).0, Outbound::Finished);
        // The old peer's unread message is still there, under a generated id.
        let m = received(&core).expect("the unread message");
        assert_eq!(m.len(), 2);
        assert_eq!((m.frames()[0].len(), m.frames()[0][0]), (5, 0));
        assert!(matches!(send(&core, ["X", "new"]), Poll::Ready(Ok(()))));
        assert_eq!(outbound_messages(&core, b), [Message::from(["new"])]);
    }

    #[test]
    fn probe_goes_first_once_and_connect_rid_routes_before_the_connection() {
        let options = marks(10, 10).probe_router(true).router_mandatory(true);
        let core = core_with(SocketType::Router, options);
        let a = core.add_pipe(true);
        core.set_connect_rid(a, Bytes::from_static(b"peer"));
        assert!(matches!(
            send(&core, ["peer", "early"]),
            Poll::Ready(Ok(()))
        ));
        assert!(attach(&core, a, Some("other")));
        assert_eq!(core.routing_id(a), Some(Bytes::from_static(b"peer")));
        core.detach(a, true);
        assert!(attach(&core, a, Some("other")), "a reconnect");
        assert_eq!(
            outbound_messages(&core, a),
            [Message::from([Bytes::new()]), Message::from(["early"])]
        );
    }
}
