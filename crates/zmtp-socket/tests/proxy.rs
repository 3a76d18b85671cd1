//! `proxy`, `proxy_steerable` and `proxy_with_handle` (libzmq's `zmq_proxy` and
//! `zmq_proxy_steerable`), after libzmq's test_proxy, test_proxy_single_socket,
//! test_proxy_terminate and test_proxy_steerable: a ROUTER/DEALER shared queue between REQ and
//! DEALER clients and REP and DEALER workers, with a capture socket; an XSUB/XPUB forwarder; a
//! PULL/PUSH streamer; one ROUTER as both sides; PAUSE, RESUME, STATISTICS and TERMINATE on a
//! REP, PAIR and SUB control socket and through the Rust handle. Over tcp and inproc.
//!
//! Every wait is bounded ([`common::LIMIT`]) and fails naming what it waited for; nothing
//! sleeps to let something happen, and no test puts an upper bound on how long anything takes.

mod common;

use std::collections::BTreeSet;
use std::convert::Infallible;

use bytes::Bytes;
use common::{text, within};
use zmtp_socket::proxy::SideStatistics;
use zmtp_socket::{
    proxy, proxy_steerable, proxy_with_handle, Context, Dealer, Error, Message, OptionName, Pair,
    Pub, Pull, Push, Rep, Req, Result, Router, Sub, XPub, XSub,
};

/// One `#[tokio::test]` per transport (tcp and inproc) for each listed `async fn(&str)`.
macro_rules! on_tcp_and_inproc {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn tcp() {
                super::$name("tcp").await
            }
            #[tokio::test]
            async fn inproc() {
                super::$name("inproc").await
            }
        }
    )*};
}

on_tcp_and_inproc!(
    shared_queue_with_capture,
    forwarder_subscriptions_up_messages_down,
    streamer_with_capture,
    single_socket_echoes,
    steerable_rep_pause_resume_statistics_terminate,
    steerable_pair_statistics_and_terminate,
    steerable_sub_terminate,
    handle_pause_resume_statistics_terminate,
    context_term_ends_the_proxy,
);

/// A binary frame: every byte value, rotated by `n`.
fn payload(n: usize) -> Bytes {
    (0..=255u8)
        .map(|b| b.wrapping_add(n as u8))
        .collect::<Vec<u8>>()
        .into()
}

/// The body of request `i` of client `c`: two frames, text then binary.
fn request_body(c: usize, i: usize) -> Vec<Bytes> {
    vec![
        Bytes::from(format!("client{c}-req{i}")),
        payload(c * 31 + i),
    ]
}

/// Binds `socket` to a fresh endpoint of `transport` and returns it.
macro_rules! bind {
    ($socket:expr, $transport:expr) => {
        $socket
            .bind(&common::bind_endpoint($transport))
            .await
            .expect("bind")
    };
}

