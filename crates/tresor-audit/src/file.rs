//! The `file` device: appends lines to a file (or stdout, or nowhere).
//!
//! The file is opened `O_APPEND|O_CREAT` with the asked mode masked so that it is never
//! executable, and it may not sit in a world-writable directory (SECURITY row 29).

use crate::device::{Device, Options};
use crate::AuditError;
use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const KIND: &str = "file";
/// Vault's default mode for a new audit file.
pub const DEFAULT_MODE: u32 = 0o600;
/// Bits a requested mode may keep: read and write only, never execute, setuid or sticky.
const MODE_MASK: u32 = 0o666;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Path(PathBuf),
    Stdout,
    Discard,
}

/// Appends entries to `file_path`.
#[derive(Debug)]
pub struct FileDevice {
    target: Target,
    mode: u32,
    options: Options,
    file: Arc<Mutex<Option<File>>>,
}

impl FileDevice {
    /// Validate the options and open the file now, so a bad path fails at enable time.
    pub fn new(options: &Options) -> Result<Self, AuditError> {
        let raw = options
            .get("file_path")
            .or_else(|| options.get("path"))
            .ok_or(AuditError::MissingOption("file_path"))?;
        let target = match raw.as_str() {
            "" => return Err(AuditError::MissingOption("file_path")),
            "stdout" => Target::Stdout,
            "discard" => Target::Discard,
            p => Target::Path(PathBuf::from(p)),
        };
        let mode = match options.get("mode") {
            None => DEFAULT_MODE,
            Some(m) => parse_mode(m)?,
        };
        let device = Self {
            target,
            mode,
            options: options.clone(),
            file: Arc::new(Mutex::new(None)),
        };
        if let Target::Path(p) = &device.target {
            let f = open(p, device.mode)?;
            *device.file.lock().map_err(|_| AuditError::Task)? = Some(f);
        }
        Ok(device)
    }

    /// The mode the file is created with (already masked).
    pub fn mode(&self) -> u32 {
        self.mode
    }
}

/// Octal mode, with every execute, setuid, setgid and sticky bit removed.
fn parse_mode(m: &str) -> Result<u32, AuditError> {
    let parsed = u32::from_str_radix(m, 8).map_err(|_| AuditError::InvalidOption {
        key: "mode".into(),
        reason: "expected an octal file mode",
    })?;
    if parsed > 0o7777 {
        return Err(AuditError::InvalidOption {
            key: "mode".into(),
            reason: "expected an octal file mode",
        });
    }
    match parsed & MODE_MASK {
        0 => Ok(DEFAULT_MODE),
        masked => Ok(masked),
    }
}

fn check_location(path: &Path) -> Result<(), AuditError> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            return Err(AuditError::UnsafeLocation("not a regular file"));
        }
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let meta = std::fs::metadata(&parent).map_err(AuditError::io(KIND))?;
    if !meta.is_dir() {
        return Err(AuditError::UnsafeLocation("parent is not a directory"));
    }
    if meta.permissions().mode() & 0o002 != 0 {
        return Err(AuditError::UnsafeLocation("directory is world-writable"));
    }
    Ok(())
}

fn open(path: &Path, mode: u32) -> Result<File, AuditError> {
    check_location(path)?;
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(mode)
        .open(path)
        .map_err(AuditError::io(KIND))?;
    // An existing file keeps its old bits through open(2): force the masked mode.
    file.set_permissions(Permissions::from_mode(mode))
        .map_err(AuditError::io(KIND))?;
    Ok(file)
}

fn write_locked(
    slot: &Mutex<Option<File>>,
    path: &Path,
    mode: u32,
    line: &[u8],
) -> Result<(), AuditError> {
    let mut guard = slot.lock().map_err(|_| AuditError::Task)?;
    if guard.is_none() {
        *guard = Some(open(path, mode)?);
    }
    let Some(file) = guard.as_mut() else {
        return Err(AuditError::Task);
    };
    let result = file.write_all(line).and_then(|()| file.flush());
    if let Err(e) = result {
        // Reopen on the next write (the file may have been rotated or the disk freed).
        *guard = None;
        return Err(AuditError::Io {
            kind: KIND,
            source: e,
        });
    }
    Ok(())
}

