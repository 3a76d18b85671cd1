//! Our sockets against legacy peers over real TCP: a tokio stream speaking ZMTP 1.0 (RFC 13, as
//! libzmq 2.x) or ZMTP 2.0 (RFC 15, as libzmq 3.x) byte by byte, built from the RFC layouts.
//!
//! - PUSH to a legacy PULL and a legacy PUSH to PULL, our side binding and connecting;
//! - ROUTER takes the legacy peer's identity frame as its routing id; our `ZMQ_ROUTING_ID`
//!   reaches the peer as our identity frame;
//! - PUB to a legacy SUB: a 1.0 SUB (which filters itself and sends no subscriptions) gets
//!   everything, through libzmq's phantom subscription; a 2.0 SUB gets what its subscription
//!   messages ask for; our SUB's subscriptions reach a legacy PUB as messages;
//! - downgrade protection: with PLAIN, CURVE or a ZAP domain, a legacy peer is disconnected
//!   after the greeting bytes, with DISCONNECTED and no handshake event, both directions.
//!
//! Every wait is bounded (`common::LIMIT`) and waits on a condition: a subscription is known to
//! be in place once a probe published in a loop reaches the peer; the absence of a message is
//! shown by a later message on the same connection arriving first.

mod common;

use bytes::{Buf, Bytes, BytesMut};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zmtp_codec::legacy::V1Decoder;
use zmtp_codec::{Frame, FrameDecoder, SendBuffer};
#[cfg(feature = "curve")]
use zmtp_security::CurveKeyPair;
use zmtp_socket::{
    Dealer, Message, Monitor, MonitorEvent, Pub, Pull, Push, Router, SocketOptions, SocketType, Sub,
};

use common::within;

/// Which legacy protocol the raw peer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    /// ZMTP 1.0 without a signature: the connection starts with the identity frame.
    V1,
    /// ZMTP 2.0: signature, revision 1, socket type, then the identity frame.
    V2,
}

const PROTOS: [Proto; 2] = [Proto::V1, Proto::V2];

/// A legacy peer written by hand over a tcp stream.
struct LegacyPeer {
    proto: Proto,
    stream: TcpStream,
    buf: BytesMut,
    v1: V1Decoder,
    v2: FrameDecoder,
    /// The identity frame our side sent.
    our_identity: Bytes,
}

impl LegacyPeer {
    /// Greets as `proto` with socket type `socket_type` and identity `identity`, and reads
    /// our side's greeting and identity frame, checking each byte libzmq 4.x sends.
    async fn handshake(
        mut stream: TcpStream,
        proto: Proto,
        socket_type: SocketType,
        identity: &[u8],
        our_type: SocketType,
    ) -> LegacyPeer {
        let mut out = SendBuffer::new();
        if proto == Proto::V2 {
            // RFC 15: FF, 8 bytes of padding (libzmq 3.x puts the identity length + 1 there),
            // 7F, revision 01, socket type.
            out.put_raw(&[0xFF, 0, 0, 0, 0, 0, 0, 0, identity.len() as u8 + 1, 0x7F]);
            out.put_raw(&[0x01, socket_type.as_raw()]);
        }
        let id = Message::single(Bytes::copy_from_slice(identity));
        match proto {
            Proto::V1 => out.put_message_v1(&id),
            Proto::V2 => out.put_message(&id),
        }
        let bytes = out.copy_to_bytes(out.remaining());
        stream.write_all(&bytes).await.expect("write the greeting");

        let mut peer = LegacyPeer {
            proto,
            stream,
            buf: BytesMut::new(),
            v1: V1Decoder::new(None),
            v2: FrameDecoder::new(None),
            our_identity: Bytes::new(),
        };
        // Our signature: FF, our identity length + 1 in 8 bytes, 7F.
        let signature = peer.read_exact(10).await;
        assert_eq!(
            (signature[0], signature[9]),
            (0xFF, 0x7F),
            "{signature:02x?}"
        );
        let announced = u64::from_be_bytes(signature[1..9].try_into().expect("8 bytes"));
        match proto {
            Proto::V1 => {
                // A 1.0 peer read the signature as our identity frame's header: the body
                // follows, and nothing else came before it.
                let body = peer.read_exact(announced as usize - 1).await;
                peer.our_identity = body.freeze();
            }
            Proto::V2 => {
                // Our major version, then our socket type instead of a 3.x greeting's rest.
                let rest = peer.read_exact(2).await;
                assert_eq!(&rest[..], &[3, our_type.as_raw()]);
                let frame = peer.frame().await;
                assert!(!frame.more);
                assert_eq!(frame.body.len() as u64 + 1, announced);
                peer.our_identity = frame.body;
            }
        }
        peer
    }