/// ROUTER frontend, DEALER backend (test_proxy): two REQ and two DEALER clients, two REP and
/// one DEALER worker; every reply comes back byte-exact to the client that asked, tagged by the
/// worker that answered; the capture socket sees every request and every reply once. Then the
/// context is terminated and the proxy returns the error.
async fn shared_queue_with_capture(transport: &str) {
    const PER_CLIENT: usize = 25;
    let ctx = Context::new().expect("context");
    let frontend = Router::new_in(&ctx).expect("router");
    let for_clients = bind!(frontend, transport);
    let backend = Dealer::new_in(&ctx).expect("dealer");
    let for_workers = bind!(backend, transport);
    let capture = Push::new_in(&ctx).expect("push");
    let for_capture = bind!(capture, transport);
    let captured = Pull::new_in(&ctx).expect("pull");
    captured.connect(&for_capture).await.expect("connect");
    let proxy_task = tokio::spawn(proxy(frontend, backend, Some(capture)));

    // Workers: REP ones answer [name, body...]; the DEALER one keeps the envelope.
    let mut workers = Vec::new();
    for w in 0..2 {
        let rep = Rep::new_in(&ctx).expect("rep");
        rep.connect(&for_workers).await.expect("connect");
        workers.push(tokio::spawn(async move {
            while let Ok(body) = rep.recv().await {
                let mut reply = Message::single(format!("rep{w}"));
                reply.extend(body);
                rep.send(reply).await.expect("reply");
            }
        }));
    }
    let dealer_worker = Dealer::new_in(&ctx).expect("dealer");
    dealer_worker.connect(&for_workers).await.expect("connect");
    workers.push(tokio::spawn(async move {
        while let Ok(request) = dealer_worker.recv().await {
            let frames = request.into_vec();
            let delimiter = frames
                .iter()
                .position(|f| f.is_empty())
                .expect("an envelope delimiter");
            let mut reply: Message = frames[..=delimiter].iter().cloned().collect();
            reply.push_back("dealer");
            reply.extend(frames[delimiter + 1..].iter().cloned());
            dealer_worker.send(reply).await.expect("reply");
        }
    }));

    // Clients.
    let mut clients = Vec::new();
    for c in 0..2 {
        let req = Req::new_in(&ctx).expect("req");
        req.connect(&for_clients).await.expect("connect");
        clients.push(tokio::spawn(async move {
            for i in 0..PER_CLIENT {
                let body = request_body(c, i);
                req.send(Message::from(body.clone()))
                    .await
                    .expect("request");
                let reply = within("a reply", req.recv()).await.expect("reply");
                check_reply(&reply.into_vec(), &body);
            }
        }));
    }
    for c in 2..4 {
        let dealer = Dealer::new_in(&ctx).expect("dealer");
        dealer.connect(&for_clients).await.expect("connect");
        clients.push(tokio::spawn(async move {
            for i in 0..PER_CLIENT {
                let mut request = Message::single(Bytes::new());
                request.extend(request_body(c, i));
                dealer.send(request).await.expect("request");
            }
            let mut pending: BTreeSet<usize> = (0..PER_CLIENT).collect();
            while !pending.is_empty() {
                let reply = within("a reply", dealer.recv()).await.expect("reply");
                let frames = reply.into_vec();
                assert!(frames[0].is_empty(), "the delimiter comes back first");
                let name = String::from_utf8_lossy(&frames[2]).into_owned();
                let i: usize = name
                    .strip_prefix(&format!("client{c}-req"))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("client {c} got another's reply: {name}"));
                check_reply(&frames[1..], &request_body(c, i));
                assert!(pending.remove(&i), "one reply per request");
            }
        }));
    }
    for client in clients {
        within("a client's requests", client).await.expect("client");
    }

    // The capture socket: each request (as the ROUTER gave it) and each reply, once.
    let total = 4 * PER_CLIENT;
    let (mut requests, mut replies) = (BTreeSet::new(), BTreeSet::new());
    for _ in 0..2 * total {
        let m = within("a captured message", captured.recv())
            .await
            .expect("capture");
        let frames = m.into_vec();
        let delimiter = frames.iter().position(|f| f.is_empty()).expect("envelope");
        assert_eq!(delimiter, 1, "[client id, delimiter, body...]");
        let after = String::from_utf8_lossy(&frames[2]).into_owned();
        if after.starts_with("client") {
            assert!(requests.insert(after), "each request captured once");
        } else {
            let name = String::from_utf8_lossy(&frames[3]).into_owned();
            assert!(replies.insert(name), "each reply captured once");
        }
    }
    assert_eq!((requests.len(), replies.len()), (total, total));
    assert_eq!(requests, replies);
    assert!(matches!(captured.try_recv(), Err(Error::WouldBlock)));

    ctx.term().await;
    let ended = within("the proxy to end", proxy_task)
        .await
        .expect("proxy task");
    assert!(matches!(ended, Err(Error::ContextTerminated)), "{ended:?}");
    for worker in workers {
        within("a worker to end", worker).await.expect("worker");
    }
}

/// A reply is a worker's name then the request's body, byte-exact.
fn check_reply(reply: &[Bytes], body: &[Bytes]) {
    let worker = String::from_utf8_lossy(&reply[0]).into_owned();
    assert!(
        ["rep0", "rep1", "dealer"].contains(&worker.as_str()),
        "{worker}"
    );
    assert_eq!(&reply[1..], body);
}

