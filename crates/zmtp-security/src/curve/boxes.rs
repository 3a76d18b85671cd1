//! NaCl's boxes as CurveZMQ uses them: XSalsa20-Poly1305 under a key that is either the
//! precomputed Curve25519 shared key of two parties (`crypto_box_beforenm`) or a random
//! symmetric key (`crypto_secretbox`, for the cookie). On the wire a box is the 16-byte
//! Poly1305 tag followed by the ciphertext, as libsodium's `*_easy` functions lay it out.
//!
//! Built from x25519-dalek, the `salsa20` crate's HSalsa20 and XSalsa20-Poly1305 from
//! `secretbox.rs`, rather than the crypto_box crate, for two reasons: crypto_box 0.9's
//! `SecretKey` wipes only its scalar on drop and keeps a copy of the secret bytes, while
//! x25519-dalek's `StaticSecret` and `SharedSecret` wipe themselves; and x25519-dalek tells when
//! a peer's key has low order (an all-zero shared secret), which libsodium refuses and so do we.
//! The construction is the one crypto_box itself uses (X25519, then HSalsa20 with a zero nonce,
//! then XSalsa20-Poly1305), and a test checks the two agree.

use bytes::BytesMut;
use salsa20::cipher::consts::U10;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use super::nonce::Nonce;
use super::secretbox::SecretBox;
use crate::rng::SecureRandom;

/// The Poly1305 tag in front of every box.
pub(crate) const TAG_LEN: usize = 16;

/// A box key, wiped on drop.
pub(crate) struct BoxKey(SecretBox);

impl BoxKey {
    /// The shared key of `ours` and `theirs`, or `None` if `theirs` has low order (the shared
    /// secret is all zeros, which libsodium's `crypto_box_beforenm` refuses).
    pub(crate) fn precompute(ours: &StaticSecret, theirs: &[u8; 32]) -> Option<BoxKey> {
        let shared = ours.diffie_hellman(&PublicKey::from(*theirs));
        if !shared.was_contributory() {
            return None;
        }
        // HSalsa20 (20 rounds: U10 double rounds) of the shared secret with a zero nonce.
        let mut derived = salsa20::hsalsa::<U10>(shared.as_bytes().into(), &Default::default());
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&derived);
        derived.as_mut_slice().zeroize();
        Some(BoxKey(SecretBox::new(&key)))
    }

    /// A fresh random symmetric key from `rng` (the server's cookie key).
    pub(crate) fn random(rng: &mut SecureRandom) -> BoxKey {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill(key.as_mut());
        BoxKey(SecretBox::new(&key))
    }

    /// Appends `Box[plaintext]` (tag, then ciphertext) to `out`.
    pub(crate) fn seal_append(&self, nonce: &Nonce, plaintext: &[u8], out: &mut BytesMut) {
        let start = out.len();
        out.reserve(TAG_LEN + plaintext.len());
        out.extend_from_slice(&[0u8; TAG_LEN]);
        out.extend_from_slice(plaintext);
        self.seal_in_place(nonce, &mut out[start..]);
    }

    /// Seals `buf` in place: its first [`TAG_LEN`] bytes receive the tag, the rest is the
    /// plaintext and becomes the ciphertext.
    pub(crate) fn seal_in_place(&self, nonce: &Nonce, buf: &mut [u8]) {
        let (tag_out, text) = buf.split_at_mut(TAG_LEN);
        tag_out.copy_from_slice(&self.0.seal(nonce, text));
    }

    /// Opens `boxed` (tag, then ciphertext) into a new buffer wiped on drop.
    pub(crate) fn open(&self, nonce: &Nonce, boxed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let mut buf = Zeroizing::new(boxed.to_vec());
        self.open_in_place(nonce, &mut buf)?;
        buf.drain(..TAG_LEN);
        Some(buf)
    }

    /// Opens `buf` (tag, then ciphertext) in place: on success `buf[TAG_LEN..]` holds the
    /// plaintext. `None` when the tag does not match (wrong key, tampered bytes) or `buf` is
    /// shorter than a tag.
    pub(crate) fn open_in_place(&self, nonce: &Nonce, buf: &mut [u8]) -> Option<()> {
        if buf.len() < TAG_LEN {
            return None;
        }
        let (tag, text) = buf.split_at_mut(TAG_LEN);
        let tag: &[u8; TAG_LEN] = (&*tag).try_into().ok()?;
        self.0.open(nonce, text, tag).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::nonce;
    use rand_core::OsRng;

    #[test]
    fn seals_and_opens() {
        let a = StaticSecret::random_from_rng(OsRng);
        let b = StaticSecret::random_from_rng(OsRng);
        let ab = BoxKey::precompute(&a, PublicKey::from(&b).as_bytes()).expect("contributory");
        let ba = BoxKey::precompute(&b, PublicKey::from(&a).as_bytes()).expect("contributory");
        let n = nonce::short(nonce::MESSAGE_C, 7);
        let mut out = BytesMut::from(&b"head"[..]);
        ab.seal_append(&n, b"hello", &mut out);
        assert_eq!(out.len(), 4 + TAG_LEN + 5);
        assert_eq!(
            ba.open(&n, &out[4..]).as_deref().map(|v| &v[..]),
            Some(&b"hello"[..])
        );
        out[4 + TAG_LEN] ^= 1;
        assert!(ba.open(&n, &out[4..]).is_none());
        assert!(ba.open(&n, &out[4..4 + TAG_LEN - 1]).is_none());
    }

    /// A box of nothing is its tag alone, and opens (to nothing).
    #[test]
    fn an_empty_box_opens() {
        let key = BoxKey::random(&mut SecureRandom::os());
        let n = nonce::short(nonce::MESSAGE_C, 1);
        let mut out = BytesMut::new();
        key.seal_append(&n, b"", &mut out);
        assert_eq!(out.len(), TAG_LEN);
        assert_eq!(
            key.open(&n, &out).as_deref().map(|v| &v[..]),
            Some(&b""[..])
        );
    }

    #[test]
    fn agrees_with_crypto_box() {
        use crypto_box::aead::Aead;
        let (a, b) = ([3u8; 32], [9u8; 32]);
        let b_public = PublicKey::from(&StaticSecret::from(b)).to_bytes();
        let ours = BoxKey::precompute(&StaticSecret::from(a), &b_public).expect("contributory");
        let theirs = crypto_box::SalsaBox::new(
            &crypto_box::PublicKey::from(b_public),
            &crypto_box::SecretKey::from(a),
        );
        let n = nonce::short(nonce::HELLO, 1);
        let sealed = theirs.encrypt((&n).into(), &b"payload"[..]).expect("seals");
        let mut out = BytesMut::new();
        ours.seal_append(&n, b"payload", &mut out);
        assert_eq!(&out[..], &sealed[..]);
    }

    #[test]
    fn low_order_keys_are_refused() {
        let a = StaticSecret::random_from_rng(OsRng);
        assert!(BoxKey::precompute(&a, &[0u8; 32]).is_none());
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(BoxKey::precompute(&a, &one).is_none());
    }
}
