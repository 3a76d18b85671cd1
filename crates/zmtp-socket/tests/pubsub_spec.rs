//! libzmq's pub/sub tests, between our own sockets, over tcp, ipc and inproc (one test per
//! transport unless said otherwise):
//!
//! - `sub_forward`: an XSUB/XPUB device between a PUB and a SUB; the SUB's subscription (and its
//!   cancel) travels up through the device, the messages come down;
//! - `xpub_manual`: with `ZMQ_XPUB_MANUAL` a subscription is passed up but not applied; the
//!   application applies it, or another prefix, with `XPub::subscribe` / `unsubscribe`, and
//!   messages follow what it applied; two subscriptions read one after the other each apply to
//!   their own subscriber; a subscriber that goes has its own prefixes cancelled upstream (also
//!   two of one prefix behind a manual proxy: two cancels, and the PUB stops sending);
//! - `xpub_verbose` / `xpub_verboser`: one and two subscribers; repeated subscriptions are passed
//!   up only with VERBOSE, cancels of prefixes still held only with VERBOSER; a subscriber closing
//!   cancels its prefixes (the last holder's only, unless VERBOSER);
//! - `xpub_welcome_msg`: each new subscriber gets the welcome message first;
//! - `xpub_nodrop`: with a stalled subscriber and small HWMs, `try_send` says `WouldBlock` and
//!   `send` times out with `ZMQ_SNDTIMEO`, nothing is dropped, and sending resumes once the
//!   subscriber reads;
//! - `hwm_pubsub`: without NODROP, PUB and XPUB never block and drop at the subscriber's HWM:
//!   what arrives is bounded (SNDHWM + RCVHWM + one batch in the inproc link; tcp and ipc add
//!   what the kernel and the connection tasks' buffers hold), in order, with gaps;
//! - `xpub_topic`: a 100 KiB prefix subscribes and matches;
//! - `pub_invert_matching`: `ZMQ_INVERT_MATCHING` on the PUB and its SUBs delivers what does not
//!   match, set on the live sockets or on a SUB from its options;
//! - `disconnect_cancels` (libzmq's test_disconnect_inproc, on every transport): an XPUB sees the
//!   subscription, then its cancel when the SUB disconnects, and when a SUB closes;
//! - `resubscribe_after_reconnect`: a SUB whose PUB goes and is bound again at the same endpoint
//!   receives again without subscribing again.
//!
//! Waits are on conditions, bounded by `common::LIMIT`: a subscription has reached a PUB once a
//! probe published in a loop arrives (the slow joiner); the absence of a message is shown by a
//! later message on the same path arriving first (pipes are FIFO), or by the state that would
//! have produced it being reached. No test sleeps to let something happen, and no test bounds
//! how long something takes.

mod common;

use std::time::Duration;

use zmtp_socket::{Error, Message, Pub, Result, SocketOptions, Sub, XPub, XSub};

use common::{bind_endpoint, text, unbound_endpoint, within};

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A subscription (`subscribe`) or cancel message as an XPUB passes it up and an XSUB sends it.
fn subscription(subscribe: bool, prefix: &[u8]) -> Message {
    let mut body = vec![u8::from(subscribe)];
    body.extend_from_slice(prefix);
    Message::single(body)
}

/// What PUB and XPUB have in common here.
trait Publisher {
    async fn publish(&mut self, m: Message) -> Result<()>;
    fn try_publish(&mut self, m: Message) -> Result<()>;
}

impl Publisher for Pub {
    async fn publish(&mut self, m: Message) -> Result<()> {
        self.send(m).await
    }
    fn try_publish(&mut self, m: Message) -> Result<()> {
        self.try_send(m)
    }
}

impl Publisher for XPub {
    async fn publish(&mut self, m: Message) -> Result<()> {
        self.send(m).await
    }
    fn try_publish(&mut self, m: Message) -> Result<()> {
        self.try_send(m)
    }
}

/// Whether `m` is a probe of [`until_subscribed`].
fn is_probe(m: &Message) -> bool {
    m.first().is_some_and(|f| f.ends_with(b".probe"))
}

/// Publishes `probe` (its topic ends in `.probe`) until `sub` receives it: the subscription has
/// reached the publisher.
async fn until_subscribed(publisher: &mut impl Publisher, sub: &mut Sub, probe: &str) {
    let probe = Message::single(probe.to_owned());
    within(
        &format!("{} to reach the subscriber", text(&probe)[0]),
        async {
            loop {
                publisher.publish(probe.clone()).await.expect("probe");
                match tokio::time::timeout(Duration::from_millis(50), sub.recv()).await {
                    Ok(Ok(m)) if m == probe => return,
                    Ok(Ok(_)) | Err(_) => {}
                    Ok(Err(e)) => panic!("subscriber: {e}"),
                }
            }
        },
    )
    .await;
}

