//! XSalsa20-Poly1305 on libsodium, for the opt-in `curve-sodium` feature: the handshake's boxes
//! on `crypto_secretbox_detached` and `crypto_secretbox_open_detached` (the functions under
//! libzmq's own CURVE boxes), and MESSAGE boxes, whose XSalsa20 subkey is derived once a
//! connection (`secretbox::PrefixBox`), on libsodium's Salsa20 and Poly1305. The same functions
//! as `secretbox.rs`'s RustCrypto compositions: tests check them byte for byte at every text
//! length from 0 to 65,553.
//!
//! The only `unsafe` code of this crate, and only in this build: calls into the C library with
//! pointers and lengths taken from live Rust slices and arrays of the sizes libsodium requires.
#![allow(unsafe_code)]

use std::sync::OnceLock;

use zeroize::Zeroizing;

use libsodium_sys as ffi;

use super::nonce::Nonce;
use super::secretbox::BoxError;

/// libsodium must be initialised (it picks its implementations for this CPU) before any other
/// call; `sodium_init` may be called again and from any thread, but once is enough.
fn ready() -> Result<(), BoxError> {
    static INIT: OnceLock<bool> = OnceLock::new();
    // SAFETY: `sodium_init` takes no arguments and is safe to call more than once.
    let ok = *INIT.get_or_init(|| unsafe { ffi::sodium_init() } >= 0);
    if ok {
        Ok(())
    } else {
        Err(BoxError::Unavailable)
    }
}

/// Encrypts `text` in place under `key` and `nonce`, and returns its tag.
pub(crate) fn seal(key: &[u8; 32], nonce: &Nonce, text: &mut [u8]) -> Result<[u8; 16], BoxError> {
    ready()?;
    let len = u64::try_from(text.len()).map_err(|_| BoxError::TooLong)?;
    let mut tag = [0u8; 16];
    let at = text.as_mut_ptr();
    // SAFETY: `at` points to `len` writable bytes (the text, which libsodium reads and
    // overwrites: its documentation allows the ciphertext and the message to be the same
    // buffer); `tag` is 16 writable bytes, `nonce` 24 and `key` 32 readable ones, the sizes of
    // crypto_secretbox_MACBYTES, NONCEBYTES and KEYBYTES.
    let rc = unsafe {
        ffi::crypto_secretbox_detached(at, tag.as_mut_ptr(), at, len, nonce.as_ptr(), key.as_ptr())
    };
    // libsodium refuses only a text longer than crypto_secretbox_MESSAGEBYTES_MAX.
    if rc == 0 {
        Ok(tag)
    } else {
        Err(BoxError::TooLong)
    }
}

/// Checks `tag` over `text` and, only if it matches, decrypts `text` in place (libsodium
/// verifies before it writes: a refused box is left as it came).
pub(crate) fn open(
    key: &[u8; 32],
    nonce: &Nonce,
    text: &mut [u8],
    tag: &[u8; 16],
) -> Result<(), BoxError> {
    ready()?;
    let len = u64::try_from(text.len()).map_err(|_| BoxError::TooLong)?;
    let at = text.as_mut_ptr();
    // SAFETY: as in `seal`: `at` is `len` bytes read and, once the tag matches, overwritten in
    // place (allowed by libsodium); `tag`, `nonce` and `key` have the sizes libsodium reads.
    let rc = unsafe {
        ffi::crypto_secretbox_open_detached(at, at, tag.as_ptr(), len, nonce.as_ptr(), key.as_ptr())
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(BoxError::Forged)
    }
}

