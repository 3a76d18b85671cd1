//! XSalsa20-Poly1305 under a 32-byte key (NaCl's `crypto_secretbox`), in place with a detached
//! tag, on one of two implementations chosen by length, both from crates:
//!
//! - below [`SIMD_FROM`] bytes: the `salsa20` crate's XSalsa20 and `orion`'s portable Poly1305.
//!   The `poly1305` crate's AVX2 backend, which it picks at run time on x86-64, costs several
//!   microseconds per tag whatever the length (about 5,000 instructions for an 81-byte MESSAGE,
//!   against a few hundred for a portable Poly1305): that fixed cost alone held CURVE at 64-byte
//!   messages to a third of libzmq's rate.
//! - from [`SIMD_FROM`] bytes: `salsabox`, whose Salsa20 runs on SSE4.2/AVX2 (the `salsa20`
//!   crate has no SIMD backend and costs about 4 cycles a byte) with the `poly1305` crate's AVX2
//!   backend, whose per-byte rate is twice the portable one once its fixed cost is spread.
//!
//! Both compute the same function (a test checks them against each other and against the
//! `crypto_box` crate at every length around the switch), so the choice is invisible on the
//! wire. The construction: the first 32 bytes of the XSalsa20 keystream are the Poly1305 key,
//! the rest encrypts the text, and the tag authenticates the ciphertext. Opening checks the tag
//! (in constant time) before it decrypts a byte.

use orion::hazardous::mac::poly1305::{OneTimeKey, Poly1305, Tag};
use salsa20::cipher::{KeyIvInit, StreamCipher};
use salsa20::XSalsa20;
use zeroize::Zeroizing;

use super::nonce::Nonce;

/// From this many bytes of text on, the SIMD implementation: its fixed cost is paid back there
/// (on an AVX2 Zen 3 core, a 1 KiB message's 1,025-byte text took 10-15 % less time on the
/// portable one, a 2,049-byte text about 25 % less on the SIMD one, an 81-byte text a third of
/// the time on the portable one).
pub(crate) const SIMD_FROM: usize = 1536;

/// A secret box key; every copy of the key is wiped on drop.
pub(crate) struct SecretBox {
    key: Zeroizing<[u8; 32]>,
    simd: salsabox::SecretBox,
}

impl SecretBox {
    /// A box under `key`.
    pub(crate) fn new(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            key: Zeroizing::new(*key),
            simd: salsabox::SecretBox::from_key(key),
        }
    }

    /// Encrypts `text` in place and returns its tag.
    pub(crate) fn seal(&self, nonce: &Nonce, text: &mut [u8]) -> [u8; 16] {
        if text.len() >= SIMD_FROM {
            return self.simd.encrypt_detached(nonce, text);
        }
        let (mut stream, mac_key) = self.stream(nonce);
        stream.apply_keystream(text);
        let mut tag = [0u8; 16];
        // orion's Poly1305 fails only on a wrong key length, which a 32-byte array rules out;
        // were it to fail, the all-zero tag is refused by the peer.
        if let Ok(t) = Poly1305::poly1305(&mac_key, text) {
            tag.copy_from_slice(t.unprotected_as_ref());
        }
        tag
    }

    /// Checks `tag` over `text` and, only if it matches, decrypts `text` in place. `false` (and
    /// `text` untouched) when it does not match.
    pub(crate) fn open(&self, nonce: &Nonce, text: &mut [u8], tag: &[u8; 16]) -> bool {
        if text.len() >= SIMD_FROM {
            return self.simd.decrypt_detached(nonce, text, tag).is_ok();
        }
        let (mut stream, mac_key) = self.stream(nonce);
        if Poly1305::verify(&Tag::from(*tag), &mac_key, text).is_err() {
            return false;
        }
        stream.apply_keystream(text);
        true
    }

    /// The XSalsa20 stream for `nonce`, past the Poly1305 key it starts with, and that key.
    fn stream(&self, nonce: &Nonce) -> (XSalsa20, OneTimeKey) {
        let mut stream = XSalsa20::new((&*self.key).into(), nonce.into());
        let mut mac_key = Zeroizing::new([0u8; 32]);
        stream.apply_keystream(mac_key.as_mut());
        // A 32-byte slice always makes a key; the fallback (all zeros) cannot happen.
        let mac_key =
            OneTimeKey::try_from(&mac_key[..]).unwrap_or_else(|_| OneTimeKey::from([0; 32]));
        (stream, mac_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two implementations agree with each other and with the `crypto_box` crate's
    /// XSalsa20-Poly1305, at lengths on both sides of the switch.
    #[test]
    fn both_implementations_are_crypto_secretbox() {
        use crypto_secretbox::aead::{AeadInPlace, KeyInit};
        let key = [0x5au8; 32];
        let ours = SecretBox::new(&key);
        let reference = crypto_secretbox::XSalsa20Poly1305::new(&key.into());
        for len in [
            0,
            1,
            15,
            16,
            17,
            31,
            32,
            33,
            63,
            64,
            65,
            81,
            1041,
            SIMD_FROM - 1,
            SIMD_FROM,
            SIMD_FROM + 1,
            65_553,
        ] {
            let nonce: Nonce = std::array::from_fn(|i| (i * 7 + len) as u8);
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 + 3) as u8).collect();
            let mut mine = plain.clone();
            let tag = ours.seal(&nonce, &mut mine);
            let mut theirs = plain.clone();
            let their_tag = reference
                .encrypt_in_place_detached((&nonce).into(), b"", &mut theirs)
                .expect("seals");
            assert_eq!(mine, theirs, "ciphertext at {len} bytes");
            assert_eq!(&tag[..], &their_tag[..], "tag at {len} bytes");

            let mut opened = mine.clone();
            assert!(ours.open(&nonce, &mut opened, &tag), "opens at {len} bytes");
            assert_eq!(opened, plain, "plaintext at {len} bytes");

            let mut bad_tag = tag;
            bad_tag[len % 16] ^= 0x80;
            let mut untouched = mine.clone();
            assert!(
                !ours.open(&nonce, &mut untouched, &bad_tag),
                "bad tag at {len} bytes"
            );
            assert_eq!(
                untouched, mine,
                "a refused box is left as it was, {len} bytes"
            );
            if len > 0 {
                let mut tampered = mine.clone();
                tampered[len / 2] ^= 1;
                assert!(
                    !ours.open(&nonce, &mut tampered, &tag),
                    "tampered at {len} bytes"
                );
            }
        }
    }
}
