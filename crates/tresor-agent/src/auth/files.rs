//! Credentials read from files (role IDs, secret IDs, JWTs, tokens).

use super::AuthError;
use std::path::Path;

/// The trimmed content of `path`; `Ok(None)` when the file does not exist.
pub fn read_credential(path: &Path, what: &str) -> Result<Option<String>, AuthError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let value = text.trim().to_owned();
            if value.is_empty() {
                return Err(AuthError::Credentials(format!(
                    "the {what} file {} is empty",
                    path.display()
                )));
            }
            Ok(Some(value))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AuthError::Credentials(format!(
            "reading the {what} file {}: {e}",
            path.display()
        ))),
    }
}

/// Removes a credential file after it was read; a failure is logged, not fatal.
pub fn remove_credential(path: &Path, what: &str) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!(path = %path.display(), error = %e, "could not remove the {what} file");
    }
}
