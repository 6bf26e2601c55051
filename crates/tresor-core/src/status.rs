//! `sys/seal-status`, `sys/health` and `sys/leader` bodies.

use crate::core::{Core, Lifecycle};
use crate::version;
use serde::Serialize;
use tresor_sdk::{Data, Error, Value};

/// The body of `sys/seal-status` (and of every `sys/unseal` answer).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SealStatus {
    #[serde(rename = "type")]
    pub kind: String,
    pub initialized: bool,
    pub sealed: bool,
    pub t: u32,
    pub n: u32,
    pub progress: u32,
    pub nonce: String,
    pub recovery_seal: bool,
    pub version: String,
    pub build_date: String,
    pub migration: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    pub storage_type: String,
}

/// The query of `sys/health`: status code overrides per state.
#[derive(Debug, Clone, Default)]
pub struct HealthQuery {
    pub standby_ok: bool,
    pub active_code: Option<u16>,
    pub standby_code: Option<u16>,
    pub sealed_code: Option<u16>,
    pub uninit_code: Option<u16>,
}

impl HealthQuery {
    /// Parses the query parameters; a value that is not a status code (100-999) or a
    /// boolean is a 400, as in Vault.
    pub fn parse(data: &Data) -> Result<Self, Error> {
        let code = |key: &str| -> Result<Option<u16>, Error> {
            match tresor_sdk::fields::u64_field(data, key) {
                Ok(None) => Ok(None),
                Ok(Some(c)) if (100..=999).contains(&c) => Ok(Some(c as u16)),
                _ => Err(Error::bad_request(format!(
                    "invalid value for {key:?}: expected a status code"
                ))),
            }
        };
        let standby_ok = match data.get("standbyok") {
            Some(Value::String(s)) if s.is_empty() => true,
            _ => tresor_sdk::fields::bool_field(data, "standbyok")
                .map_err(|_| {
                    Error::bad_request("invalid value for \"standbyok\": expected a boolean")
                })?
                .unwrap_or(false),
        };
        Ok(Self {
            standby_ok,
            active_code: code("activecode")?,
            standby_code: code("standbycode")?,
            sealed_code: code("sealedcode")?,
            uninit_code: code("uninitcode")?,
        })
    }
}

impl Core {
    pub async fn seal_status(&self) -> Result<SealStatus, Error> {
        let lifecycle = self.lifecycle.lock().await;
        self.seal_status_locked(&lifecycle).await
    }

    pub(crate) async fn seal_status_locked(
        &self,
        lifecycle: &Lifecycle,
    ) -> Result<SealStatus, Error> {
        let config = self.seal_config().await?;
        let state = self.unsealed.load_full();
        let (progress, nonce) = match (&lifecycle.unseal, &state) {
            (Some(p), None) => (p.shares.len() as u32, p.nonce.clone()),
            _ => (0, String::new()),
        };
        Ok(SealStatus {
            kind: "shamir".to_owned(),
            initialized: config.is_some(),
            sealed: state.is_none(),
            t: config.as_ref().map_or(0, |c| c.secret_threshold),
            n: config.as_ref().map_or(0, |c| c.secret_shares),
            progress,
            nonce,
            recovery_seal: false,
            version: version::version(),
            build_date: String::new(),
            migration: false,
            cluster_name: state.as_ref().map(|s| s.cluster.name.clone()),
            cluster_id: state.as_ref().map(|s| s.cluster.id.clone()),
            storage_type: self.config.storage_type.clone(),
        })
    }

    /// The status code and body of `sys/health`.
    pub async fn health(&self, query: &HealthQuery) -> Result<(u16, Value), Error> {
        let initialized = self.is_initialized().await?;
        let state = self.unsealed.load_full();
        let sealed = state.is_none();
        let code = if !initialized {
            query.uninit_code.unwrap_or(501)
        } else if sealed {
            query.sealed_code.unwrap_or(503)
        } else {
            query.active_code.unwrap_or(200)
        };
        let replication = if sealed { "unknown" } else { "disabled" };
        let mut body = Data::new();
        body.insert("initialized".into(), initialized.into());
        body.insert("sealed".into(), sealed.into());
        body.insert("standby".into(), sealed.into());
        body.insert("replication_performance_mode".into(), replication.into());
        body.insert("replication_dr_mode".into(), replication.into());
        body.insert("server_time_utc".into(), self.now().into());
        body.insert("version".into(), version::version().into());
        if let Some(s) = &state {
            body.insert("cluster_name".into(), s.cluster.name.clone().into());
            body.insert("cluster_id".into(), s.cluster.id.clone().into());
        }
        Ok((code, Value::Object(body)))
    }
}
