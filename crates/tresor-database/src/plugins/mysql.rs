//! `mysql-database-plugin` (MySQL and MariaDB) and its 16-character legacy variant.
//!
//! Statements come from the role and run in one transaction on one pooled connection
//! (MySQL commits DDL implicitly, so in practice they run in order). Each is sent as a
//! prepared statement, which the server refuses to split into several; only the statements
//! MySQL cannot prepare (error 1295) go through the text protocol. Placeholders are filled
//! as escaped literals (see [`statements`]). Server messages may echo the statement, so
//! every error is stripped of the echoed SQL and of any password before it leaves.

mod connect;
mod dsn;
mod statements;
#[cfg(test)]
mod tests;

use crate::plugin::{ConnectionConfig, DatabasePlugin, NewUser};
use async_trait::async_trait;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Pool, TxOpts};
use statements::Values;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::Error;

/// Vault's default revocation: used when a role has no `revocation_statements`.
pub const DEFAULT_REVOCATION_STATEMENTS: &str =
    "REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{{name}}'@'%'; DROP USER '{{name}}'@'%'";
/// Vault's default password change: used when a static role has no `rotation_statements`
/// (and for `rotate-root` without `root_rotation_statements`).
pub const DEFAULT_ROTATION_STATEMENTS: &str =
    "ALTER USER '{{username}}'@'%' IDENTIFIED BY '{{password}}'";

/// MySQL's error for a statement the prepared-statement protocol does not take.
const ER_UNSUPPORTED_PS: u16 = 1295;

#[derive(Debug, Clone, Copy)]
struct Flavor {
    name: &'static str,
    max_username_len: usize,
    username_template: &'static str,
}

const MODERN: Flavor = Flavor {
    name: "mysql-database-plugin",
    max_username_len: 32,
    username_template: r#"{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 10) (.RoleName | truncate 10) (random 20) (unix_time) | truncate 32 }}"#,
};

const LEGACY: Flavor = Flavor {
    name: "mysql-legacy-database-plugin",
    max_username_len: 16,
    username_template: r#"{{ printf "v-%s-%s" (.RoleName | truncate 4) (random 20) | truncate 16 }}"#,
};

/// The pool of the current configuration and what its errors must never show.
#[derive(Clone)]
struct Active {
    pool: Pool,
    connect_timeout: Duration,
    root_password: SecretString,
}

/// MySQL / MariaDB users.
pub struct MySql {
    flavor: Flavor,
    active: Mutex<Option<Active>>,
}

impl fmt::Debug for MySql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MySql")
            .field("name", &self.flavor.name)
            .finish_non_exhaustive()
    }
}

impl Default for MySql {
    fn default() -> Self {
        Self::new()
    }
}

impl MySql {
    /// `mysql-database-plugin`: user names up to 32 characters (MySQL 5.7+, MariaDB).
    pub fn new() -> Self {
        Self::with_flavor(MODERN)
    }

    /// `mysql-legacy-database-plugin`: user names up to 16 characters (MySQL before 5.7).
    pub fn legacy() -> Self {
        Self::with_flavor(LEGACY)
    }

    fn with_flavor(flavor: Flavor) -> Self {
        Self {
            flavor,
            active: Mutex::new(None),
        }
    }

    /// The longest user name the server takes; generated names must be cut to it.
    pub fn max_username_len(&self) -> usize {
        self.flavor.max_username_len
    }

    /// Vault's default `username_template` for this plugin.
    pub fn default_username_template(&self) -> &'static str {
        self.flavor.username_template
    }

    fn active(&self) -> Result<Active, Error> {
        self.active
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Error::internal("mysql: the connection is not initialized"))
    }

    fn replace(&self, next: Option<Active>) -> Option<Active> {
        std::mem::replace(
            &mut *self.active.lock().unwrap_or_else(PoisonError::into_inner),
            next,
        )
    }

    /// Fills every template first (a bad one runs nothing), then runs them in order in one
    /// transaction.
    async fn execute(&self, templates: &[String], values: &Values<'_>) -> Result<(), Error> {
        let rendered = templates
            .iter()
            .map(|template| statements::render(template, values))
            .collect::<Result<Vec<_>, _>>()?;
        let active = self.active()?;
        let secrets = Secrets::new(&active, values.password);
        let mut conn = connect(&active)
            .await
            .map_err(|e| secrets.internal("connecting", &e))?;
        let mut tx = conn
            .start_transaction(TxOpts::default())
            .await
            .map_err(|e| secrets.internal("starting a transaction", &e))?;
        for statement in &rendered {
            run_one(&mut tx, statement.expose())
                .await
                .map_err(|e| secrets.internal("running a statement", &e))?;
        }
        tx.commit()
            .await
            .map_err(|e| secrets.internal("committing", &e))
    }

    async fn user_exists(&self, username: &str) -> Result<bool, Error> {
        let active = self.active()?;
        let secrets = Secrets::new(&active, None);
        let mut conn = connect(&active)
            .await
            .map_err(|e| secrets.internal("connecting", &e))?;
        let query = "SELECT EXISTS (SELECT 1 FROM mysql.user WHERE user = ?)";
        let found: Result<Option<i64>, mysql_async::Error> = async {
            let stmt = conn.prep(query).await?;
            let row = conn.exec_first(&stmt, (username,)).await;
            conn.close(stmt).await?;
            row
        }
        .await;
        let found = found.map_err(|e| secrets.internal("looking up the user", &e))?;
        Ok(found.unwrap_or(0) != 0)
    }
}

async fn connect(active: &Active) -> Result<Conn, mysql_async::Error> {
    match tokio::time::timeout(active.connect_timeout, active.pool.get_conn()).await {
        Ok(conn) => conn,
        Err(_) => Err(mysql_async::Error::Io(mysql_async::IoError::Io(
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "timed out connecting to the server",
            ),
        ))),
    }
}

