//! The connection state machine with ZMTP 1.0 (RFC 13) and 2.0 (RFC 15) peers, byte by byte:
//! what libzmq 4.x sends them and when, the identity exchange, both framings each way, the
//! phantom subscription for 1.0 subscribers, and the downgrade protection that refuses them
//! when security is in force.

use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_codec::{
    Config, Connection, ConnectionError, Event, FrameError, LegacyVersion, Mechanism, Message,
    SendError, SocketType,
};
#[cfg(feature = "curve")]
use zmtp_security::{CurveKeyPair, CurveServer};
use zmtp_security::{Null, PlainClient, PlainCredentials, PlainServer};

mod harness;
use harness::*;

/// A ZMTP 2.0 (or revision-0) signature as libzmq 3.x sends it: `FF`, padding holding the
/// identity length + 1, `7F`.
fn signature(identity_len: u8) -> Vec<u8> {
    vec![0xFF, 0, 0, 0, 0, 0, 0, 0, identity_len + 1, 0x7F]
}

fn config(socket_type: SocketType, routing_id: &'static [u8]) -> Config {
    let mut c = Config::new(socket_type);
    c.routing_id = Bytes::from_static(routing_id);
    c
}

fn null(config: Config, now: Instant) -> Connection {
    Connection::new(config, Box::new(Null::new()), now)
}

fn ready_peer(c: &mut Connection) -> zmtp_codec::PeerInfo {
    let evs = events(c);
    match evs.first() {
        Some(Event::Ready(peer)) => peer.clone(),
        _ => panic!("expected Ready first: {evs:?}"),
    }
}

#[test]
fn v2_peer_greeting_identity_and_frames() {
    let now = Instant::now();
    let mut c = null(config(SocketType::Push, b"me"), now);
    // Our signature goes out at once; its padding is our identity length + 1.
    assert_eq!(take_transmit(&mut c), signature(2));

    // The peer's signature: we answer with our major version, as for any versioned peer.
    c.feed(now, &signature(3));
    assert_eq!(take_transmit(&mut c), [3]);
    // Its revision 1 (ZMTP 2.0): libzmq sends its socket type byte instead of the rest of a
    // 3.x greeting.
    c.feed(now, &[0x01]);
    assert_eq!(take_transmit(&mut c), [SocketType::Push.as_raw()]);
    assert!(!c.is_ready());
    // The peer's socket type byte, then our identity frame in 2.0 framing.
    c.feed(now, &[SocketType::Pull.as_raw()]);
    assert_eq!(take_transmit(&mut c), [0x00, 0x02, b'm', b'e']);
    assert!(!c.is_ready());
    assert_eq!(c.send(&Message::from(["early"])), Err(SendError::NotReady));

    // The peer's identity frame completes the exchange.
    c.feed(now, &[0x00, 0x03, b'p', b'i', b'd']);
    assert!(c.is_ready());
    let peer = ready_peer(&mut c);
    assert_eq!(peer.legacy, Some(LegacyVersion::V2));
    assert_eq!(peer.socket_type, Some(SocketType::Pull));
    assert_eq!(peer.identity(), Some(&Bytes::from_static(b"pid")));
    assert_eq!(peer.greeting.major, 2);
    assert!(!peer.greeting.is_v31());

    // Messages: MORE = bit 0, short sizes, then a long (LONG = bit 1) frame.
    c.send(&Message::from(["a", "bc"])).expect("ready");
    assert_eq!(take_transmit(&mut c), b"\x01\x01a\x00\x02bc");
    let big = Bytes::from(vec![7u8; 300]);
    c.send(&Message::single(big.clone())).expect("ready");
    let wire = take_transmit(&mut c);
    assert_eq!(&wire[..9], &[0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x2C]);
    assert_eq!(&wire[9..], &big[..]);

    let mut inbound = b"\x01\x01x\x00\x00".to_vec();
    inbound.extend_from_slice(&wire);
    c.feed(now, &inbound);
    assert_eq!(
        messages(events(&mut c)),
        vec![Message::from(["x", ""]), Message::single(big),]
    );
}

