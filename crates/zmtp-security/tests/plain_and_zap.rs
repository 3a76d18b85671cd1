//! PLAIN (client and server) and NULL with ZAP, in memory through the connection state machine.
//! Every failure asserts the exact error and that no message crosses.

use std::time::Instant;

use bytes::Bytes;
use zmtp_codec::{
    Command, CommandError, Config, Connection, ConnectionError, Event, MechanismError,
    MechanismName, Message, SendError, SocketType, ZapReply, ZapRequest,
};
use zmtp_security::{Null, PlainClient, PlainCredentials, PlainServer};

mod harness;
use harness::*;

fn plain_client(now: Instant, user: &str, pass: &str) -> Connection {
    let creds = PlainCredentials::new(user, pass).expect("valid credentials");
    Connection::new(
        Config::new(SocketType::Dealer),
        Box::new(PlainClient::new(creds)),
        now,
    )
}

fn plain_server(now: Instant) -> Connection {
    let mut cfg = Config::new(SocketType::Router);
    cfg.zap_domain = Bytes::from_static(b"global");
    cfg.peer_address = Bytes::from_static(b"127.0.0.1");
    Connection::new(cfg, Box::new(PlainServer::new()), now)
}

/// Runs the exchange until the server raises its ZAP request, and returns it.
fn until_zap(c: &mut Connection, s: &mut Connection, now: Instant) -> ZapRequest {
    pump(c, s, now);
    let evs = events(s);
    match evs.as_slice() {
        [Event::ZapRequest(req)] => (**req).clone(),
        other => panic!("expected one ZAP request, got {other:?}"),
    }
}

fn reply(status_code: u16) -> ZapReply {
    ZapReply {
        status_code,
        status_text: Bytes::from_static(b"text"),
        user_id: Bytes::new(),
        metadata: Default::default(),
    }
}

#[test]
fn plain_success_with_user_id_and_zap_metadata() {
    let now = Instant::now();
    let (mut c, mut s) = (plain_client(now, "admin", "secret"), plain_server(now));
    let req = until_zap(&mut c, &mut s, now);
    assert_eq!(req.mechanism, MechanismName::PLAIN);
    assert_eq!(req.domain, &b"global"[..]);
    assert_eq!(req.address, &b"127.0.0.1"[..]);
    assert_eq!(
        req.credentials,
        vec![Bytes::from_static(b"admin"), Bytes::from_static(b"secret")]
    );
    assert!(!c.is_ready() && !s.is_ready());

    let mut verdict = ZapReply::accept("alice");
    verdict
        .metadata
        .insert("X-Role", "operator")
        .expect("valid");
    s.handle_zap_reply(now, verdict);
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    let Some(Event::Ready(peer)) = events(&mut s).into_iter().next() else {
        panic!("server should be ready");
    };
    assert_eq!(peer.socket_type, Some(SocketType::Dealer));
    assert_eq!(
        peer.metadata.get("User-Id"),
        Some(&Bytes::from_static(b"alice"))
    );
    assert_eq!(
        peer.metadata.get("X-Role"),
        Some(&Bytes::from_static(b"operator"))
    );
    let _ = events(&mut c);

    c.send(&Message::from(["to", "server"])).expect("ready");
    s.send(&Message::from(["to client"])).expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(
        messages(events(&mut s)),
        vec![Message::from(["to", "server"])]
    );
    assert_eq!(messages(events(&mut c)), vec![Message::from(["to client"])]);
}

#[test]
fn plain_wire_bytes() {
    let now = Instant::now();
    let mut c = plain_client(now, "u", "pw");
    c.feed(now, &raw_greeting(1, MechanismName::PLAIN));
    let sent = take_transmit(&mut c);
    assert_eq!(&sent[sent.len() - 13..], b"\x04\x0b\x05HELLO\x01u\x02pw");
    c.feed(now, b"\x04\x08\x07WELCOME");
    let initiate = take_transmit(&mut c);
    assert_eq!(&initiate[..12], b"\x04\x2c\x08INITIATE\x0b");
}

