//! PUB/SUB and XPUB/XSUB between our sockets over tcp, ipc and inproc: prefix filtering at the
//! publisher, subscriptions re-sent after a reconnect, XPUB seeing subscriptions and cancels,
//! an XSUB/XPUB forwarder.

mod common;

use std::time::Duration;

use futures::StreamExt;
use zmtp_socket::{Message, Pub, Sub, XPub, XSub};

use common::bind_endpoint;

const LIMIT: Duration = Duration::from_secs(30);

/// The next message that is not a probe of [`until_subscribed`] (probes may still be in flight).
async fn next(sub: &mut Sub) -> Message {
    loop {
        let msg = tokio::time::timeout(LIMIT, sub.next())
            .await
            .expect("a message within the limit")
            .expect("open")
            .expect("message");
        if msg.first().is_none_or(|f| !f.ends_with(b".probe")) {
            return msg;
        }
    }
}

/// Publishes `probe` until `sub` receives it: the subscription has reached the publisher (a
/// condition, not a sleep: the slow joiner of libzmq's guide).
async fn until_subscribed(publisher: &mut Pub, sub: &mut Sub, probe: &Message) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        publisher.send(probe.clone()).await.expect("probe");
        match tokio::time::timeout(Duration::from_millis(50), sub.next()).await {
            Ok(Some(Ok(m))) if &m == probe => return,
            Ok(Some(Ok(_))) | Err(_) => {}
            Ok(other) => panic!("subscriber ended: {other:?}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the subscription reached the publisher within {LIMIT:?}"
        );
    }
}

async fn prefixes_are_filtered(transport: &str) {
    let mut publisher = Pub::new();
    let ep = publisher
        .bind(&bind_endpoint(transport))
        .await
        .expect("bind");
    let mut weather = Sub::new();
    weather.connect(&ep).await.expect("connect");
    weather.subscribe("weather.").expect("subscribe");
    let mut all = Sub::new();
    all.connect(&ep).await.expect("connect");
    all.subscribe("").expect("subscribe to all");
    until_subscribed(
        &mut publisher,
        &mut weather,
        &Message::from(["weather.probe"]),
    )
    .await;
    until_subscribed(&mut publisher, &mut all, &Message::from(["weather.probe"])).await;
    for i in 0..100u32 {
        let topic = if i % 2 == 0 { "weather.paris" } else { "sport" };
        publisher
            .send(Message::from([topic.to_owned(), i.to_string()]))
            .await
            .expect("publish");
    }
    for i in (0..100u32).step_by(2) {
        assert_eq!(
            next(&mut weather).await,
            Message::from(["weather.paris".to_owned(), i.to_string()])
        );
    }
    for i in 0..100u32 {
        assert_eq!(next(&mut all).await.frames()[1], i.to_string());
    }
    assert!(
        weather.try_recv().is_err(),
        "no sport for the weather subscriber"
    );
}

async fn xpub_sees_subscriptions_and_xsub_forwards(transport: &str) {
    let xpub = XPub::new();
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let xsub = XSub::new();
    xsub.connect(&ep).await.expect("connect");
    xsub.send(Message::single(&b"\x01news"[..]))
        .await
        .expect("subscribe");
    let got = tokio::time::timeout(LIMIT, xpub.recv())
        .await
        .expect("subscription within the limit")
        .expect("recv");
    assert_eq!(got, Message::single(&b"\x01news"[..]));
    xpub.send(Message::from(["news.1", "body"]))
        .await
        .expect("send");
    xpub.send(Message::from(["other", "body"]))
        .await
        .expect("send");
    xpub.send(Message::from(["news.2", "body"]))
        .await
        .expect("send");
    let first = tokio::time::timeout(LIMIT, xsub.recv())
        .await
        .expect("in time")
        .expect("recv");
    assert_eq!(first, Message::from(["news.1", "body"]));
    let second = tokio::time::timeout(LIMIT, xsub.recv())
        .await
        .expect("in time")
        .expect("recv");
    assert_eq!(second, Message::from(["news.2", "body"]));
    xsub.send(Message::single(&b"\x00news"[..]))
        .await
        .expect("cancel");
    let got = tokio::time::timeout(LIMIT, xpub.recv())
        .await
        .expect("cancel within the limit")
        .expect("recv");
    assert_eq!(got, Message::single(&b"\x00news"[..]));
}

on_every_transport!(
    prefixes_are_filtered,
    xpub_sees_subscriptions_and_xsub_forwards,
);
