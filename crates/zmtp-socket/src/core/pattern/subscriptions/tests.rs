//! Unit tests and model-based property tests of the subscription structures.

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
        peak = peak.max(t.capacities().0);
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
    assert!(t.capacities().1 <= 16);
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
        let (gone, kept): (Vec<_>, Vec<_>) = self.subs.drain(..).partition(|(_, q, _)| *q == pipe);
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
