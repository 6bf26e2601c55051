//! `config`: where signing keys come from (exactly one of `jwt_validation_pubkeys`,
//! `jwks_url`, `oidc_discovery_url`), the OIDC client, `bound_issuer`, `default_role`
//! and `jwt_supported_algs`. A write replaces the whole configuration, after the keys
//! were loaded once (a JWKS or discovery document that cannot be fetched is a 400).
//! Reads never show the client secret.

use super::model::{self, Config, KeySource};
use super::{alg, discovery, fetch, jwks, keys, JwtAuth};
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response, Value};

pub async fn read(b: &JwtAuth) -> Result<Response, Error> {
    let config = model::load_config(&b.storage)
        .await?
        .ok_or(Error::NotFound)?;
    let mut d = Data::new();
    let s = |v: &str| Value::from(v);
    d.insert("oidc_discovery_url".into(), s(&config.oidc_discovery_url));
    d.insert(
        "oidc_discovery_ca_pem".into(),
        s(&config.oidc_discovery_ca_pem),
    );
    d.insert("oidc_client_id".into(), s(&config.oidc_client_id));
    d.insert("oidc_response_mode".into(), s(&config.oidc_response_mode));
    d.insert(
        "oidc_response_types".into(),
        config.oidc_response_types.clone().into(),
    );
    d.insert("default_role".into(), s(&config.default_role));
    d.insert(
        "jwt_validation_pubkeys".into(),
        config.jwt_validation_pubkeys.clone().into(),
    );
    d.insert(
        "jwt_supported_algs".into(),
        config.jwt_supported_algs.clone().into(),
    );
    d.insert("jwks_url".into(), s(&config.jwks_url));
    d.insert("jwks_ca_pem".into(), s(&config.jwks_ca_pem));
    d.insert("bound_issuer".into(), s(&config.bound_issuer));
    d.insert("provider_config".into(), Value::Object(Data::new()));
    d.insert(
        "override_allowed_server_names".into(),
        Value::Array(Vec::new()),
    );
    d.insert(
        "namespace_in_state".into(),
        config.namespace_in_state.into(),
    );
    let valid = match config.key_source() {
        Some(KeySource::Static(pems)) => pems.iter().all(|p| keys::from_pem(p).is_ok()),
        Some(_) => true,
        None => false,
    };
    d.insert("status".into(), s(if valid { "valid" } else { "invalid" }));
    Ok(Response::data(d))
}

fn text(fields: &Fields, name: &str) -> String {
    fields.str(name).unwrap_or_default().to_owned()
}

fn list(fields: &Fields, name: &str) -> Vec<String> {
    fields
        .list(name)
        .map(|l| l.iter().filter(|s| !s.is_empty()).cloned().collect())
        .unwrap_or_default()
}

/// The configuration a write asks for (`namespace_in_state` is set by the caller).
fn from_fields(fields: &Fields) -> Config {
    Config {
        oidc_discovery_url: text(fields, "oidc_discovery_url"),
        oidc_discovery_ca_pem: text(fields, "oidc_discovery_ca_pem"),
        oidc_client_id: text(fields, "oidc_client_id"),
        oidc_client_secret: text(fields, "oidc_client_secret").into(),
        oidc_response_mode: text(fields, "oidc_response_mode"),
        oidc_response_types: list(fields, "oidc_response_types"),
        jwks_url: text(fields, "jwks_url"),
        jwks_ca_pem: text(fields, "jwks_ca_pem"),
        jwt_validation_pubkeys: list(fields, "jwt_validation_pubkeys"),
        jwt_supported_algs: list(fields, "jwt_supported_algs"),
        bound_issuer: text(fields, "bound_issuer"),
        default_role: text(fields, "default_role").to_lowercase(),
        namespace_in_state: true,
    }
}

