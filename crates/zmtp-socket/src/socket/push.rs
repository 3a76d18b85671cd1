//! `ZMQ_PUSH`: sends messages round-robin to its connected PULL peers; blocks when every peer's queue is at `ZMQ_SNDHWM` (or there is no peer yet).

use zmtp_codec::SocketType;

use super::base::SocketBase;

/// A PUSH socket (pipeline output).
#[derive(Debug)]
pub struct Push {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds until a peer has room.
    sink: Option<zmtp_codec::Message>,
}

super::common_socket_methods!(Push, SocketType::Push, "PUSH", sink: None);
super::io_methods::lb_send_methods!(Push);
