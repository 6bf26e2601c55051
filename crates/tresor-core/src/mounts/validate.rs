//! Checks on mount paths.

use super::entry::{MountEntry, Table};
use tresor_sdk::Error;

/// Secret-engine paths that belong to the system.
const RESERVED: &[&str] = &["sys/", "auth/", "cubbyhole/", "identity/"];

/// The mount path with exactly one trailing slash; refuses empty, `..` and odd paths.
pub fn normalize(path: &str) -> Result<String, Error> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Err(Error::bad_request("a mount path is required"));
    }
    if trimmed
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(Error::bad_request(format!(
            "invalid mount path {trimmed:?}"
        )));
    }
    Ok(format!("{trimmed}/"))
}

/// Refuses a new secret-engine path under a reserved prefix.
pub fn check_not_reserved(path: &str) -> Result<(), Error> {
    if RESERVED.iter().any(|r| path.starts_with(r)) {
        return Err(Error::bad_request(format!("cannot mount {path:?}")));
    }
    Ok(())
}

/// Refuses a path that is inside, or contains, an existing mount of the same table.
pub fn check_free(entries: &[MountEntry], table: Table, path: &str) -> Result<(), Error> {
    for e in entries.iter().filter(|e| e.table == table) {
        if path.starts_with(&e.path) || e.path.starts_with(path) {
            let shown = match table {
                Table::Secrets => e.path.clone(),
                Table::Auth => format!("auth/{}", e.path),
            };
            return Err(Error::bad_request(format!(
                "path is already in use at {shown}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("secret").unwrap(), "secret/");
        assert_eq!(normalize("/a/b/").unwrap(), "a/b/");
        assert!(normalize("").is_err());
        assert!(normalize("a/../b").is_err());
        assert!(normalize("a//b").is_err());
        assert!(check_not_reserved("sys/x/").is_err());
        assert!(check_not_reserved("system/").is_ok());
    }
}
