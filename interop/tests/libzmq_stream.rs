//! Our STREAM socket against libzmq 4.3's STREAM: raw bytes both ways with no ZMTP byte on the
//! wire, the connect and disconnect notifications (`ZMQ_STREAM_NOTIFY`) on each side, and a
//! connection closed by an empty frame.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::{bound_address, millis};
use tokio::sync::oneshot;
use zmtp::socket::{Message, StreamSocket};

const STALL: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STALL, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {STALL:?}"))
}

async fn join<T>(what: &str, handle: tokio::task::JoinHandle<T>) -> T {
    match within(what, handle).await {
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("{what} failed: {e}"),
        Ok(v) => v,
    }
}

fn libzmq_stream(ctx: &zmq::Context) -> zmq::Socket {
    let s = ctx.socket(zmq::STREAM).expect("socket");
    s.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
    s.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
    s.set_linger(1000).expect("ZMQ_LINGER");
    s
}

/// libzmq's next STREAM message: (routing id, data).
fn libzmq_next(s: &zmq::Socket) -> (Vec<u8>, Vec<u8>) {
    let parts = s.recv_multipart(0).expect("a libzmq message");
    assert_eq!(parts.len(), 2, "[routing id, data]");
    (parts[0].clone(), parts[1].clone())
}

async fn next(socket: &mut StreamSocket) -> (Bytes, Bytes) {
    let msg = within("a message", socket.recv()).await.expect("recv");
    assert_eq!(msg.len(), 2);
    (msg.frames()[0].clone(), msg.frames()[1].clone())
}

#[tokio::test]
async fn libzmq_stream_client_and_our_stream_server_exchange_raw_bytes() {
    let mut server = StreamSocket::new();
    let ep = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let client = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let s = libzmq_stream(&ctx);
        s.connect(&ep).expect("connect");
        let (id, data) = libzmq_next(&s);
        assert!(data.is_empty(), "libzmq announces its connection");
        s.send(&id, zmq::SNDMORE).expect("id");
        s.send(&b"hello"[..], 0).expect("data");
        let mut answer = Vec::new();
        while answer.len() < 5 {
            let (from, data) = libzmq_next(&s);
            assert_eq!(from, id);
            assert!(!data.is_empty(), "the answer before the close");
            answer.extend_from_slice(&data);
        }
        let (from, data) = libzmq_next(&s);
        assert_eq!((from, data.len()), (id, 0), "libzmq sees our close");
        answer
    });
    let (id, data) = next(&mut server).await;
    assert!(data.is_empty(), "we announce the connection");
    let mut got = Vec::new();
    while got.len() < 5 {
        let (from, data) = next(&mut server).await;
        assert_eq!(from, id);
        got.extend_from_slice(&data);
    }
    assert_eq!(got, b"hello", "raw bytes: no greeting from libzmq's STREAM");
    server
        .send(Message::from([id.clone(), Bytes::from_static(b"world")]))
        .await
        .expect("answer");
    server
        .send(Message::from([id, Bytes::new()]))
        .await
        .expect("close");
    assert_eq!(join("libzmq's client", client).await, b"world");
}

#[tokio::test]
async fn our_stream_client_and_libzmq_stream_server_exchange_raw_bytes() {
    let (tx, rx) = oneshot::channel::<String>();
    let server = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let s = libzmq_stream(&ctx);
        s.bind("tcp://127.0.0.1:*").expect("bind");
        tx.send(format!("tcp://{}", bound_address(&s)))
            .expect("test waits");
        let (id, data) = libzmq_next(&s);
        assert!(data.is_empty(), "libzmq announces the connection");
        let mut got = Vec::new();
        while got.len() < 4 {
            let (from, data) = libzmq_next(&s);
            assert_eq!(from, id);
            got.extend_from_slice(&data);
        }
        s.send(&id, zmq::SNDMORE).expect("id");
        s.send(&b"pong"[..], 0).expect("data");
        s.send(&id, zmq::SNDMORE).expect("id");
        s.send(&b""[..], 0).expect("close");
        got
    });
    let ep = within("libzmq's address", rx).await.expect("sent");
    let mut client = StreamSocket::new();
    client.connect(&ep).await.expect("connect");
    let (id, data) = next(&mut client).await;
    assert!(data.is_empty(), "we announce the connection");
    client
        .send(Message::from([id.clone(), Bytes::from_static(b"ping")]))
        .await
        .expect("send");
    let mut answer = Vec::new();
    loop {
        let (from, data) = next(&mut client).await;
        assert_eq!(from, id);
        if data.is_empty() {
            break;
        }
        answer.extend_from_slice(&data);
    }
    assert_eq!(
        answer, b"pong",
        "then libzmq's close reaches us as [id, empty]"
    );
    assert_eq!(join("libzmq's server", server).await, b"ping");
}
