//! What a role takes from verified claims: the alias name (`user_claim`), alias metadata
//! (`claim_mappings`), group names (`groups_claim`), and the `bound_claims` check.
//!
//! A claim name starting with `/` is a JSON pointer into nested claims (`/a/b`). As in
//! Vault, a number claim compares as its integer part, and a single value stands for a
//! list of one.

use super::jws::Claims;
use super::model::Role;
use serde_json::Value;
use std::collections::BTreeMap;

/// The alias and groups a login makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub metadata: BTreeMap<String, String>,
    pub groups: Vec<String>,
}

/// A claim by name, or by JSON pointer when the name starts with `/`; null is absent.
pub fn get<'c>(claims: &'c Claims, name: &str) -> Option<&'c Value> {
    let v = if name.starts_with('/') {
        let mut cur: Option<&Value> = None;
        for (i, seg) in name.split('/').skip(1).enumerate() {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            cur = match (i, cur) {
                (0, _) => claims.get(&seg),
                (_, Some(Value::Object(m))) => m.get(&seg),
                (_, Some(Value::Array(a))) => seg.parse::<usize>().ok().and_then(|n| a.get(n)),
                _ => None,
            };
            cur?;
        }
        cur
    } else {
        claims.get(name)
    };
    v.filter(|v| !v.is_null())
}

/// A value to compare: claims and bound values meet as one of these.
#[derive(Debug, PartialEq)]
enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
    Int(String),
}

fn bound_scalar(v: &Value) -> Option<Scalar<'_>> {
    match v {
        Value::String(s) => Some(Scalar::Str(s)),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Number(n) => Some(Scalar::Int(n.to_string())),
        _ => None,
    }
}

/// A top-level claim's value; numbers compare by their integer part.
fn claim_scalar(v: &Value) -> Option<Scalar<'_>> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .map(|i| Scalar::Int(i.to_string())),
        other => bound_scalar(other),
    }
}

/// A string, bool or number as a list of one; a list as itself.
fn as_list(v: &Value) -> Option<Vec<&Value>> {
    match v {
        Value::Array(items) => Some(items.iter().collect()),
        Value::String(_) | Value::Bool(_) | Value::Number(_) => Some(vec![v]),
        _ => None,
    }
}

