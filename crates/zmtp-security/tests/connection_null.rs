//! The connection state machine with the NULL mechanism, client and server in memory, byte by
//! byte where it matters. Time is simulated: every deadline is reached by passing an `Instant`.

use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use proptest::prelude::*;
use zmtp_codec::{
    frame::FrameDecoder, Command, Config, Connection, ConnectionError, Event, FrameError,
    GreetingError, MechanismError, MechanismName, Message, Metadata, SendError, SocketType,
};
use zmtp_security::Null;

mod harness;
use harness::*;

fn conn(config: Config, now: Instant) -> Connection {
    Connection::new(config, Box::new(Null::new()), now)
}

fn ready_pair(client: Config, server: Config, now: Instant) -> (Connection, Connection) {
    let mut c = conn(client, now);
    let mut s = conn(server, now);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready(), "handshake should finish");
    (c, s)
}

/// A connection that has finished its handshake with a raw peer of `minor` version.
fn ready_with_raw_peer(config: Config, minor: u8, now: Instant) -> Connection {
    let peer_type = match config.socket_type {
        SocketType::Pub => SocketType::Sub,
        SocketType::Sub => SocketType::Pub,
        SocketType::Push => SocketType::Pull,
        SocketType::Pull => SocketType::Push,
        _ => SocketType::Dealer,
    };
    let mut c = conn(config, now);
    c.feed(now, &raw_greeting(minor, MechanismName::NULL));
    c.feed(now, &raw_ready(peer_type));
    assert!(c.is_ready(), "{:?}", events(&mut c));
    let _ = take_transmit(&mut c);
    let _ = events(&mut c);
    c
}

#[test]
fn handshake_exchanges_metadata() {
    let now = Instant::now();
    let mut client_cfg = Config::new(SocketType::Dealer);
    client_cfg.routing_id = Bytes::from_static(b"worker-1");
    client_cfg.metadata.insert("X-Team", "ops").expect("valid");
    let (mut c, mut s) = ready_pair(client_cfg, Config::new(SocketType::Router), now);

    let server_events = events(&mut s);
    let Some(Event::Ready(peer)) = server_events.first() else {
        panic!("server should report Ready first: {server_events:?}");
    };
    assert_eq!(peer.socket_type, Some(SocketType::Dealer));
    assert_eq!(peer.identity(), Some(&Bytes::from_static(b"worker-1")));
    assert_eq!(
        peer.metadata.get("X-Team"),
        Some(&Bytes::from_static(b"ops"))
    );
    assert!(peer.greeting.is_v31());

    let client_events = events(&mut c);
    let Some(Event::Ready(peer)) = client_events.first() else {
        panic!("client should report Ready: {client_events:?}");
    };
    assert_eq!(peer.socket_type, Some(SocketType::Router));
    assert_eq!(peer.identity(), None, "ROUTER sends an empty Identity");
}

#[test]
fn greeting_is_sent_in_libzmq_stages() {
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Push), now);
    assert_eq!(take_transmit(&mut c), [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F]);
    let peer = raw_greeting(1, MechanismName::NULL);
    c.feed(now, &peer[..10]);
    assert_eq!(
        take_transmit(&mut c),
        [3],
        "major only after the peer's signature"
    );
    c.feed(now, &peer[10..11]);
    let rest = take_transmit(&mut c);
    assert_eq!(rest.len(), 53);
    assert_eq!(&rest[..5], b"\x01NULL");
    c.feed(now, &peer[11..]);
    let ready = take_transmit(&mut c);
    assert_eq!(&ready[..9], b"\x04\x1a\x05READY\x0b");
    assert!(!c.is_ready(), "waits for the peer's READY");
}

