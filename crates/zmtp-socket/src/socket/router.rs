//! `ZMQ_ROUTER`: addresses peers by routing id. Every message received is prefixed with the
//! routing id of the peer it came from; every message sent starts with the routing id of the
//! peer it goes to. Peers are fair-queued on receive.

use std::task::Poll;

use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;

/// A ROUTER socket (identity routing out, fair-queued in).
/// Also a [`futures::Stream`] of received `[routing id, frames...]` messages, ending when the
/// socket is closed.
///
/// A peer's routing id is its `ZMQ_ROUTING_ID` when it set one, `ZMQ_CONNECT_RID` for a peer
/// this socket connected to with that option set, or else a 5-byte id the socket makes up
/// (a zero byte and a counter). A second peer announcing an id in use is ignored, unless
/// `ZMQ_ROUTER_HANDOVER` is set, when it takes the id over.
#[derive(Debug)]
pub struct Router {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds until it can go.
    sink: Option<Message>,
}

super::common_socket_methods!(Router, SocketType::Router, "ROUTER", sink: None);

impl Router {
    /// Sends `[routing id, frames...]`: the frames go to that peer. A message for a peer that
    /// is not connected, or whose queue is at `ZMQ_SNDHWM`, is dropped silently, as libzmq
    /// does, unless `ZMQ_ROUTER_MANDATORY` is set: then an unknown peer is
    /// [`Error::HostUnreachable`](crate::Error::HostUnreachable) (`EHOSTUNREACH`) and a full
    /// queue makes the send wait for room, for at most `ZMQ_SNDTIMEO`
    /// ([`Error::Timeout`](crate::Error::Timeout)). A message of one frame (a routing id alone)
    /// is dropped.
    pub async fn send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        self.send_shared(msg.into()).await
    }

    /// Sends without waiting (`ZMQ_DONTWAIT`): as [`send`](Router::send), but a full queue
    /// with `ZMQ_ROUTER_MANDATORY` is [`Error::WouldBlock`](crate::Error::WouldBlock)
    /// (`EAGAIN`).
    pub fn try_send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        self.try_send_shared(msg.into())
    }

    /// The next message from any peer, as `[routing id, frames...]`, waiting for one for at
    /// most `ZMQ_RCVTIMEO` ([`Error::Timeout`](crate::Error::Timeout)).
    pub async fn recv(&mut self) -> crate::Result<Message> {
        self.recv_shared().await
    }

    /// The next message if one is there (`ZMQ_DONTWAIT`), else
    /// [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn try_recv(&mut self) -> crate::Result<Message> {
        self.try_recv_shared()
    }

    pub(crate) async fn send_shared(&self, msg: Message) -> crate::Result<()> {
        let mandatory = self.base.options().get_router_mandatory();
        let mut msg = Some(super::io_methods::non_empty(msg)?);
        let core = &self.base.core;
        super::io_methods::polled(self.base.options().get_sndtimeo(), |cx| {
            core.poll_send_routed(cx, &mut msg, mandatory)
        })
        .await
    }

    pub(crate) fn try_send_shared(&self, msg: Message) -> crate::Result<()> {
        let mandatory = self.base.options().get_router_mandatory();
        let mut msg = Some(super::io_methods::non_empty(msg)?);
        super::io_methods::now(self.base.core.poll_send_routed(None, &mut msg, mandatory))
    }

    /// Sends the message in `slot` (if any), waiting for room as [`send`](Router::send) does.
    pub(crate) fn poll_send_slot(
        &self,
        cx: &mut std::task::Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<crate::Result<()>> {
        if slot.is_none() {
            return Poll::Ready(Ok(()));
        }
        let mandatory = self.base.options().get_router_mandatory();
        self.base.core.poll_send_routed(Some(cx), slot, mandatory)
    }

    pub(crate) fn sink_item(&self, msg: Message) -> crate::Result<Message> {
        super::io_methods::non_empty(msg)
    }

    pub(crate) async fn recv_shared(&self) -> crate::Result<Message> {
        super::io_methods::polled(self.base.options().get_rcvtimeo(), |cx| {
            self.poll_recv_shared(cx)
        })
        .await
    }

    pub(crate) fn try_recv_shared(&self) -> crate::Result<Message> {
        super::io_methods::now(self.poll_recv_shared(None))
    }

    pub(crate) fn poll_recv_shared(
        &self,
        cx: Option<&mut std::task::Context<'_>>,
    ) -> Poll<crate::Result<Message>> {
        self.base.core.poll_recv_routed(cx)
    }
}

super::io_methods::stream_impl!(Router);
super::io_methods::sink_impl!(Router);
super::split::split_impl!(Router);
