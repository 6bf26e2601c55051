//! The data directory and file modes: `0700` for the directory, `0600` for every file,
//! set explicitly so the process umask does not matter.

use crate::{io, DB_FILE};
use std::fs::{self, OpenOptions, Permissions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tresor_storage::StorageError;

/// Creates the directory and the empty database file with private modes; returns the
/// database file's path.
pub fn prepare(dir: &Path) -> Result<PathBuf, StorageError> {
    fs::create_dir_all(dir).map_err(|e| io(format!("creating {}: {e}", dir.display())))?;
    fs::set_permissions(dir, Permissions::from_mode(0o700))
        .map_err(|e| io(format!("setting the mode of {}: {e}", dir.display())))?;
    let db = dir.join(DB_FILE);
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&db)
        .map_err(|e| io(format!("creating {}: {e}", db.display())))?;
    fs::set_permissions(&db, Permissions::from_mode(0o600))
        .map_err(|e| io(format!("setting the mode of {}: {e}", db.display())))?;
    Ok(db)
}

/// SQLite gives the WAL and shared-memory files the database file's mode; this makes
/// sure of it for files left by an earlier process.
pub fn restrict_sidecars(db: &Path) -> Result<(), StorageError> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let p = PathBuf::from(name);
        if p.exists() {
            fs::set_permissions(&p, Permissions::from_mode(0o600))
                .map_err(|e| io(format!("setting the mode of {}: {e}", p.display())))?;
        }
    }
    Ok(())
}
