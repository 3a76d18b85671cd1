//! A send to an idle connection is written from the sender's own task (as libzmq's engine
//! writes at once when output restarts), not left for the connection's task to pick up later:
//! a request/reply round trip then costs no wake-up of that task.
//!
//! The REQ runs on a `current_thread` runtime with its connections on that same runtime
//! (`Context::on_caller_runtime`). After `try_send` the test blocks that thread without ever
//! yielding to the runtime, so the connection's task cannot run: the REP, on a thread of its
//! own, receives the request only if `try_send` itself wrote it.
//!
//! The receive side likewise: a REQ's receive that the transport wakes reads the reply itself.

use std::sync::mpsc;
use std::time::Duration;

use zmtp_socket::{Context, Message, Rep, Req};

/// How long the REP waits for a request before reporting that none came (a limit, not a
/// timing the test measures).
const LIMIT: Duration = Duration::from_secs(20);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A REP on a thread of its own (its connections on its runtime) that echoes two requests,
/// then returns what it received; and its endpoint.
fn echoing_rep() -> (String, std::thread::JoinHandle<Vec<Message>>) {
    let (ep_tx, ep_rx) = mpsc::channel::<String>();
    let rep_thread = std::thread::spawn(move || {
        runtime().block_on(async move {
            let ctx = Context::on_caller_runtime();
            let rep = Rep::new_in(&ctx).expect("REP");
            let ep = rep.bind("tcp://127.0.0.1:*").await.expect("bind");
            ep_tx.send(ep).expect("endpoint to the REQ");
            let mut got = Vec::new();
            // Two requests: the first completes the handshake and a round trip, the second is
            // the one under test.
            for _ in 0..2 {
                match tokio::time::timeout(LIMIT, rep.recv()).await {
                    Ok(Ok(msg)) => {
                        got.push(msg.clone());
                        rep.send(msg).await.expect("reply");
                    }
                    _ => break,
                }
            }
            got
        })
    });
    (ep_rx.recv().expect("the REP's endpoint"), rep_thread)
}

/// A REQ on a current-thread runtime of its own, connections on that runtime, after one round
/// trip with the REP at `ep`: its connection is idle (handshake done, nothing to write).
fn req_after_one_round_trip(ep: &str) -> (tokio::runtime::Runtime, Context, Req) {
    let rt = runtime();
    let ctx = Context::on_caller_runtime();
    let req = rt.block_on(async {
        let req = Req::new_in(&ctx).expect("REQ");
        req.connect(ep).await.expect("connect");
        req.send("first").await.expect("send");
        assert_eq!(req.recv().await.expect("reply"), Message::from("first"));
        req
    });
    (rt, ctx, req)
}

#[test]
fn a_request_to_an_idle_connection_is_written_by_try_send_itself() {
    let (ep, rep_thread) = echoing_rep();
    let (rt, _ctx, req) = req_after_one_round_trip(&ep);
    // The connection is idle now (handshake done, nothing waiting to be written).
    req.try_send("second").expect("a peer is attached");
    // Blocks this thread: the runtime, and the REQ's connection task with it, does not run.
    let got = rep_thread.join().expect("REP thread");
    assert_eq!(
        got,
        vec![Message::from("first"), Message::from("second")],
        "the second request reached the REP while the REQ's runtime was not running"
    );
    rt.block_on(async {
        assert_eq!(req.recv().await.expect("reply"), Message::from("second"));
    });
}

/// Wakes by setting a flag: the test sees when the transport woke the receiver.
struct Flag(std::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The reverse of the test above: a REQ's receive that the transport wakes reads the reply
/// itself, in that poll, rather than waiting for the connection's task to read it and wake the
/// receiver a second time (one more turn of the runtime each round trip).
///
/// The receive is polled by hand, outside the runtime. The runtime is turned only until the
/// transport's readiness wakes that receive: the readiness schedules the connection's task
/// too, but the runtime returns (its `block_on` future is done) before running it. The next
/// poll of the receive then has the reply only if it read the connection itself.
#[test]
fn a_reply_is_read_by_the_receive_the_transport_woke() {
    use std::future::Future;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::task::{Context as TaskContext, Poll, Waker};

    let (ep, rep_thread) = echoing_rep();
    let (rt, _ctx, req) = req_after_one_round_trip(&ep);
    req.try_send("second").expect("a peer is attached");

    let _entered = rt.enter();
    let flag = Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = TaskContext::from_waker(&waker);
    let mut recv = std::pin::pin!(req.recv());
    // Before the reply: nothing to read yet (or, on a fast peer, the reply already).
    if let Poll::Ready(reply) = recv.as_mut().poll(&mut cx) {
        assert_eq!(reply.expect("reply"), Message::from("second"));
        rep_thread.join().expect("REP thread");
        return;
    }
    // Turn the runtime until the transport wakes the receive; never longer.
    rt.block_on(async {
        let turns = async {
            while !flag.0.load(Ordering::SeqCst) {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(LIMIT, turns)
            .await
            .expect("the transport woke the receive");
    });
    match recv.as_mut().poll(&mut cx) {
        Poll::Ready(reply) => assert_eq!(reply.expect("reply"), Message::from("second")),
        Poll::Pending => panic!("the woken receive did not read the reply itself"),
    }
    rep_thread.join().expect("REP thread");
}
