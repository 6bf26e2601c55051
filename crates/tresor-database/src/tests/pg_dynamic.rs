//! Dynamic credentials (`roles/<name>`, `creds/<name>`, renew, revoke, WAL rollback)
//! against PostgreSQL.

use super::harness::Harness;
use super::pg;
use serde_json::json;
use std::time::Duration;
use tresor_sdk::{Clock, ErrorKind, Operation, Value};

const CREATE: &str =
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';";

/// A harness with connection `main` as a fresh superuser, and the test's prefix.
async fn setup(allowed: Value) -> (Harness, tokio_postgres::Client, String) {
    let h = Harness::new().await;
    let admin = pg::admin().await;
    let p = pg::prefix();
    let (user, password) = pg::make_superuser(&admin, &p).await;
    h.write(
        "config/main",
        json!({"plugin_name": "postgresql-database-plugin", "connection_url": pg::url(),
               "username": user, "password": password, "allowed_roles": allowed,
               "username_template": format!("{p}{{{{.RoleName}}}}_{{{{random 10}}}}")}),
    )
    .await;
    (h, admin, p)
}

#[tokio::test]
async fn creds_log_in_renew_extends_and_revoke_drops_the_role() {
    let (h, admin, p) = setup(json!("*")).await;
    h.write(
        "roles/app",
        json!({"db_name": "main", "creation_statements": CREATE,
               "default_ttl": "1h", "max_ttl": "3h"}),
    )
    .await;
    let (user, password, lease) = h.creds("app").await;
    assert!(user.starts_with(&format!("{p}app_")), "{user}");
    assert_eq!(lease.secret.ttl, Duration::from_secs(3600));
    assert_eq!(lease.secret.max_ttl, Duration::from_secs(3 * 3600));
    assert!(lease.secret.renewable);
    assert_eq!(lease.internal["username"], json!(user));
    assert_eq!(lease.internal["role"], json!("app"));
    assert_eq!(lease.internal["db_name"], json!("main"));
    let client = pg::connect(&user, &password)
        .await
        .expect("the new login works");
    let who: String = client
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(who, user);
    assert!(pg::password_matches(&admin, &user, &password).await);
    assert!(!pg::password_matches(&admin, &user, "wrong").await);
    let now = h.clock.unix();
    let until = pg::valid_until(&admin, &user).await.unwrap();
    assert!((until - (now + 3605)).abs() <= 2, "{until} vs {now}");

    h.advance(1800);
    let renewed = h.renew(&lease, Duration::from_secs(7200)).await.unwrap();
    assert_eq!(renewed.ttl, Duration::from_secs(7200));
    let until = pg::valid_until(&admin, &user).await.unwrap();
    assert!((until - (h.clock.unix() + 7205)).abs() <= 2);
    // Past the role's max_ttl the renewal is cut to the lease's end.
    h.advance(1800);
    let renewed = h
        .renew(&lease, Duration::from_secs(10 * 3600))
        .await
        .unwrap();
    assert_eq!(renewed.ttl, Duration::from_secs(2 * 3600));
    let until = pg::valid_until(&admin, &user).await.unwrap();
    assert!((until - (lease.issue_time + 3 * 3600 + 5)).abs() <= 2);

    drop(client);
    h.revoke(&lease).await.unwrap();
    assert!(
        !pg::role_exists(&admin, &user).await,
        "revoke left the role"
    );
    h.revoke(&lease).await.expect("revoking twice is fine");
    assert!(h.keys("wal/").await.is_empty());
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn default_username_template_is_vaults() {
    let (h, admin, p) = setup(json!("*")).await;
    h.write("config/main", json!({"username_template": ""}))
        .await;
    h.write(
        "roles/readonly-role",
        json!({"db_name": "main", "creation_statements": CREATE}),
    )
    .await;
    let (user, _, lease) = h.creds("readonly-role").await;
    let parts: Vec<&str> = user.split('-').collect();
    assert_eq!(&parts[..3], &["v", "token", "readonly"], "{user}");
    assert_eq!(parts[3].len(), 20, "{user}");
    assert_eq!(parts[4], h.clock.unix().to_string());
    assert!(user.len() <= 63);
    assert!(pg::role_exists(&admin, &user).await);
    h.revoke(&lease).await.unwrap();
    assert!(!pg::role_exists(&admin, &user).await);
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn allowed_roles_are_enforced() {
    let (h, admin, p) = setup(json!(["web-*", "exact"])).await;
    for role in ["web-1", "exact", "other"] {
        h.write(
            &format!("roles/{role}"),
            json!({"db_name": "main", "creation_statements": CREATE}),
        )
        .await;
    }
    let err = h
        .call(Operation::Read, "creds/other", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.messages(), vec!["\"other\" is not an allowed role"]);
    let (_, _, a) = h.creds("web-1").await;
    let (_, _, b) = h.creds("exact").await;
    h.revoke(&a).await.unwrap();
    h.revoke(&b).await.unwrap();
    let err = h
        .call(Operation::Read, "creds/none", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.messages(), vec!["unknown role: none"]);
    h.write(
        "roles/lost",
        json!({"db_name": "missing", "creation_statements": CREATE}),
    )
    .await;
    let err = h
        .call(Operation::Read, "creds/lost", Value::Null)
        .await
        .unwrap_err();
    assert!(err.messages()[0].contains("failed to find entry for connection"));
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn revoke_uses_the_roles_statements_and_survives_the_roles_deletion() {
    let (h, admin, p) = setup(json!("*")).await;
    let marker = format!("{p}revoked");
    admin
        .batch_execute(&format!("CREATE TABLE public.{marker} (name text)"))
        .await
        .unwrap();
    let revoke =
        format!("INSERT INTO public.{marker} VALUES ('{{{{name}}}}'); DROP ROLE \"{{{{name}}}}\"");
    h.write(
        "roles/app",
        json!({"db_name": "main", "creation_statements": [CREATE],
               "revocation_statements": [revoke]}),
    )
    .await;
    let (user, _, lease) = h.creds("app").await;
    h.call(Operation::Delete, "roles/app", Value::Null)
        .await
        .unwrap();
    h.revoke(&lease).await.unwrap();
    assert!(!pg::role_exists(&admin, &user).await);
    let logged: String = admin
        .query_one(&format!("SELECT name FROM public.{marker}"), &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(logged, user, "the lease's own revocation statements ran");
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn a_failed_creation_leaves_no_user_and_no_secret_in_the_error() {
    let (h, admin, p) = setup(json!("*")).await;
    h.write(
        "roles/bad",
        json!({"db_name": "main", "creation_statements":
            "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}'; SELECT no_such_column FROM pg_roles WHERE rolpassword = '{{password}}' BOGUS"}),
    )
    .await;
    let err = h
        .call(Operation::Read, "creds/bad", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let msg = err.messages().join(" ");
    assert!(msg.contains("SQLSTATE"), "{msg}");
    assert!(!msg.contains("A1a-"), "a password reached the error: {msg}");
    let left = admin
        .query(
            "SELECT 1 FROM pg_roles WHERE rolname LIKE $1",
            &[&format!("{p}bad%")],
        )
        .await
        .unwrap();
    assert!(left.is_empty(), "the transaction was not rolled back");
    assert!(h.keys("wal/").await.is_empty());
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn periodic_drops_users_whose_creation_was_interrupted() {
    let (h, admin, p) = setup(json!("*")).await;
    // What a crash between creating the user and answering leaves: the user and its
    // WAL entry.
    let orphan = format!("{p}orphan");
    admin
        .batch_execute(&format!("CREATE ROLE \"{orphan}\" LOGIN"))
        .await
        .unwrap();
    let entry = json!({"created": h.clock.unix(), "entry": {"kind": "creds",
        "db_name": "main", "role": "app", "username": orphan, "statements": []}});
    use tresor_storage::Backend;
    h.storage
        .put("wal/0123abcd", &serde_json::to_vec(&entry).unwrap())
        .await
        .unwrap();
    h.backend.periodic().await.unwrap();
    assert!(
        pg::role_exists(&admin, &orphan).await,
        "a fresh entry may be in progress"
    );
    h.advance(6 * 60);
    h.backend.periodic().await.unwrap();
    assert!(
        !pg::role_exists(&admin, &orphan).await,
        "the orphan was not dropped"
    );
    assert!(h.keys("wal/").await.is_empty());
    pg::cleanup(&admin, &p).await;
}

#[tokio::test]
async fn a_connection_the_server_closed_is_replaced() {
    let (h, admin, p) = setup(json!("*")).await;
    h.write(
        "roles/app",
        json!({"db_name": "main", "creation_statements": CREATE}),
    )
    .await;
    let (_, _, first) = h.creds("app").await;
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1",
            &[&format!("{p}admin")],
        )
        .await
        .unwrap()
        .get(0);
    assert!(killed >= 1, "the engine keeps its connection open");
    let (user, _, second) = h.creds("app").await;
    assert!(pg::role_exists(&admin, &user).await);
    h.revoke(&first).await.unwrap();
    h.revoke(&second).await.unwrap();
    pg::cleanup(&admin, &p).await;
}
