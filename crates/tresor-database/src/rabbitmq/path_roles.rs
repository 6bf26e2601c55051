//! `roles/<name>` and the role list. `vhosts` and `vhost_topics` arrive as JSON text,
//! as Vault takes them, and are read back as objects.

use super::model::{self, Role, TopicPermission, VhostPermission, ROLE_PREFIX};
use super::RabbitMq;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};
use tresor_storage::Backend;

fn parse_json<T: DeserializeOwned + Default>(f: &Fields, field: &str) -> Result<T, Error> {
    match f.str(field) {
        None | Some("") => Ok(T::default()),
        Some(raw) => serde_json::from_str::<Option<T>>(raw)
            .map(Option::unwrap_or_default)
            .map_err(|e| Error::bad_request(format!("failed to unmarshal {field}: {e}"))),
    }
}

/// A vhost or exchange name must fit in a management API path segment.
fn check_name(kind: &str, name: &str) -> Result<(), Error> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::bad_request(format!(
            "the {kind} name {name:?} cannot be used with the RabbitMQ management API"
        )));
    }
    Ok(())
}

pub async fn write(rmq: &RabbitMq, name: &str, f: &Fields) -> Result<Response, Error> {
    let tags = f.str("tags").unwrap_or("").to_owned();
    let has_vhosts = f.str("vhosts").is_some_and(|v| !v.is_empty());
    if tags.is_empty() && !has_vhosts {
        return Err(Error::bad_request("both tags and vhosts not specified"));
    }
    let vhosts: BTreeMap<String, VhostPermission> = parse_json(f, "vhosts")?;
    let vhost_topics: BTreeMap<String, BTreeMap<String, TopicPermission>> =
        parse_json(f, "vhost_topics")?;
    for vhost in vhosts.keys().chain(vhost_topics.keys()) {
        check_name("vhost", vhost)?;
    }
    let role = Role {
        tags,
        vhosts,
        vhost_topics,
    };
    model::save_role(&rmq.storage, name, &role).await?;
    Ok(Response::empty())
}

pub async fn read(rmq: &RabbitMq, name: &str) -> Result<Response, Error> {
    let role = model::load_role(&rmq.storage, name)
        .await?
        .ok_or(Error::NotFound)?;
    let vhosts: Data = role
        .vhosts
        .iter()
        .map(|(vhost, p)| {
            let perms = json!({"configure": p.configure, "write": p.write, "read": p.read});
            (vhost.clone(), perms)
        })
        .collect();
    let topics: Data = role
        .vhost_topics
        .iter()
        .map(|(vhost, exchanges)| {
            let inner: Data = exchanges
                .iter()
                .map(|(ex, p)| (ex.clone(), json!({"write": p.write, "read": p.read})))
                .collect();
            (vhost.clone(), Value::Object(inner))
        })
        .collect();
    let mut data = Data::new();
    data.insert("tags".into(), Value::from(role.tags));
    data.insert("vhosts".into(), Value::Object(vhosts));
    data.insert("vhost_topics".into(), Value::Object(topics));
    Ok(Response::data(data))
}

pub async fn delete(rmq: &RabbitMq, name: &str) -> Result<Response, Error> {
    rmq.storage.delete(&format!("{ROLE_PREFIX}{name}")).await?;
    Ok(Response::empty())
}

/// The role names, sorted; `after` and `limit` page through them as in Vault.
pub async fn list(rmq: &RabbitMq, f: &Fields) -> Result<Response, Error> {
    let mut keys = rmq.storage.list(ROLE_PREFIX).await?;
    keys.sort();
    if let Some(after) = f.str("after").filter(|a| !a.is_empty()) {
        keys.retain(|k| k.as_str() > after);
    }
    if let Some(limit) = f.int("limit").filter(|l| *l > 0) {
        keys.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}
