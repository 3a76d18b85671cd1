//! The rows of the publish-subscribe options: subscriptions, `ZMQ_INVERT_MATCHING` and the
//! XPUB options.

use super::*;

#[tokio::test]
pub(super) async fn zmq_invert_matching() {
    contract_live(N::InvertMatching).await;
    // An XPUB and a SUB both inverted (as libzmq asks of a PUB's subscribers): the SUB subscribed
    // to "a" gets what does not start with "a". The publisher sends "a.1" only to subscribers
    // that did not subscribe to it, the SUB keeps only "b.1": either half missing and "b.1"
    // never arrives (or "a.1" does).
    for invert in [true, false] {
        let xpub = XPub::with_options(SocketOptions::new().invert_matching(invert)).expect("xpub");
        let ep = xpub.bind(&bind_endpoint("inproc")).await.expect("bind");
        let sub = Sub::with_options(SocketOptions::new().invert_matching(invert)).expect("sub");
        sub.connect(&ep).await.expect("connect");
        sub.subscribe("a").expect("subscribe");
        let m = within("the subscription", xpub.recv()).await.expect("recv");
        assert_eq!(m.frames()[0], &b"\x01a"[..]);
        xpub.send("a.1").await.expect("send");
        xpub.send("b.1").await.expect("send");
        let m = within("the first message", sub.recv()).await.expect("recv");
        let expected = if invert { "b.1" } else { "a.1" };
        assert_eq!(text(&m), [expected], "ZMQ_INVERT_MATCHING {invert}");
    }
}

/// A SUB with `prefixes` connected to a PUB; the topics of `sent` that reach it, in order.
pub(super) async fn filtered(
    prefixes: &[&str],
    unsubscribe: &[&str],
    sent: &[&str],
) -> Vec<String> {
    let publisher = XPub::new();
    let ep = publisher.bind("tcp://127.0.0.1:*").await.expect("bind");
    let sub = Sub::new();
    sub.connect(&ep).await.expect("connect");
    for p in prefixes.iter().chain(["fence"].iter()) {
        sub.subscribe(p).expect("subscribe");
    }
    for p in unsubscribe {
        sub.unsubscribe(p).expect("unsubscribe");
    }
    // The XPUB hears each (un)subscription in order; the fence's arrival means all are in.
    within("the subscriptions", async {
        loop {
            let m = publisher.recv().await.expect("subscription");
            if m.frames()[0] == b"\x01fence"[..] {
                break;
            }
        }
    })
    .await;
    for topic in sent.iter().chain(["fence"].iter()) {
        publisher.send(topic.to_string()).await.expect("publish");
    }
    let mut got = Vec::new();
    within("the fence", async {
        loop {
            let m = sub.recv().await.expect("recv");
            let t = String::from_utf8_lossy(&m.frames()[0]).into_owned();
            if t == "fence" {
                break;
            }
            got.push(t);
        }
    })
    .await;
    got
}

#[tokio::test]
pub(super) async fn zmq_subscribe() {
    contract_live(N::Subscribe).await;
    let got = filtered(&["a."], &[], &["a.1", "b.1", "a.2"]).await;
    assert_eq!(got, ["a.1", "a.2"]);
}

#[tokio::test]
pub(super) async fn zmq_unsubscribe() {
    contract_live(N::Unsubscribe).await;
    let got = filtered(&["a.", "b."], &["a."], &["a.1", "b.1"]).await;
    assert_eq!(got, ["b.1"]);
}

#[tokio::test]
pub(super) async fn zmq_xpub_verbose() {
    contract(N::XpubVerbose);
    // A second subscriber's "a", which the XPUB already has, is passed up only when verbose;
    // the "b" after it on the same pipe shows what came before.
    for verbose in [true, false] {
        let (xpub, subs) = xpub_and_subs(SocketOptions::new().xpub_verbose(verbose), 2).await;
        subs[0].subscribe("a").expect("subscribe");
        assert_eq!(next_subscription(&xpub).await, "+a");
        subs[1].subscribe("a").expect("subscribe");
        subs[1].subscribe("b").expect("subscribe");
        let expected = if verbose { "+a" } else { "+b" };
        assert_eq!(
            next_subscription(&xpub).await,
            expected,
            "verbose {verbose}"
        );
    }
}

