//! The socket-pattern specification tests (libzmq's spec_pushpull, spec_dealer, spec_router,
//! spec_req, spec_rep, and PAIR round trips), each run over tcp, ipc and inproc
//! (`<test>::tcp`, `<test>::ipc`, `<test>::inproc`), between our own sockets:
//!
//! - PUSH and DEALER: round robin out (bound sender, connecting peers), fair queue in, block
//!   when there is no peer (`ZMQ_SNDTIMEO`, and a blocked send goes once a peer comes), the
//!   queue destroyed on disconnect, multipart messages whole;
//! - ROUTER: fair queue in, routing out by identity, generated ids, the queue destroyed on
//!   disconnect;
//! - REQ: round robin out, the empty delimiter on the wire, blocks with no peers, listens only
//!   to the peer it asked, alternation (`EFSM`);
//! - REP: fair queue between clients, the envelope kept and malformed requests dropped;
//! - PAIR: both directions, multipart, either side binding.
//!
//! Fair queueing is checked as the absence of starvation: a peer that sends a few messages is
//! served while another floods, whatever the timing (the exact alternation is a unit test of
//! the core, where the queues can be filled deterministically). Connections are awaited with
//! probes, never with sleeps; every wait is bounded.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use zmtp_socket::{Dealer, Error, Message, Pair, Pull, Push, Rep, Req, Router, SocketOptions};

use common::{
    assert_waited, bind_endpoint, connected, eventually, msg, recv_data, text, within, Rx, Sock, Tx,
};

on_every_transport!(
    push_round_robin_out,
    pull_fair_queue_in,
    push_blocks_without_peers,
    push_pull_queue_destroyed_on_disconnect,
    push_multipart_messages_stay_whole,
    dealer_round_robin_out,
    dealer_fair_queue_in,
    dealer_blocks_without_peers,
    router_fair_queue_in_and_routes_out_by_identity,
    router_gives_anonymous_peers_generated_ids,
    router_destroys_the_queue_on_disconnect,
    req_round_robin_out,
    req_message_format_has_the_delimiter,
    req_blocks_without_peers,
    req_only_listens_to_the_current_peer,
    req_rep_round_trips_and_alternation,
    rep_fair_queues_between_clients,
    rep_keeps_the_envelope_and_drops_malformed_requests,
    pair_exchanges_both_ways,
);

// ---------------------------------------------------------------------------------------------
// Generic bodies, shared by PUSH/PULL and DEALER/DEALER.

/// A bound sender and three connecting receivers: once all are connected, 3 x 4 numbered
/// messages go one per peer in a fixed rotation (each peer gets every third message).
async fn round_robin_out<S: Sock + Tx, R: Sock + Rx>(transport: &str) {
    let mut sender = S::make();
    let ep = sender
        .bind_to(&bind_endpoint(transport))
        .await
        .expect("bind");
    let mut peers: Vec<R> = Vec::new();
    for i in 0..3 {
        let mut peer = R::make();
        peer.connect_to(&ep).await.expect("connect");
        connected(&mut sender, &mut peer, &format!("peer {i} connected")).await;
        peers.push(peer);
    }
    for i in 0..12u32 {
        sender
            .tx(Message::from(["data".to_string(), i.to_string()]))
            .await
            .expect("send");
    }
    let mut firsts = Vec::new();
    for (p, peer) in peers.iter_mut().enumerate() {
        let got: Vec<u32> = {
            let mut got = Vec::new();
            for _ in 0..4 {
                let m = recv_data(peer, &format!("peer {p}'s share")).await;
                assert_eq!(m.len(), 2, "{:?}", text(&m));
                got.push(text(&m)[1].parse().expect("a number"));
            }
            got
        };
        let first = got[0];
        assert_eq!(
            got,
            vec![first, first + 3, first + 6, first + 9],
            "peer {p} gets every third message"
        );
        firsts.push(first);
        assert!(
            matches!(peer.try_rx(), Err(Error::WouldBlock)),
            "peer {p} got more than its share"
        );
    }
    firsts.sort_unstable();
    assert_eq!(firsts, vec![0, 1, 2], "each peer has its own turn");
}

