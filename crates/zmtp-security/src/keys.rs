//! CURVE keys: Curve25519 public and secret keys, 32 bytes each, written as 40 Z85 characters.
//!
//! [`CurveKeyPair::generate`] is libzmq's `zmq_curve_keypair`, [`CurveSecretKey::public_key`]
//! its `zmq_curve_public`. Both key types accept what `ZMQ_CURVE_PUBLICKEY`,
//! `ZMQ_CURVE_SECRETKEY` and `ZMQ_CURVE_SERVERKEY` accept: 32 raw bytes, 40 Z85 characters, or
//! 41 bytes whose last is a NUL (a C string). Secret keys are wiped from memory on drop and never
//! shown by `Debug`.
//!
//! Without the `curve` feature the key types are still here (an option can be given one, and
//! refuses it, naming the feature), but nothing that needs Curve25519 is: no key generation,
//! no public-from-secret, and a [`CurveKeyPair`] cannot be made at all.

use std::fmt;
use std::str::FromStr;

#[cfg(feature = "curve")]
use rand_core::{CryptoRngCore, OsRng};
#[cfg(feature = "curve")]
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::z85::{self, Z85Error};

/// Length of a CURVE key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of a CURVE key in Z85 characters.
pub const Z85_KEY_LEN: usize = 40;

/// A key that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Neither 32 bytes, nor 40 Z85 characters, nor 41 bytes ending in NUL.
    #[error(
        "a CURVE key is 32 bytes, 40 Z85 characters or 41 bytes ending in NUL, not {len} bytes"
    )]
    InvalidLength {
        /// The length given.
        len: usize,
    },
    /// 41 bytes whose last is not the NUL that ends a C string.
    #[error("a 41-byte CURVE key must end with a NUL byte")]
    MissingNul,
    /// 40 characters that are not Z85.
    #[error("CURVE key: {0}")]
    Z85(#[from] Z85Error),
}

/// The option rule: 32 raw bytes, 40 Z85 characters, or 41 bytes ending in NUL.
fn parse_key(input: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let text = match input.len() {
        KEY_LEN => {
            let mut key = Zeroizing::new([0u8; KEY_LEN]);
            key.copy_from_slice(input);
            return Ok(key);
        }
        Z85_KEY_LEN => input,
        41 if input[Z85_KEY_LEN] == 0 => &input[..Z85_KEY_LEN],
        41 => return Err(KeyError::MissingNul),
        len => return Err(KeyError::InvalidLength { len }),
    };
    let decoded = Zeroizing::new(z85::decode(text)?);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    // 40 valid characters always decode to 32 bytes.
    key.copy_from_slice(&decoded);
    Ok(key)
}

/// A Curve25519 public key: a server's long-term key `S` (`ZMQ_CURVE_SERVERKEY`) or a client's
/// `C` (`ZMQ_CURVE_PUBLICKEY`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurvePublicKey([u8; KEY_LEN]);

impl CurvePublicKey {
    /// The key with these 32 bytes.
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> CurvePublicKey {
        CurvePublicKey(bytes)
    }

    /// Parses 32 raw bytes, 40 Z85 characters, or 41 bytes ending in NUL.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<CurvePublicKey, KeyError> {
        parse_key(input.as_ref()).map(|key| CurvePublicKey(*key))
    }

    /// Parses 40 Z85 characters.
    pub fn from_z85(text: &str) -> Result<CurvePublicKey, KeyError> {
        if text.len() != Z85_KEY_LEN {
            return Err(KeyError::InvalidLength { len: text.len() });
        }
        CurvePublicKey::parse(text)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The 40 Z85 characters.
    pub fn to_z85(&self) -> String {
        z85::encode(&self.0).unwrap_or_default()
    }
}

impl From<[u8; KEY_LEN]> for CurvePublicKey {
    fn from(bytes: [u8; KEY_LEN]) -> CurvePublicKey {
        CurvePublicKey(bytes)
    }
}

impl TryFrom<&[u8]> for CurvePublicKey {
    type Error = KeyError;

    fn try_from(input: &[u8]) -> Result<CurvePublicKey, KeyError> {
        CurvePublicKey::parse(input)
    }
}

impl FromStr for CurvePublicKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<CurvePublicKey, KeyError> {
        CurvePublicKey::from_z85(text)
    }
}

impl fmt::Display for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl fmt::Debug for CurvePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CurvePublicKey")
            .field(&self.to_z85())
            .finish()
    }
}

/// A Curve25519 secret key (`ZMQ_CURVE_SECRETKEY`). Wiped from memory on drop; `Debug` does not
/// show it. `Display` and [`CurveSecretKey::to_z85`] do, on purpose: that is how keys are saved.
#[derive(Clone)]
pub struct CurveSecretKey(
    #[cfg(feature = "curve")] StaticSecret,
    #[cfg(not(feature = "curve"))] Zeroizing<[u8; KEY_LEN]>,
);

