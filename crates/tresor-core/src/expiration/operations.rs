//! What the core does with leases: register them as answers and tokens are made, renew
//! them, revoke them (through the engine that issued them, or by revoking a token's
//! tree), and expire what is due.

use super::{token_lease_id, valid_id, LeaseEntry, Leased};
use crate::core::Unsealed;
use crate::mounts::Mounted;
use crate::tokens::{TokenEntry, TokenKind};
use std::sync::Arc;
use std::time::Duration;
use tresor_crypto::{random, SecretString};
use tresor_sdk::duration::format_go;
use tresor_sdk::{Data, Error, LeaseRequest, LogicalBackend, Response, SecretLease};

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl Unsealed {
    /// Stores a new service token and its lease (one that never expires for a token
    /// without a TTL, as Vault lists every service token's lease).
    pub(crate) async fn create_token(
        &self,
        entry: &TokenEntry,
        id: Option<SecretString>,
    ) -> Result<SecretString, Error> {
        let token = self.tokens.create(entry, id).await?;
        if entry.kind == TokenKind::Service {
            let sid = self.tokens.storage_id(&token);
            self.expiration.put(&token_lease(&sid, entry, None)).await?;
        }
        Ok(token)
    }

    /// Moves a renewed token's lease to its new expiry.
    pub(crate) async fn token_renewed(
        &self,
        sid: &str,
        entry: &TokenEntry,
        now: i64,
    ) -> Result<(), Error> {
        self.expiration
            .put(&token_lease(sid, entry, Some(now)))
            .await
    }

    /// Registers the lease of an engine's answer and fills the answer's lease fields.
    /// The lease belongs to the caller's token (a batch token's parent), and its TTL is
    /// bounded by the engine's, the mount's and (for a batch token) the token's own.
    pub(crate) async fn register_secret(
        &self,
        mounted: &Mounted,
        path: &str,
        caller: &TokenEntry,
        caller_sid: &str,
        resp: &mut Response,
        now: i64,
    ) -> Result<(), Error> {
        let Some(secret) = resp.secret.take() else {
            return Ok(());
        };
        let mut ttl = if secret.ttl.is_zero() {
            mounted.info.default_lease_ttl
        } else {
            secret.ttl
        };
        let mut max = mounted.info.max_lease_ttl;
        if !secret.max_ttl.is_zero() {
            max = max.min(secret.max_ttl);
        }
        ttl = ttl.min(max);
        let owner = match caller.kind {
            TokenKind::Service => Some(caller_sid.to_owned()),
            TokenKind::Batch => {
                if caller.expire_at != 0 {
                    ttl = ttl.min(Duration::from_secs(caller.ttl_left(now)));
                }
                caller.parent.clone()
            }
        };
        let suffix = random::base62(24).map_err(|e| Error::internal(e.to_string()))?;
        let id = format!("{}/{}", path.trim_end_matches('/'), suffix.expose());
        let rel = path
            .strip_prefix(mounted.route.as_str())
            .unwrap_or(path)
            .to_owned();
        let entry = LeaseEntry {
            id: id.clone(),
            path: path.to_owned(),
            leased: Leased::Secret {
                mount_accessor: mounted.entry.accessor.clone(),
                rel_path: rel,
                max_ttl: secret.max_ttl.as_secs(),
            },
            owner,
            internal: secret.internal,
            issue_time: now,
            expire_time: now.saturating_add(secs(ttl)),
            last_renewal: None,
            renewable: secret.renewable,
        };
        self.expiration.put(&entry).await?;
        resp.lease_id = id;
        resp.lease_duration = ttl.as_secs();
        resp.renewable = secret.renewable;
        Ok(())
    }

    /// `sys/leases/renew`: asks the issuing engine for new terms, bounded by the lease's
    /// maximum (the engine's and the mount's, counted from issue).
    pub(crate) async fn renew_lease(
        &self,
        id: &str,
        increment: Duration,
        now: i64,
    ) -> Result<Response, Error> {
        let mut entry = self
            .expiration
            .get(id)
            .await?
            .ok_or_else(|| Error::bad_request("lease not found"))?;
        let Leased::Secret {
            mount_accessor,
            rel_path,
            max_ttl,
        } = entry.leased.clone()
        else {
            return Err(Error::bad_request(
                "tokens cannot be renewed through this endpoint",
            ));
        };
        if !entry.renewable || entry.expire_time <= now {
            return Err(Error::bad_request("lease is not renewable"));
        }
        let (mounted, backend) = self
            .issuer(&mount_accessor)
            .ok_or_else(|| Error::bad_request("lease is not renewable"))?;
        let terms: SecretLease = backend
            .renew_secret(&LeaseRequest {
                lease_id: &entry.id,
                path: &rel_path,
                internal: &entry.internal,
                increment,
                issue_time: entry.issue_time,
                mount: &mounted.info,
            })
            .await?;
        let wanted = [terms.ttl, increment, mounted.info.default_lease_ttl]
            .into_iter()
            .find(|d| !d.is_zero())
            .unwrap_or_default();
        let mut max = mounted.info.max_lease_ttl;
        for ceiling in [terms.max_ttl.as_secs(), max_ttl] {
            if ceiling > 0 {
                max = max.min(Duration::from_secs(ceiling));
            }
        }
        let left = u64::try_from(entry.issue_time.saturating_add(secs(max)) - now).unwrap_or(0);
        let granted = wanted.as_secs().min(left);
        let mut resp = Response::empty();
        // The warning compares with what the client asked for (an engine may already
        // have capped its own answer).
        let asked = if increment.is_zero() {
            wanted
        } else {
            increment
        };
        if granted < asked.as_secs() {
            resp.warnings.push(format!(
                "TTL of {:?} exceeded the effective max_ttl of {:?}; TTL value is capped accordingly",
                format_go(asked),
                format_go(Duration::from_secs(granted))
            ));
        }
        entry.expire_time = now.saturating_add(i64::try_from(granted).unwrap_or(i64::MAX));
        entry.last_renewal = Some(now);
        entry.renewable = terms.renewable;
        if !terms.internal.is_empty() {
            entry.internal = terms.internal;
        }
        self.expiration.put(&entry).await?;
        resp.lease_id = entry.id;
        resp.lease_duration = granted;
        resp.renewable = entry.renewable;
        Ok(resp)
    }

    /// The mount (by accessor, so a remount keeps its leases) and its backend.
    fn issuer(&self, accessor: &str) -> Option<(Mounted, Arc<dyn LogicalBackend>)> {
        let router = self.mounts.router();
        let mounted = router.by_accessor(accessor)?.clone();
        let backend = mounted.backend.clone()?;
        Some((mounted, backend))
    }

    /// Revokes one lease; an unknown lease is already revoked. `force` forgets the lease
    /// even when its engine fails to revoke the secret.
    pub(crate) async fn revoke_lease(&self, id: &str, force: bool) -> Result<(), Error> {
        let Some(entry) = self.expiration.get(id).await? else {
            return Ok(());
        };
        match &entry.leased {
            Leased::Token { sid } => {
                let sid = sid.clone();
                self.revoke_tokens(&sid, false).await?;
                self.expiration.remove(&entry).await
            }
            Leased::Secret { .. } => self.revoke_secret(&entry, force).await,
        }
    }

    async fn revoke_secret(&self, entry: &LeaseEntry, force: bool) -> Result<(), Error> {
        let Leased::Secret {
            mount_accessor,
            rel_path,
            ..
        } = &entry.leased
        else {
            return Ok(());
        };
        match self.issuer(mount_accessor) {
            Some((mounted, backend)) => {
                let outcome = backend
                    .revoke_secret(&LeaseRequest {
                        lease_id: &entry.id,
                        path: rel_path,
                        internal: &entry.internal,
                        increment: Duration::ZERO,
                        issue_time: entry.issue_time,
                        mount: &mounted.info,
                    })
                    .await;
                if let Err(e) = outcome {
                    if !force {
                        return Err(e);
                    }
                    tracing::warn!(lease = %entry.id, error = %e, "forced revocation: the engine failed, the lease is forgotten");
                }
            }
            None => {
                tracing::warn!(lease = %entry.id, "the mount that issued this lease is gone; the lease is forgotten");
            }
        }
        self.expiration.remove(entry).await
    }

    /// Revokes every lease under `prefix` (a folder of lease ids).
    pub(crate) async fn revoke_prefix(&self, prefix: &str, force: bool) -> Result<usize, Error> {
        let mut folder = prefix.trim_matches('/').to_owned();
        if folder.is_empty() || !valid_id(&folder) {
            return Err(Error::bad_request("a prefix of lease ids is required"));
        }
        folder.push('/');
        let ids = self.expiration.walk(&folder).await?;
        for id in &ids {
            self.revoke_lease(id, force).await.map_err(|e| {
                Error::bad_request(format!("failed to revoke {id:?} (1 of {}): {e}", ids.len()))
            })?;
        }
        Ok(ids.len())
    }

    /// Revokes a token (with its tree unless `orphan_children`), then the leases each
    /// revoked token owned, and destroys their cubbyholes. A secret whose engine fails to
    /// revoke keeps its lease, and its expiry tries again.
    pub(crate) async fn revoke_tokens(
        &self,
        sid: &str,
        orphan_children: bool,
    ) -> Result<(), Error> {
        let revoked = if orphan_children {
            self.tokens.revoke_orphan(sid).await?
        } else {
            self.tokens.revoke_tree(sid).await?
        };
        for token in &revoked {
            self.revoke_owned(token).await?;
        }
        self.mounts.destroy_cubbyholes(&revoked).await
    }

    async fn revoke_owned(&self, owner: &str) -> Result<(), Error> {
        for id in self.expiration.owned_by(owner).await? {
            let Some(entry) = self.expiration.get(&id).await? else {
                self.expiration.forget_owner_entry(owner, &id).await?;
                continue;
            };
            if matches!(entry.leased, Leased::Token { .. }) {
                self.expiration.remove(&entry).await?;
            } else if let Err(e) = self.revoke_secret(&entry, false).await {
                tracing::warn!(lease = %entry.id, error = %e, "revoking a lease of a revoked token failed; it is retried at expiry");
            }
        }
        Ok(())
    }

    /// Revokes every lease due at `now`; a failed revocation is retried later. Returns
    /// how many were revoked.
    pub(crate) async fn expire_due(&self, now: i64) -> Result<usize, Error> {
        let mut revoked = 0;
        loop {
            let due = self.expiration.take_due(now);
            if due.is_empty() {
                return Ok(revoked);
            }
            for id in due {
                // A renewal may have moved the lease since it was queued.
                match self.expiration.get(&id).await? {
                    Some(entry) if entry.expire_time > now => {
                        self.expiration.retry_at(&id, entry.expire_time);
                        continue;
                    }
                    None => continue,
                    Some(_) => {}
                }
                match self.revoke_lease(&id, false).await {
                    Ok(()) => revoked += 1,
                    Err(e) if e.kind() == tresor_sdk::ErrorKind::Sealed => return Err(e),
                    Err(e) => {
                        let delay = self.expiration.failed(&id, now);
                        tracing::warn!(lease = %id, error = %e, retry_in_secs = delay, "revocation at expiry failed");
                    }
                }
            }
        }
    }

    /// `sys/leases/tidy`: revokes the leases whose token no longer exists and drops index
    /// entries that point at nothing. Returns how many leases were revoked.
    pub(crate) async fn tidy_leases(&self, now: i64) -> Result<usize, Error> {
        let mut revoked = 0;
        for owner in self.expiration.owners().await? {
            if self.tokens.get(&owner, now).await?.is_some() {
                continue;
            }
            for id in self.expiration.owned_by(&owner).await? {
                match self.expiration.get(&id).await? {
                    None => self.expiration.forget_owner_entry(&owner, &id).await?,
                    Some(_) => {
                        if self.revoke_lease(&id, false).await.is_ok() {
                            revoked += 1;
                        }
                    }
                }
            }
        }
        Ok(revoked)
    }
}

/// The lease of a service token (`renewed`: the time of a renewal).
fn token_lease(sid: &str, entry: &TokenEntry, renewed: Option<i64>) -> LeaseEntry {
    LeaseEntry {
        id: token_lease_id(&entry.path, sid),
        path: entry.path.clone(),
        leased: Leased::Token {
            sid: sid.to_owned(),
        },
        owner: Some(sid.to_owned()),
        internal: Data::new(),
        issue_time: entry.creation_time,
        expire_time: entry.expire_at,
        last_renewal: renewed,
        renewable: entry.renewable,
    }
}
