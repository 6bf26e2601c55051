//! KV version 2: versioned secrets with metadata, check-and-set, soft delete, undelete
//! and destroy. The path table below is the whole API; handlers live in the modules.

mod data;
mod metadata;
mod model;
mod subkeys;
mod upgrade;
mod versions;

use async_trait::async_trait;
use model::{Config, KeyMeta, Version};
use std::sync::Arc;
use std::time::SystemTime;
use tresor_sdk::framework::{route, FieldSpec, FieldType, Fields, Matched, PathSpec};
use tresor_sdk::stored::get_json;
use tresor_sdk::{BackendRequest, Clock, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::View;

use FieldType::{Any, Bool, Duration as Dur, Int, Map, StrList};
use Operation::{Delete, List, Patch, Read, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Config,
    Data,
    Delete,
    Undelete,
    Destroy,
    Metadata,
    Subkeys,
}

const VERSIONS: &[FieldSpec] = &[FieldSpec::new(
    "versions",
    StrList,
    "The versions to act on.",
)];
const METADATA_FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "max_versions",
        Int,
        "Versions to keep; 0 uses the mount's setting.",
    ),
    FieldSpec::new(
        "cas_required",
        Bool,
        "Whether writes must give options.cas.",
    ),
    FieldSpec::new(
        "delete_version_after",
        Dur,
        "Delete each version this long after it is written.",
    ),
    FieldSpec::new(
        "custom_metadata",
        Map,
        "Free-form string pairs kept with the key.",
    ),
];

static PATHS: &[PathSpec<Route>] = &[
    PathSpec {
        pattern: "config",
        route: Route::Config,
        operations: &[Read, Update],
        fields: &[
            FieldSpec::new("max_versions", Int, "Versions to keep per key."),
            FieldSpec::new(
                "cas_required",
                Bool,
                "Whether every write must give options.cas.",
            ),
            FieldSpec::new(
                "delete_version_after",
                Dur,
                "Delete each version this long after it is written.",
            ),
        ],
        existence_check: false,
        help: "Configures the engine's defaults.",
    },
    PathSpec {
        pattern: "data/{path*}",
        route: Route::Data,
        operations: &[Read, Update, Patch, Delete],
        fields: &[
            FieldSpec::new("data", Any, "The secret's key/value pairs."),
            FieldSpec::new("options", Map, "Write options: cas."),
            FieldSpec::new(
                "version",
                Int,
                "The version to read; 0 or absent is the latest.",
            ),
        ],
        existence_check: true,
        help: "Reads and writes versions of a secret.",
    },
    PathSpec {
        pattern: "delete/{path*}",
        route: Route::Delete,
        operations: &[Update],
        fields: VERSIONS,
        existence_check: false,
        help: "Soft-deletes versions; undelete brings them back.",
    },
    PathSpec {
        pattern: "undelete/{path*}",
        route: Route::Undelete,
        operations: &[Update],
        fields: VERSIONS,
        existence_check: false,
        help: "Restores soft-deleted versions.",
    },
    PathSpec {
        pattern: "destroy/{path*}",
        route: Route::Destroy,
        operations: &[Update],
        fields: VERSIONS,
        existence_check: false,
        help: "Removes versions' data for good.",
    },
    PathSpec {
        pattern: "metadata/{path?*}",
        route: Route::Metadata,
        operations: &[Read, Update, Patch, Delete, List],
        fields: METADATA_FIELDS,
        existence_check: true,
        help:
            "Reads and configures a key's metadata, lists keys, deletes a key and all its versions.",
    },
    PathSpec {
        pattern: "subkeys/{path*}",
        route: Route::Subkeys,
        operations: &[Read],
        fields: &[
            FieldSpec::new("version", Int, "The version; 0 or absent is the latest."),
            FieldSpec::new("depth", Int, "How deep to descend; 0 is no limit."),
        ],
        existence_check: false,
        help: "The structure of a secret's data without its values.",
    },
];

