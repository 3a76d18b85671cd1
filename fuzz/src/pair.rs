//! Two real connections, a client and a server, for NULL, PLAIN or CURVE, whose bytes the fuzzer
//! corrupts on the way in either direction; and the client mechanisms against hostile servers.
//!
//! - [`connection_pair`]: the connection state machine as client *and* server for every
//!   mechanism but GSSAPI, corrupted both ways, with a message each way once ready.
//! - [`curve_client`]: a CURVE client whose server's replies (WELCOME, READY, messages) the fuzzer
//!   corrupts. Sealed boxes cannot be forged, so a real transcript is what reaches deep.
//! - [`plain_client`]: a PLAIN client fed fuzzed server bytes after a valid greeting (optionally
//!   after a valid WELCOME and READY too).
//!
//! Properties: no panic; each side's events in a legal order; a server consulting ZAP is never
//! ready without an accepting verdict; an untouched transcript with an accepting verdict completes
//! on both sides and each side gets exactly the message the other sent; under CURVE, whatever the
//! corruption, no side ever gets a message the other did not send, and a client that has the
//! wrong server key never gets anywhere; EOF closes both.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use zmtp_codec::frame::{put_header, FLAG_COMMAND};
use zmtp_codec::greeting::GreetingWriter;
use zmtp_codec::{Config, Connection, Mechanism, MechanismName, Message, SocketType, ZapReply};
use zmtp_security::{CurveClient, CurveServer, Null, PlainClient, PlainCredentials, PlainServer};

use crate::connection::ready_frame;
use crate::mechanisms::{fixed_keys, server_keys, take, verdict_for, Watch};
use crate::ChunkSizes;

/// The mechanism both sides use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    /// NULL, with or without ZAP on the server.
    Null,
    /// PLAIN (the server always consults ZAP).
    Plain,
    /// CURVE, with or without ZAP on the server.
    Curve,
}

/// Which direction the fuzzer may corrupt, and which side gets the trailing bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Victim {
    /// Either: the input says.
    Either,
    /// The client: only the server's bytes are corrupted.
    Client,
}

const CLIENT_SAYS: [&str; 2] = ["hello", "from the client"];
const SERVER_SAYS: [&str; 1] = ["hello from the server"];
const ROUNDS: u8 = 24;

/// `connection_pair`. Input: `[mechanism, flags, verdict, mutation count, mutations..., trailing...]`;
/// see [`pair`].
pub fn connection_pair(data: &[u8]) {
    let [mech, rest @ ..] = data else {
        return;
    };
    let mech = [Mech::Null, Mech::Plain, Mech::Curve][usize::from(*mech % 3)];
    pair(rest, mech, Victim::Either);
}

/// `mechanism_curve_client`: [`pair`] under CURVE, corrupting only what the server sends.
pub fn curve_client(data: &[u8]) {
    pair(data, Mech::Curve, Victim::Client);
}

