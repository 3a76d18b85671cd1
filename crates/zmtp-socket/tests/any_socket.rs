//! A socket whose type is chosen at run time (`AnySocket`, `Context::socket`, libzmq's
//! `zmq_socket(context, type)`): it works as the typed socket of its type, refuses at run time
//! what its type does not do, and code handling sockets of several types needs no macro.

mod common;

use common::{bind_endpoint, msg, text, within, TRANSPORTS};
use zmtp_socket::{proxy, AnySocket, Context, Error, Pub, Push, SocketType};

/// A PUSH and a PULL made by type at run time move messages over every transport, and say
/// which type they are.
#[tokio::test]
async fn sockets_made_by_type_move_messages() {
    let ctx = Context::new().expect("context");
    for transport in TRANSPORTS {
        let pull = ctx.socket(SocketType::Pull).expect("PULL");
        let push = ctx.socket(SocketType::Push).expect("PUSH");
        assert_eq!(pull.socket_type(), SocketType::Pull);
        assert_eq!(push.socket_type(), SocketType::Push);
        let endpoint = pull.bind(&bind_endpoint(transport)).await.expect("bind");
        push.connect(&endpoint).await.expect("connect");
        push.send(msg(&["one", "two"])).await.expect("send");
        let got = within("the message", pull.recv()).await.expect("recv");
        assert_eq!(text(&got), ["one", "two"], "over {transport}");
    }
    ctx.term().await;
}

/// What the type does not do is refused when called, as libzmq refuses it: a PULL does not
/// send, a PUSH does not receive (the calls fail at once, they do not wait), a PUSH has no
/// subscriptions.
#[tokio::test]
async fn what_the_type_does_not_do_is_refused() {
    let ctx = Context::new().expect("context");
    let pull = ctx.socket(SocketType::Pull).expect("PULL");
    let push = ctx.socket(SocketType::Push).expect("PUSH");
    let sent = within("a PULL's send", pull.send("no")).await;
    assert!(
        matches!(sent, Err(Error::InvalidState(_))),
        "a PULL's send: {sent:?}"
    );
    let received = within("a PUSH's receive", push.recv()).await;
    assert!(
        matches!(received, Err(Error::InvalidState(_))),
        "a PUSH's receive: {received:?}"
    );
    let subscribed = push.subscribe("topic");
    assert!(
        matches!(subscribed, Err(Error::Option(_))),
        "a PUSH's subscribe: {subscribed:?}"
    );
    ctx.term().await;
}

/// A SUB and an XSUB made by type subscribe as their typed sockets do: the SUB filters by its
/// subscription, the XSUB sends it upstream, so the publisher sends only what matches.
#[tokio::test]
async fn sub_and_xsub_subscribe_as_their_types_do() {
    let ctx = Context::new().expect("context");
    for sub_type in [SocketType::Sub, SocketType::XSub] {
        let publisher = Pub::new_in(&ctx).expect("PUB");
        let endpoint = publisher.bind("tcp://127.0.0.1:*").await.expect("bind");
        let sub = ctx.socket(sub_type).expect("subscriber");
        sub.subscribe("yes").expect("subscribe");
        sub.connect(&endpoint).await.expect("connect");
        // Publish until the subscription has arrived (the first "yes" received), with a
        // non-matching message before each matching one.
        let got = within("a matching message", async {
            loop {
                publisher.send("no: filtered").await.expect("send");
                publisher.send("yes: wanted").await.expect("send");
                if let Ok(m) = sub.try_recv() {
                    return m;
                }
                tokio::task::yield_now().await;
            }
        })
        .await;
        assert_eq!(text(&got), ["yes: wanted"], "{sub_type:?}");
        // Nothing that does not match gets through.
        while let Ok(m) = sub.try_recv() {
            assert_eq!(text(&m), ["yes: wanted"], "{sub_type:?} let through {m:?}");
        }
    }
    ctx.term().await;
}

/// A typed socket becomes an `AnySocket` of its type, and stays the same socket.
#[tokio::test]
async fn a_typed_socket_becomes_one_of_its_type() {
    let ctx = Context::new().expect("context");
    let pull = ctx.socket(SocketType::Pull).expect("PULL");
    let endpoint = pull.bind("inproc://any-from-typed").await.expect("bind");
    let push = Push::new_in(&ctx).expect("PUSH");
    push.connect(&endpoint).await.expect("connect");
    let any: AnySocket = push.clone().into();
    assert_eq!(any.socket_type(), SocketType::Push);
    any.send("through the erased handle").await.expect("send");
    push.send("through the typed handle").await.expect("send");
    for expected in ["through the erased handle", "through the typed handle"] {
        let got = within("a message", pull.recv()).await.expect("recv");
        assert_eq!(text(&got), [expected]);
    }
    ctx.term().await;
}

/// A proxy between sockets made by type knows which way each one goes from its type: with a
/// DEALER frontend and a PUSH backend, messages go one way, from the DEALER to the PUSH (a
/// proxy that took the PUSH for a receiver would read it, and end with its error).
#[tokio::test]
async fn a_proxy_between_sockets_made_by_type_runs_one_way() {
    let ctx = Context::new().expect("context");
    let frontend = ctx.socket(SocketType::Dealer).expect("DEALER");
    let backend = ctx.socket(SocketType::Push).expect("PUSH");
    let front = frontend
        .bind("inproc://any-proxy-front")
        .await
        .expect("bind");
    let back = backend.bind("inproc://any-proxy-back").await.expect("bind");
    let proxy_task = tokio::spawn(proxy(frontend, backend, None::<&AnySocket>));
    let client = ctx.socket(SocketType::Dealer).expect("client");
    client.connect(&front).await.expect("connect");
    let worker = ctx.socket(SocketType::Pull).expect("worker");
    worker.connect(&back).await.expect("connect");
    for i in 0..10 {
        client.send(format!("job {i}")).await.expect("send");
    }
    for i in 0..10 {
        let got = within("a proxied job", worker.recv()).await.expect("recv");
        assert_eq!(text(&got), [format!("job {i}")]);
    }
    assert!(!proxy_task.is_finished(), "the proxy ended early");
    proxy_task.abort();
    ctx.term().await;
}
