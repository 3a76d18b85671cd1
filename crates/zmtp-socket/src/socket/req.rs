//! `ZMQ_REQ`: the client of request/reply. It sends a request, load-balanced over its peers,
//! then receives that request's reply, strictly in turn, and only from the peer it asked.
//!
//! It is not a [`futures::Stream`]: a reply is only there after a request, so there is no
//! stream of them to follow; call [`Req::send`] and [`Req::recv`] in turn.

use std::task::Poll;

use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;
use crate::core::envelope::ReqState;

/// A REQ socket (send a request, receive its reply, in turn).
///
/// The empty delimiter frame (and with `ZMQ_REQ_CORRELATE` the request id before it) is added
/// on send and removed on receive: the caller sees only bodies.
#[derive(Debug)]
pub struct Req {
    base: SocketBase,
    state: ReqState,
    /// A request a [`futures::Sink`] was given, until a peer has room for it.
    sink: Option<Message>,
}

super::common_socket_methods!(Req, SocketType::Req, "REQ", state: ReqState::default(), sink: None);

impl Req {
    /// Sends a request to the next peer in turn, waiting while none can take it (no peer yet,
    /// or every queue at `ZMQ_SNDHWM`), for at most `ZMQ_SNDTIMEO`
    /// ([`Error::Timeout`](crate::Error::Timeout)). A second request before the reply is
    /// [`Error::InvalidState`](crate::Error::InvalidState) (`EFSM`), unless `ZMQ_REQ_RELAXED`
    /// is set: then the earlier reply will be ignored.
    pub async fn send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        let mut wire = Some(self.begin(msg.into())?);
        let core = &self.base.core;
        let pipe = match core.poll_send_lb(None, &mut wire) {
            Poll::Ready(r) => r?,
            Poll::Pending => {
                let wait = std::future::poll_fn(|cx| core.poll_send_lb(Some(cx), &mut wire));
                super::io_methods::within(self.base.options().get_sndtimeo(), wait).await??
            }
        };
        self.state.sent(pipe);
        Ok(())
    }

    /// Sends a request if a peer can take it now (`ZMQ_DONTWAIT`), else
    /// [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn try_send(&mut self, msg: impl Into<Message>) -> crate::Result<()> {
        let mut wire = Some(self.begin(msg.into())?);
        match self.base.core.poll_send_lb(None, &mut wire) {
            Poll::Ready(r) => {
                self.state.sent(r?);
                Ok(())
            }
            Poll::Pending => Err(crate::Error::WouldBlock),
        }
    }

    fn begin(&mut self, body: Message) -> crate::Result<Message> {
        let body = super::io_methods::non_empty(body)?;
        if self.sink.is_some() {
            return Err(crate::Error::InvalidState(
                "a REQ's sink holds a request not flushed yet",
            ));
        }
        let opts = self.base.options();
        let (relaxed, correlate) = (opts.get_req_relaxed(), opts.get_req_correlate());
        let wire = self.state.begin_request(body, relaxed, correlate)?;
        // Replies that came in since (late ones to an earlier request) are not this one's.
        self.base.core.discard_inbound();
        Ok(wire)
    }

    /// Receives the reply to the request sent, waiting for it for at most `ZMQ_RCVTIMEO`
    /// ([`Error::Timeout`](crate::Error::Timeout)). Before a request,
    /// [`Error::InvalidState`](crate::Error::InvalidState) (`EFSM`). Messages from other peers,
    /// and with `ZMQ_REQ_CORRELATE` replies to other requests, are dropped.
    pub async fn recv(&mut self) -> crate::Result<Message> {
        self.state.check_recv()?;
        if let Poll::Ready(r) = self.poll_reply(None) {
            return r;
        }
        let limit = self.base.options().get_rcvtimeo();
        super::io_methods::within(limit, std::future::poll_fn(|cx| self.poll_reply(Some(cx))))
            .await?
    }

    /// The reply if it is there (`ZMQ_DONTWAIT`), else
    /// [`Error::WouldBlock`](crate::Error::WouldBlock).
    pub fn try_recv(&mut self) -> crate::Result<Message> {
        self.state.check_recv()?;
        match self.poll_reply(None) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(crate::Error::WouldBlock),
        }
    }

    fn poll_reply(
        &mut self,
        mut cx: Option<&mut std::task::Context<'_>>,
    ) -> Poll<crate::Result<Message>> {
        let correlate = self.base.options().get_req_correlate();
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
            if let Some(body) = self.state.accept_reply(pipe, msg, correlate) {
                return Poll::Ready(Ok(body));
            }
        }
    }
}

/// Requests as a [`futures::Sink`]: each item is a request, with the same rules as
/// [`Req::send`] (a second one before the reply is received is
/// [`Error::InvalidState`](crate::Error::InvalidState)), waiting for room without
/// `ZMQ_SNDTIMEO`.
impl futures::Sink<Message> for Req {
    type Error = crate::Error;

    fn poll_ready(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<crate::Result<()>> {
        self.get_mut().poll_push_request(cx)
    }

    fn start_send(self: std::pin::Pin<&mut Self>, item: Message) -> crate::Result<()> {
        let this = self.get_mut();
        let wire = this.begin(item)?;
        this.sink = Some(wire);
        Ok(())
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<crate::Result<()>> {
        self.get_mut().poll_push_request(cx)
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<crate::Result<()>> {
        self.get_mut().poll_push_request(cx)
    }
}

impl Req {
    /// Pushes the request a sink holds, once a peer has room.
    fn poll_push_request(&mut self, cx: &mut std::task::Context<'_>) -> Poll<crate::Result<()>> {
        if self.sink.is_none() {
            return Poll::Ready(Ok(()));
        }
        match self.base.core.poll_send_lb(Some(cx), &mut self.sink) {
            Poll::Ready(Ok(pipe)) => {
                self.state.sent(pipe);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}
