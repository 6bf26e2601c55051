//! `postgresql-database-plugin`: users are PostgreSQL roles.
//!
//! Statement templates are rendered by [`sql`] (identifiers quoted, values quoted as
//! literals, statements split outside quotes) and each call's statements run in one
//! transaction on a pooled connection; a connection that broke is replaced and the call
//! tried once more. Without revocation statements a user is dropped the way Vault's
//! plugin does it: its privileges revoked (schemas it was granted, `public`, the
//! database), what it owns reassigned to the admin, then `DROP ROLE IF EXISTS`.

mod connect;
mod error;
pub mod sql;

use crate::plugin::{ConnectionConfig, DatabasePlugin, NewUser};
use async_trait::async_trait;
use connect::{settings, Pool};
use error::PgError;
use sql::{quote_ident, render, Values};
use std::sync::{Arc, RwLock};
use tresor_crypto::SecretString;
use tresor_sdk::Error;

pub const NAME: &str = "postgresql-database-plugin";

const DEFAULT_RENEW: &str = "ALTER ROLE {{name}} VALID UNTIL {{expiration}}";
const DEFAULT_ROTATE: &str = "ALTER ROLE {{name}} WITH PASSWORD {{password}}";

#[derive(Debug, Default)]
pub struct Postgres {
    pool: RwLock<Option<Arc<Pool>>>,
    /// The connection's own password, redacted from every error.
    password: RwLock<SecretString>,
}

/// A new, unconfigured PostgreSQL plugin instance.
pub fn new() -> Arc<dyn DatabasePlugin> {
    Arc::new(Postgres::default())
}

impl Postgres {
    fn pool(&self) -> Result<Arc<Pool>, Error> {
        self.pool
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| Error::bad_request("the database connection is not initialized"))
    }

    fn root_password(&self) -> SecretString {
        self.password
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Renders every template with `values` and runs the result in one transaction.
    async fn run(
        &self,
        templates: &[String],
        values: Values<'_>,
        context: &str,
    ) -> Result<(), Error> {
        let root = self.root_password();
        let secrets = [values.password.unwrap_or(""), root.expose()];
        let fail = |e: PgError| e.to_error(context, &secrets);
        let mut statements = Vec::new();
        for t in templates {
            statements.extend(render(t, &values).map_err(|e| fail(e.into()))?);
        }
        let pool = self.pool()?;
        let mut outcome = transaction(&pool, &statements).await;
        if outcome.as_ref().is_err_and(PgError::is_connection_lost) {
            pool.drop_idle();
            outcome = transaction(&pool, &statements).await;
        }
        outcome.map_err(fail)
    }
}

async fn transaction(pool: &Pool, statements: &[String]) -> Result<(), PgError> {
    let mut conn = pool.get().await?;
    let tx = conn.client()?.transaction().await?;
    tx.batch_execute("SET LOCAL standard_conforming_strings = on")
        .await?;
    for s in statements {
        tx.execute(s.as_str(), &[]).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Vault's default revocation: take away what the role was granted, hand over what it
/// owns, then drop it. The preparation is best effort; the drop decides.
async fn default_drop(pool: &Pool, username: &str) -> Result<(), PgError> {
    let mut conn = pool.get().await?;
    let client = conn.client()?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&username])
        .await?
        .is_some();
    if !exists {
        return Ok(());
    }
    let rows = client
        .query(
            "SELECT DISTINCT table_schema::text FROM information_schema.role_table_grants \
             WHERE grantee = $1 UNION SELECT DISTINCT table_schema::text \
             FROM information_schema.role_column_grants WHERE grantee = $1",
            &[&username],
        )
        .await?;
    let user = quote_ident(username);
    let mut prepare = Vec::new();
    for row in rows {
        let schema = quote_ident(&row.try_get::<_, String>(0)?);
        prepare.push(format!(
            "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA {schema} FROM {user}"
        ));
        prepare.push(format!("REVOKE USAGE ON SCHEMA {schema} FROM {user}"));
    }
    prepare.push(format!(
        "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM {user}"
    ));
    prepare.push(format!(
        "REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM {user}"
    ));
    prepare.push(format!("REVOKE USAGE ON SCHEMA public FROM {user}"));
    let db: String = client
        .query_one("SELECT current_database()::text", &[])
        .await?
        .try_get(0)?;
    prepare.push(format!(
        "REVOKE CONNECT ON DATABASE {} FROM {user}",
        quote_ident(&db)
    ));
    prepare.push(format!("REASSIGN OWNED BY {user} TO CURRENT_USER"));
    prepare.push(format!("DROP OWNED BY {user}"));
    for stmt in &prepare {
        if client.batch_execute(stmt).await.is_err() {
            tracing::debug!("a preparatory revocation statement failed; dropping anyway");
        }
    }
    client
        .batch_execute(&format!("DROP ROLE IF EXISTS {user}"))
        .await?;
    Ok(())
}

