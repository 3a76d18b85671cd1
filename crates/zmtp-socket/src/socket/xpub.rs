//! `ZMQ_XPUB`: a PUB that also receives: the subscriptions and cancels of its subscribers (a
//! message of byte 1 or 0 then the prefix; by default only the first subscription of a prefix
//! and the cancel of its last, every one with `ZMQ_XPUB_VERBOSE` / `ZMQ_XPUB_VERBOSER`), and any
//! other message a subscriber (an XSUB) sends. With `ZMQ_XPUB_MANUAL` the subscriptions are not
//! applied by themselves: the application applies them with [`XPub::subscribe`].

use std::task::Poll;

use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;

/// An XPUB socket (fan-out, plus the subscriptions upstream). Also a [`futures::Stream`] of
/// what it receives and a [`futures::Sink`] of what it sends.
#[derive(Debug)]
pub struct XPub {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds until it can go.
    sink: Option<Message>,
}

super::common_socket_methods!(XPub, SocketType::XPub, "XPUB", sink: None);
super::io_methods::dist_send_methods!(XPub);

impl XPub {
    /// The next subscription, cancel or subscriber's message, waiting for at most
    /// `ZMQ_RCVTIMEO` ([`Error::Timeout`](crate::Error::Timeout)).
    pub async fn recv(&mut self) -> crate::Result<Message> {
        let limit = self.base.options().get_rcvtimeo();
        super::io_methods::polled(limit, |cx| self.poll_recv_shared(cx)).await
    }

    /// What [`recv`](XPub::recv) would return now (`ZMQ_DONTWAIT`), else
    /// [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn try_recv(&mut self) -> crate::Result<Message> {
        super::io_methods::now(self.poll_recv_shared(None))
    }

    /// `ZMQ_XPUB_MANUAL`: subscribes the subscriber whose subscription was received last to
    /// `prefix` (`ZMQ_SUBSCRIBE` on an XPUB). Without `ZMQ_XPUB_MANUAL` libzmq refuses it.
    pub fn subscribe(&mut self, prefix: impl AsRef<[u8]>) -> crate::Result<()> {
        self.set_option(
            crate::OptionName::Subscribe,
            bytes::Bytes::copy_from_slice(prefix.as_ref()),
        )
    }

    /// `ZMQ_XPUB_MANUAL`: removes `prefix` from the subscriptions of the subscriber whose
    /// subscription was received last (`ZMQ_UNSUBSCRIBE` on an XPUB).
    pub fn unsubscribe(&mut self, prefix: impl AsRef<[u8]>) -> crate::Result<()> {
        self.set_option(
            crate::OptionName::Unsubscribe,
            bytes::Bytes::copy_from_slice(prefix.as_ref()),
        )
    }

    pub(crate) fn poll_recv_shared(
        &self,
        cx: Option<&mut std::task::Context<'_>>,
    ) -> Poll<crate::Result<Message>> {
        self.base.core.poll_recv_xpub(cx)
    }
}

super::io_methods::stream_impl!(XPub);
