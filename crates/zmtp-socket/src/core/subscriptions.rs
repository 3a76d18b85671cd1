//! Subscription matching for the publish side (PUB, XPUB) and the subscribe side (SUB, XSUB),
//! as pure data structures: no I/O, no locks, no clock.
//!
//! # Structure
//!
//! Both structures sit on one radix tree ([`Radix`]): a prefix tree whose edges carry whole byte
//! strings rather than single bytes, so a 100 KiB subscription is one node holding 100 KiB, not
//! 100 K nodes. Nodes live in a [`Slab`] and refer to each other by key (children by key, each node
//! to its parent), so nothing is recursive: walking, listing, pruning and dropping are loops, and
//! no prefix length can overflow the stack. A node's children are kept sorted by their first byte
//! (the first bytes of siblings differ), found by binary search (at most 8 steps).
//!
//! The tree stays compact: apart from the root, every node either holds a subscription or has at
//! least two children. A node whose last subscription goes away is freed, or merged into its only
//! child, at once; so the tree never has more than `2 × distinct prefixes + 1` nodes, and churn
//! reuses the slab's free slots instead of growing it.
//!
//! * [`SubscriptionTrie`] (PUB, XPUB; libzmq's "mtrie") keeps, per prefix, the pipes subscribed
//!   to it. Each node holds a dense vector of (pipe, count) entries, and each pipe keeps a map from
//!   the nodes it subscribes at to its entry's position there, so subscribing, cancelling and
//!   dropping a pipe never scan the other subscribers.
//! * [`SubscriptionSet`] (SUB, XSUB; libzmq's "trie") keeps one count per prefix.
//!
//! # Costs
//!
//! With `L` the length of the prefix or topic, `k` the subscriptions that match (pairs of prefix
//! and pipe, a pipe counted once per matching prefix) and `P` the pipes:
//!
//! | operation | cost |
//! |---|---|
//! | [`SubscriptionTrie::subscribe`], [`SubscriptionTrie::unsubscribe`] | `O(L)` + O(1) hashing |
//! | [`SubscriptionTrie::remove_pipe`] | `O(Σ L)` over the pipe's own subscriptions |
//! | [`SubscriptionTrie::for_each_match`] | `O(L + k)`, no allocation |
//! | [`SubscriptionTrie::for_each_non_match`] | `O(L + k + P)` |
//! | [`SubscriptionSet::add`], [`SubscriptionSet::remove`] | `O(L)` |
//! | [`SubscriptionSet::matches`] | `O(L)`, stops at the first match, no allocation |
//! | listing every prefix | `O(total length of the prefixes)` |
//!
//! Matching never looks at a subscriber whose prefix is not a prefix of the topic: it follows the
//! topic's own path from the root and reads only the subscriber lists of the nodes on it.
//!
//! # Duplicates when matching
//!
//! A pipe subscribed to both `a` and `ab` sits in two nodes on the path of `abc`, yet must get the
//! message once. [`SubscriptionTrie::for_each_match`] drops repeats with a [`MatchScratch`] the
//! caller keeps next to the trie: one stamp per pipe slot, and a generation number bumped for each
//! call, so "seen in this call" is one comparison and resetting costs nothing (the stamps are
//! cleared only when the 32-bit generation wraps, once in 4 × 10⁹ calls). Pipes are given dense
//! slot numbers inside the trie, so the stamps stay as small as the number of subscribed pipes
//! whatever the caller's pipe keys are; the stamp vector grows only when that number does, never
//! per message. The trie itself stays `&self` while matching.
//!
//! # Repeated subscriptions
//!
//! libzmq's two tries differ here, and so do ours. The SUB side counts: subscribing twice to a
//! prefix takes two cancels ([`SubscriptionSet`]). libzmq's publish side does not: its per-prefix
//! pipe set makes a pipe's repeated subscription a no-op and one cancel ends it; a libzmq SUB sends
//! every subscribe upstream but only the cancel that drops its own count to zero, so a counting
//! publisher would keep sending a prefix the subscriber has given up. [`SubscriptionTrie`] does
//! either, chosen with [`Repeats`] at construction: [`Repeats::Once`] is libzmq's behaviour.

// The socket types that use these structures are wired in separately.
#![allow(dead_code)]

use std::collections::HashMap;

use slab::Slab;

/// What a node of the [`Radix`] tree stores; the default value means "no subscription here".
trait Value: Default {
    /// Whether the node holds no subscription (it may then be freed or merged).
    fn is_vacant(&self) -> bool;
}

/// A [`SubscriptionSet`] node's value: how many times its prefix was subscribed.
impl Value for usize {
    fn is_vacant(&self) -> bool {
        *self == 0
    }
}

/// A [`SubscriptionTrie`] node's value: its subscribers.
impl Value for Vec<Sub> {
    fn is_vacant(&self) -> bool {
        self.is_empty()
    }
}

/// One node of the radix tree.
#[derive(Debug)]
struct Node<V> {
    /// The bytes of the edge from the parent to this node: empty for the root only.
    label: Box<[u8]>,
    /// The parent's key (the root's is its own).
    parent: usize,
    /// The children, by the first byte of their label, sorted by it.
    children: Vec<(u8, usize)>,
    /// The subscriptions of the prefix this node spells.
    value: V,
}

