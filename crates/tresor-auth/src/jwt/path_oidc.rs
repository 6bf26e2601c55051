//! The browser flow: `oidc/auth_url` answers the provider's authorization URL (with a
//! fresh `state`, `nonce` and PKCE challenge), and `oidc/callback` exchanges the code the
//! provider returned, checks the ID token and logs in with the role `auth_url` named.
//!
//! Only the `client` callback mode and the `code` response type are served.

use super::claims;
use super::fetch::form_encode;
use super::model::{self, Role};
use super::oidc_state::{Pending, TIMEOUT};
use super::oidc_token;
use super::path_login::{role_for, Issued};
use super::JwtAuth;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tresor_crypto::secret::ct_eq;
use tresor_crypto::SecretString;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response, Value};

const FAILED: &str = "Vault login failed.";

fn failed(detail: impl std::fmt::Display) -> Error {
    Error::bad_request(format!("{FAILED} {detail}"))
}

fn random(prefix: &str, len: usize) -> Result<SecretString, Error> {
    let r = tresor_crypto::random::base62(len).map_err(|e| Error::internal(e.to_string()))?;
    Ok(format!("{prefix}{}", r.expose()).into())
}

fn auth_url_answer(url: &str) -> Response {
    let mut d = Data::new();
    d.insert("auth_url".into(), Value::from(url));
    Response::data(d)
}

/// Vault's redirect check: exact, except that loopback URIs match on any port
/// (RFC 8252 section 7.3).
pub fn valid_redirect(uri: &str, allowed: &[String]) -> bool {
    let Ok(mut input) = reqwest::Url::parse(uri) else {
        return false;
    };
    let loopback = |u: &reqwest::Url| {
        matches!(
            u.host_str(),
            Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
        )
    };
    if !loopback(&input) {
        return allowed.iter().any(|a| a == uri);
    }
    let _ = input.set_port(None);
    allowed.iter().any(|a| match reqwest::Url::parse(a) {
        Ok(mut a) => {
            let _ = a.set_port(None);
            a == input
        }
        Err(_) => false,
    })
}

pub async fn auth_url(b: &JwtAuth, fields: &Fields) -> Result<Response, Error> {
    let config = model::load_config(&b.storage)
        .await?
        .ok_or_else(|| Error::bad_request("could not load configuration"))?;
    if !config.oidc_flow() {
        return Err(Error::bad_request(
            "OIDC login is not configured for this mount",
        ));
    }
    let (name, role) = role_for(b, fields.str("role"), &config.default_role).await?;
    let redirect_uri = fields.str("redirect_uri").unwrap_or_default();
    if redirect_uri.is_empty() {
        return Err(Error::bad_request("missing redirect_uri"));
    }
    let allowed = role.allowed_redirect_uris.as_deref().unwrap_or_default();
    if !valid_redirect(redirect_uri, allowed) {
        tracing::warn!(role = %name, "unauthorized redirect_uri");
        return Ok(auth_url_answer(""));
    }
    let now = b.clock.now();
    let doc = match b
        .remote
        .discovery(
            &config.oidc_discovery_url,
            &config.oidc_discovery_ca_pem,
            now,
        )
        .await
    {
        Ok(doc) if !doc.authorization_endpoint.is_empty() => doc,
        Ok(_) | Err(_) => {
            tracing::warn!(role = %name, "error getting provider for login operation");
            return Ok(auth_url_answer(""));
        }
    };
    let state = random("st_", 20)?;
    let pending = Pending {
        role: name,
        redirect_uri: redirect_uri.to_owned(),
        nonce: random("n_", 20)?,
        code_verifier: random("", 64)?,
        client_nonce: fields.str("client_nonce").unwrap_or_default().into(),
        expires: now + TIMEOUT,
    };
    let url = authorization_url(
        &doc.authorization_endpoint,
        &config.oidc_client_id,
        &role,
        &pending,
        state.expose(),
    );
    if !b.pending.insert(state.expose().to_owned(), pending, now) {
        return Err(Error::bad_request("too many OIDC logins in progress"));
    }
    Ok(auth_url_answer(&url))
}

