//! CURVE through the real connection state machine, in memory: the handshake byte sizes and
//! nonces, messages both ways, PING/PONG and SUBSCRIBE sealed, and the ZAP verdicts.
#![cfg(feature = "curve")]

use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_codec::{
    Config, Connection, ConnectionError, Event, MechanismError, MechanismName, Message, SocketType,
    ZapReply,
};
use zmtp_security::{CurveKeyPair, CurvePublicKey};

mod curve_support;
mod harness;
use curve_support::*;
use harness::{closed_reason, events, messages, pump, take_transmit};

fn ready_events(c: &mut Connection) -> zmtp_codec::PeerInfo {
    let evs = events(c);
    match evs.as_slice() {
        [Event::Ready(peer)] => peer.clone(),
        other => panic!("expected Ready alone, got {other:?}"),
    }
}

/// The short nonce of a MESSAGE / READY / HELLO / INITIATE frame body.
fn short_nonce(body: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(body[at..at + 8].try_into().expect("8 bytes"))
}

#[test]
fn handshake_sizes_nonces_and_metadata() {
    let now = Instant::now();
    let server = server_keys();
    let mut client_cfg = Config::new(SocketType::Dealer);
    client_cfg.routing_id = Bytes::from_static(b"worker-1");
    client_cfg.metadata.insert("X-Team", "ops").expect("valid");
    let mut c = Connection::new(
        client_cfg,
        Box::new(zmtp_security::CurveClient::new(
            client_keys(),
            *server.public(),
        )),
        now,
    );
    let mut s = server_conn(now, SocketType::Router, server, false);
    let frames = pump_recording(&mut c, &mut s, now);
    let summary: Vec<(Dir, String, usize)> = frames
        .iter()
        .map(|(d, f)| {
            (
                *d,
                String::from_utf8_lossy(command_name(f)).into_owned(),
                frame_body(f).len(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 4, "{summary:?}");
    assert_eq!(summary[0], (Dir::ToServer, "HELLO".into(), 200));
    assert_eq!(summary[1], (Dir::ToClient, "WELCOME".into(), 168));
    assert_eq!(
        (summary[2].0, summary[2].1.as_str()),
        (Dir::ToServer, "INITIATE")
    );
    assert!(summary[2].2 >= 257);
    assert_eq!(
        (summary[3].0, summary[3].1.as_str()),
        (Dir::ToClient, "READY")
    );
    assert!(summary[3].2 >= 30);

    let hello = frame_body(&frames[0].1);
    assert_eq!(&hello[6..8], &[1, 0], "version 1.0");
    assert!(hello[8..80].iter().all(|&b| b == 0), "72 bytes of padding");
    assert_eq!(short_nonce(hello, 112), 1);
    assert_eq!(short_nonce(frame_body(&frames[2].1), 105), 2);
    assert_eq!(short_nonce(frame_body(&frames[3].1), 6), 1);

    let peer = ready_events(&mut s);
    assert_eq!(peer.socket_type, Some(SocketType::Dealer));
    assert_eq!(peer.identity(), Some(&Bytes::from_static(b"worker-1")));
    assert_eq!(
        peer.metadata.get("X-Team"),
        Some(&Bytes::from_static(b"ops"))
    );
    assert_eq!(peer.greeting.mechanism, MechanismName::CURVE);
    assert_eq!(peer.metadata.get("User-Id"), None);
    let peer = ready_events(&mut c);
    assert_eq!(peer.socket_type, Some(SocketType::Router));

    // The first MESSAGEs: client nonce 3, server nonce 2.
    c.send(&Message::from(["a"])).expect("ready");
    s.send(&Message::from(["b"])).expect("ready");
    let frames = pump_recording(&mut c, &mut s, now);
    assert_eq!(frames.len(), 2);
    for (dir, frame) in &frames {
        assert_eq!(frame[0], 0x00, "an ordinary frame, as libzmq sends MESSAGE");
        assert_eq!(command_name(frame), b"MESSAGE");
        assert_eq!(frame_body(frame).len(), 33 + 1);
        let expected = if *dir == Dir::ToServer { 3 } else { 2 };
        assert_eq!(short_nonce(frame_body(frame), 8), expected);
    }
}

#[test]
fn messages_cross_both_ways_sealed() {
    let now = Instant::now();
    let (mut c, mut s) = dealer_router(now, false);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    let _ = (events(&mut c), events(&mut s));

    let big = Bytes::from((0..70_000u32).map(|i| i as u8).collect::<Vec<u8>>());
    let sent = [
        Message::from(["hello"]),
        Message::from(vec![Bytes::new(), big.clone(), Bytes::from_static(b"tail")]),
        Message::from([Bytes::new()]),
    ];
    for m in &sent {
        c.send(m).expect("ready");
    }
    let replies: Vec<Message> = (0..100)
        .map(|i| {
            Message::from(vec![
                Bytes::from(format!("reply {i}")),
                Bytes::from_static(b"x"),
            ])
        })
        .collect();
    for m in &replies {
        s.send(m).expect("ready");
    }
    let frames = pump_recording(&mut c, &mut s, now);
    for (_, frame) in &frames {
        assert_eq!(command_name(frame), b"MESSAGE");
        let body = frame_body(frame);
        assert!(
            !body.windows(5).any(|w| w == b"hello" || w == b"reply"),
            "plaintext on the wire"
        );
    }
    assert_eq!(frames.len(), 1 + 3 + 1 + 200);
    assert_eq!(messages(events(&mut s)), sent);
    assert_eq!(messages(events(&mut c)), replies);
    assert!(!c.is_closed() && !s.is_closed());
}

/// `ZMQ_MAXMSGSIZE` bounds a sealed multipart message as a whole too, counted on the opened
/// frames: 500 + 64 + 500 fits in 1064, a third frame does not (the limit is above the
/// handshake's commands, which it bounds as well).
#[test]
fn sealed_multipart_messages_are_bounded_as_a_whole() {
    use zmtp_codec::FrameError;
    use zmtp_security::CurveServer;
    let now = Instant::now();
    let server = server_keys();
    let mut c = client_conn(now, SocketType::Dealer, client_keys(), *server.public());
    let mut cfg = Config::new(SocketType::Router);
    cfg.max_msg_size = Some(1064);
    let mut s = Connection::new(cfg, Box::new(CurveServer::new(server)), now);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    let _ = (events(&mut c), events(&mut s));

    let two = Message::from(vec![Bytes::from(vec![1; 500]), Bytes::from(vec![2; 500])]);
    c.send(&two).expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(messages(events(&mut s)), vec![two]);
    c.send(&Message::from(vec![Bytes::from(vec![1; 500]); 3]))
        .expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Frame(FrameError::MessageTooLarge {
            frames: 3,
            size: 1628,
            max: 1064
        }))
    );
}

#[test]
fn messages_survive_any_chunking() {
    let now = Instant::now();
    let (mut c, mut s) = dealer_router(now, false);
    // Feed the server one byte at a time, handshake included.
    loop {
        let cs = take_transmit(&mut c);
        let sc = take_transmit(&mut s);
        if cs.is_empty() && sc.is_empty() {
            break;
        }
        for b in cs {
            s.feed(now, &[b]);
        }
        c.feed(now, &sc);
    }
    assert!(c.is_ready() && s.is_ready());
    let _ = events(&mut s);
    let m = Message::from(["one", "two", "three"]);
    c.send(&m).expect("ready");
    for b in take_transmit(&mut c) {
        s.feed(now, &[b]);
    }
    assert_eq!(messages(events(&mut s)), vec![m]);
}

#[test]
fn ping_and_pong_travel_sealed() {
    let now = Instant::now();
    let ivl = Duration::from_secs(1);
    for deliver_pong in [true, false] {
        let server = server_keys();
        let mut cfg = Config::new(SocketType::Dealer);
        cfg.heartbeat_ivl = Some(ivl);
        let mut c = Connection::new(
            cfg,
            Box::new(zmtp_security::CurveClient::new(
                client_keys(),
                *server.public(),
            )),
            now,
        );
        let mut s = server_conn(now, SocketType::Router, server, false);
        pump(&mut c, &mut s, now);
        assert!(c.is_ready());
        let t1 = now + ivl;
        c.handle_timeout(t1);
        let ping = take_transmit(&mut c);
        assert_eq!(frame_len(&ping), Some(ping.len()), "one frame");
        assert_eq!(command_name(&ping), b"MESSAGE", "PING is sealed");
        assert!(!ping.windows(4).any(|w| w == b"PING"));
        s.feed(t1, &ping);
        let pong = take_transmit(&mut s);
        assert_eq!(frame_len(&pong), Some(pong.len()), "one frame");
        assert_eq!(command_name(&pong), b"MESSAGE", "PONG is sealed");
        assert!(!pong.windows(4).any(|w| w == b"PONG"));
        if deliver_pong {
            c.feed(t1, &pong);
        }
        c.handle_timeout(t1 + ivl);
        if deliver_pong {
            assert!(!c.is_closed(), "{:?}", events(&mut c));
        } else {
            assert_eq!(
                closed_reason(&mut c),
                Some(ConnectionError::HeartbeatTimeout)
            );
        }
    }
}

#[test]
fn subscriptions_travel_sealed() {
    let now = Instant::now();
    let server = server_keys();
    let mut c = client_conn(now, SocketType::Sub, client_keys(), *server.public());
    let mut s = server_conn(now, SocketType::Pub, server, false);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    let _ = events(&mut s);
    c.subscribe(b"weather.").expect("ready");
    c.cancel(b"weather.").expect("ready");
    let frames = pump_recording(&mut c, &mut s, now);
    assert_eq!(frames.len(), 2);
    for (_, f) in &frames {
        assert_eq!(command_name(f), b"MESSAGE");
        assert!(!f.windows(7).any(|w| w == b"weather"));
    }
    assert_eq!(
        events(&mut s),
        vec![
            Event::Subscribe(Bytes::from_static(b"weather.")),
            Event::Cancel(Bytes::from_static(b"weather."))
        ]
    );
    s.send(&Message::from(["weather.paris", "14C"]))
        .expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(
        messages(events(&mut c)),
        vec![Message::from(["weather.paris", "14C"])]
    );
}

#[test]
fn without_zap_every_vouched_client_is_accepted() {
    let now = Instant::now();
    let server = server_keys();
    let stranger = CurveKeyPair::generate();
    let mut c = client_conn(now, SocketType::Push, stranger, *server.public());
    let mut s = server_conn(now, SocketType::Pull, server, false);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    assert!(!events(&mut s)
        .iter()
        .any(|e| matches!(e, Event::ZapRequest(_))));
}

/// Runs the exchange until the server raises its ZAP request.
fn until_zap(c: &mut Connection, s: &mut Connection, now: Instant) -> zmtp_codec::ZapRequest {
    pump(c, s, now);
    let evs = events(s);
    match evs.as_slice() {
        [Event::ZapRequest(req)] => (**req).clone(),
        other => panic!("expected one ZAP request, got {other:?}"),
    }
}

#[test]
fn zap_200_with_user_id_and_metadata() {
    let now = Instant::now();
    let (mut c, mut s) = dealer_router(now, true);
    let req = until_zap(&mut c, &mut s, now);
    assert_eq!(req.mechanism, MechanismName::CURVE);
    assert_eq!(req.domain, &b"curve-domain"[..]);
    assert_eq!(req.address, &b"127.0.0.1"[..]);
    let client_public = CurvePublicKey::from_z85(CLIENT_PUBLIC).expect("valid");
    assert_eq!(
        req.credentials,
        vec![Bytes::copy_from_slice(client_public.as_bytes())]
    );
    assert!(!c.is_ready() && !s.is_ready(), "nothing before the verdict");

    let mut reply = ZapReply::accept("alice");
    reply.metadata.insert("X-Role", "admin").expect("valid");
    s.handle_zap_reply(now, reply);
    pump(&mut c, &mut s, now);
    let peer = ready_events(&mut s);
    assert_eq!(
        peer.metadata.get("User-Id"),
        Some(&Bytes::from_static(b"alice"))
    );
    assert_eq!(
        peer.metadata.get("X-Role"),
        Some(&Bytes::from_static(b"admin"))
    );
    assert_eq!(peer.socket_type, Some(SocketType::Dealer));
    let _ = ready_events(&mut c);
    c.send(&Message::from(["hi"])).expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(messages(events(&mut s)), vec![Message::from(["hi"])]);
}

#[test]
fn zap_400_and_500_send_error_then_refuse() {
    for status in [400u16, 500] {
        let now = Instant::now();
        let (mut c, mut s) = dealer_router(now, true);
        let _ = until_zap(&mut c, &mut s, now);
        let reply = ZapReply {
            status_code: status,
            status_text: Bytes::from_static(b"go away"),
            user_id: Bytes::new(),
            metadata: Default::default(),
        };
        s.handle_zap_reply(now, reply);
        let wire = take_transmit(&mut s);
        let code = status.to_string();
        let mut expected = b"\x04\x0a\x05ERROR\x03".to_vec();
        expected.extend_from_slice(code.as_bytes());
        assert_eq!(wire, expected, "ERROR in the clear with the status code");
        assert_eq!(
            closed_reason(&mut s),
            Some(ConnectionError::Mechanism(MechanismError::Refused {
                status,
                text: "go away".into()
            }))
        );
        c.feed(now, &wire);
        assert_eq!(
            closed_reason(&mut c),
            Some(ConnectionError::Mechanism(MechanismError::PeerError {
                reason: code
            }))
        );
        assert!(!c.is_ready() && !s.is_ready());
        assert!(c.send(&Message::from(["x"])).is_err());
    }
}

#[test]
fn zap_300_closes_without_error() {
    let now = Instant::now();
    let (mut c, mut s) = dealer_router(now, true);
    let _ = until_zap(&mut c, &mut s, now);
    let reply = ZapReply {
        status_code: 300,
        status_text: Bytes::from_static(b"try later"),
        user_id: Bytes::new(),
        metadata: Default::default(),
    };
    s.handle_zap_reply(now, reply);
    assert!(take_transmit(&mut s).is_empty(), "no ERROR for 300");
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(MechanismError::Refused {
            status: 300,
            text: "try later".into()
        }))
    );
    assert!(!c.is_ready());
    assert!(messages(events(&mut c)).is_empty());
}

#[test]
fn zap_malformed_status_fails_without_error() {
    let now = Instant::now();
    let (mut c, mut s) = dealer_router(now, true);
    let _ = until_zap(&mut c, &mut s, now);
    let mut reply = ZapReply::accept("x");
    reply.status_code = 201;
    s.handle_zap_reply(now, reply);
    assert!(take_transmit(&mut s).is_empty());
    assert!(matches!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(
            MechanismError::ZapMalformed { .. }
        ))
    ));
}