/// A bound receiver, a peer that floods it and a peer that sends ten messages: the ten all come
/// through, in order, while the flood goes on (no peer starves another).
async fn fair_queue_in<S, R>(transport: &str)
where
    S: Sock + Tx,
    R: Sock + Rx,
{
    let mut receiver = R::make();
    let ep = receiver
        .bind_to(&bind_endpoint(transport))
        .await
        .expect("bind");
    let mut flooder = S::make();
    flooder.connect_to(&ep).await.expect("connect");
    let mut quiet = S::make();
    quiet.connect_to(&ep).await.expect("connect");
    // Each connecting peer queues its hello until its connection is up.
    flooder.tx(msg(&["hello", "flood"])).await.expect("send");
    quiet.tx(msg(&["hello", "quiet"])).await.expect("send");
    let mut hellos = Vec::new();
    for _ in 0..2 {
        let m = within("both hellos", receiver.rx()).await.expect("recv");
        hellos.push(text(&m)[1].clone());
    }
    hellos.sort();
    assert_eq!(hellos, ["flood", "quiet"]);

    // The flood runs in this task next to the receiving loop; it ends with it.
    let flood = async {
        loop {
            if flooder.tx(msg(&["flood"])).await.is_err() {
                return;
            }
        }
    };
    for i in 0..10u32 {
        quiet
            .tx(Message::from(["quiet".to_string(), i.to_string()]))
            .await
            .expect("send");
    }
    let served = async {
        let mut next = 0u32;
        while next < 10 {
            let m = receiver.rx().await.expect("recv");
            if m == msg(&["flood"]) {
                continue;
            }
            assert_eq!(
                m,
                Message::from(["quiet".to_string(), next.to_string()]),
                "the quiet peer's messages in order"
            );
            next += 1;
        }
    };
    within(
        "the quiet peer's ten messages while the other floods",
        async {
            tokio::select! {
                () = flood => panic!("the flood stopped"),
                () = served => {}
            }
        },
    )
    .await;
}

/// A sender without peers: a send waits `ZMQ_SNDTIMEO` and fails, `try_send` would block, and
/// a send waiting with no timeout goes as soon as a peer connects.
async fn blocks_without_peers<S: Sock + Tx, R: Sock + Rx>(
    transport: &str,
    with_timeout: impl Fn(SocketOptions) -> S,
) {
    let timeo = Duration::from_millis(100);
    let mut sender = with_timeout(SocketOptions::new().sndtimeo(Some(timeo)));
    let ep = sender
        .bind_to(&bind_endpoint(transport))
        .await
        .expect("bind");
    let start = Instant::now();
    match sender.tx(msg(&["nobody"])).await {
        Err(Error::Timeout(d)) => assert_eq!(d, timeo),
        other => panic!("a send without peers must time out: {other:?}"),
    }
    assert_waited(start, timeo, "ZMQ_SNDTIMEO");
    assert!(matches!(
        sender.try_tx(msg(&["nobody"])),
        Err(Error::WouldBlock)
    ));

    let mut waiting = S::make();
    let ep2 = waiting
        .bind_to(&bind_endpoint(transport))
        .await
        .expect("bind");
    let mut peer = R::make();
    let (sent, ()) = tokio::join!(
        within("the blocked send", waiting.tx(msg(&["late"]))),
        async {
            tokio::task::yield_now().await;
            peer.connect_to(&ep2).await.expect("connect");
        }
    );
    sent.expect("the blocked send goes once a peer is there");
    assert_eq!(
        within("recv", peer.rx()).await.expect("recv"),
        msg(&["late"])
    );
    drop(ep);
}

// ---------------------------------------------------------------------------------------------
// spec_pushpull

async fn push_round_robin_out(transport: &str) {
    round_robin_out::<Push, Pull>(transport).await;
}

