//! Interop tests of the sans-IO codec against the real libzmq (Debian's 4.3.4, through the `zmq`
//! crate): only `zmtp_codec::Connection` and the NULL mechanism, driven over a plain Tokio
//! `TcpStream` by `support::Driver` (there is no socket layer yet).
//!
//! libzmq sockets are blocking C sockets: they run on `spawn_blocking` threads, with
//! RCVTIMEO / SNDTIMEO set so that no libzmq call waits forever. Every wait on our side is bounded
//! too, and fails naming what it waited for. Nothing here sleeps to make a test pass: the tests
//! wait for conditions. Only 127.0.0.1 and ephemeral ports are used.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zmtp::codec::{ConnectionError, Event, MechanismError, Message, SendError, SocketType};

use support::{
    bound_address, check_frame, check_message, count_occurrences, fill_frame, format_events,
    is_handshake_failure, millis, null_connection, DriveError, Driver, FrameSpec, Monitor,
    MonitorEvent, Traffic, EVENT_DISCONNECTED, EVENT_HANDSHAKE_SUCCEEDED, GREETING_LEN, MIB,
    ZERO_COPY,
};

/// Seeds of the generated traffic of (a) and (b).
const SEED_A: u64 = 0xA11CE;
const SEED_B: u64 = 0xB0B;
/// Messages in each bulk transfer.
const MESSAGES: usize = 10_000;
/// The longest anything may go without progress before a test fails (generous: the machines are
/// small and the tests run in parallel).
const STALL: Duration = Duration::from_secs(30);
/// Upper bound on waiting for a libzmq thread to finish once our side is done.
const JOIN: Duration = Duration::from_secs(60);

/// Bounds on our send queue in test (a): refill it up to HIGH, then write until it is below LOW,
/// so that memory stays at a few MiB however many messages are sent.
const SEND_QUEUE_HIGH: usize = 4 << 20;
const SEND_QUEUE_LOW: usize = 1 << 20;

/// An empty-context PONG as our connection frames it: flags COMMAND, size 5, `\x04PONG`.
const PONG_FRAME: &[u8] = b"\x04\x05\x04PONG";
/// libzmq's PING: flags COMMAND, size 7, `\x04PING`, TTL 0 (ZMQ_HEARTBEAT_TTL unset), no context.
const LIBZMQ_PING_FRAME: &[u8] = b"\x04\x07\x04PING\x00\x00";

/// Waits for a libzmq thread's result and unwraps its panic, if it had one, into ours.
async fn join<T>(what: &str, handle: JoinHandle<T>) -> T {
    match tokio::time::timeout(JOIN, handle).await {
        Err(_) => panic!("the libzmq thread ({what}) did not finish within {JOIN:?}"),
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Ok(Err(e)) => panic!("the libzmq thread ({what}) failed: {e}"),
        Ok(Ok(value)) => value,
    }
}

/// Fails the test with our driver's error, but first with the libzmq thread's panic if it had
/// one (when libzmq's side fails a check it closes its socket, and our side only sees that).
async fn fail_with_peer<T>(error: DriveError, what: &str, peer: JoinHandle<T>) -> ! {
    if let Ok(Err(e)) = tokio::time::timeout(Duration::from_secs(5), peer).await {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    panic!("{what}: {error}");
}

async fn recv_from_thread<T>(what: &str, rx: oneshot::Receiver<T>) -> T {
    match tokio::time::timeout(STALL, rx).await {
        Ok(Ok(value)) => value,
        Ok(Err(_)) => panic!("the libzmq thread ended before sending {what}"),
        Err(_) => panic!("the libzmq thread did not send {what} within {STALL:?}"),
    }
}

async fn accept(listener: &TcpListener) -> TcpStream {
    let (stream, _) = tokio::time::timeout(STALL, listener.accept())
        .await
        .unwrap_or_else(|_| panic!("libzmq did not connect within {STALL:?}"))
        .expect("accept");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
}

async fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let stream = tokio::time::timeout(STALL, TcpStream::connect(addr))
        .await
        .unwrap_or_else(|_| panic!("connecting to libzmq at {addr} took over {STALL:?}"))
        .unwrap_or_else(|e| panic!("connecting to libzmq at {addr}: {e}"));
    stream.set_nodelay(true).expect("TCP_NODELAY");
    stream
}

