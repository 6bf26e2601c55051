//! `template {}`, `template_config {}`, `env_template "NAME" {}` and `exec {}`.

use super::reader::Block;
use super::ConfigError;
use std::path::PathBuf;
use std::time::Duration;

/// Where a template's text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateText {
    File(PathBuf),
    Inline(String),
}

#[derive(Debug, Clone)]
pub struct TemplateSpec {
    pub text: TemplateText,
    pub destination: PathBuf,
    /// Vault's default is 0644.
    pub perms: u32,
    pub create_dest_dirs: bool,
    /// Run after each render that changed the file (argv; a single string runs through
    /// `sh -c`, as consul-template does).
    pub command: Vec<String>,
    pub command_timeout: Duration,
    pub error_on_missing_key: bool,
    pub left_delimiter: String,
    pub right_delimiter: String,
    /// Keep the file a render replaces as `<destination>.bak`.
    pub backup: bool,
}

#[derive(Debug, Clone)]
pub struct TemplateConfig {
    pub exit_on_retry_failure: bool,
    /// How often secrets without a lease (KV) are read again: Vault's default is 5 min.
    pub static_secret_render_interval: Duration,
    /// The fraction of a lease after which it is renewed: Vault's default is 0.9.
    pub lease_renewal_threshold: f64,
}

impl Default for TemplateConfig {
    fn default() -> Self {
        Self {
            exit_on_retry_failure: false,
            static_secret_render_interval: Duration::from_secs(300),
            lease_renewal_threshold: 0.9,
        }
    }
}

/// One environment variable of the child in exec mode.
#[derive(Debug, Clone)]
pub struct EnvTemplate {
    pub name: String,
    pub contents: String,
    pub error_on_missing_key: bool,
    pub left_delimiter: String,
    pub right_delimiter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartOn {
    Always,
    Never,
}

/// `exec {}`: the child the agent supervises.
#[derive(Debug, Clone)]
pub struct Exec {
    pub command: Vec<String>,
    pub restart_on_secret_changes: RestartOn,
    /// The signal that stops the child before a restart (Vault: SIGTERM).
    pub restart_stop_signal: String,
}

fn delimiters(b: &Block<'_>) -> Result<(String, String), ConfigError> {
    Ok((
        b.string("left_delimiter")?
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "{{".into()),
        b.string("right_delimiter")?
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "}}".into()),
    ))
}

pub fn template(b: Block<'_>) -> Result<TemplateSpec, ConfigError> {
    let text = match (b.path("source")?, b.string("contents")?) {
        (Some(_), Some(_)) => return Err(b.shape("only one of source and contents may be set")),
        (Some(p), None) => TemplateText::File(p),
        (None, Some(c)) => TemplateText::Inline(c),
        (None, None) => return Err(b.shape("one of source or contents is needed")),
    };
    let destination = b
        .path("destination")?
        .ok_or_else(|| b.shape("\"destination\" is required"))?;
    let (left_delimiter, right_delimiter) = delimiters(&b)?;
    let mut command = b.strings("command")?.unwrap_or_default();
    if let Some(exec) = b.block("exec")? {
        command = exec.strings("command")?.unwrap_or_default();
        exec.duration("timeout")?;
        exec.finish()?;
    }
    if command.len() == 1 {
        let line = command.remove(0);
        command = vec!["/bin/sh".into(), "-c".into(), line];
    }
    let t = TemplateSpec {
        text,
        destination,
        perms: b.mode("perms")?.unwrap_or(0o644),
        create_dest_dirs: b.boolean("create_dest_dirs")?.unwrap_or(true),
        command,
        command_timeout: b
            .duration("command_timeout")?
            .unwrap_or(Duration::from_secs(30)),
        error_on_missing_key: b.boolean("error_on_missing_key")?.unwrap_or(false),
        left_delimiter,
        right_delimiter,
        backup: b.boolean("backup")?.unwrap_or(false),
    };
    // Accepted and without effect here: renders are not batched.
    if let Some(w) = b.block("wait")? {
        w.duration("min")?;
        w.duration("max")?;
        w.finish()?;
    }
    b.finish()?;
    Ok(t)
}

pub fn template_config(b: Block<'_>) -> Result<TemplateConfig, ConfigError> {
    let mut c = TemplateConfig {
        exit_on_retry_failure: b.boolean("exit_on_retry_failure")?.unwrap_or(false),
        ..TemplateConfig::default()
    };
    if let Some(d) = b
        .duration("static_secret_render_interval")?
        .filter(|d| !d.is_zero())
    {
        c.static_secret_render_interval = d;
    }
    if let Some(t) = b.string("lease_renewal_threshold")? {
        c.lease_renewal_threshold = t
            .parse::<f64>()
            .ok()
            .filter(|t| *t > 0.0 && *t <= 1.0)
            .ok_or_else(|| b.shape("lease_renewal_threshold must be a number in (0, 1]"))?;
    }
    b.integer("max_connections_per_host")?;
    b.finish()?;
    Ok(c)
}

pub fn env_template(name: String, b: Block<'_>) -> Result<EnvTemplate, ConfigError> {
    let contents = b
        .string("contents")?
        .ok_or_else(|| b.shape("\"contents\" is required"))?;
    let (left_delimiter, right_delimiter) = delimiters(&b)?;
    let t = EnvTemplate {
        name,
        contents,
        error_on_missing_key: b.boolean("error_on_missing_key")?.unwrap_or(false),
        left_delimiter,
        right_delimiter,
    };
    b.finish()?;
    Ok(t)
}

pub fn exec(b: Block<'_>) -> Result<Exec, ConfigError> {
    let command = b
        .strings("command")?
        .filter(|c| !c.is_empty())
        .ok_or_else(|| b.shape("\"command\" is required"))?;
    let restart = match b.string("restart_on_secret_changes")?.as_deref() {
        None | Some("always") => RestartOn::Always,
        Some("never") => RestartOn::Never,
        Some(_) => return Err(b.shape("restart_on_secret_changes must be \"always\" or \"never\"")),
    };
    let e = Exec {
        command,
        restart_on_secret_changes: restart,
        restart_stop_signal: b
            .string("restart_stop_signal")?
            .unwrap_or_else(|| "SIGTERM".into()),
    };
    b.finish()?;
    Ok(e)
}
