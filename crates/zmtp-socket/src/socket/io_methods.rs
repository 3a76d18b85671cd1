//! Send and receive methods shared by the socket types that load-balance out and fair-queue in,
//! and the [`futures::Sink`] / [`futures::Stream`] impls of every socket type.
//!
//! Each sending type has three internal entry points that take `&self` (so that the halves of
//! a split socket can share it): `send_shared`, `try_send_shared` and `poll_send_slot` (push the
//! message held in a slot, waiting for room). Each receiving type has `recv_shared`,
//! `try_recv_shared` and `poll_recv_shared`. The public methods and the trait impls are written
//! once over them, here.

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
                self.send_shared(msg.into()).await
            }

            /// Queues a message if a peer has room now (`ZMQ_DONTWAIT`), else
            /// [`Error::WouldBlock`](crate::Error::WouldBlock).
            pub fn try_send(&mut self, msg: impl Into<zmtp_codec::Message>) -> $crate::Result<()> {
                self.try_send_shared(msg.into())
            }

            pub(crate) async fn send_shared(&self, msg: zmtp_codec::Message) -> $crate::Result<()> {
                let mut msg = Some($crate::socket::io_methods::non_empty(msg)?);
                let core = &self.base.core;
                // Room now (the usual case): done, without building the waiting future.
                if let std::task::Poll::Ready(done) = core.poll_send_lb(None, &mut msg) {
                    return done.map(|_| ());
                }
                $crate::socket::io_methods::polled(self.base.options().get_sndtimeo(), |cx| {
                    core.poll_send_lb(cx, &mut msg).map_ok(|_| ())
                })
                .await
            }

            pub(crate) fn try_send_shared(&self, msg: zmtp_codec::Message) -> $crate::Result<()> {
                let mut msg = Some($crate::socket::io_methods::non_empty(msg)?);
                $crate::socket::io_methods::now(
                    self.base.core.poll_send_lb(None, &mut msg).map_ok(|_| ()),
                )
            }

            /// Pushes the message in `slot` (if any) once a peer has room.
            pub(crate) fn poll_send_slot(
                &self,
                cx: &mut std::task::Context<'_>,
                slot: &mut Option<zmtp_codec::Message>,
            ) -> std::task::Poll<$crate::Result<()>> {
                if slot.is_none() {
                    return std::task::Poll::Ready(Ok(()));
                }
                self.base.core.poll_send_lb(Some(cx), slot).map_ok(|_| ())
            }

            /// Checks a message a [`futures::Sink`] is given.
            pub(crate) fn sink_item(
                &self,
                msg: zmtp_codec::Message,
            ) -> $crate::Result<zmtp_codec::Message> {
                $crate::socket::io_methods::non_empty(msg)
            }
        }

        $crate::socket::io_methods::sink_impl!($ty);
    };
}

/// `send` / `try_send` and [`futures::Sink`]: fanned out to the peers whose subscriptions match
/// (PUB, XPUB).
macro_rules! dist_send_methods {
    ($ty:ident) => {
        impl $ty {
            /// Sends a message to every peer with a subscription matching its first frame. A
            /// peer whose queue is at `ZMQ_SNDHWM` misses it, as in libzmq, unless
            /// `ZMQ_XPUB_NODROP` is set: then the send waits while any matching peer is full,
            /// for at most `ZMQ_SNDTIMEO` ([`Error::Timeout`](crate::Error::Timeout); zero:
            /// [`Error::WouldBlock`](crate::Error::WouldBlock)). With no subscriber the message
            /// goes nowhere.
            pub async fn send(
                &mut self,
                msg: impl Into<zmtp_codec::Message>,
            ) -> $crate::Result<()> {
                self.send_shared(msg.into()).await
            }

            /// Sends without waiting (`ZMQ_DONTWAIT`): with `ZMQ_XPUB_NODROP` and a matching
            /// peer full, [`Error::WouldBlock`](crate::Error::WouldBlock).
            pub fn try_send(&mut self, msg: impl Into<zmtp_codec::Message>) -> $crate::Result<()> {
                self.try_send_shared(msg.into())
            }

            pub(crate) async fn send_shared(&self, msg: zmtp_codec::Message) -> $crate::Result<()> {
                let mut msg = Some($crate::socket::io_methods::non_empty(msg)?);
                let core = &self.base.core;
                $crate::socket::io_methods::polled(self.base.options().get_sndtimeo(), |cx| {
                    core.poll_send_dist(cx, &mut msg)
                })
                .await
            }

            pub(crate) fn try_send_shared(&self, msg: zmtp_codec::Message) -> $crate::Result<()> {
                let mut msg = Some($crate::socket::io_methods::non_empty(msg)?);
                $crate::socket::io_methods::now(self.base.core.poll_send_dist(None, &mut msg))
            }

            /// Sends the message in `slot` (if any), waiting as [`send`](Self::send) does.
            pub(crate) fn poll_send_slot(
                &self,
                cx: &mut std::task::Context<'_>,
                slot: &mut Option<zmtp_codec::Message>,
            ) -> std::task::Poll<$crate::Result<()>> {
                if slot.is_none() {
                    return std::task::Poll::Ready(Ok(()));
                }
                self.base.core.poll_send_dist(Some(cx), slot)
            }

            pub(crate) fn sink_item(
                &self,
                msg: zmtp_codec::Message,
            ) -> $crate::Result<zmtp_codec::Message> {
                $crate::socket::io_methods::non_empty(msg)
            }
        }

        $crate::socket::io_methods::sink_impl!($ty);
    };
}

