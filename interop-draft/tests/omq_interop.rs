//! omq.rs (the `omq-tokio` crate, a pure-Rust ZeroMQ of its own) against our draft socket types
//! over tcp, both directions, either side binding: CLIENT/SERVER (two clients on one server, the
//! replies routed by routing id), RADIO/DISH (two groups, the DISH joined to one), SCATTER/GATHER,
//! CHANNEL, and PEER (ours connecting and asking). 10,000 messages each (a client), compared
//! byte for byte and in order. Both sides run on the test's Tokio runtime.
//!
//! Not udp: omq.rs 0.33's RADIO/DISH datagram is `0x01 (flags) | group length | group | body`,
//! libzmq 4.3.5's (`udp_engine.cpp`) and ours `group length | group | body`, so neither side's
//! DISH reads the other's RADIO (each drops or misreads every datagram).

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use omq_tokio::{Message as OmqMessage, Options, Socket as OmqSocket, SocketType};
use tokio::sync::watch;
use zmtp::{
    Channel, Client, Dish, Gather, Group, Message, Peer, Radio, RoutingId, Scatter, Server,
};

const N: u32 = 10_000;
/// Requests in flight at once: each client sends a window, then reads its answers.
const WINDOW: u32 = 100;
/// A missing message fails the test instead of hanging it.
const LIMIT: Duration = Duration::from_secs(60);
/// Clients on one SERVER: the replies must reach the client that asked.
const CLIENTS: u8 = 2;
const PROBE: &[u8] = b"probe";
const JOINED: &str = "weather";
const NOT_JOINED: &str = "not-joined";

/// Message `i`'s body: its number, then up to 299 bytes that differ from message to message.
fn payload(i: u32) -> Vec<u8> {
    let mut v = i.to_be_bytes().to_vec();
    v.extend((0..(i % 300)).map(|k| (k as u8).wrapping_mul(31) ^ (i as u8)));
    v
}

/// Client `c`'s request `i`: its number `c`, then [`payload`].
fn request(c: u8, i: u32) -> Vec<u8> {
    let mut v = vec![c];
    v.extend(payload(i));
    v
}

fn body(m: &Message) -> &[u8] {
    assert_eq!(m.len(), 1, "a single-frame message");
    &m.frames()[0]
}

/// An omq message's one frame.
fn omq_body(m: &OmqMessage) -> &[u8] {
    assert_eq!(m.len(), 1, "a single-frame message");
    m.part_slice(0).expect("a frame")
}

fn omq(kind: SocketType) -> OmqSocket {
    OmqSocket::new(kind, Options::default())
}

async fn omq_bind(socket: &OmqSocket) -> String {
    socket
        .bind("tcp://127.0.0.1:0")
        .await
        .expect("omq binds")
        .to_string()
}

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: in time"))
}

/// Our SERVER, two omq CLIENTs: each sends windows of its own requests; the server answers
/// every request to the routing id it came from; each client must read back exactly its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omq_clients_on_our_server_either_side_binding() {
    for ours_binds in [true, false] {
        let server = Server::new();
        let ep = if ours_binds {
            Some(server.bind("tcp://127.0.0.1:*").await.expect("bind"))
        } else {
            None
        };
        let mut clients = Vec::new();
        for c in 0..CLIENTS {
            let client = omq(SocketType::Client);
            match &ep {
                Some(ep) => client.connect(ep.as_str()).await.expect("omq connects"),
                None => {
                    let theirs = omq_bind(&client).await;
                    server.connect(&theirs).await.expect("connect");
                }
            }
            clients.push(tokio::spawn(async move {
                for w in 0..N / WINDOW {
                    for i in w * WINDOW..(w + 1) * WINDOW {
                        client
                            .send(OmqMessage::single(request(c, i)))
                            .await
                            .expect("omq sends");
                    }
                    for i in w * WINDOW..(w + 1) * WINDOW {
                        let m = within("omq's reply", client.recv())
                            .await
                            .expect("omq receives");
                        assert_eq!(omq_body(&m), request(c, i), "client {c}'s reply {i}");
                    }
                }
            }));
        }
        // Each client's requests arrive in order, under one routing id of its own.
        let mut next = [0u32; CLIENTS as usize];
        let mut ids: HashMap<RoutingId, u8> = HashMap::new();
        for _ in 0..N * u32::from(CLIENTS) {
            let (id, m) = within("a request", server.recv_from()).await.expect("recv");
            let c = body(&m)[0];
            assert!(c < CLIENTS, "a client's number");
            assert_eq!(*ids.entry(id).or_insert(c), c, "one routing id a client");
            let i = next[c as usize];
            assert_eq!(body(&m), request(c, i), "client {c}'s request {i}");
            next[c as usize] += 1;
            server.send_to(id, m).await.expect("reply");
        }
        assert_eq!(ids.len(), usize::from(CLIENTS), "a routing id each");
        for client in clients {
            within("omq's clients", client)
                .await
                .expect("omq's client passed");
        }
    }
}

