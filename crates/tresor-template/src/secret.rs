//! The values consul-template's Vault functions return: a `*dependency.Secret` built
//! from a Vault HTTP response, the sorted key list of a LIST, and the `PemEncoded`
//! struct of `pkiCert`.

use crate::json::{from_json, string_list, strings_or_nil, Numbers};
use crate::value::{GoStruct, NilKind, StructKind, Value};

/// Turns a Vault HTTP JSON response (`{"request_id": .., "lease_id": .., "data": ..}`)
/// into the `*dependency.Secret` templates see: `.RequestID`, `.LeaseID`,
/// `.LeaseDuration`, `.Renewable`, `.Data`, `.Warnings`, `.Auth`, `.WrapInfo`. Numbers
/// in the data stay `json.Number`s, as Vault's client decodes them. Empty parts are
/// left nil, as consul-template leaves them.
pub fn secret_value(response: &serde_json::Value) -> Value {
    if response.is_null() {
        return Value::Nil;
    }
    let fields = vec![
        Value::Str(str_field(response, "request_id")),
        Value::Str(str_field(response, "lease_id")),
        Value::Int(int_field(response, "lease_duration")),
        Value::Bool(bool_field(response, "renewable")),
        data_map(response.get("data")),
        strings_or_nil(list_field(response, "warnings")),
        auth(response.get("auth")),
        wrap_info(response.get("wrap_info")),
    ];
    Value::Struct(Box::new(GoStruct {
        kind: StructKind::Secret,
        fields,
    }))
}

fn str_field(v: &serde_json::Value, key: &str) -> String {
    v.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn int_field(v: &serde_json::Value, key: &str) -> i64 {
    v.get(key).and_then(serde_json::Value::as_i64).unwrap_or(0)
}

fn bool_field(v: &serde_json::Value, key: &str) -> bool {
    v.get(key)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

fn list_field(v: &serde_json::Value, key: &str) -> Vec<String> {
    v.get(key).and_then(string_list).unwrap_or_default()
}

/// A `map[string]interface{}` that is nil when absent or empty.
fn data_map(v: Option<&serde_json::Value>) -> Value {
    match v {
        Some(obj @ serde_json::Value::Object(m)) if !m.is_empty() => {
            from_json(obj, Numbers::JsonNumber)
        }
        _ => Value::NilOf(NilKind::Map),
    }
}

fn auth(v: Option<&serde_json::Value>) -> Value {
    let Some(a) = v.filter(|a| a.is_object()) else {
        return Value::NilOf(NilKind::Ptr(StructKind::SecretAuth));
    };
    let metadata = match a.get("metadata") {
        Some(serde_json::Value::Object(m)) if !m.is_empty() => Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::Str(v.as_str().unwrap_or_default().into())))
                .collect(),
        ),
        _ => Value::NilOf(NilKind::Map),
    };
    Value::Struct(Box::new(GoStruct {
        kind: StructKind::SecretAuth,
        fields: vec![
            Value::Str(str_field(a, "client_token")),
            Value::Str(str_field(a, "accessor")),
            strings_or_nil(list_field(a, "policies")),
            metadata,
            Value::Int(int_field(a, "lease_duration")),
            Value::Bool(bool_field(a, "renewable")),
        ],
    }))
}

fn wrap_info(v: Option<&serde_json::Value>) -> Value {
    let Some(w) = v.filter(|w| w.is_object()) else {
        return Value::NilOf(NilKind::Ptr(StructKind::SecretWrapInfo));
    };
    Value::Struct(Box::new(GoStruct {
        kind: StructKind::SecretWrapInfo,
        fields: vec![
            Value::Str(str_field(w, "token")),
            Value::Int(int_field(w, "ttl")),
            Value::Str(str_field(w, "creation_time")),
            Value::Str(str_field(w, "wrapped_accessor")),
        ],
    }))
}

