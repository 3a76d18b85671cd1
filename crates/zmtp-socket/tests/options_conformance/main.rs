//! The whole `zmq_setsockopt` table, row by row: one test per row (`zmq_<option>`), which sets a
//! valid value and reads it back (on a live socket too), checks that the values libzmq refuses
//! are refused naming the option, and observes the option's effect: behaviour that differs with
//! the option set and unset (most tests run both), so that the test fails when the effect is
//! removed. [`row_tests`] names each row's test as a function, so a test removed or compiled out
//! fails the build or [`rows::the_rows_are_the_table_and_each_has_its_test`]. The GSSAPI rows
//! (which need libzmq and a Kerberos realm) and the whole-message bound of `ZMQ_MAXMSGSIZE` are
//! observed in depth by tests of other files, named in the row and checked to be there and run.
//!
//! [`ROWS`] is also the source of `docs/options.md` (default, when a change takes effect, what
//! the option does, where it is observed); [`the_docs_table_is_generated_from_the_rows`] fails
//! when the two differ (`ZMTP_BLESS=1` rewrites the file).

#[path = "../common/mod.rs"]
mod common;
mod contract;
mod docs_table;
mod effects;
mod rows;

use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use socket2::Socket;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zmtp_codec::{ZapReply, ZapRequest};
#[cfg(feature = "curve")]
use zmtp_security::CurveKeyPair;
use zmtp_socket::endpoint::EndpointErrorKind;
#[cfg(feature = "curve")]
use zmtp_socket::options::MechanismKind;
use zmtp_socket::options::{OptionEffect, OptionName, OptionValue, SocketOptions, OPTIONS_TABLE};
use zmtp_socket::{
    Context, Dealer, Error, Message, MonitorEvent, Pull, Push, Req, Router, StreamSocket, Sub, XPub,
};

use common::option_values::{
    invalid_values, valid_value, wrong_type, OPTIONS_WITHOUT_INVALID_VALUES,
};
use common::{bind_endpoint, text, unbound_endpoint, within, LIMIT};

use contract::*;
use effects::*;
use rows::*;
use OptionName as N;

// ---------------------------------------------------------------------------------------------
// One test per row

#[tokio::test]
async fn zmq_affinity() {
    contract_live(N::Affinity).await;
    let ctx = Context::with_io_threads(2).expect("context");
    let (handler, _) = zap_recorder();
    let thread = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let t = thread.clone();
    let mut router = Router::with_options_in(
        &ctx,
        SocketOptions::new().affinity(0b10).zap_domain("affinity"),
    )
    .expect("router");
    router.set_zap_handler(move |req: ZapRequest| {
        *t.lock().expect("lock") = std::thread::current().name().unwrap_or("").to_owned();
        handler(req)
    });
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer = Dealer::new();
    dealer.connect(&ep).await.expect("connect");
    round_trip(&mut router, &mut dealer, "x").await;
    assert_eq!(*thread.lock().expect("lock"), "zmtp-io-1");
    let wrong = Router::with_options_in(&ctx, SocketOptions::new().affinity(0b100)).expect("r");
    assert!(matches!(
        wrong.bind("tcp://127.0.0.1:*").await,
        Err(Error::NoIoThread { .. })
    ));
}

#[tokio::test]
async fn zmq_backlog() {
    contract_live(N::Backlog).await;
    let router = Router::with_options(SocketOptions::new().backlog(37)).expect("router");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    // The kernel shows a listener's backlog as its Send-Q (`ss -lt`).
    let out = std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{port}")])
        .output()
        .expect("ss (iproute2; apt-get install iproute2)");
    let listing = String::from_utf8_lossy(&out.stdout);
    let send_q: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert_eq!(send_q, ["37"], "ss -lt: {listing}");
    // ipc listeners too, as libzmq's.
    let router = Router::with_options(SocketOptions::new().backlog(38)).expect("router");
    let ep = router.bind("ipc://*").await.expect("bind");
    let path = ep.trim_start_matches("ipc://");
    let out = std::process::Command::new("ss")
        .args(["-Hlxn"])
        .output()
        .expect("ss (iproute2; apt-get install iproute2)");
    let listing = String::from_utf8_lossy(&out.stdout);
    let send_q: Vec<&str> = listing
        .lines()
        .filter(|l| l.split_whitespace().any(|w| w == path))
        .filter_map(|l| l.split_whitespace().nth(3))
        .collect();
    assert_eq!(send_q, ["38"], "ss -lx: {listing}");
}

#[tokio::test]
async fn zmq_connect_rid() {
    contract_live(N::ConnectRid).await;
    let dealer = Dealer::new();
    let ep = dealer.bind("tcp://127.0.0.1:*").await.expect("bind");
    let router = Router::with_options(SocketOptions::new().connect_rid("peer-A")).expect("router");
    router.connect(&ep).await.expect("connect");
    router.set_option(N::RouterMandatory, 1).expect("mandatory");
    // Addressable by the name given before the connection existed.
    within("the named peer to be there", async {
        while router.send(Message::from(["peer-A", "hi"])).await.is_err() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let m = within("the message", dealer.recv()).await.expect("recv");
    assert_eq!(text(&m), ["hi"]);
}

#[tokio::test]
async fn zmq_conflate() {
    contract_live(N::Conflate).await;
    // On the test's own runtime nothing moves while it sends: the 100 messages are all queued
    // for the PULL before it reads, and a conflating PULL reads only the newest.
    for conflate in [true, false] {
        let ctx = Context::on_caller_runtime();
        let ep = bind_endpoint("inproc");
        let pull =
            Pull::with_options_in(&ctx, SocketOptions::new().conflate(conflate)).expect("pull");
        pull.bind(&ep).await.expect("bind");
        let push = Push::new_in(&ctx).expect("push");
        push.connect(&ep).await.expect("connect");
        for i in 0..100 {
            push.try_send(i.to_string()).expect("room for 100");
        }
        let mut got = Vec::new();
        while got.last().map(String::as_str) != Some("99") {
            let m = within("the last message", pull.recv()).await.expect("recv");
            got.extend(text(&m));
        }
        if conflate {
            assert!(got.len() < 10, "conflated: {got:?}");
        } else {
            assert_eq!(got.len(), 100, "every message without it");
        }
    }
}

#[tokio::test]
async fn zmq_connect_timeout() {
    contract_live(N::ConnectTimeout).await;
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect
    // hangs until CONNECT_TIMEOUT gives up on it (the OS alone would retry for minutes).
    let full =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    full.bind(&"127.0.0.1:0".parse::<SocketAddr>().expect("addr").into())
        .expect("bind");
    full.listen(0).expect("listen");
    let addr = full.local_addr().expect("addr").as_socket().expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        s.set_nonblocking(true).expect("nonblocking");
        let _ = s.connect(&addr.into());
        fillers.push(s);
    }
    let dealer = Dealer::with_options(
        SocketOptions::new()
            .connect_timeout(Some(Duration::from_millis(100)))
            .reconnect_ivl(Some(Duration::from_millis(100))),
    )
    .expect("dealer");
    let mut monitor = dealer.monitor();
    dealer
        .connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    // Two delayed attempts: the first was given up and retried.
    let mut delayed = 0;
    event(&mut monitor, "a second connect attempt", |e| {
        if matches!(e, MonitorEvent::ConnectDelayed { .. }) {
            delayed += 1;
        }
        (delayed >= 2).then_some(())
    })
    .await;
    drop(fillers);
    drop(full);
}

#[cfg(feature = "curve")]
/// A CURVE server and client, and whether a message gets through.
async fn curve_pair(server_key_for_client: Option<CurveKeyPair>) -> bool {
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let pull = Pull::with_options(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server_keys.secret().clone())
            .curve_public_key(*server_keys.public()),
    )
    .expect("pull");
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let server_key = server_key_for_client
        .map(|k| *k.public())
        .unwrap_or_else(|| *server_keys.public());
    let push = Push::with_options(
        SocketOptions::new()
            .curve_server_key(server_key)
            .curve_public_key(*client_keys.public())
            .curve_secret_key(client_keys.secret().clone()),
    )
    .expect("push");
    push.connect(&ep).await.expect("connect");
    push.send("secret").await.expect("send");
    let ok = event(&mut monitor, "the handshake's outcome", |e| match e {
        MonitorEvent::HandshakeSucceeded { .. } => Some(true),
        MonitorEvent::HandshakeFailedNoDetail { .. }
        | MonitorEvent::HandshakeFailedProtocol { .. }
        | MonitorEvent::HandshakeFailedAuth { .. } => Some(false),
        _ => None,
    })
    .await;
    if ok {
        let m = within("the message", pull.recv()).await.expect("recv");
        assert_eq!(text(&m), ["secret"]);
    }
    ok
}

