//! `ZMQ_CONFLATE`: a queue keeps only its newest message (libzmq's test_conflate), on a SUB and
//! on a PULL. The sockets run on a context whose connections are tasks of the test's own
//! current-thread runtime, so nothing moves while the test sends: what the receiver then gets
//! is decided by the queues alone, not by timing.

use std::time::Duration;

use zmtp_socket::{Context, Message, Pub, Pull, Push, SocketOptions, Sub};

const LIMIT: Duration = Duration::from_secs(30);
const COUNT: u32 = 1000;

fn numbered(i: u32) -> Message {
    Message::single(i.to_be_bytes().to_vec())
}

fn number(msg: &Message) -> u32 {
    u32::from_be_bytes(msg.frames()[0][..4].try_into().expect("4 bytes"))
}

/// Receives until message `COUNT - 1`; the numbers only go up, and most were conflated away.
async fn newest_only(mut recv: impl AsyncFnMut() -> Message) {
    let mut seen = Vec::new();
    loop {
        let n = number(
            &tokio::time::timeout(LIMIT, recv())
                .await
                .expect("within the limit"),
        );
        assert!(
            seen.last().is_none_or(|&last| n > last),
            "in order: {seen:?} then {n}"
        );
        seen.push(n);
        if n == COUNT - 1 {
            break;
        }
    }
    assert!(
        seen.len() < 10,
        "{} of {COUNT} messages reached the application: {seen:?}",
        seen.len()
    );
}

#[tokio::test]
async fn a_conflating_sub_keeps_the_newest_message() {
    let ctx = Context::on_caller_runtime();
    let publisher = Pub::new_in(&ctx).expect("pub");
    publisher.bind("inproc://conflate-sub").await.expect("bind");
    let sub =
        Sub::with_options_in(&ctx, SocketOptions::new().conflate(true)).expect("conflating sub");
    sub.connect("inproc://conflate-sub").await.expect("connect");
    sub.subscribe("").expect("subscribe");
    // The subscription has arrived once a probe gets through.
    loop {
        publisher
            .send(Message::single("probe"))
            .await
            .expect("probe");
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(20), sub.recv()).await {
            break;
        }
    }
    for i in 0..COUNT {
        publisher.send(numbered(i)).await.expect("publish");
    }
    newest_only(async || sub.recv().await.expect("recv")).await;
}

#[tokio::test]
async fn a_conflating_pull_keeps_the_newest_message() {
    let ctx = Context::on_caller_runtime();
    let pull =
        Pull::with_options_in(&ctx, SocketOptions::new().conflate(true)).expect("conflating pull");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push =
        Push::with_options_in(&ctx, SocketOptions::new().conflate(true)).expect("conflating push");
    push.connect(&ep).await.expect("connect");
    for i in 0..COUNT {
        push.send(numbered(i)).await.expect("send");
    }
    newest_only(async || pull.recv().await.expect("recv")).await;
}

/// libzmq applies `ZMQ_CONFLATE` on DEALER, PULL, PUSH, PUB and SUB only: a PAIR and a ROUTER
/// take the option and keep every message (measured against libzmq 4.3.4: 5 of 5).
#[tokio::test]
async fn pair_and_router_ignore_conflate() {
    const SENT: u32 = 5;
    let ctx = Context::on_caller_runtime();
    let conflating = || SocketOptions::new().conflate(true);

    let pair = zmtp_socket::Pair::with_options_in(&ctx, conflating()).expect("pair");
    let ep = pair.bind("tcp://127.0.0.1:*").await.expect("bind");
    let peer = zmtp_socket::Pair::with_options_in(&ctx, conflating()).expect("peer");
    peer.connect(&ep).await.expect("connect");
    for i in 0..SENT {
        peer.send(numbered(i)).await.expect("send");
    }
    for i in 0..SENT {
        let got = tokio::time::timeout(LIMIT, pair.recv())
            .await
            .expect("in time");
        assert_eq!(number(&got.expect("recv")), i, "every message, in order");
    }

    let router = zmtp_socket::Router::with_options_in(&ctx, conflating()).expect("router");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let dealer = zmtp_socket::Dealer::new_in(&ctx).expect("dealer");
    dealer.connect(&ep).await.expect("connect");
    for i in 0..SENT {
        dealer.send(numbered(i)).await.expect("send");
    }
    for i in 0..SENT {
        let got = tokio::time::timeout(LIMIT, router.recv())
            .await
            .expect("in time");
        let msg = got.expect("recv");
        assert_eq!(
            u32::from_be_bytes(msg.frames()[1][..4].try_into().expect("4 bytes")),
            i
        );
    }
}
