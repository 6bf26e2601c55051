use crate::backend::{Backend, Op, StorageError};
use async_trait::async_trait;
use std::sync::Arc;

/// A backend seen through a key prefix: every key is taken relative to it, so a holder of
/// the view cannot reach outside.
#[derive(Debug, Clone)]
pub struct View {
    inner: Arc<dyn Backend>,
    prefix: String,
}

impl View {
    /// `prefix` is used as given; it normally ends with `/`.
    pub fn new(inner: Arc<dyn Backend>, prefix: impl Into<String>) -> Self {
        Self {
            inner,
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A view of a sub-prefix of this one.
    pub fn sub(&self, prefix: &str) -> View {
        View {
            inner: self.inner.clone(),
            prefix: format!("{}{prefix}", self.prefix),
        }
    }

    fn full(&self, key: &str) -> Result<String, StorageError> {
        if key.is_empty() {
            return Err(StorageError::InvalidKey("empty"));
        }
        Ok(format!("{}{key}", self.prefix))
    }
}

#[async_trait]
impl Backend for View {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner.get(&self.full(key)?).await
    }

    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        self.inner.put(&self.full(key)?, value).await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.inner.delete(&self.full(key)?).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        self.inner.list(&format!("{}{prefix}", self.prefix)).await
    }

    async fn scan(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        let after = if after.is_empty() {
            String::new()
        } else {
            format!("{}{after}", self.prefix)
        };
        let mut out = self
            .inner
            .scan(&format!("{}{prefix}", self.prefix), &after, limit)
            .await?;
        for (k, _) in &mut out {
            *k = k.get(self.prefix.len()..).unwrap_or_default().to_owned();
        }
        Ok(out)
    }

    async fn batch(&self, ops: Vec<Op>) -> Result<(), StorageError> {
        let ops = ops
            .into_iter()
            .map(|op| {
                Ok(match op {
                    Op::Put { key, value } => Op::Put {
                        key: self.full(&key)?,
                        value,
                    },
                    Op::Delete { key } => Op::Delete {
                        key: self.full(&key)?,
                    },
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        self.inner.batch(ops).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InmemBackend;

    #[tokio::test]
    async fn view_is_confined_to_its_prefix() {
        let inner: Arc<dyn Backend> = Arc::new(InmemBackend::new());
        inner.put("outside", b"x").await.unwrap();
        let view = View::new(inner.clone(), "logical/abc/");
        crate::conformance::run_all(&view).await;
        assert_eq!(view.get("outside").await.unwrap(), None);
        view.put("k", b"v").await.unwrap();
        assert_eq!(
            inner.get("logical/abc/k").await.unwrap().as_deref(),
            Some(&b"v"[..])
        );
    }
}
