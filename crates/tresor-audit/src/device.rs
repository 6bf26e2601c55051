//! The device trait and the factory that builds a device from `sys/audit` options.

use crate::AuditError;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Options as `sys/audit/<path>` receives them.
pub type Options = BTreeMap<String, String>;

/// Somewhere an audit line can be written.
#[async_trait::async_trait]
pub trait Device: Send + Sync + std::fmt::Debug {
    /// `file`, `socket` or `syslog`.
    fn kind(&self) -> &'static str;

    /// The device's own options (as `sys/audit` lists them).
    fn options(&self) -> Options;

    /// Write one complete entry (a JSON line). An error means the entry was not recorded.
    async fn log(&self, line: &[u8]) -> Result<(), AuditError>;

    /// Reopen the underlying file or connection (SIGHUP, log rotation).
    async fn reopen(&self) -> Result<(), AuditError> {
        Ok(())
    }
}

/// Build a device of `kind` from its options.
pub async fn create(kind: &str, options: &Options) -> Result<Arc<dyn Device>, AuditError> {
    match kind {
        "file" => Ok(Arc::new(crate::file::FileDevice::new(options)?)),
        "socket" => Ok(Arc::new(crate::socket::SocketDevice::new(options)?)),
        "syslog" => Ok(Arc::new(crate::syslog::SyslogDevice::new(options)?)),
        other => Err(AuditError::UnknownKind(other.to_owned())),
    }
}
