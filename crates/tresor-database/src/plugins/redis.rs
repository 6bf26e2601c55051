//! `redis-database-plugin`: Redis (6+) ACL users.
//!
//! A role's `creation_statements` are ACL rules, as in Vault: a JSON list such as
//! `["~cache:*", "+@read"]` (or the rules one per entry); with none, `["~*", "+@read"]`.
//! Every command goes out as separate arguments (`ACL SETUSER <name> on ><password> <rules>`),
//! so no name, password or rule can become another argument. Revocation, renewal and
//! rotation statements are not used: `ACL DELUSER`, nothing, and `ACL SETUSER ... resetpass`.

mod connect;
#[cfg(test)]
mod tests;

use crate::plugin::{ConnectionConfig, DatabasePlugin, NewUser};
use async_trait::async_trait;
use connect::{Connection, Settings};
use redis::aio::MultiplexedConnection;
use redis::{Cmd, RedisError, Value};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use tresor_crypto::SecretString;
use tresor_sdk::Error;

/// Vault's rules for a role without `creation_statements`.
pub const DEFAULT_CREATION_RULES: &[&str] = &["~*", "+@read"];

/// Vault's Redis user names: `V_<DISPLAY>_<ROLE>_<20 random>_<unix time>`, upper-cased.
pub const DEFAULT_USERNAME_TEMPLATE: &str = r#"{{ printf "v_%s_%s_%s_%s" (.DisplayName | truncate 64) (.RoleName | truncate 64) (random 20) (unix_time) | truncate 100 | uppercase }}"#;

struct Active {
    settings: Arc<Settings>,
    connection: Option<Connection>,
}

/// Redis ACL users.
#[derive(Default)]
pub struct Redis {
    active: Mutex<Option<Active>>,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis").finish_non_exhaustive()
    }
}

impl Redis {
    pub fn new() -> Self {
        Self::default()
    }

    /// Vault's default `username_template` for Redis (the plugin itself takes any name
    /// without whitespace or control characters).
    pub fn default_username_template(&self) -> &'static str {
        DEFAULT_USERNAME_TEMPLATE
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Active>> {
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The open connection, opened now if there is none.
    async fn connection(&self) -> Result<(MultiplexedConnection, Arc<Settings>), Error> {
        let settings = {
            let guard = self.lock();
            let active = guard
                .as_ref()
                .ok_or_else(|| Error::internal("redis: the connection is not initialized"))?;
            if let Some(open) = &active.connection {
                return Ok((open.conn.clone(), active.settings.clone()));
            }
            active.settings.clone()
        };
        let opened = connect::open(&settings)
            .await
            .map_err(|e| failure("connecting", &e, &secrets(&settings, None)))?;
        let conn = opened.conn.clone();
        let mut guard = self.lock();
        match guard.as_mut() {
            Some(active)
                if Arc::ptr_eq(&active.settings, &settings) && active.connection.is_none() =>
            {
                active.connection = Some(opened);
            }
            // Re-initialized or closed meanwhile: this connection serves this call only.
            _ => opened.driver.abort(),
        }
        Ok((conn, settings))
    }

    /// Drops a broken connection so the next call opens a new one.
    fn forget(&self, settings: &Arc<Settings>) {
        let mut guard = self.lock();
        if let Some(active) = guard
            .as_mut()
            .filter(|a| Arc::ptr_eq(&a.settings, settings))
        {
            if let Some(old) = active.connection.take() {
                old.driver.abort();
            }
        }
    }

    /// Runs one command; once more on a fresh connection if the connection had broken (the
    /// commands used here are idempotent).
    async fn run(&self, doing: &str, cmd: &Cmd, password: Option<&str>) -> Result<Value, Error> {
        let (mut conn, settings) = self.connection().await?;
        let result = match cmd.query_async::<Value>(&mut conn).await {
            Err(e) if e.is_unrecoverable_error() || e.is_connection_dropped() => {
                self.forget(&settings);
                let (mut conn, _) = self.connection().await?;
                cmd.query_async::<Value>(&mut conn).await
            }
            other => other,
        };
        result.map_err(|e| failure(doing, &e, &secrets(&settings, password)))
    }

    async fn user_exists(&self, username: &str) -> Result<bool, Error> {
        let mut cmd = redis::cmd("ACL");
        cmd.arg("GETUSER").arg(username);
        let found = self.run("looking up the user", &cmd, None).await?;
        Ok(!matches!(found, Value::Nil))
    }
}

/// The secrets an error must not show: the connection's password and the one being set.
fn secrets(settings: &Settings, password: Option<&str>) -> Vec<SecretString> {
    settings
        .password
        .iter()
        .cloned()
        .chain(password.map(SecretString::from))
        .collect()
}

fn failure(doing: &str, err: &RedisError, secrets: &[SecretString]) -> Error {
    let mut message = err.to_string();
    for secret in secrets
        .iter()
        .map(SecretString::expose)
        .filter(|s| !s.is_empty())
    {
        message = message.replace(secret, "[redacted]");
    }
    Error::internal(format!("redis: error {doing}: {message}"))
}

fn check_name(username: &str) -> Result<(), Error> {
    if username.is_empty() {
        return Err(Error::bad_request("the username is empty"));
    }
    if username
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::bad_request(
            "the username contains whitespace or a control character",
        ));
    }
    Ok(())
}

