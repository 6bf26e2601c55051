//! `config/<name>` (write, read, delete), `LIST config` and `reset/<name>`.

use super::fields::statements;
use crate::backend::{Database, CONFIG_FIELDS};
use crate::connections::{load_config, open};
use crate::store::{self, DbConfig};
use crate::username;
use tresor_sdk::framework::Fields;
use tresor_sdk::{BackendRequest, Data, Error, Operation, Response, Value};

const URL_PASSWORD_WARNING: &str = "Password found in connection_url, use a templated url to enable root rotation and prevent read access to password information.";

pub async fn read(db: &Database, name: &str) -> Result<Response, Error> {
    let config: DbConfig = store::load(&db.storage, store::CONFIG, name)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(Response::data(config.to_data()))
}

pub async fn delete(db: &Database, name: &str) -> Result<Response, Error> {
    let _guard = db.lock(&format!("config:{name}")).await?;
    store::delete(&db.storage, store::CONFIG, name).await?;
    db.conns.remove(name).await;
    Ok(Response::empty())
}

/// Closes the connection and opens it again from the stored config.
pub async fn reset(db: &Database, name: &str) -> Result<Response, Error> {
    let _guard = db.lock(&format!("config:{name}")).await?;
    load_config(&db.storage, name).await?;
    db.conns.remove(name).await;
    db.conns.get(&db.storage, name).await?;
    Ok(Response::empty())
}

/// The request fields that are connection details (everything not the engine's own).
fn details(data: &Data) -> Data {
    data.iter()
        .filter(|(k, _)| !CONFIG_FIELDS.iter().any(|f| f.name == k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A plugin's failure to start, worded as Vault words it.
fn creating(e: Error) -> Error {
    match e {
        Error::BadRequest(m) if m.starts_with("error creating database object") => {
            Error::BadRequest(m)
        }
        Error::BadRequest(m) => Error::bad_request(format!("error creating database object: {m}")),
        other => other,
    }
}

fn apply(
    config: &mut DbConfig,
    req: &BackendRequest<'_>,
    f: &Fields,
    create: bool,
) -> Result<(), Error> {
    if let Some(p) = f.str("plugin_name") {
        config.plugin_name = p.to_owned();
    }
    if config.plugin_name.is_empty() {
        return Err(Error::bad_request("empty plugin name"));
    }
    match f.str("plugin_version") {
        None | Some("") => {}
        Some(v) if v.ends_with("+builtin") => {}
        Some(v) => {
            return Err(Error::bad_request(format!(
                "error creating database object: plugin version {v:?} not found: only the built-in plugins are available"
            )))
        }
    }
    config.plugin_version.clear();
    if let Some(roles) = f.list("allowed_roles") {
        config.allowed_roles = roles
            .iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
    } else if create {
        config.allowed_roles.clear();
    }
    if let Some(stmts) = statements(f, "root_rotation_statements")? {
        config.root_credentials_rotate_statements = stmts;
    }
    if let Some(p) = f.str("password_policy") {
        config.password_policy = p.to_owned();
    }
    let new = details(req.data);
    if create {
        config.connection_details = new;
    } else {
        config.connection_details.extend(new);
    }
    Ok(())
}

pub async fn write(
    db: &Database,
    req: &BackendRequest<'_>,
    name: &str,
    f: &Fields,
    _op: Operation,
) -> Result<Response, Error> {
    let _guard = db.lock(&format!("config:{name}")).await?;
    let existing: Option<DbConfig> = store::load(&db.storage, store::CONFIG, name).await?;
    let create = existing.is_none();
    let mut config = existing.unwrap_or_default();
    apply(&mut config, req, f, create)?;
    if crate::plugins::lookup(&config.plugin_name).is_none() {
        return Err(Error::bad_request(format!(
            "error creating database object: unknown plugin {:?}",
            config.plugin_name
        )));
    }
    let template = config.detail("username_template");
    if !template.is_empty() {
        let sample = username::Inputs {
            display_name: "token",
            role_name: "role",
            unix: 0,
        };
        username::render(&template, &sample).map_err(|e| {
            creating(Error::bad_request(format!(
                "unable to initialize username template: {}",
                e.messages().join(", ")
            )))
        })?;
    }
    let verify = f.bool("verify_connection").unwrap_or(true);
    let plugin = open(&config, verify).await.map_err(creating)?;
    if let Err(e) = store::save(&db.storage, store::CONFIG, name, &config).await {
        plugin.close().await;
        return Err(e);
    }
    db.conns.put(name, plugin).await;
    let mut resp = Response::empty();
    if let Some(Value::String(url)) = config.connection_details.get("connection_url") {
        if store::redact_url(url) != *url {
            resp.warnings.push(URL_PASSWORD_WARNING.to_owned());
        }
    }
    Ok(resp)
}
