//! zmtp: ØMQ (ZeroMQ) in pure Rust, native to Tokio, wire-compatible with libzmq.
//!
//! This facade re-exports the three crates of the project:
//! - [`codec`] (`zmtp-codec`): the sans-IO ZMTP 3.x wire protocol and connection state machine;
//! - [`security`] (`zmtp-security`): the security mechanisms;
//! - [`socket`] (`zmtp-socket`): the Tokio sockets.
#![forbid(unsafe_code)]

pub use zmtp_codec as codec;
pub use zmtp_security as security;
pub use zmtp_socket as socket;

pub use zmtp_codec::{Message, SocketType};
pub use zmtp_socket::{
    Context, Dealer, Error, OptionName, OptionValue, Pair, Pub, Pull, Push, Rep, Req, Result,
    Router, SocketOptions, Sub, XPub, XSub,
};
