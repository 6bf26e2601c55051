//! The JSON shapes Vault answers for entities, aliases, groups and group aliases (reads
//! and list `key_info`). Empty maps and lists show as `null` where Vault shows them so.

use crate::model::{Alias, Entity, Group, GroupAlias, NAMESPACE_ROOT};
use crate::mounts::AuthMounts;
use crate::store::EntityGroups;
use serde_json::json;
use std::collections::BTreeMap;
use tresor_sdk::{Data, Value};

fn map_or_null(m: &BTreeMap<String, String>) -> Value {
    if m.is_empty() {
        Value::Null
    } else {
        json!(m)
    }
}

fn list_or_null(v: &[String]) -> Value {
    if v.is_empty() {
        Value::Null
    } else {
        json!(v)
    }
}

fn object(v: Value) -> Data {
    match v {
        Value::Object(map) => map,
        _ => Data::new(),
    }
}

/// An alias's mount path and type: from the mount table, else as last stored.
fn mount_by(accessor: &str, path: &str, kind: &str, mounts: &dyn AuthMounts) -> (String, String) {
    match mounts.by_accessor(accessor) {
        Some(m) => (m.full_path(), m.kind),
        None => (path.to_owned(), kind.to_owned()),
    }
}

fn mount_of(alias: &Alias, mounts: &dyn AuthMounts) -> (String, String) {
    mount_by(
        &alias.mount_accessor,
        &alias.mount_path,
        &alias.mount_type,
        mounts,
    )
}

fn group_mount_of(alias: &GroupAlias, mounts: &dyn AuthMounts) -> (String, String) {
    mount_by(
        &alias.mount_accessor,
        &alias.mount_path,
        &alias.mount_type,
        mounts,
    )
}

/// An alias as `entity-alias/id/<id>` shows it (`standalone`) or as it appears inside
/// its entity (without `namespace_id`).
pub fn alias(alias: &Alias, mounts: &dyn AuthMounts, standalone: bool) -> Value {
    let (path, kind) = mount_of(alias, mounts);
    let mut v = json!({
        "canonical_id": alias.canonical_id,
        "creation_time": alias.creation_time,
        "custom_metadata": alias.custom_metadata,
        "id": alias.id,
        "last_update_time": alias.last_update_time,
        "local": false,
        "merged_from_canonical_ids": null,
        "metadata": map_or_null(&alias.metadata),
        "mount_accessor": alias.mount_accessor,
        "mount_path": path,
        "mount_type": kind,
        "name": alias.name,
    });
    if let (true, Value::Object(m)) = (standalone, &mut v) {
        m.insert("namespace_id".into(), NAMESPACE_ROOT.into());
    }
    v
}

pub fn entity(entity: &Entity, groups: &EntityGroups, mounts: &dyn AuthMounts) -> Data {
    let aliases: Vec<Value> = entity
        .aliases
        .iter()
        .map(|a| alias(a, mounts, false))
        .collect();
    let all_groups: Vec<&String> = groups.direct.iter().chain(&groups.inherited).collect();
    object(json!({
        "aliases": aliases,
        "creation_time": entity.creation_time,
        "direct_group_ids": groups.direct,
        "disabled": entity.disabled,
        "group_ids": all_groups,
        "id": entity.id,
        "inherited_group_ids": groups.inherited,
        "last_update_time": entity.last_update_time,
        "merged_entity_ids": null,
        "metadata": map_or_null(&entity.metadata),
        "name": entity.name,
        "namespace_id": NAMESPACE_ROOT,
        "policies": entity.policies,
    }))
}

pub fn group(group: &Group, parents: &[String], mounts: &dyn AuthMounts) -> Data {
    let alias = match &group.alias {
        Some(a) => group_alias_inside(a, mounts),
        None => json!({}),
    };
    object(json!({
        "alias": alias,
        "creation_time": group.creation_time,
        "id": group.id,
        "last_update_time": group.last_update_time,
        "member_entity_ids": list_or_null(&group.member_entity_ids),
        "member_group_ids": list_or_null(&group.member_group_ids),
        "metadata": map_or_null(&group.metadata),
        "modify_index": group.modify_index,
        "name": group.name,
        "namespace_id": NAMESPACE_ROOT,
        "parent_group_ids": list_or_null(parents),
        "policies": list_or_null(&group.policies),
        "type": group.kind,
    }))
}

