//! The same hand-written legacy peer (ZMTP 2.0, versioned 1.0 and unversioned 1.0, from the
//! RFC 13/15 layouts) against the real libzmq 4.3.4 (through the `zmq` crate) and against our
//! sockets: every byte each side sends it must be the same, a ROUTER must take its identity as
//! routing id in both, and both must close on it when a ZAP domain or PLAIN is set, having
//! written no more than the greeting bytes (libzmq may close before flushing them).
//!
//! libzmq sockets are blocking C sockets: they run on `spawn_blocking` threads with SNDTIMEO /
//! RCVTIMEO set. Every wait is bounded and names what it waited for; nothing sleeps to make a
//! test pass. Only 127.0.0.1 and ephemeral ports are used.

mod support;

use std::time::Duration;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zmtp::codec::{Message, SendBuffer};
use zmtp::{Pull, Push, Router, SocketOptions};

use support::{bound_address, millis};

/// The longest anything may take before a test fails (generous: the machine is shared).
const STALL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    V2,
    V1Versioned,
    V1,
}

const PROTOS: [Proto; 3] = [Proto::V2, Proto::V1Versioned, Proto::V1];

/// What the legacy peer writes first: its greeting (if any) and its identity frame.
fn peer_greeting(proto: Proto, socket_type: u8, identity: &[u8]) -> Vec<u8> {
    let mut out = SendBuffer::new();
    let signature = [0xFF, 0, 0, 0, 0, 0, 0, 0, identity.len() as u8 + 1, 0x7F];
    let id = Message::single(Bytes::copy_from_slice(identity));
    match proto {
        Proto::V2 => {
            out.put_raw(&signature);
            out.put_raw(&[0x01, socket_type]);
            out.put_message(&id);
        }
        Proto::V1Versioned => {
            out.put_raw(&signature);
            out.put_raw(&[0x00, socket_type]);
            out.put_message_v1(&id);
        }
        Proto::V1 => out.put_message_v1(&id),
    }
    out.copy_to_bytes(out.remaining()).to_vec()
}

/// `msg` in the peer's framing.
fn framed(proto: Proto, msg: &Message) -> Vec<u8> {
    let mut out = SendBuffer::new();
    match proto {
        Proto::V2 => out.put_message(msg),
        Proto::V1Versioned | Proto::V1 => out.put_message_v1(msg),
    }
    out.copy_to_bytes(out.remaining()).to_vec()
}

async fn connect(addr: &str) -> TcpStream {
    tokio::time::timeout(STALL, TcpStream::connect(addr))
        .await
        .unwrap_or_else(|_| panic!("connect to {addr} within {STALL:?}"))
        .expect("connect")
}

