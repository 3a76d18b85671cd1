//! `ws://` (ZWS 2.0, RFC 45) between our own sockets, and against hostile WebSocket peers
//! (tokio-tungstenite as a raw client): the bytes ZWS 2.0 puts on the wire, and what ends a
//! connection.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use zmtp_socket::{Client, Dealer, Message, Pub, Router, Server, SocketOptions, Sub};

const LIMIT: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what} within {LIMIT:?}"))
}

#[tokio::test]
async fn router_and_dealer_both_ways_either_side_binding() {
    for dealer_binds in [false, true] {
        let router = Router::with_options(SocketOptions::new()).expect("router");
        let dealer = Dealer::with_options(SocketOptions::new().identity("d1")).expect("dealer");
        if dealer_binds {
            let ep = dealer.bind("ws://127.0.0.1:*/zmq").await.expect("bind");
            assert!(
                ep.starts_with("ws://127.0.0.1:") && ep.ends_with("/zmq"),
                "{ep}"
            );
            router.connect(&ep).await.expect("connect");
        } else {
            let ep = router.bind("ws://127.0.0.1:*/zmq").await.expect("bind");
            dealer.connect(&ep).await.expect("connect");
        }
        let big = vec![7u8; 70_000];
        dealer
            .send(Message::from([b"hello".to_vec(), big.clone()]))
            .await
            .expect("send");
        let got = within("the request", router.recv()).await.expect("recv");
        let frames: Vec<&[u8]> = got.iter().map(|f| &f[..]).collect();
        assert_eq!(frames, [&b"d1"[..], b"hello", &big[..]]);
        router
            .send(Message::from(["d1", "world"]))
            .await
            .expect("reply");
        let got = within("the reply", dealer.recv()).await.expect("recv");
        assert_eq!(got, Message::from(["world"]));
    }
}

#[tokio::test]
async fn pub_sub_subscriptions_filter() {
    let publisher = Pub::new();
    let ep = publisher.bind("ws://127.0.0.1:*").await.expect("bind");
    let sub = Sub::new();
    sub.subscribe("a").expect("subscribe");
    sub.connect(&ep).await.expect("connect");
    // Until the subscription arrives nothing is delivered: publish until it is.
    let got = within("a subscribed message", async {
        loop {
            publisher.send("b-filtered").await.expect("send");
            publisher.send("a-kept").await.expect("send");
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(50), sub.recv()).await {
                break m.expect("recv");
            }
        }
    })
    .await;
    assert_eq!(got, Message::from(["a-kept"]));
}

#[tokio::test]
async fn client_and_server() {
    let server = Server::new();
    let ep = server.bind("ws://127.0.0.1:*/").await.expect("bind");
    let client = Client::new();
    client.connect(&ep).await.expect("connect");
    client.send("ping").await.expect("send");
    let (id, got) = within("the request", server.recv_from())
        .await
        .expect("recv");
    assert_eq!(got, Message::from(["ping"]));
    server.send_to(id, "pong").await.expect("send");
    assert_eq!(
        within("the reply", client.recv()).await.expect("recv"),
        Message::from(["pong"])
    );
}

#[cfg(feature = "curve")]
#[tokio::test]
async fn curve_and_plain() {
    use zmtp_security::CurveKeyPair;
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let cases = [
        (
            SocketOptions::new()
                .curve_server(true)
                .curve_secret_key(server_keys.secret().clone()),
            SocketOptions::new()
                .curve_server_key(*server_keys.public())
                .curve_secret_key(client_keys.secret().clone()),
        ),
        (
            SocketOptions::new().plain_server(true),
            SocketOptions::new().plain_username("u").plain_password("p"),
        ),
    ];
    for (i, (bound, connecting)) in cases.into_iter().enumerate() {
        eprintln!("case {i}");
        let router = Router::with_options(bound).expect("router");
        // PLAIN's server asks a ZAP handler (none: refused, as libzmq without one).
        router.set_zap_handler(|_req: zmtp_codec::ZapRequest| async {
            zmtp_codec::ZapReply::accept("u")
        });
        let ep = router.bind("ws://127.0.0.1:*/").await.expect("bind");
        let dealer = Dealer::with_options(connecting.identity("c")).expect("dealer");
        dealer.connect(&ep).await.expect("connect");
        dealer.send("secret").await.expect("send");
        let got = within(&format!("case {i}: the message"), router.recv())
            .await
            .expect("recv");
        assert_eq!(got, Message::from(["c", "secret"]));
    }
}

