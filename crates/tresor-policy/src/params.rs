//! Parameter rules (`required_parameters`, `denied_parameters`, `allowed_parameters`) and
//! wrapping TTL bounds, checked in Vault's order:
//!
//! 1. every required parameter must be present (policy names are lower-cased; the
//!    request key must match exactly, as in Vault);
//! 2. a request without parameters passes;
//! 3. `denied_parameters` with `*` refuses any parameter; otherwise a listed parameter
//!    is refused when its list is empty or holds the request's value;
//! 4. without `allowed_parameters` (or with only `*`) everything left passes; otherwise
//!    each parameter must be listed (or `*` present) and, when listed with values, have
//!    one of them.
//!
//! Request names are compared lower-cased. Values match when equal, where a policy
//! string may start and/or end with `*` to match by suffix/prefix/substring (Vault's
//! `GlobbedStringsMatch`); numbers compare by value, so `1` and `1.0` are equal. (Vault
//! compares Go types, and a JSON number in a request never equals an integer from HCL;
//! we follow the documented intent instead.)

use crate::error::short;
use crate::eval::Denial;
use crate::rule::{ParamMap, Permissions};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::time::Duration;

/// Whether the requested wrapping TTL meets the rule's bounds (Vault's checks).
pub(crate) fn wrapping_ok(perms: &Permissions, wrap_ttl: Option<Duration>) -> bool {
    let (min, max) = (perms.min_wrapping_ttl, perms.max_wrapping_ttl);
    if !max.is_zero() && wrap_ttl.is_none_or(|t| t > max) {
        return false;
    }
    if !min.is_zero() && wrap_ttl.is_none_or(|t| t < min) {
        return false;
    }
    // Merging policies can produce min > max, which nothing satisfies.
    min.is_zero() || max.is_zero() || max >= min
}

/// Checks the request parameters against the rule.
pub(crate) fn check(perms: &Permissions, data: Option<&Map<String, Value>>) -> Result<(), Denial> {
    let empty = Map::new();
    let data = data.unwrap_or(&empty);
    if let Some(missing) = perms
        .required
        .iter()
        .find(|p| !data.contains_key(p.as_str()))
    {
        return Err(Denial::MissingParameter(short(missing)));
    }
    if data.is_empty() {
        return Ok(());
    }
    if !perms.denied.is_empty() {
        if perms.denied.contains_key("*") {
            let first = data.keys().next().map_or_else(String::new, |k| short(k));
            return Err(Denial::DeniedParameter(first));
        }
        for (name, value) in data {
            if lookup(&perms.denied, name).is_some_and(|list| value_in_list(value, list)) {
                return Err(Denial::DeniedParameter(short(name)));
            }
        }
    }
    if perms.allowed.is_empty() {
        return Ok(());
    }
    let allow_all = perms.allowed.contains_key("*");
    if allow_all && perms.allowed.len() == 1 {
        return Ok(());
    }
    for (name, value) in data {
        let ok = match lookup(&perms.allowed, name) {
            None => allow_all,
            Some(list) => value_in_list(value, list),
        };
        if !ok {
            return Err(Denial::ParameterNotAllowed(short(name)));
        }
    }
    Ok(())
}

/// The list for request parameter `name`, compared lower-cased (no allocation when it
/// already is).
fn lookup<'m>(map: &'m ParamMap, name: &str) -> Option<&'m Vec<Value>> {
    let key: Cow<'_, str> = if name.chars().any(char::is_uppercase) {
        Cow::Owned(name.to_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    map.get(key.as_ref())
}

/// An empty list holds every value.
fn value_in_list(value: &Value, list: &[Value]) -> bool {
    list.is_empty() || list.iter().any(|item| item_matches(item, value))
}

fn item_matches(item: &Value, value: &Value) -> bool {
    match (item, value) {
        (Value::String(pattern), Value::String(v)) => glob_match(pattern, v),
        _ => equal(item, value),
    }
}

/// Vault's `GlobbedStringsMatch`: a leading and/or trailing `*` in `pattern`.
pub(crate) fn glob_match(pattern: &str, value: &str) -> bool {
    if pattern.len() < 2 {
        return pattern == value;
    }
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(rest), Some(_)) => rest
            .strip_suffix('*')
            .is_some_and(|middle| value.contains(middle)),
        (Some(suffix), None) => value.ends_with(suffix),
        (None, Some(prefix)) => value.starts_with(prefix),
        (None, None) => pattern == value,
    }
}

/// Deep equality where numbers compare by value.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(i), Some(j), _, _) => i == j,
                (_, _, Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globbed_strings() {
        assert!(glob_match("bad*", "bad glob"));
        assert!(glob_match("*good3", "glob good3"));
        assert!(glob_match("*mid*", "a mid b"));
        assert!(!glob_match("*mid*", "a mi b"));
        assert!(glob_match("**", "anything"));
        assert!(glob_match("*", "*"));
        assert!(!glob_match("*", "x"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(equal(&json!(1), &json!(1.0)));
        assert!(equal(&json!({"a": [1]}), &json!({"a": [1.0]})));
        assert!(!equal(&json!(1), &json!("1")));
        assert!(!equal(&json!(-1), &json!(u64::MAX)));
        assert!(!equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }

    #[test]
    fn wrapping_bounds() {
        let perms = Permissions {
            min_wrapping_ttl: Duration::from_secs(300),
            max_wrapping_ttl: Duration::from_secs(400),
            ..Permissions::default()
        };
        assert!(!wrapping_ok(&perms, None));
        assert!(!wrapping_ok(&perms, Some(Duration::from_secs(50))));
        assert!(!wrapping_ok(&perms, Some(Duration::from_secs(450))));
        assert!(wrapping_ok(&perms, Some(Duration::from_secs(350))));
        let merged_badly = Permissions {
            min_wrapping_ttl: Duration::from_secs(400),
            max_wrapping_ttl: Duration::from_secs(300),
            ..Permissions::default()
        };
        assert!(!wrapping_ok(&merged_badly, Some(Duration::from_secs(350))));
        assert!(wrapping_ok(&Permissions::default(), None));
    }
}
