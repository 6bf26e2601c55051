//! Static roles (`static-roles/<name>`, `static-creds/<name>`, `rotate-role/<name>`,
//! scheduled rotation) against PostgreSQL.

use super::harness::Harness;
use super::pg;
use crate::plugins::postgres::sql::{quote_ident, quote_literal};
use serde_json::json;
use tresor_sdk::{Clock, ErrorKind, Operation, Value};

/// Connection `main` plus an existing login `<prefix>svc` with a known password.
async fn setup() -> (Harness, tokio_postgres::Client, String, String) {
    let h = Harness::new().await;
    let admin = pg::admin().await;
    let p = pg::prefix();
    let (user, password) = pg::make_superuser(&admin, &p).await;
    h.write(
        "config/main",
        json!({"plugin_name": "postgresql-database-plugin", "connection_url": pg::url(),
               "username": user, "password": password, "allowed_roles": "*"}),
    )
    .await;
    let svc = format!("{p}svc");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {} LOGIN PASSWORD {}",
            quote_ident(&svc),
            quote_literal("initial-pw")
        ))
        .await
        .unwrap();
    (h, admin, p, svc)
}

async fn current(h: &Harness, role: &str) -> (String, tresor_sdk::Data) {
    let data = h.read(&format!("static-creds/{role}")).await;
    (data["password"].as_str().unwrap().to_owned(), data)
}

#[tokio::test]
async fn creating_rotates_at_once_and_the_period_rotates_again() {
    let (h, admin, p, svc) = setup().await;
    h.write(
        "static-roles/svc",
        json!({"db_name": "main", "username": svc, "rotation_period": "1h"}),
    )
    .await;
    assert!(!pg::password_matches(&admin, &svc, "initial-pw").await);
    let (first, data) = current(&h, "svc").await;
    assert!(pg::password_matches(&admin, &svc, &first).await);
    assert_eq!(data["username"], json!(svc));
    assert_eq!(data["rotation_period"], json!(3600));
    assert_eq!(data["ttl"], json!(3600));
    let last = data["last_vault_rotation"].as_str().unwrap();
    assert!(tresor_sdk::parse_rfc3339(last).is_some(), "{last}");
    let read = h.read("static-roles/svc").await;
    assert_eq!(
        Value::Object(read),
        json!({"db_name": "main", "username": svc, "rotation_period": 3600,
               "rotation_statements": [], "credential_type": "password",
               "last_vault_rotation": last})
    );

    h.advance(1800);
    h.backend.periodic().await.unwrap();
    assert_eq!(current(&h, "svc").await.0, first, "rotated before its time");
    assert_eq!(current(&h, "svc").await.1["ttl"], json!(1800));
    h.advance(1801);
    h.backend.periodic().await.unwrap();
    let (second, _) = current(&h, "svc").await;
    assert_ne!(second, first);
    assert!(pg::password_matches(&admin, &svc, &second).await);
    assert!(!pg::password_matches(&admin, &svc, &first).await);

    h.write("rotate-role/svc", json!({})).await;
    let (third, _) = current(&h, "svc").await;
    assert_ne!(third, second);
    assert!(pg::password_matches(&admin, &svc, &third).await);
    assert!(pg::connect(&svc, &third).await.is_ok());
    assert!(h.keys("wal/").await.is_empty());

    let list = h
        .call(Operation::List, "static-roles", Value::Null)
        .await
        .unwrap();
    assert_eq!(list.data.unwrap()["keys"], json!(["svc"]));
    h.call(Operation::Delete, "static-roles/svc", Value::Null)
        .await
        .unwrap();
    assert!(
        pg::role_exists(&admin, &svc).await,
        "deleting the role keeps the user"
    );
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn a_schedule_drives_rotation() {
    let (h, admin, p, svc) = setup().await;
    h.write(
        "static-roles/cron",
        json!({"db_name": "main", "username": svc, "rotation_schedule": "*/5 * * * *",
               "rotation_statements": ["ALTER ROLE \"{{name}}\" WITH PASSWORD '{{password}}'"]}),
    )
    .await;
    let (first, data) = current(&h, "cron").await;
    assert_eq!(data["rotation_schedule"], json!("*/5 * * * *"));
    let ttl = data["ttl"].as_u64().unwrap();
    assert!(ttl <= 300, "{ttl}");
    h.advance(ttl + 1);
    h.backend.periodic().await.unwrap();
    let (second, _) = current(&h, "cron").await;
    assert_ne!(first, second);
    assert!(pg::password_matches(&admin, &svc, &second).await);
    let _ = h.clock.unix();
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn bad_static_roles_are_refused() {
    let (h, admin, p, svc) = setup().await;
    let cases = [
        (
            json!({"db_name": "main", "username": svc, "rotation_period": 2}),
            "rotation_period must be 5 seconds or more",
        ),
        (
            json!({"db_name": "main", "username": svc}),
            "one of rotation_schedule or rotation_period must be provided",
        ),
        (
            json!({"db_name": "main", "rotation_period": 60}),
            "username is a required field",
        ),
        (
            json!({"username": svc, "rotation_period": 60}),
            "database name is a required field",
        ),
        (
            json!({"db_name": "main", "username": svc, "rotation_period": 60, "rotation_schedule": "* * * * *"}),
            "mutually exclusive",
        ),
        (
            json!({"db_name": "main", "username": svc, "rotation_schedule": "61 * * * *"}),
            "could not parse rotation_schedule",
        ),
        (
            json!({"db_name": "main", "username": format!("{p}nobody"), "rotation_period": 60}),
            "does not exist",
        ),
    ];
    for (body, want) in cases {
        let err = h
            .call(Operation::Update, "static-roles/s", body)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        let msg = err.messages().join(" ");
        assert!(msg.contains(want), "{msg} / {want}");
        assert!(h.keys("static-role/").await.is_empty());
    }
    h.write(
        "static-roles/s",
        json!({"db_name": "main", "username": svc, "rotation_period": 60}),
    )
    .await;
    let err = h
        .call(
            Operation::Update,
            "static-roles/s",
            json!({"username": "other"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.messages(),
        vec!["cannot update static account username"]
    );
    h.write("static-roles/s", json!({"rotation_period": 120}))
        .await;
    assert_eq!(
        h.read("static-roles/s").await["rotation_period"],
        json!(120)
    );
    let err = h
        .call(Operation::Update, "roles/s", json!({"db_name": "main"}))
        .await
        .unwrap_err();
    assert_eq!(
        err.messages(),
        vec!["Role and Static Role names must be unique"]
    );
    let err = h
        .call(Operation::Update, "rotate-role/none", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.messages(), vec!["no static role found for role name"]);
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn a_static_role_the_connection_does_not_allow_cannot_take_over_an_account() {
    let (h, admin, p, svc) = setup().await;
    h.write("config/main", json!({"allowed_roles": ["other"]}))
        .await;

    let err = h
        .call(
            Operation::Update,
            "static-roles/sneaky",
            json!({"db_name": "main", "username": svc, "rotation_period": 3600}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.messages(), vec!["\"sneaky\" is not an allowed role"]);
    assert!(
        pg::password_matches(&admin, &svc, "initial-pw").await,
        "the account's password is untouched"
    );
    assert!(h.keys("static-role/").await.is_empty());
    pg::cleanup(&admin, &p).await;
}