#[test]
fn plain_refused_400_and_500_send_error_and_nothing_crosses() {
    for status in [400u16, 500] {
        let now = Instant::now();
        let (mut c, mut s) = (plain_client(now, "admin", "wrong"), plain_server(now));
        let _ = until_zap(&mut c, &mut s, now);
        s.handle_zap_reply(now, reply(status));
        assert_eq!(
            closed_reason(&mut s),
            Some(
                MechanismError::Refused {
                    status,
                    text: "text".into()
                }
                .into()
            )
        );
        let error = take_transmit(&mut s);
        assert_eq!(
            error,
            raw_command(&Command::Error {
                reason: status.to_string().into()
            })
        );
        c.feed(now, &error);
        assert_eq!(
            closed_reason(&mut c),
            Some(
                MechanismError::PeerError {
                    reason: status.to_string()
                }
                .into()
            )
        );
        assert_eq!(c.send(&Message::from(["x"])), Err(SendError::Closed));
    }
}

#[test]
fn plain_temporary_failure_closes_silently() {
    let now = Instant::now();
    let (mut c, mut s) = (plain_client(now, "admin", "secret"), plain_server(now));
    let _ = until_zap(&mut c, &mut s, now);
    s.handle_zap_reply(now, reply(300));
    assert!(matches!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(MechanismError::Refused {
            status: 300,
            ..
        }))
    ));
    assert!(take_transmit(&mut s).is_empty(), "300 sends no ERROR");
    assert!(!c.is_ready());
}

#[test]
fn plain_server_protocol_violations() {
    let now = Instant::now();
    let start = || {
        let mut s = plain_server(now);
        s.feed(now, &raw_greeting(1, MechanismName::PLAIN));
        let _ = take_transmit(&mut s);
        s
    };
    // INITIATE before HELLO.
    let mut s = start();
    s.feed(now, b"\x04\x09\x08INITIATE");
    assert_eq!(
        closed_reason(&mut s),
        Some(
            MechanismError::UnexpectedCommand {
                expected: "HELLO",
                got: "INITIATE".into()
            }
            .into()
        )
    );
    // HELLO whose lengths do not fill it exactly (one byte left over, then one missing).
    for hello in [
        &b"\x04\x0b\x05HELLO\x01u\x01pX"[..],
        b"\x04\x09\x05HELLO\x01u\x02p",
    ] {
        let mut s = start();
        s.feed(now, hello);
        assert_eq!(
            closed_reason(&mut s),
            Some(
                MechanismError::Command(CommandError::Malformed {
                    command: "HELLO",
                    reason: "user name and password do not fill the command exactly"
                })
                .into()
            ),
            "{hello:?}"
        );
    }
    // A truncated command.
    let mut s = start();
    s.feed(now, b"\x04\x03\x08HE");
    assert_eq!(
        closed_reason(&mut s),
        Some(
            CommandError::NameTruncated {
                len: 8,
                frame_len: 3
            }
            .into()
        )
    );
    // A ZAP reply nobody asked for.
    let mut s = start();
    s.handle_zap_reply(now, ZapReply::accept(""));
    assert_eq!(
        closed_reason(&mut s),
        Some(MechanismError::UnexpectedZapReply.into())
    );
}

#[test]
fn plain_server_checks_the_socket_type_in_initiate() {
    let now = Instant::now();
    let creds = PlainCredentials::new("admin", "secret").expect("valid");
    let mut c = Connection::new(
        Config::new(SocketType::Pub),
        Box::new(PlainClient::new(creds)),
        now,
    );
    let mut s = plain_server(now);
    let _ = until_zap(&mut c, &mut s, now);
    s.handle_zap_reply(now, ZapReply::accept(""));
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut s),
        Some(
            MechanismError::IncompatibleSocketType {
                local: SocketType::Router,
                peer: SocketType::Pub
            }
            .into()
        )
    );
}

