//! `ZMQ_XSUB`: a SUB whose subscriptions are messages the application sends (byte 1 then the
//! prefix to subscribe, byte 0 then the prefix to cancel), and which passes up everything its
//! publishers send, unfiltered. Other messages it sends go to every publisher (libzmq 4.2+).
//! Built for devices: an XSUB facing the publishers, an XPUB facing the subscribers.

use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;

/// An XSUB socket. Also a [`futures::Stream`] of received messages and a [`futures::Sink`] of
/// subscriptions.
#[derive(Debug)]
pub struct XSub {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds (an XSUB send never waits, so never for long).
    sink: Option<Message>,
}

super::common_socket_methods!(XSub, SocketType::XSub, "XSUB", sink: None);
super::io_methods::fq_recv_methods!(XSub);

impl XSub {
    /// Sends a subscription (`[1, prefix...]`), a cancel (`[0, prefix...]`) or another message
    /// to the publishers. Never waits: a message for a publisher whose queue is full is dropped
    /// for it (subscriptions are always queued).
    pub async fn send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        self.try_send_shared(msg.into())
    }

    /// As [`send`](XSub::send), which never waits either.
    pub fn try_send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        self.try_send_shared(msg.into())
    }

    pub(crate) fn try_send_shared(&self, msg: Message) -> crate::Result<()> {
        self.base.core.send_xsub(super::io_methods::non_empty(msg)?)
    }

    pub(crate) fn poll_send_slot(
        &self,
        _cx: &mut std::task::Context<'_>,
        slot: &mut Option<Message>,
    ) -> std::task::Poll<crate::Result<()>> {
        std::task::Poll::Ready(match slot.take() {
            Some(msg) => self.try_send_shared(msg),
            None => Ok(()),
        })
    }

    pub(crate) fn sink_item(&self, msg: Message) -> crate::Result<Message> {
        super::io_methods::non_empty(msg)
    }
}

super::io_methods::sink_impl!(XSub);