#[async_trait::async_trait]
impl Device for FileDevice {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn options(&self) -> Options {
        self.options.clone()
    }

    async fn log(&self, line: &[u8]) -> Result<(), AuditError> {
        match &self.target {
            Target::Discard => Ok(()),
            Target::Stdout => {
                let line = line.to_vec();
                tokio::task::spawn_blocking(move || {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&line).and_then(|()| out.flush())
                })
                .await
                .map_err(|_| AuditError::Task)?
                .map_err(AuditError::io(KIND))
            }
            Target::Path(path) => {
                let (slot, path, mode, line) =
                    (self.file.clone(), path.clone(), self.mode, line.to_vec());
                tokio::task::spawn_blocking(move || write_locked(&slot, &path, mode, &line))
                    .await
                    .map_err(|_| AuditError::Task)?
            }
        }
    }

    async fn reopen(&self) -> Result<(), AuditError> {
        let Target::Path(path) = &self.target else {
            return Ok(());
        };
        let (slot, path, mode) = (self.file.clone(), path.clone(), self.mode);
        tokio::task::spawn_blocking(move || {
            let f = open(&path, mode)?;
            *slot.lock().map_err(|_| AuditError::Task)? = Some(f);
            Ok(())
        })
        .await
        .map_err(|_| AuditError::Task)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(path: &Path, mode: Option<&str>) -> Options {
        let mut o = Options::new();
        o.insert("file_path".into(), path.display().to_string());
        if let Some(m) = mode {
            o.insert("mode".into(), m.into());
        }
        o
    }

    fn mode_of(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[tokio::test]
    async fn creates_0600_and_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let dev = FileDevice::new(&opts(&path, None)).unwrap();
        assert_eq!(mode_of(&path), 0o600);
        dev.log(b"one\n").await.unwrap();
        dev.log(b"two\n").await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        assert_eq!(dev.kind(), "file");
    }

    #[tokio::test]
    async fn never_executable_even_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        for (asked, want) in [
            ("0777", 0o666),
            ("4755", 0o644),
            ("0700", 0o600),
            ("0111", 0o600),
        ] {
            let path = dir.path().join(format!("audit-{asked}.log"));
            let dev = FileDevice::new(&opts(&path, Some(asked))).unwrap();
            assert_eq!(dev.mode(), want, "asked {asked}");
            assert_eq!(mode_of(&path), want, "asked {asked}");
            assert_eq!(mode_of(&path) & 0o111, 0);
        }
        // An existing executable file loses its x bits.
        let path = dir.path().join("existing.log");
        std::fs::write(&path, b"").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o755)).unwrap();
        FileDevice::new(&opts(&path, Some("0777"))).unwrap();
        assert_eq!(mode_of(&path) & 0o111, 0);
    }

    #[test]
    fn rejects_bad_options_and_locations() {
        let dir = tempfile::tempdir().unwrap();
        assert!(FileDevice::new(&Options::new()).is_err());
        assert!(FileDevice::new(&opts(&dir.path().join("a"), Some("9z"))).is_err());
        let open_dir = dir.path().join("open");
        std::fs::create_dir(&open_dir).unwrap();
        std::fs::set_permissions(&open_dir, Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            FileDevice::new(&opts(&open_dir.join("a.log"), None)),
            Err(AuditError::UnsafeLocation(_))
        ));
        assert!(matches!(
            FileDevice::new(&opts(dir.path(), None)),
            Err(AuditError::UnsafeLocation(_))
        ));
        assert!(FileDevice::new(&opts(&dir.path().join("missing/a.log"), None)).is_err());
    }

    #[tokio::test]
    async fn discard_and_reopen() {
        let mut o = Options::new();
        o.insert("file_path".into(), "discard".into());
        let dev = FileDevice::new(&o).unwrap();
        dev.log(b"x\n").await.unwrap();
        dev.reopen().await.unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let dev = FileDevice::new(&opts(&path, None)).unwrap();
        dev.log(b"a\n").await.unwrap();
        std::fs::rename(&path, dir.path().join("rotated.log")).unwrap();
        dev.reopen().await.unwrap();
        dev.log(b"b\n").await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b\n");
    }
}