#[test]
fn messages_cross_both_ways_with_frames_intact() {
    let now = Instant::now();
    let (mut c, mut s) = ready_pair(
        Config::new(SocketType::Dealer),
        Config::new(SocketType::Router),
        now,
    );
    let _ = (events(&mut c), events(&mut s));
    let big = Bytes::from(vec![0xAB; 70_000]);
    let sent = [
        Message::from(["hello"]),
        Message::from(vec![Bytes::new(), big.clone(), Bytes::from_static(b"tail")]),
        Message::from([Bytes::new()]),
    ];
    for m in &sent {
        c.send(m).expect("ready");
    }
    s.send(&Message::from(["reply"])).expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(messages(events(&mut s)), sent);
    assert_eq!(messages(events(&mut c)), vec![Message::from(["reply"])]);
}

#[test]
fn send_errors() {
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Push), now);
    assert_eq!(c.send(&Message::from(["x"])), Err(SendError::NotReady));
    let mut c = ready_with_raw_peer(Config::new(SocketType::Push), 1, now);
    assert_eq!(c.send(&Message::new()), Err(SendError::EmptyMessage));
    c.close_locally();
    assert_eq!(c.send(&Message::from(["x"])), Err(SendError::Closed));
    assert_eq!(closed_reason(&mut c), Some(ConnectionError::Closed));
}

#[test]
fn mechanism_mismatch_closes() {
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Push), now);
    c.feed(now, &raw_greeting(1, MechanismName::CURVE));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::MechanismMismatch {
            local: MechanismName::NULL,
            peer: MechanismName::CURVE
        })
    );
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn incompatible_socket_type_gets_error_command() {
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Push), now);
    c.feed(now, &raw_greeting(1, MechanismName::NULL));
    let _ = take_transmit(&mut c);
    c.feed(now, &raw_ready(SocketType::Pub));
    let sent = take_transmit(&mut c);
    assert_eq!(sent, b"\x04\x1a\x05ERROR\x13Invalid socket type");
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Mechanism(
            MechanismError::IncompatibleSocketType {
                local: SocketType::Push,
                peer: SocketType::Pub
            }
        ))
    );
}

#[test]
fn missing_and_unknown_socket_types() {
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Push), now);
    c.feed(now, &raw_greeting(1, MechanismName::NULL));
    c.feed(now, &raw_command(&Command::Ready(Metadata::new())));
    assert_eq!(
        closed_reason(&mut c),
        Some(MechanismError::MissingSocketType.into())
    );

    let mut c = conn(Config::new(SocketType::Push), now);
    c.feed(now, &raw_greeting(1, MechanismName::NULL));
    let mut md = Metadata::new();
    md.insert("Socket-Type", "DGRAM").expect("valid");
    c.feed(now, &raw_command(&Command::Ready(md)));
    assert_eq!(
        closed_reason(&mut c),
        Some(MechanismError::UnknownSocketType("DGRAM".into()).into())
    );
}

#[test]
fn handshake_violations() {
    let now = Instant::now();
    let start = || {
        let mut c = conn(Config::new(SocketType::Pull), now);
        c.feed(now, &raw_greeting(1, MechanismName::NULL));
        c
    };
    let mut c = start();
    c.feed(now, b"\x00\x02hi");
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::MessageBeforeReady)
    );

    let mut c = start();
    c.feed(
        now,
        &raw_command(&Command::Ping {
            ttl: 0,
            context: Bytes::new(),
        }),
    );
    assert_eq!(
        closed_reason(&mut c),
        Some(
            MechanismError::UnexpectedCommand {
                expected: "READY",
                got: "PING".into()
            }
            .into()
        )
    );

    let mut c = start();
    c.feed(
        now,
        &raw_command(&Command::Error {
            reason: Bytes::from_static(b"400"),
        }),
    );
    assert_eq!(
        closed_reason(&mut c),
        Some(
            MechanismError::PeerError {
                reason: "400".into()
            }
            .into()
        )
    );

    let mut c = start();
    c.feed(now, b"\x04\x07\x05READY\x00");
    assert!(matches!(
        closed_reason(&mut c),
        Some(ConnectionError::Mechanism(MechanismError::Command(_)))
    ));

    let mut c = start();
    c.feed(now, b"\x04\x03\x09SU");
    assert!(matches!(
        closed_reason(&mut c),
        Some(ConnectionError::Command(_))
    ));
}

