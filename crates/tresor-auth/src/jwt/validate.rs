//! The registered claims of a login token, checked as Vault checks them (the `cap/jwt`
//! validator): issuer, subject, audience, then `nbf`/`exp`/`iat` with leeways.
//!
//! Leeways are seconds: 0 takes the default (60 for clock skew, 150 for the others),
//! a negative value means none. A token needs at least one of `iat`, `nbf`, `exp`; a
//! missing `exp` is derived from the latest of `iat`/`nbf` plus the expiration leeway, a
//! missing `nbf` from `iat`, or from `exp` minus the not-before leeway.

use super::jws::Claims;
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_SKEW: i64 = 60;
const DEFAULT_LEEWAY: i64 = 150;

#[derive(Debug)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub audiences: &'a [String],
    pub not_before_leeway: i64,
    pub expiration_leeway: i64,
    pub clock_skew_leeway: i64,
    pub now: SystemTime,
}

fn effective(leeway: i64, default: i64) -> i64 {
    match leeway {
        l if l < 0 => 0,
        0 => default,
        l => l,
    }
}

/// A string claim (`iss`, `sub`); absent is empty.
fn text<'c>(claims: &'c Claims, name: &str) -> Result<&'c str, ()> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(()),
    }
}

/// The `aud` claim as a list: a single string is a list of one (RFC 7519 4.1.3).
pub fn audiences(claims: &Claims) -> Result<Vec<String>, String> {
    let bad = || "invalid audience (aud) claim: not a string or a list of strings".to_owned();
    match claims.get("aud") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// A NumericDate claim in whole seconds; absent is 0.
pub fn seconds(claims: &Claims, name: &str) -> Result<i64, String> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.abs() < 1e15)
                    .map(|f| f.trunc() as i64)
            })
            .ok_or_else(|| format!("invalid {name} claim: not a NumericDate")),
        Some(_) => Err(format!("invalid {name} claim: not a NumericDate")),
    }
}

/// Nanoseconds since the epoch (negative before it).
pub fn nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

fn at(secs: i64) -> i128 {
    i128::from(secs) * 1_000_000_000
}

pub fn validate(claims: &Claims, e: &Expected<'_>) -> Result<(), String> {
    let iss = text(claims, "iss").map_err(|_| "invalid issuer (iss) claim".to_owned())?;
    if !e.issuer.is_empty() && e.issuer != iss {
        return Err("invalid issuer (iss) claim".to_owned());
    }
    let sub = text(claims, "sub").map_err(|_| "invalid subject (sub) claim".to_owned())?;
    if !e.subject.is_empty() && e.subject != sub {
        return Err("invalid subject (sub) claim".to_owned());
    }
    let aud = audiences(claims)?;
    if !e.audiences.is_empty() && !e.audiences.iter().any(|a| aud.contains(a)) {
        return Err(
            "invalid audience (aud) claim: audience claim does not match any expected audience"
                .to_owned(),
        );
    }
    check_times(claims, e)
}

