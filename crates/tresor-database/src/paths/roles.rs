//! `roles/<name>` (dynamic roles: write, read, delete) and `LIST roles`.

use super::fields::{check_credential_type, credential_config, statements};
use crate::backend::Database;
use crate::store::{self, Role, StaticRole};
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Operation, Response, Value};

pub async fn read(db: &Database, name: &str) -> Result<Response, Error> {
    let role: Role = store::load(&db.storage, store::ROLE, name)
        .await?
        .ok_or(Error::NotFound)?;
    let mut d = Data::new();
    d.insert("db_name".into(), role.db_name.into());
    d.insert(
        "creation_statements".into(),
        role.creation_statements.into(),
    );
    d.insert(
        "revocation_statements".into(),
        role.revocation_statements.into(),
    );
    d.insert(
        "rollback_statements".into(),
        role.rollback_statements.into(),
    );
    d.insert("renew_statements".into(), role.renew_statements.into());
    d.insert("default_ttl".into(), role.default_ttl.into());
    d.insert("max_ttl".into(), role.max_ttl.into());
    d.insert("credential_type".into(), "password".into());
    if !role.credential_config.is_empty() {
        d.insert(
            "credential_config".into(),
            Value::Object(role.credential_config),
        );
    }
    Ok(Response::data(d))
}

pub async fn delete(db: &Database, name: &str) -> Result<Response, Error> {
    store::delete(&db.storage, store::ROLE, name).await?;
    Ok(Response::empty())
}

pub async fn write(
    db: &Database,
    name: &str,
    f: &Fields,
    _op: Operation,
) -> Result<Response, Error> {
    let _guard = db.lock(&format!("role:{name}")).await?;
    let static_role: Option<StaticRole> =
        store::load(&db.storage, store::STATIC_ROLE, name).await?;
    if static_role.is_some() {
        return Err(Error::bad_request(
            "Role and Static Role names must be unique",
        ));
    }
    let existing: Option<Role> = store::load(&db.storage, store::ROLE, name).await?;
    let create = existing.is_none();
    let mut role = existing.unwrap_or_default();
    if let Some(db_name) = f.str("db_name") {
        role.db_name = db_name.to_owned();
    }
    if role.db_name.is_empty() {
        return Err(Error::bad_request("database name is required"));
    }
    check_credential_type(f)?;
    if let Some(config) = credential_config(f)? {
        role.credential_config = config;
    }
    let lists = [
        ("creation_statements", &mut role.creation_statements),
        ("revocation_statements", &mut role.revocation_statements),
        ("rollback_statements", &mut role.rollback_statements),
        ("renew_statements", &mut role.renew_statements),
    ];
    for (field, target) in lists {
        match statements(f, field)? {
            Some(list) => *target = list,
            None if create => target.clear(),
            None => {}
        }
    }
    if let Some(ttl) = f.duration("default_ttl") {
        role.default_ttl = ttl.as_secs();
    }
    if let Some(ttl) = f.duration("max_ttl") {
        role.max_ttl = ttl.as_secs();
    }
    store::save(&db.storage, store::ROLE, name, &role).await?;
    Ok(Response::empty())
}