#[derive(Debug)]
pub struct KvV2 {
    /// `v2/` inside the mount's view.
    storage: View,
    /// The whole mount view, for upgrading version 1 entries.
    mount_storage: View,
    clock: Arc<dyn Clock>,
    /// Serialises writes so check-and-set and version numbers are exact.
    writes: tokio::sync::Mutex<()>,
}

impl KvV2 {
    pub fn new(ctx: MountContext) -> Self {
        Self {
            storage: ctx.storage.sub("v2/"),
            mount_storage: ctx.storage,
            clock: ctx.clock,
            writes: tokio::sync::Mutex::new(()),
        }
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    async fn config(&self) -> Result<Config, Error> {
        Ok(get_json(&self.storage, "config").await?.unwrap_or_default())
    }

    async fn meta(&self, key: &str) -> Result<Option<KeyMeta>, Error> {
        get_json(&self.storage, &model::metadata_key(key)).await
    }

    /// The version a read asks for (`version`, or the latest), with the key's metadata and
    /// the version's data; `None` data when that version is deleted or destroyed.
    async fn version(
        &self,
        key: &str,
        fields: &Fields,
    ) -> Result<(KeyMeta, u64, Option<Version>), Error> {
        let meta = self.meta(key).await?.ok_or(Error::NotFound)?;
        let version = fields
            .int("version")
            .filter(|v| *v > 0)
            .map_or(meta.current_version, |v| v as u64);
        let vm = meta.versions.get(&version).ok_or(Error::NotFound)?;
        if vm.destroyed || vm.is_deleted(self.now()) {
            return Ok((meta, version, None));
        }
        let stored: Version = get_json(&self.storage, &model::version_key(key, version))
            .await?
            .ok_or(Error::NotFound)?;
        Ok((meta, version, Some(stored)))
    }

    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let key = m.capture("path");
        let op = match req.operation {
            Operation::Create => Update,
            Operation::Head => Read,
            other => other,
        };
        match (m.route(), op) {
            (Route::Config, Read) => metadata::read_config(self).await,
            (Route::Config, _) => metadata::write_config(self, &m.fields).await,
            (Route::Data, Read) => data::read(self, key, &m.fields).await,
            (Route::Data, Update) => data::write(self, key, &m.fields).await,
            (Route::Data, Patch) => data::patch(self, key, &m.fields).await,
            (Route::Data, _) => versions::delete_latest(self, key).await,
            (Route::Delete, _) => versions::delete(self, key, &m.fields).await,
            (Route::Undelete, _) => versions::undelete(self, key, &m.fields).await,
            (Route::Destroy, _) => versions::destroy(self, key, &m.fields).await,
            (Route::Metadata, Read) => metadata::read(self, key).await,
            (Route::Metadata, List) => metadata::list(self, key).await,
            (Route::Metadata, Update) => metadata::write(self, key, &m.fields, false).await,
            (Route::Metadata, Patch) => metadata::write(self, key, &m.fields, true).await,
            (Route::Metadata, _) => metadata::delete(self, key).await,
            (Route::Subkeys, _) => subkeys::read(self, key, &m.fields).await,
        }
    }
}

#[async_trait]
impl LogicalBackend for KvV2 {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let matched = route(PATHS, req)?;
        let mut resp = self.dispatch(req, &matched).await?;
        if let Some(w) = matched.fields.ignored_warning() {
            resp.warnings.push(w);
        }
        Ok(resp)
    }

    async fn initialize(&self) -> Result<(), Error> {
        upgrade::from_v1(self).await
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        let Some((spec, captures)) = tresor_sdk::framework::find(PATHS, req.path) else {
            return Ok(None);
        };
        if !spec.existence_check {
            return Ok(None);
        }
        let key = captures.get("path").unwrap_or("");
        Ok(Some(!key.is_empty() && self.meta(key).await?.is_some()))
    }
}
