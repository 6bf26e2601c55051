//! What KV version 2 stores: the mount's config, each key's metadata, and each version's
//! data, under `v2/config`, `v2/metadata/<key>` and `v2/versions/<sha256(key)>/<n>`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use tresor_sdk::duration::format_go;
use tresor_sdk::{parse_rfc3339, Data};

/// Versions kept per key when neither the key nor the mount sets a limit (Vault's value).
pub const DEFAULT_MAX_VERSIONS: u64 = 10;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    pub max_versions: u64,
    pub cas_required: bool,
    /// Seconds; 0 keeps versions until deleted.
    pub delete_version_after: u64,
}

impl Config {
    pub fn to_data(&self) -> Data {
        let mut d = Data::new();
        d.insert("max_versions".into(), self.max_versions.into());
        d.insert("cas_required".into(), self.cas_required.into());
        d.insert(
            "delete_version_after".into(),
            format_go(Duration::from_secs(self.delete_version_after)).into(),
        );
        d.insert("metadata_cas_required".into(), false.into());
        d
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct VersionMeta {
    pub created_time: String,
    /// Empty, or when the version was (or will be) deleted.
    pub deletion_time: String,
    pub destroyed: bool,
}

impl VersionMeta {
    /// Deleted: a deletion time that has come.
    pub fn is_deleted(&self, now: SystemTime) -> bool {
        !self.deletion_time.is_empty()
            && parse_rfc3339(&self.deletion_time).is_none_or(|t| t <= now)
    }

    pub fn to_json(&self) -> Value {
        json!({ "created_time": self.created_time, "deletion_time": self.deletion_time, "destroyed": self.destroyed })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KeyMeta {
    pub versions: BTreeMap<u64, VersionMeta>,
    pub current_version: u64,
    pub oldest_version: u64,
    pub max_versions: u64,
    pub cas_required: bool,
    pub delete_version_after: u64,
    pub custom_metadata: Option<BTreeMap<String, String>>,
    pub created_time: String,
    pub updated_time: String,
}

impl KeyMeta {
    /// The versions kept: the key's limit, else the mount's, else Vault's default.
    pub fn effective_max_versions(&self, config: &Config) -> u64 {
        [self.max_versions, config.max_versions]
            .into_iter()
            .find(|m| *m > 0)
            .unwrap_or(DEFAULT_MAX_VERSIONS)
    }

    /// The metadata block of a data answer for `version`.
    pub fn version_block(&self, version: u64) -> Value {
        let v = self.versions.get(&version).cloned().unwrap_or_default();
        json!({
            "created_time": v.created_time,
            "custom_metadata": self.custom_metadata,
            "deletion_time": v.deletion_time,
            "destroyed": v.destroyed,
            "version": version,
        })
    }

    pub fn to_data(&self) -> Data {
        let versions: serde_json::Map<String, Value> = self
            .versions
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_json()))
            .collect();
        let mut d = Data::new();
        d.insert("cas_required".into(), self.cas_required.into());
        d.insert("created_time".into(), self.created_time.clone().into());
        d.insert("current_metadata_version".into(), 0.into());
        d.insert("current_version".into(), self.current_version.into());
        d.insert("custom_metadata".into(), json!(self.custom_metadata));
        d.insert(
            "delete_version_after".into(),
            format_go(Duration::from_secs(self.delete_version_after)).into(),
        );
        d.insert("max_versions".into(), self.max_versions.into());
        d.insert("metadata_cas_required".into(), false.into());
        d.insert("oldest_version".into(), self.oldest_version.into());
        d.insert("updated_time".into(), self.updated_time.clone().into());
        d.insert("versions".into(), Value::Object(versions));
        d
    }
}

/// One version's data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Version {
    pub data: Data,
}

pub fn metadata_key(key: &str) -> String {
    format!("metadata/{key}")
}

pub fn version_key(key: &str, version: u64) -> String {
    let hash = tresor_crypto::digest::sha256(key.as_bytes());
    format!("versions/{}/{version}", hex::encode(hash))
}
