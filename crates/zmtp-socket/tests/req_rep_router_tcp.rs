//! ROUTER, REQ and REP over tcp, ours on both ends: the behaviours libzmq's router_mandatory,
//! req_correlate, req_relaxed, probe_router, router_handover and connect_rid tests check, each
//! test named for the one it asserts. Every wait is bounded. (The spec_req, spec_rep and
//! spec_router behaviours run over every transport in `spec_transports.rs`.)

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use zmtp_socket::{Dealer, Error, Message, Req, Router, SocketOptions};

const LIMIT: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"))
}

fn msg(frames: &[&'static str]) -> Message {
    frames.iter().copied().collect()
}

async fn bound_router(options: SocketOptions) -> (Router, String) {
    let router = Router::with_options(options).expect("options");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    (router, ep)
}

async fn dealer_named(id: &'static str, ep: &str) -> Dealer {
    let dealer = Dealer::with_options(SocketOptions::new().identity(id)).expect("options");
    dealer.connect(ep).await.expect("connect");
    dealer
}

/// Polls `check` (a non-blocking probe) until it holds, for at most `LIMIT`.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    within(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn router_mandatory_reports_unknown_peers_and_silently_drops_without_it() {
    let (quiet, _) = bound_router(SocketOptions::new()).await;
    quiet
        .send(msg(&["nobody", "x"]))
        .await
        .expect("dropped silently");
    let (router, _) = bound_router(SocketOptions::new().router_mandatory(true)).await;
    match router.send(msg(&["nobody", "x"])).await {
        Err(Error::HostUnreachable(id)) => assert_eq!(&id[..], b"nobody"),
        other => panic!("EHOSTUNREACH expected: {other:?}"),
    }
    assert!(matches!(
        router.try_send(msg(&["nobody", "x"])),
        Err(Error::HostUnreachable(_))
    ));
}

#[tokio::test]
async fn router_mandatory_hwm_would_block_then_waits_for_room() {
    let (router, ep) = bound_router(SocketOptions::new().router_mandatory(true).sndhwm(1)).await;
    let d = Dealer::with_options(SocketOptions::new().identity("D").rcvhwm(1)).expect("opts");
    d.connect(&ep).await.expect("connect");
    d.send("hi").await.expect("send");
    within("hello", router.recv()).await.expect("recv");
    // The peer reads nothing: its queues and the socket buffers fill, then ours.
    let body = Bytes::from(vec![7u8; 64 * 1024]);
    let mut sent = 0usize;
    loop {
        match router.try_send(Message::from(vec![Bytes::from("D"), body.clone()])) {
            Ok(()) => sent += 1,
            Err(Error::WouldBlock) => break,
            Err(e) => panic!("EAGAIN expected: {e}"),
        }
        assert!(sent < 100_000, "the queue never filled");
        tokio::task::yield_now().await;
    }
    // A waiting send goes once the peer reads.
    let sender = async {
        within(
            "blocked send",
            router.send(Message::from(vec![Bytes::from("D"), Bytes::from("last")])),
        )
        .await
        .expect("send");
    };
    let reader = async {
        loop {
            let m = within("peer reads", d.recv()).await.expect("recv");
            if m == msg(&["last"]) {
                break;
            }
            assert_eq!(m.frames()[0].len(), body.len());
        }
    };
    tokio::join!(sender, reader);
}

#[tokio::test]
async fn probe_router_sends_an_empty_message_on_connect() {
    let (router, ep) = bound_router(SocketOptions::new()).await;
    let d = Dealer::with_options(SocketOptions::new().probe_router(true).identity("P"))
        .expect("options");
    d.connect(&ep).await.expect("connect");
    let probe = within("probe", router.recv()).await.expect("recv");
    assert_eq!(probe, Message::from(vec![Bytes::from("P"), Bytes::new()]));
    // The ROUTER can now address the peer before it sends anything.
    router.send(msg(&["P", "welcome"])).await.expect("send");
    assert_eq!(
        within("recv", d.recv()).await.expect("recv"),
        msg(&["welcome"])
    );
}