#[test]
fn garbage_peers_are_reported() {
    // Legacy peers: tests/connection_legacy.rs.
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Pull), now);
    c.feed(now, b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Greeting(GreetingError::NotZmtp {
            offset: 1,
            byte: b'E'
        }))
    );
    c.feed(now, b"more bytes after close are ignored");
    assert!(events(&mut c).is_empty());
}

#[test]
fn oversized_frames_are_refused_on_the_header() {
    let now = Instant::now();
    let mut cfg = Config::new(SocketType::Pull);
    cfg.max_msg_size = Some(1000);
    let mut c = ready_with_raw_peer(cfg, 1, now);
    c.feed(now, &[0x02, 0, 0, 0, 0, 0, 0, 0x03, 0xE9]); // 1001 bytes announced, none sent
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Frame(FrameError::TooLarge {
            size: 1001,
            max: 1000
        }))
    );
}

#[test]
fn handshake_times_out() {
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Pull), now);
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(30)));
    c.handle_timeout(now + Duration::from_secs(29));
    assert!(!c.is_closed());
    c.handle_timeout(now + Duration::from_secs(30));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::HandshakeTimeout)
    );

    let mut cfg = Config::new(SocketType::Pull);
    cfg.handshake_ivl = None;
    let c = conn(cfg, now);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn heartbeats_ping_and_time_out() {
    let t0 = Instant::now();
    let sec = Duration::from_secs(1);
    let mut cfg = Config::new(SocketType::Dealer);
    cfg.heartbeat_ivl = Some(sec);
    cfg.heartbeat_ttl = Duration::from_millis(2_550);
    let (mut c, mut s) = ready_pair(cfg, Config::new(SocketType::Router), t0);
    let _ = (events(&mut c), events(&mut s));
    assert_eq!(c.poll_timeout(), Some(t0 + sec));
    c.handle_timeout(t0 + sec);
    let ping = take_transmit(&mut c);
    assert_eq!(
        ping, b"\x04\x07\x04PING\x00\x19",
        "TTL 2550 ms is sent as 25 deciseconds"
    );
    // The timeout defaults to the interval.
    assert_eq!(c.poll_timeout(), Some(t0 + 2 * sec));

    // The server answers with PONG and arms the TTL the ping carried.
    s.feed(t0 + sec, &ping);
    assert!(!s.is_closed(), "{:?}", events(&mut s));
    let pong = take_transmit(&mut s);
    assert_eq!(pong, b"\x04\x05\x04PONG");
    assert_eq!(
        s.poll_timeout(),
        Some(t0 + sec + Duration::from_millis(2_500))
    );
    c.feed(t0 + sec, &pong);
    c.handle_timeout(t0 + 2 * sec);
    assert!(!c.is_closed(), "the PONG disarmed the timeout");
    let _ = take_transmit(&mut c);

    // The PING sent at 2 s goes unanswered: the connection gives up one timeout later.
    assert_eq!(c.poll_timeout(), Some(t0 + 3 * sec));
    c.handle_timeout(t0 + 3 * sec - Duration::from_millis(1));
    assert!(!c.is_closed());
    c.handle_timeout(t0 + 3 * sec);
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::HeartbeatTimeout)
    );

    // And the server, having heard nothing within the TTL, closes too.
    s.handle_timeout(t0 + sec + Duration::from_millis(2_500));
    assert_eq!(closed_reason(&mut s), Some(ConnectionError::TtlExpired));
}