#[async_trait]
impl DatabasePlugin for Postgres {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(&self, config: &ConnectionConfig, verify: bool) -> Result<(), Error> {
        let pool = Arc::new(Pool::new(settings(config)?));
        if verify {
            let check = async {
                let mut conn = pool.get().await?;
                conn.client()?.batch_execute("SELECT 1").await?;
                Ok::<(), PgError>(())
            };
            check.await.map_err(|e| {
                e.to_error("error verifying connection", &[config.password.expose()])
            })?;
        }
        *self.password.write().unwrap_or_else(|e| e.into_inner()) = config.password.clone();
        let old = self
            .pool
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .replace(pool);
        if let Some(old) = old {
            old.close();
        }
        Ok(())
    }

    async fn new_user(&self, user: &NewUser<'_>) -> Result<(), Error> {
        if user.statements.iter().all(|s| s.trim().is_empty()) {
            return Err(Error::bad_request("empty creation statements"));
        }
        let values = Values {
            name: user.username,
            password: Some(user.password.expose()),
            expiration: Some(user.expiration),
        };
        self.run(user.statements, values, "failed to create the user")
            .await
    }

    async fn renew_user(
        &self,
        statements: &[String],
        username: &str,
        expiration: &str,
    ) -> Result<(), Error> {
        let default = [DEFAULT_RENEW.to_owned()];
        let templates = if statements.is_empty() {
            &default[..]
        } else {
            statements
        };
        let values = Values {
            name: username,
            password: None,
            expiration: Some(expiration),
        };
        self.run(templates, values, "failed to renew the user")
            .await
    }

    async fn delete_user(&self, statements: &[String], username: &str) -> Result<(), Error> {
        if statements.iter().any(|s| !s.trim().is_empty()) {
            let values = Values {
                name: username,
                ..Values::default()
            };
            return self
                .run(statements, values, "failed to revoke the user")
                .await;
        }
        let pool = self.pool()?;
        let mut outcome = default_drop(&pool, username).await;
        if outcome.as_ref().is_err_and(PgError::is_connection_lost) {
            pool.drop_idle();
            outcome = default_drop(&pool, username).await;
        }
        let root = self.root_password();
        outcome.map_err(|e| e.to_error("failed to revoke the user", &[root.expose()]))
    }

    async fn set_password(
        &self,
        statements: &[String],
        username: &str,
        password: &SecretString,
    ) -> Result<(), Error> {
        let default = [DEFAULT_ROTATE.to_owned()];
        let templates = if statements.iter().all(|s| s.trim().is_empty()) {
            &default[..]
        } else {
            statements
        };
        let values = Values {
            name: username,
            password: Some(password.expose()),
            expiration: None,
        };
        self.run(templates, values, "error setting credentials")
            .await
    }

    async fn close(&self) {
        let old = self.pool.write().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(old) = old {
            old.close();
        }
    }
}
