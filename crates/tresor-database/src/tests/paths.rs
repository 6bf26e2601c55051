//! Paths and shapes that need no database: roles, listing, validation, leaks.

use super::harness::Harness;
use serde_json::json;
use tresor_sdk::{ErrorKind, Operation, Value};

#[tokio::test]
async fn role_shapes_match_vault() {
    let h = Harness::new().await;
    let stmt = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}'; GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";";
    let resp = h
        .write(
            "roles/r1",
            json!({"db_name": "pg", "creation_statements": stmt, "default_ttl": "1h",
                   "max_ttl": 86400, "revocation_statements": ["", "DROP ROLE \"{{name}}\";"],
                   "junk": 1}),
        )
        .await;
    assert_eq!(
        resp.warnings,
        vec!["Endpoint ignored these unrecognized parameters: [junk]"]
    );
    assert_eq!(
        Value::Object(h.read("roles/r1").await),
        json!({"db_name": "pg", "creation_statements": [stmt], "credential_type": "password",
               "default_ttl": 3600, "max_ttl": 86400, "renew_statements": [],
               "revocation_statements": ["DROP ROLE \"{{name}}\";"], "rollback_statements": []})
    );
    // An update keeps what it does not name.
    h.write("roles/r1", json!({"max_ttl": "2h"})).await;
    let data = h.read("roles/r1").await;
    assert_eq!(data["max_ttl"], json!(7200));
    assert_eq!(data["creation_statements"], json!([stmt]));
    h.write("roles/r2/", json!({"db_name": "pg"})).await;
    let list = h
        .call(Operation::List, "roles/", Value::Null)
        .await
        .unwrap();
    assert_eq!(list.data.unwrap()["keys"], json!(["r1", "r2"]));
    h.call(Operation::Delete, "roles/r2", Value::Null)
        .await
        .unwrap();
    let err = h
        .call(Operation::Read, "roles/r2", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = h
        .call(Operation::List, "static-roles", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn bad_roles_and_names_are_refused() {
    let h = Harness::new().await;
    let cases = [
        (
            json!({"creation_statements": "x"}),
            "database name is required",
        ),
        (
            json!({"db_name": "pg", "credential_type": "rsa_private_key"}),
            "unsupported credential_type",
        ),
        (
            json!({"db_name": "pg", "credential_config": {"x": 1}}),
            "credential_config validation failed",
        ),
        (
            json!({"db_name": "pg", "creation_statements": {"a": 1}}),
            "expected a list of strings",
        ),
    ];
    for (body, want) in cases {
        let err = h
            .call(Operation::Update, "roles/bad", body)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert!(err.messages()[0].contains(want), "{:?}", err.messages());
    }
    for path in ["roles/a b", "roles/-x", "creds/a\"b", "config/x;y"] {
        let err = h
            .call(Operation::Read, path, Value::Null)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{path}");
    }
    let err = h
        .call(Operation::Read, "nope", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn the_connection_password_never_shows_in_debug_output() {
    let h = Harness::new().await;
    h.write(
        "config/x",
        json!({"plugin_name": "postgresql-database-plugin", "verify_connection": false,
               "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:1/db",
               "username": "u", "password": "canary-secret"}),
    )
    .await;
    let shown = format!("{:?}", h.backend);
    assert!(!shown.contains("canary-secret"), "{shown}");
    let config = crate::plugin::ConnectionConfig {
        password: "canary-secret".into(),
        connection_url: "postgresql://u:canary-secret@h/db".into(),
        ..Default::default()
    };
    assert!(!format!("{config:?}").contains("canary"));
    // Credentials from a connection that is down: the error names no secret.
    h.write(
        "roles/r",
        json!({"db_name": "x", "creation_statements": "SELECT 1"}),
    )
    .await;
    h.write(
        "config/x",
        json!({"allowed_roles": "*", "verify_connection": false}),
    )
    .await;
    let err = h
        .call(Operation::Read, "creds/r", Value::Null)
        .await
        .unwrap_err();
    let msg = err.messages().join(" ");
    assert!(
        !msg.contains("canary-secret") && !msg.contains("A1a-"),
        "{msg}"
    );
}
