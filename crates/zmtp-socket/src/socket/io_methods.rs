//! Send and receive methods shared by the socket types that load-balance out and fair-queue in.

/// `send` / `try_send`: load-balanced over the peers with room (PUSH, DEALER, PAIR).
macro_rules! lb_send_methods {
    ($ty:ident) => {
        impl $ty {
            /// Queues a message for the next peer in turn, waiting while every peer's queue is
            /// at `ZMQ_SNDHWM` (or there is no peer yet), for at most `ZMQ_SNDTIMEO`
            /// ([`Error::Timeout`](crate::Error::Timeout); zero:
            /// [`Error::WouldBlock`](crate::Error::WouldBlock)).
            pub async fn send(
                &mut self,
                msg: impl Into<zmtp_codec::Message>,
            ) -> $crate::Result<()> {
                let mut msg = Some($crate::socket::io_methods::non_empty(msg.into())?);
                // The common case: room now, no waiting and no waker.
                if let std::task::Poll::Ready(done) = self.base.core.poll_send_lb(None, &mut msg) {
                    return done.map(|_| ());
                }
                let core = &self.base.core;
                let wait = std::future::poll_fn(|cx| core.poll_send_lb(Some(cx), &mut msg));
                $crate::socket::io_methods::within(self.base.options().get_sndtimeo(), wait)
                    .await?
                    .map(|_| ())
            }

            /// Queues a message if a peer has room now (`ZMQ_DONTWAIT`), else
            /// [`Error::WouldBlock`](crate::Error::WouldBlock).
            pub fn try_send(&mut self, msg: impl Into<zmtp_codec::Message>) -> $crate::Result<()> {
                let mut msg = Some($crate::socket::io_methods::non_empty(msg.into())?);
                match self.base.core.poll_send_lb(None, &mut msg) {
                    std::task::Poll::Ready(r) => r.map(|_| ()),
                    std::task::Poll::Pending => Err($crate::Error::WouldBlock),
                }
            }
        }
    };
}

/// `recv` / `try_recv` and [`futures::Stream`]: fair-queued from the peers (PULL, DEALER, PAIR).
macro_rules! fq_recv_methods {
    ($ty:ident) => {
        impl $ty {
            /// The next message from any peer, waiting for one for at most `ZMQ_RCVTIMEO`
            /// ([`Error::Timeout`](crate::Error::Timeout); 0: [`Error::WouldBlock`](crate::Error::WouldBlock)).
            pub async fn recv(&mut self) -> $crate::Result<zmtp_codec::Message> {
                // A message already there is taken whatever the timeout (even zero).
                if let std::task::Poll::Ready(got) = self.base.core.poll_recv_fq(None) {
                    return got.map(|(_, msg)| msg);
                }
                let core = &self.base.core;
                let wait = std::future::poll_fn(|cx| core.poll_recv_fq(Some(cx)));
                $crate::socket::io_methods::within(self.base.options().get_rcvtimeo(), wait)
                    .await?
                    .map(|(_, msg)| msg)
            }

            /// The next message if one is there (`ZMQ_DONTWAIT`), else
            /// [`Error::WouldBlock`](crate::Error::WouldBlock).
            pub fn try_recv(&mut self) -> $crate::Result<zmtp_codec::Message> {
                match self.base.core.poll_recv_fq(None) {
                    std::task::Poll::Ready(r) => r.map(|(_, msg)| msg),
                    std::task::Poll::Pending => Err($crate::Error::WouldBlock),
                }
            }
        }

        impl futures::Stream for $ty {
            type Item = $crate::Result<zmtp_codec::Message>;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                use std::task::Poll;
                match self.base.core.poll_recv_fq(Some(cx)) {
                    Poll::Ready(Ok((_, msg))) => Poll::Ready(Some(Ok(msg))),
                    Poll::Ready(Err($crate::Error::Closed)) => Poll::Ready(None),
                    Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    };
}

pub(crate) use {fq_recv_methods, lb_send_methods};

/// Runs `wait` for at most `limit` (`ZMQ_SNDTIMEO` / `ZMQ_RCVTIMEO`: `None` waits for ever, zero
/// does not wait at all).
pub(crate) async fn within<T>(
    limit: Option<std::time::Duration>,
    wait: impl std::future::Future<Output = T>,
) -> crate::Result<T> {
    match limit {
        None => Ok(wait.await),
        Some(limit) if limit.is_zero() => Err(crate::Error::WouldBlock),
        Some(limit) => tokio::time::timeout(limit, wait)
            .await
            .map_err(|_| crate::Error::Timeout(limit)),
    }
}

/// Refuses a message without frames.
pub(crate) fn non_empty(msg: zmtp_codec::Message) -> crate::Result<zmtp_codec::Message> {
    if msg.is_empty() {
        Err(crate::Error::EmptyMessage)
    } else {
        Ok(msg)
    }
}
