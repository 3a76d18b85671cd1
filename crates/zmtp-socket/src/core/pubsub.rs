//! Publish-subscribe in the core: the publisher side (PUB, XPUB) keeps each peer's
//! subscriptions in a [`SubscriptionTrie`] and fans messages out to the matching pipes; the
//! subscriber side (SUB, XSUB) keeps its own subscriptions, sends them to every peer (again when a
//! peer (re)connects) and, for SUB, filters what it receives, as the application reads it
//! (libzmq's SUB does too: a message that arrived before the subscription matching it is kept).
//!
//! Subscriptions travel through pipes as libzmq carries them internally: a one-frame message
//! whose first byte is 1 (subscribe) or 0 (cancel), then the prefix. The connection engine
//! turns them into SUBSCRIBE / CANCEL commands for a ZMTP 3.1 peer (the 3.0 message form
//! otherwise), and commands received into such messages; inproc links carry them as they are.
//!
//! Fan-out shares one copy of the body: each matching pipe gets a clone of the `Message`, whose
//! frames are reference-counted `Bytes`.

use std::collections::VecDeque;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use zmtp_codec::Message;

use super::subscriptions::{MatchScratch, Repeats, SubscriptionSet, SubscriptionTrie};
use super::{Core, PipeId, State, Wake};

/// A subscription or cancel, as a message travelling through a pipe.
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
    /// XPUB (passes subscriptions and other messages up to the application) rather than PUB.
    pub(crate) xpub: bool,
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

/// PUB and XPUB state.
#[derive(Debug)]
pub(crate) struct Publisher {
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

/// SUB and XSUB state.
#[derive(Debug)]
pub(crate) struct Subscriber {
    /// Our subscriptions, counted (re-sent to each peer that attaches).
    subscriptions: SubscriptionSet,
    /// SUB filters what arrives by them; XSUB passes everything.
    filter: bool,
    /// `ZMQ_INVERT_MATCHING` on a SUB: keep what matches none.
    pub(crate) invert: bool,
}

impl Publisher {
    pub(crate) fn new(options: PublisherOptions) -> Box<Publisher> {
        Box::new(Publisher {
            options,
            trie: SubscriptionTrie::new(Repeats::Once),
            requested: SubscriptionTrie::new(Repeats::Once),
            scratch: MatchScratch::new(),
            targets: Vec::new(),
            pending: VecDeque::new(),
            last_pipe: None,
        })
    }
}

impl Subscriber {
    pub(crate) fn new(filter: bool) -> Box<Subscriber> {
        Box::new(Subscriber {
            subscriptions: SubscriptionSet::new(),
            filter,
            invert: false,
        })
    }

    /// Whether a SUB keeps a message with this topic.
    fn keeps(&self, topic: &[u8]) -> bool {
        !self.filter || self.subscriptions.matches(topic) != self.invert
    }
}

impl State {
    /// Takes a message from a peer before it is queued for the application: a subscription is
    /// applied (and, on an XPUB, passed up when libzmq would), other messages are kept only by
    /// an XPUB. A subscriber queues everything (a SUB filters as the application reads, see
    /// [`State::subscriber_keeps`]). Returns the message to queue.
    pub(crate) fn filter_inbound(
        &mut self,
        from: PipeId,
        msg: Message,
        wake: &mut Wake,
    ) -> Option<Message> {
        if self.subscriber.is_some() {
            return Some(msg);
        }
        let Some(publisher) = self.publisher.as_mut() else {
            return Some(msg);
        };
        let Some((subscribe, prefix)) = parse_subscription(&msg) else {
            // A peer's own message: an XPUB passes it up (libzmq 4.2+), a PUB drops it.
            return publisher.options.xpub.then_some(msg);
        };
        let opts = &publisher.options;
        let pass_up = if opts.manual {
            if subscribe {
                publisher.requested.subscribe(&prefix, from.key);
            } else {
                publisher.requested.unsubscribe(&prefix, from.key);
            }
            true
        } else if subscribe {
            publisher.trie.subscribe(&prefix, from.key) || opts.verbose
        } else {
            publisher
                .trie
                .unsubscribe(&prefix, from.key)
                .prefix_vacated()
                || opts.verboser
        };
        if pass_up && opts.xpub {
            publisher.pending.push_back((Some(from), msg));
            wake.push(self.recv_waker.take());
        }
        None
    }