/// Two of our CLIENTs, omq's SERVER answering every request to the routing id it came with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_clients_on_omq_server_either_side_binding() {
    for ours_binds in [true, false] {
        let server = omq(SocketType::Server);
        let ep = if ours_binds {
            None
        } else {
            Some(omq_bind(&server).await)
        };
        let mut clients = Vec::new();
        for c in 0..CLIENTS {
            let client = Client::new();
            match &ep {
                Some(ep) => client.connect(ep).await.expect("connect"),
                None => {
                    let ours = client.bind("tcp://127.0.0.1:*").await.expect("bind");
                    server.connect(ours.as_str()).await.expect("omq connects");
                }
            }
            clients.push(tokio::spawn(async move {
                for w in 0..N / WINDOW {
                    for i in w * WINDOW..(w + 1) * WINDOW {
                        client.send(request(c, i)).await.expect("send");
                    }
                    for i in w * WINDOW..(w + 1) * WINDOW {
                        let m = within("a reply", client.recv()).await.expect("recv");
                        assert_eq!(body(&m), request(c, i), "client {c}'s reply {i}");
                    }
                }
            }));
        }
        let mut next = [0u32; CLIENTS as usize];
        let mut ids: HashMap<u32, u8> = HashMap::new();
        for _ in 0..N * u32::from(CLIENTS) {
            let m = within("omq's request", server.recv())
                .await
                .expect("omq receives");
            let id = m.routing_id().expect("omq's SERVER gives a routing id");
            let got = omq_body(&m).to_vec();
            let c = got[0];
            assert!(c < CLIENTS, "a client's number");
            assert_eq!(*ids.entry(id).or_insert(c), c, "one routing id a client");
            let i = next[c as usize];
            assert_eq!(got, request(c, i), "client {c}'s request {i}");
            next[c as usize] += 1;
            server
                .send(OmqMessage::single(got).with_routing_id(id))
                .await
                .expect("omq replies");
        }
        assert_eq!(ids.len(), usize::from(CLIENTS), "a routing id each");
        for client in clients {
            within("our clients", client).await.expect("client passed");
        }
    }
}

/// Our RADIO, omq's DISH joined to one of two groups: probes go until the DISH's JOIN has
/// arrived and it has read one, then N messages to each group, none dropped (ZMQ_XPUB_NODROP:
/// a full DISH makes our send wait); only the joined group's arrive, in order.
/// omq's DISH over tcp hands up what arrives for a group it has not joined (libzmq's DISH
/// drops it), so here the only-joined check rests on our RADIO's group filter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_radio_to_omq_dish_either_side_binding() {
    let joined = Group::try_from(JOINED).expect("group");
    let not_joined = Group::try_from(NOT_JOINED).expect("group");
    for ours_binds in [true, false] {
        let radio =
            Radio::with_options(zmtp::SocketOptions::default().xpub_nodrop(true)).expect("radio");
        let dish = omq(SocketType::Dish);
        dish.join(JOINED).await.expect("omq joins");
        if ours_binds {
            let ep = radio.bind("tcp://127.0.0.1:*").await.expect("bind");
            dish.connect(ep.as_str()).await.expect("omq connects");
        } else {
            let ep = omq_bind(&dish).await;
            radio.connect(&ep).await.expect("connect");
        }
        let (seen_tx, mut seen) = watch::channel(false);
        let reader = tokio::spawn(async move {
            let mut i = 0;
            while i < N {
                let m = within("omq's DISH receives", dish.recv())
                    .await
                    .expect("omq receives");
                let [group, data] = m.try_as_parts::<2>().expect("[group, body]");
                assert_eq!(&group[..], JOINED.as_bytes(), "only the group joined");
                if &data[..] == PROBE {
                    let _ = seen_tx.send(true);
                    continue;
                }
                assert_eq!(&data[..], payload(i), "message {i}");
                i += 1;
            }
        });
        within("omq's DISH joined", async {
            while !*seen.borrow() {
                radio
                    .send_to_group(&not_joined, "never")
                    .await
                    .expect("send");
                radio.send_to_group(&joined, PROBE).await.expect("probe");
                // The next probe when the DISH has read one, or after a while.
                let _ = tokio::time::timeout(Duration::from_millis(5), seen.changed()).await;
            }
        })
        .await;
        for i in 0..N {
            radio
                .send_to_group(&not_joined, "never")
                .await
                .expect("send");
            radio
                .send_to_group(&joined, payload(i))
                .await
                .expect("send");
        }
        within("omq's DISH", reader)
            .await
            .expect("omq's DISH passed");
    }
}