fn check_times(claims: &Claims, e: &Expected<'_>) -> Result<(), String> {
    let iat = seconds(claims, "iat")?;
    let mut exp = seconds(claims, "exp")?;
    let mut nbf = seconds(claims, "nbf")?;
    if iat == 0 && exp == 0 && nbf == 0 {
        return Err(
            "no issued at (iat), not before (nbf), or expiration time (exp) claims in token"
                .to_owned(),
        );
    }
    if exp == 0 {
        let leeway = effective(e.expiration_leeway, DEFAULT_LEEWAY);
        exp = iat.max(nbf).saturating_add(leeway);
    }
    if nbf == 0 {
        nbf = if iat != 0 {
            iat
        } else {
            exp.saturating_sub(effective(e.not_before_leeway, DEFAULT_LEEWAY))
        };
    }
    let skew = at(effective(e.clock_skew_leeway, DEFAULT_SKEW));
    let now = nanos(e.now);
    if now + skew < at(nbf) {
        return Err("invalid not before (nbf) claim: token not yet valid".to_owned());
    }
    if now - skew > at(exp) {
        return Err("invalid expiration time (exp) claim: token is expired".to_owned());
    }
    if now + skew < at(iat) {
        return Err("invalid issued at (iat) claim: token issued in the future".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    const NOW: u64 = 1_800_000_000;

    fn check(claims: Value, skew: i64, exp_leeway: i64, nbf_leeway: i64) -> Result<(), String> {
        let e = Expected {
            issuer: "",
            subject: "",
            audiences: &[],
            not_before_leeway: nbf_leeway,
            expiration_leeway: exp_leeway,
            clock_skew_leeway: skew,
            now: UNIX_EPOCH + Duration::from_secs(NOW),
        };
        validate(claims.as_object().unwrap(), &e)
    }

    fn t(delta: i64) -> i64 {
        NOW as i64 + delta
    }

    #[test]
    fn times_follow_the_leeways() {
        let expired = "invalid expiration time (exp) claim: token is expired";
        let early = "invalid not before (nbf) claim: token not yet valid";
        assert!(check(json!({"exp": t(100)}), 0, 0, 0).is_ok());
        // 30 s past expiry passes the default 60 s skew, not a skew of -1 (none).
        assert!(check(json!({"exp": t(-30)}), 0, 0, 0).is_ok());
        assert_eq!(
            check(json!({"exp": t(-30)}), -1, 0, 0).unwrap_err(),
            expired
        );
        assert_eq!(check(json!({"exp": t(-90)}), 0, 0, 0).unwrap_err(), expired);
        assert!(check(json!({"exp": t(-90)}), 120, 0, 0).is_ok());
        assert_eq!(
            check(json!({"nbf": t(90), "exp": t(900)}), 0, 0, 0).unwrap_err(),
            early
        );
        assert!(check(json!({"nbf": t(90), "exp": t(900)}), 100, 0, 0).is_ok());
        // A future iat without nbf stands in for nbf.
        assert_eq!(
            check(json!({"iat": t(90), "exp": t(900)}), 0, 0, 0).unwrap_err(),
            early
        );
        // Without exp, iat + 150 s (or the expiration leeway) is the expiry.
        assert!(check(json!({"iat": t(-200)}), -1, 0, 0).is_err());
        assert!(check(json!({"iat": t(-100)}), -1, 0, 0).is_ok());
        assert!(check(json!({"iat": t(-100)}), -1, 50, 0).is_err());
        assert!(check(json!({"iat": t(-100)}), -1, -1, 0).is_err());
        // Without nbf and iat, exp - 150 s (or the not-before leeway) is the start.
        // (So a token with only a far `exp` is "not yet valid", as in Vault.)
        assert!(check(json!({"exp": t(100)}), -1, 0, 0).is_ok());
        assert_eq!(check(json!({"exp": t(100)}), -1, 0, 50).unwrap_err(), early);
        assert_eq!(check(json!({"exp": t(1000)}), 0, 0, 0).unwrap_err(), early);
        assert_eq!(
            check(json!({"sub": "x"}), 0, 0, 0).unwrap_err(),
            "no issued at (iat), not before (nbf), or expiration time (exp) claims in token"
        );
        assert!(check(json!({"exp": "soon"}), 0, 0, 0).is_err());
        assert!(check(json!({"exp": (t(100) as f64) + 0.5}), 0, 0, 0).is_ok());
    }

    #[test]
    fn issuer_subject_audience() {
        let claims = json!({"iss": "i", "sub": "s", "aud": ["a", "b"], "exp": t(100)});
        let claims = claims.as_object().unwrap();
        let bound = ["b".to_owned()];
        let mut e = Expected {
            issuer: "i",
            subject: "s",
            audiences: &bound,
            not_before_leeway: 0,
            expiration_leeway: 0,
            clock_skew_leeway: 0,
            now: UNIX_EPOCH + Duration::from_secs(NOW),
        };
        assert!(validate(claims, &e).is_ok());
        e.issuer = "j";
        assert_eq!(
            validate(claims, &e).unwrap_err(),
            "invalid issuer (iss) claim"
        );
        e.issuer = "";
        e.subject = "t";
        assert_eq!(
            validate(claims, &e).unwrap_err(),
            "invalid subject (sub) claim"
        );
        let other = ["c".to_owned()];
        e.subject = "";
        e.audiences = &other;
        assert!(validate(claims, &e)
            .unwrap_err()
            .starts_with("invalid audience (aud) claim"));
        let bad = json!({"aud": 5});
        assert!(audiences(bad.as_object().unwrap()).is_err());
    }
}
