//! One mount as stored and as `sys/mounts` shows it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tresor_sdk::MountInfo;

/// Which table a mount belongs to: secret engines (`sys/mounts`) or auth methods
/// (`sys/auth`, routed under `auth/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    Secrets,
    Auth,
}

impl Table {
    /// The barrier prefix of this table's mount storage.
    pub fn storage_prefix(self) -> &'static str {
        match self {
            Table::Secrets => "logical/",
            Table::Auth => "auth/",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountConfig {
    /// Seconds; 0 means the system default.
    pub default_lease_ttl: u64,
    pub max_lease_ttl: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing_visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passthrough_request_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_response_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_non_hmac_request_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_non_hmac_response_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountEntry {
    pub table: Table,
    /// With its trailing slash; for auth methods, relative to `auth/`.
    pub path: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub uuid: String,
    pub accessor: String,
    pub config: MountConfig,
    /// `None` shows as JSON `null`, as Vault does for engines without options.
    pub options: Option<BTreeMap<String, String>>,
    pub local: bool,
    pub seal_wrap: bool,
}

impl MountEntry {
    /// The path requests are routed on (`secret/`, `auth/userpass/`).
    pub fn route_path(&self) -> String {
        match self.table {
            Table::Secrets => self.path.clone(),
            Table::Auth => format!("auth/{}", self.path),
        }
    }

    pub fn storage_prefix(&self) -> String {
        format!("{}{}/", self.table.storage_prefix(), self.uuid)
    }

    /// What the backend is told about its mount, with system TTLs filled in.
    pub fn info(&self, system_default: Duration, system_max: Duration) -> MountInfo {
        let pick = |own: u64, system: Duration| {
            if own == 0 {
                system
            } else {
                Duration::from_secs(own)
            }
        };
        let max = pick(self.config.max_lease_ttl, system_max);
        MountInfo {
            path: self.path.clone(),
            kind: self.kind.clone(),
            accessor: self.accessor.clone(),
            default_lease_ttl: pick(self.config.default_lease_ttl, system_default).min(max),
            max_lease_ttl: max,
            options: self.options.clone().unwrap_or_default(),
        }
    }

    /// The entry as `sys/mounts` and `sys/auth` list it.
    pub fn to_json(&self) -> Value {
        let mut config = json!({
            "default_lease_ttl": self.config.default_lease_ttl,
            "max_lease_ttl": self.config.max_lease_ttl,
            "force_no_cache": false,
        });
        if let Value::Object(c) = &mut config {
            let c_ref = &self.config;
            if let Some(v) = &c_ref.listing_visibility {
                c.insert("listing_visibility".into(), v.clone().into());
            }
            for (key, list) in [
                (
                    "passthrough_request_headers",
                    &c_ref.passthrough_request_headers,
                ),
                ("allowed_response_headers", &c_ref.allowed_response_headers),
                (
                    "audit_non_hmac_request_keys",
                    &c_ref.audit_non_hmac_request_keys,
                ),
                (
                    "audit_non_hmac_response_keys",
                    &c_ref.audit_non_hmac_response_keys,
                ),
            ] {
                if !list.is_empty() {
                    c.insert(key.into(), list.clone().into());
                }
            }
            if let Some(t) = &c_ref.token_type {
                c.insert("token_type".into(), t.clone().into());
            }
        }
        let mut out = json!({
            "accessor": self.accessor,
            "config": config,
            "description": self.description,
            "external_entropy_access": false,
            "local": self.local,
            "options": self.options,
            "plugin_version": "",
            "running_plugin_version": format!("v{}+builtin.tresor", env!("CARGO_PKG_VERSION")),
            "running_sha256": "",
            "seal_wrap": self.seal_wrap,
            "type": self.kind,
            "uuid": self.uuid,
        });
        // Vault reports a deprecation status for catalog plugins, not for core mounts.
        if !matches!(
            self.kind.as_str(),
            "system" | "cubbyhole" | "identity" | "token"
        ) {
            if let Value::Object(o) = &mut out {
                o.insert("deprecation_status".into(), "supported".into());
            }
        }
        out
    }
}
