//! The provider's OpenID Connect discovery document
//! (`<oidc_discovery_url>/.well-known/openid-configuration`).

use super::fetch;
use serde_json::Value;

/// The parts of a discovery document the method uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub issuer: String,
    pub jwks_uri: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    /// `token_endpoint_auth_methods_supported` (empty: not announced).
    pub token_auth_methods: Vec<String>,
}

pub fn well_known(url: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        url.trim_end_matches('/')
    )
}

/// Fetches and checks the document: its `issuer` must be the discovery URL itself.
pub async fn fetch(url: &str, ca_pem: &str) -> Result<Discovery, String> {
    let client = fetch::client(ca_pem)?;
    let doc = fetch::get_json(&client, &well_known(url)).await?;
    let text = |k: &str| {
        doc.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let issuer = text("issuer");
    if issuer != url {
        return Err(format!(
            "issuer did not match the returned issuer, expected {url:?} got {:?}",
            issuer.chars().take(256).collect::<String>()
        ));
    }
    let jwks_uri = text("jwks_uri");
    if jwks_uri.is_empty() {
        return Err("the discovery document has no jwks_uri".to_owned());
    }
    let token_auth_methods = doc
        .get("token_endpoint_auth_methods_supported")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(Discovery {
        issuer,
        jwks_uri,
        authorization_endpoint: text("authorization_endpoint"),
        token_endpoint: text("token_endpoint"),
        userinfo_endpoint: text("userinfo_endpoint"),
        token_auth_methods,
    })
}