    async fn connect(
        addr: &str,
        proto: Proto,
        socket_type: SocketType,
        identity: &[u8],
        our_type: SocketType,
    ) -> LegacyPeer {
        let stream = within(
            "connect",
            TcpStream::connect(addr.trim_start_matches("tcp://")),
        )
        .await
        .expect("connect");
        Self::handshake(stream, proto, socket_type, identity, our_type).await
    }

    async fn read_exact(&mut self, n: usize) -> BytesMut {
        while self.buf.len() < n {
            let read = within("bytes from our side", self.stream.read_buf(&mut self.buf))
                .await
                .expect("read");
            assert!(read > 0, "our side closed the connection");
        }
        self.buf.split_to(n)
    }

    async fn frame(&mut self) -> Frame {
        loop {
            let decoded = match self.proto {
                Proto::V1 => self.v1.decode(&mut self.buf),
                Proto::V2 => self.v2.decode(&mut self.buf),
            };
            if let Some(frame) = decoded.expect("a valid frame from our side") {
                return frame;
            }
            let read = within("a frame from our side", self.stream.read_buf(&mut self.buf))
                .await
                .expect("read");
            assert!(read > 0, "our side closed the connection");
        }
    }

    async fn message(&mut self) -> Message {
        let mut msg = Message::new();
        loop {
            let frame = self.frame().await;
            msg.push_back(frame.body);
            if !frame.more {
                return msg;
            }
        }
    }

    async fn send(&mut self, msg: &Message) {
        let mut out = SendBuffer::new();
        match self.proto {
            Proto::V1 => out.put_message_v1(msg),
            Proto::V2 => out.put_message(msg),
        }
        let bytes = out.copy_to_bytes(out.remaining());
        self.stream.write_all(&bytes).await.expect("write");
    }
}

fn msg(frames: &[&'static str]) -> Message {
    frames.iter().copied().collect()
}

/// A listener for a legacy peer and its endpoint for our side to connect to.
async fn legacy_listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    (listener, format!("tcp://{addr}"))
}

async fn accept(listener: &TcpListener) -> TcpStream {
    within("our side's connection", listener.accept())
        .await
        .expect("accept")
        .0
}

#[tokio::test]
async fn push_to_legacy_pull_both_ways_of_connecting() {
    for proto in PROTOS {
        for we_bind in [true, false] {
            let push =
                Push::with_options(SocketOptions::new().identity("pusher")).expect("options");
            let mut peer = if we_bind {
                let ep = push.bind("tcp://127.0.0.1:*").await.expect("bind");
                LegacyPeer::connect(&ep, proto, SocketType::Pull, b"", SocketType::Push).await
            } else {
                let (listener, ep) = legacy_listener().await;
                push.connect(&ep).await.expect("connect");
                let stream = accept(&listener).await;
                LegacyPeer::handshake(stream, proto, SocketType::Pull, b"", SocketType::Push).await
            };
            assert_eq!(peer.our_identity, "pusher", "{proto:?}: our ZMQ_ROUTING_ID");
            for i in 0..3 {
                within(
                    "send",
                    push.send(msg(&["part", if i == 2 { "last" } else { "" }])),
                )
                .await
                .expect("send");
            }
            for i in 0..3 {
                let got = peer.message().await;
                let last = if i == 2 { "last" } else { "" };
                assert_eq!(got, msg(&["part", last]), "{proto:?} bind={we_bind}");
            }
            // A body too long for a one-byte length (1.0) or size (2.0).
            let big = Bytes::from(vec![0x5A; 1000]);
            within("send", push.send(Message::single(big.clone())))
                .await
                .expect("send");
            assert_eq!(peer.message().await, Message::single(big));
        }
    }
}

#[tokio::test]
async fn legacy_push_to_pull_both_ways_of_connecting() {
    for proto in PROTOS {
        for we_bind in [true, false] {
            let pull = Pull::new();
            let mut peer = if we_bind {
                let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
                LegacyPeer::connect(&ep, proto, SocketType::Push, b"", SocketType::Pull).await
            } else {
                let (listener, ep) = legacy_listener().await;
                pull.connect(&ep).await.expect("connect");
                let stream = accept(&listener).await;
                LegacyPeer::handshake(stream, proto, SocketType::Push, b"", SocketType::Pull).await
            };
            assert!(peer.our_identity.is_empty());
            peer.send(&msg(&["one"])).await;
            peer.send(&msg(&["two", "", "frames"])).await;
            let big = Bytes::from(vec![0xA5; 70_000]);
            peer.send(&Message::single(big.clone())).await;
            let first = within("a message", pull.recv()).await.expect("recv");
            assert_eq!(first, msg(&["one"]), "{proto:?} bind={we_bind}");
            let second = within("a message", pull.recv()).await.expect("recv");
            assert_eq!(second, msg(&["two", "", "frames"]));
            let third = within("a message", pull.recv()).await.expect("recv");
            assert_eq!(third, Message::single(big));
        }
    }
}

