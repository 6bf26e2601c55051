//! From a [`Node`] to a typed [`Config`], refusing every key we do not know.

use super::node::{Block, Node, Scalar};
use super::{Config, ConfigError, Listener, Storage};
use std::path::PathBuf;
use std::time::Duration;

struct Ctx<'a> {
    file: &'a str,
    block: String,
}

impl Ctx<'_> {
    fn unknown(&self, key: &str) -> ConfigError {
        ConfigError::UnknownKey {
            file: self.file.to_owned(),
            block: self.block.clone(),
            key: key.to_owned(),
        }
    }

    fn value(&self, key: &str, expected: &'static str) -> ConfigError {
        ConfigError::Value {
            file: self.file.to_owned(),
            block: self.block.clone(),
            key: key.to_owned(),
            expected,
        }
    }

    fn string(&self, key: &str, v: &Scalar) -> Result<String, ConfigError> {
        match v {
            Scalar::Str(s) => Ok(s.clone()),
            Scalar::Num(n) if n.fract() == 0.0 => Ok(format!("{n}")),
            _ => Err(self.value(key, "a string")),
        }
    }

    fn boolean(&self, key: &str, v: &Scalar) -> Result<bool, ConfigError> {
        match v {
            Scalar::Bool(b) => Ok(*b),
            Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" | "" => Ok(false),
                _ => Err(self.value(key, "a boolean")),
            },
            Scalar::Num(n) if *n == 0.0 || *n == 1.0 => Ok(*n == 1.0),
            _ => Err(self.value(key, "a boolean")),
        }
    }

    fn duration(&self, key: &str, v: &Scalar) -> Result<Duration, ConfigError> {
        match v {
            Scalar::Num(n) if *n >= 0.0 && n.fract() == 0.0 => Ok(Duration::from_secs(*n as u64)),
            Scalar::Str(s) => tresor_sdk::duration::parse(s)
                .map_err(|_| self.value(key, "a duration such as \"768h\"")),
            _ => Err(self.value(key, "a duration such as \"768h\"")),
        }
    }
}

pub fn config(file: &str, node: &Node) -> Result<Config, ConfigError> {
    let ctx = Ctx {
        file,
        block: String::new(),
    };
    let mut c = Config::default();
    for (key, v) in &node.attrs {
        match key.as_str() {
            "api_addr" => c.api_addr = Some(ctx.string(key, v)?),
            "cluster_addr" => c.cluster_addr = Some(ctx.string(key, v)?),
            "cluster_name" => c.cluster_name = Some(ctx.string(key, v)?),
            "ui" => c.ui = ctx.boolean(key, v)?,
            "log_level" => c.log_level = Some(ctx.string(key, v)?),
            "default_lease_ttl" => c.default_lease_ttl = Some(ctx.duration(key, v)?),
            "max_lease_ttl" => c.max_lease_ttl = Some(ctx.duration(key, v)?),
            "disable_mlock" => c.disable_mlock = ctx.boolean(key, v)?,
            "unsafe_allow_api_audit_creation" => {
                c.unsafe_allow_api_audit_creation = ctx.boolean(key, v)?;
            }
            _ => return Err(ctx.unknown(key)),
        }
    }
    for block in &node.blocks {
        match block.kind.as_str() {
            "storage" | "backend" => c.storage = Some(storage(file, block)?),
            "listener" => c.listeners.push(listener(file, block)?),
            "audit" => c.audit.push(audit(file, block)?),
            other => {
                return Err(ConfigError::UnknownBlock {
                    file: file.to_owned(),
                    block: String::new(),
                    kind: other.to_owned(),
                })
            }
        }
    }
    Ok(c)
}

fn block_name(block: &Block) -> String {
    match &block.label {
        Some(l) => format!("{} \"{l}\"", block.kind),
        None => block.kind.clone(),
    }
}

fn no_sub_blocks(file: &str, block: &Block) -> Result<(), ConfigError> {
    match block.body.blocks.first() {
        None => Ok(()),
        Some(b) => Err(ConfigError::UnknownBlock {
            file: file.to_owned(),
            block: block_name(block),
            kind: b.kind.clone(),
        }),
    }
}

