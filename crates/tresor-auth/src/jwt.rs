//! `jwt` (also mounted as `oidc`): logins with JSON Web Tokens signed by a trusted
//! issuer, and the OpenID Connect browser flow. The path table below is the whole API;
//! handlers live in the modules.
//!
//! Signing keys come from exactly one source: PEM public keys, a JWKS URL, or the JWKS
//! an OIDC discovery document names. Only asymmetric algorithms are ever accepted.
//! Remote key sets and discovery documents are cached by the mount ([`jwks`]); browser
//! logins in progress live in memory ([`oidc_state`]).

mod alg;
mod claims;
mod discovery;
mod fetch;
mod jwks;
mod jws;
mod keys;
mod model;
mod oidc_state;
mod oidc_token;
mod path_config;
mod path_login;
mod path_oidc;
mod path_role;
mod role_fields;
#[cfg(test)]
mod testkit;
mod validate;
mod verify;

use async_trait::async_trait;
use std::sync::Arc;
use tresor_sdk::framework::{existence_target, route, FieldSpec, FieldType, Matched, PathSpec};
use tresor_sdk::{BackendRequest, Clock, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::View;

use FieldType::{Any, Bool, Duration as Dur, Int, Map, Str, StrList};
use Operation::{Delete, List, Read, Update};

/// The legacy token names roles take (Vault's `jwtRole` keeps these).
const LEGACY: &[&str] = &["policies", "ttl", "max_ttl", "period", "bound_cidrs"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Config,
    Role,
    RoleList,
    Login,
    AuthUrl,
    Callback,
}

const ROLE: FieldSpec = FieldSpec::new("role", Str, "The role to log in against.");
const CLIENT_NONCE: FieldSpec = FieldSpec::new(
    "client_nonce",
    Str,
    "Client-provided nonce that must match during callback, if present.",
);

const CONFIG_FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "oidc_discovery_url",
        Str,
        "The OIDC discovery URL, without the .well-known component.",
    ),
    FieldSpec::new(
        "oidc_discovery_ca_pem",
        Str,
        "CA certificates (PEM) for the discovery URL; else system roots.",
    ),
    FieldSpec::new("oidc_client_id", Str, "The OAuth client ID."),
    FieldSpec::new(
        "oidc_client_secret",
        Str,
        "The OAuth client secret (never shown).",
    ),
    FieldSpec::new("oidc_response_mode", Str, "'query' (the only mode served)."),
    FieldSpec::new(
        "oidc_response_types",
        StrList,
        "'code' (the only type served).",
    ),
    FieldSpec::new("jwks_url", Str, "JWKS URL to verify signatures with."),
    FieldSpec::new(
        "jwks_ca_pem",
        Str,
        "CA certificates (PEM) for the JWKS URL; else system roots.",
    ),
    FieldSpec::new(
        "jwt_validation_pubkeys",
        StrList,
        "PEM public keys to verify signatures with.",
    ),
    FieldSpec::new(
        "jwt_supported_algs",
        StrList,
        "Accepted signing algorithms.",
    ),
    FieldSpec::new("bound_issuer", Str, "The value the 'iss' claim must have."),
    FieldSpec::new("default_role", Str, "The role for logins that name none."),
    FieldSpec::new("provider_config", Map, "Not supported; must be empty."),
    FieldSpec::new(
        "override_allowed_server_names",
        StrList,
        "Not supported; must be empty.",
    ),
    FieldSpec::new("namespace_in_state", Bool, "Accepted for compatibility."),
    FieldSpec::new(
        "skip_jwks_validation",
        Bool,
        "Store the config even if the keys cannot be loaded now.",
    ),
];

const ROLE_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("name", Str, "Name of the role."),
    FieldSpec::new("role_type", Str, "'jwt' or 'oidc' (the default)."),
    FieldSpec::new(
        "bound_audiences",
        StrList,
        "'aud' values that may log in; any match suffices.",
    ),
    FieldSpec::new("bound_subject", Str, "The 'sub' claim that may log in."),
    FieldSpec::new("bound_claims_type", Str, "'string' or 'glob'."),
    FieldSpec::new(
        "bound_claims",
        Map,
        "Claims (or JSON pointers) and the values they must have.",
    ),
    FieldSpec::new(
        "claim_mappings",
        Any,
        "Claims copied to alias metadata keys.",
    ),
    FieldSpec::new(
        "user_claim",
        Str,
        "The claim that names the identity alias.",
    ),
    FieldSpec::new(
        "user_claim_json_pointer",
        Bool,
        "Read user_claim as a JSON pointer.",
    ),
    FieldSpec::new(
        "groups_claim",
        Str,
        "The claim that names identity group aliases.",
    ),
    FieldSpec::new("oidc_scopes", StrList, "OIDC scopes to request."),
    FieldSpec::new(
        "allowed_redirect_uris",
        StrList,
        "Redirect URIs an OIDC login may use.",
    ),
    FieldSpec::new("callback_mode", Str, "'client' (the only mode served)."),
    FieldSpec::new("poll_interval", Int, "Accepted for compatibility."),
    FieldSpec::new(
        "verbose_oidc_logging",
        Bool,
        "Accepted for compatibility; tokens are never logged.",
    ),
    FieldSpec::new(
        "max_age",
        Dur,
        "Largest age of the user's last authentication at the provider.",
    ),
    FieldSpec::new(
        "oidc_disable_confirmation",
        Bool,
        "Accepted for compatibility.",
    ),
    FieldSpec::new("oauth2_metadata", StrList, "Not supported; must be empty."),
    FieldSpec::new(
        "token_policies_template_claims",
        Bool,
        "Not supported; must be false.",
    ),
    FieldSpec::new(
        "expiration_leeway",
        Any,
        "Seconds of leeway on 'exp'; 0 is 150, -1 none.",
    ),
    FieldSpec::new(
        "not_before_leeway",
        Any,
        "Seconds of leeway on 'nbf'; 0 is 150, -1 none.",
    ),
    FieldSpec::new(
        "clock_skew_leeway",
        Any,
        "Seconds of clock skew on all times; 0 is 60, -1 none.",
    ),
    FieldSpec::new("num_uses", Int, "Use \"token_num_uses\" instead."),
];

