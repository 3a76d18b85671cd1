//! The libzmq peer goes away and comes back on the same endpoint: our connecting socket
//! reconnects on its own (ZMQ_RECONNECT_IVL) and traffic resumes, in order. And `disconnect`
//! with `ZMQ_LINGER`: what was queued for an endpoint before its disconnect reaches a PULL bound
//! there later, from libzmq's PUSH (the reference) and from ours. And a client refused by its
//! server (a ZAP denial, answered with ERROR) does not reconnect, ours refused by libzmq as
//! libzmq's refused by ours: one ZAP request while ten reconnect intervals pass.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use support::{bound_address, millis, LibzmqZapHandler};
use tokio::net::TcpListener;
use zmtp::socket::{Dealer, Error, Monitor, MonitorEvent, Pull, Push, SocketOptions};
use zmtp::{ZapReply, ZapRequest};

const STALL: Duration = Duration::from_secs(30);

/// A libzmq PULL bound at `endpoint` (`tcp://127.0.0.1:*` the first time) that receives until
/// it has a message numbered at least `from`, then returns its endpoint and the numbers it saw.
fn libzmq_pull_until(endpoint: String, from: u32) -> (String, Vec<u32>) {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL).expect("PULL");
    pull.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
    pull.set_linger(0).expect("ZMQ_LINGER");
    pull.bind(&endpoint)
        .expect("bind (again) on the same endpoint");
    let bound = format!("tcp://{}", bound_address(&pull));
    let mut seen = Vec::new();
    loop {
        let msg = pull
            .recv_bytes(0)
            .unwrap_or_else(|e| panic!("libzmq PULL at {bound}: nothing within {STALL:?} ({e})"));
        let n = u32::from_be_bytes(msg[..4].try_into().expect("4-byte counter"));
        seen.push(n);
        if n >= from {
            return (bound, seen);
        }
    }
}

#[tokio::test]
async fn our_push_reconnects_to_a_restarted_libzmq_pull() {
    let (ep_tx, ep_rx) = std::sync::mpsc::channel::<String>();
    let first = tokio::task::spawn_blocking(move || {
        // Report the endpoint before blocking in recv.
        let ctx = zmq::Context::new();
        let probe = ctx.socket(zmq::PULL).expect("PULL");
        probe.bind("tcp://127.0.0.1:*").expect("bind");
        let ep = format!("tcp://{}", bound_address(&probe));
        drop(probe);
        drop(ctx);
        ep_tx.send(ep.clone()).expect("test waits");
        libzmq_pull_until(ep, 0)
    });
    let ep = ep_rx.recv_timeout(STALL).expect("endpoint");
    let push = Push::with_options(
        SocketOptions::new()
            .reconnect_ivl(Some(Duration::from_millis(50)))
            .sndtimeo(Some(STALL)),
    )
    .expect("options");
    push.connect(&ep).await.expect("connect");
    push.send(0u32.to_be_bytes().to_vec()).await.expect("send");
    let (ep, seen) = first.await.expect("first libzmq PULL");
    assert_eq!(seen, vec![0]);

    // The first PULL is gone (context terminated). A new one binds the same port; we keep
    // sending numbered messages until it has one: the socket reconnected by itself.
    let second = tokio::task::spawn_blocking(move || libzmq_pull_until(ep, 1));
    let mut n = 1u32;
    while !second.is_finished() {
        push.send(n.to_be_bytes().to_vec()).await.expect("send");
        n += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(n < 10_000, "the second libzmq PULL never got a message");
    }
    let (_, seen) = second.await.expect("second libzmq PULL");
    assert!(!seen.is_empty());
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
}

/// A tcp endpoint where nothing listens now, that can be bound later.
fn free_endpoint() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    format!("tcp://{}", probe.local_addr().expect("address"))
}

/// libzmq's PUSH with ZMQ_LINGER 5 s queues three messages for an endpoint nobody listens at,
/// disconnects it, and our PULL bound there afterwards gets them: the reference behaviour.
#[tokio::test]
async fn a_libzmq_push_delivers_what_it_queued_before_disconnect() {
    let ep = free_endpoint();
    let ctx = zmq::Context::new();
    let push = ctx.socket(zmq::PUSH).expect("PUSH");
    push.set_linger(5000).expect("ZMQ_LINGER");
    push.set_reconnect_ivl(10).expect("ZMQ_RECONNECT_IVL");
    push.connect(&ep).expect("connect");
    for i in 0..3 {
        push.send(format!("queued {i}").as_bytes(), 0)
            .expect("queued");
    }
    push.disconnect(&ep).expect("disconnect");
    let pull = Pull::new();
    pull.bind(&ep).await.expect("bind");
    for i in 0..3 {
        let msg = tokio::time::timeout(STALL, pull.recv())
            .await
            .expect("a message queued before the disconnect")
            .expect("recv");
        assert_eq!(msg.frames()[0], format!("queued {i}").as_bytes());
    }
    drop(push);
    tokio::task::spawn_blocking(move || drop(ctx))
        .await
        .expect("libzmq context terminated");
}

