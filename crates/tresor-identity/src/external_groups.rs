//! External group memberships at login, as Vault refreshes them: the login's auth method
//! reports the group aliases of the user (teams, LDAP groups, claim values); the entity
//! joins every external group with one of those aliases on the login's mount, and
//! leaves the external groups it no longer belongs to. Group aliases that no group
//! holds are ignored: a login never makes groups or aliases.

use crate::index::{Change, Index};
use crate::mounts::AuthMount;
use crate::store::IdentityStore;
use std::collections::BTreeSet;
use tresor_sdk::Error;

impl IdentityStore {
    /// Makes `entity_id` a member of every external group whose alias on `mount` is
    /// named in `group_aliases`, and removes it from the other external groups it is a
    /// member of, except those whose alias is on another mount (Vault's refresh of
    /// external group memberships at login; an external group whose alias was deleted
    /// is left at the next login on any mount, as in Vault). Group alias names match
    /// without regard to case, as Vault matches them by default. Writes only when
    /// something changes. An unknown entity is in no group and joins none.
    pub async fn sync_external_groups(
        &self,
        mount: &AuthMount,
        entity_id: &str,
        group_aliases: &[String],
    ) -> Result<(), Error> {
        if mount.accessor.is_empty() {
            return Err(Error::internal("a login mount has no accessor"));
        }
        // Most logins change nothing: find that out without queueing for the writer.
        if plan_sync(&self.index(), mount, entity_id, group_aliases).is_empty() {
            return Ok(());
        }
        self.write(|idx, _| Ok((plan_sync(idx, mount, entity_id, group_aliases), ())))
            .await
    }
}

/// The group writes that bring the entity's external memberships in line with the
/// login's group aliases; empty when they already are.
fn plan_sync(idx: &Index, mount: &AuthMount, entity_id: &str, group_aliases: &[String]) -> Change {
    let mut change = Change::default();
    if idx.entity(entity_id).is_none() {
        return change;
    }
    let wanted: BTreeSet<&str> = group_aliases
        .iter()
        .filter_map(|name| idx.group_alias_by_name(&mount.accessor, name))
        .map(|(group, _)| group)
        .filter(|group| group.is_external())
        .map(|group| group.id.as_str())
        .collect();
    let current = idx.direct_groups(entity_id);
    for id in wanted.iter().filter(|id| !current.contains(**id)) {
        if let Some(stored) = idx.group(id) {
            let mut group = stored.clone();
            group.member_entity_ids.push(entity_id.to_owned());
            group.modify_index += 1;
            change.put_groups.push(group);
        }
    }
    for id in current.iter().filter(|id| !wanted.contains(id.as_str())) {
        let Some(stored) = idx.group(id) else {
            continue;
        };
        let elsewhere = stored
            .alias
            .as_ref()
            .is_some_and(|a| a.mount_accessor != mount.accessor);
        if !stored.is_external() || elsewhere {
            continue;
        }
        let mut group = stored.clone();
        group.member_entity_ids.retain(|m| m != entity_id);
        group.modify_index += 1;
        change.put_groups.push(group);
    }
    change
}
