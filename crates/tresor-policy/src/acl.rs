//! The compiled ACL: every rule of a token's policies merged per pattern and indexed for
//! lookup, built once when the policies change and shared read-only afterwards.
//!
//! Indexes (see the crate docs for complexity):
//! - exact patterns: a hash map, one lookup per probe;
//! - plain `prefix*` patterns: a byte trie giving the longest matching prefix;
//! - patterns with `+` segments: a segment trie listing every match.
//!
//! Which rule governs a path (Vault's order, kept exactly):
//! 1. the exact rule for the path;
//! 2. for LIST/SCAN only, the exact rule for the path without one trailing `/`
//!    (listing `foo/` is governed by a rule on `foo`);
//! 3. the highest-priority non-exact rule matching the path (five rules, see
//!    [`crate::pattern`]); plain prefixes compete through their longest match only, which
//!    always outranks shorter ones;
//! 4. for LIST/SCAN of a path ending in `/` only, step 3 for the path without it.
//!
//! Step 4 comes after step 3 (OpenBao's fix for GHSA-xp3c-3jw3-4vcr): a folder's own
//! rules, such as a deny on `foo/private/*`, must decide a LIST of `foo/private/` before
//! a broader grant reached through `foo/private` can.

use crate::pattern::{Kind, Pattern, Priority};
use crate::policy::Policy;
use crate::prefix_trie::PrefixTrie;
use crate::rule::Permissions;
use crate::segment_trie::SegmentTrie;
use std::collections::HashMap;

/// One merged rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) perms: Permissions,
    priority: Priority,
}

#[derive(Debug, Default)]
struct Rules {
    rules: Vec<Rule>,
    exact: HashMap<Box<str>, usize>,
    prefix: PrefixTrie,
    segments: SegmentTrie,
}

/// A compiled access-control list: the root ACL, or the merged rules of some policies.
#[derive(Debug)]
pub struct Acl {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Root,
    Rules(Rules),
}

impl Acl {
    /// Compiles `policies`. Rules with the same pattern, within one policy or across
    /// several, merge as in Vault: capabilities unite and a deny wins outright; the
    /// smaller non-zero wrapping TTL wins for each bound; parameter value lists are
    /// concatenated, an empty list ("any value") absorbing the other; required
    /// parameters unite. Rules of a templated policy that was not rendered
    /// ([`Policy::render`]) are left out: they grant nothing.
    pub fn new(policies: &[Policy]) -> Acl {
        let mut by_pattern: HashMap<&str, usize> = HashMap::new();
        let mut rules: Vec<(&Pattern, Permissions)> = Vec::new();
        // Templated rules are left out: only a rendered policy grants through them.
        let globs = policies
            .iter()
            .flat_map(Policy::rules)
            .filter_map(|rule| Some((rule.glob()?, &rule.perms)));
        for (pattern, perms) in globs {
            let text = pattern.text();
            match by_pattern.get(text).and_then(|&i| rules.get_mut(i)) {
                Some((_, merged)) => merged.merge(perms),
                None => {
                    by_pattern.insert(text, rules.len());
                    rules.push((pattern, perms.clone()));
                }
            }
        }
        let mut compiled = Rules::default();
        for (index, (pattern, perms)) in rules.into_iter().enumerate() {
            match pattern.kind() {
                Kind::Exact => {
                    compiled.exact.insert(pattern.text().into(), index);
                }
                Kind::Prefix => compiled.prefix.insert(pattern.body(), index),
                Kind::Segments { prefix } => {
                    compiled.segments.insert(pattern.body(), prefix, index)
                }
            }
            compiled.rules.push(Rule {
                perms,
                priority: pattern.priority(),
            });
        }
        Acl {
            inner: Inner::Rules(compiled),
        }
    }

    /// The ACL of the root policy: everything is allowed, with sudo, everywhere.
    pub fn root() -> Acl {
        Acl { inner: Inner::Root }
    }

    /// Whether this is the root ACL.
    pub fn is_root(&self) -> bool {
        matches!(self.inner, Inner::Root)
    }

    /// The rule governing `path` (leading `/`s already removed), `None` for the root ACL
    /// or when no rule matches. `list_like` selects the LIST/SCAN folder fallbacks.
    pub(crate) fn lookup(&self, path: &str, list_like: bool) -> Option<&Rule> {
        let Inner::Rules(r) = &self.inner else {
            return None;
        };
        let folder = path.strip_suffix('/');
        let index = r
            .exact
            .get(path)
            .or_else(|| folder.filter(|_| list_like).and_then(|f| r.exact.get(f)))
            .copied()
            .or_else(|| r.non_exact(path))
            .or_else(|| folder.filter(|_| list_like).and_then(|f| r.non_exact(f)))?;
        r.rules.get(index)
    }
}

impl Rules {
    /// The highest-priority non-exact rule matching `path`.
    fn non_exact(&self, path: &str) -> Option<usize> {
        let mut best = self.prefix.longest_prefix(path);
        self.segments.for_each_match(path, |candidate| {
            let wins = match best.and_then(|b| self.rules.get(b)) {
                None => true,
                Some(current) => self
                    .rules
                    .get(candidate)
                    .is_some_and(|c| c.priority > current.priority),
            };
            if wins {
                best = Some(candidate);
            }
        });
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(text: &str) -> Acl {
        Acl::new(&[Policy::parse("t", text).unwrap()])
    }

    fn caps(acl: &Acl, path: &str, list: bool) -> Option<Vec<&'static str>> {
        acl.lookup(path, list)
            .map(|r| r.perms.caps.iter().map(|c| c.as_str()).collect())
    }

    #[test]
    fn exact_then_folder_then_wildcards() {
        let a = acl(r#"
            path "foo" { capabilities = ["read"] }
            path "foo/*" { capabilities = ["update"] }
            path "bar/+" { capabilities = ["create"] }
            "#);
        assert_eq!(caps(&a, "foo", false), Some(vec!["read"]));
        // LIST of `foo/`: the exact rule on `foo` comes before `foo/*`.
        assert_eq!(caps(&a, "foo/", true), Some(vec!["read"]));
        assert_eq!(caps(&a, "foo/", false), Some(vec!["update"]));
        assert_eq!(caps(&a, "bar/x", false), Some(vec!["create"]));
        assert_eq!(caps(&a, "bar/x/", false), None);
        assert_eq!(caps(&a, "bar/x/", true), Some(vec!["create"]));
        assert!(Acl::root().lookup("foo", false).is_none());
    }

    #[test]
    fn acl_is_shareable_across_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Acl>();
        shareable::<Policy>();
    }

    #[test]
    fn same_pattern_merges_across_policies() {
        let p1 = Policy::parse("a", r#"path "x/*" { capabilities = ["read"] }"#).unwrap();
        let p2 = Policy::parse("b", r#"path "x/*" { capabilities = ["list"] }"#).unwrap();
        let p3 = Policy::parse("c", r#"path "x/*" { capabilities = ["deny"] }"#).unwrap();
        let a = Acl::new(&[p1.clone(), p2.clone()]);
        assert_eq!(caps(&a, "x/y", false), Some(vec!["list", "read"]));
        let a = Acl::new(&[p1, p3, p2]);
        assert_eq!(caps(&a, "x/y", false), Some(vec!["deny"]));
    }
}
