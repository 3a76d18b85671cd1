//! The raw stream (STREAM): plain bytes with peers that are not ZeroMQ, each connection named
//! by a routing id as a ROUTER names its peers. What the pattern adds to routing: every send is
//! mandatory (an unknown id is `EHOSTUNREACH`; libzmq's STREAM has no other mode), a message is
//! `[routing id, data...]`, and with `ZMQ_STREAM_NOTIFY` each connection's start and end reach
//! the application as an empty message (queued whatever `ZMQ_RCVHWM` says, by
//! [`crate::core::Core::push_inbound_unbounded`]: a notice dropped for lack of room would leave
//! the application believing a peer is still there).

use std::task::Poll;

use bytes::Bytes;
use zmtp_codec::Message;

use super::routing::{poll_recv_routed, RoutingTable};
use super::{check_non_empty, Pattern, RawMode, Sent};
use crate::core::pipe::PipeId;
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::{Error, Result};
use crate::options::SocketOptions;

/// STREAM.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    table: RoutingTable,
    /// `ZMQ_STREAM_NOTIFY`.
    notify: bool,
}

impl Pattern for Stream {
    fn configure(&mut self, options: &SocketOptions) {
        self.notify = options.get_stream_notify();
    }

    fn raw(&self) -> Option<RawMode> {
        Some(RawMode {
            notify: self.notify,
            inproc_refused: true,
        })
    }

    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        _identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        // A raw peer announces nothing: a generated id, or ZMQ_CONNECT_RID's.
        self.table.identify(pipes, key, None, wake);
    }

    fn detached(&mut self, pipes: &mut Pipes, key: usize, for_good: bool, _wake: &mut Wake) {
        if for_good {
            self.table.unroute(pipes, key);
        }
    }

    fn prepare_send(
        &mut self,
        _pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Result<()> {
        check_non_empty(msg)?;
        if msg.as_ref().is_some_and(|m| m.len() < 2) {
            return Err(Error::InvalidArgument(
                "a STREAM message is [routing id, data] (empty data closes the connection)",
            ));
        }
        Ok(())
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        self.table.poll_send(pipes, msg, true)
    }

    fn linger_target(&mut self, _pipes: &mut Pipes, msg: &mut Message) -> Option<usize> {
        self.table.linger_target(msg)
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        poll_recv_routed(pipes, wake)
    }

    fn set_connect_rid(&mut self, pipes: &mut Pipes, id: PipeId, routing_id: Bytes) {
        self.table.set_connect_rid(pipes, id, routing_id);
    }
}

#[cfg(test)]
mod tests {
    use crate::core::test_support::{attached, core, received};
    use bytes::Bytes;
    use zmtp_codec::{Message, SocketType};

    #[test]
    fn notices_pass_a_full_pipe_and_carry_the_routing_id() {
        let core = core(SocketType::Stream, 10, 1);
        let a = attached(&core, None);
        core.push_inbound_unbounded(a, [Message::single(Bytes::new())]);
        core.push_inbound_unbounded(a, [Message::from("data"), Message::single(Bytes::new())]);
        let rid = core.routing_id(a).expect("a generated id");
        core.detach(a, false);
        for expected in [&b""[..], b"data", b""] {
            let m = received(&core).expect("a message");
            assert_eq!(m.frames()[0], rid);
            assert_eq!(&m.frames()[1][..], expected);
        }
        assert_eq!(received(&core), None);
    }
}
