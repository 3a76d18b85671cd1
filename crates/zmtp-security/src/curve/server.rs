//! CURVE, server side: HELLO, WELCOME with a cookie, INITIATE with the vouch, the ZAP verdict if
//! a handler is consulted, READY.
//!
//! The cookie is sealed under a random key made for this connection alone; the key is wiped as
//! soon as INITIATE has been checked (or the handshake fails), so a cookie can never be opened
//! again. libzmq keeps the server's transient secret key between WELCOME and INITIATE and so do
//! we, checking that the cookie holds exactly this connection's C' and s'.
//!
//! Its random bytes (the transient key pair, the cookie key, the long nonces of the cookie and
//! of WELCOME) come from the [`SecureRandom`] it was made with, the operating system's unless
//! [`CurveServer::with_rng`] says otherwise.

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;
use zmtp_codec::{
    HandshakeContext, Mechanism, MechanismError, MechanismName, Metadata, RawCommand, ZapReply,
};

use super::boxes::BoxKey;
use super::nonce::{self, Counter, PeerNonce};
use super::session::Session;
use super::wire::{self, COOKIE_LEN, HELLO_LEN, HELLO_PADDING, INITIATE_MIN, VOUCH_LEN};
use crate::keys::{CurveKeyPair, CurvePublicKey};
use crate::record::Records;
use crate::rng::SecureRandom;
use crate::zap;

/// The server side of CURVE (`ZMQ_CURVE_SERVER` = 1 with `ZMQ_CURVE_SECRETKEY`).
///
/// Whether a ZAP handler is asked about each client is the socket's choice, made with
/// [`CurveServer::with_zap`]: libzmq asks one when one is bound, and otherwise accepts every
/// client whose vouch is valid (the "Stonehouse" pattern: encryption without authentication).
pub struct CurveServer {
    public: CurvePublicKey,
    zap: bool,
    state: State,
    /// Where every random byte of the handshake comes from.
    rng: SecureRandom,
}

enum State {
    ExpectHello(ExpectHello),
    ExpectInitiate(ExpectInitiate),
    AwaitZap(AwaitZap),
    /// The handshake is over (the session went to the connection) or failed.
    Done,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::ExpectHello(_) => "ExpectHello",
            State::ExpectInitiate(_) => "ExpectInitiate",
            State::AwaitZap(_) => "AwaitZap",
            State::Done => "Done",
        }
    }
}

impl CurveServer {
    /// A server with long-term key pair `keys`, accepting every client (no ZAP handler). Its
    /// random bytes come from the operating system ([`SecureRandom::os`]).
    pub fn new(keys: CurveKeyPair) -> CurveServer {
        CurveServer {
            public: *keys.public(),
            zap: false,
            state: State::ExpectHello(ExpectHello { keys }),
            rng: SecureRandom::os(),
        }
    }

    /// Draws the handshake's random bytes (the transient key pair, the cookie key, the long
    /// nonces) from `rng` instead of the operating system: with a seeded generator the server's
    /// side of the handshake is the same, byte for byte, on every run. For tests and fuzzing.
    pub fn with_rng(mut self, rng: SecureRandom) -> CurveServer {
        self.rng = rng;
        self
    }

    /// Whether to ask the ZAP handler about each client, with its long-term public key as the
    /// credential (`true` when a handler is bound, as libzmq decides).
    pub fn with_zap(mut self, zap: bool) -> CurveServer {
        self.zap = zap;
        self
    }
}

impl fmt::Debug for CurveServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveServer")
            .field("public", &self.public)
            .field("zap", &self.zap)
            .field("state", &self.state.name())
            .finish()
    }
}

/// Waiting for the client's HELLO.
struct ExpectHello {
    keys: CurveKeyPair,
}

