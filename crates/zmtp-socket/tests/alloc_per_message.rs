//! Zero heap allocations per message on the steady-state send and receive paths.
//!
//! A counting `#[global_allocator]` counts every allocation (and reallocation) per thread. Each scenario warms up with [`WARM_UP`] rounds (connections made,
//! buffers and queues at their working size), then moves [`ROUNDS`] rounds of [`PER_ROUND`] one-frame
//! 32-byte messages and counts what the paths allocated meanwhile:
//!
//! - tcp, PUSH->PULL, DEALER->ROUTER and PUB->SUB, each side on a thread of its own with a
//!   current-thread runtime and `Context::on_caller_runtime`, so everything a side does (the
//!   application's send or receive, the connection task's encode and write or read, decode and
//!   delivery) runs on that side's thread and is counted there;
//! - inproc PUSH->PULL on one thread, the allocations counted while sending and while receiving;
//! - tcp PUSH->PULL through a context's own I/O thread (the default shape), counted on the
//!   application's thread.
//!
//! The scenarios run one after the other in a single test, so that none disturbs another.
//!
//! A round ends with an acknowledgement from the receiver (a message on a second pair of sockets
//! going back), so every message of the round has been written, read and handed over when the
//! count is taken. Nothing waits on time. What a round allocates does not depend on how reads
//! and writes happen to batch: queues keep their capacity, waking collects wakers inline, and a
//! read buffer is reused once the messages read into it are dropped (the connection keeps spare
//! buffers for the messages still queued, at most `ZMQ_RCVHWM` of them).
//!
//! To see what allocates when this fails, capture `std::backtrace::Backtrace` in `count` while a
//! thread-local flag is set around the measured rounds.

#![allow(async_fn_in_trait)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use bytes::Bytes;
use zmtp_socket::{Context, Dealer, Message, Pub, Pull, Push, Router, SocketOptions, Sub};

/// Messages per round.
const PER_ROUND: usize = 5_000;
/// Rounds of warm-up: the first makes the connections and sizes the buffers and queues; the
/// acknowledgement of the last one is still being written when the next round starts.
const WARM_UP: usize = 2;
/// Measured rounds, after the warm-up.
const ROUNDS: usize = 4;
/// Messages the sender has handed over in the first warm-up round before the receiver starts
/// reading: with both pipes at their high-water mark (1,000 each) the other 2,000 (68 KB) wait
/// in the kernel, so the receiver's first reads after that are full 64 KiB reads. The
/// connection's queues grow to the frames one read can hold, so this sizes them for the
/// largest read there can be; without it, a measured round could meet a larger read than
/// any of the warm-up's and grow them then.
const LAG: usize = 4_000;
/// Bounds every wait, so that a broken path fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(60);
/// The message body: 32 bytes, `'static` so that building a message allocates nothing.
static BODY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
static ACK: [u8; 3] = *b"ack";
/// PUB->SUB: what the publisher sends until the subscription has arrived, and the marker after
/// which every message counts.
static WARM: [u8; 32] = *b"warm-up warm-up warm-up warm-up ";
static MARKER: [u8; 32] = *b"marker marker marker marker mark";

struct Counting;

thread_local! {
    static THREAD: Cell<u64> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed by this thread.
    static LIVE: Cell<i64> = const { Cell::new(0) };
}

fn count(grown: i64) {
    // A thread being torn down has no thread-local any more (and is not measured).
    let _ = THREAD.try_with(|c| c.set(c.get() + 1));
    live(grown);
}

fn live(grown: i64) {
    let _ = LIVE.try_with(|c| c.set(c.get() + grown));
}

// SAFETY: every call is forwarded to the system allocator unchanged; counting touches only a
// const-initialised thread-local (which does not allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        live(-(layout.size() as i64));
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn thread_allocs() -> u64 {
    THREAD.with(Cell::get)
}

fn message(body: &'static [u8; 32]) -> Message {
    Message::from(Bytes::from_static(body))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(LIMIT, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: nothing within {LIMIT:?}"),
    }
}

