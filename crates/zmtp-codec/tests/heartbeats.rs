//! Heartbeats at the connection, time passed as `Instant`s (nothing sleeps): the TTL a peer's
//! PING carries sets this side's deadline, and a zero `ZMQ_HEARTBEAT_TIMEOUT` turns the
//! timeout off.

use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_codec::greeting::GreetingWriter;
use zmtp_codec::{
    Command, Config, Connection, ConnectionError, MechanismName, Metadata, SocketType,
};

mod support;
use support::*;

/// The TTL in a peer's PING (deciseconds) sets the deadline by which this side must hear from
/// it again, counted from the PING's arrival: reached, the connection ends with `TtlExpired`.
/// A PING with TTL 0 sets none; traffic clears it; the next PING sets its own; a second PING in
/// the same read leaves the deadline the first set (libzmq keeps its armed timer).
#[test]
fn the_ttl_of_a_peers_ping_sets_our_deadline() {
    let t0 = Instant::now();
    let ping = |ttl: u16| {
        raw_command(&Command::Ping {
            ttl,
            context: Bytes::new(),
        })
    };
    let ms = Duration::from_millis;
    let mut c = ready_with_raw_peer(Config::new(SocketType::Pull), t0);
    assert_eq!(c.poll_timeout(), None, "no heartbeats of our own");

    c.feed(t0, &ping(0));
    assert_eq!(c.poll_timeout(), None, "TTL 0: no deadline");

    // 2.5 s from the PING's arrival, and not before.
    let t1 = t0 + ms(1_000);
    c.feed(t1, &ping(25));
    assert_eq!(c.poll_timeout(), Some(t1 + ms(2_500)));
    c.handle_timeout(t1 + ms(2_499));
    assert!(!c.is_closed());

    // Traffic clears it; the next PING sets its own (1 s), two in one read the first's.
    let t2 = t1 + ms(2_000);
    c.feed(t2, b"\x00\x01x");
    assert_eq!(c.poll_timeout(), None, "traffic proves the peer alive");
    c.feed(t2, &ping(10));
    assert_eq!(c.poll_timeout(), Some(t2 + ms(1_000)));
    let t3 = t2 + ms(500);
    let mut two = ping(30);
    two.extend_from_slice(&ping(5));
    c.feed(t3, &two);
    assert_eq!(c.poll_timeout(), Some(t3 + ms(3_000)));
    c.handle_timeout(t3 + ms(2_999));
    assert!(!c.is_closed());
    c.handle_timeout(t3 + ms(3_000));
    assert_eq!(closed_reason(&mut c), Some(ConnectionError::TtlExpired));

    // The largest TTL, 6553.5 s.
    let mut c = ready_with_raw_peer(Config::new(SocketType::Pull), t0);
    c.feed(t0, &ping(u16::MAX));
    assert_eq!(c.poll_timeout(), Some(t0 + ms(6_553_500)));
}

/// A zero `ZMQ_HEARTBEAT_TIMEOUT` turns the timeout off, as libzmq's explicit 0 does (libzmq
/// arms its timeout timer only for a positive value): PINGs go out at every interval, and a
/// peer that answers none of them is kept.
#[test]
fn a_zero_heartbeat_timeout_keeps_a_peer_that_never_answers() {
    let t0 = Instant::now();
    let ivl = Duration::from_millis(100);
    let mut cfg = Config::new(SocketType::Pull);
    cfg.heartbeat_ivl = Some(ivl);
    cfg.heartbeat_timeout = Some(Duration::ZERO);
    let mut c = ready_with_raw_peer(cfg, t0);
    let ping = raw_command(&Command::Ping {
        ttl: 0,
        context: Bytes::new(),
    });
    for n in 1..=100u32 {
        let now = t0 + ivl * n;
        assert_eq!(c.poll_timeout(), Some(now), "only the next PING is due");
        c.handle_timeout(now);
        assert_eq!(take_transmit(&mut c), ping, "PING {n}");
    }
    assert!(!c.is_closed());
    assert_eq!(events(&mut c), []);
}

/// `ZMQ_HEARTBEAT_IVL` sends PINGs to ZMTP 3.1 peers only: a 3.0 peer (minor version 0 in its
/// greeting) has no PING command, so it gets none and is never timed out by heartbeats, as
/// libzmq 4.3 behaves (docs/options.md, "Heartbeats"). The same connection with a 3.1 peer
/// sends its PING at the interval.
#[test]
fn a_zmtp_3_0_peer_gets_no_pings() {
    let t0 = Instant::now();
    let ivl = Duration::from_millis(100);
    let config = || {
        let mut cfg = Config::new(SocketType::Pull);
        cfg.heartbeat_ivl = Some(ivl);
        cfg
    };
    let ready = |minor: u8| {
        let mut c = Connection::new(config(), Box::new(ReadyOnly), t0);
        let mut greeting = GreetingWriter::new(MechanismName::NULL, 0)
            .as_bytes()
            .to_vec();
        greeting[11] = minor; // the minor version byte
        c.feed(t0, &greeting);
        let mut md = Metadata::new();
        md.insert("Socket-Type", "PUSH").expect("valid");
        c.feed(t0, &raw_command(&Command::Ready(md)));
        assert!(c.is_ready(), "{:?}", events(&mut c));
        let _ = take_transmit(&mut c);
        c
    };

    let mut v31 = ready(1);
    assert_eq!(v31.poll_timeout(), Some(t0 + ivl), "a 3.1 peer is pinged");
    v31.handle_timeout(t0 + ivl);
    let ping = raw_command(&Command::Ping {
        ttl: 0,
        context: Bytes::new(),
    });
    assert_eq!(take_transmit(&mut v31), ping);

    let mut v30 = ready(0);
    assert_eq!(
        v30.poll_timeout(),
        None,
        "no heartbeat timer for a 3.0 peer"
    );
    for n in 1..=10u32 {
        v30.handle_timeout(t0 + ivl * n);
    }
    assert_eq!(take_transmit(&mut v30), b"", "nothing sent");
    assert!(!v30.is_closed());
}
