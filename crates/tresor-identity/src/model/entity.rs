use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A person or machine, known to the identity store under one ID whatever auth method it
/// logs in with. Its aliases are stored inside it, so an entity and its aliases are
/// written (and deleted) together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Sanitised: lower-cased, sorted, without duplicates, never `root`.
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub aliases: Vec<Alias>,
    /// RFC 3339, as Vault prints times.
    pub creation_time: String,
    pub last_update_time: String,
}

impl Entity {
    /// This entity's alias on the mount with `accessor` (an entity has at most one).
    pub fn alias_on(&self, accessor: &str) -> Option<&Alias> {
        self.aliases.iter().find(|a| a.mount_accessor == accessor)
    }
}

/// The name an entity carries on one auth mount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    pub id: String,
    /// The ID of the entity holding this alias.
    pub canonical_id: String,
    pub name: String,
    pub mount_accessor: String,
    /// The mount's type and path when the alias was last written; shown when the mount
    /// table no longer knows the accessor.
    #[serde(default)]
    pub mount_type: String,
    #[serde(default)]
    pub mount_path: String,
    /// Set by the auth method at login.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Set through the API.
    #[serde(default)]
    pub custom_metadata: BTreeMap<String, String>,
    pub creation_time: String,
    pub last_update_time: String,
}
