//! Capabilities: the words a path rule grants, and a small bit set of them.

use std::fmt;

/// One capability a path rule can grant.
///
/// `subscribe` and `recover` (Vault's event subscription and snapshot recovery) and
/// `scan` (OpenBao's recursive listing) are accepted so policies written for those
/// servers load; they are kept, merged and reported by `sys/capabilities` like any other,
/// but no operation tresor serves today is granted by `subscribe` or `recover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// Create data at a path (`POST`/`PUT` on a new entry).
    Create,
    /// Delete (`DELETE`).
    Delete,
    /// Explicit deny: overrides every other capability of the same rule.
    Deny,
    /// List keys (`LIST`).
    List,
    /// Partial update (`PATCH`).
    Patch,
    /// Read (`GET`).
    Read,
    /// Vault's snapshot recovery (accepted, reported, grants nothing here).
    Recover,
    /// OpenBao's recursive listing (`SCAN`).
    Scan,
    /// Vault's event subscription (accepted, reported, grants nothing here).
    Subscribe,
    /// Access to root-protected paths, together with the operation's capability.
    Sudo,
    /// Update (`POST`/`PUT`).
    Update,
}

impl Capability {
    /// Every capability, in the alphabetical order `sys/capabilities` reports them.
    pub const ALL: [Capability; 11] = [
        Capability::Create,
        Capability::Delete,
        Capability::Deny,
        Capability::List,
        Capability::Patch,
        Capability::Read,
        Capability::Recover,
        Capability::Scan,
        Capability::Subscribe,
        Capability::Sudo,
        Capability::Update,
    ];

    /// The name used in policies and API answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Create => "create",
            Capability::Delete => "delete",
            Capability::Deny => "deny",
            Capability::List => "list",
            Capability::Patch => "patch",
            Capability::Read => "read",
            Capability::Recover => "recover",
            Capability::Scan => "scan",
            Capability::Subscribe => "subscribe",
            Capability::Sudo => "sudo",
            Capability::Update => "update",
        }
    }

    /// The capability named `name` (case-sensitive, as in Vault).
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == name)
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of capabilities. A set holding `deny` holds nothing else (deny overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u16);

impl Capabilities {
    /// The empty set.
    pub const EMPTY: Capabilities = Capabilities(0);

    /// Whether `cap` is in the set.
    pub fn contains(self, cap: Capability) -> bool {
        self.0 & cap.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the set is an explicit deny.
    pub fn is_deny(self) -> bool {
        self.contains(Capability::Deny)
    }

    /// The set with `cap` added; adding `deny` leaves only `deny`.
    #[must_use]
    pub fn with(self, cap: Capability) -> Capabilities {
        self.union(Capabilities(cap.bit()))
    }

    /// The union of two sets, where deny wins over everything.
    #[must_use]
    pub fn union(self, other: Capabilities) -> Capabilities {
        let deny = Capability::Deny.bit();
        if (self.0 | other.0) & deny != 0 {
            Capabilities(deny)
        } else {
            Capabilities(self.0 | other.0)
        }
    }

    /// The capabilities in the set, alphabetically.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter()
            .fold(Capabilities::EMPTY, Capabilities::with)
    }
}

impl serde::Serialize for Capabilities {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The capabilities of Vault's legacy `policy = "..."` shorthand, or `None` for an
/// unknown word.
pub(crate) fn legacy_policy(word: &str) -> Option<Capabilities> {
    use Capability::*;
    let caps: &[Capability] = match word {
        "deny" => &[Deny],
        "read" => &[Read, List],
        "write" => &[Read, List, Create, Update, Delete],
        "sudo" => &[Read, List, Create, Update, Delete, Sudo],
        _ => return None,
    };
    Some(caps.iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_all_is_sorted() {
        for c in Capability::ALL {
            assert_eq!(Capability::from_name(c.as_str()), Some(c));
        }
        let names: Vec<_> = Capability::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(Capability::from_name("Read"), None);
        assert_eq!(Capability::from_name("root"), None);
    }

    #[test]
    fn deny_absorbs_everything() {
        let rw: Capabilities = [Capability::Read, Capability::Sudo].into_iter().collect();
        let denied = rw.with(Capability::Deny);
        assert!(denied.is_deny());
        assert_eq!(denied.iter().count(), 1);
        assert_eq!(rw.union(denied), denied);
        assert_eq!(denied.with(Capability::Read), denied);
    }

    #[test]
    fn legacy_words() {
        let sudo = legacy_policy("sudo").unwrap();
        let names: Vec<_> = sudo.iter().map(Capability::as_str).collect();
        assert_eq!(
            names,
            ["create", "delete", "list", "read", "sudo", "update"]
        );
        assert!(legacy_policy("deny").unwrap().is_deny());
        assert!(legacy_policy("banana").is_none());
        assert_eq!(
            serde_json::to_string(&legacy_policy("read").unwrap()).unwrap(),
            r#"["list","read"]"#
        );
    }
}
