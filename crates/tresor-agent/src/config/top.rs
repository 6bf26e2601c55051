//! The top level of the file: `vault`, `listener`, `api_proxy`, `cache`, the flags, and
//! the blocks that have modules of their own.

use super::reader::Block;
use super::{auto_auth, templates, AgentConfig, ConfigError};
use std::path::PathBuf;

/// Where the server is (`vault {}`); the environment (`VAULT_ADDR`...) fills what the
/// block leaves out.
#[derive(Debug, Clone, Default)]
pub struct Vault {
    pub address: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub tls_skip_verify: bool,
    /// Retries of a failed request (`retry { num_retries }`): Vault's default is 12.
    pub num_retries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    Tcp,
    Unix,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub kind: ListenerKind,
    pub address: String,
    pub tls_disable: bool,
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// Unix sockets: the socket file's mode.
    pub socket_mode: Option<u32>,
    /// Refuse requests without `X-Vault-Request: true` (Vault's SSRF guard).
    pub require_request_header: bool,
}

/// `api_proxy {}`: how requests to the listeners reach the server.
#[derive(Debug, Clone, Default)]
pub struct ApiProxy {
    /// Requests without a token are sent with the auto-auth token.
    pub use_auto_auth_token: bool,
    /// `"force"`: even requests that carry a token are sent with the auto-auth token.
    pub force_auto_auth_token: bool,
}

pub fn read(b: Block<'_>) -> Result<AgentConfig, ConfigError> {
    let mut c = AgentConfig {
        exit_after_auth: b.boolean("exit_after_auth")?.unwrap_or(false),
        pid_file: b.path("pid_file")?,
        log_level: b.string("log_level")?,
        ..AgentConfig::default()
    };
    // Read and ignored, as Vault Agent does in its own process (logging and mlock
    // settings that do not change what the agent does).
    for key in [
        "log_file",
        "log_format",
        "disable_mlock",
        "disable_idle_connections",
        "disable_keep_alives",
    ] {
        b.string(key)?;
    }
    if let Some(v) = b.block("vault")? {
        c.vault = vault(v)?;
    }
    if let Some(a) = b.block("auto_auth")? {
        c.auto_auth = Some(auto_auth::read(a)?);
    }
    for t in b.blocks("template", 0)? {
        c.templates.push(templates::template(t.body)?);
    }
    if let Some(t) = b.block("template_config")? {
        c.template_config = templates::template_config(t)?;
    }
    for e in b.blocks("env_template", 1)? {
        let name = e.labels.into_iter().next().unwrap_or_default();
        c.env_templates.push(templates::env_template(name, e.body)?);
    }
    if let Some(e) = b.block("exec")? {
        c.exec = Some(templates::exec(e)?);
    }
    if let Some(p) = b.block("api_proxy")? {
        c.api_proxy = api_proxy(p)?;
    }
    if let Some(cache) = b.block("cache")? {
        c.cache = true;
        // The legacy spelling of api_proxy's setting.
        if let Some(v) = cache.string("use_auto_auth_token")? {
            c.api_proxy.use_auto_auth_token = v != "false";
            c.api_proxy.force_auto_auth_token = v == "force";
        }
        cache.finish()?;
    }
    for (kind, l) in b.typed_blocks("listener")? {
        c.listeners.push(listener(&kind, l)?);
    }
    check(&b, &c)?;
    b.finish()?;
    Ok(c)
}

fn check(b: &Block<'_>, c: &AgentConfig) -> Result<(), ConfigError> {
    if c.exec.is_some() && !c.templates.is_empty() {
        return Err(
            b.shape("'template' and 'exec' cannot be used together (use env_template with exec)")
        );
    }
    if !c.env_templates.is_empty() && c.exec.is_none() {
        return Err(b.shape("env_template needs an exec block"));
    }
    if c.api_proxy.use_auto_auth_token && c.auto_auth.is_none() {
        return Err(b.shape("api_proxy's use_auto_auth_token needs an auto_auth block"));
    }
    Ok(())
}

fn vault(b: Block<'_>) -> Result<Vault, ConfigError> {
    let mut v = Vault {
        address: b.string("address")?,
        ca_cert: b.path("ca_cert")?,
        client_cert: b.path("client_cert")?,
        client_key: b.path("client_key")?,
        tls_skip_verify: b.boolean("tls_skip_verify")?.unwrap_or(false),
        num_retries: 12,
    };
    if let Some(r) = b.block("retry")? {
        // -1 (or 0 in some versions) turns retries off.
        v.num_retries = u32::try_from(r.integer("num_retries")?.unwrap_or(12).max(0)).unwrap_or(12);
        r.finish()?;
    }
    b.finish()?;
    Ok(v)
}

fn api_proxy(b: Block<'_>) -> Result<ApiProxy, ConfigError> {
    let setting = b.string("use_auto_auth_token")?.unwrap_or_default();
    let p = ApiProxy {
        use_auto_auth_token: matches!(setting.as_str(), "true" | "force"),
        force_auto_auth_token: setting == "force",
    };
    if !matches!(setting.as_str(), "" | "true" | "false" | "force") {
        return Err(b.shape("use_auto_auth_token must be true, false or \"force\""));
    }
    if let Some(v) = b.string("enforce_consistency")? {
        if v != "never" {
            return Err(b.shape("enforce_consistency is not supported (tresor is consistent)"));
        }
    }
    b.string("when_inconsistent")?;
    b.finish()?;
    Ok(p)
}

fn listener(kind: &str, b: Block<'_>) -> Result<Listener, ConfigError> {
    let kind = match kind {
        "tcp" => ListenerKind::Tcp,
        "unix" => ListenerKind::Unix,
        other => return Err(b.shape(format!("unknown listener type {other:?}"))),
    };
    let l = Listener {
        kind,
        address: b
            .string("address")?
            .unwrap_or_else(|| "127.0.0.1:8200".to_owned()),
        tls_disable: b.boolean("tls_disable")?.unwrap_or(false),
        tls_cert_file: b.path("tls_cert_file")?,
        tls_key_file: b.path("tls_key_file")?,
        socket_mode: b.mode("socket_mode")?,
        require_request_header: b.boolean("require_request_header")?.unwrap_or(false),
    };
    if l.kind == ListenerKind::Tcp
        && !l.tls_disable
        && (l.tls_cert_file.is_none() || l.tls_key_file.is_none())
    {
        return Err(
            b.shape("a TLS listener needs tls_cert_file and tls_key_file (or tls_disable = true)")
        );
    }
    b.finish()?;
    Ok(l)
}
