//! CURVE, client side: HELLO, wait for WELCOME, INITIATE with the vouch, wait for READY.
//!
//! Each step is its own type holding only what that step needs, consumed by the step; a failure
//! leaves nothing behind, so the transient secret key is wiped as soon as it is no longer needed
//! or the handshake fails.
//!
//! Its random bytes (the transient key pair, the vouch's long nonce) come from the
//! [`SecureRandom`] it was made with, the operating system's unless
//! [`CurveClient::with_rng`] says otherwise.

use std::fmt;

use bytes::{BufMut, BytesMut};
use x25519_dalek::{PublicKey, StaticSecret};
use zmtp_codec::{HandshakeContext, Mechanism, MechanismError, MechanismName, RawCommand};

use super::boxes::BoxKey;
use super::nonce::{self, Counter, PeerNonce};
use super::session::Session;
use super::wire::{self, COOKIE_LEN, HELLO_LEN, HELLO_PADDING, READY_MIN, WELCOME_LEN};
use crate::keys::{CurveKeyPair, CurvePublicKey};
use crate::record::Records;
use crate::rng::SecureRandom;

/// The client side of CURVE (`ZMQ_CURVE_SERVERKEY` set): authenticates the server by its
/// long-term public key, and itself by its own key pair.
pub struct CurveClient {
    server: CurvePublicKey,
    state: State,
    /// Where every random byte of the handshake comes from.
    rng: SecureRandom,
}

enum State {
    Start(Start),
    ExpectWelcome(ExpectWelcome),
    ExpectReady(ExpectReady),
    /// The handshake is over (the session went to the connection) or failed.
    Done,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::Start(_) => "Start",
            State::ExpectWelcome(_) => "ExpectWelcome",
            State::ExpectReady(_) => "ExpectReady",
            State::Done => "Done",
        }
    }
}

impl CurveClient {
    /// A client with long-term key pair `keys` (`ZMQ_CURVE_PUBLICKEY`, `ZMQ_CURVE_SECRETKEY`)
    /// that will only talk to the server whose long-term public key is `server`
    /// (`ZMQ_CURVE_SERVERKEY`).
    ///
    /// Its random bytes come from the operating system ([`SecureRandom::os`]).
    pub fn new(keys: CurveKeyPair, server: CurvePublicKey) -> CurveClient {
        CurveClient {
            server,
            state: State::Start(Start { keys, server }),
            rng: SecureRandom::os(),
        }
    }

    /// Draws the handshake's random bytes (the transient key pair, the vouch's nonce) from `rng`
    /// instead of the operating system: with a seeded generator the client's side of the
    /// handshake is the same, byte for byte, on every run. For tests and fuzzing.
    pub fn with_rng(mut self, rng: SecureRandom) -> CurveClient {
        self.rng = rng;
        self
    }
}

impl fmt::Debug for CurveClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveClient")
            .field("server", &self.server)
            .field("state", &self.state.name())
            .finish()
    }
}

/// Before the greetings are done.
struct Start {
    keys: CurveKeyPair,
    server: CurvePublicKey,
}

impl Start {
    /// HELLO = version 1.0, padding, C', short nonce, Box[64 zeros](C'->S).
    fn send_hello(
        self,
        cx: &mut HandshakeContext<'_>,
        rng: &mut SecureRandom,
    ) -> Result<ExpectWelcome, MechanismError> {
        let transient = rng.x25519_secret();
        let transient_public = PublicKey::from(&transient).to_bytes();
        // Fails only for a server key of low order, which no real server has.
        let to_server = BoxKey::precompute(&transient, self.server.as_bytes())
            .ok_or(MechanismError::DecryptFailed { what: "HELLO" })?;
        let mut next = Counter::new();
        let n = next.next("HELLO")?;
        let mut data = BytesMut::with_capacity(HELLO_LEN - 6);
        data.put_slice(&[1, 0]);
        data.put_bytes(0, HELLO_PADDING);
        data.put_slice(&transient_public);
        data.put_u64(n);
        to_server
            .seal_append(&nonce::short(nonce::HELLO, n), &[0u8; 64], &mut data)
            .map_err(|e| e.sealing("HELLO"))?;
        cx.send_raw("HELLO", data.freeze());
        Ok(ExpectWelcome {
            keys: self.keys,
            server: self.server,
            transient,
            transient_public,
            to_server,
            next,
        })
    }
}

/// HELLO sent; the transient key pair C'/c' exists.
struct ExpectWelcome {
    keys: CurveKeyPair,
    server: CurvePublicKey,
    transient: StaticSecret,
    transient_public: [u8; 32],
    /// c' with S: opens WELCOME.
    to_server: BoxKey,
    next: Counter,
}