/// A radix tree keyed by byte strings, its nodes in a slab.
///
/// A node's key never changes while the node holds a value: splitting an edge puts a new node
/// above the existing one, and merging frees the vacant parent and keeps the child. That is what
/// lets [`SubscriptionTrie`] remember node keys per pipe.
#[derive(Debug)]
struct Radix<V> {
    nodes: Slab<Node<V>>,
    root: usize,
}

impl<V: Value> Radix<V> {
    /// A tree holding only the (vacant) root.
    fn new() -> Self {
        let mut nodes = Slab::new();
        let root = nodes.vacant_key();
        nodes.insert(Node {
            label: Box::default(),
            parent: root,
            children: Vec::new(),
            value: V::default(),
        });
        Self { nodes, root }
    }

    /// The child of `node` whose label starts with `byte`.
    fn child(&self, node: usize, byte: u8) -> Option<usize> {
        let children = &self.nodes[node].children;
        children
            .binary_search_by_key(&byte, |&(b, _)| b)
            .ok()
            .map(|i| children[i].1)
    }

    /// Makes `child` the child of `node` for `byte`, whether or not one was there.
    fn set_child(&mut self, node: usize, byte: u8, child: usize) {
        let children = &mut self.nodes[node].children;
        match children.binary_search_by_key(&byte, |&(b, _)| b) {
            Ok(i) => children[i].1 = child,
            Err(i) => children.insert(i, (byte, child)),
        }
    }

    /// Forgets the child of `node` for `byte`.
    fn remove_child(&mut self, node: usize, byte: u8) {
        let children = &mut self.nodes[node].children;
        if let Ok(i) = children.binary_search_by_key(&byte, |&(b, _)| b) {
            children.remove(i);
        }
    }

    /// The node spelling exactly `key`, if there is one (it may be vacant).
    fn find(&self, key: &[u8]) -> Option<usize> {
        let mut node = self.root;
        let mut rest = key;
        while let Some(&byte) = rest.first() {
            let child = self.child(node, byte)?;
            let label = &self.nodes[child].label;
            if !rest.starts_with(label) {
                return None;
            }
            rest = &rest[label.len()..];
            node = child;
        }
        Some(node)
    }

    /// The node spelling exactly `key`, made (vacant) if needed by adding a leaf and splitting at
    /// most one edge. The caller gives it a value before returning to its own caller, so that no
    /// vacant node with fewer than two children is left behind.
    fn find_or_insert(&mut self, key: &[u8]) -> usize {
        let mut node = self.root;
        let mut rest = key;
        while let Some(&byte) = rest.first() {
            let Some(child) = self.child(node, byte) else {
                let leaf = self.nodes.insert(Node {
                    label: rest.into(),
                    parent: node,
                    children: Vec::new(),
                    value: V::default(),
                });
                self.set_child(node, byte, leaf);
                return leaf;
            };
            let label = &self.nodes[child].label;
            let common = common_prefix_len(label, rest);
            if common == label.len() {
                rest = &rest[common..];
                node = child;
                continue;
            }
            // `rest` leaves the edge part-way (after at least its first byte): split the edge,
            // the new node above keeping the shared part.
            let upper: Box<[u8]> = label[..common].into();
            let lower: Box<[u8]> = label[common..].into();
            let lower_first = label[common];
            let mid = self.nodes.insert(Node {
                label: upper,
                parent: node,
                children: vec![(lower_first, child)],
                value: V::default(),
            });
            let below = &mut self.nodes[child];
            below.label = lower;
            below.parent = mid;
            self.set_child(node, byte, mid);
            rest = &rest[common..];
            node = mid;
        }
        node
    }

    /// Restores compactness after `node` may have become vacant: frees it if it has no child
    /// (and then looks at its parent the same way), or merges it into its only child.
    fn prune(&mut self, mut node: usize) {
        while node != self.root {
            let n = &self.nodes[node];
            if !n.value.is_vacant() || n.children.len() > 1 {
                return;
            }
            let n = self.nodes.remove(node);
            let Some(&first) = n.label.first() else {
                return; // only the root has an empty label
            };
            match n.children.first() {
                None => {
                    self.remove_child(n.parent, first);
                    node = n.parent;
                }
                Some(&(_, only)) => {
                    let below = &mut self.nodes[only];
                    let mut label = Vec::with_capacity(n.label.len() + below.label.len());
                    label.extend_from_slice(&n.label);
                    label.extend_from_slice(&below.label);
                    below.label = label.into_boxed_slice();
                    below.parent = n.parent;
                    self.set_child(n.parent, first, only);
                    return;
                }
            }
        }
    }

    /// The values of the nodes spelling prefixes of `topic` (the root first), vacant ones
    /// included.
    fn path<'a>(&'a self, topic: &'a [u8]) -> Path<'a, V> {
        Path {
            tree: self,
            next: Some(self.root),
            rest: topic,
        }
    }

    /// Writes the key `node` spells into `buf` (replacing its contents), walking up to the root.
    fn key_of(&self, mut node: usize, buf: &mut Vec<u8>) {
        buf.clear();
        while node != self.root {
            let n = &self.nodes[node];
            buf.extend(n.label.iter().rev());
            node = n.parent;
        }
        buf.reverse();
    }

