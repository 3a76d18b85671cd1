//! Our PUB and SUB against a raw tcp peer that speaks ZMTP by hand (libzmq's test_mock_pub_sub):
//! the peer writes its 64-byte NULL greeting itself, with minor version 1 (ZMTP 3.1) or 0
//! (ZMTP 3.0), then READY, and reads our frames with the codec's frame decoder.
//!
//! - raw SUB, our PUB: a 3.1 peer subscribes with a SUBSCRIBE command and cancels with CANCEL, a
//!   3.0 peer with a message of 0x01 (0x00) and the prefix; our PUB accepts both forms, sends
//!   only what matches, and stops sending what was cancelled;
//! - raw PUB, our SUB: our SUB's subscription and its cancel reach a 3.1 peer as SUBSCRIBE and
//!   CANCEL commands, a 3.0 peer as 0x01- and 0x00-prefixed messages; what the peer publishes
//!   is filtered by our SUB.
//!
//! Every wait is bounded (`common::LIMIT`) and is on a condition: a subscription has reached our
//! PUB once a probe it publishes in a loop reaches the peer; the absence of a message is shown
//! by a later one on the same connection arriving first.

mod common;

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zmtp_codec::greeting::GreetingWriter;
use zmtp_codec::{Command, Frame, FrameDecoder, MechanismName, Message, Metadata, SendBuffer};
use zmtp_socket::{Pub, Sub};

use common::within;

/// Where the minor version is in a greeting.
const MINOR_AT: usize = 11;
const GREETING_LEN: usize = 64;

/// A ZMTP peer written by hand over a tcp stream.
struct RawPeer {
    stream: TcpStream,
    buf: BytesMut,
    decoder: FrameDecoder,
}

impl RawPeer {
    /// Greets with ZMTP 3.`minor` and the NULL mechanism, sends READY as `socket_type`, reads our
    /// side's greeting (ZMTP 3.1, NULL) and READY (as `peer_type`).
    async fn handshake(
        mut stream: TcpStream,
        minor: u8,
        socket_type: &str,
        peer_type: &str,
    ) -> RawPeer {
        let mut greeting = *GreetingWriter::new(MechanismName::NULL, 0).as_bytes();
        greeting[MINOR_AT] = minor;
        let mut md = Metadata::new();
        md.insert("Socket-Type", socket_type.to_owned())
            .expect("valid");
        let mut out = SendBuffer::new();
        out.put_raw(&greeting);
        out.put_command(&Command::Ready(md));
        let bytes = out.copy_to_bytes(out.remaining());
        stream.write_all(&bytes).await.expect("write the greeting");

        let mut theirs = [0u8; GREETING_LEN];
        within("our side's greeting", stream.read_exact(&mut theirs))
            .await
            .expect("read the greeting");
        assert_eq!(theirs[0], 0xFF, "signature");
        assert_eq!(theirs[9] & 1, 1, "signature end");
        assert_eq!(theirs[10], 3, "major version");
        assert_eq!(theirs[MINOR_AT], 1, "we speak ZMTP 3.1");
        assert_eq!(&theirs[12..16], b"NULL", "mechanism");
        let mut peer = RawPeer {
            stream,
            buf: BytesMut::new(),
            decoder: FrameDecoder::new(None),
        };
        let ready = peer.frame("our READY").await;
        assert!(ready.command, "READY is a command");
        match Command::parse(ready.body).expect("a command") {
            Command::Ready(md) => assert_eq!(
                md.get("Socket-Type").map(|v| &v[..]),
                Some(peer_type.as_bytes()),
                "our socket type"
            ),
            other => panic!("READY expected, got {other:?}"),
        }
        peer
    }

    /// The next frame, if one comes within `wait` (cancel-safe: a partial read stays buffered).
    async fn frame_within(&mut self, wait: Duration) -> Option<Frame> {
        tokio::time::timeout(wait, async {
            loop {
                if let Some(frame) = self.decoder.decode(&mut self.buf).expect("a valid frame") {
                    return frame;
                }
                let n = self.stream.read_buf(&mut self.buf).await.expect("read");
                assert!(n > 0, "our side closed the connection");
            }
        })
        .await
        .ok()
    }

    /// The next frame, within the limit.
    async fn frame(&mut self, what: &str) -> Frame {
        match self.frame_within(common::LIMIT).await {
            Some(frame) => frame,
            None => panic!("{what}: not within {:?}", common::LIMIT),
        }
    }

    /// The next one-frame message (commands such as PING are skipped).
    async fn message(&mut self, what: &str) -> Bytes {
        loop {
            let frame = self.frame(what).await;
            if !frame.command {
                assert!(!frame.more, "{what}: one frame");
                return frame.body;
            }
        }
    }

    async fn send_raw(&mut self, out: &mut SendBuffer) {
        let bytes = out.copy_to_bytes(out.remaining());
        self.stream.write_all(&bytes).await.expect("write");
    }