    /// Whether a message read from the queue goes to the application: a SUB checks it against
    /// its subscriptions as they are when it is read (a welcome message that arrives just before
    /// the SUB subscribes to it is kept, as in libzmq); other sockets keep everything.
    pub(crate) fn subscriber_keeps(&self, msg: &Message) -> bool {
        self.subscriber
            .as_ref()
            .is_none_or(|sub| sub.keeps(topic(msg)))
    }

    /// A pipe's peer is gone: its subscriptions go, and an XPUB passes up the cancels of
    /// prefixes no one else holds (every one with `ZMQ_XPUB_VERBOSER`); with `ZMQ_XPUB_MANUAL`,
    /// a cancel of every prefix the peer had asked for and not cancelled.
    pub(crate) fn forget_subscriber(&mut self, key: usize, wake: &mut Wake) {
        let Some(publisher) = self.publisher.as_mut() else {
            return;
        };
        let (xpub, verboser, manual) = (
            publisher.options.xpub,
            publisher.options.verboser,
            publisher.options.manual,
        );
        let mut cancels = Vec::new();
        publisher.trie.remove_pipe(key, |prefix, last| {
            if xpub && !manual && (last || verboser) {
                cancels.push(subscription_message(false, prefix));
            }
        });
        publisher.requested.remove_pipe(key, |prefix, _| {
            if xpub && manual {
                cancels.push(subscription_message(false, prefix));
            }
        });
        if !cancels.is_empty() {
            publisher
                .pending
                .extend(cancels.into_iter().map(|m| (None, m)));
            wake.push(self.recv_waker.take());
        }
        if publisher.last_pipe.is_some_and(|p| p.key == key) {
            publisher.last_pipe = None;
        }
    }

    /// What a newly attached pipe gets first: a subscriber's subscriptions (all of them, so a
    /// reconnected publisher knows them again), a publisher's welcome message.
    pub(crate) fn greet_pipe(&mut self, key: usize, wake: &mut Wake) {
        let mut first = Vec::new();
        if let Some(sub) = &self.subscriber {
            sub.subscriptions
                .for_each(|prefix| first.push(subscription_message(true, prefix)));
        }
        if let Some(welcome) = self
            .publisher
            .as_ref()
            .and_then(|p| p.options.welcome.clone())
        {
            first.push(Message::single(welcome));
        }
        if first.is_empty() {
            return;
        }
        if let Some(pipe) = self.pipes.get_mut(key) {
            for msg in first.into_iter().rev() {
                pipe.outbound.push_front(msg);
            }
            wake.push(pipe.writer.take());
        }
    }

    /// Queues `msg` on every attached pipe (subscriptions ignore `ZMQ_SNDHWM`, other messages
    /// are dropped for a full pipe, as libzmq's XSUB does).
    fn send_to_all(&mut self, msg: Message, ignore_hwm: bool, wake: &mut Wake) {
        let keys: Vec<usize> = self.lb.clone();
        let mut msg = Some(msg);
        let n = keys.len();
        for (i, key) in keys.into_iter().enumerate() {
            let Some(pipe) = self.pipes.get_mut(key) else {
                continue;
            };
            if !pipe.attached || !(ignore_hwm || pipe.has_room()) {
                continue;
            }
            let m = if i + 1 == n { msg.take() } else { msg.clone() };
            if let Some(m) = m {
                if ignore_hwm {
                    // A subscription: never conflated away (ZMQ_CONFLATE is for data).
                    pipe.outbound.push_back(m);
                } else {
                    pipe.push_outbound(m);
                }
                wake.push(pipe.writer.take());
            }
        }
    }
}

impl Core {
    /// Makes the socket a publisher (PUB, XPUB).
    pub(crate) fn make_publisher(&self, options: PublisherOptions) {
        self.state.lock().publisher = Some(Publisher::new(options));
    }

