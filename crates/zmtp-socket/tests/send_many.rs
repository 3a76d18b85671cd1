//! `Socket::send_many`: the sending side of `recv_many`. It waits for the first message as
//! `send` does, then sends what else can go now, in order; what is sent leaves the front of the
//! buffer and what cannot go stays; it is cancel-safe (a dropped call sent nothing and left the
//! buffer as it was), and an error for the first message leaves it in the buffer.

use std::time::Duration;

use futures::FutureExt;
use zmtp_socket::{Error, Message, Pull, Push, Rep, Req, Socket, SocketOptions};

const LIMIT: Duration = Duration::from_secs(60);

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} within {LIMIT:?}"))
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn bind_any<K: zmtp_socket::Kind>(socket: &Socket<K>, transport: &str) -> String {
    let endpoint = match transport {
        "tcp" => "tcp://127.0.0.1:*".to_owned(),
        other => format!("inproc://send-many-{other}-{}", unique()),
    };
    socket.bind(&endpoint).await.expect("bind")
}

fn numbered(range: std::ops::Range<u32>) -> Vec<Message> {
    range
        .map(|i| Message::from(i.to_be_bytes().to_vec()))
        .collect()
}

fn number(msg: &Message) -> u32 {
    let body: [u8; 4] = msg.frames()[0][..].try_into().expect("a 4-byte body");
    u32::from_be_bytes(body)
}

/// Sends all of `buf` with `send_many`, receiving on `pull` meanwhile; what `pull` got.
async fn send_all_and_receive(push: &Push, pull: &Pull, mut buf: Vec<Message>) -> Vec<u32> {
    let total = buf.len();
    let receiver = {
        let pull = pull.clone();
        tokio::spawn(async move {
            let mut got = Vec::with_capacity(total);
            while got.len() < total {
                got.push(number(&pull.recv().await.expect("recv")));
            }
            got
        })
    };
    while !buf.is_empty() {
        let before = buf.len();
        let sent = within("a run", push.send_many(&mut buf))
            .await
            .expect("send_many");
        assert!(sent >= 1, "at least one a call");
        assert_eq!(buf.len(), before - sent, "what was sent left the buffer");
    }
    within("the receiver", receiver).await.expect("receiver")
}

/// 10,000 messages over tcp, and over inproc (whose sends go straight to the peer's queue),
/// arrive once each and in order.
#[tokio::test]
async fn every_message_arrives_once_in_order() {
    for transport in ["tcp", "inproc"] {
        let pull = Pull::new();
        let endpoint = bind_any(&pull, transport).await;
        let push = Push::new();
        push.connect(&endpoint).await.expect("connect");
        let got = send_all_and_receive(&push, &pull, numbered(0..10_000)).await;
        assert_eq!(got, (0..10_000).collect::<Vec<u32>>(), "over {transport}");
    }
}

/// With nobody reading, what the high-water marks hold goes in one call, and only that; the
/// rest stays at the front of the buffer, in order, and goes once the receiver reads.
#[tokio::test]
async fn what_cannot_go_now_stays_in_order() {
    let pull = Pull::with_options(SocketOptions::new().rcvhwm(5)).expect("PULL");
    let endpoint = bind_any(&pull, "inproc").await;
    let push = Push::with_options(SocketOptions::new().sndhwm(5)).expect("PUSH");
    push.connect(&endpoint).await.expect("connect");
    let mut buf = numbered(0..100);
    let sent = within("the first run", push.send_many(&mut buf))
        .await
        .expect("send_many");
    // A PUSH fills the room its high-water marks give (at least the peer's 5) in one call.
    assert!((5..100).contains(&sent), "what fits, not all: {sent}");
    assert_eq!(buf.len(), 100 - sent);
    let left: Vec<u32> = buf.iter().map(number).collect();
    assert_eq!(
        left,
        (sent as u32..100).collect::<Vec<u32>>(),
        "the rest, in order"
    );
    let mut got = Vec::new();
    while got.len() < sent {
        got.push(number(&pull.recv().await.expect("recv")));
    }
    let rest = send_all_and_receive(&push, &pull, buf).await;
    got.extend(rest);
    assert_eq!(got, (0..100).collect::<Vec<u32>>());
}

/// A call dropped while it waits (no peer yet) sent nothing and left the buffer as it was: once
/// a peer comes, each message arrives once (none lost, none twice).
#[tokio::test]
async fn a_dropped_call_sent_nothing_and_left_the_buffer() {
    let push = Push::new();
    let endpoint = bind_any(&push, "tcp").await;
    let mut buf = numbered(0..3);
    assert!(
        push.send_many(&mut buf).now_or_never().is_none(),
        "no peer: it waits"
    );
    assert_eq!(buf.iter().map(number).collect::<Vec<u32>>(), [0, 1, 2]);
    let pull = Pull::new();
    pull.connect(&endpoint).await.expect("connect");
    buf.extend(numbered(3..4));
    while !buf.is_empty() {
        within("a run", push.send_many(&mut buf))
            .await
            .expect("send_many");
    }
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(number(&within("recv", pull.recv()).await.expect("recv")));
    }
    assert_eq!(got, [0, 1, 2, 3], "each once, in order");
}

