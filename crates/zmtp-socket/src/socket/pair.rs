//! `ZMQ_PAIR`: an exclusive pair: one peer at a time, messages both ways. A second peer's
//! connection is closed once its handshake is done, as libzmq drops a second pipe.

use zmtp_codec::SocketType;

use super::base::SocketBase;

/// A PAIR socket (one peer, both directions).
/// Also a [`futures::Stream`] of received messages, ending when the socket is closed.
#[derive(Debug)]
pub struct Pair {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds until a peer has room.
    sink: Option<zmtp_codec::Message>,
}

super::common_socket_methods!(Pair, SocketType::Pair, "PAIR", sink: None);
super::io_methods::lb_send_methods!(Pair);
super::io_methods::fq_recv_methods!(Pair);
super::split::split_impl!(Pair);
