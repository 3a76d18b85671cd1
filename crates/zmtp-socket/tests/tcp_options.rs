//! The TCP options on real sockets (the kernel read-back is in `transport::tcp_tuning`'s unit
//! tests): `ZMQ_IPV6` dual-stack binds reached over IPv4 and IPv6, and sockets with every TCP
//! option set carrying traffic both ways.

use std::time::Duration;

use zmtp_socket::{Dealer, Message, Router, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);

/// The client's message reaches the ROUTER, which sends it back to that client.
async fn round_trip(server: &mut Router, client: &mut Dealer, text: &str) {
    client
        .send(Message::single(text.to_owned()))
        .await
        .expect("send");
    let got = tokio::time::timeout(LIMIT, server.recv())
        .await
        .expect("within the limit")
        .expect("recv");
    assert_eq!(got.frames()[1], text.as_bytes());
    server.send(got).await.expect("echo");
    let back = tokio::time::timeout(LIMIT, client.recv())
        .await
        .expect("within the limit")
        .expect("recv");
    assert_eq!(back, Message::single(text.to_owned()));
}

#[tokio::test]
async fn an_ipv6_wildcard_bind_serves_ipv4_and_ipv6_clients() {
    let mut server = Router::with_options(SocketOptions::new().ipv6(true)).expect("server");
    let ep = server.bind("tcp://*:*").await.expect("bind");
    assert!(ep.starts_with("tcp://[::]:"), "the IPv6 wildcard: {ep}");
    let port = ep.rsplit(':').next().expect("port");
    let mut v4 = Dealer::new();
    v4.connect(&format!("tcp://127.0.0.1:{port}"))
        .await
        .expect("connect over IPv4");
    round_trip(&mut server, &mut v4, "over IPv4").await;
    let mut v6 = Dealer::with_options(SocketOptions::new().ipv6(true)).expect("client");
    v6.connect(&format!("tcp://[::1]:{port}"))
        .await
        .expect("connect over IPv6");
    round_trip(&mut server, &mut v6, "over IPv6").await;
}

#[tokio::test]
async fn without_ipv6_a_wildcard_bind_is_ipv4() {
    let server = Router::new();
    let ep = server.bind("tcp://*:*").await.expect("bind");
    assert!(ep.starts_with("tcp://0.0.0.0:"), "{ep}");
}

#[tokio::test]
async fn every_tcp_option_set_and_traffic_flows() {
    let tuned = || {
        SocketOptions::new()
            .sndbuf(Some(128 * 1024))
            .rcvbuf(Some(128 * 1024))
            .backlog(16)
            .tos(0x10)
            .tcp_keepalive(Some(true))
            .tcp_keepalive_cnt(Some(3))
            .tcp_keepalive_idle(Some(60))
            .tcp_keepalive_intvl(Some(5))
            .tcp_maxrt(Some(Duration::from_secs(10)))
    };
    let mut server = Router::with_options(tuned()).expect("server");
    let ep = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut client = Dealer::with_options(tuned()).expect("client");
    client.connect(&ep).await.expect("connect");
    for i in 0..100 {
        round_trip(&mut server, &mut client, &format!("message {i}")).await;
    }
}