async fn pull_fair_queue_in(transport: &str) {
    fair_queue_in::<Push, Pull>(transport).await;
}

async fn push_blocks_without_peers(transport: &str) {
    blocks_without_peers::<Push, Pull>(transport, |o| Push::with_options(o).expect("options"))
        .await;
}

/// A PULL that disconnects loses what it had queued, and the PUSH drops what was queued for that
/// connection: after a new connect, the first message is one sent after it.
async fn push_pull_queue_destroyed_on_disconnect(transport: &str) {
    let mut push = Push::new();
    let ep = push.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut pull = Pull::new();
    pull.connect(&ep).await.expect("connect");
    connected(&mut push, &mut pull, "connected").await;
    for i in 0..50u32 {
        push.send(Message::from(["old".to_string(), i.to_string()]))
            .await
            .expect("send");
    }
    let first = recv_data(&mut pull, "the first old message").await;
    assert_eq!(text(&first), ["old", "0"]);
    pull.disconnect(&ep).expect("disconnect");
    assert!(
        matches!(pull.try_recv(), Err(Error::WouldBlock)),
        "the disconnected pipe's messages are gone"
    );
    pull.connect(&ep).await.expect("connect again");
    let mut n = 0u32;
    let got = within("a message over the new connection", async {
        loop {
            push.send(Message::from(["fresh".to_string(), n.to_string()]))
                .await
                .expect("send");
            n += 1;
            if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(50), pull.recv()).await {
                return m;
            }
        }
    })
    .await;
    assert_eq!(
        text(&got)[0],
        "fresh",
        "nothing queued for the old connection reaches the new one: {:?}",
        text(&got)
    );
}

