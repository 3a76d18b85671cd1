//! [`SubscriptionTrie`]: the peers' subscriptions of a publishing socket, per prefix and pipe.

use std::collections::HashMap;

use slab::Slab;

use super::radix::{Radix, Value};

/// How a [`SubscriptionTrie`] treats a pipe subscribing again to a prefix it already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeats {
    /// A repeat changes nothing and one cancel ends the subscription: libzmq's XPUB, whose peers
    /// (libzmq SUB sockets) forward every subscribe but only their last cancel.
    Once,
    /// Each repeat is counted and needs its own cancel.
    Counted,
}

/// One subscriber of a prefix, in its node's list.
#[derive(Debug, Clone, Copy)]
struct Sub {
    /// The caller's pipe key, handed to match callbacks.
    pipe: usize,
    /// The pipe's slot in [`SubscriptionTrie::pipes`] (dense, for de-duplication).
    slot: usize,
    /// How many times the pipe subscribed to the prefix (always 1 with [`Repeats::Once`]).
    count: usize,
}

/// A [`SubscriptionTrie`] node's value: its subscribers.
impl Value for Vec<Sub> {
    fn is_vacant(&self) -> bool {
        self.is_empty()
    }
}

/// What the trie knows about one subscribed pipe.
#[derive(Debug)]
struct PipeSubs {
    /// The nodes the pipe subscribes at, each with the position of its entry in that node's list.
    at: HashMap<usize, usize>,
}

/// What [`SubscriptionTrie::unsubscribe`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unsubscribed {
    /// The pipe held no such subscription (or the prefix is unknown): nothing changed.
    NotSubscribed,
    /// ([`Repeats::Counted`]) The pipe's count went down; it still holds the prefix.
    Decremented,
    /// The pipe no longer holds the prefix; other pipes still do.
    Removed,
    /// The pipe was the prefix's last subscriber: nobody holds it any more (XPUB reports the
    /// cancel upstream).
    LastRemoved,
}

impl Unsubscribed {
    /// Whether the pipe held the subscription (something changed).
    #[cfg(test)]
    pub(crate) fn was_subscribed(self) -> bool {
        self != Self::NotSubscribed
    }

    /// Whether the prefix has no subscriber left.
    pub(crate) fn prefix_vacated(self) -> bool {
        self == Self::LastRemoved
    }
}

/// Reusable de-duplication state for [`SubscriptionTrie::for_each_match`]: a generation stamp per
/// pipe slot. Keep one next to the trie; it grows with the number of subscribed pipes, not per
/// message, and may be shared between tries (the generation moves on at every call).
#[derive(Debug, Default)]
pub(crate) struct MatchScratch {
    stamps: Vec<u32>,
    pub(super) generation: u32,
}

impl MatchScratch {
    /// Empty scratch space.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Starts a new match over slots below `slots`: everything counts as unseen.
    fn begin(&mut self, slots: usize) {
        if self.stamps.len() < slots {
            self.stamps.resize(slots, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamps.fill(0);
            self.generation = 1;
        }
    }

    /// Marks `slot` as seen in this match; true if it was not seen before.
    fn mark(&mut self, slot: usize) -> bool {
        match self.stamps.get_mut(slot) {
            Some(stamp) if *stamp == self.generation => false,
            Some(stamp) => {
                *stamp = self.generation;
                true
            }
            None => true, // `begin` sized the stamps for every slot
        }
    }

    /// Whether `slot` was marked in this match.
    fn is_marked(&self, slot: usize) -> bool {
        self.stamps.get(slot) == Some(&self.generation)
    }
}

/// The subscriptions of a publishing socket's peers (PUB, XPUB): for each prefix, the pipes
/// subscribed to it. Pipes are the caller's keys (its slab keys), any `usize`.
#[derive(Debug)]
pub(crate) struct SubscriptionTrie {
    tree: Radix<Vec<Sub>>,
    /// Subscribed pipes by dense slot.
    pipes: Slab<PipeSubs>,
    /// Pipe key to slot.
    slots: HashMap<usize, usize>,
    repeats: Repeats,
}

impl Default for SubscriptionTrie {
    /// An empty trie with libzmq's XPUB behaviour ([`Repeats::Once`]).
    fn default() -> Self {
        Self::new(Repeats::Once)
    }
}

impl SubscriptionTrie {
    /// An empty trie treating repeated subscriptions as `repeats` says.
    pub(crate) fn new(repeats: Repeats) -> Self {
        Self {
            tree: Radix::new(),
            pipes: Slab::new(),
            slots: HashMap::new(),
            repeats,
        }
    }