#[cfg(feature = "curve")]
#[tokio::test]
async fn zmq_curve_publickey() {
    contract_live(N::CurvePublicKey).await;
    assert!(
        curve_pair(None).await,
        "matching keys: the handshake succeeds"
    );
}

#[cfg(feature = "curve")]
#[tokio::test]
async fn zmq_curve_secretkey() {
    contract_live(N::CurveSecretKey).await;
    assert!(curve_pair(None).await);
}

#[cfg(feature = "curve")]
#[tokio::test]
async fn zmq_curve_server() {
    contract_live(N::CurveServer).await;
    assert!(curve_pair(None).await);
    let pull = Pull::with_options(SocketOptions::new().curve_server(true)).expect("pull");
    assert_eq!(
        pull.options().mechanism(),
        MechanismKind::Curve,
        "CURVE_SERVER selects CURVE"
    );
}

#[cfg(feature = "curve")]
#[tokio::test]
async fn zmq_curve_serverkey() {
    contract_live(N::CurveServerKey).await;
    assert!(
        !curve_pair(Some(CurveKeyPair::generate())).await,
        "a client with the wrong server key never completes the handshake"
    );
}

#[tokio::test]
async fn zmq_gssapi_plaintext() {
    contract_live(N::GssapiPlaintext).await;
}

#[tokio::test]
async fn zmq_gssapi_principal() {
    contract_live(N::GssapiPrincipal).await;
}

#[tokio::test]
async fn zmq_gssapi_server() {
    contract_live(N::GssapiServer).await;
}

#[tokio::test]
async fn zmq_gssapi_service_principal() {
    contract_live(N::GssapiServicePrincipal).await;
}

#[tokio::test]
async fn zmq_handshake_ivl() {
    contract_live(N::HandshakeIvl).await;
    let pull =
        Pull::with_options(SocketOptions::new().handshake_ivl(Some(Duration::from_millis(100))))
            .expect("pull");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut silent = tokio::net::TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .expect("connect");
    // Our greeting arrives, then the connection ends without the client saying anything.
    let bytes = read_until_closed(&mut silent).await;
    assert!(
        !bytes.is_empty() && bytes[0] == 0xff,
        "the greeting came first"
    );
}

/// A raw NULL PULL peer of a PUSH with `options`, which never answers a PING; returns what
/// it read until the connection ended or it saw `pings` PINGs.
async fn raw_peer_of_push(options: SocketOptions, pings: usize) -> Vec<u8> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let ep = format!("tcp://{}", listener.local_addr().expect("addr"));
    let push = Push::with_options(options.reconnect_ivl(None)).expect("push");
    push.connect(&ep).await.expect("connect");
    let (mut stream, _) = within("the connection", listener.accept())
        .await
        .expect("accept");
    stream
        .write_all(&null_greeting_and_ready("PULL"))
        .await
        .expect("write");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    within("PINGs, then the end", async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen.extend_from_slice(&buf[..n]);
                    if seen.windows(5).filter(|w| w == b"\x04PING").count() >= pings {
                        break;
                    }
                }
            }
        }
    })
    .await;
    seen
}

#[tokio::test]
async fn zmq_heartbeat_ivl() {
    contract_live(N::HeartbeatIvl).await;
    let seen = raw_peer_of_push(
        SocketOptions::new().heartbeat_ivl(Some(Duration::from_millis(20))),
        1,
    )
    .await;
    assert!(seen.windows(5).any(|w| w == b"\x04PING"), "a PING was sent");
}

#[tokio::test]
async fn zmq_heartbeat_timeout() {
    contract_live(N::HeartbeatTimeout).await;
    let pings = |seen: &[u8]| seen.windows(5).filter(|w| w == b"\x04PING").count();
    // The peer never answers. With a short timeout the connection is closed...
    let seen = raw_peer_of_push(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(20)))
            .heartbeat_timeout(Some(Duration::from_millis(100))),
        usize::MAX,
    )
    .await;
    assert!(pings(&seen) >= 1, "closed after PINGs went unanswered");
    // ...with a long one it stays open through many unanswered PINGs (without the option
    // the timeout is the interval, and it would be closed after the first).
    let seen = raw_peer_of_push(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(10)))
            .heartbeat_timeout(Some(Duration::from_secs(3600))),
        5,
    )
    .await;
    assert_eq!(pings(&seen), 5, "five PINGs unanswered and still open");
    // The default reads back as libzmq's -1 (the interval); an explicit 0 turns the timeout
    // off, as in libzmq: many PINGs go unanswered and the connection stays open.
    let mut options = SocketOptions::new();
    assert_eq!(options.get(N::HeartbeatTimeout), OptionValue::Int(-1));
    assert_eq!(options.get_heartbeat_timeout(), None);
    options.set(N::HeartbeatTimeout, 0).expect("0");
    assert_eq!(options.get(N::HeartbeatTimeout), OptionValue::Int(0));
    assert_eq!(options.get_heartbeat_timeout(), Some(Duration::ZERO));
    let seen = raw_peer_of_push(
        options
            .heartbeat_ivl(Some(Duration::from_millis(10)))
            .heartbeat_timeout(Some(Duration::ZERO)),
        25,
    )
    .await;
    assert_eq!(pings(&seen), 25, "25 PINGs unanswered and still open");
}

