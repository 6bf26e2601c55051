//! The authorization-code exchange and the ID token checks of the browser flow
//! (OpenID Connect Core 3.1.3.7): signature by the provider's JWKS, allowed algorithm,
//! issuer, expiry, nonce, audience (the client ID, and a role's bound audiences),
//! authorized party, `max_age`, and `at_hash`/`c_hash` when present.

use super::alg::{self, Alg, DEFAULT_OIDC};
use super::discovery::Discovery;
use super::fetch::{self, ClientAuth};
use super::jws::{Claims, Jws};
use super::model::{Config, Role};
use super::oidc_state::{Pending, TIMEOUT};
use super::validate::{audiences, nanos, seconds};
use super::{verify, JwtAuth};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use tresor_crypto::secret::ct_eq;
use tresor_crypto::SecretString;

/// ID tokens may be this early (`iat`, `nbf`) or late (`auth_time`).
const LEEWAY_SECS: i128 = 60;

/// What the token endpoint answered.
#[derive(Debug)]
pub struct Tokens {
    pub id_token: SecretString,
    pub access_token: SecretString,
}

/// Exchanges the authorization code (with the PKCE verifier) at the token endpoint.
pub async fn exchange(
    config: &Config,
    doc: &Discovery,
    pending: &Pending,
    code: &str,
) -> Result<Tokens, String> {
    if doc.token_endpoint.is_empty() {
        return Err("the provider announces no token endpoint".to_owned());
    }
    let client = fetch::client(&config.oidc_discovery_ca_pem)?;
    let (id, secret) = (
        config.oidc_client_id.as_str(),
        config.oidc_client_secret.expose(),
    );
    let methods = &doc.token_auth_methods;
    let auth = if methods.is_empty() || methods.iter().any(|m| m == "client_secret_basic") {
        ClientAuth::Basic { id, secret }
    } else {
        ClientAuth::Post { id, secret }
    };
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", pending.redirect_uri.as_str()),
        ("code_verifier", pending.code_verifier.expose()),
    ];
    let answer = fetch::post_form(&client, &doc.token_endpoint, &form, auth)
        .await
        .map_err(|e| format!("oauth2: cannot fetch token: {e}"))?;
    let text = |k: &str| {
        answer
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let id_token = text("id_token");
    if id_token.is_empty() {
        return Err("id_token is missing from auth code exchange".to_owned());
    }
    Ok(Tokens {
        id_token: id_token.into(),
        access_token: text("access_token").into(),
    })
}

fn invalid(e: impl std::fmt::Display) -> String {
    format!("id_token failed verification: {e}")
}

/// The left half of the token's digest, base64url (`at_hash`, `c_hash`).
fn half_hash(alg: Alg, value: &str) -> String {
    let digest =
        tresor_crypto::digest::by_name(alg.digest_name(), value.as_bytes()).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(digest.get(..digest.len() / 2).unwrap_or_default())
}

fn check_hash(claims: &Claims, claim: &str, alg: Alg, value: &str) -> Result<(), String> {
    match claims.get(claim).and_then(Value::as_str) {
        Some(h) if !value.is_empty() && !ct_eq(h.as_bytes(), half_hash(alg, value).as_bytes()) => {
            Err(invalid(format!("invalid {claim}")))
        }
        _ => Ok(()),
    }
}

/// Verifies the ID token of an exchange; answers its claims (without `nonce`).
pub async fn verify_id_token(
    b: &JwtAuth,
    config: &Config,
    doc: &Discovery,
    role: &Role,
    pending: &Pending,
    tokens: &Tokens,
    code: &str,
) -> Result<Claims, String> {
    let jws = Jws::parse(tokens.id_token.expose()).map_err(invalid)?;
    let mut claims = verify::remote(b, &jws, &doc.jwks_uri, &config.oidc_discovery_ca_pem)
        .await
        .map_err(invalid)?;
    let allowed = alg::allowed(&config.jwt_supported_algs, DEFAULT_OIDC);
    let alg = jws
        .alg()
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| invalid("id token signed with unsupported algorithm"))?;
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if iss != doc.issuer {
        return Err(invalid("id token issued by a different provider"));
    }
    check_times(&claims, b.clock.now(), role, pending)?;
    let nonce = claims
        .get("nonce")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !ct_eq(nonce.as_bytes(), pending.nonce.expose().as_bytes()) {
        return Err(invalid("invalid id_token nonce"));
    }
    check_audience(&claims, role, &config.oidc_client_id)?;
    check_hash(&claims, "at_hash", alg, tokens.access_token.expose())?;
    check_hash(&claims, "c_hash", alg, code)?;
    claims.remove("nonce");
    Ok(claims)
}

