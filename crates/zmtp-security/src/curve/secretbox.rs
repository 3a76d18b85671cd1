//! XSalsa20-Poly1305 under a 32-byte key (NaCl's `crypto_secretbox`), in place with a detached
//! tag, on RustCrypto's crates alone: XSalsa20 from `salsa20`, Poly1305 from `poly1305`, the tag
//! compared in constant time with `subtle`. The same composition as RustCrypto's
//! `crypto_secretbox` (which the tests check it against byte for byte), written out here only
//! to keep it in place and free of allocation on the buffer the session hands it, and to turn
//! every failure into a [`BoxError`].
//!
//! The construction: the first 32 bytes of the XSalsa20 keystream are the one-time Poly1305
//! key, the rest encrypts the text, and the tag authenticates the ciphertext (without padding).
//! Opening checks the tag before it decrypts a byte, so a refused box is left as it came.
//! Every key, one-time key and cipher state is wiped when dropped (`Zeroizing`, and the
//! `zeroize` features of `salsa20` and `poly1305`).
//!
//! With the opt-in `curve-sodium` feature, [`SecretBox::seal`] and [`SecretBox::open`] call
//! libsodium instead (`sodium.rs`), and this composition remains only as the reference its test
//! checks libsodium against.

use poly1305::universal_hash::KeyInit;
use poly1305::Poly1305;
use salsa20::cipher::consts::U10;
use salsa20::cipher::{KeyIvInit, StreamCipher};
use salsa20::{Salsa20, XSalsa20};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::nonce::Nonce;

/// Why a box was not sealed or opened. Nothing is ever sealed or delivered on an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BoxError {
    /// The tag does not match the ciphertext: a wrong key or nonce, or tampered bytes.
    Forged,
    /// Fewer bytes than a tag.
    Truncated,
    /// More text than an XSalsa20 keystream covers (2^64 blocks: not reachable in memory, but
    /// the cipher reports it, and so do we).
    TooLong,
    /// libsodium could not be initialised (the `curve-sodium` build only).
    #[cfg_attr(not(feature = "curve-sodium"), allow(dead_code))]
    Unavailable,
}

impl BoxError {
    /// What went wrong, in words.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            BoxError::Forged => "the tag does not match (wrong key or tampered data)",
            BoxError::Truncated => "shorter than a tag",
            BoxError::TooLong => "longer than the XSalsa20 keystream",
            BoxError::Unavailable => "libsodium could not be initialised",
        }
    }
}

/// A secret box key; every copy of the key is wiped on drop.
pub(crate) struct SecretBox {
    key: Zeroizing<[u8; 32]>,
}

impl SecretBox {
    /// A box under `key`.
    pub(crate) fn new(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            key: Zeroizing::new(*key),
        }
    }

    /// Encrypts `text` in place and returns its tag: on libsodium in a `curve-sodium` build, on
    /// RustCrypto's crates otherwise.
    pub(crate) fn seal(&self, nonce: &Nonce, text: &mut [u8]) -> Result<[u8; 16], BoxError> {
        #[cfg(feature = "curve-sodium")]
        return super::sodium::seal(&self.key, nonce, text);
        #[cfg(not(feature = "curve-sodium"))]
        return self.seal_rustcrypto(nonce, text);
    }

    /// Checks `tag` over `text` and, only if it matches, decrypts `text` in place. On an error
    /// `text` is untouched. On libsodium in a `curve-sodium` build, on RustCrypto's otherwise.
    pub(crate) fn open(
        &self,
        nonce: &Nonce,
        text: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), BoxError> {
        #[cfg(feature = "curve-sodium")]
        return super::sodium::open(&self.key, nonce, text, tag);
        #[cfg(not(feature = "curve-sodium"))]
        return self.open_rustcrypto(nonce, text, tag);
    }

    /// [`SecretBox::seal`] on RustCrypto's crates.
    #[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
    fn seal_rustcrypto(&self, nonce: &Nonce, text: &mut [u8]) -> Result<[u8; 16], BoxError> {
        seal_on(XSalsa20::new((&*self.key).into(), nonce.into()), text)
    }

    /// [`SecretBox::open`] on RustCrypto's crates.
    #[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
    fn open_rustcrypto(
        &self,
        nonce: &Nonce,
        text: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), BoxError> {
        open_on(XSalsa20::new((&*self.key).into(), nonce.into()), text, tag)
    }

    /// The boxes under this key whose nonces begin with `prefix` (one direction's MESSAGE
    /// commands), with their XSalsa20 subkey derived once.
    pub(crate) fn with_prefix(&self, prefix: &[u8; 16]) -> PrefixBox {
        // XSalsa20's subkey: HSalsa20 (20 rounds: U10 double rounds) of the key and the nonce's
        // first 16 bytes.
        let mut derived = salsa20::hsalsa::<U10>((&*self.key).into(), prefix.into());
        let mut subkey = Zeroizing::new([0u8; 32]);
        subkey.copy_from_slice(&derived);
        derived.as_mut_slice().zeroize();
        PrefixBox { subkey }
    }
}

