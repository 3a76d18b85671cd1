//! The sockets users hold: a shared base (endpoints, options, close with linger) and one typed
//! socket per ZeroMQ socket type, exposing only what that type can do.

pub(crate) mod base;
mod pull;
mod push;

pub use pull::Pull;
pub use push::Push;
