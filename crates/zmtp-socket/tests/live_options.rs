//! Options changed on a live socket, read back and in effect as libzmq has them: high-water
//! marks reaching the pipes there are, timeouts and ROUTER_MANDATORY at the next call,
//! PROBE_ROUTER at connect, LINGER read back; `last_endpoint`.

use std::time::Duration;

use bytes::Bytes;
use zmtp_socket::{Dealer, Error, Message, OptionName, OptionValue, Push, Router};

const LIMIT: Duration = Duration::from_secs(30);

/// A PUSH connected where nothing listens queues up to SNDHWM (no IMMEDIATE); raising the mark
/// on the live socket makes room in the pipe that exists, lowering it stops it again.
#[tokio::test]
async fn sndhwm_changes_reach_the_existing_pipe() {
    let push = Push::new();
    push.set_option(OptionName::SndHwm, 2).expect("sndhwm");
    push.connect("ipc://@zmtp-live-sndhwm-nobody")
        .await
        .expect("connect");
    for _ in 0..2 {
        push.try_send("queued").expect("room for two");
    }
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));

    push.set_option(OptionName::SndHwm, 5).expect("raise");
    assert_eq!(push.options().get_sndhwm(), 5);
    assert_eq!(push.options().get(OptionName::SndHwm), OptionValue::Int(5));
    for _ in 0..3 {
        push.try_send("queued")
            .expect("room made by the higher mark");
    }
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));

    push.set_option(OptionName::SndHwm, 0).expect("unbounded");
    for _ in 0..1_000 {
        push.try_send("queued").expect("no mark");
    }
}

#[tokio::test]
async fn timeouts_apply_at_the_next_call() {
    let push = Push::new();
    push.connect("ipc://@zmtp-live-timeo-nobody")
        .await
        .expect("connect");
    push.set_option(OptionName::SndHwm, 1).expect("sndhwm");
    push.try_send("fills the pipe").expect("one");
    push.set_option(OptionName::SndTimeo, 0)
        .expect("sndtimeo 0");
    assert!(matches!(push.send("x").await, Err(Error::WouldBlock)));
    push.set_option(OptionName::SndTimeo, 20)
        .expect("sndtimeo 20");
    assert_eq!(
        push.options().get_sndtimeo(),
        Some(Duration::from_millis(20))
    );
    assert!(matches!(push.send("x").await, Err(Error::Timeout(_))));

    let dealer = Dealer::new();
    dealer
        .set_option(OptionName::RcvTimeo, 20)
        .expect("rcvtimeo");
    assert!(matches!(dealer.recv().await, Err(Error::Timeout(_))));
    dealer.set_option(OptionName::Linger, 1234).expect("linger");
    assert_eq!(
        dealer.options().get_linger(),
        Some(Duration::from_millis(1234))
    );
}

#[tokio::test]
async fn router_mandatory_toggles_on_the_live_socket() {
    let router = Router::new();
    router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let to_nobody = || Message::from([&b"nobody"[..], &b"hello"[..]]);
    router.send(to_nobody()).await.expect("dropped silently");
    router
        .set_option(OptionName::RouterMandatory, 1)
        .expect("mandatory");
    assert!(matches!(
        router.send(to_nobody()).await,
        Err(Error::HostUnreachable(id)) if id == Bytes::from_static(b"nobody")
    ));
    router
        .set_option(OptionName::RouterMandatory, 0)
        .expect("not mandatory");
    router
        .send(to_nobody())
        .await
        .expect("dropped silently again");
}

/// PROBE_ROUTER set on a live DEALER before it connects: its connection sends the probe (an
/// empty message the ROUTER receives as `[routing id, ""]`); a DEALER without it sends none.
#[tokio::test]
async fn probe_router_reaches_the_next_connection() {
    let router = Router::new();
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let dealer = Dealer::new();
    dealer
        .set_option(OptionName::Identity, "first")
        .expect("routing id");
    dealer.connect(&ep).await.expect("connect");
    dealer.send("hello").await.expect("send");
    let got = tokio::time::timeout(LIMIT, router.recv())
        .await
        .expect("within the limit")
        .expect("recv");
    assert_eq!(
        got,
        Message::from(["first", "hello"]),
        "no probe before the option"
    );

    let second = Dealer::new();
    second
        .set_option(OptionName::Identity, "second")
        .expect("routing id");
    second
        .set_option(OptionName::ProbeRouter, 1)
        .expect("probe router");
    second.connect(&ep).await.expect("connect");
    let probe = tokio::time::timeout(LIMIT, router.recv())
        .await
        .expect("the probe within the limit")
        .expect("recv");
    assert_eq!(probe, Message::from(["second", ""]));
}

#[tokio::test]
async fn last_endpoint_is_the_last_bind_or_connect() {
    let dealer = Dealer::new();
    assert_eq!(dealer.last_endpoint(), None);
    let bound = dealer.bind("tcp://127.0.0.1:*").await.expect("bind");
    assert!(!bound.ends_with(":*"), "the real port: {bound}");
    assert_eq!(dealer.last_endpoint().as_deref(), Some(bound.as_str()));
    let ipc = dealer.bind("ipc://*").await.expect("bind ipc");
    assert_eq!(dealer.last_endpoint().as_deref(), Some(ipc.as_str()));
    dealer
        .connect("inproc://live-last-endpoint")
        .await
        .expect("connect");
    assert_eq!(
        dealer.last_endpoint().as_deref(),
        Some("inproc://live-last-endpoint")
    );
    dealer.unbind(&bound).expect("unbind");
    assert_eq!(
        dealer.last_endpoint().as_deref(),
        Some("inproc://live-last-endpoint"),
        "unbind leaves it"
    );
}
