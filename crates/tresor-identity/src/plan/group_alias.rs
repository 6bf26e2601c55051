//! Group alias writes: create (on a given external group, or on a new one), update
//! (which may rename it, move it to another mount or to another external group), and
//! delete. The checks and their order follow Vault's `group-alias` handlers.

use super::{bad, group::new_group};
use crate::ids::new_uuid;
use crate::index::{Change, Index};
use crate::model::{Group, GroupAlias, GROUP_TYPE_EXTERNAL};
use crate::mounts::AuthMount;
use tresor_sdk::Error;

/// What a write asks for. Vault wants the name and the mount accessor on every write.
#[derive(Debug, Default)]
pub struct GroupAliasInput {
    pub name: Option<String>,
    pub mount_accessor: Option<String>,
    /// The mount with that accessor, when the mount table knows it.
    pub mount: Option<AuthMount>,
    pub canonical_id: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum GroupAliasWritten {
    Changed { id: String, canonical_id: String },
    Unchanged,
}

/// Creates a group alias (`alias_id` is `None`) or updates the one with that ID.
pub fn write(
    idx: &Index,
    alias_id: Option<&str>,
    input: GroupAliasInput,
    now: &str,
) -> Result<(Change, GroupAliasWritten), Error> {
    let current = match alias_id {
        Some(id) => Some(
            idx.group_alias(id)
                .ok_or_else(|| bad("invalid group alias ID"))?,
        ),
        None => None,
    };
    let name = input.name.ok_or_else(|| bad("missing alias name"))?;
    let accessor = input
        .mount_accessor
        .ok_or_else(|| bad("missing mount_accessor"))?;
    if let Some((holder, alias)) = current {
        let same_group = input.canonical_id.as_ref().is_none_or(|c| *c == holder.id);
        if alias.name == name && alias.mount_accessor == accessor && same_group {
            return Ok((Change::default(), GroupAliasWritten::Unchanged));
        }
    }
    let target = match &input.canonical_id {
        Some(cid) => Some(target_group(idx, cid)?),
        None => None,
    };
    let mount = input
        .mount
        .filter(|m| m.accessor == accessor)
        .ok_or_else(|| bad(format!("invalid mount accessor {accessor:?}")))?;
    if let Some((_, other)) = idx.group_alias_by_name(&mount.accessor, &name) {
        if current.is_none_or(|(_, a)| a.id != other.id) {
            return Err(bad(
                "combination of mount and group alias name is already in use",
            ));
        }
    }
    let mut alias = match current {
        Some((_, a)) => a.clone(),
        None => GroupAlias {
            id: new_uuid()?,
            canonical_id: String::new(),
            name: String::new(),
            mount_accessor: String::new(),
            mount_type: String::new(),
            mount_path: String::new(),
            creation_time: now.to_owned(),
            last_update_time: now.to_owned(),
        },
    };
    alias.name = name;
    alias.mount_accessor.clone_from(&mount.accessor);
    alias.mount_type.clone_from(&mount.kind);
    alias.mount_path = mount.full_path();
    alias.last_update_time = now.to_owned();
    place(idx, alias, current.map(|(g, _)| g), target, now)
}

/// The external group named by `canonical_id`.
fn target_group<'i>(idx: &'i Index, id: &str) -> Result<&'i Group, Error> {
    let group = idx
        .group(id)
        .ok_or_else(|| bad("invalid group ID given in 'canonical_id'"))?;
    if !group.is_external() {
        return Err(bad("alias can't be set on an internal group"));
    }
    Ok(group)
}

/// Puts the alias on its group: the target if given, else the group holding it now,
/// else a new external group. A group's earlier alias is replaced, as Vault does; a
/// group the alias leaves keeps no alias.
fn place(
    idx: &Index,
    mut alias: GroupAlias,
    holder: Option<&Group>,
    target: Option<&Group>,
    now: &str,
) -> Result<(Change, GroupAliasWritten), Error> {
    let mut change = Change::default();
    let mut group = match (holder, target) {
        (Some(h), Some(t)) if h.id != t.id => {
            let mut left = h.clone();
            left.alias = None;
            left.modify_index += 1;
            change.put_groups.push(left);
            touched(t, now)
        }
        (_, Some(g)) | (Some(g), None) => touched(g, now),
        (None, None) => new_group(idx, GROUP_TYPE_EXTERNAL, now)?,
    };
    alias.canonical_id.clone_from(&group.id);
    let written = GroupAliasWritten::Changed {
        id: alias.id.clone(),
        canonical_id: group.id.clone(),
    };
    group.alias = Some(alias);
    change.put_groups.push(group);
    Ok((change, written))
}

fn touched(group: &Group, now: &str) -> Group {
    let mut g = group.clone();
    g.modify_index += 1;
    g.last_update_time = now.to_owned();
    g
}

/// Deletes the group alias if it exists; its group stays, without an alias.
pub fn delete(idx: &Index, alias_id: &str) -> Change {
    let mut change = Change::default();
    if let Some((holder, _)) = idx.group_alias(alias_id) {
        let mut group = holder.clone();
        group.alias = None;
        group.modify_index += 1;
        change.put_groups.push(group);
    }
    change
}

/// Drops every group alias on the mount with `accessor` (the mount is gone); the
/// groups stay.
pub fn delete_for_mount(idx: &Index, accessor: &str, change: &mut Change) {
    for group in idx.groups() {
        if group
            .alias
            .as_ref()
            .is_some_and(|a| a.mount_accessor == accessor)
        {
            let mut group = group.clone();
            group.alias = None;
            group.modify_index += 1;
            change.put_groups.push(group);
        }
    }
}
