//! What the identity store keeps: entities (with their aliases inside) and groups (with
//! an external group's alias inside). Each is one JSON entry in storage, under
//! `entity/<id>` and `group/<id>`.

mod entity;
mod group;

pub use entity::{Alias, Entity};
pub use group::{Group, GroupAlias, GROUP_TYPE_EXTERNAL, GROUP_TYPE_INTERNAL};

/// The only namespace tresor has, as Vault names it in `namespace_id`.
pub const NAMESPACE_ROOT: &str = "root";

pub fn entity_key(id: &str) -> String {
    format!("{}{id}", ENTITY_PREFIX)
}

pub fn group_key(id: &str) -> String {
    format!("{}{id}", GROUP_PREFIX)
}

pub const ENTITY_PREFIX: &str = "entity/";
pub const GROUP_PREFIX: &str = "group/";
