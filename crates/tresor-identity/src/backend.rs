//! The identity store's HTTP API, mounted at `identity/`. The path table below is the
//! whole API; handlers live in `paths/`.

use crate::mounts::AuthMounts;
use crate::paths::{alias, entity, group, group_alias, lookup};
use crate::store::IdentityStore;
use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::framework::{route, FieldSpec, FieldType, Matched, PathSpec};
use tresor_sdk::{BackendRequest, Error, LogicalBackend, Operation, Response};

use FieldType::{Any, Bool, Str, StrList};
use Operation::{Delete, List, Read, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Entity,
    EntityId,
    EntityName,
    EntityIds,
    EntityNames,
    EntityBatchDelete,
    Alias,
    AliasId,
    AliasIds,
    Group,
    GroupId,
    GroupName,
    GroupIds,
    GroupNames,
    GroupAlias,
    GroupAliasId,
    GroupAliasIds,
    LookupEntity,
    LookupGroup,
}

const ID: FieldSpec = FieldSpec::new("id", Str, "ID of the object.");
const NAME: FieldSpec = FieldSpec::new("name", Str, "Name of the object.");
const METADATA: FieldSpec = FieldSpec::new(
    "metadata",
    Any,
    "Key/value pairs: a map, or a list of key=value strings.",
);
const POLICIES: FieldSpec = FieldSpec::new("policies", StrList, "Policies to attach.");

const ENTITY_FIELDS: &[FieldSpec] = &[
    ID,
    NAME,
    METADATA,
    POLICIES,
    FieldSpec::new(
        "disabled",
        Bool,
        "Whether tokens of the entity are refused.",
    ),
];
const ALIAS_FIELDS: &[FieldSpec] = &[
    ID,
    FieldSpec::new(
        "name",
        Str,
        "Name of the alias: the user's name on the mount.",
    ),
    FieldSpec::new("canonical_id", Str, "ID of the entity holding the alias."),
    FieldSpec::new("mount_accessor", Str, "Accessor of the alias's auth mount."),
    FieldSpec::new(
        "custom_metadata",
        Any,
        "Key/value pairs set through the API.",
    ),
];
const GROUP_FIELDS: &[FieldSpec] = &[
    ID,
    NAME,
    FieldSpec::new(
        "type",
        Str,
        "Type of the group, 'internal' (default) or 'external'; set when it is made.",
    ),
    METADATA,
    POLICIES,
    FieldSpec::new("member_entity_ids", StrList, "Entity IDs of the members."),
    FieldSpec::new(
        "member_group_ids",
        StrList,
        "Group IDs of the member groups.",
    ),
];
const GROUP_ALIAS_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("id", Str, "ID of the group alias."),
    FieldSpec::new("name", Str, "Name of the group alias."),
    FieldSpec::new(
        "mount_accessor",
        Str,
        "Accessor of the auth mount the alias belongs to.",
    ),
    FieldSpec::new(
        "canonical_id",
        Str,
        "ID of the external group holding the alias.",
    ),
];
const LOOKUP_FIELDS: &[FieldSpec] = &[
    ID,
    NAME,
    FieldSpec::new("alias_id", Str, "ID of an alias."),
    FieldSpec::new(
        "alias_name",
        Str,
        "Name of an alias (with its mount accessor).",
    ),
    FieldSpec::new("alias_mount_accessor", Str, "Mount accessor of the alias."),
];

const fn path(
    pattern: &'static str,
    route: Route,
    operations: &'static [Operation],
    fields: &'static [FieldSpec],
    help: &'static str,
) -> PathSpec<Route> {
    PathSpec {
        pattern,
        route,
        operations,
        fields,
        existence_check: false,
        help,
    }
}

