//! The test's view of the real PostgreSQL server: an admin connection, per-test names,
//! and checks of what the engine did.
//!
//! The machine's server trusts every local connection, so a login proves the role exists
//! and may log in, but not its password: [`password_matches`] checks a password against
//! the SCRAM verifier PostgreSQL stored for the role, which is what a password login
//! checks.

use crate::plugins::postgres::sql::{quote_ident, quote_literal};
use aws_lc_rs::{digest, hmac, pbkdf2};
use base64::Engine as _;
use std::num::NonZeroU32;
use tokio_postgres::{Client, NoTls};

pub const HOST: &str = "127.0.0.1";

pub async fn connect(user: &str, password: &str) -> Result<Client, tokio_postgres::Error> {
    let mut config = tokio_postgres::Config::new();
    config
        .host(HOST)
        .port(5432)
        .user(user)
        .password(password)
        .dbname("postgres")
        .ssl_mode(tokio_postgres::config::SslMode::Disable);
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// The `postgres` superuser (trusted locally).
pub async fn admin() -> Client {
    connect("postgres", "")
        .await
        .expect("PostgreSQL must run on 127.0.0.1:5432 with user postgres")
}

/// A random lower-case prefix for everything one test creates.
pub fn prefix() -> String {
    let raw = tresor_crypto::random::bytes(4).unwrap();
    format!("tt{}_", hex::encode(raw))
}

/// A dedicated superuser for the engine's connection: (name, password).
pub async fn make_superuser(client: &Client, prefix: &str) -> (String, String) {
    let name = format!("{prefix}admin");
    let password = format!(
        "Init-{}",
        tresor_crypto::random::base62(12).unwrap().expose()
    );
    client
        .batch_execute(&format!(
            "CREATE ROLE {} WITH SUPERUSER LOGIN PASSWORD {}",
            quote_ident(&name),
            quote_literal(&password)
        ))
        .await
        .unwrap();
    (name, password)
}

/// A templated connection URL (the password is filled from the config).
pub fn url() -> String {
    format!("postgresql://{{{{username}}}}:{{{{password}}}}@{HOST}:5432/postgres?sslmode=disable")
}

pub async fn role_exists(client: &Client, role: &str) -> bool {
    client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .unwrap()
        .is_some()
}

pub async fn table_exists(client: &Client, table: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .unwrap()
        .get(0)
}

/// `rolvaliduntil` as unix seconds.
pub async fn valid_until(client: &Client, role: &str) -> Option<i64> {
    client
        .query_one(
            "SELECT extract(epoch FROM rolvaliduntil)::bigint FROM pg_roles WHERE rolname = $1",
            &[&role],
        )
        .await
        .unwrap()
        .get(0)
}

/// Whether `password` is the role's password, by its SCRAM-SHA-256 verifier
/// (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`).
pub async fn password_matches(client: &Client, role: &str, password: &str) -> bool {
    let row = client
        .query_one(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
            &[&role],
        )
        .await
        .unwrap();
    let Some(verifier): Option<String> = row.get(0) else {
        return false;
    };
    let rest = verifier
        .strip_prefix("SCRAM-SHA-256$")
        .expect("a SCRAM verifier");
    let (params, keys) = rest.split_once('$').unwrap();
    let (iterations, salt) = params.split_once(':').unwrap();
    let (stored_key, _) = keys.split_once(':').unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let salt = b64.decode(salt).unwrap();
    let mut salted = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(iterations.parse().unwrap()).unwrap(),
        &salt,
        password.as_bytes(),
        &mut salted,
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, &salted);
    let client_key = hmac::sign(&key, b"Client Key");
    let computed = digest::digest(&digest::SHA256, client_key.as_ref());
    b64.encode(computed.as_ref()) == stored_key
}

/// Drops every role and table whose name starts with `prefix`.
pub async fn cleanup(client: &Client, prefix: &str) {
    let pattern = format!("{}%", prefix.replace('_', "\\_"));
    let tables = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1",
            &[&pattern],
        )
        .await
        .unwrap();
    for t in tables {
        let name: String = t.get(0);
        let _ = client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS public.{}",
                quote_ident(&name)
            ))
            .await;
    }
    let roles = client
        .query(
            "SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1",
            &[&pattern],
        )
        .await
        .unwrap();
    for r in roles {
        let name: String = r.get(0);
        let _ = client
            .batch_execute(&format!(
                "REASSIGN OWNED BY {0} TO postgres; DROP OWNED BY {0}; DROP ROLE IF EXISTS {0}",
                quote_ident(&name)
            ))
            .await;
    }
}
