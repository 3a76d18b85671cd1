//! The exclusive pair (PAIR): one peer at a time, messages both ways. A second peer's
//! connection is refused once its handshake is done, as libzmq drops a second pipe.

use std::task::Poll;

use zmtp_codec::Message;

use super::{poll_recv_fq, poll_send_lb, Pattern, Sent};
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::Result;

/// PAIR.
#[derive(Debug, Default)]
pub(crate) struct Pair;

impl Pattern for Pair {
    fn admits(&self, pipes: &Pipes, key: usize) -> bool {
        !pipes.iter().any(|(k, p)| k != key && p.attached)
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        _msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        poll_send_lb(pipes)
    }

    fn linger_target(&mut self, pipes: &mut Pipes, _msg: &mut Message) -> Option<usize> {
        pipes.next_lb()
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        poll_recv_fq(pipes, wake)
    }

    fn receives_fair_queued(&self) -> bool {
        true
    }
}
