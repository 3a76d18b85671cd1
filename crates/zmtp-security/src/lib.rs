//! Sans-IO security mechanisms for ZMTP, implementing [`zmtp_codec::Mechanism`].
//!
//! - [`null`]: the NULL mechanism (RFC 23/37): a READY exchange with metadata.
//!
//! Still to come here (see the project's status table): PLAIN (RFC 24), CURVE (RFC 26 with
//! libzmq's errata), GSSAPI (libzmq's wire format, behind the `gssapi` feature), the ZAP
//! request/reply encoding (RFC 27), Z85 (RFC 32) and CURVE keys.
#![forbid(unsafe_code)]

pub mod null;

pub use null::Null;
