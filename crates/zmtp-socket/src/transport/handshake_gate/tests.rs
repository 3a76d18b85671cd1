use futures::FutureExt;

use super::*;
use crate::{Context, Dealer, Router};

#[test]
fn one_gate_per_endpoint_and_forgotten_once_unheld() {
    let gates = HandshakeGates::default();
    let a = gates.gate("tcp://127.0.0.1:1");
    assert!(Arc::ptr_eq(&a, &gates.gate("tcp://127.0.0.1:1")));
    let b = gates.gate("tcp://127.0.0.1:2");
    assert!(!Arc::ptr_eq(&a, &b));
    assert_eq!(a.places.available_permits(), HANDSHAKES_IN_FLIGHT);
    drop(a);
    let _c = gates.gate("tcp://127.0.0.1:3");
    let kept: Vec<String> = gates.gates.lock().keys().cloned().collect();
    assert!(
        !kept.contains(&"tcp://127.0.0.1:1".to_owned()),
        "an unheld gate is forgotten: {kept:?}"
    );
}

/// Waits for `done`, checking it each time the runtime has run the other tasks a little.
async fn until(mut done: impl FnMut() -> bool) {
    while !done() {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

const SOCKETS: usize = 3 * HANDSHAKES_IN_FLIGHT;

/// Sockets of one context connecting to a peer that takes their connections but never answers
/// the handshake: only [`HANDSHAKES_IN_FLIGHT`] of them connect, the others wait at the gate
/// rather than pile up in the peer's accept queue; a connection that ends lets the next one in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_gets_only_the_gates_connections_at_a_time() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let port = listener.local_addr().expect("address").port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let ctx = Context::new().expect("context");
    let mut dealers = Vec::new();
    for _ in 0..SOCKETS {
        let dealer = Dealer::new_in(&ctx).expect("DEALER");
        dealer.connect(&endpoint).await.expect("connect");
        dealers.push(dealer);
    }
    let gate = ctx.shared.handshake_gates.gate(&endpoint);
    // Every socket is either connected (accepted here, where the test holds its stream and
    // sends nothing) or waiting at the gate; without the gate all would be accepted.
    let mut accepted = Vec::new();
    let settle = |accepted: &mut Vec<tokio::net::TcpStream>| {
        while let Some(Ok((stream, _))) = listener.accept().now_or_never() {
            accepted.push(stream);
        }
        accepted.len() + gate.waiting()
    };
    until(|| settle(&mut accepted) == SOCKETS).await;
    assert_eq!(
        accepted.len(),
        HANDSHAKES_IN_FLIGHT,
        "connections under way at once to one endpoint"
    );
    assert_eq!(gate.waiting(), SOCKETS - HANDSHAKES_IN_FLIGHT);
    // Closing them ends those connections without a handshake: their places go to the next
    // (and those sockets, reconnecting, wait at the gate again).
    accepted.clear();
    until(|| settle(&mut accepted) == SOCKETS && !accepted.is_empty()).await;
    assert_eq!(accepted.len(), HANDSHAKES_IN_FLIGHT);
    assert_eq!(gate.waiting(), SOCKETS - HANDSHAKES_IN_FLIGHT);
}

/// A place is given back when the handshake is done, not when the connection ends: more
/// sockets than the gate holds all get through to a ROUTER, their connections kept open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_is_given_back_once_the_handshake_is_done() {
    let ctx = Context::new().expect("context");
    let router = Router::new_in(&ctx).expect("ROUTER");
    let endpoint = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealers = Vec::new();
    for i in 0..SOCKETS {
        let dealer = Dealer::new_in(&ctx).expect("DEALER");
        dealer.connect(&endpoint).await.expect("connect");
        dealer.send(format!("{i}")).await.expect("send");
        dealers.push(dealer);
    }
    // A guard against a hang only: each message arrives in milliseconds unless places leak.
    let all = async {
        for _ in 0..SOCKETS {
            let message = router.recv().await.expect("recv");
            assert_eq!(message.len(), 2, "routing id and body");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), all)
        .await
        .expect("the sockets past the gate's first places never connected: places not given back");
}