/// XSalsa20-Poly1305 with its subkey derived already (see `secretbox::PrefixBox`): encrypts
/// `text` in place under `subkey` and the Salsa20 nonce `n` (big-endian), and returns its tag.
/// libsodium's `crypto_secretbox_detached` after its HSalsa20, on its Salsa20 and Poly1305.
pub(crate) fn seal_salsa(subkey: &[u8; 32], n: u64, text: &mut [u8]) -> Result<[u8; 16], BoxError> {
    ready()?;
    let nonce = n.to_be_bytes();
    // Checked before the text is touched (as every check here: an error leaves it as it came).
    let len = u64::try_from(text.len()).map_err(|_| BoxError::TooLong)?;
    let (head, rest) = text.split_at_mut(text.len().min(32));
    // Keystream block 0: its first 32 bytes key Poly1305, its last 32 encrypt the text's first
    // 32 bytes (one Salsa20 block for both, as libsodium's own secretbox does).
    let mut block0 = Zeroizing::new([0u8; 64]);
    block0[32..32 + head.len()].copy_from_slice(head);
    xor_from_block(&mut block0[..32 + head.len()], &nonce, 0, subkey)?;
    head.copy_from_slice(&block0[32..32 + head.len()]);
    if !rest.is_empty() {
        xor_from_block(rest, &nonce, 1, subkey)?;
    }
    let mut tag = [0u8; 16];
    // SAFETY: `tag` is 16 writable bytes (crypto_onetimeauth_poly1305_BYTES); `text` is `len`
    // readable bytes; the key is block0's first 32 bytes (crypto_onetimeauth_poly1305_KEYBYTES).
    let rc = unsafe {
        ffi::crypto_onetimeauth_poly1305(tag.as_mut_ptr(), text.as_ptr(), len, block0.as_ptr())
    };
    if rc == 0 {
        Ok(tag)
    } else {
        Err(BoxError::TooLong)
    }
}

/// Opens what [`seal_salsa`] sealed: checks `tag` over `text` and, only if it matches,
/// decrypts `text` in place. Keystream block 0 is made once (libsodium's
/// `crypto_secretbox_open_detached` makes it twice, for the key and for the text); the
/// plaintext it yields stays in a buffer wiped on drop until the tag is found right.
pub(crate) fn open_salsa(
    subkey: &[u8; 32],
    n: u64,
    text: &mut [u8],
    tag: &[u8; 16],
) -> Result<(), BoxError> {
    ready()?;
    let nonce = n.to_be_bytes();
    let len = u64::try_from(text.len()).map_err(|_| BoxError::TooLong)?;
    let head = text.len().min(32);
    let mut block0 = Zeroizing::new([0u8; 64]);
    block0[32..32 + head].copy_from_slice(&text[..head]);
    xor_from_block(&mut block0[..32 + head], &nonce, 0, subkey)?;
    // SAFETY: `tag` is 16 readable bytes, `text` `len` readable bytes, the key block0's first 32.
    // libsodium compares in constant time.
    let rc = unsafe {
        ffi::crypto_onetimeauth_poly1305_verify(tag.as_ptr(), text.as_ptr(), len, block0.as_ptr())
    };
    if rc != 0 {
        return Err(BoxError::Forged);
    }
    let (first, rest) = text.split_at_mut(head);
    first.copy_from_slice(&block0[32..32 + head]);
    if !rest.is_empty() {
        xor_from_block(rest, &nonce, 1, subkey)?;
    }
    Ok(())
}

/// XORs `buf` in place with the Salsa20 keystream of `key` and `nonce` from block `block` on.
/// (libsodium's `crypto_stream_salsa20_xor_ic` returns 0 for every length a slice can have; the
/// result is checked all the same.)
fn xor_from_block(
    buf: &mut [u8],
    nonce: &[u8; 8],
    block: u64,
    key: &[u8; 32],
) -> Result<(), BoxError> {
    let len = u64::try_from(buf.len()).map_err(|_| BoxError::TooLong)?;
    let at = buf.as_mut_ptr();
    // SAFETY: `at` is `len` bytes read and overwritten in place (libsodium allows the input
    // and output to be the same buffer); `nonce` is 8 readable bytes and `key` 32
    // (crypto_stream_salsa20_NONCEBYTES and KEYBYTES).
    let rc = unsafe {
        ffi::crypto_stream_salsa20_xor_ic(at, at, len, nonce.as_ptr(), block, key.as_ptr())
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(BoxError::TooLong)
    }
}
