//! `inproc://` between our sockets: PUSH/PULL, DEALER/DEALER, PAIR and a ROUTER learning a
//! DEALER's routing id; connect before bind; names taken and freed; incompatible types refused.
//! (How many messages the high-water marks of both sides let a sender queue is in
//! `options_spec.rs`, with libzmq's other test_hwm cases.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zmtp_socket::endpoint::EndpointErrorKind;
use zmtp_socket::{
    Context, Dealer, Error, Message, OptionName, Pair, Pull, Push, Router, SocketType,
};

const LIMIT: Duration = Duration::from_secs(30);
const COUNT: u32 = 10_000;

/// All sockets of the process share one inproc namespace: each test takes its own names.
fn fresh_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("inproc://test-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Message `i` of a run: its number, then a body whose size and bytes depend on it.
fn message(i: u32) -> Message {
    Message::from([
        i.to_be_bytes().to_vec(),
        vec![(i % 251) as u8; (i % 700) as usize],
    ])
}

/// `COUNT` messages from `$tx` to `$rx`, every one checked; gives the sender back.
macro_rules! flow {
    ($tx:expr, $rx:expr) => {{
        let tx = $tx;
        let sender = tokio::spawn(async move {
            for i in 0..COUNT {
                tx.send(message(i)).await.expect("send");
            }
            tx
        });
        for i in 0..COUNT {
            let msg = tokio::time::timeout(LIMIT, $rx.recv())
                .await
                .unwrap_or_else(|_| panic!("message {i} within {LIMIT:?}"))
                .expect("message");
            assert_eq!(msg, message(i), "message {i} byte-exact and in order");
        }
        tokio::time::timeout(LIMIT, sender)
            .await
            .expect("sender done")
            .expect("sender")
    }};
}

#[tokio::test]
async fn push_pull_either_side_binding() {
    for push_binds in [true, false] {
        let ep = fresh_name();
        let push = Push::new();
        let pull = Pull::new();
        if push_binds {
            assert_eq!(push.bind(&ep).await.expect("bind"), ep);
            pull.connect(&ep).await.expect("connect");
        } else {
            assert_eq!(pull.bind(&ep).await.expect("bind"), ep);
            push.connect(&ep).await.expect("connect");
        }
        drop(flow!(push, pull));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_pull_on_a_multi_thread_runtime() {
    let ep = fresh_name();
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    drop(flow!(push, pull));
}

#[tokio::test]
async fn dealer_to_dealer_and_pair_both_ways() {
    let ep = fresh_name();
    let a = Dealer::new();
    a.bind(&ep).await.expect("bind");
    let b = Dealer::new();
    b.connect(&ep).await.expect("connect");
    let b = flow!(b, a);
    let _a = flow!(a, b);

    let ep = fresh_name();
    let a = Pair::new();
    a.bind(&ep).await.expect("bind");
    let b = Pair::new();
    b.connect(&ep).await.expect("connect");
    let b = flow!(b, a);
    let _a = flow!(a, b);
}

#[tokio::test]
async fn connect_before_bind_waits_for_the_bind() {
    // libzmq's test_inproc_connect: the connect is pending until the name is bound.
    let ep = fresh_name();
    let push = Push::new();
    push.connect(&ep)
        .await
        .expect("connect to a name nobody has bound");
    push.send("early")
        .await
        .expect("queued for the bind to come");
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    let msg = tokio::time::timeout(LIMIT, pull.recv())
        .await
        .expect("delivered once bound")
        .expect("message");
    assert_eq!(msg, Message::from(["early"]));
}

#[tokio::test]
async fn a_router_learns_the_dealers_routing_id() {
    let ep = fresh_name();
    let router = Router::new();
    router.bind(&ep).await.expect("bind");
    let dealer = Dealer::new();
    dealer
        .set_option(OptionName::Identity, "worker-1")
        .expect("ZMQ_ROUTING_ID");
    dealer.connect(&ep).await.expect("connect");
    dealer.send("ready").await.expect("send");
    let msg = tokio::time::timeout(LIMIT, router.recv())
        .await
        .expect("within the limit")
        .expect("message");
    assert_eq!(msg, Message::from(["worker-1", "ready"]));
    router
        .send(Message::from(["worker-1", "work"]))
        .await
        .expect("routed back");
    let reply = tokio::time::timeout(LIMIT, dealer.recv())
        .await
        .expect("within the limit")
        .expect("message");
    assert_eq!(reply, Message::from(["work"]));
}

#[tokio::test]
async fn names_are_taken_until_unbind_or_close() {
    let ep = fresh_name();
    let first = Pull::new();
    first.bind(&ep).await.expect("bind");
    let second = Pull::new();
    match second.bind(&ep).await {
        Err(Error::Io {
            op: "bind", source, ..
        }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::AddrInUse)
        }
        other => panic!("a bound name must be refused (EADDRINUSE): {other:?}"),
    }
    first.unbind(&ep).expect("unbind");
    assert!(matches!(first.unbind(&ep), Err(Error::NotFound(_))));
    second.bind(&ep).await.expect("free after unbind");
    drop(second);
    first.bind(&ep).await.expect("free after close");
}

#[tokio::test]
async fn bad_inproc_endpoints_are_named() {
    let push = Push::new();
    match push.bind("inproc://").await {
        Err(Error::Endpoint(e)) => assert_eq!(e.kind, EndpointErrorKind::EmptyAddress),
        other => panic!("an empty name must be refused: {other:?}"),
    }
    match push.connect("inproc://").await {
        Err(Error::Endpoint(e)) => assert_eq!(e.kind, EndpointErrorKind::EmptyAddress),
        other => panic!("an empty name must be refused: {other:?}"),
    }
    let ep = fresh_name();
    let bound = Push::new();
    bound.bind(&ep).await.expect("bind");
    match push.connect(&ep).await {
        Err(Error::IncompatibleSocketTypes { ours, peer }) => {
            assert_eq!((ours, peer), (SocketType::Push, SocketType::Push))
        }
        other => panic!("PUSH to PUSH must be refused: {other:?}"),
    }
    // The refused connect left nothing behind: there is no peer to send to.
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
}

#[tokio::test]
async fn disconnect_takes_the_peer_away_from_the_bound_socket() {
    let ep = fresh_name();
    let push = Push::new();
    push.bind(&ep).await.expect("bind");
    let pull = Pull::new();
    pull.connect(&ep).await.expect("connect");
    push.send("one").await.expect("send");
    let msg = tokio::time::timeout(LIMIT, pull.recv())
        .await
        .expect("within the limit")
        .expect("message");
    assert_eq!(msg, Message::from(["one"]));
    pull.disconnect(&ep).expect("disconnect");
    // The disconnect takes the bound side's pipe away at once (not when the link task next
    // runs): the PUSH has no peer left.
    assert!(
        matches!(push.try_send("lost"), Err(Error::WouldBlock)),
        "the bound PUSH still has a peer after the disconnect"
    );
    let other = Pull::new();
    other.connect(&ep).await.expect("connect again");
    push.send("two").await.expect("send");
    let msg = tokio::time::timeout(LIMIT, other.recv())
        .await
        .expect("within the limit")
        .expect("message");
    assert_eq!(msg, Message::from(["two"]));
}

/// Once connected, a message sent over inproc is in the peer's queue when the send returns: a
/// `try_recv` right after it gets it, with no task run in between (a current-thread runtime,
/// which also runs the link's task: it never gets a turn there).
#[tokio::test]
async fn a_message_sent_over_inproc_is_there_when_the_send_returns() {
    let ctx = Context::on_caller_runtime();
    let ep = fresh_name();
    let pull = Pull::new_in(&ctx).expect("PULL");
    pull.bind(&ep).await.expect("bind");
    let push = Push::new_in(&ctx).expect("PUSH");
    push.connect(&ep).await.expect("connect");
    // The link's task connects the pipes when it first runs: the first message waits for it.
    push.send(message(0)).await.expect("send");
    let first = tokio::time::timeout(LIMIT, pull.recv()).await;
    assert_eq!(first.expect("within the limit").expect("recv"), message(0));
    for i in 1..4 {
        push.try_send(message(i)).expect("room");
        assert_eq!(pull.try_recv().expect("there at once"), message(i));
    }
}