static PATHS: &[PathSpec<Route>] = &[
    path(
        "entity",
        Route::Entity,
        &[Update],
        ENTITY_FIELDS,
        "Create or update an entity.",
    ),
    path(
        "entity/id/{id}",
        Route::EntityId,
        &[Read, Update, Delete],
        ENTITY_FIELDS,
        "Read, update or delete an entity by its ID.",
    ),
    path(
        "entity/name/{name*}",
        Route::EntityName,
        &[Read, Update, Delete],
        ENTITY_FIELDS,
        "Read, create, update or delete an entity by its name.",
    ),
    path(
        "entity/id/{rest?*}",
        Route::EntityIds,
        &[List],
        &[],
        "List entities by ID.",
    ),
    path(
        "entity/name/{rest?*}",
        Route::EntityNames,
        &[List],
        &[],
        "List entities by name.",
    ),
    path(
        "entity/batch-delete",
        Route::EntityBatchDelete,
        &[Update],
        &[FieldSpec::new(
            "entity_ids",
            StrList,
            "IDs of the entities to delete.",
        )],
        "Delete several entities at once.",
    ),
    path(
        "entity-alias",
        Route::Alias,
        &[Update],
        ALIAS_FIELDS,
        "Create or update an entity alias.",
    ),
    path(
        "entity-alias/id/{id}",
        Route::AliasId,
        &[Read, Update, Delete],
        ALIAS_FIELDS,
        "Read, update or delete an entity alias by its ID.",
    ),
    path(
        "entity-alias/id/{rest?*}",
        Route::AliasIds,
        &[List],
        &[],
        "List entity aliases.",
    ),
    path(
        "group",
        Route::Group,
        &[Update],
        GROUP_FIELDS,
        "Create or update a group.",
    ),
    path(
        "group/id/{id}",
        Route::GroupId,
        &[Read, Update, Delete],
        GROUP_FIELDS,
        "Read, update or delete a group by its ID.",
    ),
    path(
        "group/name/{name*}",
        Route::GroupName,
        &[Read, Update, Delete],
        GROUP_FIELDS,
        "Read, create, update or delete a group by its name.",
    ),
    path(
        "group/id/{rest?*}",
        Route::GroupIds,
        &[List],
        &[],
        "List groups by ID.",
    ),
    path(
        "group/name/{rest?*}",
        Route::GroupNames,
        &[List],
        &[],
        "List groups by name.",
    ),
    path(
        "group-alias",
        Route::GroupAlias,
        &[Update],
        GROUP_ALIAS_FIELDS,
        "Create or update a group alias.",
    ),
    path(
        "group-alias/id/{id}",
        Route::GroupAliasId,
        &[Read, Update, Delete],
        GROUP_ALIAS_FIELDS,
        "Read, update or delete a group alias by its ID.",
    ),
    path(
        "group-alias/id/{rest?*}",
        Route::GroupAliasIds,
        &[List],
        &[],
        "List group aliases.",
    ),
    path(
        "lookup/entity",
        Route::LookupEntity,
        &[Update],
        LOOKUP_FIELDS,
        "Find an entity by ID, name, alias ID, or alias name and mount accessor.",
    ),
    path(
        "lookup/group",
        Route::LookupGroup,
        &[Update],
        LOOKUP_FIELDS,
        "Find a group by ID, name, alias ID, or alias name and mount accessor.",
    ),
];

/// Serves an [`IdentityStore`]; built by the core, which owns the store and the mount
/// table.
#[derive(Debug)]
pub struct IdentityBackend {
    pub(crate) store: IdentityStore,
    pub(crate) mounts: Arc<dyn AuthMounts>,
}

impl IdentityBackend {
    pub fn new(store: IdentityStore, mounts: Arc<dyn AuthMounts>) -> Self {
        Self { store, mounts }
    }

    async fn dispatch(&self, op: Operation, m: &Matched<'_, Route>) -> Result<Response, Error> {
        let (id, name, rest, f) = (
            m.capture("id"),
            m.capture("name"),
            m.capture("rest"),
            &m.fields,
        );
        let read = op.is_read();
        match (m.route(), op) {
            (Route::Entity, _) => entity::write(self, entity::target_body(f), f).await,
            (Route::EntityId, Delete) => entity::delete_by_id(self, id).await,
            (Route::EntityId, _) if read => entity::read_by_id(self, id),
            (Route::EntityId, _) => entity::write(self, entity::target_id(id), f).await,
            (Route::EntityName, Delete) => entity::delete_by_name(self, name).await,
            (Route::EntityName, _) if read => entity::read_by_name(self, name),
            (Route::EntityName, _) => entity::write(self, entity::target_name(name), f).await,
            (Route::EntityIds, _) => entity::list_ids(self, rest),
            (Route::EntityNames, _) => entity::list_names(self, rest),
            (Route::EntityBatchDelete, _) => entity::batch_delete(self, f).await,
            (Route::Alias, _) => alias::write(self, None, f).await,
            (Route::AliasId, Delete) => alias::delete(self, id).await,
            (Route::AliasId, _) if read => alias::read(self, id),
            (Route::AliasId, _) => alias::write(self, Some(id), f).await,
            (Route::AliasIds, _) => alias::list(self, rest),
            (Route::Group, _) => group::write(self, group::target_body(f), f).await,
            (Route::GroupId, Delete) => group::delete_by_id(self, id).await,
            (Route::GroupId, _) if read => group::read_by_id(self, id),
            (Route::GroupId, _) => group::write(self, group::target_id(id), f).await,
            (Route::GroupName, Delete) => group::delete_by_name(self, name).await,
            (Route::GroupName, _) if read => group::read_by_name(self, name),
            (Route::GroupName, _) => group::write(self, group::target_name(name), f).await,
            (Route::GroupIds, _) => group::list_ids(self, rest),
            (Route::GroupNames, _) => group::list_names(self, rest),
            (Route::GroupAlias, _) => group_alias::write(self, None, f).await,
            (Route::GroupAliasId, Delete) => group_alias::delete(self, id).await,
            (Route::GroupAliasId, _) if read => group_alias::read(self, id),
            (Route::GroupAliasId, _) => group_alias::write(self, Some(id), f).await,
            (Route::GroupAliasIds, _) => group_alias::list(self, rest),
            (Route::LookupEntity, _) => lookup::entity(self, f),
            (Route::LookupGroup, _) => lookup::group(self, f),
        }
    }
}

#[async_trait]
impl LogicalBackend for IdentityBackend {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let matched = route(PATHS, req)?;
        let mut resp = self.dispatch(req.operation, &matched).await?;
        resp.warnings.extend(matched.fields.ignored_warning());
        Ok(resp)
    }
}