/// The sending side of a pattern: it binds.
trait Sender {
    async fn bind_tcp(&mut self) -> String;
    async fn send_one(&mut self, body: &'static [u8; 32]);
}

/// The receiving side of a pattern: it connects, and returns each message's body.
trait Receiver {
    async fn connect_to(&mut self, endpoint: &str);
    async fn recv_one(&mut self) -> Bytes;
}

macro_rules! sender {
    ($ty:ident, $name:literal) => {
        impl Sender for $ty {
            async fn bind_tcp(&mut self) -> String {
                self.bind("tcp://127.0.0.1:*")
                    .await
                    .expect(concat!($name, " bind"))
            }

            async fn send_one(&mut self, body: &'static [u8; 32]) {
                bounded(concat!($name, " send"), self.send(message(body)))
                    .await
                    .expect(concat!($name, " send"));
            }
        }
    };
}

macro_rules! receiver {
    ($ty:ident, $name:literal, $frames:literal) => {
        impl Receiver for $ty {
            async fn connect_to(&mut self, endpoint: &str) {
                self.connect(endpoint)
                    .await
                    .expect(concat!($name, " connect"));
            }

            async fn recv_one(&mut self) -> Bytes {
                let mut msg = bounded(concat!($name, " recv"), self.recv())
                    .await
                    .expect(concat!($name, " recv"));
                assert_eq!(msg.len(), $frames, concat!("frames a ", $name, " receives"));
                msg.pop_back().expect("a body")
            }
        }
    };
}

sender!(Push, "PUSH");
sender!(Dealer, "DEALER");
sender!(Pub, "PUB");
receiver!(Pull, "PULL", 1);
receiver!(Router, "ROUTER", 2);
receiver!(Sub, "SUB", 1);

/// Allocations counted over the measured rounds.
#[derive(Debug, Clone, Copy)]
struct Counted {
    send: u64,
    recv: u64,
}

/// One side per thread, tcp, connections on each side's own runtime: returns what the sending
/// thread and the receiving thread allocated over the measured rounds.
fn two_threads<S, R>(
    make_sender: impl FnOnce(&Context) -> S + Send,
    make_receiver: impl FnOnce(&Context) -> R + Send,
    publisher: bool,
) -> Counted
where
    S: Sender,
    R: Receiver,
{
    let (ep_tx, ep_rx) = std::sync::mpsc::channel::<(String, String)>();
    // The receiver's runtime runs its connections: it stays until the last ack has arrived.
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let (lag_tx, lag_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::scope(|scope| {
        let sender = scope.spawn(move || {
            runtime().block_on(async move {
                let ctx = Context::on_caller_runtime();
                let mut out = make_sender(&ctx);
                let acks = Pull::new_in(&ctx).expect("ack PULL");
                let data = out.bind_tcp().await;
                let ack_ep = acks.bind("tcp://127.0.0.1:*").await.expect("bind acks");
                ep_tx
                    .send((data, ack_ep))
                    .expect("endpoints to the receiver");
                if publisher {
                    // Subscriptions travel: publish until the subscriber hears one (it says so
                    // on the ack pair), then a marker after which every message counts.
                    loop {
                        out.send_one(&WARM).await;
                        tokio::task::yield_now().await;
                        if acks.try_recv().is_ok() {
                            break;
                        }
                    }
                    out.send_one(&MARKER).await;
                }
                let mut counted = 0;
                let mut lag_tx = Some(lag_tx);
                for round in 0..WARM_UP + ROUNDS {
                    let before = thread_allocs();
                    for i in 0..PER_ROUND {
                        out.send_one(&BODY).await;
                        if i + 1 == LAG {
                            if let Some(tx) = lag_tx.take() {
                                let _ = tx.send(());
                            }
                        }
                    }
                    let ack = bounded("the receiver's ack", acks.recv())
                        .await
                        .expect("ack");
                    if round >= WARM_UP {
                        counted += thread_allocs() - before;
                    }
                    drop(ack);
                }
                let _ = done_tx.send(());
                counted
            })
        });
        let receiver = scope.spawn(move || {
            runtime().block_on(async move {
                let ctx = Context::on_caller_runtime();
                let mut inbox = make_receiver(&ctx);
                let acks = Push::new_in(&ctx).expect("ack PUSH");
                let (data, ack_ep) = ep_rx.recv().expect("endpoints from the sender");
                inbox.connect_to(&data).await;
                acks.connect(&ack_ep).await.expect("connect acks");
                if publisher {
                    // The first message proves the subscription arrived; the rest of the
                    // warm-up messages end with the marker.
                    let _ = inbox.recv_one().await;
                    acks.send(Message::from(Bytes::from_static(&ACK)))
                        .await
                        .expect("ack");
                    while inbox.recv_one().await != MARKER[..] {}
                }
                let mut counted = 0;
                bounded("the sender's first messages", lag_rx)
                    .await
                    .expect("the sender's signal");
                for round in 0..WARM_UP + ROUNDS {
                    let before = thread_allocs();
                    for _ in 0..PER_ROUND {
                        let got = inbox.recv_one().await;
                        assert_eq!(got, BODY[..], "the body sent");
                    }
                    acks.send(Message::from(Bytes::from_static(&ACK)))
                        .await
                        .expect("ack");
                    if round >= WARM_UP {
                        counted += thread_allocs() - before;
                    }
                }
                let _ = bounded("the sender's last ack", done_rx).await;
                counted
            })
        });
        Counted {
            send: sender.join().expect("sender thread"),
            recv: receiver.join().expect("receiver thread"),
        }
    })
}

/// inproc PUSH->PULL on one thread: rounds of sends (at most the high-water mark) then as many
/// receives; returns what the sends and what the receives allocated (the inproc link task runs
/// while either waits, so its work lands in one or the other).
fn inproc_one_thread() -> Counted {
    runtime().block_on(async {
        let ctx = Context::on_caller_runtime();
        let mut pull = Pull::new_in(&ctx).expect("PULL");
        let mut push = Push::new_in(&ctx).expect("PUSH");
        pull.bind("inproc://alloc-per-message").await.expect("bind");
        push.connect("inproc://alloc-per-message")
            .await
            .expect("connect");
        let batch = 500;
        let mut counted = Counted { send: 0, recv: 0 };
        for round in 0..WARM_UP + ROUNDS {
            let (mut send, mut recv) = (0, 0);
            for _ in 0..PER_ROUND / batch {
                let before = thread_allocs();
                for _ in 0..batch {
                    push.send_one(&BODY).await;
                }
                let sent = thread_allocs();
                for _ in 0..batch {
                    assert_eq!(pull.recv_one().await, BODY[..], "the body sent");
                }
                send += sent - before;
                recv += thread_allocs() - sent;
            }
            if round >= WARM_UP {
                counted.send += send;
                counted.recv += recv;
            }
        }
        counted
    })
}

/// tcp PUSH->PULL with the connections on a context's I/O thread (the default), the application
/// on a current-thread runtime: what the application's thread allocated over the measured rounds
/// (sending into the pipe, waking the I/O thread, receiving). The connection's own work there is
/// the code the two-thread scenarios count.
fn io_thread_tcp() -> u64 {
    // parking_lot makes its global table of parked threads on the first contended lock in the
    // process, once: make it now rather than when the I/O thread first contends with us.
    let lock = parking_lot::Mutex::new(());
    let mut guard = lock.lock();
    let _ = parking_lot::Condvar::new().wait_for(&mut guard, Duration::ZERO);
    drop(guard);
    let ctx = Context::new().expect("a context with its I/O thread");
    runtime().block_on(async {
        let mut pull = Pull::new_in(&ctx).expect("PULL");
        let mut push = Push::new_in(&ctx).expect("PUSH");
        let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
        push.connect(&ep).await.expect("connect");
        let batch = 500;
        let mut counted = 0;
        for round in 0..WARM_UP + ROUNDS {
            let before = thread_allocs();
            for _ in 0..PER_ROUND / batch {
                for _ in 0..batch {
                    push.send_one(&BODY).await;
                }
                for _ in 0..batch {
                    assert_eq!(pull.recv_one().await, BODY[..], "the body sent");
                }
            }
            if round >= WARM_UP {
                counted += thread_allocs() - before;
            }
        }
        counted
    })
}

/// Idle DEALER->ROUTER tcp connections on one thread: the heap bytes each one keeps once its
/// handshake is done and one message went through (the DEALER socket, both connection tasks and
/// their buffers, both pipes). Freed memory counts on the thread that frees it; everything here
/// runs on this one.
fn idle_connection_bytes() -> i64 {
    const PEERS: usize = 50;
    runtime().block_on(async {
        let ctx = Context::on_caller_runtime();
        let mut router = Router::new_in(&ctx).expect("ROUTER");
        let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
        let mut dealers = Vec::with_capacity(PEERS);
        let before = LIVE.with(Cell::get);
        for _ in 0..PEERS {
            let mut dealer = Dealer::new_in(&ctx).expect("DEALER");
            dealer.connect(&ep).await.expect("connect");
            dealer.send_one(&BODY).await;
            dealers.push(dealer);
        }
        for _ in 0..PEERS {
            assert_eq!(router.recv_one().await, BODY[..]);
        }
        let per_connection = (LIVE.with(Cell::get) - before) / PEERS as i64;
        drop(dealers);
        per_connection
    })
}

#[test]
fn zero_allocations_per_message_once_warm() {
    let messages = (ROUNDS * PER_ROUND) as u64;
    let mut results: Vec<(&str, u64)> = Vec::new();
    let push_pull = two_threads(
        |ctx| Push::new_in(ctx).expect("PUSH"),
        |ctx| Pull::new_in(ctx).expect("PULL"),
        false,
    );
    results.push(("tcp PUSH send path (send, encode, write)", push_pull.send));
    results.push((
        "tcp PULL receive path (read, decode, deliver, recv)",
        push_pull.recv,
    ));
    let dealer_router = two_threads(
        |ctx| Dealer::new_in(ctx).expect("DEALER"),
        |ctx| Router::new_in(ctx).expect("ROUTER"),
        false,
    );
    results.push(("tcp DEALER send path", dealer_router.send));
    results.push(("tcp ROUTER receive path", dealer_router.recv));
    let pub_sub = two_threads(
        // A publisher drops what its full queue cannot take: unbounded there, so that every
        // message arrives (the subscriber's connection stops reading at its ZMQ_RCVHWM).
        |ctx| Pub::with_options_in(ctx, SocketOptions::new().sndhwm(0)).expect("PUB"),
        |ctx| {
            let sub = Sub::new_in(ctx).expect("SUB");
            sub.subscribe("").expect("subscribe to everything");
            sub
        },
        true,
    );
    results.push(("tcp PUB send path (fan-out, encode, write)", pub_sub.send));
    results.push(("tcp SUB receive path (with its filter)", pub_sub.recv));
    let inproc = inproc_one_thread();
    results.push(("inproc PUSH send path", inproc.send));
    results.push(("inproc PULL receive path", inproc.recv));
    results.push((
        "tcp PUSH->PULL through the I/O thread, the application's thread",
        io_thread_tcp(),
    ));
    let idle = idle_connection_bytes();
    eprintln!("an idle DEALER->ROUTER tcp connection (both ends, the DEALER socket): {idle} bytes");
    for (path, allocs) in &results {
        eprintln!(
            "{path}: {allocs} allocations for {messages} messages ({:.4} per message)",
            *allocs as f64 / messages as f64
        );
    }
    let failing: Vec<String> = results
        .iter()
        .filter(|(_, allocs)| *allocs > 0)
        .map(|(path, allocs)| format!("{path}: {allocs} allocations for {messages} messages"))
        .collect();
    assert!(
        idle < 64 * 1024,
        "an idle connection keeps {idle} bytes: a full-size read buffer (64 KiB) is held idle"
    );
    assert!(
        failing.is_empty(),
        "heap allocations on the steady-state path of a one-frame 32-byte message:\n{}",
        failing.join("\n")
    );
}
