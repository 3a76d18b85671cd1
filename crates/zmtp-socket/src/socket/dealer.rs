//! `ZMQ_DEALER`: asynchronous request/reply: sends round-robin to its peers (REP, ROUTER,
//! DEALER) and receives fair-queued from them, adding and removing no envelope.

use zmtp_codec::SocketType;

use super::base::SocketBase;

/// A DEALER socket (round-robin out, fair-queued in).
/// Also a [`futures::Stream`] of received messages, ending when the socket is closed.
#[derive(Debug)]
pub struct Dealer {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds until a peer has room.
    sink: Option<zmtp_codec::Message>,
}

super::common_socket_methods!(Dealer, SocketType::Dealer, "DEALER", sink: None);
super::io_methods::lb_send_methods!(Dealer);
super::io_methods::fq_recv_methods!(Dealer);
super::split::split_impl!(Dealer);
