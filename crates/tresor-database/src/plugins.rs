//! The database kinds, by `plugin_name`, with what the engine needs to know of each
//! before an instance exists: how to build one and Vault's default username template.

pub mod mysql;
pub mod postgres;
pub mod redis;

use crate::plugin::DatabasePlugin;
use std::sync::Arc;
use tresor_sdk::Error;

/// One `plugin_name` the engine accepts.
#[derive(Debug)]
pub struct Kind {
    pub name: &'static str,
    /// Vault's default `username_template` for the kind.
    pub username_template: &'static str,
    build: fn() -> Result<Arc<dyn DatabasePlugin>, Error>,
}

impl Kind {
    /// A new, unconfigured instance.
    pub fn instantiate(&self) -> Result<Arc<dyn DatabasePlugin>, Error> {
        (self.build)()
    }
}

const POSTGRES_TEMPLATE: &str = r#"{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}"#;
const MYSQL_TEMPLATE: &str = r#"{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 10) (.RoleName | truncate 10) (random 20) (unix_time) | truncate 32 }}"#;
const MYSQL_LEGACY_TEMPLATE: &str =
    r#"{{ printf "v-%s-%s" (.RoleName | truncate 4) (random 20) | truncate 16 }}"#;

fn build_postgres() -> Result<Arc<dyn DatabasePlugin>, Error> {
    Ok(postgres::new())
}

fn build_mysql() -> Result<Arc<dyn DatabasePlugin>, Error> {
    Ok(Arc::new(mysql::MySql::new()))
}

fn build_mysql_legacy() -> Result<Arc<dyn DatabasePlugin>, Error> {
    Ok(Arc::new(mysql::MySql::legacy()))
}

fn build_redis() -> Result<Arc<dyn DatabasePlugin>, Error> {
    Ok(Arc::new(redis::Redis::new()))
}

const fn kind(
    name: &'static str,
    username_template: &'static str,
    build: fn() -> Result<Arc<dyn DatabasePlugin>, Error>,
) -> Kind {
    Kind {
        name,
        username_template,
        build,
    }
}

static KINDS: &[Kind] = &[
    kind(postgres::NAME, POSTGRES_TEMPLATE, build_postgres),
    kind("mysql-database-plugin", MYSQL_TEMPLATE, build_mysql),
    kind(
        "mysql-legacy-database-plugin",
        MYSQL_LEGACY_TEMPLATE,
        build_mysql_legacy,
    ),
    kind(
        "mysql-aurora-database-plugin",
        MYSQL_LEGACY_TEMPLATE,
        build_mysql_legacy,
    ),
    kind(
        "mysql-rds-database-plugin",
        MYSQL_LEGACY_TEMPLATE,
        build_mysql_legacy,
    ),
    kind(
        "redis-database-plugin",
        redis::DEFAULT_USERNAME_TEMPLATE,
        build_redis,
    ),
];

/// The kind called `plugin_name`, if the engine has it.
pub fn lookup(plugin_name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == plugin_name)
}
