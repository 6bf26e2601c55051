//! `creds/<name>`: a new database user under a lease.
//!
//! Order of work: checks, then a WAL entry naming the user, then the user is created,
//! then the WAL entry is removed and the answer carries the lease. A crash after the
//! user exists leaves the WAL entry, and [`crate::wal::rollback_stale`] drops the user.

use super::fields::policy_of;
use crate::backend::Database;
use crate::leases::{bounded_ttl, expiration, Internal};
use crate::plugin::NewUser;
use crate::store::{self, Role};
use crate::username;
use crate::wal::{self, WalEntry};
use std::time::Duration;
use tresor_sdk::{BackendRequest, Data, Error, Response, SecretLease};

/// The token display name for generated usernames: the request carries none, so every
/// caller counts as Vault's root token does (`token`).
/// The display name used when the caller has none.
pub const DISPLAY_NAME: &str = "token";

/// Vault's answer for a role a connection does not list in `allowed_roles`.
pub fn not_allowed(role: &str) -> Error {
    Error::bad_request(format!("{role:?} is not an allowed role"))
}

pub async fn create(
    db: &Database,
    req: &BackendRequest<'_>,
    name: &str,
) -> Result<Response, Error> {
    let role: Role = store::load(&db.storage, store::ROLE, name)
        .await?
        .ok_or_else(|| Error::bad_request(format!("unknown role: {name}")))?;
    let (plugin, config) = db.conns.get(&db.storage, &role.db_name).await?;
    if !config.allows(name) {
        return Err(not_allowed(name));
    }
    let ttl = bounded_ttl(
        Duration::from_secs(role.default_ttl),
        Duration::from_secs(role.max_ttl),
        req.mount,
    );
    let now = db.now();
    let expires = expiration(now + ttl + Duration::from_secs(5));
    let policy = policy_of(&role.credential_config).unwrap_or(&config.password_policy);
    let password = db.system.generate_password(policy).await?;
    let kind = crate::plugins::lookup(&config.plugin_name)
        .ok_or_else(|| Error::bad_request("unknown plugin"))?;
    let template = config.detail("username_template");
    let template = if template.is_empty() {
        kind.username_template
    } else {
        &template
    };
    let inputs = username::Inputs {
        display_name: if req.display_name.is_empty() {
            DISPLAY_NAME
        } else {
            req.display_name
        },
        role_name: name,
        unix: db.clock.unix(),
    };
    let user = username::render(template, &inputs)?;
    if user.is_empty() {
        return Err(Error::bad_request(
            "the username template produced an empty username",
        ));
    }
    let wal_id = wal::put(
        db,
        WalEntry::Creds {
            db_name: role.db_name.clone(),
            role: name.to_owned(),
            username: user.clone(),
            statements: role.rollback_statements.clone(),
        },
    )
    .await?;
    let created = plugin
        .new_user(&NewUser {
            statements: &role.creation_statements,
            username: &user,
            password: &password,
            expiration: &expires,
        })
        .await;
    if let Err(e) = created {
        // Undo what may exist now; the WAL entry stays if that fails too.
        if plugin
            .delete_user(&role.rollback_statements, &user)
            .await
            .is_ok()
        {
            wal::delete(db, &wal_id).await?;
        }
        return Err(e);
    }
    wal::delete(db, &wal_id).await?;
    let mut data = Data::new();
    data.insert("username".into(), user.clone().into());
    data.insert("password".into(), password.expose().into());
    let internal = Internal {
        username: user,
        role: name.to_owned(),
        db_name: role.db_name.clone(),
        revocation_statements: role.revocation_statements.clone(),
    };
    Ok(Response {
        secret: Some(SecretLease {
            ttl: Duration::from_secs(role.default_ttl),
            max_ttl: Duration::from_secs(role.max_ttl),
            renewable: true,
            internal: internal.to_data(),
        }),
        ..Response::data(data)
    })
}
