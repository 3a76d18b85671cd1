//! Group messaging (libzmq 4.3's draft RADIO and DISH): a DISH joins groups (a name of at most
//! [`GROUP_MAX_LENGTH`] bytes, matched whole, not as a prefix) and tells each RADIO it is
//! connected to with a JOIN command (LEAVE to leave); a RADIO sends each single-frame message to
//! the DISHes that joined its group.
//!
//! Inside the core, and on the wire as libzmq sends it, a message is `[group, body]`; the typed
//! sockets (`Radio::send_to_group`, `Dish::recv_from_group`) build and split it. Joins and
//! leaves travel as the core's subscription items ([`PipeItem::Subscribe`],
//! [`PipeItem::Cancel`]); the codec turns a DISH's into JOIN and LEAVE commands and a RADIO's
//! received ones back.
//!
//! libzmq's rules: a DISH joins a group once (a second join, or a leave of a group it has not
//! joined, is `EINVAL`); a RADIO drops a message for a DISH whose queue is full unless
//! `ZMQ_XPUB_NODROP`, when the send waits; a DISH drops what arrives for a group it has left.

use std::collections::{BTreeSet, HashMap};
use std::task::Poll;

use bytes::Bytes;
use zmtp_codec::Message;

use super::single_frame::MULTIPART_REFUSED;
use super::{fan_out, Pattern, Sent};
use crate::core::pipe::{PipeId, PipeItem};
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::{Error, Result};
use crate::options::SocketOptions;

/// The longest group name, in bytes (libzmq 4.3's `ZMQ_GROUP_MAX_LENGTH`).
pub(crate) const GROUP_MAX_LENGTH: usize = 15;

/// The refusal of a group name over [`GROUP_MAX_LENGTH`] bytes.
pub(crate) const GROUP_TOO_LONG: &str =
    "a RADIO/DISH group is at most 15 bytes (libzmq's ZMQ_GROUP_MAX_LENGTH)";

/// Checks a message `[group, body]`.
fn check_grouped(msg: &Option<Message>) -> Result<()> {
    match msg {
        None => Err(Error::EmptyMessage),
        Some(m) if m.is_empty() => Err(Error::EmptyMessage),
        Some(m) if m.len() == 1 => Err(Error::InvalidArgument(
            "a RADIO message needs its group (Radio::send_to_group)",
        )),
        Some(m) if m.len() > 2 => Err(Error::InvalidArgument(MULTIPART_REFUSED)),
        Some(m) if m.frames()[0].len() > GROUP_MAX_LENGTH => {
            Err(Error::InvalidArgument(GROUP_TOO_LONG))
        }
        Some(_) => Ok(()),
    }
}

/// RADIO.
#[derive(Debug, Default)]
pub(crate) struct Radio {
    /// Each group's DISHes (a pipe once per JOIN it sent).
    groups: HashMap<Bytes, Vec<usize>>,
    /// `ZMQ_XPUB_NODROP`.
    nodrop: bool,
    /// The send's targets (kept to reuse its allocation).
    targets: Vec<usize>,
    /// `udp://` pipes: they take every group (the DISH at the other end filters).
    datagram: Vec<usize>,
}

impl Pattern for Radio {
    fn configure(&mut self, options: &SocketOptions) {
        self.nodrop = options.get_xpub_nodrop();
    }

    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        _identity: Option<&Bytes>,
        _wake: &mut Wake,
    ) {
        if pipes.at(key).is_some_and(|p| p.datagram) && !self.datagram.contains(&key) {
            self.datagram.push(key);
        }
    }

    /// A DISH gone: its joins go (a reconnecting DISH joins again).
    fn detached(&mut self, _pipes: &mut Pipes, key: usize, for_good: bool, _wake: &mut Wake) {
        if for_good {
            self.datagram.retain(|&k| k != key);
        }
        self.groups.retain(|_, pipes| {
            pipes.retain(|&k| k != key);
            !pipes.is_empty()
        });
    }

    fn filters_inbound(&self) -> bool {
        true
    }

    fn inbound(
        &mut self,
        _pipes: &mut Pipes,
        from: PipeId,
        item: PipeItem,
        _wake: &mut Wake,
    ) -> Option<Message> {
        match item {
            PipeItem::Subscribe(group) => self.groups.entry(group).or_default().push(from.key),
            PipeItem::Cancel(group) => {
                if let Some(pipes) = self.groups.get_mut(&group) {
                    if let Some(i) = pipes.iter().position(|&k| k == from.key) {
                        pipes.swap_remove(i);
                    }
                    if pipes.is_empty() {
                        self.groups.remove(&group);
                    }
                }
            }
            // A DISH sends nothing else; libzmq's RADIO drops it.
            PipeItem::Message(_) => {}
        }
        None
    }

    fn prepare_send(
        &mut self,
        _pipes: &mut Pipes,
        msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Result<()> {
        check_grouped(msg)
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        let Some(m) = msg.as_ref() else {
            return Poll::Ready(Ok(Sent::Done));
        };
        let mut targets = std::mem::take(&mut self.targets);
        targets.clear();
        if let Some(joined) = self.groups.get(&m.frames()[0]) {
            for &k in joined {
                if !targets.contains(&k) {
                    targets.push(k);
                }
            }
        }
        targets.extend_from_slice(&self.datagram);
        let full = self.nodrop
            && targets
                .iter()
                .any(|&k| pipes.at(k).is_some_and(|p| p.attached && !p.has_room()));
        let result = if full {
            Poll::Pending
        } else {
            fan_out(pipes, &targets, msg, wake);
            Poll::Ready(Ok(Sent::Done))
        };
        self.targets = targets;
        result
    }
}