/// A raw WebSocket client of `ep` offering `protocol`.
async fn raw_client(
    ep: &str,
    protocol: &str,
) -> Result<tokio_tungstenite::WebSocketStream<TcpStream>, tokio_tungstenite::tungstenite::Error> {
    let address = ep.trim_start_matches("ws://");
    let authority = address.split('/').next().expect("authority");
    let tcp = TcpStream::connect(authority).await.expect("tcp connect");
    let mut request = ep.into_client_request().expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_str(protocol).expect("header"),
    );
    tokio_tungstenite::client_async(request, tcp)
        .await
        .map(|(ws, _)| ws)
}

/// What a raw client reads until the connection ends: the binary messages.
async fn read_until_closed(ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>) -> Vec<Vec<u8>> {
    let mut seen = Vec::new();
    within("the connection to be dropped", async {
        while let Some(Ok(message)) = ws.next().await {
            if let WsMessage::Binary(b) = message {
                seen.push(b.to_vec());
            }
        }
    })
    .await;
    seen
}

/// The bytes of ZWS 2.0 as libzmq and jszmq put them: the bare `ZWS2.0` opens with each side's
/// routing id as a message (flags 0), then each frame is a binary message of the flags byte and
/// the body.
#[tokio::test]
async fn bare_zws_exchanges_routing_ids_then_flagged_frames() {
    let router = Router::with_options(SocketOptions::new().identity("R")).expect("router");
    let ep = router.bind("ws://127.0.0.1:*/x").await.expect("bind");
    let mut ws = raw_client(&ep, "ZWS2.0").await.expect("upgrade");
    ws.send(WsMessage::Binary(b"\x00peer".to_vec().into()))
        .await
        .expect("routing id");
    ws.send(WsMessage::Binary(b"\x01a".to_vec().into()))
        .await
        .expect("frame");
    ws.send(WsMessage::Binary(b"\x00b".to_vec().into()))
        .await
        .expect("frame");
    let got = within("the message", router.recv()).await.expect("recv");
    assert_eq!(got, Message::from(["peer", "a", "b"]));
    router
        .send(Message::from(["peer", "x", "y"]))
        .await
        .expect("send");
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match within("a message", ws.next()).await {
            Some(Ok(WsMessage::Binary(b))) => seen.push(b.to_vec()),
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen, [&b"\x00R"[..], b"\x01x", b"\x00y"]);
}

/// A text message, an empty message (no flags byte), a subprotocol of another mechanism and a
/// message over ZMQ_MAXMSGSIZE each end the connection; the socket goes on serving others.
#[tokio::test]
async fn hostile_websocket_peers_are_dropped() {
    let router = Router::with_options(SocketOptions::new().maxmsgsize(Some(100))).expect("router");
    let ep = router.bind("ws://127.0.0.1:*/").await.expect("bind");

    // A subprotocol of another mechanism (or none of ZWS 2.0) is refused at the upgrade.
    for protocol in ["ZWS2.0/CURVE", "chat"] {
        let refused = raw_client(&ep, protocol).await;
        assert!(refused.is_err(), "{protocol}: {refused:?}");
    }

    let hostile: [WsMessage; 3] = [
        WsMessage::Text("\u{0}hello".into()),
        WsMessage::Binary(Vec::new().into()),
        WsMessage::Binary(vec![0u8; 102].into()),
    ];
    for message in hostile {
        let mut ws = raw_client(&ep, "ZWS2.0").await.expect("upgrade");
        ws.send(WsMessage::Binary(b"\x00id".to_vec().into()))
            .await
            .expect("routing id");
        let what = format!("{message:?}");
        let _ = ws.send(message).await;
        let seen = read_until_closed(&mut ws).await;
        assert!(seen.len() <= 1, "{what}: only the routing id: {seen:?}");
    }

    // A well-behaved peer still gets through, with a message at the limit.
    let mut ws = raw_client(&ep, "ZWS2.0/NULL, ZWS2.0")
        .await
        .expect("upgrade");
    // ZWS2.0/NULL: READY both ways, as commands.
    let ready = b"\x02\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x02ok";
    ws.send(WsMessage::Binary(ready.to_vec().into()))
        .await
        .expect("ready");
    let mut at_limit = vec![0u8];
    at_limit.extend_from_slice(&[5u8; 100]);
    ws.send(WsMessage::Binary(at_limit.into()))
        .await
        .expect("message");
    let got = within("the message", router.recv()).await.expect("recv");
    assert_eq!(got, Message::from([&b"ok"[..], &[5u8; 100][..]]));
}