#[tokio::test]
pub(super) async fn zmq_xpub_verboser() {
    contract(N::XpubVerboser);
    // A cancel of "a", which the other subscriber still holds, is passed up only by VERBOSER
    // (VERBOSE passes subscriptions only); the "c" after it shows what came before.
    for verboser in [true, false] {
        let options = if verboser {
            SocketOptions::new().xpub_verboser(true)
        } else {
            SocketOptions::new().xpub_verbose(true)
        };
        let (xpub, subs) = xpub_and_subs(options, 2).await;
        for sub in &subs {
            sub.subscribe("a").expect("subscribe");
            assert_eq!(next_subscription(&xpub).await, "+a");
        }
        subs[1].unsubscribe("a").expect("unsubscribe");
        subs[1].subscribe("c").expect("subscribe");
        let expected = if verboser { "-a" } else { "+c" };
        assert_eq!(
            next_subscription(&xpub).await,
            expected,
            "verboser {verboser}"
        );
    }
}

#[tokio::test]
pub(super) async fn zmq_xpub_manual() {
    contract(N::XpubManual);
    // The subscriber asks for everything; a manual XPUB passes that up and applies only what
    // the application says ("b" here), so "a.1" is not sent and "b.1" is.
    for manual in [true, false] {
        let (xpub, subs) = xpub_and_subs(SocketOptions::new().xpub_manual(manual), 1).await;
        subs[0].subscribe("").expect("subscribe");
        assert_eq!(next_subscription(&xpub).await, "+");
        xpub.send("a.1").await.expect("send");
        if manual {
            xpub.subscribe_last_peer("b").expect("manual subscription");
        }
        xpub.send("b.1").await.expect("send");
        let m = within("the first message", subs[0].recv())
            .await
            .expect("recv");
        let expected = if manual { "b.1" } else { "a.1" };
        assert_eq!(text(&m), [expected], "manual {manual}");
    }
}

#[tokio::test]
pub(super) async fn zmq_xpub_nodrop() {
    contract(N::XpubNodrop);
    // Over inproc the connection holds SNDHWM + RCVHWM: with NODROP the XPUB then refuses
    // (`WouldBlock`) and the subscriber gets every message sent; without, it never blocks and
    // drops what does not fit.
    for nodrop in [true, false] {
        let ctx = Context::on_caller_runtime();
        let xpub = XPub::with_options_in(&ctx, SocketOptions::new().xpub_nodrop(nodrop).sndhwm(2))
            .expect("xpub");
        let ep = xpub.bind(&bind_endpoint("inproc")).await.expect("bind");
        let sub = Sub::with_options_in(&ctx, SocketOptions::new().rcvhwm(3)).expect("sub");
        sub.connect(&ep).await.expect("connect");
        sub.subscribe("").expect("subscribe");
        assert_eq!(next_subscription(&xpub).await, "+");
        let sent = fill(|m| xpub.try_send(m), 1000).await;
        if nodrop {
            assert_eq!(sent, 5, "SNDHWM + RCVHWM, then WouldBlock");
        } else {
            assert_eq!(sent, 1000, "never blocks");
        }
        // What reached the subscriber, once the runtime has nothing else to do.
        let mut got = Vec::new();
        let mut idle = 0;
        while idle < 200 {
            match sub.try_recv() {
                Ok(m) => {
                    got.extend(text(&m));
                    idle = 0;
                }
                Err(Error::WouldBlock) => {
                    idle += 1;
                    tokio::task::yield_now().await;
                }
                Err(e) => panic!("recv: {e}"),
            }
        }
        let numbers: Vec<u32> = got.iter().map(|t| t.parse().expect("a number")).collect();
        if nodrop {
            assert_eq!(numbers, (0..sent).collect::<Vec<_>>(), "none dropped");
        } else {
            assert!(numbers.len() < 100, "dropped at the HWM: {numbers:?}");
            assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        }
        // Once the subscriber has read, there is room again.
        xpub.try_send(Message::from(["last"])).expect("room again");
        let m = within("the last message", sub.recv()).await.expect("recv");
        assert_eq!(text(&m), ["last"]);
    }
}

#[tokio::test]
pub(super) async fn zmq_xpub_welcome_msg() {
    contract(N::XpubWelcomeMsg);
    let xpub = XPub::with_options(SocketOptions::new().xpub_welcome_msg("welcome")).expect("xpub");
    let ep = xpub.bind("tcp://127.0.0.1:*").await.expect("bind");
    let sub = Sub::new();
    sub.subscribe("welcome").expect("subscribe");
    sub.connect(&ep).await.expect("connect");
    let m = within("the welcome message", sub.recv())
        .await
        .expect("recv");
    assert_eq!(text(&m), ["welcome"]);
}