/// Greets as a legacy PULL and reads until `tail` ends what was received: everything the
/// server sent up to and including that message.
async fn pull_transcript(addr: &str, proto: Proto, tail: &[u8]) -> Vec<u8> {
    let mut stream = connect(addr).await;
    stream
        .write_all(&peer_greeting(proto, 7, b"peer"))
        .await
        .expect("write");
    let mut got = Vec::new();
    tokio::time::timeout(STALL, async {
        while !got.ends_with(tail) {
            let n = stream.read_buf(&mut got).await.expect("read");
            assert!(n > 0, "the server closed the connection: {got:02x?}");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{proto:?}: the message within {STALL:?}, got {got:02x?}"));
    got
}

#[tokio::test]
async fn push_writes_what_libzmq_writes_to_legacy_pulls() {
    let msg = Message::from(["hello", "world"]);
    for proto in PROTOS {
        let tail = framed(proto, &msg);

        let ctx = zmq::Context::new();
        let push = ctx.socket(zmq::PUSH).expect("PUSH socket");
        push.set_identity(b"srv").expect("ZMQ_ROUTING_ID");
        push.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        push.set_linger(millis(STALL)).expect("ZMQ_LINGER");
        push.bind("tcp://127.0.0.1:*").expect("bind");
        let addr = bound_address(&push).to_string();
        let sender = tokio::task::spawn_blocking(move || {
            push.send_multipart(["hello", "world"], 0)
                .expect("libzmq sends once the legacy peer is attached");
            push
        });
        let theirs = pull_transcript(&addr, proto, &tail).await;
        drop(sender.await.expect("the libzmq thread"));

        let ours = Push::with_options(SocketOptions::new().identity("srv")).expect("options");
        let ep = ours.bind("tcp://127.0.0.1:*").await.expect("bind");
        let send = ours.send(msg.clone());
        let (mine, sent) = tokio::join!(
            pull_transcript(ep.trim_start_matches("tcp://"), proto, &tail),
            send
        );
        sent.expect("send");
        assert_eq!(mine, theirs, "{proto:?}: our bytes differ from libzmq's");
    }
}

#[tokio::test]
async fn router_takes_the_legacy_identity_like_libzmq() {
    for proto in PROTOS {
        let mut hello = peer_greeting(proto, 5, b"legacy-1");
        hello.extend_from_slice(&framed(proto, &Message::from(["ping"])));

        let ctx = zmq::Context::new();
        let router = ctx.socket(zmq::ROUTER).expect("ROUTER socket");
        router.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        router.bind("tcp://127.0.0.1:*").expect("bind");
        let addr = bound_address(&router).to_string();
        let receiver =
            tokio::task::spawn_blocking(move || router.recv_multipart(0).expect("libzmq receives"));
        let mut stream = connect(&addr).await;
        stream.write_all(&hello).await.expect("write");
        let theirs = tokio::time::timeout(STALL, receiver)
            .await
            .expect("libzmq within the limit")
            .expect("the libzmq thread");
        assert_eq!(
            theirs,
            vec![b"legacy-1".to_vec(), b"ping".to_vec()],
            "{proto:?}"
        );

        let ours = Router::new();
        let ep = ours.bind("tcp://127.0.0.1:*").await.expect("bind");
        let mut stream = connect(ep.trim_start_matches("tcp://")).await;
        stream.write_all(&hello).await.expect("write");
        let got = tokio::time::timeout(STALL, ours.recv())
            .await
            .expect("a message within the limit")
            .expect("recv");
        let got: Vec<Vec<u8>> = got.iter().map(|f| f.to_vec()).collect();
        assert_eq!(got, theirs, "{proto:?}");
    }
}

/// Greets as a legacy peer and reads until the server closes: what it sent before. Only the
/// greeting is written (for 1.0, an empty identity frame): libzmq reads no further before it
/// refuses, and bytes left unread would turn its close into a reset.
async fn refused_transcript(addr: &str, proto: Proto) -> Vec<u8> {
    let mut stream = connect(addr).await;
    let greeting = peer_greeting(proto, 8, b"");
    let greeting_len = match proto {
        Proto::V2 | Proto::V1Versioned => 12,
        Proto::V1 => 2,
    };
    stream
        .write_all(&greeting[..greeting_len])
        .await
        .expect("write");
    let mut got = Vec::new();
    tokio::time::timeout(STALL, stream.read_to_end(&mut got))
        .await
        .unwrap_or_else(|_| panic!("{proto:?}: the server did not close within {STALL:?}"))
        .expect("an orderly close");
    got
}

#[tokio::test]
async fn legacy_peers_are_refused_like_libzmq() {
    for (what, plain) in [("ZAP domain", false), ("PLAIN server", true)] {
        for proto in PROTOS {
            let ctx = zmq::Context::new();
            let pull = ctx.socket(zmq::PULL).expect("PULL socket");
            if plain {
                pull.set_plain_server(true).expect("ZMQ_PLAIN_SERVER");
            } else {
                pull.set_zap_domain("global").expect("ZMQ_ZAP_DOMAIN");
            }
            pull.bind("tcp://127.0.0.1:*").expect("bind");
            let addr = bound_address(&pull).to_string();
            let theirs = refused_transcript(&addr, proto).await;
            drop(pull);

            let options = if plain {
                SocketOptions::new().plain_server(true)
            } else {
                SocketOptions::new().zap_domain("global")
            };
            let ours = Pull::with_options(options).expect("options");
            let ep = ours.bind("tcp://127.0.0.1:*").await.expect("bind");
            let mine = refused_transcript(ep.trim_start_matches("tcp://"), proto).await;
            // libzmq closes as soon as it has seen the legacy greeting, whether or not its own
            // last greeting bytes were flushed yet; we always flush them.
            assert!(
                mine.starts_with(&theirs),
                "{what} {proto:?}: libzmq wrote {theirs:02x?}, we wrote {mine:02x?}"
            );
            let greeting_bytes = if proto == Proto::V1 { 10 } else { 11 };
            assert_eq!(mine.len(), greeting_bytes, "{what} {proto:?}");
            drop(ours);
        }
    }
}