/// The generated traffic of (a) and (b) really contains what those tests claim to cover: empty
/// frames, both sides of the short/long size boundary (255/256) and of the zero-copy threshold,
/// large zero-copy frames, 1 MiB frames, and single-frame as well as multipart messages.
#[test]
fn traffic_covers_the_encoding_boundaries() {
    for seed in [SEED_A, SEED_B] {
        let mut traffic = Traffic::new(seed);
        let specs: Vec<Vec<FrameSpec>> = (0..MESSAGES).map(|_| traffic.next_spec()).collect();
        let lens: Vec<usize> = specs.iter().flatten().map(|f| f.len).collect();
        let count = |pred: &dyn Fn(usize) -> bool| lens.iter().filter(|&&l| pred(l)).count();
        assert!(count(&|l| l == 0) > 100, "empty frames");
        assert!(count(&|l| l == 255) > 10, "largest short-size frames");
        assert!(count(&|l| l == 256) > 10, "smallest long-size frames");
        assert!(count(&|l| l == ZERO_COPY - 1) > 10, "largest copied bodies");
        assert!(count(&|l| l == ZERO_COPY) > 10, "smallest zero-copy bodies");
        assert!(count(&|l| l > ZERO_COPY) > 1000, "larger zero-copy bodies");
        assert_eq!(count(&|l| l == MIB), MESSAGES / 1000, "1 MiB frames");
        assert!(specs.iter().any(|s| s.len() == 1) && specs.iter().any(|s| s.len() >= 4));
    }
}

/// (a) libzmq PULL binds; our Connection connects as PUSH and sends 10,000 multipart messages of
/// mixed sizes (empty frames, 255/256-byte and zero-copy boundary frames, 8-64 KiB frames, ten of
/// 1 MiB). libzmq must receive every frame byte-exact, in order, with the right MORE flags.
#[tokio::test]
async fn libzmq_pull_receives_everything_codec_push_sends() {
    let (addr_tx, addr_rx) = oneshot::channel();
    let receiver = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let pull = ctx.socket(zmq::PULL).expect("PULL socket");
        pull.set_rcvtimeo(millis(STALL)).expect("ZMQ_RCVTIMEO");
        pull.set_linger(0).expect("ZMQ_LINGER");
        pull.bind("tcp://127.0.0.1:*").expect("bind");
        addr_tx
            .send(bound_address(&pull))
            .expect("the test waits for the address");

        let mut traffic = Traffic::new(SEED_A);
        let mut frame = zmq::Message::new();
        let mut scratch = Vec::new();
        let (mut frames, mut bytes) = (0usize, 0usize);
        for i in 0..MESSAGES {
            let spec = traffic.next_spec();
            for (j, f) in spec.iter().enumerate() {
                pull.recv(&mut frame, 0).unwrap_or_else(|e| {
                    panic!("libzmq PULL: message {i} frame {j}: recv failed ({e}) after {STALL:?}")
                });
                if let Err(mismatch) = check_frame(i, j, f, &frame, &mut scratch) {
                    panic!("libzmq PULL received a wrong frame: {mismatch}");
                }
                let more_expected = j + 1 < spec.len();
                assert_eq!(
                    frame.get_more(),
                    more_expected,
                    "libzmq PULL: message {i} frame {j} of {}: MORE flag",
                    spec.len()
                );
                frames += 1;
                bytes += frame.len();
            }
        }
        match pull.recv(&mut frame, zmq::DONTWAIT) {
            Err(zmq::Error::EAGAIN) => {}
            Ok(()) => panic!("libzmq PULL: a frame arrived after the last message"),
            Err(e) => panic!("libzmq PULL: {e}"),
        }
        (frames, bytes)
    });

    let addr = recv_from_thread("its bound address", addr_rx).await;
    let mut d = Driver::new(null_connection(SocketType::Push), connect(addr).await);
    let peer = match d.handshake(STALL).await {
        Ok(peer) => peer,
        Err(e) => fail_with_peer(e, "handshake with libzmq PULL", receiver).await,
    };
    assert_eq!(peer.socket_type, Some(SocketType::Pull));
    assert_eq!(
        (peer.greeting.major, peer.greeting.minor),
        (3, 1),
        "libzmq 4.3 speaks ZMTP 3.1"
    );

    let mut traffic = Traffic::new(SEED_A);
    let mut sent = 0;
    let (mut frames_sent, mut bytes_sent) = (0usize, 0usize);
    while sent < MESSAGES {
        // Refill the send queue, then let the writes drain it; never more than a few MiB queued.
        while sent < MESSAGES && d.conn.transmit().len() < SEND_QUEUE_HIGH {
            let msg = traffic.next_message();
            frames_sent += msg.len();
            bytes_sent += msg.byte_len();
            d.conn
                .send(&msg)
                .expect("queue a message on a ready connection");
            sent += 1;
        }
        let done = sent == MESSAGES;
        let drained = d
            .run_until("libzmq to take the queued messages", STALL, |d| {
                let queued = d.conn.transmit().len();
                if done {
                    queued == 0
                } else {
                    queued < SEND_QUEUE_LOW
                }
            })
            .await;
        if let Err(e) = drained {
            fail_with_peer(e, &format!("after queueing {sent} messages"), receiver).await;
        }
        let unexpected: Vec<Event> = d.events.drain(..).collect();
        assert!(
            unexpected.is_empty(),
            "a PULL peer sends nothing: {unexpected:?}"
        );
    }

    let (frames, bytes) = join("PULL receiving", receiver).await;
    assert_eq!((frames, bytes), (frames_sent, bytes_sent));
    eprintln!("libzmq PULL received {MESSAGES} messages, {frames} frames, {bytes} bytes");
    assert!(!d.conn.is_closed());
}

