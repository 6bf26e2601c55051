use crate::{Data, Value};
use serde_json::json;
use std::collections::BTreeMap;
use tresor_crypto::SecretString;

/// The `auth` block of a response that hands out a token.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub client_token: SecretString,
    pub accessor: String,
    pub policies: Vec<String>,
    pub token_policies: Vec<String>,
    /// Policies the token's identity entity adds (directly and through groups).
    pub identity_policies: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    pub lease_duration: u64,
    pub renewable: bool,
    pub entity_id: String,
    pub token_type: String,
    pub orphan: bool,
    pub num_uses: u64,
}

/// The `wrap_info` of a wrapped answer: the single-use token that unwraps it.
#[derive(Debug, Clone)]
pub struct WrapInfo {
    pub token: SecretString,
    pub accessor: String,
    pub ttl: u64,
    pub creation_time: String,
    pub creation_path: String,
    /// The accessor of the token the wrapped answer hands out, if any.
    pub wrapped_accessor: String,
}

/// A body sent as is, outside Vault's envelope, with its own status code: the raw
/// `sys/` endpoints (`init`, `seal-status`, `health`, `unseal`...) answer this way.
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    pub body: Option<Value>,
    /// The body is a whole API envelope (`{data, auth, ...}`) answered again: an unwrapped
    /// response. Audit devices record what is inside it, as for any other answer.
    pub envelope: bool,
}

/// What a handler returns. An empty response is sent as `204 No Content`.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub data: Option<Data>,
    pub auth: Option<Auth>,
    pub warnings: Vec<String>,
    pub lease_id: String,
    pub lease_duration: u64,
    pub renewable: bool,
    pub raw: Option<Raw>,
    /// Also emit the data's keys at the top level of the envelope, as Vault does for
    /// some of its older `sys/` endpoints (`sys/key-status`, `sys/policy`, `sys/mounts`).
    pub data_at_top_level: bool,
    /// A status other than 200 for an enveloped answer: KV v2 answers a deleted version
    /// with 404 and its metadata in the body.
    pub status: Option<u16>,
    pub wrap_info: Option<WrapInfo>,
    /// Set by an auth method's login: the core makes this token and answers with it.
    pub login: Option<crate::Login>,
    /// Set by an engine whose answer must be revoked later (dynamic credentials): the
    /// core registers a lease and fills `lease_id`, `lease_duration` and `renewable`.
    pub secret: Option<crate::SecretLease>,
}

impl Response {
    pub fn empty() -> Self {
        Self::default()
    }

    pub fn data(data: Data) -> Self {
        Self {
            data: Some(data),
            ..Self::default()
        }
    }

    pub fn raw(status: u16, body: Value) -> Self {
        Self {
            raw: Some(Raw {
                status,
                body: Some(body),
                envelope: false,
            }),
            ..Self::default()
        }
    }

    /// An API envelope stored earlier, answered as it was (`sys/wrapping/unwrap`).
    pub fn unwrapped(body: Value) -> Self {
        Self {
            raw: Some(Raw {
                status: 200,
                body: Some(body),
                envelope: true,
            }),
            ..Self::default()
        }
    }

    /// A raw status with no body (e.g. `HEAD sys/health`).
    pub fn status_only(status: u16) -> Self {
        Self {
            raw: Some(Raw {
                status,
                body: None,
                envelope: false,
            }),
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_none()
            && self.auth.is_none()
            && self.warnings.is_empty()
            && self.raw.is_none()
            && self.wrap_info.is_none()
            && self.login.is_none()
            && self.secret.is_none()
            && self.lease_id.is_empty()
    }

    pub fn with_warning(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }
}

impl Auth {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "client_token": self.client_token.expose(),
            "accessor": self.accessor,
            "policies": self.policies,
            "token_policies": self.token_policies,
            "metadata": if self.metadata.is_empty() { Value::Null } else { json!(self.metadata) },
            "lease_duration": self.lease_duration,
            "renewable": self.renewable,
            "entity_id": self.entity_id,
            "token_type": self.token_type,
            "orphan": self.orphan,
            "mfa_requirement": null,
            "num_uses": self.num_uses,
        });
        if let (Some(obj), false) = (v.as_object_mut(), self.identity_policies.is_empty()) {
            obj.insert("identity_policies".into(), json!(self.identity_policies));
        }
        v
    }
}

impl WrapInfo {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "token": self.token.expose(),
            "accessor": self.accessor,
            "ttl": self.ttl,
            "creation_time": self.creation_time,
            "creation_path": self.creation_path,
        });
        if let (false, Value::Object(m)) = (self.wrapped_accessor.is_empty(), &mut v) {
            m.insert(
                "wrapped_accessor".into(),
                self.wrapped_accessor.clone().into(),
            );
        }
        v
    }
}

impl Response {
    /// Vault's envelope for this answer (secrets in it are exposed: it is what the client
    /// receives, or what a wrapping token keeps).
    pub fn envelope(&self, request_id: &str) -> Value {
        let mut body = json!({
            "request_id": request_id,
            "lease_id": self.lease_id,
            "renewable": self.renewable,
            "lease_duration": self.lease_duration,
            "data": self.data,
            "wrap_info": self.wrap_info.as_ref().map(WrapInfo::to_json),
            "warnings": if self.warnings.is_empty() { Value::Null } else { json!(self.warnings) },
            "auth": self.auth.as_ref().map(Auth::to_json),
        });
        if let (true, Some(data), Value::Object(top)) =
            (self.data_at_top_level, &self.data, &mut body)
        {
            for (k, v) in data {
                top.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        body
    }
}