#[test]
fn plain_client_protocol_violations() {
    let now = Instant::now();
    let start = || {
        let mut c = plain_client(now, "admin", "secret");
        c.feed(now, &raw_greeting(1, MechanismName::PLAIN));
        let _ = take_transmit(&mut c);
        c
    };
    let mut c = start();
    c.feed(now, &raw_ready(SocketType::Router));
    assert_eq!(
        closed_reason(&mut c),
        Some(
            MechanismError::UnexpectedCommand {
                expected: "WELCOME",
                got: "READY".into()
            }
            .into()
        )
    );
    let mut c = start();
    c.feed(now, b"\x04\x09\x07WELCOMEx");
    assert_eq!(
        closed_reason(&mut c),
        Some(
            MechanismError::WrongSize {
                command: "WELCOME",
                expected: 8,
                got: 9
            }
            .into()
        )
    );
    let mut c = start();
    c.feed(now, &raw_greeting(1, MechanismName::NULL)[..0]);
    c.feed(now, b"\x04\x08\x07WELCOME");
    c.feed(now, b"\x04\x08\x07WELCOME");
    assert_eq!(
        closed_reason(&mut c),
        Some(
            MechanismError::UnexpectedCommand {
                expected: "READY",
                got: "WELCOME".into()
            }
            .into()
        )
    );
}

#[test]
fn plain_against_null_is_a_mechanism_mismatch() {
    let now = Instant::now();
    let mut c = plain_client(now, "admin", "secret");
    let mut s = Connection::new(Config::new(SocketType::Router), Box::new(Null::new()), now);
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::MechanismMismatch {
            local: MechanismName::PLAIN,
            peer: MechanismName::NULL
        })
    );
    assert!(matches!(
        closed_reason(&mut s),
        Some(ConnectionError::MechanismMismatch { .. })
    ));
}

#[test]
fn null_with_zap_holds_ready_until_accepted() {
    let now = Instant::now();
    let mut cfg = Config::new(SocketType::Pull);
    cfg.zap_domain = Bytes::from_static(b"test");
    let mut s = Connection::new(cfg, Box::new(Null::with_zap()), now);
    let mut c = Connection::new(Config::new(SocketType::Push), Box::new(Null::new()), now);
    let req = until_zap(&mut c, &mut s, now);
    assert_eq!(req.mechanism, MechanismName::NULL);
    assert!(req.credentials.is_empty());
    assert!(!c.is_ready(), "the server's READY waits for the verdict");
    c.send(&Message::from(["early"]))
        .expect_err("not ready yet");

    s.handle_zap_reply(now, ZapReply::accept("anonymous"));
    pump(&mut c, &mut s, now);
    assert!(c.is_ready() && s.is_ready());
    let Some(Event::Ready(peer)) = events(&mut s).into_iter().next() else {
        panic!("ready");
    };
    assert_eq!(
        peer.metadata.get("User-Id"),
        Some(&Bytes::from_static(b"anonymous"))
    );
    c.send(&Message::from(["hello"])).expect("ready");
    pump(&mut c, &mut s, now);
    assert_eq!(messages(events(&mut s)), vec![Message::from(["hello"])]);
}

#[test]
fn null_with_zap_refused() {
    let now = Instant::now();
    let mut s = Connection::new(
        Config::new(SocketType::Pull),
        Box::new(Null::with_zap()),
        now,
    );
    let mut c = Connection::new(Config::new(SocketType::Push), Box::new(Null::new()), now);
    let _ = until_zap(&mut c, &mut s, now);
    s.handle_zap_reply(now, reply(400));
    pump(&mut c, &mut s, now);
    assert_eq!(
        closed_reason(&mut c),
        Some(
            MechanismError::PeerError {
                reason: "400".into()
            }
            .into()
        )
    );
    assert!(matches!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(MechanismError::Refused {
            status: 400,
            ..
        }))
    ));
}

#[test]
fn frames_wait_while_zap_is_pending() {
    let now = Instant::now();
    let mut s = Connection::new(
        Config::new(SocketType::Pull),
        Box::new(Null::with_zap()),
        now,
    );
    s.feed(now, &raw_greeting(1, MechanismName::NULL));
    assert!(matches!(events(&mut s).as_slice(), [Event::ZapRequest(_)]));
    // The peer's READY and a message arrive before the verdict: nothing is processed yet.
    let mut early = raw_ready(SocketType::Push);
    early.extend_from_slice(b"\x00\x02hi");
    s.feed(now, &early);
    assert!(events(&mut s).is_empty());
    s.handle_zap_reply(now, ZapReply::accept(""));
    let evs = events(&mut s);
    assert!(matches!(evs.first(), Some(Event::Ready(_))), "{evs:?}");
    assert_eq!(messages(evs), vec![Message::from(["hi"])]);
}
