//! Names and passwords built to break out of their quotes: a username template that
//! produces `"`, `'`, `;` and `--`, a static role's username with quotes, a password
//! policy whose passwords carry SQL. Each would drop the sentinel table or create the
//! `pwned` one if any value were pasted into SQL unquoted.

use super::harness::{Harness, HOSTILE_PASSWORD};
use super::pg;
use crate::plugins::postgres::sql::quote_ident;
use serde_json::json;

struct Scene {
    h: Harness,
    admin: tokio_postgres::Client,
    p: String,
    sentinel: String,
    pwned: String,
}

async fn scene(extra: serde_json::Value) -> Scene {
    let h = Harness::new().await;
    let admin = pg::admin().await;
    let p = pg::prefix();
    let sentinel = format!("{p}s");
    let pwned = format!("{p}w");
    admin
        .batch_execute(&format!("CREATE TABLE public.{sentinel} (x int)"))
        .await
        .unwrap();
    let (user, password) = pg::make_superuser(&admin, &p).await;
    let mut body = json!({"plugin_name": "postgresql-database-plugin",
        "connection_url": pg::url(), "username": user, "password": password,
        "allowed_roles": "*"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    h.write("config/main", body).await;
    Scene {
        h,
        admin,
        p,
        sentinel,
        pwned,
    }
}

impl Scene {
    /// A name that would break out of either quote style and do harm (at most 63
    /// bytes, PostgreSQL's identifier limit).
    fn payload(&self) -> String {
        let name = format!(
            "\"';DROP TABLE {s};CREATE TABLE {w}();--$$",
            s = self.sentinel,
            w = self.pwned
        );
        assert!(name.len() <= 63, "{}", name.len());
        name
    }

    async fn cleanup(&self) {
        let _ = self
            .admin
            .batch_execute(&format!(
                "DROP ROLE IF EXISTS {}",
                quote_ident(&self.payload())
            ))
            .await;
        pg::cleanup(&self.admin, &self.p).await;
    }

    async fn assert_unharmed(&self) {
        assert!(pg::table_exists(&self.admin, &format!("public.{}", self.sentinel)).await);
        assert!(!pg::table_exists(&self.admin, &format!("public.{}", self.pwned)).await);
        let left = self
            .admin
            .query_opt(
                "SELECT 1 FROM pg_tables WHERE tablename = 'pwned_by_password'",
                &[],
            )
            .await
            .unwrap();
        assert!(left.is_none());
    }
}

#[tokio::test]
async fn a_username_template_cannot_inject_sql() {
    let s = scene(json!({})).await;
    let payload = s.payload().replace('\\', "\\\\").replace('"', "\\\"");
    let template = format!("{{{{ printf \"%s\" \"{payload}\" }}}}");
    s.h.write("config/main", json!({"username_template": template}))
        .await;
    let statements = [
        "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'",
        "COMMENT ON ROLE {{name}} IS '{{name}}'",
        "DO $body$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE postgres TO %I', '{{name}}'); END $body$",
    ];
    s.h.write(
        "roles/app",
        json!({"db_name": "main", "creation_statements": statements}),
    )
    .await;
    let (user, password, lease) = s.h.creds("app").await;
    assert_eq!(user, s.payload());
    assert!(
        pg::role_exists(&s.admin, &user).await,
        "the exact name was created"
    );
    assert!(pg::password_matches(&s.admin, &user, &password).await);
    let comment: String = s
        .admin
        .query_one(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1",
            &[&user],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(comment, user);
    s.assert_unharmed().await;
    s.h.renew(&lease, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    s.h.revoke(&lease).await.unwrap();
    assert!(!pg::role_exists(&s.admin, &user).await);
    s.assert_unharmed().await;
    s.cleanup().await;
}

#[tokio::test]
async fn a_dollar_quoted_body_refuses_a_name_that_would_close_it() {
    let s = scene(json!({})).await;
    s.h.write(
        "config/main",
        json!({"username_template": format!("{}{{{{ \"a$$; DROP TABLE public.{}; --\" }}}}", s.p, s.sentinel)}),
    )
    .await;
    s.h.write(
        "roles/app",
        json!({"db_name": "main", "creation_statements":
            "DO $$ BEGIN CREATE ROLE \"{{name}}\"; END $$"}),
    )
    .await;
    let err =
        s.h.call(
            tresor_sdk::Operation::Read,
            "creds/app",
            serde_json::Value::Null,
        )
        .await
        .unwrap_err();
    assert!(
        err.messages()[0].contains("dollar-quoted"),
        "{:?}",
        err.messages()
    );
    s.assert_unharmed().await;
    s.cleanup().await;
}

#[tokio::test]
async fn a_static_username_with_quotes_cannot_inject_sql() {
    let s = scene(json!({})).await;
    let user = s.payload();
    s.admin
        .batch_execute(&format!("CREATE ROLE {} LOGIN", quote_ident(&user)))
        .await
        .unwrap();
    for (role, statements) in [
        ("bare", json!([])),
        (
            "quoted",
            json!(["ALTER ROLE \"{{name}}\" WITH PASSWORD '{{password}}'"]),
        ),
    ] {
        s.h.write(
            &format!("static-roles/{role}"),
            json!({"db_name": "main", "username": user, "rotation_period": 60,
                   "rotation_statements": statements}),
        )
        .await;
        let data = s.h.read(&format!("static-creds/{role}")).await;
        let password = data["password"].as_str().unwrap();
        assert!(
            pg::password_matches(&s.admin, &user, password).await,
            "{role}"
        );
        s.assert_unharmed().await;
    }
    s.cleanup().await;
}

#[tokio::test]
async fn passwords_with_sql_in_them_stay_literals() {
    let s = scene(json!({"password_policy": "hostile"})).await;
    s.h.write(
        "roles/app",
        json!({"db_name": "main", "creation_statements": [
            "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'",
            "CREATE ROLE \"{{name}}_b\" WITH LOGIN PASSWORD {{password}}",
            "CREATE ROLE \"{{name}}_c\" WITH LOGIN PASSWORD E'{{password}}'"]}),
    )
    .await;
    s.h.write(
        "config/main",
        json!({"username_template": format!("{}{{{{random 8}}}}", s.p)}),
    )
    .await;
    let (user, password, lease) = s.h.creds("app").await;
    assert!(password.starts_with(HOSTILE_PASSWORD));
    for name in [user.clone(), format!("{user}_b"), format!("{user}_c")] {
        assert!(
            pg::password_matches(&s.admin, &name, &password).await,
            "{name}"
        );
    }
    s.assert_unharmed().await;
    s.h.revoke(&lease).await.unwrap();
    s.cleanup().await;
}
