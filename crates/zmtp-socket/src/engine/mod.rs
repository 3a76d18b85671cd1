//! The connection engine: one task per connection, running a [`zmtp_codec::Connection`] over a
//! byte stream and moving messages between it and the socket's pipe.

pub(crate) mod blocking;
pub(crate) mod driver;
pub(crate) mod raw;
pub(crate) mod settings;
pub(crate) mod trace;
pub(crate) mod zap;

pub(crate) use settings::ConnectionSettings;
