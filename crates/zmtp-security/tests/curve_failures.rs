//! Every way a CURVE handshake or session fails, with the exact error, and no message crossing
//! where none may.
#![cfg(feature = "curve")]

use std::time::Instant;

use zmtp_codec::{
    CommandError, Config, Connection, ConnectionError, Event, MechanismError, MechanismName,
    Message, SocketType,
};
use zmtp_security::{CurveKeyPair, Null};

mod curve_support;
mod harness;
use curve_support::*;
use harness::{closed_reason, events, messages, pump, raw_greeting, take_transmit};

fn mech(e: MechanismError) -> Option<ConnectionError> {
    Some(ConnectionError::Mechanism(e))
}

/// Flips one bit of a whole frame at `offset` into its body.
fn flip(mut frame: Vec<u8>, offset: usize) -> Vec<u8> {
    let header = frame.len() - frame_body(&frame).len();
    frame[header + offset] ^= 0x01;
    frame
}

/// A finished handshake, events drained.
fn ready_pair(now: Instant) -> (Connection, Connection) {
    let (mut c, mut s) = dealer_router(now, false);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    let _ = (events(&mut c), events(&mut s));
    (c, s)
}

#[test]
fn wrong_server_key() {
    let now = Instant::now();
    let impostor = CurveKeyPair::generate();
    let mut c = client_conn(now, SocketType::Dealer, client_keys(), *impostor.public());
    let mut s = server_conn(now, SocketType::Router, server_keys(), false);
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::DecryptFailed { what: "HELLO" })
    );
    assert!(!c.is_ready() && !s.is_ready());
    assert!(
        events(&mut c).is_empty(),
        "the server closes without a word"
    );
}

#[test]
fn server_with_other_keys_cannot_answer() {
    // The client knows S, but the peer holds another key pair: HELLO does not open there.
    let now = Instant::now();
    let mut c = client_conn(
        now,
        SocketType::Dealer,
        client_keys(),
        *server_keys().public(),
    );
    let mut s = server_conn(now, SocketType::Router, CurveKeyPair::generate(), false);
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::DecryptFailed { what: "HELLO" })
    );
    assert!(!c.is_ready());
}

#[test]
fn tampered_welcome() {
    // A WELCOME whose long nonce was changed in flight (as by a relay without S's secret).
    let now = Instant::now();
    let (mut c, mut s) = dealer_router(now, false);
    pump_tapped(&mut c, &mut s, now, |dir, frame| {
        if dir == Dir::ToClient && command_name(&frame) == b"WELCOME" {
            return vec![flip(frame, 10)];
        }
        vec![frame]
    });
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::DecryptFailed { what: "WELCOME" })
    );
    assert!(!c.is_ready() && !s.is_ready());
}

#[test]
fn client_not_vouched() {
    // The INITIATE names C, but the vouch is sealed by another long-term key.
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 1);
    let mut vouch = raw.vouch();
    vouch.signer = *CurveKeyPair::generate().secret().as_bytes();
    let initiate = raw.initiate(2, &vouch, &socket_metadata(SocketType::Dealer));
    s.feed(now, &command_frame(&initiate));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::DecryptFailed { what: "vouch" })
    );
    assert!(take_transmit(&mut s).is_empty(), "no READY, no ERROR");
}

#[test]
fn vouch_for_another_transient_key() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 1);
    let mut vouch = raw.vouch();
    vouch.transient = *CurveKeyPair::generate().public().as_bytes();
    s.feed(
        now,
        &command_frame(&raw.initiate(2, &vouch, &socket_metadata(SocketType::Dealer))),
    );
    assert_eq!(closed_reason(&mut s), mech(MechanismError::VouchMismatch));
    assert!(take_transmit(&mut s).is_empty());
}

#[test]
fn vouch_for_another_server() {
    // Stricter than libzmq, which checks only the C' half of the vouch.
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 1);
    let mut vouch = raw.vouch();
    vouch.server = *CurveKeyPair::generate().public().as_bytes();
    s.feed(
        now,
        &command_frame(&raw.initiate(2, &vouch, &socket_metadata(SocketType::Dealer))),
    );
    assert_eq!(closed_reason(&mut s), mech(MechanismError::VouchMismatch));
}