#[test]
fn explicit_heartbeat_timeout_and_ttl_rearm() {
    let t0 = Instant::now();
    let mut cfg = Config::new(SocketType::Pull);
    cfg.heartbeat_ivl = Some(Duration::from_millis(100));
    cfg.heartbeat_timeout = Some(Duration::from_millis(250));
    let mut c = ready_with_raw_peer(cfg, 1, t0);
    c.handle_timeout(t0 + Duration::from_millis(100));
    assert_eq!(
        c.poll_timeout(),
        Some(t0 + Duration::from_millis(200)),
        "next ping first"
    );
    c.handle_timeout(t0 + Duration::from_millis(200));
    c.handle_timeout(t0 + Duration::from_millis(300));
    assert!(!c.is_closed());
    c.handle_timeout(t0 + Duration::from_millis(350));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::HeartbeatTimeout)
    );

    // A peer PING with TTL 1 s; later traffic disarms the TTL timer.
    let mut c = ready_with_raw_peer(Config::new(SocketType::Pull), 1, t0);
    c.feed(
        t0,
        &raw_command(&Command::Ping {
            ttl: 10,
            context: Bytes::from_static(b"HI"),
        }),
    );
    assert_eq!(take_transmit(&mut c), b"\x04\x07\x04PONGHI");
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    c.feed(t0 + Duration::from_millis(500), b"\x00\x01x");
    assert_eq!(c.poll_timeout(), None);
    c.handle_timeout(t0 + Duration::from_secs(2));
    assert!(!c.is_closed());
}

/// A peer that floods PINGs and never reads gets no more PONGs once PONG_BACKLOG bytes wait
/// to be written; when the backlog is written, PINGs are answered again.
#[test]
fn pongs_do_not_pile_up_for_a_peer_that_does_not_read() {
    let t0 = Instant::now();
    let mut c = ready_with_raw_peer(Config::new(SocketType::Pull), 1, t0);
    let ping = raw_command(&Command::Ping {
        ttl: 0,
        context: Bytes::new(),
    });
    let flood: Vec<u8> = ping
        .iter()
        .copied()
        .cycle()
        .take(ping.len() * 100_000)
        .collect();
    c.feed(t0, &flood);
    assert!(!c.is_closed());
    let pending = c.transmit().len();
    let backlog = zmtp_codec::connection::PONG_BACKLOG;
    assert!(
        (backlog..backlog + 64).contains(&pending),
        "100,000 PINGs unanswered by a reader: {pending} bytes of PONGs queued"
    );
    let _ = take_transmit(&mut c);
    c.feed(t0, &ping);
    assert_eq!(take_transmit(&mut c), b"\x04\x05\x04PONG", "answered again");
}

#[test]
fn zmtp30_peers_get_no_pings_and_message_subscriptions() {
    let t0 = Instant::now();
    let mut cfg = Config::new(SocketType::Sub);
    cfg.heartbeat_ivl = Some(Duration::from_millis(100));
    let mut c = ready_with_raw_peer(cfg.clone(), 0, t0);
    assert_eq!(c.poll_timeout(), None, "ZMTP 3.0 has no PING");
    c.subscribe(b"weather").expect("ready");
    c.cancel(b"").expect("ready");
    assert_eq!(take_transmit(&mut c), b"\x00\x08\x01weather\x00\x01\x00");

    let mut c = ready_with_raw_peer(cfg, 1, t0);
    c.subscribe(b"weather").expect("ready");
    c.cancel(b"w").expect("ready");
    assert_eq!(
        take_transmit(&mut c),
        b"\x04\x11\x09SUBSCRIBEweather\x04\x08\x06CANCELw"
    );
}

#[test]
fn subscription_commands_become_events() {
    let t0 = Instant::now();
    let mut c = ready_with_raw_peer(Config::new(SocketType::Pub), 1, t0);
    c.feed(
        t0,
        b"\x04\x0c\x09SUBSCRIBEab\x04\x07\x06CANCEL\x04\x05\x04PONG\x04\x04\x03FOO",
    );
    assert_eq!(
        events(&mut c),
        vec![
            Event::Subscribe(Bytes::from_static(b"ab")),
            Event::Cancel(Bytes::new())
        ]
    );
    assert!(
        !c.is_closed(),
        "unknown commands after the handshake are ignored, as libzmq"
    );
}

