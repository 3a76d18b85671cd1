//! Publish / subscribe: the publisher side (PUB, XPUB) keeps each peer's subscriptions in a
//! [`SubscriptionTrie`] and fans messages out to the matching pipes; the subscriber side (SUB,
//! XSUB) keeps its own subscriptions, sends them to every peer (again when a peer (re)connects)
//! and, for SUB, filters what it receives, as the application reads it (libzmq's SUB does too:
//! a message that arrived before the subscription matching it is kept).
//!
//! Subscriptions travel through pipes as typed items ([`PipeItem::Subscribe`],
//! [`PipeItem::Cancel`]): the connection engine turns them into SUBSCRIBE / CANCEL commands for
//! a ZMTP 3.1 peer (the 3.0 message form otherwise), and those commands into items; inproc
//! links hand them over as they are. They are stored once, here. The one place a subscription
//! is a message is the application's side of XPUB and XSUB (libzmq's API: byte 1 or 0, then
//! the prefix), and a ZMTP 3.0 peer's, which sends them in that form.
//!
//! Fan-out shares one copy of the body: each matching pipe gets a clone of the `Message`, whose
//! frames are reference-counted `Bytes`.

use std::collections::VecDeque;
use std::task::Poll;

use bytes::{BufMut, Bytes, BytesMut};
use zmtp_codec::Message;

use super::subscriptions::{MatchScratch, Repeats, SubscriptionSet, SubscriptionTrie};
use super::{check_non_empty, fan_out, Pattern, Sent};
use crate::core::pipe::{PipeId, PipeItem};
use crate::core::pipes::Pipes;
use crate::core::waiters::Wake;
use crate::error::{Error, Result};
use crate::options::SocketOptions;

/// A subscription or cancel as the application sees it on XPUB and XSUB (and a ZMTP 3.0 peer
/// sends it): a message of byte 1 (or 0), then the prefix.
pub(crate) fn subscription_message(subscribe: bool, prefix: &[u8]) -> Message {
    let mut body = BytesMut::with_capacity(prefix.len() + 1);
    body.put_u8(u8::from(subscribe));
    body.put_slice(prefix);
    Message::single(body.freeze())
}

/// Reads a subscription message: `(subscribe, prefix)`, or `None` for any other message.
pub(crate) fn parse_subscription(msg: &Message) -> Option<(bool, Bytes)> {
    let [frame] = msg.frames() else { return None };
    match frame.first() {
        Some(1) => Some((true, frame.slice(1..))),
        Some(0) => Some((false, frame.slice(1..))),
        _ => None,
    }
}

/// The first frame of a message: what subscriptions are matched against.
fn topic(msg: &Message) -> &[u8] {
    msg.first().map_or(&[][..], |f| &f[..])
}

/// The options a publisher consults as they are now (set on the live socket).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PublisherOptions {
    /// `ZMQ_XPUB_VERBOSE`: pass up every subscription, not only new prefixes.
    pub(crate) verbose: bool,
    /// `ZMQ_XPUB_VERBOSER`: also every cancel, not only of prefixes left with no subscriber.
    pub(crate) verboser: bool,
    /// `ZMQ_XPUB_MANUAL`: subscriptions are passed up but not applied; the application applies
    /// them (to the pipe the last one came from) with subscribe / unsubscribe.
    pub(crate) manual: bool,
    /// `ZMQ_XPUB_NODROP`: a send waits (or is `EAGAIN`) while a matching peer's queue is full,
    /// rather than dropping the message for that peer.
    pub(crate) nodrop: bool,
    /// `ZMQ_INVERT_MATCHING`: send to the peers with no matching subscription.
    pub(crate) invert: bool,
    /// `ZMQ_XPUB_WELCOME_MSG`: queued to each new peer first.
    pub(crate) welcome: Option<Bytes>,
}

