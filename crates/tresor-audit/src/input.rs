//! What the core hands to the audit broker: plain structs, filled from the sdk types.

use serde_json::Value;
use std::collections::BTreeMap;
use tresor_crypto::SecretString;
use tresor_sdk::{Data, Request, Response};

/// The token behind a request (or the one a login created).
#[derive(Debug, Clone, Default)]
pub struct AuditAuth {
    pub client_token: Option<SecretString>,
    pub accessor: String,
    pub display_name: String,
    pub policies: Vec<String>,
    pub token_policies: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    pub entity_id: String,
    pub token_type: String,
    /// Seconds; 0 is left out of the entry.
    pub token_ttl: u64,
    /// RFC 3339; empty is left out.
    pub token_issue_time: String,
    pub num_uses: u64,
    pub renewable: bool,
    pub orphan: bool,
}

/// A request as it arrived, before it is handled.
#[derive(Debug, Clone, Default)]
pub struct AuditRequest {
    pub id: String,
    pub operation: String,
    pub mount_type: Option<String>,
    pub mount_point: String,
    pub mount_accessor: String,
    pub client_token: Option<SecretString>,
    pub client_token_accessor: String,
    pub path: String,
    pub data: Option<Data>,
    pub remote_address: Option<String>,
    pub remote_port: Option<u16>,
    /// Seconds asked with `X-Vault-Wrap-TTL`.
    pub wrap_ttl: Option<u64>,
}

/// The response-wrapping token that replaced a response.
#[derive(Debug, Clone, Default)]
pub struct AuditWrapInfo {
    pub token: SecretString,
    pub accessor: String,
    pub ttl: u64,
    pub creation_time: String,
    pub creation_path: String,
    pub wrapped_accessor: String,
}

/// A response, after handling (and wrapping).
#[derive(Debug, Clone, Default)]
pub struct AuditResponse {
    pub mount_type: Option<String>,
    pub auth: Option<AuditAuth>,
    pub data: Option<Value>,
    pub wrap_info: Option<AuditWrapInfo>,
    pub warnings: Vec<String>,
}

impl From<&Request> for AuditRequest {
    fn from(req: &Request) -> Self {
        Self {
            id: req.id.clone(),
            operation: req.operation.as_str().to_owned(),
            client_token: req.token.clone(),
            path: req.path.clone(),
            data: (!req.data.is_empty()).then(|| req.data.clone()),
            remote_address: req.client_addr.clone(),
            wrap_ttl: req.wrap_ttl.map(|d| d.as_secs()),
            ..Self::default()
        }
    }
}

impl From<&tresor_sdk::Auth> for AuditAuth {
    fn from(a: &tresor_sdk::Auth) -> Self {
        Self {
            client_token: Some(a.client_token.clone()),
            accessor: a.accessor.clone(),
            policies: a.policies.clone(),
            token_policies: a.token_policies.clone(),
            metadata: a.metadata.clone(),
            entity_id: a.entity_id.clone(),
            token_type: a.token_type.clone(),
            token_ttl: a.lease_duration,
            num_uses: a.num_uses,
            renewable: a.renewable,
            orphan: a.orphan,
            ..Self::default()
        }
    }
}

impl AuditResponse {
    fn from_envelope(body: &Value) -> Self {
        let data = body.get("data").filter(|d| !d.is_null()).cloned();
        let auth = body.get("auth").filter(|a| a.is_object()).map(|a| {
            let text = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            let number = |k: &str| a.get(k).and_then(Value::as_u64).unwrap_or(0);
            let flag = |k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
            AuditAuth {
                client_token: a
                    .get("client_token")
                    .and_then(Value::as_str)
                    .map(|t| SecretString::from(t.to_owned())),
                accessor: text("accessor"),
                policies: strings(a.get("policies")),
                token_policies: strings(a.get("token_policies")),
                metadata: a
                    .get("metadata")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                            .collect()
                    })
                    .unwrap_or_default(),
                entity_id: text("entity_id"),
                token_type: text("token_type"),
                token_ttl: number("lease_duration"),
                num_uses: number("num_uses"),
                renewable: flag("renewable"),
                orphan: flag("orphan"),
                ..AuditAuth::default()
            }
        });
        Self {
            mount_type: None,
            auth,
            data,
            wrap_info: None,
            warnings: strings(body.get("warnings")),
        }
    }
}

/// The strings of a JSON array (anything else: none).
fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl From<&tresor_sdk::WrapInfo> for AuditWrapInfo {
    fn from(w: &tresor_sdk::WrapInfo) -> Self {
        Self {
            token: w.token.clone(),
            accessor: w.accessor.clone(),
            ttl: w.ttl,
            creation_time: w.creation_time.clone(),
            creation_path: w.creation_path.clone(),
            wrapped_accessor: w.wrapped_accessor.clone(),
        }
    }
}

impl From<&Response> for AuditResponse {
    /// A raw response's body is audited as its data (hashed like any data); an envelope
    /// answered again (an unwrapped response) as the data, auth and warnings inside it.
    fn from(resp: &Response) -> Self {
        let data = match (&resp.data, &resp.raw) {
            (Some(d), _) => Some(Value::Object(d.clone())),
            (None, Some(raw)) if raw.envelope => {
                return Self::from_envelope(raw.body.as_ref().unwrap_or(&Value::Null));
            }
            (None, Some(raw)) => raw.body.clone(),
            (None, None) => None,
        };
        Self {
            mount_type: None,
            auth: resp.auth.as_ref().map(AuditAuth::from),
            data,
            wrap_info: resp.wrap_info.as_ref().map(AuditWrapInfo::from),
            warnings: resp.warnings.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unwrapped_envelope_is_audited_as_what_it_holds() {
        let body = json!({
            "request_id": "r", "lease_id": "", "renewable": false, "lease_duration": 0,
            "data": {"password": "canary"},
            "auth": {"client_token": "s.child", "accessor": "acc", "policies": ["default"],
                     "token_policies": ["default"], "metadata": {"user": "u", "n": 1},
                     "lease_duration": 60, "renewable": true, "token_type": "service"},
            "warnings": ["w"], "wrap_info": null,
        });
        let audited = AuditResponse::from(&Response::unwrapped(body.clone()));
        assert_eq!(audited.data, Some(json!({"password": "canary"})));
        let auth = audited.auth.unwrap();
        assert_eq!(auth.client_token.unwrap().expose(), "s.child");
        assert_eq!((auth.accessor.as_str(), auth.token_ttl), ("acc", 60));
        assert_eq!(auth.policies, ["default"]);
        assert_eq!(auth.metadata.len(), 1);
        assert_eq!(audited.warnings, ["w"]);

        // the same body answered as a plain raw body stays whole
        let whole = AuditResponse::from(&Response::raw(200, body.clone()));
        assert_eq!((whole.data, whole.auth.is_none()), (Some(body), true));
    }
}
