//! Parameter and wrapping rules of OpenBao's ACL tests (vault/policy/acl_test.go:
//! TestACL_AllowOperation, TestACL_ValuePermissions, TestACL_PolicyMerge), re-expressed
//! as tables. Policies are the same documents; expectations are OpenBao's answers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use serde_json::{json, Map, Value};
use std::time::Duration;
use tresor_policy::{Acl, AclRequest, Denial, Operation::*, Policy};

fn acl(docs: &[&str]) -> Acl {
    let policies: Vec<Policy> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| Policy::parse(&format!("p{i}"), d).unwrap())
        .collect();
    Acl::new(&policies)
}

const PERMISSIONS_POLICY: &str = r#"
name = "dev"
path "dev/*" {
	policy = "write"
	allowed_parameters = { "zip" = [] }
}
path "foo/bar" {
	policy = "write"
	denied_parameters = { "zap" = [] }
	min_wrapping_ttl = 300
	max_wrapping_ttl = 400
}
path "foo/baz" {
	policy = "write"
	allowed_parameters = { "hello" = [] }
	denied_parameters = { "zap" = [] }
	min_wrapping_ttl = 300
}
path "working/phone" {
	policy = "write"
	max_wrapping_ttl = 400
}
path "broken/phone" {
	policy = "write"
	allowed_parameters = { "steve" = [] }
	denied_parameters = { "steve" = [] }
}
path "hello/world" {
	policy = "write"
	allowed_parameters = { "*" = [] }
	denied_parameters = { "*" = [] }
}
path "tree/fort" {
	policy = "write"
	allowed_parameters = { "*" = [] }
	denied_parameters = { "foo" = [] }
}
path "fruit/apple" {
	policy = "write"
	allowed_parameters = { "pear" = [] }
	denied_parameters = { "*" = [] }
}
path "cold/weather" {
	policy = "write"
	allowed_parameters = {}
	denied_parameters = {}
}
path "var/aws" {
	policy = "write"
	allowed_parameters = { "*" = [] }
	denied_parameters = { "soft" = [], "warm" = [], "kitty" = [] }
}
path "var/req" {
	policy = "write"
	required_parameters = ["foo"]
}
"#;