/// The provider's authorization URL for a pending login: the code flow with PKCE (S256),
/// parameters in sorted order, as Vault builds it.
fn authorization_url(
    endpoint: &str,
    client_id: &str,
    role: &Role,
    pending: &Pending,
    state: &str,
) -> String {
    let challenge = URL_SAFE_NO_PAD.encode(tresor_crypto::digest::sha256(
        pending.code_verifier.expose().as_bytes(),
    ));
    let mut scopes = vec!["openid"];
    let extra = role.oidc_scopes.iter().flatten().map(String::as_str);
    scopes.extend(extra.filter(|s| *s != "openid"));
    let scope = scopes.join(" ");
    let max_age = role.max_age.to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("client_id", client_id),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("nonce", pending.nonce.expose()),
        ("redirect_uri", &pending.redirect_uri),
        ("response_type", "code"),
        ("scope", &scope),
        ("state", state),
    ];
    if role.max_age > 0 {
        params.push(("max_age", &max_age));
        params.sort_by_key(|p| p.0);
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    format!("{endpoint}{sep}{}", query.join("&"))
}

/// The OAuth errors the provider may send back that Vault names as they are.
const KNOWN_ERRORS: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

pub async fn callback(
    b: &JwtAuth,
    fields: &Fields,
    client_addr: Option<&str>,
) -> Result<Response, Error> {
    let (role, issued) = complete(b, fields, client_addr).await?;
    Ok(issued.into_response(&role))
}

/// Checks a callback; answers the role's name and what to issue.
pub async fn complete(
    b: &JwtAuth,
    fields: &Fields,
    client_addr: Option<&str>,
) -> Result<(String, Issued), Error> {
    let config = model::load_config(&b.storage)
        .await?
        .ok_or_else(|| failed("Could not load configuration"))?;
    let now = b.clock.now();
    let pending = b
        .pending
        .take(fields.str("state").unwrap_or_default(), now)
        .ok_or_else(|| failed("Expired or missing OAuth state."))?;
    let role = model::load_role(&b.storage, &pending.role)
        .await?
        .ok_or_else(|| failed("Role could not be found"))?;
    let oauth_error = fields
        .str("error")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    if !oauth_error.is_empty() {
        tracing::warn!("OIDC callback received an error from the provider");
        return Err(match KNOWN_ERRORS.contains(&oauth_error.as_str()) {
            true => failed(oauth_error),
            false => failed("An unknown error occurred during OIDC authentication. Check server logs for details"),
        });
    }
    let client_nonce = fields.str("client_nonce").unwrap_or_default();
    let expected = pending.client_nonce.expose();
    if !expected.is_empty() && !ct_eq(client_nonce.as_bytes(), expected.as_bytes()) {
        return Err(Error::bad_request("invalid client_nonce"));
    }
    role.token.check_bound_cidrs(client_addr)?;
    let code = fields.str("code").unwrap_or_default();
    if code.is_empty() {
        return Err(failed("No code or id_token received."));
    }
    let exchange_error = |e: String| failed(format!("Error exchanging oidc code: {e:?}."));
    let doc = b
        .remote
        .discovery(
            &config.oidc_discovery_url,
            &config.oidc_discovery_ca_pem,
            now,
        )
        .await
        .map_err(exchange_error)?;
    let tokens = oidc_token::exchange(&config, &doc, &pending, code)
        .await
        .map_err(exchange_error)?;
    let mut claims = oidc_token::verify_id_token(b, &config, &doc, &role, &pending, &tokens, code)
        .await
        .map_err(exchange_error)?;
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !role.bound_subject.is_empty() && role.bound_subject != sub {
        return Err(failed("sub claim does not match bound subject"));
    }
    oidc_token::merge_userinfo(&config, &doc, &tokens, &mut claims).await;
    let id = claims::identity(&role, &pending.role, &claims).map_err(failed)?;
    claims::check_bound(&role, &claims)
        .map_err(|e| failed(format!("error validating claims: {e}")))?;
    Ok((pending.role.clone(), Issued::new(&role, id)))
}

#[cfg(test)]
mod tests;
