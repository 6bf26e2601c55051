//! Parsing a role write into a [`Role`], with Vault's rules: fields the request leaves
//! out keep their values, except `role_type`, `bound_claims_type`, `callback_mode` and
//! `oidc_disable_confirmation`, which fall back to their defaults on every write.

use super::claims::check_glob_values;
use super::model::Role;
use std::collections::BTreeMap;
use tresor_sdk::duration;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Value};

fn bad(msg: impl Into<String>) -> Error {
    Error::bad_request(msg)
}

/// A signed duration in seconds (`-1`, `"90"`, `"-1m"`, `"1h"`).
pub fn signed_seconds(data: &Data, key: &str) -> Result<Option<i64>, Error> {
    let wrong = |shown: &str| {
        bad(format!(
            "error converting input for field {key:?}: time: invalid duration {:?}",
            shown.chars().take(64).collect::<String>()
        ))
    };
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.abs() < 1e15).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| wrong(&n.to_string())),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(i));
            }
            let (sign, body) = match t.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, t.strip_prefix('+').unwrap_or(t)),
            };
            let d = duration::parse(body).map_err(|_| wrong(s))?;
            let secs = i64::try_from(d.as_secs()).map_err(|_| wrong(s))?;
            Ok(Some(sign * secs))
        }
        Some(_) => Err(wrong("")),
    }
}

/// A list field, unless the request sent an empty string (which Vault treats as unset).
fn list(fields: &Fields, data: &Data, name: &str) -> Option<Vec<String>> {
    if matches!(data.get(name), Some(Value::String(s)) if s.trim().is_empty()) {
        return None;
    }
    fields.list(name).map(|l| l.to_vec())
}

/// `claim_mappings`: an object of strings (or a single `claim=key` string).
fn claim_mappings(v: &Value) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err(bad("claim_mappings values must be strings")),
                };
                out.insert(k.clone(), v);
            }
        }
        Value::String(s) if !s.is_empty() => {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| bad("claim_mappings must be key=value pairs"))?;
            out.insert(k.to_owned(), v.to_owned());
        }
        Value::String(_) | Value::Null => {}
        _ => return Err(bad("claim_mappings must be a map of strings")),
    }
    let mut targets: Vec<&String> = Vec::new();
    for target in out.values() {
        if target == "role" {
            return Err(bad(format!(
                "metadata key {target:?} is reserved and may not be a mapping destination"
            )));
        }
        if targets.contains(&target) {
            return Err(bad(format!(
                "multiple keys are mapped to metadata key {target:?}"
            )));
        }
        targets.push(target);
    }
    Ok(out)
}

fn role_type(fields: &Fields) -> Result<String, Error> {
    match fields.str("role_type").unwrap_or("") {
        "" | "oidc" => Ok("oidc".to_owned()),
        "jwt" => Ok("jwt".to_owned()),
        other => Err(bad(format!("invalid 'role_type': {other}"))),
    }
}

fn unsupported(fields: &Fields) -> Result<(), Error> {
    if fields
        .list("oauth2_metadata")
        .is_some_and(|l| !l.is_empty())
    {
        return Err(bad("'oauth2_metadata' is not supported"));
    }
    if fields.bool("token_policies_template_claims") == Some(true) {
        return Err(bad("'token_policies_template_claims' is not supported"));
    }
    Ok(())
}

fn bound_claims(role: &mut Role, fields: &Fields) -> Result<(), Error> {
    let kind = fields.str("bound_claims_type").unwrap_or("string");
    if kind != "string" && kind != "glob" {
        return Err(bad(format!("invalid 'bound_claims_type': {kind}")));
    }
    role.bound_claims_type = kind.to_owned();
    if let Some(map) = fields.map("bound_claims") {
        if kind == "glob" {
            check_glob_values(map).map_err(bad)?;
        }
        role.bound_claims = Some(map.clone());
    }
    Ok(())
}

fn callback(role: &mut Role, fields: &Fields) -> Result<(), Error> {
    role.callback_mode = match fields.str("callback_mode").unwrap_or("client") {
        "client" | "" => "client".to_owned(),
        m @ ("direct" | "device") => {
            return Err(bad(format!("callback_mode {m:?} is not supported")))
        }
        other => return Err(bad(format!("invalid 'callback_mode': {other}"))),
    };
    role.oidc_disable_confirmation = fields.bool("oidc_disable_confirmation").unwrap_or(false);
    if let Some(p) = fields.int("poll_interval") {
        role.poll_interval = p;
    }
    Ok(())
}

