//! `rotate-root/<name>` (the connection's own password) and `rotate-role/<name>` (a
//! static role's password, now).

use crate::backend::Database;
use crate::connections::{load_config, open};
use crate::store;
use crate::wal::{self, WalEntry};
use tresor_sdk::{Error, Response, Value};

pub async fn role(db: &Database, name: &str) -> Result<Response, Error> {
    crate::rotation::rotate_stored(db, name).await?;
    Ok(Response::empty())
}

/// Sets a new password (from the connection's policy) for the connection's user, with
/// `root_rotation_statements` or the plugin's default, stores it and reconnects with it.
/// Afterwards only the engine knows the password.
pub async fn root(db: &Database, name: &str) -> Result<Response, Error> {
    let _guard = db.lock(&format!("config:{name}")).await?;
    let mut config = load_config(&db.storage, name).await?;
    let username = config.detail("username");
    if username.is_empty() {
        return Err(Error::bad_request(
            "unable to rotate root credentials: no username in configuration",
        ));
    }
    if config.detail("password").is_empty() {
        return Err(Error::bad_request(
            "unable to rotate root credentials: no password in configuration",
        ));
    }
    let (plugin, _) = db.conns.get(&db.storage, name).await?;
    let password = db.system.generate_password(&config.password_policy).await?;
    let wal_id = wal::put(
        db,
        WalEntry::RootRotation {
            db_name: name.to_owned(),
            password: password.expose().to_owned(),
        },
    )
    .await?;
    let statements = config.root_credentials_rotate_statements.clone();
    if let Err(e) = plugin.set_password(&statements, &username, &password).await {
        wal::delete(db, &wal_id).await?;
        return Err(e);
    }
    config.connection_details.insert(
        "password".into(),
        Value::String(password.expose().to_owned()),
    );
    store::save(&db.storage, store::CONFIG, name, &config).await?;
    wal::delete(db, &wal_id).await?;
    match open(&config, false).await {
        Ok(fresh) => db.conns.put(name, fresh).await,
        Err(_) => db.conns.remove(name).await,
    }
    Ok(Response::empty())
}