#[tokio::test]
async fn zmq_heartbeat_ttl() {
    contract_live(N::HeartbeatTtl).await;
    let seen = raw_peer_of_push(
        SocketOptions::new()
            .heartbeat_ivl(Some(Duration::from_millis(20)))
            .heartbeat_ttl(Some(Duration::from_millis(2500))),
        1,
    )
    .await;
    // PING: name, then the TTL in deciseconds as two bytes (25).
    let at = seen
        .windows(5)
        .position(|w| w == b"\x04PING")
        .expect("a PING");
    assert_eq!(
        &seen[at + 5..at + 7],
        &[0, 25],
        "TTL 2.5 s = 25 deciseconds"
    );
    // Kept and read back in whole deciseconds, as in libzmq.
    for (set, reads) in [(2550, 2500), (50, 0), (6_553_599, 6_553_500), (100, 100)] {
        let mut options = SocketOptions::new();
        options.set(N::HeartbeatTtl, set).expect("in range");
        assert_eq!(
            options.get(N::HeartbeatTtl),
            OptionValue::Int(reads),
            "ZMQ_HEARTBEAT_TTL {set}"
        );
    }
    assert_eq!(
        SocketOptions::new()
            .heartbeat_ttl(Some(Duration::from_millis(2550)))
            .get_heartbeat_ttl(),
        Some(Duration::from_millis(2500))
    );
}

#[tokio::test]
async fn zmq_identity() {
    contract_live(N::Identity).await;
    let (router, dealer, _) = connected(
        SocketOptions::new(),
        SocketOptions::new().identity("client-7"),
        "tcp",
    )
    .await;
    dealer.send("x").await.expect("send");
    let m = within("the message", router.recv()).await.expect("recv");
    assert_eq!(
        m.frames()[0],
        "client-7",
        "the ROUTER knows us by ZMQ_IDENTITY"
    );
    // Any values, a leading zero byte included ("may contain any values"; libzmq 4.3 takes
    // it too).
    let mut options = SocketOptions::new();
    options
        .set(N::Identity, OptionValue::from(&b"\0abc"[..]))
        .expect("a leading zero byte");
    assert_eq!(options.get(N::Identity), OptionValue::from(&b"\0abc"[..]));
    let (router, dealer, _) = connected(SocketOptions::new(), options, "tcp").await;
    dealer.send("y").await.expect("send");
    let m = within("the message", router.recv()).await.expect("recv");
    assert_eq!(m.frames()[0], &b"\0abc"[..], "the ROUTER knows us by it");
    router
        .send(Message::from(vec![
            Bytes::from_static(b"\0abc"),
            Bytes::from_static(b"back"),
        ]))
        .await
        .expect("send");
    let m = within("the reply", dealer.recv()).await.expect("recv");
    assert_eq!(m.frames()[0], "back");
}

#[tokio::test]
async fn zmq_immediate() {
    contract_live(N::Immediate).await;
    let push = Push::with_options(SocketOptions::new().immediate(true)).expect("push");
    push.connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
    let queued = Push::new();
    queued
        .connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    assert!(
        queued.try_send("x").is_ok(),
        "without it, the message queues"
    );
}

#[tokio::test]
async fn zmq_invert_matching() {
    contract_live(N::InvertMatching).await;
    // An XPUB and a SUB both inverted (as libzmq asks of a PUB's subscribers): the SUB subscribed
    // to "a" gets what does not start with "a". The publisher sends "a.1" only to subscribers
    // that did not subscribe to it, the SUB keeps only "b.1": either half missing and "b.1"
    // never arrives (or "a.1" does).
    for invert in [true, false] {
        let xpub = XPub::with_options(SocketOptions::new().invert_matching(invert)).expect("xpub");
        let ep = xpub.bind(&bind_endpoint("inproc")).await.expect("bind");
        let sub = Sub::with_options(SocketOptions::new().invert_matching(invert)).expect("sub");
        sub.connect(&ep).await.expect("connect");
        sub.subscribe("a").expect("subscribe");
        let m = within("the subscription", xpub.recv()).await.expect("recv");
        assert_eq!(m.frames()[0], &b"\x01a"[..]);
        xpub.send("a.1").await.expect("send");
        xpub.send("b.1").await.expect("send");
        let m = within("the first message", sub.recv()).await.expect("recv");
        let expected = if invert { "b.1" } else { "a.1" };
        assert_eq!(text(&m), [expected], "ZMQ_INVERT_MATCHING {invert}");
    }
}

#[tokio::test]
async fn zmq_ipv6() {
    contract_live(N::Ipv6).await;
    let mut router = Router::with_options(SocketOptions::new().ipv6(true)).expect("router");
    let ep = router.bind("tcp://*:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    for host in ["127.0.0.1", "[::1]"] {
        let mut dealer = Dealer::with_options(SocketOptions::new().ipv6(true)).expect("dealer");
        dealer
            .connect(&format!("tcp://{host}:{port}"))
            .await
            .expect("connect");
        round_trip(&mut router, &mut dealer, host).await;
    }
    // Without it, `*` is IPv4 only and an IPv6 address is refused.
    let v4 = Router::new();
    let ep = v4.bind("tcp://*:*").await.expect("bind");
    assert!(ep.starts_with("tcp://0.0.0.0:"), "{ep}");
    assert!(v4.bind("tcp://[::1]:*").await.is_err());
}

#[tokio::test]
async fn zmq_linger() {
    contract_live(N::Linger).await;
    // A PUSH queues three messages for an endpoint nobody has bound yet and is closed; its
    // context's `term` returns once its linger is over. With a linger longer than the test's
    // limit, the PULL bound afterwards gets the three; with 0, `term` returns at once (the
    // default 30 s would outlast the limit) and a PULL bound after that gets only a later
    // PUSH's marker: the queue went with the socket.
    for linger in [LIMIT * 3, Duration::ZERO] {
        let ep = unbound_endpoint("tcp");
        let ctx = Context::new().expect("context");
        let push = Push::with_options_in(
            &ctx,
            SocketOptions::new()
                .linger(Some(linger))
                .reconnect_ivl(Some(Duration::from_millis(10))),
        )
        .expect("push");
        push.connect(&ep).await.expect("connect");
        for i in 0..3 {
            push.send(i.to_string()).await.expect("queued");
        }
        drop(push);
        if linger.is_zero() {
            within("term with nothing lingering", ctx.term()).await;
        }
        let pull = Pull::new();
        pull.bind(&ep).await.expect("bind");
        if linger.is_zero() {
            let marker = Push::new();
            marker.connect(&ep).await.expect("connect");
            marker.send("marker").await.expect("send");
            let m = within("the marker", pull.recv()).await.expect("recv");
            assert_eq!(text(&m), ["marker"], "LINGER 0 dropped the queue");
        } else {
            for i in 0..3 {
                let m = within("a lingering message", pull.recv())
                    .await
                    .expect("recv");
                assert_eq!(text(&m), [i.to_string()]);
            }
            within("term once delivered", ctx.term()).await;
        }
    }
}

