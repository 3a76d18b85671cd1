//! Our ROUTER, REQ and REP sockets against libzmq 4.3.4, beyond what the interop matrix
//! (libzmq_matrix.rs) covers: our REQ with ZMQ_REQ_CORRELATE against libzmq's ROUTER (request
//! ids on the wire), and ROUTER_MANDATORY's EHOSTUNREACH on each side. Bodies are multipart
//! (empty frames, a 1 MiB one) and checked byte for byte.

mod support;

use std::time::Duration;

use support::{bound_address, check_message, millis, Traffic};
use tokio::sync::oneshot;
use zmtp::socket::{Dealer, Error, Message, Req, Router, SocketOptions};

const STALL: Duration = Duration::from_secs(30);
/// Round trips per REQ/REP test (one with a 1 MiB frame, at index 500).
const ROUND_TRIPS: usize = 600;

async fn join<T>(what: &str, handle: tokio::task::JoinHandle<T>) -> T {
    match tokio::time::timeout(Duration::from_secs(120), handle).await {
        Err(_) => panic!("{what} did not finish in time"),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("{what} failed: {e}"),
        Ok(Ok(v)) => v,
    }
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(STALL, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {STALL:?}"))
}

fn libzmq_socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(kind).expect("socket");
    s.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
    s.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
    s.set_linger(1000).expect("ZMQ_LINGER");
    s
}

/// A libzmq socket bound on an OS-chosen port, serving in a thread; its address comes back.
async fn libzmq_bound(
    kind: zmq::SocketType,
    serve: impl FnOnce(zmq::Socket) + Send + 'static,
) -> (String, tokio::task::JoinHandle<()>) {
    let (tx, rx) = oneshot::channel::<String>();
    let task = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let s = libzmq_socket(&ctx, kind);
        s.bind("tcp://127.0.0.1:*").expect("bind");
        tx.send(format!("tcp://{}", bound_address(&s)))
            .expect("test waits");
        serve(s);
    });
    let ep = within("libzmq's address", rx).await.expect("sent");
    (ep, task)
}

/// Our REQ: `count` requests of `Traffic::new(seed)`, each reply checked against its request.
async fn req_round_trips(req: &mut Req, seed: u64, count: usize) {
    let mut traffic = Traffic::new(seed);
    let mut scratch = Vec::new();
    for i in 0..count {
        let spec = traffic.next_spec();
        let request: Message = spec.iter().map(support::frame_bytes).collect();
        within("send", req.send(request)).await.expect("send");
        let reply = within("reply", req.recv()).await.expect("recv");
        if let Err(e) = check_message(i, &spec, &reply, &mut scratch) {
            panic!("a wrong reply: {e}");
        }
    }
}

#[tokio::test]
async fn our_correlating_req_with_libzmq_router() {
    let (ep, libzmq) = libzmq_bound(zmq::ROUTER, |s| {
        for i in 0..ROUND_TRIPS {
            let frames = s.recv_multipart(0).expect("request");
            // [routing id, request id (4 bytes), "", body...]
            assert!(frames.len() >= 4, "request {i}: {} frames", frames.len());
            assert_eq!(frames[1].len(), 4, "request {i}: the request id");
            assert!(frames[2].is_empty(), "request {i}: the delimiter");
            s.send_multipart(frames, 0).expect("reply");
        }
    })
    .await;
    let mut req = Req::with_options(SocketOptions::new().req_correlate(true)).expect("options");
    req.connect(&ep).await.expect("connect");
    req_round_trips(&mut req, 32, ROUND_TRIPS).await;
    join("the libzmq ROUTER", libzmq).await;
}

#[tokio::test]
async fn router_mandatory_ehostunreach_both_sides() {
    // Ours: a libzmq DEALER comes, speaks, and goes; then its id is unreachable.
    let router =
        Router::with_options(SocketOptions::new().router_mandatory(true)).expect("options");
    let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let (gone_tx, gone_rx) = oneshot::channel::<()>();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let dealer = libzmq_socket(&ctx, zmq::DEALER);
        dealer.set_identity(b"short-lived").expect("ZMQ_ROUTING_ID");
        dealer.set_linger(0).expect("ZMQ_LINGER");
        dealer.connect(&ep).expect("connect");
        dealer.send("hello", 0).expect("send");
        let _ = gone_rx.blocking_recv();
    });
    let hello = within("hello", router.recv()).await.expect("recv");
    assert_eq!(hello, Message::from(["short-lived", "hello"]));
    gone_tx.send(()).expect("libzmq waits");
    join("the libzmq DEALER", libzmq).await;
    within("EHOSTUNREACH once the peer is gone", async {
        loop {
            match router.try_send(Message::from(["short-lived", "x"])) {
                Err(Error::HostUnreachable(id)) => break assert_eq!(&id[..], b"short-lived"),
                Ok(()) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(e) => panic!("EHOSTUNREACH expected: {e}"),
            }
        }
    })
    .await;

    // libzmq's: our DEALER's announced id is routable; an unknown one is EHOSTUNREACH.
    let (ids_tx, ids_rx) = oneshot::channel::<()>();
    let (ep, libzmq) = libzmq_bound(zmq::ROUTER, move |r| {
        r.set_router_mandatory(true).expect("ZMQ_ROUTER_MANDATORY");
        let hello = r.recv_multipart(0).expect("hello");
        assert_eq!(hello, vec![b"ours".to_vec(), b"hi".to_vec()]);
        let err = r.send("nobody", zmq::SNDMORE).expect_err("unknown peer");
        assert_eq!(err, zmq::Error::EHOSTUNREACH);
        r.send("ours", zmq::SNDMORE).expect("known peer");
        r.send("answer", 0).expect("body");
        let _ = ids_rx.blocking_recv();
    })
    .await;
    let dealer = Dealer::with_options(SocketOptions::new().identity("ours")).expect("options");
    dealer.connect(&ep).await.expect("connect");
    dealer.send("hi").await.expect("send");
    assert_eq!(
        within("answer", dealer.recv()).await.expect("recv"),
        Message::from(["answer"])
    );
    ids_tx.send(()).expect("libzmq waits");
    join("the libzmq ROUTER", libzmq).await;
}
