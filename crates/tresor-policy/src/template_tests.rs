use super::*;
use crate::{Acl, AclRequest, Operation, Policy};

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn ctx() -> TemplateContext {
    let alias = TemplateAlias {
        id: "alias-1".into(),
        name: "alice-ldap".into(),
        metadata: map(&[("team", "ops")]),
        custom_metadata: map(&[("site", "paris")]),
    };
    TemplateContext {
        entity: Some(TemplateEntity {
            id: "ent-1".into(),
            name: "alice".into(),
            metadata: map(&[("region", "eu"), ("a.b", "dotted"), ("empty", "")]),
            aliases: BTreeMap::from([("auth_ldap_1".to_owned(), alias)]),
        }),
        groups: vec![
            TemplateGroup {
                id: "grp-1".into(),
                name: "devs".into(),
                metadata: map(&[("tier", "gold")]),
            },
            TemplateGroup {
                id: "grp-2".into(),
                name: "admins".into(),
                metadata: BTreeMap::new(),
            },
        ],
    }
}

fn policy(pattern: &str) -> Policy {
    Policy::parse(
        "t",
        &format!("path {pattern:?} {{ capabilities = [\"read\"] }}"),
    )
    .unwrap()
}

/// The rendered patterns of a one-rule policy (empty when the rule was dropped).
fn rendered(pattern: &str, ctx: &TemplateContext) -> Vec<String> {
    let p = policy(pattern);
    assert!(p.is_templated(), "{pattern}");
    let r = p.render(ctx);
    assert!(!r.is_templated());
    r.rules().iter().map(|r| r.pattern().to_owned()).collect()
}

fn with_value(value: &str) -> TemplateContext {
    let mut c = ctx();
    if let Some(e) = c.entity.as_mut() {
        e.name = value.into();
        e.metadata.insert("v".into(), value.into());
    }
    c
}

fn read(acl: &Acl, path: &str) -> bool {
    acl.allowed(&AclRequest::new(path, Operation::Read)).allowed
}

#[test]
fn every_template_form_renders() {
    let cases = [
        ("s/{{identity.entity.id}}", "s/ent-1"),
        ("s/{{identity.entity.name}}", "s/alice"),
        ("s/{{identity.entity.metadata.region}}", "s/eu"),
        ("s/{{identity.entity.metadata.a.b}}", "s/dotted"),
        ("s/{{identity.entity.aliases.auth_ldap_1.id}}", "s/alias-1"),
        (
            "s/{{identity.entity.aliases.auth_ldap_1.name}}",
            "s/alice-ldap",
        ),
        (
            "s/{{identity.entity.aliases.auth_ldap_1.metadata.team}}",
            "s/ops",
        ),
        (
            "s/{{identity.entity.aliases.auth_ldap_1.custom_metadata.site}}",
            "s/paris",
        ),
        ("s/{{identity.groups.ids.grp-1.name}}", "s/devs"),
        ("s/{{identity.groups.ids.grp-2.id}}", "s/grp-2"),
        ("s/{{identity.groups.ids.grp-1.metadata.tier}}", "s/gold"),
        ("s/{{identity.groups.names.admins.id}}", "s/grp-2"),
        ("s/{{identity.groups.names.devs.name}}", "s/devs"),
        ("s/{{identity.groups.names.devs.metadata.tier}}", "s/gold"),
        // Whitespace inside the braces is trimmed, as in Vault.
        ("s/{{ identity.entity.name\t}}/*", "s/alice/*"),
        // Several templates, a leading `/`, segment wildcards around them.
        (
            "/s/{{identity.entity.name}}-{{identity.entity.id}}/+/x",
            "s/alice-ent-1/+/x",
        ),
    ];
    for (pattern, want) in cases {
        assert_eq!(rendered(pattern, &ctx()), [want], "{pattern}");
    }
}

