//! What the engine keeps in its storage view: the connection (`config/connection`), the
//! lease terms (`config/lease`) and the roles (`role/<name>`), as JSON.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::Error;
use tresor_storage::View;

pub const CONNECTION_KEY: &str = "config/connection";
pub const LEASE_KEY: &str = "config/lease";
pub const ROLE_PREFIX: &str = "role/";

/// How to reach the management API, and as whom.
pub struct Connection {
    pub uri: String,
    pub username: String,
    pub password: SecretString,
    pub password_policy: String,
    pub username_template: String,
}

impl fmt::Debug for Connection {
    /// The password is never shown; the URI may carry credentials, so it is not either.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("username", &self.username)
            .field("password_policy", &self.password_policy)
            .field("username_template", &self.username_template)
            .finish_non_exhaustive()
    }
}

/// The stored form of [`Connection`], with Vault's field names.
#[derive(Serialize, Deserialize)]
struct StoredConnection<P> {
    connection_uri: String,
    username: String,
    password: P,
    #[serde(default)]
    password_policy: String,
    #[serde(default)]
    username_template: String,
}

pub async fn load_connection(storage: &View) -> Result<Option<Connection>, Error> {
    let stored: Option<StoredConnection<String>> = get_json(storage, CONNECTION_KEY).await?;
    Ok(stored.map(|s| Connection {
        uri: s.connection_uri,
        username: s.username,
        // Moved, not copied: the only plain copy is dropped inside the secret type.
        password: SecretString::new(s.password),
        password_policy: s.password_policy,
        username_template: s.username_template,
    }))
}

pub async fn save_connection(storage: &View, c: &Connection) -> Result<(), Error> {
    let stored = StoredConnection {
        connection_uri: c.uri.clone(),
        username: c.username.clone(),
        password: c.password.expose(),
        password_policy: c.password_policy.clone(),
        username_template: c.username_template.clone(),
    };
    put_json(storage, CONNECTION_KEY, &stored).await
}

/// The terms of every lease the engine hands out; zero means the mount's.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct LeaseConfig {
    /// Seconds.
    pub ttl: u64,
    /// Seconds.
    pub max_ttl: u64,
}

impl LeaseConfig {
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl)
    }

    pub fn max_ttl(&self) -> Duration {
        Duration::from_secs(self.max_ttl)
    }
}

pub async fn load_lease(storage: &View) -> Result<Option<LeaseConfig>, Error> {
    get_json(storage, LEASE_KEY).await
}

pub async fn save_lease(storage: &View, lease: &LeaseConfig) -> Result<(), Error> {
    put_json(storage, LEASE_KEY, lease).await
}

/// What a vhost grants: three regular expressions over resource names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VhostPermission {
    pub configure: String,
    pub write: String,
    pub read: String,
}

/// What a topic exchange grants: two regular expressions over routing keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicPermission {
    pub write: String,
    pub read: String,
}

/// What the credentials of a role may do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Role {
    /// Comma-separated RabbitMQ user tags, passed on as written.
    pub tags: String,
    pub vhosts: BTreeMap<String, VhostPermission>,
    /// Vhost, then exchange.
    pub vhost_topics: BTreeMap<String, BTreeMap<String, TopicPermission>>,
}

pub async fn load_role(storage: &View, name: &str) -> Result<Option<Role>, Error> {
    get_json(storage, &format!("{ROLE_PREFIX}{name}")).await
}

pub async fn save_role(storage: &View, name: &str, role: &Role) -> Result<(), Error> {
    put_json(storage, &format!("{ROLE_PREFIX}{name}"), role).await
}

/// Vault's `GenericNameRegex`: ASCII word characters, with `-` and `.` inside.
pub fn valid_name(name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            word(first) && word(last) && bytes.iter().all(|&b| word(b) || b == b'-' || b == b'.')
        }
        _ => false,
    }
}

/// A role name from the path; one Vault's pattern would not match is a path no route
/// serves (404).
pub fn path_name(raw: &str) -> Result<(), Error> {
    if valid_name(raw) {
        Ok(())
    } else {
        Err(Error::UnsupportedPath)
    }
}
