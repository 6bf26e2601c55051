//! Path matching behaviours of OpenBao's ACL tests (vault/policy/acl_test.go), re-expressed
//! as tables against our implementation. Policies are the same documents; expectations
//! are the answers OpenBao gives. Parameter rules are in `openbao_params.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tresor_policy::{Acl, AclRequest, Operation, Operation::*, Policy};

const ACL_POLICY: &str = r#"
name = "DeV"
path "dev/*" {
	policy = "sudo"
}
path "stage/*" {
	policy = "write"
}
path "stage/aws/*" {
	policy = "read"
	capabilities = ["update", "sudo"]
}
path "stage/aws/policy/*" {
	policy = "sudo"
}
path "prod/*" {
	policy = "read"
}
path "prod/aws/*" {
	policy = "deny"
}
path "sys/*" {
	policy = "deny"
}
path "foo/bar" {
	capabilities = ["read", "create", "sudo"]
}
path "baz/quux" {
	capabilities = ["read", "create", "patch"]
}
path "test/+/segment" {
	capabilities = ["read"]
}
path "+/segment/at/front" {
	capabilities = ["read"]
}
path "test/segment/at/end/+" {
	capabilities = ["read"]
}
path "test/segment/at/end/v2/+/" {
	capabilities = ["read"]
}
path "test/+/wildcard/+/*" {
	capabilities = ["read"]
}
path "test/+/wildcardglob/+/end*" {
	capabilities = ["read"]
}
path "1/2/*" {
	capabilities = ["create"]
}
path "1/2/+" {
	capabilities = ["read"]
}
path "1/2/+/+" {
	capabilities = ["update"]
}
path "asdf/fdsa" {
	capabilities = ["scan"]
}
"#;

const ACL_POLICY2: &str = r#"
name = "OpS"
path "dev/hide/*" {
	policy = "deny"
}
path "stage/aws/policy/*" {
	policy = "deny"
	# This should have no effect
	capabilities = ["read", "update", "sudo"]
}
path "prod/*" {
	policy = "write"
}
path "sys/seal" {
	policy = "sudo"
}
path "foo/bar" {
	capabilities = ["deny"]
}
path "baz/quux" {
	capabilities = ["deny"]
}
"#;

fn acl(docs: &[&str]) -> Acl {
    let policies: Vec<Policy> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| Policy::parse(&format!("p{i}"), d).unwrap())
        .collect();
    Acl::new(&policies)
}

fn check(acl: &Acl, cases: &[(Operation, &str, bool, bool)]) {
    for &(op, path, allowed, sudo) in cases {
        let d = acl.allowed(&AclRequest::new(path, op));
        assert_eq!((d.allowed, d.sudo), (allowed, sudo), "{op:?} {path}: {d:?}");
    }
}

#[test]
fn single_policy() {
    let a = acl(&[ACL_POLICY]);
    check(
        &a,
        &[
            (Read, "sys/mount/foo", false, false),
            (Read, "root", false, false),
            (Help, "root", true, false),
            (Read, "dev/foo", true, true),
            (Update, "dev/foo", true, true),
            (Delete, "stage/foo", true, false),
            (List, "stage/aws/foo", true, true),
            (Update, "stage/aws/foo", true, true),
            (Update, "stage/aws/policy/foo", true, true),
            (Delete, "prod/foo", false, false),
            (Update, "prod/foo", false, false),
            (Read, "prod/foo", true, false),
            (List, "prod/foo", true, false),
            (Read, "prod/aws/foo", false, false),
            (Read, "foo/bar", true, true),
            (List, "foo/bar", false, true),
            (Update, "foo/bar", false, true),
            (Create, "foo/bar", true, true),
            (Read, "baz/quux", true, false),
            (Create, "baz/quux", true, false),
            (Patch, "baz/quux", true, false),
            (List, "baz/quux", false, false),
            (Update, "baz/quux", false, false),
            (Scan, "baz/quux", false, false),
            (Scan, "asdf/fdsa", true, false),
            (List, "asdf/fdsa", false, false),
            // Path segment wildcards.
            (Read, "test/foo/bar/segment", false, false),
            (Read, "test/foo/segment", true, false),
            (Read, "test/bar/segment", true, false),
            (Read, "test/segment/at/frond", false, false),
            (Read, "test/segment/at/front", true, false),
            (Read, "test/segment/at/end/foo", true, false),
            (Read, "test/segment/at/end/foo/", false, false),
            (Read, "test/segment/at/end/v2/foo/", true, false),
            (Read, "test/segment/wildcard/at/foo/", true, false),
            (Read, "test/segment/wildcard/at/end", true, false),
            (Read, "test/segment/wildcard/at/end/", true, false),
            // Path segment wildcards vs glob.
            (Read, "1/2/3/4", false, false),
            (Read, "1/2/3", true, false),
            (Update, "1/2/3", false, false),
            (Update, "1/2/3/4", true, false),
            (Create, "1/2/3/4/5", true, false),
        ],
    );
}

