//! Unit tests of the socket core: pipes, load balancing, fair queueing, high-water marks,
//! waiters, closing.

use super::test_support::{
    attach, attached, core, core_with, cx, deliver, inproc_pair, link_direct, marks, messages,
    outbound_messages, received, reconfigure, recv, send, sent, take, CountingWaker,
};
use super::*;
use std::task::{Context, Poll};
use zmtp_codec::SocketType;

#[test]
fn an_exclusive_socket_attaches_one_pipe_at_a_time() {
    let core = core(SocketType::Pair, 10, 10);
    let first = core.add_pipe(false);
    let second = core.add_pipe(false);
    assert!(attach(&core, first, None));
    assert!(!attach(&core, second, None), "PAIR keeps its peer");
    core.detach(first, false);
    assert!(
        attach(&core, second, None),
        "a new peer once the first is gone"
    );
}

/// A message a dropped handle's sink still held goes to PAIR's peer, past `ZMQ_SNDHWM`, so
/// that `ZMQ_LINGER` covers it; not to a pipe still in its handshake.
#[test]
fn a_pair_handle_dropped_holding_a_send_queues_it_for_its_peer() {
    let core = core(SocketType::Pair, 1, 10);
    let handshaking = [core.add_pipe(false), core.add_pipe(false)];
    let peer = attached(&core, None);
    sent(&core, "1");
    core.send_on_drop(Outgoing::new(Message::from("held")));
    assert_eq!(
        outbound_messages(&core, peer),
        [Message::from("1"), Message::from("held")]
    );
    for pipe in handshaking {
        assert!(outbound_messages(&core, pipe).is_empty());
    }
}

/// A message a dropped handle's sink still held goes to the next pipe in turn, as a send would
/// have: PUSH and DEALER, and CLIENT and SCATTER (the same underneath, one frame a message).
#[test]
fn a_load_balancing_handle_dropped_holding_a_send_queues_it_for_the_next_pipe_in_turn() {
    for socket_type in [
        SocketType::Push,
        SocketType::Dealer,
        SocketType::Client,
        SocketType::Scatter,
    ] {
        let core = core(socket_type, 10, 10);
        let pipes = [(); 3].map(|()| attached(&core, None));
        sent(&core, "1");
        sent(&core, "2");
        core.send_on_drop(Outgoing::new(Message::from("held")));
        let queued = pipes.map(|pipe| outbound_messages(&core, pipe));
        assert_eq!(
            queued,
            [
                vec![Message::from("1")],
                vec![Message::from("2")],
                vec![Message::from("held")]
            ],
            "{socket_type:?}"
        );
    }
}

/// A handle dropped while its send to a routing id waits for room (SERVER, STREAM, and ROUTER
/// with `ZMQ_ROUTER_MANDATORY`; the peer at `ZMQ_SNDHWM` 1) queues the message for that peer,
/// whatever the mark.
#[test]
fn a_routed_send_held_by_a_dropped_handle_goes_to_its_peer() {
    for (socket_type, options) in [
        (SocketType::Server, marks(1, 10)),
        (SocketType::Stream, marks(1, 10)),
        (SocketType::Router, marks(1, 10).router_mandatory(true)),
    ] {
        let core = core_with(socket_type, options);
        let a = attached(&core, Some("A"));
        let id = core.routing_id(a).expect("named");
        let to_a = |body: &'static str| Message::from([id.clone(), bytes::Bytes::from(body)]);
        assert!(matches!(send(&core, to_a("1")), Poll::Ready(Ok(()))));
        assert!(send(&core, to_a("2")).is_pending(), "{socket_type:?}: full");
        core.send_on_drop(Outgoing::new(to_a("held")));
        assert_eq!(
            outbound_messages(&core, a),
            [Message::from("1"), Message::from("held")],
            "{socket_type:?}"
        );
    }
}

/// A departed peer's id goes with it (SERVER's and STREAM's generated ids): a send to it is
/// refused, never delivered to the peer that took its place.
#[test]
fn a_departed_peers_id_reaches_no_one() {
    for socket_type in [SocketType::Server, SocketType::Stream] {
        let core = core(socket_type, 10, 10);
        let a = attached(&core, None);
        let id = core.routing_id(a).expect("named");
        core.detach(a, false);
        let b = attached(&core, None);
        assert_eq!(b.key, a.key, "the slot is reused");
        assert!(
            matches!(
                send(&core, [id, bytes::Bytes::from_static(b"late")]),
                Poll::Ready(Err(_))
            ),
            "{socket_type:?}"
        );
        assert!(outbound_messages(&core, b).is_empty(), "{socket_type:?}");
    }
}

