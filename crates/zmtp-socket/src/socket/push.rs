//! `ZMQ_PUSH`: sends messages round-robin to its connected PULL peers; blocks when every peer's
//! queue is at `ZMQ_SNDHWM` (or there is no peer yet).

use std::future::poll_fn;

use zmtp_codec::{Message, SocketType};

use super::base::SocketBase;
use crate::error::{Error, Result};

/// A PUSH socket (pipeline output).
#[derive(Debug)]
pub struct Push {
    base: SocketBase,
}

super::common_socket_methods!(Push, SocketType::Push, "PUSH");

impl Push {
    /// Queues a message for the next peer in turn, waiting while every queue is full.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<()> {
        let mut msg = Some(non_empty(msg.into())?);
        // The common case: room now, no waiting and no waker.
        if let std::task::Poll::Ready(done) = self.base.core.poll_send_lb(None, &mut msg) {
            return done.map(|_| ());
        }
        poll_fn(|cx| self.base.core.poll_send_lb(Some(cx), &mut msg))
            .await
            .map(|_| ())
    }

    /// Queues a message if a peer has room now (`ZMQ_DONTWAIT`), else [`Error::WouldBlock`].
    pub fn try_send(&mut self, msg: impl Into<Message>) -> Result<()> {
        let mut msg = Some(non_empty(msg.into())?);
        match self.base.core.poll_send_lb(None, &mut msg) {
            std::task::Poll::Ready(r) => r.map(|_| ()),
            std::task::Poll::Pending => Err(Error::WouldBlock),
        }
    }
}

pub(crate) fn non_empty(msg: Message) -> Result<Message> {
    if msg.is_empty() {
        Err(Error::EmptyMessage)
    } else {
        Ok(msg)
    }
}