#[test]
fn honest_raw_client_is_accepted() {
    // The crypto_box-based client of the tests agrees with ours on every byte.
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 1);
    s.feed(
        now,
        &command_frame(&raw.initiate(2, &raw.vouch(), &socket_metadata(SocketType::Dealer))),
    );
    let ready = take_command(&mut s);
    let md = raw.ready(&ready);
    assert_eq!(md.get("Socket-Type").map(|v| &v[..]), Some(&b"ROUTER"[..]));
    assert!(s.is_ready());
    s.feed(now, &command_frame(&raw.message(3, 0, b"raw hello")));
    let evs = events(&mut s);
    assert!(matches!(evs.first(), Some(Event::Ready(_))));
    assert_eq!(messages(evs), vec![Message::from(["raw hello"])]);
}

#[test]
fn message_in_either_frame_kind() {
    // libzmq sends MESSAGE in ordinary frames; a command frame is read the same way.
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 1);
    s.feed(
        now,
        &command_frame(&raw.initiate(2, &raw.vouch(), &socket_metadata(SocketType::Dealer))),
    );
    let _ready = take_command(&mut s);
    let as_data = |body: Vec<u8>| {
        let mut f = vec![0x00, body.len() as u8];
        f.extend_from_slice(&body);
        f
    };
    s.feed(now, &as_data(raw.message(3, 0x01, b"part one")));
    s.feed(now, &command_frame(&raw.message(4, 0x00, b"part two")));
    let evs = events(&mut s);
    assert_eq!(messages(evs), vec![Message::from(["part one", "part two"])]);
}

#[test]
fn tampered_message() {
    // Flip a bit in the nonce (raising it by 256), the tag, the sealed flags, the payload: each
    // fails to open. (Lowering the nonce fails earlier, as a replay.)
    for offset in [8 + 6, 16, 16 + 16, 16 + 17 + 2] {
        let now = Instant::now();
        let (mut c, mut s) = ready_pair(now);
        c.send(&Message::from(["secret"])).expect("ready");
        pump_tapped(&mut c, &mut s, now, |_, frame| vec![flip(frame, offset)]);
        assert_eq!(
            closed_reason(&mut s),
            mech(MechanismError::DecryptFailed { what: "MESSAGE" }),
            "offset {offset}"
        );
        assert!(messages(events(&mut s)).is_empty());
    }
}

#[test]
fn tampered_message_to_the_client() {
    let now = Instant::now();
    let (mut c, mut s) = ready_pair(now);
    s.send(&Message::from(["secret"])).expect("ready");
    pump_tapped(&mut c, &mut s, now, |_, frame| vec![flip(frame, 30)]);
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::DecryptFailed { what: "MESSAGE" })
    );
}

#[test]
fn replayed_message() {
    let now = Instant::now();
    let (mut c, mut s) = ready_pair(now);
    c.send(&Message::from(["once"])).expect("ready");
    pump_tapped(&mut c, &mut s, now, |_, frame| vec![frame.clone(), frame]);
    let evs = events(&mut s);
    assert_eq!(messages(evs.clone()), vec![Message::from(["once"])]);
    assert_eq!(
        evs.last(),
        Some(&Event::Closed(ConnectionError::Mechanism(
            MechanismError::NonceNotIncreasing {
                command: "MESSAGE",
                last: 3,
                got: 3
            }
        )))
    );
}

#[test]
fn reordered_messages() {
    let now = Instant::now();
    let (mut c, mut s) = ready_pair(now);
    c.send(&Message::from(["first"])).expect("ready");
    c.send(&Message::from(["second"])).expect("ready");
    let mut held = None;
    pump_tapped(&mut c, &mut s, now, |_, frame| match held.take() {
        None => {
            held = Some(frame);
            vec![]
        }
        Some(first) => vec![frame, first],
    });
    let evs = events(&mut s);
    assert_eq!(messages(evs.clone()), vec![Message::from(["second"])]);
    assert_eq!(
        evs.last(),
        Some(&Event::Closed(ConnectionError::Mechanism(
            MechanismError::NonceNotIncreasing {
                command: "MESSAGE",
                last: 4,
                got: 3
            }
        )))
    );
}

