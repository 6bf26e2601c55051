//! Renewal and revocation of the leases of `creds/<name>`, and the TTL arithmetic they
//! share with issuing.

use crate::backend::Database;
use crate::store::{self, Role};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};
use tresor_sdk::{Data, Error, LeaseRequest, MountInfo, SecretLease, Value};

/// What a lease keeps to renew or revoke its user, even after the role is deleted.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct Internal {
    pub username: String,
    pub role: String,
    pub db_name: String,
    #[serde(default)]
    pub revocation_statements: Vec<String>,
}

impl Internal {
    pub fn to_data(&self) -> Data {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Data::new(),
        }
    }

    pub fn from_data(data: &Data) -> Result<Self, Error> {
        let internal: Internal = serde_json::from_value(Value::Object(data.clone()))
            .map_err(|_| Error::internal("secret is missing its internal data"))?;
        if internal.username.is_empty() {
            return Err(Error::internal("secret is missing username internal data"));
        }
        Ok(internal)
    }
}

/// `wanted` (else the mount's default), no longer than `max` (if set) nor the mount's
/// maximum.
pub fn bounded_ttl(wanted: Duration, max: Duration, mount: &MountInfo) -> Duration {
    let mut ttl = if wanted.is_zero() {
        mount.default_lease_ttl
    } else {
        wanted
    };
    if !max.is_zero() {
        ttl = ttl.min(max);
    }
    if !mount.max_lease_ttl.is_zero() {
        ttl = ttl.min(mount.max_lease_ttl);
    }
    ttl
}

/// The longest a lease may live from its issue: the role's and the mount's maximum.
fn lifetime(role_max: Duration, mount: &MountInfo) -> Duration {
    match (mount.max_lease_ttl.is_zero(), role_max.is_zero()) {
        (_, true) => mount.max_lease_ttl,
        (true, false) => role_max,
        (false, false) => mount.max_lease_ttl.min(role_max),
    }
}

/// An expiry as PostgreSQL and MySQL take it: `2027-01-15 08:00:05+0000` (UTC).
pub fn expiration(at: SystemTime) -> String {
    let dt = time::OffsetDateTime::from(at);
    let text = dt
        .format(&time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    format!("{text}+0000")
}

pub async fn renew(db: &Database, req: &LeaseRequest<'_>) -> Result<SecretLease, Error> {
    let internal = Internal::from_data(req.internal)?;
    let role: Role = store::load(&db.storage, store::ROLE, &internal.role)
        .await?
        .ok_or_else(|| {
            Error::bad_request(format!(
                "error during renew: could not find role with name {:?}",
                internal.role
            ))
        })?;
    let (plugin, _) = db.conns.get(&db.storage, &role.db_name).await?;
    let role_max = Duration::from_secs(role.max_ttl);
    let wanted = if req.increment.is_zero() {
        Duration::from_secs(role.default_ttl)
    } else {
        req.increment
    };
    let mut ttl = bounded_ttl(wanted, role_max, req.mount);
    let max = lifetime(role_max, req.mount);
    if !max.is_zero() {
        let end = req
            .issue_time
            .saturating_add(i64::try_from(max.as_secs()).unwrap_or(i64::MAX));
        let left = u64::try_from(end - db.clock.unix()).unwrap_or(0);
        ttl = ttl.min(Duration::from_secs(left));
    }
    if !ttl.is_zero() {
        let expires = expiration(db.now() + ttl + Duration::from_secs(5));
        plugin
            .renew_user(&role.renew_statements, &internal.username, &expires)
            .await?;
    }
    Ok(SecretLease {
        ttl,
        max_ttl: role_max,
        renewable: true,
        internal: Data::new(),
    })
}

pub async fn revoke(db: &Database, req: &LeaseRequest<'_>) -> Result<(), Error> {
    let internal = Internal::from_data(req.internal)?;
    let role: Option<Role> = store::load(&db.storage, store::ROLE, &internal.role).await?;
    let (db_name, statements) = match role {
        Some(r) => (r.db_name, r.revocation_statements),
        None => (
            internal.db_name.clone(),
            internal.revocation_statements.clone(),
        ),
    };
    let (plugin, _) = db.conns.get(&db.storage, &db_name).await?;
    plugin.delete_user(&statements, &internal.username).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_is_utc_with_offset() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_005);
        assert_eq!(expiration(t), "2027-01-15 08:00:05+0000");
    }

    #[test]
    fn ttl_bounds() {
        let mount = MountInfo {
            default_lease_ttl: Duration::from_secs(100),
            max_lease_ttl: Duration::from_secs(1000),
            ..MountInfo::default()
        };
        let s = Duration::from_secs;
        assert_eq!(bounded_ttl(s(0), s(0), &mount), s(100));
        assert_eq!(bounded_ttl(s(50), s(0), &mount), s(50));
        assert_eq!(bounded_ttl(s(500), s(60), &mount), s(60));
        assert_eq!(bounded_ttl(s(5000), s(0), &mount), s(1000));
        assert_eq!(lifetime(s(0), &mount), s(1000));
        assert_eq!(lifetime(s(60), &mount), s(60));
    }
}