fn storage(file: &str, block: &Block) -> Result<Storage, ConfigError> {
    let ctx = Ctx {
        file,
        block: block_name(block),
    };
    no_sub_blocks(file, block)?;
    match block.label.as_deref() {
        Some("inmem") => match block.body.attrs.first() {
            None => Ok(Storage::Inmem),
            Some((key, _)) => Err(ctx.unknown(key)),
        },
        Some("file") => {
            let mut path = None;
            for (key, v) in &block.body.attrs {
                match key.as_str() {
                    "path" => path = Some(PathBuf::from(ctx.string(key, v)?)),
                    _ => return Err(ctx.unknown(key)),
                }
            }
            let path = path.ok_or_else(|| ConfigError::Shape {
                file: file.to_owned(),
                block: ctx.block.clone(),
                detail: "\"path\" is required".into(),
            })?;
            Ok(Storage::File { path })
        }
        other => Err(ConfigError::Shape {
            file: file.to_owned(),
            block: ctx.block.clone(),
            detail: format!(
                "storage type {:?} is not supported (use \"file\" or \"inmem\")",
                other.unwrap_or("")
            ),
        }),
    }
}

/// `audit "<type>" "<path>" { ... }`; `type` and `path` may be attributes instead.
fn audit(file: &str, block: &Block) -> Result<tresor_core::AuditDeviceConfig, ConfigError> {
    let ctx = Ctx {
        file,
        block: block_name(block),
    };
    let mut device = tresor_core::AuditDeviceConfig {
        kind: block.label.clone().unwrap_or_default(),
        path: block.label2.clone().unwrap_or_default(),
        ..Default::default()
    };
    for (key, v) in &block.body.attrs {
        match key.as_str() {
            "type" => device.kind = ctx.string(key, v)?,
            "path" => device.path = ctx.string(key, v)?,
            "description" => device.description = ctx.string(key, v)?,
            "local" => device.local = ctx.boolean(key, v)?,
            _ => return Err(ctx.unknown(key)),
        }
    }
    for sub in &block.body.blocks {
        if sub.kind != "options" || sub.label.is_some() || !sub.body.blocks.is_empty() {
            return Err(ConfigError::UnknownBlock {
                file: file.to_owned(),
                block: ctx.block.clone(),
                kind: sub.kind.clone(),
            });
        }
        for (key, v) in &sub.body.attrs {
            let text = match v {
                Scalar::Bool(b) => b.to_string(),
                other => ctx.string(key, other)?,
            };
            device.options.insert(key.clone(), text);
        }
    }
    if device.kind.is_empty() || device.path.is_empty() {
        return Err(ConfigError::Shape {
            file: file.to_owned(),
            block: ctx.block.clone(),
            detail: "an audit device needs a type and a path: audit \"file\" \"to-disk\" { ... }"
                .into(),
        });
    }
    Ok(device)
}

fn listener(file: &str, block: &Block) -> Result<Listener, ConfigError> {
    let ctx = Ctx {
        file,
        block: block_name(block),
    };
    no_sub_blocks(file, block)?;
    if block.label.as_deref() != Some("tcp") {
        return Err(ConfigError::Shape {
            file: file.to_owned(),
            block: ctx.block.clone(),
            detail: "only \"tcp\" listeners are supported".into(),
        });
    }
    let mut l = Listener {
        address: "127.0.0.1:8200".to_owned(),
        cluster_address: None,
        tls_disable: false,
        tls_cert_file: None,
        tls_key_file: None,
        tls_min_version: None,
    };
    for (key, v) in &block.body.attrs {
        match key.as_str() {
            "address" => l.address = ctx.string(key, v)?,
            "cluster_address" => l.cluster_address = Some(ctx.string(key, v)?),
            "tls_disable" => l.tls_disable = ctx.boolean(key, v)?,
            "tls_cert_file" => l.tls_cert_file = Some(PathBuf::from(ctx.string(key, v)?)),
            "tls_key_file" => l.tls_key_file = Some(PathBuf::from(ctx.string(key, v)?)),
            "tls_min_version" => l.tls_min_version = Some(ctx.string(key, v)?),
            _ => return Err(ctx.unknown(key)),
        }
    }
    Ok(l)
}
