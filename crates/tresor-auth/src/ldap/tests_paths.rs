//! `config`, `users/` and `groups/` without a directory.

use crate::testkit::{messages, Harness};
use serde_json::{json, Value};
use tresor_sdk::{ErrorKind, Operation::*};

async fn ldap() -> Harness {
    Harness::new(super::factory, "ldap").await
}

#[tokio::test]
async fn config_defaults_are_vaults() {
    let h = ldap().await;
    let d = h.data(Read, "config", Value::Null).await;
    for (k, v) in [
        ("url", json!("ldap://127.0.0.1")),
        ("userattr", json!("cn")),
        ("groupattr", json!("cn")),
        (
            "groupfilter",
            json!("(|(memberUid={{.Username}})(member={{.UserDN}})(uniqueMember={{.UserDN}}))"),
        ),
        ("userfilter", json!("({{.UserAttr}}={{.Username}})")),
        ("deny_null_bind", json!(true)),
        ("case_sensitive_names", json!(false)),
        ("tls_min_version", json!("tls12")),
        ("tls_max_version", json!("tls12")),
        ("request_timeout", json!(90)),
        ("connection_timeout", json!(30)),
        ("dereference_aliases", json!("never")),
        ("max_page_size", json!(0)),
        ("token_policies", json!([])),
    ] {
        assert_eq!(d[k], v, "{k}");
    }
    assert_eq!(d.len(), 35, "{:?}", d.keys().collect::<Vec<_>>());
}

#[tokio::test]
async fn config_writes_merge_and_hide_secrets() {
    let h = ldap().await;
    let body = json!({"url": "LDAPS://LDAP.Example.org", "binddn": "cn=svc,dc=x",
        "bindpass": "canary-bindpass", "userattr": "UID", "starttls": "true",
        "request_timeout": "1m", "token_policies": "a,b", "junk": 1});
    let resp = h.call(Update, "config", body).await.unwrap();
    assert_eq!(
        resp.warnings,
        ["Endpoint ignored these unrecognized parameters: [junk]"]
    );
    h.call(Update, "config", json!({"userdn": "ou=people,dc=x"}))
        .await
        .unwrap();
    let d = h.data(Read, "config", Value::Null).await;
    assert_eq!(d["url"], "ldaps://ldap.example.org");
    assert_eq!(
        (d["userattr"].clone(), d["starttls"].clone()),
        (json!("uid"), json!(true))
    );
    assert_eq!(
        (d["binddn"].clone(), d["userdn"].clone()),
        (json!("cn=svc,dc=x"), json!("ou=people,dc=x"))
    );
    assert_eq!(
        (d["request_timeout"].clone(), d["token_policies"].clone()),
        (json!(60), json!(["a", "b"]))
    );
    assert!(!d.contains_key("bindpass") && !d.contains_key("client_tls_key"));
    let shown = format!("{d:?}{:?}", h.backend);
    assert!(!shown.contains("canary-bindpass"));
    assert!(
        h.dump_storage().await.contains("canary-bindpass"),
        "kept for binds"
    );
    let r = h
        .call(
            Update,
            "config",
            json!({"userfilter": "(cn={{.Username}})"}),
        )
        .await
        .unwrap();
    assert_eq!(r.warnings, ["userfilter configured does not consider userattr and may result in colliding entity aliases on logins"]);
    assert_eq!(
        h.call(Read, "config", Value::Null)
            .await
            .unwrap()
            .warnings
            .len(),
        1
    );
}

#[tokio::test]
async fn config_input_is_checked() {
    let h = ldap().await;
    for (body, msg) in [
        (json!({"url": "http://x"}), "invalid LDAP scheme"),
        (
            json!({"groupfilter": "(member={{.Nope}})"}),
            "invalid groupfilter",
        ),
        (
            json!({"groupfilter": "(member={{.UserDN}}"}),
            "invalid groupfilter",
        ),
        (
            json!({"userfilter": "({{if .Username}})"}),
            "invalid userfilter",
        ),
        (
            json!({"certificate": "nope"}),
            "failed to parse server tls cert",
        ),
        (
            json!({"tls_min_version": "tls14"}),
            "invalid 'tls_min_version'",
        ),
        (
            json!({"tls_min_version": "tls13", "tls_max_version": "tls12"}),
            "must be greater",
        ),
        (
            json!({"tls_max_version": "tls11", "tls_min_version": "tls10"}),
            "not supported",
        ),
        (
            json!({"client_tls_cert": "x"}),
            "both client_tls_cert and client_tls_key",
        ),
        (
            json!({"dereference_aliases": "sometimes"}),
            "dereference_aliases",
        ),
        (json!({"token_type": "bogus"}), "token_type"),
        (json!({"starttls": "maybe"}), "starttls"),
    ] {
        let e = h.call(Update, "config", body.clone()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{body}");
        assert!(e.to_string().contains(msg), "{body}: {e}");
    }
    assert_eq!(h.dump_storage().await, "", "nothing was stored");
}

#[tokio::test]
async fn users_and_groups() {
    let h = ldap().await;
    for list in ["users", "groups"] {
        let e = h.call(List, list, Value::Null).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }
    let body = json!({"policies": "B, a,a", "groups": "Dev, ops ,dev,"});
    h.call(Update, "users/Alice", body).await.unwrap();
    let d = h.data(Read, "users/alice", Value::Null).await;
    assert_eq!(d["policies"], json!(["a", "b"]));
    assert_eq!(d["groups"], json!("dev,ops"));
    h.call(Update, "users/alice", json!({"policies": "c"}))
        .await
        .unwrap();
    assert_eq!(
        h.data(Read, "users/ALICE", Value::Null).await["groups"],
        json!("")
    );
    h.call(Update, "groups/Admins", json!({"policies": ["Root", "x"]}))
        .await
        .unwrap();
    assert_eq!(
        h.data(Read, "groups/admins", Value::Null).await["policies"],
        json!(["root"])
    );
    h.call(Update, "groups/dev", json!({})).await.unwrap();
    assert_eq!(
        h.data(List, "groups/", Value::Null).await["keys"],
        json!(["admins", "dev"])
    );
    assert_eq!(
        h.data(List, "users", Value::Null).await["keys"],
        json!(["alice"])
    );
    h.call(Delete, "users/ALICE", Value::Null).await.unwrap();
    h.call(Delete, "groups/admins", Value::Null).await.unwrap();
    let e = h.call(Read, "users/alice", Value::Null).await.unwrap_err();
    assert_eq!((e.kind(), messages(&e).len()), (ErrorKind::NotFound, 0));
    assert!(h.call(Read, "groups/admins", Value::Null).await.is_err());
    assert_eq!(
        h.call(List, "users/alice", Value::Null)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::UnsupportedOperation
    );
}

#[tokio::test]
async fn case_sensitive_names_keep_their_case() {
    let h = ldap().await;
    h.call(Update, "config", json!({"case_sensitive_names": true}))
        .await
        .unwrap();
    h.call(Update, "users/Alice", json!({"groups": "Dev"}))
        .await
        .unwrap();
    h.call(Update, "groups/Dev", json!({"policies": "d"}))
        .await
        .unwrap();
    assert_eq!(
        h.data(Read, "users/Alice", Value::Null).await["groups"],
        json!("Dev")
    );
    assert!(h.call(Read, "users/alice", Value::Null).await.is_err());
    assert_eq!(
        h.data(List, "groups", Value::Null).await["keys"],
        json!(["Dev"])
    );
}
