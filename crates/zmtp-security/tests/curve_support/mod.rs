//! CURVE test support: key pairs, connection pairs, a tap that splits a byte stream into frames
//! (to drop, alter, replay or reorder them in flight), and a hand-made CURVE client built on the
//! crypto_box crate, independent of ours, for raw and malicious peers.
#![allow(dead_code, unreachable_pub)]

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use crypto_box::aead::Aead;
use crypto_box::{Nonce, PublicKey, SalsaBox, SecretKey};
use zmtp_codec::{Config, Connection, MechanismName, Metadata, SocketType};
use zmtp_security::{CurveClient, CurveKeyPair, CurvePublicKey, CurveSecretKey, CurveServer};

use crate::harness::{raw_greeting, take_transmit};

/// libzmq's documented client key pair (zmq_curve man page, test suites).
pub const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
/// Its secret half.
pub const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
/// libzmq's documented server key pair.
pub const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
/// Its secret half.
pub const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

pub fn client_keys() -> CurveKeyPair {
    CurveKeyPair::from_secret(CurveSecretKey::from_z85(CLIENT_SECRET).expect("valid key"))
}

pub fn server_keys() -> CurveKeyPair {
    CurveKeyPair::from_secret(CurveSecretKey::from_z85(SERVER_SECRET).expect("valid key"))
}

pub fn client_conn(
    now: Instant,
    socket_type: SocketType,
    keys: CurveKeyPair,
    server: CurvePublicKey,
) -> Connection {
    Connection::new(
        Config::new(socket_type),
        Box::new(CurveClient::new(keys, server)),
        now,
    )
}

pub fn server_conn(
    now: Instant,
    socket_type: SocketType,
    keys: CurveKeyPair,
    zap: bool,
) -> Connection {
    let mut cfg = Config::new(socket_type);
    cfg.zap_domain = Bytes::from_static(b"curve-domain");
    cfg.peer_address = Bytes::from_static(b"127.0.0.1");
    Connection::new(cfg, Box::new(CurveServer::new(keys).with_zap(zap)), now)
}

/// A DEALER client and a ROUTER server with libzmq's documented keys.
pub fn dealer_router(now: Instant, zap: bool) -> (Connection, Connection) {
    let server = server_keys();
    (
        client_conn(now, SocketType::Dealer, client_keys(), *server.public()),
        server_conn(now, SocketType::Router, server, zap),
    )
}

/// Which way a frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

/// Splits one direction's bytes into the 64-byte greeting (passed on at once, since the greeting
/// is exchanged in stages) and whole frames.
#[derive(Debug)]
pub struct Tap {
    greeting_left: usize,
    buf: Vec<u8>,
}

impl Default for Tap {
    fn default() -> Self {
        Tap {
            greeting_left: 64,
            buf: Vec::new(),
        }
    }
}

impl Tap {
    /// Greeting bytes to pass on, and the whole frames now complete (header and body).
    pub fn split(&mut self, mut bytes: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let g = self.greeting_left.min(bytes.len());
        let greeting = bytes[..g].to_vec();
        self.greeting_left -= g;
        bytes = &bytes[g..];
        self.buf.extend_from_slice(bytes);
        let mut frames = Vec::new();
        while let Some(len) = frame_len(&self.buf) {
            frames.push(self.buf.drain(..len).collect());
        }
        (greeting, frames)
    }
}

/// The length of the whole frame at the start of `buf`, if it is all there.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let flags = *buf.first()?;
    let (header, size) = if flags & 0x02 == 0 {
        (2, usize::from(*buf.get(1)?))
    } else {
        let raw: [u8; 8] = buf.get(1..9)?.try_into().ok()?;
        (9, usize::try_from(u64::from_be_bytes(raw)).ok()?)
    };
    (buf.len() >= header + size).then_some(header + size)
}

/// The body of a whole frame.
pub fn frame_body(frame: &[u8]) -> &[u8] {
    if frame[0] & 0x02 == 0 {
        &frame[2..]
    } else {
        &frame[9..]
    }
}

/// The command name of a whole command frame.
pub fn command_name(frame: &[u8]) -> &[u8] {
    let body = frame_body(frame);
    &body[1..1 + usize::from(body[0])]
}

/// Wraps a command body in a command frame (short or long, as libzmq does).
pub fn command_frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    if body.len() <= 255 {
        out.extend_from_slice(&[0x04, body.len() as u8]);
    } else {
        out.push(0x06);
        out.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}

