//! `ZMQ_PULL`: receives messages fair-queued from its connected PUSH peers.

use zmtp_codec::SocketType;

use super::base::SocketBase;

/// A PULL socket (pipeline input).
/// Also a [`futures::Stream`] of received messages, ending when the socket is closed.
#[derive(Debug)]
pub struct Pull {
    base: SocketBase,
}

super::common_socket_methods!(Pull, SocketType::Pull, "PULL");
super::io_methods::fq_recv_methods!(Pull);
