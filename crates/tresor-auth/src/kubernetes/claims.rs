//! A service-account JWT read without trusting it: its algorithm and the claims that
//! name the service account, in both shapes Kubernetes issues (the legacy secret-based
//! `kubernetes.io/serviceaccount/...` claims and the projected tokens' `kubernetes.io`
//! object), and the checks of its registered claims (issuer, audience, times), made the
//! same way whether the signature is checked here or by the cluster.
//!
//! Every failure to read a token is the same "permission denied": a malformed token
//! tells its sender nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};
use tresor_sdk::Error;

/// Algorithms a service-account token may be signed with (those Kubernetes accepts).
const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
];
/// A longer JWT is refused unread (service-account tokens are a few KiB).
const MAX_JWT: usize = 64 * 1024;
/// Registered claims a custom claim must not shadow under case folding.
const REGISTERED: &[&str] = &["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
/// Clock skew allowed on `exp`, `nbf` and `iat`.
const SKEW: i64 = 60;
/// The lifetime assumed for a token with a start but no `exp`.
const DEFAULT_LIFETIME: i64 = 150;

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ObjectRef {
    name: String,
    uid: String,
}

/// The `kubernetes.io` claim of projected tokens.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Projected {
    namespace: String,
    serviceaccount: Option<ObjectRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Claims {
    iss: Option<String>,
    aud: Audience,
    exp: Option<f64>,
    nbf: Option<f64>,
    iat: Option<f64>,
    #[serde(rename = "kubernetes.io/serviceaccount/namespace")]
    legacy_namespace: String,
    #[serde(rename = "kubernetes.io/serviceaccount/service-account.name")]
    legacy_name: String,
    #[serde(rename = "kubernetes.io/serviceaccount/service-account.uid")]
    legacy_uid: String,
    #[serde(rename = "kubernetes.io/serviceaccount/secret.name")]
    secret_name: String,
    #[serde(rename = "kubernetes.io")]
    projected: Option<Projected>,
}

/// What the token's claims say it is, and what it must pass.
#[derive(Debug)]
pub struct Token {
    /// The `alg` of its header, one of [`ALGORITHMS`].
    pub alg: String,
    pub claims: Claims,
}

/// The checks of the registered claims.
#[derive(Debug, Default)]
pub struct Expected<'a> {
    /// The `iss` the token must carry, when checked.
    pub issuer: Option<&'a str>,
    /// An audience the token's `aud` must include, when set.
    pub audience: Option<&'a str>,
    /// Now, in seconds since the epoch.
    pub now: i64,
}

fn b64_json(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Reads the token without checking its signature.
pub fn parse(jwt: &str) -> Result<Token, Error> {
    if jwt.len() > MAX_JWT {
        return Err(Error::PermissionDenied);
    }
    let mut parts = jwt.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::PermissionDenied);
    };
    let signed = URL_SAFE_NO_PAD
        .decode(signature)
        .is_ok_and(|s| !s.is_empty());
    let header = b64_json(header).ok_or(Error::PermissionDenied)?;
    let alg = match header.get("alg") {
        Some(Value::String(a)) if ALGORITHMS.contains(&a.as_str()) => a.clone(),
        _ => return Err(Error::PermissionDenied),
    };
    let payload = b64_json(payload).ok_or(Error::PermissionDenied)?;
    if !signed {
        return Err(Error::PermissionDenied);
    }
    for key in payload.keys() {
        if REGISTERED
            .iter()
            .any(|r| r != key && r.eq_ignore_ascii_case(key))
        {
            return Err(Error::Forbidden(format!(
                "ambiguous claim: a claim collides with the registered claim {:?}",
                key.to_ascii_lowercase()
            )));
        }
    }
    let claims =
        serde_json::from_value(Value::Object(payload)).map_err(|_| Error::PermissionDenied)?;
    Ok(Token { alg, claims })
}

fn seconds(v: Option<f64>) -> i64 {
    // Saturating: an absurd date is simply far away.
    v.filter(|f| f.is_finite()).map_or(0, |f| f as i64)
}

impl Claims {
    /// The service account's namespace: the projected claim when there is one.
    pub fn namespace(&self) -> &str {
        match &self.projected {
            Some(p) => &p.namespace,
            None => &self.legacy_namespace,
        }
    }

    pub fn name(&self) -> &str {
        match self
            .projected
            .as_ref()
            .and_then(|p| p.serviceaccount.as_ref())
        {
            Some(sa) => &sa.name,
            None => &self.legacy_name,
        }
    }

    pub fn uid(&self) -> &str {
        match self
            .projected
            .as_ref()
            .and_then(|p| p.serviceaccount.as_ref())
        {
            Some(sa) => &sa.uid,
            None => &self.legacy_uid,
        }
    }

    /// The secret a legacy token came from (empty for projected tokens).
    pub fn secret_name(&self) -> &str {
        &self.secret_name
    }

    pub fn audiences(&self) -> Vec<String> {
        match &self.aud {
            Audience::None => Vec::new(),
            Audience::One(a) => vec![a.clone()],
            Audience::Many(list) => list.clone(),
        }
    }

