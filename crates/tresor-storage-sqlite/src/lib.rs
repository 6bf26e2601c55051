//! The embedded default backend: a single SQLite database file on local disk.
//!
//! WAL journal with `synchronous=FULL`, so a write is acknowledged only once it is on
//! disk. The data directory is made `0700` and the files `0600`, whatever the umask.
//! SQLite calls are blocking and run on tokio's blocking pool.
#![forbid(unsafe_code)]

mod files;
mod pool;

use async_trait::async_trait;
use pool::Pool;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tresor_storage::{check_key, list_children, Backend, Op, StorageError};

/// The database file's name inside the configured directory.
pub const DB_FILE: &str = "tresor.db";

#[derive(Debug, Clone)]
pub struct SqliteBackend {
    pool: Arc<Pool>,
}

impl SqliteBackend {
    /// Opens (creating if needed) the store in directory `dir`.
    pub fn open(dir: &Path) -> Result<Self, StorageError> {
        let db = files::prepare(dir)?;
        let pool = Pool::open(db.clone())?;
        files::restrict_sidecars(&db)?;
        Ok(Self {
            pool: Arc::new(pool),
        })
    }

    pub fn db_path(&self) -> &PathBuf {
        self.pool.path()
    }
}

pub(crate) fn io(e: impl std::fmt::Display) -> StorageError {
    StorageError::Io(e.to_string())
}

#[async_trait]
impl Backend for SqliteBackend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        check_key(key)?;
        let key = key.to_owned();
        self.pool
            .read(move |c| {
                c.prepare_cached("SELECT value FROM entries WHERE key = ?1")?
                    .query_row(params![key], |row| row.get::<_, Vec<u8>>(0))
                    .optional()
            })
            .await
    }

    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        self.batch(vec![Op::Put {
            key: key.to_owned(),
            value: value.to_vec(),
        }])
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.batch(vec![Op::Delete {
            key: key.to_owned(),
        }])
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let prefix = prefix.to_owned();
        self.pool
            .read(move |c| {
                let mut stmt =
                    c.prepare_cached("SELECT key FROM entries WHERE key >= ?1 ORDER BY key")?;
                let mut rows = stmt.query(params![prefix])?;
                let mut keys = Vec::new();
                while let Some(row) = rows.next()? {
                    let key: String = row.get(0)?;
                    if !key.starts_with(prefix.as_str()) {
                        break;
                    }
                    keys.push(key);
                }
                Ok(list_children(&prefix, keys.iter().map(String::as_str)))
            })
            .await
    }

    async fn scan(
        &self,
        prefix: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        let prefix = prefix.to_owned();
        let from = if after > prefix.as_str() {
            after.to_owned()
        } else {
            prefix.clone()
        };
        let strict = after > prefix.as_str();
        self.pool
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT key, value FROM entries WHERE key >= ?1 ORDER BY key LIMIT ?2",
                )?;
                let mut rows = stmt.query(params![from, (limit + 1) as i64])?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let key: String = row.get(0)?;
                    if !key.starts_with(prefix.as_str()) {
                        break;
                    }
                    if strict && key == from {
                        continue;
                    }
                    out.push((key, row.get::<_, Vec<u8>>(1)?));
                    if out.len() == limit {
                        break;
                    }
                }
                Ok(out)
            })
            .await
    }

    async fn batch(&self, ops: Vec<Op>) -> Result<(), StorageError> {
        for op in &ops {
            check_key(op.key())?;
        }
        if ops.is_empty() {
            return Ok(());
        }
        self.pool.write(move |c| apply(c, &ops)).await
    }
}

fn apply(c: &mut Connection, ops: &[Op]) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut put = tx.prepare_cached(
            "INSERT INTO entries (key, value) VALUES (?1, ?2) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?;
        let mut del = tx.prepare_cached("DELETE FROM entries WHERE key = ?1")?;
        for op in ops {
            match op {
                Op::Put { key, value } => put.execute(params![key, value])?,
                Op::Delete { key } => del.execute(params![key])?,
            };
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let b = SqliteBackend::open(&dir.path().join("data")).unwrap();
        tresor_storage::conformance::run_all(&b).await;
    }

    #[tokio::test]
    async fn data_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        {
            let b = SqliteBackend::open(&path).unwrap();
            b.put("k", b"v").await.unwrap();
        }
        let b = SqliteBackend::open(&path).unwrap();
        assert_eq!(b.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    }

    #[tokio::test]
    async fn files_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        std::fs::create_dir(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::write(path.join(DB_FILE), b"").unwrap();
        std::fs::set_permissions(path.join(DB_FILE), std::fs::Permissions::from_mode(0o666))
            .unwrap();
        let b = SqliteBackend::open(&path).unwrap();
        b.put("k", b"v").await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o700);
        for entry in std::fs::read_dir(&path).unwrap() {
            let p = entry.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}
