//! Sockets shared by many tasks: handles are `Clone + Send + Sync` and take `&self`; concurrent
//! receivers each get whole messages, each once; concurrent senders never interleave frames;
//! REQ keeps its alternation; the socket closes when its last handle goes or at `close()`;
//! `Context::term` returns while a handle lives; the sink keeps its message in order, honours
//! `ZMQ_SNDTIMEO` and hands it to linger; every async method is cancel-safe as documented.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt, SinkExt, StreamExt};
use tokio::sync::Barrier;
use zmtp_socket::{
    Context, Dealer, Error, Message, Pair, Pull, Push, Req, Router, Socket, SocketOptions,
};

const LIMIT: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} within {LIMIT:?}"))
}

fn assert_shareable<T: Clone + Send + Sync + 'static>() {}

#[test]
fn every_socket_is_a_cheap_shareable_handle() {
    assert_shareable::<Push>();
    assert_shareable::<Pull>();
    assert_shareable::<Router>();
    assert_shareable::<Req>();
    assert_shareable::<zmtp_socket::Rep>();
    assert_shareable::<zmtp_socket::Pub>();
    assert_shareable::<zmtp_socket::Sub>();
    assert_shareable::<zmtp_socket::XPub>();
    assert_shareable::<zmtp_socket::XSub>();
    assert_shareable::<Pair>();
    assert_shareable::<Dealer>();
    assert_shareable::<zmtp_socket::StreamSocket>();
}

/// Code generic over socket types needs no macro.
async fn bind_any<K: zmtp_socket::Kind>(socket: &Socket<K>, transport: &str) -> String {
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_owned(),
        "ipc" => "ipc://*".to_owned(),
        other => format!("inproc://shared-{other}-{}", unique()),
    };
    socket.bind(&endpoint).await.expect("bind")
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A three-frame message naming its sender and sequence number in every frame, so that a
/// message made of frames of two sends is seen.
fn stamped(sender: u32, seq: u32) -> Message {
    let tag = format!("{sender}:{seq}");
    Message::from([tag.clone(), tag.clone(), tag])
}

fn stamp(msg: &Message) -> (u32, u32) {
    let frames = msg.frames();
    assert_eq!(frames.len(), 3, "a whole message");
    assert!(
        frames.iter().all(|f| f == &frames[0]),
        "frames of one send only: {msg:?}"
    );
    let text = std::str::from_utf8(&frames[0]).expect("utf-8");
    let (a, b) = text.split_once(':').expect("stamp");
    (a.parse().expect("sender"), b.parse().expect("seq"))
}

const SENDERS: u32 = 4;
const RECEIVERS: usize = 4;
const PER_SENDER: u32 = 2_500;