fn data(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn parameters_and_wrapping() {
    let a = acl(&[PERMISSIONS_POLICY]);
    let cases: &[(&str, Option<u64>, &[&str], bool)] = &[
        ("dev/ops", None, &["zip"], true),
        ("foo/bar", None, &["zap"], false),
        ("foo/bar", None, &["zip"], false),
        ("foo/bar", Some(50), &["zip"], false),
        ("foo/bar", Some(450), &["zip"], false),
        ("foo/bar", Some(350), &["zip"], true),
        ("foo/baz", None, &["hello"], false),
        ("foo/baz", Some(50), &["hello"], false),
        ("foo/baz", Some(450), &["hello"], true),
        ("foo/baz", None, &["zap"], false),
        ("broken/phone", None, &["steve"], false),
        ("working/phone", None, &[""], false),
        ("working/phone", Some(450), &[""], false),
        ("working/phone", Some(350), &[""], true),
        ("hello/world", None, &["one"], false),
        ("tree/fort", None, &["one"], true),
        ("tree/fort", None, &["foo"], false),
        ("fruit/apple", None, &["pear"], false),
        ("fruit/apple", None, &["one"], false),
        ("cold/weather", None, &["four"], true),
        ("var/aws", None, &["cold", "warm", "kitty"], false),
        ("var/req", None, &["cold", "warm", "kitty"], false),
        ("var/req", None, &["cold", "warm", "kitty", "foo"], true),
    ];
    for &(path, wrap, params, allowed) in cases {
        let body = data(&params.iter().map(|p| (*p, json!(""))).collect::<Vec<_>>());
        for op in [Update, Create] {
            let mut req = AclRequest::new(path, op).with_data(&body);
            if let Some(secs) = wrap {
                req = req.with_wrap_ttl(Duration::from_secs(secs));
            }
            let d = a.allowed(&req);
            assert_eq!(
                d.allowed, allowed,
                "{op:?} {path} {wrap:?} {params:?}: {d:?}"
            );
        }
    }
}

const VALUE_POLICY: &str = r#"
path "dev/*" {
	policy = "write"
	allowed_parameters = { "allow" = ["good"] }
}
path "foo/bar" {
	policy = "write"
	denied_parameters = { "deny" = ["bad*"] }
}
path "foo/baz" {
	policy = "write"
	allowed_parameters = { "ALLOW" = ["good"] }
	denied_parameters = { "dEny" = ["bad"] }
}
path "fizz/buzz" {
	policy = "write"
	allowed_parameters = {
		"allow_multi" = ["good", "good1", "good2", "*good3"]
		"allow" = ["good"]
	}
	denied_parameters = { "deny_multi" = ["bad", "bad1", "bad2"] }
}
path "test/types" {
	policy = "write"
	allowed_parameters = {
		"map" = [{"good" = "one"}]
		"int" = [1, 2]
		"bool" = [false]
	}
	denied_parameters = {}
}
path "test/star" {
	policy = "write"
	allowed_parameters = {
		"*" = []
		"foo" = []
		"bar" = [false]
	}
	denied_parameters = {}
}
"#;

#[test]
fn parameter_values() {
    let a = acl(&[VALUE_POLICY]);
    type Case<'a> = (&'a str, &'a [(&'a str, Value)], bool);
    let cases: &[Case] = &[
        ("dev/ops", &[("allow", json!("good"))], true),
        ("dev/ops", &[("allow", json!("bad"))], false),
        ("foo/bar", &[("deny", json!("bad"))], false),
        ("foo/bar", &[("deny", json!("bad glob"))], false),
        ("foo/bar", &[("deny", json!("good"))], true),
        ("foo/bar", &[("allow", json!("good"))], true),
        ("foo/bar", &[("deny", Value::Null)], true),
        ("foo/bar", &[("allow", Value::Null)], true),
        ("foo/baz", &[("aLLow", json!("good"))], true),
        ("foo/baz", &[("deny", json!("bad"))], false),
        ("foo/baz", &[("deny", json!("good"))], false),
        (
            "foo/baz",
            &[("allow", json!("good")), ("deny", json!("bad"))],
            false,
        ),
        (
            "foo/baz",
            &[("deNy", json!("bad")), ("allow", json!("good"))],
            false,
        ),
        ("foo/baz", &[("aLLow", json!("bad"))], false),
        ("foo/baz", &[("Neither", json!("bad"))], false),
        ("foo/baz", &[("allow", Value::Null)], false),
        ("fizz/buzz", &[("allow_multi", json!("good"))], true),
        ("fizz/buzz", &[("allow_multi", json!("good1"))], true),
        ("fizz/buzz", &[("allow_multi", json!("good2"))], true),
        ("fizz/buzz", &[("allow_multi", json!("glob good2"))], false),
        ("fizz/buzz", &[("allow_multi", json!("glob good3"))], true),
        ("fizz/buzz", &[("allow_multi", json!("bad"))], false),
        (
            "fizz/buzz",
            &[("allow_multi", json!("good1")), ("allow", json!("good"))],
            true,
        ),
        ("fizz/buzz", &[("deny_multi", json!("bad2"))], false),
        (
            "fizz/buzz",
            &[
                ("deny_multi", json!("good")),
                ("allow_multi", json!("good2")),
            ],
            false,
        ),
        ("test/types", &[("map", json!({"good": "one"}))], true),
        ("test/types", &[("map", json!({"bad": "one"}))], false),
        ("test/types", &[("int", json!(1))], true),
        ("test/types", &[("int", json!(3))], false),
        ("test/types", &[("bool", json!(false))], true),
        ("test/types", &[("bool", json!(true))], false),
        ("test/star", &[("anything", json!(true))], true),
        ("test/star", &[("foo", json!(true))], true),
        ("test/star", &[("bar", json!(false))], true),
        ("test/star", &[("bar", json!(true))], false),
    ];
    for &(path, params, allowed) in cases {
        let body = data(params);
        for op in [Update, Create] {
            let d = a.allowed(&AclRequest::new(path, op).with_data(&body));
            assert_eq!(d.allowed, allowed, "{op:?} {path} {params:?}: {d:?}");
        }
    }
}