#[test]
fn unresolved_templates_drop_the_rule() {
    let no_groups = TemplateContext {
        groups: Vec::new(),
        ..ctx()
    };
    let cases = [
        ("s/{{identity.entity.metadata.missing}}", ctx()),
        ("s/{{identity.entity.aliases.other_acc.id}}", ctx()),
        (
            "s/{{identity.entity.aliases.auth_ldap_1.metadata.nope}}",
            ctx(),
        ),
        ("s/{{identity.groups.ids.grp-9.name}}", ctx()),
        ("s/{{identity.groups.names.nobody.id}}", ctx()),
        ("s/{{identity.groups.names.admins.metadata.tier}}", ctx()),
        ("s/{{identity.groups.ids.grp-1.name}}", no_groups),
        ("s/{{identity.entity.id}}", TemplateContext::default()),
        (
            "s/{{identity.entity.metadata.region}}",
            TemplateContext::default(),
        ),
    ];
    for (pattern, c) in cases {
        assert_eq!(rendered(pattern, &c), Vec::<String>::new(), "{pattern}");
    }
}

#[test]
fn values_that_could_widen_the_path_drop_the_rule() {
    for value in [
        "*",
        "a*",
        "+",
        "a+b",
        "a/b",
        "../../sys",
        "..",
        ".",
        "",
        "{{x}}",
        "}",
    ] {
        for pattern in [
            "s/{{identity.entity.name}}",
            "s/{{identity.entity.metadata.v}}/*",
            "{{identity.entity.name}}",
        ] {
            assert_eq!(
                rendered(pattern, &with_value(value)),
                Vec::<String>::new(),
                "{pattern} with {value:?}"
            );
        }
    }
    // An empty metadata value is dropped too (Vault would substitute it).
    assert!(rendered("s/{{identity.entity.metadata.empty}}x", &ctx()).is_empty());
    // Ordinary punctuation is kept.
    assert_eq!(
        rendered("s/{{identity.entity.name}}", &with_value("a.b-c_d@e")),
        ["s/a.b-c_d@e"]
    );
}

#[test]
fn a_dropped_rule_leaves_the_others() {
    let p = Policy::parse(
        "t",
        r#"
        path "s/{{identity.entity.metadata.missing}}/*" { capabilities = ["read"] }
        path "s/{{identity.entity.name}}/*" { capabilities = ["update"] }
        path "public/*" { capabilities = ["list"] }
        "#,
    )
    .unwrap();
    let r = p.render(&ctx());
    assert_eq!(r.name(), "t");
    let patterns: Vec<_> = r.rules().iter().map(|r| r.pattern()).collect();
    assert_eq!(patterns, ["s/alice/*", "public/*"]);
    assert_eq!(r.rules()[0].capabilities(), p.rules()[1].capabilities());
}

#[test]
fn non_templated_policy_renders_unchanged() {
    let p = policy("secret/{a}/b");
    assert!(!p.is_templated());
    assert!(!p.rules()[0].is_templated());
    assert_eq!(p.render(&ctx()), p);
    assert_eq!(p.render(&TemplateContext::default()), p);
}

#[test]
fn malformed_templates_are_parse_errors() {
    let unbalanced = [
        "s/{{identity.entity.id",
        "s/identity.entity.id}}",
        "s/}}{{identity.entity.id}}",
        "s/{{identity.entity.id}}}}",
        "s/{{identity.{{entity.id}}",
        "s/{{",
    ];
    for pattern in unbalanced {
        let err = Policy::parse("t", &format!("path {pattern:?} {{ policy = \"read\" }}"));
        assert!(
            matches!(err, Err(PolicyError::UnbalancedTemplate { .. })),
            "{pattern}: {err:?}"
        );
    }
    let unknown = [
        "{{}}",
        "{{identity.entity}}",
        "{{identity.entity.ID}}",
        "{{identity.entity.metadata}}",
        "{{identity.entity.groups.names}}",
        "{{identity.entity.groups.ids}}",
        "{{identity.entity.aliases.acc}}",
        "{{identity.entity.aliases.acc.metadata}}",
        "{{identity.entity.aliases.acc.custom_metadata}}",
        "{{identity.entity.aliases.acc.bogus}}",
        "{{identity.groups.ids.g}}",
        "{{identity.groups.ids.g.metadata}}",
        "{{identity.groups.names.g.bogus}}",
        "{{identity.groups.other.g.id}}",
        "{{time.now}}",
        "{{ identity . entity . id }}",
        "{{{identity.entity.id}}}",
    ];
    for pattern in unknown {
        let err = Policy::parse(
            "t",
            &format!("path \"s/{pattern}\" {{ policy = \"read\" }}"),
        );
        assert!(
            matches!(err, Err(PolicyError::UnknownTemplate { .. })),
            "{pattern}: {err:?}"
        );
    }
    let err = Policy::parse(
        "t",
        r#"path "s/{{identity.entity.nmae}}" { policy = "read" }"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to parse policy: path \"s/{{identity.entity.nmae}}\": unknown identity template \"identity.entity.nmae\""
    );
    // The literal parts still obey the wildcard rules.
    for pattern in ["s/*{{identity.entity.id}}", "s/{{identity.entity.id}}+*"] {
        let err = Policy::parse("t", &format!("path {pattern:?} {{ policy = \"read\" }}"));
        assert!(
            matches!(err, Err(PolicyError::InvalidGlob { .. })),
            "{pattern}"
        );
    }
}

