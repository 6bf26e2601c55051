//! Audit devices in the core: the audit table behind the barrier (`core/audit`: each
//! device with its own HMAC key, so hashes stay stable across restarts), the devices
//! declared in the server's configuration, and the fail-closed hooks the pipeline calls.
//!
//! Creating devices through the API is off unless the configuration allows it
//! (`unsafe_allow_api_audit_creation`): an operator who can write `sys/audit` could
//! otherwise point a file device anywhere on the host.

mod hooks;
mod table;

pub(crate) use hooks::AuditCtx;
pub use table::{AuditDeviceConfig, AuditSettings};

use std::sync::Arc;
use table::StoredDevice;
use tresor_audit::{Broker, Hasher};
use tresor_crypto::random;
use tresor_sdk::{Clock, Data, Error, Value};
use tresor_storage::{Backend, View};

#[derive(Debug)]
pub struct Audit {
    broker: Broker,
    view: View,
    allow_api: bool,
    /// Serialises enable/disable so the table and the broker change together.
    changes: tokio::sync::Mutex<Vec<StoredDevice>>,
}

fn audit_error(e: tresor_audit::AuditError) -> Error {
    Error::bad_request(e.to_string())
}

/// `file` and `file/` are one path.
fn normalize(path: &str) -> String {
    format!("{}/", path.trim_matches('/'))
}

impl Audit {
    /// Loads the table, brings it in line with the configured devices and opens every
    /// device. A stored device that cannot be opened fails the unseal: serving without
    /// the audit trail an operator set up would be silent data loss.
    pub async fn load(
        storage: Arc<dyn Backend>,
        settings: &AuditSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let view = View::new(storage, "core/");
        let mut devices = table::read(&view).await?;
        let changed = table::reconcile(&mut devices, &settings.devices)?;
        if changed {
            table::write(&view, &devices).await?;
        }
        let broker = Broker::new(clock);
        for d in &devices {
            let device = tresor_audit::create(&d.kind, &d.options)
                .await
                .map_err(|e| {
                    Error::internal(format!("audit device {:?} cannot be opened: {e}", d.path))
                })?;
            broker
                .enable(&d.path, &d.description, device, d.hasher()?)
                .map_err(|e| Error::internal(e.to_string()))?;
        }
        Ok(Self {
            broker,
            view,
            allow_api: settings.allow_api_creation,
            changes: tokio::sync::Mutex::new(devices),
        })
    }

    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// `PUT sys/audit/<path>`.
    pub async fn enable(
        &self,
        path: &str,
        kind: &str,
        description: &str,
        options: std::collections::BTreeMap<String, String>,
        local: bool,
    ) -> Result<(), Error> {
        if !self.allow_api {
            return Err(Error::bad_request(
                "cannot enable audit device via API; declare audit devices in the server configuration (or set unsafe_allow_api_audit_creation)",
            ));
        }
        let path = normalize(path);
        if path == "/" {
            return Err(Error::bad_request("audit device path must be specified"));
        }
        let mut devices = self.changes.lock().await;
        if devices.iter().any(|d| d.path == path) {
            return Err(Error::bad_request("path already in use"));
        }
        let device = tresor_audit::create(kind, &options)
            .await
            .map_err(|e| match e {
                tresor_audit::AuditError::UnknownKind(k) => {
                    Error::bad_request(format!("unknown backend type: {k:?}"))
                }
                other => audit_error(other),
            })?;
        let key = random::secret_bytes(32).map_err(|e| Error::internal(e.to_string()))?;
        let stored = StoredDevice {
            path: path.clone(),
            kind: kind.to_owned(),
            description: description.to_owned(),
            options,
            local,
            key: hex::encode(key.expose()),
            from_config: false,
        };
        self.broker
            .enable(&path, description, device, Hasher::from_key(key.expose()))
            .map_err(audit_error)?;
        let mut next = devices.clone();
        next.push(stored);
        if let Err(e) = table::write(&self.view, &next).await {
            let _ = self.broker.disable(&path);
            return Err(e);
        }
        *devices = next;
        tracing::info!(path = %path, kind, "enabled audit device");
        Ok(())
    }

    /// `DELETE sys/audit/<path>`; disabling what is not enabled succeeds.
    pub async fn disable(&self, path: &str) -> Result<(), Error> {
        let path = normalize(path);
        if path == "/" {
            return Err(Error::bad_request("audit device path must be specified"));
        }
        let mut devices = self.changes.lock().await;
        let Some(found) = devices.iter().find(|d| d.path == path) else {
            return Ok(());
        };
        if found.from_config {
            return Err(Error::bad_request(
                "cannot disable configuration-managed audit device",
            ));
        }
        let next: Vec<StoredDevice> = devices.iter().filter(|d| d.path != path).cloned().collect();
        table::write(&self.view, &next).await?;
        let _ = self.broker.disable(&path);
        *devices = next;
        tracing::info!(path = %path, "disabled audit device");
        Ok(())
    }

    /// `GET sys/audit`: every device by path.
    pub async fn list(&self) -> Data {
        let devices = self.changes.lock().await;
        let mut out = Data::new();
        for d in devices.iter() {
            out.insert(d.path.clone(), d.to_json());
        }
        out
    }

    /// `sys/audit-hash/<path>`.
    pub fn hash(&self, path: &str, input: &str) -> Result<String, Error> {
        self.broker
            .hash(path, input)
            .map_err(|_| Error::bad_request(format!("unknown audit backend {:?}", normalize(path))))
    }
}

impl StoredDevice {
    fn to_json(&self) -> Value {
        serde_json::json!({
            "type": self.kind,
            "description": self.description,
            "options": self.options,
            "local": self.local,
            "path": self.path,
        })
    }
}