    /// Calls `f` with every non-vacant node's key and value, in lexicographic order of the keys.
    /// Iterative: memory is one key buffer and a stack of pending nodes.
    fn for_each(&self, mut f: impl FnMut(&[u8], &V)) {
        let mut stack = vec![(self.root, 0)];
        let mut key = Vec::new();
        while let Some((node, depth)) = stack.pop() {
            let n = &self.nodes[node];
            key.truncate(depth);
            key.extend_from_slice(&n.label);
            if !n.value.is_vacant() {
                f(&key, &n.value);
            }
            stack.extend(n.children.iter().rev().map(|&(_, c)| (c, key.len())));
        }
    }

    /// Whether the tree holds nothing but its vacant root.
    fn is_empty(&self) -> bool {
        let root = &self.nodes[self.root];
        root.children.is_empty() && root.value.is_vacant()
    }

    /// How many nodes the tree has, the root included.
    #[cfg(test)]
    fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Panics unless the tree's links and compactness hold.
    #[cfg(test)]
    fn check(&self) {
        let mut seen = 0;
        let mut stack = vec![self.root];
        while let Some(node) = stack.pop() {
            seen += 1;
            let n = &self.nodes[node];
            if node == self.root {
                assert!(n.label.is_empty(), "root label");
            } else {
                assert!(!n.label.is_empty(), "empty label below the root");
                assert!(
                    !n.value.is_vacant() || n.children.len() >= 2,
                    "vacant node with {} children",
                    n.children.len()
                );
                assert_eq!(self.child(n.parent, n.label[0]), Some(node), "parent link");
            }
            for pair in n.children.windows(2) {
                assert!(pair[0].0 < pair[1].0, "children unsorted");
            }
            for &(byte, child) in &n.children {
                assert_eq!(self.nodes[child].label.first(), Some(&byte), "child byte");
                assert_eq!(self.nodes[child].parent, node, "child's parent");
                stack.push(child);
            }
        }
        assert_eq!(seen, self.nodes.len(), "unreachable nodes");
    }
}

/// The length of the longest common prefix of `a` and `b`.
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Iterator over the values on a topic's path; see [`Radix::path`].
#[derive(Debug)]
struct Path<'a, V> {
    tree: &'a Radix<V>,
    next: Option<usize>,
    rest: &'a [u8],
}

impl<'a, V: Value> Iterator for Path<'a, V> {
    type Item = &'a V;

    fn next(&mut self) -> Option<&'a V> {
        let node = self.next.take()?;
        if let Some(&byte) = self.rest.first() {
            if let Some(child) = self.tree.child(node, byte) {
                let label = &self.tree.nodes[child].label;
                if self.rest.starts_with(label) {
                    self.rest = &self.rest[label.len()..];
                    self.next = Some(child);
                }
            }
        }
        Some(&self.tree.nodes[node].value)
    }
}

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

