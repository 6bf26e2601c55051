//! `users/<name>`: policies and extra groups for one directory user; `LIST users`.
//! Names (and their groups) are lower-cased unless `case_sensitive_names`.

use super::model::{self, parse_policies, UserEntry};
use super::Ldap;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::put_json;
use tresor_sdk::{Data, Error, Response, Value};
use tresor_storage::Backend;

pub async fn read(b: &Ldap, name: &str) -> Result<Response, Error> {
    let cfg = model::load_config(&b.storage).await?;
    let user = model::load_user(&b.storage, &cfg.canonical(name))
        .await?
        .ok_or(Error::NotFound)?;
    let mut d = Data::new();
    d.insert("groups".into(), Value::from(user.groups.join(",")));
    d.insert("policies".into(), Value::from(user.policies));
    Ok(Response::data(d))
}

/// Replaces the user's entry (fields not given become empty, as in Vault).
pub async fn write(b: &Ldap, name: &str, fields: &Fields) -> Result<Response, Error> {
    let _writes = b.writes.lock().await;
    let cfg = model::load_config(&b.storage).await?;
    let user = UserEntry {
        groups: model::remove_duplicates(
            fields.list("groups").unwrap_or_default(),
            !cfg.case_sensitive_names,
        ),
        policies: parse_policies(fields.list("policies").unwrap_or_default()),
    };
    put_json(&b.storage, &format!("user/{}", cfg.canonical(name)), &user).await?;
    Ok(Response::empty())
}

pub async fn delete(b: &Ldap, name: &str) -> Result<Response, Error> {
    let _writes = b.writes.lock().await;
    let cfg = model::load_config(&b.storage).await?;
    b.storage
        .delete(&format!("user/{}", cfg.canonical(name)))
        .await?;
    Ok(Response::empty())
}

/// The keys under `prefix` (`user/`, `group/`); 404 when there are none.
pub async fn list(b: &Ldap, prefix: &str, rest: &str) -> Result<Response, Error> {
    if !rest.is_empty() {
        return Err(Error::UnsupportedPath);
    }
    let keys = b.storage.list(prefix).await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut d = Data::new();
    d.insert("keys".into(), Value::from(keys));
    Ok(Response::data(d))
}
