//! Hostile clients against the server side of each mechanism, and Z85 decoding.
//!
//! - [`plain_server`]: a PLAIN server fed a valid greeting, then fuzzed bytes in fuzzed pieces,
//!   answering its ZAP requests with a fuzzed verdict.
//! - [`curve_server`]: a CURVE server talking to a real CURVE client whose bytes the fuzzer
//!   corrupts on the way (flipped, dropped or cut), then any trailing fuzzed bytes. Sealed boxes
//!   cannot be forged by a fuzzer, so starting from a real transcript is what reaches WELCOME,
//!   INITIATE and MESSAGE handling.
//! - [`z85_decode`]: arbitrary text into Z85 decoding; whatever decodes re-encodes to itself.
//!
//! Properties: no panic; a connection that reported `Closed` reports nothing more; no message is
//! delivered before `Ready`; a peer never authenticated (ZAP refused) is never `Ready`.

use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use zmtp_codec::greeting::GreetingWriter;
use zmtp_codec::{Config, Connection, Event, MechanismName, Message, SocketType, ZapReply};
use zmtp_security::{CurveClient, CurveKeyPair, CurveSecretKey, CurveServer, PlainServer};

use crate::ChunkSizes;

/// Tracks the event sequence of one connection and checks its order.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    pub(crate) ready: bool,
    pub(crate) closed: bool,
    pub(crate) zap_refused: bool,
    /// Whether a ZAP verdict accepted the peer.
    pub(crate) zap_accepted: bool,
    /// The messages delivered, in order.
    pub(crate) messages: Vec<Message>,
}

impl Watch {
    /// Polls every event; answers ZAP requests with `verdict(request index)`; runs the
    /// mechanism's blocking jobs (GSSAPI's GSS-API calls) here, as they come.
    pub(crate) fn drain(
        &mut self,
        c: &mut Connection,
        now: Instant,
        verdict: &mut dyn FnMut() -> ZapReply,
    ) {
        loop {
            while let Some(job) = c.poll_blocking() {
                c.handle_blocking_done(now, job.run());
            }
            let Some(event) = c.poll_event() else {
                return;
            };
            assert!(!self.closed, "an event after Closed: {event:?}");
            match event {
                Event::Ready(_) => {
                    assert!(!self.ready, "Ready twice");
                    assert!(!self.zap_refused, "Ready after a ZAP refusal");
                    self.ready = true;
                }
                Event::Message(msg) => {
                    assert!(self.ready, "a message before Ready: {msg:?}");
                    self.messages.push(msg);
                }
                Event::Subscribe(_) | Event::Cancel(_) => {
                    assert!(self.ready, "traffic before Ready: {event:?}");
                }
                Event::ZapRequest(_) => {
                    assert!(!self.ready, "a ZAP request after Ready");
                    let reply = verdict();
                    self.zap_refused |= !reply.is_accepted();
                    self.zap_accepted |= reply.is_accepted();
                    c.handle_zap_reply(now, reply);
                }
                Event::Closed(_) => self.closed = true,
            }
        }
    }
}

/// Everything `c` has to transmit.
pub(crate) fn take(c: &mut Connection) -> Bytes {
    let tx = c.transmit();
    tx.copy_to_bytes(tx.remaining())
}

/// A ZAP verdict picked by a fuzzer byte: accept, refuse (400), 300, 500, or a malformed 201.
pub(crate) fn verdict_for(code: u8) -> ZapReply {
    match code % 5 {
        0 => ZapReply::accept("user"),
        1 => ZapReply::refuse("no"),
        2 => ZapReply {
            status_code: 300,
            ..ZapReply::refuse("later")
        },
        3 => ZapReply {
            status_code: 500,
            ..ZapReply::refuse("broken")
        },
        _ => ZapReply {
            status_code: 201,
            ..ZapReply::accept("odd")
        },
    }
}