#[tokio::test]
async fn zmq_maxmsgsize() {
    contract_live(N::MaxMsgSize).await;
    let pull = Pull::with_options(SocketOptions::new().maxmsgsize(Some(100))).expect("pull");
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::with_options(SocketOptions::new().reconnect_ivl(None)).expect("push");
    push.connect(&ep).await.expect("connect");
    push.send(vec![b'a'; 100]).await.expect("send");
    let m = within("the message at the limit", pull.recv())
        .await
        .expect("recv");
    assert_eq!(m.frames()[0].len(), 100);
    push.send(vec![b'b'; 101]).await.expect("send");
    event(&mut monitor, "the oversize peer dropped", |e| {
        matches!(e, MonitorEvent::Disconnected { .. }).then_some(())
    })
    .await;
    assert!(
        pull.try_recv().is_err(),
        "the oversize message is not delivered"
    );
}

#[tokio::test]
async fn zmq_multicast_hops() {
    contract_live(N::MulticastHops).await;
    // The effect: crates/zmtp-socket/src/transport/pgm/tests.rs (rows.rs names the test).
}

#[tokio::test]
async fn zmq_multicast_maxtpdu() {
    contract_live(N::MulticastMaxTpdu).await;
    // The effect: crates/zmtp-socket/src/transport/pgm/tests.rs and, on the wire,
    // interop/tests/libzmq_pgm.rs.
}

/// A PLAIN server and a client with this password: whether a message gets through, and what
/// the server's ZAP handler saw.
async fn plain_pair(password: &str) -> (bool, Vec<ZapRequest>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let pull = Pull::with_options(SocketOptions::new().plain_server(true)).expect("pull");
    pull.set_zap_handler(move |req: ZapRequest| {
        let ok = req.credentials.get(1).is_some_and(|p| p == "right");
        record.lock().expect("lock").push(req);
        std::future::ready(if ok {
            ZapReply::accept("admin")
        } else {
            ZapReply::refuse("wrong password")
        })
    });
    let mut monitor = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let push = Push::with_options(
        SocketOptions::new()
            .plain_username("admin")
            .plain_password(password),
    )
    .expect("push");
    push.connect(&ep).await.expect("connect");
    let ok = event(&mut monitor, "the handshake's outcome", |e| match e {
        MonitorEvent::HandshakeSucceeded { .. } => Some(true),
        MonitorEvent::HandshakeFailedAuth { .. } => Some(false),
        _ => None,
    })
    .await;
    // Sent once the outcome is known: a refused client has no peer to send to (as in libzmq,
    // it does not reconnect), and a send would wait for ever.
    if ok {
        push.send("m").await.expect("send");
        within("the message", pull.recv()).await.expect("recv");
    }
    let seen = seen.lock().expect("lock").clone();
    (ok, seen)
}

#[tokio::test]
async fn zmq_plain_password() {
    contract_live(N::PlainPassword).await;
    let (ok, seen) = plain_pair("right").await;
    assert!(ok);
    assert_eq!(seen[0].credentials[1], "right");
    let (ok, _) = plain_pair("wrong").await;
    assert!(!ok, "a wrong password is refused");
}

#[tokio::test]
async fn zmq_plain_server() {
    contract_live(N::PlainServer).await;
    let (ok, seen) = plain_pair("right").await;
    assert!(ok);
    assert_eq!(seen[0].mechanism.to_string(), "PLAIN");
}

#[tokio::test]
async fn zmq_plain_username() {
    contract_live(N::PlainUsername).await;
    let (_, seen) = plain_pair("right").await;
    assert_eq!(seen[0].credentials[0], "admin");
}

#[tokio::test]
async fn zmq_use_fd() {
    contract_live(N::UseFd).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let addr = listener.local_addr().expect("addr");
    let pull =
        Pull::with_options(SocketOptions::new().use_fd(Some(listener.as_raw_fd()))).expect("pull");
    // The endpoint is only a name: the socket listens where the descriptor does.
    pull.bind("tcp://127.0.0.1:1").await.expect("bind");
    let push = Push::new();
    push.connect(&format!("tcp://{addr}"))
        .await
        .expect("connect");
    push.send("via the fd").await.expect("send");
    let m = within("the message", pull.recv()).await.expect("recv");
    assert_eq!(text(&m), ["via the fd"]);
}

#[tokio::test]
async fn zmq_probe_router() {
    contract_live(N::ProbeRouter).await;
    let router = Router::new();
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let dealer = Dealer::with_options(SocketOptions::new().probe_router(true).identity("prober"))
        .expect("dealer");
    dealer.connect(&ep).await.expect("connect");
    let m = within("the probe", router.recv()).await.expect("recv");
    assert_eq!(m.frames(), [Bytes::from("prober"), Bytes::new()]);
}

#[tokio::test]
async fn zmq_rate() {
    contract_live(N::Rate).await;
    // The effect: crates/zmtp-socket/src/transport/pgm/tests.rs (rows.rs names the test).
}

#[tokio::test]
async fn zmq_rcvbuf() {
    contract_live(N::RcvBuf).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().rcvbuf(Some(64 * 1024))).await;
    // Linux doubles what is asked (bookkeeping overhead).
    for s in [&accepted, &connecting] {
        assert_eq!(s.recv_buffer_size().expect("SO_RCVBUF"), 128 * 1024);
    }
}

#[tokio::test]
async fn zmq_rcvhwm() {
    contract_live(N::RcvHwm).await;
    // An inproc connection holds exactly SNDHWM + RCVHWM (libzmq's pipe): the count follows
    // the PULL's RCVHWM.
    assert_eq!(inproc_hwm_count(2, 1).await, 3);
    assert_eq!(inproc_hwm_count(2, 6).await, 8);
}

#[tokio::test]
async fn zmq_rcvtimeo() {
    contract_live(N::RcvTimeo).await;
    let pull = Pull::with_options(SocketOptions::new().rcvtimeo(Some(Duration::from_millis(20))))
        .expect("pull");
    assert!(matches!(pull.recv().await, Err(Error::Timeout(_))));
    pull.set_option(N::RcvTimeo, 0).expect("option");
    assert!(matches!(pull.recv().await, Err(Error::WouldBlock)));
}

/// The first `n` reconnect intervals of a connect to a closed port.
async fn retry_intervals(options: SocketOptions, n: usize) -> Vec<Duration> {
    let dealer = Dealer::with_options(options).expect("dealer");
    let mut monitor = dealer.monitor();
    dealer
        .connect(&unbound_endpoint("tcp"))
        .await
        .expect("connect");
    let mut out = Vec::new();
    event(&mut monitor, "the retries", |e| {
        if let MonitorEvent::ConnectRetried { interval, .. } = e {
            out.push(*interval);
        }
        (out.len() >= n).then_some(())
    })
    .await;
    out
}

#[tokio::test]
async fn zmq_reconnect_ivl() {
    contract_live(N::ReconnectIvl).await;
    let intervals = retry_intervals(
        SocketOptions::new().reconnect_ivl(Some(Duration::from_millis(30))),
        3,
    )
    .await;
    for i in intervals {
        assert!(
            i >= Duration::from_millis(30) && i < Duration::from_millis(60),
            "ZMQ_RECONNECT_IVL (plus libzmq's jitter below one interval): {i:?}"
        );
    }
}