/// The boxes under one key whose nonces all begin with the same 16 bytes, as CurveZMQ's MESSAGE
/// nonces do (`CurveZMQMESSAGEC` or `CurveZMQMESSAGES`, then a 64-bit counter).
///
/// XSalsa20 under a key and a 24-byte nonce is Salsa20 under a subkey, HSalsa20 of the key and
/// the nonce's first 16 bytes, and the nonce's last 8. With the first 16 bytes fixed, the subkey
/// is the same for every box: it is derived once here (it costs as much as a Salsa20 block)
/// rather than once a box, and each box is Salsa20 under it with the counter as its nonce. The
/// boxes are [`SecretBox`]'s byte for byte (the tests check it at every length). The subkey
/// is wiped on drop.
pub(crate) struct PrefixBox {
    subkey: Zeroizing<[u8; 32]>,
}

impl PrefixBox {
    /// Encrypts `text` in place under the nonce `prefix || n` (big-endian) and returns its tag:
    /// on libsodium in a `curve-sodium` build, on RustCrypto's crates otherwise.
    pub(crate) fn seal(&self, n: u64, text: &mut [u8]) -> Result<[u8; 16], BoxError> {
        #[cfg(feature = "curve-sodium")]
        return super::sodium::seal_salsa(&self.subkey, n, text);
        #[cfg(not(feature = "curve-sodium"))]
        return self.seal_rustcrypto(n, text);
    }

    /// Checks `tag` over `text` and, only if it matches, decrypts `text` in place (nonce
    /// `prefix || n`). On an error `text` is untouched.
    pub(crate) fn open(&self, n: u64, text: &mut [u8], tag: &[u8; 16]) -> Result<(), BoxError> {
        #[cfg(feature = "curve-sodium")]
        return super::sodium::open_salsa(&self.subkey, n, text, tag);
        #[cfg(not(feature = "curve-sodium"))]
        return self.open_rustcrypto(n, text, tag);
    }

    /// The Salsa20 stream of box `n`.
    #[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
    fn stream(&self, n: u64) -> Salsa20 {
        Salsa20::new((&*self.subkey).into(), (&n.to_be_bytes()).into())
    }

    /// [`PrefixBox::seal`] on RustCrypto's crates.
    #[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
    fn seal_rustcrypto(&self, n: u64, text: &mut [u8]) -> Result<[u8; 16], BoxError> {
        seal_on(self.stream(n), text)
    }

    /// [`PrefixBox::open`] on RustCrypto's crates.
    #[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
    fn open_rustcrypto(&self, n: u64, text: &mut [u8], tag: &[u8; 16]) -> Result<(), BoxError> {
        open_on(self.stream(n), text, tag)
    }
}

/// Seals `text` in place with `stream`, a fresh XSalsa20 or Salsa20 keystream: its first 32
/// bytes key Poly1305, the rest encrypts the text; the tag authenticates the ciphertext.
#[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
fn seal_on(mut stream: impl StreamCipher, text: &mut [u8]) -> Result<[u8; 16], BoxError> {
    let mac = one_time_mac(&mut stream)?;
    stream
        .try_apply_keystream(text)
        .map_err(|_| BoxError::TooLong)?;
    Ok(mac.compute_unpadded(text).into())
}