/// The next message of `sub` that is not a probe.
async fn recv_sub(sub: &mut Sub, what: &str) -> Message {
    within(what, async {
        loop {
            let m = sub.recv().await.unwrap_or_else(|e| panic!("{what}: {e}"));
            if !is_probe(&m) {
                return m;
            }
        }
    })
    .await
}

/// The next thing an XPUB receives.
async fn recv_xpub(xpub: &mut XPub, what: &str) -> Message {
    within(what, xpub.recv())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The next message of an XSUB.
async fn recv_xsub(xsub: &mut XSub, what: &str) -> Message {
    within(what, xsub.recv())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Asserts the XPUB has nothing (more) to receive now.
fn xpub_has_nothing(xpub: &mut XPub, what: &str) {
    match xpub.try_recv() {
        Err(Error::WouldBlock) => {}
        Ok(m) => panic!("{what}: got {:?}", text(&m)),
        Err(e) => panic!("{what}: {e}"),
    }
}

/// A SUB connected to `ep`, subscribed to `prefix`.
async fn sub_to(ep: &str, prefix: &str) -> Sub {
    let sub = Sub::new();
    sub.connect(ep).await.expect("connect");
    sub.subscribe(prefix).expect("subscribe");
    sub
}

// ---------------------------------------------------------------------------------------------
// sub_forward: PUB -> XSUB | device | XPUB -> SUB.

async fn sub_forward(transport: &str) {
    let xsub = XSub::new();
    let upstream = xsub.bind(&bind_endpoint(transport)).await.expect("bind");
    let xpub = XPub::new();
    let downstream = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    // The device forwards both ways and reports what went upstream.
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let device = tokio::spawn(async move {
        loop {
            tokio::select! {
                m = xsub.recv() => {
                    xpub.send(m.expect("device: xsub recv")).await.expect("device: xpub send");
                }
                m = xpub.recv() => {
                    let m = m.expect("device: xpub recv");
                    let _ = seen_tx.send(m.clone());
                    xsub.send(m).await.expect("device: xsub send");
                }
            }
        }
    });
    let mut publisher = Pub::new();
    publisher.connect(&upstream).await.expect("connect");
    let mut sub = sub_to(&downstream, "fwd.").await;
    let up = within("the subscription through the device", seen.recv())
        .await
        .expect("device running");
    assert_eq!(up, subscription(true, b"fwd."), "the SUB's subscription");
    until_subscribed(&mut publisher, &mut sub, "fwd.probe").await;
    publisher
        .send(Message::from(["other", "x"]))
        .await
        .expect("publish");
    publisher
        .send(Message::from(["fwd.1", "payload"]))
        .await
        .expect("publish");
    assert_eq!(
        recv_sub(&mut sub, "the message through the device").await,
        Message::from(["fwd.1", "payload"]),
        "only what matches comes down"
    );
    sub.unsubscribe("fwd.").expect("unsubscribe");
    let up = within("the cancel through the device", seen.recv())
        .await
        .expect("device running");
    assert_eq!(up, subscription(false, b"fwd."), "the SUB's cancel");
    device.abort();
}

// ---------------------------------------------------------------------------------------------
// xpub_manual

fn manual_xpub() -> XPub {
    XPub::with_options(SocketOptions::new().xpub_manual(true)).expect("options")
}

/// `subscribe_last_peer` acts on a subscriber's behalf, so it needs `ZMQ_XPUB_MANUAL`: an
/// ordinary XPUB refuses it, naming the option (as libzmq answers `EINVAL`).
#[test]
fn subscribe_last_peer_needs_xpub_manual() {
    let plain = XPub::new();
    let refused = plain.subscribe_last_peer("A").expect_err("not manual");
    assert!(refused.to_string().contains("ZMQ_XPUB_MANUAL"), "{refused}");
    assert!(plain.unsubscribe_last_peer("A").is_err());
    assert!(manual_xpub().subscribe_last_peer("A").is_ok());
}

async fn xpub_manual(transport: &str) {
    let mut xpub = manual_xpub();
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut xsub = XSub::new();
    xsub.connect(&ep).await.expect("connect");
    xsub.send(subscription(true, b"A")).await.expect("ask A");
    assert_eq!(
        recv_xpub(&mut xpub, "the subscription to A").await,
        subscription(true, b"A")
    );
    // Not applied: the application applies XA instead.
    xpub.subscribe_last_peer("XA").expect("manual subscribe");
    xpub.send(Message::single("A.1")).await.expect("send");
    xpub.send(Message::single("XA.1")).await.expect("send");
    assert_eq!(
        recv_xsub(&mut xsub, "what follows the manual subscription").await,
        Message::single("XA.1"),
        "A was asked for but not applied, so it is not sent (XA.1 comes first)"
    );
    xsub.send(subscription(true, b"B")).await.expect("ask B");
    assert_eq!(
        recv_xpub(&mut xpub, "the subscription to B").await,
        subscription(true, b"B")
    );
    xpub.subscribe_last_peer("XB").expect("manual subscribe");
    xsub.send(subscription(false, b"A"))
        .await
        .expect("cancel A");
    assert_eq!(
        recv_xpub(&mut xpub, "the cancel of A").await,
        subscription(false, b"A"),
        "cancels are passed up too"
    );
    xpub.unsubscribe_last_peer("XA")
        .expect("manual unsubscribe");
    xpub.send(Message::single("XA.2")).await.expect("send");
    xpub.send(Message::single("XB.1")).await.expect("send");
    assert_eq!(
        recv_xsub(&mut xsub, "what follows the manual cancel").await,
        Message::single("XB.1"),
        "XA was unsubscribed manually"
    );
    // The subscriber goes: its own prefix still held (B) is cancelled upstream.
    drop(xsub);
    assert_eq!(
        recv_xpub(&mut xpub, "the cancel of the departed subscriber's prefix").await,
        subscription(false, b"B")
    );
    xpub_has_nothing(&mut xpub, "A was cancelled before; nothing else");
}

/// Two subscriptions arrive before the application reads either: each manual subscribe applies
/// to the subscriber of the subscription read last (libzmq's test_missing_subscriptions).
async fn xpub_manual_two_subscribers(transport: &str) {
    let mut xpub = manual_xpub();
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut one = sub_to(&ep, "1").await;
    let mut two = sub_to(&ep, "2").await;
    for _ in 0..2 {
        let m = recv_xpub(&mut xpub, "a subscription").await;
        let frame = m.first().expect("one frame").clone();
        assert_eq!(frame[0], 1, "a subscription: {:?}", text(&m));
        xpub.subscribe_last_peer(&frame[1..])
            .expect("apply as asked");
    }
    xpub.send(Message::from(["1", "for one"]))
        .await
        .expect("send");
    xpub.send(Message::from(["2", "for two"]))
        .await
        .expect("send");
    assert_eq!(
        recv_sub(&mut one, "subscriber one").await,
        Message::from(["1", "for one"])
    );
    assert_eq!(
        recv_sub(&mut two, "subscriber two").await,
        Message::from(["2", "for two"])
    );
}

/// A manual XPUB proxy between a PUB and two SUBs of one prefix (libzmq's
/// test_xpub_proxy_unsubscribe_on_disconnect): both subscriptions are passed up and forwarded,
/// the message comes down to both, and when both SUBs close, both cancels are passed up; once
/// forwarded, the PUB sends the proxy nothing more for that prefix.
async fn xpub_manual_proxy_unsubscribe_on_disconnect(transport: &str) {
    let mut xsub = XSub::new();
    let frontend = xsub.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut xpub = manual_xpub();
    let backend = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let publisher = Pub::new();
    publisher.connect(&frontend).await.expect("connect");
    let mut subs = Vec::new();
    for who in ["one", "two"] {
        subs.push(sub_to(&backend, "1").await);
        let m = recv_xpub(&mut xpub, &format!("{who}'s subscription")).await;
        assert_eq!(m, subscription(true, b"1"), "every one is passed up");
        xpub.subscribe_last_peer("1").expect("apply");
        xsub.send(m).await.expect("forward");
    }
    // The PUB has the proxy's subscription once a message of the prefix comes through.
    let m = within("the message at the proxy", async {
        loop {
            publisher
                .send(Message::from(["1", "X"]))
                .await
                .expect("publish");
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(50), xsub.recv()).await {
                return m.expect("recv");
            }
        }
    })
    .await;
    xpub.send(m).await.expect("forward down");
    for (i, sub) in subs.iter_mut().enumerate() {
        assert_eq!(
            recv_sub(sub, &format!("subscriber {i}")).await,
            Message::from(["1", "X"])
        );
    }
    drop(subs);
    for i in 0..2 {
        let m = recv_xpub(&mut xpub, &format!("cancel {i}")).await;
        assert_eq!(m, subscription(false, b"1"), "each subscriber's cancel");
        xsub.send(m).await.expect("forward");
    }
    // A fence behind the cancels: once it gets through, they are applied at the PUB.
    xsub.send(subscription(true, b"fence"))
        .await
        .expect("fence");
    within("the fence at the proxy", async {
        loop {
            publisher
                .send(Message::single("fence.probe"))
                .await
                .expect("publish");
            match tokio::time::timeout(Duration::from_millis(50), xsub.recv()).await {
                Ok(Ok(m)) if m == Message::single("fence.probe") => return,
                // Copies of the first message published before it came through.
                Ok(Ok(m)) if m == Message::from(["1", "X"]) => {}
                Ok(other) => panic!("at the proxy: {other:?}"),
                Err(_) => {}
            }
        }
    })
    .await;
    publisher
        .send(Message::from(["1", "Y"]))
        .await
        .expect("publish");
    publisher
        .send(Message::single("fence.end"))
        .await
        .expect("publish");
    let mut next = recv_xsub(&mut xsub, "after the cancels").await;
    while next == Message::single("fence.probe") {
        next = recv_xsub(&mut xsub, "after the cancels").await;
    }
    assert_eq!(
        next,
        Message::single("fence.end"),
        "nothing of the cancelled prefix reaches the proxy"
    );
}

// ---------------------------------------------------------------------------------------------
// xpub_verbose / xpub_verboser

fn xpub_with(verbose: bool, verboser: bool) -> XPub {
    let mut options = SocketOptions::new();
    if verbose {
        options = options.xpub_verbose(true);
    }
    if verboser {
        options = options.xpub_verboser(true);
    }
    XPub::with_options(options).expect("options")
}

/// One subscriber subscribing twice: the repeat is passed up only with VERBOSE, set live.
async fn xpub_verbose_one_subscriber(transport: &str) {
    let mut xpub = xpub_with(false, false);
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut sub = sub_to(&ep, "A").await;
    assert_eq!(recv_xpub(&mut xpub, "A").await, subscription(true, b"A"));
    sub.subscribe("A").expect("A again");
    sub.subscribe("B").expect("B");
    assert_eq!(
        recv_xpub(&mut xpub, "B").await,
        subscription(true, b"B"),
        "the repeated A is filtered out without VERBOSE (B, sent after it, comes first)"
    );
    xpub.set_option(zmtp_socket::OptionName::XpubVerbose, true)
        .expect("VERBOSE");
    sub.subscribe("A").expect("A a third time");
    assert_eq!(
        recv_xpub(&mut xpub, "the repeated A").await,
        subscription(true, b"A"),
        "with VERBOSE the repeat is passed up"
    );
    xpub.send(Message::single("A")).await.expect("send");
    xpub.send(Message::single("B")).await.expect("send");
    assert_eq!(recv_sub(&mut sub, "A").await, Message::single("A"));
    assert_eq!(recv_sub(&mut sub, "B").await, Message::single("B"));
}

/// Two subscribers to one prefix: both subscriptions passed up with VERBOSE, only the first
/// without; both cancels passed up with VERBOSER, only the last without; and the same for
/// subscribers that close.
async fn verbosity_with_two_subscribers(transport: &str, verbose: bool, verboser: bool) {
    let mut xpub = xpub_with(verbose, verboser);
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut one = sub_to(&ep, "A").await;
    assert_eq!(
        recv_xpub(&mut xpub, "one's A").await,
        subscription(true, b"A")
    );
    // Two's subscriptions go in this order (also when sent at attach: in prefix order).
    let mut two = Sub::new();
    two.subscribe("A").expect("subscribe");
    two.subscribe("fence").expect("subscribe");
    two.connect(&ep).await.expect("connect");
    if verbose || verboser {
        assert_eq!(
            recv_xpub(&mut xpub, "two's A").await,
            subscription(true, b"A"),
            "VERBOSE passes the second subscriber's A up"
        );
    }
    assert_eq!(
        recv_xpub(&mut xpub, "two's fence").await,
        subscription(true, b"fence"),
        "without VERBOSE the second A is not news (the fence, sent after it, comes first)"
    );
    xpub.send(Message::single("A.1")).await.expect("send");
    assert_eq!(
        recv_sub(&mut one, "one's A.1").await,
        Message::single("A.1")
    );
    assert_eq!(
        recv_sub(&mut two, "two's A.1").await,
        Message::single("A.1")
    );

    one.unsubscribe("A").expect("one cancels");
    if verboser {
        assert_eq!(
            recv_xpub(&mut xpub, "one's cancel").await,
            subscription(false, b"A"),
            "VERBOSER passes up a cancel of a prefix still held"
        );
    }
    two.unsubscribe("A").expect("two cancels");
    assert_eq!(
        recv_xpub(&mut xpub, "the last cancel").await,
        subscription(false, b"A"),
        "the last cancel is passed up"
    );
    // The prefix was vacated only once both cancels were in: any other would be there now.
    xpub_has_nothing(&mut xpub, "no other cancel");

    // Closing subscribers cancel what they held: "C" by both, "fence" by two alone.
    // Each then subscribes to a prefix of its own: those are news whatever the verbosity, and
    // they arrive after that subscriber's C (one pipe keeps its order), so once both are in,
    // both Cs are applied (without this, a close could overtake the other's C).
    one.subscribe("C").expect("subscribe");
    one.subscribe("fence-one").expect("subscribe");
    two.subscribe("C").expect("subscribe");
    two.subscribe("fence-two").expect("subscribe");
    let c_passed_up = if verbose || verboser { 2 } else { 1 };
    let mut got = Vec::new();
    for i in 0..c_passed_up + 2 {
        got.push(recv_xpub(&mut xpub, &format!("subscription {i} to C or a fence")).await);
    }
    let key = |m: &Message| m.first().cloned();
    got.sort_by_key(key);
    let mut want = vec![
        subscription(true, b"fence-one"),
        subscription(true, b"fence-two"),
    ];
    want.extend(std::iter::repeat_n(subscription(true, b"C"), c_passed_up));
    want.sort_by_key(key);
    assert_eq!(got, want, "the Cs (once without VERBOSE) and both fences");
    drop(one);
    drop(two);
    // The order depends on which close is seen first; what is passed up does not.
    let mut expected = vec![
        subscription(false, b"C"),
        subscription(false, b"fence"),
        subscription(false, b"fence-one"),
        subscription(false, b"fence-two"),
    ];
    if verboser {
        expected.push(subscription(false, b"C"));
    }
    let mut cancels = Vec::new();
    for i in 0..expected.len() {
        cancels.push(recv_xpub(&mut xpub, &format!("cancel {i} on close")).await);
    }
    cancels.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(
        cancels, expected,
        "the departed subscribers' prefixes (C once per holder only with VERBOSER)"
    );
    // Both closes are processed once C is vacated: anything else would be there now.
    xpub_has_nothing(&mut xpub, "nothing else on close");
}

async fn xpub_verbose_two_subscribers(transport: &str) {
    verbosity_with_two_subscribers(transport, true, false).await;
}

async fn xpub_verboser_two_subscribers(transport: &str) {
    verbosity_with_two_subscribers(transport, false, true).await;
}

async fn xpub_quiet_two_subscribers(transport: &str) {
    verbosity_with_two_subscribers(transport, false, false).await;
}
// ---------------------------------------------------------------------------------------------
// xpub_welcome_msg

async fn xpub_welcome_msg(transport: &str) {
    let mut xpub =
        XPub::with_options(SocketOptions::new().xpub_welcome_msg(&b"W"[..])).expect("options");
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    // The second subscribes to everything, so that its subscription is news to the XPUB too.
    let mut subs = Vec::new();
    for (who, prefix) in [("first", "W"), ("second", "")] {
        let mut sub = sub_to(&ep, prefix).await;
        assert_eq!(
            recv_xpub(&mut xpub, &format!("the {who} subscription")).await,
            subscription(true, prefix.as_bytes())
        );
        xpub.send(Message::single("W.news")).await.expect("send");
        assert_eq!(
            recv_sub(&mut sub, &format!("the {who} subscriber's welcome")).await,
            Message::single("W"),
            "the welcome message comes first"
        );
        assert_eq!(
            recv_sub(&mut sub, "then what was published").await,
            Message::single("W.news")
        );
        subs.push(sub);
    }
    assert_eq!(
        recv_sub(&mut subs[0], "the first subscriber's next").await,
        Message::single("W.news"),
        "the first subscriber gets no second welcome"
    );
}

// ---------------------------------------------------------------------------------------------
// xpub_nodrop and hwm_pubsub

/// Link batch of inproc, and most messages a connection task takes from a pipe at once.
const BATCH: usize = 256;
/// Encoded bytes above which a connection task takes nothing more from its pipe.
const WRITE_BACKLOG: usize = 256 * 1024;
/// What a connection task reads at once.
const READ_CHUNK: usize = 64 * 1024;
/// Size of the messages of the HWM tests.
const BIG: usize = 8 * 1024;
const HWM: i32 = 10;

/// The largest value of a `/proc/sys` file of numbers (the last of tcp_wmem's three), or
/// `fallback` where it cannot be read.
fn sysctl_max(path: &str, fallback: usize) -> usize {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().last()?.parse().ok())
        .unwrap_or(fallback)
}

