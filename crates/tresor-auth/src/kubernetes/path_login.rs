//! `login`: a role and a service-account JWT for a token, in named steps:
//!
//! 1. the role (400 `invalid role name` when unknown, as Vault) and its token CIDRs;
//! 2. the JWT read without trust; with `pem_keys`, its signature checked here;
//! 3. its issuer, audience and times, then the role's name and namespace bindings
//!    (403 with Vault's messages), all before any call to the TokenReview API;
//! 4. without `pem_keys`, the TokenReview API must vouch for the token and name the
//!    same service account;
//! 5. the token to make: policies from the role, the alias from the UID or
//!    `<namespace>/<name>`, Vault's metadata.
//!
//! No token (the login JWT or the reviewer's) ever goes into an error or a log line.

use super::api::{Api, Bearer};
use super::claims::{self, Claims, Expected};
use super::keys::KeySet;
use super::model::{self, Config, Role, ALIAS_SA_NAME};
use super::token_review::{self, ReviewError};
use super::{glob, selector, Kubernetes};
use std::collections::BTreeMap;
use std::time::UNIX_EPOCH;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Response};

/// The issuer checked when validation is on and no `issuer` is configured: the one
/// legacy (secret-based) tokens carry.
const DEFAULT_ISSUER: &str = "kubernetes/serviceaccount";

fn forbidden(msg: impl Into<String>) -> Error {
    Error::Forbidden(msg.into())
}

pub async fn login(
    k: &Kubernetes,
    fields: &Fields,
    client_addr: Option<&str>,
) -> Result<Response, Error> {
    let role_name = fields.str("role").unwrap_or("");
    if role_name.is_empty() {
        return Err(Error::bad_request("missing role"));
    }
    let jwt = fields.str("jwt").unwrap_or("");
    if jwt.is_empty() {
        return Err(Error::bad_request("missing jwt"));
    }
    let role = match crate::names::valid_name(role_name) {
        true => model::load_role(&k.storage, &role_name.to_lowercase()).await?,
        false => None,
    };
    let Some(role) = role else {
        let shown: String = role_name.chars().take(128).collect();
        return Err(Error::bad_request(format!("invalid role name {shown:?}")));
    };
    role.token.check_bound_cidrs(client_addr)?;
    let config = model::load_config(&k.storage)
        .await?
        .ok_or_else(|| Error::bad_request("could not load backend configuration"))?;
    let keys = match config.pem_keys.is_empty() {
        true => None,
        false => Some(KeySet::parse(&config.pem_keys).map_err(Error::internal)?),
    };
    let token = claims::parse(jwt)?;
    if let Some(keys) = &keys {
        if !keys.verifies(jwt, &token.alg) {
            tracing::debug!("kubernetes login: signature not verified");
            return Err(Error::PermissionDenied);
        }
    }
    let sa = &token.claims;
    sa.check(&expected(k, &config, &role)).map_err(forbidden)?;
    let mut api = None;
    check_bindings(k, &config, &role, sa, jwt, &mut api).await?;
    let alias = alias_name(&role, sa)?;
    if keys.is_none() {
        let api = match api {
            Some(api) => api,
            None => k.api.connect(&config, jwt).await?,
        };
        review(&api, jwt, &role, sa).await?;
    }
    Ok(answer(role_name, &role, sa, &alias))
}

fn expected<'a>(k: &Kubernetes, config: &'a Config, role: &'a Role) -> Expected<'a> {
    let now = k
        .clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let issuer = match (config.disable_iss_validation, config.issuer.as_str()) {
        (true, _) => None,
        (false, "") => Some(DEFAULT_ISSUER),
        (false, iss) => Some(iss),
    };
    Expected {
        issuer,
        audience: (!role.audience.is_empty()).then_some(role.audience.as_str()),
        now,
    }
}

