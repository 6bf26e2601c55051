//! What leaves the cache: revocations that went through the proxy, and
//! `/agent/v1/cache-clear` requests.

use super::key::TokenHash;
use serde_json::Value;
use tresor_crypto::SecretString;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eviction {
    All,
    /// A token, the leases made with it and its children, down the tree.
    Token(TokenHash),
    /// A token and its leases; its children stay (`revoke-orphan`).
    TokenOrphan(TokenHash),
    /// The token with this accessor, as [`Eviction::Token`].
    Accessor(TokenHash),
    Lease(String),
    LeasePrefix(String),
    /// Entries whose request path (`/v1/...`) starts with this.
    RequestPath(String),
}

fn body_str(body: &[u8], key: &str) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get(key)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The eviction a successful request implies, if it is a revocation (Vault Agent's list,
/// plus the lease id in the URL and the legacy `sys/revoke*` paths).
pub fn revocation(path: &str, body: &[u8], sent_with: Option<&SecretString>) -> Option<Eviction> {
    let path = path.strip_prefix("/v1/")?;
    let hashed = |key: &str| body_str(body, key).map(|t| TokenHash::of(&t));
    match path {
        "auth/token/revoke" => return hashed("token").map(Eviction::Token),
        "auth/token/revoke-self" => {
            return sent_with.map(|t| Eviction::Token(TokenHash::of(t.expose())))
        }
        "auth/token/revoke-accessor" => return hashed("accessor").map(Eviction::Accessor),
        "auth/token/revoke-orphan" => return hashed("token").map(Eviction::TokenOrphan),
        "sys/leases/revoke" | "sys/revoke" => {
            return body_str(body, "lease_id").map(Eviction::Lease)
        }
        _ => {}
    }
    for prefix in [
        "sys/leases/revoke-prefix/",
        "sys/leases/revoke-force/",
        "sys/revoke-prefix/",
        "sys/revoke-force/",
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return Some(Eviction::LeasePrefix(rest.to_owned()));
        }
    }
    for prefix in ["sys/leases/revoke/", "sys/revoke/"] {
        if let Some(rest) = path.strip_prefix(prefix).filter(|r| !r.is_empty()) {
            return Some(Eviction::Lease(rest.to_owned()));
        }
    }
    None
}

/// A cache-clear body: `{"type": "all"}`, or `request_path`, `token`,
/// `token_accessor` or `lease` with a `value`. The error is for a 400.
pub fn clear_request(body: &[u8]) -> Result<Eviction, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("failed to parse JSON input: {}", json_problem(&e)))?;
    let kind = v.get("type").and_then(Value::as_str).unwrap_or_default();
    let value = v
        .get("value")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let need =
        |what: &str| value.ok_or_else(|| format!("failed to clear cache: {what} not provided"));
    match kind {
        "all" => Ok(Eviction::All),
        "request_path" => Ok(Eviction::RequestPath(need("request path")?.to_owned())),
        "token" => Ok(Eviction::Token(TokenHash::of(need("token")?))),
        "token_accessor" => Ok(Eviction::Accessor(TokenHash::of(need("token accessor")?))),
        "lease" => Ok(Eviction::Lease(need("lease")?.to_owned())),
        _ => Err("failed to clear cache: invalid type provided".to_owned()),
    }
}

/// serde_json's category only: its messages may quote the input.
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "empty or truncated JSON",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "unexpected JSON",
        serde_json::error::Category::Io => "unreadable input",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn revocations() {
        let t = SecretString::from("self");
        let r = |p: &str, b: &str| revocation(p, b.as_bytes(), Some(&t));
        assert_eq!(
            r("/v1/sys/leases/revoke", r#"{"lease_id":"db/creds/a/1"}"#),
            Some(Eviction::Lease("db/creds/a/1".into()))
        );
        assert_eq!(
            r("/v1/sys/leases/revoke/db/creds/a/1", ""),
            Some(Eviction::Lease("db/creds/a/1".into()))
        );
        assert_eq!(
            r("/v1/sys/leases/revoke-prefix/db/creds", ""),
            Some(Eviction::LeasePrefix("db/creds".into()))
        );
        assert_eq!(
            r("/v1/auth/token/revoke", r#"{"token":"x"}"#),
            Some(Eviction::Token(TokenHash::of("x")))
        );
        assert_eq!(
            r("/v1/auth/token/revoke-self", ""),
            Some(Eviction::Token(TokenHash::of("self")))
        );
        assert_eq!(
            r("/v1/auth/token/revoke-orphan", r#"{"token":"x"}"#),
            Some(Eviction::TokenOrphan(TokenHash::of("x")))
        );
        assert_eq!(
            r("/v1/auth/token/revoke-accessor", r#"{"accessor":"a"}"#),
            Some(Eviction::Accessor(TokenHash::of("a")))
        );
        assert_eq!(r("/v1/auth/token/revoke", "not json"), None);
        assert_eq!(r("/v1/secret/data/revoke", "{}"), None);
    }

    #[test]
    fn cache_clear_bodies() {
        let c = |b: &str| clear_request(b.as_bytes());
        assert_eq!(c(r#"{"type":"all"}"#), Ok(Eviction::All));
        assert_eq!(
            c(r#"{"type":"lease","value":"l"}"#),
            Ok(Eviction::Lease("l".into()))
        );
        assert_eq!(
            c(r#"{"type":"request_path","value":"/v1/db"}"#),
            Ok(Eviction::RequestPath("/v1/db".into()))
        );
        assert_eq!(
            c(r#"{"type":"token","value":"t"}"#),
            Ok(Eviction::Token(TokenHash::of("t")))
        );
        assert!(c(r#"{"type":"lease"}"#).is_err());
        assert!(c(r#"{"type":"nope","value":"x"}"#)
            .unwrap_err()
            .contains("invalid type"));
        assert!(c("").is_err());
    }
}