#[tokio::test]
async fn router_handover_gives_the_id_to_the_newcomer() {
    let (router, ep) = bound_router(SocketOptions::new().router_handover(true)).await;
    let first = dealer_named("X", &ep).await;
    first.send("one").await.expect("send");
    assert_eq!(
        within("first", router.recv()).await.expect("recv"),
        msg(&["X", "one"])
    );
    let second = dealer_named("X", &ep).await;
    second.send("two").await.expect("send");
    assert_eq!(
        within("second", router.recv()).await.expect("recv"),
        msg(&["X", "two"])
    );
    router
        .send(msg(&["X", "to the newcomer"]))
        .await
        .expect("send");
    assert_eq!(
        within("newcomer", second.recv()).await.expect("recv"),
        msg(&["to the newcomer"])
    );
    assert!(matches!(first.try_recv(), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn router_without_handover_keeps_the_first_peer_with_an_id() {
    let (router, ep) = bound_router(SocketOptions::new()).await;
    let first = dealer_named("X", &ep).await;
    first.send("one").await.expect("send");
    assert_eq!(
        within("first", router.recv()).await.expect("recv"),
        msg(&["X", "one"])
    );
    let second = dealer_named("X", &ep).await;
    second.send("ignored").await.expect("send");
    first.send("still first").await.expect("send");
    assert_eq!(
        within("first again", router.recv()).await.expect("recv"),
        msg(&["X", "still first"])
    );
    router
        .send(msg(&["X", "to the first"]))
        .await
        .expect("send");
    assert_eq!(
        within("first", first.recv()).await.expect("recv"),
        msg(&["to the first"])
    );
    assert!(matches!(router.try_recv(), Err(Error::WouldBlock)));
    assert!(matches!(second.try_recv(), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn req_correlate_and_relaxed_drop_the_reply_to_an_abandoned_request() {
    let (router, ep) = bound_router(SocketOptions::new()).await;
    let req = Req::with_options(SocketOptions::new().req_correlate(true).req_relaxed(true))
        .expect("options");
    req.connect(&ep).await.expect("connect");
    req.send("first").await.expect("send");
    let first = within("first", router.recv()).await.expect("recv");
    assert_eq!(
        first.len(),
        4,
        "[routing id, request id, \"\", body]: {first:?}"
    );
    assert_eq!(first.frames()[1].len(), 4);
    assert!(first.frames()[2].is_empty());
    req.send("second")
        .await
        .expect("relaxed: a new request without the reply");
    let second = within("second", router.recv()).await.expect("recv");
    let n = |f: &Bytes| u32::from_ne_bytes([f[0], f[1], f[2], f[3]]);
    assert_eq!(
        n(&second.frames()[1]),
        n(&first.frames()[1]).wrapping_add(1)
    );
    // The answer to the first request comes first; it is not the second one's.
    let reply = |req: &Message, body: &'static str| {
        Message::from(vec![
            req.frames()[0].clone(),
            req.frames()[1].clone(),
            Bytes::new(),
            Bytes::from(body),
        ])
    };
    router.send(reply(&first, "to first")).await.expect("send");
    router
        .send(reply(&second, "to second"))
        .await
        .expect("send");
    assert_eq!(
        within("reply", req.recv()).await.expect("recv"),
        msg(&["to second"])
    );
    assert!(matches!(req.try_recv(), Err(Error::InvalidState(_))));
}

#[tokio::test]
async fn req_relaxed_resends_to_the_next_peer_and_strict_refuses() {
    let strict = Req::new();
    let (_r, ep) = bound_router(SocketOptions::new()).await;
    strict.connect(&ep).await.expect("connect");
    strict.send("q").await.expect("send");
    assert!(matches!(
        strict.send("q").await,
        Err(Error::InvalidState(_))
    ));

    let (mut r1, ep1) = bound_router(SocketOptions::new()).await;
    let (mut r2, ep2) = bound_router(SocketOptions::new()).await;
    let req = Req::with_options(SocketOptions::new().req_relaxed(true).probe_router(true))
        .expect("options");
    req.connect(&ep1).await.expect("connect");
    req.connect(&ep2).await.expect("connect");
    within("probe 1", r1.recv()).await.expect("recv");
    within("probe 2", r2.recv()).await.expect("recv");
    req.send("a").await.expect("send");
    req.send("b").await.expect("relaxed");
    // One request reached each peer: the resend went to the next one in turn.
    let m1 = within("r1", r1.recv()).await.expect("recv");
    let m2 = within("r2", r2.recv()).await.expect("recv");
    let mut bodies = vec![m1.frames()[2].clone(), m2.frames()[2].clone()];
    bodies.sort();
    assert_eq!(bodies, vec![Bytes::from("a"), Bytes::from("b")]);
    // Only the peer asked last is listened to.
    let (asked, other, asked_msg, other_msg) = if &m1.frames()[2][..] == b"b" {
        (&mut r1, &mut r2, m1, m2)
    } else {
        (&mut r2, &mut r1, m2, m1)
    };
    other
        .send(other_msg)
        .await
        .expect("echo the abandoned request");
    asked.send(asked_msg).await.expect("echo");
    assert_eq!(
        within("reply", req.recv()).await.expect("recv"),
        msg(&["b"])
    );
}

#[tokio::test]
async fn connect_rid_names_the_peer_before_the_connection_router_to_router() {
    let (server, ep) = bound_router(SocketOptions::new().identity("server-self")).await;
    let client = Router::with_options(
        SocketOptions::new()
            .identity("client")
            .router_mandatory(true)
            .connect_rid("srv"),
    )
    .expect("options");
    client.connect(&ep).await.expect("connect");
    assert_eq!(client.options().get_connect_rid(), None, "used once");
    // Routable at once under the chosen name (not the id the server announces).
    client.send(msg(&["srv", "hello"])).await.expect("send");
    assert_eq!(
        within("server", server.recv()).await.expect("recv"),
        msg(&["client", "hello"])
    );
    server.send(msg(&["client", "back"])).await.expect("send");
    assert_eq!(
        within("client", client.recv()).await.expect("recv"),
        msg(&["srv", "back"])
    );
    assert!(matches!(
        client.try_send(msg(&["server-self", "x"])),
        Err(Error::HostUnreachable(_))
    ));
    // A second connect without the option: the peer's announced id.
    let (other, ep2) = bound_router(SocketOptions::new().identity("other")).await;
    client.connect(&ep2).await.expect("connect");
    client.send(msg(&["srv", "ping"])).await.expect("send");
    within("server", server.recv()).await.expect("recv");
    eventually("the announced id is routable", || {
        client.try_send(msg(&["other", "hi"])).is_ok()
    })
    .await;
    assert_eq!(
        within("other", other.recv()).await.expect("recv"),
        msg(&["client", "hi"])
    );
}
