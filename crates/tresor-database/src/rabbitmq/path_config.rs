//! `config/connection` (write only: the password never comes back) and `config/lease`.

use super::client::{parse_base, Management};
use super::model::{self, Connection, LeaseConfig};
use super::RabbitMq;
use crate::username::{render, Inputs};
use serde_json::Value;
use tresor_crypto::SecretString;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Data, Error, Response};

fn required(f: &Fields, name: &str) -> Result<String, Error> {
    match f.str(name) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(Error::bad_request(format!("missing {name}"))),
    }
}

/// Checks a username template as Vault does: it renders with empty metadata.
pub fn check_template(raw: &str) -> Result<(), Error> {
    if raw.is_empty() {
        return Ok(());
    }
    let inputs = Inputs {
        display_name: "",
        role_name: "",
        unix: 0,
    };
    render(raw, &inputs).map(|_| ())
}

pub async fn write_connection(rmq: &RabbitMq, f: &Fields) -> Result<Response, Error> {
    let uri = required(f, "connection_uri")?;
    let username = required(f, "username")?;
    let password = SecretString::new(required(f, "password")?);
    parse_base(&uri)?;
    let username_template = f.str("username_template").unwrap_or("").to_owned();
    check_template(&username_template)?;
    let conn = Connection {
        uri,
        username,
        password,
        password_policy: f.str("password_policy").unwrap_or("").to_owned(),
        username_template,
    };
    if f.bool("verify_connection").unwrap_or(true) {
        Management::new(&rmq.http, &conn)?
            .verify()
            .await
            .map_err(|e| Error::bad_request(format!("failed to validate the connection: {e}")))?;
    }
    model::save_connection(&rmq.storage, &conn).await?;
    Ok(Response::empty())
}

pub async fn write_lease(rmq: &RabbitMq, f: &Fields) -> Result<Response, Error> {
    let secs = |name| f.duration(name).map_or(0, |d| d.as_secs());
    let lease = LeaseConfig {
        ttl: secs("ttl"),
        max_ttl: secs("max_ttl"),
    };
    model::save_lease(&rmq.storage, &lease).await?;
    Ok(Response::empty())
}

pub async fn read_lease(rmq: &RabbitMq) -> Result<Response, Error> {
    let lease = model::load_lease(&rmq.storage)
        .await?
        .ok_or(Error::NotFound)?;
    let mut data = Data::new();
    data.insert("ttl".into(), Value::from(lease.ttl));
    data.insert("max_ttl".into(), Value::from(lease.max_ttl));
    Ok(Response::data(data))
}
