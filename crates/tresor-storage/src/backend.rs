use async_trait::async_trait;
use std::fmt;

/// The largest key a backend accepts, in bytes.
pub const MAX_KEY_LEN: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("invalid storage key: {0}")]
    InvalidKey(&'static str),
    /// The medium failed (I/O, fsync, disk full). The write did not happen.
    #[error("storage failure: {0}")]
    Io(String),
    /// The stored bytes cannot be what we wrote (a barrier entry failed to open).
    #[error("stored entry at {path} is corrupt or was tampered with")]
    Corrupt { path: String },
    /// The barrier is sealed: nothing above it can be read or written.
    #[error("the storage barrier is sealed")]
    Sealed,
}

/// One write of an atomic batch.
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
}

impl Op {
    pub fn key(&self) -> &str {
        match self {
            Op::Put { key, .. } | Op::Delete { key } => key,
        }
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets (or ciphertext); only the key and size are shown.
        match self {
            Op::Put { key, value } => write!(f, "Put({key:?}, {} bytes)", value.len()),
            Op::Delete { key } => write!(f, "Delete({key:?})"),
        }
    }
}

/// A store of opaque values under string keys.
///
/// A successful `put`, `delete` or `batch` is durable on return: an acknowledged write
/// survives a crash of the process (and, for disk backends, of the machine).
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError>;
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StorageError>;
    /// Deleting a missing key succeeds.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;
    /// The immediate children of `prefix`, sorted: a leaf by its name, a folder by its
    /// name followed by `/`, each once.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError>;
    /// Applies every op or none.
    async fn batch(&self, ops: Vec<Op>) -> Result<(), StorageError>;

    /// A page of a range read: up to `limit` entries whose keys start with `prefix` and
    /// sort strictly after `after` (from the first when `after` is empty), in key order,
    /// with full keys, at any depth. Reading a million entries this way costs a few
    /// queries instead of a million. The default walks `list` and `get` (correct, but
    /// it lists everything under `prefix` for each page): backends override it.
    async fn scan(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        let mut keys = Vec::new();
        let mut folders = vec![prefix.to_owned()];
        while let Some(folder) = folders.pop() {
            for key in self.list(&folder).await? {
                let full = format!("{folder}{key}");
                if key.ends_with('/') {
                    folders.push(full);
                } else if full.as_str() > after {
                    keys.push(full);
                }
            }
        }
        keys.sort();
        keys.truncate(limit);
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(v) = self.get(&k).await? {
                out.push((k, v));
            }
        }
        Ok(out)
    }
}

/// Refuses keys that no backend should store.
pub fn check_key(key: &str) -> Result<(), StorageError> {
    if key.is_empty() {
        return Err(StorageError::InvalidKey("empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(StorageError::InvalidKey("too long"));
    }
    if key.contains('\0') {
        return Err(StorageError::InvalidKey("contains a NUL byte"));
    }
    Ok(())
}

/// Folds sorted keys that start with `prefix` into the one-level listing of `prefix`.
pub fn list_children<'a>(
    prefix: &str,
    sorted_keys: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in sorted_keys {
        let Some(rest) = key.strip_prefix(prefix) else {
            continue;
        };
        let child = match rest.find('/') {
            Some(i) => rest.get(..=i).unwrap_or(rest),
            None => rest,
        };
        if child.is_empty() {
            continue;
        }
        if out.last().map(String::as_str) != Some(child) {
            out.push(child.to_owned());
        }
    }
    out
}
