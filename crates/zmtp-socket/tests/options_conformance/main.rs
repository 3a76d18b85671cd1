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
mod pubsub;
mod rows;
mod security;
mod transport;

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
use pubsub::*;
use rows::*;
use security::*;
use transport::*;
use OptionName as N;

// ---------------------------------------------------------------------------------------------
// One test per row (those of the security, pub/sub and transport options in their own files)

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