#[tokio::test]
async fn zmq_reconnect_ivl_max() {
    contract_live(N::ReconnectIvlMax).await;
    let intervals = retry_intervals(
        SocketOptions::new()
            .reconnect_ivl(Some(Duration::from_millis(10)))
            .reconnect_ivl_max(Some(Duration::from_millis(40))),
        5,
    )
    .await;
    let floor: Vec<u64> = intervals
        .iter()
        .map(|i| (i.as_millis() as u64 / 10) * 10)
        .collect();
    assert!(
        floor.windows(2).all(|w| w[1] >= w[0]) && floor.iter().all(|&ms| ms <= 40),
        "intervals grow and stop at ZMQ_RECONNECT_IVL_MAX: {intervals:?}"
    );
    assert_eq!(*floor.last().expect("five"), 40, "{intervals:?}");
}

#[tokio::test]
async fn zmq_recovery_ivl() {
    contract_live(N::RecoveryIvl).await;
    // The effect: crates/zmtp-socket/src/transport/pgm/tests.rs (rows.rs names the test).
}

#[tokio::test]
async fn zmq_req_correlate() {
    contract(N::ReqCorrelate);
    for correlate in [true, false] {
        let router = Router::new();
        let ep = router.bind(&bind_endpoint("inproc")).await.expect("bind");
        let req = Req::with_options(SocketOptions::new().req_correlate(correlate)).expect("req");
        req.connect(&ep).await.expect("connect");
        req.send("q").await.expect("send");
        let m = within("the request", router.recv()).await.expect("recv");
        if !correlate {
            assert_eq!(m.len(), 3, "[routing id, \"\", body]: {m:?}");
            continue;
        }
        // [routing id, request id, "", body]; a reply with another request id is dropped.
        assert_eq!(m.len(), 4, "[routing id, request id, \"\", body]: {m:?}");
        let (peer, id) = (m.frames()[0].clone(), m.frames()[1].clone());
        assert_eq!(id.len(), 4, "a 32-bit request id");
        assert!(m.frames()[2].is_empty());
        let mut stale = id.to_vec();
        stale[0] ^= 0xff;
        for (id, body) in [(Bytes::from(stale), "stale"), (id, "real")] {
            router
                .send(Message::from(vec![
                    peer.clone(),
                    id,
                    Bytes::new(),
                    Bytes::from(body),
                ]))
                .await
                .expect("reply");
        }
        let m = within("the reply", req.recv()).await.expect("recv");
        assert_eq!(
            text(&m),
            ["real"],
            "the reply of another request id is dropped"
        );
    }
}

#[tokio::test]
async fn zmq_req_relaxed() {
    contract(N::ReqRelaxed);
    for relaxed in [true, false] {
        let router = Router::new();
        let ep = router.bind(&bind_endpoint("inproc")).await.expect("bind");
        let req = Req::with_options(SocketOptions::new().req_relaxed(relaxed)).expect("req");
        req.connect(&ep).await.expect("connect");
        req.send("first").await.expect("send");
        within("the first request", router.recv())
            .await
            .expect("recv");
        let again = req.send("second").await;
        if !relaxed {
            assert!(matches!(again, Err(Error::InvalidState(_))), "{again:?}");
            continue;
        }
        again.expect("a new request before the reply");
        let m = within("the second request", router.recv())
            .await
            .expect("recv");
        assert_eq!(text(&m)[1..], ["", "second"]);
        router.send(m).await.expect("reply");
        let m = within("the reply", req.recv()).await.expect("recv");
        assert_eq!(text(&m), ["second"]);
    }
}

#[tokio::test]
async fn zmq_router_handover() {
    contract(N::RouterHandover);
    for handover in [true, false] {
        let router =
            Router::with_options(SocketOptions::new().router_handover(handover)).expect("router");
        let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
        let named_x = || Dealer::with_options(SocketOptions::new().identity("X")).expect("dealer");
        let first = named_x();
        first.connect(&ep).await.expect("connect");
        first.send("one").await.expect("send");
        let m = within("the first peer's message", router.recv())
            .await
            .expect("recv");
        assert_eq!(text(&m), ["X", "one"]);
        let second = named_x();
        second.connect(&ep).await.expect("connect");
        second.send("two").await.expect("send");
        if handover {
            // The newcomer takes the routing id over: its message arrives under it, and what
            // is sent to it goes to the newcomer.
            let m = within("the newcomer's message", router.recv())
                .await
                .expect("recv");
            assert_eq!(text(&m), ["X", "two"]);
            router
                .send(Message::from(["X", "back"]))
                .await
                .expect("send");
            let m = within("the reply", second.recv()).await.expect("recv");
            assert_eq!(text(&m), ["back"], "to the newcomer");
        } else {
            // The id stays the first peer's: the newcomer is not heard, the first one is.
            first.send("still").await.expect("send");
            let m = within("the first peer again", router.recv())
                .await
                .expect("recv");
            assert_eq!(
                text(&m),
                ["X", "still"],
                "the newcomer's message is not passed up"
            );
            router
                .send(Message::from(["X", "back"]))
                .await
                .expect("send");
            let m = within("the reply", first.recv()).await.expect("recv");
            assert_eq!(text(&m), ["back"], "to the first peer");
        }
    }
}

#[tokio::test]
async fn zmq_router_mandatory() {
    contract(N::RouterMandatory);
    let router = Router::with_options(SocketOptions::new().router_mandatory(true)).expect("router");
    assert!(matches!(
        router.send(Message::from(["nobody", "x"])).await,
        Err(Error::HostUnreachable(_))
    ));
    let lax = Router::new();
    lax.send(Message::from(["nobody", "x"]))
        .await
        .expect("dropped silently without it");
}

#[tokio::test]
async fn zmq_router_raw() {
    contract(N::RouterRaw);
    for raw in [true, false] {
        let router = Router::with_options(SocketOptions::new().router_raw(raw)).expect("router");
        let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
        let mut client = tokio::net::TcpStream::connect(ep.trim_start_matches("tcp://"))
            .await
            .expect("connect");
        if !raw {
            // A ZMTP peer: the greeting's signature comes first.
            let mut signature = [0u8; 10];
            within("the greeting", client.read_exact(&mut signature))
                .await
                .expect("read");
            assert_eq!((signature[0], signature[9]), (0xff, 0x7f), "{signature:?}");
            continue;
        }
        client.write_all(b"hi").await.expect("write");
        let notice = within("the connect notice", router.recv())
            .await
            .expect("recv");
        assert_eq!(notice.len(), 2);
        assert!(
            notice.frames()[1].is_empty(),
            "announced by an empty message"
        );
        let id = notice.frames()[0].clone();
        let mut got = Vec::new();
        while got.len() < 2 {
            let m = within("the bytes", router.recv()).await.expect("recv");
            assert_eq!(m.frames()[0], id);
            got.extend_from_slice(&m.frames()[1]);
        }
        assert_eq!(got, b"hi", "raw bytes in");
        router
            .send(Message::from(vec![id.clone(), Bytes::from_static(b"yo")]))
            .await
            .expect("send");
        router
            .send(Message::from(vec![id, Bytes::new()]))
            .await
            .expect("close");
        assert_eq!(
            read_until_closed(&mut client).await,
            b"yo",
            "raw bytes out: no greeting, the data, then the end"
        );
    }
}

