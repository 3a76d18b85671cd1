//! NaCl's boxes as CurveZMQ uses them: XSalsa20-Poly1305 under a key that is either the
//! precomputed Curve25519 shared key of two parties (`crypto_box_beforenm`) or a random
//! symmetric key (`crypto_secretbox`, for the cookie). On the wire a box is the 16-byte
//! Poly1305 tag followed by the ciphertext, as libsodium's `*_easy` functions lay it out.
//!
//! Built from x25519-dalek, the `salsa20` crate's HSalsa20 and the XSalsa20-Poly1305 of
//! `secretbox.rs` (RustCrypto's `salsa20` and `poly1305`), rather than the crypto_box crate's
//! `SalsaBox`, for three reasons: crypto_box 0.9's `SecretKey` wipes only its scalar on drop and
//! keeps a copy of the secret bytes, while x25519-dalek's `StaticSecret` and `SharedSecret` wipe
//! themselves; x25519-dalek tells when a peer's key has low order (an all-zero shared secret),
//! which libsodium refuses and so do we; and `SalsaBox` seals through the `aead` traits, which
//! leave the tag apart from the text, where CurveZMQ wants it in front, in the same buffer. The
//! construction is the one crypto_box itself uses (X25519, then HSalsa20 with a zero nonce, then
//! XSalsa20-Poly1305), and the tests check the two agree byte for byte at every length from 0 to
//! 65,553 bytes.

use bytes::BytesMut;
use salsa20::cipher::consts::U10;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use zmtp_codec::MechanismError;

use super::nonce::Nonce;
pub(crate) use super::secretbox::BoxError;
use super::secretbox::{PrefixBox, SecretBox};
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

    /// A box key from raw bytes, for the per-box cost measurements only.
    pub(crate) fn from_bytes(key: &[u8; 32]) -> BoxKey {
        BoxKey(SecretBox::new(key))
    }

    /// Appends `Box[plaintext]` (tag, then ciphertext) to `out`. On an error `out` is as it was.
    pub(crate) fn seal_append(
        &self,
        nonce: &Nonce,
        plaintext: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), BoxError> {
        let start = out.len();
        out.reserve(TAG_LEN + plaintext.len());
        out.extend_from_slice(&[0u8; TAG_LEN]);
        out.extend_from_slice(plaintext);
        self.seal_in_place(nonce, &mut out[start..])
            .inspect_err(|_| out.truncate(start))
    }

    /// Seals `buf` in place: its first [`TAG_LEN`] bytes receive the tag, the rest is the
    /// plaintext and becomes the ciphertext.
    pub(crate) fn seal_in_place(&self, nonce: &Nonce, buf: &mut [u8]) -> Result<(), BoxError> {
        let (tag_out, text) = split_tag(buf)?;
        *tag_out = self.0.seal(nonce, text)?;
        Ok(())
    }

    /// Opens `boxed` (tag, then ciphertext) into a new buffer wiped on drop.
    pub(crate) fn open(&self, nonce: &Nonce, boxed: &[u8]) -> Result<Zeroizing<Vec<u8>>, BoxError> {
        let mut buf = Zeroizing::new(boxed.to_vec());
        self.open_in_place(nonce, &mut buf)?;
        buf.drain(..TAG_LEN);
        Ok(buf)
    }

    /// Opens `buf` (tag, then ciphertext) in place: on success `buf[TAG_LEN..]` holds the
    /// plaintext. An error when the tag does not match (wrong key, tampered bytes; `buf` is left
    /// as it was) or `buf` is shorter than a tag.
    pub(crate) fn open_in_place(&self, nonce: &Nonce, buf: &mut [u8]) -> Result<(), BoxError> {
        let (tag, text) = split_tag(buf)?;
        self.0.open(nonce, text, tag)
    }

    /// The boxes under this key whose nonces are `prefix` and a counter (one direction's
    /// MESSAGE commands), laid out as [`BoxKey`]'s: tag, then ciphertext.
    pub(crate) fn with_prefix(&self, prefix: &'static [u8; 16]) -> MessageKey {
        MessageKey(self.0.with_prefix(prefix))
    }
}

/// One direction's MESSAGE boxes: a [`BoxKey`] with its nonces' prefix fixed and its XSalsa20
/// subkey derived once (`secretbox::PrefixBox`); box `n` is the [`BoxKey`]'s under the nonce
/// `prefix || n`.
pub(crate) struct MessageKey(PrefixBox);

impl MessageKey {
    /// Seals `buf` in place under nonce `n`: its first [`TAG_LEN`] bytes receive the tag, the
    /// rest is the plaintext and becomes the ciphertext.
    pub(crate) fn seal_in_place(&self, n: u64, buf: &mut [u8]) -> Result<(), BoxError> {
        let (tag_out, text) = split_tag(buf)?;
        *tag_out = self.0.seal(n, text)?;
        Ok(())
    }

