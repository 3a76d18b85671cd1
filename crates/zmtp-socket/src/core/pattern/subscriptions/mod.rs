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

mod radix;
mod set;
#[cfg(test)]
mod tests;
mod trie;

pub(crate) use set::SubscriptionSet;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use trie::Unsubscribed;
pub(crate) use trie::{MatchScratch, Repeats, SubscriptionTrie};
