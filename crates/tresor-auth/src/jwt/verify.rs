//! Signature checks against the configured key source: the PEM keys, a JWKS URL, or the
//! JWKS a discovery document names. Answers the verified claims, or Vault's reason.

use super::jws::{Claims, Jws};
use super::keys::{self, VerifyingKey};
use super::model::KeySource;
use super::JwtAuth;

const NO_STATIC_KEY: &str = "no known key successfully validated the token signature";
const NO_REMOTE_KEY: &str = "failed to verify id token signature";

fn signature(e: impl std::fmt::Display) -> String {
    format!("error verifying token signature: {e}")
}

/// Verifies `token` with the keys of `source`; answers the header and the claims.
pub async fn verify<'t>(
    b: &JwtAuth,
    source: KeySource<'_>,
    token: &'t str,
) -> Result<(Jws<'t>, Claims), String> {
    let jws = Jws::parse(token).map_err(signature)?;
    let claims = match source {
        KeySource::Static(pems) => {
            let keys: Vec<VerifyingKey> =
                pems.iter().filter_map(|p| keys::from_pem(p).ok()).collect();
            let all: Vec<&VerifyingKey> = keys.iter().collect();
            jws.verify(&all).ok_or_else(|| signature(NO_STATIC_KEY))?
        }
        KeySource::Jwks { url, ca_pem } => remote(b, &jws, url, ca_pem).await?,
        KeySource::Discovery { url, ca_pem } => {
            let doc = b
                .remote
                .discovery(url, ca_pem, b.clock.now())
                .await
                .map_err(signature)?;
            remote(b, &jws, &doc.jwks_uri, ca_pem).await?
        }
    };
    Ok((jws, claims))
}

/// Verifies with the key set at `url`; a token naming a key the cached set lacks (or,
/// without a `kid`, matching none of its keys) refetches the set once, if allowed.
pub async fn remote(b: &JwtAuth, jws: &Jws<'_>, url: &str, ca_pem: &str) -> Result<Claims, String> {
    // A token we would refuse anyway never causes a fetch.
    if jws.alg().is_none() {
        return Err(signature(NO_REMOTE_KEY));
    }
    let now = b.clock.now();
    let set = b.remote.get(url, ca_pem, now).await.map_err(signature)?;
    let candidates = jws.candidates(&set);
    if let Some(claims) = jws.verify(&candidates) {
        return Ok(claims);
    }
    if jws.kid.is_some() && !candidates.is_empty() {
        return Err(signature(NO_REMOTE_KEY));
    }
    let refreshed = b
        .remote
        .refresh(url, ca_pem, now)
        .await
        .map_err(signature)?;
    refreshed
        .and_then(|set| jws.verify(&jws.candidates(&set)))
        .ok_or_else(|| signature(NO_REMOTE_KEY))
}
