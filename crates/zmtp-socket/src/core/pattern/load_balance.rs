//! Load balancing out, fair queueing in (PUSH sends, PULL receives, DEALER both): each message
//! goes to the next peer in turn that has room, and messages are read from each peer in turn.
//! No envelope is added or removed.

use std::task::Poll;

use zmtp_codec::Message;

use super::{check_non_empty, poll_recv_fq, poll_send_lb, Pattern, Sent};
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::Result;

/// PUSH (`sends`), PULL (`receives`) or DEALER (both).
#[derive(Debug)]
pub(crate) struct LoadBalance {
    sends: bool,
    receives: bool,
}

impl LoadBalance {
    /// PUSH: load-balanced sends only.
    pub(crate) fn push() -> LoadBalance {
        LoadBalance {
            sends: true,
            receives: false,
        }
    }

    /// PULL: fair-queued receives only.
    pub(crate) fn pull() -> LoadBalance {
        LoadBalance {
            sends: false,
            receives: true,
        }
    }

    /// DEALER: both.
    pub(crate) fn dealer() -> LoadBalance {
        LoadBalance {
            sends: true,
            receives: true,
        }
    }
}

impl Pattern for LoadBalance {
    #[inline]
    fn prepare_send(
        &mut self,
        _pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Result<()> {
        if !self.sends {
            return Err(crate::Error::InvalidState("a PULL socket does not send"));
        }
        check_non_empty(msg)
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        _msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        poll_send_lb(pipes)
    }

    fn receives_fair_queued(&self) -> bool {
        self.receives
    }

    fn sends_load_balanced(&self) -> bool {
        self.sends
    }

    fn conflates(&self) -> bool {
        true
    }

    fn linger_target(&mut self, pipes: &mut Pipes, _msg: &mut Message) -> Option<usize> {
        pipes.next_lb()
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        if !self.receives {
            return Poll::Ready(Err(crate::Error::InvalidState(
                "a PUSH socket does not receive",
            )));
        }
        poll_recv_fq(pipes, wake)
    }
}
