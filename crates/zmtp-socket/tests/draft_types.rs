//! libzmq 4.3's draft socket types, ours on both ends, over tcp, ipc and inproc (libzmq's
//! test_client_server, test_scatter_gather, test_channel, test_peer and test_radio_dish as the
//! guide): single-frame messages, SERVER's and PEER's routing ids, RADIO/DISH groups, and the
//! cancel safety of the typed methods.

mod common;

use common::{bind_endpoint, within, TRANSPORTS};
use futures::FutureExt;
use zmtp_socket::{
    Channel, Client, Dish, Error, Gather, Group, Message, OptionName, Peer, Radio, RoutingId,
    Scatter, Server, Socket,
};

fn body(m: &Message) -> &[u8] {
    assert_eq!(m.len(), 1, "a single-frame message");
    &m.frames()[0]
}

/// Binds `a` and connects `b` to it over `transport`.
async fn link<A, B>(a: &Socket<A>, b: &Socket<B>, transport: &str)
where
    A: zmtp_socket::Kind,
    B: zmtp_socket::Kind,
{
    let ep = a.bind(&bind_endpoint(transport)).await.expect("bind");
    b.connect(&ep).await.expect("connect");
}

#[tokio::test]
async fn server_replies_reach_the_client_that_asked_either_side_binding() {
    for transport in TRANSPORTS {
        for server_binds in [true, false] {
            let server = Server::new();
            let (c1, c2) = (Client::new(), Client::new());
            if server_binds {
                link(&server, &c1, transport).await;
                link(&server, &c2, transport).await;
            } else {
                link(&c1, &server, transport).await;
                link(&c2, &server, transport).await;
            }
            for (i, c) in [&c1, &c2].into_iter().enumerate() {
                c.send(format!("ask {i}")).await.expect("request");
            }
            let mut ids = Vec::new();
            for _ in 0..2 {
                let (id, m) = within("a request", server.recv_from()).await.expect("recv");
                let reply = format!("re: {}", String::from_utf8_lossy(body(&m)));
                server.send_to(id, reply).await.expect("reply");
                ids.push(id);
            }
            assert_ne!(ids[0], ids[1], "each client has its own routing id");
            for (i, c) in [&c1, &c2].into_iter().enumerate() {
                let m = within("the reply", c.recv()).await.expect("reply");
                assert_eq!(body(&m), format!("re: ask {i}").as_bytes(), "{transport}");
            }
        }
    }
}