impl CurveSecretKey {
    /// The key with these 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> CurveSecretKey {
        #[cfg(feature = "curve")]
        return CurveSecretKey(StaticSecret::from(bytes));
        #[cfg(not(feature = "curve"))]
        return CurveSecretKey(Zeroizing::new(bytes));
    }

    /// Parses 32 raw bytes, 40 Z85 characters, or 41 bytes ending in NUL.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<CurveSecretKey, KeyError> {
        parse_key(input.as_ref()).map(|key| CurveSecretKey::from_bytes(*key))
    }

    /// Parses 40 Z85 characters.
    pub fn from_z85(text: &str) -> Result<CurveSecretKey, KeyError> {
        if text.len() != Z85_KEY_LEN {
            return Err(KeyError::InvalidLength { len: text.len() });
        }
        CurveSecretKey::parse(text)
    }

    /// A fresh key from the operating system's random number generator.
    #[cfg(feature = "curve")]
    pub fn generate() -> CurveSecretKey {
        CurveSecretKey::generate_with(&mut OsRng)
    }

    /// A fresh key from `rng`, a cryptographically secure generator (such as a
    /// [`SecureRandom`](crate::SecureRandom), or a seeded generator in a test).
    #[cfg(feature = "curve")]
    pub fn generate_with<R: CryptoRngCore + ?Sized>(rng: &mut R) -> CurveSecretKey {
        CurveSecretKey(StaticSecret::random_from_rng(rng))
    }

    /// The matching public key (libzmq's `zmq_curve_public`).
    #[cfg(feature = "curve")]
    pub fn public_key(&self) -> CurvePublicKey {
        CurvePublicKey(PublicKey::from(&self.0).to_bytes())
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        #[cfg(feature = "curve")]
        return self.0.as_bytes();
        #[cfg(not(feature = "curve"))]
        return &self.0;
    }

    /// The 40 Z85 characters, in a string wiped on drop.
    pub fn to_z85(&self) -> Zeroizing<String> {
        Zeroizing::new(z85::encode(self.as_bytes()).unwrap_or_default())
    }

    /// The key for Diffie-Hellman.
    #[cfg(feature = "curve")]
    pub(crate) fn secret(&self) -> &StaticSecret {
        &self.0
    }
}

impl From<[u8; KEY_LEN]> for CurveSecretKey {
    fn from(bytes: [u8; KEY_LEN]) -> CurveSecretKey {
        CurveSecretKey::from_bytes(bytes)
    }
}

impl TryFrom<&[u8]> for CurveSecretKey {
    type Error = KeyError;

    fn try_from(input: &[u8]) -> Result<CurveSecretKey, KeyError> {
        CurveSecretKey::parse(input)
    }
}

impl FromStr for CurveSecretKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<CurveSecretKey, KeyError> {
        CurveSecretKey::from_z85(text)
    }
}

impl fmt::Display for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl fmt::Debug for CurveSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("CurveSecretKey");
        #[cfg(feature = "curve")]
        out.field("public", &self.public_key());
        out.finish_non_exhaustive()
    }
}

/// A long-term key pair: a server's `S`/`s` or a client's `C`/`c`.
///
/// Without the `curve` feature this type has no values (the public half cannot be computed),
/// so no CURVE connection can be made by mistake.
#[derive(Clone)]
pub struct CurveKeyPair {
    #[cfg(feature = "curve")]
    public: CurvePublicKey,
    #[cfg(feature = "curve")]
    secret: CurveSecretKey,
    #[cfg(not(feature = "curve"))]
    never: std::convert::Infallible,
}

#[cfg(not(feature = "curve"))]
impl CurveKeyPair {
    /// The public half.
    pub fn public(&self) -> &CurvePublicKey {
        match self.never {}
    }

    /// The secret half.
    pub fn secret(&self) -> &CurveSecretKey {
        match self.never {}
    }

    /// Proof that whatever holds a pair is never reached in this build.
    pub(crate) fn unreachable(&self) -> ! {
        match self.never {}
    }
}

#[cfg(feature = "curve")]
impl CurveKeyPair {
    /// A fresh pair from the operating system's random number generator (libzmq's
    /// `zmq_curve_keypair`).
    pub fn generate() -> CurveKeyPair {
        CurveKeyPair::from_secret(CurveSecretKey::generate())
    }

    /// A fresh pair from `rng`, a cryptographically secure generator (such as a
    /// [`SecureRandom`](crate::SecureRandom), or a seeded generator in a test).
    pub fn generate_with<R: CryptoRngCore + ?Sized>(rng: &mut R) -> CurveKeyPair {
        CurveKeyPair::from_secret(CurveSecretKey::generate_with(rng))
    }

    /// The pair of a secret key.
    pub fn from_secret(secret: CurveSecretKey) -> CurveKeyPair {
        CurveKeyPair {
            public: secret.public_key(),
            secret,
        }
    }

    /// The public half.
    pub fn public(&self) -> &CurvePublicKey {
        &self.public
    }

    /// The secret half.
    pub fn secret(&self) -> &CurveSecretKey {
        &self.secret
    }
}

#[cfg(feature = "curve")]
impl From<CurveSecretKey> for CurveKeyPair {
    fn from(secret: CurveSecretKey) -> CurveKeyPair {
        CurveKeyPair::from_secret(secret)
    }
}

impl fmt::Debug for CurveKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveKeyPair")
            .field("public", self.public())
            .finish_non_exhaustive()
    }
}
