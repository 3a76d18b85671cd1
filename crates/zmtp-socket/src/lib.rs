//! Tokio sockets for ZeroMQ: the endpoints (`tcp://`, `ipc://`, `inproc://`), the connection
//! engine that runs a [`zmtp_codec::Connection`] over a Tokio stream, the per-peer pipes with
//! their high-water marks, the socket patterns, and the socket options of libzmq's
//! `zmq_setsockopt` table.
//!
//! Sockets belong to a [`Context`]; its runtime, on threads of its own, runs their connections,
//! so a closed socket flushes its queue for up to `ZMQ_LINGER` whatever the application does
//! next.

#![deny(unsafe_code)]
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

mod context;
mod core;
pub mod endpoint;
mod engine;
pub mod error;
pub(crate) mod exit;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod monitor;
pub mod options;
pub mod proxy;
mod socket;
mod transport;

pub use context::Context;
pub use endpoint::{Endpoint, EndpointError};
pub use error::{Error, Result};
pub use monitor::{Monitor, MonitorEvent};
pub use options::{OptionError, OptionName, OptionValue, SocketOptions};
pub use proxy::{
    proxy, proxy_steerable, proxy_with_handle, ProxyCommand, ProxyControl, ProxyStatistics,
    SideStatistics,
};
pub use transport::ws::WsError;
// Every socket name (`Push`, ...), `Socket`, `kind` and its traits: a new socket type declared
// in `socket/` is exported without a change here.
pub use socket::*;
pub use zmtp_codec::{Message, SocketType};
