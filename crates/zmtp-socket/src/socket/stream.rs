//! `ZMQ_STREAM`: raw bytes with peers that are not ZeroMQ (an HTTP client, a line protocol
//! server), over `tcp://` or `ipc://`. No ZMTP greeting or framing is ever sent or expected.

use std::task::Poll;

use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;

/// A STREAM socket: talks plain bytes to each of its connections, accepted or made, and tells
/// them apart by routing id as a ROUTER does. Also a [`futures::Stream`] of received
/// `[routing id, bytes]` messages, ending when the socket is closed. (Named `StreamSocket`
/// so as not to shadow the [`futures::Stream`] trait.)
///
/// - Each connection gets a routing id: `ZMQ_CONNECT_RID` for a connect made with that option
///   set, else a 5-byte id the socket makes up (a zero byte and a counter). A connect keeps its
///   id across reconnections.
/// - [`recv`](StreamSocket::recv) yields `[routing id, bytes]`, one message per read: a large
///   transfer arrives as several messages whose concatenation is what the peer wrote.
/// - With `ZMQ_STREAM_NOTIFY` (on by default, as in libzmq), a new connection is announced by
///   `[routing id, empty]`, and so is its loss (the peer closed it, or it failed).
/// - [`send`](StreamSocket::send) of `[routing id, data...]` writes the data frames, one after
///   the other, to that connection; `[routing id, empty]` closes it once what was sent before is
///   written (a connect is then not remade).
/// - An unknown routing id is [`Error::HostUnreachable`](crate::Error::HostUnreachable)
///   (`EHOSTUNREACH`), always (libzmq's STREAM has no non-mandatory mode); a connection whose
///   queue is at `ZMQ_SNDHWM` makes the send wait, for at most `ZMQ_SNDTIMEO`.
///
/// A ROUTER with `ZMQ_ROUTER_RAW` (libzmq's deprecated spelling of this socket) speaks raw
/// bytes the same way, with the notifications always on and ROUTER's routing rules for unknown
/// ids (`ZMQ_ROUTER_MANDATORY`).
#[derive(Debug)]
pub struct StreamSocket {
    base: SocketBase,
    /// The item a [`futures::Sink`] holds until it can go.
    sink: Option<Message>,
}

super::common_socket_methods!(StreamSocket, SocketType::Stream, "STREAM", sink: None);

impl StreamSocket {
    /// Sends `[routing id, data...]`: the data frames are written as they are to that
    /// connection; data that is empty (`[routing id, empty]`) closes the connection after what
    /// was queued before it. An unknown routing id is
    /// [`Error::HostUnreachable`](crate::Error::HostUnreachable) (`EHOSTUNREACH`); a connection
    /// whose queue is at `ZMQ_SNDHWM` makes the send wait for at most `ZMQ_SNDTIMEO`
    /// ([`Error::Timeout`](crate::Error::Timeout)). A message without a data frame is
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    pub async fn send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        self.send_shared(msg.into()).await
    }

    /// Sends without waiting (`ZMQ_DONTWAIT`): as [`send`](StreamSocket::send), but a full
    /// queue is [`Error::WouldBlock`](crate::Error::WouldBlock) (`EAGAIN`).
    pub fn try_send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        self.try_send_shared(msg.into())
    }

    /// The next message from any connection, as `[routing id, bytes]` (`[routing id, empty]`:
    /// a connection came or went, with `ZMQ_STREAM_NOTIFY`), waiting for one for at most
    /// `ZMQ_RCVTIMEO` ([`Error::Timeout`](crate::Error::Timeout)).
    pub async fn recv(&mut self) -> crate::Result<Message> {
        self.recv_shared().await
    }

    /// The next message if one is there (`ZMQ_DONTWAIT`), else
    /// [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn try_recv(&mut self) -> crate::Result<Message> {
        self.try_recv_shared()
    }

    pub(crate) async fn send_shared(&self, msg: Message) -> crate::Result<()> {
        let mut msg = Some(self.sink_item(msg)?);
        let core = &self.base.core;
        super::io_methods::polled(self.base.options().get_sndtimeo(), |cx| {
            core.poll_send_routed(cx, &mut msg, true)
        })
        .await
    }

    pub(crate) fn try_send_shared(&self, msg: Message) -> crate::Result<()> {
        let mut msg = Some(self.sink_item(msg)?);
        super::io_methods::now(self.base.core.poll_send_routed(None, &mut msg, true))
    }

    /// Sends the message in `slot` (if any), waiting for room as [`send`](StreamSocket::send)
    /// does.
    pub(crate) fn poll_send_slot(
        &self,
        cx: &mut std::task::Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<crate::Result<()>> {
        if slot.is_none() {
            return Poll::Ready(Ok(()));
        }
        self.base.core.poll_send_routed(Some(cx), slot, true)
    }

    /// Checks a message to send: a routing id and at least one data frame.
    pub(crate) fn sink_item(&self, msg: Message) -> crate::Result<Message> {
        let msg = super::io_methods::non_empty(msg)?;
        if msg.len() < 2 {
            return Err(crate::Error::InvalidArgument(
                "a STREAM message is [routing id, data] (empty data closes the connection)",
            ));
        }
        Ok(msg)
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

super::io_methods::stream_impl!(StreamSocket);
super::io_methods::sink_impl!(StreamSocket);
super::split::split_impl!(StreamSocket);
