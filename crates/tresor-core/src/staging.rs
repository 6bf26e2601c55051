//! A backend that keeps what is written to it and records each write as an [`Op`], so a
//! multi-entry change (init) can be prepared with the normal code paths and then
//! committed to physical storage in one atomic batch.

use async_trait::async_trait;
use std::sync::Mutex;
use tresor_storage::{Backend, InmemBackend, Op, StorageError};

#[derive(Debug, Default)]
pub struct Staging {
    inner: InmemBackend,
    ops: Mutex<Vec<Op>>,
}

impl Staging {
    fn record(&self, ops: impl IntoIterator<Item = Op>) {
        self.ops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(ops);
    }

    /// Every write so far, in order.
    pub fn take(&self) -> Vec<Op> {
        std::mem::take(&mut *self.ops.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

#[async_trait]
impl Backend for Staging {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(key).await
    }

    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        self.inner.put(key, value).await?;
        self.record([Op::Put {
            key: key.to_owned(),
            value: value.to_vec(),
        }]);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.inner.delete(key).await?;
        self.record([Op::Delete {
            key: key.to_owned(),
        }]);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        self.inner.list(prefix).await
    }

    async fn batch(&self, ops: Vec<Op>) -> Result<(), StorageError> {
        self.inner.batch(ops.clone()).await?;
        self.record(ops);
        Ok(())
    }
}
