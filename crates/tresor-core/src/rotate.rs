//! `sys/rotate` and `sys/key-status`: a new keyring term, written before it is used.

use crate::core::Core;
use crate::init::WRAP_TERM;
use crate::layout;
use tresor_crypto::keyring::KeyStatus;
use tresor_crypto::TermKey;
use tresor_sdk::Error;

impl Core {
    /// Adds a new key term and makes it the active one. The new keyring is stored (one
    /// atomic put) before the barrier uses it, so a crash at any point leaves a keyring
    /// that opens every stored entry.
    pub async fn rotate(&self) -> Result<KeyStatus, Error> {
        let _lifecycle = self.lifecycle.lock().await;
        let state = self.state()?;
        let rotated = self
            .barrier
            .keyring()?
            .rotated(self.now())
            .map_err(|e| Error::internal(e.to_string()))?;
        let root_wrap = TermKey::new(WRAP_TERM, 0, state.root_key.clone())
            .map_err(|e| Error::internal(e.to_string()))?;
        let sealed = root_wrap
            .seal(layout::KEYRING, rotated.to_bytes().expose())
            .map_err(|e| Error::internal(e.to_string()))?;
        self.physical.put(layout::KEYRING, &sealed).await?;
        let status = rotated.status();
        self.barrier.install(rotated);
        tracing::info!(term = status.term, "barrier key rotated");
        Ok(status)
    }

    pub fn key_status(&self) -> Result<KeyStatus, Error> {
        self.state()?;
        Ok(self.barrier.keyring()?.status())
    }
}
