//! `ZMQ_REP`: the server of request/reply. It receives requests fair-queued from its peers and
//! sends each reply back to the peer that asked, strictly in turn.

use std::task::Poll;

use bytes::Bytes;
use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;
use crate::core::envelope::{split_request, wrap_reply};
use crate::core::PipeId;

/// A REP socket (receive a request, send its reply, in turn).
///
/// The request's envelope (every frame up to the empty delimiter, as REQ, DEALER and ROUTER
/// hops made it) is kept and put back on the reply; the caller sees only bodies. A request
/// without a delimiter is dropped, as libzmq does.
///
/// Also a [`futures::Stream`] of requests, ending when the socket is closed; reply to each
/// before taking the next (the stream yields
/// [`Error::InvalidState`](crate::Error::InvalidState) otherwise).
#[derive(Debug)]
pub struct Rep {
    base: SocketBase,
    /// The request being answered: its pipe and envelope.
    pending: Option<(PipeId, Vec<Bytes>)>,
}

super::common_socket_methods!(Rep, SocketType::Rep, "REP", pending: None);

impl Rep {
    /// Receives the next request's body, waiting for one for at most `ZMQ_RCVTIMEO`
    /// ([`Error::Timeout`](crate::Error::Timeout)). While a reply is due,
    /// [`Error::InvalidState`](crate::Error::InvalidState) (`EFSM`).
    pub async fn recv(&mut self) -> crate::Result<Message> {
        if let Poll::Ready(r) = self.poll_request(None) {
            return r;
        }
        let limit = self.base.options().get_rcvtimeo();
        super::io_methods::within(
            limit,
            std::future::poll_fn(|cx| self.poll_request(Some(cx))),
        )
        .await?
    }

    /// The next request if one is there (`ZMQ_DONTWAIT`), else
    /// [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn try_recv(&mut self) -> crate::Result<Message> {
        match self.poll_request(None) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(crate::Error::WouldBlock),
        }
    }

    /// Sends the reply to the request received; it goes to the peer that asked (dropped if
    /// that peer is gone or its queue is at `ZMQ_SNDHWM`, as libzmq drops it). Before a
    /// request, [`Error::InvalidState`](crate::Error::InvalidState) (`EFSM`). Never waits.
    pub async fn send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        self.try_send(msg)
    }

    /// Sends the reply (as [`send`](Rep::send), which never waits either).
    pub fn try_send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        let body = super::io_methods::non_empty(msg.into())?;
        let Some((pipe, envelope)) = self.pending.take() else {
            return Err(crate::Error::InvalidState(
                "a REP must receive a request before it replies",
            ));
        };
        self.base
            .core
            .send_to_pipe(pipe, wrap_reply(envelope, body))
    }

    fn poll_request(
        &mut self,
        mut cx: Option<&mut std::task::Context<'_>>,
    ) -> Poll<crate::Result<Message>> {
        if self.pending.is_some() {
            return Poll::Ready(Err(crate::Error::InvalidState(
                "a REP must send the reply before it receives again",
            )));
        }
        let mut read_inline = false;
        loop {
            let (pipe, msg) = match self
                .base
                .core
                .poll_recv_reading_inline(cx.as_deref_mut(), &mut read_inline)
            {
                Poll::Ready(r) => r?,
                Poll::Pending => return Poll::Pending,
            };
            if let Some((envelope, body)) = split_request(msg) {
                self.pending = Some((pipe, envelope));
                return Poll::Ready(Ok(body));
            }
        }
    }
}

impl futures::Stream for Rep {
    type Item = crate::Result<Message>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        match self.get_mut().poll_request(Some(cx)) {
            Poll::Ready(Ok(msg)) => Poll::Ready(Some(Ok(msg))),
            Poll::Ready(Err(crate::Error::Closed)) => Poll::Ready(None),
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Replies as a [`futures::Sink`]: each item is the reply to the request received last, as
/// [`Rep::send`] sends it (never waiting; before a request,
/// [`Error::InvalidState`](crate::Error::InvalidState)).
impl futures::Sink<Message> for Rep {
    type Error = crate::Error;

    fn poll_ready(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> Poll<crate::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn start_send(self: std::pin::Pin<&mut Self>, item: Message) -> crate::Result<()> {
        self.get_mut().try_send(item)
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> Poll<crate::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> Poll<crate::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
