//! Entity alias writes: create, update (which may move the alias to another entity),
//! delete, and dropping every alias of an auth mount.

use super::{bad, entity::new_entity};
use crate::ids::new_uuid;
use crate::index::{Change, Index};
use crate::model::Alias;
use crate::mounts::AuthMount;
use std::collections::BTreeMap;
use tresor_sdk::Error;

/// What a write sets; `None` keeps the stored value. The mount is already resolved.
#[derive(Debug, Default)]
pub struct AliasInput {
    pub name: Option<String>,
    pub canonical_id: Option<String>,
    pub mount: Option<AuthMount>,
    pub custom_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AliasWritten {
    Changed { id: String, canonical_id: String },
    Unchanged,
}

pub fn new_alias(
    name: String,
    entity_id: &str,
    mount: &AuthMount,
    now: &str,
) -> Result<Alias, Error> {
    Ok(Alias {
        id: new_uuid()?,
        canonical_id: entity_id.to_owned(),
        name,
        mount_accessor: mount.accessor.clone(),
        mount_type: mount.kind.clone(),
        mount_path: mount.full_path(),
        metadata: BTreeMap::new(),
        custom_metadata: BTreeMap::new(),
        creation_time: now.to_owned(),
        last_update_time: now.to_owned(),
    })
}

/// `entity-alias` without an ID: updates the alias with this mount and name, or makes
/// it, on the given entity or on a new one.
pub fn write_by_name(
    idx: &Index,
    mut input: AliasInput,
    now: &str,
) -> Result<(Change, AliasWritten), Error> {
    let (Some(name), Some(mount)) = (input.name.clone(), input.mount.clone()) else {
        return Err(bad("'id' or 'mount_accessor' and 'name' must be provided"));
    };
    if let Some((_, alias)) = idx.alias_by_name(&mount.accessor, &name) {
        // Written again by name, the alias gets the custom metadata of this write: none
        // given is none kept (as Vault; an update by ID keeps it).
        input.custom_metadata.get_or_insert_with(BTreeMap::new);
        let id = alias.id.clone();
        return update(idx, &id, input, now);
    }
    let mut entity = match &input.canonical_id {
        Some(cid) => {
            let e = idx.entity(cid).ok_or_else(|| bad("invalid canonical ID"))?;
            if e.alias_on(&mount.accessor).is_some() {
                return Err(bad(
                    "Alias already exists for requested entity and mount accessor",
                ));
            }
            e.clone()
        }
        None => new_entity(idx, now)?,
    };
    let mut alias = new_alias(name, &entity.id, &mount, now)?;
    alias.custom_metadata = input.custom_metadata.unwrap_or_default();
    let written = AliasWritten::Changed {
        id: alias.id.clone(),
        canonical_id: entity.id.clone(),
    };
    entity.aliases.push(alias);
    let change = Change {
        put_entities: vec![entity],
        ..Change::default()
    };
    Ok((change, written))
}

/// Updates the alias with this ID; a new `canonical_id` moves it to that entity.
pub fn update(
    idx: &Index,
    alias_id: &str,
    input: AliasInput,
    now: &str,
) -> Result<(Change, AliasWritten), Error> {
    let (holder, old) = idx
        .alias(alias_id)
        .ok_or_else(|| bad("invalid alias ID provided"))?;
    let mut alias = old.clone();
    if let Some(name) = input.name {
        alias.name = name;
    }
    if let Some(mount) = &input.mount {
        alias.mount_accessor.clone_from(&mount.accessor);
        alias.mount_type.clone_from(&mount.kind);
        alias.mount_path = mount.full_path();
    }
    if let Some(custom) = input.custom_metadata {
        alias.custom_metadata = custom;
    }
    let target_id = input.canonical_id.unwrap_or_else(|| holder.id.clone());
    let target = idx
        .entity(&target_id)
        .ok_or_else(|| bad("given 'canonical_id' is not associated with an entity"))?;
    if let Some((_, other)) = idx.alias_by_name(&alias.mount_accessor, &alias.name) {
        if other.id != alias.id {
            return Err(bad(
                "alias with combination of mount accessor and name already exists",
            ));
        }
    }
    let taken = |a: &Alias| a.id != alias.id && a.mount_accessor == alias.mount_accessor;
    if target.aliases.iter().any(taken) {
        return Err(bad(
            "Alias cannot be updated as the given entity already has an alias for this mount",
        ));
    }
    alias.canonical_id.clone_from(&target.id);
    let same = |a: &Alias, b: &Alias| {
        (
            &a.name,
            &a.mount_accessor,
            &a.custom_metadata,
            &a.canonical_id,
        ) == (
            &b.name,
            &b.mount_accessor,
            &b.custom_metadata,
            &b.canonical_id,
        )
    };
    if same(&alias, old) {
        return Ok((Change::default(), AliasWritten::Unchanged));
    }
    alias.last_update_time = now.to_owned();
    let written = AliasWritten::Changed {
        id: alias.id.clone(),
        canonical_id: target.id.clone(),
    };
    let mut from = holder.clone();
    from.aliases.retain(|a| a.id != alias.id);
    let put_entities = if target.id == holder.id {
        from.aliases.push(alias);
        vec![from]
    } else {
        let mut to = target.clone();
        to.aliases.push(alias);
        vec![from, to]
    };
    let change = Change {
        put_entities,
        ..Change::default()
    };
    Ok((change, written))
}

/// Deletes the alias if it exists; its entity stays.
pub fn delete(idx: &Index, alias_id: &str) -> Change {
    let mut change = Change::default();
    if let Some((holder, _)) = idx.alias(alias_id) {
        let mut entity = holder.clone();
        entity.aliases.retain(|a| a.id != alias_id);
        change.put_entities.push(entity);
    }
    change
}

/// Drops every entity and group alias on the mount with `accessor` (the mount is gone);
/// entities and groups stay.
pub fn delete_for_mount(idx: &Index, accessor: &str) -> Change {
    let mut change = Change::default();
    super::group_alias::delete_for_mount(idx, accessor, &mut change);
    for entity in idx.entities() {
        if entity.alias_on(accessor).is_some() {
            let mut entity = entity.clone();
            entity.aliases.retain(|a| a.mount_accessor != accessor);
            change.put_entities.push(entity);
        }
    }
    change
}
