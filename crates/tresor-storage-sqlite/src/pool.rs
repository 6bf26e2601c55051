//! One writer connection and a small set of reader connections, used on the blocking pool.

use crate::io;
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tresor_storage::StorageError;

const MAX_IDLE_READERS: usize = 8;

#[derive(Debug)]
pub struct Pool {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a panic inside SQLite's closure; the connection is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn connect(path: &PathBuf) -> Result<Connection, StorageError> {
    let c = Connection::open(path).map_err(io)?;
    c.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(io)?;
    // WAL with FULL sync: every commit is fsynced before it returns.
    c.pragma_update(None, "journal_mode", "WAL").map_err(io)?;
    c.pragma_update(None, "synchronous", "FULL").map_err(io)?;
    Ok(c)
}

impl Pool {
    pub fn open(path: PathBuf) -> Result<Self, StorageError> {
        let writer = connect(&path)?;
        writer
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID;",
            )
            .map_err(io)?;
        Ok(Self {
            path,
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    pub fn path(&self) -> &PathBuf {
        &self.path
    }

    pub async fn write<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let writer = self.writer.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = lock(&writer);
            f(&mut c).map_err(|e| {
                tracing::error!(error = %e, "storage write failed");
                // After a failed write (an fsync error above all) the handle's state is
                // not trusted: the next write goes through a fresh connection.
                match connect(&path) {
                    Ok(fresh) => *c = fresh,
                    Err(reopen) => tracing::error!(error = %reopen, "reopening the store failed"),
                }
                io(e)
            })
        })
        .await
        .map_err(io)?
    }

    pub async fn read<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let idle = lock(&readers).pop();
            let c = match idle {
                Some(c) => c,
                None => connect(&path)?,
            };
            let result = f(&c).map_err(io);
            let mut idle = lock(&readers);
            if result.is_ok() && idle.len() < MAX_IDLE_READERS {
                idle.push(c);
            }
            result
        })
        .await
        .map_err(io)?
    }
}
