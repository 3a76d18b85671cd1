//! Socket options whose effect libzmq's tests check: test_immediate, test_hwm and test_timeo.
//!
//! - `ZMQ_IMMEDIATE` (tcp, ipc, inproc): messages queue only to completed connections, so a
//!   PUSH connected to an endpoint where nothing listens would block (and times out with
//!   `ZMQ_SNDTIMEO`) instead of queueing; round robin skips a peer that is not connected (and
//!   without the option gives it its turn); a peer that goes away takes its queue out of
//!   the rotation;
//! - HWM (inproc, as libzmq's test): the defaults (1000 each way); how many messages a PUSH can
//!   queue before it blocks with finite and infinite `ZMQ_SNDHWM` / `ZMQ_RCVHWM`, bind first or
//!   connect first; messages queued by a connecting socket that closes before the bind are
//!   delivered once it comes (within the connecting socket's linger);
//! - `ZMQ_RCVTIMEO` / `ZMQ_SNDTIMEO` on every socket type: zero fails at once with
//!   `WouldBlock`, a positive value with `Timeout` after at least that long (only a lower bound
//!   is checked), a message arriving during the wait is returned, and the option can change on
//!   a live socket.
//!
//! The HWM counts run on a context whose connections are tasks of the test's own
//! current-thread runtime ([`Context::on_caller_runtime`]): "the link has moved everything it
//! can" is then "the runtime has nothing else to run", which yielding observes without any
//! clock.

mod common;

use std::time::{Duration, Instant};

use zmtp_socket::{
    Context, Dealer, Error, Message, OptionName, Pair, Pull, Push, Rep, Req, Router, SocketOptions,
};

use common::{assert_waited, bind_endpoint, eventually, msg, unbound_endpoint, within};

on_every_transport!(
    immediate_does_not_queue_without_a_completed_connection,
    immediate_round_robin_skips_the_unconnected_peer,
    immediate_stops_queueing_once_the_peer_is_gone,
);

// ---------------------------------------------------------------------------------------------
// test_immediate

async fn immediate_does_not_queue_without_a_completed_connection(transport: &str) {
    let ep = unbound_endpoint(transport);
    let timeo = Duration::from_millis(100);
    let push = Push::with_options(SocketOptions::new().immediate(true).sndtimeo(Some(timeo)))
        .expect("options");
    push.connect(&ep).await.expect("connect");
    assert!(
        matches!(push.try_send("x"), Err(Error::WouldBlock)),
        "nothing queued for a connection that is not made"
    );
    let start = Instant::now();
    assert!(matches!(push.send("x").await, Err(Error::Timeout(_))));
    assert_waited(start, timeo, "ZMQ_SNDTIMEO");
    // Once something listens, the connection completes and messages go.
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    push.set_option(OptionName::SndTimeo, -1).expect("option");
    within("the send once connected", push.send("now"))
        .await
        .expect("send");
    assert_eq!(
        within("recv", pull.recv()).await.expect("recv"),
        msg(&["now"]),
        "only what was sent after the connection"
    );
}

/// A PUSH connected to a live PULL and to an endpoint where nothing listens: with
/// `ZMQ_IMMEDIATE` every message goes to the live one; without, every other one waits for
/// the absent peer.
async fn immediate_round_robin_skips_the_unconnected_peer(transport: &str) {
    for immediate in [true, false] {
        let live = Pull::new();
        let live_ep = live.bind(&bind_endpoint(transport)).await.expect("bind");
        let absent = unbound_endpoint(transport);
        let push = Push::with_options(SocketOptions::new().immediate(immediate)).expect("options");
        push.connect(&live_ep).await.expect("connect");
        push.connect(&absent).await.expect("connect");
        for i in 0..10u32 {
            within("send", push.send(i.to_string()))
                .await
                .expect("send");
        }
        let expected: Vec<u32> = if immediate {
            (0..10).collect()
        } else {
            (0..10).step_by(2).collect()
        };
        for want in expected {
            assert_eq!(
                within("at the live peer", live.recv()).await.expect("recv"),
                Message::from([want.to_string()]),
                "immediate: {immediate}"
            );
        }
    }
}

