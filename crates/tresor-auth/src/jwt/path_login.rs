//! `login` with `role` (or the configured `default_role`) and `jwt`: the token's
//! signature, algorithm, registered claims and the role's bindings are checked in
//! Vault's order, then the claims name the alias, its metadata and its groups.
//!
//! Errors never contain the token.

use super::alg::{self, DEFAULT_LOGIN};
use super::claims::{self, Identity};
use super::model::{self, Role};
use super::validate::{self, Expected};
use super::{verify, JwtAuth};
use crate::names::valid_name;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Login, Response};

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg)
}

/// The token a login asks for; its `group_aliases` are the groups its claims name.
#[derive(Debug)]
pub struct Issued {
    pub login: Login,
}

impl Issued {
    pub fn new(role: &Role, id: Identity) -> Self {
        let mut login = role.token.login(&id.name, &id.name, id.metadata.clone());
        login.alias_metadata = id.metadata;
        login.group_aliases = id.groups;
        Self { login }
    }

    pub fn into_response(self, role_name: &str) -> Response {
        tracing::debug!(
            role = role_name,
            group_aliases = self.login.group_aliases.len(),
            "jwt login accepted"
        );
        Response {
            login: Some(self.login),
            ..Response::default()
        }
    }
}

/// The role a login names, or the configured default.
pub async fn role_for(
    b: &JwtAuth,
    requested: Option<&str>,
    default: &str,
) -> Result<(String, Role), Error> {
    let name = match requested.filter(|r| !r.is_empty()) {
        Some(r) => r.to_lowercase(),
        None => default.to_owned(),
    };
    if name.is_empty() {
        return Err(bad("missing role"));
    }
    let role = match valid_name(&name) {
        true => model::load_role(&b.storage, &name).await?,
        false => None,
    };
    let role = role.ok_or_else(|| bad(format!("role {name:?} could not be found")))?;
    Ok((name, role))
}

pub async fn login(
    b: &JwtAuth,
    fields: &Fields,
    client_addr: Option<&str>,
) -> Result<Response, Error> {
    let token = fields.str("jwt").unwrap_or_default();
    let (name, issued) = authenticate(b, fields.str("role"), token, client_addr).await?;
    Ok(issued.into_response(&name))
}

/// Checks a login; answers the role's name and what to issue.
pub async fn authenticate(
    b: &JwtAuth,
    role: Option<&str>,
    token: &str,
    client_addr: Option<&str>,
) -> Result<(String, Issued), Error> {
    let config = model::load_config(&b.storage)
        .await?
        .ok_or_else(|| bad("could not load configuration"))?;
    let (name, role) = role_for(b, role, &config.default_role).await?;
    if role.role_type == "oidc" {
        return Err(bad("role with oidc role_type is not allowed"));
    }
    if token.is_empty() {
        return Err(bad("missing token"));
    }
    role.token.check_bound_cidrs(client_addr)?;
    let source = config
        .key_source()
        .ok_or_else(|| bad("error configuring token validator: unsupported config type"))?;
    let invalid = |e: String| bad(format!("error validating token: {e}"));
    let (jws, claims) = verify::verify(b, source, token).await.map_err(invalid)?;
    let allowed = alg::allowed(&config.jwt_supported_algs, DEFAULT_LOGIN);
    if !jws.alg().is_some_and(|a| allowed.contains(&a)) {
        return Err(invalid(
            "invalid algorithm (alg) header parameter: token signed with unexpected algorithm"
                .to_owned(),
        ));
    }
    let expected = Expected {
        issuer: &config.bound_issuer,
        subject: &role.bound_subject,
        audiences: role.audiences(),
        not_before_leeway: role.not_before_leeway,
        expiration_leeway: role.expiration_leeway,
        clock_skew_leeway: role.clock_skew_leeway,
        now: b.clock.now(),
    };
    validate::validate(&claims, &expected).map_err(invalid)?;
    // A token meant for some audience is refused by a role that binds none (a single
    // string `aud` counts as a list of one).
    if role.audiences().is_empty() && !validate::audiences(&claims).unwrap_or_default().is_empty() {
        return Err(bad(
            "audience claim found in JWT but no audiences bound to the role",
        ));
    }
    let id = claims::identity(&role, &name, &claims).map_err(bad)?;
    claims::check_bound(&role, &claims)
        .map_err(|e| bad(format!("error validating claims: {e}")))?;
    Ok((name, Issued::new(&role, id)))
}

#[cfg(test)]
mod tests;