/// Input: `[flags, verdict, mutation count, (target, offset hi, offset lo, op)..., trailing...]`.
/// `flags` bit 0: the server consults ZAP (PLAIN always does); bit 1 (CURVE): the client has the
/// wrong server key; bit 2: the trailing bytes go to the client (else the server); bit 3: PAIR
/// sockets (else DEALER to ROUTER). Each mutation applies to one write: `target` bits 0-3 the
/// round, bit 4 the direction (set: server to client); `op` 0-63 XORs the byte at the offset with
/// `op | 1`, 64-127 drops it, 128-191 cuts the write there, 192-255 inserts `op` before it.
fn pair(data: &[u8], mech: Mech, victim: Victim) {
    let [flags, verdict, count, rest @ ..] = data else {
        return;
    };
    let count = usize::from(*count % 8);
    if rest.len() < count * 4 {
        return;
    }
    let (mutations, trailing) = rest.split_at(count * 4);
    let mutations: Vec<[u8; 4]> = mutations
        .chunks_exact(4)
        .map(|m| {
            let mut m = [m[0], m[1], m[2], m[3]];
            if victim == Victim::Client {
                m[0] |= 0x10;
            }
            m
        })
        .collect();
    let zap = flags & 1 == 1 || mech == Mech::Plain;
    let wrong_key = mech == Mech::Curve && flags & 2 != 0;
    let trailing_to_client = victim == Victim::Client || flags & 4 != 0;
    let (client_type, server_type) = if flags & 8 == 0 {
        (SocketType::Dealer, SocketType::Router)
    } else {
        (SocketType::Pair, SocketType::Pair)
    };

    let (client_mech, server_mech): (Box<dyn Mechanism>, Box<dyn Mechanism>) = match mech {
        Mech::Null => (
            Box::new(Null::new()),
            Box::new(if zap { Null::with_zap() } else { Null::new() }),
        ),
        Mech::Plain => {
            let credentials = PlainCredentials::new("admin", "secret").expect("valid credentials");
            (
                Box::new(PlainClient::new(credentials)),
                Box::new(PlainServer::new()),
            )
        }
        Mech::Curve => {
            let keys = server_keys();
            let server_public = if wrong_key {
                *fixed_keys(9).public()
            } else {
                *keys.public()
            };
            let client_keys = fixed_keys(3);
            (
                Box::new(CurveClient::new(client_keys, server_public)),
                Box::new(CurveServer::new(keys).with_zap(zap)),
            )
        }
    };
    let t = Instant::now();
    let mut server_config = Config::new(server_type);
    if zap {
        server_config.zap_domain = bytes::Bytes::from_static(b"fuzz");
    }
    let mut client = Connection::new(Config::new(client_type), client_mech, t);
    let mut server = Connection::new(server_config, server_mech, t);

    let client_says = Message::from(CLIENT_SAYS);
    let server_says = Message::from(SERVER_SAYS);
    let (mut sw, mut cw) = (Watch::default(), Watch::default());
    let mut answer = || verdict_for(*verdict);
    let mut never = || -> ZapReply { panic!("a client raised a ZAP request") };
    let (mut client_sent, mut server_sent) = (false, false);
    for round in 0..ROUNDS {
        if client.is_ready() && !client_sent {
            assert_eq!(client.send(&client_says), Ok(()));
            client_sent = true;
        }
        if server.is_ready() && !server_sent {
            assert_eq!(server.send(&server_says), Ok(()));
            server_sent = true;
        }
        let mut up = take(&mut client).to_vec();
        let mut down = take(&mut server).to_vec();
        for m in &mutations {
            if m[0] & 0x0F != round {
                continue;
            }
            let out = if m[0] & 0x10 == 0 { &mut up } else { &mut down };
            mutate(out, m);
        }
        if up.is_empty() && down.is_empty() {
            break;
        }
        server.feed(t, &up);
        sw.drain(&mut server, t, &mut answer);
        client.feed(t, &down);
        cw.drain(&mut client, t, &mut never);
    }

    if zap && sw.ready {
        assert!(
            sw.zap_accepted,
            "a server consulting ZAP ready without a verdict"
        );
    }
    if mech == Mech::Curve {
        for got in &sw.messages {
            assert_eq!(got, &client_says, "CURVE delivered a forged message");
        }
        for got in &cw.messages {
            assert_eq!(got, &server_says, "CURVE delivered a forged message");
        }
        assert!(
            sw.messages.len() <= 1 && cw.messages.len() <= 1,
            "CURVE replayed a message"
        );
        if wrong_key {
            assert!(
                !sw.ready && !cw.ready,
                "CURVE with the wrong server key got through"
            );
        }
    }
    let accepted = !zap || *verdict % 5 == 0;
    if mutations.is_empty() && !wrong_key && accepted {
        assert!(
            sw.ready && cw.ready,
            "an untouched transcript did not complete"
        );
        assert_eq!(sw.messages, vec![client_says.clone()]);
        assert_eq!(cw.messages, vec![server_says.clone()]);
    }

    if !trailing.is_empty() {
        if trailing_to_client {
            client.feed(t, trailing);
            cw.drain(&mut client, t, &mut never);
        } else {
            server.feed(t, trailing);
            sw.drain(&mut server, t, &mut answer);
        }
    }
    let later = t + Duration::from_secs(3600);
    server.handle_timeout(later);
    sw.drain(&mut server, later, &mut answer);
    client.handle_timeout(later);
    cw.drain(&mut client, later, &mut never);
    server.handle_eof();
    sw.drain(&mut server, later, &mut answer);
    client.handle_eof();
    cw.drain(&mut client, later, &mut never);
    assert!(sw.closed && cw.closed, "EOF closes both connections");
}

