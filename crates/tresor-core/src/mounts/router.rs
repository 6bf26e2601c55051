//! An immutable snapshot of the mounts, swapped whole on every change: requests route
//! without locks, by longest matching prefix.

use super::entry::MountEntry;
use std::sync::Arc;
use tresor_sdk::{LogicalBackend, MountInfo};

/// A mount with the backend serving it; `None` for the mounts the core serves itself
/// (`sys/`, `auth/token/`).
#[derive(Debug, Clone)]
pub struct Mounted {
    pub entry: MountEntry,
    /// What the backend is told about its mount, computed when the table changes.
    pub info: Arc<MountInfo>,
    pub route: String,
    pub backend: Option<Arc<dyn LogicalBackend>>,
}

#[derive(Debug, Clone, Default)]
pub struct Router {
    /// Longest route first.
    mounts: Vec<Mounted>,
}

impl Router {
    pub fn new(mut mounts: Vec<Mounted>) -> Self {
        mounts.sort_by(|a, b| {
            b.route
                .len()
                .cmp(&a.route.len())
                .then_with(|| a.route.cmp(&b.route))
        });
        Self { mounts }
    }

    /// The mount serving `path` and the path relative to it. A path equal to a mount
    /// without its slash (`secret`) routes to that mount, as in Vault.
    pub fn route<'r, 'p>(&'r self, path: &'p str) -> Option<(&'r Mounted, &'p str)> {
        self.mounts.iter().find_map(|m| {
            if let Some(rest) = path.strip_prefix(m.route.as_str()) {
                Some((m, rest))
            } else if m.route.strip_suffix('/') == Some(path) {
                Some((m, ""))
            } else {
                None
            }
        })
    }

    /// The mount with this accessor (leases name their mount this way).
    pub fn by_accessor(&self, accessor: &str) -> Option<&Mounted> {
        self.mounts.iter().find(|m| m.entry.accessor == accessor)
    }

    pub fn mounts(&self) -> &[Mounted] {
        &self.mounts
    }

    pub fn entries(&self) -> impl Iterator<Item = &MountEntry> {
        self.mounts.iter().map(|m| &m.entry)
    }
}