#[tokio::test]
async fn zmq_sndbuf() {
    contract_live(N::SndBuf).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().sndbuf(Some(64 * 1024))).await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.send_buffer_size().expect("SO_SNDBUF"), 128 * 1024);
    }
}

#[tokio::test]
async fn zmq_sndhwm() {
    contract_live(N::SndHwm).await;
    // An inproc connection holds exactly SNDHWM + RCVHWM (libzmq's pipe): the count follows
    // the PUSH's SNDHWM.
    assert_eq!(inproc_hwm_count(1, 3).await, 4);
    assert_eq!(inproc_hwm_count(5, 3).await, 8);
    // Before any peer, a connecting PUSH queues exactly SNDHWM.
    let ctx = Context::on_caller_runtime();
    let push = Push::with_options_in(&ctx, SocketOptions::new().sndhwm(7)).expect("push");
    push.connect(&unbound_endpoint("inproc"))
        .await
        .expect("connect");
    assert_eq!(fill(|m| push.try_send(m), 10_000).await, 7);
}

#[tokio::test]
async fn zmq_sndtimeo() {
    contract_live(N::SndTimeo).await;
    let push = Push::with_options(SocketOptions::new().sndtimeo(Some(Duration::from_millis(20))))
        .expect("push");
    assert!(matches!(push.send("x").await, Err(Error::Timeout(_))));
    push.set_option(N::SndTimeo, 0).expect("option");
    assert!(matches!(push.send("x").await, Err(Error::WouldBlock)));
}

#[cfg(feature = "socks")]
#[tokio::test]
async fn zmq_socks_proxy() {
    contract_live(N::SocksProxy).await;
    // The host name exists only for the proxy, which relays to the ROUTER: messages flow only
    // if the connection went through it.
    let mut router = Router::new();
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let target: SocketAddr = ep.trim_start_matches("tcp://").parse().expect("address");
    let (proxy, relay) = socks5_relay(target).await;
    let mut dealer =
        Dealer::with_options(SocketOptions::new().socks_proxy(proxy.to_string())).expect("dealer");
    dealer
        .connect("tcp://only-through-the-proxy.invalid:5555")
        .await
        .expect("connect");
    round_trip(&mut router, &mut dealer, "through").await;
    let asked = within("the proxy's request", relay).await.expect("relay");
    assert_eq!(asked, ("only-through-the-proxy.invalid".to_owned(), 5555));
}

#[tokio::test]
async fn zmq_stream_notify() {
    contract(N::StreamNotify);
    for notify in [true, false] {
        let stream =
            StreamSocket::with_options(SocketOptions::new().stream_notify(notify)).expect("stream");
        let mut monitor = stream.monitor();
        let ep = stream.bind("tcp://127.0.0.1:*").await.expect("bind");
        let mut client = tokio::net::TcpStream::connect(ep.trim_start_matches("tcp://"))
            .await
            .expect("connect");
        client.write_all(b"x").await.expect("write");
        let first = within("the first message", stream.recv())
            .await
            .expect("recv");
        let id = first.frames()[0].clone();
        if notify {
            assert!(first.frames()[1].is_empty(), "the connect notice first");
            let m = within("the data", stream.recv()).await.expect("recv");
            assert_eq!(m.frames(), [id.clone(), Bytes::from_static(b"x")]);
        } else {
            assert_eq!(first.frames()[1], &b"x"[..], "the data first: no notice");
        }
        drop(client);
        if notify {
            let m = within("the disconnect notice", stream.recv())
                .await
                .expect("recv");
            assert_eq!(m.frames(), [id, Bytes::new()]);
        } else {
            event(&mut monitor, "the disconnect", |e| {
                matches!(e, MonitorEvent::Disconnected { .. }).then_some(())
            })
            .await;
            assert!(
                matches!(stream.try_recv(), Err(Error::WouldBlock)),
                "no disconnect notice"
            );
        }
    }
}

/// A SUB with `prefixes` connected to a PUB; the topics of `sent` that reach it, in order.
async fn filtered(prefixes: &[&str], unsubscribe: &[&str], sent: &[&str]) -> Vec<String> {
    let publisher = XPub::new();
    let ep = publisher.bind("tcp://127.0.0.1:*").await.expect("bind");
    let sub = Sub::new();
    sub.connect(&ep).await.expect("connect");
    for p in prefixes.iter().chain(["fence"].iter()) {
        sub.subscribe(p).expect("subscribe");
    }
    for p in unsubscribe {
        sub.unsubscribe(p).expect("unsubscribe");
    }
    // The XPUB hears each (un)subscription in order; the fence's arrival means all are in.
    within("the subscriptions", async {
        loop {
            let m = publisher.recv().await.expect("subscription");
            if m.frames()[0] == b"\x01fence"[..] {
                break;
            }
        }
    })
    .await;
    for topic in sent.iter().chain(["fence"].iter()) {
        publisher.send(topic.to_string()).await.expect("publish");
    }
    let mut got = Vec::new();
    within("the fence", async {
        loop {
            let m = sub.recv().await.expect("recv");
            let t = String::from_utf8_lossy(&m.frames()[0]).into_owned();
            if t == "fence" {
                break;
            }
            got.push(t);
        }
    })
    .await;
    got
}

#[tokio::test]
async fn zmq_subscribe() {
    contract_live(N::Subscribe).await;
    let got = filtered(&["a."], &[], &["a.1", "b.1", "a.2"]).await;
    assert_eq!(got, ["a.1", "a.2"]);
}

#[tokio::test]
async fn zmq_tcp_keepalive() {
    contract_live(N::TcpKeepalive).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().tcp_keepalive(Some(true))).await;
    for s in [&accepted, &connecting] {
        assert!(s.keepalive().expect("SO_KEEPALIVE"));
    }
}

#[tokio::test]
async fn zmq_tcp_keepalive_cnt() {
    contract_live(N::TcpKeepaliveCnt).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_cnt(Some(7)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.tcp_keepalive_retries().expect("TCP_KEEPCNT"), 7);
    }
}

#[tokio::test]
async fn zmq_tcp_keepalive_idle() {
    contract_live(N::TcpKeepaliveIdle).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_idle(Some(77)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_keepalive_time().expect("TCP_KEEPIDLE"),
            Duration::from_secs(77)
        );
    }
}

#[tokio::test]
async fn zmq_tcp_keepalive_intvl() {
    contract_live(N::TcpKeepaliveIntvl).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(
        SocketOptions::new()
            .tcp_keepalive(Some(true))
            .tcp_keepalive_intvl(Some(9)),
    )
    .await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_keepalive_interval().expect("TCP_KEEPINTVL"),
            Duration::from_secs(9)
        );
    }
}

#[tokio::test]
async fn zmq_tcp_maxrt() {
    contract_live(N::TcpMaxRt).await;
    let (accepted, connecting, _r, _d) =
        tuned_tcp(SocketOptions::new().tcp_maxrt(Some(Duration::from_millis(4321)))).await;
    for s in [&accepted, &connecting] {
        assert_eq!(
            s.tcp_user_timeout().expect("TCP_USER_TIMEOUT"),
            Some(Duration::from_millis(4321))
        );
    }
}

