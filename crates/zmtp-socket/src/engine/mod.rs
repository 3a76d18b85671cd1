//! The connection engine: one task per connection, running a [`zmtp_codec::Protocol`] (ZMTP, or
//! a STREAM peer's raw bytes) over a byte stream in one loop ([`driver`]) and moving messages
//! between it and the socket's pipe.

pub(crate) mod blocking;
pub(crate) mod driver;
pub(crate) mod read_pool;
pub(crate) mod settings;
pub(crate) mod trace;
pub(crate) mod zap;

pub(crate) use settings::ConnectionSettings;