async fn many_senders_many_receivers(transport: &str) {
    let pull = Pull::with_options(SocketOptions::new().rcvhwm(50)).expect("pull");
    let endpoint = bind_any(&pull, transport).await;
    let push = Push::with_options(SocketOptions::new().sndhwm(50)).expect("push");
    push.connect(&endpoint).await.expect("connect");
    let total = (SENDERS * PER_SENDER) as usize;
    let received = Arc::new(parking_lot::Mutex::new(Vec::with_capacity(total)));
    let mut receivers = Vec::new();
    for r in 0..RECEIVERS {
        let pull = pull.clone();
        let received = received.clone();
        receivers.push(tokio::spawn(async move {
            // Half the receivers take batches (`recv_many`), half one message at a time.
            let mut batch = Vec::new();
            loop {
                if r % 2 == 0 {
                    batch.push(pull.recv().await.expect("recv"));
                } else {
                    pull.recv_many(&mut batch, 7).await.expect("recv_many");
                }
                let mut all = received.lock();
                all.extend(batch.drain(..).map(|m| stamp(&m)));
                if all.len() >= total {
                    return;
                }
            }
        }));
    }
    let mut senders = Vec::new();
    for sender in 0..SENDERS {
        let push = push.clone();
        senders.push(tokio::spawn(async move {
            for seq in 0..PER_SENDER {
                push.send(stamped(sender, seq)).await.expect("send");
            }
        }));
    }
    for s in senders {
        within("the senders", s).await.expect("sender");
    }
    // The receivers stop once everything is in: each of them, or the one that took the last.
    within("every message", async {
        loop {
            if received.lock().len() >= total {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    for r in receivers {
        r.abort();
    }
    let all = received.lock();
    assert_eq!(
        all.len(),
        total,
        "each message once: nothing lost, nothing twice"
    );
    let distinct: HashSet<(u32, u32)> = all.iter().copied().collect();
    assert_eq!(distinct.len(), total, "no message received twice");
    // One sender's messages keep their order on the way (one pipe, fair-queued in turn).
    for sender in 0..SENDERS {
        let seqs: Vec<u32> = all
            .iter()
            .filter(|(s, _)| *s == sender)
            .map(|(_, q)| *q)
            .collect();
        assert_eq!(seqs.len(), PER_SENDER as usize);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_and_receivers_over_tcp() {
    many_senders_many_receivers("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_and_receivers_over_ipc() {
    many_senders_many_receivers("ipc").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_and_receivers_over_inproc() {
    many_senders_many_receivers("inproc").await;
}

/// Two tasks send a request on one REQ at once: one request goes, the other is `EFSM`; the
/// exchange stays whole.
#[tokio::test]
async fn a_second_concurrent_request_is_efsm() {
    // No peer (nothing bound or connected): the first request waits for one, holding REQ's
    // turn.
    let req = Req::new();
    let first = {
        let req = req.clone();
        tokio::spawn(async move { req.send("first").await })
    };
    // Wait until the first send holds the turn (a second send is refused from then on).
    let second = within("the second request refused", async {
        loop {
            match req.try_send("second") {
                Err(Error::InvalidState(_)) => break,
                Err(Error::WouldBlock) => tokio::task::yield_now().await,
                other => panic!("second request: {other:?}"),
            }
        }
    });
    second.await;
    assert!(
        matches!(req.try_recv(), Err(Error::InvalidState(_))),
        "no reply is due yet"
    );
    first.abort();
    let _ = first.await;
    // The first send was dropped before it went: the turn is free again.
    assert!(matches!(req.try_send("again"), Err(Error::WouldBlock)));
}

/// A REQ shared by two tasks against a REP: the tasks take turns (each sends, then receives
/// the reply to its own request, holding a lock); every reply matches its request.
#[tokio::test]
async fn req_rep_alternation_holds_for_a_shared_socket() {
    let rep = zmtp_socket::Rep::new();
    let endpoint = rep.bind("tcp://127.0.0.1:*").await.expect("bind");
    let server = tokio::spawn(async move {
        while let Ok(request) = rep.recv().await {
            if rep.send(request).await.is_err() {
                break;
            }
        }
    });
    let req = Req::new();
    req.connect(&endpoint).await.expect("connect");
    let turn = Arc::new(tokio::sync::Mutex::new(()));
    let mut tasks = Vec::new();
    for t in 0..2u32 {
        let (req, turn) = (req.clone(), turn.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..200u32 {
                let _turn = turn.lock().await;
                let body = format!("{t}-{i}");
                req.send(body.as_str().to_owned()).await.expect("request");
                let reply = req.recv().await.expect("reply");
                assert_eq!(reply, Message::from(body));
            }
        }));
    }
    for t in tasks {
        within("both clients", t).await.expect("client");
    }
    server.abort();
}

/// `close()` on one handle closes the socket for every handle: a receive waiting on another
/// handle ends with `Closed`, a stream ends, a send fails.
#[tokio::test]
async fn close_on_one_handle_closes_every_handle() {
    let pull = Pull::new();
    pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let waiting = {
        let pull = pull.clone();
        tokio::spawn(async move { pull.recv().await })
    };
    let mut stream = pull.clone();
    tokio::task::yield_now().await;
    within("close", pull.close()).await;
    assert!(matches!(
        within("the waiting receive", waiting).await.expect("task"),
        Err(Error::Closed)
    ));
    assert!(within("the stream's end", stream.next()).await.is_none());
    let push = Push::new();
    within("close", push.close()).await;
    assert!(matches!(push.send("x").await, Err(Error::Closed)));
}

/// The socket closes when its last handle is dropped, not before: a clone keeps it open.
#[tokio::test]
async fn the_socket_lives_as_long_as_a_handle() {
    let ctx = Context::new().expect("context");
    let pull = Pull::new_in(&ctx).expect("pull");
    let endpoint = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let kept = pull.clone();
    drop(pull);
    let push = Push::new_in(&ctx).expect("push");
    push.connect(&endpoint).await.expect("connect");
    push.send("still open").await.expect("send");
    assert_eq!(
        within("a message", kept.recv()).await.expect("recv"),
        Message::from("still open")
    );
    drop(kept);
    drop(push);
    within("term", ctx.term()).await;
}

/// `Context::term` returns within linger while a bound socket's handle is still alive, and the
/// port stops accepting.
#[tokio::test]
async fn term_returns_while_a_bound_handle_lives() {
    let ctx = Context::new().expect("context");
    let options = SocketOptions::new().linger(Some(Duration::from_millis(0)));
    let pull = Pull::with_options_in(&ctx, options).expect("pull");
    let endpoint = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let address = endpoint.trim_start_matches("tcp://").to_owned();
    within("term with a live handle", ctx.term()).await;
    // The listener is gone: a connection is refused (or, racing the close, closed at once
    // without a byte).
    match tokio::net::TcpStream::connect(&address).await {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
        Ok(mut stream) => {
            use tokio::io::AsyncReadExt;
            let mut byte = [0u8; 1];
            let n = within("the close", stream.read(&mut byte))
                .await
                .unwrap_or(0);
            assert_eq!(n, 0, "nobody answers a terminated socket's port");
        }
    }
    assert!(matches!(pull.recv().await, Err(Error::ContextTerminated)));
}

/// A message the sink holds after a cancelled `SinkExt::send` goes before any later send.
#[tokio::test]
async fn a_held_sink_message_goes_before_later_sends() {
    let mut push = Push::with_options(SocketOptions::new().sndhwm(1)).expect("push");
    push.connect("inproc://held-sink").await.expect("connect");
    // No peer: one message is queued (SNDHWM 1); the sink's message then waits.
    push.send("queued").await.expect("queued");
    let cancelled = SinkExt::send(&mut push, Message::from("held")).now_or_never();
    assert!(cancelled.is_none(), "the sink waits for room");
    let pull = Pull::new();
    pull.bind("inproc://held-sink").await.expect("bind");
    push.send("later").await.expect("later");
    for expected in ["queued", "held", "later"] {
        assert_eq!(
            within("in order", pull.recv()).await.expect("recv"),
            Message::from(expected)
        );
    }
}

/// A message the sink holds when its handle is dropped is queued for linger, not lost.
#[tokio::test]
async fn a_held_sink_message_is_lingered_on_drop() {
    let ctx = Context::new().expect("context");
    let mut push = Push::with_options_in(&ctx, SocketOptions::new().sndhwm(1)).expect("push");
    push.connect("inproc://dropped-sink")
        .await
        .expect("connect");
    push.send("queued").await.expect("queued");
    assert!(SinkExt::send(&mut push, Message::from("held"))
        .now_or_never()
        .is_none());
    drop(push);
    let pull = Pull::new_in(&ctx).expect("pull");
    pull.bind("inproc://dropped-sink").await.expect("bind");
    for expected in ["queued", "held"] {
        assert_eq!(
            within("lingered", pull.recv()).await.expect("recv"),
            Message::from(expected)
        );
    }
}

/// The sink waits for room for at most `ZMQ_SNDTIMEO`.
#[tokio::test]
async fn the_sink_honours_sndtimeo() {
    let timeout = Duration::from_millis(50);
    let mut push = Push::with_options(SocketOptions::new().sndtimeo(Some(timeout))).expect("push");
    // No peer at all: nothing can take the message.
    let started = tokio::time::Instant::now();
    let sent = within("the timeout", SinkExt::send(&mut push, Message::from("x"))).await;
    assert!(
        matches!(sent, Err(Error::Timeout(t)) if t == timeout),
        "{sent:?}"
    );
    assert!(started.elapsed() >= timeout);
    // The sink is empty again: the next send is tried afresh.
    assert!(matches!(push.try_send("y"), Err(Error::WouldBlock)));
}

/// `recv`, `recv_many` (and a stream's `next`) dropped before it completes takes nothing; `send` dropped
/// before it completes sent nothing: over tcp, ipc and inproc, with many dropped futures, every
/// message arrives once, in order.
async fn dropped_futures_lose_and_repeat_nothing(transport: &str) {
    const COUNT: u32 = 20_000;
    let pull = Pull::with_options(SocketOptions::new().rcvhwm(10)).expect("pull");
    let endpoint = bind_any(&pull, transport).await;
    let push = Push::with_options(SocketOptions::new().sndhwm(10)).expect("push");
    // Before any peer, a send can only wait: dropped, it must leave nothing queued (message 0
    // is sent again below, and must arrive once).
    let first = push.send(Message::from(0u32.to_be_bytes().to_vec()));
    assert!(first.now_or_never().is_none(), "no peer: the send waits");
    push.connect(&endpoint).await.expect("connect");
    let sender = tokio::spawn(async move {
        let mut dropped = 1u32;
        let mut i = 0u32;
        while i < COUNT {
            // A send raced against an immediately ready branch: dropped when not done at once.
            let msg = Message::from(i.to_be_bytes().to_vec());
            let sent = tokio::select! {
                biased;
                sent = push.send(msg) => Some(sent),
                () = std::future::ready(()), if i.is_multiple_of(2) => None,
            };
            match sent {
                Some(Ok(())) => i += 1,
                Some(Err(e)) => panic!("send: {e}"),
                None => {
                    dropped += 1;
                    // Let the receiver (on this runtime, over inproc) make room.
                    tokio::task::yield_now().await;
                }
            }
        }
        dropped
    });
    // Before anything is sent (the sender has not run yet), a receive can only wait: dropped,
    // it must take nothing.
    assert!(pull.recv().now_or_never().is_none(), "nothing sent yet");
    let mut dropped = 1u32;
    let mut next = 0u32;
    let mut stream = pull.clone();
    while next < COUNT {
        let batch = match next % 3 {
            0 => {
                let got = tokio::select! {
                    biased;
                    got = stream.next() => got.expect("open"),
                    () = tokio::task::yield_now() => { dropped += 1; continue; }
                };
                vec![got.expect("recv")]
            }
            1 => {
                let mut buf = Vec::new();
                let got = tokio::select! {
                    biased;
                    got = pull.recv_many(&mut buf, 5) => Some(got),
                    () = tokio::task::yield_now() => None,
                };
                let Some(got) = got else {
                    assert!(buf.is_empty(), "a dropped recv_many took nothing");
                    dropped += 1;
                    continue;
                };
                let n = got.expect("recv_many");
                assert!((1..=5).contains(&n) && n == buf.len(), "{n} of {buf:?}");
                buf
            }
            _ => {
                let got = tokio::select! {
                    biased;
                    got = pull.recv() => got,
                    () = tokio::task::yield_now() => { dropped += 1; continue; }
                };
                vec![got.expect("recv")]
            }
        };
        for msg in batch {
            assert_eq!(
                msg.frames()[0][..],
                next.to_be_bytes(),
                "message {next}, once, in order"
            );
            next += 1;
        }
    }
    let sends_dropped = within("the sender", sender).await.expect("sender");
    assert!(
        dropped > 0 && sends_dropped > 0,
        "futures were dropped ({dropped}, {sends_dropped})"
    );
    assert!(pull.try_recv().is_err(), "nothing more");
}

#[tokio::test]
async fn cancel_safety_over_tcp() {
    dropped_futures_lose_and_repeat_nothing("tcp").await;
}

#[tokio::test]
async fn cancel_safety_over_ipc() {
    dropped_futures_lose_and_repeat_nothing("ipc").await;
}

#[tokio::test]
async fn cancel_safety_over_inproc() {
    dropped_futures_lose_and_repeat_nothing("inproc").await;
}

/// A ROUTER server answering each request from a task of its own through a clone of the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_replies_from_spawned_tasks() {
    let router = Router::new();
    let endpoint = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let server = {
        let router = router.clone();
        tokio::spawn(async move {
            while let Ok(request) = router.recv().await {
                let router = router.clone();
                tokio::spawn(async move {
                    let mut reply = request;
                    reply.push_back("done");
                    router.send(reply).await.expect("reply");
                });
            }
        })
    };
    let barrier = Arc::new(Barrier::new(8));
    let mut clients = Vec::new();
    for c in 0..8u32 {
        let (endpoint, barrier) = (endpoint.clone(), barrier.clone());
        clients.push(tokio::spawn(async move {
            let dealer = Dealer::new();
            dealer.connect(&endpoint).await.expect("connect");
            barrier.wait().await;
            for i in 0..100u32 {
                let body = format!("{c}/{i}");
                dealer.send(body.clone()).await.expect("request");
                let reply = dealer.recv().await.expect("reply");
                assert_eq!(reply, Message::from([body, "done".to_owned()]));
            }
        }));
    }
    for c in clients {
        within("every client", c).await.expect("client");
    }
    router.close().await;
    within("the server loop", server).await.expect("server");
}

/// `recv_many` takes what is there now, up to its limit, in the order `recv` would give it: over
/// inproc (where a send is in the receiver's queue when it returns) 10 queued messages come as
/// 4, 4 and 2; a limit of 0 returns 0 at once; once the socket is closed, the error `recv` gives.
#[tokio::test]
async fn recv_many_takes_what_is_there_up_to_its_limit() {
    let pull = Pull::new();
    let endpoint = bind_any(&pull, "inproc").await;
    let push = Push::new();
    push.connect(&endpoint).await.expect("connect");
    let mut buf = Vec::new();
    assert_eq!(pull.recv_many(&mut buf, 0).await.expect("limit 0"), 0);
    for i in 0..10u8 {
        push.send(vec![i]).await.expect("send");
    }
    let mut sizes = Vec::new();
    while buf.len() < 10 {
        sizes.push(
            within("a batch", pull.recv_many(&mut buf, 4))
                .await
                .expect("recv_many"),
        );
    }
    assert_eq!(sizes, [4, 4, 2], "what is there, up to the limit");
    let bodies: Vec<u8> = buf.iter().map(|m| m.frames()[0][0]).collect();
    assert_eq!(bodies, (0..10).collect::<Vec<u8>>(), "in order, appended");
    pull.close().await;
    let closed = pull.recv_many(&mut buf, 4).await;
    assert!(
        matches!(closed, Err(zmtp_socket::Error::Closed)),
        "{closed:?}"
    );
    assert_eq!(buf.len(), 10, "nothing appended after the close");
}

/// A REQ request a dropped handle's sink was fed (not flushed, so not prepared: no envelope yet)
/// is lingered as a whole request: the REP gets the body, as a request it can answer.
#[tokio::test]
async fn a_req_request_fed_to_a_dropped_sink_is_lingered_whole() {
    let ctx = Context::new().expect("context");
    let mut req = Req::new_in(&ctx).expect("req");
    // Before the bind, the connect's pipe waits with room: the request can be queued for it.
    req.connect("inproc://dropped-req-sink")
        .await
        .expect("connect");
    // poll_ready and start_send, no flush: the sink holds the request, not prepared.
    SinkExt::feed(&mut req, Message::from("held"))
        .await
        .expect("feed");
    drop(req);
    let rep = zmtp_socket::Rep::new_in(&ctx).expect("rep");
    rep.bind("inproc://dropped-req-sink").await.expect("bind");
    let request = within("lingered", rep.recv()).await.expect("recv");
    assert_eq!(request, Message::from("held"));
    rep.send("answer")
        .await
        .expect("a REP answers a whole request");
}

/// A REQ whose `try_send` found no peer (the request prepared, then given up) gives its turn
/// back: once it has a REP, the next request goes, and it is the only one the REP sees.
#[tokio::test]
async fn a_req_try_send_that_found_no_room_gives_its_turn_back() {
    let ctx = Context::new().expect("context");
    let req = Req::new_in(&ctx).expect("req");
    assert!(matches!(req.try_send("nobody"), Err(Error::WouldBlock)));
    let rep = zmtp_socket::Rep::new_in(&ctx).expect("rep");
    rep.bind("inproc://req-try-send-turn").await.expect("bind");
    req.connect("inproc://req-try-send-turn")
        .await
        .expect("connect");
    within("the next request", req.send("next"))
        .await
        .expect("the turn was given back");
    let request = within("request", rep.recv()).await.expect("recv");
    assert_eq!(request, Message::from("next"));
    rep.send("answer").await.expect("reply");
    assert_eq!(
        within("reply", req.recv()).await.expect("reply"),
        Message::from("answer")
    );
}
