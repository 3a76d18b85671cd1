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
    use crate::core::test_support::{attached, core, outbound_messages, received, send};
    use crate::core::Outgoing;
    use bytes::Bytes;
    use std::task::Poll;
    use zmtp_codec::{Message, SocketType};

    /// A departed peer's generated id goes with it: data for it is refused, never delivered
    /// to the peer that took its place.
    #[test]
    fn a_departed_peers_id_reaches_no_one() {
        let core = core(SocketType::Stream, 10, 10);
        let a = attached(&core, None);
        let ia = core.routing_id(a).expect("a generated id");
        core.detach(a, false);
        let b = attached(&core, None);
        assert_eq!(b.key, a.key, "the slot is reused");
        assert!(matches!(
            send(&core, [ia, Bytes::from_static(b"late")]),
            Poll::Ready(Err(_))
        ));
        assert!(outbound_messages(&core, b).is_empty());
    }

    /// A STREAM handle dropped while its send waits for room queues the data for its peer,
    /// whatever the mark.
    #[test]
    fn a_handle_dropped_holding_a_send_queues_it_for_its_peer() {
        let core = core(SocketType::Stream, 1, 10);
        let a = attached(&core, None);
        let ia = core.routing_id(a).expect("a generated id");
        assert!(matches!(
            send(&core, [ia.clone(), Bytes::from_static(b"1")]),
            Poll::Ready(Ok(()))
        ));
        assert!(send(&core, [ia.clone(), Bytes::from_static(b"2")]).is_pending());
        core.send_on_drop(Outgoing::new(Message::from([
            ia,
            Bytes::from_static(b"held"),
        ])));
        assert_eq!(
            outbound_messages(&core, a),
            [Message::from(["1"]), Message::from(["held"])]
        );
    }

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