/// Applies one mutation (see [`pair`]) to a write.
fn mutate(out: &mut Vec<u8>, m: &[u8; 4]) {
    let at = usize::from(u16::from_be_bytes([m[1], m[2]]));
    if at >= out.len() {
        return;
    }
    match m[3] {
        op @ 0..=63 => out[at] ^= op | 1,
        64..=127 => {
            out.remove(at);
        }
        128..=191 => out.truncate(at),
        op => out.insert(at, op),
    }
}

/// A command frame `name` with `data`, as a peer would send it.
fn command_frame(name: &str, data: &[u8]) -> Vec<u8> {
    let mut frame = BytesMut::new();
    put_header(&mut frame, FLAG_COMMAND, 1 + name.len() + data.len());
    frame.extend_from_slice(&[name.len() as u8]);
    frame.extend_from_slice(name.as_bytes());
    frame.extend_from_slice(data);
    frame.to_vec()
}

/// `mechanism_plain_client`: a PLAIN client (DEALER) fed fuzzed server bytes after a valid
/// greeting. Input: `[mode, chunk seed, bytes...]`; `mode` bit 0 clear: a valid WELCOME and a
/// READY from a ROUTER come first, so the fuzzer starts past the handshake; bit 1: the
/// application sends after each read once ready.
pub fn plain_client(data: &[u8]) {
    let [mode, seed, rest @ ..] = data else {
        return;
    };
    let mut t = Instant::now();
    let credentials = PlainCredentials::new("admin", "secret").expect("valid credentials");
    let mut client = Connection::new(
        Config::new(SocketType::Dealer),
        Box::new(PlainClient::new(credentials)),
        t,
    );
    let mut watch = Watch::default();
    let mut never = || -> ZapReply { panic!("a client raised a ZAP request") };
    client.feed(t, GreetingWriter::new(MechanismName::PLAIN, 0).as_bytes());
    watch.drain(&mut client, t, &mut never);
    if mode & 1 == 0 {
        client.feed(t, &command_frame("WELCOME", b""));
        client.feed(t, &ready_frame(SocketType::Router));
        watch.drain(&mut client, t, &mut never);
        assert!(
            watch.ready,
            "a valid WELCOME and READY did not complete the handshake"
        );
    }
    let mut sizes = ChunkSizes::new(*seed);
    let mut input = rest;
    while !input.is_empty() {
        let n = sizes.next_size().min(input.len());
        client.feed(t, &input[..n]);
        input = &input[n..];
        watch.drain(&mut client, t, &mut never);
        if mode & 2 != 0 && client.is_ready() {
            assert_eq!(client.send(&Message::from(CLIENT_SAYS)), Ok(()));
        }
        let _ = take(&mut client);
        t += Duration::from_millis(700);
        client.handle_timeout(t);
        watch.drain(&mut client, t, &mut never);
    }
    client.handle_eof();
    watch.drain(&mut client, t, &mut never);
    assert!(watch.closed, "EOF closes the connection");
}