/// (b) libzmq PUSH connects to our Tokio listener; our Connection runs as PULL and must receive
/// 10,000 multipart messages byte-exact, in order (the same generator as (a), another seed).
#[tokio::test]
async fn codec_pull_receives_everything_libzmq_push_sends() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let sender = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let push = ctx.socket(zmq::PUSH).expect("PUSH socket");
        push.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        push.set_linger(0).expect("ZMQ_LINGER");
        push.connect(&format!("tcp://{addr}")).expect("connect");
        let mut traffic = Traffic::new(SEED_B);
        let mut body = Vec::new();
        for i in 0..MESSAGES {
            let spec = traffic.next_spec();
            for (j, f) in spec.iter().enumerate() {
                fill_frame(f, &mut body);
                let flags = if j + 1 < spec.len() { zmq::SNDMORE } else { 0 };
                push.send(&body[..], flags).unwrap_or_else(|e| {
                    panic!("libzmq PUSH: message {i} frame {j}: send failed ({e}) after {STALL:?}")
                });
            }
        }
        // Keep the socket (and what it still queues) until the test has everything.
        done_rx
            .recv_timeout(JOIN)
            .expect("the test says when it has received everything");
    });

    let mut d = Driver::new(null_connection(SocketType::Pull), accept(&listener).await);
    let peer = match d.handshake(STALL).await {
        Ok(peer) => peer,
        Err(e) => fail_with_peer(e, "handshake with libzmq PUSH", sender).await,
    };
    assert_eq!(peer.socket_type, Some(SocketType::Push));

    let mut traffic = Traffic::new(SEED_B);
    let mut scratch = Vec::new();
    let mut received = 0;
    let mut failure = None;
    while received < MESSAGES && failure.is_none() {
        let before = received;
        let step = d
            .run_until("the next message from libzmq PUSH", STALL, |d| {
                while let Some(event) = d.events.pop_front() {
                    match event {
                        Event::Message(msg) => {
                            let spec = traffic.next_spec();
                            if let Err(e) = check_message(received, &spec, &msg, &mut scratch) {
                                failure = Some(e);
                                return true;
                            }
                            received += 1;
                        }
                        other => {
                            failure = Some(format!("unexpected event {other:?}"));
                            return true;
                        }
                    }
                }
                received > before
            })
            .await;
        if let Err(e) = step {
            fail_with_peer(e, &format!("after {received} messages"), sender).await;
        }
    }
    if let Some(failure) = failure {
        panic!("our PULL received a wrong message: {failure}");
    }
    done_tx.send(()).expect("the libzmq thread waits for this");
    join("PUSH sending", sender).await;
    assert_eq!(received, MESSAGES);
    assert!(
        d.events.is_empty(),
        "nothing after the last message: {:?}",
        d.events
    );
}

