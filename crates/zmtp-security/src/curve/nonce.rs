//! CurveZMQ nonces: 24 bytes, a 16-byte prefix and a 64-bit counter (short nonces), or an 8-byte
//! prefix and 16 random bytes (long nonces); and the counters behind the short ones.
//!
//! Each side numbers its short-nonce commands from 1 (the client: HELLO 1, INITIATE 2, MESSAGEs
//! from 3; the server: READY 1, MESSAGEs from 2) and requires the peer's numbers to increase
//! strictly, which is what stops replayed and reordered commands.

use zmtp_codec::MechanismError;

use crate::rng::SecureRandom;

/// A 24-byte XSalsa20 nonce.
pub(crate) type Nonce = [u8; 24];

/// HELLO, client to server.
pub(crate) const HELLO: &[u8; 16] = b"CurveZMQHELLO---";
/// INITIATE, client to server.
pub(crate) const INITIATE: &[u8; 16] = b"CurveZMQINITIATE";
/// READY, server to client.
pub(crate) const READY: &[u8; 16] = b"CurveZMQREADY---";
/// MESSAGE, client to server (RFC 26's grammar says `CurveZMQMESSAGE-`; libzmq uses C and S).
pub(crate) const MESSAGE_C: &[u8; 16] = b"CurveZMQMESSAGEC";
/// MESSAGE, server to client.
pub(crate) const MESSAGE_S: &[u8; 16] = b"CurveZMQMESSAGES";
/// WELCOME's long nonce.
pub(crate) const WELCOME: &[u8; 8] = b"WELCOME-";
/// The cookie's long nonce.
pub(crate) const COOKIE: &[u8; 8] = b"COOKIE--";
/// The vouch's long nonce.
pub(crate) const VOUCH: &[u8; 8] = b"VOUCH---";

/// A short nonce: prefix and big-endian counter.
pub(crate) fn short(prefix: &[u8; 16], n: u64) -> Nonce {
    let mut nonce = [0u8; 24];
    nonce[..16].copy_from_slice(prefix);
    nonce[16..].copy_from_slice(&n.to_be_bytes());
    nonce
}

/// A long nonce: prefix and the 16 bytes that travel on the wire.
pub(crate) fn long(prefix: &[u8; 8], random: &[u8; 16]) -> Nonce {
    let mut nonce = [0u8; 24];
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(random);
    nonce
}

/// 16 random bytes from `rng` for a long nonce.
pub(crate) fn random16(rng: &mut SecureRandom) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    bytes
}

/// Reads a big-endian u64 from exactly 8 bytes.
pub(crate) fn read_u64(bytes: &[u8; 8]) -> u64 {
    u64::from_be_bytes(*bytes)
}

/// Our short-nonce counter.
#[derive(Debug)]
pub(crate) struct Counter(u64);

impl Counter {
    /// A counter whose first value is 1.
    pub(crate) fn new() -> Counter {
        Counter(1)
    }

    /// The next value. A nonce must never repeat under one key, so the counter refuses to wrap
    /// (after 2^64 - 1 commands, which no connection lives to send).
    pub(crate) fn next(&mut self, command: &'static str) -> Result<u64, MechanismError> {
        let n = self.0;
        // The error is made only on the way out (`ok_or` made, and dropped, one a MESSAGE).
        let Some(next) = n.checked_add(1) else {
            return Err(MechanismError::NonceNotIncreasing {
                command,
                last: n,
                got: n,
            });
        };
        self.0 = next;
        Ok(n)
    }
}

/// The last short nonce accepted from the peer.
#[derive(Debug)]
pub(crate) struct PeerNonce(u64);

impl PeerNonce {
    /// Starts from the peer's first short nonce (HELLO's at the server, READY's at the client),
    /// which libzmq takes as it comes.
    pub(crate) fn starting_at(first: u64) -> PeerNonce {
        PeerNonce(first)
    }

    /// Checks that `got` is above the last nonce, without recording it (the caller records it
    /// with [`PeerNonce::accept`] once the box opened).
    pub(crate) fn check(&self, command: &'static str, got: u64) -> Result<(), MechanismError> {
        if got <= self.0 {
            return Err(MechanismError::NonceNotIncreasing {
                command,
                last: self.0,
                got,
            });
        }
        Ok(())
    }

    /// Records `got` as the last nonce.
    pub(crate) fn accept(&mut self, got: u64) {
        self.0 = got;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Long nonces' random halves come from the generator: two in a row differ (by chance
    /// with probability 2^-128 from the OS's generator).
    #[test]
    fn random_halves_differ() {
        let mut rng = SecureRandom::os();
        let (a, b) = (random16(&mut rng), random16(&mut rng));
        assert_ne!(a, b);
        assert_ne!(a, [0; 16]);
    }

    #[test]
    fn layouts() {
        let n = short(MESSAGE_C, 3);
        assert_eq!(&n[..16], b"CurveZMQMESSAGEC");
        assert_eq!(&n[16..], &[0, 0, 0, 0, 0, 0, 0, 3]);
        let n = long(VOUCH, &[7; 16]);
        assert_eq!(&n[..8], b"VOUCH---");
        assert_eq!(&n[8..], &[7; 16]);
    }

    #[test]
    fn counters() {
        let mut c = Counter::new();
        assert_eq!(c.next("HELLO"), Ok(1));
        assert_eq!(c.next("INITIATE"), Ok(2));
        let mut c = Counter(u64::MAX);
        assert!(c.next("MESSAGE").is_err());
        let mut p = PeerNonce::starting_at(1);
        assert!(p.check("MESSAGE", 1).is_err());
        assert_eq!(p.check("MESSAGE", 2), Ok(()));
        p.accept(5);
        assert_eq!(
            p.check("MESSAGE", 4),
            Err(MechanismError::NonceNotIncreasing {
                command: "MESSAGE",
                last: 5,
                got: 4
            })
        );
    }
}