    /// Makes the socket a subscriber: SUB (`filter`) or XSUB.
    pub(crate) fn make_subscriber(&self, filter: bool) {
        self.state.lock().subscriber = Some(Subscriber::new(filter));
    }

    /// The publisher's options changed on the live socket.
    pub(crate) fn set_publisher_options(&self, options: PublisherOptions) {
        if let Some(p) = self.state.lock().publisher.as_mut() {
            p.options = options;
        }
    }

    /// `ZMQ_INVERT_MATCHING` on a SUB.
    pub(crate) fn set_subscriber_invert(&self, invert: bool) {
        if let Some(s) = self.state.lock().subscriber.as_mut() {
            s.invert = invert;
        }
    }

    /// Fan-out (PUB, XPUB): `msg` goes to every attached pipe with a subscription matching its
    /// first frame (with `invert`: to those with none). A full pipe misses it, unless `nodrop`:
    /// then nothing is sent while any target is full (`Pending`, with `cx`'s waker registered).
    pub(crate) fn poll_send_dist(
        &self,
        cx: Option<&mut Context<'_>>,
        msg: &mut Option<Message>,
    ) -> Poll<Result<(), crate::Error>> {
        let mut wake = Wake::default();
        let result = {
            let mut st = self.state.lock();
            if st.closed {
                return Poll::Ready(Err(crate::Error::Closed));
            }
            let st = &mut *st;
            let Some(publisher) = st.publisher.as_mut() else {
                return Poll::Ready(Err(crate::Error::InvalidState(
                    "only PUB and XPUB sockets fan out",
                )));
            };
            let Some(m) = msg.as_ref() else {
                return Poll::Ready(Ok(()));
            };
            let mut targets = std::mem::take(&mut publisher.targets);
            targets.clear();
            let topic = topic(m);
            if publisher.options.invert {
                let attached = st
                    .lb
                    .iter()
                    .copied()
                    .filter(|&k| st.pipes.get(k).is_some_and(|p| p.attached));
                publisher
                    .trie
                    .for_each_non_match(topic, attached, &mut publisher.scratch, |k| {
                        targets.push(k)
                    });
            } else {
                publisher
                    .trie
                    .for_each_match(topic, &mut publisher.scratch, |k| targets.push(k));
            }
            let nodrop = publisher.options.nodrop;
            let full = nodrop
                && targets
                    .iter()
                    .any(|&k| st.pipes.get(k).is_some_and(|p| !p.has_room()));
            let result = if full {
                if let Some(cx) = cx {
                    st.send_waker = Some(cx.waker().clone());
                }
                Poll::Pending
            } else {
                let mut m = msg.take();
                let n = targets.len();
                for (i, &k) in targets.iter().enumerate() {
                    let Some(pipe) = st.pipes.get_mut(k) else {
                        continue;
                    };
                    if !pipe.attached || !pipe.has_room() {
                        continue;
                    }
                    let copy = if i + 1 == n { m.take() } else { m.clone() };
                    if let Some(copy) = copy {
                        pipe.push_outbound(copy);
                        wake.push(pipe.writer.take());
                    }
                }
                Poll::Ready(Ok(()))
            };
            if let Some(p) = st.publisher.as_mut() {
                p.targets = targets;
            }
            result
        };
        wake.run();
        result
    }

    /// XPUB receive: a subscription or cancel passed up first, then peers' own messages in
    /// fair-queueing order.
    pub(crate) fn poll_recv_xpub(
        &self,
        cx: Option<&mut Context<'_>>,
    ) -> Poll<Result<Message, crate::Error>> {
        {
            let mut st = self.state.lock();
            if let Some(p) = st.publisher.as_mut() {
                if let Some((pipe, msg)) = p.pending.pop_front() {
                    // A cancel for a departed peer leaves no pipe for XPUB_MANUAL to apply to.
                    p.last_pipe = pipe;
                    return Poll::Ready(Ok(msg));
                }
            }
        }
        self.poll_recv_fq(cx).map_ok(|(_, msg)| msg)
    }

