//! CURVE's part of the record layer (`crate::record`): the transient keys' shared key and the
//! short-nonce counters, sealing and opening MESSAGE data.
//!
//! ```text
//! MESSAGE = 07 "MESSAGE" short-nonce:u64 Box[flags:u8 payload](C'<->S')
//! ```

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use zmtp_codec::{MechanismError, RawCommand};

use super::boxes::{BoxKey, MessageKey, TAG_LEN};
use super::nonce::{self, Counter, PeerNonce};
use super::wire;
use crate::record::MessageCipher;

/// One side's keys and counters once the handshake is done.
pub(crate) struct Session {
    key: BoxKey,
    /// Our MESSAGE boxes and the peer's, under `key` with their nonce prefixes.
    send: MessageKey,
    recv: MessageKey,
    next: Counter,
    peer: PeerNonce,
}

impl Session {
    /// The client's session: seals with `CurveZMQMESSAGEC`, opens `CurveZMQMESSAGES`.
    pub(crate) fn client(key: BoxKey, next: Counter, peer: PeerNonce) -> Session {
        Session {
            send: key.with_prefix(nonce::MESSAGE_C),
            recv: key.with_prefix(nonce::MESSAGE_S),
            key,
            next,
            peer,
        }
    }

    /// The server's session: seals with `CurveZMQMESSAGES`, opens `CurveZMQMESSAGEC`.
    pub(crate) fn server(key: BoxKey, next: Counter, peer: PeerNonce) -> Session {
        Session {
            send: key.with_prefix(nonce::MESSAGE_S),
            recv: key.with_prefix(nonce::MESSAGE_C),
            key,
            next,
            peer,
        }
    }

    /// The shared key, for the handshake command sealed with it (the server's READY).
    pub(crate) fn key(&self) -> &BoxKey {
        &self.key
    }

    /// Our next short nonce, for the handshake command that uses one (the server's READY).
    pub(crate) fn next_nonce(&mut self, command: &'static str) -> Result<u64, MechanismError> {
        self.next.next(command)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is a secret; the counters say where the connection is.
        f.debug_struct("CurveSession")
            .field("next", &self.next)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl MessageCipher for Session {
    /// The short nonce this MESSAGE takes.
    type Prepared = u64;

    #[inline]
    fn prepare(&mut self, _flags: u8, body: &[u8]) -> Result<(u64, usize), MechanismError> {
        let n = self.next.next("MESSAGE")?;
        Ok((n, 8 + TAG_LEN + 1 + body.len()))
    }

    /// The nonce, then the box sealed in place behind it.
    #[inline]
    fn write(
        &mut self,
        n: u64,
        flags: u8,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), MechanismError> {
        out.extend_from_slice(&n.to_be_bytes());
        let boxed = out.len();
        out.extend_from_slice(&[0u8; TAG_LEN]);
        out.extend_from_slice(&[flags]);
        out.extend_from_slice(body);
        self.send
            .seal_in_place(n, &mut out[boxed..])
            .map_err(|e| e.sealing("MESSAGE"))
    }

    fn open(&mut self, command: &RawCommand) -> Result<(u8, Bytes), MechanismError> {
        if wire::command_len(command) < wire::MESSAGE_MIN {
            return Err(wire::wrong_size("MESSAGE", wire::MESSAGE_MIN, command));
        }
        let data = &command.data;
        let n = wire::take::<8>(data, 0)
            .map(nonce::read_u64)
            .ok_or_else(|| wire::wrong_size("MESSAGE", wire::MESSAGE_MIN, command))?;
        self.peer.check("MESSAGE", n)?;
        // The frame's memory is shared with the read buffer, so the plaintext needs its own.
        let mut buf = BytesMut::from(&data[8..]);
        self.recv
            .open_in_place(n, &mut buf)
            .map_err(|_| MechanismError::DecryptFailed { what: "MESSAGE" })?;
        self.peer.accept(n);
        // MESSAGE_MIN leaves room for the flags byte behind the tag.
        let flags = buf
            .get(TAG_LEN)
            .copied()
            .ok_or_else(|| wire::wrong_size("MESSAGE", wire::MESSAGE_MIN, command))?;
        buf.advance(TAG_LEN + 1);
        Ok((flags, buf.freeze()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SecureRandom;

    /// Debug shows where the connection is (its counters), never the key.
    #[test]
    fn debug_shows_the_counters_not_the_key() {
        let key = [9u8; 32];
        let session = Session::client(
            BoxKey::from_bytes(&key),
            Counter::new(),
            PeerNonce::starting_at(5),
        );
        assert_eq!(
            format!("{session:?}"),
            "CurveSession { next: Counter(1), peer: PeerNonce(5), .. }"
        );
        let random = Session::server(
            BoxKey::random(&mut SecureRandom::os()),
            Counter::new(),
            PeerNonce::starting_at(1),
        );
        assert!(!format!("{random:?}").contains("key"));
    }
}
