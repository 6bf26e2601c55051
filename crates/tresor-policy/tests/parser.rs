//! Policy documents as Vault users write them: HCL1 and HCL2, JSON, the legacy `policy`
//! shorthand, and the errors for everything else.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tresor_policy::{Acl, AclRequest, Operation, Policy, PolicyError};

fn caps(policy: &Policy) -> Vec<(String, Vec<&'static str>)> {
    policy
        .rules()
        .iter()
        .map(|r| {
            let c = r.capabilities().iter().map(|c| c.as_str()).collect();
            (r.pattern().to_owned(), c)
        })
        .collect()
}

fn parse(text: &str) -> Policy {
    Policy::parse("t", text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn err(text: &str) -> PolicyError {
    Policy::parse("t", text).unwrap_err()
}

#[test]
fn hcl1_one_liners() {
    let p = parse(concat!(
        "path \"secret/a\" { capabilities = [\"read\", \"list\"] }\n",
        "path \"secret/b\" { capabilities = [\"read\"], max_wrapping_ttl = \"90s\", min_wrapping_ttl = \"1s\" }\n",
        "path \"secret/c\" { policy = \"write\" capabilities = [\"sudo\"] } path \"secret/d\" { policy = \"deny\" }\n",
        "path \"secret/e\" { capabilities = [\"update\"] allowed_parameters = { \"k\" = [\"v1\", \"v2\"] \"*\" = [] } denied_parameters = { \"x\" = [] } required_parameters = [\"k\"] }\n",
    ));
    let got = caps(&p);
    assert_eq!(got.len(), 5);
    assert_eq!(got[0], ("secret/a".into(), vec!["list", "read"]));
    assert_eq!(got[1], ("secret/b".into(), vec!["read"]));
    assert_eq!(
        got[2].1,
        ["create", "delete", "list", "read", "sudo", "update"]
    );
    assert_eq!(got[3].1, ["deny"]);
    let acl = Acl::new(&[p]);
    let body = serde_json::json!({"k": "v2", "other": 1});
    let req = AclRequest::new("secret/e", Operation::Update).with_data(body.as_object().unwrap());
    assert!(acl.allowed(&req).allowed);
}

#[test]
fn hcl2_multi_line_and_comments() {
    let p = parse(
        r#"
# Developer policy
/* block
   comment */
name = "dev"
path "/foo/bar" {
  policy = "read"            // legacy shorthand
  min_wrapping_ttl = 300
  max_wrapping_ttl = "1h"
  comment = "stored but not parsed"
}
path "test/+/wildcard/+/end*" {
  capabilities = [
    "create",
    "sudo",
  ]
}
"#,
    );
    assert_eq!(
        caps(&p),
        [
            ("foo/bar".to_owned(), vec!["list", "read"]),
            ("test/+/wildcard/+/end*".to_owned(), vec!["create", "sudo"]),
        ]
    );
}

#[test]
fn json_form() {
    let p = parse(
        r#"{"path": {"secret/*": {"capabilities": ["read"]}, "secret/x": {"policy": "deny"}}}"#,
    );
    assert_eq!(
        caps(&p),
        [
            ("secret/*".to_owned(), vec!["read"]),
            ("secret/x".to_owned(), vec!["deny"]),
        ]
    );
    let p = parse(
        r#"  {"name": "x", "path": {"a": {"capabilities": ["update"], "allowed_parameters": {"k": []}, "min_wrapping_ttl": 10, "max_wrapping_ttl": "20s"}}}"#,
    );
    assert_eq!(caps(&p), [("a".to_owned(), vec!["update"])]);
}

#[test]
fn hcl_and_json_compile_alike() {
    let hcl =
        parse(r#"path "a/*" { capabilities = ["read", "list"] } path "a/b" { policy = "deny" }"#);
    let json = parse(
        r#"{"path": {"a/*": {"capabilities": ["read", "list"]}, "a/b": {"policy": "deny"}}}"#,
    );
    assert_eq!(caps(&hcl), caps(&json));
}

#[test]
fn legacy_shorthand() {
    let p = parse(
        r#"
path "r" { policy = "read" }
path "w" { policy = "write" }
path "s" { policy = "sudo" }
path "d" { policy = "deny" }
path "rc" { policy = "read" capabilities = ["update", "sudo"] }
path "dc" { policy = "deny" capabilities = ["read", "update", "sudo"] }
"#,
    );
    let got: Vec<_> = caps(&p).into_iter().map(|(_, c)| c).collect();
    assert_eq!(got[0], ["list", "read"]);
    assert_eq!(got[1], ["create", "delete", "list", "read", "update"]);
    assert_eq!(
        got[2],
        ["create", "delete", "list", "read", "sudo", "update"]
    );
    assert_eq!(got[3], ["deny"]);
    assert_eq!(got[4], ["list", "read", "sudo", "update"]);
    assert_eq!(got[5], ["deny"]);
}

#[test]
fn errors_are_typed_and_short() {
    assert!(matches!(
        err(r#"path "/" { capabilities = ["read", "banana"] }"#),
        PolicyError::InvalidCapability { capability, .. } if capability == "banana"
    ));
    assert!(matches!(
        err("path \"/\" {\n capabilities = [\"read\"]\n capabilites = [\"read\"]\n}"),
        PolicyError::UnknownKey { key, .. } if key == "capabilites"
    ));
    assert!(
        matches!(err("name = \"test\"\nbad = \"foo\""), PolicyError::UnknownTopLevelKey { key } if key == "bad")
    );
    assert!(matches!(
        err(r#"path "/" { policy = "banana" }"#),
        PolicyError::InvalidLegacyPolicy { .. }
    ));
    assert!(matches!(
        err(r#"path "foo/+*" { capabilities = ["read"] }"#),
        PolicyError::InvalidGlob {
            reason: "'+*' is forbidden",
            ..
        }
    ));
    assert!(matches!(
        err(r#"path "foo/*/bar" { capabilities = ["read"] }"#),
        PolicyError::InvalidGlob { .. }
    ));
    assert!(matches!(
        err(r#"path "a" { min_wrapping_ttl = "1y" }"#),
        PolicyError::InvalidDuration {
            key: "min_wrapping_ttl",
            ..
        }
    ));
    assert!(matches!(
        err(r#"path "/" { policy = "read", min_wrapping_ttl = 400, max_wrapping_ttl = 200 }"#),
        PolicyError::WrappingTtlOrder { .. }
    ));
    assert!(matches!(
        err("name{}"),
        PolicyError::UnknownTopLevelKey { .. }
    ));
    assert!(matches!(
        err(r#"path "secret/{{identity.entity.ids}}/*" { capabilities = ["read"] }"#),
        PolicyError::UnknownTemplate { .. }
    ));
    assert!(matches!(
        err(r#"path "secret/{{identity.entity.id/*" { capabilities = ["read"] }"#),
        PolicyError::UnbalancedTemplate { .. }
    ));
    assert!(matches!(
        err(r#"path "a" { pagination_limit = 5 }"#),
        PolicyError::Unsupported { .. }
    ));
    assert!(matches!(err("path \"a\" {"), PolicyError::Syntax { .. }));
    assert!(matches!(err("{\"path\": "), PolicyError::Syntax { .. }));
    // A long offending token is cut, never echoed whole.
    let long = "x".repeat(10_000);
    let e = err(&format!("path \"a\" {{ capabilities = [\"{long}\"] }}"));
    assert!(e.to_string().len() < 200, "{e}");
    let e = err(&format!("path \"{{{{{long}}}}}\" {{ }}"));
    assert!(e.to_string().len() < 200, "{e}");
    let e = err(&format!("path \"{long}*/\" {{ }}"));
    assert!(e.to_string().len() < 200, "{e}");
}

#[test]
fn names_are_normalised_root_is_refused() {
    assert_eq!(
        Policy::parse("  My Policy ", "").unwrap().name(),
        "my policy"
    );
    assert_eq!(Policy::parse("ReadOnly", "").unwrap().name(), "readonly");
    for name in ["root", " root", "ROOT", "\tRoot\n"] {
        assert_eq!(
            Policy::parse(name, "").unwrap_err(),
            PolicyError::ReservedName
        );
    }
    assert_eq!(Policy::parse(" ", "").unwrap_err(), PolicyError::EmptyName);
    assert_eq!(tresor_policy::normalize_name(" A b "), "a b");
}

#[test]
fn leading_slash_is_dropped_once() {
    let p = parse(r#"path "/foo/bar" { policy = "read" } path "//x" { policy = "read" }"#);
    let acl = Acl::new(&[p]);
    assert!(
        acl.allowed(&AclRequest::new("foo/bar", Operation::Read))
            .allowed
    );
    assert!(
        acl.allowed(&AclRequest::new("///foo/bar", Operation::Read))
            .allowed
    );
    // `//x` keeps one slash, which a request path (leading slashes removed) never has.
    assert!(!acl.allowed(&AclRequest::new("/x", Operation::Read)).allowed);
}

#[test]
fn hostile_inputs_fail_fast_or_work() {
    // Deep nesting is refused before any recursive parser sees it.
    let deep = "[".repeat(100_000);
    assert!(matches!(
        err(&format!("a = {deep}")),
        PolicyError::Syntax { .. }
    ));
    assert!(matches!(
        err(&format!("{{\"path\": {deep}")),
        PolicyError::Syntax { .. }
    ));
    let deep_objects = "{ a = ".repeat(100_000);
    assert!(matches!(
        err(&format!("a = {deep_objects}")),
        PolicyError::Syntax { .. }
    ));
    // Very long patterns compile and match without recursion.
    let long = vec!["a"; 100_000].join("/");
    let plus = vec!["+"; 100_000].join("/");
    let text = format!(
        "path \"{long}\" {{ policy = \"read\" }}\npath \"{long}/*\" {{ policy = \"write\" }}\npath \"{plus}\" {{ policy = \"sudo\" }}\npath \"{plus}/*\" {{ policy = \"deny\" }}"
    );
    let acl = Acl::new(&[parse(&text)]);
    let d = acl.allowed(&AclRequest::new(&long, Operation::Update));
    assert!(!d.allowed && !d.sudo);
    let d = acl.allowed(&AclRequest::new(&format!("{long}/x"), Operation::Update));
    assert!(d.allowed);
    let other = vec!["b"; 100_000].join("/");
    assert!(
        acl.allowed(&AclRequest::new(&other, Operation::Update))
            .sudo
    );
    assert!(
        !acl.allowed(&AclRequest::new(&format!("{other}/b"), Operation::Read))
            .allowed
    );
}

#[test]
fn windows_line_endings_and_bom() {
    let p = parse("\u{feff}# c\r\npath \"a\" {\r\n  capabilities = [\"read\"]\r\n}\r\npath \"b\" { policy = \"write\" }\r\n");
    assert_eq!(p.rules().len(), 2);
}
