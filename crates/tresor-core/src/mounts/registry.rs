//! The backends the binary registers by type name (`kv`, `cubbyhole`, `userpass`...).

use super::entry::Table;
use std::collections::BTreeMap;
use std::fmt;
use tresor_sdk::Factory;

/// Types the core serves itself; they cannot be registered or mounted again.
pub const BUILTIN: &[(Table, &str)] = &[
    (Table::Secrets, "system"),
    (Table::Secrets, "identity"),
    (Table::Auth, "token"),
];

#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<(TableKey, String), Factory>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TableKey(bool);

impl From<Table> for TableKey {
    fn from(t: Table) -> Self {
        TableKey(t == Table::Auth)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.factories.keys().map(|(t, k)| (t.0, k)))
            .finish()
    }
}

impl Registry {
    pub fn register(&mut self, table: Table, kind: &str, factory: Factory) {
        self.factories
            .insert((table.into(), kind.to_owned()), factory);
    }

    pub fn get(&self, table: Table, kind: &str) -> Option<Factory> {
        self.factories
            .get(&(table.into(), kind.to_owned()))
            .copied()
    }

    pub fn has(&self, table: Table, kind: &str) -> bool {
        self.get(table, kind).is_some()
    }
}
