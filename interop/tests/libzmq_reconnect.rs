//! The libzmq peer goes away and comes back on the same endpoint: our connecting socket
//! reconnects on its own (ZMQ_RECONNECT_IVL) and traffic resumes, in order. And `disconnect`
//! with `ZMQ_LINGER`: what was queued for an endpoint before its disconnect reaches a PULL bound
//! there later, from libzmq's PUSH (the reference) and from ours.

mod support;

use std::time::Duration;

use support::{bound_address, millis};
use zmtp::socket::{Pull, Push, SocketOptions};

const STALL: Duration = Duration::from_secs(30);

/// A libzmq PULL bound at `endpoint` (`tcp://127.0.0.1:*` the first time) that receives until
/// it has a message numbered at least `from`, then returns its endpoint and the numbers it saw.
fn libzmq_pull_until(endpoint: String, from: u32) -> (String, Vec<u32>) {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL).expect("PULL");
    pull.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
    pull.set_linger(0).expect("ZMQ_LINGER");
    pull.bind(&endpoint)
        .expect("bind (again) on the same endpoint");
    let bound = format!("tcp://{}", bound_address(&pull));
    let mut seen = Vec::new();
    loop {
        let msg = pull
            .recv_bytes(0)
            .unwrap_or_else(|e| panic!("libzmq PULL at {bound}: nothing within {STALL:?} ({e})"));
        let n = u32::from_be_bytes(msg[..4].try_into().expect("4-byte counter"));
        seen.push(n);
        if n >= from {
            return (bound, seen);
        }
    }
}

#[tokio::test]
async fn our_push_reconnects_to_a_restarted_libzmq_pull() {
    let (ep_tx, ep_rx) = std::sync::mpsc::channel::<String>();
    let first = tokio::task::spawn_blocking(move || {
        // Report the endpoint before blocking in recv.
        let ctx = zmq::Context::new();
        let probe = ctx.socket(zmq::PULL).expect("PULL");
        probe.bind("tcp://127.0.0.1:*").expect("bind");
        let ep = format!("tcp://{}", bound_address(&probe));
        drop(probe);
        drop(ctx);
        ep_tx.send(ep.clone()).expect("test waits");
        libzmq_pull_until(ep, 0)
    });
    let ep = ep_rx.recv_timeout(STALL).expect("endpoint");
    let push = Push::with_options(
        SocketOptions::new()
            .reconnect_ivl(Some(Duration::from_millis(50)))
            .sndtimeo(Some(STALL)),
    )
    .expect("options");
    push.connect(&ep).await.expect("connect");
    push.send(0u32.to_be_bytes().to_vec()).await.expect("send");
    let (ep, seen) = first.await.expect("first libzmq PULL");
    assert_eq!(seen, vec![0]);

    // The first PULL is gone (context terminated). A new one binds the same port; we keep
    // sending numbered messages until it has one: the socket reconnected by itself.
    let second = tokio::task::spawn_blocking(move || libzmq_pull_until(ep, 1));
    let mut n = 1u32;
    while !second.is_finished() {
        push.send(n.to_be_bytes().to_vec()).await.expect("send");
        n += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(n < 10_000, "the second libzmq PULL never got a message");
    }
    let (_, seen) = second.await.expect("second libzmq PULL");
    assert!(!seen.is_empty());
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
}

/// A tcp endpoint where nothing listens now, that can be bound later.
fn free_endpoint() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    format!("tcp://{}", probe.local_addr().expect("address"))
}

/// libzmq's PUSH with ZMQ_LINGER 5 s queues three messages for an endpoint nobody listens at,
/// disconnects it, and our PULL bound there afterwards gets them: the reference behaviour.
#[tokio::test]
async fn a_libzmq_push_delivers_what_it_queued_before_disconnect() {
    let ep = free_endpoint();
    let ctx = zmq::Context::new();
    let push = ctx.socket(zmq::PUSH).expect("PUSH");
    push.set_linger(5000).expect("ZMQ_LINGER");
    push.set_reconnect_ivl(10).expect("ZMQ_RECONNECT_IVL");
    push.connect(&ep).expect("connect");
    for i in 0..3 {
        push.send(format!("queued {i}").as_bytes(), 0)
            .expect("queued");
    }
    push.disconnect(&ep).expect("disconnect");
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    for i in 0..3 {
        let msg = tokio::time::timeout(STALL, pull.recv())
            .await
            .expect("a message queued before the disconnect")
            .expect("recv");
        assert_eq!(msg.frames()[0], format!("queued {i}").as_bytes());
    }
    drop(push);
    tokio::task::spawn_blocking(move || drop(ctx))
        .await
        .expect("libzmq context terminated");
}

/// The same from our PUSH to a libzmq PULL bound afterwards.
#[tokio::test]
async fn our_push_delivers_what_it_queued_before_disconnect_to_a_libzmq_pull() {
    let ep = free_endpoint();
    let push = Push::with_options(
        SocketOptions::new()
            .linger(Some(Duration::from_secs(5)))
            .reconnect_ivl(Some(Duration::from_millis(10))),
    )
    .expect("options");
    push.connect(&ep).await.expect("connect");
    for i in 0..3 {
        push.send(format!("queued {i}")).await.expect("queued");
    }
    push.disconnect(&ep).expect("disconnect");
    let got = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).expect("PULL");
        pull.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        pull.set_linger(0).expect("ZMQ_LINGER");
        pull.bind(&ep).expect("bind");
        (0..3)
            .map(|_| {
                let msg = pull
                    .recv_bytes(0)
                    .unwrap_or_else(|e| panic!("libzmq PULL: nothing within {STALL:?} ({e})"));
                String::from_utf8(msg).expect("text")
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("libzmq PULL");
    assert_eq!(got, ["queued 0", "queued 1", "queued 2"]);
}
