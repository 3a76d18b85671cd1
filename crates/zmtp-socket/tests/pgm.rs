//! `epgm://` between our own sockets on the loopback interface (no root needed: UDP), and the
//! socket types `epgm://` and `pgm://` refuse. Against libzmq, over `pgm://` too, with loss and
//! late joiners, in network namespaces: `interop/tests/libzmq_pgm.rs`.

use std::time::Duration;

use zmtp_socket::{
    Dealer, Error, Message, Pair, Pub, Pull, Push, Rep, Req, Router, SocketOptions, Sub, XPub, XSub,
};

/// A port no one holds now, and a group of this test's own.
fn endpoint(group_last: u8) -> String {
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free port");
    let port = probe.local_addr().expect("address").port();
    format!("epgm://127.0.0.1;239.192.77.{group_last}:{port}")
}

fn refused(r: zmtp_socket::Result<()>, what: &str) {
    match r {
        Err(Error::InvalidArgument(msg)) => {
            assert!(msg.contains("ENOCOMPATPROTO"), "{what}: {msg}")
        }
        other => panic!("{what}: {other:?}, not ENOCOMPATPROTO"),
    }
}

#[tokio::test]
async fn only_pub_xpub_sub_and_xsub_take_pgm_and_epgm() {
    for scheme in ["pgm", "epgm"] {
        let ep = format!("{scheme}://127.0.0.1;239.192.77.1:5555");
        refused(Req::new().connect(&ep).await, "REQ");
        refused(Rep::new().bind(&ep).await.map(drop), "REP");
        refused(Dealer::new().connect(&ep).await, "DEALER");
        refused(Router::new().connect(&ep).await, "ROUTER");
        refused(Push::new().connect(&ep).await, "PUSH");
        refused(Pull::new().connect(&ep).await, "PULL");
        refused(Pair::new().connect(&ep).await, "PAIR");
    }
    // A malformed endpoint is refused by a socket that takes the transport.
    assert!(Sub::new()
        .connect("epgm://239.192.77.1:5555")
        .await
        .is_err());
}

async fn recv(sub: &dyn RecvMessage) -> Message {
    tokio::time::timeout(Duration::from_secs(20), sub.recv_message())
        .await
        .expect("a message within 20 s")
}

/// Our PUB (bound: bind is connect for PGM) to two SUBs and an XSUB: each SUB gets what its
/// prefix matches (filtered at the receiver: the PUB sends everything), the XSUB everything,
/// in order and whole (multipart, and messages larger than a TPDU).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_pub_to_our_subs_over_epgm_filtered_at_the_receivers() {
    let ep = endpoint(2);
    let mut options = SocketOptions::new();
    options.set_rcvhwm(0).expect("rcvhwm");
    let sub_a = Sub::with_options(options.clone()).expect("sub");
    sub_a.subscribe("A").expect("subscribe");
    sub_a.subscribe("hello").expect("subscribe");
    let sub_b = Sub::with_options(options.clone()).expect("sub");
    sub_b.subscribe("B").expect("subscribe");
    sub_b.subscribe("hello").expect("subscribe");
    let xsub = XSub::with_options(options).expect("xsub");
    for s in [&sub_a as &dyn Connect, &sub_b, &xsub] {
        s.connect_to(&ep).await;
    }
    let mut options = SocketOptions::new();
    options.set_rate(20_000).expect("rate");
    options.set_sndhwm(0).expect("sndhwm");
    let publisher = Pub::with_options(options).expect("pub");
    assert_eq!(publisher.bind(&ep).await.expect("bind"), ep);
    // PGM receivers join at the first packet they see: hello until all three are live.
    let mut live = [false; 3];
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !live.iter().all(|&l| l) {
        assert!(
            std::time::Instant::now() < deadline,
            "the receivers live after 20 s of hello: {live:?}"
        );
        publisher.send("hello").await.expect("send");
        for (i, s) in [&sub_a as &dyn RecvMessage, &sub_b, &xsub]
            .iter()
            .enumerate()
        {
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(20), s.recv_message()).await {
                live[i] |= m.frames()[0].as_ref() == b"hello";
            }
        }
    }
    let message = |i: usize| -> Message {
        let topic = if i.is_multiple_of(2) { "A" } else { "B" };
        let len = if i.is_multiple_of(50) {
            3_000
        } else {
            20 + i % 100
        };
        let mut first = format!("{topic}{i:05}").into_bytes();
        first.resize(len, b'x');
        if i.is_multiple_of(7) {
            Message::from(vec![
                bytes::Bytes::from(first),
                bytes::Bytes::from_static(b"second"),
            ])
        } else {
            Message::from(vec![bytes::Bytes::from(first)])
        }
    };
    const N: usize = 500;
    for i in 0..N {
        publisher.send(message(i)).await.expect("send");
    }
    for (s, keep) in [
        (&sub_a as &dyn RecvMessage, Some(0)),
        (&sub_b, Some(1)),
        (&xsub, None),
    ] {
        for i in (0..N).filter(|i| keep.is_none_or(|k| i % 2 == k)) {
            let got = loop {
                let m = recv(s).await;
                if m.frames()[0].as_ref() != b"hello" {
                    break m;
                }
            };
            assert_eq!(got, message(i), "message {i}");
        }
    }
}

// Small object-safe views of the sockets, so the three receivers go through one loop.
trait RecvMessage {
    fn recv_message(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Message> + '_>>;
}
trait Connect {
    fn connect_to<'a>(
        &'a self,
        ep: &'a str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>;
}
macro_rules! views {
    ($($t:ty),*) => {$(
        impl RecvMessage for $t {
            fn recv_message(
                &self,
            ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Message> + '_>> {
                Box::pin(async move { self.recv().await.expect("recv") })
            }
        }
        impl Connect for $t {
            fn connect_to<'a>(
                &'a self,
                ep: &'a str,
            ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>> {
                Box::pin(async move { self.connect(ep).await.expect("connect") })
            }
        }
    )*};
}
views!(Sub, XSub);

/// An XPUB takes the transport too, and is not handed the implicit subscription of its
/// multicast pipe (libzmq's `subscribe_to_all` is not passed up).
#[tokio::test]
async fn an_xpub_sends_over_epgm_without_seeing_a_subscription() {
    let xpub = XPub::new();
    xpub.connect(&endpoint(3)).await.expect("connect");
    xpub.send("anything").await.expect("send");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), xpub.recv())
            .await
            .is_err(),
        "nothing to receive"
    );
}
