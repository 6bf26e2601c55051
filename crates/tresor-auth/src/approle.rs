//! `approle`: machines log in with a role ID and a secret ID. The path table below is
//! the whole API; handlers live in the modules.
//!
//! Secret IDs are stored only as HMACs under their role (keyed by a random per-role
//! key), accessors and role IDs only as HMACs keyed by a per-mount salt. Everything that
//! reads and writes a role's secret IDs (logins included) holds that role's lock, so a
//! use count goes down exactly once per login.

mod keys;
mod model;
mod path_login;
mod path_role;
mod path_secret_id;
mod path_secret_id_manage;
mod path_tidy;

use async_trait::async_trait;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::SystemTime;
use tokio::sync::{Mutex, MutexGuard, OnceCell};
use tresor_crypto::digest::HmacKey;
use tresor_sdk::framework::{
    existence_target, route, without_trailing_slash, FieldSpec, FieldType, Matched, PathSpec,
};
use tresor_sdk::{BackendRequest, Clock, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::View;

use FieldType::{Bool, Duration as Dur, Int, Str, StrList};
use Operation::{Delete, List, Read, Update};

/// The legacy names AppRole roles take.
const LEGACY: &[&str] = &["policies", "period"];
const STRIPES: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Role,
    RoleList,
    RoleId,
    SecretId,
    CustomSecretId,
    SecretIdLookup,
    SecretIdDestroy,
    AccessorLookup,
    AccessorDestroy,
    Login,
    Tidy,
}

const ROLE_NAME: FieldSpec = FieldSpec::new("role_name", Str, "Name of the role.");
const ROLE_ID: FieldSpec = FieldSpec::new("role_id", Str, "Identifier of the role.");
const SECRET_ID: FieldSpec = FieldSpec::new("secret_id", Str, "SecretID attached to the role.");
const ACCESSOR: FieldSpec = FieldSpec::new("secret_id_accessor", Str, "Accessor of the SecretID.");
const SECRET_ID_FIELDS: &[FieldSpec] = &[
    ROLE_NAME,
    SECRET_ID,
    FieldSpec::new(
        "metadata",
        Str,
        "JSON or key=value pairs kept with the SecretID.",
    ),
    FieldSpec::new(
        "cidr_list",
        StrList,
        "CIDR blocks allowed to log in with it.",
    ),
    FieldSpec::new(
        "token_bound_cidrs",
        StrList,
        "CIDR blocks the tokens are bound to.",
    ),
    FieldSpec::new("num_uses", Int, "Uses of the SecretID; 0 is unlimited."),
    FieldSpec::new("ttl", Dur, "Lifetime of the SecretID; 0 is unlimited."),
];

const fn spec(
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
    PathSpec {
        pattern: "role/{role_name}",
        route: Route::Role,
        operations: &[Read, Update, Delete],
        fields: &[
            ROLE_NAME,
            ROLE_ID,
            FieldSpec::new("bind_secret_id", Bool, "Require a SecretID at login."),
            FieldSpec::new(
                "secret_id_bound_cidrs",
                StrList,
                "CIDR blocks that may log in.",
            ),
            FieldSpec::new("bound_cidr_list", StrList, "Use \"secret_id_bound_cidrs\"."),
            FieldSpec::new(
                "secret_id_num_uses",
                Int,
                "Uses of each SecretID; 0 is unlimited.",
            ),
            FieldSpec::new(
                "secret_id_ttl",
                Dur,
                "Lifetime of each SecretID; 0 is unlimited.",
            ),
            FieldSpec::new("local_secret_ids", Bool, "Accepted for compatibility."),
        ],
        existence_check: true,
        help: "Register a role with the backend.",
    },
    spec("role", Route::RoleList, &[List], &[], "Lists the roles."),
    spec(
        "role/{role_name}/role-id",
        Route::RoleId,
        &[Read, Update],
        &[ROLE_NAME, ROLE_ID],
        "Reads or sets the role's RoleID.",
    ),
    spec(
        "role/{role_name}/secret-id",
        Route::SecretId,
        &[Update, List],
        SECRET_ID_FIELDS,
        "Generates a SecretID, or lists the accessors of the role's SecretIDs.",
    ),
    spec(
        "role/{role_name}/custom-secret-id",
        Route::CustomSecretId,
        &[Update],
        SECRET_ID_FIELDS,
        "Registers a SecretID of the caller's choosing.",
    ),
    spec(
        "role/{role_name}/secret-id/lookup",
        Route::SecretIdLookup,
        &[Update],
        &[ROLE_NAME, SECRET_ID],
        "Reads the properties of a SecretID.",
    ),
    spec(
        "role/{role_name}/secret-id/destroy",
        Route::SecretIdDestroy,
        &[Update, Delete],
        &[ROLE_NAME, SECRET_ID],
        "Destroys a SecretID.",
    ),
    spec(
        "role/{role_name}/secret-id-accessor/lookup",
        Route::AccessorLookup,
        &[Update],
        &[ROLE_NAME, ACCESSOR],
        "Reads the properties of a SecretID by its accessor.",
    ),
    spec(
        "role/{role_name}/secret-id-accessor/destroy",
        Route::AccessorDestroy,
        &[Update, Delete],
        &[ROLE_NAME, ACCESSOR],
        "Destroys a SecretID by its accessor.",
    ),
    spec(
        "login",
        Route::Login,
        &[Update],
        &[ROLE_ID, SECRET_ID],
        "Issue a token based on the credentials supplied.",
    ),
    spec(
        "tidy/secret-id",
        Route::Tidy,
        &[Update],
        &[],
        "Trigger the clean-up of expired SecretID entries.",
    ),
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(AppRole {
        storage: ctx.storage,
        clock: ctx.clock,
        salt: OnceCell::new(),
        roles: Mutex::new(()),
        stripes: std::array::from_fn(|_| Mutex::new(())),
        tidying: AtomicBool::new(false),
    }))
}