/// At most how many `BIG` messages a publisher's queue, the transport and the subscriber's
/// queue hold together while the subscriber reads nothing: SNDHWM + RCVHWM + one link batch
/// over inproc; over tcp and ipc also the two connection tasks (a batch past the write
/// backlog, one read) and the kernel's socket buffers at their largest.
fn in_flight_bound(transport: &str) -> usize {
    let hwms = 2 * HWM as usize;
    let kernel = match transport {
        "inproc" => return hwms + BATCH,
        "tcp" => {
            sysctl_max("/proc/sys/net/ipv4/tcp_wmem", 64 << 20)
                + sysctl_max("/proc/sys/net/ipv4/tcp_rmem", 64 << 20)
        }
        _ => {
            sysctl_max("/proc/sys/net/core/wmem_max", 64 << 20)
                + sysctl_max("/proc/sys/net/core/rmem_max", 64 << 20)
        }
    };
    hwms + 2 * BATCH + (kernel + WRITE_BACKLOG + 2 * READ_CHUNK).div_ceil(BIG)
}

/// Message `seq` of the HWM tests: its number, then `BIG` bytes.
fn numbered(seq: usize) -> Message {
    Message::from([
        bytes::Bytes::from(format!("data.{seq}")),
        bytes::Bytes::from(vec![0u8; BIG]),
    ])
}

