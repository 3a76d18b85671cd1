//! Where the mechanisms' random bytes come from: [`SecureRandom`], the operating system's
//! generator unless the caller hands in another cryptographically secure one.
//!
//! Every random byte a CURVE client or server uses (its transient key pair, the server's cookie
//! key, the long nonces of WELCOME, the cookie and the vouch) is drawn from the `SecureRandom`
//! the mechanism was made with, and from nothing else. The short nonces are counters and take
//! nothing from it. So a handshake made with seeded generators (a `rand_chacha::ChaCha20Rng`
//! from a fixed seed, say) puts the same bytes on the wire every time it runs, which is what a
//! test replaying a handshake, or a fuzzer, needs; production code keeps the default,
//! [`SecureRandom::os`].
//!
//! Only generators that declare themselves cryptographically secure (`rand_core::CryptoRng`) are
//! accepted: the type system keeps a statistical generator out of the keys.

use std::fmt;

use rand_core::{CryptoRng, CryptoRngCore, OsRng, RngCore};
use x25519_dalek::StaticSecret;

/// A cryptographically secure random number generator for the security mechanisms: the
/// operating system's ([`SecureRandom::os`], the default), or one the caller supplies
/// ([`SecureRandom::new`]), such as a seeded generator in a test.
///
/// It is itself a `RngCore + CryptoRng`, so it can be handed to anything that takes one
/// (for example [`CurveKeyPair::generate_with`](crate::CurveKeyPair::generate_with)).
pub struct SecureRandom(Box<dyn CryptoRngCore + Send>);

impl SecureRandom {
    /// The operating system's generator (`getrandom`, through `rand_core::OsRng`). Costs no
    /// allocation: `OsRng` has no state.
    pub fn os() -> SecureRandom {
        SecureRandom(Box::new(OsRng))
    }

    /// Draws from `rng` instead, which must be a cryptographically secure generator. With a
    /// generator seeded from a fixed value, everything drawn is the same on every run: meant for
    /// tests and fuzzing, never for production traffic.
    pub fn new<R: CryptoRngCore + Send + 'static>(rng: R) -> SecureRandom {
        SecureRandom(Box::new(rng))
    }

    /// Fills `dest` with random bytes.
    pub(crate) fn fill(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }

    /// A fresh X25519 secret key.
    pub(crate) fn x25519_secret(&mut self) -> StaticSecret {
        StaticSecret::random_from_rng(&mut *self.0)
    }
}

impl Default for SecureRandom {
    /// [`SecureRandom::os`].
    fn default() -> SecureRandom {
        SecureRandom::os()
    }
}

impl fmt::Debug for SecureRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The generator's state is a secret; its type says nothing useful either.
        f.debug_struct("SecureRandom").finish_non_exhaustive()
    }
}

impl RngCore for SecureRandom {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl CryptoRng for SecureRandom {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generator that counts up, to see that the bytes come from it.
    struct Counting(u8);

    impl RngCore for Counting {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for b in dest {
                *b = self.0;
                self.0 = self.0.wrapping_add(1);
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    // Only for this test: a counter is no secure generator.
    impl CryptoRng for Counting {}

    #[test]
    fn draws_from_the_generator_given() {
        let mut rng = SecureRandom::new(Counting(0));
        let mut buf = [0u8; 4];
        rng.fill(&mut buf);
        assert_eq!(buf, [0, 1, 2, 3]);
        let secret = rng.x25519_secret();
        let expected: Vec<u8> = (4..36).collect();
        assert_eq!(&secret.to_bytes()[..], &expected[..]);
        assert_eq!(
            format!("{rng:?}"),
            "SecureRandom { .. }",
            "Debug shows no state"
        );
    }

    #[test]
    fn the_default_is_the_os() {
        let (mut a, mut b) = (SecureRandom::default(), SecureRandom::os());
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_ne!(x, y);
    }
}
