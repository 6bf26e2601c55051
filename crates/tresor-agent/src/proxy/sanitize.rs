//! Vault Agent never lets the auto-auth token out: a lookup or renewal of it through the
//! proxy is answered without the token's id and accessor.

use hyper::body::Bytes;
use serde_json::Value;
use tresor_crypto::SecretString;

const LOOKUP_SELF: &str = "/v1/auth/token/lookup-self";
const RENEW_SELF: &str = "/v1/auth/token/renew-self";
const LOOKUP: &str = "/v1/auth/token/lookup";
const RENEW: &str = "/v1/auth/token/renew";

/// Whether a successful answer to this request must be stripped: a `-self` call made
/// with the auto-auth token, or a lookup/renewal whose body names it (or names none).
pub fn applies(
    path: &str,
    sent_with: Option<&SecretString>,
    request_body: &[u8],
    auto_auth: Option<&SecretString>,
) -> bool {
    let Some(auto) = auto_auth.filter(|t| !t.is_empty()) else {
        return false;
    };
    match path {
        LOOKUP_SELF | RENEW_SELF => sent_with == Some(auto),
        LOOKUP | RENEW => {
            let named = serde_json::from_slice::<Value>(request_body)
                .ok()
                .and_then(|v| {
                    v.get("token")
                        .and_then(Value::as_str)
                        .map(SecretString::from)
                });
            match named {
                Some(t) => t.is_empty() || &t == auto,
                None => false,
            }
        }
        _ => false,
    }
}

/// The answer without the token: `data.id` and `data.accessor` removed (lookups), or
/// `auth.client_token` and `auth.accessor` emptied (renewals). `None` if the answer is
/// not JSON: it is then not passed on at all.
pub fn strip(body: &[u8]) -> Option<Bytes> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    if let Some(data) = v.get_mut("data").and_then(Value::as_object_mut) {
        data.remove("id");
        data.remove("accessor");
    }
    if let Some(auth) = v.get_mut("auth").and_then(Value::as_object_mut) {
        for key in ["client_token", "accessor"] {
            if auth.contains_key(key) {
                auth.insert(key.to_owned(), Value::String(String::new()));
            }
        }
    }
    serde_json::to_vec(&v).ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_the_auto_auth_token_is_hidden() {
        let auto = SecretString::from("auto");
        let app = SecretString::from("app");
        assert!(applies(LOOKUP_SELF, Some(&auto), b"", Some(&auto)));
        assert!(!applies(LOOKUP_SELF, Some(&app), b"", Some(&auto)));
        assert!(!applies(LOOKUP_SELF, Some(&auto), b"", None));
        assert!(applies(
            LOOKUP,
            Some(&app),
            br#"{"token":"auto"}"#,
            Some(&auto)
        ));
        assert!(!applies(
            LOOKUP,
            Some(&app),
            br#"{"token":"app"}"#,
            Some(&auto)
        ));
        assert!(!applies("/v1/secret/data/x", Some(&auto), b"", Some(&auto)));
    }

    #[test]
    fn strips_ids_and_accessors() {
        let out = strip(br#"{"data":{"id":"auto","accessor":"a","policies":["p"]}}"#).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["data"], serde_json::json!({"policies": ["p"]}));
        let out = strip(br#"{"auth":{"client_token":"auto","accessor":"a","lease_duration":5}}"#)
            .unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["auth"]["client_token"], "");
        assert_eq!(v["auth"]["accessor"], "");
        assert_eq!(v["auth"]["lease_duration"], 5);
        assert!(strip(b"not json").is_none());
    }
}