/// What the trie knows about one subscribed pipe.
#[derive(Debug)]
struct PipeSubs {
    /// The caller's pipe key.
    pipe: usize,
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
    generation: u32,
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
        let slot = *self.slots.entry(pipe).or_insert_with(|| {
            self.pipes.insert(PipeSubs {
                pipe,
                at: HashMap::new(),
            })
        });
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
    pub(crate) fn pipes(&self) -> impl Iterator<Item = usize> + '_ {
        self.pipes.iter().map(|(_, entry)| entry.pipe)
    }

    /// Calls `f(prefix, pipe, count)` for every subscription, prefixes in lexicographic order.
    /// `count` is how many cancels it would take (always 1 with [`Repeats::Once`]).
    pub(crate) fn for_each_subscription(&self, mut f: impl FnMut(&[u8], usize, usize)) {
        self.tree.for_each(|prefix, subs| {
            for sub in subs {
                f(prefix, sub.pipe, sub.count);
            }
        });
    }

    /// Calls `f` with every prefix some pipe holds, once each, in lexicographic order.
    pub(crate) fn for_each_prefix(&self, mut f: impl FnMut(&[u8])) {
        self.tree.for_each(|prefix, _| f(prefix));
    }

    /// Whether no pipe holds any subscription.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many nodes the tree has, the root included.
    #[cfg(test)]
    fn node_count(&self) -> usize {
        self.tree.node_count()
    }

    /// Panics unless the tree and the per-pipe index agree.
    #[cfg(test)]
    fn check(&self) {
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

/// A subscribing socket's own subscriptions (SUB, XSUB): counted prefixes. Subscribing twice
/// takes two cancels; the socket forwards a cancel upstream only when the count reaches zero.
#[derive(Debug)]
pub(crate) struct SubscriptionSet {
    tree: Radix<usize>,
}

impl Default for SubscriptionSet {
    fn default() -> Self {
        Self::new()
    }
}

impl SubscriptionSet {
    /// No subscriptions.
    pub(crate) fn new() -> Self {
        Self { tree: Radix::new() }
    }

    /// Adds one subscription to `prefix`; true if it is the first. `O(len(prefix))`.
    pub(crate) fn add(&mut self, prefix: &[u8]) -> bool {
        let node = self.tree.find_or_insert(prefix);
        let count = &mut self.tree.nodes[node].value;
        *count += 1;
        *count == 1
    }

    /// Cancels one subscription to `prefix`; true if that was the last one (false, and nothing
    /// changes, when there is none). `O(len(prefix))`.
    pub(crate) fn remove(&mut self, prefix: &[u8]) -> bool {
        let Some(node) = self.tree.find(prefix) else {
            return false;
        };
        let count = &mut self.tree.nodes[node].value;
        match *count {
            0 => false,
            1 => {
                *count = 0;
                self.tree.prune(node);
                true
            }
            _ => {
                *count -= 1;
                false
            }
        }
    }

    /// Whether some subscribed prefix is a prefix of `topic` (the empty prefix matches every
    /// topic). `O(len(topic))`, stops at the first match, allocates nothing.
    pub(crate) fn matches(&self, topic: &[u8]) -> bool {
        self.tree.path(topic).any(|&count| count > 0)
    }

    /// Calls `f` with each subscribed prefix once, in lexicographic order, without allocating per
    /// prefix (what a socket sends to a new peer).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&[u8])) {
        self.tree.for_each(|prefix, _| f(prefix));
    }

    /// The subscribed prefixes, once each, in lexicographic order (one allocation per prefix;
    /// [`Self::for_each`] has none).
    pub(crate) fn iter(&self) -> impl Iterator<Item = Vec<u8>> {
        let mut all = Vec::new();
        self.for_each(|prefix| all.push(prefix.to_vec()));
        all.into_iter()
    }

    /// Whether nothing is subscribed.
    pub(crate) fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// How many nodes the tree has, the root included.
    #[cfg(test)]
    fn node_count(&self) -> usize {
        self.tree.node_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The pipes `for_each_match` calls back with, sorted, duplicates kept (to catch them).
    fn matched(trie: &SubscriptionTrie, topic: &[u8]) -> Vec<usize> {
        let mut scratch = MatchScratch::new();
        let mut out = Vec::new();
        trie.for_each_match(topic, &mut scratch, |p| out.push(p));
        out.sort_unstable();
        out
    }

    /// The pipes of `all` that `for_each_non_match` calls back with, sorted.
    fn unmatched(trie: &SubscriptionTrie, topic: &[u8], all: &[usize]) -> Vec<usize> {
        let mut scratch = MatchScratch::new();
        let mut out = Vec::new();
        trie.for_each_non_match(topic, all.iter().copied(), &mut scratch, |p| out.push(p));
        out.sort_unstable();
        out
    }

    /// Every (prefix, pipe, count), sorted.
    fn listing(trie: &SubscriptionTrie) -> Vec<(Vec<u8>, usize, usize)> {
        let mut out = Vec::new();
        trie.for_each_subscription(|prefix, pipe, count| out.push((prefix.to_vec(), pipe, count)));
        out.sort();
        out
    }

    /// What `remove_pipe` reported, sorted.
    fn remove_pipe(trie: &mut SubscriptionTrie, pipe: usize) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        trie.remove_pipe(pipe, |prefix, vacated| out.push((prefix.to_vec(), vacated)));
        out.sort();
        out
    }

    #[test]
    fn subscribe_reports_only_the_first_subscriber_of_a_prefix() {
        let mut t = SubscriptionTrie::default();
        assert!(t.subscribe(b"abc", 1));
        assert!(!t.subscribe(b"abc", 2));
        assert!(!t.subscribe(b"abc", 1));
        assert!(
            t.subscribe(b"ab", 2),
            "a shorter prefix is a different prefix"
        );
        assert!(t.subscribe(b"abd", 2), "so is a sibling");
        t.check();
    }

    #[test]
    fn once_mode_repeats_need_one_cancel() {
        let mut t = SubscriptionTrie::new(Repeats::Once);
        t.subscribe(b"a", 1);
        t.subscribe(b"a", 1);
        assert_eq!(listing(&t), vec![(b"a".to_vec(), 1, 1)]);
        assert_eq!(t.unsubscribe(b"a", 1), Unsubscribed::LastRemoved);
        assert_eq!(t.unsubscribe(b"a", 1), Unsubscribed::NotSubscribed);
        assert!(t.is_empty());
        t.check();
    }

    #[test]
    fn counted_mode_repeats_need_as_many_cancels() {
        let mut t = SubscriptionTrie::new(Repeats::Counted);
        assert!(t.subscribe(b"a", 1));
        assert!(!t.subscribe(b"a", 1));
        assert!(!t.subscribe(b"a", 2));
        assert_eq!(t.unsubscribe(b"a", 1), Unsubscribed::Decremented);
        assert_eq!(matched(&t, b"a"), vec![1, 2]);
        assert_eq!(t.unsubscribe(b"a", 1), Unsubscribed::Removed);
        assert_eq!(matched(&t, b"a"), vec![2]);
        assert_eq!(t.unsubscribe(b"a", 1), Unsubscribed::NotSubscribed);
        assert_eq!(t.unsubscribe(b"a", 2), Unsubscribed::LastRemoved);
        assert!(t.is_empty());
        assert_eq!(t.node_count(), 1);
        t.check();
    }

    #[test]
    fn unsubscribe_reports_the_last_subscriber() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"x", 1);
        t.subscribe(b"x", 2);
        assert_eq!(t.unsubscribe(b"x", 2), Unsubscribed::Removed);
        assert!(Unsubscribed::Removed.was_subscribed());
        assert!(!Unsubscribed::Removed.prefix_vacated());
        assert_eq!(t.unsubscribe(b"x", 1), Unsubscribed::LastRemoved);
        assert!(Unsubscribed::LastRemoved.prefix_vacated());
        assert!(!Unsubscribed::NotSubscribed.was_subscribed());
        t.check();
    }

    #[test]
    fn unknown_cancels_change_nothing() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"abc", 1);
        t.subscribe(b"abd", 1);
        let nodes = t.node_count();
        // "ab" exists as an inner (vacant) node after the split; "a" and "abcd" do not exist.
        for prefix in [&b"ab"[..], b"a", b"abcd", b"", b"zzz"] {
            assert_eq!(
                t.unsubscribe(prefix, 1),
                Unsubscribed::NotSubscribed,
                "{prefix:?}"
            );
        }
        assert_eq!(
            t.unsubscribe(b"abc", 7),
            Unsubscribed::NotSubscribed,
            "unknown pipe"
        );
        assert_eq!(t.node_count(), nodes);
        assert_eq!(listing(&t).len(), 2);
        t.check();
    }

    #[test]
    fn empty_prefix_matches_everything() {
        let mut t = SubscriptionTrie::default();
        assert!(t.subscribe(b"", 3));
        t.subscribe(b"news", 4);
        assert_eq!(matched(&t, b""), vec![3]);
        assert_eq!(matched(&t, b"anything"), vec![3]);
        assert_eq!(matched(&t, b"news.today"), vec![3, 4]);
        assert_eq!(t.unsubscribe(b"", 3), Unsubscribed::LastRemoved);
        assert_eq!(matched(&t, b"anything"), Vec::<usize>::new());
        t.check();
    }

    #[test]
    fn a_pipe_with_several_matching_prefixes_is_called_once() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"a", 1);
        t.subscribe(b"ab", 1);
        t.subscribe(b"abc", 1);
        t.subscribe(b"", 1);
        t.subscribe(b"ab", 2);
        assert_eq!(matched(&t, b"abc"), vec![1, 2]);
        assert_eq!(matched(&t, b"abcdef"), vec![1, 2]);
        assert_eq!(matched(&t, b"a"), vec![1]);
        // The scratch is reused across calls and tries.
        let mut scratch = MatchScratch::new();
        for _ in 0..3 {
            let mut n = 0;
            t.for_each_match(b"abc", &mut scratch, |_| n += 1);
            assert_eq!(n, 2);
        }
        let mut other = SubscriptionTrie::default();
        other.subscribe(b"a", 1);
        let mut n = 0;
        other.for_each_match(b"abc", &mut scratch, |_| n += 1);
        assert_eq!(n, 1);
    }

    #[test]
    fn matching_only_follows_the_topic() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"abc", 1);
        t.subscribe(b"abd", 2);
        t.subscribe(b"abcx", 3);
        t.subscribe(b"b", 4);
        t.subscribe(b"abce", 5);
        assert_eq!(matched(&t, b"abc"), vec![1]);
        assert_eq!(
            matched(&t, b"ab"),
            Vec::<usize>::new(),
            "a topic shorter than the prefix"
        );
        assert_eq!(matched(&t, b"abcx"), vec![1, 3]);
        assert_eq!(
            matched(&t, b"abx"),
            Vec::<usize>::new(),
            "leaves an edge part-way"
        );
        assert_eq!(matched(&t, b"bbb"), vec![4]);
        assert_eq!(matched(&t, b"c"), Vec::<usize>::new());
    }

    #[test]
    fn scratch_survives_generation_wrap() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"a", 1);
        t.subscribe(b"ab", 1);
        t.subscribe(b"ab", 2);
        let mut scratch = MatchScratch::new();
        let mut out = Vec::new();
        t.for_each_match(b"ab", &mut scratch, |p| out.push(p));
        scratch.generation = u32::MAX - 1;
        for _ in 0..4 {
            out.clear();
            t.for_each_match(b"ab", &mut scratch, |p| out.push(p));
            out.sort_unstable();
            assert_eq!(out, vec![1, 2], "generation {}", scratch.generation);
        }
    }

    #[test]
    fn non_match_includes_pipes_without_subscriptions() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"a", 1);
        t.subscribe(b"b", 2);
        t.subscribe(b"", 3);
        t.subscribe(b"ab", 4);
        let all = [1, 2, 3, 4, 5];
        assert_eq!(unmatched(&t, b"abc", &all), vec![2, 5]);
        assert_eq!(unmatched(&t, b"x", &all), vec![1, 2, 4, 5]);
        assert_eq!(
            unmatched(&SubscriptionTrie::default(), b"x", &all),
            all.to_vec()
        );
    }

    #[test]
    fn remove_pipe_reports_each_prefix_and_whether_it_was_the_last() {
        let mut t = SubscriptionTrie::new(Repeats::Counted);
        t.subscribe(b"a", 1);
        t.subscribe(b"a", 1);
        t.subscribe(b"ab", 1);
        t.subscribe(b"", 1);
        t.subscribe(b"ab", 2);
        t.subscribe(b"zz", 2);
        assert_eq!(
            remove_pipe(&mut t, 1),
            vec![
                (b"".to_vec(), true),
                (b"a".to_vec(), true),
                (b"ab".to_vec(), false)
            ]
        );
        t.check();
        assert_eq!(
            listing(&t),
            vec![(b"ab".to_vec(), 2, 1), (b"zz".to_vec(), 2, 1)]
        );
        assert_eq!(remove_pipe(&mut t, 1), vec![], "a second time does nothing");
        assert_eq!(
            remove_pipe(&mut t, 2),
            vec![(b"ab".to_vec(), true), (b"zz".to_vec(), true)]
        );
        assert!(t.is_empty());
        assert_eq!(t.node_count(), 1);
        t.check();
    }

    #[test]
    fn listing_and_pipes() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"b", 2);
        t.subscribe(b"a", 1);
        t.subscribe(b"ab", 1);
        t.subscribe(b"ab", 3);
        let mut prefixes = Vec::new();
        t.for_each_prefix(|p| prefixes.push(p.to_vec()));
        assert_eq!(prefixes, vec![b"a".to_vec(), b"ab".to_vec(), b"b".to_vec()]);
        let mut pipes: Vec<usize> = t.pipes().collect();
        pipes.sort_unstable();
        assert_eq!(pipes, vec![1, 2, 3]);
        t.unsubscribe(b"b", 2);
        let mut pipes: Vec<usize> = t.pipes().collect();
        pipes.sort_unstable();
        assert_eq!(
            pipes,
            vec![1, 3],
            "a pipe without subscriptions is forgotten"
        );
    }

    #[test]
    fn cancels_split_and_merge_edges_back() {
        let mut t = SubscriptionTrie::default();
        t.subscribe(b"abc", 1);
        assert_eq!(t.node_count(), 2);
        t.subscribe(b"abd", 1); // split "abc" into "ab" + "c", add "d"
        assert_eq!(t.node_count(), 4);
        t.subscribe(b"ab", 1); // the split node gets a value
        assert_eq!(t.node_count(), 4);
        t.check();
        t.unsubscribe(b"ab", 1);
        assert_eq!(t.node_count(), 4, "vacant, two children: kept");
        t.unsubscribe(b"abd", 1); // "ab" now has one child: merged back into "abc"
        assert_eq!(t.node_count(), 2);
        t.check();
        assert_eq!(matched(&t, b"abcz"), vec![1]);
        assert_eq!(matched(&t, b"abd"), Vec::<usize>::new());
        t.unsubscribe(b"abc", 1);
        assert_eq!(t.node_count(), 1);
        t.check();
    }

    #[test]
    fn churn_does_not_grow_the_tree() {
        let mut t = SubscriptionTrie::new(Repeats::Counted);
        let mut peak = 0;
        for round in 0..200usize {
            for i in 0..50usize {
                let prefix = format!("topic.{}.{}", i % 7, (round * 31 + i) % 13);
                t.subscribe(prefix.as_bytes(), i % 5);
            }
            peak = peak.max(t.tree.nodes.capacity());
            if round % 2 == 0 {
                for pipe in 0..5 {
                    t.remove_pipe(pipe, |_, _| {});
                }
            } else {
                let mut all = Vec::new();
                t.for_each_subscription(|p, pipe, count| all.push((p.to_vec(), pipe, count)));
                for (prefix, pipe, count) in all {
                    for _ in 0..count {
                        t.unsubscribe(&prefix, pipe);
                    }
                }
            }
            assert!(t.is_empty());
            assert_eq!(t.node_count(), 1);
            t.check();
        }
        assert!(peak <= 256, "node slab capacity {peak}");
        assert!(t.pipes.capacity() <= 16);
    }

    #[test]
    fn node_count_stays_within_twice_the_prefixes() {
        let mut t = SubscriptionTrie::default();
        let mut distinct = 0;
        for i in 0u32..500 {
            let prefix = (i.wrapping_mul(2_654_435_761) % 10_000).to_string();
            if t.subscribe(prefix.as_bytes(), 1) {
                distinct += 1;
            }
            assert!(t.node_count() <= 2 * distinct + 1);
        }
        t.check();
    }

    #[test]
    fn long_prefixes_and_topics() {
        let long: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
        let mut t = SubscriptionTrie::new(Repeats::Counted);
        assert!(t.subscribe(&long, 1));
        assert!(t.subscribe(&long[..50 * 1024], 2));
        assert!(t.subscribe(&long[..100], 3));
        let mut other = long.clone();
        other[99 * 1024] ^= 0xff;
        assert!(t.subscribe(&other, 4));
        t.check();
        assert!(t.node_count() <= 6);
        let mut topic = long.clone();
        topic.extend_from_slice(b"tail");
        assert_eq!(matched(&t, &topic), vec![1, 2, 3]);
        assert_eq!(matched(&t, &other), vec![2, 3, 4]);
        assert_eq!(matched(&t, &long[..60 * 1024]), vec![2, 3]);
        let mut seen = Vec::new();
        t.for_each_prefix(|p| seen.push(p.len()));
        assert_eq!(seen, vec![100, 50 * 1024, 100 * 1024, 100 * 1024]);
        assert_eq!(t.unsubscribe(&long, 1), Unsubscribed::LastRemoved);
        assert_eq!(remove_pipe(&mut t, 4), vec![(other.clone(), true)]);
        assert_eq!(
            remove_pipe(&mut t, 2),
            vec![(long[..50 * 1024].to_vec(), true)]
        );
        assert_eq!(t.unsubscribe(&long[..100], 3), Unsubscribed::LastRemoved);
        assert_eq!(t.node_count(), 1);
        t.check();
    }

    #[test]
    fn a_deep_chain_needs_no_recursion() {
        // Every prefix of a 4,000-byte string: a chain 4,000 nodes deep, built, listed, matched
        // and torn down without recursion (dropping the slab is flat as well).
        let long: Vec<u8> = (0..4_000).map(|i| b'a' + (i % 26) as u8).collect();
        let mut t = SubscriptionTrie::default();
        for len in 1..=long.len() {
            t.subscribe(&long[..len], 1);
        }
        assert_eq!(t.node_count(), long.len() + 1);
        assert_eq!(matched(&t, &long), vec![1]);
        let mut n = 0;
        t.for_each_prefix(|_| n += 1);
        assert_eq!(n, long.len());
        t.check();
        let mut reported = 0;
        t.remove_pipe(1, |prefix, vacated| {
            assert!(vacated);
            assert!(long.starts_with(prefix));
            reported += 1;
        });
        assert_eq!(reported, long.len());
        assert_eq!(t.node_count(), 1);
        t.check();
        for len in 1..=long.len() {
            t.subscribe(&long[..len], 2);
        }
        drop(t);
    }

    #[test]
    fn set_counts_subscriptions() {
        let mut s = SubscriptionSet::new();
        assert!(s.is_empty());
        assert!(s.add(b"ab"));
        assert!(!s.add(b"ab"));
        assert!(s.add(b"a"));
        assert!(!s.remove(b"ab"), "one of two");
        assert!(s.remove(b"ab"), "the last");
        assert!(!s.remove(b"ab"), "none left");
        assert!(!s.remove(b"zz"), "unknown");
        assert!(s.remove(b"a"));
        assert!(s.is_empty());
        assert_eq!(s.node_count(), 1);
        s.tree.check();
    }

    #[test]
    fn set_matches_prefixes_of_the_topic() {
        let mut s = SubscriptionSet::new();
        assert!(!s.matches(b"abc"));
        s.add(b"abc");
        s.add(b"abd");
        assert!(s.matches(b"abc"));
        assert!(s.matches(b"abcdef"));
        assert!(!s.matches(b"ab"), "inner split node is not a subscription");
        assert!(!s.matches(b"abx"));
        s.add(b"");
        assert!(s.matches(b"") && s.matches(b"zzz"));
        s.remove(b"");
        assert!(!s.matches(b"zzz"));
        s.tree.check();
    }

    #[test]
    fn set_lists_distinct_prefixes_in_order() {
        let mut s = SubscriptionSet::default();
        s.add(b"b");
        s.add(b"a");
        s.add(b"a");
        s.add(b"");
        s.add(b"ab");
        let want = vec![b"".to_vec(), b"a".to_vec(), b"ab".to_vec(), b"b".to_vec()];
        assert_eq!(s.iter().collect::<Vec<_>>(), want);
        let mut via_for_each = Vec::new();
        s.for_each(|p| via_for_each.push(p.to_vec()));
        assert_eq!(via_for_each, want);
    }

    #[test]
    fn set_handles_long_prefixes() {
        let long = vec![b'x'; 100 * 1024];
        let mut s = SubscriptionSet::new();
        assert!(s.add(&long));
        assert!(s.add(&long[..1]));
        assert!(s.matches(&long));
        assert!(s.remove(&long[..1]));
        assert!(!s.matches(&long[..1000]));
        assert!(s.matches(&long));
        assert!(s.remove(&long));
        assert_eq!(s.node_count(), 1);
    }

    /// One step of a random sequence against the trie.
    #[derive(Debug, Clone)]
    enum Op {
        Subscribe(Vec<u8>, usize),
        Unsubscribe(Vec<u8>, usize),
        RemovePipe(usize),
        Match(Vec<u8>),
    }

    /// Short strings over a small alphabet, so prefixes overlap, split and merge often.
    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(vec![b'a', b'b', b'c']), 0..6)
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (bytes(), 0..5usize).prop_map(|(p, pipe)| Op::Subscribe(p, pipe)),
            3 => (bytes(), 0..5usize).prop_map(|(p, pipe)| Op::Unsubscribe(p, pipe)),
            1 => (0..5usize).prop_map(Op::RemovePipe),
            2 => bytes().prop_map(Op::Match),
        ]
    }

    /// The naive model: every (prefix, pipe, count).
    #[derive(Debug, Default)]
    struct Model {
        subs: Vec<(Vec<u8>, usize, usize)>,
        counted: bool,
    }

    impl Model {
        fn holds(&self, prefix: &[u8]) -> bool {
            self.subs.iter().any(|(p, _, _)| p == prefix)
        }

        fn subscribe(&mut self, prefix: &[u8], pipe: usize) -> bool {
            let first = !self.holds(prefix);
            match self
                .subs
                .iter_mut()
                .find(|(p, q, _)| p == prefix && *q == pipe)
            {
                Some(entry) if self.counted => entry.2 += 1,
                Some(_) => {}
                None => self.subs.push((prefix.to_vec(), pipe, 1)),
            }
            first
        }

        fn unsubscribe(&mut self, prefix: &[u8], pipe: usize) -> Unsubscribed {
            let Some(i) = self
                .subs
                .iter()
                .position(|(p, q, _)| p == prefix && *q == pipe)
            else {
                return Unsubscribed::NotSubscribed;
            };
            if self.subs[i].2 > 1 {
                self.subs[i].2 -= 1;
                return Unsubscribed::Decremented;
            }
            self.subs.remove(i);
            if self.holds(prefix) {
                Unsubscribed::Removed
            } else {
                Unsubscribed::LastRemoved
            }
        }

        fn remove_pipe(&mut self, pipe: usize) -> Vec<(Vec<u8>, bool)> {
            let (gone, kept): (Vec<_>, Vec<_>) =
                self.subs.drain(..).partition(|(_, q, _)| *q == pipe);
            self.subs = kept;
            let mut out: Vec<_> = gone
                .into_iter()
                .map(|(p, _, _)| {
                    let vacated = !self.holds(&p);
                    (p, vacated)
                })
                .collect();
            out.sort();
            out
        }

        fn matched(&self, topic: &[u8]) -> Vec<usize> {
            let mut out: Vec<usize> = self
                .subs
                .iter()
                .filter(|(p, _, _)| topic.starts_with(p))
                .map(|&(_, q, _)| q)
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        }

        fn listing(&self) -> Vec<(Vec<u8>, usize, usize)> {
            let mut out = self.subs.clone();
            out.sort();
            out
        }
    }

    proptest! {
        #[test]
        fn trie_agrees_with_a_naive_model(
            counted in any::<bool>(),
            ops in prop::collection::vec(op(), 0..80),
        ) {
            let repeats = if counted { Repeats::Counted } else { Repeats::Once };
            let mut trie = SubscriptionTrie::new(repeats);
            let mut model = Model { counted, ..Model::default() };
            let all: Vec<usize> = (0..6).collect(); // pipe 5 never subscribes
            for op in ops {
                match op {
                    Op::Subscribe(p, pipe) => {
                        prop_assert_eq!(trie.subscribe(&p, pipe), model.subscribe(&p, pipe));
                    }
                    Op::Unsubscribe(p, pipe) => {
                        prop_assert_eq!(trie.unsubscribe(&p, pipe), model.unsubscribe(&p, pipe));
                    }
                    Op::RemovePipe(pipe) => {
                        prop_assert_eq!(remove_pipe(&mut trie, pipe), model.remove_pipe(pipe));
                    }
                    Op::Match(topic) => {
                        let want = model.matched(&topic);
                        prop_assert_eq!(matched(&trie, &topic), want.clone());
                        let inverse: Vec<usize> =
                            all.iter().copied().filter(|q| !want.contains(q)).collect();
                        prop_assert_eq!(unmatched(&trie, &topic, &all), inverse);
                    }
                }
                trie.check();
                prop_assert_eq!(listing(&trie), model.listing());
                prop_assert_eq!(trie.is_empty(), model.subs.is_empty());
                let mut distinct: Vec<&Vec<u8>> = model.subs.iter().map(|(p, _, _)| p).collect();
                distinct.sort();
                distinct.dedup();
                prop_assert!(trie.node_count() <= 2 * distinct.len() + 1);
            }
        }

        #[test]
        fn set_agrees_with_a_naive_model(
            ops in prop::collection::vec((0..3u8, bytes()), 0..80),
        ) {
            let mut set = SubscriptionSet::new();
            let mut model: Vec<(Vec<u8>, usize)> = Vec::new();
            for (kind, p) in ops {
                match kind {
                    0 => {
                        let first = match model.iter_mut().find(|(q, _)| *q == p) {
                            Some(entry) => { entry.1 += 1; false }
                            None => { model.push((p.clone(), 1)); true }
                        };
                        prop_assert_eq!(set.add(&p), first);
                    }
                    1 => {
                        let last = match model.iter().position(|(q, _)| *q == p) {
                            Some(i) if model[i].1 == 1 => { model.remove(i); true }
                            Some(i) => { model[i].1 -= 1; false }
                            None => false,
                        };
                        prop_assert_eq!(set.remove(&p), last);
                    }
                    _ => {
                        let want = model.iter().any(|(q, _)| p.starts_with(q));
                        prop_assert_eq!(set.matches(&p), want);
                    }
                }
                set.tree.check();
                let mut want: Vec<Vec<u8>> = model.iter().map(|(q, _)| q.clone()).collect();
                want.sort();
                prop_assert_eq!(set.iter().collect::<Vec<_>>(), want);
                prop_assert!(set.node_count() <= 2 * model.len() + 1);
            }
        }
    }
}