/// Vault's glob: `*` matches any run of characters; nothing else is special.
pub fn glob(pattern: &str, subject: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == subject;
    }
    let Some(mut rest) = subject.strip_prefix(first) else {
        return false;
    };
    for middle in parts.iter().skip(1).take(parts.len() - 2) {
        match rest.find(middle) {
            Some(i) => rest = rest.get(i + middle.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Checks a role's bound claims on write: with globs, every value must be a string.
pub fn check_glob_values(bound: &serde_json::Map<String, Value>) -> Result<(), String> {
    for value in bound.values() {
        let list = as_list(value)
            .ok_or_else(|| format!("claim is not a string or list: {}", clip(value)))?;
        if let Some(v) = list.iter().find(|v| !v.is_string()) {
            return Err(format!("claim is not a string: {}", clip(v)));
        }
    }
    Ok(())
}

fn clip(v: &Value) -> String {
    v.to_string().chars().take(64).collect()
}

/// Every bound claim must match one of its values (in the claim, or in the claim's list).
pub fn check_bound(role: &Role, claims: &Claims) -> Result<(), String> {
    let Some(bound) = &role.bound_claims else {
        return Ok(());
    };
    let globs = role.bound_claims_type == "glob";
    for (name, expected) in bound {
        let actual = get(claims, name).ok_or_else(|| format!("claim {name:?} is missing"))?;
        let actual: Vec<Option<Scalar<'_>>> = match actual {
            Value::Array(items) => items
                .iter()
                // Numbers inside a list never equal a bound value, as in Vault.
                .map(|v| if v.is_number() { None } else { bound_scalar(v) })
                .collect(),
            v => vec![Some(
                claim_scalar(v).ok_or("received claim is not a string, bool, int or list")?,
            )],
        };
        let expected = as_list(expected).ok_or_else(|| {
            format!(
                "bound claim is not a string, bool, int or list: {}",
                clip(expected)
            )
        })?;
        let found = expected.iter().any(|e| {
            actual.iter().flatten().any(|a| match (globs, e, a) {
                (true, Value::String(p), Scalar::Str(s)) => glob(p, s),
                (true, _, _) => false,
                (false, e, a) => bound_scalar(e).as_ref() == Some(a),
            })
        });
        if !found {
            return Err(format!(
                "claim {name:?} does not match any associated bound claim values"
            ));
        }
    }
    Ok(())
}

/// The alias name, alias metadata (with the role's name) and groups of a login.
pub fn identity(role: &Role, role_name: &str, claims: &Claims) -> Result<Identity, String> {
    let user = if role.user_claim_json_pointer {
        get(claims, &role.user_claim)
    } else {
        claims.get(&role.user_claim).filter(|v| !v.is_null())
    };
    let name = match user {
        None => return Err(format!("claim {:?} not found in token", role.user_claim)),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(format!(
                "claim {:?} could not be converted to string",
                role.user_claim
            ))
        }
    };
    let mut metadata = BTreeMap::new();
    for (source, target) in role.claim_mappings.iter().flatten() {
        match get(claims, source) {
            None => {}
            Some(Value::String(s)) => {
                metadata.insert(target.clone(), s.clone());
            }
            Some(_) => return Err(format!("error converting claim '{source}' to string")),
        }
    }
    metadata.insert("role".to_owned(), role_name.to_owned());
    let groups = groups(role, claims)?;
    Ok(Identity {
        name,
        metadata,
        groups,
    })
}

fn groups(role: &Role, claims: &Claims) -> Result<Vec<String>, String> {
    if role.groups_claim.is_empty() {
        return Ok(Vec::new());
    }
    let claim = &role.groups_claim;
    let raw = get(claims, claim)
        .ok_or_else(|| format!("failed to fetch groups: {claim:?} claim not found in token"))?;
    let list = as_list(raw)
        .ok_or_else(|| format!("{claim:?} claim could not be converted to string list"))?;
    let mut out = Vec::new();
    for v in list {
        match v {
            Value::String(s) if s.is_empty() => {}
            Value::String(s) => out.push(s.clone()),
            other => {
                return Err(format!(
                    "value {} in groups claim could not be parsed as string",
                    clip(other)
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Claims {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn globs_match_like_vaults() {
        for (p, s, ok) in [
            ("*", "", true),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "abbbc", true),
            ("a*b*c", "axbyc", true),
            ("a*b*c", "acb", false),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("a?c", "abc", false),
            (
                "repo:org/*:ref:refs/heads/main",
                "repo:org/x:ref:refs/heads/main",
                true,
            ),
            (
                "repo:org/*:ref:refs/heads/main",
                "repo:evil/x:ref:refs/heads/main",
                false,
            ),
        ] {
            assert_eq!(glob(p, s), ok, "{p} ~ {s}");
        }
    }

    #[test]
    fn pointers_reach_nested_claims() {
        let c = claims(json!({"a": {"b": ["x", {"c": 1}], "d/e": 2}, "n": null}));
        assert_eq!(get(&c, "/a/b/0"), Some(&json!("x")));
        assert_eq!(get(&c, "/a/b/1/c"), Some(&json!(1)));
        assert_eq!(get(&c, "/a/d~1e"), Some(&json!(2)));
        assert_eq!(get(&c, "/a/zz"), None);
        assert_eq!(get(&c, "n"), None);
        assert_eq!(get(&c, "a/b"), None);
    }

    #[test]
    fn bound_claims_compare_values_and_lists() {
        let mut role = Role {
            bound_claims: json!({"team": ["a", "b"], "/org/id": 7, "admin": true})
                .as_object()
                .cloned(),
            ..Role::default()
        };
        let ok = claims(json!({"team": ["z", "b"], "org": {"id": 7.9}, "admin": true}));
        assert_eq!(check_bound(&role, &ok), Ok(()));
        let wrong = claims(json!({"team": "c", "org": {"id": 7}, "admin": true}));
        assert_eq!(
            check_bound(&role, &wrong).unwrap_err(),
            "claim \"team\" does not match any associated bound claim values"
        );
        let missing = claims(json!({"team": "a", "admin": true}));
        assert_eq!(
            check_bound(&role, &missing).unwrap_err(),
            "claim \"/org/id\" is missing"
        );
        let as_text = claims(json!({"team": "a", "org": {"id": "7"}, "admin": "true"}));
        assert!(check_bound(&role, &as_text).is_err());
        role.bound_claims = json!({"sub": "repo:org/*"}).as_object().cloned();
        role.bound_claims_type = "glob".into();
        assert!(check_bound(&role, &claims(json!({"sub": "repo:org/x"}))).is_ok());
        assert!(check_bound(&role, &claims(json!({"sub": "repo:orgx"}))).is_err());
        assert!(check_glob_values(&json!({"a": ["x", 1]}).as_object().cloned().unwrap()).is_err());
        assert!(check_glob_values(&json!({"a": {"b": 1}}).as_object().cloned().unwrap()).is_err());
    }

    #[test]
    fn identity_takes_user_metadata_and_groups() {
        let role = Role {
            user_claim: "email".into(),
            groups_claim: "/realm/groups".into(),
            claim_mappings: Some(BTreeMap::from([
                ("name".to_owned(), "display".to_owned()),
                ("/org/unit".to_owned(), "unit".to_owned()),
                ("absent".to_owned(), "gone".to_owned()),
            ])),
            ..Role::default()
        };
        let c = claims(json!({"email": "e@x", "name": "E", "org": {"unit": "u1"},
            "realm": {"groups": ["g1", "", "g2"]}}));
        let id = identity(&role, "dev", &c).unwrap();
        assert_eq!(id.name, "e@x");
        assert_eq!(id.groups, ["g1", "g2"]);
        let meta: Vec<(&str, &str)> = id
            .metadata
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(meta, [("display", "E"), ("role", "dev"), ("unit", "u1")]);
        let one = claims(json!({"email": "e", "realm": {"groups": "solo"}}));
        assert_eq!(identity(&role, "dev", &one).unwrap().groups, ["solo"]);
        for (c, msg) in [
            (
                json!({"realm": {"groups": []}}),
                "claim \"email\" not found in token",
            ),
            (
                json!({"email": 5}),
                "claim \"email\" could not be converted to string",
            ),
            (
                json!({"email": "e", "name": 1}),
                "error converting claim 'name' to string",
            ),
            (
                json!({"email": "e"}),
                "failed to fetch groups: \"/realm/groups\" claim not found in token",
            ),
            (
                json!({"email": "e", "realm": {"groups": [true]}}),
                "value true in groups claim could not be parsed as string",
            ),
        ] {
            assert_eq!(identity(&role, "dev", &claims(c)).unwrap_err(), msg);
        }
    }
}
