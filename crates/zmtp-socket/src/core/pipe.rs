//! A pipe: the two bounded queues between a socket and one peer.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::task::Waker;

use bytes::Bytes;
use zmtp_codec::Message;

use super::InlineSend;

/// The connection serving a pipe, which a sender may write to directly when it is idle.
#[derive(Clone)]
pub(crate) struct InlineLink(pub(crate) Weak<dyn InlineSend>);

impl std::fmt::Debug for InlineLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InlineLink")
    }
}
use super::direct::{DirectOut, Flow};

/// What a pipe carries: messages, and a subscriber's subscriptions, typed from end to end
/// (the connection engine turns them into SUBSCRIBE and CANCEL commands, or the ZMTP 3.0
/// message form for an older peer; an inproc link hands them over as they are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PipeItem {
    /// A whole message.
    Message(Message),
    /// A subscription to a prefix.
    Subscribe(Bytes),
    /// A subscription cancelled.
    Cancel(Bytes),
}

impl From<Message> for PipeItem {
    fn from(msg: Message) -> Self {
        PipeItem::Message(msg)
    }
}

/// Where items for a pipe come from, in order (a connection's decoded events, an inproc
/// link's batch): [`super::Core::deliver_inbound`] takes them one at a time while the pipe has
/// room and leaves the rest where they are, so that no queue of the engine's own stands
/// between a connection and its socket.
pub(crate) trait ItemSource {
    /// The next item, taken; `None` when no item is next (nothing, or something that is not
    /// for the pipe).
    fn next_item(&mut self) -> Option<PipeItem>;
    /// Whether an item is next.
    fn has_item(&self) -> bool;
    /// Moves up to `max` of the next items, while they are messages, to the back of `into`,
    /// in one go where the source can (a connection's queue of messages traded for an empty
    /// `into`); how many. None by default: the items are then taken one at a time.
    fn take_messages(&mut self, into: &mut VecDeque<Message>, max: usize) -> usize {
        let _ = (into, max);
        0
    }
}

impl ItemSource for VecDeque<PipeItem> {
    fn next_item(&mut self) -> Option<PipeItem> {
        self.pop_front()
    }

    fn has_item(&self) -> bool {
        !self.is_empty()
    }
}

/// A pipe's place in its socket: slab key and generation (so a stale id never reaches a new
/// pipe that reused the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PipeId {
    pub(crate) key: usize,
    pub(crate) generation: u64,
}

/// The queues to and from one peer, bounded by `ZMQ_SNDHWM` and `ZMQ_RCVHWM` in messages
/// (0 = unbounded), as libzmq counts them.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) generation: u64,
    /// Messages (and subscriptions) for the peer, not yet taken by its connection.
    pub(crate) outbound: VecDeque<PipeItem>,
    /// Messages from the peer, not yet taken by the application.
    pub(crate) inbound: VecDeque<Message>,
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    /// A live connection has finished its handshake and drains `outbound`.
    pub(crate) attached: bool,
    /// The connection is gone for good: the pipe goes once `inbound` is read.
    pub(crate) terminated: bool,
    /// The application disconnected the endpoint (`zmq_disconnect`): the pattern has forgotten
    /// the pipe, and its connecter only writes out what is queued, for `ZMQ_LINGER` (see
    /// [`super::Core::disconnect`]).
    pub(crate) disconnected: bool,
    /// Takes messages while no connection is attached (a connecting socket without
    /// `ZMQ_IMMEDIATE`): it stays in load balancing across reconnects.
    pub(crate) queue_while_detached: bool,
    /// Listed in the socket's load-balancing order.
    pub(crate) in_lb: bool,
    /// Listed in the socket's fair-queue of pipes with inbound messages.
    pub(crate) in_ready_list: bool,
    /// The connection task, waiting for outbound messages.
    pub(crate) writer: Option<Waker>,
    /// The connection task, waiting for room in `inbound`.
    pub(crate) reader: Option<Waker>,
    /// The pipe's routing id (ROUTER and REP sockets), once known.
    pub(crate) routing_id: Option<Bytes>,
    /// A peer whose routing id is already taken (no `ZMQ_ROUTER_HANDOVER`): libzmq never reads
    /// from it nor routes to it, so its messages wait, up to `ZMQ_RCVHWM`, for ever.
    pub(crate) ignored: bool,
    /// `ZMQ_PROBE_ROUTER`'s empty message went out (once per pipe, as libzmq sends it when it
    /// attaches the pipe).
    pub(crate) probed: bool,
    /// `ZMQ_CONFLATE`: each queue keeps only its newest message (the high-water marks do not
    /// apply).
    pub(crate) conflate: bool,
    /// The live connection, for sends that may skip the queue (see [`InlineSend`]).
    pub(crate) link: Option<InlineLink>,
    /// An inproc connection's direct path to the peer's pipe, while attached.
    pub(crate) direct: Option<DirectOut>,
    /// The peer's direct path into this pipe: told how many messages `inbound` holds.
    pub(crate) direct_in: Option<Arc<Flow>>,
    /// The connection task holds messages it took from `outbound` and has not delivered yet
    /// (until it finds `outbound` empty): a direct send now would overtake them.
    pub(crate) link_busy: bool,
    /// How many items the connection took at its last [`super::Core::take_outbound`]: they
    /// still count against `ZMQ_SNDHWM` until it takes again (by then it has encoded them),
    /// so that the queue handed over whole is no room for as many more.
    pub(crate) lent: usize,
    /// A `udp://` pipe: datagrams, no peer to subscribe (a RADIO sends it every group).
    pub(crate) datagram: bool,
}