#[tokio::test]
async fn zmq_tos() {
    contract_live(N::Tos).await;
    let (accepted, connecting, _r, _d) = tuned_tcp(SocketOptions::new().tos(0x28)).await;
    for s in [&accepted, &connecting] {
        assert_eq!(s.tos_v4().expect("IP_TOS"), 0x28);
    }
}

#[tokio::test]
async fn zmq_unsubscribe() {
    contract_live(N::Unsubscribe).await;
    let got = filtered(&["a.", "b."], &["a."], &["a.1", "b.1"]).await;
    assert_eq!(got, ["b.1"]);
}

#[tokio::test]
async fn zmq_xpub_verbose() {
    contract(N::XpubVerbose);
    // A second subscriber's "a", which the XPUB already has, is passed up only when verbose;
    // the "b" after it on the same pipe shows what came before.
    for verbose in [true, false] {
        let (xpub, subs) = xpub_and_subs(SocketOptions::new().xpub_verbose(verbose), 2).await;
        subs[0].subscribe("a").expect("subscribe");
        assert_eq!(next_subscription(&xpub).await, "+a");
        subs[1].subscribe("a").expect("subscribe");
        subs[1].subscribe("b").expect("subscribe");
        let expected = if verbose { "+a" } else { "+b" };
        assert_eq!(
            next_subscription(&xpub).await,
            expected,
            "verbose {verbose}"
        );
    }
}

#[tokio::test]
async fn zmq_xpub_verboser() {
    contract(N::XpubVerboser);
    // A cancel of "a", which the other subscriber still holds, is passed up only by VERBOSER
    // (VERBOSE passes subscriptions only); the "c" after it shows what came before.
    for verboser in [true, false] {
        let options = if verboser {
            SocketOptions::new().xpub_verboser(true)
        } else {
            SocketOptions::new().xpub_verbose(true)
        };
        let (xpub, subs) = xpub_and_subs(options, 2).await;
        for sub in &subs {
            sub.subscribe("a").expect("subscribe");
            assert_eq!(next_subscription(&xpub).await, "+a");
        }
        subs[1].unsubscribe("a").expect("unsubscribe");
        subs[1].subscribe("c").expect("subscribe");
        let expected = if verboser { "-a" } else { "+c" };
        assert_eq!(
            next_subscription(&xpub).await,
            expected,
            "verboser {verboser}"
        );
    }
}

#[tokio::test]
async fn zmq_xpub_manual() {
    contract(N::XpubManual);
    // The subscriber asks for everything; a manual XPUB passes that up and applies only what
    // the application says ("b" here), so "a.1" is not sent and "b.1" is.
    for manual in [true, false] {
        let (xpub, subs) = xpub_and_subs(SocketOptions::new().xpub_manual(manual), 1).await;
        subs[0].subscribe("").expect("subscribe");
        assert_eq!(next_subscription(&xpub).await, "+");
        xpub.send("a.1").await.expect("send");
        if manual {
            xpub.subscribe_last_peer("b").expect("manual subscription");
        }
        xpub.send("b.1").await.expect("send");
        let m = within("the first message", subs[0].recv())
            .await
            .expect("recv");
        let expected = if manual { "b.1" } else { "a.1" };
        assert_eq!(text(&m), [expected], "manual {manual}");
    }
}

#[tokio::test]
async fn zmq_xpub_nodrop() {
    contract(N::XpubNodrop);
    // Over inproc the connection holds SNDHWM + RCVHWM: with NODROP the XPUB then refuses
    // (`WouldBlock`) and the subscriber gets every message sent; without, it never blocks and
    // drops what does not fit.
    for nodrop in [true, false] {
        let ctx = Context::on_caller_runtime();
        let xpub = XPub::with_options_in(&ctx, SocketOptions::new().xpub_nodrop(nodrop).sndhwm(2))
            .expect("xpub");
        let ep = xpub.bind(&bind_endpoint("inproc")).await.expect("bind");
        let sub = Sub::with_options_in(&ctx, SocketOptions::new().rcvhwm(3)).expect("sub");
        sub.connect(&ep).await.expect("connect");
        sub.subscribe("").expect("subscribe");
        assert_eq!(next_subscription(&xpub).await, "+");
        let sent = fill(|m| xpub.try_send(m), 1000).await;
        if nodrop {
            assert_eq!(sent, 5, "SNDHWM + RCVHWM, then WouldBlock");
        } else {
            assert_eq!(sent, 1000, "never blocks");
        }
        // What reached the subscriber, once the runtime has nothing else to do.
        let mut got = Vec::new();
        let mut idle = 0;
        while idle < 200 {
            match sub.try_recv() {
                Ok(m) => {
                    got.extend(text(&m));
                    idle = 0;
                }
                Err(Error::WouldBlock) => {
                    idle += 1;
                    tokio::task::yield_now().await;
                }
                Err(e) => panic!("recv: {e}"),
            }
        }
        let numbers: Vec<u32> = got.iter().map(|t| t.parse().expect("a number")).collect();
        if nodrop {
            assert_eq!(numbers, (0..sent).collect::<Vec<_>>(), "none dropped");
        } else {
            assert!(numbers.len() < 100, "dropped at the HWM: {numbers:?}");
            assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
        }
        // Once the subscriber has read, there is room again.
        xpub.try_send(Message::from(["last"])).expect("room again");
        let m = within("the last message", sub.recv()).await.expect("recv");
        assert_eq!(text(&m), ["last"]);
    }
}

#[tokio::test]
async fn zmq_xpub_welcome_msg() {
    contract(N::XpubWelcomeMsg);
    let xpub = XPub::with_options(SocketOptions::new().xpub_welcome_msg("welcome")).expect("xpub");
    let ep = xpub.bind("tcp://127.0.0.1:*").await.expect("bind");
    let sub = Sub::new();
    sub.subscribe("welcome").expect("subscribe");
    sub.connect(&ep).await.expect("connect");
    let m = within("the welcome message", sub.recv())
        .await
        .expect("recv");
    assert_eq!(text(&m), ["welcome"]);
}

#[tokio::test]
async fn zmq_zap_domain() {
    contract_live(N::ZapDomain).await;
    let (handler, seen) = zap_recorder();
    let mut router =
        Router::with_options(SocketOptions::new().zap_domain("the-domain")).expect("router");
    router.set_zap_handler(handler);
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut dealer = Dealer::new();
    dealer.connect(&ep).await.expect("connect");
    round_trip(&mut router, &mut dealer, "x").await;
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 1, "NULL asks ZAP once a domain is set");
    assert_eq!(seen[0].domain, "the-domain");
}

/// Whether a raw tcp client of a ROUTER with this accept filter gets the greeting.
async fn admitted_over_tcp(filter: &str) -> bool {
    let router =
        Router::with_options(SocketOptions::new().tcp_accept_filter(filter)).expect("router");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let mut client = tokio::net::TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .expect("connect");
    let mut first = [0u8; 1];
    matches!(
        within("the first byte or the end", client.read(&mut first)).await,
        Ok(1)
    )
}