fn check_times(
    claims: &Claims,
    now: std::time::SystemTime,
    role: &Role,
    pending: &Pending,
) -> Result<(), String> {
    let at = |s: i64| i128::from(s) * 1_000_000_000;
    let leeway = LEEWAY_SECS * 1_000_000_000;
    let now = nanos(now);
    let exp = seconds(claims, "exp").map_err(invalid)?;
    if exp == 0 || now > at(exp) {
        return Err(invalid("token is expired"));
    }
    let nbf = seconds(claims, "nbf").map_err(invalid)?;
    if nbf != 0 && now + leeway < at(nbf) {
        return Err(invalid("current time before the nbf (not before) time"));
    }
    if now + leeway < at(seconds(claims, "iat").map_err(invalid)?) {
        return Err(invalid("current time before the iat (issued at) time"));
    }
    if role.max_age > 0 {
        let auth_time = seconds(claims, "auth_time").map_err(invalid)?;
        if auth_time == 0 {
            return Err(invalid(
                "missing auth_time claim when max age was requested",
            ));
        }
        let started = nanos(pending.expires) - i128::from(TIMEOUT.as_secs()) * 1_000_000_000;
        let auth_after = started - i128::from(role.max_age) * 1_000_000_000;
        if at(auth_time) + leeway <= auth_after {
            return Err(invalid("auth_time is beyond max age"));
        }
    }
    Ok(())
}

fn check_audience(claims: &Claims, role: &Role, client_id: &str) -> Result<(), String> {
    let aud = audiences(claims).map_err(invalid)?;
    let bound = role.audiences();
    if !bound.is_empty() && !bound.iter().any(|a| aud.contains(a)) {
        return Err(invalid("invalid id_token audiences"));
    }
    if !aud.iter().any(|a| a == client_id) {
        return Err(invalid(
            "invalid id_token: the audience does not contain the client_id",
        ));
    }
    let azp = claims.get("azp");
    let azp_ok = azp.and_then(Value::as_str) == Some(client_id);
    if (azp.is_some() || aud.len() > 1) && !azp_ok {
        return Err(invalid(
            "invalid id_token: authorized party is not equal client_id",
        ));
    }
    Ok(())
}

/// Adds the userinfo endpoint's claims (same subject, same issuer if named). Failures
/// are logged and ignored, as in Vault.
pub async fn merge_userinfo(
    config: &Config,
    doc: &Discovery,
    tokens: &Tokens,
    claims: &mut Claims,
) {
    if doc.userinfo_endpoint.is_empty() || tokens.access_token.is_empty() {
        return;
    }
    let fetched = async {
        let client = fetch::client(&config.oidc_discovery_ca_pem)?;
        fetch::get_json_bearer(
            &client,
            &doc.userinfo_endpoint,
            tokens.access_token.expose(),
        )
        .await
    };
    let info = match fetched.await {
        Ok(Value::Object(info)) => info,
        Ok(_) => return tracing::warn!("userinfo endpoint answered no JSON object"),
        Err(e) => return tracing::warn!(error = %e, "error reading /userinfo endpoint"),
    };
    let text = |m: &Claims, k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    if text(&info, "sub") != text(claims, "sub") {
        return tracing::warn!("userinfo subject does not match the ID token's");
    }
    if text(&info, "iss").is_some_and(|i| i != doc.issuer) {
        return tracing::warn!("userinfo issuer does not match the provider's");
    }
    claims.extend(info);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_hashes_follow_the_spec() {
        // OpenID Connect Core A.3: at_hash of this access token under RS256.
        assert_eq!(
            half_hash(Alg::Rs256, "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
