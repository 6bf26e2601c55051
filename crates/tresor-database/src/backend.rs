//! The engine as the core sees it: the path table, dispatch, leases and the periodic
//! work. Handlers live in [`crate::paths`].

use crate::connections::Connections;
use crate::paths::{config, creds, roles, rotate, static_roles};
use async_trait::async_trait;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard};
use tresor_sdk::framework::{
    find, route, without_trailing_slash, FieldSpec, FieldType, Matched, PathSpec,
};
use tresor_sdk::{
    BackendRequest, Clock, Error, LeaseRequest, LogicalBackend, MountContext, Operation, Response,
    SecretLease, SystemView,
};
use tresor_storage::{Backend, View};

use FieldType::{Any, Bool, Duration as Dur, Map, Str, StrList};
use Operation::{Delete, List, Read, Update};

const STRIPES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    Config,
    ConfigList,
    Reset,
    RotateRoot,
    Role,
    RoleList,
    StaticRole,
    StaticRoleList,
    Creds,
    StaticCreds,
    RotateRole,
}

const NAME: FieldSpec = FieldSpec::new("name", Str, "Name of the connection or role.");
const DB_NAME: FieldSpec = FieldSpec::new("db_name", Str, "Name of the database connection.");
const CRED_TYPE: FieldSpec = FieldSpec::new(
    "credential_type",
    Str,
    "Type of credential: only 'password'.",
);
const CRED_CONFIG: FieldSpec = FieldSpec::new(
    "credential_config",
    Map,
    "Credential options (password_policy).",
);

/// The fields of `config/<name>` that are the engine's; every other field of the
/// request is a connection detail handed to the plugin.
pub(crate) const CONFIG_FIELDS: &[FieldSpec] = &[
    NAME,
    FieldSpec::new("plugin_name", Str, "The database plugin to use."),
    FieldSpec::new("plugin_version", Str, "The version of the plugin to use."),
    FieldSpec::new(
        "verify_connection",
        Bool,
        "Connect now to check the details.",
    ),
    FieldSpec::new(
        "allowed_roles",
        StrList,
        "Roles allowed to use this connection.",
    ),
    FieldSpec::new(
        "root_rotation_statements",
        Any,
        "Statements that rotate the root password.",
    ),
    FieldSpec::new(
        "password_policy",
        Str,
        "Password policy for generated passwords.",
    ),
];

const ROLE_FIELDS: &[FieldSpec] = &[
    NAME,
    DB_NAME,
    CRED_TYPE,
    CRED_CONFIG,
    FieldSpec::new("default_ttl", Dur, "Default TTL of the credentials."),
    FieldSpec::new("max_ttl", Dur, "Maximum TTL of the credentials."),
    FieldSpec::new("creation_statements", Any, "Statements that create a user."),
    FieldSpec::new("revocation_statements", Any, "Statements that drop a user."),
    FieldSpec::new("renew_statements", Any, "Statements that extend a user."),
    FieldSpec::new(
        "rollback_statements",
        Any,
        "Statements that undo a failed creation.",
    ),
];

const STATIC_ROLE_FIELDS: &[FieldSpec] = &[
    NAME,
    DB_NAME,
    CRED_TYPE,
    CRED_CONFIG,
    FieldSpec::new(
        "username",
        Str,
        "The database user whose password is rotated.",
    ),
    FieldSpec::new(
        "rotation_period",
        Dur,
        "Time between rotations (5s or more).",
    ),
    FieldSpec::new("rotation_schedule", Str, "Cron schedule of rotations."),
    FieldSpec::new(
        "rotation_window",
        Dur,
        "How long after a scheduled time rotation may run.",
    ),
    FieldSpec::new(
        "rotation_statements",
        Any,
        "Statements that set the password.",
    ),
];

const fn spec(
    pattern: &'static str,
    route: Route,
    operations: &'static [Operation],
    fields: &'static [FieldSpec],
    existence_check: bool,
    help: &'static str,
) -> PathSpec<Route> {
    PathSpec {
        pattern,
        route,
        operations,
        fields,
        existence_check,
        help,
    }
}

static PATHS: &[PathSpec<Route>] = &[
    spec(
        "config",
        Route::ConfigList,
        &[List],
        &[],
        false,
        "Lists the connections.",
    ),
    spec(
        "config/{name}",
        Route::Config,
        &[Read, Update, Delete],
        CONFIG_FIELDS,
        true,
        "Configure connection details to a database plugin.",
    ),
    spec(
        "reset/{name}",
        Route::Reset,
        &[Update],
        &[NAME],
        false,
        "Resets a database connection.",
    ),
    spec(
        "rotate-root/{name}",
        Route::RotateRoot,
        &[Update],
        &[NAME],
        false,
        "Rotates the password of the connection's own user.",
    ),
    spec(
        "roles",
        Route::RoleList,
        &[List],
        &[],
        false,
        "Lists the roles.",
    ),
    spec(
        "roles/{name}",
        Route::Role,
        &[Read, Update, Delete],
        ROLE_FIELDS,
        true,
        "Manage the roles that can create credentials.",
    ),
    spec(
        "static-roles",
        Route::StaticRoleList,
        &[List],
        &[],
        false,
        "Lists the static roles.",
    ),
    spec(
        "static-roles/{name}",
        Route::StaticRole,
        &[Read, Update, Delete],
        STATIC_ROLE_FIELDS,
        true,
        "Manage the static roles whose passwords are rotated.",
    ),
    spec(
        "creds/{name}",
        Route::Creds,
        &[Read],
        &[NAME],
        false,
        "Request credentials for a role.",
    ),
    spec(
        "static-creds/{name}",
        Route::StaticCreds,
        &[Read],
        &[NAME],
        false,
        "Read the current credentials of a static role.",
    ),
    spec(
        "rotate-role/{name}",
        Route::RotateRole,
        &[Update],
        &[NAME],
        false,
        "Rotates the password of a static role now.",
    ),
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Database {
        storage: ctx.storage,
        clock: ctx.clock,
        system: ctx.system,
        conns: Connections::default(),
        stripes: std::array::from_fn(|_| Mutex::new(())),
        retry_after: std::sync::Mutex::new(HashMap::new()),
    }))
}

