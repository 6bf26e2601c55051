//! The `syslog` device: one RFC 5424 message per entry, sent to the local syslog daemon's
//! unix datagram socket (`/dev/log`).

use crate::device::{Device, Options};
use crate::AuditError;
use std::os::unix::net::UnixDatagram as StdDatagram;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::net::UnixDatagram;

const KIND: &str = "syslog";
/// Where the local syslog daemon listens.
pub const DEFAULT_SOCKET: &str = "/dev/log";
/// RFC 5424 severity "informational".
const SEVERITY_INFO: u8 = 6;

/// Sends entries to syslog with `facility` (default AUTH) and `tag` (default "tresor").
#[derive(Debug)]
pub struct SyslogDevice {
    socket_path: PathBuf,
    facility: u8,
    tag: String,
    options: Options,
    sock: Mutex<Option<Arc<UnixDatagram>>>,
}

impl SyslogDevice {
    /// A device writing to `/dev/log`; fails now if no syslog daemon listens there.
    pub fn new(options: &Options) -> Result<Self, AuditError> {
        Self::with_socket_path(options, Path::new(DEFAULT_SOCKET))
    }

    /// A device writing to the datagram socket at `socket_path` (tests, chroots).
    pub fn with_socket_path(options: &Options, socket_path: &Path) -> Result<Self, AuditError> {
        let facility = facility(options.get("facility").map_or("AUTH", String::as_str))?;
        let tag = options
            .get("tag")
            .filter(|t| !t.is_empty())
            .map_or("tresor", String::as_str);
        if tag.len() > 48 || !tag.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuditError::InvalidOption {
                key: "tag".into(),
                reason: "expected up to 48 printable ASCII characters",
            });
        }
        // Probe now: a missing syslog socket is an error at enable time, not a silent no-op.
        connect_std(socket_path)?;
        Ok(Self {
            socket_path: socket_path.to_path_buf(),
            facility,
            tag: tag.to_owned(),
            options: options.clone(),
            sock: Mutex::new(None),
        })
    }

    /// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG` (RFC 5424).
    fn message(&self, line: &[u8]) -> Vec<u8> {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let pri = u16::from(self.facility) * 8 + u16::from(SEVERITY_INFO);
        let now = tresor_sdk::rfc3339(std::time::SystemTime::now());
        let mut out =
            format!("<{pri}>1 {now} - {} {} - - ", self.tag, std::process::id()).into_bytes();
        out.extend_from_slice(body);
        out
    }

    fn socket(&self) -> Result<Arc<UnixDatagram>, AuditError> {
        let mut slot = self.sock.lock().map_err(|_| AuditError::Task)?;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let std = connect_std(&self.socket_path)?;
        std.set_nonblocking(true).map_err(AuditError::io(KIND))?;
        let sock = Arc::new(UnixDatagram::from_std(std).map_err(AuditError::io(KIND))?);
        *slot = Some(sock.clone());
        Ok(sock)
    }

    fn forget_socket(&self) {
        if let Ok(mut slot) = self.sock.lock() {
            *slot = None;
        }
    }
}

fn connect_std(path: &Path) -> Result<StdDatagram, AuditError> {
    let sock = StdDatagram::unbound().map_err(AuditError::SyslogUnavailable)?;
    sock.connect(path).map_err(AuditError::SyslogUnavailable)?;
    Ok(sock)
}

/// Syslog facility codes by name (Vault accepts the same names).
fn facility(name: &str) -> Result<u8, AuditError> {
    let code = match name.to_ascii_uppercase().as_str() {
        "KERN" => 0,
        "USER" => 1,
        "MAIL" => 2,
        "DAEMON" => 3,
        "AUTH" => 4,
        "SYSLOG" => 5,
        "LPR" => 6,
        "NEWS" => 7,
        "UUCP" => 8,
        "CRON" => 9,
        "AUTHPRIV" => 10,
        "FTP" => 11,
        "LOCAL0" => 16,
        "LOCAL1" => 17,
        "LOCAL2" => 18,
        "LOCAL3" => 19,
        "LOCAL4" => 20,
        "LOCAL5" => 21,
        "LOCAL6" => 22,
        "LOCAL7" => 23,
        _ => {
            return Err(AuditError::InvalidOption {
                key: "facility".into(),
                reason: "unknown syslog facility",
            })
        }
    };
    Ok(code)
}

#[async_trait::async_trait]
impl Device for SyslogDevice {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn options(&self) -> Options {
        self.options.clone()
    }

    async fn log(&self, line: &[u8]) -> Result<(), AuditError> {
        let sock = self.socket()?;
        let msg = self.message(line);
        match sock.send(&msg).await {
            Ok(n) if n == msg.len() => Ok(()),
            Ok(_) => {
                self.forget_socket();
                Err(AuditError::Io {
                    kind: KIND,
                    source: std::io::Error::new(std::io::ErrorKind::WriteZero, "short send"),
                })
            }
            Err(e) => {
                // Reconnect on the next write (the daemon may have restarted).
                self.forget_socket();
                Err(AuditError::Io {
                    kind: KIND,
                    source: e,
                })
            }
        }
    }

    async fn reopen(&self) -> Result<(), AuditError> {
        self.forget_socket();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_rfc5424_to_datagram_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let mut o = Options::new();
        o.insert("facility".into(), "local0".into());
        o.insert("tag".into(), "vault".into());
        let dev = SyslogDevice::with_socket_path(&o, &path).unwrap();
        dev.log(b"{\"type\":\"request\"}\n").await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = server.recv(&mut buf).await.unwrap();
        let msg = String::from_utf8(buf[..n].to_vec()).unwrap();
        // LOCAL0 (16) * 8 + info (6) = 134.
        assert!(msg.starts_with("<134>1 "), "{msg}");
        assert!(msg.contains(" - vault "), "{msg}");
        assert!(msg.ends_with(" - - {\"type\":\"request\"}"), "{msg}");
        assert_eq!(dev.kind(), "syslog");
    }

    #[tokio::test]
    async fn reconnects_after_daemon_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let server = UnixDatagram::bind(&path).unwrap();
        let dev = SyslogDevice::with_socket_path(&Options::new(), &path).unwrap();
        dev.log(b"a\n").await.unwrap();
        drop(server);
        std::fs::remove_file(&path).unwrap();
        assert!(dev.log(b"b\n").await.is_err());
        let server = UnixDatagram::bind(&path).unwrap();
        dev.log(b"c\n").await.unwrap();
        let mut buf = vec![0u8; 512];
        let n = server.recv(&mut buf).await.unwrap();
        assert!(buf[..n].ends_with(b" c"));
    }

    #[test]
    fn missing_socket_fails_at_creation() {
        let dir = tempfile::tempdir().unwrap();
        let err =
            SyslogDevice::with_socket_path(&Options::new(), &dir.path().join("nope")).unwrap_err();
        assert!(matches!(err, AuditError::SyslogUnavailable(_)));
        assert!(err.to_string().contains("syslog socket unavailable"));
    }

    #[test]
    fn bad_options_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let _server = StdDatagram::bind(&path).unwrap();
        let mut o = Options::new();
        o.insert("facility".into(), "nonsense".into());
        assert!(SyslogDevice::with_socket_path(&o, &path).is_err());
        let mut o = Options::new();
        o.insert("tag".into(), "has space".into());
        assert!(SyslogDevice::with_socket_path(&o, &path).is_err());
    }
}
