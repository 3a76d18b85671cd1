//! PUB/SUB at scale, our sockets only, over tcp loopback in one process:
//!
//! - `hundred_subscribers_ten_thousand_topics`: one PUB, 100 SUBs, 10,000 distinct topics. SUB
//!   `i` subscribes to the topics of its residue (`t % 100 == i`), and some to shared prefixes
//!   (`"t1"`: 1,000 topics; `"t99"`: 100; one to `""`: everything), some to a prefix twice (one
//!   unsubscribe leaves it), some to a prefix they cancel again. Once every subscription is known
//!   to be in (a probe per subscriber, see below), the PUB sends each topic once, then an end
//!   marker every SUB takes: each SUB receives exactly its topics, in order, byte-exact.
//! - `a_stalled_subscriber_costs_bounded_memory`: small high-water marks (`ZMQ_SNDHWM` and
//!   `ZMQ_RCVHWM` 100), three SUBs of which one never reads while the PUB sends 100,000 messages
//!   of 4 KiB with `try_send` (every one accepted at once: a PUB never blocks), paced by the two
//!   others, which receive every message. Then the stalled SUB reads: it gets a strictly
//!   increasing run of messages starting at the first, no more than the queues can hold (both
//!   high-water marks, a batch the engine takes at once, and the bytes held by the engine and
//!   by the kernel's socket buffers, whose limits are read from /proc). So the publisher's queue
//!   for it stayed bounded: it dropped the rest.
//!
//! A subscriber is known to be subscribed when a probe published on its prefix reaches it: the
//! publisher repeats the probe until then. A subscription made after the first probe arrived
//! travels behind those before it on the same connection, so a second probe, subscribed last,
//! proves everything before it is in. Every wait is bounded and fails saying what it awaited.

use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::time::Instant;
use zmtp::socket::{Message, Pub, SocketOptions, Sub};

/// The longest any single step may take.
const STALL: Duration = Duration::from_secs(30);
/// How long one round of probing waits for the probes before publishing them again.
const PROBE_ROUND: Duration = Duration::from_millis(20);

/// Waits at most [`STALL`] for one step of our socket; `what` says which.
async fn within<T>(
    what: impl FnOnce() -> String,
    step: impl std::future::Future<Output = zmtp::socket::Result<T>>,
) -> T {
    match tokio::time::timeout(STALL, step).await {
        Err(_) => panic!("{}: nothing within {STALL:?}", what()),
        Ok(Err(e)) => panic!("{}: {e}", what()),
        Ok(Ok(v)) => v,
    }
}

fn is_probe(msg: &Message) -> bool {
    msg.first().is_some_and(|f| f.starts_with(b"probe/"))
}

/// Publishes `probe(i)` for every SUB that has not received its own yet, until all have.
async fn probe_all(
    publisher: &mut Pub,
    subs: &mut [Sub],
    probe: impl Fn(usize) -> Message,
    what: &str,
) {
    let deadline = Instant::now() + STALL;
    let mut pending: Vec<usize> = (0..subs.len()).collect();
    while !pending.is_empty() {
        assert!(
            Instant::now() < deadline,
            "{what}: the probes of SUBs {pending:?} within {STALL:?}"
        );
        for &i in &pending {
            within(
                || format!("{what}: publishing a probe"),
                publisher.send(probe(i)),
            )
            .await;
        }
        let round = Instant::now() + PROBE_ROUND;
        let mut still = Vec::new();
        for &i in &pending {
            // Past the round's end, what has arrived is still taken (a timeout polls first).
            if !probe_arrived(&mut subs[i], &probe(i), round, what).await {
                still.push(i);
            }
        }
        pending = still;
    }
}

