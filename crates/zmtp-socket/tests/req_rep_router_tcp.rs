//! ROUTER, REQ and REP over tcp, ours on both ends: the behaviours libzmq's spec_req,
//! spec_rep, spec_router, router_mandatory, req_correlate, req_relaxed, probe_router and
//! router_handover tests check, each test named for the one it asserts. Every wait is bounded.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use zmtp_socket::{Dealer, Error, Message, Rep, Req, Router, SocketOptions};

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
    let mut router = Router::with_options(options).expect("options");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    (router, ep)
}

async fn dealer_named(id: &'static str, ep: &str) -> Dealer {
    let mut dealer = Dealer::with_options(SocketOptions::new().identity(id)).expect("options");
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
async fn spec_router_fair_queues_in_and_routes_out_by_identity() {
    let (mut router, ep) = bound_router(SocketOptions::new()).await;
    let mut a = dealer_named("A", &ep).await;
    let mut b = dealer_named("B", &ep).await;
    for i in 0..3 {
        a.send(Message::from(["from A".to_string(), i.to_string()]))
            .await
            .expect("send");
        b.send(Message::from(["from B".to_string(), i.to_string()]))
            .await
            .expect("send");
    }
    let mut seen = Vec::new();
    for _ in 0..6 {
        let m = within("router recv", router.next())
            .await
            .expect("open")
            .expect("message");
        assert_eq!(m.len(), 3, "routing id and two frames: {m:?}");
        let id = m.frames()[0].clone();
        assert_eq!(
            &m.frames()[1][..],
            format!("from {}", String::from_utf8_lossy(&id)).as_bytes()
        );
        seen.push(id);
    }
    assert_eq!(seen.iter().filter(|id| &id[..] == b"A").count(), 3);
    assert_eq!(seen.iter().filter(|id| &id[..] == b"B").count(), 3);
    router.send(msg(&["B", "to B", "2"])).await.expect("send");
    router.send(msg(&["A", "to A"])).await.expect("send");
    assert_eq!(within("A", a.recv()).await.expect("recv"), msg(&["to A"]));
    assert_eq!(
        within("B", b.recv()).await.expect("recv"),
        msg(&["to B", "2"])
    );
}

#[tokio::test]
async fn spec_router_gives_anonymous_peers_generated_ids() {
    let (mut router, ep) = bound_router(SocketOptions::new()).await;
    let mut d = Dealer::new();
    d.connect(&ep).await.expect("connect");
    d.send("hello").await.expect("send");
    let m = within("recv", router.recv()).await.expect("recv");
    let id = m.frames()[0].clone();
    assert_eq!((id.len(), id[0]), (5, 0), "0x00 and a 32-bit counter");
    router
        .send(Message::from(vec![id, Bytes::from("back")]))
        .await
        .expect("send");
    assert_eq!(
        within("reply", d.recv()).await.expect("recv"),
        msg(&["back"])
    );
}

#[tokio::test]
async fn router_mandatory_reports_unknown_peers_and_silently_drops_without_it() {
    let (mut quiet, _) = bound_router(SocketOptions::new()).await;
    quiet
        .send(msg(&["nobody", "x"]))
        .await
        .expect("dropped silently");
    let (mut router, _) = bound_router(SocketOptions::new().router_mandatory(true)).await;
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
    let (mut router, ep) =
        bound_router(SocketOptions::new().router_mandatory(true).sndhwm(1)).await;
    let mut d = Dealer::with_options(SocketOptions::new().identity("D").rcvhwm(1)).expect("opts");
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
async fn spec_router_destroys_the_queue_on_disconnect() {
    let (mut router, ep) = bound_router(SocketOptions::new().router_mandatory(true)).await;
    let mut d = dealer_named("B", &ep).await;
    d.send("ABC").await.expect("send");
    assert_eq!(
        within("recv", router.recv()).await.expect("recv"),
        msg(&["B", "ABC"])
    );
    drop(d);
    eventually("the peer's id is unroutable", || {
        matches!(
            router.try_send(msg(&["B", "late"])),
            Err(Error::HostUnreachable(_))
        )
    })
    .await;
    // A new peer with the same id gets none of what was queued for the old one.
    let mut again = dealer_named("B", &ep).await;
    again.send("back").await.expect("send");
    assert_eq!(
        within("recv", router.recv()).await.expect("recv"),
        msg(&["B", "back"])
    );
    router.send(msg(&["B", "fresh"])).await.expect("send");
    assert_eq!(
        within("recv", again.recv()).await.expect("recv"),
        msg(&["fresh"])
    );
}

#[tokio::test]
async fn probe_router_sends_an_empty_message_on_connect() {
    let (mut router, ep) = bound_router(SocketOptions::new()).await;
    let mut d = Dealer::with_options(SocketOptions::new().probe_router(true).identity("P"))
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
    let (mut router, ep) = bound_router(SocketOptions::new().router_handover(true)).await;
    let mut first = dealer_named("X", &ep).await;
    first.send("one").await.expect("send");
    assert_eq!(
        within("first", router.recv()).await.expect("recv"),
        msg(&["X", "one"])
    );
    let mut second = dealer_named("X", &ep).await;
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
    let (mut router, ep) = bound_router(SocketOptions::new()).await;
    let mut first = dealer_named("X", &ep).await;
    first.send("one").await.expect("send");
    assert_eq!(
        within("first", router.recv()).await.expect("recv"),
        msg(&["X", "one"])
    );
    let mut second = dealer_named("X", &ep).await;
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
async fn spec_req_rep_round_trips_multipart_bodies_and_enforces_alternation() {
    let mut rep = Rep::new();
    let ep = rep.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut req = Req::new();
    req.connect(&ep).await.expect("connect");
    assert!(
        matches!(req.try_recv(), Err(Error::InvalidState(_))),
        "EFSM: recv first"
    );
    assert!(
        matches!(rep.try_send("x"), Err(Error::InvalidState(_))),
        "EFSM: reply first"
    );
    for i in 0..20u32 {
        req.send(Message::from([
            Bytes::from(i.to_be_bytes().to_vec()),
            Bytes::new(),
            Bytes::from("tail"),
        ]))
        .await
        .expect("send");
        assert!(
            matches!(req.send("again").await, Err(Error::InvalidState(_))),
            "EFSM"
        );
        let got = within("request", rep.recv()).await.expect("recv");
        assert_eq!(got.len(), 3, "the body, empty frame included: {got:?}");
        assert_eq!(&got.frames()[0][..], &i.to_be_bytes());
        assert!(
            matches!(rep.try_recv(), Err(Error::InvalidState(_))),
            "EFSM"
        );
        rep.send(Message::from(["reply".to_string(), i.to_string()]))
            .await
            .expect("reply");
        let reply = within("reply", req.recv()).await.expect("recv");
        assert_eq!(reply, Message::from(["reply".to_string(), i.to_string()]));
    }
}

#[tokio::test]
async fn spec_req_load_balances_and_listens_only_to_the_peer_asked() {
    let (mut r1, ep1) = bound_router(SocketOptions::new()).await;
    let (mut r2, ep2) = bound_router(SocketOptions::new()).await;
    let mut req = Req::with_options(SocketOptions::new().probe_router(true)).expect("options");
    req.connect(&ep1).await.expect("connect");
    req.connect(&ep2).await.expect("connect");
    // The probes give each ROUTER the REQ's id and show both connections are up.
    let id1 = within("probe 1", r1.recv()).await.expect("recv").frames()[0].clone();
    let id2 = within("probe 2", r2.recv()).await.expect("recv").frames()[0].clone();
    let mut asked = [0usize; 2];
    for round in 0..4 {
        req.send("Q").await.expect("send");
        let (which, id) = tokio::select! {
            m = r1.recv() => { assert_eq!(m.expect("recv"), Message::from(vec![id1.clone(), Bytes::new(), Bytes::from("Q")])); (0, id1.clone()) }
            m = r2.recv() => { assert_eq!(m.expect("recv"), Message::from(vec![id2.clone(), Bytes::new(), Bytes::from("Q")])); (1, id2.clone()) }
            _ = tokio::time::sleep(LIMIT) => panic!("no ROUTER got request {round}"),
        };
        asked[which] += 1;
        let (right, wrong, wrong_id) = if which == 0 {
            (&mut r1, &mut r2, id2.clone())
        } else {
            (&mut r2, &mut r1, id1.clone())
        };
        wrong
            .send(Message::from(vec![
                wrong_id,
                Bytes::new(),
                Bytes::from("wrong"),
            ]))
            .await
            .expect("send");
        right
            .send(Message::from(vec![id, Bytes::new(), Bytes::from("right")]))
            .await
            .expect("send");
        assert_eq!(
            within("reply", req.recv()).await.expect("recv"),
            msg(&["right"])
        );
    }
    assert_eq!(asked, [2, 2], "round robin");
}

#[tokio::test]
async fn spec_rep_keeps_the_envelope_and_drops_malformed_requests() {
    let mut rep = Rep::new();
    let ep = rep.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut d = Dealer::new();
    d.connect(&ep).await.expect("connect");
    d.send(msg(&["no delimiter"])).await.expect("send");
    d.send(msg(&["hop2", "hop1", "", "body", "more"]))
        .await
        .expect("send");
    let got = within("request", rep.recv()).await.expect("recv");
    assert_eq!(got, msg(&["body", "more"]), "the malformed one was dropped");
    rep.send("answer").await.expect("reply");
    assert_eq!(
        within("reply", d.recv()).await.expect("recv"),
        msg(&["hop2", "hop1", "", "answer"])
    );
}

#[tokio::test]
async fn spec_rep_fair_queues_between_clients() {
    let mut rep = Rep::new();
    let ep = rep.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut clients = Vec::new();
    for _ in 0..3 {
        let mut req = Req::new();
        req.connect(&ep).await.expect("connect");
        clients.push(req);
    }
    for (i, req) in clients.iter_mut().enumerate() {
        req.send(format!("client {i}")).await.expect("send");
    }
    for _ in 0..3 {
        let got = within("request", rep.next())
            .await
            .expect("open")
            .expect("recv");
        let mut reply = got.clone();
        reply.push_back("done");
        rep.send(reply).await.expect("reply");
    }
    for (i, req) in clients.iter_mut().enumerate() {
        let reply = within("reply", req.recv()).await.expect("recv");
        assert_eq!(
            reply,
            Message::from([format!("client {i}"), "done".to_string()])
        );
    }
}

#[tokio::test]
async fn req_correlate_and_relaxed_drop_the_reply_to_an_abandoned_request() {
    let (mut router, ep) = bound_router(SocketOptions::new()).await;
    let mut req = Req::with_options(SocketOptions::new().req_correlate(true).req_relaxed(true))
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
    let mut strict = Req::new();
    let (_r, ep) = bound_router(SocketOptions::new()).await;
    strict.connect(&ep).await.expect("connect");
    strict.send("q").await.expect("send");
    assert!(matches!(
        strict.send("q").await,
        Err(Error::InvalidState(_))
    ));

    let (mut r1, ep1) = bound_router(SocketOptions::new()).await;
    let (mut r2, ep2) = bound_router(SocketOptions::new()).await;
    let mut req = Req::with_options(SocketOptions::new().req_relaxed(true).probe_router(true))
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
    let (mut server, ep) = bound_router(SocketOptions::new().identity("server-self")).await;
    let mut client = Router::with_options(
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
    let (mut other, ep2) = bound_router(SocketOptions::new().identity("other")).await;
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

#[tokio::test]
async fn rcvtimeo_and_sndtimeo_bound_the_waits() {
    let short = Some(Duration::from_millis(50));
    let (mut router, _) = bound_router(SocketOptions::new().rcvtimeo(short)).await;
    assert!(matches!(router.recv().await, Err(Error::Timeout(_))));
    let mut rep = Rep::with_options(SocketOptions::new().rcvtimeo(short)).expect("options");
    assert!(matches!(rep.recv().await, Err(Error::Timeout(_))));
    let mut req = Req::with_options(SocketOptions::new().sndtimeo(short)).expect("options");
    assert!(matches!(req.send("no peer").await, Err(Error::Timeout(_))));
    assert!(
        matches!(req.try_recv(), Err(Error::InvalidState(_))),
        "nothing was sent"
    );
}
