//! Contexts and `ZMQ_LINGER`: a closed socket keeps delivering what it queued after the runtime
//! that used it is gone (its connections run on the context's own threads); LINGER 0 discards;
//! `Context::term` closes the context's sockets and waits for their connections; contexts with
//! several I/O threads or on the caller's runtime work; each context has its own inproc names.

use std::time::Duration;

use zmtp_socket::{Context, Error, Message, Pull, Push, SocketOptions};

const LIMIT: Duration = Duration::from_secs(30);

/// A runtime of the kind `#[tokio::main(flavor = "current_thread")]` makes.
fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn body(i: u32, len: usize) -> Message {
    let mut b = vec![(i % 251) as u8; len];
    b[..4].copy_from_slice(&i.to_be_bytes());
    Message::single(b)
}

/// Receives `count` messages of `len` bytes in order, each checked.
async fn expect_all(pull: &mut Pull, count: u32, len: usize) {
    for i in 0..count {
        let msg = tokio::time::timeout(LIMIT, pull.recv())
            .await
            .unwrap_or_else(|_| panic!("message {i} of {count} within {LIMIT:?}"))
            .expect("recv");
        assert_eq!(msg, body(i, len), "message {i} byte-exact and in order");
    }
}

/// 20 MB queued on a PUSH (far more than the kernel's socket buffers and the receiver's
/// RCVHWM hold), the PUSH dropped and its runtime shut down: everything still arrives, because
/// the connection runs on the context's I/O thread, not on the runtime that sent.
#[test]
fn linger_delivers_after_the_sending_runtime_is_gone() {
    const COUNT: u32 = 20_000;
    const LEN: usize = 1024;
    let receiver = current_thread();
    let mut pull =
        Pull::with_options(SocketOptions::new().rcvhwm(10)).expect("pull with a small RCVHWM");
    let endpoint = receiver
        .block_on(pull.bind("tcp://127.0.0.1:*"))
        .expect("bind");

    let sender = current_thread();
    sender.block_on(async {
        let push = Push::with_options(SocketOptions::new().sndhwm(0)).expect("push");
        push.connect(&endpoint).await.expect("connect");
        for i in 0..COUNT {
            push.send(body(i, LEN)).await.expect("send");
        }
        // Dropped here with the default ZMQ_LINGER (30 s).
    });
    drop(sender);

    receiver.block_on(expect_all(&mut pull, COUNT, LEN));
}

/// A PULL (RCVHWM 10) bound at `endpoint` and a PUSH (SNDHWM 0, so unbounded, and
/// `ZMQ_LINGER` 0) connected to it.
async fn linger_zero_pair(ctx: &Context, endpoint: &str) -> (Pull, Push) {
    let pull = Pull::with_options_in(ctx, SocketOptions::new().rcvhwm(10)).expect("pull");
    pull.bind(endpoint).await.expect("bind");
    let push = Push::with_options_in(
        ctx,
        SocketOptions::new().sndhwm(0).linger(Some(Duration::ZERO)),
    )
    .expect("push");
    push.connect(endpoint).await.expect("connect");
    (pull, push)
}

/// The same over inproc with `ZMQ_LINGER` 0: the dropped PUSH's queue is discarded, so the PULL
/// gets at most what was already in its own pipe or in the link's batch in flight.
#[test]
fn linger_zero_discards_what_is_queued() {
    const COUNT: u32 = 5_000;
    let ctx = Context::new().expect("context");
    let rt = current_thread();
    rt.block_on(async {
        let (mut pull, push) = linger_zero_pair(&ctx, "inproc://linger-zero").await;
        for i in 0..COUNT {
            push.send(body(i, 16)).await.expect("send");
        }
        // The first message arrives: the link runs.
        expect_all(&mut pull, 1, 16).await;
        drop(push);
        // Everything the PULL can still read, in order, then nothing more.
        let mut got = 1;
        // (A quiet spell ends the count early under load; the bound below still holds.)
        while let Ok(msg) = tokio::time::timeout(Duration::from_millis(200), pull.recv()).await {
            assert_eq!(msg.expect("recv"), body(got, 16), "in order");
            got += 1;
        }
        // RCVHWM (10) plus one link batch (256) at most; never the whole queue.
        assert!(
            got < 10 + 256 + 2,
            "LINGER 0 discarded the queue: {got} of {COUNT} messages arrived"
        );
    });
}