#[test]
fn a_pull_socket_refuses_to_send() {
    let core = core(SocketType::Pull, 10, 10);
    let a = attached(&core, None);
    assert!(matches!(
        send(&core, "x"),
        Poll::Ready(Err(crate::Error::InvalidState(_)))
    ));
    assert!(outbound_messages(&core, a).is_empty());
}

/// A message without frames is refused by every socket type that sends, before it goes
/// anywhere (libzmq cannot even express one); the types that send nothing refuse to send.
#[test]
fn every_sending_socket_refuses_a_message_without_frames() {
    for socket_type in [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Push,
        SocketType::Dealer,
        SocketType::Req,
        SocketType::Router,
        SocketType::Stream,
        SocketType::Client,
        SocketType::Server,
        SocketType::Radio,
        SocketType::Scatter,
        SocketType::Peer,
        SocketType::Channel,
    ] {
        let core = core(socket_type, 10, 10);
        let a = attached(&core, Some("peer"));
        assert!(
            matches!(
                send(&core, Message::new()),
                Poll::Ready(Err(crate::Error::EmptyMessage))
            ),
            "{socket_type:?}"
        );
        assert!(outbound_messages(&core, a).is_empty(), "{socket_type:?}");
    }
}

/// The socket types that only send refuse to receive (libzmq: ENOTSUP), and the types that
/// do not subscribe refuse `ZMQ_SUBSCRIBE`, rather than answering with nothing.
#[test]
fn send_only_sockets_refuse_to_receive_and_others_to_subscribe() {
    for socket_type in [
        SocketType::Push,
        SocketType::Pub,
        SocketType::Radio,
        SocketType::Scatter,
    ] {
        let core = core(socket_type, 10, 10);
        attached(&core, None);
        assert!(
            matches!(recv(&core), Poll::Ready(Err(crate::Error::InvalidState(_)))),
            "{socket_type:?}"
        );
    }
    for socket_type in [
        SocketType::Pair,
        SocketType::Push,
        SocketType::Pull,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pub,
    ] {
        let core = core(socket_type, 10, 10);
        assert!(
            matches!(
                core.subscribe(true, b"x"),
                Err(crate::Error::InvalidState(_))
            ),
            "{socket_type:?}"
        );
    }
}

#[test]
fn load_balancing_skips_full_pipes_and_waits_when_all_are() {
    let core = core(SocketType::Push, 1, 10);
    let a = attached(&core, None);
    let b = attached(&core, None);
    for i in 0..2u8 {
        sent(&core, vec![i]);
    }
    assert!(send(&core, "x").is_pending(), "both pipes at SNDHWM 1");
    let (taken, items) = take(&core, b, 10);
    assert_eq!(taken, Outbound::Taken);
    assert_eq!(messages(items), [Message::from(vec![1u8])], "round robin");
    sent(&core, "y");
    assert_eq!(
        outbound_messages(&core, a),
        [Message::from(vec![0u8])],
        "round robin; the full pipe is skipped"
    );
    assert_eq!(outbound_messages(&core, b), [Message::from("y")]);
}

/// A connection's take hands over the pipe's whole queue without moving an item; what it took
/// still counts against ZMQ_SNDHWM until it comes back for more (by then it has encoded it),
/// so a queue handed over is not room for as many again.
#[test]
fn a_taken_batch_counts_against_sndhwm_until_the_next_take() {
    let core = core(SocketType::Push, 2, 10);
    let a = attached(&core, None);
    sent(&core, "1");
    sent(&core, "2");
    let mut batch = VecDeque::new();
    assert_eq!(
        core.take_outbound(a, &mut cx(), usize::MAX, &mut batch),
        Outbound::Taken
    );
    assert_eq!(batch.len(), 2, "the whole queue");
    assert!(
        send(&core, "3").is_pending(),
        "the batch is not encoded yet: the pipe is still at SNDHWM 2"
    );
    batch.clear();
    assert_eq!(
        core.take_outbound(a, &mut cx(), usize::MAX, &mut batch),
        Outbound::Empty
    );
    sent(&core, "3");
    sent(&core, "4");
    assert!(send(&core, "5").is_pending(), "SNDHWM 2 again");
    // A batch larger than the caller's limit is moved in part; the part counts the same.
    let mut part = VecDeque::new();
    core.take_outbound(a, &mut cx(), 1, &mut part);
    assert_eq!(messages(part), [Message::from("3")]);
    assert!(send(&core, "5").is_pending(), "one queued, one lent");
}