impl PublisherOptions {
    /// The publisher's options as `options` has them now.
    pub(crate) fn from_options(options: &SocketOptions) -> PublisherOptions {
        PublisherOptions {
            verbose: options.get_xpub_verbose() || options.get_xpub_verboser(),
            verboser: options.get_xpub_verboser(),
            manual: options.get_xpub_manual(),
            nodrop: options.get_xpub_nodrop(),
            invert: options.get_invert_matching(),
            welcome: options.get_xpub_welcome_msg().cloned(),
        }
    }
}

/// PUB and XPUB.
#[derive(Debug)]
pub(crate) struct Publisher {
    /// XPUB (passes subscriptions and other messages up to the application) rather than PUB.
    xpub: bool,
    pub(crate) options: PublisherOptions,
    trie: SubscriptionTrie,
    /// XPUB_MANUAL: what each peer asked for (passed up, not applied), so that a peer that goes
    /// has its prefixes cancelled upstream, as libzmq does.
    requested: SubscriptionTrie,
    scratch: MatchScratch,
    /// The pipes a message goes to (reused).
    targets: Vec<usize>,
    /// XPUB: what the application receives besides peers' messages (subscriptions, cancels),
    /// with the pipe each came from.
    pending: VecDeque<(Option<PipeId>, Message)>,
    /// XPUB_MANUAL: the pipe of the last subscription the application received.
    last_pipe: Option<PipeId>,
}

impl Publisher {
    /// PUB (`xpub` false) or XPUB.
    pub(crate) fn new(xpub: bool) -> Publisher {
        Publisher {
            xpub,
            options: PublisherOptions::default(),
            trie: SubscriptionTrie::new(Repeats::Once),
            requested: SubscriptionTrie::new(Repeats::Once),
            scratch: MatchScratch::new(),
            targets: Vec::new(),
            pending: VecDeque::new(),
            last_pipe: None,
        }
    }

    /// A subscription or cancel from the peer of pipe `from`: applied (or, with
    /// `ZMQ_XPUB_MANUAL`, recorded), and passed up on an XPUB when libzmq would.
    fn peer_subscription(
        &mut self,
        from: PipeId,
        subscribe: bool,
        prefix: &[u8],
        wake: &mut Wake,
        pipes: &mut Pipes,
    ) {
        let opts = &self.options;
        let pass_up = if opts.manual {
            if subscribe {
                self.requested.subscribe(prefix, from.key);
            } else {
                self.requested.unsubscribe(prefix, from.key);
            }
            true
        } else if subscribe {
            self.trie.subscribe(prefix, from.key) || opts.verbose
        } else {
            self.trie.unsubscribe(prefix, from.key).prefix_vacated() || opts.verboser
        };
        if pass_up && self.xpub {
            self.pending
                .push_back((Some(from), subscription_message(subscribe, prefix)));
            pipes.recv_waiters.wake_all(wake);
        }
    }
}

impl Pattern for Publisher {
    fn configure(&mut self, options: &SocketOptions) {
        self.options = PublisherOptions::from_options(options);
    }