    /// Subscribes `pipe` to `prefix`. True when no pipe held `prefix` before (XPUB reports a
    /// subscription upstream only then, unless verbose). `O(len(prefix))`.
    pub(crate) fn subscribe(&mut self, prefix: &[u8], pipe: usize) -> bool {
        let node = self.tree.find_or_insert(prefix);
        let first = self.tree.nodes[node].value.is_empty();
        let slot = *self
            .slots
            .entry(pipe)
            .or_insert_with(|| self.pipes.insert(PipeSubs { at: HashMap::new() }));
        let subs = &mut self.tree.nodes[node].value;
        let at = &mut self.pipes[slot].at;
        match at.get(&node) {
            Some(&i) => {
                if self.repeats == Repeats::Counted {
                    subs[i].count += 1;
                }
            }
            None => {
                at.insert(node, subs.len());
                subs.push(Sub {
                    pipe,
                    slot,
                    count: 1,
                });
            }
        }
        first
    }

    /// Cancels one subscription of `pipe` to `prefix`; unknown prefixes and pipes change
    /// nothing. `O(len(prefix))`.
    pub(crate) fn unsubscribe(&mut self, prefix: &[u8], pipe: usize) -> Unsubscribed {
        let Some(node) = self.tree.find(prefix) else {
            return Unsubscribed::NotSubscribed;
        };
        let Some(&slot) = self.slots.get(&pipe) else {
            return Unsubscribed::NotSubscribed;
        };
        let Some(&i) = self.pipes[slot].at.get(&node) else {
            return Unsubscribed::NotSubscribed;
        };
        let sub = &mut self.tree.nodes[node].value[i];
        if sub.count > 1 {
            sub.count -= 1;
            return Unsubscribed::Decremented;
        }
        self.take_entry(node, i);
        let entry = &mut self.pipes[slot];
        entry.at.remove(&node);
        if entry.at.is_empty() {
            self.pipes.remove(slot);
            self.slots.remove(&pipe);
        }
        if self.tree.nodes[node].value.is_empty() {
            self.tree.prune(node);
            Unsubscribed::LastRemoved
        } else {
            Unsubscribed::Removed
        }
    }

    /// Drops every subscription of `pipe` (it disconnected), calling `removed(prefix, vacated)`
    /// once per prefix it held, `vacated` telling whether that prefix has no subscriber left
    /// (XPUB reports those as cancels; with `ZMQ_XPUB_VERBOSER`, all of them). Prefixes come in
    /// no particular order. `O(Σ len(prefix))` over the pipe's own subscriptions.
    pub(crate) fn remove_pipe(&mut self, pipe: usize, mut removed: impl FnMut(&[u8], bool)) {
        let Some(slot) = self.slots.remove(&pipe) else {
            return;
        };
        let entry = self.pipes.remove(slot);
        let mut prefix = Vec::new();
        for (node, i) in entry.at {
            self.take_entry(node, i);
            let vacated = self.tree.nodes[node].value.is_empty();
            self.tree.key_of(node, &mut prefix);
            removed(&prefix, vacated);
            if vacated {
                self.tree.prune(node);
            }
        }
    }

    /// Removes entry `i` from `node`'s list by moving the last entry into its place, and tells
    /// the moved entry's pipe where it went.
    fn take_entry(&mut self, node: usize, i: usize) {
        let subs = &mut self.tree.nodes[node].value;
        subs.swap_remove(i);
        if let Some(moved) = subs.get(i) {
            if let Some(entry) = self.pipes.get_mut(moved.slot) {
                entry.at.insert(node, i);
            }
        }
    }

