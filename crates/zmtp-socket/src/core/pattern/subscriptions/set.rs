//! [`SubscriptionSet`]: a subscribing socket's own counted prefixes.

use super::radix::{Radix, Value};

/// A subscribing socket's own subscriptions (SUB, XSUB): counted prefixes. Subscribing twice
/// takes two cancels; the socket forwards a cancel upstream only when the count reaches zero.
#[derive(Debug)]
pub(crate) struct SubscriptionSet {
    pub(super) tree: Radix<usize>,
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
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = Vec<u8>> {
        let mut all = Vec::new();
        self.for_each(|prefix| all.push(prefix.to_vec()));
        all.into_iter()
    }

    /// Whether nothing is subscribed.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Panics unless the tree's links and compactness hold.
    #[cfg(feature = "fuzzing")]
    pub(crate) fn check(&self) {
        self.tree.check();
    }

    /// How many nodes the tree has, the root included.
    #[cfg(test)]
    pub(super) fn node_count(&self) -> usize {
        self.tree.node_count()
    }
}

/// A [`SubscriptionSet`] node's value: how many times its prefix was subscribed.
impl Value for usize {
    fn is_vacant(&self) -> bool {
        *self == 0
    }
}
