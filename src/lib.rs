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
// libzmq's zmq_proxy and zmq_proxy_steerable (the `proxy` module and function), and the socket
// monitor (zmq_socket_monitor).
pub use zmtp_socket::{
    proxy, proxy_steerable, proxy_with_handle, Monitor, MonitorEvent, ProxyCommand, ProxyControl,
    ProxyStatistics,
};
