//! Hostile peers over real TCP (issue 9, item 2). Each case is a raw tokio stream speaking
//! (or abusing) ZMTP 3.x at a real socket, with a well-behaved peer beside it that must keep
//! being served: it does round trips before, during and after the attack. Then the attack's
//! connections must be gone: the context's tasks and the process's open sockets back at
//! their baseline, and the live heap (a counting global allocator) back near its own.
//!
//! - a greeting sent byte by byte and then stalled: `ZMQ_HANDSHAKE_IVL` frees it;
//! - a frame claiming 2^63 bytes: refused at its size field; one claiming 2^63 - 1 (legal
//!   without `ZMQ_MAXMSGSIZE`, as in libzmq): the memory held grows with the bytes that arrive,
//!   never with the size claimed;
//! - a frame over `ZMQ_MAXMSGSIZE`: refused at its size field, before any of its body;
//! - a multipart message that never ends, at a PULL with `ZMQ_MAXMSGSIZE`: the connection is
//!   dropped once the message counts more than the limit, the heap having grown by no more
//!   than the limit;
//! - a PING flood from a peer that never reads its PONGs: the heap stays bounded;
//! - garbage after a good handshake: what came whole before it is delivered, the partial
//!   message is not, the connection is closed;
//! - CURVE HELLOs with bad boxes from four attackers at once: each closed; the good CURVE
//!   client's round-trip latencies during the flood are printed (`--nocapture`);
//! - 1,000 half-open connections (silent, or stopping after the greeting), all open at once:
//!   the good peer is served, unbinding their endpoint closes them all;
//! - 100,000 subscriptions of 200-byte topics: the publisher keeps publishing to its good
//!   subscriber, its memory grows in proportion to the subscriptions, and cancelling them frees
//!   it (but for the trie's node slots, about 100 bytes a node, kept at their peak capacity).
//!
//! The tests take the process for themselves one at a time (the heap and descriptor counts are
//! process-wide; the socket count is of TCP sockets, every attack's transport, so that the
//! signal-driver socket pair of another test's runtime starting meanwhile does not count). Every wait is for a condition, bounded as a hang guard; no timing is asserted
//! except lower bounds.

mod common;

#[cfg(feature = "curve")]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(feature = "curve")]
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zmtp_codec::MechanismName;
#[cfg(feature = "curve")]
use zmtp_security::CurveKeyPair;
use zmtp_socket::{Context, Dealer, Message, Pub, Pull, Router, SocketOptions, Sub};

use common::heap;
use common::raw::{
    command, frame, greeting, greeting_and_ready, greeting_and_ready_with, noise, until_closed,
};
use common::{assert_waited, eventually, within};

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

/// Heap a finished attack may leave above the baseline: allocator-internal and runtime
/// bookkeeping, far below what any of the attacks would leak if its connections' buffers or
/// state stayed.
const SLACK: usize = 2 << 20;

/// What the process holds before an attack.
#[derive(Debug, Clone, Copy)]
struct Baseline {
    heap: usize,
    sockets: usize,
    tasks: usize,
}

impl Baseline {
    fn take(ctx: &Context) -> Baseline {
        Baseline {
            heap: heap::live(),
            sockets: heap::open_tcp_sockets(),
            tasks: ctx.live_tasks(),
        }
    }

    /// Waits until the attack's connections are gone (tasks and sockets back at the
    /// baseline) and the live heap is back within [`SLACK`] of it.
    async fn settled(&self, ctx: &Context, what: &str) {
        self.settled_keeping(ctx, what, 0).await;
    }

