//! `sys/init`: creates the root key, the keyring and the root token, and splits the
//! unseal key into shares. Every entry is written in one atomic batch, so a crash during
//! init leaves either nothing or a complete, unsealable store.

use crate::barrier::Barrier;
use crate::core::{ClusterInfo, Core};
use crate::layout;
use crate::seal_config::SealConfig;
use crate::staging::Staging;
use crate::tokens::{new_accessor, TokenEntry, TokenStore};
use std::sync::Arc;
use tresor_crypto::keyring::KEY_LEN;
use tresor_crypto::{random, Keyring, SecretBytes, SecretString, TermKey};
use tresor_sdk::Error;
use tresor_storage::{Backend, Op};

#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    pub secret_shares: i64,
    pub secret_threshold: i64,
    /// Dev mode's fixed root token (`-dev-root-token-id`).
    pub root_token_id: Option<SecretString>,
    /// Dev mode: the root token is made as the token store makes any token.
    pub dev: bool,
}

#[derive(Debug)]
pub struct InitResult {
    pub shares: Vec<SecretBytes>,
    pub root_token: SecretString,
}

/// The term number used for keys that wrap other keys (unseal key, root key).
pub(crate) const WRAP_TERM: u32 = 0;

fn rng_failure(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("generating key material: {e}"))
}

impl Core {
    pub async fn initialize(&self, req: InitRequest) -> Result<InitResult, Error> {
        let config = SealConfig::shamir(req.secret_shares, req.secret_threshold)?;
        let _lifecycle = self.lifecycle.lock().await;
        if self.is_initialized().await? {
            return Err(Error::bad_request("Vault is already initialized"));
        }
        let now = self.now();
        let unseal_key = random::secret_bytes(KEY_LEN).map_err(rng_failure)?;
        let root_key = random::secret_bytes(KEY_LEN).map_err(rng_failure)?;
        let keyring = Keyring::generate(now).map_err(rng_failure)?;

        let unseal_wrap = TermKey::new(WRAP_TERM, now, unseal_key.clone()).map_err(rng_failure)?;
        let root_wrap = TermKey::new(WRAP_TERM, now, root_key.clone()).map_err(rng_failure)?;
        let config_json =
            serde_json::to_vec(&config).map_err(|e| Error::internal(e.to_string()))?;
        let mut ops = vec![
            Op::Put {
                key: layout::SEAL_CONFIG.to_owned(),
                value: config_json,
            },
            Op::Put {
                key: layout::ROOT_KEY.to_owned(),
                value: unseal_wrap
                    .seal(layout::ROOT_KEY, root_key.expose())
                    .map_err(rng_failure)?,
            },
            Op::Put {
                key: layout::KEYRING.to_owned(),
                value: root_wrap
                    .seal(layout::KEYRING, keyring.to_bytes().expose())
                    .map_err(rng_failure)?,
            },
        ];

        // Entries behind the barrier are prepared through a barrier over a staging store.
        let staging = Arc::new(Staging::default());
        let staged_barrier = Arc::new(Barrier::new(staging.clone()));
        staged_barrier.install(keyring);
        let cluster = self.new_cluster_info()?;
        let cluster_json =
            serde_json::to_vec(&cluster).map_err(|e| Error::internal(e.to_string()))?;
        staged_barrier
            .put(layout::CLUSTER_INFO, &cluster_json)
            .await?;
        let tokens = TokenStore::open(staged_barrier).await?;
        let root_token = tokens
            .create(
                &root_entry(now, new_accessor()?, req.dev),
                req.root_token_id,
            )
            .await?;
        ops.extend(staging.take());

        self.physical.batch(ops).await?;
        let shares = config.split(&unseal_key)?;
        tracing::info!(
            shares = config.secret_shares,
            threshold = config.secret_threshold,
            "core initialized"
        );
        Ok(InitResult { shares, root_token })
    }

    fn new_cluster_info(&self) -> Result<ClusterInfo, Error> {
        let id = uuid::Uuid::new_v4().to_string();
        let name = match &self.config.cluster_name {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!(
                "vault-cluster-{}",
                hex::encode(random::bytes(4).map_err(rng_failure)?)
            ),
        };
        Ok(ClusterInfo { name, id })
    }
}

fn root_entry(now: i64, accessor: String, dev: bool) -> TokenEntry {
    if dev {
        TokenEntry::dev_root(now, accessor)
    } else {
        TokenEntry::root(now, accessor)
    }
}