#[test]
fn parameters_only_constrain_read_and_writes() {
    let a = acl(&[
        r#"path "x" { capabilities = ["read", "update", "delete", "list"]
        required_parameters = ["a"] }"#,
    ]);
    let empty = Map::new();
    let d = a.allowed(&AclRequest::new("x", Read).with_data(&empty));
    assert_eq!(d.denial, Some(Denial::MissingParameter("a".into())));
    assert!(!a.allowed(&AclRequest::new("x", Update)).allowed);
    assert!(a.allowed(&AclRequest::new("x", Delete)).allowed);
    assert!(a.allowed(&AclRequest::new("x", List)).allowed);
    // Required names are lower-cased in the policy and matched exactly in the request.
    let a = acl(&[r#"path "x" { capabilities = ["update"], required_parameters = ["Foo"] }"#]);
    assert!(
        a.allowed(&AclRequest::new("x", Update).with_data(&data(&[("foo", json!(1))])))
            .allowed
    );
    assert!(
        !a.allowed(&AclRequest::new("x", Update).with_data(&data(&[("Foo", json!(1))])))
            .allowed
    );
}

const MERGING: &str = r#"
path "foo/bar" {
	policy = "write"
	denied_parameters = { "baz" = [] }
	required_parameters = ["baz"]
}
path "foo/bar" {
	policy = "write"
	denied_parameters = { "zip" = [] }
}
path "hello/universe" {
	policy = "write"
	allowed_parameters = { "foo" = [] }
	required_parameters = ["foo"]
	max_wrapping_ttl = 300
	min_wrapping_ttl = 100
}
path "hello/universe" {
	policy = "write"
	allowed_parameters = { "bar" = [] }
	required_parameters = ["bar"]
	max_wrapping_ttl = 200
	min_wrapping_ttl = 50
}
path "allow/all" {
	policy = "write"
	allowed_parameters = { "test" = [], "test1" = ["foo"] }
}
path "allow/all" {
	policy = "write"
	allowed_parameters = { "*" = [] }
}
path "deny/all" {
	policy = "write"
	denied_parameters = { "test" = [] }
}
path "deny/all" {
	policy = "write"
	denied_parameters = { "*" = [] }
}
path "value/merge" {
	policy = "write"
	allowed_parameters = { "test" = [1, 2] }
	denied_parameters = { "test" = [1, 2] }
}
path "value/merge" {
	policy = "write"
	allowed_parameters = { "test" = [3, 4] }
	denied_parameters = { "test" = [3, 4] }
}
path "value/empty" {
	policy = "write"
	allowed_parameters = { "empty" = [] }
	denied_parameters = { "empty" = [1] }
}
path "value/empty" {
	policy = "write"
	allowed_parameters = { "empty" = [1] }
	denied_parameters = { "empty" = [] }
}
"#;

#[test]
fn merged_rules_behave_like_vault() {
    let a = acl(&[MERGING]);
    let up = |path: &str, params: &[(&str, Value)], wrap: Option<u64>| {
        let body = data(params);
        let mut req = AclRequest::new(path, Update).with_data(&body);
        if let Some(w) = wrap {
            req = req.with_wrap_ttl(Duration::from_secs(w));
        }
        a.allowed(&req).denial
    };
    assert_eq!(
        up("foo/bar", &[], None),
        Some(Denial::MissingParameter("baz".into()))
    );
    assert_eq!(
        up("foo/bar", &[("baz", json!(1))], None),
        Some(Denial::DeniedParameter("baz".into()))
    );
    let both = [("foo", json!(1)), ("bar", json!(2))];
    assert_eq!(up("hello/universe", &both, Some(100)), None);
    assert_eq!(
        up("hello/universe", &both, Some(250)),
        Some(Denial::WrappingTtl)
    );
    assert_eq!(
        up("hello/universe", &both, Some(40)),
        Some(Denial::WrappingTtl)
    );
    assert_eq!(
        up("hello/universe", &both[..1], Some(100)),
        Some(Denial::MissingParameter("bar".into()))
    );
    assert_eq!(up("allow/all", &[("other", json!(1))], None), None);
    assert_eq!(up("allow/all", &[("test1", json!("foo"))], None), None);
    assert_eq!(
        up("allow/all", &[("test1", json!("bar"))], None),
        Some(Denial::ParameterNotAllowed("test1".into()))
    );
    assert_eq!(
        up("deny/all", &[("x", json!(1))], None),
        Some(Denial::DeniedParameter("x".into()))
    );
    assert_eq!(up("deny/all", &[], None), None);
    assert_eq!(
        up("value/merge", &[("test", json!(1))], None),
        Some(Denial::DeniedParameter("test".into()))
    );
    assert_eq!(
        up("value/merge", &[("test", json!(4))], None),
        Some(Denial::DeniedParameter("test".into()))
    );
    assert_eq!(
        up("value/merge", &[("test", json!(5))], None),
        Some(Denial::ParameterNotAllowed("test".into()))
    );
    assert_eq!(
        up("value/empty", &[("empty", json!(7))], None),
        Some(Denial::DeniedParameter("empty".into()))
    );
}
