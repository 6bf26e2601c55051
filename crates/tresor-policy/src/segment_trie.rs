//! A trie over path segments for the patterns with `+` wildcards.
//!
//! Each node is a sequence of pattern segments; its children are literal segments
//! (sorted, binary-searched) and at most one `+` child. A pattern without a trailing `*`
//! ends at a node (`end`); one with a trailing `*` hangs off the node of all but its last
//! segment as `(last-segment text, rule)`, which matches when the next path segment
//! starts with that text (and so everything after it).
//!
//! Matching walks the path's segments once per live branch. A trie node is reached by at
//! most one route for a given path (its depth fixes which path segments led to it), so a
//! lookup visits each node at most once: O(path length + nodes visited), and in the
//! common case (few `+` patterns) close to O(path length). The only allocation is the
//! branch stack, and only when a literal child and a `+` child both continue. Nodes live
//! in one vector and the walk is iterative: no recursion on path or pattern depth.

#[derive(Debug, Default)]
struct Node {
    literal: Vec<(Box<str>, usize)>,
    plus: Option<usize>,
    end: Option<usize>,
    prefix_ends: Vec<(Box<str>, usize)>,
}

/// `+` patterns -> rule index.
#[derive(Debug)]
pub(crate) struct SegmentTrie {
    nodes: Vec<Node>,
}

impl Default for SegmentTrie {
    fn default() -> Self {
        SegmentTrie {
            nodes: vec![Node::default()],
        }
    }
}

impl SegmentTrie {
    /// Stores `rule` for the pattern `body` (the text before any trailing `*`); `prefix`
    /// when the pattern ended in `*`. A pattern is inserted once (rules are pre-merged).
    pub(crate) fn insert(&mut self, body: &str, prefix: bool, rule: usize) {
        let (walk, last) = match (prefix, body.rsplit_once('/')) {
            (false, _) => (Some(body), None),
            (true, Some((walk, last))) => (Some(walk), Some(last)),
            (true, None) => (None, Some(body)),
        };
        let mut at = 0;
        for segment in walk.into_iter().flat_map(|w| w.split('/')) {
            at = self.child(at, segment);
        }
        let Some(node) = self.nodes.get_mut(at) else {
            return;
        };
        match last {
            None => node.end = Some(rule),
            Some(last) => node.prefix_ends.push((last.into(), rule)),
        }
    }

    fn child(&mut self, at: usize, segment: &str) -> usize {
        let next_free = self.nodes.len();
        let Some(node) = self.nodes.get_mut(at) else {
            return at;
        };
        if segment == "+" {
            if let Some(c) = node.plus {
                return c;
            }
            node.plus = Some(next_free);
        } else {
            match node.literal.binary_search_by(|(s, _)| (**s).cmp(segment)) {
                Ok(i) => return node.literal.get(i).map_or(at, |c| c.1),
                Err(i) => node.literal.insert(i, (segment.into(), next_free)),
            }
        }
        self.nodes.push(Node::default());
        next_free
    }

    /// Calls `found` with every rule whose pattern matches `path`.
    pub(crate) fn for_each_match(&self, path: &str, mut found: impl FnMut(usize)) {
        // (node, rest of the path after the segments consumed so far; `None` when all
        // segments are consumed, `Some("")` when one empty segment remains).
        let mut branches: Vec<(usize, Option<&str>)> = Vec::new();
        let mut current = Some((0, Some(path)));
        while let Some((at, rest)) = current.take().or_else(|| branches.pop()) {
            let Some(node) = self.nodes.get(at) else {
                continue;
            };
            let Some(rest) = rest else {
                if let Some(rule) = node.end {
                    found(rule);
                }
                continue;
            };
            for (text, rule) in &node.prefix_ends {
                if rest.starts_with(&**text) {
                    found(*rule);
                }
            }
            let (segment, next) = match rest.split_once('/') {
                Some((segment, next)) => (segment, Some(next)),
                None => (rest, None),
            };
            if let Ok(i) = node.literal.binary_search_by(|(s, _)| (**s).cmp(segment)) {
                current = node.literal.get(i).map(|c| (c.1, next));
            }
            if let Some(plus) = node.plus {
                match current {
                    None => current = Some((plus, next)),
                    Some(_) => branches.push((plus, next)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(t: &SegmentTrie, path: &str) -> Vec<usize> {
        let mut out = Vec::new();
        t.for_each_match(path, |r| out.push(r));
        out.sort_unstable();
        out
    }

    #[test]
    fn segments_and_prefixes() {
        let mut t = SegmentTrie::default();
        t.insert("test/+/segment", false, 0);
        t.insert("+/segment/at/front", false, 1);
        t.insert("test/+/wildcard/+/", true, 2);
        t.insert("test/+/wildcardglob/+/end", true, 3);
        t.insert("foo/+", false, 4);
        t.insert("foo/+/", false, 5);
        assert_eq!(matches(&t, "test/foo/segment"), [0]);
        assert_eq!(matches(&t, "test/foo/bar/segment"), Vec::<usize>::new());
        assert_eq!(matches(&t, "test/segment/at/front"), [1]);
        assert_eq!(matches(&t, "test/x/wildcard/y/z/w"), [2]);
        assert_eq!(matches(&t, "test/x/wildcard/y"), Vec::<usize>::new());
        assert_eq!(matches(&t, "test/x/wildcard/y/"), [2]);
        assert_eq!(matches(&t, "test/x/wildcardglob/y/endless/more"), [3]);
        // `+` matches an empty segment, as in Vault.
        assert_eq!(matches(&t, "foo/"), [4]);
        assert_eq!(matches(&t, "foo//"), [5]);
        assert_eq!(matches(&t, "foo/a/"), [5]);
        assert_eq!(matches(&t, "foo"), Vec::<usize>::new());
    }

    #[test]
    fn literal_plus_segments_are_literal() {
        let mut t = SegmentTrie::default();
        t.insert("a/+b", false, 0);
        assert_eq!(matches(&t, "a/+b"), [0]);
        assert_eq!(matches(&t, "a/xb"), Vec::<usize>::new());
    }
}
