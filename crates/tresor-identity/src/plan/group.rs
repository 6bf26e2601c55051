//! Group writes: create or update (by ID, by name, or from the body), delete. Member
//! IDs must name existing entities and groups, and a write that would make group
//! membership cyclic is refused. A group's type is set when it is made; an external
//! group's members cannot be set through the API. Deleting a group deletes its alias,
//! which is stored inside it.

use super::bad;
use crate::ids::{generated_name, new_uuid};
use crate::index::{Change, Index};
use crate::model::{Group, GROUP_TYPE_EXTERNAL, GROUP_TYPE_INTERNAL};
use std::collections::BTreeMap;
use tresor_sdk::Error;

/// What a write sets; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct GroupInput {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub policies: Option<Vec<String>>,
    pub member_entity_ids: Option<Vec<String>>,
    pub member_group_ids: Option<Vec<String>>,
}

/// Which group a write is for (as for entities).
#[derive(Debug, Clone, Copy)]
pub enum GroupTarget<'a> {
    Body { id: Option<&'a str> },
    Id(&'a str),
    Name(&'a str),
}

#[derive(Debug)]
pub enum GroupWritten {
    Created { id: String, name: String },
    Updated,
}

/// The type the group has after the write: the given one (which cannot differ from a
/// stored group's), else the stored one, else internal.
fn kind(existing: Option<&Group>, given: Option<&str>) -> Result<String, Error> {
    let given = given.filter(|k| !k.is_empty()).map(str::to_lowercase);
    let kind = match (existing, given) {
        (Some(g), Some(k)) if k != g.kind => return Err(bad("group type cannot be changed")),
        (_, Some(k)) => k,
        (Some(g), None) => g.kind.clone(),
        (None, None) => GROUP_TYPE_INTERNAL.to_owned(),
    };
    match kind.as_str() {
        GROUP_TYPE_INTERNAL | GROUP_TYPE_EXTERNAL => Ok(kind),
        other => Err(bad(format!("invalid group type {other:?}"))),
    }
}

/// Members of an external group come from logins, never from the API.
fn check_external(kind: &str, input: &GroupInput) -> Result<(), Error> {
    if kind != GROUP_TYPE_EXTERNAL {
        return Ok(());
    }
    if input.member_entity_ids.is_some() {
        return Err(bad(
            "member entities can't be set manually for external groups",
        ));
    }
    if input.member_group_ids.is_some() {
        return Err(bad("member groups can't be set for external groups"));
    }
    Ok(())
}

/// A new group of this type with a fresh ID and a generated name no other group has.
pub fn new_group(idx: &Index, kind: &str, now: &str) -> Result<Group, Error> {
    let mut name = generated_name("group")?;
    let mut tries = 0;
    while idx.group_by_name(&name).is_some() {
        tries += 1;
        if tries > 16 {
            return Err(Error::internal("could not generate a free group name"));
        }
        name = generated_name("group")?;
    }
    Ok(Group {
        id: new_uuid()?,
        name,
        kind: kind.to_owned(),
        policies: Vec::new(),
        member_entity_ids: Vec::new(),
        member_group_ids: Vec::new(),
        metadata: BTreeMap::new(),
        alias: None,
        creation_time: now.to_owned(),
        last_update_time: now.to_owned(),
        modify_index: 1,
    })
}

fn check_members(idx: &Index, group: &Group, input: &GroupInput) -> Result<(), Error> {
    for id in input.member_entity_ids.iter().flatten() {
        if idx.entity(id).is_none() {
            return Err(bad(format!("invalid entity ID {id:?}")));
        }
    }
    for id in input.member_group_ids.iter().flatten() {
        if *id == group.id {
            return Err(bad(format!(
                "member group ID {id:?} is the ID of the group itself"
            )));
        }
        if idx.group(id).is_none() {
            return Err(bad(format!("invalid member group ID {id:?}")));
        }
        if idx.reaches(id, &group.id) {
            return Err(bad(format!(
                "cyclic relationship detected for member group ID {id:?}"
            )));
        }
    }
    Ok(())
}

pub fn write(
    idx: &Index,
    target: GroupTarget<'_>,
    mut input: GroupInput,
    now: &str,
) -> Result<(Change, GroupWritten), Error> {
    let existing = match target {
        GroupTarget::Body { id: Some(id) } | GroupTarget::Id(id) => {
            Some(idx.group(id).ok_or_else(|| bad("invalid group ID"))?)
        }
        GroupTarget::Body { id: None } => input.name.as_deref().and_then(|n| idx.group_by_name(n)),
        GroupTarget::Name(name) => {
            input.name = Some(name.to_owned());
            idx.group_by_name(name)
        }
    };
    let kind = kind(existing, input.kind.as_deref())?;
    if let Some(name) = &input.name {
        let holder = idx.group_by_name(name).map(|g| g.id.as_str());
        if holder.is_some() && holder != existing.map(|g| g.id.as_str()) {
            return Err(bad("group name is already in use"));
        }
    }
    let mut group = match existing {
        Some(g) => {
            let mut g = g.clone();
            g.modify_index += 1;
            g.last_update_time = now.to_owned();
            g
        }
        None => new_group(idx, &kind, now)?,
    };
    check_external(&kind, &input)?;
    check_members(idx, &group, &input)?;
    if let Some(name) = input.name {
        group.name = name;
    }
    if let Some(metadata) = input.metadata {
        group.metadata = metadata;
    }
    if let Some(policies) = input.policies {
        group.policies = policies;
    }
    if let Some(members) = input.member_entity_ids {
        group.member_entity_ids = members;
    }
    if let Some(members) = input.member_group_ids {
        group.member_group_ids = members;
    }
    let written = match existing {
        Some(_) => GroupWritten::Updated,
        None => GroupWritten::Created {
            id: group.id.clone(),
            name: group.name.clone(),
        },
    };
    let change = Change {
        put_groups: vec![group],
        ..Change::default()
    };
    Ok((change, written))
}

/// Deletes the group if it exists, and takes it out of the groups that list it.
pub fn delete(idx: &Index, id: &str) -> Change {
    let mut change = Change::default();
    if idx.group(id).is_none() {
        return change;
    }
    change.delete_groups.push(id.to_owned());
    for parent in idx.parent_groups(id) {
        if let Some(stored) = idx.group(&parent) {
            let mut g = stored.clone();
            g.member_group_ids.retain(|m| m != id);
            g.modify_index += 1;
            change.put_groups.push(g);
        }
    }
    change
}
