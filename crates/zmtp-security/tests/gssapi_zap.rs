//! GSSAPI with ZAP, in memory, against the Kerberos realm of `scripts/kdc.sh` (required): the
//! server asks the handler about the client principal once the security context is
//! established; 200 brings `User-Id` and the handler's metadata, 400 ends the handshake with
//! ERROR "400" before any READY.
#![cfg(feature = "gssapi")]

use std::time::Instant;

use bytes::Bytes;
use zmtp_codec::{
    Connection, ConnectionError, Event, MechanismError, MechanismName, Message, SocketType,
    ZapReply, ZapRequest,
};

mod harness;
use harness::*;
mod gssapi_support;
use gssapi_support::*;

fn pair_until_zap(now: Instant, plaintext: bool) -> (Connection, Connection, ZapRequest) {
    let mut c = client(
        now,
        SocketType::Dealer,
        client_options().with_plaintext(plaintext),
    );
    let mut s = server(
        now,
        SocketType::Router,
        server_options().with_plaintext(plaintext),
        true,
    );
    pump(&mut c, &mut s, now);
    let evs = events(&mut s);
    let [Event::ZapRequest(request)] = evs.as_slice() else {
        panic!("expected one ZAP request, got {evs:?}");
    };
    assert!(!c.is_ready() && !s.is_ready());
    let request = (**request).clone();
    (c, s, request)
}

#[test]
fn zap_request_names_the_client_principal() {
    let now = Instant::now();
    let (_c, _s, request) = pair_until_zap(now, false);
    assert_eq!(request.mechanism, MechanismName::GSSAPI);
    assert_eq!(request.address, &b"127.0.0.1"[..]);
    assert_eq!(request.credentials, vec![Bytes::from(client_principal())]);
}

#[test]
fn zap_200_sets_user_id_and_metadata() {
    for plaintext in [false, true] {
        let now = Instant::now();
        let (mut c, mut s, request) = pair_until_zap(now, plaintext);
        let principal = request.credentials[0].clone();
        let mut verdict = ZapReply::accept(principal.clone());
        verdict.metadata.insert("X-Realm", realm()).expect("valid");
        s.handle_zap_reply(now, verdict);
        pump(&mut c, &mut s, now);
        assert!(c.is_ready() && s.is_ready(), "plaintext {plaintext}");
        let Some(Event::Ready(peer)) = events(&mut s).into_iter().next() else {
            panic!("server should be ready");
        };
        assert_eq!(peer.socket_type, Some(SocketType::Dealer));
        assert_eq!(peer.metadata.get("User-Id"), Some(&principal));
        assert_eq!(
            peer.metadata.get("User-Id"),
            Some(&Bytes::from(client_principal()))
        );
        assert_eq!(
            peer.metadata.get("X-Realm"),
            Some(&Bytes::from(realm().into_bytes()))
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
}

#[test]
fn zap_400_sends_error_and_nothing_crosses() {
    let now = Instant::now();
    let (mut c, mut s, _) = pair_until_zap(now, false);
    s.handle_zap_reply(now, ZapReply::refuse("not on the list"));
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(MechanismError::Refused {
            status: 400,
            text: "not on the list".into()
        }))
    );
    let error = take_transmit(&mut s);
    assert_eq!(
        error, b"\x04\x0a\x05ERROR\x03400",
        "ERROR in the clear, no READY"
    );
    c.feed(now, &error);
    assert_eq!(
        closed_reason(&mut c),
        Some(ConnectionError::Mechanism(MechanismError::PeerError {
            reason: "400".into()
        }))
    );
    assert!(!c.is_ready() && !s.is_ready());
}

#[test]
fn zap_300_closes_silently() {
    let now = Instant::now();
    let (c, mut s, _) = pair_until_zap(now, false);
    let mut verdict = ZapReply::refuse("try later");
    verdict.status_code = 300;
    s.handle_zap_reply(now, verdict);
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(MechanismError::Refused {
            status: 300,
            text: "try later".into()
        }))
    );
    assert!(take_transmit(&mut s).is_empty());
    assert!(!c.is_ready());
}

#[test]
fn zap_reply_before_the_request_is_refused() {
    let now = Instant::now();
    let mut c = client(now, SocketType::Dealer, client_options());
    let mut s = server(now, SocketType::Router, server_options(), true);
    s.handle_zap_reply(now, ZapReply::accept("x"));
    assert_eq!(
        closed_reason(&mut s),
        Some(ConnectionError::Mechanism(
            MechanismError::UnexpectedZapReply
        ))
    );
    let _ = take_transmit(&mut c);
}