#[test]
fn hello_of_wrong_length() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = RawClient::new(&client_keys(), server_keys().public());
    let mut hello = raw.hello(1);
    hello.push(0);
    s.feed(now, &command_frame(&hello));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::WrongSize {
            command: "HELLO",
            expected: 200,
            got: 201
        })
    );
    assert!(take_transmit(&mut s).is_empty());
}

#[test]
fn hello_of_wrong_version() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = RawClient::new(&client_keys(), server_keys().public());
    let mut hello = raw.hello(1);
    hello[7] = 1;
    s.feed(now, &command_frame(&hello));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnsupportedVersion {
            command: "HELLO",
            major: 1,
            minor: 1
        })
    );
}

#[test]
fn bad_cookie() {
    let now = Instant::now();
    let (mut c, mut s) = dealer_router(now, false);
    pump_tapped(&mut c, &mut s, now, |_, frame| {
        if command_name(&frame) == b"INITIATE" {
            // Byte 9 of the body starts the cookie: 16 bytes of nonce, then the box.
            return vec![flip(frame, 9 + 40)];
        }
        vec![frame]
    });
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::DecryptFailed { what: "cookie" })
    );
    assert!(!c.is_ready() && !s.is_ready());
}

#[test]
fn cookie_from_another_connection() {
    // A cookie is only good on the connection that issued it: its key is per connection.
    let now = Instant::now();
    let mut s1 = greeted_server(now, false);
    let mut s2 = greeted_server(now, false);
    let raw1 = raw_client_after_welcome(now, &mut s1, 1);
    let mut raw2 = raw_client_after_welcome(now, &mut s2, 1);
    raw2.cookie = raw1.cookie.clone();
    let initiate = raw2.initiate(2, &raw2.vouch(), &socket_metadata(SocketType::Dealer));
    s2.feed(now, &command_frame(&initiate));
    assert_eq!(
        closed_reason(&mut s2),
        mech(MechanismError::DecryptFailed { what: "cookie" })
    );
}

#[test]
fn initiate_nonce_must_follow_hello() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 5);
    let initiate = raw.initiate(5, &raw.vouch(), &socket_metadata(SocketType::Dealer));
    s.feed(now, &command_frame(&initiate));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::NonceNotIncreasing {
            command: "INITIATE",
            last: 5,
            got: 5
        })
    );
}

#[test]
fn initiate_before_hello() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let mut body = b"\x08INITIATE".to_vec();
    body.extend_from_slice(&[0u8; 300]);
    s.feed(now, &command_frame(&body));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnexpectedCommand {
            expected: "HELLO",
            got: "INITIATE".into()
        })
    );
}

#[test]
fn hello_twice() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    let raw = raw_client_after_welcome(now, &mut s, 1);
    s.feed(now, &command_frame(&raw.hello(2)));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnexpectedCommand {
            expected: "INITIATE",
            got: "HELLO".into()
        })
    );
}

#[test]
fn error_from_a_client_is_never_valid() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    s.feed(now, &command_frame(b"\x05ERROR\x03400"));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnexpectedCommand {
            expected: "HELLO",
            got: "ERROR".into()
        })
    );
}

/// A client that has sent its HELLO to a raw server (whose greeting it has read).
fn greeted_client(now: Instant) -> Connection {
    let mut c = client_conn(
        now,
        SocketType::Dealer,
        client_keys(),
        *server_keys().public(),
    );
    c.feed(now, &raw_greeting(1, MechanismName::CURVE));
    let out = take_transmit(&mut c);
    assert_eq!(out.len(), 64 + 2 + 200, "greeting, then HELLO");
    c
}

#[test]
fn client_sees_error_during_handshake() {
    let now = Instant::now();
    let mut c = greeted_client(now);
    c.feed(now, &command_frame(b"\x05ERROR\x03500"));
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::PeerError {
            reason: "500".into()
        })
    );
}

#[test]
fn client_refuses_commands_out_of_order() {
    let now = Instant::now();
    let mut c = greeted_client(now);
    let mut ready = b"\x05READY".to_vec();
    ready.extend_from_slice(&[0u8; 40]);
    c.feed(now, &command_frame(&ready));
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::UnexpectedCommand {
            expected: "WELCOME",
            got: "READY".into()
        })
    );
}