/// Everything a PUSH client sends after a NULL handshake with a raw PULL peer, as one byte
/// stream: greeting, READY, then the messages.
fn full_stream(msgs: &[Message]) -> Vec<u8> {
    let now = Instant::now();
    let mut client = conn(Config::new(SocketType::Push), now);
    client.feed(now, &raw_greeting(1, MechanismName::NULL));
    client.feed(now, &raw_ready(SocketType::Pull));
    for m in msgs {
        client.send(m).expect("ready");
    }
    take_transmit(&mut client)
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            prop::collection::vec(any::<u8>(), 250..262),
            Just(vec![7u8; 9000]),
        ],
        1..4,
    )
    .prop_map(|frames| frames.into_iter().map(Bytes::from).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any split of the byte stream into chunks yields the same events as feeding it whole.
    #[test]
    fn chunking_does_not_change_events(
        msgs in prop::collection::vec(arb_message(), 1..8),
        cuts in prop::collection::vec(1usize..97, 1..64),
    ) {
        let now = Instant::now();
        let wire = full_stream(&msgs);
        let mut server = conn(Config::new(SocketType::Pull), now);
        let mut rest = &wire[..];
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].min(rest.len());
            server.feed(now, &rest[..n]);
            rest = &rest[n..];
            i += 1;
        }
        let evs = events(&mut server);
        prop_assert!(matches!(evs.first(), Some(Event::Ready(_))));
        prop_assert_eq!(messages(evs), msgs);
    }

    /// Whatever the connection encodes, a bare frame decoder reads back frame for frame.
    #[test]
    fn encoded_messages_decode_to_the_same_frames(msgs in prop::collection::vec(arb_message(), 1..8)) {
        let mut send = zmtp_codec::SendBuffer::new();
        for m in &msgs {
            send.put_message(m);
        }
        let mut buf = BytesMut::from(&send.copy_to_bytes(send.remaining())[..]);
        let mut dec = FrameDecoder::new(None);
        let mut got = Vec::new();
        let mut cur = Message::new();
        while let Some(f) = dec.decode(&mut buf).expect("valid") {
            cur.push_back(f.body);
            if !f.more {
                got.push(std::mem::take(&mut cur));
            }
        }
        prop_assert!(buf.is_empty());
        prop_assert_eq!(got, msgs);
    }
}

#[test]
fn peer_close_is_reported_with_the_phase() {
    let now = Instant::now();
    let mut c = conn(Config::new(SocketType::Push), now);
    c.handle_eof();
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::PeerClosed {
            during_handshake: true
        })
    );
    let mut c = ready_with_raw_peer(Config::new(SocketType::Pull), 1, now);
    c.feed(now, b"\x01\x01a"); // half a message, then the peer goes away
    c.handle_eof();
    let evs = events(&mut c);
    assert_eq!(
        evs,
        vec![Event::Closed(ConnectionError::PeerClosed {
            during_handshake: false
        })],
        "no partial message is delivered"
    );
}

#[test]
fn only_new_bytes_count_as_liveness() {
    let t0 = Instant::now();
    let mut cfg = Config::new(SocketType::Pull);
    cfg.heartbeat_ivl = Some(Duration::from_secs(1));
    let mut c = ready_with_raw_peer(cfg, 1, t0);
    c.feed(t0, b"\x00\x05ab"); // a partial frame stays in the buffer
    c.handle_timeout(t0 + Duration::from_secs(1)); // PING, timeout armed for 2 s
    c.handle_input(t0 + Duration::from_millis(1500)); // nothing new arrived
    c.handle_timeout(t0 + Duration::from_secs(2));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::HeartbeatTimeout)
    );
}