/// Applies the method's own fields (not the token ones) of a write to `role`.
pub fn apply(role: &mut Role, fields: &Fields, data: &Data) -> Result<(), Error> {
    unsupported(fields)?;
    role.role_type = role_type(fields)?;
    for (key, slot) in [
        ("expiration_leeway", &mut role.expiration_leeway),
        ("not_before_leeway", &mut role.not_before_leeway),
        ("clock_skew_leeway", &mut role.clock_skew_leeway),
    ] {
        if let Some(v) = signed_seconds(data, key)? {
            *slot = v;
        }
    }
    if let Some(l) = list(fields, data, "bound_audiences") {
        role.bound_audiences = Some(l);
    }
    if let Some(s) = fields.str("bound_subject") {
        role.bound_subject = s.to_owned();
    }
    if let Some(b) = fields.bool("verbose_oidc_logging") {
        role.verbose_oidc_logging = b;
    }
    if let Some(d) = fields.duration("max_age") {
        role.max_age = d.as_secs();
    }
    bound_claims(role, fields)?;
    if let Some(v) = fields.json("claim_mappings") {
        role.claim_mappings = Some(claim_mappings(v)?);
    }
    if let Some(s) = fields.str("user_claim") {
        role.user_claim = s.to_owned();
    }
    if role.user_claim.is_empty() {
        return Err(bad("a user claim must be defined on the role"));
    }
    if let Some(b) = fields.bool("user_claim_json_pointer") {
        role.user_claim_json_pointer = b;
    }
    if let Some(s) = fields.str("groups_claim") {
        role.groups_claim = s.to_owned();
    }
    if let Some(l) = list(fields, data, "oidc_scopes") {
        role.oidc_scopes = Some(l);
    }
    if let Some(l) = list(fields, data, "allowed_redirect_uris") {
        role.allowed_redirect_uris = Some(l);
    }
    callback(role, fields)
}

/// The checks on the whole role after a write.
pub fn check(role: &Role) -> Result<(), Error> {
    let redirects = role.allowed_redirect_uris.as_deref().unwrap_or_default();
    if role.role_type == "oidc" && redirects.is_empty() {
        return Err(bad(
            "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.",
        ));
    }
    let bound = !role.audiences().is_empty()
        || !role.token.bound_cidrs.is_empty()
        || !role.bound_subject.is_empty()
        || role.bound_claims.as_ref().is_some_and(|c| !c.is_empty());
    if role.role_type != "oidc" && !bound {
        return Err(bad(
            "must have at least one bound constraint when creating/updating a role",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signed_durations() {
        let d = json!({"a": -1, "b": "-1m", "c": "90", "d": "1h", "e": "abc", "f": [1], "g": ""});
        let d = d.as_object().unwrap();
        let get = |k: &str| signed_seconds(d, k);
        assert_eq!(get("a").unwrap(), Some(-1));
        assert_eq!(get("b").unwrap(), Some(-60));
        assert_eq!(get("c").unwrap(), Some(90));
        assert_eq!(get("d").unwrap(), Some(3600));
        assert_eq!(get("g").unwrap(), None);
        assert_eq!(get("zz").unwrap(), None);
        assert!(get("e")
            .unwrap_err()
            .to_string()
            .contains("invalid duration \"abc\""));
        assert!(get("f").is_err());
    }

    #[test]
    fn claim_mappings_refuse_reserved_and_duplicate_targets() {
        let ok = claim_mappings(&json!({"email": "mail", "/a/b": "ab"})).unwrap();
        assert_eq!(ok.get("/a/b").map(String::as_str), Some("ab"));
        assert_eq!(
            claim_mappings(&json!("a=x,b=y"))
                .unwrap()
                .get("a")
                .map(String::as_str),
            Some("x,b=y")
        );
        let e = claim_mappings(&json!({"a": "role"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "metadata key \"role\" is reserved and may not be a mapping destination"
        );
        let e = claim_mappings(&json!({"a": "x", "b": "x"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "multiple keys are mapped to metadata key \"x\""
        );
        assert!(claim_mappings(&json!({"a": {"b": 1}})).is_err());
    }
}
