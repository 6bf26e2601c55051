//! Typed request fields, parsed once per request from the table's field list with
//! Vault's weak typing (see [`crate::fields`]).

use crate::fields::{bool_field, duration_field, string_field, string_list_field};
use crate::{Data, Error, Value};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Str,
    /// A signed integer (numbers or numeric strings).
    Int,
    Bool,
    /// Seconds, or a Go duration string.
    Duration,
    /// A JSON array of strings or a comma-separated string.
    StrList,
    /// A JSON object.
    Map,
    /// Any JSON value, kept as is.
    Any,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub description: &'static str,
}

impl FieldSpec {
    pub const fn new(name: &'static str, ty: FieldType, description: &'static str) -> Self {
        Self {
            name,
            ty,
            description,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Str(String),
    Int(i64),
    Bool(bool),
    Duration(Duration),
    List(Vec<String>),
    Json(Value),
}

/// The fields of one request that the path declares and the request set.
#[derive(Debug, Default)]
pub struct Fields {
    values: BTreeMap<&'static str, Parsed>,
    /// Request keys the path does not declare (Vault ignores them with a warning).
    pub ignored: Vec<String>,
}

fn int_field(data: &Data, key: &str) -> Result<Option<i64>, Error> {
    let wrong = || {
        Error::bad_request(format!(
            "error converting input for field {key:?}: expected an integer"
        ))
    };
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(wrong),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| wrong()),
        Some(_) => Err(wrong()),
    }
}

impl Fields {
    pub fn parse(specs: &[FieldSpec], data: &Data) -> Result<Self, Error> {
        let mut values = BTreeMap::new();
        for spec in specs {
            let parsed = match spec.ty {
                FieldType::Str => string_field(data, spec.name)?.map(Parsed::Str),
                FieldType::Int => int_field(data, spec.name)?.map(Parsed::Int),
                FieldType::Bool => bool_field(data, spec.name)?.map(Parsed::Bool),
                FieldType::Duration => duration_field(data, spec.name)?.map(Parsed::Duration),
                FieldType::StrList => string_list_field(data, spec.name)?.map(Parsed::List),
                FieldType::Map => match data.get(spec.name) {
                    None | Some(Value::Null) => None,
                    Some(v @ Value::Object(_)) => Some(Parsed::Json(v.clone())),
                    Some(_) => {
                        return Err(Error::bad_request(format!(
                            "error converting input for field {:?}: expected a map",
                            spec.name
                        )))
                    }
                },
                FieldType::Any => data.get(spec.name).cloned().map(Parsed::Json),
            };
            if let Some(p) = parsed {
                values.insert(spec.name, p);
            }
        }
        let ignored = data
            .keys()
            .filter(|k| !specs.iter().any(|s| s.name == k.as_str()))
            .cloned()
            .collect();
        Ok(Self { values, ignored })
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(Parsed::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(Parsed::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.values.get(name) {
            Some(Parsed::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn duration(&self, name: &str) -> Option<Duration> {
        match self.values.get(name) {
            Some(Parsed::Duration(d)) => Some(*d),
            _ => None,
        }
    }

    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.values.get(name) {
            Some(Parsed::List(l)) => Some(l),
            _ => None,
        }
    }

    /// A `Map` field's object, or an `Any` field's value.
    pub fn json(&self, name: &str) -> Option<&Value> {
        match self.values.get(name) {
            Some(Parsed::Json(v)) => Some(v),
            _ => None,
        }
    }

    pub fn map(&self, name: &str) -> Option<&Data> {
        self.json(name).and_then(Value::as_object)
    }

    /// Vault's warning for parameters the endpoint ignored, if any.
    pub fn ignored_warning(&self) -> Option<String> {
        (!self.ignored.is_empty()).then(|| {
            format!(
                "Endpoint ignored these unrecognized parameters: [{}]",
                self.ignored.join(" ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPECS: &[FieldSpec] = &[
        FieldSpec::new("max_versions", FieldType::Int, ""),
        FieldSpec::new("cas_required", FieldType::Bool, ""),
        FieldSpec::new("delete_version_after", FieldType::Duration, ""),
        FieldSpec::new("versions", FieldType::StrList, ""),
        FieldSpec::new("custom_metadata", FieldType::Map, ""),
        FieldSpec::new("data", FieldType::Any, ""),
    ];

    #[test]
    fn typed_parsing() {
        let data = json!({"max_versions": "5", "cas_required": true, "delete_version_after": "1h",
                          "versions": "1,2", "custom_metadata": {"a": "b"}, "data": [1], "junk": 1});
        let f = Fields::parse(SPECS, data.as_object().unwrap()).unwrap();
        assert_eq!(f.int("max_versions"), Some(5));
        assert_eq!(f.bool("cas_required"), Some(true));
        assert_eq!(
            f.duration("delete_version_after"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(f.list("versions").unwrap(), &["1", "2"]);
        assert_eq!(f.map("custom_metadata").unwrap()["a"], "b");
        assert_eq!(f.json("data"), Some(&json!([1])));
        assert_eq!(f.ignored, vec!["junk"]);
        assert!(f.ignored_warning().unwrap().contains("junk"));
    }

    #[test]
    fn wrong_types_are_400() {
        for bad in [
            json!({"max_versions": "x"}),
            json!({"custom_metadata": "x"}),
            json!({"cas_required": []}),
        ] {
            let err = Fields::parse(SPECS, bad.as_object().unwrap()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::BadRequest);
        }
    }
}