/// The next monitor event, within the limit.
async fn next_event(monitor: &mut Monitor) -> MonitorEvent {
    within("a monitor event", monitor.next())
        .await
        .expect("the monitor is open")
}

#[tokio::test]
async fn router_takes_the_legacy_identity_as_routing_id() {
    for proto in PROTOS {
        let router = Router::new();
        let mut monitor = router.monitor();
        let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
        let mut peer = LegacyPeer::connect(
            &ep,
            proto,
            SocketType::Dealer,
            b"legacy-1",
            SocketType::Router,
        )
        .await;
        peer.send(&msg(&["hello"])).await;
        let got = within("a message", router.recv()).await.expect("recv");
        assert_eq!(got, msg(&["legacy-1", "hello"]), "{proto:?}");
        within("reply", router.send(msg(&["legacy-1", "back", "again"])))
            .await
            .expect("routable");
        assert_eq!(peer.message().await, msg(&["back", "again"]));
        // The identity exchange is reported as the handshake.
        loop {
            match next_event(&mut monitor).await {
                MonitorEvent::HandshakeSucceeded { .. } => break,
                MonitorEvent::Listening { .. } | MonitorEvent::Accepted { .. } => {}
                other => panic!("{proto:?}: unexpected {other}"),
            }
        }
    }
}

#[tokio::test]
async fn dealer_sends_its_routing_id_to_a_legacy_router() {
    for proto in PROTOS {
        let (listener, ep) = legacy_listener().await;
        let dealer =
            Dealer::with_options(SocketOptions::new().identity("dealer-7")).expect("options");
        dealer.connect(&ep).await.expect("connect");
        let stream = accept(&listener).await;
        let mut peer =
            LegacyPeer::handshake(stream, proto, SocketType::Router, b"", SocketType::Dealer).await;
        assert_eq!(peer.our_identity, "dealer-7", "{proto:?}");
        within("send", dealer.send(msg(&["", "request"])))
            .await
            .expect("send");
        assert_eq!(peer.message().await, msg(&["", "request"]));
        peer.send(&msg(&["", "reply"])).await;
        let got = within("a reply", dealer.recv()).await.expect("recv");
        assert_eq!(got, msg(&["", "reply"]));
    }
}

/// Publishes `probe` until the peer receives a message, then returns; the peer's filtering at
/// our PUB is in place from then on.
async fn until_probe_arrives(publisher: &mut Pub, peer: &mut LegacyPeer, probe: &'static str) {
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let first = async {
        let got = peer.message().await;
        let _ = tx.send(());
        got
    };
    let publish = async {
        loop {
            publisher.send(msg(&[probe])).await.expect("publish");
            // Paced, not timed: the loop ends when the probe is seen.
            tokio::select! {
                _ = &mut rx => return,
                _ = tokio::time::sleep(std::time::Duration::from_millis(2)) => {}
            }
        }
    };
    let (got, ()) = within("the probe at the peer", async {
        tokio::join!(first, publish)
    })
    .await;
    assert_eq!(got, msg(&[probe]));
}

/// Reads messages until `last`, returning what came before it (probes left out).
async fn until_message(peer: &mut LegacyPeer, last: &str, probe: &str) -> Vec<Message> {
    let mut before = Vec::new();
    loop {
        let got = peer.message().await;
        if got.frames()[0] == last.as_bytes() {
            return before;
        }
        if got.frames()[0] != probe.as_bytes() {
            before.push(got);
        }
    }
}

#[tokio::test]
async fn pub_sends_everything_to_a_v1_sub_and_filters_for_a_v2_sub() {
    for proto in PROTOS {
        for we_bind in [true, false] {
            let mut publisher = Pub::new();
            let mut peer = if we_bind {
                let ep = publisher.bind("tcp://127.0.0.1:*").await.expect("bind");
                LegacyPeer::connect(&ep, proto, SocketType::Sub, b"", SocketType::Pub).await
            } else {
                let (listener, ep) = legacy_listener().await;
                publisher.connect(&ep).await.expect("connect");
                let stream = accept(&listener).await;
                LegacyPeer::handshake(stream, proto, SocketType::Sub, b"", SocketType::Pub).await
            };
            if proto == Proto::V2 {
                // A 2.0 SUB sends its subscriptions as messages: 01 and the prefix.
                peer.send(&msg(&["\x01a"])).await;
            }
            // A 1.0 SUB sends nothing: the phantom subscription lets everything through.
            until_probe_arrives(&mut publisher, &mut peer, "a-probe").await;
            for topic in ["b-other", "a-match", "a-last"] {
                within("publish", publisher.send(msg(&[topic, "body"])))
                    .await
                    .expect("publish");
            }
            let before = until_message(&mut peer, "a-last", "a-probe").await;
            let expected = match proto {
                Proto::V1 => vec![msg(&["b-other", "body"]), msg(&["a-match", "body"])],
                Proto::V2 => vec![msg(&["a-match", "body"])],
            };
            assert_eq!(before, expected, "{proto:?} bind={we_bind}");
        }
    }
}

