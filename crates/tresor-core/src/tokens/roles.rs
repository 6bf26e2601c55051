//! Token roles (`auth/token/roles/<name>`): presets and limits for `create/<role>`.

use serde::{Deserialize, Serialize};
use serde_json::json;
use tresor_sdk::Data;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Role {
    pub name: String,
    pub allowed_policies: Vec<String>,
    pub disallowed_policies: Vec<String>,
    pub orphan: bool,
    pub renewable: bool,
    pub path_suffix: String,
    pub explicit_max_ttl: u64,
    pub period: u64,
    pub token_type: String,
    pub token_no_default_policy: bool,
    pub token_ttl: u64,
    pub token_max_ttl: u64,
}

impl Role {
    pub fn to_data(&self) -> Data {
        let v = json!({
            "name": self.name,
            "allowed_policies": self.allowed_policies,
            "allowed_policies_glob": [],
            "disallowed_policies": self.disallowed_policies,
            "disallowed_policies_glob": [],
            "allowed_entity_aliases": null,
            "orphan": self.orphan,
            "renewable": self.renewable,
            "path_suffix": self.path_suffix,
            "explicit_max_ttl": self.explicit_max_ttl,
            "token_explicit_max_ttl": self.explicit_max_ttl,
            "period": self.period,
            "token_period": self.period,
            "token_type": if self.token_type.is_empty() { "default-service" } else { &self.token_type },
            "token_no_default_policy": self.token_no_default_policy,
        });
        v.as_object().cloned().unwrap_or_default()
    }
}
