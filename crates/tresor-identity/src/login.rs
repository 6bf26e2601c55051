//! The entity behind a login: found through its alias on the login's mount, or made
//! (entity and alias together) on the first login, as Vault does.

use crate::index::{Change, Index};
use crate::model::Entity;
use crate::mounts::AuthMount;
use crate::plan::alias::new_alias;
use crate::plan::entity::new_entity;
use crate::store::IdentityStore;
use std::collections::BTreeMap;
use tresor_sdk::Error;

impl IdentityStore {
    /// The entity holding the alias `alias_name` on `mount`; made, with that alias, if
    /// there is none. The alias's metadata is set to `alias_metadata` (the auth
    /// method's view of the user), written only when it changed. Concurrent logins of
    /// one alias find or make the same entity.
    pub async fn entity_for_login(
        &self,
        mount: &AuthMount,
        alias_name: &str,
        alias_metadata: BTreeMap<String, String>,
    ) -> Result<Entity, Error> {
        if alias_name.is_empty() {
            return Err(Error::bad_request("the login has no alias name"));
        }
        if mount.accessor.is_empty() {
            return Err(Error::internal("a login mount has no accessor"));
        }
        if let Some(found) = self.current(mount, alias_name, &alias_metadata) {
            return Ok(found);
        }
        self.write(|idx, now| plan_login(idx, mount, alias_name, alias_metadata, now))
            .await
    }

    /// The entity for this alias when nothing about it needs writing.
    fn current(
        &self,
        mount: &AuthMount,
        alias_name: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Option<Entity> {
        let idx = self.index();
        let (entity, alias) = idx.alias_by_name(&mount.accessor, alias_name)?;
        (alias.metadata == *metadata).then(|| entity.clone())
    }
}

fn plan_login(
    idx: &Index,
    mount: &AuthMount,
    alias_name: &str,
    metadata: BTreeMap<String, String>,
    now: &str,
) -> Result<(Change, Entity), Error> {
    if let Some((holder, alias)) = idx.alias_by_name(&mount.accessor, alias_name) {
        // Another login made it, or the metadata changed.
        if alias.metadata == metadata {
            return Ok((Change::default(), holder.clone()));
        }
        let mut entity = holder.clone();
        if let Some(a) = entity.aliases.iter_mut().find(|a| a.id == alias.id) {
            a.metadata = metadata;
            a.last_update_time = now.to_owned();
            a.mount_type.clone_from(&mount.kind);
            a.mount_path = mount.full_path();
        }
        return Ok((put(entity.clone()), entity));
    }
    let mut entity = new_entity(idx, now)?;
    let mut alias = new_alias(alias_name.to_owned(), &entity.id, mount, now)?;
    alias.metadata = metadata;
    entity.aliases.push(alias);
    Ok((put(entity.clone()), entity))
}

fn put(entity: Entity) -> Change {
    Change {
        put_entities: vec![entity],
        ..Change::default()
    }
}