    /// XPUB_MANUAL: applies a subscription (or cancel) to the pipe the last one came from. Without
    /// one (none received yet, or its peer gone) it does nothing, as libzmq.
    pub(crate) fn manual_subscription(&self, subscribe: bool, prefix: &[u8]) {
        let mut st = self.state.lock();
        let st = &mut *st;
        let Some(publisher) = st.publisher.as_mut() else {
            return;
        };
        let Some(pipe) = publisher.last_pipe else {
            return;
        };
        if st
            .pipes
            .get(pipe.key)
            .is_none_or(|p| p.generation != pipe.generation)
        {
            return;
        }
        if subscribe {
            publisher.trie.subscribe(prefix, pipe.key);
        } else {
            publisher.trie.unsubscribe(prefix, pipe.key);
        }
    }

    /// A subscriber's subscribe / cancel (SUB's subscribe and unsubscribe, an XSUB's
    /// subscription messages): counted; a subscribe always goes to every peer, a cancel only
    /// when the last subscription of the prefix goes (libzmq's XSUB rules).
    pub(crate) fn subscriber_update(
        &self,
        subscribe: bool,
        prefix: &[u8],
    ) -> Result<(), crate::Error> {
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            if st.closed {
                return Err(crate::Error::Closed);
            }
            let Some(sub) = st.subscriber.as_mut() else {
                return Err(crate::Error::InvalidState(
                    "only SUB and XSUB sockets subscribe",
                ));
            };
            let forward = if subscribe {
                sub.subscriptions.add(prefix);
                true
            } else {
                sub.subscriptions.remove(prefix)
            };
            if forward {
                st.send_to_all(subscription_message(subscribe, prefix), true, &mut wake);
            }
        }
        wake.run();
        Ok(())
    }

    /// XSUB send: a subscription message updates the subscriptions (see
    /// [`Core::subscriber_update`]); any other message goes to every peer with room.
    pub(crate) fn send_xsub(&self, msg: Message) -> Result<(), crate::Error> {
        if let Some((subscribe, prefix)) = parse_subscription(&msg) {
            return self.subscriber_update(subscribe, &prefix);
        }
        let mut wake = Wake::default();
        {
            let mut st = self.state.lock();
            if st.closed {
                return Err(crate::Error::Closed);
            }
            st.send_to_all(msg, false, &mut wake);
        }
        wake.run();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::PeerAttach;
    use std::task::Waker;

    fn cx() -> Context<'static> {
        Context::from_waker(Waker::noop())
    }

    fn deliver(core: &Core, pipe: PipeId, msgs: Vec<Message>) {
        let mut from: VecDeque<Message> = msgs.into();
        assert!(core.deliver_inbound(pipe, &mut cx(), &mut from));
    }

    fn outbound(core: &Core, pipe: PipeId) -> Vec<Message> {
        let mut into = VecDeque::new();
        core.take_outbound(pipe, &mut cx(), usize::MAX, &mut into);
        into.into()
    }

    fn publisher(xpub: bool) -> (std::sync::Arc<Core>, PipeId, PipeId) {
        let core = Core::new(false);
        core.make_publisher(PublisherOptions {
            xpub,
            ..PublisherOptions::default()
        });
        let a = core.add_pipe(10, 10, false);
        let b = core.add_pipe(10, 10, false);
        assert!(core.attach_peer(a, &PeerAttach::default()));
        assert!(core.attach_peer(b, &PeerAttach::default()));
        (core, a, b)
    }

    fn ready(polled: Poll<Result<Message, crate::Error>>) -> Option<Message> {
        match polled {
            Poll::Ready(Ok(m)) => Some(m),
            _ => None,
        }
    }