pub struct Database {
    pub(crate) storage: View,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) system: Arc<dyn SystemView>,
    pub(crate) conns: Connections,
    /// Serialise work on one connection or static role, by a hash of its name.
    stripes: [Mutex<()>; STRIPES],
    /// Static roles whose rotation failed: not retried before these unix times.
    pub(crate) retry_after: std::sync::Mutex<HashMap<String, (i64, i64)>>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("storage", &self.storage.prefix())
            .finish_non_exhaustive()
    }
}

impl Database {
    pub(crate) fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }

    /// The lock of one named object (`config:<name>`, `static:<name>`).
    pub(crate) async fn lock(&self, key: &str) -> Result<MutexGuard<'_, ()>, Error> {
        let hash = tresor_crypto::digest::sha256(key.as_bytes());
        let i = usize::from(hash.first().copied().unwrap_or(0)) % STRIPES;
        let stripe = self
            .stripes
            .get(i)
            .ok_or_else(|| Error::internal("lock index out of range"))?;
        Ok(stripe.lock().await)
    }

    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let name = m.capture("name");
        if !name.is_empty() && !valid_name(name) {
            return Err(Error::UnsupportedPath);
        }
        let f = &m.fields;
        let read = matches!(req.operation, Read | Operation::Head);
        match (m.route(), req.operation) {
            (Route::ConfigList, _) => crate::store::list(&self.storage, crate::store::CONFIG).await,
            (Route::Config, _) if read => config::read(self, name).await,
            (Route::Config, Delete) => config::delete(self, name).await,
            (Route::Config, op) => config::write(self, req, name, f, op).await,
            (Route::Reset, _) => config::reset(self, name).await,
            (Route::RotateRoot, _) => rotate::root(self, name).await,
            (Route::RoleList, _) => crate::store::list(&self.storage, crate::store::ROLE).await,
            (Route::Role, _) if read => roles::read(self, name).await,
            (Route::Role, Delete) => roles::delete(self, name).await,
            (Route::Role, op) => roles::write(self, name, f, op).await,
            (Route::StaticRoleList, _) => {
                crate::store::list(&self.storage, crate::store::STATIC_ROLE).await
            }
            (Route::StaticRole, _) if read => static_roles::read(self, name).await,
            (Route::StaticRole, Delete) => static_roles::delete(self, name).await,
            (Route::StaticRole, op) => static_roles::write(self, name, f, op).await,
            (Route::Creds, _) => creds::create(self, req, name).await,
            (Route::StaticCreds, _) => static_roles::creds(self, name).await,
            (Route::RotateRole, _) => rotate::role(self, name).await,
        }
    }
}

/// Vault's `GenericNameRegex`: word characters, with `-` and `.` allowed inside.
pub(crate) fn valid_name(name: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => {
            word(first) && word(last) && bytes.iter().all(|&b| word(b) || b == b'-' || b == b'.')
        }
        _ => false,
    }
}

#[async_trait]
impl LogicalBackend for Database {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let req = without_trailing_slash(req);
        let matched = route(PATHS, &req)?;
        let mut resp = self.dispatch(&req, &matched).await?;
        if matches!(matched.route(), Route::Role | Route::StaticRole) {
            resp.warnings.extend(matched.fields.ignored_warning());
        }
        Ok(resp)
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        let req = without_trailing_slash(req);
        let Some((spec, captures)) = find(PATHS, req.path) else {
            return Ok(None);
        };
        if !spec.existence_check {
            return Ok(None);
        }
        let prefix = match spec.route {
            Route::Config => crate::store::CONFIG,
            Route::Role => crate::store::ROLE,
            _ => crate::store::STATIC_ROLE,
        };
        let name = captures.get("name").unwrap_or("");
        if !valid_name(name) {
            return Ok(Some(false));
        }
        let key = format!("{prefix}{name}");
        Ok(Some(self.storage.get(&key).await?.is_some()))
    }

    async fn renew_secret(&self, req: &LeaseRequest<'_>) -> Result<SecretLease, Error> {
        crate::leases::renew(self, req).await
    }

    async fn revoke_secret(&self, req: &LeaseRequest<'_>) -> Result<(), Error> {
        crate::leases::revoke(self, req).await
    }

    async fn periodic(&self) -> Result<(), Error> {
        let rollback = crate::wal::rollback_stale(self).await;
        let rotation = crate::rotation::rotate_due(self).await;
        rollback.and(rotation)
    }
}
