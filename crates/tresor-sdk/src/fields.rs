//! Reading typed fields out of request data with Vault's weak typing: numbers may come
//! as strings, booleans as `"true"`, lists as comma-separated strings. A field of the
//! wrong type is a 400 that names the field, never its value.

use crate::{duration, Data, Error, Value};
use std::time::Duration;

fn wrong(key: &str, expected: &str) -> Error {
    Error::bad_request(format!(
        "error converting input for field {key:?}: expected {expected}"
    ))
}

/// An optional non-negative integer.
pub fn u64_field(data: &Data, key: &str) -> Result<Option<u64>, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19)
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| wrong(key, "a non-negative integer")),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| wrong(key, "a non-negative integer")),
        Some(_) => Err(wrong(key, "a non-negative integer")),
    }
}

pub fn bool_field(data: &Data, key: &str) -> Result<Option<bool>, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "1" | "t" | "true" => Ok(Some(true)),
            "0" | "f" | "false" => Ok(Some(false)),
            _ => Err(wrong(key, "a boolean")),
        },
        Some(_) => Err(wrong(key, "a boolean")),
    }
}

pub fn string_field(data: &Data, key: &str) -> Result<Option<String>, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(wrong(key, "a string")),
    }
}

/// A list of strings: a JSON array, or one comma-separated string.
pub fn string_list_field(data: &Data, key: &str) -> Result<Option<Vec<String>>, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(wrong(key, "a list of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(Vec::new())),
        Some(Value::String(s)) => Ok(Some(s.split(',').map(|p| p.trim().to_owned()).collect())),
        Some(_) => Err(wrong(key, "a list of strings")),
    }
}

/// A duration: whole seconds as a number or string, or a Go duration string.
pub fn duration_field(data: &Data, key: &str) -> Result<Option<Duration>, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(_)) => Ok(u64_field(data, key)?.map(Duration::from_secs)),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => duration::parse(s)
            .map(Some)
            .map_err(|_| wrong(key, "a duration")),
        Some(_) => Err(wrong(key, "a duration")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> Data {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn weak_typing() {
        let d = data(json!({"n": "5", "f": 3.0, "b": "true", "l": "a, b", "t": "1h", "x": [1]}));
        assert_eq!(u64_field(&d, "n").unwrap(), Some(5));
        assert_eq!(u64_field(&d, "f").unwrap(), Some(3));
        assert_eq!(bool_field(&d, "b").unwrap(), Some(true));
        assert_eq!(
            string_list_field(&d, "l").unwrap(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            duration_field(&d, "t").unwrap(),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(u64_field(&d, "missing").unwrap(), None);
        assert!(u64_field(&d, "x").is_err());
        assert!(u64_field(&data(json!({"n": -1})), "n").is_err());
        assert!(u64_field(&data(json!({"n": 1.5})), "n").is_err());
        assert!(bool_field(&d, "l").is_err());
    }
}