#[test]
fn fair_queueing_alternates_between_pipes() {
    let core = core(SocketType::Pull, 10, 10);
    let a = core.add_pipe(false);
    let b = core.add_pipe(false);
    deliver(&core, a, ["a1", "a2"].map(Message::from));
    deliver(&core, b, ["b1", "b2"].map(Message::from));
    let order: Vec<Message> = (0..4)
        .map(|_| received(&core).expect("a message"))
        .collect();
    assert_eq!(order, ["a1", "b1", "a2", "b2"].map(Message::from));
    assert!(received(&core).is_none());
}

#[test]
fn a_pipe_alone_keeps_its_turn_until_another_is_ready() {
    let core = core(SocketType::Pull, 10, 10);
    let a = core.add_pipe(false);
    let b = core.add_pipe(false);
    deliver(&core, a, ["a1", "a2", "a3"].map(Message::from));
    let next = || received(&core).expect("a message");
    assert_eq!(next(), Message::from("a1"));
    deliver(&core, b, ["b1", "b2"].map(Message::from));
    let order: Vec<Message> = (0..4).map(|_| next()).collect();
    assert_eq!(
        order,
        ["a2", "b1", "a3", "b2"].map(Message::from),
        "turns alternate once both pipes are ready"
    );
    assert!(received(&core).is_none());
}

#[test]
fn batches_keep_order_whether_taken_whole_or_in_part() {
    let core = core(SocketType::Dealer, 10, 10);
    let a = attached(&core, None);
    for i in 0..5u8 {
        sent(&core, vec![i]);
    }
    let (taken, mut all) = take(&core, a, 3);
    assert_eq!(taken, Outbound::Taken);
    assert_eq!(all.len(), 3, "at most the batch");
    let (taken, rest) = take(&core, a, 3);
    assert_eq!(taken, Outbound::Taken);
    all.extend(rest);
    let expected: Vec<Message> = (0..5u8).map(|i| Message::from(vec![i])).collect();
    assert_eq!(messages(all), expected);
    assert_eq!(take(&core, a, 3).0, Outbound::Empty);
    // Inbound: a partial batch into a pipe with room for two, then the rest.
    reconfigure(&core, SocketType::Dealer, marks(10, 2));
    let b = core.add_pipe(false);
    let mut from: VecDeque<PipeItem> = (0..3u8).map(|i| Message::from(vec![i]).into()).collect();
    assert!(!core.deliver_inbound(b, &mut cx(), &mut from));
    assert_eq!(from, [PipeItem::Message(Message::from(vec![2u8]))]);
}

#[test]
fn inbound_stops_at_the_high_water_mark() {
    let core = core(SocketType::Pull, 10, 2);
    let a = core.add_pipe(false);
    let mut batch: VecDeque<PipeItem> = ["1", "2", "3"]
        .into_iter()
        .map(|m| Message::from(m).into())
        .collect();
    assert!(
        !core.deliver_inbound(a, &mut cx(), &mut batch),
        "only two fit"
    );
    assert_eq!(batch.len(), 1);
    assert!(received(&core).is_some());
    assert!(core.deliver_inbound(a, &mut cx(), &mut batch), "room again");
}