    /// Opens `buf` (tag, then ciphertext) in place under nonce `n`: on success
    /// `buf[TAG_LEN..]` holds the plaintext; on an error `buf` is left as it was.
    pub(crate) fn open_in_place(&self, n: u64, buf: &mut [u8]) -> Result<(), BoxError> {
        let (tag, text) = split_tag(buf)?;
        self.0.open(n, text, tag)
    }
}

/// A box's tag and text, in `buf` as CurveZMQ lays a box out (tag first); an error when `buf`
/// is shorter than a tag.
fn split_tag(buf: &mut [u8]) -> Result<(&mut [u8; TAG_LEN], &mut [u8]), BoxError> {
    let (tag, text) = buf
        .split_first_chunk_mut::<TAG_LEN>()
        .ok_or(BoxError::Truncated)?;
    Ok((tag, text))
}

impl BoxError {
    /// The mechanism's error for a box of ours that could not be sealed (`what`: the command,
    /// or "cookie", "vouch"). Opening failures are the peer's doing and are reported as
    /// [`MechanismError::DecryptFailed`] by the caller.
    pub(crate) fn sealing(self, what: &'static str) -> MechanismError {
        MechanismError::EncryptFailed {
            what,
            reason: self.reason(),
        }
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
        ab.seal_append(&n, b"hello", &mut out).expect("seals");
        assert_eq!(out.len(), 4 + TAG_LEN + 5);
        assert_eq!(
            ba.open(&n, &out[4..]).as_deref().map(|v| &v[..]),
            Ok(&b"hello"[..])
        );
        out[4 + TAG_LEN] ^= 1;
        assert_eq!(ba.open(&n, &out[4..]).err(), Some(BoxError::Forged));
        assert_eq!(
            ba.open(&n, &out[4..4 + TAG_LEN - 1]).err(),
            Some(BoxError::Truncated)
        );
    }

    /// A box of nothing is its tag alone, and opens (to nothing).
    #[test]
    fn an_empty_box_opens() {
        let key = BoxKey::random(&mut SecureRandom::os());
        let n = nonce::short(nonce::MESSAGE_C, 1);
        let mut out = BytesMut::new();
        key.seal_append(&n, b"", &mut out).expect("seals");
        assert_eq!(out.len(), TAG_LEN);
        assert_eq!(key.open(&n, &out).as_deref().map(|v| &v[..]), Ok(&b""[..]));
    }

    /// A box of ours that cannot be sealed is reported with the reason, whatever the box: the
    /// only text a user gets for it.
    #[test]
    fn a_box_that_cannot_be_sealed_says_why() {
        let key = BoxKey::random(&mut SecureRandom::os());
        let n = nonce::short(nonce::MESSAGE_C, 1);
        let error = key
            .seal_in_place(&n, &mut [0u8; TAG_LEN - 1])
            .expect_err("no room for the tag");
        assert_eq!(error, BoxError::Truncated);
        assert_eq!(
            error.sealing("vouch"),
            MechanismError::EncryptFailed {
                what: "vouch",
                reason: "shorter than a tag"
            }
        );
        for (error, reason) in [
            (
                BoxError::Forged,
                "the tag does not match (wrong key or tampered data)",
            ),
            (BoxError::TooLong, "longer than the XSalsa20 keystream"),
            (BoxError::Unavailable, "libsodium could not be initialised"),
        ] {
            assert_eq!(error.reason(), reason);
        }
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
        ours.seal_append(&n, b"payload", &mut out).expect("seals");
        assert_eq!(&out[..], &sealed[..]);
    }

    /// The two parties of the byte-for-byte tests: our precomputed key and crypto_box's
    /// `SalsaBox` for the same pair of secret keys.
    fn both_boxes() -> (BoxKey, crypto_box::SalsaBox) {
        let (a, b) = ([0x13u8; 32], [0x57u8; 32]);
        let b_public = PublicKey::from(&StaticSecret::from(b)).to_bytes();
        let ours = BoxKey::precompute(&StaticSecret::from(a), &b_public).expect("contributory");
        let theirs = crypto_box::SalsaBox::new(
            &crypto_box::PublicKey::from(b_public),
            &crypto_box::SecretKey::from(a),
        );
        (ours, theirs)
    }

