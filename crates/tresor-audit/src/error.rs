//! Typed audit errors. Messages name paths and kinds, never an entry, a token or data.

/// Everything that can go wrong while enabling a device or writing an entry.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Devices are enabled and none of them recorded the entry: the request must be refused.
    #[error("no audit device recorded the entry")]
    NoDeviceRecorded,
    #[error("unknown audit device type {0:?}")]
    UnknownKind(String),
    #[error("invalid audit option {key:?}: {reason}")]
    InvalidOption { key: String, reason: &'static str },
    #[error("missing audit option {0:?}")]
    MissingOption(&'static str),
    #[error("an audit device is already enabled at {0:?}")]
    PathInUse(String),
    #[error("no audit device is enabled at {0:?}")]
    NotFound(String),
    #[error("unsafe audit file location: {0}")]
    UnsafeLocation(&'static str),
    #[error("audit {kind} device I/O error: {source}")]
    Io {
        kind: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("audit {0} device write timed out")]
    Timeout(&'static str),
    #[error("syslog socket unavailable: {0}")]
    SyslogUnavailable(#[source] std::io::Error),
    #[error("audit device task failed")]
    Task,
    #[error("system randomness unavailable")]
    Random,
    #[error("audit entry could not be encoded")]
    Encode,
}

impl AuditError {
    pub(crate) fn io(kind: &'static str) -> impl FnOnce(std::io::Error) -> AuditError {
        move |source| AuditError::Io { kind, source }
    }
}
