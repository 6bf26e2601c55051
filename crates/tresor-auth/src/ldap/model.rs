//! What the method stores: the config under `config`, users under `user/<name>` and
//! groups under `group/<name>` (names lower-cased unless `case_sensitive_names`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::token_params::TokenParams;
use tresor_sdk::Error;
use tresor_storage::View;

/// Vault's default group filter.
pub const DEFAULT_GROUP_FILTER: &str =
    "(|(memberUid={{.Username}})(member={{.UserDN}})(uniqueMember={{.UserDN}}))";
pub const DEFAULT_USER_FILTER: &str = "({{.UserAttr}}={{.Username}})";

/// The config, with Vault's defaults for what was never written.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub url: String,
    pub userdn: String,
    pub binddn: String,
    #[serde(with = "secret")]
    pub bindpass: SecretString,
    pub userattr: String,
    pub userfilter: String,
    pub upndomain: String,
    pub groupdn: String,
    pub groupfilter: String,
    pub groupattr: String,
    pub certificate: String,
    pub client_tls_cert: String,
    #[serde(with = "secret")]
    pub client_tls_key: SecretString,
    pub insecure_tls: bool,
    pub starttls: bool,
    pub tls_min_version: String,
    pub tls_max_version: String,
    pub deny_null_bind: bool,
    pub discoverdn: bool,
    pub case_sensitive_names: bool,
    pub use_token_groups: bool,
    pub use_pre111_group_cn_behavior: bool,
    pub anonymous_group_search: bool,
    pub username_as_alias: bool,
    /// Seconds.
    pub request_timeout: u64,
    /// Seconds.
    pub connection_timeout: u64,
    pub dereference_aliases: String,
    pub max_page_size: i64,
    pub token: TokenParams,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            url: "ldap://127.0.0.1".into(),
            userdn: String::new(),
            binddn: String::new(),
            bindpass: SecretString::default(),
            userattr: "cn".into(),
            userfilter: DEFAULT_USER_FILTER.into(),
            upndomain: String::new(),
            groupdn: String::new(),
            groupfilter: DEFAULT_GROUP_FILTER.into(),
            groupattr: "cn".into(),
            certificate: String::new(),
            client_tls_cert: String::new(),
            client_tls_key: SecretString::default(),
            insecure_tls: false,
            starttls: false,
            tls_min_version: "tls12".into(),
            tls_max_version: "tls12".into(),
            deny_null_bind: true,
            discoverdn: false,
            case_sensitive_names: false,
            use_token_groups: false,
            use_pre111_group_cn_behavior: false,
            anonymous_group_search: false,
            username_as_alias: false,
            request_timeout: 90,
            connection_timeout: 30,
            dereference_aliases: "never".into(),
            max_page_size: 0,
            token: TokenParams::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("userdn", &self.userdn)
            .field("binddn", &self.binddn)
            .field("bindpass", &self.bindpass)
            .field("groupdn", &self.groupdn)
            .field("client_tls_key", &self.client_tls_key)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Whether the user is found by a search (rather than by building their DN).
    pub fn searches_for_users(&self) -> bool {
        self.discoverdn || (!self.binddn.is_empty() && !self.bindpass.is_empty())
    }

    /// Vault's time limits, where 0 means the default rather than "forever".
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(if self.request_timeout == 0 {
            90
        } else {
            self.request_timeout
        })
    }

    pub fn connection_timeout(&self) -> Duration {
        Duration::from_secs(if self.connection_timeout == 0 {
            30
        } else {
            self.connection_timeout
        })
    }

    /// A user or group name as the storage keys hold it.
    pub fn canonical(&self, name: &str) -> String {
        if self.case_sensitive_names {
            name.to_owned()
        } else {
            name.to_lowercase()
        }
    }
}

/// Secrets are stored (behind the barrier) on purpose, and only through this.
mod secret {
    use super::*;

    pub fn serialize<S: Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        String::deserialize(d).map(SecretString::from)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserEntry {
    pub groups: Vec<String>,
    pub policies: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupEntry {
    pub policies: Vec<String>,
}

pub async fn load_config(storage: &View) -> Result<Config, Error> {
    Ok(get_json(storage, "config").await?.unwrap_or_default())
}

pub async fn save_config(storage: &View, config: &Config) -> Result<(), Error> {
    put_json(storage, "config", config).await
}

pub async fn load_user(storage: &View, name: &str) -> Result<Option<UserEntry>, Error> {
    get_json(storage, &format!("user/{name}")).await
}

pub async fn load_group(storage: &View, name: &str) -> Result<Option<GroupEntry>, Error> {
    get_json(storage, &format!("group/{name}")).await
}

/// Vault's `policyutil.ParsePolicies`: trimmed, lower-cased, sorted, deduplicated;
/// `root` stands alone.
pub fn parse_policies(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = list
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if out.iter().any(|p| p == "root") {
        return vec!["root".to_owned()];
    }
    out.sort();
    out.dedup();
    out
}

/// Vault's `strutil.RemoveDuplicates`: trimmed, empty names dropped, lower-cased when
/// asked, sorted, deduplicated.
pub fn remove_duplicates(list: &[String], lower: bool) -> Vec<String> {
    let mut out: Vec<String> = list
        .iter()
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .map(|g| {
            if lower {
                g.to_lowercase()
            } else {
                g.to_owned()
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
