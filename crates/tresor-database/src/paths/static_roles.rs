//! `static-roles/<name>` (write, read, delete), `LIST static-roles` and
//! `static-creds/<name>`. Creating a static role sets its password at once, as Vault
//! does; the role is stored only if that worked.

use super::creds::not_allowed;
use super::fields::{check_credential_type, credential_config, statements};
use crate::backend::Database;
use crate::connections::load_config;
use crate::cron::Schedule;
use crate::rotation::{next_rotation, rotate};
use crate::store::{self, Role, StaticRole};
use std::time::{Duration, UNIX_EPOCH};
use tresor_sdk::framework::Fields;
use tresor_sdk::{rfc3339, Data, Error, Operation, Response, Value};

/// Vault's shortest rotation period (its rotation queue's tick).
const MIN_PERIOD: u64 = 5;
const MIN_WINDOW: u64 = 3600;

fn last_rotation(role: &StaticRole) -> Option<String> {
    (role.last_rotation_secs > 0).then(|| {
        let secs = u64::try_from(role.last_rotation_secs).unwrap_or(0);
        rfc3339(UNIX_EPOCH + Duration::new(secs, role.last_rotation_nanos))
    })
}

/// The fields read and creds answers share.
fn schedule_data(role: &StaticRole, d: &mut Data) {
    if role.rotation_schedule.is_empty() {
        d.insert("rotation_period".into(), role.rotation_period.into());
    } else {
        d.insert(
            "rotation_schedule".into(),
            role.rotation_schedule.clone().into(),
        );
        if role.rotation_window > 0 {
            d.insert("rotation_window".into(), role.rotation_window.into());
        }
    }
    if let Some(t) = last_rotation(role) {
        d.insert("last_vault_rotation".into(), t.into());
    }
}

async fn load(db: &Database, name: &str) -> Result<Option<StaticRole>, Error> {
    store::load(&db.storage, store::STATIC_ROLE, name).await
}

pub async fn read(db: &Database, name: &str) -> Result<Response, Error> {
    let role = load(db, name).await?.ok_or(Error::NotFound)?;
    let mut d = Data::new();
    d.insert("db_name".into(), role.db_name.clone().into());
    d.insert("username".into(), role.username.clone().into());
    d.insert(
        "rotation_statements".into(),
        role.rotation_statements.clone().into(),
    );
    d.insert("credential_type".into(), "password".into());
    if !role.credential_config.is_empty() {
        d.insert(
            "credential_config".into(),
            Value::Object(role.credential_config.clone()),
        );
    }
    schedule_data(&role, &mut d);
    Ok(Response::data(d))
}

pub async fn creds(db: &Database, name: &str) -> Result<Response, Error> {
    let role = load(db, name)
        .await?
        .ok_or_else(|| Error::bad_request(format!("unknown role: {name}")))?;
    let config = load_config(&db.storage, &role.db_name).await?;
    if !config.allows(name) {
        return Err(not_allowed(name));
    }
    let ttl = u64::try_from(role.next_rotation - db.clock.unix()).unwrap_or(0);
    let mut d = Data::new();
    d.insert("username".into(), role.username.clone().into());
    d.insert("password".into(), role.password.clone().into());
    d.insert("ttl".into(), ttl.into());
    schedule_data(&role, &mut d);
    if !d.contains_key("last_vault_rotation") {
        d.insert("last_vault_rotation".into(), Value::Null);
    }
    Ok(Response::data(d))
}

pub async fn delete(db: &Database, name: &str) -> Result<Response, Error> {
    let _guard = db.lock(&format!("static:{name}")).await?;
    store::delete(&db.storage, store::STATIC_ROLE, name).await?;
    crate::wal::delete_for_static_role(db, name).await?;
    db.retry_after
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(name);
    Ok(Response::empty())
}

/// Applies the period/schedule fields (Vault's rules and messages).
fn apply_schedule(role: &mut StaticRole, f: &Fields, create: bool) -> Result<(), Error> {
    let period = f.duration("rotation_period");
    let schedule = f.str("rotation_schedule").filter(|s| !s.is_empty());
    match (period, schedule) {
        (Some(_), Some(_)) => {
            return Err(Error::bad_request("mutually exclusive fields rotation_period and rotation_schedule were both specified; only one of them can be provided"));
        }
        (None, None) if create => {
            return Err(Error::bad_request("one of rotation_schedule or rotation_period must be provided to create a static account"));
        }
        (Some(p), None) => {
            if p.as_secs() < MIN_PERIOD {
                return Err(Error::bad_request(format!(
                    "rotation_period must be {MIN_PERIOD} seconds or more"
                )));
            }
            role.rotation_period = p.as_secs();
            role.rotation_schedule.clear();
            role.rotation_window = 0;
        }
        (None, Some(s)) => {
            Schedule::parse(s)?;
            role.rotation_schedule = s.to_owned();
            role.rotation_period = 0;
        }
        (None, None) => {}
    }
    if let Some(w) = f.duration("rotation_window") {
        if role.rotation_schedule.is_empty() {
            return Err(Error::bad_request(
                "rotation_window is invalid with use of rotation_period",
            ));
        }
        if w.as_secs() < MIN_WINDOW {
            return Err(Error::bad_request(format!(
                "rotation_window must be {MIN_WINDOW} seconds or more"
            )));
        }
        role.rotation_window = w.as_secs();
    }
    Ok(())
}

pub async fn write(
    db: &Database,
    name: &str,
    f: &Fields,
    _op: Operation,
) -> Result<Response, Error> {
    let _guard = db.lock(&format!("static:{name}")).await?;
    let dynamic: Option<Role> = store::load(&db.storage, store::ROLE, name).await?;
    if dynamic.is_some() {
        return Err(Error::bad_request(
            "Role and Static Role names must be unique",
        ));
    }
    let existing = load(db, name).await?;
    let create = existing.is_none();
    let mut role = existing.unwrap_or_default();
    if let Some(db_name) = f.str("db_name") {
        role.db_name = db_name.to_owned();
    }
    if role.db_name.is_empty() {
        return Err(Error::bad_request("database name is a required field"));
    }
    // A static role takes over an existing account's password: only a connection that
    // lists the role may do that (checked on every write, not only when reading creds).
    let config = load_config(&db.storage, &role.db_name).await?;
    if !config.allows(name) {
        return Err(not_allowed(name));
    }
    let username = f.str("username").unwrap_or("");
    if create && username.is_empty() {
        return Err(Error::bad_request(
            "username is a required field to create a static account",
        ));
    }
    if !role.username.is_empty() && !username.is_empty() && role.username != username {
        return Err(Error::bad_request("cannot update static account username"));
    }
    if create {
        role.username = username.to_owned();
    }
    apply_schedule(&mut role, f, create)?;
    match statements(f, "rotation_statements")? {
        Some(list) => role.rotation_statements = list,
        None if create => role.rotation_statements.clear(),
        None => {}
    }
    check_credential_type(f)?;
    if let Some(config) = credential_config(f)? {
        role.credential_config = config;
    }
    if create {
        rotate(db, name, &mut role).await?;
        return Ok(Response::empty());
    }
    role.next_rotation = next_rotation(&role, role.last_rotation_secs);
    store::save(&db.storage, store::STATIC_ROLE, name, &role).await?;
    Ok(Response::empty())
}
