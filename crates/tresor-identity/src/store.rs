//! The identity store: loads everything at unseal, answers reads from the in-memory
//! index, and writes through storage first.

use crate::index::{Change, Index};
use crate::model::{entity_key, group_key, Entity, Group, ENTITY_PREFIX, GROUP_PREFIX};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tresor_sdk::stored::{encode, get_json};
use tresor_sdk::{rfc3339, Clock, Error};
use tresor_storage::{Backend, Op, View};

/// The groups an entity belongs to: those that list it (`direct`) and their ancestors
/// (`inherited`, without the direct ones); each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityGroups {
    pub direct: Vec<String>,
    pub inherited: Vec<String>,
}

/// Entities, aliases and groups. Cheap to clone: clones share one store.
#[derive(Clone)]
pub struct IdentityStore {
    inner: Arc<Inner>,
}

struct Inner {
    storage: View,
    clock: Arc<dyn Clock>,
    index: RwLock<Index>,
    /// Serialises writers: a write plans against the index, writes storage, then
    /// updates the index, with no other writer in between.
    writes: tokio::sync::Mutex<()>,
}

impl fmt::Debug for IdentityStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let idx = self.index();
        f.debug_struct("IdentityStore")
            .field("storage", &self.inner.storage.prefix())
            .field("entities", &idx.entities().count())
            .field("groups", &idx.groups().count())
            .finish()
    }
}

async fn load_all<T: serde::de::DeserializeOwned>(
    view: &View,
    prefix: &str,
) -> Result<Vec<T>, Error> {
    let mut out = Vec::new();
    for key in view.list(prefix).await? {
        if key.ends_with('/') {
            continue;
        }
        if let Some(value) = get_json(view, &format!("{prefix}{key}")).await? {
            out.push(value);
        }
    }
    Ok(out)
}

