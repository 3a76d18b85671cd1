//! `ZMQ_DEALER`: asynchronous request/reply: sends round-robin to its peers (REP, ROUTER,
//! DEALER) and receives fair-queued from them, adding and removing no envelope.

use zmtp_codec::SocketType;

use super::base::SocketBase;

/// A DEALER socket (round-robin out, fair-queued in).
/// Also a [`futures::Stream`] of received messages, ending when the socket is closed.
#[derive(Debug)]
pub struct Dealer {
    base: SocketBase,
}

super::common_socket_methods!(Dealer, SocketType::Dealer, "DEALER");
super::io_methods::lb_send_methods!(Dealer);
super::io_methods::fq_recv_methods!(Dealer);
