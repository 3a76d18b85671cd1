//! Single-frame messages (libzmq 4.3's draft thread-safe types): CLIENT, SCATTER, GATHER and
//! CHANNEL move messages as DEALER, PUSH, PULL and PAIR do, one frame each. A multipart send is
//! refused ([`Error::InvalidArgument`], libzmq's `EINVAL`) and a multipart message from a peer
//! is dropped unread, as libzmq's `xrecv` skips it.

use std::task::Poll;

use bytes::Bytes;
use zmtp_codec::Message;

use super::{Pattern, Sent};
use crate::core::pipe::PipeId;
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::{Error, Result};
use crate::options::SocketOptions;

/// The refusal of a multipart send on a single-frame socket type.
pub(crate) const MULTIPART_REFUSED: &str =
    "this socket type sends single-frame messages only (libzmq: EINVAL on ZMQ_SNDMORE)";

/// Refuses a message that is not exactly one frame, in place.
#[inline]
pub(crate) fn check_single(msg: &Option<Message>) -> Result<()> {
    match msg {
        Some(m) if m.len() == 1 => Ok(()),
        Some(m) if m.is_empty() => Err(Error::EmptyMessage),
        None => Err(Error::EmptyMessage),
        Some(_) => Err(Error::InvalidArgument(MULTIPART_REFUSED)),
    }
}

/// An existing pattern (`inner`) with the single-frame rule on top.
#[derive(Debug)]
pub(crate) struct SingleFrame<P> {
    inner: P,
}

impl<P: Pattern> SingleFrame<P> {
    /// `inner`'s routing, one frame per message.
    pub(crate) fn new(inner: P) -> Self {
        SingleFrame { inner }
    }
}

impl<P: Pattern> Pattern for SingleFrame<P> {
    fn configure(&mut self, options: &SocketOptions) {
        self.inner.configure(options);
    }

    fn admits(&self, pipes: &Pipes, key: usize) -> bool {
        self.inner.admits(pipes, key)
    }

    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        self.inner.attached(pipes, key, identity, wake);
    }

    fn detached(&mut self, pipes: &mut Pipes, key: usize, for_good: bool, wake: &mut Wake) {
        self.inner.detached(pipes, key, for_good, wake);
    }

    fn prepare_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Result<()> {
        // The inner pattern's refusal (a GATHER does not send) comes first.
        self.inner.prepare_send(pipes, msg, wake)?;
        check_single(msg)
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        self.inner.poll_send(pipes, msg, wake)
    }

    fn send_abandoned(&mut self) {
        self.inner.send_abandoned();
    }

    fn linger_target(&mut self, pipes: &mut Pipes, msg: &mut Message) -> Option<usize> {
        self.inner.linger_target(pipes, msg)
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        loop {
            match self.inner.poll_recv(pipes, wake) {
                Poll::Ready(Ok(m)) if m.len() != 1 => continue,
                other => return other,
            }
        }
    }

    fn set_connect_rid(&mut self, pipes: &mut Pipes, id: PipeId, routing_id: Bytes) {
        self.inner.set_connect_rid(pipes, id, routing_id);
    }
}

#[cfg(test)]
mod tests {
    use super::{check_single, MULTIPART_REFUSED};
    use crate::core::test_support::{
        attach, attached, core, deliver, outbound_messages, received, send,
    };
    use crate::error::Error;
    use std::task::Poll;
    use zmtp_codec::{Message, SocketType};

    /// A CHANNEL is a PAIR underneath: one peer at a time.
    #[test]
    fn a_channel_admits_one_peer_at_a_time() {
        let core = core(SocketType::Channel, 10, 10);
        attached(&core, None);
        let second = core.add_pipe(false);
        assert!(!attach(&core, second, None), "a second peer is refused");
    }

    /// The single-frame rule: one frame goes; none is an empty message, more a multipart one.
    #[test]
    fn check_single_takes_exactly_one_frame() {
        assert!(check_single(&Some(Message::from("one"))).is_ok());
        assert!(matches!(
            check_single(&Some(Message::new())),
            Err(Error::EmptyMessage)
        ));
        assert!(matches!(check_single(&None), Err(Error::EmptyMessage)));
        assert!(matches!(
            check_single(&Some(Message::from(["a", "b"]))),
            Err(Error::InvalidArgument(MULTIPART_REFUSED))
        ));
    }

    #[test]
    fn multipart_sends_are_refused_and_multipart_arrivals_dropped() {
        for t in [SocketType::Client, SocketType::Scatter, SocketType::Channel] {
            let core = core(t, 10, 10);
            let a = attached(&core, None);
            assert!(
                matches!(
                    send(&core, ["a", "b"]),
                    Poll::Ready(Err(crate::Error::InvalidArgument(_)))
                ),
                "{t}"
            );
            assert!(matches!(send(&core, ["one"]), Poll::Ready(Ok(()))), "{t}");
            assert_eq!(outbound_messages(&core, a), [Message::from(["one"])], "{t}");
        }
        for t in [SocketType::Client, SocketType::Gather, SocketType::Channel] {
            let core = core(t, 10, 10);
            let a = attached(&core, None);
            deliver(
                &core,
                a,
                [Message::from(["x", "y"]), Message::from(["single"])],
            );
            assert_eq!(received(&core), Some(Message::from(["single"])), "{t}");
            assert_eq!(received(&core), None, "{t}");
        }
    }
}
