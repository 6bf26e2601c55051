//! `sys/rekey/*`: new unseal key shares from a threshold of the current ones. The root
//! key and the keyring stay the same; only the unseal key that wraps the root key and
//! the seal configuration change, together, in one atomic batch.

use crate::core::Core;
use crate::init::WRAP_TERM;
use crate::layout;
use crate::seal_config::{decode_share, SealConfig};
use crate::unseal::new_nonce;
use serde::Serialize;
use tresor_crypto::keyring::KEY_LEN;
use tresor_crypto::{random, SecretBytes, TermKey};
use tresor_sdk::Error;
use tresor_storage::Op;

#[derive(Debug)]
pub(crate) struct RekeyProgress {
    nonce: String,
    new_config: SealConfig,
    shares: Vec<SecretBytes>,
}

/// The body of `GET sys/rekey/init` and of an unfinished update.
#[derive(Debug, Clone, Serialize)]
pub struct RekeyStatus {
    pub nonce: String,
    pub started: bool,
    pub t: u32,
    pub n: u32,
    pub progress: u32,
    pub required: u32,
    pub pgp_fingerprints: Option<Vec<String>>,
    pub backup: bool,
    pub verification_required: bool,
}

/// What a rekey update answers: progress, or the new shares once complete.
#[derive(Debug)]
pub enum RekeyOutcome {
    Progress(RekeyStatus),
    Complete {
        nonce: String,
        shares: Vec<SecretBytes>,
    },
}

impl Core {
    async fn current_config(&self) -> Result<SealConfig, Error> {
        self.state()?;
        self.seal_config().await?.ok_or(Error::NotInitialized)
    }

    pub async fn rekey_status(&self) -> Result<RekeyStatus, Error> {
        let current = self.current_config().await?;
        let lifecycle = self.lifecycle.lock().await;
        Ok(status_of(lifecycle.rekey.as_ref(), &current))
    }

    pub async fn rekey_init(&self, shares: i64, threshold: i64) -> Result<RekeyStatus, Error> {
        let current = self.current_config().await?;
        let new_config = SealConfig::shamir(shares, threshold).map_err(|e| {
            Error::bad_request(e.to_string().replace(
                "invalid seal configuration",
                "invalid rekey seal configuration",
            ))
        })?;
        let mut lifecycle = self.lifecycle.lock().await;
        if lifecycle.rekey.is_some() {
            return Err(Error::bad_request("rekey already in progress"));
        }
        lifecycle.rekey = Some(RekeyProgress {
            nonce: new_nonce(),
            new_config,
            shares: Vec::new(),
        });
        Ok(status_of(lifecycle.rekey.as_ref(), &current))
    }

    pub async fn rekey_cancel(&self) -> Result<(), Error> {
        self.state()?;
        self.lifecycle.lock().await.rekey = None;
        Ok(())
    }

    pub async fn rekey_update(
        &self,
        key: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<RekeyOutcome, Error> {
        let current = self.current_config().await?;
        let mut lifecycle = self.lifecycle.lock().await;
        let Some(progress) = lifecycle.rekey.as_mut() else {
            return Err(Error::bad_request("no barrier rekey in progress"));
        };
        if nonce != Some(progress.nonce.as_str()) {
            return Err(Error::bad_request(
                "incorrect nonce supplied for this rekey operation",
            ));
        }
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return Err(Error::bad_request(
                "'key' must be specified in request body as JSON",
            ));
        };
        let share = decode_share(key)?;
        if progress.shares.contains(&share) {
            return Err(Error::bad_request(
                "given key has already been provided during this generation operation",
            ));
        }
        progress.shares.push(share);
        if (progress.shares.len() as u32) < current.secret_threshold {
            return Ok(RekeyOutcome::Progress(status_of(Some(progress), &current)));
        }
        let given = std::mem::take(&mut progress.shares);
        let old_unseal_key = current.combine(&given)?;
        let root_key = self.open_root_key(&old_unseal_key).await?;
        let nonce = progress.nonce.clone();
        let shares = self
            .install_new_unseal_key(&progress.new_config, &root_key)
            .await?;
        lifecycle.rekey = None;
        tracing::info!("unseal key rekeyed");
        Ok(RekeyOutcome::Complete { nonce, shares })
    }

    async fn install_new_unseal_key(
        &self,
        config: &SealConfig,
        root_key: &SecretBytes,
    ) -> Result<Vec<SecretBytes>, Error> {
        let internal = |e: &dyn std::fmt::Display| Error::internal(e.to_string());
        let unseal_key = random::secret_bytes(KEY_LEN).map_err(|e| internal(&e))?;
        let wrap =
            TermKey::new(WRAP_TERM, self.now(), unseal_key.clone()).map_err(|e| internal(&e))?;
        let sealed_root = wrap
            .seal(layout::ROOT_KEY, root_key.expose())
            .map_err(|e| internal(&e))?;
        let config_json = serde_json::to_vec(config).map_err(|e| internal(&e))?;
        self.physical
            .batch(vec![
                Op::Put {
                    key: layout::SEAL_CONFIG.to_owned(),
                    value: config_json,
                },
                Op::Put {
                    key: layout::ROOT_KEY.to_owned(),
                    value: sealed_root,
                },
            ])
            .await?;
        config.split(&unseal_key)
    }
}

fn status_of(progress: Option<&RekeyProgress>, current: &SealConfig) -> RekeyStatus {
    RekeyStatus {
        nonce: progress.map(|p| p.nonce.clone()).unwrap_or_default(),
        started: progress.is_some(),
        t: progress.map_or(0, |p| p.new_config.secret_threshold),
        n: progress.map_or(0, |p| p.new_config.secret_shares),
        progress: progress.map_or(0, |p| p.shares.len() as u32),
        required: current.secret_threshold,
        pgp_fingerprints: None,
        backup: false,
        verification_required: false,
    }
}