/// The same from our PUSH to a libzmq PULL bound afterwards.
#[tokio::test]
async fn our_push_delivers_what_it_queued_before_disconnect_to_a_libzmq_pull() {
    let ep = free_endpoint();
    let push = Push::with_options(
        SocketOptions::new()
            .linger(Some(Duration::from_secs(5)))
            .reconnect_ivl(Some(Duration::from_millis(10))),
    )
    .expect("options");
    push.connect(&ep).await.expect("connect");
    for i in 0..3 {
        push.send(format!("queued {i}")).await.expect("queued");
    }
    push.disconnect(&ep).expect("disconnect");
    let got = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).expect("PULL");
        pull.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        pull.set_linger(0).expect("ZMQ_LINGER");
        pull.bind(&ep).expect("bind");
        (0..3)
            .map(|_| {
                let msg = pull
                    .recv_bytes(0)
                    .unwrap_or_else(|e| panic!("libzmq PULL: nothing within {STALL:?} ({e})"));
                String::from_utf8(msg).expect("text")
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("libzmq PULL");
    assert_eq!(got, ["queued 0", "queued 1", "queued 2"]);
}

/// The reconnect interval of the refused clients, and of the clock below.
const RECONNECT_IVL: Duration = Duration::from_millis(10);
/// How many attempts the clock makes: at least this many intervals less one have passed.
const CLOCK_ATTEMPTS: usize = 10;

/// Waits until a client with `RECONNECT_IVL` has made `CLOCK_ATTEMPTS` attempts at a listener
/// that drops each connection: the refused client has had as many chances to retry (its
/// attempts counted, not slept for).
async fn ten_reconnect_intervals_later() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("tcp://{}", listener.local_addr().expect("address"));
    let clock = Dealer::with_options(SocketOptions::new().reconnect_ivl(Some(RECONNECT_IVL)))
        .expect("options");
    clock.connect(&endpoint).await.expect("connect");
    tokio::time::timeout(STALL, async {
        for _ in 0..CLOCK_ATTEMPTS {
            let (stream, _) = listener.accept().await.expect("accept");
            drop(stream);
        }
    })
    .await
    .expect("the clock client's attempts");
}

/// The first event `pick` takes from `monitor`, within `STALL`.
async fn event<T>(
    monitor: &mut Monitor,
    what: &str,
    mut pick: impl FnMut(&MonitorEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(STALL, async {
        loop {
            let event = monitor.next().await.expect("the monitor runs");
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}: not within {STALL:?}"))
}

/// Our PLAIN client with credentials libzmq's ZAP handler refuses: libzmq answers ERROR, and
/// our client makes no second attempt (one ZAP request at libzmq while ten intervals pass), as
/// libzmq's own client does; what it is then asked to send finds no peer.
#[tokio::test]
async fn our_client_refused_by_a_libzmq_server_stops_reconnecting() {
    let ctx = zmq::Context::new();
    let zap = LibzmqZapHandler::start(&ctx, |_| (400, Vec::new()));
    let pull = ctx.socket(zmq::PULL).expect("PULL");
    pull.set_plain_server(true).expect("ZMQ_PLAIN_SERVER");
    pull.set_linger(0).expect("ZMQ_LINGER");
    pull.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = format!("tcp://{}", bound_address(&pull));

    let client = Push::with_options(
        SocketOptions::new()
            .plain_username("mallory")
            .plain_password("guess")
            .reconnect_ivl(Some(RECONNECT_IVL)),
    )
    .expect("options");
    let mut monitor = client.monitor();
    client.connect(&endpoint).await.expect("connect");
    event(&mut monitor, "the refusal", |e| {
        matches!(e, MonitorEvent::HandshakeFailedAuth { status: 400, .. }).then_some(())
    })
    .await;
    ten_reconnect_intervals_later().await;

    let retries: Vec<_> = std::iter::from_fn(|| monitor.try_recv())
        .filter(|e| {
            matches!(
                e,
                MonitorEvent::ConnectRetried { .. } | MonitorEvent::Connected { .. }
            )
        })
        .collect();
    assert!(
        retries.is_empty(),
        "the refused client retried: {retries:?}"
    );
    assert!(
        matches!(client.try_send("after the refusal"), Err(Error::WouldBlock)),
        "the refused pipe still takes messages"
    );
    let requests = zap.stop();
    assert_eq!(requests.len(), 1, "ZAP requests at libzmq: {requests:?}");
}

/// libzmq's PLAIN client refused by our server's ZAP handler: our ERROR ends libzmq's session
/// for good too (one ZAP request, one accepted connection while ten intervals pass).
#[tokio::test]
async fn a_libzmq_client_refused_by_our_server_stops_reconnecting() {
    let server = Pull::with_options(SocketOptions::new().plain_server(true)).expect("options");
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    server.set_zap_handler(move |_: ZapRequest| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { ZapReply::refuse("no such user") }
    });
    let mut monitor = server.monitor();
    let endpoint = server.bind("tcp://127.0.0.1:*").await.expect("bind");

    let ctx = zmq::Context::new();
    let push = ctx.socket(zmq::PUSH).expect("PUSH");
    push.set_plain_username(Some("mallory"))
        .expect("ZMQ_PLAIN_USERNAME");
    push.set_plain_password(Some("guess"))
        .expect("ZMQ_PLAIN_PASSWORD");
    push.set_reconnect_ivl(millis(RECONNECT_IVL))
        .expect("ZMQ_RECONNECT_IVL");
    push.set_linger(0).expect("ZMQ_LINGER");
    push.connect(&endpoint).expect("connect");

    event(&mut monitor, "the refusal", |e| {
        matches!(e, MonitorEvent::HandshakeFailedAuth { status: 400, .. }).then_some(())
    })
    .await;
    ten_reconnect_intervals_later().await;

    let accepted = std::iter::from_fn(|| monitor.try_recv())
        .filter(|e| matches!(e, MonitorEvent::Accepted { .. }))
        .count();
    assert_eq!(accepted, 0, "libzmq connected again after the refusal");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "ZAP requests at our server"
    );
}