/// `key_info` of `LIST entity/id`: the name, and the aliases when there are any.
pub fn entity_info(entity: &Entity, mounts: &dyn AuthMounts) -> Value {
    let mut v = json!({ "name": entity.name });
    if let (false, Value::Object(m)) = (entity.aliases.is_empty(), &mut v) {
        let aliases: Vec<Value> = entity
            .aliases
            .iter()
            .map(|a| {
                let (path, kind) = mount_of(a, mounts);
                json!({
                    "id": a.id,
                    "mount_accessor": a.mount_accessor,
                    "mount_path": path,
                    "mount_type": kind,
                    "name": a.name,
                })
            })
            .collect();
        m.insert("aliases".into(), aliases.into());
    }
    v
}

/// `key_info` of `LIST entity-alias/id`.
pub fn alias_info(alias: &Alias, mounts: &dyn AuthMounts) -> Value {
    let (path, kind) = mount_of(alias, mounts);
    json!({
        "canonical_id": alias.canonical_id,
        "custom_metadata": alias.custom_metadata,
        "local": false,
        "metadata": map_or_null(&alias.metadata),
        "mount_accessor": alias.mount_accessor,
        "mount_path": path,
        "mount_type": kind,
        "name": alias.name,
    })
}

/// `key_info` of `LIST group/id`: with the alias when the group has one.
pub fn group_info(group: &Group, parents: usize, mounts: &dyn AuthMounts) -> Value {
    let mut v = json!({
        "name": group.name,
        "num_member_entities": group.member_entity_ids.len(),
        "num_parent_groups": parents,
    });
    if let (Some(a), Value::Object(m)) = (&group.alias, &mut v) {
        let (path, kind) = group_mount_of(a, mounts);
        let alias = json!({
            "id": a.id,
            "mount_accessor": a.mount_accessor,
            "mount_path": path,
            "mount_type": kind,
            "name": a.name,
        });
        m.insert("alias".into(), alias);
    }
    v
}

/// A group alias as it appears inside its group's read.
fn group_alias_inside(alias: &GroupAlias, mounts: &dyn AuthMounts) -> Value {
    let (path, kind) = group_mount_of(alias, mounts);
    json!({
        "canonical_id": alias.canonical_id,
        "creation_time": alias.creation_time,
        "id": alias.id,
        "last_update_time": alias.last_update_time,
        "merged_from_canonical_ids": null,
        "metadata": null,
        "mount_accessor": alias.mount_accessor,
        "mount_path": path,
        "mount_type": kind,
        "name": alias.name,
    })
}

/// A group alias as `group-alias/id/<id>` shows it: Vault's alias read, where a group
/// alias never has metadata.
pub fn group_alias(alias: &GroupAlias, mounts: &dyn AuthMounts) -> Data {
    let mut data = object(group_alias_inside(alias, mounts));
    data.insert("custom_metadata".into(), Value::Null);
    data.insert("local".into(), false.into());
    data.insert("namespace_id".into(), NAMESPACE_ROOT.into());
    data
}

/// `key_info` of `LIST group-alias/id`.
pub fn group_alias_info(alias: &GroupAlias, mounts: &dyn AuthMounts) -> Value {
    let (path, kind) = group_mount_of(alias, mounts);
    json!({
        "canonical_id": alias.canonical_id,
        "custom_metadata": null,
        "local": false,
        "metadata": null,
        "mount_accessor": alias.mount_accessor,
        "mount_path": path,
        "mount_type": kind,
        "name": alias.name,
    })
}

/// A list answer: `keys`, and `key_info` when given.
pub fn list(keys: Vec<String>, key_info: Option<Data>) -> Data {
    let mut data = Data::new();
    data.insert("keys".into(), keys.into());
    if let Some(info) = key_info {
        data.insert("key_info".into(), Value::Object(info));
    }
    data
}