    /// The issuer, audience and time checks. A token with none of `exp`, `nbf` and
    /// `iat` (a legacy token) has no times to check; one with a start but no `exp` is
    /// taken to live [`DEFAULT_LIFETIME`] seconds.
    pub fn check(&self, expected: &Expected<'_>) -> Result<(), String> {
        if let Some(iss) = expected.issuer {
            if self.iss.as_deref() != Some(iss) {
                return Err("invalid issuer (iss) claim".to_owned());
            }
        }
        if let Some(aud) = expected.audience {
            if !self.audiences().iter().any(|a| a == aud) {
                return Err("invalid audience (aud) claim: audience claim does not match any expected audience".to_owned());
            }
        }
        let (iat, mut exp, mut nbf) = (seconds(self.iat), seconds(self.exp), seconds(self.nbf));
        if iat == 0 && exp == 0 && nbf == 0 {
            return Ok(());
        }
        if exp == 0 {
            exp = iat.max(nbf).saturating_add(DEFAULT_LIFETIME);
        }
        if nbf == 0 {
            nbf = match iat {
                0 => exp.saturating_sub(DEFAULT_LIFETIME),
                _ => iat,
            };
        }
        let now = expected.now;
        if now.saturating_add(SKEW) < nbf {
            return Err("invalid not before (nbf) claim: token not yet valid".to_owned());
        }
        if now.saturating_sub(SKEW) > exp {
            return Err("invalid expiration time (exp) claim: token is expired".to_owned());
        }
        if iat != 0 && now.saturating_add(SKEW) < iat {
            return Err("invalid issued at (iat) claim: token issued in the future".to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use serde_json::json;

    /// A token with `claims`, signed with garbage.
    pub fn unsigned(claims: &Value) -> String {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        format!("{}.{}.c2ln", enc(&json!({"alg": "RS256"})), enc(claims))
    }

    #[test]
    fn legacy_and_projected_claims() {
        let legacy = parse(&unsigned(&json!({
            "iss": "kubernetes/serviceaccount",
            "kubernetes.io/serviceaccount/namespace": "default",
            "kubernetes.io/serviceaccount/service-account.name": "vault-auth",
            "kubernetes.io/serviceaccount/service-account.uid": "uid-1",
            "kubernetes.io/serviceaccount/secret.name": "vault-auth-token-x",
        })))
        .unwrap();
        let c = &legacy.claims;
        assert_eq!(
            (c.namespace(), c.name(), c.uid(), c.secret_name()),
            ("default", "vault-auth", "uid-1", "vault-auth-token-x")
        );
        assert!(c.audiences().is_empty());
        assert_eq!(legacy.alg, "RS256");
        let projected = parse(&unsigned(&json!({
            "aud": "vault", "exp": 2e9, "iat": 1.7e9,
            "kubernetes.io": {"namespace": "apps", "pod": {"name": "p", "uid": "pu"},
                "serviceaccount": {"name": "web", "uid": "uid-2"}, "warnafter": 1},
            "kubernetes.io/serviceaccount/namespace": "ignored",
        })))
        .unwrap();
        let c = &projected.claims;
        assert_eq!(
            (c.namespace(), c.name(), c.uid(), c.secret_name()),
            ("apps", "web", "uid-2", "")
        );
        assert_eq!(c.audiences(), ["vault"]);
    }

    #[test]
    fn malformed_tokens_are_denied_alike() {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let body = enc(&json!({"sub": "x"}));
        for bad in [
            String::new(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            format!("{}.{body}.c2ln", enc(&json!({"alg": "none"}))),
            format!("{}.{body}.c2ln", enc(&json!({"alg": "HS256"}))),
            format!("{}.{body}.", enc(&json!({"alg": "RS256"}))),
            format!("{}.bm90IGpzb24.c2ln", enc(&json!({"alg": "RS256"}))),
            format!(
                "{}.{}.c2ln",
                enc(&json!({"alg": "RS256"})),
                enc(&json!({"iss": 5}))
            ),
            "x".repeat(MAX_JWT + 1),
        ] {
            let e = parse(&bad).unwrap_err();
            assert_eq!(e.messages(), ["permission denied"], "{bad:.40}");
        }
        let e = parse(&unsigned(&json!({"ISS": "x"}))).unwrap_err();
        assert!(e.to_string().starts_with("ambiguous claim"), "{e}");
    }

    fn check(claims: Value, expected: Expected<'_>) -> Result<(), String> {
        parse(&unsigned(&claims)).unwrap().claims.check(&expected)
    }

    #[test]
    fn registered_claims() {
        let now = 1_800_000_000;
        let at = |now| Expected {
            now,
            ..Expected::default()
        };
        assert!(
            check(json!({}), at(now)).is_ok(),
            "a legacy token has no times"
        );
        let live = json!({"iat": now - 10, "nbf": now - 10, "exp": now + 600});
        assert!(check(live.clone(), at(now)).is_ok());
        assert!(
            check(live.clone(), at(now + 660)).is_ok(),
            "within the skew"
        );
        assert_eq!(
            check(live.clone(), at(now + 661)).unwrap_err(),
            "invalid expiration time (exp) claim: token is expired"
        );
        assert_eq!(
            check(live, at(now - 71)).unwrap_err(),
            "invalid not before (nbf) claim: token not yet valid"
        );
        assert!(
            check(json!({"iat": now}), at(now + 210)).is_ok(),
            "150 s assumed, plus skew"
        );
        assert!(check(json!({"iat": now}), at(now + 211)).is_err());
        let iss = Expected {
            issuer: Some("https://kubernetes.default.svc"),
            now,
            ..Expected::default()
        };
        assert!(check(json!({"iss": "https://kubernetes.default.svc"}), iss).is_ok());
        let iss = Expected {
            issuer: Some("https://kubernetes.default.svc"),
            now,
            ..Expected::default()
        };
        assert_eq!(
            check(json!({"iss": "other"}), iss).unwrap_err(),
            "invalid issuer (iss) claim"
        );
        for (aud, ok) in [
            (json!("vault"), true),
            (json!(["x", "vault"]), true),
            (json!(["x"]), false),
            (json!("vaultx"), false),
            (json!(null), false),
        ] {
            let exp = Expected {
                audience: Some("vault"),
                now,
                ..Expected::default()
            };
            assert_eq!(check(json!({"aud": aud}), exp).is_ok(), ok, "{aud}");
        }
    }
}