    /// [`Baseline::settled`], allowing `kept` more bytes of heap that the socket keeps by
    /// design.
    async fn settled_keeping(&self, ctx: &Context, what: &str, kept: usize) {
        eventually(&format!("{what}: connection tasks gone"), || {
            ctx.live_tasks() <= self.tasks
        })
        .await;
        // A generous hang guard: a server still reading an attack's backlog (36 MB of PINGs,
        // unoptimised, on a loaded machine) closes that socket only once it reaches the end.
        tokio::time::timeout(Duration::from_secs(120), async {
            while heap::open_tcp_sockets() > self.sockets {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{what}: sockets closed: not within 120 s"));
        let mut last = 0;
        within(&format!("{what}: heap back near its baseline"), async {
            loop {
                last = heap::live();
                if last <= self.heap + SLACK + kept {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
        println!(
            "{what}: settled; heap {} KiB above the baseline, {} tasks, {} sockets",
            (last as isize - self.heap as isize) / 1024,
            ctx.live_tasks(),
            heap::open_tcp_sockets()
        );
    }
}

/// A ROUTER under attack, in a context of its own, and a good DEALER client ("good") beside it.
struct Served {
    ctx: Context,
    router: Router,
    good: Dealer,
    ep: String,
    rounds: u32,
}

impl Served {
    async fn new(server: SocketOptions, client: SocketOptions) -> Served {
        let ctx = Context::new().expect("context");
        let router = Router::with_options_in(&ctx, server).expect("router options");
        let ep = router.bind("tcp://127.0.0.1:*").await.expect("bind");
        let good = Dealer::with_options_in(&ctx, client.identity("good")).expect("dealer");
        good.connect(&ep).await.expect("connect");
        let mut served = Served {
            ctx,
            router,
            good,
            ep,
            rounds: 0,
        };
        served.round_trip().await;
        served
    }

    fn addr(&self) -> String {
        self.ep.strip_prefix("tcp://").expect("tcp").to_owned()
    }

    /// Ends the test: closes both sockets and waits until the context's tasks are gone, so
    /// that nothing of this test is freed during the next one's measurements.
    async fn finish(self) {
        drop(self.router);
        drop(self.good);
        within("the context's term", self.ctx.term()).await;
    }

    /// The good client sends a numbered request, the ROUTER answers it; how long that took.
    async fn round_trip(&mut self) -> Duration {
        self.rounds += 1;
        let n = self.rounds.to_string();
        let start = Instant::now();
        self.good.send(n.clone()).await.expect("good send");
        let req = within("the good client's request", self.router.recv())
            .await
            .expect("router recv");
        assert_eq!(
            req,
            Message::from(["good".to_owned(), n.clone()]),
            "only the good client's requests reach the ROUTER"
        );
        self.router
            .send(Message::from(["good".to_owned(), n.clone()]))
            .await
            .expect("router send");
        let rep = within("the good client's reply", self.good.recv())
            .await
            .expect("good recv");
        assert_eq!(rep, Message::from([n]));
        start.elapsed()
    }

    /// Round trips while `attack` runs (spawned), and until it ends; their latencies.
    async fn served_during<T: Send + 'static>(
        &mut self,
        attack: tokio::task::JoinHandle<T>,
    ) -> (T, Vec<Duration>) {
        let mut latencies = Vec::new();
        while !attack.is_finished() {
            latencies.push(self.round_trip().await);
        }
        let result = within("the attack to end", attack)
            .await
            .expect("the attack task");
        latencies.push(self.round_trip().await);
        (result, latencies)
    }
}

async fn raw_connect(addr: &str) -> TcpStream {
    TcpStream::connect(addr).await.expect("raw connect")
}

// ---------------------------------------------------------------------------------------------

/// Ten clients each send the first 40 bytes of a greeting one byte at a time, then stall. The
/// good client is served while they do; `ZMQ_HANDSHAKE_IVL` closes each, not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeting_byte_by_byte_then_stall_is_freed_by_handshake_ivl() {
    let _alone = heap::exclusive().await;
    let ivl = Duration::from_millis(300);
    let mut s = Served::new(
        SocketOptions::new().handshake_ivl(Some(ivl)),
        SocketOptions::new(),
    )
    .await;
    let base = Baseline::take(&s.ctx);
    let addr = s.addr();
    let attack = tokio::spawn(async move {
        let mut slow = Vec::new();
        for _ in 0..10 {
            let addr = addr.clone();
            slow.push(tokio::spawn(async move {
                let start = Instant::now();
                let mut stream = raw_connect(&addr).await;
                for &b in &greeting(MechanismName::NULL)[..40] {
                    stream.write_all(&[b]).await.expect("one byte");
                    tokio::task::yield_now().await;
                }
                until_closed(&mut stream, "a stalled greeting closed").await;
                assert_waited(start, ivl, "ZMQ_HANDSHAKE_IVL");
            }));
        }
        for t in slow {
            t.await.expect("stalled client");
        }
    });
    let ((), latencies) = s.served_during(attack).await;
    println!("stalled greetings: {} good round trips", latencies.len());
    base.settled(&s.ctx, "stalled greetings").await;
    s.round_trip().await;
    s.finish().await;
}
/// A frame claiming 2^63 bytes is refused at its size field. One claiming 2^63 - 1 is legal
/// without `ZMQ_MAXMSGSIZE` (libzmq waits for it too), but what it holds is what arrived:
/// after 256 KiB of its body the heap has grown by a few times that, not by the size claimed.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_frame_sizes_are_refused_or_never_allocated() {
    let _alone = heap::exclusive().await;
    let mut s = Served::new(SocketOptions::new(), SocketOptions::new()).await;
    let base = Baseline::take(&s.ctx);

    let mut bytes = greeting_and_ready("DEALER");
    bytes.push(0x02);
    bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
    let mut stream = raw_connect(&s.addr()).await;
    stream.write_all(&bytes).await.expect("write");
    until_closed(&mut stream, "a 2^63-byte frame refused").await;
    drop(stream);
    s.round_trip().await;

    heap::reset_peak();
    let mut bytes = greeting_and_ready("DEALER");
    bytes.push(0x02);
    bytes.extend_from_slice(&(i64::MAX as u64).to_be_bytes());
    let mut stream = raw_connect(&s.addr()).await;
    stream.write_all(&bytes).await.expect("write");
    const SENT: usize = 256 * 1024;
    let body = vec![0x5a; 16 * 1024];
    for _ in 0..SENT / body.len() {
        stream.write_all(&body).await.expect("part of the body");
        s.round_trip().await;
    }
    let grown = heap::peak().saturating_sub(base.heap);
    println!("2^63 - 1 claimed, {SENT} bytes sent: heap peak {grown} bytes above the baseline");
    assert!(
        grown < 16 * SENT,
        "a frame's claimed size must not be allocated: the heap grew by {grown} bytes after \
         {SENT} bytes of its body"
    );
    drop(stream);
    base.settled(&s.ctx, "huge frame sizes").await;
    s.round_trip().await;
    s.finish().await;
}
/// A frame over `ZMQ_MAXMSGSIZE` is refused at its size field: our side closes the stream
/// though none of the body was sent.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_maxmsgsize_is_refused_before_its_body() {
    let _alone = heap::exclusive().await;
    let max = 64 * 1024;
    let mut s = Served::new(
        SocketOptions::new().maxmsgsize(Some(max)),
        SocketOptions::new(),
    )
    .await;
    let base = Baseline::take(&s.ctx);
    for claimed in [max + 1, 1 << 40] {
        let mut bytes = greeting_and_ready("DEALER");
        bytes.push(0x02);
        bytes.extend_from_slice(&claimed.to_be_bytes());
        let mut stream = raw_connect(&s.addr()).await;
        stream.write_all(&bytes).await.expect("write");
        until_closed(&mut stream, "a frame over ZMQ_MAXMSGSIZE refused").await;
        s.round_trip().await;
    }
    // A frame of exactly the limit still passes.
    let mut stream = raw_connect(&s.addr()).await;
    let mut bytes = greeting_and_ready("DEALER");
    bytes.extend_from_slice(&frame(0, &vec![7u8; max as usize]));
    stream.write_all(&bytes).await.expect("write");
    let msg = within("a frame of exactly ZMQ_MAXMSGSIZE", s.router.recv())
        .await
        .expect("recv");
    assert_eq!(msg.frames()[1].len(), max as usize);
    drop(stream);
    base.settled(&s.ctx, "ZMQ_MAXMSGSIZE").await;
    s.round_trip().await;
    s.finish().await;
}
/// A raw PUSH peer sends a PULL with `ZMQ_MAXMSGSIZE` (1 MiB) a message that never ends:
/// 1 KiB frames with MORE, up to 64 MiB of them. The PULL drops the connection (the peer reads
/// the end of the stream) once the message counts more than the limit (its bodies and 64 bytes
/// per frame after the first), and its heap meanwhile grows by the limit and a few read
/// buffers, not by what was sent. A well-behaved peer is served afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_multipart_message_over_maxmsgsize_is_dropped_with_the_heap_bounded() {
    let _alone = heap::exclusive().await;
    const MAX: u64 = 1 << 20;
    const SENT_AT_MOST: usize = 64 << 20;
    let ctx = Context::new().expect("context");
    let pull = Pull::with_options_in(&ctx, SocketOptions::new().maxmsgsize(Some(MAX)))
        .expect("pull options");
    let ep = pull.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr = ep.strip_prefix("tcp://").expect("tcp").to_owned();
    let base = Baseline::take(&ctx);
    // 64 frames of 1 KiB with MORE, built before the measurement starts.
    let chunk = frame(0x01, &[0x5a; 1024]).repeat(64);
    heap::reset_peak();

    let stream = raw_connect(&addr).await;
    let (mut from_pull, mut to_pull) = stream.into_split();
    let writer = tokio::spawn(async move {
        to_pull
            .write_all(&greeting_and_ready("PUSH"))
            .await
            .expect("handshake");
        let mut sent = 0;
        while sent < SENT_AT_MOST {
            if to_pull.write_all(&chunk).await.is_err() {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    until_closed(&mut from_pull, "the endless message's connection dropped").await;
    let sent = within("the writer to stop", writer).await.expect("writer");
    let grown = heap::peak().saturating_sub(base.heap);
    println!(
        "endless multipart at ZMQ_MAXMSGSIZE {MAX}: dropped after {sent} bytes written; heap \
         peak {grown} bytes above the baseline"
    );
    assert!(
        sent < SENT_AT_MOST,
        "the peer could write all {sent} bytes: its connection was not dropped"
    );
    assert!(
        grown < MAX as usize + SLACK,
        "an endless message must be bounded by ZMQ_MAXMSGSIZE: the heap grew by {grown} bytes"
    );
    drop(from_pull);
    base.settled(&ctx, "endless multipart").await;

    // A well-behaved peer's message within the limit (1000 + 64 + 1000 bytes) still arrives.
    let mut good = raw_connect(&addr).await;
    let mut bytes = greeting_and_ready("PUSH");
    bytes.extend_from_slice(&frame(0x01, &[1; 1000]));
    bytes.extend_from_slice(&frame(0x00, &[2; 1000]));
    good.write_all(&bytes).await.expect("write");
    let msg = within("a message within the limit", pull.recv())
        .await
        .expect("recv");
    assert_eq!(msg, Message::from([vec![1u8; 1000], vec![2u8; 1000]]));
    drop(good);
    drop(pull);
    within("the context's term", ctx.term()).await;
}

/// A peer that completes the handshake, then floods PINGs (4 million, 36 MB) and never reads a
/// PONG: the good client is served throughout, and the heap stays bounded (PONGs owed to a peer
/// that does not read are not piled up without limit; libzmq keeps at most one).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_flood_from_a_peer_that_never_reads_stays_bounded() {
    let _alone = heap::exclusive().await;
    let mut s = Served::new(SocketOptions::new(), SocketOptions::new()).await;
    let base = Baseline::take(&s.ctx);
    heap::reset_peak();
    const PINGS: usize = 4_000_000;
    let addr = s.addr();
    let attack = tokio::spawn(async move {
        let mut stream = raw_connect(&addr).await;
        stream
            .write_all(&greeting_and_ready("DEALER"))
            .await
            .expect("handshake");
        let ping = command("PING", &[0, 0]);
        let chunk: Vec<u8> = ping
            .iter()
            .copied()
            .cycle()
            .take(ping.len() * 8192)
            .collect();
        for _ in 0..PINGS / 8192 {
            stream.write_all(&chunk).await.expect("PINGs");
        }
        stream
    });
    let (stream, latencies) = s.served_during(attack).await;
    let grown = heap::peak().saturating_sub(base.heap);
    println!(
        "PING flood ({PINGS} PINGs, {} MB): heap peak {} KiB above the baseline; {} good round trips",
        PINGS * 9 / 1_000_000,
        grown / 1024,
        latencies.len()
    );
    assert!(
        grown < 8 << 20,
        "a PING flood must not pile up PONGs: the heap grew by {grown} bytes"
    );
    drop(stream);
    base.settled(&s.ctx, "PING flood").await;
    s.finish().await;
}
/// After a good handshake and one whole message, the first frame of another and then noise:
/// the whole message is delivered, the partial one is not, the connection is closed.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_after_a_good_handshake_closes_and_keeps_what_was_whole() {
    let _alone = heap::exclusive().await;
    let mut s = Served::new(SocketOptions::new(), SocketOptions::new()).await;
    let base = Baseline::take(&s.ctx);
    let mut bytes = greeting_and_ready_with(&[("Socket-Type", "DEALER"), ("Identity", "raw")]);
    bytes.extend_from_slice(&frame(0, b"whole"));
    bytes.extend_from_slice(&frame(0x01, b"partial"));
    // Reserved-free flags with COMMAND and MORE together: a protocol error, then noise.
    bytes.extend_from_slice(&[0x05, 0x03]);
    bytes.extend_from_slice(&noise(64 * 1024, 7));
    let mut stream = raw_connect(&s.addr()).await;
    let _ = stream.write_all(&bytes).await;
    until_closed(&mut stream, "the garbage-speaking peer closed").await;
    let whole = within("the whole message", s.router.recv())
        .await
        .expect("recv");
    assert_eq!(whole, Message::from(["raw", "whole"]));
    s.round_trip().await;
    assert!(
        s.router.try_recv().is_err(),
        "nothing of the partial message was delivered"
    );
    drop(stream);
    base.settled(&s.ctx, "garbage after the handshake").await;
    s.finish().await;
}
/// CURVE HELLOs whose boxes do not open, from four attackers reconnecting as fast as they can
/// (1,000 in all): each is closed, and a good CURVE client is served during the flood. Its
/// round-trip latencies are printed, not asserted.

#[cfg(feature = "curve")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_curve_hellos_leaves_good_clients_served() {
    let _alone = heap::exclusive().await;
    let server = CurveKeyPair::generate();
    let client = CurveKeyPair::generate();
    let mut s = Served::new(
        SocketOptions::new()
            .curve_server(true)
            .curve_secret_key(server.secret().clone()),
        SocketOptions::new()
            .curve_server_key(*server.public())
            .curve_public_key(*client.public())
            .curve_secret_key(client.secret().clone()),
    )
    .await;
    let base = Baseline::take(&s.ctx);
    let addr = s.addr();
    const ATTACKERS: u64 = 4;
    const EACH: u64 = 250;
    let closed = Arc::new(AtomicUsize::new(0));
    let count = closed.clone();
    let attack = tokio::spawn(async move {
        let mut tasks = Vec::new();
        for a in 0..ATTACKERS {
            let addr = addr.clone();
            let count = count.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..EACH {
                    // HELLO: version 1.0, 72 zero bytes, a client transient key, a nonce, and
                    // an 80-byte box of noise that will not open.
                    let mut hello = vec![1, 0];
                    hello.extend_from_slice(&[0; 72]);
                    hello.extend_from_slice(&noise(32 + 8 + 80, a << 32 | i | 1));
                    let mut bytes = greeting(MechanismName::CURVE);
                    bytes.extend_from_slice(&command("HELLO", &hello));
                    let mut stream = raw_connect(&addr).await;
                    let _ = stream.write_all(&bytes).await;
                    until_closed(&mut stream, "a bad HELLO closed").await;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.expect("attacker");
        }
    });
    let ((), mut latencies) = s.served_during(attack).await;
    assert_eq!(closed.load(Ordering::Relaxed), (ATTACKERS * EACH) as usize);
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() - 1) * p / 100];
    println!(
        "CURVE HELLO flood ({} bad HELLOs): good client {} round trips during it, p50 {:?}, \
         p99 {:?}, max {:?}",
        ATTACKERS * EACH,
        latencies.len(),
        pct(50),
        pct(99),
        pct(100)
    );
    base.settled(&s.ctx, "CURVE HELLO flood").await;
    s.round_trip().await;
    s.finish().await;
}
/// 1,000 connections that never finish a handshake (half silent, half stopping after the
/// greeting), all open at once: the good client is served while they are, and unbinding the
/// endpoint they came through closes every one (our side closes them: each client reads the
/// end of its stream); the process's open sockets, tasks and heap return to their count before.
///
/// `ZMQ_HANDSHAKE_IVL` is a minute here, a hang guard never reached: with a short one (2 s),
/// the first connections expired before the last were made on a loaded machine (441 of 1,000
/// were open at once), so the attack was never the thousand it says. That the interval frees a
/// half-open connection is `connection_faults.rs`'s `handshake_ivl_*` tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_half_open_connections_are_freed() {
    let _alone = heap::exclusive().await;
    const CONNS: usize = 1000;
    let need = heap::open_fds() + 2 * CONNS + 64;
    assert!(
        heap::fd_limit() >= need,
        "this test needs {need} open files (both ends of {CONNS} connections); raise the soft \
         limit with `ulimit -n {need}`"
    );
    // A listen backlog for them all: a full accept queue leaves the kernel holding connections
    // the client believes open, which it retries for seconds.
    let mut server = SocketOptions::new().handshake_ivl(Some(Duration::from_secs(60)));
    server.set_backlog(CONNS as i32 + 100).expect("ZMQ_BACKLOG");
    let mut s = Served::new(server, SocketOptions::new()).await;
    // The attackers come through an endpoint of their own, which the end of the test unbinds.
    let attacked = s.router.bind("tcp://127.0.0.1:*").await.expect("bind");
    let attacked_addr = attacked.strip_prefix("tcp://").expect("tcp").to_owned();
    let counts = count_connections(s.router.monitor(), attacked.clone());
    let base = Baseline::take(&s.ctx);
    heap::reset_peak();
    let (unbound_tx, unbound) = tokio::sync::watch::channel(false);
    let mut clients = Vec::new();
    for i in 0..CONNS {
        let addr = attacked_addr.clone();
        let mut unbound = unbound.clone();
        clients.push(tokio::spawn(async move {
            let mut stream = raw_connect(&addr).await;
            if i % 2 == 1 {
                stream
                    .write_all(&greeting(MechanismName::NULL))
                    .await
                    .expect("greeting");
            }
            let _ = unbound.wait_for(|&u| u).await;
            until_closed(&mut stream, "a half-open connection closed by our side").await;
        }));
    }
    // Every one accepted, and none ended: all 1,000 open at once.
    let mut seen = counts.clone();
    within(
        "the 1,000 half-open connections accepted",
        seen.wait_for(|c| c.accepted >= CONNS),
    )
    .await
    .expect("the monitor runs");
    let now = *seen.borrow();
    assert_eq!(
        now,
        Counts {
            accepted: CONNS,
            ended: 0
        },
        "all {CONNS} half-open connections open at once"
    );
    let open_now = s.ctx.live_tasks() - base.tasks;
    for _ in 0..10 {
        s.round_trip().await;
    }
    let grown = heap::peak().saturating_sub(base.heap);
    println!(
        "{CONNS} half-open connections open at once ({open_now} connection tasks): heap peak \
         {} KiB above the baseline ({} bytes a connection)",
        grown / 1024,
        grown / CONNS
    );
    s.router.unbind(&attacked).expect("unbind");
    unbound_tx.send(true).expect("the clients wait");
    for c in clients {
        within("a half-open client", c).await.expect("client");
    }
    assert_eq!(
        counts.borrow().accepted,
        CONNS,
        "no other connection came through"
    );
    base.settled(&s.ctx, "half-open connections").await;
    s.round_trip().await;
    s.finish().await;
}

/// Connections through one endpoint: accepted so far, and ended so far (a handshake failure or
/// a disconnect, whichever comes first for each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    accepted: usize,
    ended: usize,
}

