//! `ZMQ_PUB`: sends each message to every subscriber whose subscriptions match it (a prefix of
//! its first frame); receives nothing. A subscriber whose queue is full misses messages (libzmq
//! drops them), so a slow subscriber never holds the others back.

use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;

/// A PUB socket (fan-out to matching subscribers). Also a [`futures::Sink`] of messages.
#[derive(Debug)]
pub struct Pub {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds until it can go.
    sink: Option<Message>,
}

super::common_socket_methods!(Pub, SocketType::Pub, "PUB", sink: None);
super::io_methods::dist_send_methods!(Pub);