/// (c) libzmq PUSH with ZMQ_HEARTBEAT_IVL = 100 ms connects to our PULL. Its PINGs must arrive,
/// decode, and be answered (our connection answers PONG by itself), so that libzmq keeps the
/// connection through a traffic-free period of at least 2 s; then a message still gets through.
#[tokio::test]
async fn libzmq_heartbeats_are_answered_and_keep_the_connection() {
    const QUIET: Duration = Duration::from_secs(2);
    const MIN_PINGS: usize = 10;
    // libzmq's ZMQ_HEARTBEAT_TIMEOUT defaults to the interval (100 ms): one PONG delayed by more
    // than that (a busy 2-core machine running the bulk tests next door) would drop the
    // connection and fail the test for nothing. 1 s keeps the test meaningful: a side that did
    // not answer would be dropped 1.1 s after the handshake, well inside the 2 s quiet period,
    // and the PING/PONG counts below are checked exactly anyway.
    const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(1);

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let (quiet_over_tx, quiet_over_rx) = std::sync::mpsc::channel::<()>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let push = ctx.socket(zmq::PUSH).expect("PUSH socket");
        push.set_heartbeat_ivl(100).expect("ZMQ_HEARTBEAT_IVL");
        push.set_heartbeat_timeout(millis(HEARTBEAT_TIMEOUT))
            .expect("ZMQ_HEARTBEAT_TIMEOUT");
        push.set_sndtimeo(millis(STALL)).expect("ZMQ_SNDTIMEO");
        push.set_linger(0).expect("ZMQ_LINGER");
        let monitor = Monitor::new(&ctx, &push, "heartbeat");
        push.connect(&format!("tcp://{addr}")).expect("connect");
        let mut events = monitor.wait_for("HANDSHAKE_SUCCEEDED", STALL, |e| {
            e.event == EVENT_HANDSHAKE_SUCCEEDED || e.event == EVENT_DISCONNECTED
        });
        quiet_over_rx
            .recv_timeout(JOIN)
            .expect("the test says when the quiet period is over");
        events.extend(monitor.drain());
        push.send("after the quiet period", 0)
            .expect("libzmq PUSH: send after the quiet period");
        done_rx
            .recv_timeout(JOIN)
            .expect("the test says when it has the message");
        events.extend(monitor.drain());
        events
    });

    let mut d =
        Driver::new(null_connection(SocketType::Pull), accept(&listener).await).record_bytes();
    let peer = match d.handshake(STALL).await {
        Ok(peer) => peer,
        Err(e) => fail_with_peer(e, "handshake with libzmq PUSH", libzmq).await,
    };
    assert_eq!(peer.socket_type, Some(SocketType::Push));
    assert!(peer.greeting.is_v31(), "heartbeats need ZMTP 3.1");

    // The quiet period: no message either way, only libzmq's PINGs and our PONGs. It lasts at
    // least QUIET and until MIN_PINGS PINGs have been answered, with everything written.
    let quiet_start = Instant::now();
    let quiet = d
        .run_until(
            "a quiet period of heartbeats",
            QUIET + STALL,
            |d: &mut Driver| {
                assert!(
                    d.events.is_empty(),
                    "no event in the quiet period: {:?}",
                    d.events
                );
                let pongs =
                    count_occurrences(d.transmitted.as_deref().unwrap_or_default(), PONG_FRAME);
                quiet_start.elapsed() >= QUIET && pongs >= MIN_PINGS && !d.conn.wants_to_transmit()
            },
        )
        .await;
    if let Err(e) = quiet {
        fail_with_peer(e, "heartbeats", libzmq).await;
    }
    let quiet_for = quiet_start.elapsed();
    let received = d.received.as_deref().unwrap_or_default();
    let transmitted = d.transmitted.as_deref().unwrap_or_default();
    let pings = count_occurrences(received, LIBZMQ_PING_FRAME);
    let pongs = count_occurrences(transmitted, PONG_FRAME);
    assert!(
        pings >= MIN_PINGS,
        "{pings} PINGs from libzmq in {quiet_for:?}"
    );
    assert_eq!(pongs, pings, "every PING answered by one PONG, all written");
    eprintln!("{pings} PINGs answered in {quiet_for:?}");

    quiet_over_tx
        .send(())
        .expect("the libzmq thread waits for this");
    let got = d
        .run_until("the message sent after the quiet period", STALL, |d| {
            !d.events.is_empty()
        })
        .await;
    if let Err(e) = got {
        fail_with_peer(e, "the message after the quiet period", libzmq).await;
    }
    assert_eq!(
        d.events.pop_front(),
        Some(Event::Message(Message::single(Bytes::from_static(
            b"after the quiet period"
        ))))
    );
    done_tx.send(()).expect("the libzmq thread waits for this");
    let events = join("heartbeating PUSH", libzmq).await;
    let succeeded = events
        .iter()
        .filter(|e| e.event == EVENT_HANDSHAKE_SUCCEEDED)
        .count();
    assert_eq!(
        succeeded,
        1,
        "one handshake, no reconnection: {}",
        format_events(&events)
    );
    assert!(
        !events.iter().any(|e| e.event == EVENT_DISCONNECTED),
        "libzmq kept the connection through {quiet_for:?} of heartbeats: {}",
        format_events(&events)
    );
    assert!(d.events.is_empty() && !d.conn.is_closed());
}

