//! Path patterns: validation, Vault's classification, and the priority order used when
//! several non-exact patterns match one path.
//!
//! Vault's rules, kept here exactly:
//! - one leading `/` is dropped;
//! - a pattern ending in `*` is a prefix pattern; `*` anywhere else is refused (Vault
//!   would silently treat it as a literal that never matches what its author meant);
//! - a pattern "has segment wildcards" when it is `+`, starts with `+/` or contains `/+`.
//!   In such a pattern a segment that is exactly `+` matches any one segment (including
//!   an empty one); any other segment, even `+x`, is literal. `+*` is refused.
//! - Priority between matching non-exact patterns P1 and P2 (the five rules): P1 loses
//!   if its first `+` or `*` comes earlier; if it ends in `*` and P2 does not; if it has
//!   more `+` segments; if it is shorter; if it is lexicographically smaller.

use std::cmp::Ordering;

/// How a pattern matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The whole path, literally.
    Exact,
    /// Any path starting with the pattern's body (the text before `*`).
    Prefix,
    /// Segment by segment with `+` wildcards; `prefix` when it ends in `*`.
    Segments { prefix: bool },
}

/// A validated path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// The pattern as written, minus one leading `/`; a prefix keeps its `*`.
    text: Box<str>,
    kind: Kind,
}

impl Pattern {
    /// Validates and classifies `raw`, or says which wildcard rule it breaks.
    pub(crate) fn parse(raw: &str) -> Result<Pattern, &'static str> {
        let text = raw.strip_prefix('/').unwrap_or(raw);
        if text.contains("+*") {
            return Err("'+*' is forbidden");
        }
        let body = text.strip_suffix('*').unwrap_or(text);
        if body.contains('*') {
            return Err("'*' is only allowed at the end");
        }
        let prefix = body.len() != text.len();
        let segmented = text == "+" || text.starts_with("+/") || text.contains("/+");
        let kind = match (segmented, prefix) {
            (true, prefix) => Kind::Segments { prefix },
            (false, true) => Kind::Prefix,
            (false, false) => Kind::Exact,
        };
        Ok(Pattern {
            text: text.into(),
            kind,
        })
    }

    /// The pattern text (a prefix pattern keeps its trailing `*`).
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The text without a trailing `*`.
    pub(crate) fn body(&self) -> &str {
        self.text.strip_suffix('*').unwrap_or(&self.text)
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    /// This pattern's rank among non-exact patterns.
    pub(crate) fn priority(&self) -> Priority {
        let body = self.body();
        let (first_wildcard, is_prefix, wildcards) = match self.kind {
            Kind::Exact => (body.len(), false, 0),
            Kind::Prefix => (body.len(), true, 0),
            Kind::Segments { prefix } => (
                // As Vault: the first `+` character, even inside a literal segment.
                self.text.find('+').unwrap_or(body.len()),
                prefix,
                body.split('/').filter(|s| *s == "+").count(),
            ),
        };
        Priority {
            first_wildcard,
            is_prefix,
            wildcards,
            body: body.into(),
        }
    }
}

/// The rank of a non-exact pattern: the greater one wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Priority {
    first_wildcard: usize,
    is_prefix: bool,
    wildcards: usize,
    body: Box<str>,
}

impl Ord for Priority {
    fn cmp(&self, other: &Self) -> Ordering {
        self.first_wildcard
            .cmp(&other.first_wildcard)
            .then_with(|| other.is_prefix.cmp(&self.is_prefix))
            .then_with(|| other.wildcards.cmp(&self.wildcards))
            .then_with(|| self.body.len().cmp(&other.body.len()))
            .then_with(|| self.body.cmp(&other.body))
    }
}

impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(p: &str) -> Kind {
        Pattern::parse(p).unwrap().kind()
    }

    fn prio(p: &str) -> Priority {
        Pattern::parse(p).unwrap().priority()
    }

    #[test]
    fn classification_follows_vault() {
        assert_eq!(kind("secret/foo"), Kind::Exact);
        assert_eq!(kind("/secret/foo"), Kind::Exact);
        assert_eq!(kind("secret/foo*"), Kind::Prefix);
        assert_eq!(kind("*"), Kind::Prefix);
        assert_eq!(kind("+"), Kind::Segments { prefix: false });
        assert_eq!(kind("+/a"), Kind::Segments { prefix: false });
        assert_eq!(kind("a/+/b*"), Kind::Segments { prefix: true });
        assert_eq!(kind("a/+b"), Kind::Segments { prefix: false });
        assert_eq!(kind("a+/b"), Kind::Exact);
        assert_eq!(kind("+a/b"), Kind::Exact);
        assert_eq!(Pattern::parse("/a*").unwrap().body(), "a");
    }

    #[test]
    fn bad_globs_are_refused() {
        assert!(Pattern::parse("foo/+*").is_err());
        assert!(Pattern::parse("+*").is_err());
        assert!(Pattern::parse("foo/*/bar").is_err());
        assert!(Pattern::parse("foo**").is_err());
        assert!(Pattern::parse("*foo").is_err());
    }

    #[test]
    fn the_five_rules() {
        // 1. earlier first wildcard loses.
        assert!(prio("foo/a*") > prio("foo/+"));
        assert!(prio("foo/bar/+/baz") > prio("foo/+/bar/baz"));
        assert!(prio("*") > prio("+/*"));
        // 2. ending in `*` loses.
        assert!(prio("foo/+/bar") > prio("foo/+/ba*"));
        assert!(prio("foo/+") > prio("foo/*"));
        // 3. more `+` segments lose.
        assert!(prio("foo/bar/+/baz") > prio("foo/+/+/baz"));
        assert!(prio("secret/*") > prio("secret/+/+/foo/*"));
        // 4. shorter loses.
        assert!(prio("foo/+/bar/ba*") > prio("foo/+/bar/b*"));
        // 5. lexicographically smaller loses.
        assert!(prio("a/+/c") > prio("a/+/b"));
    }
}