/// One statement, prepared so that the server runs exactly one; the few kinds MySQL cannot
/// prepare go through the text protocol (the statement is already one, split on top-level `;`).
async fn run_one<Q: Queryable>(conn: &mut Q, sql: &str) -> Result<(), mysql_async::Error> {
    match conn.prep(sql).await {
        Ok(stmt) => {
            let result = conn.exec_drop(&stmt, ()).await;
            let closed = conn.close(stmt).await;
            result.and(closed)
        }
        Err(mysql_async::Error::Server(e)) if e.code == ER_UNSUPPORTED_PS => {
            conn.query_drop(sql).await
        }
        Err(e) => Err(e),
    }
}

/// The secrets an error message may echo: the root password and the password being set,
/// raw and as escaped into a statement.
struct Secrets {
    values: Vec<SecretString>,
}

impl Secrets {
    fn new(active: &Active, password: Option<&str>) -> Self {
        let mut values = vec![active.root_password.clone()];
        if let Some(password) = password {
            values.push(SecretString::from(password));
            values.push(SecretString::new(
                password.replace('\\', "\\\\").replace('\'', "''"),
            ));
            values.push(SecretString::new(
                password.replace('\\', "\\\\").replace('"', "\"\""),
            ));
        }
        Self { values }
    }

    fn describe(&self, err: &mysql_async::Error) -> String {
        let mut message = err.to_string();
        // A syntax error quotes the statement from where parsing stopped.
        if let Some(at) = message.find(" near '") {
            message.truncate(at);
            message.push_str(" (statement text omitted)");
        }
        let secrets: Vec<&str> = self.values.iter().map(SecretString::expose).collect();
        redact(&message, &secrets)
    }

    fn internal(&self, doing: &str, err: &mysql_async::Error) -> Error {
        Error::internal(format!("mysql: error {doing}: {}", self.describe(err)))
    }
}

/// Replaces every secret in `message`, and a message that ends in the start of one (the
/// server cuts long messages).
pub(crate) fn redact(message: &str, secrets: &[&str]) -> String {
    let mut out = message.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, "[redacted]");
        let cut = (4..secret.len())
            .rev()
            .filter(|n| secret.is_char_boundary(*n))
            .find(|n| secret.get(..*n).is_some_and(|prefix| out.ends_with(prefix)));
        if let Some(n) = cut {
            out.truncate(out.len() - n);
            out.push_str("[redacted]");
        }
    }
    out
}

#[async_trait]
impl DatabasePlugin for MySql {
    fn name(&self) -> &'static str {
        self.flavor.name
    }

    async fn initialize(&self, config: &ConnectionConfig, verify: bool) -> Result<(), Error> {
        let settings = connect::settings(config)?;
        let active = Active {
            pool: Pool::new(settings.opts),
            connect_timeout: settings.connect_timeout,
            root_password: settings.password,
        };
        if verify {
            let checked = async {
                let mut conn = connect(&active).await?;
                conn.ping().await
            }
            .await;
            if let Err(e) = checked {
                let message = Secrets::new(&active, None).describe(&e);
                disconnect(active).await;
                return Err(Error::bad_request(format!(
                    "error verifying connection: {message}"
                )));
            }
        }
        if let Some(old) = self.replace(Some(active)) {
            disconnect(old).await;
        }
        Ok(())
    }

    async fn new_user(&self, user: &NewUser<'_>) -> Result<(), Error> {
        statements::check_name(user.username)?;
        let templates = statements::split_statements(user.statements);
        if templates.is_empty() {
            return Err(Error::bad_request("empty creation statements"));
        }
        let values = Values {
            name: user.username,
            password: Some(user.password.expose()),
            expiration: Some(user.expiration),
        };
        self.execute(&templates, &values).await
    }

    async fn renew_user(
        &self,
        statements: &[String],
        username: &str,
        expiration: &str,
    ) -> Result<(), Error> {
        statements::check_name(username)?;
        let templates = statements::split_statements(statements);
        if templates.is_empty() {
            return Ok(());
        }
        let values = Values {
            name: username,
            password: None,
            expiration: Some(expiration),
        };
        self.execute(&templates, &values).await
    }

    async fn delete_user(&self, statements: &[String], username: &str) -> Result<(), Error> {
        statements::check_name(username)?;
        let mut templates = statements::split_statements(statements);
        if templates.is_empty() {
            // Revoking twice is not an error: a user already gone is done.
            if !self.user_exists(username).await? {
                return Ok(());
            }
            templates = statements::split_statements(&[DEFAULT_REVOCATION_STATEMENTS.to_owned()]);
        }
        let values = Values {
            name: username,
            password: None,
            expiration: None,
        };
        self.execute(&templates, &values).await
    }

    async fn set_password(
        &self,
        statements: &[String],
        username: &str,
        password: &SecretString,
    ) -> Result<(), Error> {
        statements::check_name(username)?;
        if password.is_empty() {
            return Err(Error::bad_request("the new password is empty"));
        }
        let mut templates = statements::split_statements(statements);
        if templates.is_empty() {
            templates = statements::split_statements(&[DEFAULT_ROTATION_STATEMENTS.to_owned()]);
        }
        let values = Values {
            name: username,
            password: Some(password.expose()),
            expiration: None,
        };
        self.execute(&templates, &values).await
    }

    async fn close(&self) {
        if let Some(old) = self.replace(None) {
            disconnect(old).await;
        }
    }
}

async fn disconnect(active: Active) {
    let secrets = Secrets::new(&active, None);
    if let Err(e) = active.pool.disconnect().await {
        tracing::debug!(error = %secrets.describe(&e), "mysql: closing the pool");
    }
}