/// The role's name bindings, then its namespaces (listed, else by the selector, which
/// reads the namespace from the API; the client it built is kept for the review).
async fn check_bindings(
    k: &Kubernetes,
    config: &Config,
    role: &Role,
    sa: &Claims,
    jwt: &str,
    api: &mut Option<Api>,
) -> Result<(), Error> {
    if !glob::any_matches(&role.bound_service_account_names, sa.name()) {
        return Err(forbidden("service account name not authorized"));
    }
    if glob::any_matches(&role.bound_service_account_namespaces, sa.namespace()) {
        return Ok(());
    }
    let selector = &role.bound_service_account_namespace_selector;
    let Some(required) = (!selector.is_empty())
        .then(|| selector::parse(selector))
        .flatten()
    else {
        return Err(forbidden("namespace not authorized"));
    };
    let client = k.api.connect(config, jwt).await?;
    let verdict = selector::matches(&client, sa.namespace(), &required).await;
    *api = Some(client);
    match verdict {
        Ok(true) => Ok(()),
        Ok(false) => Err(forbidden("namespace not authorized")),
        Err(why) => {
            tracing::warn!(reason = %why, "kubernetes login: namespace selector not evaluated");
            Err(forbidden(format!("namespace not authorized err={why}")))
        }
    }
}

fn alias_name(role: &Role, sa: &Claims) -> Result<String, Error> {
    if role.alias_name_source == ALIAS_SA_NAME {
        if sa.namespace().is_empty() || sa.name().is_empty() {
            return Err(forbidden("service account namespace and name must be set"));
        }
        return Ok(format!("{}/{}", sa.namespace(), sa.name()));
    }
    match sa.uid() {
        "" => Err(forbidden("could not parse UID from claims")),
        uid => Ok(uid.to_owned()),
    }
}

/// The TokenReview API must vouch for the token and name the service account its
/// claims name.
async fn review(api: &Api, jwt: &str, role: &Role, sa: &Claims) -> Result<(), Error> {
    let audiences = match role.audience.is_empty() {
        true => sa.audiences(),
        false => vec![role.audience.clone()],
    };
    let reviewed = match token_review::review(api, jwt, &audiences).await {
        Ok(r) => r,
        Err(ReviewError::ReviewerRejected(status)) => {
            tracing::warn!(status, source = ?api.bearer_source, "kubernetes login: the API refused the reviewer token");
            return Err(forbidden(reviewer_rejected(api.bearer_source, status)));
        }
        Err(ReviewError::Call(e)) => {
            tracing::warn!(error = %e, "kubernetes login: TokenReview failed");
            return Err(Error::PermissionDenied);
        }
        Err(ReviewError::Refused(why)) => {
            tracing::debug!(reason = %why, "kubernetes login: TokenReview refused the token");
            return Err(Error::PermissionDenied);
        }
    };
    let same = reviewed.name == sa.name()
        && reviewed.namespace == sa.namespace()
        && reviewed.uid == sa.uid();
    if !same {
        tracing::debug!("kubernetes login: the TokenReview names another service account");
        return Err(Error::PermissionDenied);
    }
    Ok(())
}

fn reviewer_rejected(source: Bearer, status: u16) -> String {
    let which = match source {
        Bearer::Configured => "the configured token_reviewer_jwt",
        Bearer::Local => "tresor's own service-account token",
        Bearer::LoginJwt => "the login JWT (no token_reviewer_jwt is configured)",
    };
    format!(
        "permission denied: the Kubernetes API refused {which} for the TokenReview call (HTTP {status}); it must be valid and allowed to create tokenreviews (system:auth-delegator)"
    )
}

fn answer(role_name: &str, role: &Role, sa: &Claims, alias: &str) -> Response {
    let alias_metadata = BTreeMap::from([
        ("service_account_uid".to_owned(), sa.uid().to_owned()),
        ("service_account_name".to_owned(), sa.name().to_owned()),
        (
            "service_account_namespace".to_owned(),
            sa.namespace().to_owned(),
        ),
        (
            "service_account_secret_name".to_owned(),
            sa.secret_name().to_owned(),
        ),
    ]);
    let mut metadata = alias_metadata.clone();
    metadata.insert("role".to_owned(), role_name.to_owned());
    let display = format!("{}-{}", sa.namespace(), sa.name());
    let mut login = role.token.login(&display, alias, metadata);
    login.alias_metadata = alias_metadata;
    Response {
        login: Some(login),
        ..Response::default()
    }
}

#[cfg(test)]
mod tests;