/// Opens `text` in place with `stream` as [`seal_on`] sealed it: the tag is checked before a
/// byte is decrypted.
#[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
fn open_on(mut stream: impl StreamCipher, text: &mut [u8], tag: &[u8; 16]) -> Result<(), BoxError> {
    let mac = one_time_mac(&mut stream)?;
    // The right tag for this text is a forgery for whoever reads it: wiped too.
    let expected: Zeroizing<[u8; 16]> = Zeroizing::new(mac.compute_unpadded(text).into());
    if !bool::from(expected.ct_eq(tag)) {
        return Err(BoxError::Forged);
    }
    stream
        .try_apply_keystream(text)
        .map_err(|_| BoxError::TooLong)
}

/// The Poly1305 state under the keystream's first 32 bytes (the stream moves past them).
#[cfg_attr(all(feature = "curve-sodium", not(test)), allow(dead_code))]
fn one_time_mac(stream: &mut impl StreamCipher) -> Result<Poly1305, BoxError> {
    let mut mac_key = Zeroizing::new([0u8; 32]);
    stream
        .try_apply_keystream(mac_key.as_mut())
        .map_err(|_| BoxError::TooLong)?;
    Ok(Poly1305::new((&*mac_key).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With `curve-sodium`, libsodium's boxes are the RustCrypto composition's byte for byte,
    /// tag and ciphertext, and each opens what the other sealed, at every text length from 0 to
    /// 65,553 in an optimized build (`cargo test --release --features curve-sodium`); a debug
    /// build, where the RustCrypto side runs unoptimized, checks every length to 2,048, every
    /// 97th to 65,408 and every one from 65,409 to 65,553. Tampered boxes are refused by both.
    #[cfg(feature = "curve-sodium")]
    #[test]
    fn sodium_is_the_rustcrypto_box() {
        const MAX: usize = 65_553;
        let ours = SecretBox::new(&[0xc3; 32]);
        let plain: Vec<u8> = (0..MAX).map(|i| (i * 29 + 11) as u8).collect();
        let mut a = vec![0u8; MAX];
        let mut b = vec![0u8; MAX];
        for len in crate::curve::lengths_to_check(MAX) {
            let nonce: Nonce = std::array::from_fn(|i| (i * 13 + len) as u8);
            let (a, b) = (&mut a[..len], &mut b[..len]);
            a.copy_from_slice(&plain[..len]);
            b.copy_from_slice(&plain[..len]);
            let tag_a = super::super::sodium::seal(&ours.key, &nonce, a).expect("seals");
            let tag_b = ours.seal_rustcrypto(&nonce, b).expect("seals");
            assert!(tag_a == tag_b && a == b, "libsodium differs at {len} bytes");
            if len > 0 {
                a[len - 1] ^= 0x40;
                let refused = super::super::sodium::open(&ours.key, &nonce, a, &tag_a);
                assert_eq!(refused, Err(BoxError::Forged), "tampered, {len} bytes");
                assert_eq!(
                    ours.open_rustcrypto(&nonce, a, &tag_a),
                    Err(BoxError::Forged)
                );
                a[len - 1] ^= 0x40;
                assert!(a == b, "a refused box is left as it was, {len} bytes");
            }
            ours.open_rustcrypto(&nonce, a, &tag_a)
                .expect("RustCrypto opens libsodium's");
            super::super::sodium::open(&ours.key, &nonce, b, &tag_b).expect("and back");
            assert!(
                a == b && b == &plain[..len],
                "opens to the text, {len} bytes"
            );
        }
    }

    /// A [`PrefixBox`] (the subkey of the nonces' prefix derived once) seals and opens as
    /// [`SecretBox`] does under the whole nonce, byte for byte, at every text length from 0 to
    /// 65,553 ([`crate::curve::lengths_to_check`]): on RustCrypto's crates, and on libsodium in a
    /// `curve-sodium` build (each opens what the other sealed). A box altered in its tag, its
    /// first or its last byte, or opened under the next counter, is refused by both and left as
    /// it came.
    #[test]
    fn a_prefix_box_is_the_secret_box_of_its_nonce() {
        const MAX: usize = 65_553;
        let key = [0x6du8; 32];
        let whole = SecretBox::new(&key);
        let prefixed = whole.with_prefix(crate::curve::nonce::MESSAGE_S);
        let plain: Vec<u8> = (0..MAX).map(|i| (i * 43 + 5) as u8).collect();
        let (mut a, mut b, mut c) = (vec![0u8; MAX], vec![0u8; MAX], vec![0u8; MAX]);
        for len in crate::curve::lengths_to_check(MAX) {
            let n = (len as u64) << 40 | 0x00ff_00ff_0001;
            let nonce = crate::curve::nonce::short(crate::curve::nonce::MESSAGE_S, n);
            let (a, b, c) = (&mut a[..len], &mut b[..len], &mut c[..len]);
            for text in [&mut *a, &mut *b, &mut *c] {
                text.copy_from_slice(&plain[..len]);
            }
            let tag_a = whole.seal_rustcrypto(&nonce, a).expect("seals");
            let tag_b = prefixed.seal(n, b).expect("seals");
            let tag_c = prefixed.seal_rustcrypto(n, c).expect("seals");
            assert!(
                tag_a == tag_b && a == b && tag_a == tag_c && a == c,
                "a prefix box differs at {len} bytes"
            );
            let mut spots = vec![("tag", None)];
            if len > 0 {
                spots.extend([("first byte", Some(0)), ("last byte", Some(len - 1))]);
            }
            for (what, forged) in spots {
                let mut tag = tag_b;
                match forged {
                    Some(at) => b[at] ^= 0x20,
                    None => tag[len % 16] ^= 0x20,
                }
                let copy = b.to_vec();
                assert_eq!(
                    prefixed.open(n, b, &tag),
                    Err(BoxError::Forged),
                    "{what}, {len} B"
                );
                assert_eq!(
                    prefixed.open_rustcrypto(n, b, &tag),
                    Err(BoxError::Forged),
                    "{what}, {len} B"
                );
                assert!(
                    b == copy,
                    "a refused box is left as it came ({what}, {len} B)"
                );
                if let Some(at) = forged {
                    b[at] ^= 0x20;
                }
            }
            assert_eq!(
                prefixed.open(n + 1, b, &tag_b),
                Err(BoxError::Forged),
                "the next counter, {len} B"
            );
            prefixed
                .open(n, b, &tag_c)
                .expect("opens the RustCrypto box");
            prefixed
                .open_rustcrypto(n, c, &tag_b)
                .expect("and the other way round");
            whole.open_rustcrypto(&nonce, a, &tag_a).expect("opens");
            assert!(
                a == &plain[..len] && b == &plain[..len] && c == &plain[..len],
                "opens to the text, {len} bytes"
            );
        }
    }

    /// Agrees with RustCrypto's `crypto_secretbox` (its own composition, on the previous
    /// releases of `salsa20` and `poly1305`), opens what it sealed, and refuses tampering
    /// without touching the text.
    #[test]
    fn is_crypto_secretbox() {
        use crypto_secretbox::aead::{AeadInPlace, KeyInit};
        let key = [0x5au8; 32];
        let ours = SecretBox::new(&key);
        let reference = crypto_secretbox::XSalsa20Poly1305::new(&key.into());
        for len in [
            0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 81, 1041, 1535, 1536, 1537, 65_553,
        ] {
            let nonce: Nonce = std::array::from_fn(|i| (i * 7 + len) as u8);
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 + 3) as u8).collect();
            let mut mine = plain.clone();
            let tag = ours.seal(&nonce, &mut mine).expect("seals");
            let mut theirs = plain.clone();
            let their_tag = reference
                .encrypt_in_place_detached((&nonce).into(), b"", &mut theirs)
                .expect("seals");
            assert_eq!(mine, theirs, "ciphertext at {len} bytes");
            assert_eq!(&tag[..], &their_tag[..], "tag at {len} bytes");

            let mut opened = mine.clone();
            assert_eq!(ours.open(&nonce, &mut opened, &tag), Ok(()), "{len} bytes");
            assert_eq!(opened, plain, "plaintext at {len} bytes");

            let mut bad_tag = tag;
            bad_tag[len % 16] ^= 0x80;
            let mut untouched = mine.clone();
            assert_eq!(
                ours.open(&nonce, &mut untouched, &bad_tag),
                Err(BoxError::Forged),
                "bad tag at {len} bytes"
            );
            assert_eq!(untouched, mine, "a refused box is left as it was, {len} B");
            if len > 0 {
                let mut tampered = mine.clone();
                tampered[len / 2] ^= 1;
                assert_eq!(
                    ours.open(&nonce, &mut tampered, &tag),
                    Err(BoxError::Forged),
                    "tampered at {len} bytes"
                );
            }
        }
    }
}