fn seq_of(m: &Message) -> usize {
    let topic = std::str::from_utf8(m.first().expect("a frame")).expect("text");
    topic["data.".len()..].parse().expect("a number")
}

/// A SUB with RCVHWM [`HWM`], connected to `ep` and subscribed to `prefix`.
async fn slow_sub(ep: &str, prefix: &str) -> Sub {
    let sub = Sub::with_options(SocketOptions::new().rcvhwm(HWM)).expect("options");
    sub.connect(ep).await.expect("connect");
    sub.subscribe(prefix).expect("subscribe");
    sub
}

/// Reads `sub` until an `end` marker arrives (published again whenever nothing arrives for a
/// while, as markers published while the queue is full are dropped); the sequence numbers of
/// the data messages before it.
async fn drain(publisher: &mut impl Publisher, sub: &mut Sub) -> Vec<usize> {
    let mut got = Vec::new();
    within("the end marker after the drain", async {
        loop {
            match tokio::time::timeout(Duration::from_millis(50), sub.recv()).await {
                Ok(Ok(m)) if m.first().is_some_and(|f| &f[..] == b"data.end") => return,
                Ok(Ok(m)) => got.push(seq_of(&m)),
                Ok(Err(e)) => panic!("subscriber: {e}"),
                Err(_) => publisher
                    .try_publish(Message::single("data.end"))
                    .expect("a marker never blocks"),
            }
        }
    })
    .await;
    got
}

