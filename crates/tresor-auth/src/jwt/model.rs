//! What the method stores: its configuration under `config` and one entry per role
//! under `role/<lower-cased name>`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::token_params::TokenParams;
use tresor_sdk::Error;
use tresor_storage::View;

pub const CONFIG_KEY: &str = "config";

/// The client secret is stored (behind the barrier) on purpose, and shown nowhere.
mod secret {
    use super::*;

    pub fn serialize<S: Serializer>(s: &SecretString, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<SecretString, D::Error> {
        String::deserialize(de).map(SecretString::from)
    }
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub oidc_discovery_url: String,
    pub oidc_discovery_ca_pem: String,
    pub oidc_client_id: String,
    #[serde(with = "secret")]
    pub oidc_client_secret: SecretString,
    pub oidc_response_mode: String,
    pub oidc_response_types: Vec<String>,
    pub jwks_url: String,
    pub jwks_ca_pem: String,
    pub jwt_validation_pubkeys: Vec<String>,
    pub jwt_supported_algs: Vec<String>,
    pub bound_issuer: String,
    pub default_role: String,
    pub namespace_in_state: bool,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("oidc_discovery_url", &self.oidc_discovery_url)
            .field("oidc_client_id", &self.oidc_client_id)
            .field("oidc_client_secret", &self.oidc_client_secret)
            .field("jwks_url", &self.jwks_url)
            .field("jwt_validation_pubkeys", &self.jwt_validation_pubkeys.len())
            .field("bound_issuer", &self.bound_issuer)
            .finish_non_exhaustive()
    }
}

/// Where signing keys come from: exactly one source is configured.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    Static(&'a [String]),
    Jwks { url: &'a str, ca_pem: &'a str },
    Discovery { url: &'a str, ca_pem: &'a str },
}

impl Config {
    pub fn key_source(&self) -> Option<KeySource<'_>> {
        if !self.jwt_validation_pubkeys.is_empty() {
            Some(KeySource::Static(&self.jwt_validation_pubkeys))
        } else if !self.jwks_url.is_empty() {
            Some(KeySource::Jwks {
                url: &self.jwks_url,
                ca_pem: &self.jwks_ca_pem,
            })
        } else if !self.oidc_discovery_url.is_empty() {
            Some(KeySource::Discovery {
                url: &self.oidc_discovery_url,
                ca_pem: &self.oidc_discovery_ca_pem,
            })
        } else {
            None
        }
    }

    /// Whether the browser flow is configured (discovery plus client credentials).
    pub fn oidc_flow(&self) -> bool {
        !self.oidc_discovery_url.is_empty()
            && !self.oidc_client_id.is_empty()
            && !self.oidc_client_secret.is_empty()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Role {
    pub role_type: String,
    /// Leeways in seconds: 0 is the default, negative is none.
    pub expiration_leeway: i64,
    pub not_before_leeway: i64,
    pub clock_skew_leeway: i64,
    pub bound_audiences: Option<Vec<String>>,
    pub bound_subject: String,
    pub bound_claims_type: String,
    pub bound_claims: Option<Map<String, Value>>,
    pub claim_mappings: Option<BTreeMap<String, String>>,
    pub user_claim: String,
    pub user_claim_json_pointer: bool,
    pub groups_claim: String,
    pub oidc_scopes: Option<Vec<String>>,
    pub allowed_redirect_uris: Option<Vec<String>>,
    pub callback_mode: String,
    pub poll_interval: i64,
    pub verbose_oidc_logging: bool,
    /// Seconds; 0 is unset.
    pub max_age: u64,
    pub oidc_disable_confirmation: bool,
    /// The legacy `num_uses`, shown on read while set.
    pub legacy_num_uses: u64,
    pub token: TokenParams,
}

impl Role {
    pub fn audiences(&self) -> &[String] {
        self.bound_audiences.as_deref().unwrap_or_default()
    }
}

pub async fn load_config(storage: &View) -> Result<Option<Config>, Error> {
    get_json(storage, CONFIG_KEY).await
}

pub async fn save_config(storage: &View, config: &Config) -> Result<(), Error> {
    put_json(storage, CONFIG_KEY, config).await
}

pub fn role_key(name: &str) -> String {
    format!("role/{name}")
}

pub async fn load_role(storage: &View, name: &str) -> Result<Option<Role>, Error> {
    get_json(storage, &role_key(name)).await
}

pub async fn save_role(storage: &View, name: &str, role: &Role) -> Result<(), Error> {
    put_json(storage, &role_key(name), role).await
}