    /// Subscribes (or cancels) as a ZMTP 3.`minor` SUB does: a command for 3.1, a message for 3.0.
    async fn subscription(&mut self, minor: u8, subscribe: bool, prefix: &[u8]) {
        let mut out = SendBuffer::new();
        if minor >= 1 {
            let prefix = Bytes::copy_from_slice(prefix);
            out.put_command(&if subscribe {
                Command::Subscribe(prefix)
            } else {
                Command::Cancel(prefix)
            });
        } else {
            let mut body = vec![u8::from(subscribe)];
            body.extend_from_slice(prefix);
            out.put_message(&Message::single(body));
        }
        self.send_raw(&mut out).await;
    }

    async fn publish(&mut self, topic: &str) {
        let mut out = SendBuffer::new();
        out.put_message(&Message::single(topic.to_owned()));
        self.send_raw(&mut out).await;
    }
}

/// Publishes `probe` on `publisher` until the raw peer receives it.
async fn until_peer_subscribed(publisher: &mut Pub, peer: &mut RawPeer, probe: &str) {
    within(&format!("{probe} to reach the raw subscriber"), async {
        loop {
            publisher
                .send(Message::single(probe.to_owned()))
                .await
                .expect("probe");
            if let Some(frame) = peer.frame_within(Duration::from_millis(50)).await {
                if !frame.command && &frame.body[..] == probe.as_bytes() {
                    return;
                }
            }
        }
    })
    .await;
}

/// The next message the peer receives that is not a probe (`*.probe`).
async fn next_data(peer: &mut RawPeer, what: &str) -> Bytes {
    loop {
        let body = peer.message(what).await;
        if !body.ends_with(b".probe") {
            return body;
        }
    }
}

/// A raw SUB of ZMTP 3.`minor` subscribes to our PUB, gets what matches, cancels.
async fn raw_sub_to_our_pub(minor: u8) {
    let mut publisher = Pub::new();
    let ep = publisher.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr = ep.strip_prefix("tcp://").expect("tcp");
    let stream = TcpStream::connect(addr).await.expect("raw connect");
    let mut peer = RawPeer::handshake(stream, minor, "SUB", "PUB").await;
    peer.subscription(minor, true, b"topic").await;
    until_peer_subscribed(&mut publisher, &mut peer, "topic.probe").await;
    for topic in ["other", "topic.1"] {
        publisher.send(Message::single(topic)).await.expect("send");
    }
    assert_eq!(
        &next_data(&mut peer, "the matching message").await[..],
        b"topic.1",
        "only what matches is sent (other, sent first, is not)"
    );
    peer.subscription(minor, false, b"topic").await;
    // Behind the cancel on the same connection: once the fence's probe comes, it is applied.
    peer.subscription(minor, true, b"fence").await;
    until_peer_subscribed(&mut publisher, &mut peer, "fence.probe").await;
    for topic in ["topic.2", "fence.end"] {
        publisher.send(Message::single(topic)).await.expect("send");
    }
    assert_eq!(
        &next_data(&mut peer, "after the cancel").await[..],
        b"fence.end",
        "the cancelled prefix is no longer sent"
    );
}

#[tokio::test]
async fn raw_sub_zmtp31_subscribes_with_a_command() {
    raw_sub_to_our_pub(1).await;
}

#[tokio::test]
async fn raw_sub_zmtp30_subscribes_with_a_message() {
    raw_sub_to_our_pub(0).await;
}

/// Our SUB connects to a raw PUB of ZMTP 3.`minor`: the subscription and its cancel arrive in
/// the form of that version; what the peer publishes is filtered.
async fn our_sub_to_raw_pub(minor: u8) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let addr = listener.local_addr().expect("address");
    let sub = Sub::new();
    sub.subscribe("news").expect("subscribe");
    sub.connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    let (stream, _) = within("our SUB's connection", listener.accept())
        .await
        .expect("accept");
    let mut peer = RawPeer::handshake(stream, minor, "PUB", "SUB").await;

    let expect = |frame: Frame, subscribe: bool| {
        if minor >= 1 {
            assert!(frame.command, "a command for ZMTP 3.1: {frame:?}");
            let command = Command::parse(frame.body).expect("a command");
            let want = if subscribe {
                Command::Subscribe(Bytes::from_static(b"news"))
            } else {
                Command::Cancel(Bytes::from_static(b"news"))
            };
            assert_eq!(command, want);
        } else {
            assert!(!frame.command, "a message for ZMTP 3.0: {frame:?}");
            assert!(!frame.more, "one frame");
            let want: &[u8] = if subscribe { b"\x01news" } else { b"\x00news" };
            assert_eq!(&frame.body[..], want);
        }
    };
    expect(peer.frame("the subscription").await, true);

    for topic in ["news.1", "sport", "news.2"] {
        peer.publish(topic).await;
    }
    for want in ["news.1", "news.2"] {
        let got = within("a published message", sub.recv())
            .await
            .expect("recv");
        assert_eq!(got, Message::single(want), "sport is filtered out");
    }

    sub.unsubscribe("news").expect("unsubscribe");
    expect(peer.frame("the cancel").await, false);
}

#[tokio::test]
async fn our_sub_to_a_zmtp31_pub_sends_commands() {
    our_sub_to_raw_pub(1).await;
}

#[tokio::test]
async fn our_sub_to_a_zmtp30_pub_sends_messages() {
    our_sub_to_raw_pub(0).await;
}