/// A publisher without NODROP never blocks and drops what its stalled subscriber has no room
/// for: what arrives is bounded, in order, and fewer than what was sent.
async fn drops_at_hwm(publisher: &mut impl Publisher, ep: &str, transport: &str) {
    let mut sub = slow_sub(ep, "data.").await;
    // A subscription is in: the probe went through.
    within("the subscription", async {
        loop {
            publisher
                .try_publish(Message::single("data.end"))
                .expect("publish");
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(50), sub.recv()).await {
                return;
            }
        }
    })
    .await;
    let bound = in_flight_bound(transport);
    let sent = bound + bound / 4 + 100;
    for seq in 0..sent {
        publisher
            .try_publish(numbered(seq))
            .unwrap_or_else(|e| panic!("message {seq}: a publisher never blocks: {e}"));
    }
    let got = drain(publisher, &mut sub).await;
    assert!(!got.is_empty(), "some messages arrive");
    assert!(
        got.len() <= bound,
        "{} arrived of {sent}: more than the queues hold ({bound})",
        got.len()
    );
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "in order, each once: {got:?}"
    );
    assert!(got.len() < sent, "the rest was dropped");
}

async fn hwm_pubsub(transport: &str) {
    let mut publisher = Pub::with_options(SocketOptions::new().sndhwm(HWM)).expect("options");
    let ep = publisher
        .bind(&bind_endpoint(transport))
        .await
        .expect("bind");
    drops_at_hwm(&mut publisher, &ep, transport).await;
}