impl Pipe {
    pub(crate) fn new(generation: u64, sndhwm: usize, rcvhwm: usize) -> Pipe {
        Pipe {
            generation,
            outbound: VecDeque::new(),
            inbound: VecDeque::new(),
            sndhwm,
            rcvhwm,
            attached: false,
            terminated: false,
            disconnected: false,
            queue_while_detached: false,
            in_lb: false,
            in_ready_list: false,
            writer: None,
            reader: None,
            routing_id: None,
            ignored: false,
            probed: false,
            conflate: false,
            link: None,
            direct: None,
            lent: 0,
            datagram: false,
            direct_in: None,
            link_busy: false,
        }
    }

    /// The connection a message may be written to at once: one is attached and nothing is
    /// queued ahead of the message.
    pub(crate) fn inline_link(&self) -> Option<Arc<dyn InlineSend>> {
        if !self.attached || self.terminated || !self.outbound.is_empty() {
            return None;
        }
        self.link.as_ref()?.0.upgrade()
    }

    /// The live connection, for a receiver that reads it inline.
    pub(crate) fn read_link(&self) -> Option<Arc<dyn InlineSend>> {
        if !self.attached || self.terminated {
            return None;
        }
        self.link.as_ref()?.0.upgrade()
    }

    /// Queues a message for the peer (with `ZMQ_CONFLATE`, in place of what is queued).
    #[inline]
    pub(crate) fn push_outbound(&mut self, msg: Message) {
        if self.conflate {
            self.outbound.clear();
        }
        self.outbound.push_back(PipeItem::Message(msg));
    }

    /// Queues a message from the peer (with `ZMQ_CONFLATE`, in place of what is queued).
    pub(crate) fn push_inbound(&mut self, msg: Message) {
        if self.conflate {
            self.inbound.clear();
        }
        self.inbound.push_back(msg);
        if let Some(flow) = &self.direct_in {
            flow.pushed(self.inbound.len());
        }
    }

    /// Where a message sent now may go directly (an inproc peer's pipe): only when nothing
    /// queued before it is still on its way, and not with `ZMQ_CONFLATE` (its queue keeps one).
    pub(crate) fn direct_path(&self) -> Option<&DirectOut> {
        let direct = self.direct.as_ref()?;
        (self.outbound.is_empty() && !self.link_busy && !self.conflate).then_some(direct)
    }

    /// Whether one more message fits under `ZMQ_SNDHWM`.
    /// Over an inproc connection, the mark is the connection's (see [`Flow::has_room`]).
    pub(crate) fn has_room(&self) -> bool {
        if self.conflate {
            return true;
        }
        let queued = self.outbound.len() + self.lent;
        if let Some(direct) = &self.direct {
            return direct.flow.has_room(queued);
        }
        self.sndhwm == 0 || queued < self.sndhwm
    }

    /// Whether `inbound` is at `ZMQ_RCVHWM`.
    pub(crate) fn inbound_full(&self) -> bool {
        !self.conflate && self.rcvhwm != 0 && self.inbound.len() >= self.rcvhwm
    }

    /// Whether a connection that stopped delivering at `ZMQ_RCVHWM` is to go on: once the
    /// application has read `inbound` down to the low-water mark ([`low_water`]).
    pub(crate) fn inbound_drained(&self) -> bool {
        self.conflate || self.rcvhwm == 0 || self.inbound.len() <= low_water(self.rcvhwm)
    }
}

/// How many messages a full queue of mark `hwm` holds when whoever waits to add to it is woken:
/// half of it, libzmq's low-water mark. Woken at each message read instead, the writer would
/// add one and wait again, in lock-step with the reader: a cross-thread wake-up a message (a
/// ROUTER whose I/O thread fed full pipes spent a quarter of its application thread waking it).
pub(crate) fn low_water(hwm: usize) -> usize {
    hwm / 2
}
