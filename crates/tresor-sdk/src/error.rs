use tresor_storage::StorageError;

/// What kind of failure an error is; the HTTP layer maps each kind to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400
    BadRequest,
    /// 403
    PermissionDenied,
    /// 404
    NotFound,
    /// 405
    UnsupportedOperation,
    /// 413
    TooLarge,
    /// 429
    RateLimited,
    /// 500
    Internal,
    /// 501
    NotInitialized,
    /// 503
    Sealed,
}

/// An error that reaches the client. Messages never hold a secret, a token or a raw body.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(String),
    #[error("permission denied")]
    PermissionDenied,
    /// A 403 with its own message (`bad token` from a token lookup).
    #[error("{0}")]
    Forbidden(String),
    /// A missing value: an empty error list, as Vault answers for an absent secret.
    #[error("not found")]
    NotFound,
    /// No backend handles the path.
    #[error("no handler for route {path:?}. route entry not found.")]
    NoRoute { path: String },
    #[error("unsupported operation")]
    UnsupportedOperation,
    /// A method the endpoint does not take, answered with an empty error list.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A `sys/` path that does not exist.
    #[error("unsupported path")]
    UnsupportedPath,
    #[error("{0}")]
    TooLarge(String),
    #[error("Vault is sealed")]
    Sealed,
    #[error("Vault is not initialized")]
    NotInitialized,
    #[error("internal error")]
    Internal(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Error {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Error::BadRequest(msg.into())
    }

    pub fn internal(context: impl Into<String>) -> Self {
        Error::Internal(context.into())
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::BadRequest(_) => ErrorKind::BadRequest,
            Error::PermissionDenied | Error::Forbidden(_) => ErrorKind::PermissionDenied,
            Error::NotFound | Error::NoRoute { .. } | Error::UnsupportedPath => ErrorKind::NotFound,
            Error::UnsupportedOperation | Error::MethodNotAllowed => {
                ErrorKind::UnsupportedOperation
            }
            Error::TooLarge(_) => ErrorKind::TooLarge,
            Error::Sealed | Error::Storage(StorageError::Sealed) => ErrorKind::Sealed,
            Error::NotInitialized => ErrorKind::NotInitialized,
            Error::Storage(StorageError::InvalidKey(_)) => ErrorKind::BadRequest,
            Error::Internal(_) | Error::Storage(_) => ErrorKind::Internal,
        }
    }

    /// The messages for the `errors` list of the response body.
    pub fn messages(&self) -> Vec<String> {
        match self {
            Error::NotFound | Error::MethodNotAllowed => Vec::new(),
            // The detail of an internal failure goes to the server log, not the client.
            Error::Internal(_) => vec!["internal error".to_owned()],
            Error::Storage(StorageError::Io(_)) => vec!["storage failure".to_owned()],
            Error::Storage(StorageError::Corrupt { .. }) => {
                vec!["a stored entry failed its integrity check".to_owned()]
            }
            other => vec![other.to_string()],
        }
    }
}