#[test]
fn v2_peer_in_one_read_and_byte_by_byte() {
    let now = Instant::now();
    let mut peer_bytes = signature(0);
    peer_bytes.extend_from_slice(&[0x01, SocketType::Dealer.as_raw(), 0x00, 0x00]);
    peer_bytes.extend_from_slice(b"\x00\x02hi");
    for chunk in [peer_bytes.len(), 1] {
        let mut c = null(config(SocketType::Router, b""), now);
        for piece in peer_bytes.chunks(chunk) {
            c.feed(now, piece);
        }
        let mut expected = signature(0);
        expected.extend_from_slice(&[3, SocketType::Router.as_raw(), 0x00, 0x00]);
        assert_eq!(take_transmit(&mut c), expected, "chunks of {chunk}");
        let evs = events(&mut c);
        let Some(Event::Ready(peer)) = evs.first() else {
            panic!("{evs:?}");
        };
        assert_eq!(peer.identity(), None, "an empty identity is none");
        assert_eq!(peer.socket_type, Some(SocketType::Dealer));
        assert_eq!(messages(evs), vec![Message::from(["hi"])]);
    }
}

#[test]
fn unversioned_v1_peer_gets_only_our_signature_and_identity_body() {
    let now = Instant::now();
    let mut c = null(config(SocketType::Pull, b"abc"), now);
    let mut ours = take_transmit(&mut c);
    // RFC 13: the peer starts with its identity frame: length 1 + 2, flags 0, "id".
    c.feed(now, &[0x03, 0x00]);
    // We stop before the major version: what we sent so far is the header of our identity
    // frame (FF, length 3 + 1 in 8 bytes, flags 7F), and its body follows.
    ours.extend_from_slice(&take_transmit(&mut c));
    let mut expected = signature(3);
    expected.extend_from_slice(b"abc");
    assert_eq!(ours, expected);
    assert!(!c.is_ready());
    c.feed(now, b"id");
    let peer = ready_peer(&mut c);
    assert_eq!(peer.legacy, Some(LegacyVersion::V1));
    assert_eq!(peer.socket_type, None, "ZMTP 1.0 announces no socket type");
    assert_eq!(peer.identity(), Some(&Bytes::from_static(b"id")));

    // 1.0 framing: length counts the flags byte; MORE = bit 0.
    c.feed(now, b"\x06\x01hello\x02\x00x\x01\x00");
    assert_eq!(
        messages(events(&mut c)),
        vec![Message::from(["hello", "x"]), Message::from([""])]
    );
    c.send(&Message::from(["ab", ""])).expect("ready");
    assert_eq!(take_transmit(&mut c), b"\x03\x01ab\x01\x00");
    // 254 bytes no longer fit the one-byte length (255 is the escape).
    let long = Bytes::from(vec![1u8; 254]);
    c.send(&Message::single(long.clone())).expect("ready");
    let wire = take_transmit(&mut c);
    assert_eq!(&wire[..10], &[0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x00]);
    c.feed(now, &wire);
    assert_eq!(messages(events(&mut c)), vec![Message::single(long)]);
}

#[test]
fn unversioned_v1_peer_with_a_long_identity_header() {
    let now = Instant::now();
    let mut c = null(config(SocketType::Dealer, b""), now);
    let _ = take_transmit(&mut c);
    // FF + 8-byte length + flags 0: bit 0 of the 10th byte clear means "not a signature".
    let mut peer = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 4, 0x00];
    peer.extend_from_slice(b"abc\x02\x00z");
    c.feed(now, &peer);
    assert!(
        take_transmit(&mut c).is_empty(),
        "empty identity body, no major"
    );
    let evs = events(&mut c);
    let Some(Event::Ready(info)) = evs.first() else {
        panic!("{evs:?}");
    };
    assert_eq!(info.identity(), Some(&Bytes::from_static(b"abc")));
    assert_eq!(messages(evs), vec![Message::from(["z"])]);
}

#[test]
fn versioned_v1_peer_uses_v1_framing_after_the_socket_type_byte() {
    let now = Instant::now();
    let mut c = null(config(SocketType::Dealer, b"d"), now);
    let mut peer = signature(0);
    peer.extend_from_slice(&[0x00, SocketType::Router.as_raw()]);
    c.feed(now, &peer);
    let mut expected = signature(1);
    expected.extend_from_slice(&[3, SocketType::Dealer.as_raw(), 0x02, 0x00, b'd']);
    assert_eq!(take_transmit(&mut c), expected);
    c.feed(now, b"\x01\x00\x02\x00q");
    let evs = events(&mut c);
    let Some(Event::Ready(info)) = evs.first() else {
        panic!("{evs:?}");
    };
    assert_eq!(info.legacy, Some(LegacyVersion::V1));
    assert_eq!(info.socket_type, Some(SocketType::Router));
    assert_eq!(messages(evs), vec![Message::from(["q"])]);
}