impl IdentityStore {
    /// Loads every entity and group from `view` (the store's own storage).
    pub async fn open(view: View, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        let mut index = Index::default();
        for entity in load_all::<Entity>(&view, ENTITY_PREFIX).await? {
            let id = entity.id.clone();
            if !index.insert_entity(entity) {
                tracing::warn!(entity = %id, "an entity's name or alias is held by another entity");
            }
        }
        let groups = load_all::<Group>(&view, GROUP_PREFIX).await?;
        let known: BTreeSet<String> = groups.iter().map(|g| g.id.clone()).collect();
        for mut group in groups {
            // Members that no longer exist are dropped; the next write stores that.
            group
                .member_entity_ids
                .retain(|id| index.entity(id).is_some());
            group.member_group_ids.retain(|id| known.contains(id));
            let id = group.id.clone();
            if !index.insert_group(group) {
                tracing::warn!(group = %id, "a group's name is held by another group");
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                storage: view,
                clock,
                index: RwLock::new(index),
                writes: tokio::sync::Mutex::new(()),
            }),
        })
    }

    pub(crate) fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.inner.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn index_mut(&self) -> RwLockWriteGuard<'_, Index> {
        self.inner.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one write: `plan` sees the index and the current time and answers the
    /// change; the change goes to storage in one batch, then into the index.
    pub(crate) async fn write<T>(
        &self,
        plan: impl FnOnce(&Index, &str) -> Result<(Change, T), Error>,
    ) -> Result<T, Error> {
        let _serial = self.inner.writes.lock().await;
        let now = rfc3339(self.inner.clock.now());
        let (change, out) = plan(&self.index(), &now)?;
        if !change.is_empty() {
            self.inner.storage.batch(ops(&change)?).await?;
            self.index_mut().apply(change);
        }
        Ok(out)
    }

    pub fn entity(&self, id: &str) -> Option<Entity> {
        self.index().entity(id).cloned()
    }

    /// The entity with this name (names match without regard to case).
    pub fn entity_by_name(&self, name: &str) -> Option<Entity> {
        self.index().entity_by_name(name).cloned()
    }

    /// The entity holding the alias `alias_name` on the mount with `accessor`.
    pub fn entity_by_alias(&self, accessor: &str, alias_name: &str) -> Option<Entity> {
        let idx = self.index();
        idx.alias_by_name(accessor, alias_name)
            .map(|(entity, _)| entity.clone())
    }

    /// The entity holding the alias with this ID.
    pub fn entity_by_alias_id(&self, alias_id: &str) -> Option<Entity> {
        self.index()
            .alias(alias_id)
            .map(|(entity, _)| entity.clone())
    }

    pub fn group(&self, id: &str) -> Option<Group> {
        self.index().group(id).cloned()
    }

    pub fn group_by_name(&self, name: &str) -> Option<Group> {
        self.index().group_by_name(name).cloned()
    }

    /// The external group holding the group alias `alias_name` on the mount with
    /// `accessor` (names match without regard to case).
    pub fn group_by_alias(&self, accessor: &str, alias_name: &str) -> Option<Group> {
        let idx = self.index();
        idx.group_alias_by_name(accessor, alias_name)
            .map(|(group, _)| group.clone())
    }

    /// The external group holding the group alias with this ID.
    pub fn group_by_alias_id(&self, alias_id: &str) -> Option<Group> {
        self.index()
            .group_alias(alias_id)
            .map(|(group, _)| group.clone())
    }

    /// The groups listing this group as a member group, sorted.
    pub fn parent_groups(&self, group_id: &str) -> Vec<String> {
        self.index().parent_groups(group_id).into_iter().collect()
    }

    /// Every entity, by ID.
    pub fn entities(&self) -> Vec<Entity> {
        self.index().entities().cloned().collect()
    }

    /// Every group, by ID.
    pub fn groups(&self) -> Vec<Group> {
        self.index().groups().cloned().collect()
    }

    pub fn groups_of(&self, entity_id: &str) -> EntityGroups {
        groups_of(&self.index(), entity_id)
    }

    /// The entity's own policies and those of every group it belongs to, directly (an
    /// internal group listing it, or an external group it joined at login) or through
    /// member groups; sorted, without duplicates. Empty for an unknown entity.
    pub fn policies_of(&self, entity_id: &str) -> Vec<String> {
        let idx = self.index();
        let Some(entity) = idx.entity(entity_id) else {
            return Vec::new();
        };
        let groups = groups_of(&idx, entity_id);
        let group_policies = groups
            .direct
            .iter()
            .chain(&groups.inherited)
            .filter_map(|id| idx.group(id))
            .flat_map(|g| g.policies.iter());
        let all: BTreeSet<&String> = entity.policies.iter().chain(group_policies).collect();
        all.into_iter().cloned().collect()
    }

    /// Whether tokens of this entity must be refused: it is disabled, or it no longer
    /// exists (Vault refuses the tokens of a deleted entity too). An empty ID (a token
    /// with no entity, such as the root token) is never disabled.
    pub fn is_disabled(&self, entity_id: &str) -> bool {
        if entity_id.is_empty() {
            return false;
        }
        self.index().entity(entity_id).is_none_or(|e| e.disabled)
    }

    /// Drops every entity and group alias on the auth mount with `accessor`, for when
    /// that mount is disabled; the entities and groups stay.
    pub async fn remove_mount_aliases(&self, accessor: &str) -> Result<(), Error> {
        self.write(|idx, _| Ok((crate::plan::alias::delete_for_mount(idx, accessor), ())))
            .await
    }
}

pub(crate) fn groups_of(idx: &Index, entity_id: &str) -> EntityGroups {
    let direct = idx.direct_groups(entity_id);
    let inherited = idx
        .ancestors(&direct)
        .into_iter()
        .filter(|g| !direct.contains(g))
        .collect();
    EntityGroups {
        direct: direct.into_iter().collect(),
        inherited,
    }
}

fn ops(change: &Change) -> Result<Vec<Op>, Error> {
    let mut ops = Vec::new();
    for e in &change.put_entities {
        ops.push(Op::Put {
            key: entity_key(&e.id),
            value: encode(e)?,
        });
    }
    for g in &change.put_groups {
        ops.push(Op::Put {
            key: group_key(&g.id),
            value: encode(g)?,
        });
    }
    let deletes = change.delete_entities.iter().map(|id| entity_key(id));
    let deletes = deletes.chain(change.delete_groups.iter().map(|id| group_key(id)));
    ops.extend(deletes.map(|key| Op::Delete { key }));
    Ok(ops)
}
