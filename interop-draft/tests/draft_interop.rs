//! libzmq 4.3.5's draft socket types (built with drafts by zeromq-src) against ours, over tcp,
//! both directions, either side binding: CLIENT/SERVER, SCATTER/GATHER, CHANNEL, PEER/PEER,
//! RADIO/DISH, and CLIENT/SERVER and RADIO/DISH under CURVE; and over ws:// (ZWS 2.0)
//! CLIENT/SERVER and DEALER/ROUTER, under NULL and CURVE. 10,000 messages each, compared byte for
//! byte.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use zmtp::{
    Channel, Client, CurveKeyPair, Dealer, Dish, Gather, Group, Message, OptionName, Peer, Radio,
    Router, RoutingId, Scatter, Server, SocketOptions, Sub, XPub,
};
use zmtp_interop_draft::{opts, types, Ctx, Sock};

const N: u32 = 10_000;
/// Requests in flight at once: each side sends a window, then reads its answers.
const WINDOW: u32 = 100;
const LIMIT: Duration = Duration::from_secs(60);
/// libzmq's receive timeout: a missing message fails the test instead of hanging it.
const ZMQ_RCVTIMEO_MS: i32 = 20_000;
const ZMQ_XPUB_NODROP: i32 = 69;

/// Message `i`'s body: its number, then up to 299 bytes that differ from message to message.
fn payload(i: u32) -> Vec<u8> {
    let mut v = i.to_be_bytes().to_vec();
    v.extend((0..(i % 300)).map(|k| (k as u8).wrapping_mul(31) ^ (i as u8)));
    v
}

fn body(m: &Message) -> &[u8] {
    assert_eq!(m.len(), 1, "a single-frame message");
    &m.frames()[0]
}

fn init() {
    let (major, minor, patch) = zmtp_interop_draft::version();
    assert_eq!(
        (major, minor, patch),
        (4, 3, 5),
        "libzmq built by zeromq-src"
    );
    assert!(
        zmtp_interop_draft::has("draft"),
        "libzmq was built without the draft API (zeromq-src's enable_draft)"
    );
}

/// A libzmq socket of `kind` on its own thread running `run`, bound (answering its endpoint)
/// or connected to `connect_to`.
fn libzmq_side<F>(
    kind: i32,
    connect_to: Option<String>,
    setup: impl FnOnce(&Sock) + Send + 'static,
    run: F,
) -> (Option<String>, JoinHandle<()>)
where
    F: FnOnce(&Sock, Option<u32>) + Send + 'static,
{
    libzmq_side_at("tcp://127.0.0.1:*", kind, connect_to, setup, run)
}

/// [`libzmq_side`], binding `bind_at` (`ws://127.0.0.1:*/path`, say) when it binds.
fn libzmq_side_at<F>(
    bind_at: &'static str,
    kind: i32,
    connect_to: Option<String>,
    setup: impl FnOnce(&Sock) + Send + 'static,
    run: F,
) -> (Option<String>, JoinHandle<()>)
where
    F: FnOnce(&Sock, Option<u32>) + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let binds = connect_to.is_none();
    let handle = std::thread::spawn(move || {
        let ctx = Ctx::new();
        let sock = ctx.socket(kind).expect("zmq_socket");
        sock.set_int(opts::RCVTIMEO, ZMQ_RCVTIMEO_MS)
            .expect("rcvtimeo");
        sock.set_int(opts::SNDTIMEO, ZMQ_RCVTIMEO_MS)
            .expect("sndtimeo");
        setup(&sock);
        let peer = match connect_to {
            None => {
                let ep = sock.bind(bind_at).expect("zmq_bind");
                tx.send(ep).expect("endpoint");
                None
            }
            Some(ep) if kind == types::PEER => Some(sock.connect_peer(&ep).expect("connect_peer")),
            Some(ep) => {
                sock.connect(&ep).expect("zmq_connect");
                None
            }
        };
        run(&sock, peer);
        // What it sent last goes out before the socket closes (the sockets start with
        // ZMQ_LINGER 0, so that a failing test never hangs in zmq_ctx_term).
        sock.set_int(opts::LINGER, ZMQ_RCVTIMEO_MS).expect("linger");
        drop(sock);
        drop(ctx);
    });
    let ep = binds.then(|| rx.recv_timeout(LIMIT).expect("libzmq bound"));
    (ep, handle)
}