#[test]
fn publisher_subscribes_unversioned_v1_subscribers_to_everything() {
    let now = Instant::now();
    for ours in [SocketType::Pub, SocketType::XPub] {
        let mut c = null(config(ours, b""), now);
        c.feed(now, b"\x01\x00");
        let evs = events(&mut c);
        assert!(matches!(evs.first(), Some(Event::Ready(_))), "{evs:?}");
        assert_eq!(
            evs.get(1),
            Some(&Event::Subscribe(Bytes::new())),
            "libzmq's phantom subscription"
        );
        c.send(&Message::from(["topic", "data"])).expect("ready");
        assert_eq!(take_transmit(&mut c).len(), 10 + 7 + 6);
    }
    // Not for other socket types, nor for versioned (2.0) subscribers, which send their
    // subscriptions as messages, as 3.0 ones do.
    let mut c = null(config(SocketType::Push, b""), now);
    c.feed(now, b"\x01\x00");
    assert_eq!(events(&mut c).len(), 1);
    let mut c = null(config(SocketType::Pub, b""), now);
    let mut peer = signature(0);
    peer.extend_from_slice(&[0x01, SocketType::Sub.as_raw(), 0x00, 0x00]);
    peer.extend_from_slice(b"\x00\x02\x01a");
    c.feed(now, &peer);
    let evs = events(&mut c);
    assert!(
        !evs.iter().any(|e| matches!(e, Event::Subscribe(_))),
        "{evs:?}"
    );
    assert_eq!(messages(evs), vec![Message::from(["\x01a"])]);
}

#[test]
fn subscriber_sends_subscriptions_as_messages() {
    let now = Instant::now();
    let mut c = null(config(SocketType::Sub, b""), now);
    let mut peer = signature(0);
    peer.extend_from_slice(&[0x01, SocketType::Pub.as_raw(), 0x00, 0x00]);
    c.feed(now, &peer);
    let _ = take_transmit(&mut c);
    c.subscribe(b"t").expect("ready");
    c.cancel(b"t").expect("ready");
    assert_eq!(take_transmit(&mut c), b"\x00\x02\x01t\x00\x02\x00t");

    let mut c = null(config(SocketType::Sub, b""), now);
    c.feed(now, b"\x01\x00");
    let _ = take_transmit(&mut c);
    c.subscribe(b"t").expect("ready");
    assert_eq!(take_transmit(&mut c), b"\x03\x00\x01t");
}

/// Every way security is in force: a mechanism other than NULL, or a ZAP domain.
fn secured() -> Vec<(&'static str, Config, Box<dyn Mechanism>)> {
    let mut zap = Config::new(SocketType::Pull);
    zap.zap_domain = Bytes::from_static(b"global");
    let creds = PlainCredentials::new("user", "pass").expect("valid");
    #[allow(unused_mut)] // pushed to with the curve feature
    let mut cases: Vec<(&'static str, Config, Box<dyn Mechanism>)> = vec![
        (
            "NULL with a ZAP domain",
            zap.clone(),
            Box::new(Null::with_zap()),
        ),
        ("NULL mechanism, ZAP domain set", zap, Box::new(Null::new())),
        (
            "PLAIN server",
            Config::new(SocketType::Pull),
            Box::new(PlainServer::new()),
        ),
        (
            "PLAIN client",
            Config::new(SocketType::Pull),
            Box::new(PlainClient::new(creds)),
        ),
    ];
    #[cfg(feature = "curve")]
    cases.push((
        "CURVE server",
        Config::new(SocketType::Pull),
        Box::new(CurveServer::new(CurveKeyPair::generate())),
    ));
    cases
}

#[test]
fn legacy_peers_are_refused_when_security_is_in_force() {
    let now = Instant::now();
    let v2 = {
        let mut p = signature(0);
        p.extend_from_slice(&[0x01, 0x08, 0x00, 0x00]);
        p
    };
    let v1_versioned = {
        let mut p = signature(0);
        p.extend_from_slice(&[0x00, 0x08, 0x01, 0x00]);
        p
    };
    let cases: [(&[u8], LegacyVersion, usize); 4] = [
        (&v2, LegacyVersion::V2, 11),
        (&v1_versioned, LegacyVersion::V1, 11),
        (b"\x01\x00", LegacyVersion::V1, 10),
        (&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x00], LegacyVersion::V1, 10),
    ];
    for (peer, version, sent) in cases {
        for (what, config, mechanism) in secured() {
            let mut c = Connection::new(config, mechanism, now);
            c.feed(now, peer);
            assert_eq!(
                closed_reason(&mut c),
                Some(ConnectionError::LegacyPeerRefused(version)),
                "{what}, peer {peer:02x?}"
            );
            // Nothing beyond the greeting bytes already due: no socket type, no identity.
            assert_eq!(take_transmit(&mut c).len(), sent, "{what}");
            assert!(!c.is_ready());
        }
    }
}

