//! The RabbitMQ secrets engine (`rabbitmq/`): users created on demand through RabbitMQ's
//! HTTP management API, under a lease, and deleted when it ends. The path table below is
//! the whole API; handlers live in the modules.

mod client;
mod model;
mod path_config;
mod path_creds;
mod path_roles;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::framework::{find, route, FieldSpec, FieldType, Matched, PathSpec};
use tresor_sdk::{
    BackendRequest, Clock, Error, LeaseRequest, LogicalBackend, MountContext, Operation, Response,
    SecretLease, SystemView,
};
use tresor_storage::View;

use FieldType::{Bool, Duration as Dur, Int, Str};
use Operation::{Delete, List, Read, Update};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Connection,
    Lease,
    RoleList,
    Role,
    Creds,
}

const NAME: FieldSpec = FieldSpec::new("name", Str, "Name of the role.");
const LIST_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("after", Str, "List the entries after this one."),
    FieldSpec::new(
        "limit",
        Int,
        "The number of entries to list; all when unset.",
    ),
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
    spec(
        "config/connection",
        Route::Connection,
        &[Update],
        &[
            FieldSpec::new("connection_uri", Str, "RabbitMQ management API URI."),
            FieldSpec::new("username", Str, "An administrator of the management API."),
            FieldSpec::new("password", Str, "That administrator's password."),
            FieldSpec::new(
                "verify_connection",
                Bool,
                "Check the URI and credentials before saving them (default true).",
            ),
            FieldSpec::new(
                "password_policy",
                Str,
                "Password policy for generated passwords.",
            ),
            FieldSpec::new("username_template", Str, "Template of generated usernames."),
        ],
        "Configure the connection to the RabbitMQ management HTTP API.",
    ),
    spec(
        "config/lease",
        Route::Lease,
        &[Read, Update],
        &[
            FieldSpec::new("ttl", Dur, "Lease duration of issued credentials."),
            FieldSpec::new("max_ttl", Dur, "Maximum lease duration after renewals."),
        ],
        "Configure the lease parameters for generated credentials.",
    ),
    spec(
        "roles",
        Route::RoleList,
        &[List],
        LIST_FIELDS,
        "List the roles.",
    ),
    spec(
        "roles/",
        Route::RoleList,
        &[List],
        LIST_FIELDS,
        "List the roles.",
    ),
    spec(
        "roles/{name}",
        Route::Role,
        &[Read, Update, Delete],
        &[
            NAME,
            FieldSpec::new("tags", Str, "Comma-separated RabbitMQ user tags."),
            FieldSpec::new("vhosts", Str, "JSON map of vhosts to permissions."),
            FieldSpec::new(
                "vhost_topics",
                Str,
                "JSON map of vhosts to exchanges to topic permissions.",
            ),
        ],
        "Manage the roles credentials are issued for.",
    ),
    spec(
        "creds/{name}",
        Route::Creds,
        &[Read],
        &[NAME],
        "Request RabbitMQ credentials for a role.",
    ),
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(RabbitMq {
        storage: ctx.storage,
        clock: ctx.clock,
        system: ctx.system,
        http: client::http_client()?,
    }))
}

#[derive(Debug)]
pub struct RabbitMq {
    storage: View,
    clock: Arc<dyn Clock>,
    system: Arc<dyn SystemView>,
    http: reqwest::Client,
}

impl RabbitMq {
    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let f = &m.fields;
        let name = m.capture("name");
        match (m.route(), req.operation) {
            (Route::Connection, _) => path_config::write_connection(self, f).await,
            (Route::Lease, Read | Operation::Head) => path_config::read_lease(self).await,
            (Route::Lease, _) => path_config::write_lease(self, f).await,
            (Route::RoleList, _) => path_roles::list(self, f).await,
            (Route::Role, Read | Operation::Head) => path_roles::read(self, name).await,
            (Route::Role, Delete) => path_roles::delete(self, name).await,
            (Route::Role, _) => path_roles::write(self, name, f).await,
            (Route::Creds, _) => path_creds::issue(self, name, req.display_name).await,
        }
    }
}

#[async_trait]
impl LogicalBackend for RabbitMq {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        // A role name Vault's pattern would not match is a path no route serves (404),
        // whatever the operation.
        if let Some((_, captures)) = find(PATHS, req.path) {
            model::path_name(captures.get("name").unwrap_or("x"))?;
        }
        let matched = route(PATHS, req)?;
        let mut resp = self.dispatch(req, &matched).await?;
        // Vault warns of ignored parameters only on answers that carry data; a write
        // stays a 204.
        if resp.data.is_some() {
            resp.warnings.extend(matched.fields.ignored_warning());
        }
        Ok(resp)
    }

    async fn renew_secret(&self, req: &LeaseRequest<'_>) -> Result<SecretLease, Error> {
        path_creds::renew(self, req).await
    }

    async fn revoke_secret(&self, req: &LeaseRequest<'_>) -> Result<(), Error> {
        path_creds::revoke(self, req).await
    }
}
