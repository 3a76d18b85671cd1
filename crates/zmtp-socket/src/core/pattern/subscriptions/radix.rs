//! The radix tree under both structures: byte-string edges, nodes in a slab, no recursion.

use slab::Slab;

/// What a node of the [`Radix`] tree stores; the default value means "no subscription here".
pub(super) trait Value: Default {
    /// Whether the node holds no subscription (it may then be freed or merged).
    fn is_vacant(&self) -> bool;
}

/// One node of the radix tree.
#[derive(Debug)]
pub(super) struct Node<V> {
    /// The bytes of the edge from the parent to this node: empty for the root only.
    pub(super) label: Box<[u8]>,
    /// The parent's key (the root's is its own).
    pub(super) parent: usize,
    /// The children, by the first byte of their label, sorted by it.
    pub(super) children: Vec<(u8, usize)>,
    /// The subscriptions of the prefix this node spells.
    pub(super) value: V,
}

/// A radix tree keyed by byte strings, its nodes in a slab.
///
/// A node's key never changes while the node holds a value: splitting an edge puts a new node
/// above the existing one, and merging frees the vacant parent and keeps the child. That is what
/// lets [`SubscriptionTrie`](super::SubscriptionTrie) remember node keys per pipe.
#[derive(Debug)]
pub(super) struct Radix<V> {
    pub(super) nodes: Slab<Node<V>>,
    pub(super) root: usize,
}

impl<V: Value> Radix<V> {
    /// A tree holding only the (vacant) root.
    pub(super) fn new() -> Self {
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
    pub(super) fn child(&self, node: usize, byte: u8) -> Option<usize> {
        let children = &self.nodes[node].children;
        children
            .binary_search_by_key(&byte, |&(b, _)| b)
            .ok()
            .map(|i| children[i].1)
    }

    /// Makes `child` the child of `node` for `byte`, whether or not one was there.
    pub(super) fn set_child(&mut self, node: usize, byte: u8, child: usize) {
        let children = &mut self.nodes[node].children;
        match children.binary_search_by_key(&byte, |&(b, _)| b) {
            Ok(i) => children[i].1 = child,
            Err(i) => children.insert(i, (byte, child)),
        }
    }

    /// Forgets the child of `node` for `byte`.
    pub(super) fn remove_child(&mut self, node: usize, byte: u8) {
        let children = &mut self.nodes[node].children;
        if let Ok(i) = children.binary_search_by_key(&byte, |&(b, _)| b) {
            children.remove(i);
        }
    }

    /// The node spelling exactly `key`, if there is one (it may be vacant).
    pub(super) fn find(&self, key: &[u8]) -> Option<usize> {
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
    pub(super) fn find_or_insert(&mut self, key: &[u8]) -> usize {
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
    pub(super) fn prune(&mut self, mut node: usize) {
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
    pub(super) fn path<'a>(&'a self, topic: &'a [u8]) -> Path<'a, V> {
        Path {
            tree: self,
            next: Some(self.root),
            rest: topic,
        }
    }

    /// Writes the key `node` spells into `buf` (replacing its contents), walking up to the root.
    pub(super) fn key_of(&self, mut node: usize, buf: &mut Vec<u8>) {
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
    pub(super) fn for_each(&self, mut f: impl FnMut(&[u8], &V)) {
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
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        let root = &self.nodes[self.root];
        root.children.is_empty() && root.value.is_vacant()
    }

    /// How many nodes the tree has, the root included.
    #[cfg(test)]
    pub(super) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Panics unless the tree's links and compactness hold.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(super) fn check(&self) {
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
pub(super) struct Path<'a, V> {
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