/// A PLAIN server (ROUTER) against fuzzed client bytes. Input: `[verdict, chunk seed, bytes...]`.
pub fn plain_server(data: &[u8]) {
    let [verdict, seed, rest @ ..] = data else {
        return;
    };
    let mut t = Instant::now();
    let mut server = Connection::new(
        Config::new(SocketType::Router),
        Box::new(PlainServer::new()),
        t,
    );
    let mut watch = Watch::default();
    let mut answer = || verdict_for(*verdict);
    server.feed(t, GreetingWriter::new(MechanismName::PLAIN, 0).as_bytes());
    let mut sizes = ChunkSizes::new(*seed);
    let mut input = rest;
    while !input.is_empty() {
        let n = sizes.next_size().min(input.len());
        server.feed(t, &input[..n]);
        input = &input[n..];
        watch.drain(&mut server, t, &mut answer);
        let _ = take(&mut server);
        t += Duration::from_millis(700);
        server.handle_timeout(t);
        watch.drain(&mut server, t, &mut answer);
    }
    server.handle_eof();
    watch.drain(&mut server, t, &mut answer);
    assert!(watch.closed, "EOF closes the connection");
}

/// The server's long-term key (fixed, so that runs reproduce).
pub(crate) fn server_keys() -> CurveKeyPair {
    fixed_keys(7)
}