    /// PUB, not XPUB (libzmq's `ZMQ_CONFLATE` list).
    fn conflates(&self) -> bool {
        !self.xpub
    }

    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        _identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        // A multicast pipe (epgm://, pgm://) has no peer to subscribe: it takes everything and
        // the receivers filter (libzmq's `subscribe_to_all`).
        if pipes.at(key).is_some_and(|p| p.datagram) {
            self.trie.subscribe(b"", key);
        }
        if let Some(welcome) = self.options.welcome.clone() {
            if let Some(pipe) = pipes.at_mut(key) {
                pipe.outbound
                    .push_front(PipeItem::Message(Message::single(welcome)));
                wake.push(pipe.writer.take());
            }
        }
    }

    /// A peer is gone: its subscriptions go, and an XPUB passes up the cancels of prefixes no
    /// one else holds (every one with `ZMQ_XPUB_VERBOSER`); with `ZMQ_XPUB_MANUAL`, a cancel of
    /// every prefix the peer had asked for and not cancelled. (A reconnecting peer sends its
    /// subscriptions again.)
    fn detached(&mut self, pipes: &mut Pipes, key: usize, _for_good: bool, wake: &mut Wake) {
        let (xpub, verboser, manual) = (self.xpub, self.options.verboser, self.options.manual);
        let mut cancels = Vec::new();
        self.trie.remove_pipe(key, |prefix, last| {
            if xpub && !manual && (last || verboser) {
                cancels.push(subscription_message(false, prefix));
            }
        });
        self.requested.remove_pipe(key, |prefix, _| {
            if xpub && manual {
                cancels.push(subscription_message(false, prefix));
            }
        });
        if !cancels.is_empty() {
            self.pending.extend(cancels.into_iter().map(|m| (None, m)));
            pipes.recv_waiters.wake_all(wake);
        }
        if self.last_pipe.is_some_and(|p| p.key == key) {
            self.last_pipe = None;
        }
    }

    fn filters_inbound(&self) -> bool {
        true
    }

    fn inbound(
        &mut self,
        pipes: &mut Pipes,
        from: PipeId,
        item: PipeItem,
        wake: &mut Wake,
    ) -> Option<Message> {
        match item {
            PipeItem::Subscribe(prefix) => {
                self.peer_subscription(from, true, &prefix, wake, pipes);
                None
            }
            PipeItem::Cancel(prefix) => {
                self.peer_subscription(from, false, &prefix, wake, pipes);
                None
            }
            // A ZMTP 3.0 peer's subscriptions are messages (libzmq's XPUB reads any message
            // starting with byte 1 or 0 so).
            PipeItem::Message(msg) => match parse_subscription(&msg) {
                Some((subscribe, prefix)) => {
                    self.peer_subscription(from, subscribe, &prefix, wake, pipes);
                    None
                }
                // A peer's own message: an XPUB passes it up (libzmq 4.2+), a PUB drops it.
                None => self.xpub.then_some(msg),
            },
        }
    }

    /// Fan-out: `msg` goes to every attached pipe with a subscription matching its first frame
    /// (with `ZMQ_INVERT_MATCHING`: to those with none). A full pipe misses it, unless
    /// `ZMQ_XPUB_NODROP`: then nothing is sent while any target is full (`Pending`).
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
        let topic = topic(m);
        if self.options.invert {
            let attached = pipes
                .lb
                .iter()
                .copied()
                .filter(|&k| pipes.at(k).is_some_and(|p| p.attached));
            self.trie
                .for_each_non_match(topic, attached, &mut self.scratch, |k| targets.push(k));
        } else {
            self.trie
                .for_each_match(topic, &mut self.scratch, |k| targets.push(k));
        }
        let full = self.options.nodrop
            && targets
                .iter()
                .any(|&k| pipes.at(k).is_some_and(|p| !p.has_room()));
        let result = if full {
            Poll::Pending
        } else {
            fan_out(pipes, &targets, msg, wake);
            Poll::Ready(Ok(Sent::Done))
        };
        self.targets = targets;
        result
    }

    /// XPUB: a subscription or cancel passed up first, then peers' own messages in
    /// fair-queueing order.
    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        if !self.xpub {
            return Poll::Ready(Err(Error::InvalidState("a PUB socket does not receive")));
        }
        if let Some((pipe, msg)) = self.pending.pop_front() {
            // A cancel for a departed peer leaves no pipe for XPUB_MANUAL to apply to.
            self.last_pipe = pipe;
            return Poll::Ready(Ok(msg));
        }
        super::poll_recv_fq(pipes, wake)
    }

    /// `ZMQ_XPUB_MANUAL`: applies a subscription (or cancel) to the pipe the last one came
    /// from. Without one (none received yet, or its peer gone) it does nothing, as libzmq.
    fn subscribe(
        &mut self,
        pipes: &mut Pipes,
        subscribe: bool,
        prefix: &[u8],
        _wake: &mut Wake,
    ) -> Result<()> {
        if !self.options.manual {
            return Err(Error::InvalidState(
                "an XPUB applies subscriptions itself only with ZMQ_XPUB_MANUAL",
            ));
        }
        let Some(pipe) = self.last_pipe else {
            return Ok(());
        };
        if pipes.get_mut(pipe).is_none() {
            return Ok(());
        }
        if subscribe {
            self.trie.subscribe(prefix, pipe.key);
        } else {
            self.trie.unsubscribe(prefix, pipe.key);
        }
        Ok(())
    }
}

