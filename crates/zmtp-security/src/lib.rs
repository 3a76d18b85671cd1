//! Sans-IO security mechanisms for ZMTP, implementing [`zmtp_codec::Mechanism`].
//!
//! - [`null`]: the NULL mechanism (RFC 23/37): a READY exchange with metadata.
//! - [`plain`]: PLAIN (RFC 24): user name and password, checked by a ZAP handler.
//! - [`zap`]: ZAP (RFC 27) requests and replies as libzmq exchanges them, and when each
//!   mechanism consults a handler.
//! - [`curve`]: CURVE (RFC 25/26 with libzmq's errata): [`CurveClient`] and [`CurveServer`],
//!   every frame sealed after the handshake.
//! - [`keys`]: CURVE key pairs, public-from-secret, keys that print as Z85 and wipe on drop.
//! - [`rng`]: [`SecureRandom`], where the mechanisms' random bytes come from: the operating
//!   system, or a generator the caller injects (a seeded one makes a CURVE handshake replayable).
//! - [`z85`]: Z85 (RFC 32), the text form of keys.
//! - [`gssapi`]: GSSAPI (Kerberos; libzmq's wire format): the `ZMQ_GSSAPI_*` options always, the
//!   mechanisms `GssapiClient` and `GssapiServer` with the `gssapi` feature.
//!
//! # Features
//!
//! - `curve` (default): the CURVE mechanism and key generation, on RustCrypto's `salsa20` and
//!   `poly1305`, `subtle` and `x25519-dalek` (see `SECURITY.md`). Without it, the key types
//!   remain (as values options can be given) but [`CurveKeyPair`] has no values,
//!   [`CurveClient`] and [`CurveServer`] cannot be made, and [`rng`] is absent: a
//!   NULL/PLAIN-only build.
//! - `curve-sodium` (off): CURVE's XSalsa20-Poly1305 boxes on the system's libsodium (the
//!   library libzmq uses), through `libsodium-sys-stable`: faster boxes, a C library to link
//!   (found with pkg-config). The same bytes as the default's (tested at every length).
//! - `gssapi` (off): the GSSAPI mechanism, linking the system's GSS-API (MIT krb5).
// No `unsafe` at all, but in the opt-in `curve-sodium` build's calls into libsodium
// (`src/curve/sodium.rs`, the one module allowed it).
#![cfg_attr(not(feature = "curve-sodium"), forbid(unsafe_code))]
#![cfg_attr(feature = "curve-sodium", deny(unsafe_code))]
// Library code handles every failure (no `expect`; `unwrap` is warned workspace-wide), and each
// narrowing cast says why it cannot truncate or lose a sign (tests may do either).
#![cfg_attr(
    not(test),
    warn(
        clippy::expect_used,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )
)]
// Without `curve`, the module docs still name the CURVE items the default build documents.
#![cfg_attr(not(feature = "curve"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "curve")]
pub mod curve;
/// CURVE (not in this build: the `curve` feature is off). The types exist so that code naming
/// them compiles; none can be made.
#[cfg(not(feature = "curve"))]
#[path = "curve_disabled.rs"]
pub mod curve;
pub mod gssapi;
mod handshake;
pub mod keys;
pub mod null;
pub mod plain;
#[cfg(any(feature = "curve", feature = "gssapi"))]
mod record;
#[cfg(feature = "curve")]
pub mod rng;
pub mod z85;
pub mod zap;

pub use curve::{CurveClient, CurveServer};
#[cfg(feature = "gssapi")]
pub use gssapi::{GssapiClient, GssapiServer};
pub use gssapi::{GssapiOptions, NameType};
pub use keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey, KeyError};
pub use null::Null;
pub use plain::{PlainClient, PlainCredentials, PlainServer};
#[cfg(feature = "curve")]
pub use rng::SecureRandom;
