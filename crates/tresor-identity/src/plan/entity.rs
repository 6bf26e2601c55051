//! Entity writes: create or update (by ID, by name, or from the body), delete.

use super::bad;
use crate::ids::{generated_name, new_uuid};
use crate::index::{Change, Index};
use crate::model::{Entity, Group};
use std::collections::BTreeMap;
use tresor_sdk::Error;

/// What a write sets; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct EntityInput {
    pub name: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub policies: Option<Vec<String>>,
    pub disabled: Option<bool>,
}

/// Which entity a write is for.
#[derive(Debug, Clone, Copy)]
pub enum EntityTarget<'a> {
    /// `entity`: the entity with this ID (which must exist), else the one with the
    /// input's name, else a new one.
    Body { id: Option<&'a str> },
    /// `entity/id/<id>`: that entity, which must exist.
    Id(&'a str),
    /// `entity/name/<name>`: that entity, made if missing; the path's name wins.
    Name(&'a str),
}

#[derive(Debug)]
pub enum Written {
    Created { id: String, name: String },
    Updated,
}

/// A new entity with a fresh ID and a generated name no other entity has.
pub fn new_entity(idx: &Index, now: &str) -> Result<Entity, Error> {
    let mut name = generated_name("entity")?;
    let mut tries = 0;
    while idx.entity_by_name(&name).is_some() {
        tries += 1;
        if tries > 16 {
            return Err(Error::internal("could not generate a free entity name"));
        }
        name = generated_name("entity")?;
    }
    Ok(Entity {
        id: new_uuid()?,
        name,
        metadata: BTreeMap::new(),
        policies: Vec::new(),
        disabled: false,
        aliases: Vec::new(),
        creation_time: now.to_owned(),
        last_update_time: now.to_owned(),
    })
}

pub fn write(
    idx: &Index,
    target: EntityTarget<'_>,
    mut input: EntityInput,
    now: &str,
) -> Result<(Change, Written), Error> {
    let existing = match target {
        EntityTarget::Body { id: Some(id) } | EntityTarget::Id(id) => Some(
            idx.entity(id)
                .ok_or_else(|| bad("entity not found from id"))?,
        ),
        EntityTarget::Body { id: None } => {
            input.name.as_deref().and_then(|n| idx.entity_by_name(n))
        }
        EntityTarget::Name(name) => {
            input.name = Some(name.to_owned());
            idx.entity_by_name(name)
        }
    };
    if let Some(name) = &input.name {
        let holder = idx.entity_by_name(name).map(|e| e.id.as_str());
        if holder.is_some() && holder != existing.map(|e| e.id.as_str()) {
            return Err(bad("entity name is already in use"));
        }
    }
    let mut entity = match existing {
        Some(e) => {
            let mut e = e.clone();
            e.last_update_time = now.to_owned();
            e
        }
        None => new_entity(idx, now)?,
    };
    if let Some(name) = input.name {
        entity.name = name;
    }
    if let Some(metadata) = input.metadata {
        entity.metadata = metadata;
    }
    if let Some(policies) = input.policies {
        entity.policies = policies;
    }
    if let Some(disabled) = input.disabled {
        entity.disabled = disabled;
    }
    let written = match existing {
        Some(_) => Written::Updated,
        None => Written::Created {
            id: entity.id.clone(),
            name: entity.name.clone(),
        },
    };
    let change = Change {
        put_entities: vec![entity],
        ..Change::default()
    };
    Ok((change, written))
}

/// Deletes the entities (with their aliases) that exist, and takes them out of the
/// groups that list them. Missing IDs are skipped.
pub fn delete(idx: &Index, ids: &[&str]) -> Change {
    let mut change = Change::default();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for &id in ids {
        if idx.entity(id).is_none() || change.delete_entities.iter().any(|d| d == id) {
            continue;
        }
        change.delete_entities.push(id.to_owned());
        for gid in idx.direct_groups(id) {
            let Some(stored) = idx.group(&gid) else {
                continue;
            };
            let group = groups.entry(gid).or_insert_with(|| {
                let mut g = stored.clone();
                g.modify_index += 1;
                g
            });
            group.member_entity_ids.retain(|m| m != id);
        }
    }
    change.put_groups = groups.into_values().collect();
    change
}