/// An error for the first message (here `ZMQ_SNDTIMEO` 0 with no peer, and a message of no
/// frames) is returned and the message stays; an empty buffer sends nothing.
#[tokio::test]
async fn an_error_leaves_the_first_message_in_the_buffer() {
    let push =
        Push::with_options(SocketOptions::new().sndtimeo(Some(Duration::ZERO))).expect("PUSH");
    bind_any(&push, "tcp").await;
    let mut empty = Vec::new();
    assert_eq!(push.send_many(&mut empty).await.expect("empty"), 0);
    let mut buf = numbered(0..2);
    let err = push.send_many(&mut buf).await;
    assert!(matches!(err, Err(Error::WouldBlock)), "{err:?}");
    assert_eq!(buf.iter().map(number).collect::<Vec<u32>>(), [0, 1]);
    let mut no_frames = vec![Message::new()];
    let err = push.send_many(&mut no_frames).await;
    assert!(matches!(err, Err(Error::EmptyMessage)), "{err:?}");
    assert_eq!(no_frames.len(), 1, "still there");
}

/// A REQ sends one request a round trip: `send_many` sends the first and leaves the second,
/// which goes after the reply.
#[tokio::test]
async fn a_req_sends_one_request_and_keeps_the_next() {
    let rep = Rep::new();
    let endpoint = bind_any(&rep, "tcp").await;
    let req = Req::new();
    req.connect(&endpoint).await.expect("connect");
    let mut buf = numbered(0..2);
    let sent = within("the first", req.send_many(&mut buf))
        .await
        .expect("send_many");
    assert_eq!(sent, 1);
    assert_eq!(buf.iter().map(number).collect::<Vec<u32>>(), [1]);
    let request = within("request", rep.recv()).await.expect("recv");
    assert_eq!(number(&request), 0);
    rep.send(request).await.expect("reply");
    within("reply", req.recv()).await.expect("reply");
    assert_eq!(
        within("the second", req.send_many(&mut buf))
            .await
            .expect("send_many"),
        1
    );
    assert!(buf.is_empty());
    assert_eq!(
        number(&within("request", rep.recv()).await.expect("recv")),
        1
    );
}

/// A type that is not load-balanced (a ROUTER, routing by the first frame) sends one by one but
/// still everything that can go in one call: 10 replies to a DEALER go at once, in order.
#[tokio::test]
async fn a_router_sends_everything_that_can_go_in_one_call() {
    let router = zmtp_socket::Router::new();
    let endpoint = bind_any(&router, "tcp").await;
    let dealer = zmtp_socket::Dealer::new();
    dealer.connect(&endpoint).await.expect("connect");
    dealer.send("hello").await.expect("hello");
    let hello = within("hello", router.recv()).await.expect("recv");
    let peer = hello.frames()[0].clone();
    let mut buf: Vec<Message> = (0..10u32)
        .map(|i| {
            let mut m = Message::from(peer.clone());
            m.push_back(i.to_be_bytes().to_vec());
            m
        })
        .collect();
    let sent = within("replies", router.send_many(&mut buf))
        .await
        .expect("send_many");
    assert_eq!(sent, 10, "all in one call");
    assert!(buf.is_empty());
    for i in 0..10 {
        let reply = within("reply", dealer.recv()).await.expect("recv");
        assert_eq!(number(&reply), i);
    }
}

/// Over inproc, what `send_many` sent is in the peer's queue when it returns (as with `send`:
/// the direct path, not a queue the link's task carries later), on a current-thread runtime
/// where no other task runs in between.
#[tokio::test(flavor = "current_thread")]
async fn over_inproc_what_was_sent_is_there_when_it_returns() {
    let ctx = zmtp_socket::Context::on_caller_runtime();
    let endpoint = format!("inproc://send-many-direct-{}", unique());
    let pull = Pull::new_in(&ctx).expect("PULL");
    pull.bind(&endpoint).await.expect("bind");
    let push = Push::new_in(&ctx).expect("PUSH");
    push.connect(&endpoint).await.expect("connect");
    // The link's task connects the pipes when it first runs: the first message waits for it.
    push.send(Message::from(vec![9])).await.expect("send");
    within("the first", pull.recv()).await.expect("recv");
    let mut buf = numbered(0..4);
    let sent = push.send_many(&mut buf).now_or_never();
    assert_eq!(sent.map(|r| r.expect("send_many")), Some(4), "all at once");
    for i in 0..4 {
        assert_eq!(number(&pull.try_recv().expect("there at once")), i);
    }
}