/// The ERROR command our NULL mechanism sends to a peer of an incompatible type: flags COMMAND,
/// size 26 (name length 1 + `ERROR` 5 + reason length 1 + reason 19), name, reason.
const ERROR_INVALID_SOCKET_TYPE: &[u8] = b"\x04\x1a\x05ERROR\x13Invalid socket type";
/// Our READY as a PUSH: flags COMMAND, size 26, `\x05READY`, then `Socket-Type` = `PUSH`.
const READY_PUSH: &[u8] = b"\x04\x1a\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH";

/// Runs the refused handshake on our side of (d) and checks everything our side can see.
///
/// libzmq processes the peer's READY as soon as it has read it, possibly before it has written
/// its own READY; it then closes the connection at once, and ours would never see libzmq's READY
/// (so it could not name the peer's type). The driver therefore holds our READY back until
/// libzmq's has arrived: NULL lets either side speak first, and libzmq sends its READY without
/// waiting for ours.
async fn refuse_pub(stream: TcpStream) -> Driver {
    let mut d = Driver::new(null_connection(SocketType::Push), stream)
        .record_bytes()
        .hold_after_greeting();
    let refused = d
        .run_until("the handshake to be refused", STALL, |d| d.conn.is_closed())
        .await;
    if let Err(e) = refused {
        panic!("{e}; events: {:?}", d.events);
    }
    // Write what is left (READY, ERROR); libzmq may hang up meanwhile, which the driver allows.
    if let Err(e) = d.flush(STALL).await {
        panic!("writing our READY and ERROR: {e}");
    }
    let events: Vec<Event> = d.events.drain(..).collect();
    assert_eq!(
        events,
        [Event::Closed(ConnectionError::Mechanism(
            MechanismError::IncompatibleSocketType {
                local: SocketType::Push,
                peer: SocketType::Pub,
            }
        ))],
        "the only event is the refusal: no Ready, no message"
    );
    assert_eq!(
        d.conn.send(&Message::single("never")),
        Err(SendError::Closed),
        "nothing can be sent on a refused connection"
    );
    let transmitted = d.transmitted.as_deref().unwrap_or_default();
    assert!(
        transmitted.ends_with(ERROR_INVALID_SOCKET_TYPE),
        "our bytes end with ERROR \"Invalid socket type\": {:?}",
        Bytes::copy_from_slice(transmitted)
    );
    assert_eq!(
        Bytes::copy_from_slice(&transmitted[GREETING_LEN.min(transmitted.len())..]),
        Bytes::from([READY_PUSH, ERROR_INVALID_SOCKET_TYPE].concat()),
        "after the greeting: our READY, then the ERROR, nothing else"
    );
    d
}