/// The keys of a LIST response (`data.keys`) or a plain array of keys, sorted.
pub(crate) fn list_keys(v: &serde_json::Value) -> Result<Vec<String>, String> {
    let keys = match v {
        serde_json::Value::Array(_) => Some(v),
        serde_json::Value::Null => None,
        _ => v.get("data").and_then(|d| d.get("keys")),
    };
    let Some(keys) = keys else {
        return Ok(Vec::new());
    };
    let mut keys =
        string_list(keys).ok_or("unexpected response: keys are not a list of strings")?;
    keys.sort();
    Ok(keys)
}

/// A PEM block as Go's `pem.EncodeToMemory` writes it: ending in a newline.
fn pem_text(s: String) -> String {
    if s.is_empty() || s.ends_with('\n') {
        s
    } else {
        s + "\n"
    }
}

/// The `PemEncoded` value of `pkiCert` from `{"cert", "key", "ca", "ca_chain"}` (the
/// `certificate`, `private_key`, `issuing_ca` and `ca_chain` of a PKI issue).
pub(crate) fn pem_value(v: &serde_json::Value) -> Value {
    let chain = v.get("ca_chain").and_then(string_list).unwrap_or_default();
    Value::Struct(Box::new(GoStruct {
        kind: StructKind::PemEncoded,
        fields: vec![
            Value::Str(pem_text(str_field(v, "cert"))),
            Value::Str(pem_text(str_field(v, "key"))),
            Value::Str(pem_text(str_field(v, "ca"))),
            strings_or_nil(chain.into_iter().map(pem_text).collect()),
        ],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::print::action_text;

    #[test]
    fn kv2_response_becomes_a_secret() {
        let resp = serde_json::json!({
            "request_id": "r1", "lease_id": "", "lease_duration": 0, "renewable": false,
            "data": {"data": {"password": "p", "n": 5}, "metadata": {"version": 2}},
            "warnings": null, "auth": null, "wrap_info": null
        });
        let v = secret_value(&resp);
        assert_eq!(
            action_text(&v),
            "{r1  0 false map[data:map[n:5 password:p] metadata:map[version:2]] [] <nil> <nil>}"
        );
        let Value::Struct(s) = &v else {
            panic!("not a struct");
        };
        let data = s.field("Data").and_then(Value::as_map);
        let version = data
            .and_then(|d| d.get("metadata"))
            .and_then(Value::as_map)
            .and_then(|m| m.get("version"));
        assert_eq!(version, Some(&Value::Number("2".into())));
    }

    #[test]
    fn empty_data_is_a_nil_map() {
        let v = secret_value(&serde_json::json!({"data": {}}));
        let Value::Struct(s) = &v else {
            panic!("not a struct");
        };
        assert_eq!(s.field("Data"), Some(&Value::NilOf(NilKind::Map)));
        assert_eq!(
            s.field("Auth"),
            Some(&Value::NilOf(NilKind::Ptr(StructKind::SecretAuth)))
        );
    }

    #[test]
    fn pem_values_end_in_a_newline() {
        let v = pem_value(&serde_json::json!({
            "cert": "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----",
            "ca_chain": ["C\n"]
        }));
        let Value::Struct(s) = &v else {
            panic!("not a struct");
        };
        assert_eq!(
            s.field("Cert"),
            Some(&Value::str(
                "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n"
            ))
        );
        assert_eq!(s.field("Key"), Some(&Value::str("")));
        assert_eq!(
            s.field("CAChain"),
            Some(&Value::Strings(vec!["C\n".into()]))
        );
    }

    #[test]
    fn list_keys_are_sorted() {
        let resp = serde_json::json!({"data": {"keys": ["b", "a/"]}});
        assert_eq!(
            list_keys(&resp),
            Ok(vec!["a/".to_string(), "b".to_string()])
        );
        assert_eq!(
            list_keys(&serde_json::json!(["z", "y"])),
            Ok(vec!["y".to_string(), "z".to_string()])
        );
        assert!(list_keys(&serde_json::json!({"data": {"keys": [1]}})).is_err());
    }
}