#[test]
fn json_policies_carry_templates() {
    let p = Policy::parse(
        "j",
        r#"{"path": {
            "kv/data/{{identity.entity.aliases.auth_ldap_1.name}}/*": {"capabilities": ["read", "update"]},
            "kv/metadata/*": {"capabilities": ["list"]}
        }}"#,
    )
    .unwrap();
    assert!(p.is_templated());
    let acl = Acl::new(&[p.render(&ctx())]);
    assert!(read(&acl, "kv/data/alice-ldap/app"));
    assert!(!read(&acl, "kv/data/bob/app"));
    let err = Policy::parse(
        "j",
        r#"{"path": {"{{identity.nope}}": {"policy": "read"}}}"#,
    );
    assert!(matches!(err, Err(PolicyError::UnknownTemplate { .. })));
}

#[test]
fn rendered_acl_decides_per_identity() {
    let p = Policy::parse(
        "per-user",
        r#"
        path "secret/{{identity.entity.name}}/*" { capabilities = ["read"] }
        path "team/{{identity.groups.names.devs.metadata.tier}}/+" { capabilities = ["read"] }
        path "secret/{{identity.entity.name}}/locked" { capabilities = ["deny"] }
        "#,
    )
    .unwrap();
    let acl = Acl::new(&[p.render(&ctx())]);
    assert!(read(&acl, "secret/alice/db"));
    assert!(read(&acl, "/secret/alice/a/b"));
    assert!(!read(&acl, "secret/alice/locked"));
    assert!(!read(&acl, "secret/bob/db"));
    assert!(!read(&acl, "secret/alice"));
    assert!(read(&acl, "team/gold/x"));
    assert!(!read(&acl, "team/gold/x/y"));
    // Another identity gets another ACL from the same policy.
    let bob = with_value("bob");
    let acl = Acl::new(&[p.render(&bob)]);
    assert!(read(&acl, "secret/bob/db"));
    assert!(!read(&acl, "secret/alice/db"));
    // A wildcard value grants nothing at all, not everything.
    let acl = Acl::new(&[p.render(&with_value("*"))]);
    assert!(!read(&acl, "secret/alice/db"));
    assert!(!read(&acl, "secret/*/db"));
}

#[test]
fn unrendered_templates_grant_nothing() {
    let p = Policy::parse(
        "raw",
        r#"
        path "secret/{{identity.entity.name}}/*" { capabilities = ["read", "sudo"] }
        path "{{identity.entity.id}}" { capabilities = ["read"] }
        path "open/*" { capabilities = ["read"] }
        "#,
    )
    .unwrap();
    assert!(p.is_templated());
    assert_eq!(p.rules()[0].pattern(), "secret/{{identity.entity.name}}/*");
    let acl = Acl::new(&[p]);
    // The literal template text is no pattern: neither it nor what it might stand for matches.
    for path in [
        "secret/{{identity.entity.name}}/x",
        "secret/{{identity.entity.name}}/",
        "{{identity.entity.id}}",
        "secret/alice/x",
    ] {
        assert!(!read(&acl, path), "{path}");
        assert_eq!(acl.capabilities(path), ["deny"], "{path}");
    }
    assert!(read(&acl, "open/x"));
}
