//! `auto_auth { method "<type>" { ... } sink "file" { ... } }`.

use super::reader::Block;
use super::ConfigError;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AutoAuth {
    pub method: Method,
    pub sinks: Vec<Sink>,
}

#[derive(Debug, Clone)]
pub struct Method {
    /// Where the method is mounted, `auth/<type>` unless set.
    pub mount_path: String,
    /// Login again after a failure no sooner than this (Vault: 1 s), backing off to
    /// `max_backoff` (Vault: 5 min).
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Exit (non-zero) when a login fails instead of retrying.
    pub exit_on_err: bool,
    pub kind: MethodKind,
}

/// The methods and what each reads.
#[derive(Debug, Clone)]
pub enum MethodKind {
    AppRole {
        role_id_file_path: PathBuf,
        secret_id_file_path: Option<PathBuf>,
        remove_secret_id_file_after_reading: bool,
        /// The secret ID file holds a response-wrapping token, created at this path.
        secret_id_response_wrapping_path: Option<String>,
    },
    Kubernetes {
        role: String,
        token_path: PathBuf,
    },
    Jwt {
        role: String,
        path: PathBuf,
        remove_jwt_after_reading: bool,
    },
    Cert {
        /// The certificate entry to log in against (any matching one when unset).
        name: Option<String>,
        client_cert: Option<PathBuf>,
        client_key: Option<PathBuf>,
        ca_cert: Option<PathBuf>,
    },
    TokenFile {
        token_file_path: PathBuf,
    },
}

impl MethodKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            MethodKind::AppRole { .. } => "approle",
            MethodKind::Kubernetes { .. } => "kubernetes",
            MethodKind::Jwt { .. } => "jwt",
            MethodKind::Cert { .. } => "cert",
            MethodKind::TokenFile { .. } => "token_file",
        }
    }
}

/// `sink "file" { config { path, mode }, wrap_ttl }`.
#[derive(Debug, Clone)]
pub struct Sink {
    pub path: PathBuf,
    /// Vault's default is 0640.
    pub mode: u32,
    /// Write a response-wrapped token instead of the token itself.
    pub wrap_ttl: Option<Duration>,
}

static EMPTY: std::sync::LazyLock<serde_json::Map<String, serde_json::Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

const SERVICE_ACCOUNT_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

pub fn read(b: Block<'_>) -> Result<AutoAuth, ConfigError> {
    let mut methods = b.typed_blocks("method")?;
    if methods.len() != 1 {
        return Err(b.shape("exactly one method block is needed"));
    }
    let (kind, body) = methods.remove(0);
    let method = method(&kind, body)?;
    let mut sinks = Vec::new();
    for (kind, s) in b.typed_blocks("sink")? {
        sinks.push(sink(&kind, s)?);
    }
    b.finish()?;
    Ok(AutoAuth { method, sinks })
}

fn method(kind: &str, b: Block<'_>) -> Result<Method, ConfigError> {
    let mount_path = b
        .string("mount_path")?
        .unwrap_or_else(|| format!("auth/{kind}"));
    let common = (
        b.duration("min_backoff")?.unwrap_or(Duration::from_secs(1)),
        b.duration("max_backoff")?
            .unwrap_or(Duration::from_secs(300)),
        b.boolean("exit_on_err")?.unwrap_or(false),
    );
    if b.string("namespace")?.is_some_and(|n| !n.is_empty()) {
        return Err(b.shape("namespaces are not supported"));
    }
    if b.duration("wrap_ttl")?.is_some() {
        return Err(b.shape("a wrap_ttl on the method is not supported; set it on the sink"));
    }
    let config = b
        .block("config")?
        .unwrap_or_else(|| Block::new(b.file, format!("{}.config", b.name), &EMPTY));
    let kind = method_kind(kind, &config)?;
    config.finish()?;
    b.finish()?;
    Ok(Method {
        mount_path: mount_path.trim_matches('/').to_owned(),
        min_backoff: common.0,
        max_backoff: common.1.max(common.0),
        exit_on_err: common.2,
        kind,
    })
}

fn required(c: &Block<'_>, key: &str) -> Result<PathBuf, ConfigError> {
    c.path(key)?
        .ok_or_else(|| c.shape(format!("{key:?} is required")))
}

fn method_kind(kind: &str, c: &Block<'_>) -> Result<MethodKind, ConfigError> {
    Ok(match kind {
        "approle" => MethodKind::AppRole {
            role_id_file_path: required(c, "role_id_file_path")?,
            secret_id_file_path: c.path("secret_id_file_path")?,
            remove_secret_id_file_after_reading: c
                .boolean("remove_secret_id_file_after_reading")?
                .unwrap_or(true),
            secret_id_response_wrapping_path: c.string("secret_id_response_wrapping_path")?,
        },
        "kubernetes" => MethodKind::Kubernetes {
            role: c
                .string("role")?
                .ok_or_else(|| c.shape("\"role\" is required"))?,
            token_path: c
                .path("token_path")?
                .unwrap_or_else(|| PathBuf::from(SERVICE_ACCOUNT_TOKEN)),
        },
        "jwt" => MethodKind::Jwt {
            role: c
                .string("role")?
                .ok_or_else(|| c.shape("\"role\" is required"))?,
            path: required(c, "path")?,
            remove_jwt_after_reading: c.boolean("remove_jwt_after_reading")?.unwrap_or(true),
        },
        "cert" => MethodKind::Cert {
            name: c.string("name")?,
            client_cert: c.path("client_cert")?,
            client_key: c.path("client_key")?,
            ca_cert: c.path("ca_cert")?,
        },
        "token_file" => MethodKind::TokenFile {
            token_file_path: required(c, "token_file_path")?,
        },
        other => return Err(c.shape(format!("unsupported auto_auth method {other:?}"))),
    })
}

fn sink(kind: &str, b: Block<'_>) -> Result<Sink, ConfigError> {
    if kind != "file" {
        return Err(b.shape(format!("unsupported sink type {kind:?}")));
    }
    let wrap_ttl = b.duration("wrap_ttl")?.filter(|d| !d.is_zero());
    for unsupported in ["dh_type", "dh_path", "aad", "aad_env_var"] {
        if b.string(unsupported)?.is_some() {
            return Err(b.shape(format!("{unsupported} is not supported")));
        }
    }
    if b.boolean("derive_key")?.unwrap_or(false) {
        return Err(b.shape("derive_key is not supported"));
    }
    let c = b
        .block("config")?
        .ok_or_else(|| b.shape("a config block with \"path\" is needed"))?;
    let s = Sink {
        path: required(&c, "path")?,
        mode: c.mode("mode")?.unwrap_or(0o640),
        wrap_ttl,
    };
    c.finish()?;
    b.finish()?;
    Ok(s)
}
