//! The barrier: a [`Backend`] that seals every value with the keyring before it reaches
//! physical storage and opens it on the way back, with the storage path as
//! authenticated data. While sealed it holds no key and refuses every operation.

use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;
use tresor_crypto::Keyring;
use tresor_storage::{Backend, Op, StorageError};

pub struct Barrier {
    physical: Arc<dyn Backend>,
    keyring: ArcSwapOption<Keyring>,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("sealed", &self.is_sealed())
            .finish_non_exhaustive()
    }
}

impl Barrier {
    pub fn new(physical: Arc<dyn Backend>) -> Self {
        Self {
            physical,
            keyring: ArcSwapOption::empty(),
        }
    }

    pub fn is_sealed(&self) -> bool {
        self.keyring.load().is_none()
    }

    /// Installs a keyring (unseal, or a rotation's new keyring).
    pub fn install(&self, keyring: Keyring) {
        self.keyring.store(Some(Arc::new(keyring)));
    }

    /// Drops the keyring; the keys are zeroized once the last in-flight request lets go.
    pub fn seal(&self) {
        self.keyring.store(None);
    }

    pub fn keyring(&self) -> Result<Arc<Keyring>, StorageError> {
        self.keyring.load_full().ok_or(StorageError::Sealed)
    }

    /// Seals one value for `key` without writing it: for batches that mix sealed and
    /// plaintext entries.
    pub fn seal_op(&self, key: &str, value: &[u8]) -> Result<Op, StorageError> {
        let sealed = self
            .keyring()?
            .seal(key, value)
            .map_err(|e| StorageError::Io(e.to_string()))?;
        Ok(Op::Put {
            key: key.to_owned(),
            value: sealed,
        })
    }
}

#[async_trait]
impl Backend for Barrier {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let keyring = self.keyring()?;
        let Some(sealed) = self.physical.get(key).await? else {
            return Ok(None);
        };
        match keyring.open(key, &sealed) {
            Ok(plain) => Ok(Some(plain)),
            Err(e) => {
                tracing::error!(path = key, error = %e, "barrier entry failed to open");
                Err(StorageError::Corrupt {
                    path: key.to_owned(),
                })
            }
        }
    }

    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        let op = self.seal_op(key, value)?;
        self.physical.batch(vec![op]).await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.keyring()?;
        self.physical.delete(key).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        self.keyring()?;
        self.physical.list(prefix).await
    }

    async fn scan(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        let keyring = self.keyring()?;
        let rows = self.physical.scan(prefix, after, limit).await?;
        rows.into_iter()
            .map(|(k, sealed)| match keyring.open(&k, &sealed) {
                Ok(plain) => Ok((k, plain)),
                Err(_) => Err(StorageError::Corrupt { path: k }),
            })
            .collect()
    }

    async fn batch(&self, ops: Vec<Op>) -> Result<(), StorageError> {
        let ops = ops
            .into_iter()
            .map(|op| match op {
                Op::Put { key, value } => self.seal_op(&key, &value),
                delete => Ok(delete),
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.physical.batch(ops).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tresor_storage::InmemBackend;

    fn unsealed() -> (Arc<InmemBackend>, Barrier) {
        let physical = Arc::new(InmemBackend::new());
        let barrier = Barrier::new(physical.clone());
        barrier.install(Keyring::generate(0).unwrap());
        (physical, barrier)
    }

    #[tokio::test]
    async fn conformance_through_the_barrier() {
        let (_, barrier) = unsealed();
        tresor_storage::conformance::run_all(&barrier).await;
    }

    #[tokio::test]
    async fn nothing_plain_reaches_physical_storage() {
        let (physical, barrier) = unsealed();
        barrier
            .put("logical/x/secret", b"canary-plaintext")
            .await
            .unwrap();
        let stored = physical.get("logical/x/secret").await.unwrap().unwrap();
        assert!(!stored.windows(8).any(|w| w == b"canary-p"));
    }

    #[tokio::test]
    async fn tampered_entries_fail_and_sealed_refuses() {
        let (physical, barrier) = unsealed();
        barrier.put("a", b"value").await.unwrap();
        let mut stored = physical.get("a").await.unwrap().unwrap();
        let last = stored.len() - 1;
        stored[last] ^= 1;
        physical.put("a", &stored).await.unwrap();
        assert!(matches!(
            barrier.get("a").await,
            Err(StorageError::Corrupt { .. })
        ));
        physical.put("b", &stored[..10]).await.unwrap();
        assert!(matches!(
            barrier.get("b").await,
            Err(StorageError::Corrupt { .. })
        ));
        barrier.seal();
        assert!(matches!(barrier.get("a").await, Err(StorageError::Sealed)));
        assert!(matches!(
            barrier.put("a", b"x").await,
            Err(StorageError::Sealed)
        ));
    }

    #[tokio::test]
    async fn entries_survive_rotation() {
        let (_, barrier) = unsealed();
        barrier.put("old", b"1").await.unwrap();
        let rotated = barrier.keyring().unwrap().rotated(1).unwrap();
        barrier.install(rotated);
        barrier.put("new", b"2").await.unwrap();
        assert_eq!(
            barrier.get("old").await.unwrap().as_deref(),
            Some(&b"1"[..])
        );
        assert_eq!(
            barrier.get("new").await.unwrap().as_deref(),
            Some(&b"2"[..])
        );
    }
}