static PATHS: &[PathSpec<Route>] = &[
    PathSpec {
        pattern: "config",
        route: Route::Config,
        operations: &[Read, Update],
        fields: CONFIG_FIELDS,
        existence_check: false,
        help: "Configures the JWT authentication backend.",
    },
    PathSpec {
        pattern: "role/{name}",
        route: Route::Role,
        operations: &[Read, Update, Delete],
        fields: ROLE_FIELDS,
        existence_check: true,
        help: "Register a role with the backend.",
    },
    PathSpec {
        pattern: "role/{rest?*}",
        route: Route::RoleList,
        operations: &[List],
        fields: &[],
        existence_check: false,
        help: "Lists all the roles registered with the backend.",
    },
    PathSpec {
        pattern: "login",
        route: Route::Login,
        operations: &[Update],
        fields: &[
            ROLE,
            FieldSpec::new("jwt", Str, "The signed JWT to validate."),
        ],
        existence_check: false,
        help: "Authenticates with a JWT (or OIDC) token.",
    },
    PathSpec {
        pattern: "oidc/auth_url",
        route: Route::AuthUrl,
        operations: &[Update],
        fields: &[
            ROLE,
            FieldSpec::new(
                "redirect_uri",
                Str,
                "The OAuth redirect_uri of the authorization URL.",
            ),
            CLIENT_NONCE,
        ],
        existence_check: false,
        help: "Request an authorization URL to start an OIDC login flow.",
    },
    PathSpec {
        pattern: "oidc/callback",
        route: Route::Callback,
        operations: &[Read, Update],
        fields: &[
            FieldSpec::new("state", Str, "The state auth_url issued."),
            FieldSpec::new("code", Str, "The authorization code."),
            FieldSpec::new("id_token", Str, "Not served (form_post)."),
            CLIENT_NONCE,
            FieldSpec::new("error", Str, "An OAuth error from the provider."),
            FieldSpec::new("error_description", Str, "Its description."),
            FieldSpec::new("error_uri", Str, "Its URI."),
        ],
        existence_check: false,
        help: "Callback endpoint to complete an OIDC login.",
    },
];

pub fn factory(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(JwtAuth::new(ctx.storage, ctx.clock)))
}

#[derive(Debug)]
pub struct JwtAuth {
    storage: View,
    clock: Arc<dyn Clock>,
    /// Remote key sets and discovery documents.
    remote: jwks::RemoteKeys,
    /// Browser logins between `oidc/auth_url` and `oidc/callback`.
    pending: oidc_state::PendingStore,
    /// Serialises config and role writes.
    writes: tokio::sync::Mutex<()>,
}

impl JwtAuth {
    fn new(storage: View, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            clock,
            remote: jwks::RemoteKeys::default(),
            pending: oidc_state::PendingStore::default(),
            writes: tokio::sync::Mutex::new(()),
        }
    }

    async fn dispatch(
        &self,
        req: &BackendRequest<'_>,
        m: &Matched<'_, Route>,
    ) -> Result<Response, Error> {
        let f = &m.fields;
        match (m.route(), req.operation) {
            (Route::Config, Read | Operation::Head) => path_config::read(self).await,
            (Route::Config, _) => path_config::write(self, f).await,
            (Route::Role, Read | Operation::Head) => path_role::read(self, m.capture("name")).await,
            (Route::Role, Delete) => path_role::delete(self, m.capture("name")).await,
            (Route::Role, _) => path_role::write(self, req, m.capture("name"), f).await,
            (Route::RoleList, _) => path_role::list(self, m.capture("rest")).await,
            (Route::Login, _) => path_login::login(self, f, req.client_addr).await,
            (Route::AuthUrl, _) => path_oidc::auth_url(self, f).await,
            (Route::Callback, Read | Operation::Head) => {
                path_oidc::callback(self, f, req.client_addr).await
            }
            // Vault answers a form post only in the form_post response mode.
            (Route::Callback, _) => Err(Error::MethodNotAllowed),
        }
    }
}

#[async_trait]
impl LogicalBackend for JwtAuth {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let matched = route(PATHS, req)?;
        let mut resp = self.dispatch(req, &matched).await?;
        let ignored = match matched.route() {
            Route::Role => crate::names::ignored_warning(&matched.fields, LEGACY),
            Route::Config => matched.fields.ignored_warning(),
            _ => None,
        };
        resp.warnings.extend(ignored);
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
        &["login", "oidc/auth_url", "oidc/callback"]
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        let Some(name) = existence_target(PATHS, req.path, "name") else {
            return Ok(None);
        };
        Ok(Some(
            model::load_role(&self.storage, &name).await?.is_some(),
        ))
    }
}