/// The key pair whose secret is 32 times `byte` (7: the server, 3: the client, 9: a wrong
/// server), computed once per process: deriving public keys is the slowest part of a run.
pub(crate) fn fixed_keys(byte: u8) -> CurveKeyPair {
    use std::sync::OnceLock;
    static KEYS: [OnceLock<CurveKeyPair>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = match byte {
        7 => 0,
        3 => 1,
        _ => 2,
    };
    KEYS[slot]
        .get_or_init(|| CurveKeyPair::from_secret(CurveSecretKey::from_bytes([byte; 32])))
        .clone()
}

/// A CURVE server against a real client whose bytes the fuzzer corrupts.
///
/// Input: `[flags, verdict, mutation count, (target, offset hi, offset lo, op)..., trailing...]`.
/// `flags` bit 0: the server consults ZAP; bit 1: the client uses the wrong server key. With no
/// mutation, the right key and an accepting (or no) ZAP verdict, the handshake must complete. Each
/// mutation applies to the client's `target`-th write: `op` 0-63 XORs the byte at the offset with
/// `op | 1`, 64-127 drops it, 128-191 cuts the write there, 192-255 inserts `op` before it.
pub fn curve_server(data: &[u8]) {
    let [flags, verdict, count, rest @ ..] = data else {
        return;
    };
    let count = usize::from(*count % 8);
    if rest.len() < count * 4 {
        return;
    }
    let (mutations, trailing) = rest.split_at(count * 4);
    let mutations: Vec<&[u8]> = mutations.chunks_exact(4).collect();

    let t = Instant::now();
    let keys = server_keys();
    let server_public = if flags & 2 == 0 {
        *keys.public()
    } else {
        *fixed_keys(9).public()
    };
    let client_keys = fixed_keys(3);
    let mut client = Connection::new(
        Config::new(SocketType::Dealer),
        Box::new(CurveClient::new(client_keys, server_public)),
        t,
    );
    let mut server = Connection::new(
        Config::new(SocketType::Router),
        Box::new(CurveServer::new(keys).with_zap(flags & 1 == 1)),
        t,
    );
    let (mut sw, mut cw) = (Watch::default(), Watch::default());
    let mut answer = || verdict_for(*verdict);
    let mut never = || ZapReply::refuse("clients raise no ZAP requests");
    let mut sent_one = false;
    for round in 0..16u8 {
        if client.is_ready() && !sent_one {
            let _ = client.send(&Message::from(["hello", "curve"]));
            sent_one = true;
        }
        let mut out = take(&mut client).to_vec();
        for m in mutations.iter().filter(|m| m[0] % 16 == round) {
            let at = usize::from(u16::from_be_bytes([m[1], m[2]]));
            if at >= out.len() {
                continue;
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
        let back = take(&mut server);
        if out.is_empty() && back.is_empty() {
            break;
        }
        server.feed(t, &out);
        sw.drain(&mut server, t, &mut answer);
        client.feed(t, &back);
        cw.drain(&mut client, t, &mut never);
    }
    let clean = count == 0 && flags & 2 == 0 && (flags & 1 == 0 || *verdict % 5 == 0);
    if clean {
        assert!(
            sw.ready && cw.ready,
            "an untouched transcript completes the handshake"
        );
    }
    if !trailing.is_empty() {
        server.feed(t, trailing);
        sw.drain(&mut server, t, &mut answer);
    }
    server.handle_eof();
    sw.drain(&mut server, t, &mut answer);
    assert!(sw.closed, "EOF closes the connection");
}

/// A GSSAPI server (acceptor credentials from the keytab of `scripts/kdc.sh`) against fuzzed
/// client bytes. Input: `[flags, verdict, chunk seed, bytes...]`; `flags` bit 0: plaintext,
/// bit 1: the server consults ZAP. Tokens a fuzzer makes are not valid Kerberos, so this
/// exercises the framing, the token plumbing into GSS-API, and every refusal path.
#[cfg(feature = "gssapi")]
pub fn gssapi_server(data: &[u8]) {
    use zmtp_security::gssapi::{GssapiOptions, GssapiServer};
    let [flags, verdict, seed, rest @ ..] = data else {
        return;
    };
    let options = GssapiOptions::server().with_plaintext(flags & 1 == 1);
    let mechanism = if flags & 2 == 0 {
        GssapiServer::new(options)
    } else {
        GssapiServer::with_zap(options)
    };
    let Ok(mechanism) = mechanism else {
        return;
    };
    let mut t = Instant::now();
    let mut server = Connection::new(Config::new(SocketType::Router), Box::new(mechanism), t);
    let mut watch = Watch::default();
    let mut answer = || verdict_for(*verdict);
    server.feed(t, GreetingWriter::new(MechanismName::GSSAPI, 0).as_bytes());
    // The server acquires its credentials (a blocking job) once the greetings are in.
    watch.drain(&mut server, t, &mut answer);
    let mut sizes = ChunkSizes::new(*seed);
    let mut input = rest;
    while !input.is_empty() {
        let n = sizes.next_size().min(input.len());
        server.feed(t, &input[..n]);
        input = &input[n..];
        watch.drain(&mut server, t, &mut answer);
        let _ = take(&mut server);
        t += Duration::from_millis(700);
        server.handle_timeout(t);
        watch.drain(&mut server, t, &mut answer);
    }
    server.handle_eof();
    watch.drain(&mut server, t, &mut answer);
    assert!(watch.closed, "EOF closes the connection");
}

/// Z85 decoding of arbitrary text: errors are fine; anything decoded re-encodes to the input.
pub fn z85_decode(data: &[u8]) {
    if let Ok(bytes) = zmtp_security::z85::decode(data) {
        assert_eq!(
            bytes.len() * 5,
            data.len() * 4,
            "Z85 is 5 characters per 4 bytes"
        );
        let text = zmtp_security::z85::encode(&bytes).expect("decoded Z85 has whole groups");
        assert_eq!(text.as_bytes(), data, "decode then encode is the identity");
    }
}

/// Z85 encoding of arbitrary bytes: it succeeds exactly for whole 4-byte groups, gives 5
/// characters of the alphabet per group, and decodes back to the input.
pub fn z85_round_trip(data: &[u8]) {
    match zmtp_security::z85::encode(data) {
        Ok(text) => {
            assert_eq!(data.len() % 4, 0, "encoded a partial group");
            assert_eq!(text.len(), data.len() / 4 * 5);
            assert!(text
                .bytes()
                .all(|c| zmtp_security::z85::ALPHABET.contains(&c)));
            let back = zmtp_security::z85::decode(&text)
                .unwrap_or_else(|e| panic!("{text:?} (our own encoding) does not decode: {e}"));
            assert_eq!(back, data, "encode then decode is not the identity");
        }
        Err(e) => {
            assert_ne!(data.len() % 4, 0, "refused whole groups: {e}");
        }
    }
}