/// A connection that stopped delivering at `ZMQ_RCVHWM` is woken once the application has
/// read the pipe down to its low-water mark (half the mark, as libzmq's pipes), not at each
/// read (lock-step: one cross-thread wake-up a message).
#[test]
fn a_connection_stopped_at_rcvhwm_is_woken_at_the_low_water_mark() {
    let core = core(SocketType::Pull, 10, 4);
    let a = attached(&core, None);
    let mut batch: VecDeque<PipeItem> = (0..6u8).map(|i| Message::from(vec![i]).into()).collect();
    let (count, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    assert!(!core.deliver_inbound(a, &mut cx, &mut batch), "four fit");
    assert_eq!(received(&core), Some(Message::from(vec![0u8])));
    assert_eq!(count.count(), 0, "3 left: not woken");
    assert_eq!(received(&core), Some(Message::from(vec![1u8])));
    assert_eq!(count.count(), 1, "2 left, the low-water mark: woken");
    assert_eq!(received(&core), Some(Message::from(vec![2u8])));
    assert_eq!(count.count(), 1, "once");
    assert!(
        core.deliver_inbound(a, &mut cx, &mut batch),
        "room for the rest"
    );
}

#[test]
fn a_closed_socket_refuses_and_connections_finish_once_drained() {
    let core = core(SocketType::Push, 10, 10);
    let a = attached(&core, None);
    sent(&core, "last");
    core.close(None);
    assert!(matches!(
        send(&core, "x"),
        Poll::Ready(Err(crate::Error::Closed))
    ));
    assert_eq!(take(&core, a, 10).0, Outbound::Taken, "linger flushes");
    assert_eq!(take(&core, a, 10).0, Outbound::Finished);
}

#[test]
fn receivers_waiting_together_are_all_woken_and_one_gets_the_message() {
    let core = core(SocketType::Pull, 10, 10);
    let a = attached(&core, None);
    let (count1, waker1) = CountingWaker::new();
    let (count2, waker2) = CountingWaker::new();
    let (count3, waker3) = CountingWaker::new();
    let (mut first, mut second, mut dropped) = (
        Incoming::default(),
        Incoming::default(),
        Incoming::default(),
    );
    let mut cx1 = Context::from_waker(&waker1);
    let mut cx2 = Context::from_waker(&waker2);
    let mut cx3 = Context::from_waker(&waker3);
    assert!(core.poll_recv(Some(&mut cx1), &mut first).is_pending());
    assert!(core.poll_recv(Some(&mut cx2), &mut second).is_pending());
    assert!(core.poll_recv(Some(&mut cx3), &mut dropped).is_pending());
    core.abandon_recv(&mut dropped);
    deliver(&core, a, [Message::from("only")]);
    assert_eq!(
        (count1.count(), count2.count(), count3.count()),
        (1, 1, 0),
        "both waiting receivers are woken, the dropped one is not"
    );
    // The second polls first: whoever looks first gets it.
    assert!(matches!(
        core.poll_recv(Some(&mut cx2), &mut second),
        Poll::Ready(Ok(m)) if m == Message::from("only")
    ));
    assert!(
        core.poll_recv(Some(&mut cx1), &mut first).is_pending(),
        "nothing left: it waits again"
    );
    // Only the one still waiting is woken by the next message.
    deliver(&core, a, [Message::from("next")]);
    assert_eq!((count1.count(), count2.count(), count3.count()), (2, 1, 0));
    assert!(matches!(
        core.poll_recv(Some(&mut cx1), &mut first),
        Poll::Ready(Ok(m)) if m == Message::from("next")
    ));
}

#[test]
fn a_req_send_waiting_for_room_holds_the_turn_until_abandoned() {
    let core = core(SocketType::Req, 10, 10);
    let mut cx = cx();
    let mut waiting = Outgoing::new(Message::from("first"));
    assert!(
        core.poll_send(Some(&mut cx), &mut waiting).is_pending(),
        "no peer yet"
    );
    let mut second = Outgoing::new(Message::from("second"));
    assert!(matches!(
        core.poll_send(Some(&mut cx), &mut second),
        Poll::Ready(Err(crate::Error::InvalidState(_)))
    ));
    core.abandon_send(&mut waiting);
    let mut third = Outgoing::new(Message::from("third"));
    assert!(
        core.poll_send(Some(&mut cx), &mut third).is_pending(),
        "accepted, and waiting for a peer"
    );
    let a = attached(&core, None);
    assert!(matches!(
        core.poll_send(Some(&mut cx), &mut third),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(
        outbound_messages(&core, a),
        [Message::from(["", "third"])],
        "the abandoned request never goes"
    );
}

/// An inproc connection holds SNDHWM + RCVHWM messages, and is unbounded when either mark is 0
/// (libzmq's `inproc_connect` arithmetic), not only when both are.
#[test]
fn an_inproc_connection_is_unbounded_when_either_mark_is_zero() {
    for (sndhwm, rcvhwm, holds) in [(1, 2, Some(3)), (0, 1, None), (1, 0, None)] {
        let push = core(SocketType::Push, sndhwm, 10);
        let pull = core(SocketType::Pull, 10, rcvhwm);
        inproc_pair(&push, &pull);
        let went = (0..100u8)
            .take_while(|&i| send(&push, vec![i]).is_ready())
            .count();
        assert_eq!(
            went,
            holds.unwrap_or(100),
            "SNDHWM {sndhwm}, RCVHWM {rcvhwm}"
        );
        for i in 0..went {
            let i = u8::try_from(i).expect("under 100");
            assert_eq!(received(&pull), Some(Message::from(vec![i])), "in order");
        }
    }
}

/// A mark raised on a live inproc connection gives room at once: the peer's RCVHWM wakes the
/// sender waiting on the connection, the sender's own SNDHWM lets its next send go.
#[test]
fn a_mark_raised_on_a_live_inproc_connection_makes_room() {
    let push = core(SocketType::Push, 1, 10);
    let pull = core(SocketType::Pull, 10, 1);
    inproc_pair(&push, &pull);
    sent(&push, "1");
    sent(&push, "2");
    let (count, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    let mut third = Outgoing::new(Message::from("3"));
    assert!(
        push.poll_send(Some(&mut cx), &mut third).is_pending(),
        "SNDHWM 1 + RCVHWM 1"
    );
    reconfigure(&pull, SocketType::Pull, marks(10, 2));
    assert_eq!(count.count(), 1, "the waiting sender is woken");
    assert!(matches!(
        push.poll_send(Some(&mut cx), &mut third),
        Poll::Ready(Ok(()))
    ));
    assert!(send(&push, "4").is_pending(), "SNDHWM 1 + RCVHWM 2");
    reconfigure(&push, SocketType::Push, marks(2, 10));
    sent(&push, "4");
    assert!(send(&push, "5").is_pending(), "SNDHWM 2 + RCVHWM 2");
    for m in ["1", "2", "3", "4"] {
        assert_eq!(received(&pull), Some(Message::from(m)));
    }
}

/// A read wakes a sender waiting on an inproc connection only once the connection is down to
/// its low-water mark (half its limit, as libzmq's pipes), and once: a read that leaves it at
/// or above its mark (lowered meanwhile), or with room but above the low-water mark, wakes no
/// one (woken at each read, the sender would add one and wait again, in lock-step).
#[test]
fn a_read_wakes_an_inproc_sender_once_there_is_room() {
    let push = core(SocketType::Push, 2, 10);
    let pull = core(SocketType::Pull, 10, 2);
    inproc_pair(&push, &pull);
    for i in 0..4u8 {
        sent(&push, vec![i]);
    }
    let (count, waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&waker);
    let mut fifth = Outgoing::new(Message::from(vec![4u8]));
    assert!(push.poll_send(Some(&mut cx), &mut fifth).is_pending());
    // The PULL lowers its RCVHWM: the connection holds 4, over its new limit of 3. The sender
    // looks again, and waits again.
    reconfigure(&pull, SocketType::Pull, marks(10, 1));
    assert_eq!(count.count(), 1);
    assert!(push.poll_send(Some(&mut cx), &mut fifth).is_pending());
    assert_eq!(received(&pull), Some(Message::from(vec![0u8])));
    assert_eq!(count.count(), 1, "3 left, at the limit: not woken");
    assert_eq!(received(&pull), Some(Message::from(vec![1u8])));
    assert_eq!(
        count.count(),
        1,
        "2 left: room, but above the low-water mark (1): not woken"
    );
    assert_eq!(received(&pull), Some(Message::from(vec![2u8])));
    assert_eq!(count.count(), 2, "1 left, the low-water mark: woken");
    assert!(matches!(
        push.poll_send(Some(&mut cx), &mut fifth),
        Poll::Ready(Ok(()))
    ));
    for i in 3..5u8 {
        assert_eq!(received(&pull), Some(Message::from(vec![i])));
    }
    assert_eq!(count.count(), 2, "no sender waits: no one is woken");
}

/// A connection that takes inline writes while `accept` is set, recording them, and counts the
/// inline reads asked of it (it never has anything to read).
#[derive(Default)]
struct FakeLink {
    accept: std::sync::atomic::AtomicBool,
    written: parking_lot::Mutex<Vec<Message>>,
    reads: std::sync::atomic::AtomicUsize,
}

impl FakeLink {
    /// A fake, and the link a pipe holds for it.
    fn new() -> (Arc<FakeLink>, Weak<dyn InlineSend>) {
        let fake = Arc::new(FakeLink::default());
        let link: Weak<dyn InlineSend> = Arc::downgrade(&fake) as Weak<dyn InlineSend>;
        (fake, link)
    }

    fn accept(&self, accept: bool) {
        self.accept
            .store(accept, std::sync::atomic::Ordering::SeqCst);
    }

    fn written(&self) -> Vec<Message> {
        self.written.lock().clone()
    }

    fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl InlineSend for FakeLink {
    fn try_send<'g>(
        &self,
        msg: Message,
        state: MutexGuard<'g, State>,
    ) -> std::result::Result<(), (Message, MutexGuard<'g, State>)> {
        if self.accept.load(std::sync::atomic::Ordering::SeqCst) {
            self.written.lock().push(msg);
            Ok(())
        } else {
            Err((msg, state))
        }
    }

    fn try_read(&self, _receiver: &Waker) -> bool {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        false
    }
}

/// A send is written inline by an idle connection only when nothing is queued ahead of it:
/// a message queued while the connection was busy goes first.
#[test]
fn an_inline_write_never_overtakes_a_queued_message() {
    let core = core(SocketType::Dealer, 10, 10);
    let pipe = attached(&core, None);
    let (fake, link) = FakeLink::new();
    core.set_inline(pipe, link);
    sent(&core, "1");
    assert!(fake.written().is_empty(), "the connection was busy: queued");
    fake.accept(true);
    sent(&core, "2");
    assert!(
        fake.written().is_empty(),
        "'1' is still queued: '2' queues behind it"
    );
    assert_eq!(
        outbound_messages(&core, pipe),
        ["1", "2"].map(Message::from)
    );
    sent(&core, "3");
    assert_eq!(
        fake.written(),
        [Message::from("3")],
        "nothing queued: written inline"
    );
    assert!(outbound_messages(&core, pipe).is_empty());
}

/// A REQ waiting for its reply reads its peer's connection inline, once in each poll that
/// would wait (the transport wakes it, and the poll it wakes reads the reply itself); not once
/// the connection is detached.
#[test]
fn a_req_waiting_for_its_reply_reads_the_connection_inline() {
    let core = core(SocketType::Req, 10, 10);
    let pipe = attached(&core, None);
    let (fake, link) = FakeLink::new();
    fake.accept(true);
    core.set_inline(pipe, link);
    sent(&core, "request");
    assert_eq!(fake.written().len(), 1, "written inline");
    let mut cx = cx();
    let mut op = Incoming::default();
    assert!(core.poll_recv(Some(&mut cx), &mut op).is_pending());
    assert_eq!(fake.reads(), 1, "read inline, once");
    assert!(core.poll_recv(Some(&mut cx), &mut op).is_pending());
    assert_eq!(fake.reads(), 2, "and again in the next poll");
    core.abandon_recv(&mut op);
}

/// A send on an inproc connection goes straight into the peer's pipe only when nothing sent
/// before it is still on its way: not ahead of messages queued before the connection was made
/// direct, nor while the link holds messages it took from the pipe.
#[test]
fn an_inproc_send_never_overtakes_what_the_link_still_holds() {
    let push = core(SocketType::Push, 10, 10);
    let pull = core(SocketType::Pull, 10, 10);
    let (a, b) = (attached(&push, None), attached(&pull, None));
    sent(&push, "1");
    link_direct(&push, a, &pull, b);
    sent(&push, "2");
    assert!(received(&pull).is_none(), "'2' waits behind '1'");
    let mut held = VecDeque::new();
    assert_eq!(
        push.take_outbound(a, &mut cx(), usize::MAX, &mut held),
        Outbound::Taken
    );
    sent(&push, "3");
    assert!(
        received(&pull).is_none(),
        "the link still holds '1' and '2'"
    );
    assert!(pull.deliver_inbound(b, &mut cx(), &mut held));
    let (taken, rest) = take(&push, a, usize::MAX);
    assert_eq!(taken, Outbound::Taken);
    let mut rest: VecDeque<PipeItem> = rest.into();
    assert!(pull.deliver_inbound(b, &mut cx(), &mut rest));
    assert_eq!(take(&push, a, usize::MAX).0, Outbound::Empty);
    sent(&push, "4");
    let got: Vec<Message> = std::iter::from_fn(|| received(&pull)).collect();
    assert_eq!(got, ["1", "2", "3", "4"].map(Message::from), "in order");
}

/// A sender that found no room registers on the flow and looks again: a read made in between
/// (it found no sender waiting, so it wakes no one) leaves room that second look must see.
#[test]
fn a_waiting_sender_sees_room_a_read_made_before_it_registered() {
    let push = core(SocketType::Push, 1, 10);
    let pull = core(SocketType::Pull, 10, 1);
    inproc_pair(&push, &pull);
    sent(&push, "1");
    sent(&push, "2");
    assert!(
        matches!(send(&push, "3"), Poll::Pending),
        "the connection holds 2, its limit (1 + 1)"
    );
    // The sender gave that send up: no one waits when the PULL reads.
    let (count, waker) = CountingWaker::new();
    push.state.lock().pipes.wait_direct(&waker);
    assert_eq!(received(&pull), Some(Message::from("1")));
    assert_eq!(
        count.count(),
        1,
        "the registered sender is woken by that read"
    );
    assert_eq!(received(&pull), Some(Message::from("2")));
    assert_eq!(count.count(), 1, "no sender waits now: no wake");
    assert!(
        push.state.lock().pipes.wait_direct(&waker),
        "the second look finds the room the reads made"
    );
}

/// Over an inproc connection the sender counts against the connection's mark what its own
/// pipe still holds from before the connection went direct: queued, and taken by the link
/// but not yet handed over.
#[test]
fn a_waiting_sender_counts_what_its_link_still_holds() {
    let push = core(SocketType::Push, 3, 10);
    let pull = core(SocketType::Pull, 10, 1);
    let (a, b) = (attached(&push, None), attached(&pull, None));
    sent(&push, "1");
    sent(&push, "2");
    let mut held = VecDeque::new();
    assert_eq!(
        push.take_outbound(a, &mut cx(), 1, &mut held),
        Outbound::Taken
    );
    sent(&push, "3");
    link_direct(&push, a, &pull, b);
    deliver(&pull, b, [Message::from("0")]);
    // The connection's limit is 3 + 1 = 4: the PULL holds 1, the PUSH's pipe 1 taken and 2
    // queued.
    let (_, waker) = CountingWaker::new();
    assert!(
        !push.state.lock().pipes.wait_direct(&waker),
        "1 + 1 + 2 = 4: no room"
    );
    assert_eq!(received(&pull), Some(Message::from("0")));
    assert!(
        push.state.lock().pipes.wait_direct(&waker),
        "1 + 2 = 3: room for one"
    );
}

/// Only an attached pipe's connection writes or reads inline: a REQ's request queued for a
/// connection still to come (no `ZMQ_IMMEDIATE`) stays queued, and its receive waits.
#[test]
fn a_pipe_not_attached_has_no_inline_writes_or_reads() {
    let core = core(SocketType::Req, 10, 10);
    let pipe = core.add_pipe(true);
    let (fake, link) = FakeLink::new();
    fake.accept(true);
    core.set_inline(pipe, link);
    sent(&core, "request");
    assert!(
        fake.written().is_empty(),
        "queued for the connection to come"
    );
    let mut op = Incoming::default();
    assert!(core.poll_recv(Some(&mut cx()), &mut op).is_pending());
    assert_eq!(fake.reads(), 0, "no read inline");
    core.abandon_recv(&mut op);
    assert_eq!(
        outbound_messages(&core, pipe),
        [Message::from(["", "request"])]
    );
}

/// A disconnected pipe whose connection ends goes at once, unless the connection keeps it (a
/// connecting socket's, which its connecter ends: what it queued may still be written within
/// `ZMQ_LINGER`).
#[test]
fn a_disconnected_pipe_goes_when_its_connection_ends_unless_kept() {
    let core = core(SocketType::Router, 10, 10);
    let kept = attached(&core, Some("kept"));
    let gone = attached(&core, Some("gone"));
    core.disconnect(kept);
    core.disconnect(gone);
    core.detach(kept, true);
    core.detach(gone, false);
    assert!(
        core.routing_id(kept).is_some(),
        "kept for its connecter to end"
    );
    assert!(core.routing_id(gone).is_none(), "gone with its connection");
}