/// The ACL rules of a role: each statement a JSON list of rules, or one rule.
pub(crate) fn acl_rules(statements: &[String]) -> Result<Vec<String>, Error> {
    let mut rules = Vec::new();
    for statement in statements
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        match serde_json::from_str::<Vec<String>>(statement) {
            Ok(list) => rules.extend(list),
            Err(_) if statement.starts_with('[') => {
                return Err(Error::bad_request(
                    "creation_statements must be a JSON list of ACL rules",
                ));
            }
            Err(_) => rules.push(statement.to_owned()),
        }
    }
    if rules.iter().any(|rule| rule.trim().is_empty()) {
        return Err(Error::bad_request("an ACL rule is empty"));
    }
    if rules.is_empty() {
        rules = DEFAULT_CREATION_RULES
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
    }
    Ok(rules)
}

#[async_trait]
impl DatabasePlugin for Redis {
    fn name(&self) -> &'static str {
        "redis-database-plugin"
    }

    async fn initialize(&self, config: &ConnectionConfig, verify: bool) -> Result<(), Error> {
        let settings = Arc::new(connect::settings(config)?);
        let connection = if verify {
            let opened = connect::open(&settings).await.map_err(|e| {
                let Error::Internal(detail) = failure("verifying", &e, &secrets(&settings, None))
                else {
                    return Error::bad_request("error verifying connection");
                };
                Error::bad_request(format!("error verifying connection: {detail}"))
            })?;
            Some(opened)
        } else {
            None
        };
        let old = self.lock().replace(Active {
            settings,
            connection,
        });
        if let Some(old) = old.and_then(|old| old.connection) {
            old.driver.abort();
        }
        Ok(())
    }

    async fn new_user(&self, user: &NewUser<'_>) -> Result<(), Error> {
        check_name(user.username)?;
        let rules = acl_rules(user.statements)?;
        if user.password.is_empty() {
            return Err(Error::bad_request("the password is empty"));
        }
        // SETUSER on an existing name would change that user: never take over one.
        if self.user_exists(user.username).await? {
            return Err(Error::internal(
                "redis: a user with the generated name already exists",
            ));
        }
        let password = SecretString::new(format!(">{}", user.password.expose()));
        let mut cmd = redis::cmd("ACL");
        cmd.arg("SETUSER")
            .arg(user.username)
            .arg("on")
            .arg(password.expose());
        for rule in &rules {
            cmd.arg(rule.as_str());
        }
        self.run("creating the user", &cmd, Some(user.password.expose()))
            .await?;
        Ok(())
    }

    async fn renew_user(&self, _: &[String], username: &str, _: &str) -> Result<(), Error> {
        // Redis users have no expiry; the lease decides when the user goes.
        check_name(username)
    }

    async fn delete_user(&self, _: &[String], username: &str) -> Result<(), Error> {
        check_name(username)?;
        let mut cmd = redis::cmd("ACL");
        cmd.arg("DELUSER").arg(username);
        // Deleting a user already gone removes nothing and is no error.
        self.run("deleting the user", &cmd, None).await?;
        Ok(())
    }

    async fn set_password(
        &self,
        _: &[String],
        username: &str,
        password: &SecretString,
    ) -> Result<(), Error> {
        check_name(username)?;
        if password.is_empty() {
            return Err(Error::bad_request("the new password is empty"));
        }
        // SETUSER would create a missing user (disabled, but still): check first.
        if !self.user_exists(username).await? {
            return Err(Error::internal(
                "redis: cannot change the password: no such user",
            ));
        }
        let rule = SecretString::new(format!(">{}", password.expose()));
        let mut cmd = redis::cmd("ACL");
        cmd.arg("SETUSER")
            .arg(username)
            .arg("resetpass")
            .arg(rule.expose());
        self.run("changing the password", &cmd, Some(password.expose()))
            .await?;
        Ok(())
    }

    async fn close(&self) {
        let old = self.lock().take();
        if let Some(old) = old.and_then(|old| old.connection) {
            old.driver.abort();
        }
    }
}