/// Fills the free space of `conn`'s read buffer as one large read would: the rest of a frame
/// the last read cut (`owed` bytes), whole 32-byte frames, and the start of one more frame. Returns
/// the messages decoded, where the buffer's bytes start, and what the cut frame still owes.
fn fill_read_buffer(
    conn: &mut Connection,
    now: Instant,
    owed: usize,
) -> (*const u8, Vec<Message>, usize) {
    let buf = conn.recv_buf();
    let start = buf.as_ptr();
    buf.extend_from_slice(&vec![7; owed]);
    let free = buf.capacity() - buf.len();
    let frames = free / 34;
    for _ in 0..frames {
        buf.extend_from_slice(&[0, 32]);
        buf.extend_from_slice(&[7; 32]);
    }
    let cut = free - frames * 34;
    let owed_next = if cut >= 2 {
        buf.extend_from_slice(&[0, 32]);
        buf.extend_from_slice(&vec![7; cut - 2]);
        32 - (cut - 2)
    } else {
        0
    };
    conn.handle_input(now);
    let msgs: Vec<Message> = std::iter::from_fn(|| match conn.poll_event() {
        Some(Event::Message(m)) => Some(m),
        Some(other) => panic!("only messages expected: {other:?}"),
        None => None,
    })
    .collect();
    assert_eq!(msgs.len(), frames + usize::from(owed > 0));
    assert!(msgs.iter().all(|m| m.frames()[0][..] == [7; 32]));
    (start, msgs, owed_next)
}

#[test]
fn read_buffers_are_reused_once_their_messages_are_dropped() {
    // Bodies share the buffer they were read into. A buffer whose messages are all gone serves
    // the next read again, the cut frame moved to its front (no allocation per batch, hence
    // none per message); while they live, the next read goes to another buffer, and the first
    // comes back once they are dropped.
    let now = Instant::now();
    let (_push, mut pull) = ready_pair(
        Config::new(SocketType::Push),
        Config::new(SocketType::Pull),
        now,
    );
    let _ = events(&mut pull);
    // Reads that fill it grow the buffer to its working size first.
    let mut owed = 0;
    for _ in 0..4 {
        let (_, msgs, next) = fill_read_buffer(&mut pull, now, owed);
        drop(msgs);
        owed = next;
    }
    let (first, msgs, owed) = fill_read_buffer(&mut pull, now, owed);
    drop(msgs);
    let (again, msgs, owed) = fill_read_buffer(&mut pull, now, owed);
    assert_eq!(
        again, first,
        "nothing read into it is alive: the same buffer again"
    );

    let (second, held, owed) = fill_read_buffer(&mut pull, now, owed);
    assert_ne!(
        second, first,
        "the first buffer's messages are alive: another buffer"
    );
    drop(msgs);
    let (third, _msgs, _) = fill_read_buffer(&mut pull, now, owed);
    assert_eq!(
        third, first,
        "the first buffer is free again while the second's messages live: it comes back"
    );
    drop(held);
}

#[test]
fn an_idle_connection_keeps_a_small_read_buffer_and_traffic_grows_it() {
    use zmtp_codec::connection::{INITIAL_READ_CHUNK, READ_CHUNK};
    let now = Instant::now();
    let (_push, mut pull) = ready_pair(
        Config::new(SocketType::Push),
        Config::new(SocketType::Pull),
        now,
    );
    let _ = events(&mut pull);
    assert!(
        pull.recv_buf().capacity() <= INITIAL_READ_CHUNK,
        "after the handshake, the first buffer is still the small one: {}",
        pull.recv_buf().capacity()
    );
    let mut owed = 0;
    for _ in 0..4 {
        let (_, msgs, next) = fill_read_buffer(&mut pull, now, owed);
        drop(msgs);
        owed = next;
    }
    assert!(
        pull.recv_buf().capacity() >= READ_CHUNK,
        "reads that fill the buffer grow it to READ_CHUNK"
    );
}