#[derive(Debug)]
pub struct AppRole {
    storage: View,
    clock: Arc<dyn Clock>,
    /// The per-mount salt keying role-ID and accessor HMACs, loaded (or made) once.
    salt: OnceCell<HmacKey>,
    /// Serialises role writes (role IDs must stay unique); taken before a role lock.
    roles: Mutex<()>,
    /// Per-role locks, by a hash of the role name.
    stripes: [Mutex<()>; STRIPES],
    tidying: AtomicBool,
}

impl AppRole {
    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// The lock of one role's secret IDs.
    async fn lock_role(&self, name: &str) -> Result<MutexGuard<'_, ()>, Error> {
        let hash = tresor_crypto::digest::sha256(name.as_bytes());
        let i = usize::from(hash.first().copied().unwrap_or(0)) % STRIPES;
        let stripe = self
            .stripes
            .get(i)
            .ok_or_else(|| Error::internal("role lock index out of range"))?;
        Ok(stripe.lock().await)
    }

    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let name = m.capture("role_name");
        let f = &m.fields;
        let op = req.operation;
        match (m.route(), op) {
            (Route::Role, Read | Operation::Head) => path_role::read(self, name).await,
            (Route::Role, Delete) => path_role::delete(self, name).await,
            (Route::Role, _) => path_role::write(self, req, name, f).await,
            (Route::RoleList, _) => path_role::list(self).await,
            (Route::RoleId, Read | Operation::Head) => path_role::read_role_id(self, name).await,
            (Route::RoleId, _) => path_role::write_role_id(self, name, f).await,
            (Route::SecretId, List) => path_secret_id::list(self, name).await,
            (Route::SecretId, _) => path_secret_id::generate(self, req, name, f, None).await,
            (Route::CustomSecretId, _) => {
                let custom = f.str("secret_id").unwrap_or("");
                path_secret_id::generate(self, req, name, f, Some(custom)).await
            }
            (Route::SecretIdLookup, _) => path_secret_id_manage::lookup(self, name, f).await,
            (Route::SecretIdDestroy, _) => path_secret_id_manage::destroy(self, name, f).await,
            (Route::AccessorLookup, _) => {
                path_secret_id_manage::accessor_lookup(self, name, f).await
            }
            (Route::AccessorDestroy, _) => {
                path_secret_id_manage::accessor_destroy(self, name, f).await
            }
            (Route::Login, _) => path_login::login(self, f, req.client_addr).await,
            (Route::Tidy, _) => path_tidy::tidy(self).await,
        }
    }
}

#[async_trait]
impl LogicalBackend for AppRole {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let req = without_trailing_slash(req);
        let matched = route(PATHS, &req)?;
        let mut resp = self.dispatch(&req, &matched).await?;
        if matched.route() != Route::Login {
            let legacy = if matched.route() == Route::Role {
                LEGACY
            } else {
                &[]
            };
            resp.warnings
                .extend(crate::names::ignored_warning(&matched.fields, legacy));
        }
        Ok(resp)
    }

    async fn initialize(&self) -> Result<(), Error> {
        self.salt().await.map(|_| ())
    }

    async fn renew_login(
        &self,
        _req: &BackendRequest<'_>,
        login: &tresor_sdk::LoginRecord<'_>,
    ) -> Result<Option<tresor_sdk::RenewTerms>, Error> {
        crate::renew::role_terms(login, "role_name", |name| async move {
            let role = model::load_role(&self.storage, &name).await?;
            Ok(role.map(|r| r.token.renew_terms()))
        })
        .await
    }

    fn login_paths(&self) -> &'static [&'static str] {
        &["login"]
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        let Some(name) = existence_target(PATHS, without_trailing_slash(req).path, "role_name")
        else {
            return Ok(None);
        };
        Ok(Some(
            model::load_role(&self.storage, &name).await?.is_some(),
        ))
    }
}