/// omq's RADIO, our DISH joined to one of two groups. omq's RADIO drops what a full pipe cannot
/// take (it has no ZMQ_XPUB_NODROP), so it sends at most [`WINDOW`] messages ahead of what our
/// DISH has read; only the joined group's arrive, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn omq_radio_to_our_dish_either_side_binding() {
    let joined = Group::try_from(JOINED).expect("group");
    for ours_binds in [true, false] {
        let dish = Dish::new();
        dish.join(JOINED).expect("join");
        let radio = omq(SocketType::Radio);
        if ours_binds {
            let ep = dish.bind("tcp://127.0.0.1:*").await.expect("bind");
            radio.connect(ep.as_str()).await.expect("omq connects");
        } else {
            let ep = omq_bind(&radio).await;
            dish.connect(&ep).await.expect("connect");
        }
        // How many messages our DISH has read (probes first count as one).
        let (read_tx, mut read) = watch::channel(0u32);
        let group = joined.clone();
        let reader = tokio::spawn(async move {
            let mut i = 0;
            while i < N {
                let (g, m) = within("a message", dish.recv_from_group())
                    .await
                    .expect("recv");
                assert_eq!(g, group, "only the group joined");
                if body(&m) == PROBE {
                    let _ = read_tx.send(1);
                    continue;
                }
                assert_eq!(body(&m), payload(i), "message {i}");
                i += 1;
                let _ = read_tx.send(i + 1);
            }
        });
        let send = |group: &'static str, data: Vec<u8>| {
            radio.send_group(
                Bytes::from_static(group.as_bytes()),
                OmqMessage::single(data),
            )
        };
        within("our DISH joined", async {
            while *read.borrow() == 0 {
                send(NOT_JOINED, b"never".to_vec())
                    .await
                    .expect("omq sends");
                send(JOINED, PROBE.to_vec()).await.expect("omq probes");
                let _ = tokio::time::timeout(Duration::from_millis(5), read.changed()).await;
            }
        })
        .await;
        within("our DISH reads", async {
            for i in 0..N {
                while i + 1 > *read.borrow_and_update() - 1 + WINDOW {
                    read.changed().await.expect("our DISH reads on");
                }
                send(NOT_JOINED, b"never".to_vec())
                    .await
                    .expect("omq sends");
                send(JOINED, payload(i)).await.expect("omq sends");
            }
        })
        .await;
        within("our DISH", reader).await.expect("our DISH passed");
    }
}

/// SCATTER/GATHER both ways, either side binding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scatter_gather_with_omq_both_ways_either_side_binding() {
    for ours_binds in [true, false] {
        // Ours SCATTER, omq's GATHER.
        let scatter = Scatter::new();
        let gather = omq(SocketType::Gather);
        if ours_binds {
            let ep = scatter.bind("tcp://127.0.0.1:*").await.expect("bind");
            gather.connect(ep.as_str()).await.expect("omq connects");
        } else {
            let ep = omq_bind(&gather).await;
            scatter.connect(&ep).await.expect("connect");
        }
        let reader = tokio::spawn(async move {
            for i in 0..N {
                let m = within("omq gathers", gather.recv())
                    .await
                    .expect("omq receives");
                assert_eq!(omq_body(&m), payload(i), "message {i}");
            }
        });
        for i in 0..N {
            scatter.send(payload(i)).await.expect("send");
        }
        within("omq's GATHER", reader)
            .await
            .expect("omq's GATHER passed");

        // Ours GATHER, omq's SCATTER.
        let gather = Gather::new();
        let scatter = omq(SocketType::Scatter);
        if ours_binds {
            let ep = gather.bind("tcp://127.0.0.1:*").await.expect("bind");
            scatter.connect(ep.as_str()).await.expect("omq connects");
        } else {
            let ep = omq_bind(&scatter).await;
            gather.connect(&ep).await.expect("connect");
        }
        let writer = tokio::spawn(async move {
            for i in 0..N {
                scatter
                    .send(OmqMessage::single(payload(i)))
                    .await
                    .expect("omq scatters");
            }
            scatter
        });
        for i in 0..N {
            let m = within("a message", gather.recv()).await.expect("recv");
            assert_eq!(body(&m), payload(i), "message {i}");
        }
        within("omq's SCATTER", writer)
            .await
            .expect("omq's SCATTER passed");
    }
}

