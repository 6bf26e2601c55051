//! What a cache entry holds, and which answers make one.

use super::key::{CacheKey, TokenHash};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tresor_crypto::SecretString;

/// An answer as it is served again: kept in memory only. Its Debug shows neither the
/// headers nor the body (credentials).
pub struct CachedResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl std::fmt::Debug for CachedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedResponse")
            .field("status", &self.status)
            .field(
                "body",
                &format_args!("[{} bytes redacted]", self.body.len()),
            )
            .finish()
    }
}

/// What the entry keeps alive. The tokens are kept (as secrets) because renewing needs
/// them; indexes use their hashes.
#[derive(Debug)]
pub enum Held {
    /// A lease, renewed with the token of the request that created it.
    Lease {
        lease_id: String,
        token: SecretString,
        token_hash: TokenHash,
    },
    /// A token created through the proxy (a login, `auth/token/create`), renewed with
    /// itself. Leases created with it, and its children, go when it goes.
    Token {
        token: SecretString,
        token_hash: TokenHash,
        accessor: Option<TokenHash>,
        parent: Option<TokenHash>,
    },
}

#[derive(Debug)]
pub struct Entry {
    pub key: CacheKey,
    /// `/v1/...`, for cache-clear by request path.
    pub request_path: String,
    pub namespace: Option<String>,
    pub response: Arc<CachedResponse>,
    pub held: Held,
    pub stored_at: Instant,
    /// The first lease duration: the increment asked for at each renewal.
    pub original: Duration,
    pub expires_at: Instant,
    /// When the renewal is due; `None` while one is under way.
    pub renew_at: Option<Instant>,
}

impl Entry {
    pub fn token_hash(&self) -> TokenHash {
        match &self.held {
            Held::Lease { token_hash, .. } | Held::Token { token_hash, .. } => *token_hash,
        }
    }
}

/// The request an answer came from, as the cache needs it.
#[derive(Debug)]
pub struct RequestInfo<'a> {
    pub key: CacheKey,
    pub path: &'a str,
    pub namespace: Option<String>,
    pub token: Option<&'a SecretString>,
}

/// A cacheable answer: a renewable lease, or a renewable new token.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    Lease {
        lease_id: String,
        duration: Duration,
    },
    Token {
        client_token: SecretString,
        accessor: Option<String>,
        orphan: bool,
        duration: Duration,
    },
}

/// Vault Agent's rule: a non-empty `lease_id`, or else an `auth` block; either must be
/// renewable with a duration, or it is passed through uncached.
pub fn classify(body: &Value) -> Option<Found> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let renewable = |v: &Value| v.get("renewable").and_then(Value::as_bool) == Some(true);
    let duration = |v: &Value| {
        v.get("lease_duration")
            .and_then(Value::as_u64)
            .filter(|d| *d > 0)
            .map(Duration::from_secs)
    };
    if let Some(lease_id) = text(body, "lease_id").filter(|l| !l.is_empty()) {
        return match (renewable(body), duration(body)) {
            (true, Some(duration)) => Some(Found::Lease { lease_id, duration }),
            _ => None,
        };
    }
    let auth = body.get("auth").filter(|a| a.is_object())?;
    let client_token = text(auth, "client_token").filter(|t| !t.is_empty())?;
    match (renewable(auth), duration(auth)) {
        (true, Some(duration)) => Some(Found::Token {
            client_token: SecretString::from(client_token),
            accessor: text(auth, "accessor").filter(|a| !a.is_empty()),
            orphan: auth.get("orphan").and_then(Value::as_bool) == Some(true),
            duration,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leases_and_tokens_are_cacheable_when_renewable() {
        let lease = json!({"lease_id": "db/creds/app/1", "renewable": true, "lease_duration": 60});
        assert_eq!(
            classify(&lease),
            Some(Found::Lease {
                lease_id: "db/creds/app/1".into(),
                duration: Duration::from_secs(60)
            })
        );
        let login = json!({"lease_id": "", "auth": {"client_token": "t", "accessor": "a",
            "renewable": true, "lease_duration": 30, "orphan": true}});
        assert!(matches!(
            classify(&login),
            Some(Found::Token { orphan: true, .. })
        ));
        for body in [
            json!({"data": {"k": "v"}}),
            json!({"lease_id": "", "data": {}, "auth": null}),
            json!({"lease_id": "x", "renewable": false, "lease_duration": 60}),
            json!({"lease_id": "x", "renewable": true, "lease_duration": 0}),
            json!({"auth": {"client_token": "root", "renewable": false, "lease_duration": 0}}),
            json!("text"),
        ] {
            assert_eq!(classify(&body), None, "{body}");
        }
    }
}