    /// Our seal is crypto_box's (the independent RustCrypto implementation, on the previous
    /// releases of `salsa20` and `poly1305`) byte for byte, tag and ciphertext, and opens back
    /// to the text, and so is a MESSAGE box's ([`MessageKey`], its subkey derived once), over
    /// text lengths from 0 to 65,553 bytes (a 64 KiB message's box and a little more). An
    /// optimized build (`cargo test --release`) checks every length; a debug build, where the
    /// generic cipher code runs unoptimized and every length takes many minutes, checks every
    /// length to 2,048 (all alignments of Salsa20's 64-byte blocks and Poly1305's 16-byte ones,
    /// and its 4-block batches), every 97th to 65,408 and every one from 65,409 to 65,553.
    #[test]
    fn seal_is_crypto_box_at_every_length() {
        use crypto_box::aead::AeadInPlace;
        const MAX: usize = 65_553;
        let (ours, theirs) = both_boxes();
        let messages = ours.with_prefix(nonce::MESSAGE_C);
        let plain: Vec<u8> = (0..MAX).map(|i| (i * 131 + 7) as u8).collect();
        let mut mine = vec![0u8; TAG_LEN + MAX];
        let mut message = vec![0u8; TAG_LEN + MAX];
        let mut reference = vec![0u8; MAX];
        for len in crate::curve::lengths_to_check(MAX) {
            let counter = len as u64 * 0x0101_0101 + 1;
            let n = nonce::short(nonce::MESSAGE_C, counter);
            let boxed = &mut mine[..TAG_LEN + len];
            boxed[TAG_LEN..].copy_from_slice(&plain[..len]);
            ours.seal_in_place(&n, boxed).expect("seals");
            // A MESSAGE box (subkey derived once for the prefix) is the same box.
            let sealed = &mut message[..TAG_LEN + len];
            sealed[TAG_LEN..].copy_from_slice(&plain[..len]);
            messages.seal_in_place(counter, sealed).expect("seals");
            assert!(sealed == boxed, "a MESSAGE box differs at {len} bytes");
            messages.open_in_place(counter, sealed).expect("opens");
            assert!(
                sealed[TAG_LEN..] == plain[..len],
                "a MESSAGE box opens, {len} B"
            );
            let text = &mut reference[..len];
            text.copy_from_slice(&plain[..len]);
            let tag = theirs
                .encrypt_in_place_detached((&n).into(), b"", text)
                .expect("seals");
            assert!(
                boxed[..TAG_LEN] == tag[..] && boxed[TAG_LEN..] == *text,
                "our box differs from crypto_box's at {len} bytes"
            );
            ours.open_in_place(&n, boxed).expect("opens");
            assert!(
                boxed[TAG_LEN..] == plain[..len],
                "opens to the text, {len} B"
            );
        }
    }

    /// A box altered anywhere (tag, first, middle or last ciphertext byte), opened under another
    /// nonce or key, or cut short, is refused, and the bytes are left as they came; at 0, 1, 31,
    /// 32, 33 bytes and 64 KiB. What crypto_box sealed opens with us, and the other way round.
    #[test]
    fn tampered_boxes_are_refused() {
        use crypto_box::aead::Aead;
        let (ours, theirs) = both_boxes();
        let other = BoxKey::from_bytes(&[0x99; 32]);
        for len in [0, 1, 31, 32, 33, 65_536] {
            let n = nonce::short(nonce::MESSAGE_S, 5);
            let plain: Vec<u8> = (0..len).map(|i| (i * 17 + 1) as u8).collect();
            let mut sealed = BytesMut::new();
            ours.seal_append(&n, &plain, &mut sealed).expect("seals");
            let from_them = theirs.encrypt((&n).into(), &plain[..]).expect("seals");
            assert_eq!(&sealed[..], &from_them[..], "{len} bytes");
            assert_eq!(ours.open(&n, &from_them).as_deref(), Ok(&plain), "{len} B");
            let opened = theirs.decrypt((&n).into(), &sealed[..]).expect("opens");
            assert_eq!(opened, plain, "crypto_box opens ours, {len} bytes");

            let refused = |what: &str, key: &BoxKey, n: &Nonce, boxed: &[u8], why: BoxError| {
                let mut buf = boxed.to_vec();
                assert_eq!(key.open_in_place(n, &mut buf), Err(why), "{what}, {len} B");
                assert_eq!(buf, boxed, "{what} left untouched, {len} B");
                assert_eq!(key.open(n, boxed).err(), Some(why), "{what}, {len} B");
            };
            let mut spots = vec![0, TAG_LEN - 1];
            if len > 0 {
                spots.extend([TAG_LEN, TAG_LEN + len / 2, TAG_LEN + len - 1]);
            }
            for at in spots {
                for bit in [0x01u8, 0x80] {
                    let mut bad = sealed.to_vec();
                    bad[at] ^= bit;
                    refused("altered", &ours, &n, &bad, BoxError::Forged);
                }
            }
            let later = nonce::short(nonce::MESSAGE_S, 6);
            refused("another nonce", &ours, &later, &sealed, BoxError::Forged);
            let client = nonce::short(nonce::MESSAGE_C, 5);
            refused("another prefix", &ours, &client, &sealed, BoxError::Forged);
            refused("another key", &other, &n, &sealed, BoxError::Forged);
            if len > 0 {
                let cut = &sealed[..sealed.len() - 1];
                refused("cut short", &ours, &n, cut, BoxError::Forged);
            }
            let tag_cut = &sealed[..TAG_LEN - 1];
            refused(
                "shorter than a tag",
                &ours,
                &n,
                tag_cut,
                BoxError::Truncated,
            );
        }
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