/// With `ZMQ_LINGER` 0 the discard is done when the close returns, not later by the link: on
/// the caller's current-thread runtime the link cannot run while the PULL drains its queue
/// without yielding, so only what fits the PULL's RCVHWM (10) is still there to read.
#[test]
fn linger_zero_discards_before_the_close_returns() {
    const COUNT: u32 = 5_000;
    let ctx = Context::on_caller_runtime();
    let rt = current_thread();
    rt.block_on(async {
        let (mut pull, push) = linger_zero_pair(&ctx, "inproc://linger-zero-now").await;
        // One message through first: the link is up, so the rest go straight into the PULL's
        // queue (the direct path), far beyond its RCVHWM, as SNDHWM 0 allows.
        push.send(body(0, 16)).await.expect("send");
        expect_all(&mut pull, 1, 16).await;
        for i in 1..COUNT {
            push.send(body(i, 16)).await.expect("send");
        }
        drop(push);
        let mut got = 1;
        while let Ok(msg) = pull.try_recv() {
            assert_eq!(msg, body(got, 16), "in order");
            got += 1;
        }
        assert!(
            got <= 10 + 1,
            "LINGER 0 left {got} of {COUNT} messages to read after the close returned"
        );
    });
}

/// How long `term_waits_for_linger_then_returns` gives `term`: a third of libzmq's default
/// `ZMQ_LINGER` (30 s), so that a term that ignored the socket's LINGER of 100 ms, and waited
/// for the default instead, fails; and a hundred times that LINGER, for a loaded machine.
const TERM_LIMIT: Duration = Duration::from_secs(10);

/// `Context::term` returns once a closed socket's LINGER has run out, although its peer never
/// came; the socket's messages are then gone.
#[test]
fn term_waits_for_linger_then_returns() {
    assert!(
        TERM_LIMIT * 3 <= SocketOptions::new().get_linger().expect("a finite default"),
        "the limit must stay well under the default linger"
    );
    let ctx = Context::new().expect("context");
    let rt = current_thread();
    rt.block_on(async {
        let push = Push::with_options_in(
            &ctx,
            SocketOptions::new().linger(Some(Duration::from_millis(100))),
        )
        .expect("push");
        // Nobody listens there: the message stays queued until LINGER gives up.
        push.connect("ipc://@zmtp-test-term-no-peer")
            .await
            .expect("connect");
        push.send(Message::single("never delivered"))
            .await
            .expect("queued");
        drop(push);
        tokio::time::timeout(TERM_LIMIT, ctx.term())
            .await
            .expect("term returns once LINGER (100 ms, not the default 30 s) has run out");
    });
}

/// `Context::term` closes the sockets still open (their calls fail with `Closed`, libzmq's
/// ETERM) and the context takes no new sockets.
#[test]
fn term_closes_open_sockets_and_refuses_new_ones() {
    let ctx = Context::new().expect("context");
    let rt = current_thread();
    rt.block_on(async {
        let mut pull = Pull::new_in(&ctx).expect("pull");
        pull.bind("inproc://term-open").await.expect("bind");
        let push = Push::new_in(&ctx).expect("push");
        push.connect("inproc://term-open").await.expect("connect");
        push.send(Message::single("before term"))
            .await
            .expect("send");
        expect_message(&mut pull, "before term").await;

        tokio::time::timeout(LIMIT, ctx.term())
            .await
            .expect("term returns");
        // Each says the context was terminated (libzmq's ETERM), not merely "closed".
        let sent = push.send(Message::single("x")).await;
        assert!(matches!(sent, Err(Error::ContextTerminated)), "{sent:?}");
        assert!(matches!(pull.recv().await, Err(Error::ContextTerminated)));
        assert!(matches!(pull.try_recv(), Err(Error::ContextTerminated)));
        assert!(matches!(push.try_send("x"), Err(Error::ContextTerminated)));
        let made = Push::new_in(&ctx).map(|_| ());
        assert!(matches!(made, Err(Error::ContextTerminated)), "{made:?}");
        let bound = pull.bind("inproc://term-later").await;
        assert!(matches!(bound, Err(Error::ContextTerminated)), "{bound:?}");
        let text = made.expect_err("refused").to_string();
        assert!(text.contains("context was terminated (ETERM)"), "{text}");
        assert!(Error::ContextTerminated.is_closed() && Error::Closed.is_closed());
    });
}