/// XSUB frontend, XPUB backend (a forwarder, test_sub_forward through zmq_proxy): a SUB's
/// subscription and its cancel reach an XPUB upstream of the proxy; what the upstream publishes
/// reaches the SUB when it matches, byte-exact and in order.
async fn forwarder_subscriptions_up_messages_down(transport: &str) {
    let ctx = Context::new().expect("context");
    let frontend = XSub::new_in(&ctx).expect("xsub");
    let for_publishers = bind!(frontend, transport);
    let backend = XPub::new_in(&ctx).expect("xpub");
    let for_subscribers = bind!(backend, transport);
    let proxy_task = tokio::spawn(proxy(frontend, backend, None::<&mut Pub>));

    let upstream = XPub::new_in(&ctx).expect("xpub");
    upstream.connect(&for_publishers).await.expect("connect");
    let sub = Sub::new_in(&ctx).expect("sub");
    sub.connect(&for_subscribers).await.expect("connect");
    sub.subscribe("a.").expect("subscribe");

    // Up: the subscription, through the proxy.
    let subscription = within("the subscription upstream", upstream.recv())
        .await
        .expect("recv");
    assert_eq!(subscription, Message::single(&b"\x01a."[..]));

    // Down: the upstream filters for the proxy's subscriptions, the proxy's XPUB for the SUB's.
    for i in 0..100u32 {
        for topic in ["a.x", "b.x"] {
            let m = Message::from(vec![
                Bytes::from(topic),
                Bytes::copy_from_slice(&i.to_be_bytes()),
                payload(i as usize),
            ]);
            upstream.send(m).await.expect("publish");
        }
    }
    for i in 0..100u32 {
        let m = within("a forwarded message", sub.recv())
            .await
            .expect("recv");
        let expected = Message::from(vec![
            Bytes::from("a.x"),
            Bytes::copy_from_slice(&i.to_be_bytes()),
            payload(i as usize),
        ]);
        assert_eq!(m, expected, "message {i}");
    }

    // Up again: the cancel.
    sub.unsubscribe("a.").expect("unsubscribe");
    let cancel = within("the cancel upstream", upstream.recv())
        .await
        .expect("recv");
    assert_eq!(cancel, Message::single(&b"\x00a."[..]));
    assert!(matches!(sub.try_recv(), Err(Error::WouldBlock)));

    ctx.term().await;
    let ended = within("the proxy to end", proxy_task).await.expect("task");
    assert!(matches!(ended, Err(Error::ContextTerminated)), "{ended:?}");
}

/// PULL frontend, PUSH backend (a streamer, one way): every message reaches one of two
/// workers, whole and in order for each; a PAIR capture socket sees them all in order.
async fn streamer_with_capture(transport: &str) {
    const N: u32 = 300;
    let ctx = Context::new().expect("context");
    let frontend = Pull::new_in(&ctx).expect("pull");
    let for_producers = bind!(frontend, transport);
    let backend = Push::new_in(&ctx).expect("push");
    let for_workers = bind!(backend, transport);
    let capture = Pair::new_in(&ctx).expect("pair");
    let for_capture = bind!(capture, transport);
    let captured = Pair::new_in(&ctx).expect("pair");
    captured.connect(&for_capture).await.expect("connect");
    let proxy_task = tokio::spawn(proxy(frontend, backend, Some(capture)));

    let mut workers = [
        Pull::new_in(&ctx).expect("pull"),
        Pull::new_in(&ctx).expect("pull"),
    ];
    for w in &mut workers {
        w.connect(&for_workers).await.expect("connect");
    }
    let producer = Push::new_in(&ctx).expect("push");
    producer.connect(&for_producers).await.expect("connect");
    let message = |i: u32| {
        Message::from(vec![
            Bytes::copy_from_slice(&i.to_be_bytes()),
            Bytes::new(),
            payload(i as usize),
        ])
    };
    let sender = tokio::spawn(async move {
        for i in 0..N {
            producer.send(message(i)).await.expect("send");
        }
        producer
    });

    let mut seen = BTreeSet::new();
    let [w0, w1] = workers;
    let mut last = [None::<u32>, None];
    while seen.len() < N as usize {
        let (which, m) = within("a streamed message", async {
            tokio::select! {
                m = w0.recv() => (0, m),
                m = w1.recv() => (1, m),
            }
        })
        .await;
        let m = m.expect("recv");
        let i = u32::from_be_bytes(m.frames()[0][..].try_into().expect("4 bytes"));
        assert_eq!(m, message(i));
        assert!(last[which] < Some(i), "in order for each worker");
        last[which] = Some(i);
        assert!(seen.insert(i));
    }
    for i in 0..N {
        let m = within("a captured message", captured.recv())
            .await
            .expect("capture");
        assert_eq!(m, message(i), "captured in order");
    }
    within("the producer", sender).await.expect("sender");
    ctx.term().await;
    let ended = within("the proxy to end", proxy_task).await.expect("task");
    assert!(matches!(ended, Err(Error::ContextTerminated)), "{ended:?}");
}

