//! The live plugin instance of each connection, built on first use from the stored
//! config and replaced when the config changes, is reset or its root password rotates.

use crate::plugin::DatabasePlugin;
use crate::store::{self, DbConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tresor_sdk::Error;
use tresor_storage::View;

#[derive(Debug, Default)]
pub struct Connections {
    live: Mutex<HashMap<String, Arc<dyn DatabasePlugin>>>,
}

/// The stored config of connection `name`, or Vault's error for a missing one.
pub async fn load_config(storage: &View, name: &str) -> Result<DbConfig, Error> {
    store::load(storage, store::CONFIG, name)
        .await?
        .ok_or_else(|| {
            Error::bad_request(format!(
                "failed to find entry for connection with name: {name:?}"
            ))
        })
}

/// A new instance of the config's plugin, initialised with it.
pub async fn open(config: &DbConfig, verify: bool) -> Result<Arc<dyn DatabasePlugin>, Error> {
    let kind = crate::plugins::lookup(&config.plugin_name).ok_or_else(|| {
        Error::bad_request(format!(
            "error creating database object: unknown plugin {:?}",
            config.plugin_name
        ))
    })?;
    let plugin = kind.instantiate()?;
    plugin.initialize(&config.connection(), verify).await?;
    Ok(plugin)
}

impl Connections {
    fn cached(&self, name: &str) -> Option<Arc<dyn DatabasePlugin>> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// The connection `name` with its config, opened if needed.
    pub async fn get(
        &self,
        storage: &View,
        name: &str,
    ) -> Result<(Arc<dyn DatabasePlugin>, DbConfig), Error> {
        let config = load_config(storage, name).await?;
        if let Some(p) = self.cached(name) {
            return Ok((p, config));
        }
        let plugin = open(&config, false).await?;
        let raced = {
            let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
            match live.get(name) {
                Some(existing) => Some(existing.clone()),
                None => {
                    live.insert(name.to_owned(), plugin.clone());
                    None
                }
            }
        };
        match raced {
            Some(existing) => {
                plugin.close().await;
                Ok((existing, config))
            }
            None => Ok((plugin, config)),
        }
    }

    /// Installs `plugin` as connection `name`, closing the one it replaces.
    pub async fn put(&self, name: &str, plugin: Arc<dyn DatabasePlugin>) {
        let old = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), plugin);
        if let Some(old) = old {
            old.close().await;
        }
    }

    /// Closes and forgets connection `name`.
    pub async fn remove(&self, name: &str) {
        let old = self
            .live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        if let Some(old) = old {
            old.close().await;
        }
    }
}