#[test]
fn layered_policies() {
    let a = acl(&[ACL_POLICY, ACL_POLICY2]);
    check(
        &a,
        &[
            (Read, "sys/mount/foo", false, false),
            (Read, "root", false, false),
            (Help, "root", true, false),
            (Read, "dev/foo", true, true),
            (Update, "dev/foo", true, true),
            (Read, "dev/hide/foo", false, false),
            (Update, "dev/hide/foo", false, false),
            (Delete, "stage/foo", true, false),
            (List, "stage/aws/foo", true, true),
            (Update, "stage/aws/foo", true, true),
            (Update, "stage/aws/policy/foo", false, false),
            (Delete, "prod/foo", true, false),
            (Update, "prod/foo", true, false),
            (Read, "prod/foo", true, false),
            (List, "prod/foo", true, false),
            (Read, "prod/aws/foo", false, false),
            (Read, "sys/status", false, false),
            (Update, "sys/seal", true, true),
            (Read, "foo/bar", false, false),
            (List, "foo/bar", false, false),
            (Update, "foo/bar", false, false),
            (Create, "foo/bar", false, false),
            (Read, "baz/quux", false, false),
            (List, "baz/quux", false, false),
            (Update, "baz/quux", false, false),
            (Create, "baz/quux", false, false),
            (Patch, "baz/quux", false, false),
        ],
    );
}

#[test]
fn root_acl() {
    let root = Acl::root();
    let d = root.allowed(&AclRequest::new("sys/mount/foo", Update));
    assert!(d.allowed && d.sudo && d.root);
    assert_eq!(root.capabilities("any/path"), ["root"]);
}

#[test]
fn capabilities_answers() {
    let a = acl(&[ACL_POLICY]);
    assert_eq!(a.capabilities("dev"), ["deny"]);
    assert_eq!(
        a.capabilities("dev/"),
        ["create", "delete", "list", "read", "sudo", "update"]
    );
    assert_eq!(
        a.capabilities("stage/aws/test"),
        ["list", "read", "sudo", "update"]
    );
    assert_eq!(
        a.capabilities("/stage/aws/test"),
        ["list", "read", "sudo", "update"]
    );
    assert_eq!(a.capabilities("prod/aws/x"), ["deny"]);
    assert_eq!(a.capabilities("nowhere"), ["deny"]);
    assert_eq!(acl(&[]).capabilities("x"), ["deny"]);
}

#[test]
fn segment_wildcard_priority() {
    // Each policy has a read rule and an update rule; the update rule is more specific.
    let cases = [
        (
            r#"path "+/*" { capabilities = ["read"] } path "*" { capabilities = ["update"] }"#,
            "foo/bar/bar/baz",
        ),
        (
            r#"path "+/*" { capabilities = ["read"] } path "foo/+/*" { capabilities = ["update"] }"#,
            "foo/bar/bar/baz",
        ),
        (
            r#"path "foo/+/+/*" { capabilities = ["read"] } path "foo/+/bar/baz" { capabilities = ["update"] }"#,
            "foo/bar/bar/baz",
        ),
        (
            r#"path "foo/+/+/baz" { capabilities = ["read"] } path "foo/+/bar/baz" { capabilities = ["update"] }"#,
            "foo/bar/bar/baz",
        ),
        (
            r#"path "foo/+/(ar/baz" { capabilities = ["read"] } path "foo/(ar/+/baz" { capabilities = ["update"] }"#,
            "foo/(ar/(ar/baz",
        ),
        (
            r#"path "foo/bar/+/baz*" { capabilities = ["read"] } path "foo/bar/+/baz" { capabilities = ["update"] }"#,
            "foo/bar/bar/baz",
        ),
        (
            r#"path "foo/bar/+/b*" { capabilities = ["read"] } path "foo/bar/+/ba*" { capabilities = ["update"] }"#,
            "foo/bar/bar/baz",
        ),
    ];
    for (policy, path) in cases {
        let a = acl(&[policy]);
        assert!(
            a.allowed(&AclRequest::new(path, Update)).allowed,
            "{policy}"
        );
        assert!(!a.allowed(&AclRequest::new(path, Read)).allowed, "{policy}");
    }
}

