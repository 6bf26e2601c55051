use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A group whose membership is set through the API.
pub const GROUP_TYPE_INTERNAL: &str = "internal";
/// A group whose member entities come from logins: an entity joins when its login
/// names the group's alias, and leaves when a later login on that mount no longer does.
pub const GROUP_TYPE_EXTERNAL: &str = "external";

/// A group. Its policies apply to its member entities and, through `member_group_ids`,
/// to the members of its member groups (at any depth). Parents are not stored: they
/// follow from the other groups' `member_group_ids`. An external group has no member
/// groups and at most one alias, stored inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default = "internal")]
    pub kind: String,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub member_entity_ids: Vec<String>,
    #[serde(default)]
    pub member_group_ids: Vec<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// External groups only: the name the group has on one auth mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<GroupAlias>,
    pub creation_time: String,
    pub last_update_time: String,
    /// Counts the writes to the group.
    #[serde(default)]
    pub modify_index: u64,
}

impl Group {
    pub fn is_external(&self) -> bool {
        self.kind == GROUP_TYPE_EXTERNAL
    }
}

/// The name an external group has on one auth mount (a team or claim value that a
/// login there reports as a group alias).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAlias {
    pub id: String,
    /// The ID of the group holding this alias.
    pub canonical_id: String,
    pub name: String,
    pub mount_accessor: String,
    /// The mount's type and path when the alias was last written; shown when the mount
    /// table no longer knows the accessor.
    #[serde(default)]
    pub mount_type: String,
    #[serde(default)]
    pub mount_path: String,
    pub creation_time: String,
    pub last_update_time: String,
}

fn internal() -> String {
    GROUP_TYPE_INTERNAL.to_owned()
}
