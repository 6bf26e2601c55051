//! `config/<name>`, `reset/<name>` and `rotate-root/<name>` against PostgreSQL.

use super::harness::Harness;
use super::pg;
use serde_json::json;
use tresor_sdk::{ErrorKind, Operation, Value};

#[tokio::test]
async fn config_read_never_shows_the_password() {
    let h = Harness::new().await;
    let admin = pg::admin().await;
    let p = pg::prefix();
    let (user, password) = pg::make_superuser(&admin, &p).await;
    let resp = h
        .write(
            "config/main",
            json!({"plugin_name": "postgresql-database-plugin", "connection_url": pg::url(),
                   "username": user, "password": password, "allowed_roles": "a, b",
                   "max_open_connections": 3, "username_template": ""}),
        )
        .await;
    assert!(resp.warnings.is_empty(), "{:?}", resp.warnings);
    let data = h.read("config/main").await;
    let text = serde_json::to_string(&data).unwrap();
    assert!(!text.contains(&password), "{text}");
    assert_eq!(
        Value::Object(data.clone()),
        json!({
            "plugin_name": "postgresql-database-plugin",
            "plugin_version": "",
            "connection_details": {"connection_url": pg::url(), "username": user,
                                   "max_open_connections": 3, "username_template": ""},
            "allowed_roles": ["a", "b"],
            "root_credentials_rotate_statements": [],
            "password_policy": "",
        })
    );
    let list = h
        .call(Operation::List, "config/", Value::Null)
        .await
        .unwrap();
    assert_eq!(list.data.unwrap()["keys"], json!(["main"]));
    // An update keeps what it does not name.
    h.write("config/main", json!({"allowed_roles": ["*"]}))
        .await;
    let data = h.read("config/main").await;
    assert_eq!(data["allowed_roles"], json!(["*"]));
    assert_eq!(data["connection_details"]["username"], json!(user));
    h.write("reset/main", json!({})).await;
    h.call(Operation::Delete, "config/main", Value::Null)
        .await
        .unwrap();
    let gone = h.call(Operation::Read, "config/main", Value::Null).await;
    assert_eq!(gone.unwrap_err().kind(), ErrorKind::NotFound);
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn a_literal_password_in_the_url_is_masked_and_warned_about() {
    let h = Harness::new().await;
    let url = "postgresql://postgres:s3cret-in-url@127.0.0.1:5432/postgres?sslmode=disable";
    let resp = h
        .write(
            "config/lit",
            json!({"plugin_name": "postgresql-database-plugin", "connection_url": url}),
        )
        .await;
    assert!(resp.warnings[0].contains("Password found in connection_url"));
    let data = h.read("config/lit").await;
    let text = serde_json::to_string(&data).unwrap();
    assert!(!text.contains("s3cret-in-url"), "{text}");
    assert!(text.contains("postgres:xxxxx@127.0.0.1"), "{text}");
}

#[tokio::test]
async fn a_connection_that_fails_verification_is_refused_with_400() {
    let h = Harness::new().await;
    let body = json!({"plugin_name": "postgresql-database-plugin",
        "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:1/postgres?sslmode=disable",
        "username": "u", "password": "canary-password"});
    let err = h
        .call(Operation::Update, "config/bad", body.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let msg = err.messages().join(" ");
    assert!(
        msg.starts_with("error creating database object: error verifying connection"),
        "{msg}"
    );
    assert!(!msg.contains("canary-password"), "{msg}");
    assert!(
        h.keys("config/").await.is_empty(),
        "a refused config is not stored"
    );
    let mut unverified = body;
    unverified["verify_connection"] = json!(false);
    h.write("config/bad", unverified).await;
    for (field, value) in [("plugin_name", "nope-plugin"), ("plugin_name", "")] {
        let err = h
            .call(
                Operation::Update,
                "config/other",
                json!({field: value, "connection_url": "x"}),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest, "{value}");
    }
    let err = h
        .call(
            Operation::Update,
            "config/tmpl",
            json!({"plugin_name": "postgresql-database-plugin", "connection_url": pg::url(),
                   "verify_connection": false, "username_template": "{{ .Nope }}"}),
        )
        .await
        .unwrap_err();
    assert!(
        err.messages()[0].contains("username template"),
        "{:?}",
        err.messages()
    );
}

#[tokio::test]
async fn tls_is_verified_by_default() {
    let h = Harness::new().await;
    // The machine's server presents a self-signed certificate: no public root signs it.
    for mode in ["require", "verify-full", "prefer"] {
        let url = format!("postgresql://postgres@localhost:5432/postgres?sslmode={mode}");
        let err = h
            .call(
                Operation::Update,
                "config/tls",
                json!({"plugin_name": "postgresql-database-plugin", "connection_url": url}),
            )
            .await
            .unwrap_err();
        let msg = err.messages().join(" ");
        assert!(msg.contains("error verifying connection"), "{mode}: {msg}");
    }
    // Trusting that very certificate makes the same connection work.
    let cert = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    let url = format!(
        "postgresql://postgres@localhost:5432/postgres?sslmode=verify-full&sslrootcert={cert}"
    );
    h.write(
        "config/tls",
        json!({"plugin_name": "postgresql-database-plugin", "connection_url": url}),
    )
    .await;
    let pem = std::fs::read_to_string(cert).unwrap();
    h.write(
        "config/tls2",
        json!({"plugin_name": "postgresql-database-plugin", "tls_ca": pem,
               "connection_url": "host=localhost user=postgres dbname=postgres sslmode=require"}),
    )
    .await;
}

#[tokio::test]
async fn rotate_root_leaves_only_the_engine_knowing_the_password() {
    let h = Harness::new().await;
    let admin = pg::admin().await;
    let p = pg::prefix();
    let (user, old) = pg::make_superuser(&admin, &p).await;
    assert!(pg::password_matches(&admin, &user, &old).await);
    h.write(
        "config/main",
        json!({"plugin_name": "postgresql-database-plugin", "connection_url": pg::url(),
               "username": user, "password": old, "allowed_roles": "*"}),
    )
    .await;
    h.write("rotate-root/main", json!({})).await;
    assert!(
        !pg::password_matches(&admin, &user, &old).await,
        "the old password still works"
    );
    let stored = h.stored("config/main").await.unwrap();
    let new = stored["connection_details"]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    assert!(pg::password_matches(&admin, &user, &new).await);
    assert!(!serde_json::to_string(&h.read("config/main").await)
        .unwrap()
        .contains(&new));
    // The engine goes on working with its new password.
    h.write(
        "roles/r",
        json!({"db_name": "main", "creation_statements":
            "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'"}),
    )
    .await;
    let (name, _, lease) = h.creds("r").await;
    h.revoke(&lease).await.unwrap();
    assert!(!pg::role_exists(&admin, &name).await);
    assert!(h.keys("wal/").await.is_empty());
    pg::cleanup(&admin, &p).await;
}