impl ExpectWelcome {
    /// WELCOME = long nonce, Box[S' + cookie](S->C'); answered with
    /// INITIATE = cookie, short nonce, Box[C + vouch + metadata](C'->S'),
    /// vouch = long nonce, Box[C' + S](C->S').
    fn handle(
        mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
        rng: &mut SecureRandom,
    ) -> Result<ExpectReady, MechanismError> {
        if command.is("ERROR") {
            return Err(crate::handshake::peer_error(command));
        }
        if !command.is("WELCOME") {
            return Err(wire::unexpected("WELCOME", &command));
        }
        if wire::command_len(&command) != WELCOME_LEN {
            return Err(wire::wrong_size("WELCOME", WELCOME_LEN, &command));
        }
        let failed = MechanismError::DecryptFailed { what: "WELCOME" };
        let data = &command.data;
        let welcome_nonce = wire::take::<16>(data, 0).ok_or(failed.clone())?;
        let plain = self
            .to_server
            .open(&nonce::long(nonce::WELCOME, welcome_nonce), &data[16..])
            .map_err(|_| failed.clone())?;
        let server_transient = wire::take::<32>(&plain, 0).ok_or(failed.clone())?;
        let cookie = plain.get(32..32 + COOKIE_LEN).ok_or(failed.clone())?;
        let session_key =
            BoxKey::precompute(&self.transient, server_transient).ok_or(failed.clone())?;
        let vouch_key =
            BoxKey::precompute(self.keys.secret().secret(), server_transient).ok_or(failed)?;

        let mut vouch_plain = [0u8; 64];
        vouch_plain[..32].copy_from_slice(&self.transient_public);
        vouch_plain[32..].copy_from_slice(self.server.as_bytes());
        let vouch_nonce = nonce::random16(rng);
        let metadata = cx.local_metadata();
        let mut boxed = BytesMut::with_capacity(32 + wire::VOUCH_LEN + metadata.encoded_len());
        boxed.put_slice(self.keys.public().as_bytes());
        boxed.put_slice(&vouch_nonce);
        vouch_key
            .seal_append(
                &nonce::long(nonce::VOUCH, &vouch_nonce),
                &vouch_plain,
                &mut boxed,
            )
            .map_err(|e| e.sealing("vouch"))?;
        metadata.encode(&mut boxed);

        let n = self.next.next("INITIATE")?;
        let mut initiate = BytesMut::with_capacity(COOKIE_LEN + 8 + 16 + boxed.len());
        initiate.put_slice(cookie);
        initiate.put_u64(n);
        session_key
            .seal_append(&nonce::short(nonce::INITIATE, n), &boxed, &mut initiate)
            .map_err(|e| e.sealing("INITIATE"))?;
        cx.send_raw("INITIATE", initiate.freeze());
        Ok(ExpectReady {
            key: session_key,
            next: self.next,
        })
    }
}

/// INITIATE sent; c' is gone, only the shared key of C' and S' is left.
struct ExpectReady {
    key: BoxKey,
    next: Counter,
}

impl ExpectReady {
    /// READY = short nonce, Box[metadata](S'->C'). Completes the handshake, handing the
    /// connection the session as its record layer.
    fn handle(
        self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        if command.is("ERROR") {
            return Err(crate::handshake::peer_error(command));
        }
        if !command.is("READY") {
            return Err(wire::unexpected("READY", &command));
        }
        if wire::command_len(&command) < READY_MIN {
            return Err(wire::wrong_size("READY", READY_MIN, &command));
        }
        let data = &command.data;
        let n = wire::take::<8>(data, 0)
            .map(nonce::read_u64)
            .ok_or_else(|| wire::wrong_size("READY", READY_MIN, &command))?;
        let plain = self
            .key
            .open(&nonce::short(nonce::READY, n), &data[8..])
            .map_err(|_| MechanismError::DecryptFailed { what: "READY" })?;
        let metadata =
            crate::handshake::parse_metadata("READY", bytes::Bytes::copy_from_slice(&plain))?;
        cx.check_peer_metadata(&metadata)?;
        let session = Session::client(self.key, self.next, PeerNonce::starting_at(n));
        cx.complete_sealed(metadata, Box::new(Records(session)));
        Ok(())
    }
}

impl Mechanism for CurveClient {
    fn name(&self) -> MechanismName {
        MechanismName::CURVE
    }

    fn start(&mut self, cx: &mut HandshakeContext<'_>) -> Result<(), MechanismError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start(start) => {
                self.state = State::ExpectWelcome(start.send_hello(cx, &mut self.rng)?);
                Ok(())
            }
            other => {
                let got = format!("a second start in state {}", other.name());
                self.state = other;
                Err(MechanismError::UnexpectedCommand {
                    expected: "nothing",
                    got,
                })
            }
        }
    }

    fn handle_command(
        &mut self,
        cx: &mut HandshakeContext<'_>,
        command: RawCommand,
    ) -> Result<(), MechanismError> {
        self.state = match std::mem::replace(&mut self.state, State::Done) {
            State::ExpectWelcome(step) => {
                State::ExpectReady(step.handle(cx, command, &mut self.rng)?)
            }
            State::ExpectReady(step) => {
                step.handle(cx, command)?;
                State::Done
            }
            State::Start(_) | State::Done => {
                return Err(wire::unexpected("nothing", &command));
            }
        };
        Ok(())
    }
}
