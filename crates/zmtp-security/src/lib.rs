//! Sans-IO security mechanisms for ZMTP, implementing [`zmtp_codec::Mechanism`].
//!
//! - [`null`]: the NULL mechanism (RFC 23/37): a READY exchange with metadata.
//! - [`plain`]: PLAIN (RFC 24): user name and password, checked by a ZAP handler.
//! - [`zap`]: ZAP (RFC 27) requests and replies as libzmq exchanges them, and when each
//!   mechanism consults a handler.
#![forbid(unsafe_code)]

pub mod null;
pub mod plain;
pub mod zap;

pub use null::Null;
pub use plain::{PlainClient, PlainCredentials, PlainServer};