/// SUB and XSUB.
#[derive(Debug)]
pub(crate) struct Subscriber {
    /// Our subscriptions, counted (re-sent to each peer that attaches).
    subscriptions: SubscriptionSet,
    /// SUB filters what arrives by them; XSUB passes everything and sends.
    filter: bool,
    /// `ZMQ_INVERT_MATCHING` on a SUB: keep what matches none.
    invert: bool,
}

impl Subscriber {
    /// SUB (`filter`) or XSUB.
    pub(crate) fn new(filter: bool) -> Subscriber {
        Subscriber {
            subscriptions: SubscriptionSet::new(),
            filter,
            invert: false,
        }
    }

    /// Whether a SUB keeps a message with this topic.
    fn keeps(&self, msg: &Message) -> bool {
        !self.filter || self.subscriptions.matches(topic(msg)) != self.invert
    }
}

impl Pattern for Subscriber {
    fn configure(&mut self, options: &SocketOptions) {
        if self.filter {
            self.invert = options.get_invert_matching();
        }
    }

    /// SUB, not XSUB (libzmq's `ZMQ_CONFLATE` list).
    fn conflates(&self) -> bool {
        self.filter
    }

    /// A new peer gets every subscription first (a reconnected publisher learns them again).
    fn attached(
        &mut self,
        pipes: &mut Pipes,
        key: usize,
        _identity: Option<&Bytes>,
        wake: &mut Wake,
    ) {
        let mut first = Vec::new();
        self.subscriptions
            .for_each(|prefix| first.push(PipeItem::Subscribe(Bytes::copy_from_slice(prefix))));
        if first.is_empty() {
            return;
        }
        if let Some(pipe) = pipes.at_mut(key) {
            for item in first.into_iter().rev() {
                pipe.outbound.push_front(item);
            }
            wake.push(pipe.writer.take());
        }
    }

    fn detached(&mut self, pipes: &mut Pipes, key: usize, for_good: bool, _wake: &mut Wake) {
        if for_good {
            return;
        }
        // Subscriptions still queued are stale: the next connection gets the whole current
        // set first (an unsubscribe made meanwhile must not be undone by an old subscribe).
        if let Some(pipe) = pipes.at_mut(key) {
            pipe.outbound
                .retain(|item| matches!(item, PipeItem::Message(_)));
        }
    }

    /// XSUB: a subscription message (byte 1 or 0, then the prefix) updates the subscriptions;
    /// any other message goes to every peer with room.
    fn prepare_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Result<()> {
        if self.filter {
            return Err(Error::InvalidState("a SUB socket does not send"));
        }
        check_non_empty(msg)?;
        if let Some((subscribe, prefix)) = msg.as_ref().and_then(parse_subscription) {
            *msg = None;
            self.subscribe(pipes, subscribe, &prefix, wake)?;
        }
        Ok(())
    }

    fn poll_send(
        &mut self,
        pipes: &mut Pipes,
        msg: &mut Option<Message>,
        wake: &mut Wake,
    ) -> Poll<Result<Sent>> {
        if let Some(msg) = msg.take() {
            pipes.send_to_all(PipeItem::Message(msg), false, wake);
        }
        Poll::Ready(Ok(Sent::Done))
    }