impl ExpectHello {
    /// HELLO = version 1.0, padding, C', short nonce, Box[64 zeros](C'->S); answered with
    /// WELCOME = long nonce, Box[S' + cookie](S->C'), cookie = long nonce, secretbox[C' + s'](K).
    fn handle(
        self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
        rng: &mut SecureRandom,
    ) -> Result<ExpectInitiate, MechanismError> {
        if !command.is("HELLO") {
            return Err(wire::unexpected("HELLO", &command));
        }
        if wire::command_len(&command) != HELLO_LEN {
            return Err(wire::wrong_size("HELLO", HELLO_LEN, &command));
        }
        let data = &command.data;
        let malformed = || wire::wrong_size("HELLO", HELLO_LEN, &command);
        let version = wire::take::<2>(data, 0).ok_or_else(malformed)?;
        if *version != [1, 0] {
            return Err(MechanismError::UnsupportedVersion {
                command: "HELLO",
                major: version[0],
                minor: version[1],
            });
        }
        let at = 2 + HELLO_PADDING;
        let client_transient = *wire::take::<32>(data, at).ok_or_else(malformed)?;
        let n = wire::take::<8>(data, at + 32)
            .map(nonce::read_u64)
            .ok_or_else(malformed)?;
        let failed = MechanismError::DecryptFailed { what: "HELLO" };
        let to_client = BoxKey::precompute(self.keys.secret().secret(), &client_transient)
            .ok_or(failed.clone())?;
        to_client
            .open(&nonce::short(nonce::HELLO, n), &data[at + 40..])
            .map_err(|_| failed)?;

        let transient = rng.x25519_secret();
        let transient_public = PublicKey::from(&transient).to_bytes();
        let cookie_key = BoxKey::random(rng);
        let mut cookie_plain = Zeroizing::new([0u8; 64]);
        cookie_plain[..32].copy_from_slice(&client_transient);
        cookie_plain[32..].copy_from_slice(transient.as_bytes());
        let cookie_nonce = nonce::random16(rng);
        let mut welcome_plain = BytesMut::with_capacity(32 + COOKIE_LEN);
        welcome_plain.put_slice(&transient_public);
        welcome_plain.put_slice(&cookie_nonce);
        cookie_key
            .seal_append(
                &nonce::long(nonce::COOKIE, &cookie_nonce),
                &cookie_plain[..],
                &mut welcome_plain,
            )
            .map_err(|e| e.sealing("cookie"))?;
        let welcome_nonce = nonce::random16(rng);
        let mut welcome = BytesMut::with_capacity(wire::WELCOME_LEN - 8);
        welcome.put_slice(&welcome_nonce);
        to_client
            .seal_append(
                &nonce::long(nonce::WELCOME, &welcome_nonce),
                &welcome_plain,
                &mut welcome,
            )
            .map_err(|e| e.sealing("WELCOME"))?;
        cx.send_raw("WELCOME", welcome.freeze());
        Ok(ExpectInitiate {
            server_public: *self.keys.public(),
            transient,
            client_transient,
            cookie_key,
            peer: PeerNonce::starting_at(n),
        })
    }
}

/// WELCOME sent; the long-term secret key is no longer needed.
struct ExpectInitiate {
    server_public: CurvePublicKey,
    transient: StaticSecret,
    client_transient: [u8; 32],
    cookie_key: BoxKey,
    peer: PeerNonce,
}

