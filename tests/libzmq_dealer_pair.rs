//! Our DEALER and PAIR sockets against libzmq 4.3.4's: messages both ways, byte-exact and in
//! order, either side binding.

mod support;

use std::time::Duration;

use support::{
    bound_address, check_message, libzmq_recv_traffic, libzmq_send_traffic, millis, Traffic,
};
use tokio::sync::oneshot;
use zmtp::socket::{Dealer, Message, Pair};

const STALL: Duration = Duration::from_secs(30);
const MESSAGES: usize = 2_000;

async fn join<T>(what: &str, handle: tokio::task::JoinHandle<T>) -> T {
    match tokio::time::timeout(Duration::from_secs(120), handle).await {
        Err(_) => panic!("{what} did not finish in time"),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("{what} failed: {e}"),
        Ok(Ok(v)) => v,
    }
}

/// Receives `count` messages from `socket` and checks them against `Traffic::new(seed)`.
async fn expect_traffic<S>(socket: &mut S, seed: u64, count: usize)
where
    S: futures::Stream<Item = zmtp::socket::Result<Message>> + Unpin,
{
    use futures::StreamExt;
    let mut traffic = Traffic::new(seed);
    let mut scratch = Vec::new();
    for i in 0..count {
        let msg = tokio::time::timeout(STALL, socket.next())
            .await
            .unwrap_or_else(|_| panic!("message {i} of {count} did not come within {STALL:?}"))
            .expect("the socket is open")
            .expect("message");
        if let Err(e) = check_message(i, &traffic.next_spec(), &msg, &mut scratch) {
            panic!("a wrong message arrived: {e}");
        }
    }
}

#[tokio::test]
async fn our_dealer_to_libzmq_router_and_back() {
    let (addr_tx, addr_rx) = oneshot::channel::<String>();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).expect("ROUTER");
        router.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        router.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        router.set_linger(1000).expect("ZMQ_LINGER");
        // Without it a ROUTER drops what does not fit the peer's queue (ZMQ_SNDHWM); with it,
        // the send waits for room (up to ZMQ_SNDTIMEO), so every reply arrives.
        router
            .set_router_mandatory(true)
            .expect("ZMQ_ROUTER_MANDATORY");
        router.bind("tcp://127.0.0.1:*").expect("bind");
        addr_tx
            .send(format!("tcp://{}", bound_address(&router)))
            .expect("test waits");
        let id = libzmq_recv_traffic(&router, &mut Traffic::new(21), MESSAGES, true)
            .expect("a routing id");
        libzmq_send_traffic(&router, &mut Traffic::new(22), MESSAGES, Some(&id));
        // Wait for our "done" so the replies are not cut off by the close.
        let mut done = zmq::Message::new();
        router.recv(&mut done, 0).expect("done's routing id");
        router.recv(&mut done, 0).expect("done");
    });
    let ep = tokio::time::timeout(STALL, addr_rx)
        .await
        .expect("address")
        .expect("sent");
    let mut dealer = Dealer::new();
    dealer.connect(&ep).await.expect("connect");
    let mut traffic = Traffic::new(21);
    for _ in 0..MESSAGES {
        dealer.send(traffic.next_message()).await.expect("send");
    }
    expect_traffic(&mut dealer, 22, MESSAGES).await;
    dealer.send("done").await.expect("send");
    join("the libzmq ROUTER", libzmq).await;
}

#[tokio::test]
async fn libzmq_dealer_to_our_bound_dealer_and_back() {
    let mut dealer = Dealer::new();
    let ep = dealer.bind("tcp://127.0.0.1:*").await.expect("bind");
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let peer = ctx.socket(zmq::DEALER).expect("DEALER");
        peer.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        peer.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        peer.set_linger(0).expect("ZMQ_LINGER");
        peer.connect(&ep).expect("connect");
        libzmq_send_traffic(&peer, &mut Traffic::new(23), MESSAGES, None);
        libzmq_recv_traffic(&peer, &mut Traffic::new(24), MESSAGES, false);
    });
    expect_traffic(&mut dealer, 23, MESSAGES).await;
    let mut traffic = Traffic::new(24);
    for _ in 0..MESSAGES {
        dealer.send(traffic.next_message()).await.expect("send");
    }
    join("the libzmq DEALER", libzmq).await;
}

#[tokio::test]
async fn pair_both_ways_with_libzmq() {
    let mut pair = Pair::new();
    let ep = pair.bind("tcp://127.0.0.1:*").await.expect("bind");
    let ep2 = ep.clone();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let peer = ctx.socket(zmq::PAIR).expect("PAIR");
        peer.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        peer.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        peer.set_linger(0).expect("ZMQ_LINGER");
        peer.connect(&ep2).expect("connect");
        libzmq_send_traffic(&peer, &mut Traffic::new(25), MESSAGES, None);
        libzmq_recv_traffic(&peer, &mut Traffic::new(26), MESSAGES, false);
    });
    expect_traffic(&mut pair, 25, MESSAGES).await;

    let mut traffic = Traffic::new(26);
    for _ in 0..MESSAGES {
        pair.send(traffic.next_message()).await.expect("send");
    }
    join("the libzmq PAIR", libzmq).await;
}
