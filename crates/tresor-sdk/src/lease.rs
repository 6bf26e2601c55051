//! Leases as backends see them: what an engine attaches to an answer that must be revoked
//! later, and what it is given back to renew or revoke it.

use crate::{Data, MountInfo};
use std::fmt;
use std::time::Duration;

/// A secret to lease, attached by an engine to its answer ([`crate::Response::secret`]).
#[derive(Clone, Default)]
pub struct SecretLease {
    /// Zero: the mount's default TTL.
    pub ttl: Duration,
    /// The engine's own ceiling (a role's `max_ttl`); zero: only the mount's applies.
    pub max_ttl: Duration,
    pub renewable: bool,
    /// What the engine needs to revoke the secret later (a user name, a role...); stored
    /// behind the barrier with the lease and never shown to clients.
    pub internal: Data,
}

impl fmt::Debug for SecretLease {
    /// The internal data may name credentials: only its keys are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretLease")
            .field("ttl", &self.ttl)
            .field("max_ttl", &self.max_ttl)
            .field("renewable", &self.renewable)
            .field("internal_keys", &self.internal.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A renewal or revocation of one lease, handed to the engine that issued it.
pub struct LeaseRequest<'a> {
    pub lease_id: &'a str,
    /// The request path that created the lease, relative to the mount.
    pub path: &'a str,
    pub internal: &'a Data,
    /// The TTL the client asks for on renewal (zero: the engine's default).
    pub increment: Duration,
    /// Unix seconds.
    pub issue_time: i64,
    pub mount: &'a MountInfo,
}

impl fmt::Debug for LeaseRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseRequest")
            .field("lease_id", &self.lease_id)
            .field("path", &self.path)
            .field("internal_keys", &self.internal.keys().collect::<Vec<_>>())
            .field("increment", &self.increment)
            .field("mount", &self.mount.path)
            .finish()
    }
}
