//! One lease as stored behind the barrier, and how `sys/leases/lookup` shows it.

use crate::tokens::entry_time;
use serde::{Deserialize, Serialize};
use std::fmt;
use tresor_sdk::{Data, Value};

/// What a lease stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum Leased {
    /// A secret an engine issued; the engine revokes it.
    Secret {
        /// The accessor of the issuing mount (a remount keeps it).
        mount_accessor: String,
        /// The creating request's path relative to the mount.
        rel_path: String,
        /// The engine's own TTL ceiling, seconds (0: none).
        max_ttl: u64,
    },
    /// A service token with a TTL; revoking the lease revokes the token's tree.
    Token { sid: String },
}

#[derive(Clone, Serialize, Deserialize)]
pub struct LeaseEntry {
    pub id: String,
    /// The request path that created the lease (`database/creds/ro`, `auth/token/create`).
    pub path: String,
    pub leased: Leased,
    /// The storage id of the token the lease belongs to: revoking it revokes the lease.
    pub owner: Option<String>,
    pub internal: Data,
    /// Unix seconds.
    pub issue_time: i64,
    pub expire_time: i64,
    pub last_renewal: Option<i64>,
    pub renewable: bool,
}

/// The part of a stored [`LeaseEntry`] that restoring the queue needs: decoding only
/// this skips building the internal data's values.
#[derive(Deserialize)]
pub(super) struct Deadline {
    pub id: String,
    pub expire_time: i64,
}

impl fmt::Debug for LeaseEntry {
    /// The internal data names credentials: only its keys are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseEntry")
            .field("id", &self.id)
            .field("path", &self.path)
            .field("leased", &self.leased)
            .field("internal_keys", &self.internal.keys().collect::<Vec<_>>())
            .field("expire_time", &self.expire_time)
            .finish_non_exhaustive()
    }
}

impl LeaseEntry {
    /// Seconds left; 0 for a lease that never expires.
    pub fn ttl_left(&self, now: i64) -> u64 {
        if self.expire_time == 0 {
            return 0;
        }
        u64::try_from(self.expire_time.saturating_sub(now)).unwrap_or(0)
    }

    /// The `data` of `sys/leases/lookup`.
    pub fn lookup_data(&self, now: i64) -> Data {
        let time = |t: i64| {
            if t == 0 {
                Value::Null
            } else {
                entry_time(t).map_or(Value::Null, Value::from)
            }
        };
        let mut d = Data::new();
        d.insert("expire_time".into(), time(self.expire_time));
        d.insert("id".into(), self.id.clone().into());
        d.insert("issue_time".into(), time(self.issue_time));
        d.insert(
            "last_renewal".into(),
            self.last_renewal.map_or(Value::Null, time),
        );
        d.insert("path".into(), self.path.clone().into());
        d.insert(
            "renewable".into(),
            (self.renewable && (self.expire_time == 0 || self.expire_time > now)).into(),
        );
        d.insert("ttl".into(), self.ttl_left(now).into());
        d
    }
}

/// The lease of a service token: Vault's `<creation path>/h<salted id>`.
pub fn token_lease_id(token_path: &str, sid: &str) -> String {
    format!("{}/h{sid}", token_path.trim_end_matches('/'))
}
