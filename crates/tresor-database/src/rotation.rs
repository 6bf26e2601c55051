//! Static roles' passwords: set at creation, on `rotate-role/<name>`, and by
//! [`rotate_due`] when the role's period or schedule says so.
//!
//! A rotation writes a WAL entry with the new password, sets it in the database, then
//! stores the role and deletes the entry in one batch: storage never lags the database
//! without an entry that can repair it (see [`crate::wal`]). A failed scheduled rotation
//! is retried after a growing pause (10 s, doubling, at most 5 min).

use crate::backend::Database;
use crate::cron::Schedule;
use crate::paths::fields::policy_of;
use crate::store::{self, StaticRole};
use crate::wal::{self, WalEntry};
use std::time::UNIX_EPOCH;
use tresor_sdk::stored::encode;
use tresor_sdk::Error;
use tresor_storage::{Backend, Op};

const FIRST_RETRY: i64 = 10;
const MAX_RETRY: i64 = 300;

/// When a role rotated at `from` rotates next (unix seconds).
pub fn next_rotation(role: &StaticRole, from: i64) -> i64 {
    if !role.rotation_schedule.is_empty() {
        if let Some(next) = Schedule::parse(&role.rotation_schedule)
            .ok()
            .and_then(|s| s.next_after(from))
        {
            return next;
        }
    }
    from.saturating_add(i64::try_from(role.rotation_period).unwrap_or(i64::MAX))
}

/// Notes in `role` that `password` was set now.
pub fn record(db: &Database, role: &mut StaticRole, password: String) {
    let now = db.now();
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    role.password = password;
    role.last_rotation_secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    role.last_rotation_nanos = since.subsec_nanos();
    role.next_rotation = next_rotation(role, role.last_rotation_secs);
}

/// Gives static role `name` (stored, or about to be, as `role`) a new password, in the
/// database and in storage. The caller holds the role's lock.
pub async fn rotate(db: &Database, name: &str, role: &mut StaticRole) -> Result<(), Error> {
    let (plugin, config) = db.conns.get(&db.storage, &role.db_name).await?;
    let policy = policy_of(&role.credential_config).unwrap_or(&config.password_policy);
    let password = db.system.generate_password(policy).await?;
    let wal_id = wal::put(
        db,
        WalEntry::StaticRotation {
            role: name.to_owned(),
            username: role.username.clone(),
            password: password.expose().to_owned(),
        },
    )
    .await?;
    if let Err(e) = plugin
        .set_password(&role.rotation_statements, &role.username, &password)
        .await
    {
        wal::delete(db, &wal_id).await?;
        return Err(e);
    }
    record(db, role, password.expose().to_owned());
    db.storage
        .batch(vec![
            Op::Put {
                key: format!("{}{name}", store::STATIC_ROLE),
                value: encode(role)?,
            },
            wal::delete_op(&wal_id),
        ])
        .await?;
    db.retry_after
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(name);
    Ok(())
}

/// Rotates stored static role `name` now.
pub async fn rotate_stored(db: &Database, name: &str) -> Result<(), Error> {
    let _guard = db.lock(&format!("static:{name}")).await?;
    let mut role: StaticRole = store::load(&db.storage, store::STATIC_ROLE, name)
        .await?
        .ok_or_else(|| Error::bad_request("no static role found for role name"))?;
    rotate(db, name, &mut role).await
}

/// Rotates every static role whose time has come (and whose last failure's pause is
/// over).
pub async fn rotate_due(db: &Database) -> Result<(), Error> {
    let now = db.clock.unix();
    let mut failures = 0usize;
    for name in db.storage.list(store::STATIC_ROLE).await? {
        let Some(role) = store::load::<StaticRole>(&db.storage, store::STATIC_ROLE, &name).await?
        else {
            continue;
        };
        let paused = db
            .retry_after
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&name)
            .is_some_and(|(until, _)| *until > now);
        if role.next_rotation > now || paused {
            continue;
        }
        if rotate_stored(db, &name).await.is_err() {
            failures += 1;
            let mut retry = db.retry_after.lock().unwrap_or_else(|e| e.into_inner());
            let pause = retry
                .get(&name)
                .map_or(FIRST_RETRY, |(_, p)| (p * 2).min(MAX_RETRY));
            retry.insert(name.clone(), (now + pause, pause));
            tracing::warn!(role = %name, "static role rotation failed; will retry");
        }
    }
    if failures > 0 {
        return Err(Error::internal(format!(
            "{failures} static role rotations failed"
        )));
    }
    Ok(())
}
