//! What the identity store knows of auth mounts: only what the core tells it.

/// An auth mount, as the mount table holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthMount {
    /// The mount path with its trailing slash, relative to `auth/` (`userpass/`); a path
    /// that already starts with `auth/` is taken as is.
    pub path: String,
    /// The auth method's type (`userpass`, `approle`...).
    pub kind: String,
    /// The mount's accessor (`auth_userpass_1a2b3c4d`).
    pub accessor: String,
}

impl AuthMount {
    /// The path Vault shows as an alias's `mount_path` (`auth/userpass/`).
    pub fn full_path(&self) -> String {
        if self.path.starts_with("auth/") {
            self.path.clone()
        } else {
            format!("auth/{}", self.path)
        }
    }
}

/// Resolves auth mount accessors; implemented by the core over its mount table.
pub trait AuthMounts: Send + Sync + std::fmt::Debug {
    fn by_accessor(&self, accessor: &str) -> Option<AuthMount>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_path_is_under_auth() {
        let mut m = AuthMount {
            path: "userpass/".into(),
            ..AuthMount::default()
        };
        assert_eq!(m.full_path(), "auth/userpass/");
        m.path = "auth/userpass/".into();
        assert_eq!(m.full_path(), "auth/userpass/");
    }
}
