//! A byte trie answering "the longest stored prefix of this path" in O(path length ×
//! log fan-out), with no allocation. Nodes live in one vector (no recursion anywhere,
//! so deep keys cannot exhaust the stack when built or dropped).

#[derive(Debug, Default)]
struct Node {
    /// (byte, child index), sorted by byte.
    children: Vec<(u8, usize)>,
    value: Option<usize>,
}

/// Prefixes of plain `prefix*` rules -> rule index.
#[derive(Debug)]
pub(crate) struct PrefixTrie {
    nodes: Vec<Node>,
}

impl Default for PrefixTrie {
    fn default() -> Self {
        PrefixTrie {
            nodes: vec![Node::default()],
        }
    }
}

impl PrefixTrie {
    /// Stores `value` under `key`, replacing any value already there.
    pub(crate) fn insert(&mut self, key: &str, value: usize) {
        let mut at = 0;
        for byte in key.bytes() {
            let next_free = self.nodes.len();
            let Some(node) = self.nodes.get_mut(at) else {
                return;
            };
            at = match node.children.binary_search_by_key(&byte, |c| c.0) {
                Ok(i) => node.children.get(i).map_or(at, |c| c.1),
                Err(i) => {
                    node.children.insert(i, (byte, next_free));
                    self.nodes.push(Node::default());
                    next_free
                }
            };
        }
        if let Some(node) = self.nodes.get_mut(at) {
            node.value = Some(value);
        }
    }

    /// The value of the longest stored key that `s` starts with.
    pub(crate) fn longest_prefix(&self, s: &str) -> Option<usize> {
        let mut at = self.nodes.first()?;
        let mut best = at.value;
        for byte in s.bytes() {
            let Ok(i) = at.children.binary_search_by_key(&byte, |c| c.0) else {
                break;
            };
            let Some(next) = at.children.get(i).and_then(|c| self.nodes.get(c.1)) else {
                break;
            };
            at = next;
            if at.value.is_some() {
                best = at.value;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let mut t = PrefixTrie::default();
        assert_eq!(t.longest_prefix("x"), None);
        t.insert("secret/", 1);
        t.insert("secret/foo", 2);
        t.insert("", 0);
        assert_eq!(t.longest_prefix("secret/foobar"), Some(2));
        assert_eq!(t.longest_prefix("secret/fo"), Some(1));
        assert_eq!(t.longest_prefix("secret"), Some(0));
        assert_eq!(t.longest_prefix(""), Some(0));
        t.insert("secret/", 3);
        assert_eq!(t.longest_prefix("secret/x"), Some(3));
        t.insert("é/", 4);
        assert_eq!(t.longest_prefix("é/x"), Some(4));
    }
}
