//! CURVE with injected randomness: a client and a server whose generators are seeded alike put
//! the same bytes on the wire, both ways, handshake and sealed messages, on every run; another
//! seed on either side changes that side's bytes (and, through the shared keys, the other's);
//! and the default constructors, which draw from the operating system, never repeat a handshake.
//!
//! If any random byte a mechanism uses (a transient key, the cookie key, a long nonce) came from
//! anywhere but the generator it was given, two runs with the same seeds would differ and
//! `same_seeds_same_bytes` would fail.
#![cfg(feature = "curve")]

use std::time::Instant;

use bytes::Bytes;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zmtp_codec::{Config, Connection, Event, Message, SocketType};
use zmtp_security::{CurveClient, CurveKeyPair, CurveServer, SecureRandom};

mod harness;
use harness::{events, take_transmit};

/// Everything each side wrote, greeting included.
#[derive(Debug, PartialEq, Eq)]
struct Wire {
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

/// Moves bytes both ways until both sides are quiet, appending what crossed to `wire`.
fn pump_logged(c: &mut Connection, s: &mut Connection, now: Instant, wire: &mut Wire) {
    loop {
        let cs = take_transmit(c);
        let sc = take_transmit(s);
        if cs.is_empty() && sc.is_empty() {
            return;
        }
        wire.to_server.extend_from_slice(&cs);
        wire.to_client.extend_from_slice(&sc);
        s.feed(now, &cs);
        c.feed(now, &sc);
    }
}

fn seeded(seed: u64) -> SecureRandom {
    SecureRandom::new(ChaCha20Rng::seed_from_u64(seed))
}

fn received(c: &mut Connection) -> Vec<Message> {
    events(c)
        .into_iter()
        .map(|e| match e {
            Event::Message(m) => m,
            other => panic!("expected only messages, got {other:?}"),
        })
        .collect()
}

/// One DEALER client and ROUTER server, their long-term keys made from fixed seeds too; a
/// handshake, then two sealed messages each way (one of them multipart). `None` for a side's
/// seed leaves that side on the operating system's generator (its default constructor).
fn run(client_seed: Option<u64>, server_seed: Option<u64>) -> Wire {
    let now = Instant::now();
    let server_keys = CurveKeyPair::generate_with(&mut ChaCha20Rng::seed_from_u64(1000));
    let client_keys = CurveKeyPair::generate_with(&mut ChaCha20Rng::seed_from_u64(1001));
    let mut client = CurveClient::new(client_keys, *server_keys.public());
    if let Some(seed) = client_seed {
        client = client.with_rng(seeded(seed));
    }
    let mut server = CurveServer::new(server_keys);
    if let Some(seed) = server_seed {
        server = server.with_rng(seeded(seed));
    }
    let mut c = Connection::new(Config::new(SocketType::Dealer), Box::new(client), now);
    let mut s = Connection::new(Config::new(SocketType::Router), Box::new(server), now);
    let mut wire = Wire {
        to_server: Vec::new(),
        to_client: Vec::new(),
    };
    pump_logged(&mut c, &mut s, now, &mut wire);
    assert!(c.is_ready() && s.is_ready(), "the handshake completes");
    let _ = (events(&mut c), events(&mut s));

    let from_client = [
        Message::from(["first from the client"]),
        Message::from(vec![
            Bytes::from_static(b"second"),
            Bytes::from_static(b"in two frames"),
        ]),
    ];
    let from_server = [
        Message::from(["first from the server"]),
        Message::from(vec![Bytes::new(), Bytes::from(vec![7u8; 300])]),
    ];
    for (m, n) in from_client.iter().zip(&from_server) {
        c.send(m).expect("ready");
        s.send(n).expect("ready");
    }
    pump_logged(&mut c, &mut s, now, &mut wire);
    assert_eq!(received(&mut s), from_client);
    assert_eq!(received(&mut c), from_server);
    wire
}

#[test]
fn same_seeds_same_bytes() {
    let first = run(Some(1), Some(2));
    let second = run(Some(1), Some(2));
    // Compared direction by direction, so that a failure says which way differs. (A server
    // drawing elsewhere shows in both: the client echoes its cookie.)
    let (client_same, server_same) = (
        first.to_server == second.to_server,
        first.to_client == second.to_client,
    );
    assert!(
        client_same && server_same,
        "two runs with the same seeds differ: client to server {}, server to client {}",
        if client_same { "same" } else { "DIFFERENT" },
        if server_same { "same" } else { "DIFFERENT" },
    );
    // Greetings, HELLO 200 + 2, WELCOME 168 + 2, INITIATE and READY, four MESSAGEs: all there.
    assert!(first.to_server.len() > 64 + 202 + 259 + 2 * 33);
    assert!(first.to_client.len() > 64 + 170 + 32 + 2 * 33);
}

#[test]
fn another_seed_other_bytes() {
    let base = run(Some(1), Some(2));
    // The greeting draws nothing: the 64 bytes each way are the same whatever the seeds.
    let other_client = run(Some(3), Some(2));
    assert_eq!(base.to_server[..64], other_client.to_server[..64]);
    assert_ne!(base.to_server[64..], other_client.to_server[64..]);
    // WELCOME is sealed to the client's transient key, so the server's bytes change too.
    assert_ne!(base.to_client[64..], other_client.to_client[64..]);

    let other_server = run(Some(1), Some(4));
    assert_eq!(base.to_client[..64], other_server.to_client[..64]);
    assert_ne!(base.to_client[64..], other_server.to_client[64..]);
    // HELLO is the client's alone: the same C', the same box, whatever the server draws.
    let hello_end = 64 + 2 + 200;
    assert_eq!(
        base.to_server[..hello_end],
        other_server.to_server[..hello_end]
    );
    assert_ne!(
        base.to_server[hello_end..],
        other_server.to_server[hello_end..]
    );
}

#[test]
fn default_constructors_draw_from_the_os() {
    // Neither side seeded: two handshakes share nothing but their greetings.
    let a = run(None, None);
    let b = run(None, None);
    assert_ne!(a.to_server[64..], b.to_server[64..]);
    assert_ne!(a.to_client[64..], b.to_client[64..]);
    // One side seeded, the other not: the unseeded side still varies.
    assert_ne!(run(Some(1), None).to_client, run(Some(1), None).to_client);
    assert_ne!(run(None, Some(2)).to_server, run(None, Some(2)).to_server);
}