async fn hwm_xpub_without_nodrop(transport: &str) {
    let mut xpub = XPub::with_options(SocketOptions::new().sndhwm(HWM)).expect("options");
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    drops_at_hwm(&mut xpub, &ep, transport).await;
}

async fn xpub_nodrop(transport: &str) {
    let mut xpub = XPub::with_options(
        SocketOptions::new()
            .sndhwm(HWM)
            .xpub_nodrop(true)
            .sndtimeo(Some(Duration::from_millis(100))),
    )
    .expect("options");
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let mut sub = slow_sub(&ep, "data.").await;
    assert_eq!(
        recv_xpub(&mut xpub, "the subscription").await,
        subscription(true, b"data.")
    );
    let bound = in_flight_bound(transport);
    // try_send: WouldBlock once the subscriber's queue is full, which holds SNDHWM at least.
    let mut seq = 0;
    loop {
        match xpub.try_send(numbered(seq)) {
            Ok(()) => seq += 1,
            Err(Error::WouldBlock) => break,
            Err(e) => panic!("try_send {seq}: {e}"),
        }
        assert!(
            seq <= bound,
            "{seq} sent: more than the queues hold ({bound})"
        );
    }
    assert!(seq >= HWM as usize, "{seq} sent before WouldBlock");
    // send: times out with SNDTIMEO once nothing moves any more (the transport may still take
    // some as it fills).
    loop {
        match xpub.send(numbered(seq)).await {
            Ok(()) => seq += 1,
            Err(Error::Timeout(_)) => break,
            Err(e) => panic!("send {seq}: {e}"),
        }
        assert!(
            seq <= bound,
            "{seq} sent: more than the queues hold ({bound})"
        );
    }
    // Nothing was dropped: every message accepted arrives, in order.
    for expected in 0..seq {
        let m = recv_sub(&mut sub, &format!("message {expected} of {seq}")).await;
        assert_eq!(seq_of(&m), expected, "no message is dropped with NODROP");
    }
    // With room again, sending goes on.
    xpub.send(numbered(seq))
        .await
        .expect("sending resumes once the subscriber reads");
    assert_eq!(seq_of(&recv_sub(&mut sub, "the next one").await), seq);
}

