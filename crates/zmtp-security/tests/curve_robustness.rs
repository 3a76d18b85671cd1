//! Whatever a peer sends, at any step, CURVE answers with an error or waits: it never panics, and
//! a connection that failed delivers nothing.
#![cfg(feature = "curve")]

use std::time::Instant;

use proptest::prelude::*;
use zmtp_codec::{Connection, Event, MechanismName, SocketType};

mod curve_support;
mod harness;
use curve_support::*;
use harness::{events, pump, raw_greeting, take_transmit};

fn body(name: &str, data: &[u8]) -> Vec<u8> {
    let mut b = vec![name.len() as u8];
    b.extend_from_slice(name.as_bytes());
    b.extend_from_slice(data);
    b
}

fn no_message_if_closed(c: &mut Connection) {
    let evs = events(c);
    if evs.iter().any(|e| matches!(e, Event::Closed(_))) {
        assert!(
            !evs.iter().any(|e| matches!(e, Event::Message(_))),
            "{evs:?}"
        );
    }
}

const NAMES: [&str; 7] = [
    "HELLO", "WELCOME", "INITIATE", "READY", "MESSAGE", "ERROR", "PING",
];

proptest! {
    #[test]
    fn server_survives_anything(
        name in prop::sample::select(&NAMES[..]),
        data in proptest::collection::vec(any::<u8>(), 0..400),
        after_hello in any::<bool>(),
        as_data_frame in any::<bool>(),
    ) {
        let now = Instant::now();
        let mut s = greeted_server(now, false);
        if after_hello {
            let _raw = raw_client_after_welcome(now, &mut s, 1);
        }
        let b = body(name, &data);
        let mut frame = command_frame(&b);
        if as_data_frame {
            frame[0] &= !0x04;
        }
        s.feed(now, &frame);
        let _ = take_transmit(&mut s);
        no_message_if_closed(&mut s);
    }

    #[test]
    fn client_survives_anything(
        name in prop::sample::select(&NAMES[..]),
        data in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let now = Instant::now();
        let mut c = client_conn(now, SocketType::Dealer, client_keys(), *server_keys().public());
        c.feed(now, &raw_greeting(1, MechanismName::CURVE));
        let _ = take_transmit(&mut c);
        c.feed(now, &command_frame(&body(name, &data)));
        no_message_if_closed(&mut c);
    }

    #[test]
    fn sessions_survive_anything(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        to_client in any::<bool>(),
    ) {
        let now = Instant::now();
        let (mut c, mut s) = dealer_router(now, false);
        pump(&mut c, &mut s, now);
        prop_assert!(c.is_ready() && s.is_ready());
        let _ = (events(&mut c), events(&mut s));
        let target = if to_client { &mut c } else { &mut s };
        target.feed(now, &command_frame(&body("MESSAGE", &data)));
        no_message_if_closed(target);
    }
}