    /// Calls `f` once per distinct pipe holding a prefix of `topic` (the empty prefix matches
    /// every topic). `O(len(topic) + matching subscriptions)`; allocates nothing once `scratch`
    /// has grown to the number of subscribed pipes. Pipes come in no particular order.
    pub(crate) fn for_each_match(
        &self,
        topic: &[u8],
        scratch: &mut MatchScratch,
        mut f: impl FnMut(usize),
    ) {
        scratch.begin(self.pipes.capacity());
        for subs in self.tree.path(topic) {
            for sub in subs {
                if scratch.mark(sub.slot) {
                    f(sub.pipe);
                }
            }
        }
    }

    /// `ZMQ_INVERT_MATCHING`: calls `f` once for each pipe of `pipes` (the socket's pipes; give
    /// each once) that holds no prefix of `topic`, pipes without any subscription included, as
    /// libzmq sends to them too. `O(len(topic) + matching subscriptions + pipes)`: unlike
    /// [`Self::for_each_match`] it looks at every pipe, since the answer is about all of them.
    pub(crate) fn for_each_non_match(
        &self,
        topic: &[u8],
        pipes: impl IntoIterator<Item = usize>,
        scratch: &mut MatchScratch,
        mut f: impl FnMut(usize),
    ) {
        scratch.begin(self.pipes.capacity());
        for subs in self.tree.path(topic) {
            for sub in subs {
                scratch.mark(sub.slot);
            }
        }
        for pipe in pipes {
            match self.slots.get(&pipe) {
                Some(&slot) if scratch.is_marked(slot) => {}
                _ => f(pipe),
            }
        }
    }

    /// The pipes holding at least one subscription, in no particular order.
    #[cfg(test)]
    pub(crate) fn pipes(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.keys().copied()
    }

    /// Calls `f(prefix, pipe, count)` for every subscription, prefixes in lexicographic order.
    /// `count` is how many cancels it would take (always 1 with [`Repeats::Once`]).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn for_each_subscription(&self, mut f: impl FnMut(&[u8], usize, usize)) {
        self.tree.for_each(|prefix, subs| {
            for sub in subs {
                f(prefix, sub.pipe, sub.count);
            }
        });
    }

    /// Calls `f` with every prefix some pipe holds, once each, in lexicographic order.
    #[cfg(test)]
    pub(crate) fn for_each_prefix(&self, mut f: impl FnMut(&[u8])) {
        self.tree.for_each(|prefix, _| f(prefix));
    }

    /// Whether no pipe holds any subscription.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many nodes the tree has, the root included.
    /// The capacities of the node slab and of the pipe slab (tests of memory under churn).
    #[cfg(test)]
    pub(super) fn capacities(&self) -> (usize, usize) {
        (self.tree.nodes.capacity(), self.pipes.capacity())
    }

    #[cfg(test)]
    pub(super) fn node_count(&self) -> usize {
        self.tree.node_count()
    }

    /// Panics unless the tree and the per-pipe index agree.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn check(&self) {
        self.tree.check();
        assert_eq!(self.slots.len(), self.pipes.len(), "slots vs pipes");
        let mut entries = 0;
        for (node, n) in &self.tree.nodes {
            for (i, sub) in n.value.iter().enumerate() {
                entries += 1;
                assert!(sub.count >= 1, "zero count");
                if self.repeats == Repeats::Once {
                    assert_eq!(sub.count, 1, "count in Once mode");
                }
                assert_eq!(self.slots.get(&sub.pipe), Some(&sub.slot), "slot of pipe");
                assert_eq!(self.pipes[sub.slot].at.get(&node), Some(&i), "back index");
            }
        }
        let indexed: usize = self.pipes.iter().map(|(_, e)| e.at.len()).sum();
        assert_eq!(entries, indexed, "index size");
        for (_, e) in &self.pipes {
            assert!(!e.at.is_empty(), "pipe without subscriptions kept");
        }
    }
}
