//! `subscription_trie`: random subscribe / cancel / drop-pipe / match sequences on the publish
//! side's trie (PUB, XPUB) and the subscribe side's set (SUB, XSUB), each checked step by step
//! against a plain model: a `Vec` of (prefix, pipe, count) and a `Vec` of (prefix, count).
//!
//! Input: `[mode, ops...]`. `mode` bit 0: the trie counts repeated subscriptions (else libzmq's
//! XPUB rule: a repeat is a no-op). Each op is an opcode byte, a pipe byte and a length byte,
//! then that many key bytes (mapped onto a 4-letter alphabet so that prefixes overlap often; a
//! length byte with its top bit set takes the bytes raw).
//!
//! Properties: every answer (first subscriber, what a cancel did, what dropping a pipe vacated,
//! which pipes a topic goes to, once each, and which it does not) equals the model's; the
//! listing equals the model's; the trees' internal invariants hold after every change.

use zmtp_socket::fuzzing::{Cancel, PublisherTrie, SubscriberSet};

/// Pipe keys are spread out (the trie must not assume small or dense keys).
const PIPES: usize = 8;
fn pipe_key(byte: u8) -> usize {
    (usize::from(byte) % PIPES).wrapping_mul(0x9E37_79B9) ^ 0x55
}

/// The publish side's model: (prefix, pipe, count).
#[derive(Debug, Default)]
struct TrieModel {
    subs: Vec<(Vec<u8>, usize, usize)>,
    counted: bool,
}

impl TrieModel {
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
            Some((_, _, count)) if self.counted => *count += 1,
            Some(_) => {}
            None => self.subs.push((prefix.to_vec(), pipe, 1)),
        }
        first
    }

    fn unsubscribe(&mut self, prefix: &[u8], pipe: usize) -> Cancel {
        let Some(i) = self
            .subs
            .iter()
            .position(|(p, q, _)| p == prefix && *q == pipe)
        else {
            return Cancel::NotSubscribed;
        };
        if self.subs[i].2 > 1 {
            self.subs[i].2 -= 1;
            return Cancel::Decremented;
        }
        self.subs.remove(i);
        if self.holds(prefix) {
            Cancel::Removed
        } else {
            Cancel::LastRemoved
        }
    }

    fn remove_pipe(&mut self, pipe: usize) -> Vec<(Vec<u8>, bool)> {
        let (gone, kept): (Vec<_>, Vec<_>) = self.subs.drain(..).partition(|s| s.1 == pipe);
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

    fn matches(&self, topic: &[u8]) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .subs
            .iter()
            .filter(|(p, _, _)| topic.starts_with(p))
            .map(|s| s.1)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn listing(&self) -> Vec<(Vec<u8>, usize, usize)> {
        let mut all = self.subs.clone();
        all.sort();
        all
    }
}

/// Reads one key: `len` bytes, on the small alphabet unless its top bit is set.
fn key<'b>(len: u8, input: &mut &[u8], buf: &'b mut Vec<u8>) -> &'b [u8] {
    let n = usize::from(len & 0x7F).min(input.len());
    let (raw, rest) = input.split_at(n);
    *input = rest;
    buf.clear();
    if len & 0x80 != 0 {
        buf.extend_from_slice(raw);
    } else {
        buf.extend(raw.iter().map(|b| b"ab\x00\xff"[usize::from(b % 4)]));
    }
    buf
}

/// Runs one fuzz input.
pub fn subscription_trie(data: &[u8]) {
    let [mode, rest @ ..] = data else {
        return;
    };
    let mut input: &[u8] = rest;
    let counted = mode & 1 == 1;
    let mut trie = PublisherTrie::new(counted);
    let mut model = TrieModel {
        counted,
        ..TrieModel::default()
    };
    let mut set = SubscriberSet::new();
    let mut set_model: Vec<(Vec<u8>, usize)> = Vec::new();
    let all_pipes: Vec<usize> = (0..PIPES as u8).map(pipe_key).collect();
    let mut buf = Vec::new();

    while let [op, pipe, len, rest @ ..] = input {
        input = rest;
        let pipe = pipe_key(*pipe);
        let k = key(*len, &mut input, &mut buf);
        match op % 8 {
            0 | 1 => {
                assert_eq!(
                    trie.subscribe(k, pipe),
                    model.subscribe(k, pipe),
                    "subscribe {k:?}"
                );
            }
            2 => assert_eq!(
                trie.unsubscribe(k, pipe),
                model.unsubscribe(k, pipe),
                "unsubscribe {k:?}"
            ),
            3 => {
                let mut got = trie.remove_pipe(pipe);
                got.sort();
                assert_eq!(got, model.remove_pipe(pipe), "remove_pipe {pipe}");
            }
            4 => {
                let mut got = trie.matches(k);
                let n = got.len();
                got.sort_unstable();
                got.dedup();
                assert_eq!(n, got.len(), "a pipe matched twice for {k:?}");
                assert_eq!(got, model.matches(k), "matches {k:?}");
                let mut non = trie.non_matches(k, &all_pipes);
                non.sort_unstable();
                let mut want: Vec<usize> = all_pipes
                    .iter()
                    .copied()
                    .filter(|p| !got.contains(p))
                    .collect();
                want.sort_unstable();
                assert_eq!(non, want, "non-matches {k:?}");
            }
            5 => {
                let first = !set_model.iter().any(|(p, _)| p == k);
                match set_model.iter_mut().find(|(p, _)| p == k) {
                    Some((_, c)) => *c += 1,
                    None => set_model.push((k.to_vec(), 1)),
                }
                assert_eq!(set.add(k), first, "set add {k:?}");
            }
            6 => {
                let last = match set_model.iter().position(|(p, _)| p == k) {
                    Some(i) if set_model[i].1 == 1 => {
                        set_model.remove(i);
                        true
                    }
                    Some(i) => {
                        set_model[i].1 -= 1;
                        false
                    }
                    None => false,
                };
                assert_eq!(set.remove(k), last, "set remove {k:?}");
            }
            _ => {
                let want = set_model.iter().any(|(p, _)| k.starts_with(p));
                assert_eq!(set.matches(k), want, "set matches {k:?}");
            }
        }
        trie.check();
        set.check();
    }
    // Pipes of one prefix come in no particular order.
    let mut listing = trie.subscriptions();
    listing.sort();
    assert_eq!(listing, model.listing(), "trie listing");
    let mut prefixes: Vec<Vec<u8>> = set_model.into_iter().map(|(p, _)| p).collect();
    prefixes.sort();
    assert_eq!(set.prefixes(), prefixes, "set listing");
}