    /// Checks each message against the subscriptions as they are when it is read (a welcome
    /// message that arrives just before the SUB subscribes to it is kept, as in libzmq).
    fn poll_recv(&mut self, pipes: &mut Pipes, wake: &mut Wake) -> Poll<Result<Message>> {
        while let Some(msg) = pipes.pop_message(wake) {
            if self.keeps(&msg) {
                return Poll::Ready(Ok(msg));
            }
        }
        Poll::Pending
    }

    /// Counted; a subscribe always goes to every peer, a cancel only when the last
    /// subscription of the prefix goes (libzmq's XSUB rules).
    fn subscribe(
        &mut self,
        pipes: &mut Pipes,
        subscribe: bool,
        prefix: &[u8],
        wake: &mut Wake,
    ) -> Result<()> {
        let forward = if subscribe {
            self.subscriptions.add(prefix);
            true
        } else {
            self.subscriptions.remove(prefix)
        };
        if forward {
            let prefix = Bytes::copy_from_slice(prefix);
            let item = if subscribe {
                PipeItem::Subscribe(prefix)
            } else {
                PipeItem::Cancel(prefix)
            };
            pipes.send_to_all(item, true, wake);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::test_support::{
        attached, core, core_with, deliver, marks, outbound, outbound_messages, received,
        reconfigure, sent, take,
    };
    use crate::core::{Core, Outgoing};
    use std::sync::Arc;
    use zmtp_codec::SocketType;

    fn publisher(xpub: bool) -> (Arc<Core>, PipeId, PipeId) {
        let core = core(
            if xpub {
                SocketType::XPub
            } else {
                SocketType::Pub
            },
            10,
            10,
        );
        let a = attached(&core, None);
        let b = attached(&core, None);
        (core, a, b)
    }

    fn sub(prefix: &'static str) -> PipeItem {
        PipeItem::Subscribe(Bytes::from_static(prefix.as_bytes()))
    }

    fn cancel(prefix: &'static str) -> PipeItem {
        PipeItem::Cancel(Bytes::from_static(prefix.as_bytes()))
    }

    #[test]
    fn fan_out_goes_to_matching_subscribers_only() {
        let (core, a, b) = publisher(false);
        deliver(&core, a, [sub("weather.")]);
        // A ZMTP 3.0 peer subscribes with a message.
        deliver(&core, b, [subscription_message(true, b"")]);
        sent(&core, ["weather.paris", "14C"]);
        sent(&core, ["sport", "1-0"]);
        assert_eq!(
            outbound_messages(&core, a),
            [Message::from(["weather.paris", "14C"])]
        );
        assert_eq!(outbound(&core, b).len(), 2, "the empty prefix matches all");
        deliver(&core, a, [cancel("weather.")]);
        sent(&core, ["weather.oslo", "2C"]);
        assert!(outbound(&core, a).is_empty(), "cancelled");
    }

    #[test]
    fn a_full_subscriber_misses_messages_unless_nodrop() {
        let core = core(SocketType::Pub, 2, 10);
        let a = attached(&core, None);
        deliver(&core, a, [sub("")]);
        for _ in 0..5 {
            sent(&core, "x");
        }
        assert_eq!(outbound(&core, a).len(), 2, "SNDHWM 2: the rest dropped");
        reconfigure(&core, SocketType::Pub, marks(2, 10).xpub_nodrop(true));
        sent(&core, "1");
        sent(&core, "2");
        let mut out = Outgoing::new(Message::from("3"));
        assert!(core.poll_send(None, &mut out).is_pending());
        assert!(out.msg.is_some(), "kept for the retry");
        assert_eq!(take(&core, a, 10).1.len(), 2);
        assert!(matches!(
            core.poll_send(None, &mut out),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(outbound_messages(&core, a), [Message::from("3")]);
    }

    #[test]
    fn xpub_passes_up_new_prefixes_and_last_cancels() {
        let (core, a, b) = publisher(true);
        deliver(&core, a, [sub("t")]);
        deliver(&core, b, [sub("t")]);
        deliver(&core, a, [cancel("t")]);
        deliver(&core, b, [Message::from(["upstream", "data"])]);
        let got: Vec<Message> = std::iter::from_fn(|| received(&core)).collect();
        assert_eq!(
            got,
            [
                subscription_message(true, b"t"),
                Message::from(["upstream", "data"])
            ],
            "the second subscribe and the first cancel are not news"
        );
        core.detach(b, false);
        assert_eq!(
            received(&core),
            Some(subscription_message(false, b"t")),
            "a departed subscriber's last prefix is cancelled"
        );
    }

    #[test]
    fn xpub_manual_applies_what_the_application_says() {
        let core = core_with(SocketType::XPub, marks(10, 10).xpub_manual(true));
        let a = attached(&core, None);
        deliver(&core, a, [sub("asked")]);
        sent(&core, "asked.1");
        assert!(outbound(&core, a).is_empty(), "not applied by itself");
        assert_eq!(received(&core), Some(subscription_message(true, b"asked")));
        core.subscribe(true, b"other").expect("applied");
        sent(&core, "other.1");
        assert_eq!(outbound_messages(&core, a), [Message::from("other.1")]);
    }

    /// `ZMQ_CONFLATE` acts on PUB and SUB, not on XPUB and XSUB (libzmq's list): a PUB's
    /// subscriber and a SUB's peer keep only the newest message, an XPUB's and an XSUB's keep
    /// every one.
    #[test]
    fn conflate_keeps_the_newest_on_pub_and_sub_only() {
        let newest = [Message::from("x.3")];
        let all = ["x.1", "x.2", "x.3"].map(Message::from);
        for (socket_type, expected) in
            [(SocketType::Pub, &newest[..]), (SocketType::XPub, &all[..])]
        {
            let core = core_with(socket_type, marks(10, 10).conflate(true));
            let a = attached(&core, None);
            deliver(&core, a, [sub("x")]);
            for m in &all {
                sent(&core, m.clone());
            }
            assert_eq!(outbound_messages(&core, a), expected, "{socket_type:?}");
        }
        for (socket_type, expected) in
            [(SocketType::Sub, &newest[..]), (SocketType::XSub, &all[..])]
        {
            let core = core_with(socket_type, marks(10, 10).conflate(true));
            let a = attached(&core, None);
            core.subscribe(true, b"x").expect("subscribe");
            deliver(&core, a, all.clone());
            let got: Vec<Message> = std::iter::from_fn(|| received(&core)).collect();
            assert_eq!(got, expected, "{socket_type:?}");
        }
    }

    /// With `ZMQ_XPUB_MANUAL`, the subscription the application applies goes to the peer whose
    /// request it read last, even after another peer left meanwhile.
    #[test]
    fn xpub_manual_applies_to_the_last_requester_after_another_peer_leaves() {
        let core = core_with(SocketType::XPub, marks(10, 10).xpub_manual(true));
        let a = attached(&core, None);
        let b = attached(&core, None);
        deliver(&core, a, [sub("x")]);
        assert_eq!(received(&core), Some(subscription_message(true, b"x")));
        core.detach(b, true);
        core.subscribe(true, b"x").expect("applied");
        sent(&core, "x.1");
        assert_eq!(outbound_messages(&core, a), [Message::from("x.1")]);
    }

    #[test]
    fn a_sub_filters_by_its_subscriptions_when_the_message_is_read() {
        let core = core(SocketType::Sub, 10, 10);
        let a = attached(&core, None);
        core.subscribe(true, b"old").expect("subscribe");
        deliver(&core, a, ["welcome", "old.1"].map(Message::from));
        // Subscribed after the welcome arrived, cancelled after old.1 did: read now, the
        // welcome is kept and old.1 is not.
        core.subscribe(true, b"welcome").expect("subscribe");
        core.subscribe(false, b"old").expect("cancel");
        assert_eq!(received(&core), Some(Message::from("welcome")));
        assert_eq!(received(&core), None, "old.1 dropped");
    }

    #[test]
    fn xpub_manual_cancels_what_a_departed_peer_asked_for() {
        let core = core_with(SocketType::XPub, marks(10, 10).xpub_manual(true));
        let a = attached(&core, None);
        deliver(&core, a, [sub("x")]);
        deliver(&core, a, [sub("y")]);
        deliver(&core, a, [cancel("x")]);
        for _ in 0..3 {
            assert!(received(&core).is_some());
        }
        core.subscribe(true, b"applied").expect("applied");
        core.detach(a, false);
        assert_eq!(
            received(&core),
            Some(subscription_message(false, b"y")),
            "its own remaining prefix, not the one applied for it"
        );
        assert_eq!(received(&core), None);
        core.subscribe(true, b"late").expect("nothing to apply to");
        // After that cancel there is no peer to apply a subscription to: a new peer (in the
        // departed one's place) has none of them.
        let b = attached(&core, None);
        assert_eq!(b.key, a.key, "the departed pipe's key is reused");
        sent(&core, "late.1");
        sent(&core, "applied.1");
        assert!(outbound(&core, b).is_empty());
    }

    #[test]
    fn stale_subscriptions_do_not_survive_a_reconnect() {
        let core = core(SocketType::Sub, 10, 10);
        let a = core.add_pipe(true);
        assert!(core.attach_peer(a, None));
        core.subscribe(true, b"gone").expect("subscribe");
        core.subscribe(true, b"kept").expect("subscribe");
        // The connection is lost before it takes them; "gone" is cancelled meanwhile.
        core.detach(a, true);
        core.subscribe(false, b"gone").expect("cancel");
        assert!(core.attach_peer(a, None));
        assert_eq!(
            outbound(&core, a),
            [sub("kept")],
            "only the current set, once"
        );
    }

    #[test]
    fn a_subscriber_sends_its_subscriptions_to_each_new_peer_and_filters() {
        let core = core(SocketType::Sub, 10, 10);
        let a = attached(&core, None);
        core.subscribe(true, b"x").expect("subscribe");
        core.subscribe(true, b"x").expect("again");
        assert_eq!(
            outbound(&core, a),
            [sub("x"), sub("x")],
            "every subscribe goes up"
        );
        core.subscribe(false, b"x").expect("cancel one");
        assert!(outbound(&core, a).is_empty(), "not the last: kept");
        let b = attached(&core, None);
        assert_eq!(outbound(&core, b), [sub("x")]);
        deliver(&core, a, ["xyz", "abc"].map(Message::from));
        assert_eq!(received(&core), Some(Message::from("xyz")));
        assert_eq!(received(&core), None, "abc filtered out");
    }

    /// A subscription goes to every peer of a subscriber, the last one included; an XSUB's
    /// message goes to every peer with room (a full one misses it, as in libzmq), while a
    /// subscription goes to a full one too.
    #[test]
    fn subscriptions_go_to_every_peer_and_messages_to_those_with_room() {
        let subscriber = core(SocketType::Sub, 10, 10);
        let peers = [(); 3].map(|()| attached(&subscriber, None));
        subscriber.subscribe(true, b"x").expect("subscribe");
        for peer in peers {
            assert_eq!(outbound(&subscriber, peer), [sub("x")], "every peer");
        }
        let xsub = core(SocketType::XSub, 1, 10);
        let (a, b) = (attached(&xsub, None), attached(&xsub, None));
        sent(&xsub, "first");
        sent(&xsub, "second");
        sent(&xsub, b"\x01y".to_vec());
        for peer in [a, b] {
            assert_eq!(
                outbound(&xsub, peer),
                [PipeItem::Message(Message::from("first")), sub("y")],
                "SNDHWM 1: the second message missed, the subscription went"
            );
        }
    }
}