    fn send(core: &Core, msg: Message) {
        let mut m = Some(msg);
        assert!(matches!(
            core.poll_send_dist(None, &mut m),
            Poll::Ready(Ok(()))
        ));
    }

    #[test]
    fn fan_out_goes_to_matching_subscribers_only() {
        let (core, a, b) = publisher(false);
        deliver(&core, a, vec![subscription_message(true, b"weather.")]);
        deliver(&core, b, vec![subscription_message(true, b"")]);
        send(&core, Message::from(["weather.paris", "14C"]));
        send(&core, Message::from(["sport", "1-0"]));
        assert_eq!(
            outbound(&core, a),
            vec![Message::from(["weather.paris", "14C"])]
        );
        assert_eq!(outbound(&core, b).len(), 2, "the empty prefix matches all");
        deliver(&core, a, vec![subscription_message(false, b"weather.")]);
        send(&core, Message::from(["weather.oslo", "2C"]));
        assert!(outbound(&core, a).is_empty(), "cancelled");
    }

    #[test]
    fn a_full_subscriber_misses_messages_unless_nodrop() {
        let core = Core::new(false);
        core.make_publisher(PublisherOptions::default());
        let a = core.add_pipe(2, 10, false);
        assert!(core.attach_peer(a, &PeerAttach::default()));
        deliver(&core, a, vec![subscription_message(true, b"")]);
        for _ in 0..5 {
            send(&core, Message::single("x"));
        }
        assert_eq!(outbound(&core, a).len(), 2, "SNDHWM 2: the rest dropped");
        core.set_publisher_options(PublisherOptions {
            nodrop: true,
            ..PublisherOptions::default()
        });
        send(&core, Message::single("1"));
        send(&core, Message::single("2"));
        let mut m = Some(Message::single("3"));
        assert!(core.poll_send_dist(None, &mut m).is_pending());
        assert!(m.is_some(), "kept for the retry");
    }

    #[test]
    fn xpub_passes_up_new_prefixes_and_last_cancels() {
        let (core, a, b) = publisher(true);
        deliver(&core, a, vec![subscription_message(true, b"t")]);
        deliver(&core, b, vec![subscription_message(true, b"t")]);
        deliver(&core, a, vec![subscription_message(false, b"t")]);
        deliver(&core, b, vec![Message::from(["upstream", "data"])]);
        let mut got = Vec::new();
        while let Poll::Ready(Ok(m)) = core.poll_recv_xpub(None) {
            got.push(m);
        }
        assert_eq!(
            got,
            vec![
                subscription_message(true, b"t"),
                Message::from(["upstream", "data"])
            ],
            "the second subscribe and the first cancel are not news"
        );
        core.detach(b, false);
        assert_eq!(
            ready(core.poll_recv_xpub(None)),
            Some(subscription_message(false, b"t")),
            "a departed subscriber's last prefix is cancelled"
        );
    }

    #[test]
    fn xpub_manual_applies_what_the_application_says() {
        let core = Core::new(false);
        core.make_publisher(PublisherOptions {
            xpub: true,
            manual: true,
            ..PublisherOptions::default()
        });
        let a = core.add_pipe(10, 10, false);
        assert!(core.attach_peer(a, &PeerAttach::default()));
        deliver(&core, a, vec![subscription_message(true, b"asked")]);
        send(&core, Message::single("asked.1"));
        assert!(outbound(&core, a).is_empty(), "not applied by itself");
        assert_eq!(
            ready(core.poll_recv_xpub(None)),
            Some(subscription_message(true, b"asked"))
        );
        core.manual_subscription(true, b"other");
        send(&core, Message::single("other.1"));
        assert_eq!(outbound(&core, a), vec![Message::single("other.1")]);
    }