/// Moves bytes both ways until both are quiet, passing each frame through `f`, which returns the
/// frames to deliver in its place (none to drop it, two to replay it, ...). Call it before any
/// greeting byte has moved, or after both greetings are in.
pub fn pump_tapped(
    client: &mut Connection,
    server: &mut Connection,
    now: Instant,
    mut f: impl FnMut(Dir, Vec<u8>) -> Vec<Vec<u8>>,
) {
    // A side that has read its peer's whole greeting expects only frames from then on.
    let tap = |greeted: bool| Tap {
        greeting_left: if greeted { 0 } else { 64 },
        buf: Vec::new(),
    };
    let mut to_server = tap(server.peer_greeting().is_some());
    let mut to_client = tap(client.peer_greeting().is_some());
    loop {
        let cs = take_transmit(client);
        let sc = take_transmit(server);
        if cs.is_empty() && sc.is_empty() {
            return;
        }
        for (bytes, tap, dir) in [
            (cs, &mut to_server, Dir::ToServer),
            (sc, &mut to_client, Dir::ToClient),
        ] {
            let (greeting, frames) = tap.split(&bytes);
            let mut out = greeting;
            for frame in frames {
                for delivered in f(dir, frame) {
                    out.extend_from_slice(&delivered);
                }
            }
            if out.is_empty() {
                continue;
            }
            match dir {
                Dir::ToServer => server.feed(now, &out),
                Dir::ToClient => client.feed(now, &out),
            }
        }
    }
}

/// Every frame that crosses, recorded, none altered.
pub fn pump_recording(
    client: &mut Connection,
    server: &mut Connection,
    now: Instant,
) -> Vec<(Dir, Vec<u8>)> {
    let mut seen = Vec::new();
    pump_tapped(client, server, now, |dir, frame| {
        seen.push((dir, frame.clone()));
        vec![frame]
    });
    seen
}

fn nonce(prefix: &[u8], tail: &[u8]) -> Nonce {
    let mut n = Nonce::default();
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(tail);
    n
}

fn salsa(secret: &SecretKey, public: &[u8; 32]) -> SalsaBox {
    SalsaBox::new(&PublicKey::from(*public), secret)
}

/// What a hand-made INITIATE vouches for, and with which key.
#[derive(Debug, Clone)]
pub struct Vouch {
    /// The long-term secret key that seals the vouch (a real client's own `c`).
    pub signer: [u8; 32],
    /// The transient key it vouches for (a real client's own C').
    pub transient: [u8; 32],
    /// The server key it names (the real S).
    pub server: [u8; 32],
}

/// A CURVE client written here with the crypto_box crate, to speak to our server byte by byte:
/// the libzmq test suite's `curve_client_tools_t`, and malicious variants of it.
pub struct RawClient {
    pub long_secret: [u8; 32],
    pub long_public: [u8; 32],
    pub server: [u8; 32],
    pub transient_secret: [u8; 32],
    pub transient_public: [u8; 32],
    pub server_transient: Option<[u8; 32]>,
    pub cookie: Option<Vec<u8>>,
}

impl RawClient {
    pub fn new(keys: &CurveKeyPair, server: &CurvePublicKey) -> RawClient {
        let transient = CurveKeyPair::generate();
        RawClient {
            long_secret: *keys.secret().as_bytes(),
            long_public: *keys.public().as_bytes(),
            server: *server.as_bytes(),
            transient_secret: *transient.secret().as_bytes(),
            transient_public: *transient.public().as_bytes(),
            server_transient: None,
            cookie: None,
        }
    }

    /// The honest vouch.
    pub fn vouch(&self) -> Vouch {
        Vouch {
            signer: self.long_secret,
            transient: self.transient_public,
            server: self.server,
        }
    }

    /// A 200-byte HELLO body.
    pub fn hello(&self, n: u64) -> Vec<u8> {
        let boxed = salsa(&SecretKey::from(self.transient_secret), &self.server)
            .encrypt(
                &nonce(b"CurveZMQHELLO---", &n.to_be_bytes()),
                &[0u8; 64][..],
            )
            .expect("seals");
        let mut body = b"\x05HELLO\x01\x00".to_vec();
        body.extend_from_slice(&[0u8; 72]);
        body.extend_from_slice(&self.transient_public);
        body.extend_from_slice(&n.to_be_bytes());
        body.extend_from_slice(&boxed);
        assert_eq!(body.len(), 200);
        body
    }

