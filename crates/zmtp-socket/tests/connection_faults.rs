//! Connections that fail, stall or misbehave: libzmq's test_reconnect_ivl, test_stream_timeout
//! (`ZMQ_HANDSHAKE_IVL`), test_heartbeats over ipc, and a garbage-speaking client in the
//! spirit of its bind fuzzers.
//!
//! - reconnect (tcp, ipc): a connecting PUSH whose PULL goes away and is bound again at the same
//!   port or path reconnects by itself, and traffic resumes; with `ZMQ_RECONNECT_IVL` -1 it
//!   does not: its queue leaves the rotation once the connection is lost;
//! - `ZMQ_HANDSHAKE_IVL` (tcp, ipc): a raw stream that connects to a bound socket and says
//!   nothing is closed by our side after the interval (not before), while a real peer is
//!   served;
//! - heartbeats over ipc: a peer that completes the handshake and then never answers a PING is
//!   dropped, and the socket reconnects (tcp is in `heartbeat_drop.rs`);
//! - garbage over tcp to a bound PULL and a bound ROUTER: an HTTP request, random bytes, a valid
//!   greeting and READY followed by a malformed frame, and a frame over `ZMQ_MAXMSGSIZE`; each
//!   junk connection is closed by our side, and a well-behaved PUSH or DEALER connected at the
//!   same time gets its messages through before and after.
//!
//! Every wait is bounded, conditions are awaited (a stream read returning 0 or an error is "our
//! side closed it"), and elapsed time is only ever checked as a lower bound.

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zmtp_socket::{Dealer, Error, Message, Pull, Push, Router, SocketOptions};

use common::raw::{greeting_and_ready, noise, until_closed};
use common::{assert_waited, connected, eventually, msg, within};

// ---------------------------------------------------------------------------------------------
// Raw-stream helpers.

/// What garbage clients send.
fn junk(peer_type: &str) -> Vec<(&'static str, Vec<u8>)> {
    let mut malformed = greeting_and_ready(peer_type);
    // A frame with both COMMAND and MORE set, which ZMTP forbids.
    malformed.extend_from_slice(&[0x05, 0x01, b'x']);
    let mut oversized = greeting_and_ready(peer_type);
    // A long message frame announcing 1 MB, far over ZMQ_MAXMSGSIZE (1000).
    oversized.push(0x02);
    oversized.extend_from_slice(&(1u64 << 20).to_be_bytes());
    oversized.extend_from_slice(&[0u8; 64]);
    vec![
        (
            "an HTTP request",
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
        ),
        ("random bytes", noise(4096, 0x9E37_79B9_7F4A_7C15)),
        ("a malformed frame after the handshake", malformed),
        ("a frame over ZMQ_MAXMSGSIZE", oversized),
    ]
}

/// Connects a raw tcp stream to `ep`, writes `bytes`, and waits for our side to close it.
async fn garbage_is_closed(ep: &str, what: &str, bytes: &[u8]) {
    let addr = ep.strip_prefix("tcp://").expect("a tcp endpoint");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("raw connect");
    // Our side may close before all is written: a failed write is fine.
    let _ = stream.write_all(bytes).await;
    until_closed(&mut stream, &format!("{what}: our side closing the stream")).await;
}

// ---------------------------------------------------------------------------------------------
// Garbage clients.

#[tokio::test]
async fn garbage_to_a_pull_is_dropped_and_real_peers_are_still_served() {
    let pull = Pull::with_options(SocketOptions::new().maxmsgsize(Some(1000))).expect("options");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::new();
    push.connect(&ep).await.expect("connect");
    for (i, (what, bytes)) in junk("PUSH").into_iter().enumerate() {
        push.send(format!("before {i}")).await.expect("send");
        assert_eq!(
            within("the real peer's message", pull.recv())
                .await
                .expect("recv"),
            Message::from([format!("before {i}")])
        );
        garbage_is_closed(&ep, what, &bytes).await;
        push.send(format!("after {i}")).await.expect("send");
        assert_eq!(
            within("the real peer's message after the junk", pull.recv())
                .await
                .expect("recv"),
            Message::from([format!("after {i}")]),
            "nothing from the junk connection came through ({what})"
        );
    }
    // A new well-behaved peer still gets in.
    let late = Push::new();
    late.connect(&ep).await.expect("connect");
    late.send("late").await.expect("send");
    assert_eq!(
        within("a new peer", pull.recv()).await.expect("recv"),
        msg(&["late"])
    );
}

#[tokio::test]
async fn garbage_to_a_router_is_dropped_and_real_peers_are_still_served() {
    let router =
        Router::with_options(SocketOptions::new().maxmsgsize(Some(1000))).expect("options");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let dealer = Dealer::with_options(SocketOptions::new().identity("D")).expect("options");
    dealer.connect(&ep).await.expect("connect");
    for (i, (what, bytes)) in junk("DEALER").into_iter().enumerate() {
        dealer.send(format!("before {i}")).await.expect("send");
        assert_eq!(
            within("the dealer's message", router.recv())
                .await
                .expect("recv"),
            Message::from(["D".to_string(), format!("before {i}")])
        );
        garbage_is_closed(&ep, what, &bytes).await;
        dealer.send(format!("after {i}")).await.expect("send");
        assert_eq!(
            within("the dealer's message after the junk", router.recv())
                .await
                .expect("recv"),
            Message::from(["D".to_string(), format!("after {i}")]),
            "nothing from the junk connection came through ({what})"
        );
        router
            .send(Message::from(["D".to_string(), format!("reply {i}")]))
            .await
            .expect("send");
        assert_eq!(
            within("the reply", dealer.recv()).await.expect("recv"),
            Message::from([format!("reply {i}")])
        );
    }
}

