//! The audit table as stored (`core/audit` behind the barrier) and the devices declared in
//! the configuration, which are added, updated and removed to match it at every unseal.

use std::collections::BTreeMap;
use tresor_audit::Hasher;
use tresor_crypto::random;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::Error;
use tresor_storage::View;

/// One device declared in the server configuration (`audit "<type>" "<path>" { ... }`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditDeviceConfig {
    pub kind: String,
    pub path: String,
    pub description: String,
    pub options: BTreeMap<String, String>,
    pub local: bool,
}

/// The configuration's audit settings.
#[derive(Debug, Clone, Default)]
pub struct AuditSettings {
    /// `unsafe_allow_api_audit_creation`: let `sys/audit` create devices (off by default).
    pub allow_api_creation: bool,
    pub devices: Vec<AuditDeviceConfig>,
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredDevice {
    pub path: String,
    pub kind: String,
    pub description: String,
    pub options: BTreeMap<String, String>,
    pub local: bool,
    /// The device's HMAC key, hex.
    pub key: String,
    /// Declared in the configuration: the API cannot disable it.
    pub from_config: bool,
}

impl std::fmt::Debug for StoredDevice {
    /// The key never shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredDevice")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("from_config", &self.from_config)
            .finish_non_exhaustive()
    }
}

impl StoredDevice {
    pub fn hasher(&self) -> Result<Hasher, Error> {
        let key = tresor_crypto::SecretBytes::new(
            hex::decode(&self.key)
                .map_err(|_| Error::internal("a stored audit key does not decode"))?,
        );
        Ok(Hasher::from_key(key.expose()))
    }
}

const KEY: &str = "audit";

pub async fn read(view: &View) -> Result<Vec<StoredDevice>, Error> {
    Ok(get_json(view, KEY).await?.unwrap_or_default())
}

pub async fn write(view: &View, devices: &[StoredDevice]) -> Result<(), Error> {
    put_json(view, KEY, &devices).await
}

fn normalize(path: &str) -> String {
    format!("{}/", path.trim_matches('/'))
}

/// Makes the table match the configured devices: adds the new ones (with a fresh key),
/// updates changed ones (keeping their key, so hashes stay comparable), removes those no
/// longer configured. A configured path that an API-made device holds is an error.
/// Returns whether anything changed.
pub fn reconcile(
    devices: &mut Vec<StoredDevice>,
    configured: &[AuditDeviceConfig],
) -> Result<bool, Error> {
    let mut changed = false;
    let wanted: Vec<String> = configured.iter().map(|c| normalize(&c.path)).collect();
    let before = devices.len();
    devices.retain(|d| !d.from_config || wanted.contains(&d.path));
    changed |= devices.len() != before;
    for (config, path) in configured.iter().zip(wanted) {
        if path == "/" {
            return Err(Error::internal("a configured audit device has no path"));
        }
        match devices.iter_mut().find(|d| d.path == path) {
            Some(d) if !d.from_config => {
                return Err(Error::internal(format!(
                    "the configured audit device {path:?} clashes with one enabled through the API"
                )));
            }
            Some(d) => {
                if d.kind != config.kind
                    || d.description != config.description
                    || d.options != config.options
                    || d.local != config.local
                {
                    d.kind.clone_from(&config.kind);
                    d.description.clone_from(&config.description);
                    d.options.clone_from(&config.options);
                    d.local = config.local;
                    changed = true;
                }
            }
            None => {
                let key = random::secret_bytes(32).map_err(|e| Error::internal(e.to_string()))?;
                devices.push(StoredDevice {
                    path,
                    kind: config.kind.clone(),
                    description: config.description.clone(),
                    options: config.options.clone(),
                    local: config.local,
                    key: hex::encode(key.expose()),
                    from_config: true,
                });
                changed = true;
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(path: &str, file: &str) -> AuditDeviceConfig {
        AuditDeviceConfig {
            kind: "file".into(),
            path: path.into(),
            options: [("file_path".to_owned(), file.to_owned())].into(),
            ..AuditDeviceConfig::default()
        }
    }

    #[test]
    fn configured_devices_are_added_updated_and_removed_keeping_keys() {
        let mut table = Vec::new();
        assert!(reconcile(
            &mut table,
            &[configured("a", "discard"), configured("b/", "stdout")]
        )
        .unwrap());
        assert_eq!(table.len(), 2);
        let key_a = table[0].key.clone();
        assert!(!reconcile(
            &mut table,
            &[configured("a", "discard"), configured("b", "stdout")]
        )
        .unwrap());
        assert!(reconcile(&mut table, &[configured("a", "stdout")]).unwrap());
        assert_eq!(table.len(), 1);
        assert_eq!(table[0].key, key_a, "an updated device keeps its key");
        assert_eq!(table[0].options["file_path"], "stdout");
    }

    #[test]
    fn a_configured_path_cannot_take_over_an_api_device() {
        let mut table = vec![StoredDevice {
            path: "a/".into(),
            kind: "file".into(),
            description: String::new(),
            options: BTreeMap::new(),
            local: false,
            key: "00".into(),
            from_config: false,
        }];
        assert!(reconcile(&mut table, &[configured("a", "discard")]).is_err());
        assert!(!reconcile(&mut table, &[]).unwrap(), "API devices stay");
        assert_eq!(table.len(), 1);
    }
}
