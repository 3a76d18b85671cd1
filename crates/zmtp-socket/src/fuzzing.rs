//! Internals the fuzz targets in `fuzz/` drive directly (feature `fuzzing`; not a public API):
//! the subscription structures of the publish and subscribe sides, and the check the socket
//! layer makes on a libzmq-style ZAP handler's reply.

use zmtp_codec::{MechanismError, Message, ZapReply};

use crate::core::pattern::subscriptions::{
    MatchScratch, Repeats, SubscriptionSet, SubscriptionTrie, Unsubscribed,
};

/// What [`PublisherTrie::unsubscribe`] did (the trie's own answer, mirrored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    /// The pipe held no such subscription.
    NotSubscribed,
    /// The pipe's count went down (counted repeats only); it still holds the prefix.
    Decremented,
    /// The pipe no longer holds the prefix; others still do.
    Removed,
    /// Nobody holds the prefix any more.
    LastRemoved,
}

/// The publish side's subscriptions (PUB, XPUB), with its matching scratch space.
#[derive(Debug)]
pub struct PublisherTrie {
    trie: SubscriptionTrie,
    scratch: MatchScratch,
}

impl PublisherTrie {
    /// An empty trie; `counted`: repeats need their own cancels (else libzmq's XPUB rule).
    pub fn new(counted: bool) -> Self {
        let repeats = if counted {
            Repeats::Counted
        } else {
            Repeats::Once
        };
        Self {
            trie: SubscriptionTrie::new(repeats),
            scratch: MatchScratch::new(),
        }
    }

    /// Subscribes `pipe` to `prefix`; true when no pipe held it before.
    pub fn subscribe(&mut self, prefix: &[u8], pipe: usize) -> bool {
        self.trie.subscribe(prefix, pipe)
    }

    /// Cancels one subscription of `pipe` to `prefix`.
    pub fn unsubscribe(&mut self, prefix: &[u8], pipe: usize) -> Cancel {
        match self.trie.unsubscribe(prefix, pipe) {
            Unsubscribed::NotSubscribed => Cancel::NotSubscribed,
            Unsubscribed::Decremented => Cancel::Decremented,
            Unsubscribed::Removed => Cancel::Removed,
            Unsubscribed::LastRemoved => Cancel::LastRemoved,
        }
    }

    /// Drops every subscription of `pipe`: each prefix it held, with whether it is now vacant.
    pub fn remove_pipe(&mut self, pipe: usize) -> Vec<(Vec<u8>, bool)> {
        let mut removed = Vec::new();
        self.trie.remove_pipe(pipe, |prefix, vacated| {
            removed.push((prefix.to_vec(), vacated))
        });
        removed
    }

    /// The pipes `topic` goes to, as the trie hands them out (each should come once).
    pub fn matches(&mut self, topic: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        self.trie
            .for_each_match(topic, &mut self.scratch, |pipe| out.push(pipe));
        out
    }

    /// `ZMQ_INVERT_MATCHING`: the pipes of `pipes` that hold no prefix of `topic`.
    pub fn non_matches(&mut self, topic: &[u8], pipes: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        self.trie
            .for_each_non_match(topic, pipes.iter().copied(), &mut self.scratch, |pipe| {
                out.push(pipe)
            });
        out
    }

    /// Every subscription as (prefix, pipe, count), prefixes in lexicographic order.
    pub fn subscriptions(&self) -> Vec<(Vec<u8>, usize, usize)> {
        let mut all = Vec::new();
        self.trie
            .for_each_subscription(|prefix, pipe, count| all.push((prefix.to_vec(), pipe, count)));
        all
    }

    /// Panics unless the trie's internal invariants hold.
    pub fn check(&self) {
        self.trie.check();
    }
}

/// The subscribe side's counted prefixes (SUB, XSUB).
#[derive(Debug, Default)]
pub struct SubscriberSet {
    set: SubscriptionSet,
}

impl SubscriberSet {
    /// No subscriptions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one subscription; true if it is the prefix's first.
    pub fn add(&mut self, prefix: &[u8]) -> bool {
        self.set.add(prefix)
    }

    /// Cancels one subscription; true if that was the prefix's last.
    pub fn remove(&mut self, prefix: &[u8]) -> bool {
        self.set.remove(prefix)
    }

    /// Whether a subscribed prefix is a prefix of `topic`.
    pub fn matches(&self, topic: &[u8]) -> bool {
        self.set.matches(topic)
    }

    /// The subscribed prefixes, once each, in lexicographic order.
    pub fn prefixes(&self) -> Vec<Vec<u8>> {
        let mut all = Vec::new();
        self.set.for_each(|prefix| all.push(prefix.to_vec()));
        all
    }

    /// Panics unless the tree's invariants hold.
    pub fn check(&self) {
        self.set.check();
    }
}

/// The check the socket layer makes on what a handler bound at `inproc://zeromq.zap.01` sent
/// back: an empty delimiter frame, then a reply that passes libzmq's checks.
pub fn check_inproc_zap_reply(reply: Message) -> Result<ZapReply, MechanismError> {
    crate::engine::zap::check_inproc_reply(reply)
}
