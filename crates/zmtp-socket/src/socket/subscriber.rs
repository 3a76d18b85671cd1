//! `ZMQ_SUB`: receives what its publishers send that matches its subscriptions. Subscriptions
//! are sent to every publisher it is connected to (again after a reconnect), and filtered here
//! too. They are counted, as in libzmq: subscribing twice to a prefix needs two unsubscribes.

use zmtp_codec::SocketType;

use super::base::SocketBase;

/// A SUB socket. Also a [`futures::Stream`] of received messages, ending when the socket is
/// closed. Subscribes to nothing at first: call [`Sub::subscribe`] (`b""` for everything).
#[derive(Debug)]
pub struct Sub {
    base: SocketBase,
}

super::common_socket_methods!(Sub, SocketType::Sub, "SUB");
super::io_methods::fq_recv_methods!(Sub);

impl Sub {
    /// Subscribes to messages whose first frame starts with `prefix` (`ZMQ_SUBSCRIBE`; the
    /// empty prefix matches every message).
    pub fn subscribe(&mut self, prefix: impl AsRef<[u8]>) -> crate::Result<()> {
        self.set_option(
            crate::OptionName::Subscribe,
            bytes::Bytes::copy_from_slice(prefix.as_ref()),
        )
    }

    /// Removes one subscription to `prefix` (`ZMQ_UNSUBSCRIBE`); the publishers hear of it when
    /// the last one goes.
    pub fn unsubscribe(&mut self, prefix: impl AsRef<[u8]>) -> crate::Result<()> {
        self.set_option(
            crate::OptionName::Unsubscribe,
            bytes::Bytes::copy_from_slice(prefix.as_ref()),
        )
    }
}
