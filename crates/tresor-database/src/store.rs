//! What the engine keeps in its storage view (behind the barrier):
//! `config/<name>`, `role/<name>`, `static-role/<name>` and `wal/<id>` (see
//! [`crate::wal`]). Entries hold secrets (the connection's password, static roles'
//! passwords), so none of these types implements `Debug`.

use crate::plugin::ConnectionConfig;
use serde::{Deserialize, Serialize};
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{Data, Error, Value};
use tresor_storage::{Backend, View};

pub const CONFIG: &str = "config/";
pub const ROLE: &str = "role/";
pub const STATIC_ROLE: &str = "static-role/";

/// Connection details that are never shown.
const HIDDEN: &[&str] = &["password", "private_key"];

/// `config/<name>`: Vault's `DatabaseConfig`.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct DbConfig {
    pub plugin_name: String,
    #[serde(default)]
    pub plugin_version: String,
    /// Every field of the config request that is not the engine's own, as written.
    #[serde(default)]
    pub connection_details: Data,
    #[serde(default)]
    pub allowed_roles: Vec<String>,
    #[serde(default)]
    pub root_credentials_rotate_statements: Vec<String>,
    #[serde(default)]
    pub password_policy: String,
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl DbConfig {
    pub fn detail(&self, key: &str) -> String {
        self.connection_details
            .get(key)
            .map(as_text)
            .unwrap_or_default()
    }

    /// What the plugin is initialised with.
    pub fn connection(&self) -> ConnectionConfig {
        let options = self
            .connection_details
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "connection_url" | "username" | "password"))
            .map(|(k, v)| (k.clone(), as_text(v)))
            .collect();
        ConnectionConfig {
            connection_url: self.detail("connection_url"),
            username: self.detail("username"),
            password: SecretString::new(self.detail("password")),
            options,
        }
    }

    /// Whether `role` may use this connection (`allowed_roles` entries may hold `*`).
    pub fn allows(&self, role: &str) -> bool {
        self.allowed_roles.iter().any(|p| glob(p, role))
    }

    /// The read answer: connection details without the password, and a URL whose
    /// literal password (if any) is masked.
    pub fn to_data(&self) -> Data {
        let mut details = self.connection_details.clone();
        for k in HIDDEN {
            details.remove(*k);
        }
        if let Some(Value::String(url)) = details.get_mut("connection_url") {
            *url = redact_url(url);
        }
        let mut d = Data::new();
        d.insert("plugin_name".into(), self.plugin_name.clone().into());
        d.insert("plugin_version".into(), self.plugin_version.clone().into());
        d.insert("connection_details".into(), Value::Object(details));
        d.insert("allowed_roles".into(), self.allowed_roles.clone().into());
        d.insert(
            "root_credentials_rotate_statements".into(),
            self.root_credentials_rotate_statements.clone().into(),
        );
        d.insert(
            "password_policy".into(),
            self.password_policy.clone().into(),
        );
        d
    }
}

/// `scheme://user:secret@host...` → `scheme://user:xxxxx@host...`; a templated
/// `{{password}}` is shown as written.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or("");
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = authority.get(..at).unwrap_or("");
    match userinfo.split_once(':') {
        Some((user, pass)) if pass != "{{password}}" && !pass.is_empty() => {
            format!("{scheme}://{user}:xxxxx{}", rest.get(at..).unwrap_or(""))
        }
        _ => url.to_owned(),
    }
}

/// Go's `glob.Glob`: `*` matches any run of characters; nothing else is special.
pub fn glob(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == value;
    }
    let (first, last) = (
        parts.first().copied().unwrap_or(""),
        parts.last().copied().unwrap_or(""),
    );
    let Some(mut rest) = value.strip_prefix(first) else {
        return false;
    };
    for middle in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        match rest.find(middle) {
            Some(i) => rest = rest.get(i + middle.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// `role/<name>`: a dynamic role.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Role {
    pub db_name: String,
    #[serde(default)]
    pub creation_statements: Vec<String>,
    #[serde(default)]
    pub revocation_statements: Vec<String>,
    #[serde(default)]
    pub rollback_statements: Vec<String>,
    #[serde(default)]
    pub renew_statements: Vec<String>,
    #[serde(default)]
    pub default_ttl: u64,
    #[serde(default)]
    pub max_ttl: u64,
    #[serde(default)]
    pub credential_config: Data,
}

/// `static-role/<name>`: a database user whose password the engine rotates.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct StaticRole {
    pub db_name: String,
    pub username: String,
    /// Seconds; zero when a schedule drives rotation.
    #[serde(default)]
    pub rotation_period: u64,
    /// A cron expression (five fields), or empty.
    #[serde(default)]
    pub rotation_schedule: String,
    #[serde(default)]
    pub rotation_window: u64,
    #[serde(default)]
    pub rotation_statements: Vec<String>,
    #[serde(default)]
    pub credential_config: Data,
    /// The current password (only the engine and the database know it).
    #[serde(default)]
    pub password: String,
    /// Unix seconds and nanoseconds of the last rotation by the engine; 0 before any.
    #[serde(default)]
    pub last_rotation_secs: i64,
    #[serde(default)]
    pub last_rotation_nanos: u32,
    /// Unix seconds of the next scheduled rotation.
    #[serde(default)]
    pub next_rotation: i64,
}

pub async fn load<T: serde::de::DeserializeOwned>(
    storage: &View,
    prefix: &str,
    name: &str,
) -> Result<Option<T>, Error> {
    get_json(storage, &format!("{prefix}{name}")).await
}

pub async fn save<T: Serialize>(
    storage: &View,
    prefix: &str,
    name: &str,
    value: &T,
) -> Result<(), Error> {
    put_json(storage, &format!("{prefix}{name}"), value).await
}

pub async fn delete(storage: &View, prefix: &str, name: &str) -> Result<(), Error> {
    storage.delete(&format!("{prefix}{name}")).await?;
    Ok(())
}

/// A `LIST` answer: `{"keys": [...]}`, or 404 when there is nothing.
pub async fn list(storage: &View, prefix: &str) -> Result<tresor_sdk::Response, Error> {
    let keys = storage.list(prefix).await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(tresor_sdk::Response::data(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_go() {
        assert!(glob("*", "anything"));
        assert!(glob("web-*", "web-1"));
        assert!(glob("*-ro", "web-ro"));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c"));
        assert!(!glob("web", "web2"));
        assert!(glob("ab*ab", "abab"));
        assert!(!glob("ab*ab", "aba"));
    }

    #[test]
    fn urls_lose_literal_passwords_only() {
        assert_eq!(
            redact_url("postgresql://u:secret@h:5432/db?sslmode=disable"),
            "postgresql://u:xxxxx@h:5432/db?sslmode=disable"
        );
        let templated = "postgresql://{{username}}:{{password}}@h/db";
        assert_eq!(redact_url(templated), templated);
        assert_eq!(redact_url("host=h user=u"), "host=h user=u");
    }
}
