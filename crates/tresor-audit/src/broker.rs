//! The set of enabled audit devices and the fail-closed logging calls the core makes.

use crate::device::{Device, Options};
use crate::format::{FormatOptions, Formatter};
use crate::hash::Hasher;
use crate::input::{AuditAuth, AuditRequest, AuditResponse};
use crate::AuditError;
use arc_swap::ArcSwap;
use std::collections::BTreeMap;
use std::sync::Arc;
use tresor_sdk::{Clock, SystemClock};

/// One enabled device: where it is mounted, how it formats, where it writes.
#[derive(Debug)]
pub struct Backend {
    pub path: String,
    pub description: String,
    formatter: Formatter,
    device: Arc<dyn Device>,
}

impl Backend {
    pub fn kind(&self) -> &'static str {
        self.device.kind()
    }

    pub fn options(&self) -> Options {
        self.device.options()
    }
}

type Snapshot = BTreeMap<String, Arc<Backend>>;

/// The enabled devices, held as an immutable snapshot swapped on enable/disable.
#[derive(Debug)]
pub struct Broker {
    backends: ArcSwap<Snapshot>,
    clock: Arc<dyn Clock>,
}

impl Default for Broker {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

/// `file` and `file/` are the same mount.
fn normalize(path: &str) -> String {
    format!("{}/", path.trim_matches('/'))
}

impl Broker {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            backends: ArcSwap::from_pointee(Snapshot::new()),
            clock,
        }
    }

    /// Enable `device` at `path` with its HMAC key (`Hasher::generate()` for a new device,
    /// the stored key when restoring). `log_raw`/`hmac_accessor` come from the device options.
    pub fn enable(
        &self,
        path: &str,
        description: &str,
        device: Arc<dyn Device>,
        hasher: Hasher,
    ) -> Result<(), AuditError> {
        let path = normalize(path);
        if path == "/" {
            return Err(AuditError::InvalidOption {
                key: "path".into(),
                reason: "an audit device needs a path",
            });
        }
        let format = FormatOptions::from_options(&device.options())?;
        let backend = Arc::new(Backend {
            path: path.clone(),
            description: description.to_owned(),
            formatter: Formatter::new(hasher, format),
            device,
        });
        let mut in_use = false;
        self.backends.rcu(|current| {
            in_use = current.contains_key(&path);
            let mut next = Snapshot::clone(current);
            if !in_use {
                next.insert(path.clone(), backend.clone());
            }
            next
        });
        if in_use {
            return Err(AuditError::PathInUse(path));
        }
        Ok(())
    }

    /// Disable the device at `path`.
    pub fn disable(&self, path: &str) -> Result<(), AuditError> {
        let path = normalize(path);
        let mut found = false;
        self.backends.rcu(|current| {
            let mut next = Snapshot::clone(current);
            found = next.remove(&path).is_some();
            next
        });
        if found {
            Ok(())
        } else {
            Err(AuditError::NotFound(path))
        }
    }

    /// The enabled devices, by path.
    pub fn list(&self) -> Vec<Arc<Backend>> {
        self.backends.load().values().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.backends.load().is_empty()
    }

    /// `sys/audit-hash/<path>`: `input` hashed with that device's key.
    pub fn hash(&self, path: &str, input: &str) -> Result<String, AuditError> {
        let path = normalize(path);
        let snapshot = self.backends.load();
        let backend = snapshot.get(&path).ok_or(AuditError::NotFound(path))?;
        Ok(crate::hash::audit_hash(backend.formatter.hasher(), input))
    }

    /// Reopen every device (SIGHUP). Returns the first error after trying them all.
    pub async fn reopen(&self) -> Result<(), AuditError> {
        let snapshot = self.backends.load_full();
        let mut first = Ok(());
        for backend in snapshot.values() {
            if let Err(e) = backend.device.reopen().await {
                tracing::warn!(path = %backend.path, error = %e, "audit device reopen failed");
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// Record a request before it is handled. `Err` means the request must be refused.
    pub async fn log_request(
        &self,
        auth: Option<&AuditAuth>,
        req: &AuditRequest,
        error: Option<&str>,
    ) -> Result<(), AuditError> {
        let time = tresor_sdk::rfc3339(self.clock.now());
        self.log_each(|f| f.request_entry(&time, auth, req, error))
            .await
    }

    /// Record a response (or the error that replaced it). `Err` means the response must
    /// not be sent.
    pub async fn log_response(
        &self,
        auth: Option<&AuditAuth>,
        req: &AuditRequest,
        resp: Option<&AuditResponse>,
        error: Option<&str>,
    ) -> Result<(), AuditError> {
        let time = tresor_sdk::rfc3339(self.clock.now());
        self.log_each(|f| f.response_entry(&time, auth, req, resp, error))
            .await
    }

    /// Format once per device (each has its own key) and write; succeed when at least one
    /// device recorded the entry, or when none is enabled.
    async fn log_each(
        &self,
        format: impl Fn(&Formatter) -> Result<Vec<u8>, AuditError>,
    ) -> Result<(), AuditError> {
        let snapshot = self.backends.load_full();
        if snapshot.is_empty() {
            return Ok(());
        }
        let mut recorded = 0usize;
        for backend in snapshot.values() {
            let result = match format(&backend.formatter) {
                Ok(line) => backend.device.log(&line).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => recorded += 1,
                Err(e) => {
                    tracing::error!(path = %backend.path, kind = backend.kind(), error = %e,
                        "audit device failed to record an entry");
                }
            }
        }
        if recorded == 0 {
            return Err(AuditError::NoDeviceRecorded);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "broker_tests.rs"]
mod tests;