// ---------------------------------------------------------------------------------------------
// xpub_topic

async fn xpub_topic(transport: &str) {
    let mut xpub = XPub::new();
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let topic: Vec<u8> = (0..100 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let mut sub = Sub::new();
    sub.connect(&ep).await.expect("connect");
    sub.subscribe(&topic).expect("subscribe");
    let got = recv_xpub(&mut xpub, "the long subscription").await;
    assert_eq!(
        got,
        subscription(true, &topic),
        "the 100 KiB prefix arrives whole"
    );
    let mut near = topic.clone();
    *near.last_mut().expect("long") ^= 1;
    let mut matching = topic.clone();
    matching.extend_from_slice(b".more");
    xpub.send(Message::from([near, b"near".to_vec()]))
        .await
        .expect("send");
    xpub.send(Message::from([matching.clone(), b"match".to_vec()]))
        .await
        .expect("send");
    let m = recv_sub(&mut sub, "the matching message").await;
    assert_eq!(
        m,
        Message::from([matching, b"match".to_vec()]),
        "the one differing in the last byte of the prefix is not sent"
    );
}

// ---------------------------------------------------------------------------------------------
// pub_invert_matching

async fn pub_invert_matching(transport: &str) {
    let mut publisher = Pub::new();
    let ep = publisher
        .bind(&bind_endpoint(transport))
        .await
        .expect("bind");
    let mut one = sub_to(&ep, "prefix1").await;
    let mut two = sub_to(&ep, "p2").await;
    until_subscribed(&mut publisher, &mut one, "prefix1.probe").await;
    until_subscribed(&mut publisher, &mut two, "p2.probe").await;
    for topic in ["prefix1", "p2", "prefix1.fence", "p2.fence"] {
        publisher.send(Message::single(topic)).await.expect("send");
    }
    assert_eq!(recv_sub(&mut one, "one").await, Message::single("prefix1"));
    assert_eq!(
        recv_sub(&mut one, "one's fence").await,
        Message::single("prefix1.fence"),
        "p2 is not for one"
    );
    assert_eq!(recv_sub(&mut two, "two").await, Message::single("p2"));
    assert_eq!(
        recv_sub(&mut two, "two's fence").await,
        Message::single("p2.fence"),
        "prefix1 is not for two"
    );

    // Inverted on all three (libzmq wants it on both sides).
    for option_target in [0, 1, 2] {
        let set = match option_target {
            0 => publisher.set_option(zmtp_socket::OptionName::InvertMatching, true),
            1 => one.set_option(zmtp_socket::OptionName::InvertMatching, true),
            _ => two.set_option(zmtp_socket::OptionName::InvertMatching, true),
        };
        set.expect("INVERT_MATCHING");
    }
    for topic in ["prefix1", "p2", "p2.fence", "prefix1.fence"] {
        publisher.send(Message::single(topic)).await.expect("send");
    }
    assert_eq!(
        recv_sub(&mut one, "one, inverted").await,
        Message::single("p2"),
        "one gets what does not match prefix1"
    );
    assert_eq!(
        recv_sub(&mut one, "one's fence, inverted").await,
        Message::single("p2.fence")
    );
    assert_eq!(
        recv_sub(&mut two, "two, inverted").await,
        Message::single("prefix1"),
        "two gets what does not match p2"
    );
    assert_eq!(
        recv_sub(&mut two, "two's fence, inverted").await,
        Message::single("prefix1.fence")
    );
}

/// INVERT_MATCHING given in a SUB's options when it is made (not set on the live socket).
async fn sub_invert_matching_from_options(transport: &str) {
    let mut publisher =
        Pub::with_options(SocketOptions::new().invert_matching(true)).expect("options");
    let ep = publisher
        .bind(&bind_endpoint(transport))
        .await
        .expect("bind");
    let mut sub = Sub::with_options(SocketOptions::new().invert_matching(true).subscribe("skip"))
        .expect("options");
    sub.connect(&ep).await.expect("connect");
    // The probe does not match "skip", so it is sent and kept.
    until_subscribed(&mut publisher, &mut sub, "keep.probe").await;
    for topic in ["skip.1", "keep.1"] {
        publisher.send(Message::single(topic)).await.expect("send");
    }
    assert_eq!(
        recv_sub(&mut sub, "what does not match").await,
        Message::single("keep.1")
    );
}

// ---------------------------------------------------------------------------------------------
// disconnect_cancels (test_disconnect_inproc)

async fn disconnect_cancels(transport: &str) {
    let mut xpub = XPub::new();
    let ep = xpub.bind(&bind_endpoint(transport)).await.expect("bind");
    let sub = sub_to(&ep, "foo").await;
    assert_eq!(
        recv_xpub(&mut xpub, "the subscription").await,
        subscription(true, b"foo")
    );
    sub.disconnect(&ep).expect("disconnect");
    assert_eq!(
        recv_xpub(&mut xpub, "the cancel on disconnect").await,
        subscription(false, b"foo")
    );
    let closing = sub_to(&ep, "bar").await;
    assert_eq!(
        recv_xpub(&mut xpub, "the next subscription").await,
        subscription(true, b"bar")
    );
    drop(closing);
    assert_eq!(
        recv_xpub(&mut xpub, "the cancel on close").await,
        subscription(false, b"bar")
    );
    drop(sub);
}

// ---------------------------------------------------------------------------------------------
// Subscriptions re-sent after a reconnect.

async fn bind_pub_again(ep: &str) -> Pub {
    let publisher = Pub::new();
    within("the endpoint to be free again", async {
        loop {
            match publisher.bind(ep).await {
                Ok(_) => return,
                Err(Error::Io { .. }) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(e) => panic!("bind {ep}: {e}"),
            }
        }
    })
    .await;
    publisher
}

async fn resubscribe_after_reconnect(transport: &str) {
    let ep = unbound_endpoint(transport);
    let mut publisher = Pub::new();
    publisher.bind(&ep).await.expect("bind");
    let mut sub =
        Sub::with_options(SocketOptions::new().reconnect_ivl(Some(Duration::from_millis(20))))
            .expect("options");
    sub.connect(&ep).await.expect("connect");
    sub.subscribe("re.").expect("subscribe");
    until_subscribed(&mut publisher, &mut sub, "re.probe").await;
    drop(publisher);
    let mut again = bind_pub_again(&ep).await;
    // Only a subscription received by the new PUB lets the probe through. Its own probe text:
    // the old PUB's probes sent after the one that arrived may still be queued at the SUB.
    until_subscribed(&mut again, &mut sub, "re.again.probe").await;
    again.send(Message::single("other")).await.expect("publish");
    again
        .send(Message::single("re.after"))
        .await
        .expect("publish");
    assert_eq!(
        recv_sub(&mut sub, "traffic after the reconnect").await,
        Message::single("re.after")
    );
}

on_every_transport!(
    sub_forward,
    xpub_manual,
    xpub_manual_two_subscribers,
    xpub_manual_proxy_unsubscribe_on_disconnect,
    xpub_verbose_one_subscriber,
    xpub_verbose_two_subscribers,
    xpub_verboser_two_subscribers,
    xpub_quiet_two_subscribers,
    xpub_welcome_msg,
    hwm_pubsub,
    hwm_xpub_without_nodrop,
    xpub_nodrop,
    xpub_topic,
    pub_invert_matching,
    sub_invert_matching_from_options,
    disconnect_cancels,
    resubscribe_after_reconnect,
);