    /// Opens a WELCOME body, keeping S' and the cookie.
    pub fn welcome(&mut self, body: &[u8]) {
        assert_eq!(body.len(), 168, "WELCOME size");
        assert_eq!(&body[..8], b"\x07WELCOME");
        let plain = salsa(&SecretKey::from(self.transient_secret), &self.server)
            .decrypt(&nonce(b"WELCOME-", &body[8..24]), &body[24..])
            .expect("WELCOME opens");
        self.server_transient = Some(plain[..32].try_into().expect("32 bytes"));
        self.cookie = Some(plain[32..].to_vec());
    }

    /// An INITIATE body with this vouch and metadata.
    pub fn initiate(&self, n: u64, vouch: &Vouch, metadata: &Metadata) -> Vec<u8> {
        let server_transient = self.server_transient.expect("WELCOME first");
        let vouch_nonce = [0x5A; 16];
        let mut vouch_plain = vouch.transient.to_vec();
        vouch_plain.extend_from_slice(&vouch.server);
        let vouch_box = salsa(&SecretKey::from(vouch.signer), &server_transient)
            .encrypt(&nonce(b"VOUCH---", &vouch_nonce), &vouch_plain[..])
            .expect("seals");
        let mut plain = self.long_public.to_vec();
        plain.extend_from_slice(&vouch_nonce);
        plain.extend_from_slice(&vouch_box);
        let mut md = BytesMut::new();
        metadata.encode(&mut md);
        plain.extend_from_slice(&md);
        let boxed = salsa(&SecretKey::from(self.transient_secret), &server_transient)
            .encrypt(&nonce(b"CurveZMQINITIATE", &n.to_be_bytes()), &plain[..])
            .expect("seals");
        let mut body = b"\x08INITIATE".to_vec();
        body.extend_from_slice(self.cookie.as_deref().expect("WELCOME first"));
        body.extend_from_slice(&n.to_be_bytes());
        body.extend_from_slice(&boxed);
        body
    }

    /// A MESSAGE body carrying one frame.
    pub fn message(&self, n: u64, flags: u8, payload: &[u8]) -> Vec<u8> {
        let server_transient = self.server_transient.expect("WELCOME first");
        let mut plain = vec![flags];
        plain.extend_from_slice(payload);
        let boxed = salsa(&SecretKey::from(self.transient_secret), &server_transient)
            .encrypt(&nonce(b"CurveZMQMESSAGEC", &n.to_be_bytes()), &plain[..])
            .expect("seals");
        let mut body = b"\x07MESSAGE".to_vec();
        body.extend_from_slice(&n.to_be_bytes());
        body.extend_from_slice(&boxed);
        body
    }

    /// Opens the server's READY body.
    pub fn ready(&self, body: &[u8]) -> Metadata {
        assert_eq!(&body[..6], b"\x05READY");
        let server_transient = self.server_transient.expect("WELCOME first");
        let plain = salsa(&SecretKey::from(self.transient_secret), &server_transient)
            .decrypt(&nonce(b"CurveZMQREADY---", &body[6..14]), &body[14..])
            .expect("READY opens");
        Metadata::parse(Bytes::from(plain)).expect("metadata")
    }
}

/// Metadata announcing `socket_type`.
pub fn socket_metadata(socket_type: SocketType) -> Metadata {
    let mut md = Metadata::new();
    md.insert("Socket-Type", socket_type.as_str())
        .expect("valid");
    md
}

/// A server connection that has read a raw client's greeting; its own greeting is discarded.
pub fn greeted_server(now: Instant, zap: bool) -> Connection {
    let mut s = server_conn(now, SocketType::Router, server_keys(), zap);
    s.feed(now, &raw_greeting(1, MechanismName::CURVE));
    let greeting = take_transmit(&mut s);
    assert_eq!(greeting.len(), 64);
    s
}

/// Takes the single command frame a connection transmits, as its body.
pub fn take_command(c: &mut Connection) -> Vec<u8> {
    let bytes = take_transmit(c);
    let len = frame_len(&bytes).expect("a whole frame");
    assert_eq!(len, bytes.len(), "exactly one frame");
    frame_body(&bytes).to_vec()
}

/// A raw client that has sent HELLO (nonce `hello_nonce`) and read the WELCOME of `server`.
pub fn raw_client_after_welcome(
    now: Instant,
    server: &mut Connection,
    hello_nonce: u64,
) -> RawClient {
    let mut raw = RawClient::new(&client_keys(), server_keys().public());
    server.feed(now, &command_frame(&raw.hello(hello_nonce)));
    let welcome = take_command(server);
    raw.welcome(&welcome);
    raw
}
