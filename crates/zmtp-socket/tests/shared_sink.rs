//! Sending and receiving from two tasks at once (clones of one DEALER, ROUTER and PAIR socket),
//! and the `futures::Sink` / `futures::Stream` side of every socket type.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use zmtp_socket::{Dealer, Error, Message, Pair, Pull, Push, Rep, Req, Router, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);
const COUNT: u32 = 10_000;

fn numbered(i: u32) -> Message {
    Message::from([i.to_be_bytes().to_vec(), vec![7; (i % 300) as usize]])
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} within {LIMIT:?}"))
}

fn small_hwm() -> SocketOptions {
    SocketOptions::new().sndhwm(10).rcvhwm(10)
}

/// An echoing DEALER and a shared one, both with HWMs of 10: sending all before receiving any
/// would stall after a few dozen messages; two tasks on two handles carry 10,000 each way.
#[tokio::test]
async fn shared_dealer_sends_and_receives_from_two_tasks() {
    let echo = Dealer::with_options(small_hwm()).expect("echo");
    let ep = echo.bind("tcp://127.0.0.1:*").await.expect("bind");
    let echo_task = tokio::spawn(async move {
        for _ in 0..COUNT {
            let msg = echo.recv().await.expect("echo recv");
            echo.send(msg).await.expect("echo send");
        }
    });
    let dealer = Dealer::with_options(small_hwm()).expect("dealer");
    dealer.connect(&ep).await.expect("connect");
    let tx = dealer.clone();
    let sender = tokio::spawn(async move {
        for i in 0..COUNT {
            tx.send(numbered(i)).await.expect("send");
        }
    });
    for i in 0..COUNT {
        let msg = within("an echoed message", dealer.recv())
            .await
            .expect("recv");
        assert_eq!(msg, numbered(i), "message {i} in order");
    }
    within("the sender", sender).await.expect("sender task");
    within("the echo", echo_task).await.expect("echo task");
    assert!(dealer.options().get_sndhwm() == 10);
}

/// A shared ROUTER: one handle's stream feeds another handle's sink through a channel (a
/// broker shape).
#[tokio::test]
async fn shared_router_echoes_through_two_handles() {
    let router = Router::new();
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let (mut tx, mut rx) = (router.clone(), router);
    let (to_send, mut queued) = tokio::sync::mpsc::channel::<Message>(16);
    let receiving = tokio::spawn(async move {
        while let Some(msg) = rx.next().await {
            if to_send.send(msg.expect("routed")).await.is_err() {
                break;
            }
        }
        rx
    });
    let sending = tokio::spawn(async move {
        while let Some(msg) = queued.recv().await {
            SinkExt::send(&mut tx, msg).await.expect("route back");
        }
        tx
    });
    let dealer = Dealer::new();
    dealer.connect(&ep).await.expect("connect");
    for i in 0..1_000 {
        dealer.send(numbered(i)).await.expect("send");
        let back = within("the echo", dealer.recv()).await.expect("recv");
        assert_eq!(back, numbered(i));
    }
    drop(dealer);
    receiving.abort();
    sending.abort();
}

/// PUSH as a sink fed by `send_all`, PULL as a stream read with `take` and `collect`.
#[tokio::test]
async fn push_sink_and_pull_stream() {
    let mut pull = Pull::new();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut push = Push::with_options(SocketOptions::new().sndhwm(5)).expect("push");
    push.connect(&ep).await.expect("connect");
    let sender = tokio::spawn(async move {
        let mut items = futures::stream::iter((0..COUNT).map(|i| Ok(numbered(i))));
        push.send_all(&mut items).await.expect("send_all");
        push
    });
    let got: Vec<Message> = within(
        "every message",
        (&mut pull)
            .take(COUNT as usize)
            .map(|m| m.expect("recv"))
            .collect(),
    )
    .await;
    assert_eq!(got.len(), COUNT as usize);
    for (i, msg) in got.into_iter().enumerate() {
        assert_eq!(msg, numbered(i as u32));
    }
    within("the sender", sender).await.expect("sender");
    // An empty message is refused by the sink as by send.
    let mut push = Push::new();
    assert!(matches!(
        SinkExt::send(&mut push, Message::new()).await,
        Err(Error::EmptyMessage)
    ));
}

/// REP as a stream of requests and a sink of replies; REQ as a sink of requests, refusing a
/// second one before the reply as `send` does (EFSM).
#[tokio::test]
async fn req_and_rep_as_sink_and_stream() {
    let mut rep = Rep::new();
    let ep = rep.bind("tcp://127.0.0.1:*").await.expect("bind");
    let server = tokio::spawn(async move {
        for _ in 0..100 {
            let req = within("a request", rep.next()).await.expect("stream open");
            let mut reply = req.expect("request");
            reply.push_back("ok");
            SinkExt::send(&mut rep, reply).await.expect("reply");
        }
    });
    let mut req = Req::new();
    req.connect(&ep).await.expect("connect");
    for i in 0..100 {
        SinkExt::send(&mut req, numbered(i)).await.expect("request");
        assert!(matches!(
            SinkExt::send(&mut req, numbered(i)).await,
            Err(Error::InvalidState(_))
        ));
        let reply = within("a reply", req.recv()).await.expect("reply");
        assert_eq!(reply.frames()[0], numbered(i).frames()[0]);
        assert_eq!(reply.frames().last().expect("frame"), "ok");
    }
    within("the server", server).await.expect("server");
}

/// A PAIR over inproc, each side shared by a sending and a receiving task.
#[tokio::test]
async fn shared_pair_over_inproc() {
    let a = Pair::with_options(small_hwm()).expect("a");
    a.bind("inproc://split-pair").await.expect("bind");
    let b = Pair::with_options(small_hwm()).expect("b");
    b.connect("inproc://split-pair").await.expect("connect");
    let (a_tx, a_rx) = (a.clone(), a);
    let (b_tx, b_rx) = (b.clone(), b);
    let a_sends = tokio::spawn(async move {
        for i in 0..COUNT {
            a_tx.send(numbered(i)).await.expect("a send");
        }
    });
    let b_sends = tokio::spawn(async move {
        for i in 0..COUNT {
            b_tx.send(numbered(i)).await.expect("b send");
        }
    });
    for i in 0..COUNT {
        assert_eq!(
            within("b receives", b_rx.recv()).await.expect("b"),
            numbered(i)
        );
        assert_eq!(
            within("a receives", a_rx.recv()).await.expect("a"),
            numbered(i)
        );
    }
    within("a's sender", a_sends).await.expect("a");
    within("b's sender", b_sends).await.expect("b");
}