/// CHANNEL: omq asks in windows, ours echoes; then ours asks, omq echoes. Either side binding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_with_omq_both_ways_either_side_binding() {
    for ours_binds in [true, false] {
        let ours = Channel::new();
        let theirs = omq(SocketType::Channel);
        if ours_binds {
            let ep = ours.bind("tcp://127.0.0.1:*").await.expect("bind");
            theirs.connect(ep.as_str()).await.expect("omq connects");
        } else {
            let ep = omq_bind(&theirs).await;
            ours.connect(&ep).await.expect("connect");
        }
        let omq_side = tokio::spawn(async move {
            // omq asks.
            for w in 0..N / WINDOW {
                for i in w * WINDOW..(w + 1) * WINDOW {
                    theirs
                        .send(OmqMessage::single(payload(i)))
                        .await
                        .expect("omq sends");
                }
                for i in w * WINDOW..(w + 1) * WINDOW {
                    let m = within("omq's answer", theirs.recv())
                        .await
                        .expect("omq receives");
                    assert_eq!(omq_body(&m), payload(i), "answer {i}");
                }
            }
            // omq echoes.
            for i in 0..N {
                let m = within("our request", theirs.recv())
                    .await
                    .expect("omq receives");
                assert_eq!(omq_body(&m), payload(i), "request {i}");
                theirs
                    .send(OmqMessage::single(omq_body(&m).to_vec()))
                    .await
                    .expect("omq answers");
            }
            // Open until our side has read the last answers: omq's linger defaults to zero
            // (libzmq's to forever), so a socket dropped at once loses what it still queues.
            theirs
        });
        for i in 0..N {
            let m = within("omq's request", ours.recv()).await.expect("recv");
            assert_eq!(body(&m), payload(i), "request {i}");
            ours.send(m).await.expect("answer");
        }
        for w in 0..N / WINDOW {
            for i in w * WINDOW..(w + 1) * WINDOW {
                ours.send(payload(i)).await.expect("send");
            }
            for i in w * WINDOW..(w + 1) * WINDOW {
                let m = within("an answer", ours.recv()).await.expect("recv");
                assert_eq!(body(&m), payload(i), "answer {i}");
            }
        }
        within("omq's CHANNEL", omq_side)
            .await
            .expect("omq's CHANNEL passed");
    }
}

/// PEER: ours connects (`connect_peer`) to omq's bound PEER and asks in windows; omq answers to
/// the identity each request came with (its PEER hands up `[identity, body]`, as a ROUTER
/// does); every answer comes back from the id `connect_peer` gave. (omq connecting to our bound
/// PEER cannot ask first: a PEER learns a peer's routing id from its first message, and our
/// PEER declares none in its READY, as libzmq's does not.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_peer_asks_omq_peer() {
    let theirs = omq(SocketType::Peer);
    let ep = omq_bind(&theirs).await;
    let echo = tokio::spawn(async move {
        let mut identity: Option<Bytes> = None;
        for i in 0..N {
            let m = within("our request", theirs.recv())
                .await
                .expect("omq receives");
            let [from, data] = m.try_as_parts::<2>().expect("[identity, body]");
            assert_eq!(
                identity.get_or_insert_with(|| from.clone()),
                &from,
                "one peer, one identity"
            );
            assert_eq!(&data[..], payload(i), "request {i}");
            theirs
                .send(OmqMessage::multipart([from, data]))
                .await
                .expect("omq answers");
        }
        // Open until our side has read the last answers (omq's linger defaults to zero).
        theirs
    });
    let peer = Peer::new();
    let to = peer.connect_peer(&ep).await.expect("connect_peer");
    for w in 0..N / WINDOW {
        for i in w * WINDOW..(w + 1) * WINDOW {
            peer.send_to(to, payload(i)).await.expect("send");
        }
        for i in w * WINDOW..(w + 1) * WINDOW {
            let (from, m) = within("an answer", peer.recv_from()).await.expect("recv");
            assert_eq!(from, to, "the answer comes from the peer connected to");
            assert_eq!(body(&m), payload(i), "answer {i}");
        }
    }
    within("omq's PEER", echo).await.expect("omq's PEER passed");
}