/// One ROUTER as frontend and backend (test_proxy_single_socket): a request comes back to the
/// REQ that sent it as the reply.
async fn single_socket_echoes(transport: &str) {
    let ctx = Context::new().expect("context");
    let router = Router::new_in(&ctx).expect("router");
    let endpoint = bind!(router, transport);
    let req = Req::new_in(&ctx).expect("req");
    req.connect(&endpoint).await.expect("connect");
    let router = &router;
    let echoes = async {
        for i in 0..20 {
            let body = request_body(9, i);
            req.send(Message::from(body.clone())).await.expect("send");
            let reply = req.recv().await.expect("recv");
            assert_eq!(reply.into_vec(), body);
        }
    };
    within("the echoes", async {
        tokio::select! {
            ended = proxy(router, router, None::<&Pub>) => panic!("the proxy ended: {ended:?}"),
            () = echoes => {}
        }
    })
    .await;
}

/// Runs a request on a REP control socket: sends `command`, returns the answer.
async fn ask(control: &mut Req, command: &'static str) -> Message {
    control.send(command).await.expect("command");
    within(command, control.recv()).await.expect("answer")
}

/// The counters in a STATISTICS answer.
fn counters(answer: &Message) -> [u64; 8] {
    assert_eq!(answer.len(), 8, "eight frames: {:?}", text(answer));
    let mut out = [0u64; 8];
    for (counter, frame) in out.iter_mut().zip(answer.iter()) {
        *counter = u64::from_ne_bytes(frame[..].try_into().expect("eight bytes"));
    }
    out
}

/// The counters after messages of `sizes` went from the frontend to the backend.
fn forwarded(sizes: &[usize]) -> [u64; 8] {
    let (n, bytes) = (sizes.len() as u64, sizes.iter().sum::<usize>() as u64);
    [n, bytes, 0, 0, 0, 0, n, bytes]
}

/// A PULL/PUSH proxy with a producer (PUSH, `ZMQ_SNDHWM` 1) and a worker (PULL), the proxy's
/// sockets returned for the caller to run.
struct Streamer {
    ctx: Context,
    frontend: Pull,
    backend: Push,
    producer: Push,
    worker: Pull,
}

async fn streamer(transport: &str) -> Streamer {
    let ctx = Context::new().expect("context");
    let frontend = Pull::new_in(&ctx).expect("pull");
    let for_producer = bind!(frontend, transport);
    let backend = Push::new_in(&ctx).expect("push");
    let for_worker = bind!(backend, transport);
    let producer = Push::new_in(&ctx).expect("push");
    producer.set_option(OptionName::SndHwm, 1).expect("hwm");
    producer.connect(&for_producer).await.expect("connect");
    let worker = Pull::new_in(&ctx).expect("pull");
    worker.connect(&for_worker).await.expect("connect");
    Streamer {
        ctx,
        frontend,
        backend,
        producer,
        worker,
    }
}

fn numbered(i: usize) -> Message {
    Message::from(vec![Bytes::from(format!("m{i}")), payload(i)])
}

/// Sends, while the proxy is paused, three messages from a producer whose `ZMQ_SNDHWM` is 1:
/// the third send completing means the second left the producer's queue, and so (over inproc,
/// whose link carries one batch at a time) that the first is in the proxy's frontend queue,
/// where a running proxy would take it.
async fn send_three_while_paused(producer: &mut Push) {
    for i in 1..=3 {
        within("a send while paused", producer.send(numbered(i)))
            .await
            .expect("send");
    }
}