#[tokio::test]
async fn single_frame_types_refuse_multipart_sends() {
    let client = Client::new();
    let scatter = Scatter::new();
    let channel = Channel::new();
    let two = || Message::from(["a", "b"]);
    assert!(matches!(
        client.try_send(two()),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        scatter.try_send(two()),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        channel.try_send(two()),
        Err(Error::InvalidArgument(_))
    ));
    let server = Server::new();
    let peer = Peer::new();
    let id = RoutingId::new(1).expect("non-zero");
    assert!(matches!(
        server.try_send_to(id, two()),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        peer.try_send_to(id, two()),
        Err(Error::InvalidArgument(_))
    ));
    let radio = Radio::new();
    let g = Group::try_from("g").expect("group");
    assert!(matches!(
        radio.try_send_to_group(&g, two()),
        Err(Error::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn a_server_send_to_an_unknown_routing_id_is_host_unreachable() {
    let server = Server::new();
    let client = Client::new();
    link(&server, &client, "tcp").await;
    client.send("hello").await.expect("send");
    let (id, _) = within("a request", server.recv_from()).await.expect("recv");
    let other = RoutingId::new(id.get().wrapping_add(1).max(1)).expect("non-zero");
    assert!(matches!(
        server.send_to(other, "x").await,
        Err(Error::HostUnreachable(_))
    ));
    server.send_to(id, "known").await.expect("a known id goes");
    assert_eq!(
        body(&within("reply", client.recv()).await.expect("recv")),
        b"known"
    );
}

#[tokio::test]
async fn scatter_gather_load_balances_single_frames_in_order() {
    for transport in TRANSPORTS {
        let scatter = Scatter::new();
        let gather = Gather::new();
        link(&gather, &scatter, transport).await;
        let sender = {
            let scatter = scatter.clone();
            tokio::spawn(async move {
                for i in 0..1000u32 {
                    scatter.send(i.to_be_bytes().to_vec()).await.expect("send");
                }
            })
        };
        for i in 0..1000u32 {
            let m = within("a message", gather.recv()).await.expect("recv");
            assert_eq!(body(&m), i.to_be_bytes(), "{transport}");
        }
        sender.await.expect("sender");
    }
}

#[tokio::test]
async fn channels_talk_both_ways() {
    for transport in TRANSPORTS {
        let (a, b) = (Channel::new(), Channel::new());
        link(&a, &b, transport).await;
        a.send("ping").await.expect("send");
        assert_eq!(
            body(&within("ping", b.recv()).await.expect("recv")),
            b"ping"
        );
        b.send("pong").await.expect("send");
        assert_eq!(
            body(&within("pong", a.recv()).await.expect("recv")),
            b"pong"
        );
    }
}

#[tokio::test]
async fn connect_peer_answers_the_id_to_send_to_at_once() {
    for transport in TRANSPORTS {
        let (a, b) = (Peer::new(), Peer::new());
        let ep = a.bind(&bind_endpoint(transport)).await.expect("bind");
        let to_a = b.connect_peer(&ep).await.expect("connect_peer");
        // Queued until the connection is made.
        b.send_to(to_a, "first")
            .await
            .expect("send before the connection");
        let (to_b, m) = within("the first message", a.recv_from())
            .await
            .expect("recv");
        assert_eq!(body(&m), b"first");
        a.send_to(to_b, "back").await.expect("reply");
        let (from, m) = within("the reply", b.recv_from()).await.expect("recv");
        assert_eq!((from, body(&m)), (to_a, &b"back"[..]), "{transport}");
    }
}

/// Sends `body` to `group` until `dish` receives a message (joins reach the RADIO
/// asynchronously; until then a RADIO sends to no one), and returns what it received.
async fn first_delivery(
    radio: &Radio,
    dish: &Dish,
    group: &Group,
    body: &'static str,
) -> (Group, Message) {
    within("a delivery once the join arrived", async {
        loop {
            radio.send_to_group(group, body).await.expect("send");
            let polled =
                tokio::time::timeout(std::time::Duration::from_millis(20), dish.recv_from_group())
                    .await;
            if let Ok(got) = polled {
                return got.expect("recv");
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_dish_receives_the_groups_it_joined_and_no_other() {
    for transport in TRANSPORTS {
        for radio_binds in [true, false] {
            let radio = Radio::new();
            let dish = Dish::new();
            dish.join("tv").expect("join");
            if radio_binds {
                link(&radio, &dish, transport).await;
            } else {
                link(&dish, &radio, transport).await;
            }
            let tv = Group::try_from("tv").expect("group");
            let movies = Group::try_from("movies").expect("group");
            let (g, m) = first_delivery(&radio, &dish, &tv, "news").await;
            assert_eq!((g.as_bytes(), body(&m)), (&b"tv"[..], &b"news"[..]));
            // A group not joined never arrives; the next one that does is tv's.
            radio.send_to_group(&movies, "film").await.expect("send");
            radio.send_to_group(&tv, "marker").await.expect("send");
            loop {
                let (g, m) = within("tv's marker", dish.recv_from_group())
                    .await
                    .expect("recv");
                assert_eq!(g, tv, "{transport}: only tv was joined");
                if body(&m) == b"marker" {
                    break;
                }
            }
            // Leave tv, join movies: movies' messages come, tv's do not.
            dish.leave("tv").expect("leave");
            dish.join("movies").expect("join");
            let (g, _) = first_delivery(&radio, &dish, &movies, "film").await;
            assert_eq!(g, movies);
            radio.send_to_group(&tv, "gone").await.expect("send");
            radio.send_to_group(&movies, "marker").await.expect("send");
            loop {
                let (g, m) = within("movies' marker", dish.recv_from_group())
                    .await
                    .expect("recv");
                assert_eq!(g, movies, "{transport}: tv was left");
                if body(&m) == b"marker" {
                    break;
                }
            }
        }
    }
}

#[tokio::test]
async fn groups_are_at_most_15_bytes_and_joined_once() {
    assert!(Group::try_from("0123456789abcde").is_ok());
    assert!(matches!(
        Group::try_from("0123456789abcdef"),
        Err(Error::InvalidArgument(_))
    ));
    let dish = Dish::new();
    assert!(matches!(
        dish.join("0123456789abcdef"),
        Err(Error::InvalidArgument(_))
    ));
    dish.join("g").expect("join");
    assert!(matches!(dish.join("g"), Err(Error::InvalidArgument(_))));
    dish.leave("g").expect("leave");
    assert!(matches!(dish.leave("g"), Err(Error::InvalidArgument(_))));
}

#[tokio::test]
async fn typed_receives_dropped_before_they_complete_take_nothing() {
    let server = Server::new();
    let client = Client::new();
    link(&server, &client, "inproc").await;
    assert!(server.recv_from().now_or_never().is_none(), "nothing yet");
    client.send("kept").await.expect("send");
    let (_, m) = within("the message", server.recv_from())
        .await
        .expect("recv");
    assert_eq!(body(&m), b"kept");

    let radio = Radio::new();
    let dish = Dish::new();
    dish.join("g").expect("join");
    link(&radio, &dish, "inproc").await;
    let g = Group::try_from("g").expect("group");
    let (_, first) = first_delivery(&radio, &dish, &g, "x").await;
    assert_eq!(body(&first), b"x");
    while dish.try_recv_from_group().is_ok() {}
    assert!(
        dish.recv_from_group().now_or_never().is_none(),
        "nothing yet"
    );
    radio.send_to_group(&g, "kept").await.expect("send");
    let (_, m) = within("the message", dish.recv_from_group())
        .await
        .expect("recv");
    assert_eq!(body(&m), b"kept");
}

#[tokio::test]
async fn a_send_to_dropped_while_it_waits_sends_nothing() {
    let server = Server::new();
    server.set_option(OptionName::SndHwm, 1).expect("sndhwm");
    let client = Client::new();
    client.set_option(OptionName::RcvHwm, 1).expect("rcvhwm");
    link(&server, &client, "inproc").await;
    client.send("hello").await.expect("send");
    let (id, _) = within("a request", server.recv_from()).await.expect("recv");
    // Fill the path until a send has to wait, then drop that send.
    let mut sent = 0u32;
    loop {
        match server
            .send_to(id, sent.to_be_bytes().to_vec())
            .now_or_never()
        {
            Some(Ok(())) => sent += 1,
            Some(Err(e)) => panic!("send: {e}"),
            None => break,
        }
    }
    for i in 0..sent {
        let m = within("a queued message", client.recv())
            .await
            .expect("recv");
        assert_eq!(body(&m), i.to_be_bytes());
    }
    assert!(client.try_recv().is_err(), "the dropped send never went");
}

/// Sends over `radio` until `dish` has its first message, then `n` numbered ones, and checks
/// they all arrive (udp on one machine loses nothing this slow), none of another group.
async fn udp_exchange(radio: &Radio, dish: &Dish, n: u32) {
    let g = Group::try_from("udp").expect("group");
    let other = Group::try_from("other").expect("group");
    let (got, _) = first_delivery(radio, dish, &g, "probe").await;
    assert_eq!(got, g);
    for i in 0..n {
        radio.send_to_group(&other, "never").await.expect("send");
        radio
            .send_to_group(&g, i.to_be_bytes().to_vec())
            .await
            .expect("send");
        loop {
            let (group, m) = within("a datagram", dish.recv_from_group())
                .await
                .expect("recv");
            assert_eq!(group, g, "a DISH receives only the groups it joined");
            if body(&m) != b"probe" {
                assert_eq!(body(&m), i.to_be_bytes());
                break;
            }
        }
    }
}

#[tokio::test]
async fn radio_dish_over_udp_unicast() {
    let dish = Dish::new();
    dish.join("udp").expect("join");
    let ep = dish.bind("udp://127.0.0.1:*").await.expect("bind");
    assert!(
        ep.starts_with("udp://127.0.0.1:") && !ep.ends_with(":0"),
        "{ep}"
    );
    let radio = Radio::new();
    radio.connect(&ep).await.expect("connect");
    udp_exchange(&radio, &dish, 200).await;
}

#[tokio::test]
async fn radio_dish_over_udp_multicast() {
    let port = {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("address").port()
    };
    let ep = format!("udp://127.0.0.1;239.255.0.7:{port}");
    let dish = Dish::new();
    dish.join("udp").expect("join");
    dish.bind(&ep).await.expect("bind a multicast group");
    let radio = Radio::new();
    radio.connect(&ep).await.expect("connect");
    udp_exchange(&radio, &dish, 200).await;
}

#[tokio::test]
async fn udp_is_for_radio_and_dish_only() {
    assert!(matches!(
        Client::new().connect("udp://127.0.0.1:5555").await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Radio::new().bind("udp://127.0.0.1:*").await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Dish::new().connect("udp://127.0.0.1:5555").await,
        Err(Error::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn xpub_nodrop_makes_a_radio_wait_for_a_full_dish_instead_of_dropping() {
    for nodrop in [false, true] {
        let radio = Radio::with_options(
            zmtp_socket::SocketOptions::new()
                .sndhwm(1)
                .xpub_nodrop(nodrop),
        )
        .expect("radio");
        let dish = Dish::with_options(zmtp_socket::SocketOptions::new().rcvhwm(1)).expect("dish");
        dish.join("g").expect("join");
        link(&radio, &dish, "tcp").await;
        let g = Group::try_from("g").expect("group");
        first_delivery(&radio, &dish, &g, "probe").await;
        // The DISH reads nothing more: its queue, the connection's and the RADIO's fill up.
        let mut refused = 0;
        for _ in 0..100_000 {
            match radio.try_send_to_group(&g, vec![0u8; 1024]) {
                Ok(()) => {}
                Err(Error::WouldBlock) => {
                    refused += 1;
                    break;
                }
                Err(e) => panic!("send: {e}"),
            }
        }
        assert_eq!(
            refused > 0,
            nodrop,
            "with ZMQ_XPUB_NODROP a full DISH makes the send wait, without it the message is dropped"
        );
    }
}

/// Connects a `B` to a bound `A` over tcp and waits for `A`'s monitor to report the handshake
/// refused (the peer's socket type is not one `A` talks to).
async fn refused<A, B>(a: Socket<A>, b: Socket<B>)
where
    A: zmtp_socket::Kind,
    B: zmtp_socket::Kind,
{
    use futures::StreamExt;
    let mut monitor = a.monitor();
    let ep = a.bind("tcp://127.0.0.1:*").await.expect("bind");
    b.connect(&ep).await.expect("connect");
    let what = format!("{} refusing {}", a.socket_type(), b.socket_type());
    within(&what, async {
        loop {
            match monitor.next().await.expect("the monitor goes on") {
                zmtp_socket::MonitorEvent::HandshakeFailedProtocol { .. } => return,
                zmtp_socket::MonitorEvent::HandshakeSucceeded { .. } => panic!("{what}: accepted"),
                _ => {}
            }
        }
    })
    .await;
}

#[tokio::test]
async fn draft_types_talk_only_to_their_libzmq_43_peers() {
    refused(Server::new(), zmtp_socket::Dealer::new()).await;
    refused(Client::new(), zmtp_socket::Router::new()).await;
    refused(Dish::new(), zmtp_socket::Pub::new()).await;
    refused(Radio::new(), zmtp_socket::Sub::new()).await;
    refused(Gather::new(), zmtp_socket::Push::new()).await;
    refused(Scatter::new(), zmtp_socket::Pull::new()).await;
    refused(Channel::new(), zmtp_socket::Pair::new()).await;
    refused(Peer::new(), Server::new()).await;
    refused(Server::new(), Server::new()).await;
}