#[test]
fn granting_policies_allow() {
    let granting = r#"
        path "kv/foo" { capabilities = ["update", "read"] }
        path "kv/path/*" { capabilities = ["read"] }
        path "kv/path/longer" { capabilities = ["update", "read"] }
        path "kv/path/longer2" { capabilities = ["update"] }
        path "kv/deny" { capabilities = ["deny"] }
        path "ns1/kv/foo" { capabilities = ["update", "read"] }
    "#;
    let merged = r#"
        path "kv/foo" { capabilities = ["update", "read"] }
        path "kv/bar" { capabilities = ["update", "read"] }
        path "kv/path/*" { capabilities = ["read"] }
        path "kv/path/longer" { capabilities = ["read"] }
        path "kv/path/longer3" { capabilities = ["read"] }
        path "kv/deny" { capabilities = ["update"] }
    "#;
    let one = acl(&[granting]);
    let two = acl(&[granting, merged]);
    check(
        &one,
        &[
            (Read, "kv/foo", true, false),
            (Update, "kv/foo", true, false),
            (Read, "kv/bad", false, false),
            (Read, "kv/deny", false, false),
            (Read, "kv/path/foo", true, false),
            (Read, "kv/path/longer", true, false),
        ],
    );
    check(
        &two,
        &[
            (Read, "kv/foo", true, false),
            (Read, "kv/path/longer3", true, false),
            (Read, "kv/bar", true, false),
            (Read, "kv/deny", false, false),
            (Update, "kv/path/longer", true, false),
            (Read, "kv/path/foo", true, false),
        ],
    );
}

/// OpenBao's LIST/SCAN deny tests (the GHSA-xp3c-3jw3-4vcr fix and its follow-up): four
/// ways to deny `foo/metadata/private/` under a grant on `foo/metadata/*`.
#[test]
fn list_and_scan_respect_more_specific_denies() {
    let glob = r#"
        path "foo/metadata/*" { capabilities = ["list","scan"] }
        path "foo/metadata/private/*" { capabilities = ["deny"] }
        path "foo/metadata/private/granted/*" { capabilities = ["list","scan"] }
    "#;
    let wildcard = r#"
        path "foo/metadata/*" { capabilities = ["list","scan"] }
        path "foo/metadata/private/+" { capabilities = ["deny"] }
        path "foo/metadata/private/internal/+" { capabilities = ["deny"] }
        // + only matches one segment, so +/ is needed to forbid a LIST below it.
        path "foo/metadata/private/internal/+/" { capabilities = ["deny"] }
        path "foo/metadata/private/granted/*" { capabilities = ["list","scan"] }
    "#;
    let internal_wildcard = r#"
        path "foo/metadata/*" { capabilities = ["list","scan"] }
        path "foo/metadata/private" { capabilities = ["deny"] }
        path "foo/metadata/private/" { capabilities = ["deny"] }
        path "foo/metadata/+/internal" { capabilities = ["deny"] }
        path "foo/metadata/+/internal/" { capabilities = ["deny"] }
        path "foo/metadata/+/internal/+" { capabilities = ["deny"] }
        path "foo/metadata/+/internal/+/" { capabilities = ["deny"] }
        path "foo/metadata/pr+vate/granted/*" { capabilities = ["list","scan"] }
    "#;
    let explicit = r#"
        path "foo/metadata/*" { capabilities = ["list","scan"] }
        path "foo/metadata/private/" { capabilities = ["deny"] }
        path "foo/metadata/private/internal/" { capabilities = ["deny"] }
        path "foo/metadata/private/internal/elsewhere/" { capabilities = ["deny"] }
    "#;
    let paths = [
        ("foo", false),
        ("foo/metadata", true),
        ("foo/metadata/test", true),
        ("foo/metadata/private", false),
        ("foo/metadata/private/internal", false),
        ("foo/metadata/private/internal/elsewhere", false),
        ("foo/metadata/private/granted", true),
        ("foo/metadata/private/granted/test", true),
    ];
    for (name, policy) in [
        ("glob", glob),
        ("wildcard", wildcard),
        ("internal_wildcard", internal_wildcard),
        ("explicit", explicit),
    ] {
        let a = acl(&[policy]);
        for (path, allowed) in paths {
            for op in [List, Scan] {
                let folder = format!("{path}/");
                let d = a.allowed(&AclRequest::new(&folder, op));
                assert_eq!(d.allowed, allowed, "{name}: {op:?} {folder}: {d:?}");
            }
        }
    }
}
