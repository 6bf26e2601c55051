//! Files written whole or not at all: a temporary file beside the target, written,
//! synced, given its mode (whatever the umask), then renamed over the target.

use std::fs::{self, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Writes `content` to `path` with `mode`; makes missing parent directories (0755)
/// when `create_dirs`.
pub fn write(path: &Path, content: &[u8], mode: u32, create_dirs: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if create_dirs {
        fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Unique within this process by the counter, across processes by the pid; an
    // existing file is never opened (create_new). No randomness needed: seeding the
    // RNG on first use costs the agent's first render tens of milliseconds.
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(content)?;
        f.set_permissions(Permissions::from_mode(mode))?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Keeps the file at `path`, about to be replaced, as `<path>.bak`: a hard link, so the
/// rename that replaces `path` leaves it whole. A previous `.bak` is set aside as
/// `.old.bak` and removed once the new one is in place (consul-template's backup). No
/// file at `path`: nothing to keep.
pub fn backup(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let with = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let (bak, old) = (with(".bak"), with(".old.bak"));
    let _ = fs::rename(&bak, &old);
    fs::hard_link(path, &bak)?;
    let _ = fs::remove_file(&old);
    Ok(())
}

/// Gives the file at `path` `mode` (a file left by an earlier run keeps the mode asked now).
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    fs::set_permissions(path, Permissions::from_mode(mode))
}

/// Whether the file at `path` already holds `content` (then it is not written again).
pub fn holds(path: &Path, content: &[u8]) -> bool {
    fs::read(path).is_ok_and(|existing| existing == content)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn replaces_whole_with_the_mode_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/secret.txt");
        write(&path, b"one", 0o640, true).unwrap();
        write(&path, b"two", 0o600, true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        let left: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");
        assert!(write(&dir.path().join("missing/x"), b"x", 0o600, false).is_err());
    }

    #[test]
    fn backup_keeps_the_replaced_file_and_one_bak_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.conf");
        backup(&path).unwrap(); // nothing there yet
        write(&path, b"one", 0o600, false).unwrap();
        backup(&path).unwrap();
        write(&path, b"two", 0o600, false).unwrap();
        backup(&path).unwrap();
        write(&path, b"three", 0o600, false).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"three");
        assert_eq!(fs::read(dir.path().join("app.conf.bak")).unwrap(), b"two");
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["app.conf", "app.conf.bak"]);
        assert!(holds(&path, b"three") && !holds(&path, b"two"));
        assert!(!holds(&dir.path().join("none"), b""));
    }
}
