use crate::{Data, Value};
use std::collections::BTreeMap;
use tresor_crypto::SecretString;

/// The `auth` block of a response that hands out a token.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub client_token: SecretString,
    pub accessor: String,
    pub policies: Vec<String>,
    pub token_policies: Vec<String>,
    pub metadata: BTreeMap<String, String>,
    pub lease_duration: u64,
    pub renewable: bool,
    pub entity_id: String,
    pub token_type: String,
    pub orphan: bool,
    pub num_uses: u64,
}

/// A body sent as is, outside Vault's envelope, with its own status code: the raw
/// `sys/` endpoints (`init`, `seal-status`, `health`, `unseal`...) answer this way.
#[derive(Debug, Clone)]
pub struct Raw {
    pub status: u16,
    pub body: Option<Value>,
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
            }),
            ..Self::default()
        }
    }

    /// A raw status with no body (e.g. `HEAD sys/health`).
    pub fn status_only(status: u16) -> Self {
        Self {
            raw: Some(Raw { status, body: None }),
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_none() && self.auth.is_none() && self.warnings.is_empty() && self.raw.is_none()
    }

    pub fn with_warning(mut self, warning: impl Into<String>) -> Self {
        self.warnings.push(warning.into());
        self
    }
}