#[test]
fn truncated_commands() {
    let now = Instant::now();
    // WELCOME one byte short.
    let mut c = greeted_client(now);
    let mut welcome = b"\x07WELCOME".to_vec();
    welcome.extend_from_slice(&[0u8; 159]);
    c.feed(now, &command_frame(&welcome));
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::WrongSize {
            command: "WELCOME",
            expected: 168,
            got: 167
        })
    );

    // READY cut below its least size.
    let (mut c, mut s) = dealer_router(now, false);
    pump_tapped(&mut c, &mut s, now, |_, frame| {
        if command_name(&frame) == b"READY" {
            return vec![command_frame(&frame_body(&frame)[..29])];
        }
        vec![frame]
    });
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::WrongSize {
            command: "READY",
            expected: 30,
            got: 29
        })
    );
    assert!(!c.is_ready());

    // READY cut inside its box (long enough, but the tag no longer matches).
    let (mut c, mut s) = dealer_router(now, false);
    pump_tapped(&mut c, &mut s, now, |_, frame| {
        if command_name(&frame) == b"READY" {
            let body = frame_body(&frame);
            return vec![command_frame(&body[..body.len() - 1])];
        }
        vec![frame]
    });
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::DecryptFailed { what: "READY" })
    );

    // MESSAGE below 33 bytes.
    let (mut c, mut s) = ready_pair(now);
    c.send(&Message::from(["x"])).expect("ready");
    pump_tapped(&mut c, &mut s, now, |_, frame| {
        vec![command_frame(&frame_body(&frame)[..32])]
    });
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::WrongSize {
            command: "MESSAGE",
            expected: 33,
            got: 32
        })
    );
    assert!(messages(events(&mut s)).is_empty());

    // A command frame whose name runs past its end.
    let mut s = greeted_server(now, false);
    s.feed(now, &command_frame(b"\x09HELLO"));
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Command(CommandError::NameTruncated {
            len: 9,
            frame_len: 6
        }))
    );
}

#[test]
fn clear_frames_after_the_handshake_are_refused() {
    let now = Instant::now();
    // A plain message: every frame must be a sealed command now, and "hello" does not parse
    // as one.
    let (_c, mut s) = ready_pair(now);
    s.feed(now, b"\x00\x05hello");
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Command(CommandError::NameTruncated {
            len: usize::from(b'h'),
            frame_len: 5
        }))
    );
    // A clear PING in an ordinary frame.
    let (_c, mut s) = ready_pair(now);
    s.feed(now, b"\x00\x07\x04PING\x00\x00");
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnexpectedCommand {
            expected: "MESSAGE",
            got: "PING".into()
        })
    );
    // A clear PING command.
    let (mut c, _s) = ready_pair(now);
    c.feed(now, b"\x04\x07\x04PING\x00\x00");
    assert_eq!(
        closed_reason(&mut c),
        mech(MechanismError::UnexpectedCommand {
            expected: "MESSAGE",
            got: "PING".into()
        })
    );
}

#[test]
fn message_before_ready() {
    let now = Instant::now();
    let mut s = greeted_server(now, false);
    s.feed(now, b"\x00\x05hello");
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::MessageBeforeReady)
    );
}

#[test]
fn mechanism_mismatch() {
    let now = Instant::now();
    let mut c = client_conn(
        now,
        SocketType::Dealer,
        client_keys(),
        *server_keys().public(),
    );
    let mut s = Connection::new(Config::new(SocketType::Router), Box::new(Null::new()), now);
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::MechanismMismatch {
            local: MechanismName::CURVE,
            peer: MechanismName::NULL
        })
    );
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::MechanismMismatch {
            local: MechanismName::NULL,
            peer: MechanismName::CURVE
        })
    );
}

#[test]
fn incompatible_socket_types_fail_silently() {
    let now = Instant::now();
    let server = server_keys();
    let mut c = client_conn(now, SocketType::Push, client_keys(), *server.public());
    let mut s = server_conn(now, SocketType::Pub, server, false);
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::IncompatibleSocketType {
            local: SocketType::Pub,
            peer: SocketType::Push
        })
    );
    assert!(!c.is_ready());
}

#[test]
fn stray_zap_reply() {
    let now = Instant::now();
    let (_c, mut s) = ready_pair(now);
    s.handle_zap_reply(now, zmtp_codec::ZapReply::accept("x"));
    assert_eq!(
        closed_reason(&mut s),
        mech(MechanismError::UnexpectedZapReply)
    );
}
