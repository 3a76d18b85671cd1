//! Unit tests of the socket core: pipes, load balancing, fair queueing, high-water marks,
//! closing.

use super::*;
use std::task::{Context, Poll, Waker};

fn cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

#[test]
fn an_exclusive_socket_attaches_one_pipe_at_a_time() {
    let core = Core::new(true);
    let first = core.add_pipe(10, 10, false);
    let second = core.add_pipe(10, 10, false);
    assert!(core.attach(first));
    assert!(!core.attach(second), "PAIR keeps its peer");
    core.detach(first, false);
    assert!(core.attach(second), "a new peer once the first is gone");
}

#[test]
fn load_balancing_skips_full_pipes_and_waits_when_all_are() {
    let core = Core::new(false);
    let a = core.add_pipe(1, 10, false);
    let b = core.add_pipe(1, 10, false);
    assert!(core.attach(a) && core.attach(b));
    let mut cx = cx();
    let sent: Vec<PipeId> = (0..2)
        .map(
            |i| match core.poll_send_lb(Some(&mut cx), &mut Some(Message::from(vec![i]))) {
                Poll::Ready(Ok(id)) => id,
                other => panic!("room expected: {other:?}"),
            },
        )
        .collect();
    assert_eq!(sent, vec![a, b], "round robin");
    assert!(core
        .poll_send_lb(Some(&mut cx), &mut Some(Message::from("x")))
        .is_pending());
    let mut taken = VecDeque::new();
    assert_eq!(
        core.take_outbound(b, &mut cx, 10, &mut taken),
        Outbound::Taken
    );
    assert_eq!(taken.len(), 1);
    assert!(matches!(
        core.poll_send_lb(Some(&mut cx), &mut Some(Message::from("y"))),
        Poll::Ready(Ok(id)) if id == b
    ));
}

#[test]
fn fair_queueing_alternates_between_pipes() {
    let core = Core::new(false);
    let a = core.add_pipe(10, 10, false);
    let b = core.add_pipe(10, 10, false);
    let mut cx = cx();
    let mut from_a: VecDeque<Message> = ["a1", "a2"].into_iter().map(Message::from).collect();
    let mut from_b: VecDeque<Message> = ["b1", "b2"].into_iter().map(Message::from).collect();
    assert!(core.deliver_inbound(a, &mut cx, &mut from_a));
    assert!(core.deliver_inbound(b, &mut cx, &mut from_b));
    let order: Vec<Message> = (0..4)
        .map(|_| match core.poll_recv_fq(Some(&mut cx)) {
            Poll::Ready(Ok((_, m))) => m,
            other => panic!("a message expected: {other:?}"),
        })
        .collect();
    let expected: Vec<Message> = ["a1", "b1", "a2", "b2"]
        .into_iter()
        .map(Message::from)
        .collect();
    assert_eq!(order, expected);
    assert!(core.poll_recv_fq(Some(&mut cx)).is_pending());
}

#[test]
fn a_pipe_alone_keeps_its_turn_until_another_is_ready() {
    let core = Core::new(false);
    let a = core.add_pipe(10, 10, false);
    let b = core.add_pipe(10, 10, false);
    let mut cx = cx();
    let mut from_a: VecDeque<Message> = ["a1", "a2", "a3"].into_iter().map(Message::from).collect();
    assert!(core.deliver_inbound(a, &mut cx, &mut from_a));
    let next = || match core.poll_recv_fq(None) {
        Poll::Ready(Ok((_, m))) => m,
        other => panic!("a message expected: {other:?}"),
    };
    assert_eq!(next(), Message::from("a1"));
    let mut from_b: VecDeque<Message> = ["b1", "b2"].into_iter().map(Message::from).collect();
    assert!(core.deliver_inbound(b, &mut cx, &mut from_b));
    let order: Vec<Message> = (0..4).map(|_| next()).collect();
    let expected: Vec<Message> = ["a2", "b1", "a3", "b2"]
        .into_iter()
        .map(Message::from)
        .collect();
    assert_eq!(order, expected, "turns alternate once both pipes are ready");
    assert!(core.poll_recv_fq(Some(&mut cx)).is_pending());
}

#[test]
fn batches_keep_order_whether_taken_whole_or_in_part() {
    let core = Core::new(false);
    let a = core.add_pipe(10, 10, false);
    assert!(core.attach(a));
    let mut cx = cx();
    for i in 0..5u8 {
        assert!(core
            .poll_send_lb(Some(&mut cx), &mut Some(Message::from(vec![i])))
            .is_ready());
    }
    let mut taken = VecDeque::new();
    assert_eq!(
        core.take_outbound(a, &mut cx, 3, &mut taken),
        Outbound::Taken
    );
    assert_eq!(taken.len(), 3, "at most the batch");
    let mut all: Vec<Message> = taken.drain(..).collect();
    assert_eq!(
        core.take_outbound(a, &mut cx, 3, &mut taken),
        Outbound::Taken
    );
    all.extend(taken.drain(..));
    let expected: Vec<Message> = (0..5u8).map(|i| Message::from(vec![i])).collect();
    assert_eq!(all, expected);
    assert_eq!(
        core.take_outbound(a, &mut cx, 3, &mut taken),
        Outbound::Empty
    );
    // Inbound: a partial batch into a pipe with room for two, then the rest.
    let b = core.add_pipe(10, 2, false);
    let mut from: VecDeque<Message> = (0..3u8).map(|i| Message::from(vec![i])).collect();
    assert!(!core.deliver_inbound(b, &mut cx, &mut from));
    assert_eq!(from, [Message::from(vec![2u8])]);
}

#[test]
fn inbound_stops_at_the_high_water_mark() {
    let core = Core::new(false);
    let a = core.add_pipe(10, 2, false);
    let mut cx = cx();
    let mut batch: VecDeque<Message> = ["1", "2", "3"].into_iter().map(Message::from).collect();
    assert!(
        !core.deliver_inbound(a, &mut cx, &mut batch),
        "only two fit"
    );
    assert_eq!(batch.len(), 1);
    assert!(core.poll_recv_fq(Some(&mut cx)).is_ready());
    assert!(core.deliver_inbound(a, &mut cx, &mut batch), "room again");
}

#[test]
fn a_closed_socket_refuses_and_connections_finish_once_drained() {
    let core = Core::new(false);
    let a = core.add_pipe(10, 10, false);
    assert!(core.attach(a));
    let mut cx = cx();
    assert!(core
        .poll_send_lb(Some(&mut cx), &mut Some(Message::from("last")))
        .is_ready());
    core.close(None);
    assert!(matches!(
        core.poll_send_lb(Some(&mut cx), &mut Some(Message::from("x"))),
        Poll::Ready(Err(crate::Error::Closed))
    ));
    let mut taken = VecDeque::new();
    assert_eq!(
        core.take_outbound(a, &mut cx, 10, &mut taken),
        Outbound::Taken,
        "linger flushes"
    );
    assert_eq!(
        core.take_outbound(a, &mut cx, 10, &mut taken),
        Outbound::Finished
    );
}