/// Takes probes until `own` arrives (true) or `until` passes (false).
async fn probe_arrived(sub: &mut Sub, own: &Message, until: Instant, what: &str) -> bool {
    loop {
        match tokio::time::timeout_at(until, sub.recv()).await {
            Err(_) => return false,
            Ok(Ok(msg)) => {
                assert!(
                    is_probe(&msg),
                    "{what}: only probes before the data: {msg:?}"
                );
                if &msg == own {
                    return true;
                }
            }
            Ok(Err(e)) => panic!("{what}: our SUB: {e}"),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// 100 subscribers, 10,000 topics
// ------------------------------------------------------------------------------------------------

const SUBSCRIBERS: usize = 100;
const TOPICS: usize = 10_000;

fn topic(t: usize) -> Vec<u8> {
    format!("t{t:04}").into_bytes()
}

/// The body published with topic `t`: its number then `t % 97` bytes derived from it.
fn body(t: usize) -> Bytes {
    let mut b = format!("body of topic {t}:").into_bytes();
    b.extend((0..t % 97).map(|k| (t * 31 + k) as u8));
    Bytes::from(b)
}

/// What SUB `i` does: the prefixes it subscribes to, and those it subscribes to and then
/// cancels (they must match nothing in the end).
fn subscriptions_of(i: usize) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut keep: Vec<Vec<u8>> = (i..TOPICS).step_by(SUBSCRIBERS).map(topic).collect();
    if i.is_multiple_of(3) {
        keep.push(b"t1".to_vec());
    }
    if i.is_multiple_of(7) {
        keep.push(b"t99".to_vec());
    }
    if i == 42 {
        keep.push(Vec::new());
    }
    if i.is_multiple_of(11) {
        // Counted: subscribed twice, unsubscribed once below, still subscribed.
        keep.push(b"t2".to_vec());
        keep.push(b"t2".to_vec());
    }
    keep.push(b"end".to_vec());
    let cancelled = if i.is_multiple_of(13) {
        vec![b"t3".to_vec(), topic((i + 1) % TOPICS)]
    } else {
        Vec::new()
    };
    (keep, cancelled)
}

/// The topics SUB `i` receives, in publishing order.
fn expected_topics(i: usize) -> Vec<usize> {
    let (keep, _) = subscriptions_of(i);
    (0..TOPICS)
        .filter(|&t| {
            let name = topic(t);
            keep.iter().any(|p| name.starts_with(p))
        })
        .collect()
}

#[tokio::test]
async fn hundred_subscribers_ten_thousand_topics() {
    let what = "hundred_subscribers_ten_thousand_topics";
    // No high-water mark: every message must reach every subscriber it matches.
    let mut publisher =
        Pub::with_options(SocketOptions::new().sndhwm(0)).expect("our PUB takes the options");
    let endpoint = within(
        || format!("{what}: bind"),
        publisher.bind("tcp://127.0.0.1:*"),
    )
    .await;
    let mut subs = Vec::with_capacity(SUBSCRIBERS);
    for i in 0..SUBSCRIBERS {
        let sub =
            Sub::with_options(SocketOptions::new().rcvhwm(0)).expect("our SUB takes the options");
        sub.subscribe(format!("probe/{i}/a")).expect("subscribe");
        within(
            || format!("{what}: SUB {i} connects"),
            sub.connect(&endpoint),
        )
        .await;
        subs.push(sub);
    }
    // First probe: each SUB's connection is up and its subscriptions reach the PUB.
    probe_all(
        &mut publisher,
        &mut subs,
        |i| Message::single(format!("probe/{i}/a")),
        what,
    )
    .await;
    for (i, sub) in subs.iter_mut().enumerate() {
        let (keep, cancelled) = subscriptions_of(i);
        for prefix in keep.iter().chain(&cancelled) {
            sub.subscribe(prefix).expect("subscribe");
        }
        for prefix in &cancelled {
            sub.unsubscribe(prefix).expect("unsubscribe");
        }
        if i % 11 == 0 {
            sub.unsubscribe("t2").expect("unsubscribe one of two");
        }
        sub.subscribe(format!("probe/{i}/b")).expect("subscribe");
    }
    // Second probe, subscribed last: everything before it is in.
    probe_all(
        &mut publisher,
        &mut subs,
        |i| Message::single(format!("probe/{i}/b")),
        what,
    )
    .await;

    for t in 0..TOPICS {
        within(
            || format!("{what}: publishing topic {t}"),
            publisher.send(Message::from([Bytes::from(topic(t)), body(t)])),
        )
        .await;
    }
    within(
        || format!("{what}: publishing the end marker"),
        publisher.send(Message::single("end")),
    )
    .await;

    let mut deliveries = 0;
    for (i, sub) in subs.iter_mut().enumerate() {
        let expected = expected_topics(i);
        let mut got = 0;
        loop {
            let msg = within(
                || {
                    format!(
                        "{what}: SUB {i}: message {got} of {} (then the end marker)",
                        expected.len()
                    )
                },
                sub.recv(),
            )
            .await;
            if is_probe(&msg) {
                continue;
            }
            if msg == Message::single("end") {
                break;
            }
            let Some(&t) = expected.get(got) else {
                panic!(
                    "{what}: SUB {i}: more than its {} messages: {msg:?}",
                    expected.len()
                );
            };
            assert_eq!(
                msg,
                Message::from([Bytes::from(topic(t)), body(t)]),
                "{what}: SUB {i}: message {got}"
            );
            got += 1;
        }
        assert_eq!(
            got,
            expected.len(),
            "{what}: SUB {i}: every message its subscriptions match"
        );
        deliveries += got;
    }
    // The plan is what it says: shared prefixes make some subscribers receive many more.
    assert!(
        deliveries > 2 * TOPICS,
        "{what}: {deliveries} deliveries in all"
    );
}

// ------------------------------------------------------------------------------------------------
// A stalled subscriber
// ------------------------------------------------------------------------------------------------

/// Messages published.
const FLOOD: usize = 100_000;
/// `ZMQ_SNDHWM` of the PUB and `ZMQ_RCVHWM` of the SUBs.
const HWM: i32 = 100;
/// Messages the PUB sends before waiting for the two reading SUBs to have them all: below
/// [`HWM`], so their queues never fill and they miss nothing.
const WINDOW: usize = 50;
/// Bytes of a message's body.
const BODY: usize = 4096;
/// Messages a connection takes from its pipe at once (the engine's batch), beyond the HWM.
const BATCH_SLACK: usize = 256;
/// Bytes a connection holds outside the pipes and the kernel: the publisher's encoded write
/// backlog and the subscriber's read buffer (each well under 1 MiB).
const ENGINE_SLACK: usize = 2 << 20;

/// The largest value (the third field) of a `/proc/sys/net/ipv4/tcp_[rw]mem` limit.
fn tcp_mem_max(name: &str) -> usize {
    let path = format!("/proc/sys/net/ipv4/{name}");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the kernel's socket buffer limit {path}: {e}"));
    text.split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("three numbers in {path}: {text:?}"))
}

fn flood_message(seq: usize, body: &Bytes) -> Message {
    Message::from([
        Bytes::from_static(b"data"),
        Bytes::copy_from_slice(&(seq as u64).to_be_bytes()),
        body.clone(),
    ])
}

/// The sequence number of a flood message, checking its shape and body.
fn flood_seq(msg: &Message, body: &Bytes, who: &str) -> usize {
    let frames = msg.frames();
    assert!(
        frames.len() == 3 && frames[0] == "data" && frames[2] == body,
        "{who}: a flood message, byte-exact: {} frames, sizes {:?}",
        frames.len(),
        frames.iter().map(Bytes::len).collect::<Vec<_>>()
    );
    let seq: [u8; 8] = frames[1][..]
        .try_into()
        .unwrap_or_else(|_| panic!("{who}: an 8-byte sequence number"));
    u64::from_be_bytes(seq) as usize
}

/// A reading SUB: takes the flood in order, every message, reporting how many it has.
async fn read_everything(sub: Sub, body: Bytes, progress: watch::Sender<usize>, who: String) {
    let mut next = 0;
    while next < FLOOD {
        let msg = within(|| format!("{who}: message {next} of {FLOOD}"), sub.recv()).await;
        if is_probe(&msg) {
            continue;
        }
        assert_eq!(
            flood_seq(&msg, &body, &who),
            next,
            "{who}: every message, in order"
        );
        next += 1;
        progress.send_replace(next);
    }
}

#[tokio::test]
async fn a_stalled_subscriber_costs_bounded_memory() {
    let what = "a_stalled_subscriber_costs_bounded_memory";
    let mut publisher =
        Pub::with_options(SocketOptions::new().sndhwm(HWM)).expect("our PUB takes the options");
    let endpoint = within(
        || format!("{what}: bind"),
        publisher.bind("tcp://127.0.0.1:*"),
    )
    .await;
    let mut subs = Vec::new();
    for i in 0..3 {
        let sub =
            Sub::with_options(SocketOptions::new().rcvhwm(HWM)).expect("our SUB takes the options");
        sub.subscribe("").expect("subscribe");
        within(
            || format!("{what}: SUB {i} connects"),
            sub.connect(&endpoint),
        )
        .await;
        subs.push(sub);
    }
    probe_all(
        &mut publisher,
        &mut subs,
        |_| Message::single("probe/all"),
        what,
    )
    .await;
    let stalled = subs.remove(0);

    let body = Bytes::from((0..BODY).map(|k| (k * 7 + 3) as u8).collect::<Vec<u8>>());
    let mut readers = Vec::new();
    let mut progress = Vec::new();
    for (i, sub) in subs.into_iter().enumerate() {
        let (tx, rx) = watch::channel(0);
        let who = format!("{what}: reading SUB {i}");
        readers.push(tokio::spawn(read_everything(sub, body.clone(), tx, who)));
        progress.push(rx);
    }
    let mut sent = 0;
    while sent < FLOOD {
        let window_end = (sent + WINDOW).min(FLOOD);
        for seq in sent..window_end {
            publisher
                .try_send(flood_message(seq, &body))
                .unwrap_or_else(|e| panic!("{what}: message {seq}: a PUB never blocks: {e}"));
        }
        sent = window_end;
        for (i, rx) in progress.iter_mut().enumerate() {
            let waited = tokio::time::timeout(STALL, rx.wait_for(|&n| n >= sent))
                .await
                .map(|r| r.map(|_| ()));
            match waited {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => {
                    // The reader ended early: its panic says why.
                    let reader = readers.swap_remove(i);
                    match reader.await {
                        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                        other => panic!("{what}: reading SUB {i} ended early: {other:?}"),
                    }
                }
                Err(_) => panic!(
                    "{what}: reading SUB {i} has the {sent} messages sent within {STALL:?} \
                     (it has {})",
                    *rx.borrow()
                ),
            }
        }
    }
    for (i, reader) in readers.into_iter().enumerate() {
        match tokio::time::timeout(STALL, reader).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Ok(Err(e)) => panic!("{what}: reading SUB {i}: {e}"),
            Err(_) => panic!("{what}: reading SUB {i} finishes within {STALL:?}"),
        }
    }

    // The stalled SUB reads now. Everything it gets was held for it when the flood ended; an
    // end marker published again and again (dropped while its queue is full) ends the count.
    let end = Message::single("end");
    let mut held = Vec::new();
    let deadline = Instant::now() + STALL;
    'outer: loop {
        assert!(
            Instant::now() < deadline,
            "{what}: the stalled SUB reaches the end marker within {STALL:?} ({} messages read)",
            held.len()
        );
        publisher
            .try_send(end.clone())
            .unwrap_or_else(|e| panic!("{what}: the end marker: {e}"));
        let round = Instant::now() + PROBE_ROUND;
        loop {
            match tokio::time::timeout_at(round, stalled.recv()).await {
                Err(_) => break,
                Ok(Ok(msg)) if msg == end => break 'outer,
                Ok(Ok(msg)) if is_probe(&msg) => {}
                Ok(Ok(msg)) => held.push(flood_seq(&msg, &body, "the stalled SUB")),
                Ok(Err(e)) => panic!("{what}: the stalled SUB: {e}"),
            }
        }
    }
    let kernel = tcp_mem_max("tcp_wmem") + tcp_mem_max("tcp_rmem");
    let wire = BODY + 64;
    let bound = 2 * HWM as usize + BATCH_SLACK + (kernel + ENGINE_SLACK).div_ceil(wire);
    assert_eq!(
        held.first(),
        Some(&0),
        "{what}: the stalled SUB got the first messages"
    );
    assert!(
        held.windows(2).all(|w| w[0] < w[1]),
        "{what}: the stalled SUB's messages in order, none twice"
    );
    assert!(
        held.len() <= bound,
        "{what}: the stalled SUB got {} of {FLOOD} messages; at most {bound} can be held for it \
         (SNDHWM {HWM} + RCVHWM {HWM} + {BATCH_SLACK} + ({kernel} kernel + {ENGINE_SLACK} engine \
         bytes) / {wire})",
        held.len()
    );
    println!(
        "{what}: the stalled SUB got {} of {FLOOD} messages (at most {bound} allowed), the last \
         being {:?}",
        held.len(),
        held.last()
    );
}
