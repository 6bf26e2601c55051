use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The one group type tresor manages: membership set through the API.
pub const GROUP_TYPE_INTERNAL: &str = "internal";

/// An internal group. Its policies apply to its member entities and, through
/// `member_group_ids`, to the members of its member groups (at any depth). Parents are
/// not stored: they follow from the other groups' `member_group_ids`.
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
    pub creation_time: String,
    pub last_update_time: String,
    /// Counts the writes to the group.
    #[serde(default)]
    pub modify_index: u64,
}

fn internal() -> String {
    GROUP_TYPE_INTERNAL.to_owned()
}