/// Counts the connections `monitor` reports through `endpoint` (in a task of its own, ending
/// with the monitor): a connection accepted there is `ACCEPTED` with the endpoint, its end
/// `DISCONNECTED` with the same one.
fn count_connections(
    mut monitor: zmtp_socket::Monitor,
    endpoint: String,
) -> tokio::sync::watch::Receiver<Counts> {
    use futures::StreamExt;
    use zmtp_socket::MonitorEvent;
    let (tx, rx) = tokio::sync::watch::channel(Counts::default());
    tokio::spawn(async move {
        while let Some(event) = monitor.next().await {
            if event.endpoint() != endpoint {
                continue;
            }
            match event {
                MonitorEvent::Accepted { .. } => tx.send_modify(|c| c.accepted += 1),
                MonitorEvent::Disconnected { .. } => tx.send_modify(|c| c.ended += 1),
                _ => {}
            }
        }
    });
    rx
}
/// A raw subscriber sends 100,000 SUBSCRIBEs of 200-byte topics (20 MB). The publisher keeps
/// publishing to its good subscriber meanwhile; once all are applied its heap has grown in
/// proportion to them (at most a few times their bytes), and once they are cancelled what they
/// held is freed but for the trie's node slab, which keeps its peak capacity.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_long_subscriptions_are_bounded_and_freed() {
    let _alone = heap::exclusive().await;
    const SUBS: usize = 100_000;
    const TOPIC: usize = 200;
    let ctx = Context::new().expect("context");
    let mut publisher = Pub::new_in(&ctx).expect("pub");
    let ep = publisher.bind("tcp://127.0.0.1:*").await.expect("bind");
    let addr = ep.strip_prefix("tcp://").expect("tcp").to_owned();
    let mut good = Sub::new_in(&ctx).expect("sub");
    good.connect(&ep).await.expect("connect");
    good.subscribe("good").expect("subscribe");
    within("the good subscriber's subscription", async {
        loop {
            publisher.send("good").await.expect("publish");
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(50), good.recv()).await {
                assert_eq!(m.expect("recv"), Message::from(["good"]));
                return;
            }
        }
    })
    .await;
    let base = Baseline::take(&ctx);

    let stream = raw_connect(&addr).await;
    let (mut rd, mut wr) = stream.into_split();
    // What the raw subscriber reads: fences it subscribed to, announced by name.
    let (fence_tx, mut fences) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
    let reader = tokio::spawn(async move {
        let mut tail = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            tail.extend_from_slice(&buf[..n]);
            for fence in ["fence-1", "fence-2"] {
                if tail.windows(fence.len()).any(|w| w == fence.as_bytes()) {
                    let _ = fence_tx.send(fence);
                }
            }
            let keep = tail.len().saturating_sub(8);
            tail.drain(..keep);
        }
    });
    let topic = |i: usize| {
        let mut t = format!("{i:08x}").into_bytes();
        t.resize(TOPIC, b'.');
        t
    };
    // Subscribes (or cancels) every topic, then subscribes to `fence`.
    let flood = move |name: &'static str,
                      fence: &'static str,
                      mut wr: tokio::net::tcp::OwnedWriteHalf| async move {
        for chunk in (0..SUBS).collect::<Vec<_>>().chunks(1000) {
            let mut bytes = Vec::with_capacity(1000 * (TOPIC + 12));
            for &i in chunk {
                bytes.extend_from_slice(&command(name, &topic(i)));
            }
            wr.write_all(&bytes).await.expect("subscriptions");
        }
        wr.write_all(&command("SUBSCRIBE", fence.as_bytes()))
            .await
            .expect("fence");
        wr
    };
    wr.write_all(&greeting_and_ready("SUB"))
        .await
        .expect("handshake");
    let mut published = 0u32;
    // Publishes to the good subscriber (checking it hears) and the fence, until the raw
    // subscriber reports the fence: everything before it was applied.
    let mut serve_until_fence = async |fence: &'static str, publisher: &mut Pub, good: &mut Sub| {
        // A hang guard only, generous: 20 MB of subscriptions on a loaded machine, unoptimised.
        tokio::time::timeout(Duration::from_secs(120), async {
            loop {
                published += 1;
                let m = Message::from(["good".to_owned(), published.to_string()]);
                publisher.send(m.clone()).await.expect("publish");
                assert_eq!(
                    within("the good subscriber served", good.recv())
                        .await
                        .expect("recv"),
                    m
                );
                publisher.send(fence).await.expect("publish the fence");
                if let Ok(seen) =
                    tokio::time::timeout(Duration::from_millis(50), fences.recv()).await
                {
                    if seen == Some(fence) {
                        return;
                    }
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{fence} reaching the raw subscriber: not within 120 s"))
    };

    let writer = tokio::spawn(flood("SUBSCRIBE", "fence-1", wr));
    serve_until_fence("fence-1", &mut publisher, &mut good).await;
    let wr = writer.await.expect("writer");
    let held = heap::live().saturating_sub(base.heap);
    let raw = SUBS * TOPIC;
    println!(
        "{SUBS} subscriptions of {TOPIC} bytes ({} MB): the publisher's heap grew by {} MB \
         ({:.2}x the topics' bytes)",
        raw / 1_000_000,
        held / 1_000_000,
        held as f64 / raw as f64
    );
    assert!(
        held < 4 * raw,
        "subscriptions must cost in proportion to their size: {held} bytes for {raw} of topics"
    );

    let writer = tokio::spawn(flood("CANCEL", "fence-2", wr));
    serve_until_fence("fence-2", &mut publisher, &mut good).await;
    let wr = within("the cancels written", writer).await.expect("writer");
    let left = heap::live().saturating_sub(base.heap);
    println!(
        "after cancelling them: {} KiB above the baseline",
        left / 1024
    );
    // The topics and per-pipe entries are freed; the trie's node slab keeps the capacity of its
    // peak (about 100 bytes a node: node keys are stable, so it cannot compact).
    assert!(
        left < held / 3,
        "cancelled subscriptions must be freed: {left} bytes still held of {held}"
    );
    drop(wr);
    within("the raw subscriber's reader", reader)
        .await
        .expect("reader");
    // The slab's capacity stays with the publisher after its subscriber is gone.
    base.settled_keeping(&ctx, "subscriptions", left).await;
    drop(publisher);
    drop(good);
    within("the context's term", ctx.term()).await;
}
