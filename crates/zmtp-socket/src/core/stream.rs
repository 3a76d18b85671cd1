//! What STREAM sockets (and ROUTER with `ZMQ_ROUTER_RAW`) need of the core beyond identity
//! routing: the connect and disconnect notices of `ZMQ_STREAM_NOTIFY`, which must reach the
//! application whatever `ZMQ_RCVHWM` says (a notice dropped for lack of room would leave the
//! application believing a peer is still there).

use zmtp_codec::Message;

use super::{Core, PipeId, Wake};

impl Core {
    /// Queues `msgs` from a connection on its pipe even above `ZMQ_RCVHWM` (a STREAM's notices,
    /// and the last chunk read before a connection ended), making the pipe readable.
    pub(crate) fn push_inbound_unbounded(
        &self,
        id: PipeId,
        msgs: impl IntoIterator<Item = Message>,
    ) {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            let st = &mut *st;
            let Some(pipe) = st.pipe_mut(id) else { return };
            for msg in msgs {
                pipe.inbound.push_back(msg);
            }
            if !pipe.inbound.is_empty() && !pipe.in_ready_list && !pipe.ignored {
                pipe.in_ready_list = true;
                st.ready.push_back(id.key);
                wake.push(st.recv_waker.take());
            }
        }
        wake.run();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::PeerAttach;
    use bytes::Bytes;
    use std::task::Poll;

    #[test]
    fn notices_pass_a_full_pipe_and_carry_the_routing_id() {
        let core = Core::new(false);
        let a = core.add_pipe(10, 1, false);
        let routed = PeerAttach {
            routing: true,
            ..PeerAttach::default()
        };
        assert!(core.attach_peer(a, &routed));
        core.push_inbound_unbounded(a, [Message::single(Bytes::new())]);
        core.push_inbound_unbounded(a, [Message::from("data"), Message::single(Bytes::new())]);
        let rid = core.routing_id(a).expect("a generated id");
        core.detach(a, false);
        for expected in [&b""[..], b"data", b""] {
            match core.poll_recv_routed(None) {
                Poll::Ready(Ok(m)) => {
                    assert_eq!(m.frames()[0], rid);
                    assert_eq!(&m.frames()[1][..], expected);
                }
                other => panic!("a message: {other:?}"),
            }
        }
        assert!(core.poll_recv_routed(None).is_pending());
    }
}