/// The checks that need no network, in Vault's order where it has one.
fn check_shape(c: &Config, fields: &Fields) -> Result<(), String> {
    let sources = [
        !c.oidc_discovery_url.is_empty(),
        !c.jwt_validation_pubkeys.is_empty(),
        !c.jwks_url.is_empty(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err("exactly one of 'jwt_validation_pubkeys', 'jwks_url' or 'oidc_discovery_url' must be set".into());
    }
    if c.oidc_client_id.is_empty() != c.oidc_client_secret.is_empty() {
        return Err("both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC".into());
    }
    if !c.oidc_client_id.is_empty() && c.oidc_discovery_url.is_empty() {
        return Err("'oidc_discovery_url' must be set for OIDC".into());
    }
    if c.oidc_discovery_url
        .contains(".well-known/openid-configuration")
    {
        return Err("'oidc_discovery_url' contains '.well-known' component".into());
    }
    alg::parse_list(&c.jwt_supported_algs)
        .map_err(|a| format!("invalid jwt_supported_algs: unsupported signing algorithm {a:?}"))?;
    if let Some(t) = c.oidc_response_types.iter().find(|t| *t != "code") {
        return Err(match t.as_str() {
            "id_token" => "response type 'id_token' is not supported; use 'code'".to_owned(),
            _ => format!(
                "invalid response_types {:?}. 'code' and 'id_token' are allowed",
                c.oidc_response_types
            ),
        });
    }
    match c.oidc_response_mode.as_str() {
        "" | "query" => {}
        "form_post" => return Err("response_mode 'form_post' is not supported; use 'query'".into()),
        other => return Err(format!("invalid response_mode: {other:?}")),
    }
    if fields.map("provider_config").is_some_and(|m| !m.is_empty()) {
        return Err(
            "invalid provider_config: provider-specific configuration is not supported".into(),
        );
    }
    if fields
        .list("override_allowed_server_names")
        .is_some_and(|l| !l.is_empty())
    {
        return Err("'override_allowed_server_names' is not supported".into());
    }
    Ok(())
}

/// Loads the keys once, so a configuration that cannot work is refused at once.
async fn check_keys(c: &Config) -> Result<(), String> {
    match c.key_source() {
        Some(KeySource::Static(pems)) => {
            for pem in pems {
                keys::from_pem(pem).map_err(|e| format!("error parsing public key: {e}"))?;
            }
            Ok(())
        }
        Some(KeySource::Jwks { url, ca_pem }) => {
            fetch::check_ca(ca_pem).map_err(|_| "error checking jwks_ca_pem".to_owned())?;
            let jwks = jwks::RemoteKeys::default();
            let now = std::time::SystemTime::now();
            jwks.get(url, ca_pem, now).await.map(|_| ()).map_err(|e| {
                tracing::warn!(error = %e, "jwt config: the JWKS URL does not answer a key set");
                format!("error checking jwks URL: {e}")
            })
        }
        Some(KeySource::Discovery { url, ca_pem }) => {
            let check = async {
                let doc = discovery::fetch(url, ca_pem).await?;
                let jwks = jwks::RemoteKeys::default();
                jwks.get(&doc.jwks_uri, ca_pem, std::time::SystemTime::now())
                    .await
                    .map(|_| ())
            };
            check
                .await
                .map_err(|e| format!("error checking oidc discovery URL: {e}"))
        }
        None => Err("no key source configured".into()),
    }
}

/// Checks the new configuration (fetching its keys, without holding the write lock),
/// then stores it and forgets the cached keys.
pub async fn write(b: &JwtAuth, fields: &Fields) -> Result<Response, Error> {
    let mut config = from_fields(fields);
    check_shape(&config, fields).map_err(Error::bad_request)?;
    let mut resp = Response::empty();
    if let Err(e) = check_keys(&config).await {
        let skip = fields.bool("skip_jwks_validation") == Some(true);
        if !skip || matches!(config.key_source(), Some(KeySource::Static(_))) {
            return Err(Error::bad_request(e));
        }
        resp.warnings.push(e);
    }
    let _writes = b.writes.lock().await;
    let existing = model::load_config(&b.storage).await?;
    config.namespace_in_state = fields
        .bool("namespace_in_state")
        .unwrap_or(existing.is_none_or(|c| c.namespace_in_state));
    model::save_config(&b.storage, &config).await?;
    b.remote.clear();
    Ok(resp)
}

#[cfg(test)]
mod tests;
