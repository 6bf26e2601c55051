//! The matching and priority examples of Vault's and OpenBao's policy documentation, as
//! one table. Each row gives a set of patterns, each granting a different capability,
//! and a path; the expected winner is named by its pattern (or `None`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tresor_policy::{Acl, AclRequest, Capability, Operation, Policy};

/// Capabilities used as markers for "which rule won".
const MARKERS: [&str; 6] = ["read", "create", "update", "delete", "patch", "scan"];

fn winner(patterns: &[&str], path: &str) -> Option<String> {
    let text: String = patterns
        .iter()
        .zip(MARKERS)
        .map(|(p, cap)| format!("path \"{p}\" {{ capabilities = [\"{cap}\"] }}\n"))
        .collect();
    let acl = Acl::new(&[Policy::parse("t", &text).unwrap()]);
    let caps = acl
        .allowed(&AclRequest::new(path, Operation::Read))
        .capabilities;
    let cap = caps.iter().next()?;
    let i = MARKERS
        .iter()
        .position(|m| Capability::from_name(m) == Some(cap))?;
    patterns.get(i).map(|p| (*p).to_owned())
}

#[test]
fn documented_examples() {
    let rows: &[(&[&str], &str, Option<&str>)] = &[
        // "secret/foo" matches only itself.
        (&["secret/foo"], "secret/foo", Some("secret/foo")),
        (&["secret/foo"], "secret/food", None),
        (&["secret/foo"], "secret/foo/bar", None),
        // "secret/bar/*": everything under secret/bar/, not secret/bars/.
        (&["secret/bar/*"], "secret/bar/zip", Some("secret/bar/*")),
        (
            &["secret/bar/*"],
            "secret/bar/zip/zap",
            Some("secret/bar/*"),
        ),
        (&["secret/bar/*"], "secret/bars/zip", None),
        // "secret/zip-*": any path starting with it.
        (&["secret/zip-*"], "secret/zip-zap", Some("secret/zip-*")),
        (
            &["secret/zip-*"],
            "secret/zip-zap/zong",
            Some("secret/zip-*"),
        ),
        (&["secret/zip-*"], "secret/zip/zap", None),
        // "+" is exactly one segment.
        (
            &["secret/+/teamb"],
            "secret/foo/teamb",
            Some("secret/+/teamb"),
        ),
        (&["secret/+/teamb"], "secret/foo/bar/teamb", None),
        (
            &["secret/+/+/teamb"],
            "secret/foo/bar/teamb",
            Some("secret/+/+/teamb"),
        ),
        (
            &["secret/+/+/teamb"],
            "secret/bar/foo/teamb",
            Some("secret/+/+/teamb"),
        ),
        // "secret/foo*" also matches "secret/foobar"; an exact rule beats it on its path.
        (
            &["secret/foo*", "secret/foo"],
            "secret/foobar",
            Some("secret/foo*"),
        ),
        (
            &["secret/foo*", "secret/foo"],
            "secret/foo",
            Some("secret/foo"),
        ),
        // An exact rule beats any glob, e.g. a deny on secret/super-secret.
        (
            &["secret/*", "secret/super-secret"],
            "secret/super-secret",
            Some("secret/super-secret"),
        ),
        (
            &["secret/*", "secret/super-secret"],
            "secret/other",
            Some("secret/*"),
        ),
        // Rule 3 (the docs' worked example): same first wildcard, both end in `*`, more
        // `+` segments lose.
        (
            &["secret/*", "secret/+/+/foo/*"],
            "secret/a/b/foo/c",
            Some("secret/*"),
        ),
        // Rule 1: the later first wildcard wins.
        (
            &["secret/+/foo", "secret/bar/*"],
            "secret/bar/foo",
            Some("secret/bar/*"),
        ),
        (&["foo/+", "foo/a*"], "foo/ab", Some("foo/a*")),
        (
            &["foo/+/bar/baz", "foo/bar/+/baz"],
            "foo/bar/bar/baz",
            Some("foo/bar/+/baz"),
        ),
        // Rule 2: at the same position, not ending in `*` wins.
        (&["foo/+/ba*", "foo/+/bar"], "foo/x/bar", Some("foo/+/bar")),
        (&["foo/*", "foo/+"], "foo/x", Some("foo/+")),
        (&["foo/*", "foo/+"], "foo/x/y", Some("foo/*")),
        // Rule 3.
        (
            &["foo/+/+/baz", "foo/bar/+/baz"],
            "foo/bar/bar/baz",
            Some("foo/bar/+/baz"),
        ),
        (&["+/*", "*"], "foo/bar", Some("*")),
        // Rule 4: the longer wins.
        (
            &["foo/+/bar/b*", "foo/+/bar/ba*"],
            "foo/x/bar/baz",
            Some("foo/+/bar/ba*"),
        ),
        // Rule 5: lexicographically greater wins (only reachable through literal `+`).
        (&["a/+b/c", "a/+b/+"], "a/+b/c", Some("a/+b/c")),
        // Plain prefixes: the longest wins.
        (
            &["secret/*", "secret/a/*", "secret/a/b*"],
            "secret/a/bc",
            Some("secret/a/b*"),
        ),
        (&["*"], "", Some("*")),
    ];
    for (patterns, path, expected) in rows {
        assert_eq!(
            winner(patterns, path).as_deref(),
            *expected,
            "patterns {patterns:?}, path {path:?}"
        );
    }
}

#[test]
fn list_on_folders() {
    // LIST of `foo/` is governed by an exact rule on `foo` ...
    let rows: &[(&[&str], &str, Option<&str>)] = &[
        (&["foo", "foo/*"], "foo/", Some("foo")),
        // ... or by a non-exact rule on `foo`, but only when nothing matches `foo/` itself.
        (&["fo*"], "foo/", Some("fo*")),
        (&["fo*", "foo/*"], "foo/", Some("foo/*")),
        (
            &["+/private/*", "+/private"],
            "x/private/",
            Some("+/private/*"),
        ),
        (&["+/private"], "x/private/", Some("+/private")),
    ];
    for (patterns, path, expected) in rows {
        let text: String = patterns
            .iter()
            .zip(MARKERS)
            .map(|(p, cap)| format!("path \"{p}\" {{ capabilities = [\"list\", \"{cap}\"] }}\n"))
            .collect();
        let acl = Acl::new(&[Policy::parse("t", &text).unwrap()]);
        let d = acl.allowed(&AclRequest::new(path, Operation::List));
        assert!(d.allowed, "{patterns:?} {path}");
        let marker = d.capabilities.iter().find(|c| *c != Capability::List);
        let got = marker.and_then(|m| MARKERS.iter().position(|x| *x == m.as_str()));
        assert_eq!(
            got.and_then(|i| patterns.get(i)).copied(),
            *expected,
            "{patterns:?} {path}"
        );
    }
    // Without LIST, the folder fallbacks do not apply.
    assert_eq!(winner(&["foo", "foo/*"], "foo/").as_deref(), Some("foo/*"));
    assert_eq!(winner(&["+/private"], "x/private/"), None);
}