/// PAUSE, RESUME, STATISTICS and TERMINATE on a REP control socket (test_proxy_steerable):
/// each command is answered (an empty frame, or the eight counters); while paused no message
/// moves (the counters, asked twice after the messages were queued, stay as they were, and the
/// worker has nothing); after RESUME they arrive in order and are counted exactly; TERMINATE
/// ends the proxy with `Ok`.
async fn steerable_rep_pause_resume_statistics_terminate(transport: &str) {
    let Streamer {
        ctx,
        frontend,
        backend,
        mut producer,
        worker,
    } = streamer(transport).await;
    let control = Rep::new_in(&ctx).expect("rep");
    let for_control = bind!(control, transport);
    let mut commander = Req::new_in(&ctx).expect("req");
    commander.connect(&for_control).await.expect("connect");
    let proxy_task = tokio::spawn(proxy_steerable(
        frontend,
        backend,
        None::<&mut Pub>,
        control,
    ));

    let empty = Message::single(Bytes::new());
    assert_eq!(counters(&ask(&mut commander, "STATISTICS").await), [0; 8]);
    producer.send(numbered(0)).await.expect("send");
    let m = within("m0", worker.recv()).await.expect("recv");
    assert_eq!(m, numbered(0));
    let sizes: Vec<usize> = (0..4).map(|i| numbered(i).byte_len()).collect();
    assert_eq!(
        counters(&ask(&mut commander, "STATISTICS").await),
        forwarded(&sizes[..1])
    );

    assert_eq!(ask(&mut commander, "PAUSE").await, empty);
    send_three_while_paused(&mut producer).await;
    for _ in 0..2 {
        assert_eq!(
            counters(&ask(&mut commander, "STATISTICS").await),
            forwarded(&sizes[..1]),
            "nothing moves while paused"
        );
    }
    assert!(matches!(worker.try_recv(), Err(Error::WouldBlock)));

    assert_eq!(ask(&mut commander, "RESUME").await, empty);
    for i in 1..=3 {
        let m = within("a message after RESUME", worker.recv())
            .await
            .expect("recv");
        assert_eq!(m, numbered(i));
    }
    assert_eq!(
        counters(&ask(&mut commander, "STATISTICS").await),
        forwarded(&sizes)
    );
    // Anything else is answered with an empty frame and changes nothing.
    assert_eq!(ask(&mut commander, "HELLO").await, empty);

    assert_eq!(ask(&mut commander, "TERMINATE").await, empty);
    let ended = within("the proxy to end", proxy_task).await.expect("task");
    assert!(ended.is_ok(), "{ended:?}");
    ctx.term().await;
}

/// A PAIR control socket (libzmq's other choice): PAUSE and RESUME are not answered,
/// STATISTICS is (libzmq's encoding, read back with `ProxyStatistics::from_message` too), and
/// TERMINATE ends the proxy. A ROUTER/DEALER proxy, both ways, so the counters of both sides
/// move.
async fn steerable_pair_statistics_and_terminate(transport: &str) {
    let ctx = Context::new().expect("context");
    let frontend = Router::new_in(&ctx).expect("router");
    let for_clients = bind!(frontend, transport);
    let backend = Dealer::new_in(&ctx).expect("dealer");
    let for_workers = bind!(backend, transport);
    let control = Pair::new_in(&ctx).expect("pair");
    let for_control = bind!(control, transport);
    let commander = Pair::new_in(&ctx).expect("pair");
    commander.connect(&for_control).await.expect("connect");
    let proxy_task = tokio::spawn(proxy_steerable(
        frontend,
        backend,
        None::<&mut Pub>,
        control,
    ));

    let worker = Rep::new_in(&ctx).expect("rep");
    worker.connect(&for_workers).await.expect("connect");
    let client = Req::new_in(&ctx).expect("req");
    client.connect(&for_clients).await.expect("connect");

    // PAUSE then RESUME, unanswered; then one request and its reply.
    commander.send("PAUSE").await.expect("pause");
    commander.send("RESUME").await.expect("resume");
    client.send("ping").await.expect("request");
    let request = within("the request", worker.recv()).await.expect("recv");
    assert_eq!(text(&request), ["ping"]);
    worker.send("pong!").await.expect("reply");
    let reply = within("the reply", client.recv()).await.expect("recv");
    assert_eq!(text(&reply), ["pong!"]);

    commander.send("STATISTICS").await.expect("statistics");
    let answer = within("statistics", commander.recv())
        .await
        .expect("answer");
    let stats = zmtp_socket::ProxyStatistics::from_message(&answer).expect("eight u64 frames");
    // Through the ROUTER: [client id, "", "ping"]; back through the DEALER: [client id, "",
    // "pong!"]. The client id is the ROUTER's 5-byte id.
    let request_bytes = 5 + 4;
    let reply_bytes = 5 + 5;
    let frontend = SideStatistics {
        messages_received: 1,
        bytes_received: request_bytes,
        messages_sent: 1,
        bytes_sent: reply_bytes,
    };
    let backend = SideStatistics {
        messages_received: 1,
        bytes_received: reply_bytes,
        messages_sent: 1,
        bytes_sent: request_bytes,
    };
    assert_eq!((stats.frontend, stats.backend), (frontend, backend));
    assert_eq!(counters(&answer), stats.to_array());
    assert_eq!(stats.to_message(), answer);
    assert!(matches!(commander.try_recv(), Err(Error::WouldBlock)));

    commander.send("TERMINATE").await.expect("terminate");
    let ended = within("the proxy to end", proxy_task).await.expect("task");
    assert!(ended.is_ok(), "{ended:?}");
    ctx.term().await;
}

