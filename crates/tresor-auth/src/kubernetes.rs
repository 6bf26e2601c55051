//! `kubernetes`: pods log in with their service-account JWT. The path table below is the
//! whole API; handlers live in the modules.
//!
//! A login first reads the JWT's claims without trusting them and checks them against
//! the role's bindings, so a token that could never pass costs no API call. The token
//! is then proven either locally, against the configured `pem_keys`, or by the cluster
//! through the TokenReview API, called with the configured reviewer JWT or, when tresor
//! runs in a pod, its own service-account token and CA, re-read from disk on every call
//! so short-lived projected tokens keep working.
//!
//! Where tresor differs from Vault's plugin, on purpose:
//! - with `pem_keys`, a verified signature is enough: no TokenReview call follows (Vault
//!   makes one as well), so a deleted service account's unexpired token still logs in;
//! - with issuer validation on and no `issuer`, tokens must carry the documented default
//!   `kubernetes/serviceaccount` (Vault's code then checks no issuer at all);
//! - `bound_service_account_namespace_selector` is read as JSON only (a YAML selector
//!   is refused with a 400); `use_annotations_as_alias_metadata` is refused if true;
//! - `kubernetes_host` must be https (plain http only to a loopback address);
//! - without `kubernetes_ca_cert` and outside a pod, the system's roots are used where
//!   Vault fails; a login before any `config` is a 400, not a 500.

mod api;
mod claims;
mod glob;
mod keys;
mod model;
mod path_config;
mod path_login;
mod path_role;
mod selector;
#[cfg(test)]
mod test_cluster;
mod token_review;

pub use api::LocalFiles;

use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::framework::{
    existence_target, route, without_trailing_slash, FieldSpec, FieldType, Matched, PathSpec,
};
use tresor_sdk::{BackendRequest, Clock, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::View;

use FieldType::{Bool, Int, Str, StrList};
use Operation::{Delete, List, Read, Update};

/// The legacy names Kubernetes roles take (each maps to its `token_` twin).
const LEGACY: &[&str] = &["policies", "ttl", "max_ttl", "period", "bound_cidrs"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Config,
    Role,
    RoleList,
    Login,
}

static PATHS: &[PathSpec<Route>] = &[
    PathSpec {
        pattern: "config",
        route: Route::Config,
        operations: &[Read, Update],
        fields: &[
            FieldSpec::new(
                "kubernetes_host",
                Str,
                "A host, a host:port pair, or the URL of the Kubernetes API server.",
            ),
            FieldSpec::new(
                "kubernetes_ca_cert",
                Str,
                "PEM CA certificate(s) the API server's TLS certificate is checked against.",
            ),
            FieldSpec::new(
                "token_reviewer_jwt",
                Str,
                "Bearer token for the TokenReview API; never shown on read.",
            ),
            FieldSpec::new(
                "pem_keys",
                StrList,
                "PEM public keys or certificates that verify service-account JWTs locally.",
            ),
            FieldSpec::new("issuer", Str, "The issuer (iss) JWTs must carry."),
            FieldSpec::new(
                "disable_iss_validation",
                Bool,
                "Skip the issuer check (default true).",
            ),
            FieldSpec::new(
                "disable_local_ca_jwt",
                Bool,
                "Never use the pod's own service-account token and CA.",
            ),
            FieldSpec::new(
                "use_annotations_as_alias_metadata",
                Bool,
                "Not supported; only false is accepted.",
            ),
        ],
        existence_check: false,
        help: "Configures how JWTs are verified and how the Kubernetes API is reached.",
    },
    PathSpec {
        pattern: "role/{name}",
        route: Route::Role,
        operations: &[Read, Update, Delete],
        fields: &[
            FieldSpec::new("name", Str, "Name of the role."),
            FieldSpec::new(
                "bound_service_account_names",
                StrList,
                "Service-account names (globs allowed; \"*\" is any) that may log in.",
            ),
            FieldSpec::new(
                "bound_service_account_namespaces",
                StrList,
                "Namespaces (globs allowed; \"*\" is any) that may log in.",
            ),
            FieldSpec::new(
                "bound_service_account_namespace_selector",
                Str,
                "A JSON label selector (matchLabels) for further namespaces that may log in.",
            ),
            FieldSpec::new("audience", Str, "An audience the JWT must carry."),
            FieldSpec::new(
                "alias_name_source",
                Str,
                "serviceaccount_uid (default) or serviceaccount_name (<namespace>/<name>).",
            ),
            FieldSpec::new("num_uses", Int, "Use \"token_num_uses\" instead."),
        ],
        existence_check: true,
        help: "Binds service accounts and namespaces to token settings.",
    },
    PathSpec {
        pattern: "role",
        route: Route::RoleList,
        operations: &[List],
        fields: &[],
        existence_check: false,
        help: "Lists the roles.",
    },
    PathSpec {
        pattern: "login",
        route: Route::Login,
        operations: &[Update],
        fields: &[
            FieldSpec::new("role", Str, "Name of the role to log in with."),
            FieldSpec::new("jwt", Str, "The service account's JWT."),
        ],
        existence_check: false,
        help: "Authenticates a Kubernetes service account.",
    },
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Kubernetes::new(ctx, LocalFiles::default())))
}

#[derive(Debug)]
pub struct Kubernetes {
    storage: View,
    clock: Arc<dyn Clock>,
    /// Serialises read-modify-write of roles.
    roles: tokio::sync::Mutex<()>,
    api: api::Clients,
}

impl Kubernetes {
    /// A backend that finds the pod's own token and CA at `local`.
    pub fn new(ctx: MountContext, local: LocalFiles) -> Self {
        Self {
            storage: ctx.storage,
            clock: ctx.clock,
            roles: tokio::sync::Mutex::new(()),
            api: api::Clients::new(local),
        }
    }

    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let name = m.capture("name");
        match (m.route(), req.operation) {
            (Route::Config, Read | Operation::Head) => path_config::read(self).await,
            (Route::Config, _) => path_config::write(self, &m.fields).await,
            (Route::Role, Read | Operation::Head) => path_role::read(self, name).await,
            (Route::Role, Delete) => path_role::delete(self, name).await,
            (Route::Role, _) => path_role::write(self, req, name, &m.fields).await,
            (Route::RoleList, _) => path_role::list(self).await,
            (Route::Login, _) => path_login::login(self, &m.fields, req.client_addr).await,
        }
    }
}

#[async_trait]
impl LogicalBackend for Kubernetes {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let req = without_trailing_slash(req);
        let matched = route(PATHS, &req)?;
        let mut resp = self.dispatch(&req, &matched).await?;
        let legacy: &[&str] = match matched.route() {
            Route::Role => LEGACY,
            _ => &[],
        };
        if matched.route() != Route::Login {
            resp.warnings
                .extend(crate::names::ignored_warning(&matched.fields, legacy));
        }
        Ok(resp)
    }

    async fn renew_login(
        &self,
        _req: &BackendRequest<'_>,
        login: &tresor_sdk::LoginRecord<'_>,
    ) -> Result<Option<tresor_sdk::RenewTerms>, Error> {
        crate::renew::role_terms(login, "role", |name| async move {
            let role = model::load_role(&self.storage, &name).await?;
            Ok(role.map(|r| r.token.renew_terms()))
        })
        .await
    }

    fn login_paths(&self) -> &'static [&'static str] {
        &["login"]
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        let Some(name) = existence_target(PATHS, without_trailing_slash(req).path, "name") else {
            return Ok(None);
        };
        Ok(Some(
            model::load_role(&self.storage, &name).await?.is_some(),
        ))
    }
}