#[tokio::test]
async fn sub_subscribes_a_legacy_pub_with_messages() {
    for proto in PROTOS {
        let (listener, ep) = legacy_listener().await;
        let sub = Sub::new();
        sub.subscribe("a").expect("subscribe");
        sub.connect(&ep).await.expect("connect");
        let stream = accept(&listener).await;
        let mut peer =
            LegacyPeer::handshake(stream, proto, SocketType::Pub, b"", SocketType::Sub).await;
        assert_eq!(peer.message().await, msg(&["\x01a"]), "{proto:?}");
        // Our SUB filters what the legacy PUB sends.
        peer.send(&msg(&["b-no"])).await;
        peer.send(&msg(&["a-yes"])).await;
        let got = within("a message", sub.recv()).await.expect("recv");
        assert_eq!(got, msg(&["a-yes"]), "{proto:?}");
        sub.unsubscribe("a").expect("unsubscribe");
        assert_eq!(peer.message().await, msg(&["\x00a"]), "{proto:?}");
    }
}

/// The socket options that put security in force.
fn secured_options() -> Vec<(&'static str, SocketOptions, SocketOptions)> {
    #[allow(unused_mut)] // pushed to with the curve feature
    let mut cases = vec![
        (
            "PLAIN",
            SocketOptions::new().plain_server(true),
            SocketOptions::new()
                .plain_username("admin")
                .plain_password("secret"),
        ),
        (
            "NULL with a ZAP domain",
            SocketOptions::new().zap_domain("global"),
            SocketOptions::new().zap_domain("global"),
        ),
    ];
    #[cfg(feature = "curve")]
    {
        let server = CurveKeyPair::generate();
        let client = CurveKeyPair::generate();
        cases.push((
            "CURVE",
            SocketOptions::new()
                .curve_server(true)
                .curve_secret_key(server.secret().clone()),
            SocketOptions::new()
                .curve_server_key(*server.public())
                .curve_public_key(*client.public())
                .curve_secret_key(client.secret().clone()),
        ));
    }
    cases
}

/// Writes the legacy greeting and identity, then reads until our side closes; returns what it
/// sent.
async fn refused(mut stream: TcpStream, proto: Proto) -> Vec<u8> {
    let greeting: &[u8] = match proto {
        Proto::V1 => b"\x01\x00",
        Proto::V2 => &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x01, 0x08, 0x00, 0x00],
    };
    stream.write_all(greeting).await.expect("write");
    let mut got = Vec::new();
    within(
        "our side closing the connection",
        stream.read_to_end(&mut got),
    )
    .await
    .expect("an orderly close");
    got
}

#[tokio::test]
async fn legacy_peers_are_refused_when_security_is_in_force() {
    for (what, server_options, client_options) in secured_options() {
        for proto in PROTOS {
            // Our bound side refuses an accepted legacy peer.
            let pull = Pull::with_options(server_options.clone()).expect("options");
            let mut monitor = pull.monitor();
            let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
            let stream = within(
                "connect",
                TcpStream::connect(ep.trim_start_matches("tcp://")),
            )
            .await
            .expect("connect");
            let sent = refused(stream, proto).await;
            let greeting_bytes = match proto {
                Proto::V1 => 10,
                Proto::V2 => 11,
            };
            assert_eq!(
                sent.len(),
                greeting_bytes,
                "{what} {proto:?}: only greeting bytes"
            );
            // libzmq: no handshake event for this refusal, only DISCONNECTED.
            loop {
                match next_event(&mut monitor).await {
                    MonitorEvent::Disconnected { .. } => break,
                    MonitorEvent::Listening { .. } | MonitorEvent::Accepted { .. } => {}
                    other => panic!("{what} {proto:?}: unexpected {other}"),
                }
            }

            // Our connecting side refuses a legacy listener.
            let (listener, ep) = legacy_listener().await;
            let push = Push::with_options(client_options.clone()).expect("options");
            push.connect(&ep).await.expect("connect");
            let sent = refused(accept(&listener).await, proto).await;
            assert_eq!(sent.len(), greeting_bytes, "{what} {proto:?} connecting");
        }
    }
}
