//! Split sockets: a sending half and a receiving half of one DEALER, ROUTER or PAIR socket, so
//! that one task can send while another receives (tokio's `TcpStream::into_split` in spirit).
//!
//! The halves share the socket; it closes (with `ZMQ_LINGER`) when both are dropped, or they
//! are put back together with [`SendHalf::reunite`]. REQ and REP are not split: each call
//! depends on the one before. PUSH and PULL only go one way already.

use std::sync::Arc;

use zmtp_codec::Message;

/// The sending half of a split socket: `send`, `try_send` and [`futures::Sink`].
#[derive(Debug)]
pub struct SendHalf<S> {
    socket: Arc<S>,
    /// The item a [`futures::Sink`] holds until a peer has room.
    sink: Option<Message>,
}

/// The receiving half of a split socket: `recv`, `try_recv` and [`futures::Stream`].
#[derive(Debug)]
pub struct RecvHalf<S> {
    socket: Arc<S>,
}

/// The halves given to [`SendHalf::reunite`] came from different sockets.
#[derive(Debug, thiserror::Error)]
#[error("the halves belong to different sockets")]
pub struct ReuniteError<S> {
    /// The sending half, given back.
    pub send: SendHalf<S>,
    /// The receiving half, given back.
    pub recv: RecvHalf<S>,
}

impl<S> SendHalf<S> {
    /// Puts the socket back together from its two halves. A message a [`futures::Sink`] still
    /// held is lost unless it was flushed first.
    pub fn reunite(self, recv: RecvHalf<S>) -> Result<S, ReuniteError<S>> {
        if !Arc::ptr_eq(&self.socket, &recv.socket) {
            return Err(ReuniteError { send: self, recv });
        }
        drop(recv);
        Arc::try_unwrap(self.socket).map_err(|_| unreachable_two_halves())
    }
}

/// Only the two halves hold the socket, and both were given: `try_unwrap` cannot fail.
fn unreachable_two_halves() -> ! {
    unreachable!("a split socket is held by its two halves only")
}

/// `split` on the socket type, and the methods and trait impls of its halves.
macro_rules! split_impl {
    ($ty:ident) => {
        impl $ty {
            /// Splits the socket into a sending and a receiving half, for two tasks.
            pub fn split(
                self,
            ) -> (
                $crate::socket::split::SendHalf<$ty>,
                $crate::socket::split::RecvHalf<$ty>,
            ) {
                $crate::socket::split::halves(self)
            }
        }

        impl $crate::socket::split::SendHalf<$ty> {
            #[doc = concat!("Sends as [`", stringify!($ty), "::send`] does.")]
            pub async fn send(
                &mut self,
                msg: impl Into<zmtp_codec::Message>,
            ) -> $crate::Result<()> {
                self.socket().send_shared(msg.into()).await
            }

            #[doc = concat!("Sends as [`", stringify!($ty), "::try_send`] does.")]
            pub fn try_send(&mut self, msg: impl Into<zmtp_codec::Message>) -> $crate::Result<()> {
                self.socket().try_send_shared(msg.into())
            }
        }

        impl $crate::socket::split::RecvHalf<$ty> {
            #[doc = concat!("Receives as [`", stringify!($ty), "::recv`] does.")]
            pub async fn recv(&mut self) -> $crate::Result<zmtp_codec::Message> {
                self.socket().recv_shared().await
            }

            #[doc = concat!("Receives as [`", stringify!($ty), "::try_recv`] does.")]
            pub fn try_recv(&mut self) -> $crate::Result<zmtp_codec::Message> {
                self.socket().try_recv_shared()
            }
        }

        impl futures::Stream for $crate::socket::split::RecvHalf<$ty> {
            type Item = $crate::Result<zmtp_codec::Message>;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                $crate::socket::io_methods::stream_item(self.socket().poll_recv_shared(Some(cx)))
            }
        }

        impl futures::Sink<zmtp_codec::Message> for $crate::socket::split::SendHalf<$ty> {
            type Error = $crate::Error;

            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<()>> {
                let (socket, slot) = self.get_mut().parts();
                socket.poll_send_slot(cx, slot)
            }

            fn start_send(
                self: std::pin::Pin<&mut Self>,
                item: zmtp_codec::Message,
            ) -> $crate::Result<()> {
                let (socket, slot) = self.get_mut().parts();
                *slot = Some(socket.sink_item(item)?);
                Ok(())
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<()>> {
                let (socket, slot) = self.get_mut().parts();
                socket.poll_send_slot(cx, slot)
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
pub(crate) use split_impl;

pub(crate) fn halves<S>(socket: S) -> (SendHalf<S>, RecvHalf<S>) {
    let socket = Arc::new(socket);
    (
        SendHalf {
            socket: socket.clone(),
            sink: None,
        },
        RecvHalf { socket },
    )
}

impl<S> SendHalf<S> {
    pub(crate) fn socket(&self) -> &S {
        &self.socket
    }

    pub(crate) fn parts(&mut self) -> (&S, &mut Option<Message>) {
        (&self.socket, &mut self.sink)
    }
}

impl<S> RecvHalf<S> {
    pub(crate) fn socket(&self) -> &S {
        &self.socket
    }
}
