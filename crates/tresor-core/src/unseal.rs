//! Unsealing: collecting key shares until the threshold, then opening the root key and
//! the keyring. A wrong combination resets the progress.

use crate::core::{ClusterInfo, Core, Lifecycle, Unsealed};
use crate::init::WRAP_TERM;
use crate::layout;
use crate::mounts::Mounts;
use crate::policies::Policies;
use crate::seal_config::{decode_share, SealConfig};
use crate::status::SealStatus;
use crate::tokens::TokenStore;
use std::sync::Arc;
use tresor_crypto::{Keyring, SecretBytes, TermKey};
use tresor_sdk::Error;
use tresor_storage::Backend;

/// Shares given so far, with the nonce that names this unseal attempt.
#[derive(Debug)]
pub(crate) struct UnsealProgress {
    pub nonce: String,
    pub shares: Vec<SecretBytes>,
}

pub(crate) fn new_nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn bad_key(detail: &str) -> Error {
    Error::bad_request(format!(
        "unable to retrieve stored keys: invalid key: {detail}"
    ))
}

impl Core {
    /// One `sys/unseal` call: a share, or a reset of the progress.
    pub async fn submit_unseal(&self, key: Option<&str>, reset: bool) -> Result<SealStatus, Error> {
        let key = key.filter(|k| !k.is_empty());
        if key.is_none() && !reset {
            return Err(Error::bad_request(
                "'key' must be specified in request body as JSON, or 'reset' set to true",
            ));
        }
        let mut lifecycle = self.lifecycle.lock().await;
        let Some(config) = self.seal_config().await? else {
            return Err(Error::bad_request("Vault is not initialized"));
        };
        if reset {
            if !self.is_sealed() {
                return Err(Error::bad_request("vault is unsealed"));
            }
            lifecycle.unseal = None;
            return self.seal_status_locked(&lifecycle).await;
        }
        let share = decode_share(key.unwrap_or_default())?;
        if self.is_sealed() {
            self.add_share(&mut lifecycle, &config, share).await?;
        }
        self.seal_status_locked(&lifecycle).await
    }

    async fn add_share(
        &self,
        lifecycle: &mut Lifecycle,
        config: &SealConfig,
        share: SecretBytes,
    ) -> Result<(), Error> {
        let progress = lifecycle.unseal.get_or_insert_with(|| UnsealProgress {
            nonce: new_nonce(),
            shares: Vec::new(),
        });
        if progress.shares.contains(&share) {
            return Ok(());
        }
        progress.shares.push(share);
        if (progress.shares.len() as u32) < config.secret_threshold {
            return Ok(());
        }
        let shares = std::mem::take(&mut progress.shares);
        lifecycle.unseal = None;
        let unseal_key = config.combine(&shares)?;
        self.unseal_with_key(&unseal_key).await
    }

    /// Opens the root key with the unseal key, then the keyring, and starts serving.
    pub async fn unseal_with_key(&self, unseal_key: &SecretBytes) -> Result<(), Error> {
        let root_key = self.open_root_key(unseal_key).await?;
        let root_wrap = TermKey::new(WRAP_TERM, 0, root_key.clone())
            .map_err(|_| bad_key("wrong key length"))?;
        let sealed_keyring = self
            .physical
            .get(layout::KEYRING)
            .await?
            .ok_or_else(|| Error::internal("the keyring is missing from storage"))?;
        let keyring_bytes = SecretBytes::new(
            root_wrap
                .open(layout::KEYRING, &sealed_keyring)
                .map_err(|_| {
                    Error::internal("the stored keyring failed to open with the root key")
                })?,
        );
        let keyring = Keyring::from_bytes(keyring_bytes.expose())
            .map_err(|_| Error::internal("the stored keyring does not decode"))?;
        self.barrier.install(keyring);
        match self.load_unsealed(root_key).await {
            Ok(state) => {
                let state = Arc::new(state);
                crate::expiration::spawn(&state, self.config.clock.clone());
                crate::periodic::spawn(&state);
                self.unsealed.store(Some(state));
                tracing::info!("core unsealed");
                Ok(())
            }
            Err(e) => {
                self.barrier.seal();
                Err(e)
            }
        }
    }

    /// The root key, opened with a candidate unseal key; a wrong key is a 400.
    pub(crate) async fn open_root_key(
        &self,
        unseal_key: &SecretBytes,
    ) -> Result<SecretBytes, Error> {
        let unseal_wrap = TermKey::new(WRAP_TERM, 0, unseal_key.clone()).map_err(|_| {
            Error::bad_request(format!("invalid key: the unseal key must be {} bytes", 32))
        })?;
        let sealed_root = self
            .physical
            .get(layout::ROOT_KEY)
            .await?
            .ok_or_else(|| Error::internal("the root key is missing from storage"))?;
        unseal_wrap
            .open(layout::ROOT_KEY, &sealed_root)
            .map(SecretBytes::new)
            .map_err(|_| {
                bad_key("failed to decrypt keys from storage: message authentication failed")
            })
    }

    async fn load_unsealed(&self, root_key: SecretBytes) -> Result<Unsealed, Error> {
        let raw = self
            .barrier
            .get(layout::CLUSTER_INFO)
            .await?
            .ok_or_else(|| Error::internal("the cluster info is missing from storage"))?;
        let cluster: ClusterInfo = serde_json::from_slice(&raw)
            .map_err(|_| Error::internal("the cluster info does not decode"))?;
        let tokens = TokenStore::open(self.barrier.clone()).await?;
        let identity = tresor_identity::IdentityStore::open(
            tresor_storage::View::new(self.barrier.clone(), layout::IDENTITY_PREFIX),
            self.config.clock.clone(),
        )
        .await?;
        let router = Arc::new(arc_swap::ArcSwap::from_pointee(
            crate::mounts::Router::default(),
        ));
        let identity_backend = Arc::new(tresor_identity::IdentityBackend::new(
            identity.clone(),
            Arc::new(crate::identity::LiveAuthMounts(router.clone())),
        ));
        let password_policies = Arc::new(crate::password_policies::PasswordPolicies::new(
            self.barrier.clone(),
        ));
        let mounts = Mounts::load(
            self.barrier.clone(),
            self.config.registry.clone(),
            self.config.clock.clone(),
            (self.config.default_lease_ttl, self.config.max_lease_ttl),
            router,
            identity_backend,
            password_policies.clone(),
        )
        .await?;
        let policies = Policies::load(
            self.barrier.clone(),
            tresor_sdk::rfc3339(self.config.clock.now()),
        )
        .await?;
        Ok(Unsealed {
            root_key,
            tokens,
            cluster,
            mounts,
            policies,
            identity,
            password_policies,
            expiration: crate::expiration::Expiration::new(self.barrier.clone()),
            clock: self.config.clock.clone(),
            audit: crate::audit::Audit::load(
                self.barrier.clone(),
                &self.config.audit,
                self.config.clock.clone(),
            )
            .await?,
        })
    }
}