/// A SUB control socket fed by a PUB (test_proxy_terminate): TERMINATE, published until the
/// subscription is in place, ends the proxy while messages flow through it.
async fn steerable_sub_terminate(transport: &str) {
    let Streamer {
        ctx,
        frontend,
        backend,
        producer,
        worker,
    } = streamer(transport).await;
    let control = Sub::new_in(&ctx).expect("sub");
    let for_control = bind!(control, transport);
    control.subscribe("").expect("subscribe");
    let commander = Pub::new_in(&ctx).expect("pub");
    commander.connect(&for_control).await.expect("connect");
    let mut proxy_task = tokio::spawn(proxy_steerable(
        frontend,
        backend,
        None::<&mut Pub>,
        control,
    ));

    for i in 0..10 {
        producer.send(numbered(i)).await.expect("send");
        let m = within("a message", worker.recv()).await.expect("recv");
        assert_eq!(m, numbered(i));
    }
    // The PUB drops what it sends before the subscription reaches it: send until it ends.
    let ended = within("the proxy to end", async {
        loop {
            commander.send("TERMINATE").await.expect("publish");
            tokio::select! {
                ended = &mut proxy_task => return ended.expect("task"),
                () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "{ended:?}");
    ctx.term().await;
}

/// The Rust handle: pause, resume, statistics and terminate, each returning once applied.
async fn handle_pause_resume_statistics_terminate(transport: &str) {
    let Streamer {
        ctx,
        frontend,
        backend,
        mut producer,
        worker,
    } = streamer(transport).await;
    let (control, run) = proxy_with_handle(frontend, backend, None::<&mut Pub>);
    let proxy_task = tokio::spawn(run);

    producer.send(numbered(0)).await.expect("send");
    assert_eq!(
        within("m0", worker.recv()).await.expect("recv"),
        numbered(0)
    );
    let sizes: Vec<usize> = (0..4).map(|i| numbered(i).byte_len()).collect();
    let stats = control.statistics().await.expect("statistics");
    assert_eq!(stats.to_array(), forwarded(&sizes[..1]));

    control.pause().await.expect("pause");
    send_three_while_paused(&mut producer).await;
    for _ in 0..2 {
        let stats = control.statistics().await.expect("statistics");
        assert_eq!(stats.to_array(), forwarded(&sizes[..1]), "paused");
    }
    assert!(matches!(worker.try_recv(), Err(Error::WouldBlock)));
    control.resume().await.expect("resume");
    for i in 1..=3 {
        let m = within("after resume", worker.recv()).await.expect("recv");
        assert_eq!(m, numbered(i));
    }
    let stats = control.statistics().await.expect("statistics");
    assert_eq!(stats.to_array(), forwarded(&sizes));

    control.terminate().await.expect("terminate");
    let ended = within("the proxy to end", proxy_task).await.expect("task");
    assert!(ended.is_ok(), "{ended:?}");
    assert!(matches!(control.statistics().await, Err(Error::Closed)));
    ctx.term().await;
}

/// Terminating the context ends a proxy blocked on its sockets with `Error::ContextTerminated`
/// (`zmq_proxy` returning `ETERM`), and a steerable one too.
async fn context_term_ends_the_proxy(transport: &str) {
    let Streamer {
        ctx,
        frontend,
        backend,
        ..
    } = streamer(transport).await;
    let plain: tokio::task::JoinHandle<Result<Infallible>> =
        tokio::spawn(proxy(frontend, backend, None::<&mut Pub>));
    let Streamer {
        ctx: ctx2,
        frontend,
        backend,
        ..
    } = streamer(transport).await;
    let control = Rep::new_in(&ctx2).expect("rep");
    bind!(control, transport);
    let steered = tokio::spawn(proxy_steerable(
        frontend,
        backend,
        None::<&mut Pub>,
        control,
    ));
    ctx.term().await;
    ctx2.term().await;
    let ended = within("the proxy to end", plain).await.expect("task");
    assert!(matches!(ended, Err(Error::ContextTerminated)), "{ended:?}");
    let ended = within("the steerable proxy to end", steered)
        .await
        .expect("task");
    assert!(matches!(ended, Err(Error::ContextTerminated)), "{ended:?}");
}
