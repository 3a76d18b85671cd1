//! Tokio sockets for ZeroMQ (the next stage of the project).
//!
//! This crate will hold the endpoints (`tcp://`, `ipc://`, `inproc://`), the connection driver
//! that runs a [`zmtp_codec::Connection`] over a Tokio stream, the per-peer pipes with their
//! high-water marks, the socket patterns (REQ/REP, DEALER/ROUTER, PUSH/PULL, PAIR, PUB/SUB,
//! XPUB/XSUB, STREAM) and the socket options of libzmq's `zmq_setsockopt` table. Until then it
//! only re-exports the codec types its API will be built on.

mod core;
pub mod endpoint;
mod engine;
pub mod error;
pub mod options;
mod socket;
mod transport;

pub use endpoint::{Endpoint, EndpointError};
pub use error::{Error, Result};
pub use options::{OptionError, OptionName, OptionValue, SocketOptions};
pub use socket::{Dealer, Pair, Pull, Push, Rep, Req, Router};
pub use zmtp_codec::{Message, SocketType};
