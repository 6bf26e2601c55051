//! The server's configuration, in Vault's HCL or JSON format, typed and strict: a key we
//! do not know is an error that names the file, the block and the key.

mod hcl_source;
mod json_source;
mod node;
mod typed;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use tresor_hcl::config_error::ConfigError;

#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    Inmem,
    /// Vault's `file` storage: our embedded SQLite store, in this directory.
    File {
        path: PathBuf,
    },
}

impl Storage {
    pub fn type_name(&self) -> &'static str {
        match self {
            Storage::Inmem => "inmem",
            Storage::File { .. } => "file",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    pub address: String,
    pub cluster_address: Option<String>,
    pub tls_disable: bool,
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    pub tls_min_version: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pub storage: Option<Storage>,
    pub listeners: Vec<Listener>,
    pub api_addr: Option<String>,
    pub cluster_addr: Option<String>,
    pub cluster_name: Option<String>,
    pub ui: bool,
    pub log_level: Option<String>,
    pub default_lease_ttl: Option<Duration>,
    pub max_lease_ttl: Option<Duration>,
    pub disable_mlock: bool,
    /// `unsafe_allow_api_audit_creation`: let `sys/audit` create devices.
    pub unsafe_allow_api_audit_creation: bool,
    /// `audit "<type>" "<path>" { description, local, options { ... } }` blocks.
    pub audit: Vec<tresor_core::AuditDeviceConfig>,
}

impl Config {
    /// Parses one file; `.json` files as JSON, anything else as HCL.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            file: file.clone(),
            detail: e.to_string(),
        })?;
        Self::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let node = if file.ends_with(".json") {
            json_source::parse(file, text)?
        } else {
            hcl_source::parse(file, text)?
        };
        typed::config(file, &node)
    }

    /// Several files, later ones overriding earlier ones; listeners add up.
    pub fn load_all(paths: &[PathBuf]) -> Result<Config, ConfigError> {
        let mut merged = Config::default();
        for path in paths {
            merged.merge(Self::load(path)?);
        }
        Ok(merged)
    }

    fn merge(&mut self, other: Config) {
        if other.storage.is_some() {
            self.storage = other.storage;
        }
        self.listeners.extend(other.listeners);
        macro_rules! take {
            ($($field:ident),*) => { $( if other.$field.is_some() { self.$field = other.$field; } )* };
        }
        take!(
            api_addr,
            cluster_addr,
            cluster_name,
            log_level,
            default_lease_ttl,
            max_lease_ttl
        );
        self.ui |= other.ui;
        self.disable_mlock |= other.disable_mlock;
        self.unsafe_allow_api_audit_creation |= other.unsafe_allow_api_audit_creation;
        self.audit.extend(other.audit);
    }

    /// Checks what a server needs to start.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.storage.is_none() {
            return Err(ConfigError::Invalid(
                "no storage configured: add a storage block".into(),
            ));
        }
        if self.listeners.is_empty() {
            return Err(ConfigError::Invalid(
                "no listener configured: add a listener \"tcp\" block".into(),
            ));
        }
        for l in &self.listeners {
            if !l.tls_disable && (l.tls_cert_file.is_none() || l.tls_key_file.is_none()) {
                return Err(ConfigError::Invalid(format!(
                    "listener {}: tls_cert_file and tls_key_file are required unless tls_disable is set",
                    l.address
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
