//! What a secret engine or auth method implements, and what it is given.

use crate::{Clock, Data, Error, LeaseRequest, Operation, RenewTerms, Response, SecretLease};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tresor_storage::View;

/// A mount as its backend sees it; read from the mount table for every request, so a
/// tune applies at once.
#[derive(Debug, Clone, Default)]
pub struct MountInfo {
    /// The mount path with its trailing slash (`secret/`).
    pub path: String,
    pub kind: String,
    pub accessor: String,
    /// The effective TTLs: the mount's own, or the system's when the mount sets none.
    pub default_lease_ttl: Duration,
    pub max_lease_ttl: Duration,
    pub options: BTreeMap<String, String>,
}

/// One request, routed to a backend: the path is relative to the mount.
pub struct BackendRequest<'a> {
    pub id: &'a str,
    /// `Create` or `Update` for writes, decided by the backend's existence check.
    pub operation: Operation,
    pub path: &'a str,
    pub data: &'a Data,
    pub mount: &'a MountInfo,
    /// The salted hash of the caller's token: a stable, non-secret identity for
    /// per-token storage (cubbyhole). `None` for unauthenticated requests.
    pub token_hash: Option<&'a str>,
    /// The client's IP address, for CIDR-bound credentials.
    pub client_addr: Option<&'a str>,
    /// The caller's token display name (`token`, `userpass-alice`), which generated
    /// usernames carry; empty for logins.
    pub display_name: &'a str,
    /// The TLS client certificate chain (DER, leaf first; empty without one), unverified.
    pub peer_certificates: &'a [Vec<u8>],
}

impl fmt::Debug for BackendRequest<'_> {
    /// Data values may be secrets (passwords, secret IDs): only their keys are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendRequest")
            .field("id", &self.id)
            .field("operation", &self.operation)
            .field("path", &self.path)
            .field("data_keys", &self.data.keys().collect::<Vec<_>>())
            .field("mount", &self.mount.path)
            .field("client_addr", &self.client_addr)
            .finish_non_exhaustive()
    }
}

/// What the core offers every backend beyond its own storage.
#[async_trait]
pub trait SystemView: Send + Sync + fmt::Debug {
    /// A password generated from the named policy (`sys/policies/password/<name>`); an
    /// empty name is the default policy (20 characters, at least one lowercase letter,
    /// uppercase letter, digit and `-`, as Vault's).
    async fn generate_password(&self, policy: &str) -> Result<tresor_crypto::SecretString, Error>;
}

/// A system view with no password policies (tests, tools).
#[derive(Debug, Default)]
pub struct NoSystemView;

#[async_trait]
impl SystemView for NoSystemView {
    async fn generate_password(&self, policy: &str) -> Result<tresor_crypto::SecretString, Error> {
        Err(Error::bad_request(format!(
            "password policy {policy:?} does not exist"
        )))
    }
}

/// What a token issued by an auth method's login remembers of it, shown to the method
/// when the token is renewed.
#[derive(Debug, Clone, Copy)]
pub struct LoginRecord<'a> {
    /// The token's metadata (the login's `metadata`).
    pub metadata: &'a BTreeMap<String, String>,
    /// The token's own policies.
    pub policies: &'a [String],
    /// The login path relative to the mount (`login`, `login/alice`).
    pub path: &'a str,
    /// What the method kept with the token (the login's `internal_data`).
    pub internal_data: &'a BTreeMap<String, String>,
}

/// What a backend is built from when it is mounted.
#[derive(Clone)]
pub struct MountContext {
    /// The mount's private storage (`logical/<uuid>/` behind the barrier).
    pub storage: View,
    pub info: MountInfo,
    pub clock: Arc<dyn Clock>,
    pub system: Arc<dyn SystemView>,
}

impl fmt::Debug for MountContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MountContext")
            .field("storage", &self.storage.prefix())
            .field("info", &self.info)
            .finish()
    }
}

/// Builds a backend for a mount; registered by type name (`kv`, `cubbyhole`...).
pub type Factory = fn(MountContext) -> Result<Arc<dyn LogicalBackend>, Error>;

#[async_trait]
pub trait LogicalBackend: Send + Sync + fmt::Debug {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error>;

    /// Runs once after the backend is built (mount, unseal, tune of its options), before
    /// it serves: the place for storage upgrades.
    async fn initialize(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Paths (relative to the mount) that take no token: an auth method's login
    /// endpoints. A trailing `*` matches any rest of the path.
    fn login_paths(&self) -> &'static [&'static str] {
        &[]
    }

    /// Vault's existence check: whether the target of a write exists, which makes the
    /// write an `update` (else a `create`) for the ACL. `None`: the path has no check and
    /// every write is an update.
    async fn exists(&self, _req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        Ok(None)
    }

    /// Extends a lease this backend issued: answers the new terms (the core still bounds
    /// the TTL by the mount's and the system's maximums). By default leases don't renew.
    async fn renew_secret(&self, _req: &LeaseRequest<'_>) -> Result<SecretLease, Error> {
        Err(Error::bad_request("lease is not renewable"))
    }

    /// Revokes the secret behind a lease this backend issued (drops a database user...).
    /// An error keeps the lease, and the revocation is retried.
    async fn revoke_secret(&self, _req: &LeaseRequest<'_>) -> Result<(), Error> {
        Ok(())
    }

    /// Called when a token this auth method issued is renewed, with the renewal request
    /// (its client certificate, address) and what the login recorded: the method may
    /// refuse (the user is gone, the certificate differs), and answers the token's terms
    /// as they stand now (`None`: the token keeps the terms it was issued with). By
    /// default renewal is allowed under the token's own terms.
    async fn renew_login(
        &self,
        _req: &BackendRequest<'_>,
        _login: &LoginRecord<'_>,
    ) -> Result<Option<RenewTerms>, Error> {
        Ok(None)
    }

    /// Called by the core every few seconds while unsealed (and by tests on demand): the
    /// place for scheduled work such as rotating static credentials. Errors are logged.
    async fn periodic(&self) -> Result<(), Error> {
        Ok(())
    }
}