/// A frame the WebSocket protocol forbids (a reserved opcode), and the header of a 1 GiB frame
/// over ZMQ_MAXMSGSIZE (refused at its header, before any of it is read or stored) end the
/// connection.
#[tokio::test]
async fn malformed_and_oversize_websocket_frames_end_the_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let router = Router::with_options(SocketOptions::new().maxmsgsize(Some(100))).expect("router");
    let ep = router.bind("ws://127.0.0.1:*/").await.expect("bind");
    // Masked (a client's frames are), FIN set: a reserved opcode (0xB); a binary frame of 2^30
    // bytes of which only 4 are sent.
    let reserved: &[u8] = &[0x8B, 0x80, 1, 2, 3, 4];
    let mut huge = vec![0x82, 0xFF];
    huge.extend_from_slice(&(1u64 << 30).to_be_bytes());
    huge.extend_from_slice(&[1, 2, 3, 4, 0, 0, 0, 0]);
    for bad in [reserved, &huge[..]] {
        let ws = raw_client(&ep, "ZWS2.0").await.expect("upgrade");
        let mut tcp = ws.into_inner();
        tcp.write_all(bad).await.expect("write");
        let mut buf = [0u8; 256];
        within("the connection to be dropped", async {
            loop {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
    }
}

/// ZMQ_HANDSHAKE_IVL covers the HTTP upgrade: a tcp client that never sends its request is
/// dropped.
#[tokio::test]
async fn handshake_ivl_drops_a_client_that_never_upgrades() {
    use tokio::io::AsyncReadExt;
    let router =
        Router::with_options(SocketOptions::new().handshake_ivl(Some(Duration::from_millis(200))))
            .expect("router");
    let ep = router.bind("ws://127.0.0.1:*/").await.expect("bind");
    let authority = ep
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .expect("authority");
    let mut silent = TcpStream::connect(authority).await.expect("connect");
    let mut buf = [0u8; 16];
    let n = within("the silent client to be dropped", silent.read(&mut buf))
        .await
        .unwrap_or(0);
    assert_eq!(n, 0, "nothing is sent before the upgrade request");
}

/// ZMQ_TCP_ACCEPT_FILTER applies to ws:// as to tcp://: a peer outside the filters is closed
/// before the upgrade; one inside upgrades.
#[tokio::test]
async fn tcp_accept_filters_apply_to_ws() {
    for (filter, admitted) in [("10.0.0.0/8", false), ("127.0.0.0/8", true)] {
        let router =
            Router::with_options(SocketOptions::new().tcp_accept_filter(filter)).expect("router");
        let ep = router.bind("ws://127.0.0.1:*/").await.expect("bind");
        let upgraded = within("the upgrade or its refusal", raw_client(&ep, "ZWS2.0")).await;
        assert_eq!(upgraded.is_ok(), admitted, "{filter}: {upgraded:?}");
    }
}

/// A STREAM socket speaks raw bytes, which ws:// does not carry: binding or connecting it to a
/// ws:// endpoint is refused.
#[tokio::test]
async fn a_stream_socket_refuses_ws() {
    let stream = zmtp_socket::StreamSocket::new();
    assert!(matches!(
        stream.bind("ws://127.0.0.1:*/").await,
        Err(zmtp_socket::Error::InvalidArgument(_))
    ));
    assert!(matches!(
        stream.connect("ws://127.0.0.1:1/").await,
        Err(zmtp_socket::Error::InvalidArgument(_))
    ));
}

/// ZMQ_HEARTBEAT_IVL and ZMQ_HEARTBEAT_TIMEOUT over ws:// are WebSocket PINGs, as libzmq's ws
/// engine sends them: a peer that answers them (tungstenite does, as it reads) stays; one that
/// stops reading, and so answering, is dropped.
#[tokio::test]
async fn heartbeats_are_websocket_pings_and_a_silent_peer_is_dropped() {
    use tokio::io::AsyncReadExt;
    let router = Router::with_options(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(50)))
            .heartbeat_timeout(Some(Duration::from_millis(200))),
    )
    .expect("router");
    let ep = router.bind("ws://127.0.0.1:*/").await.expect("bind");
    let mut ws = raw_client(&ep, "ZWS2.0").await.expect("upgrade");
    ws.send(WsMessage::Binary(b"\x00peer".to_vec().into()))
        .await
        .expect("routing id");
    // Pings keep coming while this side answers them (each read flushes tungstenite's PONG):
    // more of them than one timeout's worth, and the connection still carries a message.
    let mut pings = 0;
    while pings < 10 {
        match within("a PING", ws.next()).await {
            Some(Ok(WsMessage::Ping(_))) => pings += 1,
            Some(Ok(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    ws.send(WsMessage::Binary(b"\x00still here".to_vec().into()))
        .await
        .expect("send");
    let got = within("the message", router.recv()).await.expect("recv");
    assert_eq!(got, Message::from(["peer", "still here"]));
    // Now silent at the WebSocket level: raw bytes are read, no PONG goes back.
    let mut tcp = ws.into_inner();
    let mut buf = [0u8; 256];
    within("the silent peer to be dropped", async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}