#[test]
fn malformed_legacy_frames_are_typed_errors() {
    let now = Instant::now();
    let v1 = |tail: &[u8], max: Option<u64>| {
        let mut cfg = config(SocketType::Pull, b"");
        cfg.max_msg_size = max;
        let mut c = null(cfg, now);
        let mut peer = b"\x01\x00".to_vec();
        peer.extend_from_slice(tail);
        c.feed(now, &peer);
        closed_reason(&mut c)
    };
    assert_eq!(
        v1(b"\x00", None),
        Some(ConnectionError::Frame(FrameError::V1ZeroLength))
    );
    assert_eq!(
        v1(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0], None),
        Some(ConnectionError::Frame(FrameError::V1ZeroLength))
    );
    // ZMQ_MAXMSGSIZE on the header alone: a claimed 2^40-byte body is refused at once.
    assert_eq!(
        v1(&[0xFF, 0, 0, 0x01, 0, 0, 0, 0, 0x01, 0], Some(1000)),
        Some(ConnectionError::Frame(FrameError::TooLarge {
            size: 1 << 40,
            max: 1000
        }))
    );
    assert_eq!(
        v1(&[0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0], None),
        Some(ConnectionError::Frame(FrameError::SizeOverflow {
            size: 0xFF00_0000_0000_0000
        }))
    );

    let v2 = |tail: &[u8], max: Option<u64>| {
        let mut cfg = config(SocketType::Pull, b"");
        cfg.max_msg_size = max;
        let mut c = null(cfg, now);
        let mut peer = signature(0);
        peer.extend_from_slice(&[0x01, 0x08]);
        peer.extend_from_slice(tail);
        c.feed(now, &peer);
        closed_reason(&mut c)
    };
    assert_eq!(
        v2(b"\x00\x00\x04\x05\x04PING", None),
        Some(ConnectionError::Frame(FrameError::CommandInZmtp2))
    );
    // Even the identity frame is bounded.
    assert_eq!(
        v2(&[0x02, 0, 0, 0, 0, 0x10, 0, 0, 0], Some(10)),
        Some(ConnectionError::Frame(FrameError::TooLarge {
            size: 1 << 28,
            max: 10
        }))
    );
}

/// `ZMQ_MAXMSGSIZE` bounds a legacy peer's multipart message as a whole, as a 3.x peer's: a
/// ZMTP 1.0 peer sending empty frames with MORE is refused at the frame that takes the message
/// over (64 bytes counted for each frame after the first: 11 fit in 640, not 12).
#[test]
fn legacy_multipart_messages_are_bounded_as_a_whole() {
    let now = Instant::now();
    let mut cfg = config(SocketType::Pull, b"");
    cfg.max_msg_size = Some(640);
    let mut c = null(cfg, now);
    // An unversioned 1.0 peer: its empty identity frame, then empty frames with MORE (length 1,
    // counting the flags byte).
    c.feed(now, b"\x01\x00");
    assert!(c.is_ready());
    c.feed(now, &b"\x01\x01".repeat(10));
    c.feed(now, b"\x01\x00");
    let msgs = messages(events(&mut c));
    assert_eq!(msgs, vec![Message::from(vec![Bytes::new(); 11])]);
    c.feed(now, &b"\x01\x01".repeat(12));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Frame(FrameError::MessageTooLarge {
            frames: 12,
            size: 704,
            max: 640
        }))
    );
}

#[test]
fn legacy_peers_get_no_heartbeats_but_keep_the_handshake_deadline() {
    let now = Instant::now();
    let mut cfg = config(SocketType::Pull, b"");
    cfg.heartbeat_ivl = Some(Duration::from_millis(100));
    cfg.handshake_ivl = Some(Duration::from_secs(1));
    let mut c = null(cfg.clone(), now);
    c.feed(now, b"\x05\x00");
    // The identity frame is not complete: the handshake deadline still runs.
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(1)));
    c.handle_timeout(now + Duration::from_secs(1));
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::HandshakeTimeout)
    );

    let mut c = null(cfg, now);
    c.feed(now, b"\x01\x00");
    assert!(c.is_ready());
    assert_eq!(c.poll_timeout(), None, "no PING to a legacy peer");
}
