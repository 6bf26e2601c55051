//! What a database kind implements. The engine never builds SQL (or ACL rules) itself: it
//! hands the plugin the role's statements and the values to put in them, and the plugin
//! substitutes identifiers quoted and values bound, as its database requires.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::fmt;
use tresor_crypto::SecretString;
use tresor_sdk::Error;

/// The connection settings of `config/<name>` a plugin needs (the engine stores them).
#[derive(Clone, Default)]
pub struct ConnectionConfig {
    /// With `{{username}}` / `{{password}}` placeholders, filled from the fields below.
    pub connection_url: String,
    pub username: String,
    pub password: SecretString,
    /// Every other field of the config request (TLS options, pool sizes...), as strings.
    pub options: BTreeMap<String, String>,
}

impl fmt::Debug for ConnectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionConfig")
            .field("username", &self.username)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A new dynamic user.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// The role's creation statements (Vault's `{{name}}`, `{{username}}`, `{{password}}`,
    /// `{{expiration}}` placeholders), each possibly several statements separated by `;`.
    pub statements: &'a [String],
    pub username: &'a str,
    pub password: &'a SecretString,
    /// RFC 3339-ish expiry as databases take it (`2026-11-27 10:00:00+0000`).
    pub expiration: &'a str,
}

#[async_trait]
pub trait DatabasePlugin: Send + Sync + fmt::Debug {
    /// `postgresql-database-plugin`, ...
    fn name(&self) -> &'static str;

    /// Opens (or re-opens) the connection with these settings; `verify` checks it works now.
    async fn initialize(&self, config: &ConnectionConfig, verify: bool) -> Result<(), Error>;

    /// Creates a user; with no statements, the plugin's default (where it has one).
    async fn new_user(&self, user: &NewUser<'_>) -> Result<(), Error>;

    /// Extends a user's expiry (`renew_statements`); nothing to do when empty.
    async fn renew_user(
        &self,
        statements: &[String],
        username: &str,
        expiration: &str,
    ) -> Result<(), Error>;

    /// Drops a user (`revocation_statements`, else the plugin's default drop).
    async fn delete_user(&self, statements: &[String], username: &str) -> Result<(), Error>;

    /// Sets a user's password (static roles: `rotation_statements`, else the default).
    async fn set_password(
        &self,
        statements: &[String],
        username: &str,
        password: &SecretString,
    ) -> Result<(), Error>;

    /// Closes the connection (config deleted or replaced).
    async fn close(&self);
}
