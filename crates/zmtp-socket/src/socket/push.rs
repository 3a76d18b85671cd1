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

impl Default for Push {
    fn default() -> Self {
        Push::new()
    }
}

impl Push {
    /// A PUSH socket with libzmq's default options.
    pub fn new() -> Push {
        Push {
            base: SocketBase::new(SocketType::Push),
        }
    }

    /// Binds to an endpoint (`tcp://127.0.0.1:*`); returns the endpoint actually bound.
    pub async fn bind(&mut self, endpoint: &str) -> Result<String> {
        self.base.bind(endpoint).await
    }

    /// Connects to an endpoint; the connection is made (and remade) in the background.
    pub async fn connect(&mut self, endpoint: &str) -> Result<()> {
        self.base.connect(endpoint).await
    }

    /// Stops listening on a bound endpoint.
    pub fn unbind(&mut self, endpoint: &str) -> Result<()> {
        self.base.unbind(endpoint)
    }

    /// Drops a connected endpoint and what is queued for it.
    pub fn disconnect(&mut self, endpoint: &str) -> Result<()> {
        self.base.disconnect(endpoint)
    }

    /// Queues a message for the next peer in turn, waiting while every queue is full.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<()> {
        let mut msg = Some(non_empty(msg.into())?);
        // The common case: room now, no waiting and no waker.
        if self.base.core.poll_send_lb(None, &mut msg).is_ready() {
            return Ok(());
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