    #[test]
    fn a_sub_filters_by_its_subscriptions_when_the_message_is_read() {
        let core = Core::new(false);
        core.make_subscriber(true);
        let a = core.add_pipe(10, 10, false);
        assert!(core.attach_peer(a, &PeerAttach::default()));
        core.subscriber_update(true, b"old").expect("subscribe");
        deliver(
            &core,
            a,
            vec![Message::single("welcome"), Message::single("old.1")],
        );
        // Subscribed after the welcome arrived, cancelled after old.1 did: read now, the
        // welcome is kept and old.1 is not.
        core.subscriber_update(true, b"welcome").expect("subscribe");
        core.subscriber_update(false, b"old").expect("cancel");
        assert_eq!(
            ready(core.poll_recv_fq(None).map_ok(|(_, m)| m)),
            Some(Message::single("welcome"))
        );
        assert!(core.poll_recv_fq(None).is_pending(), "old.1 dropped");
    }

    #[test]
    fn xpub_manual_cancels_what_a_departed_peer_asked_for() {
        let core = Core::new(false);
        core.make_publisher(PublisherOptions {
            xpub: true,
            manual: true,
            ..PublisherOptions::default()
        });
        let a = core.add_pipe(10, 10, false);
        assert!(core.attach_peer(a, &PeerAttach::default()));
        deliver(&core, a, vec![subscription_message(true, b"x")]);
        deliver(&core, a, vec![subscription_message(true, b"y")]);
        deliver(&core, a, vec![subscription_message(false, b"x")]);
        for _ in 0..3 {
            assert!(ready(core.poll_recv_xpub(None)).is_some());
        }
        core.manual_subscription(true, b"applied");
        core.detach(a, false);
        assert_eq!(
            ready(core.poll_recv_xpub(None)),
            Some(subscription_message(false, b"y")),
            "its own remaining prefix, not the one applied for it"
        );
        assert!(core.poll_recv_xpub(None).is_pending());
        core.manual_subscription(true, b"late");
        assert!(
            core.state
                .lock()
                .publisher
                .as_ref()
                .is_some_and(|p| p.trie.is_empty()),
            "after that cancel there is no peer to apply a subscription to"
        );
    }

    #[test]
    fn stale_subscriptions_do_not_survive_a_reconnect() {
        let core = Core::new(false);
        core.make_subscriber(true);
        let a = core.add_pipe(10, 10, true);
        assert!(core.attach_peer(a, &PeerAttach::default()));
        core.subscriber_update(true, b"gone").expect("subscribe");
        core.subscriber_update(true, b"kept").expect("subscribe");
        // The connection is lost before it takes them; "gone" is cancelled meanwhile.
        core.detach(a, true);
        core.subscriber_update(false, b"gone").expect("cancel");
        assert!(core.attach_peer(a, &PeerAttach::default()));
        assert_eq!(
            outbound(&core, a),
            vec![subscription_message(true, b"kept")],
            "only the current set, once"
        );
    }

    #[test]
    fn a_subscriber_sends_its_subscriptions_to_each_new_peer_and_filters() {
        let core = Core::new(false);
        core.make_subscriber(true);
        let a = core.add_pipe(10, 10, false);
        assert!(core.attach_peer(a, &PeerAttach::default()));
        core.subscriber_update(true, b"x").expect("subscribe");
        core.subscriber_update(true, b"x").expect("again");
        assert_eq!(outbound(&core, a).len(), 2, "every subscribe goes up");
        core.subscriber_update(false, b"x").expect("cancel one");
        assert!(outbound(&core, a).is_empty(), "not the last: kept");
        let b = core.add_pipe(10, 10, false);
        assert!(core.attach_peer(b, &PeerAttach::default()));
        assert_eq!(outbound(&core, b), vec![subscription_message(true, b"x")]);
        deliver(
            &core,
            a,
            vec![Message::single("xyz"), Message::single("abc")],
        );
        assert_eq!(
            ready(core.poll_recv_fq(None).map_ok(|(_, m)| m)),
            Some(Message::single("xyz"))
        );
        assert!(core.poll_recv_fq(None).is_pending(), "abc filtered out");
    }
}
