//! The response envelope as the Vault CLI holds it (`api.Secret`): read leniently from
//! the server's JSON, written back in the Vault CLI's field order for `-format=json`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use tresor_crypto::SecretString;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Secret {
    #[serde(deserialize_with = "null_as_default")]
    pub request_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub lease_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub lease_duration: i64,
    #[serde(deserialize_with = "null_as_default")]
    pub renewable: bool,
    pub data: Option<Map<String, Value>>,
    pub warnings: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Auth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_info: Option<Value>,
}

/// The `auth` block of a login or token creation.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Auth {
    #[serde(serialize_with = "expose", deserialize_with = "secret_string")]
    pub client_token: SecretString,
    #[serde(deserialize_with = "null_as_default")]
    pub accessor: String,
    pub policies: Option<Vec<String>>,
    pub token_policies: Option<Vec<String>>,
    pub identity_policies: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "null_as_default")]
    pub orphan: bool,
    #[serde(deserialize_with = "null_as_default")]
    pub entity_id: String,
    #[serde(deserialize_with = "null_as_default")]
    pub lease_duration: i64,
    #[serde(deserialize_with = "null_as_default")]
    pub renewable: bool,
    pub mfa_requirement: Value,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn secret_string<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    Ok(SecretString::from(
        Option::<String>::deserialize(d)?.unwrap_or_default(),
    ))
}

// The token is printed on purpose: it is what `token create` and `login` are for.
fn expose<S: Serializer>(token: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(token.expose())
}

impl Secret {
    /// Reads an answer; an error when it is not shaped like a Vault response.
    pub fn from_value(v: Value) -> Result<Secret, String> {
        serde_json::from_value(v).map_err(|e| format!("unexpected answer from the server: {e}"))
    }

    pub fn data(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.data
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// One field for `-field`, looked up as the Vault CLI does (`RawSecretField`): token
    /// fields of an `auth` block first, then the envelope, then `data`.
    pub fn field(&self, name: &str) -> Option<Value> {
        if let Some(auth) = &self.auth {
            let list = |l: &Option<Vec<String>>| serde_json::to_value(l).ok();
            let v = match name {
                "token" => Some(Value::String(auth.client_token.expose().to_owned())),
                "token_accessor" => Some(Value::String(auth.accessor.clone())),
                "token_duration" => Some(Value::from(auth.lease_duration)),
                "token_renewable" => Some(Value::Bool(auth.renewable)),
                "token_policies" => list(&auth.token_policies),
                "identity_policies" => list(&auth.identity_policies),
                "policies" => list(&auth.policies),
                _ => self.data().get(name).cloned(),
            };
            return v.filter(|v| !v.is_null());
        }
        let v = match name {
            "lease_duration" | "refresh_interval" => Some(Value::from(self.lease_duration)),
            "lease_id" => Some(Value::String(self.lease_id.clone())),
            "request_id" => Some(Value::String(self.request_id.clone())),
            "renewable" => Some(Value::Bool(self.renewable)),
            "data" => Some(
                self.data()
                    .get("data")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(self.data().clone())),
            ),
            _ => self.data().get(name).cloned(),
        };
        v.filter(|v| !v.is_null())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_leniently_and_writes_in_vault_order() {
        let s = Secret::from_value(json!({
            "data": {"a": "1"}, "renewable": null, "request_id": "r", "mount_type": "kv",
            "auth": {"client_token": "t", "policies": ["p"], "metadata": {"k": "v"}},
        }))
        .unwrap();
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(
            text,
            r#"{"request_id":"r","lease_id":"","lease_duration":0,"renewable":false,"data":{"a":"1"},"warnings":null,"auth":{"client_token":"t","accessor":"","policies":["p"],"token_policies":null,"identity_policies":null,"metadata":{"k":"v"},"orphan":false,"entity_id":"","lease_duration":0,"renewable":false,"mfa_requirement":null}}"#
        );
        assert!(!format!("{s:?}").contains("\"t\""));
        assert_eq!(s.field("token"), Some(json!("t")));
        assert_eq!(s.field("a"), Some(json!("1")));
        assert_eq!(s.field("token_policies"), None);
    }

    #[test]
    fn fields_without_auth() {
        let s =
            Secret::from_value(json!({"lease_duration": 60, "data": {"data": {"x": 1}}})).unwrap();
        assert_eq!(s.field("refresh_interval"), Some(json!(60)));
        assert_eq!(s.field("data"), Some(json!({"x": 1})));
        assert_eq!(s.field("nope"), None);
        assert!(Secret::from_value(json!({"lease_duration": "x"})).is_err());
    }
}
