//! Write-ahead entries (`wal/<id>`) for work that touches the database before storage:
//! a dynamic user being created, a static role's or the root's password being set. A
//! finished operation deletes its entry; one a crash interrupted is finished or undone by
//! [`rollback_stale`] once it is older than [`STALE_AFTER`]:
//! - a dynamic user is dropped (rollback statements, else the plugin's default drop);
//! - a static role's password is set again to the entry's password and stored;
//! - a root password is kept if the database takes it, else the entry is dropped.
//!
//! Entries that still fail after [`GIVE_UP_AFTER`] are dropped with a warning.

use crate::backend::Database;
use crate::connections::open;
use crate::store::{self, DbConfig, StaticRole};
use serde::{Deserialize, Serialize};
use tresor_crypto::SecretString;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{Error, Value};
use tresor_storage::{Backend, Op};

pub const PREFIX: &str = "wal/";
pub const STALE_AFTER: i64 = 5 * 60;
pub const GIVE_UP_AFTER: i64 = 24 * 3600;

#[derive(Serialize, Deserialize, Clone)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WalEntry {
    Creds {
        db_name: String,
        role: String,
        username: String,
        statements: Vec<String>,
    },
    StaticRotation {
        role: String,
        username: String,
        password: String,
    },
    RootRotation {
        db_name: String,
        password: String,
    },
}

#[derive(Serialize, Deserialize)]
struct Stored {
    created: i64,
    entry: WalEntry,
}

fn key(id: &str) -> String {
    format!("{PREFIX}{id}")
}

/// Records `entry`; answers its id.
pub async fn put(db: &Database, entry: WalEntry) -> Result<String, Error> {
    let raw = tresor_crypto::random::bytes(16).map_err(|e| Error::internal(e.to_string()))?;
    let id = hex::encode(raw);
    let stored = Stored {
        created: db.clock.unix(),
        entry,
    };
    put_json(&db.storage, &key(&id), &stored).await?;
    Ok(id)
}

pub async fn delete(db: &Database, id: &str) -> Result<(), Error> {
    db.storage.delete(&key(id)).await?;
    Ok(())
}

/// The deletion of entry `id`, for a batch that also stores the outcome.
pub fn delete_op(id: &str) -> Op {
    Op::Delete { key: key(id) }
}

/// Entries that name static role `role` (deleted with the role).
pub async fn delete_for_static_role(db: &Database, role: &str) -> Result<(), Error> {
    for id in db.storage.list(PREFIX).await? {
        let stored: Option<Stored> = get_json(&db.storage, &key(&id)).await?;
        if let Some(Stored {
            entry: WalEntry::StaticRotation { role: r, .. },
            ..
        }) = stored
        {
            if r == role {
                delete(db, &id).await?;
            }
        }
    }
    Ok(())
}

/// Finishes or undoes the entries a crash left behind.
pub async fn rollback_stale(db: &Database) -> Result<(), Error> {
    let now = db.clock.unix();
    let mut failed = 0usize;
    for id in db.storage.list(PREFIX).await? {
        let Some(stored) = get_json::<Stored>(&db.storage, &key(&id)).await? else {
            continue;
        };
        let age = now - stored.created;
        if age < STALE_AFTER {
            continue;
        }
        match recover(db, stored.entry).await {
            Ok(()) => delete(db, &id).await?,
            Err(_) if age >= GIVE_UP_AFTER => {
                tracing::warn!(wal = %id, "giving up on a database engine WAL entry");
                delete(db, &id).await?;
            }
            Err(_) => failed += 1,
        }
    }
    if failed > 0 {
        return Err(Error::internal(format!(
            "{failed} database engine WAL entries could not be rolled back yet"
        )));
    }
    Ok(())
}

async fn recover(db: &Database, entry: WalEntry) -> Result<(), Error> {
    match entry {
        WalEntry::Creds {
            db_name,
            username,
            statements,
            ..
        } => {
            let (plugin, _) = db.conns.get(&db.storage, &db_name).await?;
            plugin.delete_user(&statements, &username).await
        }
        WalEntry::StaticRotation {
            role,
            username,
            password,
        } => {
            let _guard = db.lock(&format!("static:{role}")).await?;
            let Some(mut stored) =
                store::load::<StaticRole>(&db.storage, store::STATIC_ROLE, &role).await?
            else {
                return Ok(());
            };
            if stored.username != username || stored.password == password {
                return Ok(());
            }
            let (plugin, _) = db.conns.get(&db.storage, &stored.db_name).await?;
            let secret = SecretString::new(password.clone());
            plugin
                .set_password(&stored.rotation_statements, &username, &secret)
                .await?;
            crate::rotation::record(db, &mut stored, password);
            store::save(&db.storage, store::STATIC_ROLE, &role, &stored).await
        }
        WalEntry::RootRotation { db_name, password } => {
            let _guard = db.lock(&format!("config:{db_name}")).await?;
            let Some(mut config) =
                store::load::<DbConfig>(&db.storage, store::CONFIG, &db_name).await?
            else {
                return Ok(());
            };
            if config.detail("password") == password {
                return Ok(());
            }
            let mut candidate = config.clone();
            candidate
                .connection_details
                .insert("password".into(), Value::String(password));
            if let Ok(plugin) = open(&candidate, true).await {
                config = candidate;
                store::save(&db.storage, store::CONFIG, &db_name, &config).await?;
                db.conns.put(&db_name, plugin).await;
            }
            Ok(())
        }
    }
}
