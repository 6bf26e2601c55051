//! The compiled matcher against a slow reference written straight from Vault's rules:
//! merge rules with equal patterns, enumerate every rule matching the path, pick by the
//! five priority rules, apply the exact / folder / LIST order. Random patterns and paths
//! come from a small alphabet with `/`, `+`, `*`, empty segments and literal `+x`
//! segments, so overlaps (and Vault's corner cases) are frequent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use std::cmp::Ordering;
use tresor_policy::{Acl, AclRequest, Capabilities, Capability, Operation, Policy};

const OPS: [Operation; 8] = [
    Operation::Read,
    Operation::Create,
    Operation::Update,
    Operation::Patch,
    Operation::Delete,
    Operation::List,
    Operation::Scan,
    Operation::Help,
];

const CAPS: [&str; 9] = [
    "read", "list", "create", "update", "delete", "sudo", "patch", "scan", "deny",
];

// ---- the reference ----------------------------------------------------------------

fn is_segmented(p: &str) -> bool {
    p == "+" || p.starts_with("+/") || p.contains("/+")
}

fn body(p: &str) -> &str {
    p.strip_suffix('*').unwrap_or(p)
}

fn is_exact(p: &str) -> bool {
    !p.ends_with('*') && !is_segmented(p)
}

/// Vault's matching of one non-exact pattern.
fn ref_matches(p: &str, path: &str) -> bool {
    let prefix = p.ends_with('*');
    if !is_segmented(p) {
        return path.starts_with(body(p));
    }
    let pat: Vec<&str> = body(p).split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    if segs.len() < pat.len() || (!prefix && segs.len() != pat.len()) {
        return false;
    }
    pat.iter().enumerate().all(|(i, ps)| {
        let s = segs[i];
        if *ps == "+" || *ps == s {
            true
        } else {
            prefix && i == pat.len() - 1 && s.starts_with(ps)
        }
    })
}

/// Whether `p1` has lower priority than `p2`, by the five documented rules.
fn lower(p1: &str, p2: &str) -> bool {
    let first = |p: &str| {
        if is_segmented(p) {
            p.find('+').unwrap()
        } else {
            body(p).len()
        }
    };
    let plus = |p: &str| body(p).split('/').filter(|s| *s == "+").count();
    if first(p1) != first(p2) {
        return first(p1) < first(p2);
    }
    if p1.ends_with('*') != p2.ends_with('*') {
        return p1.ends_with('*');
    }
    if plus(p1) != plus(p2) {
        return plus(p1) > plus(p2);
    }
    if body(p1).len() != body(p2).len() {
        return body(p1).len() < body(p2).len();
    }
    body(p1) < body(p2)
}

fn merged(rules: &[(String, Vec<&'static str>)]) -> Vec<(String, Vec<&'static str>)> {
    let mut out: Vec<(String, Vec<&'static str>)> = Vec::new();
    for (p, caps) in rules {
        let p = p.strip_prefix('/').unwrap_or(p).to_owned();
        match out.iter_mut().find(|(q, _)| *q == p) {
            Some((_, existing)) => existing.extend(caps.iter().copied()),
            None => out.push((p, caps.clone())),
        }
    }
    for (_, caps) in &mut out {
        if caps.contains(&"deny") {
            *caps = vec!["deny"];
        }
        caps.sort_unstable();
        caps.dedup();
    }
    out
}

fn ref_lookup<'r>(
    rules: &'r [(String, Vec<&'static str>)],
    path: &str,
    list: bool,
) -> Option<&'r [&'static str]> {
    let exact = |q: &str| rules.iter().find(|(p, _)| is_exact(p) && p == q);
    let best = |q: &str| {
        rules
            .iter()
            .filter(|(p, _)| !is_exact(p) && ref_matches(p, q))
            .max_by(|a, b| {
                if lower(&a.0, &b.0) {
                    Ordering::Less
                } else if lower(&b.0, &a.0) {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            })
    };
    let trimmed = path.strip_suffix('/');
    let found = exact(path)
        .or_else(|| {
            if list {
                exact(trimmed.unwrap_or(path))
            } else {
                None
            }
        })
        .or_else(|| best(path))
        .or_else(|| if list { trimmed.and_then(best) } else { None });
    found.map(|(_, c)| c.as_slice())
}

fn cap_name(op: Operation) -> Option<&'static str> {
    op.capability().map(Capability::as_str)
}