/// Multipart messages arrive whole at whichever peer gets them, also when one of two peers
/// disconnects while messages are on their way.
async fn push_multipart_messages_stay_whole(transport: &str) {
    let mut push = Push::new();
    let ep = push.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut a = Pull::new();
    a.connect(&ep).await.expect("connect");
    connected(&mut push, &mut a, "a connected").await;
    let mut b = Pull::new();
    b.connect(&ep).await.expect("connect");
    connected(&mut push, &mut b, "b connected").await;
    let part = |i: u32| Message::from([format!("{i}:1"), format!("{i}:2"), format!("{i}:3")]);
    let whole = |m: &Message| {
        let t = text(m);
        let i = t[0].split(':').next().unwrap_or_default().to_string();
        assert_eq!(
            t,
            [format!("{i}:1"), format!("{i}:2"), format!("{i}:3")],
            "a whole message"
        );
    };
    for i in 0..10 {
        push.send(part(i)).await.expect("send");
    }
    for _ in 0..5 {
        whole(&recv_data(&mut a, "a's share").await);
        whole(&recv_data(&mut b, "b's share").await);
    }
    for i in 10..110 {
        push.send(part(i)).await.expect("send");
    }
    b.disconnect(&ep).expect("disconnect b");
    // Whatever a gets from now on is whole; an end marker, sent until one arrives, closes it.
    within("the end marker at a", async {
        loop {
            push.send(msg(&["end"])).await.expect("send");
            while let Ok(Ok(m)) = tokio::time::timeout(Duration::from_millis(50), a.recv()).await {
                if m == msg(&["end"]) {
                    return;
                }
                if m != msg(&[common::PROBE]) {
                    whole(&m);
                }
            }
        }
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// spec_dealer

async fn dealer_round_robin_out(transport: &str) {
    round_robin_out::<Dealer, Dealer>(transport).await;
}

async fn dealer_fair_queue_in(transport: &str) {
    fair_queue_in::<Dealer, Dealer>(transport).await;
}

async fn dealer_blocks_without_peers(transport: &str) {
    blocks_without_peers::<Dealer, Dealer>(transport, |o| {
        Dealer::with_options(o).expect("options")
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// spec_router

async fn bound_router(transport: &str, options: SocketOptions) -> (Router, String) {
    let router = Router::with_options(options).expect("options");
    let ep = router.bind(&bind_endpoint(transport)).await.expect("bind");
    (router, ep)
}

async fn dealer_named(id: &'static str, ep: &str) -> Dealer {
    let dealer = Dealer::with_options(SocketOptions::new().identity(id)).expect("options");
    dealer.connect(ep).await.expect("connect");
    dealer
}

async fn router_fair_queue_in_and_routes_out_by_identity(transport: &str) {
    let (mut router, ep) = bound_router(transport, SocketOptions::new()).await;
    let a = dealer_named("A", &ep).await;
    let b = dealer_named("B", &ep).await;
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

    // No starvation: B's messages come through while A floods.
    let flood = tokio::spawn(async move {
        loop {
            if a.send("flood").await.is_err() {
                return;
            }
        }
    });
    for i in 0..10 {
        b.send(Message::from(["from B".to_string(), i.to_string()]))
            .await
            .expect("send");
    }
    within("B's ten messages while A floods", async {
        let mut next = 0;
        while next < 10 {
            let m = router.recv().await.expect("recv");
            if &m.frames()[0][..] == b"B" {
                assert_eq!(text(&m)[2], next.to_string(), "in order");
                next += 1;
            }
        }
    })
    .await;
    flood.abort();
    let _ = flood.await;

    router.send(msg(&["B", "to B", "2"])).await.expect("send");
    assert_eq!(
        within("B", b.recv()).await.expect("recv"),
        msg(&["to B", "2"])
    );
}

async fn router_gives_anonymous_peers_generated_ids(transport: &str) {
    let (router, ep) = bound_router(transport, SocketOptions::new()).await;
    let d = Dealer::new();
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

async fn router_destroys_the_queue_on_disconnect(transport: &str) {
    let (router, ep) = bound_router(transport, SocketOptions::new().router_mandatory(true)).await;
    let d = dealer_named("B", &ep).await;
    d.send("ABC").await.expect("send");
    assert_eq!(
        within("recv", router.recv()).await.expect("recv"),
        msg(&["B", "ABC"])
    );
    for i in 0..20u32 {
        router
            .send(Message::from(["B".to_string(), format!("old {i}")]))
            .await
            .expect("queued for B");
    }
    drop(d);
    eventually("the peer's id is unroutable", || {
        matches!(
            router.try_send(msg(&["B", "late"])),
            Err(Error::HostUnreachable(_))
        )
    })
    .await;
    // A new peer with the same id gets none of what was queued for the old one.
    let again = dealer_named("B", &ep).await;
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

// ---------------------------------------------------------------------------------------------
// spec_req

/// `n` ROUTERs bound on `transport`, a REQ (with `ZMQ_PROBE_ROUTER`) connected to each, and
/// each ROUTER's routing id for the REQ (the probes also show every connection is up).
async fn req_with_routers(
    transport: &str,
    n: usize,
    req_options: SocketOptions,
) -> (Req, Vec<Router>, Vec<Bytes>) {
    let req = Req::with_options(req_options.probe_router(true)).expect("options");
    let mut routers = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..n {
        let (r, ep) = bound_router(transport, SocketOptions::new()).await;
        req.connect(&ep).await.expect("connect");
        routers.push(r);
    }
    for (i, r) in routers.iter_mut().enumerate() {
        let probe = within(&format!("probe at router {i}"), r.recv())
            .await
            .expect("recv");
        assert_eq!(probe.len(), 2, "[id, empty]: {probe:?}");
        assert!(probe.frames()[1].is_empty());
        ids.push(probe.frames()[0].clone());
    }
    (req, routers, ids)
}

/// Which of `routers` receives next, and what.
async fn recv_any(routers: &mut [Router], what: &str) -> (usize, Message) {
    let (m, i, _) = within(
        what,
        futures::future::select_all(routers.iter_mut().map(|r| Box::pin(r.recv()))),
    )
    .await;
    (i, m.expect("recv"))
}

async fn req_round_robin_out(transport: &str) {
    let (req, mut routers, ids) = req_with_routers(transport, 3, SocketOptions::new()).await;
    let mut order = Vec::new();
    for round in 0..9u32 {
        req.send(round.to_string()).await.expect("send");
        let (i, m) = recv_any(&mut routers, "a request").await;
        assert_eq!(
            m,
            Message::from(vec![
                ids[i].clone(),
                Bytes::new(),
                Bytes::from(round.to_string())
            ])
        );
        order.push(i);
        routers[i]
            .send(Message::from(vec![
                ids[i].clone(),
                Bytes::new(),
                Bytes::from("ok"),
            ]))
            .await
            .expect("reply");
        assert_eq!(
            within("reply", req.recv()).await.expect("recv"),
            msg(&["ok"])
        );
    }
    let mut first: Vec<usize> = order[..3].to_vec();
    first.sort_unstable();
    assert_eq!(first, vec![0, 1, 2], "each peer in turn: {order:?}");
    for k in 3..9 {
        assert_eq!(order[k], order[k - 3], "the same rotation: {order:?}");
    }
}

async fn req_message_format_has_the_delimiter(transport: &str) {
    let (req, mut routers, ids) = req_with_routers(transport, 1, SocketOptions::new()).await;
    let router = &mut routers[0];
    req.send(msg(&["ABC", "DEF"])).await.expect("send");
    let m = within("the request", router.recv()).await.expect("recv");
    assert_eq!(
        m,
        Message::from(vec![
            ids[0].clone(),
            Bytes::new(),
            Bytes::from("ABC"),
            Bytes::from("DEF")
        ]),
        "[routing id, empty delimiter, body...]"
    );
    // A reply without the delimiter is not a reply: it is dropped.
    router
        .send(Message::from(vec![ids[0].clone(), Bytes::from("bad")]))
        .await
        .expect("send");
    router
        .send(Message::from(vec![
            ids[0].clone(),
            Bytes::new(),
            Bytes::from("GHI"),
            Bytes::from("JKL"),
        ]))
        .await
        .expect("send");
    assert_eq!(
        within("the reply", req.recv()).await.expect("recv"),
        msg(&["GHI", "JKL"]),
        "the delimiter is taken off"
    );
}

async fn req_blocks_without_peers(transport: &str) {
    let timeo = Duration::from_millis(100);
    let req = Req::with_options(SocketOptions::new().sndtimeo(Some(timeo))).expect("options");
    let ep = req.bind(&bind_endpoint(transport)).await.expect("bind");
    let start = Instant::now();
    assert!(matches!(req.send("nobody").await, Err(Error::Timeout(_))));
    assert_waited(start, timeo, "ZMQ_SNDTIMEO");
    assert!(matches!(req.try_send("nobody"), Err(Error::WouldBlock)));
    assert!(
        matches!(req.try_recv(), Err(Error::InvalidState(_))),
        "nothing was sent, so there is no reply to wait for"
    );
    // Once a peer is there the request goes and the reply comes back.
    let rep = Rep::new();
    rep.connect(&ep).await.expect("connect");
    let req = req;
    req.set_option(zmtp_socket::OptionName::SndTimeo, -1)
        .expect("no send timeout");
    within("the request", req.send("hello"))
        .await
        .expect("send");
    assert_eq!(
        within("request", rep.recv()).await.expect("recv"),
        msg(&["hello"])
    );
    rep.send("world").await.expect("reply");
    assert_eq!(
        within("reply", req.recv()).await.expect("recv"),
        msg(&["world"])
    );
}

/// Every peer answers each request, the one asked last: the REQ returns only a message from the
/// peer it asked. (A late answer from an earlier round may still be waiting in that peer's pipe
/// when it is asked again, and is then a message from the current peer, which a REQ without
/// `ZMQ_REQ_CORRELATE` cannot tell from the reply; so what is checked is the sender.)
async fn req_only_listens_to_the_current_peer(transport: &str) {
    let (req, mut routers, ids) = req_with_routers(transport, 3, SocketOptions::new()).await;
    let mut asked = [0usize; 3];
    for round in 0..6 {
        req.send("Q").await.expect("send");
        let (i, m) = recv_any(&mut routers, &format!("request {round}")).await;
        assert_eq!(
            m,
            Message::from(vec![ids[i].clone(), Bytes::new(), Bytes::from("Q")])
        );
        asked[i] += 1;
        let others = (0..routers.len()).filter(|&j| j != i);
        for j in others.chain([i]) {
            routers[j]
                .send(Message::from(vec![
                    ids[j].clone(),
                    Bytes::new(),
                    Bytes::from(format!("from {j}")),
                ]))
                .await
                .expect("send");
        }
        let reply = within("reply", req.recv()).await.expect("recv");
        assert_eq!(
            text(&reply),
            [format!("from {i}")],
            "round {round}: only the peer asked is listened to"
        );
    }
    assert_eq!(asked, [2, 2, 2], "round robin");
}

async fn req_rep_round_trips_and_alternation(transport: &str) {
    let rep = Rep::new();
    let ep = rep.bind(&bind_endpoint(transport)).await.expect("bind");
    let req = Req::new();
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

// ---------------------------------------------------------------------------------------------
// spec_rep

async fn rep_fair_queues_between_clients(transport: &str) {
    let mut rep = Rep::new();
    let ep = rep.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut clients = Vec::new();
    for _ in 0..3 {
        let req = Req::new();
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
            Message::from([format!("client {i}"), "done".to_string()]),
            "each client gets the answer to its own request"
        );
    }

    // No starvation: a REQ's requests are served while a DEALER floods the REP.
    let flooder = Dealer::new();
    flooder.connect(&ep).await.expect("connect");
    let flood = tokio::spawn(async move {
        loop {
            if flooder.send(msg(&["", "flood"])).await.is_err() {
                return;
            }
        }
    });
    let req = &mut clients[0];
    within("five round trips while a DEALER floods", async {
        for i in 0..5u32 {
            req.send(i.to_string()).await.expect("send");
            loop {
                let got = rep.recv().await.expect("recv");
                let done = got == Message::from([i.to_string()]);
                rep.send(got).await.expect("reply");
                if done {
                    break;
                }
            }
            assert_eq!(
                req.recv().await.expect("recv"),
                Message::from([i.to_string()])
            );
        }
    })
    .await;
    flood.abort();
    let _ = flood.await;
}

async fn rep_keeps_the_envelope_and_drops_malformed_requests(transport: &str) {
    let rep = Rep::new();
    let ep = rep.bind(&bind_endpoint(transport)).await.expect("bind");
    let d = Dealer::new();
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

// ---------------------------------------------------------------------------------------------
// PAIR

async fn pair_exchanges_both_ways(transport: &str) {
    for connect_first in [false, true] {
        let a = Pair::new();
        let b = Pair::new();
        if connect_first {
            // A concrete endpoint that b binds after a connects (ipc://* and port * have no name
            // to connect to before the bind).
            let ep = common::unbound_endpoint(transport);
            a.connect(&ep).await.expect("connect");
            b.bind(&ep).await.expect("bind");
        } else {
            let ep = b.bind(&bind_endpoint(transport)).await.expect("bind");
            a.connect(&ep).await.expect("connect");
        }
        for i in 0..10u32 {
            a.send(Message::from([
                "a".to_string(),
                i.to_string(),
                String::new(),
            ]))
            .await
            .expect("send");
            b.send(Message::from(["b".to_string(), i.to_string()]))
                .await
                .expect("send");
        }
        for i in 0..10u32 {
            assert_eq!(
                within("at b", b.recv()).await.expect("recv"),
                Message::from(["a".to_string(), i.to_string(), String::new()])
            );
            assert_eq!(
                within("at a", a.recv()).await.expect("recv"),
                Message::from(["b".to_string(), i.to_string()])
            );
        }
    }
}