async fn join(handle: JoinHandle<()>) {
    tokio::time::timeout(LIMIT, tokio::task::spawn_blocking(move || handle.join()))
        .await
        .expect("libzmq's side finished in time")
        .expect("joined")
        .expect("libzmq's side passed");
}

/// libzmq asks: windows of requests (to `to`, a routing id, where the type needs one), each
/// answer checked byte for byte (and from `to`).
fn zmq_requester(sock: &Sock, to: Option<u32>) {
    for w in 0..N / WINDOW {
        for i in w * WINDOW..(w + 1) * WINDOW {
            sock.send(&payload(i), to, None, 0).expect("libzmq sends");
        }
        for i in w * WINDOW..(w + 1) * WINDOW {
            let r = sock.recv().expect("libzmq receives the answer");
            assert_eq!(r.data, payload(i), "answer {i}");
            assert!(!r.more);
            if let Some(to) = to {
                assert_eq!(r.routing_id, to, "the answer comes from the peer asked");
            }
        }
    }
}

/// libzmq answers every message with its bytes (to the routing id it came from, `routed`).
fn zmq_echo(sock: &Sock, routed: bool) {
    for i in 0..N {
        let r = sock.recv().expect("libzmq receives");
        assert_eq!(r.data, payload(i), "request {i}");
        assert!(!r.more);
        let to = routed.then_some(r.routing_id);
        sock.send(&r.data, to, None, 0).expect("libzmq answers");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_server_with_libzmq_both_ways_either_side_binding() {
    init();
    for ours_binds in [true, false] {
        // Ours SERVER, libzmq CLIENT.
        let server = Server::new();
        let ep = if ours_binds {
            Some(server.bind("tcp://127.0.0.1:*").await.expect("bind"))
        } else {
            None
        };
        let (theirs, handle) =
            libzmq_side(types::CLIENT, ep, |_| {}, |s, _| zmq_requester(s, None));
        if let Some(ep) = theirs {
            server.connect(&ep).await.expect("connect");
        }
        let mut first: Option<RoutingId> = None;
        for i in 0..N {
            let (id, m) = tokio::time::timeout(LIMIT, server.recv_from())
                .await
                .expect("a request")
                .expect("recv");
            assert_eq!(body(&m), payload(i), "request {i}");
            assert_eq!(*first.get_or_insert(id), id, "one client, one id");
            server.send_to(id, m).await.expect("reply");
        }
        join(handle).await;

        // Ours CLIENT, libzmq SERVER.
        let client = Client::new();
        let ep = if ours_binds {
            Some(client.bind("tcp://127.0.0.1:*").await.expect("bind"))
        } else {
            None
        };
        let (theirs, handle) = libzmq_side(types::SERVER, ep, |_| {}, |s, _| zmq_echo(s, true));
        if let Some(ep) = theirs {
            client.connect(&ep).await.expect("connect");
        }
        for w in 0..N / WINDOW {
            for i in w * WINDOW..(w + 1) * WINDOW {
                client.send(payload(i)).await.expect("send");
            }
            for i in w * WINDOW..(w + 1) * WINDOW {
                let m = tokio::time::timeout(LIMIT, client.recv())
                    .await
                    .expect("a reply")
                    .expect("recv");
                assert_eq!(body(&m), payload(i), "reply {i}");
            }
        }
        join(handle).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_server_under_curve_with_libzmq_both_ways() {
    init();
    assert!(
        zmtp_interop_draft::has("curve"),
        "libzmq built without CURVE"
    );
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let server_secret = server_keys.secret().as_bytes().to_vec();
    let server_public = server_keys.public().as_bytes().to_vec();
    let client_secret = client_keys.secret().as_bytes().to_vec();
    let client_public = client_keys.public().as_bytes().to_vec();

    // Ours SERVER (binds), libzmq CLIENT.
    let server = Server::with_options(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server_keys.secret().clone()),
    )
    .expect("options");
    let ep = server.bind("tcp://127.0.0.1:*").await.expect("bind");
    let (sp, cp, cs) = (
        server_public.clone(),
        client_public.clone(),
        client_secret.clone(),
    );
    let (_, handle) = libzmq_side(
        types::CLIENT,
        Some(ep),
        move |s| {
            s.set_bytes(opts::CURVE_SERVERKEY, &sp).expect("serverkey");
            s.set_bytes(opts::CURVE_PUBLICKEY, &cp).expect("publickey");
            s.set_bytes(opts::CURVE_SECRETKEY, &cs).expect("secretkey");
        },
        |s, _| zmq_requester(s, None),
    );
    for i in 0..N {
        let (id, m) = tokio::time::timeout(LIMIT, server.recv_from())
            .await
            .expect("a request")
            .expect("recv");
        assert_eq!(body(&m), payload(i), "request {i}");
        server.send_to(id, m).await.expect("reply");
    }
    join(handle).await;

    // Ours CLIENT, libzmq SERVER (binds).
    let ss = server_secret.clone();
    let (ep, handle) = libzmq_side(
        types::SERVER,
        None,
        move |s| {
            s.set_int(opts::CURVE_SERVER, 1).expect("curve server");
            s.set_bytes(opts::CURVE_SECRETKEY, &ss).expect("secretkey");
        },
        |s, _| zmq_echo(s, true),
    );
    let client = Client::with_options(
        SocketOptions::new()
            .curve_server_key(*server_keys.public())
            .curve_public_key(*client_keys.public())
            .curve_secret_key(client_keys.secret().clone()),
    )
    .expect("options");
    client.connect(&ep.expect("bound")).await.expect("connect");
    for w in 0..N / WINDOW {
        for i in w * WINDOW..(w + 1) * WINDOW {
            client.send(payload(i)).await.expect("send");
        }
        for i in w * WINDOW..(w + 1) * WINDOW {
            let m = tokio::time::timeout(LIMIT, client.recv())
                .await
                .expect("a reply")
                .expect("recv");
            assert_eq!(body(&m), payload(i), "reply {i}");
        }
    }
    join(handle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scatter_gather_with_libzmq_both_ways_either_side_binding() {
    init();
    for ours_binds in [true, false] {
        // Ours SCATTER, libzmq GATHER.
        let scatter = Scatter::new();
        let ep = if ours_binds {
            Some(scatter.bind("tcp://127.0.0.1:*").await.expect("bind"))
        } else {
            None
        };
        let (theirs, handle) = libzmq_side(
            types::GATHER,
            ep,
            |_| {},
            |s, _| {
                for i in 0..N {
                    let r = s.recv().expect("libzmq gathers");
                    assert_eq!(r.data, payload(i), "message {i}");
                }
            },
        );
        if let Some(ep) = theirs {
            scatter.connect(&ep).await.expect("connect");
        }
        for i in 0..N {
            scatter.send(payload(i)).await.expect("send");
        }
        join(handle).await;

        // Ours GATHER, libzmq SCATTER.
        let gather = Gather::new();
        let ep = if ours_binds {
            Some(gather.bind("tcp://127.0.0.1:*").await.expect("bind"))
        } else {
            None
        };
        let (theirs, handle) = libzmq_side(
            types::SCATTER,
            ep,
            |_| {},
            |s, _| {
                for i in 0..N {
                    s.send(&payload(i), None, None, 0).expect("libzmq scatters");
                }
            },
        );
        if let Some(ep) = theirs {
            gather.connect(&ep).await.expect("connect");
        }
        for i in 0..N {
            let m = tokio::time::timeout(LIMIT, gather.recv())
                .await
                .expect("a message")
                .expect("recv");
            assert_eq!(body(&m), payload(i), "message {i}");
        }
        join(handle).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_with_libzmq_either_side_binding() {
    init();
    for ours_binds in [true, false] {
        for ours_asks in [true, false] {
            let channel = Channel::new();
            let ep = if ours_binds {
                Some(channel.bind("tcp://127.0.0.1:*").await.expect("bind"))
            } else {
                None
            };
            let (theirs, handle) = libzmq_side(
                types::CHANNEL,
                ep,
                |_| {},
                move |s, _| {
                    if ours_asks {
                        zmq_echo(s, false)
                    } else {
                        zmq_requester(s, None)
                    }
                },
            );
            if let Some(ep) = theirs {
                channel.connect(&ep).await.expect("connect");
            }
            if ours_asks {
                for w in 0..N / WINDOW {
                    for i in w * WINDOW..(w + 1) * WINDOW {
                        channel.send(payload(i)).await.expect("send");
                    }
                    for i in w * WINDOW..(w + 1) * WINDOW {
                        let m = tokio::time::timeout(LIMIT, channel.recv())
                            .await
                            .expect("an answer")
                            .expect("recv");
                        assert_eq!(body(&m), payload(i), "answer {i}");
                    }
                }
            } else {
                for i in 0..N {
                    let m = tokio::time::timeout(LIMIT, channel.recv())
                        .await
                        .expect("a message")
                        .expect("recv");
                    assert_eq!(body(&m), payload(i), "message {i}");
                    channel.send(m).await.expect("echo");
                }
            }
            join(handle).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_with_libzmq_either_side_connecting() {
    init();
    // libzmq connects (zmq_connect_peer) and asks; ours echoes to the id it came from.
    let peer = Peer::new();
    let ep = peer.bind("tcp://127.0.0.1:*").await.expect("bind");
    let (_, handle) = libzmq_side(
        types::PEER,
        Some(ep),
        |_| {},
        |s, to| zmq_requester(s, Some(to.expect("zmq_connect_peer's id"))),
    );
    for i in 0..N {
        let (id, m) = tokio::time::timeout(LIMIT, peer.recv_from())
            .await
            .expect("a message")
            .expect("recv");
        assert_eq!(body(&m), payload(i), "message {i}");
        peer.send_to(id, m).await.expect("echo");
    }
    join(handle).await;

    // Ours connects (connect_peer) and asks; libzmq echoes.
    let (ep, handle) = libzmq_side(types::PEER, None, |_| {}, |s, _| zmq_echo(s, true));
    let peer = Peer::new();
    let to = peer
        .connect_peer(&ep.expect("bound"))
        .await
        .expect("connect_peer");
    for w in 0..N / WINDOW {
        for i in w * WINDOW..(w + 1) * WINDOW {
            peer.send_to(to, payload(i)).await.expect("send");
        }
        for i in w * WINDOW..(w + 1) * WINDOW {
            let (from, m) = tokio::time::timeout(LIMIT, peer.recv_from())
                .await
                .expect("an answer")
                .expect("recv");
            assert_eq!(from, to, "the answer comes from the peer connected to");
            assert_eq!(body(&m), payload(i), "answer {i}");
        }
    }
    join(handle).await;
}

const PROBE: &[u8] = b"probe";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radio_dish_with_libzmq_over_tcp_both_ways_either_side_binding() {
    radio_dish_over_tcp(&Mech::Null).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radio_dish_under_curve_with_libzmq_over_tcp_both_ways_either_side_binding() {
    radio_dish_over_tcp(&Mech::curve()).await;
}

/// RADIO/DISH against libzmq's over tcp under `mech` (the RADIO is CURVE's server).
async fn radio_dish_over_tcp(mech: &Mech) {
    init();
    let group = Group::try_from("weather").expect("group");
    for ours_binds in [true, false] {
        // Ours RADIO, libzmq DISH: probes go until the DISH's JOIN has arrived and it has read
        // one, then N messages, none dropped (ZMQ_XPUB_NODROP: a full DISH makes the send wait).
        let radio = Radio::with_options(mech.ours(true).xpub_nodrop(true)).expect("radio");
        let ep = if ours_binds {
            Some(radio.bind("tcp://127.0.0.1:*").await.expect("bind"))
        } else {
            None
        };
        let joined = Arc::new(AtomicBool::new(false));
        let seen = joined.clone();
        let theirs_setup = mech.theirs(false);
        let (theirs, handle) = libzmq_side(
            types::DISH,
            ep,
            move |s| {
                theirs_setup(s);
                s.join("weather").expect("zmq_join");
                s.join("other").expect("zmq_join");
            },
            move |s, _| {
                let mut i = 0;
                while i < N {
                    let r = s.recv().expect("libzmq's DISH receives");
                    assert_eq!(r.group, "weather");
                    if r.data == PROBE {
                        seen.store(true, Ordering::Release);
                        continue;
                    }
                    assert_eq!(r.data, payload(i), "message {i}");
                    i += 1;
                }
            },
        );
        if let Some(ep) = theirs {
            radio.connect(&ep).await.expect("connect");
        }
        let not_joined = Group::try_from("not-joined").expect("group");
        tokio::time::timeout(LIMIT, async {
            while !joined.load(Ordering::Acquire) {
                radio
                    .send_to_group(&not_joined, "never")
                    .await
                    .expect("send");
                radio.send_to_group(&group, PROBE).await.expect("probe");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("libzmq's DISH joined");
        for i in 0..N {
            radio
                .send_to_group(&not_joined, "never")
                .await
                .expect("send");
            radio.send_to_group(&group, payload(i)).await.expect("send");
        }
        join(handle).await;

        // Ours DISH, libzmq RADIO.
        let dish = Dish::with_options(mech.ours(false)).expect("dish");
        dish.join("weather").expect("join");
        let ep = if ours_binds {
            Some(dish.bind("tcp://127.0.0.1:*").await.expect("bind"))
        } else {
            None
        };
        let joined = Arc::new(AtomicBool::new(false));
        let seen = joined.clone();
        let (theirs, handle) = libzmq_side(
            types::RADIO,
            ep,
            {
                let theirs_setup = mech.theirs(true);
                move |s: &Sock| {
                    theirs_setup(s);
                    s.set_int(ZMQ_XPUB_NODROP, 1).expect("nodrop");
                }
            },
            move |s, _| {
                let deadline = std::time::Instant::now() + LIMIT;
                while !seen.load(Ordering::Acquire) {
                    assert!(std::time::Instant::now() < deadline, "our DISH joined");
                    s.send(b"never", None, Some("not-joined"), 0).expect("send");
                    s.send(PROBE, None, Some("weather"), 0).expect("probe");
                    std::thread::sleep(Duration::from_millis(5));
                }
                for i in 0..N {
                    s.send(b"never", None, Some("not-joined"), 0).expect("send");
                    s.send(&payload(i), None, Some("weather"), 0).expect("send");
                }
            },
        );
        if let Some(ep) = theirs {
            dish.connect(&ep).await.expect("connect");
        }
        let mut i = 0;
        while i < N {
            let (g, m) = tokio::time::timeout(LIMIT, dish.recv_from_group())
                .await
                .expect("a message")
                .expect("recv");
            assert_eq!(g, group, "only the group joined");
            if body(&m) == PROBE {
                joined.store(true, Ordering::Release);
                continue;
            }
            assert_eq!(body(&m), payload(i), "message {i}");
            i += 1;
        }
        join(handle).await;
    }
    let _ = OptionName::XpubNodrop;
}

/// How many datagrams may be in flight: the sender waits for the receiver to catch up, so
/// that no socket buffer overflows (udp drops what does not fit, and the test counts on none).
const UDP_WINDOW: u32 = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radio_dish_with_libzmq_over_udp_both_ways() {
    use std::sync::atomic::AtomicU32;
    init();
    let group = Group::try_from("weather").expect("group");

    // Ours RADIO connects, libzmq's DISH binds.
    let received = Arc::new(AtomicU32::new(0));
    let count = received.clone();
    let (ep, handle) = libzmq_side_udp_dish(move |s| {
        let mut i = 0;
        while i < N {
            let r = s.recv().expect("libzmq's DISH receives a datagram");
            assert_eq!(r.group, "weather", "only the group joined");
            if r.data == PROBE {
                count.store(1, Ordering::Release);
                continue;
            }
            assert_eq!(r.data, payload(i), "datagram {i}");
            i += 1;
            count.store(i + 1, Ordering::Release);
        }
    });
    let radio = Radio::new();
    radio.connect(&ep).await.expect("connect");
    let not_joined = Group::try_from("not-joined").expect("group");
    tokio::time::timeout(LIMIT, async {
        while received.load(Ordering::Acquire) == 0 {
            radio.send_to_group(&group, PROBE).await.expect("probe");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for i in 0..N {
            while i + 1 > received.load(Ordering::Acquire) - 1 + UDP_WINDOW {
                tokio::task::yield_now().await;
            }
            radio
                .send_to_group(&not_joined, "never")
                .await
                .expect("send");
            radio.send_to_group(&group, payload(i)).await.expect("send");
        }
    })
    .await
    .expect("libzmq's DISH kept up");
    join(handle).await;

    // Ours DISH binds, libzmq's RADIO connects.
    let dish = Dish::new();
    dish.join("weather").expect("join");
    let ep = dish.bind("udp://127.0.0.1:*").await.expect("bind");
    let received = Arc::new(AtomicU32::new(0));
    let count = received.clone();
    let (_, handle) = libzmq_side(
        types::RADIO,
        Some(ep),
        |_| {},
        move |s, _| {
            let deadline = std::time::Instant::now() + LIMIT;
            while count.load(Ordering::Acquire) == 0 {
                assert!(std::time::Instant::now() < deadline, "our DISH received");
                s.send(PROBE, None, Some("weather"), 0).expect("probe");
                std::thread::sleep(Duration::from_millis(5));
            }
            for i in 0..N {
                while i + 1 > count.load(Ordering::Acquire) - 1 + UDP_WINDOW {
                    assert!(std::time::Instant::now() < deadline, "our DISH kept up");
                    std::thread::yield_now();
                }
                s.send(b"never", None, Some("not-joined"), 0).expect("send");
                s.send(&payload(i), None, Some("weather"), 0).expect("send");
            }
        },
    );
    let mut i = 0;
    while i < N {
        let (g, m) = tokio::time::timeout(LIMIT, dish.recv_from_group())
            .await
            .expect("a datagram")
            .expect("recv");
        assert_eq!(g, group, "only the group joined");
        if body(&m) == PROBE {
            received.fetch_max(1, Ordering::AcqRel);
            continue;
        }
        assert_eq!(body(&m), payload(i), "datagram {i}");
        i += 1;
        received.store(i + 1, Ordering::Release);
    }
    join(handle).await;
}

/// libzmq's DISH bound to a udp port of loopback, joined to "weather", running `run`.
fn libzmq_side_udp_dish(run: impl FnOnce(&Sock) + Send + 'static) -> (String, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let ctx = Ctx::new();
        let sock = ctx.socket(types::DISH).expect("zmq_socket");
        sock.set_int(opts::RCVTIMEO, ZMQ_RCVTIMEO_MS)
            .expect("rcvtimeo");
        sock.join("weather").expect("zmq_join");
        // libzmq's udp bind takes no wildcard port: a free one, probed.
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("a free port")
            .port();
        let ep = format!("udp://127.0.0.1:{port}");
        sock.bind(&ep).expect("zmq_bind udp");
        tx.send(ep).expect("endpoint");
        run(&sock);
    });
    (rx.recv_timeout(LIMIT).expect("libzmq bound"), handle)
}

/// The mechanism of a test case: NULL, or CURVE with a key pair each for the server and the
/// client side (which side is CURVE's server: the SERVER, ROUTER or RADIO).
#[derive(Clone)]
enum Mech {
    Null,
    Curve {
        server: CurveKeyPair,
        client: CurveKeyPair,
    },
}

impl Mech {
    fn curve() -> Mech {
        assert!(
            zmtp_interop_draft::has("curve"),
            "libzmq built without CURVE"
        );
        Mech::Curve {
            server: CurveKeyPair::generate(),
            client: CurveKeyPair::generate(),
        }
    }

    /// Our socket's options for CURVE's `server` side or the client's.
    fn ours(&self, server: bool) -> SocketOptions {
        match self {
            Mech::Null => SocketOptions::new(),
            Mech::Curve {
                server: keys,
                client: _,
            } if server => SocketOptions::new()
                .curve_server(true)
                .curve_secret_key(keys.secret().clone()),
            Mech::Curve {
                server: server_keys,
                client,
            } => SocketOptions::new()
                .curve_server_key(*server_keys.public())
                .curve_public_key(*client.public())
                .curve_secret_key(client.secret().clone()),
        }
    }

    /// What libzmq's socket sets for CURVE's `server` side or the client's.
    fn theirs(&self, server: bool) -> impl FnOnce(&Sock) + Send + 'static {
        let keys = match self {
            Mech::Null => None,
            Mech::Curve {
                server: server_keys,
                client,
            } => Some((
                server_keys.public().as_bytes().to_vec(),
                server_keys.secret().as_bytes().to_vec(),
                client.public().as_bytes().to_vec(),
                client.secret().as_bytes().to_vec(),
            )),
        };
        move |s: &Sock| {
            let Some((server_public, server_secret, client_public, client_secret)) = keys else {
                return;
            };
            if server {
                s.set_int(opts::CURVE_SERVER, 1).expect("curve server");
                s.set_bytes(opts::CURVE_SECRETKEY, &server_secret)
                    .expect("secretkey");
            } else {
                s.set_bytes(opts::CURVE_SERVERKEY, &server_public)
                    .expect("serverkey");
                s.set_bytes(opts::CURVE_PUBLICKEY, &client_public)
                    .expect("publickey");
                s.set_bytes(opts::CURVE_SECRETKEY, &client_secret)
                    .expect("secretkey");
            }
        }
    }
}

/// Where libzmq binds a ws:// endpoint: a free port of loopback, with a path.
const LIBZMQ_WS: &str = "ws://127.0.0.1:*/zmtp";
/// Where ours binds one.
const OURS_WS: &str = "ws://127.0.0.1:*/interop";

/// Ours binds `OURS_WS` (`Some(endpoint)` for libzmq to connect to), or not (`None`).
async fn maybe_bind<K>(socket: &zmtp::Socket<K>, ours_binds: bool) -> Option<String>
where
    K: zmtp::kind::Kind,
{
    if ours_binds {
        Some(socket.bind(OURS_WS).await.expect("bind ws"))
    } else {
        None
    }
}

/// libzmq's ROUTER answers every message with its bytes, to the routing id it came from.
fn zmq_router_echo(sock: &Sock) {
    for i in 0..N {
        let id = sock.recv().expect("libzmq receives the routing id");
        assert!(id.more, "a routing id, then the body");
        let r = sock.recv().expect("libzmq receives");
        assert_eq!(r.data, payload(i), "request {i}");
        assert!(!r.more);
        sock.send(&id.data, None, None, zmtp_interop_draft::SNDMORE)
            .expect("libzmq routes");
        sock.send(&r.data, None, None, 0).expect("libzmq answers");
    }
}

/// ws:// CLIENT/SERVER and DEALER/ROUTER against libzmq 4.3.5's ws engine under `mech`: ours
/// on each side of each pair, ours binding and libzmq binding; N messages each way, byte for
/// byte.
async fn ws_pairs_with_libzmq(mech: &Mech) {
    init();
    // libzmq 4.3.5 names the capability in capitals.
    assert!(zmtp_interop_draft::has("WS"), "libzmq built without ws://");
    for ours_binds in [true, false] {
        // Ours SERVER, libzmq CLIENT.
        let server = Server::with_options(mech.ours(true)).expect("server");
        let ep = maybe_bind(&server, ours_binds).await;
        let (theirs, handle) =
            libzmq_side_at(LIBZMQ_WS, types::CLIENT, ep, mech.theirs(false), |s, _| {
                zmq_requester(s, None)
            });
        if let Some(ep) = theirs {
            server.connect(&ep).await.expect("connect");
        }
        for i in 0..N {
            let (id, m) = tokio::time::timeout(LIMIT, server.recv_from())
                .await
                .expect("a request")
                .expect("recv");
            assert_eq!(body(&m), payload(i), "request {i}");
            server.send_to(id, m).await.expect("reply");
        }
        join(handle).await;

        // Ours CLIENT, libzmq SERVER.
        let client = Client::with_options(mech.ours(false)).expect("client");
        let ep = maybe_bind(&client, ours_binds).await;
        let (theirs, handle) =
            libzmq_side_at(LIBZMQ_WS, types::SERVER, ep, mech.theirs(true), |s, _| {
                zmq_echo(s, true)
            });
        if let Some(ep) = theirs {
            client.connect(&ep).await.expect("connect");
        }
        for w in 0..N / WINDOW {
            for i in w * WINDOW..(w + 1) * WINDOW {
                client.send(payload(i)).await.expect("send");
            }
            for i in w * WINDOW..(w + 1) * WINDOW {
                let m = tokio::time::timeout(LIMIT, client.recv())
                    .await
                    .expect("a reply")
                    .expect("recv");
                assert_eq!(body(&m), payload(i), "reply {i}");
            }
        }
        join(handle).await;

        // Ours ROUTER, libzmq DEALER (whose routing id ours sees).
        let router = Router::with_options(mech.ours(true)).expect("router");
        let ep = maybe_bind(&router, ours_binds).await;
        let dealer_setup = mech.theirs(false);
        let (theirs, handle) = libzmq_side_at(
            LIBZMQ_WS,
            types::DEALER,
            ep,
            move |s| {
                dealer_setup(s);
                s.set_bytes(ZMQ_ROUTING_ID, b"libzmq-dealer")
                    .expect("routing id");
            },
            |s, _| zmq_requester(s, None),
        );
        if let Some(ep) = theirs {
            router.connect(&ep).await.expect("connect");
        }
        for i in 0..N {
            let m = tokio::time::timeout(LIMIT, router.recv())
                .await
                .expect("a request")
                .expect("recv");
            assert_eq!(m.len(), 2, "routing id and body");
            assert_eq!(&m.frames()[0][..], b"libzmq-dealer");
            assert_eq!(&m.frames()[1][..], payload(i), "request {i}");
            router.send(m).await.expect("reply");
        }
        join(handle).await;

        // Ours DEALER, libzmq ROUTER.
        let dealer = Dealer::with_options(mech.ours(false)).expect("dealer");
        let ep = maybe_bind(&dealer, ours_binds).await;
        let (theirs, handle) =
            libzmq_side_at(LIBZMQ_WS, types::ROUTER, ep, mech.theirs(true), |s, _| {
                zmq_router_echo(s)
            });
        if let Some(ep) = theirs {
            dealer.connect(&ep).await.expect("connect");
        }
        for w in 0..N / WINDOW {
            for i in w * WINDOW..(w + 1) * WINDOW {
                dealer.send(payload(i)).await.expect("send");
            }
            for i in w * WINDOW..(w + 1) * WINDOW {
                let m = tokio::time::timeout(LIMIT, dealer.recv())
                    .await
                    .expect("a reply")
                    .expect("recv");
                assert_eq!(body(&m), payload(i), "reply {i}");
            }
        }
        join(handle).await;
    }
}

/// `ZMQ_ROUTING_ID`.
const ZMQ_ROUTING_ID: i32 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_client_server_and_dealer_router_with_libzmq_both_ways_either_side_binding() {
    ws_pairs_with_libzmq(&Mech::Null).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_under_curve_with_libzmq_both_ways_either_side_binding() {
    ws_pairs_with_libzmq(&Mech::curve()).await;
}

/// `ZMQ_SUB`, `ZMQ_XPUB` and `ZMQ_SUBSCRIBE`.
const ZMQ_SUB: i32 = 2;
const ZMQ_XPUB: i32 = 9;
const ZMQ_SUBSCRIBE: i32 = 6;

/// Publish/subscribe over ws:// with libzmq's ws engine, which sends and expects subscriptions
/// as ZMTP 3.0 messages (`\x01topic`): ours XPUB to libzmq's SUB and libzmq's XPUB to our SUB,
/// either side binding; the XPUB publishes once the subscription has arrived, N messages of the
/// topic and N of another, of which the SUB gets the first N, byte for byte (ZMQ_XPUB_NODROP:
/// none dropped at the high-water mark).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_pub_sub_with_libzmq_both_ways_either_side_binding() {
    init();
    let news = |i: u32| {
        let mut v = b"news".to_vec();
        v.extend(payload(i));
        v
    };
    for ours_binds in [true, false] {
        // Ours XPUB, libzmq SUB; none dropped (ZMQ_XPUB_NODROP: a full pipe makes the send
        // wait).
        let xpub = XPub::with_options(SocketOptions::new().xpub_nodrop(true)).expect("xpub");
        let ep = maybe_bind(&xpub, ours_binds).await;
        let (theirs, handle) = libzmq_side_at(
            LIBZMQ_WS,
            ZMQ_SUB,
            ep,
            |s| s.set_bytes(ZMQ_SUBSCRIBE, b"news").expect("subscribe"),
            move |s, _| {
                for i in 0..N {
                    let r = s.recv().expect("libzmq's SUB receives");
                    assert_eq!(r.data, news(i), "message {i}");
                }
            },
        );
        if let Some(ep) = theirs {
            xpub.connect(&ep).await.expect("connect");
        }
        let subscription = tokio::time::timeout(LIMIT, xpub.recv())
            .await
            .expect("libzmq's subscription")
            .expect("recv");
        assert_eq!(body(&subscription), b"\x01news");
        for i in 0..N {
            xpub.send(b"weather".to_vec()).await.expect("send");
            xpub.send(news(i)).await.expect("send");
        }
        join(handle).await;

        // Ours SUB, libzmq XPUB.
        let sub = Sub::new();
        sub.subscribe("news").expect("subscribe");
        let ep = maybe_bind(&sub, ours_binds).await;
        let nodrop = |s: &Sock| s.set_int(ZMQ_XPUB_NODROP, 1).expect("nodrop");
        let (theirs, handle) = libzmq_side_at(LIBZMQ_WS, ZMQ_XPUB, ep, nodrop, move |s, _| {
            let r = s.recv().expect("libzmq's XPUB receives our subscription");
            assert_eq!(r.data, b"\x01news");
            for i in 0..N {
                s.send(b"weather", None, None, 0).expect("send");
                s.send(&news(i), None, None, 0).expect("send");
            }
        });
        if let Some(ep) = theirs {
            sub.connect(&ep).await.expect("connect");
        }
        for i in 0..N {
            let m = tokio::time::timeout(LIMIT, sub.recv())
                .await
                .expect("a message")
                .expect("recv");
            assert_eq!(body(&m), news(i), "message {i}");
        }
        join(handle).await;
    }
}
