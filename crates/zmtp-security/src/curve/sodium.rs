//! XSalsa20-Poly1305 on libsodium (`crypto_secretbox_detached` and
//! `crypto_secretbox_open_detached`, the functions under libzmq's own CURVE boxes), for the
//! opt-in `curve-sodium` feature. The same function as `secretbox.rs`'s RustCrypto composition:
//! a test checks the two byte for byte at every text length from 0 to 65,553.
//!
//! The only `unsafe` code of this crate, and only in this build: calls into the C library with
//! pointers and lengths taken from live Rust slices and arrays of the sizes libsodium requires.
#![allow(unsafe_code)]

use std::sync::OnceLock;

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
