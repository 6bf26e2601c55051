//! The [`Core`]: owner of the barrier and of the sealed/unsealed state.

use crate::barrier::Barrier;
use crate::layout;
use crate::mounts::{Mounts, Registry};
use crate::policies::Policies;
use crate::rekey::RekeyProgress;
use crate::seal_config::SealConfig;
use crate::tokens::TokenStore;
use crate::unseal::UnsealProgress;
use arc_swap::ArcSwapOption;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tresor_crypto::SecretBytes;
use tresor_sdk::{Clock, Error, SystemClock};
use tresor_storage::Backend;

/// Settings of the core that come from the server's configuration.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Reported as `storage_type` in `sys/seal-status` (`inmem`, `file`...).
    pub storage_type: String,
    /// `cluster_name` from the configuration; generated at init when absent.
    pub cluster_name: Option<String>,
    pub clock: Arc<dyn Clock>,
    /// The backends that can be mounted, by type.
    pub registry: Registry,
    /// System-wide lease TTLs (Vault's defaults: 768h both).
    pub default_lease_ttl: Duration,
    pub max_lease_ttl: Duration,
    /// Audit devices declared in the configuration, and whether the API may add more.
    pub audit: crate::audit::AuditSettings,
}

/// Vault's default for both system lease TTLs: 32 days.
pub const DEFAULT_SYSTEM_TTL: Duration = Duration::from_secs(768 * 3600);

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            storage_type: "inmem".to_owned(),
            cluster_name: None,
            clock: Arc::new(SystemClock),
            registry: Registry::default(),
            default_lease_ttl: DEFAULT_SYSTEM_TTL,
            max_lease_ttl: DEFAULT_SYSTEM_TTL,
            audit: crate::audit::AuditSettings::default(),
        }
    }
}

/// Cluster identity, created at init and stored behind the barrier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterInfo {
    pub name: String,
    pub id: String,
}

/// Everything that exists only while unsealed. Dropping it drops the root key.
#[derive(Debug)]
pub(crate) struct Unsealed {
    pub root_key: SecretBytes,
    pub tokens: TokenStore,
    pub cluster: ClusterInfo,
    pub mounts: Mounts,
    pub policies: Policies,
    pub expiration: crate::expiration::Expiration,
    pub clock: Arc<dyn Clock>,
    pub audit: crate::audit::Audit,
    pub identity: tresor_identity::IdentityStore,
    pub password_policies: Arc<crate::password_policies::PasswordPolicies>,
}

/// Progress of the multi-step lifecycle operations; one lock serialises them all.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    pub unseal: Option<UnsealProgress>,
    pub rekey: Option<RekeyProgress>,
}

#[derive(Debug)]
pub struct Core {
    pub(crate) physical: Arc<dyn Backend>,
    pub(crate) barrier: Arc<Barrier>,
    pub(crate) config: CoreConfig,
    pub(crate) unsealed: ArcSwapOption<Unsealed>,
    pub(crate) lifecycle: Mutex<Lifecycle>,
}

impl Core {
    pub fn new(physical: Arc<dyn Backend>, config: CoreConfig) -> Self {
        Self {
            barrier: Arc::new(Barrier::new(physical.clone())),
            physical,
            config,
            unsealed: ArcSwapOption::empty(),
            lifecycle: Mutex::new(Lifecycle::default()),
        }
    }

    pub fn is_sealed(&self) -> bool {
        self.unsealed.load().is_none()
    }

    pub(crate) fn now(&self) -> i64 {
        self.config.clock.unix()
    }

    /// The seal configuration, or `None` before init.
    pub async fn seal_config(&self) -> Result<Option<SealConfig>, Error> {
        match self.physical.get(layout::SEAL_CONFIG).await? {
            None => Ok(None),
            Some(raw) => serde_json::from_slice(&raw)
                .map(Some)
                .map_err(|_| Error::internal("the stored seal configuration does not decode")),
        }
    }

    pub async fn is_initialized(&self) -> Result<bool, Error> {
        Ok(self.seal_config().await?.is_some())
    }

    pub(crate) fn state(&self) -> Result<Arc<Unsealed>, Error> {
        self.unsealed.load_full().ok_or(Error::Sealed)
    }

    /// Revokes every lease due now (the expiration task does this on its own; tests that
    /// move an injected clock call it). Returns how many leases were revoked.
    pub async fn expire_leases(&self) -> Result<usize, Error> {
        self.state()?.expire_due(self.now()).await
    }

    /// Whether the leases stored before the last unseal are all scheduled again.
    pub fn leases_restored(&self) -> bool {
        self.unsealed
            .load()
            .as_ref()
            .is_some_and(|s| s.expiration.is_restored())
    }

    /// How many leases wait in the expiration queue.
    pub fn leases_scheduled(&self) -> usize {
        self.unsealed
            .load()
            .as_ref()
            .map_or(0, |s| s.expiration.scheduled())
    }

    /// Seals: drops every key from memory. Sealing a sealed core does nothing.
    pub async fn seal(&self) {
        let mut lifecycle = self.lifecycle.lock().await;
        self.seal_locked(&mut lifecycle);
    }

    pub(crate) fn seal_locked(&self, lifecycle: &mut Lifecycle) {
        lifecycle.unseal = None;
        lifecycle.rekey = None;
        if let Some(state) = self.unsealed.swap(None) {
            state.expiration.wake();
        }
        self.barrier.seal();
        tracing::info!("core sealed");
    }
}