/// DISH.
#[derive(Debug, Default)]
pub(crate) struct Dish {
    joined: BTreeSet<Bytes>,
}

impl Pattern for Dish {
    /// A new RADIO (or the same one reconnected) learns every group joined, first.
    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        _identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        if self.joined.is_empty() {
            return;
        }
        if let Some(pipe) = pipes.at_mut(key) {
            for group in self.joined.iter().rev() {
                pipe.outbound.push_front(PipeItem::Subscribe(group.clone()));
            }
            wake.push(pipe.writer.take());
        }
    }

    fn detached(&mut self, pipes: &mut Pipes, key: usize, for_good: bool, _wake: &mut Wake) {
        if for_good {
            return;
        }
        // Joins still queued are stale: the next connection gets the current set first.
        if let Some(pipe) = pipes.at_mut(key) {
            pipe.outbound
                .retain(|item| matches!(item, PipeItem::Message(_)));
        }
    }

    fn prepare_send(
        &mut self,
        _pipes: &mut Pipes,
        _msg: &mut Option<Message>,
        _wake: &mut Wake,
    ) -> Result<()> {
        Err(Error::InvalidState("a DISH socket does not send"))
    }

    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        while let Some(msg) = pipes.pop_message(wake) {
            if msg.len() == 2 && self.joined.contains(&msg.frames()[0]) {
                return Poll::Ready(Ok(msg));
            }
        }
        Poll::Pending
    }

    /// Join (`subscribe`) or leave a group.
    fn subscribe(
        &mut self,
        pipes: &mut Pipes,
        subscribe: bool,
        group: &[u8],
        wake: &mut Wake,
    ) -> Result<()> {
        if group.len() > GROUP_MAX_LENGTH {
            return Err(Error::InvalidArgument(GROUP_TOO_LONG));
        }
        let group = Bytes::copy_from_slice(group);
        let item = if subscribe {
            if !self.joined.insert(group.clone()) {
                return Err(Error::InvalidArgument(
                    "a DISH joins a group once (libzmq: EINVAL)",
                ));
            }
            PipeItem::Subscribe(group)
        } else {
            if !self.joined.remove(&group) {
                return Err(Error::InvalidArgument(
                    "a DISH leaves only a group it joined (libzmq: EINVAL)",
                ));
            }
            PipeItem::Cancel(group)
        };
        pipes.send_to_all(item, true, wake);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{
        attached, core, deliver, outbound, outbound_messages, received, send,
    };
    use zmtp_codec::SocketType;

    fn join(g: &'static str) -> PipeItem {
        PipeItem::Subscribe(Bytes::from_static(g.as_bytes()))
    }

    #[test]
    fn a_radio_sends_a_group_to_the_dishes_that_joined_it() {
        let core = core(SocketType::Radio, 10, 10);
        let a = attached(&core, None);
        let b = attached(&core, None);
        deliver(&core, a, [join("movies")]);
        deliver(&core, b, [join("movies"), join("tv")]);
        assert!(matches!(send(&core, ["tv", "news"]), Poll::Ready(Ok(()))));
        assert!(matches!(
            send(&core, ["movies", "film"]),
            Poll::Ready(Ok(()))
        ));
        assert!(matches!(
            send(&core, ["movie", "prefix"]),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(
            outbound_messages(&core, a),
            [Message::from(["movies", "film"])]
        );
        assert_eq!(
            outbound_messages(&core, b),
            [
                Message::from(["tv", "news"]),
                Message::from(["movies", "film"])
            ]
        );
        deliver(&core, b, [PipeItem::Cancel(Bytes::from_static(b"tv"))]);
        assert!(matches!(send(&core, ["tv", "gone"]), Poll::Ready(Ok(()))));
        assert!(outbound_messages(&core, b).is_empty());
        assert!(matches!(
            send(&core, ["0123456789abcdef", "x"]),
            Poll::Ready(Err(Error::InvalidArgument(_)))
        ));
        assert!(matches!(
            send(&core, ["tv", "a", "b"]),
            Poll::Ready(Err(Error::InvalidArgument(_)))
        ));
        assert!(
            matches!(
                send(&core, ["tv"]),
                Poll::Ready(Err(Error::InvalidArgument(_)))
            ),
            "a message without its group"
        );
        assert!(matches!(
            send(&core, Message::new()),
            Poll::Ready(Err(Error::EmptyMessage))
        ));
        assert!(
            outbound_messages(&core, b).is_empty(),
            "nothing refused went"
        );
    }

    #[test]
    fn a_dish_joins_once_tells_its_peers_and_filters() {
        let core = core(SocketType::Dish, 10, 10);
        let a = attached(&core, None);
        core.subscribe(true, b"tv").expect("join");
        assert!(matches!(
            core.subscribe(true, b"tv"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            core.subscribe(false, b"radio"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            core.subscribe(true, b"0123456789abcdef"),
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(outbound(&core, a), [join("tv")]);
        let b = attached(&core, None);
        assert_eq!(
            outbound(&core, b),
            [join("tv")],
            "a new peer learns the joins"
        );
        deliver(
            &core,
            a,
            [Message::from(["radio", "no"]), Message::from(["tv", "yes"])],
        );
        assert_eq!(received(&core), Some(Message::from(["tv", "yes"])));
        assert_eq!(received(&core), None);
        core.subscribe(true, b"0123456789abcde")
            .expect("a group of 15 bytes, the longest");
    }

    /// A DISH that leaves goes from its groups; the other DISHes of a group stay in it.
    #[test]
    fn a_departed_dish_leaves_the_others_in_the_group() {
        let core = core(SocketType::Radio, 10, 10);
        let (a, b) = (attached(&core, None), attached(&core, None));
        deliver(&core, a, [join("tv")]);
        deliver(&core, b, [join("tv")]);
        core.detach(a, false);
        assert!(matches!(send(&core, ["tv", "news"]), Poll::Ready(Ok(()))));
        assert_eq!(outbound_messages(&core, b), [Message::from(["tv", "news"])]);
    }

    /// A datagram pipe (udp://) takes every group; one gone for good stops taking them (a DISH
    /// in its slot gets only its groups), the others go on. A group name of 15 bytes, the longest, is sent.
    #[test]
    fn datagram_pipes_take_every_group_until_they_go() {
        let core = core(SocketType::Radio, 10, 10);
        let [a, b] = [(); 2].map(|()| {
            let pipe = core.add_pipe(false);
            core.mark_datagram(pipe);
            assert!(core.attach_peer(pipe, None));
            pipe
        });
        assert!(matches!(
            send(&core, ["0123456789abcde", "x"]),
            Poll::Ready(Ok(()))
        ));
        core.detach(a, false);
        let dish = attached(&core, None);
        assert_eq!(dish.key, a.key, "a DISH that joined nothing takes the slot");
        assert!(matches!(send(&core, ["tv", "y"]), Poll::Ready(Ok(()))));
        assert!(outbound_messages(&core, dish).is_empty());
        assert_eq!(
            outbound_messages(&core, b),
            [
                Message::from(["0123456789abcde", "x"]),
                Message::from(["tv", "y"])
            ]
        );
    }

    /// A DISH whose connection is lost drops the joins still queued for it: the next
    /// connection is told the groups it is in then, once.
    #[test]
    fn a_dish_reconnecting_sends_only_its_current_groups() {
        let core = core(SocketType::Dish, 10, 10);
        let a = core.add_pipe(true);
        assert!(core.attach_peer(a, None));
        core.subscribe(true, b"gone").expect("join");
        core.subscribe(true, b"kept").expect("join");
        core.detach(a, true);
        core.subscribe(false, b"gone").expect("leave");
        assert!(core.attach_peer(a, None));
        assert_eq!(outbound(&core, a), [join("kept")]);
    }
}