/// `recv` / `try_recv` and [`futures::Stream`]: fair-queued from the peers (PULL, DEALER, PAIR).
macro_rules! fq_recv_methods {
    ($ty:ident) => {
        impl $ty {
            /// The next message from any peer, waiting for one for at most `ZMQ_RCVTIMEO`
            /// ([`Error::Timeout`](crate::Error::Timeout); 0: [`Error::WouldBlock`](crate::Error::WouldBlock)).
            pub async fn recv(&mut self) -> $crate::Result<zmtp_codec::Message> {
                self.recv_shared().await
            }

            /// The next message if one is there (`ZMQ_DONTWAIT`), else
            /// [`Error::WouldBlock`](crate::Error::WouldBlock).
            pub fn try_recv(&mut self) -> $crate::Result<zmtp_codec::Message> {
                self.try_recv_shared()
            }

            pub(crate) async fn recv_shared(&self) -> $crate::Result<zmtp_codec::Message> {
                // A message there now (the usual case under load): no waiting future built.
                if let std::task::Poll::Ready(done) = self.poll_recv_shared(None) {
                    return done;
                }
                $crate::socket::io_methods::polled(self.base.options().get_rcvtimeo(), |cx| {
                    self.poll_recv_shared(cx)
                })
                .await
            }

            pub(crate) fn try_recv_shared(&self) -> $crate::Result<zmtp_codec::Message> {
                $crate::socket::io_methods::now(self.poll_recv_shared(None))
            }

            pub(crate) fn poll_recv_shared(
                &self,
                cx: Option<&mut std::task::Context<'_>>,
            ) -> std::task::Poll<$crate::Result<zmtp_codec::Message>> {
                self.base.core.poll_recv_fq(cx).map_ok(|(_, msg)| msg)
            }
        }

        $crate::socket::io_methods::stream_impl!($ty);
    };
}

/// [`futures::Stream`] over `poll_recv_shared`: ends when the socket is closed.
macro_rules! stream_impl {
    ($ty:ident) => {
        impl futures::Stream for $ty {
            type Item = $crate::Result<zmtp_codec::Message>;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                $crate::socket::io_methods::stream_item(self.poll_recv_shared(Some(cx)))
            }
        }
    };
}

/// [`futures::Sink`] over `poll_send_slot`, holding the item given in the socket's `sink` field
/// until a peer has room (without `ZMQ_SNDTIMEO`: wrap the sink in a timeout for one).
macro_rules! sink_impl {
    ($ty:ident) => {
        impl futures::Sink<zmtp_codec::Message> for $ty {
            type Error = $crate::Error;

            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<()>> {
                let this = self.get_mut();
                let mut slot = this.sink.take();
                let polled = this.poll_send_slot(cx, &mut slot);
                this.sink = slot;
                polled
            }

            fn start_send(
                self: std::pin::Pin<&mut Self>,
                item: zmtp_codec::Message,
            ) -> $crate::Result<()> {
                let this = self.get_mut();
                debug_assert!(this.sink.is_none(), "start_send without poll_ready");
                this.sink = Some(this.sink_item(item)?);
                Ok(())
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<()>> {
                // Handed to a peer's queue is as far as a send goes: the connection writes it.
                let this = self.get_mut();
                let mut slot = this.sink.take();
                let polled = this.poll_send_slot(cx, &mut slot);
                this.sink = slot;
                polled
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<()>> {
                self.poll_flush(cx)
            }
        }
    };
}

pub(crate) use {dist_send_methods, fq_recv_methods, lb_send_methods, sink_impl, stream_impl};

/// A receive result as a stream item: the stream ends when the socket is closed.
pub(crate) fn stream_item(
    polled: std::task::Poll<crate::Result<zmtp_codec::Message>>,
) -> std::task::Poll<Option<crate::Result<zmtp_codec::Message>>> {
    use std::task::Poll;
    match polled {
        Poll::Ready(Ok(msg)) => Poll::Ready(Some(Ok(msg))),
        Poll::Ready(Err(crate::Error::Closed)) => Poll::Ready(None),
        Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
        Poll::Pending => Poll::Pending,
    }
}

/// A blocking send or receive over a socket's poll function: what can happen now happens at once
/// whatever the timeout (a message already there, room already there); otherwise it waits for at
/// most `limit` (`ZMQ_SNDTIMEO` / `ZMQ_RCVTIMEO`, see [`within`]).
pub(crate) async fn polled<T>(
    limit: Option<std::time::Duration>,
    mut poll: impl FnMut(Option<&mut std::task::Context<'_>>) -> std::task::Poll<crate::Result<T>>,
) -> crate::Result<T> {
    if let std::task::Poll::Ready(done) = poll(None) {
        return done;
    }
    within(limit, std::future::poll_fn(|cx| poll(Some(cx)))).await?
}

/// A non-blocking send or receive (`ZMQ_DONTWAIT`): what a poll without a waker gave, or
/// [`Error::WouldBlock`](crate::Error::WouldBlock).
pub(crate) fn now<T>(polled: std::task::Poll<crate::Result<T>>) -> crate::Result<T> {
    match polled {
        std::task::Poll::Ready(done) => done,
        std::task::Poll::Pending => Err(crate::Error::WouldBlock),
    }
}

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

/// Refuses a message without frames. Inlined: a call would move the message (72 bytes) in
/// and out of a `Result` on every send.
#[inline]
pub(crate) fn non_empty(msg: zmtp_codec::Message) -> crate::Result<zmtp_codec::Message> {
    if msg.is_empty() {
        Err(crate::Error::EmptyMessage)
    } else {
        Ok(msg)
    }
}