// ---------------------------------------------------------------------------------------------
// ZMQ_HANDSHAKE_IVL

#[tokio::test]
async fn handshake_ivl_drops_a_silent_tcp_client() {
    let ivl = Duration::from_millis(200);
    let mut pull =
        Pull::with_options(SocketOptions::new().handshake_ivl(Some(ivl))).expect("options");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr = ep.strip_prefix("tcp://").expect("tcp");
    let start = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let greeting = until_closed(&mut silent, "the silent client dropped").await;
    assert_waited(start, ivl, "ZMQ_HANDSHAKE_IVL");
    assert!(greeting > 0, "our side sent its greeting first");
    served_after(&mut pull, &ep).await;
}

#[tokio::test]
async fn handshake_ivl_drops_a_silent_ipc_client() {
    let ivl = Duration::from_millis(200);
    let mut pull =
        Pull::with_options(SocketOptions::new().handshake_ivl(Some(ivl))).expect("options");
    let ep = pull.bind("ipc://*").await.expect("bind");
    let path = ep.strip_prefix("ipc://").expect("ipc");
    let start = Instant::now();
    let mut silent = tokio::net::UnixStream::connect(path)
        .await
        .expect("connect");
    until_closed(&mut silent, "the silent client dropped").await;
    assert_waited(start, ivl, "ZMQ_HANDSHAKE_IVL");
    served_after(&mut pull, &ep).await;
}

/// A real PUSH connected to `ep` gets a message to `pull`.
async fn served_after(pull: &mut Pull, ep: &str) {
    let push = Push::new();
    push.connect(ep).await.expect("connect");
    push.send("real").await.expect("send");
    assert_eq!(
        within("a real peer", pull.recv()).await.expect("recv"),
        msg(&["real"])
    );
}

// ---------------------------------------------------------------------------------------------
// Heartbeats over ipc

#[tokio::test]
async fn heartbeats_drop_a_silent_ipc_peer_and_the_socket_reconnects() {
    let path = common::fresh_ipc_path();
    let listener = tokio::net::UnixListener::bind(&path).expect("bind");
    let push = Push::with_options(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(50)))
            .heartbeat_timeout(Some(Duration::from_millis(200))),
    )
    .expect("options");
    push.connect(&format!("ipc://{}", path.display()))
        .await
        .expect("connect");
    let (mut first, _) = within("the first connection", listener.accept())
        .await
        .expect("accept");
    first
        .write_all(&greeting_and_ready("PULL"))
        .await
        .expect("write greeting and READY");
    // Our socket PINGs, hears nothing back, and closes the stream.
    let mut seen = Vec::new();
    within("the silent peer dropped", async {
        let mut buf = vec![0u8; 4096];
        loop {
            match first.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        seen.windows(5).any(|w| w == b"\x04PING"),
        "PINGs were sent before giving up"
    );
    within("the socket reconnects", listener.accept())
        .await
        .expect("accept");
    let _ = std::fs::remove_file(&path);
}

// ---------------------------------------------------------------------------------------------
// test_reconnect_ivl

/// Binds a PULL at `ep`, retrying while the port of a socket just dropped is still held (its
/// listener closes on the I/O thread, shortly after the drop).
async fn rebind(ep: &str) -> Pull {
    let pull = Pull::new();
    within("the endpoint to be free again", async {
        loop {
            match pull.bind(ep).await {
                Ok(_) => return,
                Err(Error::Io { .. }) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(e) => panic!("bind {ep}: {e}"),
            }
        }
    })
    .await;
    pull
}

async fn reconnects_and_traffic_resumes(ep: &str) {
    let mut pull = Pull::new();
    pull.bind(ep).await.expect("bind");
    let mut push =
        Push::with_options(SocketOptions::new().reconnect_ivl(Some(Duration::from_millis(20))))
            .expect("options");
    push.connect(ep).await.expect("connect");
    connected(&mut push, &mut pull, "the first connection").await;
    drop(pull);
    let mut again = rebind(ep).await;
    connected(&mut push, &mut again, "the reconnection").await;
    push.send("resumed").await.expect("send");
    assert_eq!(
        common::recv_data(&mut again, "traffic after the reconnect").await,
        msg(&["resumed"])
    );
}

#[tokio::test]
async fn reconnect_ivl_tcp_reconnects_to_the_same_port() {
    let ep = common::unbound_endpoint("tcp");
    reconnects_and_traffic_resumes(&ep).await;
}

#[tokio::test]
async fn reconnect_ivl_ipc_reconnects_to_the_same_path() {
    let ep = common::unbound_endpoint("ipc");
    reconnects_and_traffic_resumes(&ep).await;
}

async fn no_reconnect_with_ivl_minus_one(ep: &str) {
    let mut pull = Pull::new();
    pull.bind(ep).await.expect("bind");
    let mut push = Push::with_options(SocketOptions::new().reconnect_ivl(None)).expect("options");
    push.connect(ep).await.expect("connect");
    connected(&mut push, &mut pull, "the connection").await;
    drop(pull);
    // The connection is not remade: its pipe goes, and with it the only peer.
    eventually("the lost connection's queue to go", || {
        matches!(push.try_send("x"), Err(Error::WouldBlock))
    })
    .await;
    let _again = rebind(ep).await;
    assert!(
        matches!(push.try_send("x"), Err(Error::WouldBlock)),
        "no reconnect to the new listener"
    );
}

#[tokio::test]
async fn reconnect_ivl_minus_one_tcp_does_not_reconnect() {
    no_reconnect_with_ivl_minus_one(&common::unbound_endpoint("tcp")).await;
}

#[tokio::test]
async fn reconnect_ivl_minus_one_ipc_does_not_reconnect() {
    no_reconnect_with_ivl_minus_one(&common::unbound_endpoint("ipc")).await;
}