// ---- generators --------------------------------------------------------------------

fn segment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "ab", "+", "", "+a"])
}

fn pattern() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(segment(), 1..5),
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(segs, star, slash)| {
            let mut p = segs.join("/");
            if star && !p.ends_with('+') {
                p.push('*');
            }
            if slash {
                p.insert(0, '/');
            }
            p
        })
}

fn path() -> impl Strategy<Value = String> {
    (prop::collection::vec(segment(), 0..6), any::<bool>()).prop_map(|(segs, folder)| {
        let mut p = segs.join("/");
        if folder {
            p.push('/');
        }
        p
    })
}

fn caps() -> impl Strategy<Value = Vec<&'static str>> {
    (
        prop::sample::subsequence(&CAPS[..8], 0..4),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(mut c, deny)| {
            if deny {
                c.push("deny");
            }
            c
        })
}

fn rules() -> impl Strategy<Value = Vec<(usize, String, Vec<&'static str>)>> {
    prop::collection::vec((0..3usize, pattern(), caps()), 1..10)
}

// ---- the property ------------------------------------------------------------------

fn compile(rules: &[(usize, String, Vec<&'static str>)]) -> Acl {
    let policies: Vec<Policy> = (0..3)
        .map(|i| {
            let text: String = rules
                .iter()
                .filter(|r| r.0 == i)
                .map(|(_, p, c)| format!("path \"{p}\" {{ capabilities = {c:?} }}\n"))
                .collect();
            Policy::parse(&format!("p{i}"), &text).unwrap()
        })
        .collect();
    Acl::new(&policies)
}

fn names(c: Capabilities) -> Vec<&'static str> {
    c.iter().map(Capability::as_str).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn matcher_agrees_with_reference(rules in rules(), mut paths in prop::collection::vec(path(), 1..8)) {
        let acl = compile(&rules);
        let plain: Vec<_> = rules.iter().map(|(_, p, c)| (p.clone(), c.clone())).collect();
        let reference = merged(&plain);
        // Also probe each pattern's own text, as a file and as a folder.
        for (_, p, _) in &rules {
            let b = body(p.trim_start_matches('/')).replace('+', "x");
            paths.push(format!("{b}/"));
            paths.push(b);
        }
        for raw in &paths {
            for leading in ["", "/"] {
                let path = format!("{leading}{raw}");
                // The ACL, like Vault, ignores leading slashes of request paths.
                let canonical = raw.trim_start_matches('/');
                for op in OPS {
                    let d = acl.allowed(&AclRequest::new(&path, op));
                    let list = matches!(op, Operation::List | Operation::Scan);
                    let governing = ref_lookup(&reference, canonical, list);
                    let (allowed, sudo, caps): (bool, bool, Vec<&str>) = match (op, governing) {
                        (Operation::Help, _) => (true, false, vec![]),
                        (_, None) => (false, false, vec![]),
                        (_, Some(c)) if c.contains(&"deny") => (false, false, c.to_vec()),
                        (op, Some(c)) => (
                            c.contains(&cap_name(op).unwrap()),
                            c.contains(&"sudo"),
                            c.to_vec(),
                        ),
                    };
                    prop_assert_eq!(
                        (d.allowed, d.sudo, names(d.capabilities)),
                        (allowed, sudo, caps),
                        "{:?} {:?} rules {:?}", op, path, rules
                    );
                }
                let expected: Vec<String> = match ref_lookup(&reference, canonical, true) {
                    Some(c) if !c.is_empty() && !c.contains(&"deny") => c.iter().map(|s| (*s).to_owned()).collect(),
                    _ => vec!["deny".to_owned()],
                };
                prop_assert_eq!(acl.capabilities(&path), expected, "capabilities {:?} rules {:?}", path, rules);
            }
        }
    }
}