async fn immediate_stops_queueing_once_the_peer_is_gone(transport: &str) {
    for immediate in [true, false] {
        let pull = Pull::new();
        let ep = pull.bind(&unbound_endpoint(transport)).await.expect("bind");
        let push = Push::with_options(SocketOptions::new().immediate(immediate)).expect("options");
        push.connect(&ep).await.expect("connect");
        within("send", push.send("hello")).await.expect("send");
        within("recv", pull.recv()).await.expect("recv");
        drop(pull);
        if immediate {
            eventually("the gone peer's queue out of the rotation", || {
                matches!(push.try_send("x"), Err(Error::WouldBlock))
            })
            .await;
        } else {
            for _ in 0..10 {
                push.try_send("queued")
                    .expect("without ZMQ_IMMEDIATE messages queue for the reconnect");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// test_hwm

/// Sends with `try_send` until it keeps failing after the runtime ran out of other work (the
/// links are tasks of this runtime). Returns how many went; `cap` stops an unbounded queue.
async fn fill(push: &mut Push, cap: u32) -> u32 {
    let mut sent = 0u32;
    let mut idle = 0;
    while idle < 200 && sent < cap {
        match push.try_send(Message::from([sent.to_string()])) {
            Ok(()) => {
                sent += 1;
                idle = 0;
            }
            Err(Error::WouldBlock) => {
                idle += 1;
                tokio::task::yield_now().await;
            }
            Err(e) => panic!("send failed: {e}"),
        }
    }
    sent
}

async fn drain(pull: &mut Pull, count: u32) {
    for i in 0..count {
        assert_eq!(
            within("a queued message", pull.recv()).await.expect("recv"),
            Message::from([i.to_string()]),
            "in order"
        );
    }
    assert!(matches!(pull.try_recv(), Err(Error::WouldBlock)));
}

/// How many messages a PUSH queues over inproc before blocking, with the PUSH binding or
/// connecting first.
async fn hwm_count(sndhwm: i32, rcvhwm: i32, push_binds: bool, cap: u32) -> u32 {
    let ctx = Context::on_caller_runtime();
    let ep = bind_endpoint("inproc");
    let mut push =
        Push::with_options_in(&ctx, SocketOptions::new().sndhwm(sndhwm)).expect("options");
    let mut pull =
        Pull::with_options_in(&ctx, SocketOptions::new().rcvhwm(rcvhwm)).expect("options");
    if push_binds {
        push.bind(&ep).await.expect("bind");
        pull.connect(&ep).await.expect("connect");
    } else {
        pull.bind(&ep).await.expect("bind");
        push.connect(&ep).await.expect("connect");
    }
    let sent = fill(&mut push, cap).await;
    drain(&mut pull, sent).await;
    sent
}

#[tokio::test]
async fn hwm_defaults_are_a_thousand_each_way() {
    let push = Push::new();
    assert_eq!(
        (push.options().get_sndhwm(), push.options().get_rcvhwm()),
        (1000, 1000)
    );
    let sent = hwm_count(1000, 1000, true, 100_000).await;
    // libzmq: 2000 (SNDHWM + RCVHWM): an inproc connection holds exactly that much.
    assert_eq!(sent, 2000);
}

#[tokio::test]
async fn hwm_finite_counts_bind_first_and_connect_first() {
    for push_binds in [true, false] {
        for (snd, rcv) in [(1, 1), (1, 2), (2, 1), (5, 7)] {
            let sent = hwm_count(snd, rcv, push_binds, 100_000).await;
            let (snd, rcv) = (snd as u32, rcv as u32);
            // The connection holds exactly SNDHWM + RCVHWM, as libzmq's inproc pipe does,
            // whether the messages went directly or (a connecting PUSH's, queued before the
            // bind) through the link, whose batch counts against SNDHWM until passed on.
            assert_eq!(
                sent,
                snd + rcv,
                "SNDHWM {snd} RCVHWM {rcv} push binds {push_binds}"
            );
        }
    }
}

#[tokio::test]
async fn hwm_infinite_when_either_side_is_zero() {
    // As libzmq's inproc pipe: unbounded when either HWM is 0 (SNDHWM 0: the sender's queue
    // never fills; RCVHWM 0: the link always has somewhere to put what it takes).
    for push_binds in [true, false] {
        for (snd, rcv) in [(0, 0), (0, 1), (1, 0)] {
            let sent = hwm_count(snd, rcv, push_binds, 20_000).await;
            assert_eq!(sent, 20_000, "SNDHWM {snd}, RCVHWM {rcv}: never blocks");
        }
    }
}

#[tokio::test]
async fn hwm_connect_first_queues_sndhwm_before_the_bind() {
    let ctx = Context::on_caller_runtime();
    let ep = bind_endpoint("inproc");
    let mut push = Push::with_options_in(&ctx, SocketOptions::new().sndhwm(3)).expect("options");
    push.connect(&ep).await.expect("connect before bind");
    assert_eq!(
        fill(&mut push, 1000).await,
        3,
        "exactly SNDHWM before the bind"
    );
    let pull = Pull::with_options_in(&ctx, SocketOptions::new().rcvhwm(4)).expect("options");
    pull.bind(&ep).await.expect("bind");
    let more = fill(&mut push, 1000).await;
    assert!((4..=7).contains(&more), "RCVHWM more once bound: {more}");
    for i in 0..3u32 {
        assert_eq!(
            within("queued before the bind", pull.recv())
                .await
                .expect("recv"),
            Message::from([i.to_string()])
        );
    }
}

/// libzmq's test_inproc_connect_and_close_first: what a connecting socket queued before the
/// name was bound still arrives after it closes (its linger).
#[tokio::test]
async fn hwm_connect_and_close_first_delivers_after_the_bind() {
    let ctx = Context::on_caller_runtime();
    let ep = bind_endpoint("inproc");
    let mut push = Push::with_options_in(&ctx, SocketOptions::new().sndhwm(5)).expect("options");
    push.connect(&ep).await.expect("connect before bind");
    let sent = fill(&mut push, 1000).await;
    assert_eq!(sent, 5);
    drop(push);
    let mut pull = Pull::new_in(&ctx).expect("pull");
    pull.bind(&ep).await.expect("bind");
    drain(&mut pull, sent).await;
}

#[tokio::test]
async fn hwm_bind_and_close_first_delivers_to_the_connected_peer() {
    let ctx = Context::on_caller_runtime();
    let ep = bind_endpoint("inproc");
    let mut push = Push::with_options_in(&ctx, SocketOptions::new().sndhwm(5)).expect("options");
    push.bind(&ep).await.expect("bind");
    let mut pull = Pull::with_options_in(&ctx, SocketOptions::new().rcvhwm(5)).expect("options");
    pull.connect(&ep).await.expect("connect");
    let sent = fill(&mut push, 1000).await;
    assert!((10..=15).contains(&sent), "{sent}");
    drop(push);
    drain(&mut pull, sent).await;
}

// ---------------------------------------------------------------------------------------------
// test_timeo

fn timeo(ms: u64) -> Option<Duration> {
    Some(Duration::from_millis(ms))
}

macro_rules! assert_timeouts {
    ($what:literal, $zero:expr, $positive:expr, $limit:expr) => {{
        assert!(
            matches!($zero, Err(Error::WouldBlock)),
            "{}: a zero timeout would block",
            $what
        );
        let start = Instant::now();
        match $positive {
            Err(Error::Timeout(d)) => assert_eq!(d, $limit, "{}", $what),
            other => panic!("{}: a timeout expected, got {other:?}", $what),
        }
        assert_waited(start, $limit, $what);
    }};
}

#[tokio::test]
async fn rcvtimeo_zero_would_block_and_positive_times_out_on_every_type() {
    let limit = Duration::from_millis(80);
    let zero = || SocketOptions::new().rcvtimeo(Some(Duration::ZERO));
    let some = || SocketOptions::new().rcvtimeo(Some(limit));
    assert_timeouts!(
        "PULL",
        Pull::with_options(zero()).expect("o").recv().await,
        Pull::with_options(some()).expect("o").recv().await,
        limit
    );
    assert_timeouts!(
        "DEALER",
        Dealer::with_options(zero()).expect("o").recv().await,
        Dealer::with_options(some()).expect("o").recv().await,
        limit
    );
    assert_timeouts!(
        "PAIR",
        Pair::with_options(zero()).expect("o").recv().await,
        Pair::with_options(some()).expect("o").recv().await,
        limit
    );
    assert_timeouts!(
        "ROUTER",
        Router::with_options(zero()).expect("o").recv().await,
        Router::with_options(some()).expect("o").recv().await,
        limit
    );
    assert_timeouts!(
        "REP",
        Rep::with_options(zero()).expect("o").recv().await,
        Rep::with_options(some()).expect("o").recv().await,
        limit
    );
    // A REQ waits for a reply only after a request: one to a ROUTER that never answers.
    let router = Router::new();
    let ep = router.bind("inproc://timeo-req-rcv").await.expect("bind");
    let zero_req = Req::with_options(zero()).expect("o");
    zero_req.connect(&ep).await.expect("connect");
    zero_req.send("q").await.expect("send");
    let some_req = Req::with_options(some()).expect("o");
    some_req.connect(&ep).await.expect("connect");
    some_req.send("q").await.expect("send");
    assert_timeouts!("REQ", zero_req.recv().await, some_req.recv().await, limit);
}

#[tokio::test]
async fn sndtimeo_zero_would_block_and_positive_times_out_without_peers() {
    let limit = Duration::from_millis(80);
    let zero = || SocketOptions::new().sndtimeo(Some(Duration::ZERO));
    let some = || SocketOptions::new().sndtimeo(Some(limit));
    assert_timeouts!(
        "PUSH",
        Push::with_options(zero()).expect("o").send("x").await,
        Push::with_options(some()).expect("o").send("x").await,
        limit
    );
    assert_timeouts!(
        "DEALER",
        Dealer::with_options(zero()).expect("o").send("x").await,
        Dealer::with_options(some()).expect("o").send("x").await,
        limit
    );
    assert_timeouts!(
        "PAIR",
        Pair::with_options(zero()).expect("o").send("x").await,
        Pair::with_options(some()).expect("o").send("x").await,
        limit
    );
    assert_timeouts!(
        "REQ",
        Req::with_options(zero()).expect("o").send("x").await,
        Req::with_options(some()).expect("o").send("x").await,
        limit
    );
    let req = Req::with_options(some()).expect("o");
    assert!(matches!(req.send("x").await, Err(Error::Timeout(_))));
    assert!(
        matches!(req.try_recv(), Err(Error::InvalidState(_))),
        "a request that timed out was not sent"
    );
}

#[tokio::test]
async fn a_message_arriving_during_the_wait_is_returned() {
    let pull =
        Pull::with_options(SocketOptions::new().rcvtimeo(Some(common::LIMIT))).expect("options");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    let (got, sent) = tokio::join!(pull.recv(), push.send("in time"));
    sent.expect("send");
    assert_eq!(got.expect("received before the timeout"), msg(&["in time"]));
}

#[tokio::test]
async fn timeouts_change_on_a_live_socket() {
    let pull = Pull::new();
    assert_eq!(
        pull.options().get_rcvtimeo(),
        None,
        "default: wait for ever"
    );
    pull.set_option(OptionName::RcvTimeo, 0).expect("option");
    assert!(matches!(pull.recv().await, Err(Error::WouldBlock)));
    pull.set_option(OptionName::RcvTimeo, 30).expect("option");
    let start = Instant::now();
    assert!(matches!(pull.recv().await, Err(Error::Timeout(_))));
    assert_waited(start, Duration::from_millis(30), "ZMQ_RCVTIMEO 30");
    let push = Push::with_options(SocketOptions::new().sndtimeo(timeo(20))).expect("o");
    assert!(matches!(push.send("x").await, Err(Error::Timeout(_))));
    push.set_option(OptionName::SndTimeo, 0).expect("option");
    assert!(matches!(push.send("x").await, Err(Error::WouldBlock)));
}