/// libzmq's view of (d): every monitor event up to the end of the connection. It must never
/// report a successful handshake.
fn check_libzmq_refused(events: &[MonitorEvent]) {
    eprintln!("libzmq monitor: {}", format_events(events));
    assert!(
        !events.iter().any(|e| e.event == EVENT_HANDSHAKE_SUCCEEDED),
        "libzmq must not report HANDSHAKE_SUCCEEDED: {}",
        format_events(events)
    );
    assert!(
        events
            .iter()
            .any(|e| e.event == EVENT_DISCONNECTED || is_handshake_failure(e.event)),
        "libzmq reports the failure: {}",
        format_events(events)
    );
}

/// (d) An incompatible peer type is refused: our PUSH connects to a libzmq PUB.
#[tokio::test]
async fn codec_push_refuses_libzmq_pub_it_connects_to() {
    let (addr_tx, addr_rx) = oneshot::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let publisher = ctx.socket(zmq::PUB).expect("PUB socket");
        publisher.set_linger(0).expect("ZMQ_LINGER");
        publisher.set_sndtimeo(0).expect("ZMQ_SNDTIMEO");
        let monitor = Monitor::new(&ctx, &publisher, "refused-bind");
        publisher.bind("tcp://127.0.0.1:*").expect("bind");
        addr_tx
            .send(bound_address(&publisher))
            .expect("the test waits for the address");
        let events = monitor.wait_for("the end of the refused connection", STALL, |e| {
            e.event == EVENT_DISCONNECTED
        });
        // PUB sends to subscribers only, so this must go nowhere (nor make libzmq wait).
        publisher
            .send("never delivered", zmq::DONTWAIT)
            .expect("PUB send does not block");
        done_rx
            .recv_timeout(JOIN)
            .expect("the test says when it is done");
        let mut events = events;
        events.extend(monitor.drain());
        events
    });

    let addr = recv_from_thread("its bound address", addr_rx).await;
    let mut d = refuse_pub(connect(addr).await).await;
    assert_eq!(d.conn.poll_event(), None, "nothing after Closed");
    done_tx.send(()).expect("the libzmq thread waits for this");
    let events = join("refusing PUB", libzmq).await;
    check_libzmq_refused(&events);
}

/// (d) An incompatible peer type is refused: a libzmq PUB connects to our PUSH listener.
#[tokio::test]
async fn codec_push_refuses_libzmq_pub_connecting_to_it() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let libzmq = tokio::task::spawn_blocking(move || {
        let ctx = zmq::Context::new();
        let publisher = ctx.socket(zmq::PUB).expect("PUB socket");
        publisher.set_linger(0).expect("ZMQ_LINGER");
        // One attempt only: no reconnection after the refusal.
        publisher.set_reconnect_ivl(-1).expect("ZMQ_RECONNECT_IVL");
        let monitor = Monitor::new(&ctx, &publisher, "refused-connect");
        publisher
            .connect(&format!("tcp://{addr}"))
            .expect("connect");
        // Queued for the connecting pipe; with no subscription it must never reach our side.
        publisher
            .send("never delivered", zmq::DONTWAIT)
            .expect("PUB send does not block");
        let events = monitor.wait_for("the end of the refused connection", STALL, |e| {
            e.event == EVENT_DISCONNECTED
        });
        done_rx
            .recv_timeout(JOIN)
            .expect("the test says when it is done");
        let mut events = events;
        events.extend(monitor.drain());
        events
    });

    let mut d = refuse_pub(accept(&listener).await).await;
    assert_eq!(d.conn.poll_event(), None, "nothing after Closed");
    done_tx.send(()).expect("the libzmq thread waits for this");
    let events = join("refusing PUB", libzmq).await;
    check_libzmq_refused(&events);
}
