//! `ZMQ_PULL`: receives messages fair-queued from its connected PUSH peers.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;
use crate::error::{Error, Result};

/// A PULL socket (pipeline input). Also a [`Stream`] of messages, ending when the socket is
/// closed.
#[derive(Debug)]
pub struct Pull {
    base: SocketBase,
}

super::common_socket_methods!(Pull, SocketType::Pull, "PULL");

impl Pull {
    /// The next message from any peer, waiting for one.
    pub async fn recv(&mut self) -> Result<Message> {
        poll_fn(|cx| self.base.core.poll_recv_fq(Some(cx)))
            .await
            .map(|(_, msg)| msg)
    }

    /// The next message if one is there (`ZMQ_DONTWAIT`), else [`Error::WouldBlock`].
    pub fn try_recv(&mut self) -> Result<Message> {
        match self.base.core.poll_recv_fq(None) {
            Poll::Ready(r) => r.map(|(_, msg)| msg),
            Poll::Pending => Err(Error::WouldBlock),
        }
    }
}

impl Stream for Pull {
    type Item = Result<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.base.core.poll_recv_fq(Some(cx)) {
            Poll::Ready(Ok((_, msg))) => Poll::Ready(Some(Ok(msg))),
            Poll::Ready(Err(Error::Closed)) => Poll::Ready(None),
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Pending => Poll::Pending,
        }
    }
}
