//! Request fields the identity API shares: policy lists, key/value metadata, ID lists.

use std::collections::BTreeMap;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Value};

/// Bounds on metadata, so that one entry cannot grow without limit.
const MAX_PAIRS: usize = 64;
const MAX_KEY_LEN: usize = 128;
const MAX_VALUE_LEN: usize = 512;

/// A string field, `None` when absent or empty.
pub fn text<'f>(fields: &'f Fields, name: &str) -> Option<&'f str> {
    fields.str(name).filter(|s| !s.is_empty())
}

/// A policy list: trimmed, lower-cased, sorted, without duplicates or empty names;
/// `root` is refused.
pub fn policies(fields: &Fields, name: &str) -> Result<Option<Vec<String>>, Error> {
    let Some(list) = fields.list(name) else {
        return Ok(None);
    };
    let mut out: Vec<String> = list
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect();
    if out.iter().any(|p| p == "root") {
        return Err(Error::bad_request("policies cannot contain root"));
    }
    out.sort();
    out.dedup();
    Ok(Some(out))
}

/// A list of IDs: trimmed, without empty entries or duplicates, in the given order.
pub fn ids(fields: &Fields, name: &str) -> Option<Vec<String>> {
    let list = fields.list(name)?;
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for id in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    Some(out)
}

/// Key/value pairs, taken as Vault takes them: a JSON object (numbers and booleans
/// become strings), a `key=value` string, or a list of `key=value` strings.
pub fn metadata(fields: &Fields, name: &str) -> Result<Option<BTreeMap<String, String>>, Error> {
    let Some(value) = fields.json(name) else {
        return Ok(None);
    };
    let wrong = |what: &str| {
        Error::bad_request(format!("error converting input for field {name:?}: {what}"))
    };
    let mut out = BTreeMap::new();
    match value {
        Value::Null => return Ok(None),
        Value::Object(map) => {
            for (k, v) in map {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
                    Value::Null => String::new(),
                    _ => return Err(wrong("expected a map of strings")),
                };
                out.insert(k.clone(), v);
            }
        }
        Value::String(s) if s.is_empty() => {}
        Value::String(s) => {
            let (k, v) = pair(s).ok_or_else(|| wrong("invalid key pair at index 0"))?;
            out.insert(k, v);
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let (k, v) = item
                    .as_str()
                    .and_then(pair)
                    .ok_or_else(|| wrong(&format!("invalid key pair at index {i}")))?;
                out.insert(k, v);
            }
        }
        _ => return Err(wrong("expected a map of strings")),
    }
    check_metadata(name, &out)?;
    Ok(Some(out))
}

fn pair(s: &str) -> Option<(String, String)> {
    let (k, v) = s.split_once('=')?;
    Some((k.trim().to_owned(), v.trim().to_owned()))
}

fn check_metadata(field: &str, pairs: &BTreeMap<String, String>) -> Result<(), Error> {
    if pairs.len() > MAX_PAIRS {
        return Err(Error::bad_request(format!(
            "{field} cannot hold more than {MAX_PAIRS} pairs"
        )));
    }
    for (k, v) in pairs {
        if k.is_empty() {
            return Err(Error::bad_request(format!("{field} keys cannot be blank")));
        }
        if k.len() > MAX_KEY_LEN {
            return Err(Error::bad_request(format!(
                "{field} keys cannot be longer than {MAX_KEY_LEN} bytes"
            )));
        }
        if v.len() > MAX_VALUE_LEN {
            return Err(Error::bad_request(format!(
                "the {field} value of {k:?} is longer than {MAX_VALUE_LEN} bytes"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tresor_sdk::framework::{FieldSpec, FieldType};
    use tresor_sdk::ErrorKind;

    const SPECS: &[FieldSpec] = &[
        FieldSpec::new("metadata", FieldType::Any, ""),
        FieldSpec::new("policies", FieldType::StrList, ""),
        FieldSpec::new("ids", FieldType::StrList, ""),
    ];

    fn parse(v: Value) -> Fields {
        Fields::parse(SPECS, v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn metadata_forms() {
        let m = |v| metadata(&parse(json!({ "metadata": v })), "metadata");
        let want = BTreeMap::from([("a".to_owned(), "b,c=d".to_owned())]);
        assert_eq!(m(json!("a=b,c=d")).unwrap().unwrap(), want);
        let want = BTreeMap::from([("a".into(), "1".into()), ("b".into(), "1".into())]);
        assert_eq!(m(json!({"a": 1, "b": true})).unwrap().unwrap(), want);
        assert_eq!(m(json!(["a=1", "b=1"])).unwrap().unwrap(), want);
        assert_eq!(m(json!("")).unwrap().unwrap(), BTreeMap::new());
        assert_eq!(m(Value::Null).unwrap(), None);
        for bad in [
            json!("novalue"),
            json!({"a": {"b": 1}}),
            json!({"": "x"}),
            json!([1]),
            json!(5),
        ] {
            let e = m(bad.clone()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest, "{bad}");
        }
        let many: serde_json::Map<String, Value> =
            (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(m(Value::Object(many)).is_err());
    }

    #[test]
    fn policies_and_ids() {
        let f = parse(json!({"policies": "B, a ,b,,A", "ids": ["x", " y ", "x", ""]}));
        assert_eq!(policies(&f, "policies").unwrap().unwrap(), ["a", "b"]);
        assert_eq!(ids(&f, "ids").unwrap(), ["x", "y"]);
        let f = parse(json!({"policies": ["a", "Root"]}));
        let e = policies(&f, "policies").unwrap_err();
        assert_eq!(e.to_string(), "policies cannot contain root");
    }
}