impl ExpectInitiate {
    /// INITIATE = cookie, short nonce, Box[C + vouch + metadata](C'->S'). Returns the session
    /// (server nonces start at 1, for READY), the peer's metadata and its long-term key C.
    fn handle(
        mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(Session, Metadata, [u8; 32]), MechanismError> {
        if !command.is("INITIATE") {
            return Err(wire::unexpected("INITIATE", &command));
        }
        if wire::command_len(&command) < INITIATE_MIN {
            return Err(wire::wrong_size("INITIATE", INITIATE_MIN, &command));
        }
        let data = &command.data;
        let malformed = || wire::wrong_size("INITIATE", INITIATE_MIN, &command);

        // The cookie must open under this connection's key and hold this connection's C', s'.
        let bad_cookie = MechanismError::DecryptFailed { what: "cookie" };
        let cookie_nonce = wire::take::<16>(data, 0).ok_or_else(malformed)?;
        let cookie = self
            .cookie_key
            .open(
                &nonce::long(nonce::COOKIE, cookie_nonce),
                &data[16..COOKIE_LEN],
            )
            .map_err(|_| bad_cookie.clone())?;
        if cookie[..32] != self.client_transient || cookie[32..] != self.transient.as_bytes()[..] {
            return Err(bad_cookie);
        }
        // Forget the cookie key: nothing can open this cookie any more.
        drop(self.cookie_key);

        let n = wire::take::<8>(data, COOKIE_LEN)
            .map(nonce::read_u64)
            .ok_or_else(malformed)?;
        self.peer.check("INITIATE", n)?;
        let failed = MechanismError::DecryptFailed { what: "INITIATE" };
        let key =
            BoxKey::precompute(&self.transient, &self.client_transient).ok_or(failed.clone())?;
        let plain = key
            .open(&nonce::short(nonce::INITIATE, n), &data[COOKIE_LEN + 8..])
            .map_err(|_| failed)?;
        self.peer.accept(n);

        // The vouch: Box[C' + S](C->S'), proving the holder of C sent this C'.
        let client_public = *wire::take::<32>(&plain, 0).ok_or_else(malformed)?;
        let vouch_nonce = wire::take::<16>(&plain, 32).ok_or_else(malformed)?;
        let bad_vouch = MechanismError::DecryptFailed { what: "vouch" };
        let vouch_key =
            BoxKey::precompute(&self.transient, &client_public).ok_or(bad_vouch.clone())?;
        let vouch = vouch_key
            .open(
                &nonce::long(nonce::VOUCH, vouch_nonce),
                plain.get(48..32 + VOUCH_LEN).ok_or_else(malformed)?,
            )
            .map_err(|_| bad_vouch)?;
        if vouch[..32] != self.client_transient || vouch[32..] != self.server_public.as_bytes()[..]
        {
            return Err(MechanismError::VouchMismatch);
        }

        let metadata = crate::handshake::parse_metadata(
            "INITIATE",
            bytes::Bytes::copy_from_slice(&plain[32 + VOUCH_LEN..]),
        )?;
        cx.check_peer_metadata(&metadata)?;
        let session = Session::server(key, Counter::new(), self.peer);
        Ok((session, metadata, client_public))
    }
}

/// INITIATE checked; waiting for the ZAP handler's verdict on the client's key.
struct AwaitZap {
    session: Session,
    metadata: Metadata,
}

/// READY = short nonce, Box[metadata](S'->C').
fn send_ready(cx: &mut HandshakeContext<'_>, session: &mut Session) -> Result<(), MechanismError> {
    let n = session.next_nonce("READY")?;
    let mut plain = BytesMut::with_capacity(cx.local_metadata().encoded_len());
    cx.local_metadata().encode(&mut plain);
    let mut ready = BytesMut::with_capacity(8 + 16 + plain.len());
    ready.put_u64(n);
    session
        .key()
        .seal_append(&nonce::short(nonce::READY, n), &plain, &mut ready)
        .map_err(|e| e.sealing("READY"))?;
    cx.send_raw("READY", ready.freeze());
    Ok(())
}

impl Mechanism for CurveServer {
    fn name(&self) -> MechanismName {
        MechanismName::CURVE
    }

    fn start(&mut self, _cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        // The client speaks first.
        Ok(())
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        self.state = match std::mem::replace(&mut self.state, State::Done) {
            State::ExpectHello(step) => {
                State::ExpectInitiate(step.handle(cx, command, &mut self.rng)?)
            }
            State::ExpectInitiate(step) => {
                let (mut session, metadata, client_public) = step.handle(cx, command)?;
                if self.zap {
                    cx.request_zap(vec![Bytes::copy_from_slice(&client_public)]);
                    State::AwaitZap(AwaitZap { session, metadata })
                } else {
                    send_ready(cx, &mut session)?;
                    cx.complete_sealed(metadata, Box::new(Records(session)));
                    State::Done
                }
            }
            State::AwaitZap(_) | State::Done => {
                return Err(wire::unexpected("nothing", &command));
            }
        };
        Ok(())
    }

    fn handle_zap_reply(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        reply: ZapReply,
    ) -> Result<(), MechanismError> {
        let mut step = match std::mem::replace(&mut self.state, State::Done) {
            State::AwaitZap(step) => step,
            other => {
                self.state = other;
                return Err(MechanismError::UnexpectedZapReply);
            }
        };
        zap::apply_verdict(cx, &reply, &mut step.metadata)?;
        send_ready(cx, &mut step.session)?;
        cx.complete_sealed(step.metadata, Box::new(Records(step.session)));
        Ok(())
    }
}
