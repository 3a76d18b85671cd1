//! The connection's timers between two real connections on a virtual clock ([`Pair`]): the
//! handshake deadline, heartbeats (PING every interval, a peer dropped one timeout after a PING
//! it did not answer) and the TTL a PING carries. Every instant is exact; nothing sleeps.

use std::time::{Duration, Instant};

use zmtp_codec::{Config, Connection, ConnectionError, SocketType};

mod support;
use support::*;

const SECOND: Duration = Duration::from_secs(1);

/// A PING command frame on the wire: flags, size, the name's length, `PING`, the TTL (2 bytes),
/// no context.
const PING_FRAME: u64 = 2 + 1 + 4 + 2;

/// A PONG command frame: flags, size, the name's length, `PONG`, the PING's (empty) context.
const PONG_FRAME: u64 = 2 + 1 + 4;

fn connection(
    socket_type: SocketType,
    config: impl FnOnce(&mut Config),
    now: Instant,
) -> Connection {
    let mut c = Config::new(socket_type);
    config(&mut c);
    Connection::new(c, Box::new(ReadyOnly), now)
}

/// A DEALER (`a`) and a ROUTER (`b`) made at `t0`, with the settings given.
fn pair(a: impl FnOnce(&mut Config), b: impl FnOnce(&mut Config), t0: Instant) -> Pair {
    Pair::new(
        connection(SocketType::Dealer, a, t0),
        connection(SocketType::Router, b, t0),
        t0,
    )
}

/// Steps the clock deadline by deadline (at most `limit` ahead) until `side` has closed; the
/// instant and the reason.
fn closes(p: &mut Pair, side: Side, limit: Duration) -> (Instant, ConnectionError) {
    let end = p.now() + limit;
    loop {
        let at = p
            .step(end.saturating_duration_since(p.now()))
            .unwrap_or_else(|| panic!("{side:?} did not close before {limit:?}"));
        let closed = match side {
            Side::A => p.a.is_closed(),
            Side::B => p.b.is_closed(),
        };
        if closed {
            let reason = p
                .events(side)
                .into_iter()
                .find_map(|e| match e {
                    zmtp_codec::Event::Closed(r) => Some(r),
                    _ => None,
                })
                .expect("a closed connection says why");
            return (at, reason);
        }
    }
}

/// A peer that never answers the greeting fails the handshake at `ZMQ_HANDSHAKE_IVL` exactly,
/// not a moment before.
#[test]
fn a_silent_peer_fails_the_handshake_at_the_interval() {
    let t0 = Instant::now();
    let mut p = pair(
        |c| c.handshake_ivl = Some(5 * SECOND),
        |c| c.handshake_ivl = None,
        t0,
    );
    p.carry_from(Side::B, false);
    p.pump();
    p.advance(5 * SECOND - Duration::from_nanos(1));
    assert!(!p.a.is_closed(), "closed before its handshake interval");
    assert_eq!(
        closes(&mut p, Side::A, SECOND),
        (t0 + 5 * SECOND, ConnectionError::HandshakeTimeout)
    );
    assert!(
        !p.b.is_closed(),
        "the side without a handshake interval waits"
    );
}

/// A handshake done in time clears its deadline: an hour later, with no heartbeats, nothing has
/// happened and nothing is due.
#[test]
fn a_handshake_done_in_time_leaves_no_deadline() {
    let t0 = Instant::now();
    let mut p = pair(
        |c| c.handshake_ivl = Some(5 * SECOND),
        |c| c.handshake_ivl = Some(5 * SECOND),
        t0,
    );
    p.pump();
    assert!(p.a.is_ready() && p.b.is_ready());
    assert_eq!(p.next_timeout(), None, "nothing due after the handshake");
    p.advance(3600 * SECOND);
    assert!(p.a.is_ready() && p.b.is_ready());
}

/// With `ZMQ_HEARTBEAT_IVL` 1 s, a connection whose peer answers sends exactly one PING a second
/// for an hour and is kept all along.
#[test]
fn heartbeats_go_out_every_interval_and_keep_a_live_peer() {
    let t0 = Instant::now();
    let mut p = pair(|c| c.heartbeat_ivl = Some(SECOND), |_| {}, t0);
    p.pump();
    assert!(p.a.is_ready() && p.b.is_ready());
    let (before, answers_before) = (p.carried_from(Side::A), p.carried_from(Side::B));
    assert_eq!(p.next_timeout(), Some(t0 + SECOND), "the first PING is due");
    p.advance(3600 * SECOND);
    assert!(
        p.a.is_ready() && !p.a.is_closed(),
        "a live peer was dropped"
    );
    assert_eq!(
        p.carried_from(Side::A) - before,
        3600 * PING_FRAME,
        "one PING a second, nothing else"
    );
    assert_eq!(
        p.carried_from(Side::B) - answers_before,
        3600 * PONG_FRAME,
        "the peer answered each PING with a PONG"
    );
}

/// A peer that stops answering is dropped `ZMQ_HEARTBEAT_TIMEOUT` after the first PING it left
/// unanswered (the PINGs in between do not push the deadline back).
#[test]
fn a_peer_that_stops_answering_is_dropped_one_timeout_after_the_ping() {
    let t0 = Instant::now();
    let mut p = pair(
        |c| {
            c.heartbeat_ivl = Some(SECOND);
            c.heartbeat_timeout = Some(3 * SECOND);
        },
        |_| {},
        t0,
    );
    p.pump();
    // Ten answered PINGs, then silence from the peer.
    p.advance(10 * SECOND);
    assert!(!p.a.is_closed());
    p.carry_from(Side::B, false);
    assert_eq!(
        closes(&mut p, Side::A, 60 * SECOND),
        (t0 + 14 * SECOND, ConnectionError::HeartbeatTimeout),
        "the PING at 11 s went unanswered: dropped at 11 + 3 s"
    );
}

/// The TTL a PING carries (`ZMQ_HEARTBEAT_TTL` of the sender) closes the receiving side when the
/// sender then goes silent: at the last PING's arrival plus the TTL, though the receiver has no
/// heartbeat settings of its own.
#[test]
fn the_ttl_in_a_ping_closes_the_peer_when_the_sender_goes_silent() {
    let t0 = Instant::now();
    let mut p = pair(
        |c| {
            c.heartbeat_ivl = Some(SECOND);
            c.heartbeat_timeout = Some(Duration::ZERO);
            c.heartbeat_ttl = 5 * SECOND;
        },
        |_| {},
        t0,
    );
    p.pump();
    p.advance(2 * SECOND);
    assert!(!p.b.is_closed());
    p.carry_from(Side::A, false);
    assert_eq!(
        closes(&mut p, Side::B, 60 * SECOND),
        (t0 + 7 * SECOND, ConnectionError::TtlExpired),
        "the last PING arrived at 2 s with a TTL of 5 s"
    );
    assert!(!p.a.is_closed(), "the sender, with no timeout, keeps going");
}