#[tokio::test]
async fn zmq_tcp_accept_filter() {
    contract_live(N::TcpAcceptFilter).await;
    assert!(admitted_over_tcp("127.0.0.0/8").await);
    assert!(
        !admitted_over_tcp("10.0.0.0/8").await,
        "closed before any byte"
    );
}

/// Whether an ipc client of a ROUTER with these options gets the greeting.
async fn admitted_over_ipc(options: SocketOptions) -> bool {
    let router = Router::with_options(options).expect("router");
    let ep = router.bind("ipc://*").await.expect("bind");
    let mut client = tokio::net::UnixStream::connect(ep.trim_start_matches("ipc://"))
        .await
        .expect("connect");
    let mut first = [0u8; 1];
    matches!(
        within("the first byte or the end", client.read(&mut first)).await,
        Ok(1)
    )
}

#[tokio::test]
async fn zmq_ipc_filter_gid() {
    contract_live(N::IpcFilterGid).await;
    let gid = std::fs::metadata("/proc/self").map_or(0, |m| {
        use std::os::unix::fs::MetadataExt;
        m.gid()
    });
    assert!(admitted_over_ipc(SocketOptions::new().ipc_filter_gid(gid)).await);
    assert!(
        !admitted_over_ipc(SocketOptions::new().ipc_filter_gid(gid.wrapping_add(4242))).await,
        "another group is closed before any byte"
    );
}

#[tokio::test]
async fn zmq_ipc_filter_pid() {
    contract_live(N::IpcFilterPid).await;
    let pid = i32::try_from(std::process::id()).expect("a pid");
    assert!(admitted_over_ipc(SocketOptions::new().ipc_filter_pid(pid)).await);
    assert!(
        !admitted_over_ipc(SocketOptions::new().ipc_filter_pid(pid + 1)).await,
        "a peer of another process is closed before any byte"
    );
}

#[tokio::test]
async fn zmq_ipc_filter_uid() {
    contract_live(N::IpcFilterUid).await;
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    assert!(admitted_over_ipc(SocketOptions::new().ipc_filter_uid(uid)).await);
    assert!(
        !admitted_over_ipc(SocketOptions::new().ipc_filter_uid(uid.wrapping_add(4242))).await,
        "another user is closed before any byte"
    );
}

#[tokio::test]
async fn zmq_ipv4only() {
    contract_live(N::Ipv4Only).await;
    let mut router = Router::with_options(SocketOptions::new().ipv4only(false)).expect("router");
    assert!(router.options().get_ipv6(), "IPV4ONLY 0 is IPV6 1");
    let ep = router.bind("tcp://*:*").await.expect("bind");
    let port = ep.rsplit(':').next().expect("port");
    let mut dealer = Dealer::with_options(SocketOptions::new().ipv6(true)).expect("dealer");
    dealer
        .connect(&format!("tcp://[::1]:{port}"))
        .await
        .expect("connect");
    round_trip(&mut router, &mut dealer, "v6").await;
}

#[tokio::test]
async fn zmq_vmci_buffer_size() {
    contract_live(N::VmciBufferSize).await;
    unsupported_transport_is_refused(
        "vmci://1:5555",
        SocketOptions::new().vmci_buffer_size(1 << 20),
    )
    .await;
}

#[tokio::test]
async fn zmq_vmci_buffer_min_size() {
    contract_live(N::VmciBufferMinSize).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

#[tokio::test]
async fn zmq_vmci_buffer_max_size() {
    contract_live(N::VmciBufferMaxSize).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

#[tokio::test]
async fn zmq_vmci_connect_timeout() {
    contract_live(N::VmciConnectTimeout).await;
    unsupported_transport_is_refused("vmci://1:5555", SocketOptions::new()).await;
}

// ---------------------------------------------------------------------------------------------
// The rows' tests, referenced at compile time

/// `(name, test)` for each listed test function: the list names the functions themselves, so a
/// test removed, renamed or compiled out (a `#[cfg]` on it) fails the build, or (a `#[cfg]` here
/// too) leaves its row without a test, which [`the_rows_are_the_table_and_each_has_its_test`]
/// refuses. `fn()`: only a function `#[tokio::test]` (or `#[test]`) made synchronous fits.
macro_rules! registered {
    ($($(#[$cfg:meta])* $name:ident,)*) => {{
        let mut tests: Vec<(&'static str, fn())> = Vec::new();
        $($(#[$cfg])* tests.push((stringify!($name), $name as fn()));)*
        tests
    }};
}

/// Each row's own test (`zmq_<option>`), in the table's order.
// One push a test: `vec![]` has no place for the `#[cfg]` of an entry.
#[allow(clippy::vec_init_then_push)]
fn row_tests() -> Vec<(&'static str, fn())> {
    registered![
        zmq_affinity,
        zmq_backlog,
        zmq_connect_rid,
        zmq_conflate,
        zmq_connect_timeout,
        #[cfg(feature = "curve")]
        zmq_curve_publickey,
        #[cfg(feature = "curve")]
        zmq_curve_secretkey,
        #[cfg(feature = "curve")]
        zmq_curve_server,
        #[cfg(feature = "curve")]
        zmq_curve_serverkey,
        zmq_gssapi_plaintext,
        zmq_gssapi_principal,
        zmq_gssapi_server,
        zmq_gssapi_service_principal,
        zmq_handshake_ivl,
        zmq_heartbeat_ivl,
        zmq_heartbeat_timeout,
        zmq_heartbeat_ttl,
        zmq_identity,
        zmq_immediate,
        zmq_invert_matching,
        zmq_ipv6,
        zmq_linger,
        zmq_maxmsgsize,
        zmq_multicast_hops,
        zmq_multicast_maxtpdu,
        zmq_plain_password,
        zmq_plain_server,
        zmq_plain_username,
        zmq_use_fd,
        zmq_probe_router,
        zmq_rate,
        zmq_rcvbuf,
        zmq_rcvhwm,
        zmq_rcvtimeo,
        zmq_reconnect_ivl,
        zmq_reconnect_ivl_max,
        zmq_recovery_ivl,
        zmq_req_correlate,
        zmq_req_relaxed,
        zmq_router_handover,
        zmq_router_mandatory,
        zmq_router_raw,
        zmq_sndbuf,
        zmq_sndhwm,
        zmq_sndtimeo,
        #[cfg(feature = "socks")]
        zmq_socks_proxy,
        zmq_stream_notify,
        zmq_subscribe,
        zmq_tcp_keepalive,
        zmq_tcp_keepalive_cnt,
        zmq_tcp_keepalive_idle,
        zmq_tcp_keepalive_intvl,
        zmq_tcp_maxrt,
        zmq_tos,
        zmq_unsubscribe,
        zmq_xpub_verbose,
        zmq_xpub_verboser,
        zmq_xpub_manual,
        zmq_xpub_nodrop,
        zmq_xpub_welcome_msg,
        zmq_zap_domain,
        zmq_tcp_accept_filter,
        zmq_ipc_filter_gid,
        zmq_ipc_filter_pid,
        zmq_ipc_filter_uid,
        zmq_ipv4only,
        zmq_vmci_buffer_size,
        zmq_vmci_buffer_min_size,
        zmq_vmci_buffer_max_size,
        zmq_vmci_connect_timeout,
    ]
}