async fn expect_message(pull: &mut Pull, text: &str) {
    let msg = tokio::time::timeout(LIMIT, pull.recv())
        .await
        .unwrap_or_else(|_| panic!("{text:?} within {LIMIT:?}"))
        .expect("recv");
    assert_eq!(msg, Message::single(text.to_owned()));
}

/// `Context::term_blocking` from a plain thread, after the sender's runtime is gone: returns
/// once the connection has written everything, and everything arrives.
#[test]
fn term_blocking_flushes_from_outside_any_runtime() {
    const COUNT: u32 = 2_000;
    let receiver = current_thread();
    let mut pull = Pull::new();
    let endpoint = receiver
        .block_on(pull.bind("tcp://127.0.0.1:*"))
        .expect("bind");
    let ctx = Context::new().expect("context");
    current_thread().block_on(async {
        let push = Push::new_in(&ctx).expect("push");
        push.connect(&endpoint).await.expect("connect");
        for i in 0..COUNT {
            push.send(body(i, 100)).await.expect("send");
        }
    });
    let term = std::thread::spawn(move || ctx.term_blocking());
    receiver.block_on(expect_all(&mut pull, COUNT, 100));
    term.join().expect("term_blocking returned");
}

/// Contexts with several I/O threads, and on the caller's runtime, carry traffic over tcp.
#[test]
fn io_threads_and_caller_runtime_contexts_work() {
    for ctx in [
        Context::with_io_threads(2).expect("two I/O threads"),
        Context::on_caller_runtime(),
    ] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut pull = Pull::new_in(&ctx).expect("pull");
            let endpoint = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
            let push = Push::new_in(&ctx).expect("push");
            push.connect(&endpoint).await.expect("connect");
            for i in 0..1_000 {
                push.send(body(i, 64)).await.expect("send");
            }
            expect_all(&mut pull, 1_000, 64).await;
        });
    }
    assert!(matches!(
        Context::with_io_threads(0),
        Err(Error::InvalidArgument(_))
    ));
}

/// Each context has its own inproc namespace, as in libzmq: the same name binds in two
/// contexts, and a connect reaches the binder of its own context.
#[test]
fn inproc_names_belong_to_their_context() {
    let (a, b) = (Context::new().expect("a"), Context::new().expect("b"));
    current_thread().block_on(async {
        let pull_a = Pull::new_in(&a).expect("pull a");
        let mut pull_b = Pull::new_in(&b).expect("pull b");
        pull_a
            .bind("inproc://shared-name")
            .await
            .expect("bind in a");
        pull_b
            .bind("inproc://shared-name")
            .await
            .expect("the same name binds in another context");
        let push_b = Push::new_in(&b).expect("push b");
        push_b
            .connect("inproc://shared-name")
            .await
            .expect("connect in b");
        push_b.send(Message::single("to b")).await.expect("send");
        expect_message(&mut pull_b, "to b").await;
        assert!(
            matches!(pull_a.try_recv(), Err(Error::WouldBlock)),
            "nothing reached the other context's socket"
        );
    });
}

/// A message sent while the connection is still being made, by a socket dropped right after,
/// is delivered (the connecter keeps connecting within ZMQ_LINGER): at once to a listening
/// peer, and to a peer that binds only after the drop.
#[test]
fn a_socket_closed_before_its_connection_is_made_still_delivers() {
    let rt = current_thread();
    rt.block_on(async {
        let mut pull = Pull::new();
        let endpoint = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
        let push = Push::new();
        push.connect(&endpoint).await.expect("connect");
        push.send(Message::single("sent before the connection"))
            .await
            .expect("send");
        drop(push);
        expect_message(&mut pull, "sent before the connection").await;

        let late = "ipc://@zmtp-test-linger-late-bind";
        let push = Push::new();
        push.connect(late).await.expect("connect");
        push.send(Message::single("sent before the bind"))
            .await
            .expect("send");
        drop(push);
        let mut pull = Pull::new();
        pull.bind(late)
            .await
            .expect("bind after the sender is gone");
        expect_message(&mut pull, "sent before the bind").await;
    });
}
