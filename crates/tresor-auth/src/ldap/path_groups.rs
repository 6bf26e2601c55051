//! `groups/<name>`: the policies a directory group brings; `LIST groups`. Names are
//! lower-cased unless `case_sensitive_names`.

use super::model::{self, parse_policies, GroupEntry};
use super::Ldap;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::put_json;
use tresor_sdk::{Data, Error, Response, Value};
use tresor_storage::Backend;

pub async fn read(b: &Ldap, name: &str) -> Result<Response, Error> {
    let cfg = model::load_config(&b.storage).await?;
    let group = model::load_group(&b.storage, &cfg.canonical(name))
        .await?
        .ok_or(Error::NotFound)?;
    let mut d = Data::new();
    d.insert("policies".into(), Value::from(group.policies));
    Ok(Response::data(d))
}

pub async fn write(b: &Ldap, name: &str, fields: &Fields) -> Result<Response, Error> {
    let _writes = b.writes.lock().await;
    let cfg = model::load_config(&b.storage).await?;
    let group = GroupEntry {
        policies: parse_policies(fields.list("policies").unwrap_or_default()),
    };
    put_json(
        &b.storage,
        &format!("group/{}", cfg.canonical(name)),
        &group,
    )
    .await?;
    Ok(Response::empty())
}

pub async fn delete(b: &Ldap, name: &str) -> Result<Response, Error> {
    let _writes = b.writes.lock().await;
    let cfg = model::load_config(&b.storage).await?;
    b.storage
        .delete(&format!("group/{}", cfg.canonical(name)))
        .await?;
    Ok(Response::empty())
}
