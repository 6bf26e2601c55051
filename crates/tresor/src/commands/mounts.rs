//! What `secrets` and `auth` share: enabling, disabling, listing and tuning mounts of
//! `sys/mounts` or `sys/auth`, with each family's own wording.

use super::context::{Ctx, Run};
use super::data_args;
use super::duration::{self, Duration};
use super::rw::sanitize;
use crate::output::{header_table, structured, Format};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;
use tresor_api::Call;

/// Which mount table a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secrets,
    Auth,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Secrets => "sys/mounts",
            Kind::Auth => "sys/auth",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Secrets => "secrets engine",
            Kind::Auth => "auth method",
        }
    }
}

/// The commands `secrets` and `auth` share.
#[derive(Debug, Subcommand)]
pub enum MountCommand {
    /// Enable (mount) a secrets engine or an auth method.
    Enable(EnableArgs),
    /// Disable it: its data is deleted, its tokens and leases revoked.
    Disable { path: String },
    /// List what is mounted.
    List(ListArgs),
    /// Change TTLs, description, options.
    Tune(TuneArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show every column.
    #[arg(long)]
    pub detailed: bool,
}

pub async fn run(ctx: &Ctx, kind: Kind, cmd: MountCommand) -> Run {
    match cmd {
        MountCommand::Enable(a) => enable(ctx, kind, a).await,
        MountCommand::Disable { path } => disable(ctx, kind, &path).await,
        MountCommand::List(a) => list(ctx, kind, a.detailed).await,
        MountCommand::Tune(a) => tune(ctx, kind, a).await,
    }
}

#[derive(Debug, Args)]
pub struct EnableArgs {
    /// Where to mount it (default: the type's name).
    #[arg(long)]
    pub path: Option<String>,
    #[arg(long, default_value = "")]
    pub description: String,
    #[command(flatten)]
    pub settings: Settings,
    #[arg(long = "force-no-cache")]
    pub force_no_cache: bool,
    /// Not replicated to other clusters.
    #[arg(long)]
    pub local: bool,
    #[arg(long = "seal-wrap")]
    pub seal_wrap: bool,
    /// The type: `kv`, `cubbyhole`, `userpass`...
    #[arg(value_name = "TYPE")]
    pub kind: String,
}

/// The settings `enable` and `tune` both take.
#[derive(Debug, Args)]
pub struct Settings {
    #[arg(long = "default-lease-ttl", value_parser = duration::parse_flag)]
    pub default_lease_ttl: Option<Duration>,
    #[arg(long = "max-lease-ttl", value_parser = duration::parse_flag)]
    pub max_lease_ttl: Option<Duration>,
    /// Engine options `k=v`; may be repeated.
    #[arg(long, value_name = "K=V", value_parser = data_args::pair)]
    pub options: Vec<(String, String)>,
    /// The engine's version (the `version` option: `-version=2` for KV v2).
    #[arg(long)]
    pub version: Option<u32>,
}

impl Settings {
    /// The TTLs given, as the Vault CLI sends them: Go's duration string, or `system`.
    fn ttls(&self, into: &mut Map<String, Value>) {
        for (key, d) in [
            ("default_lease_ttl", self.default_lease_ttl),
            ("max_lease_ttl", self.max_lease_ttl),
        ] {
            if let Some(d) = d.filter(|d| d.0 != 0) {
                let v = if d.0 < 0 {
                    "system".to_owned()
                } else {
                    d.go_string()
                };
                into.insert(key.to_owned(), Value::String(v));
            }
        }
    }

    /// `-options` with `-version` folded in as the `version` option.
    fn options(&self) -> Option<Value> {
        let mut pairs = self.options.clone();
        if let Some(v) = self.version.filter(|v| *v > 0) {
            pairs.push(("version".to_owned(), v.to_string()));
        }
        data_args::pairs_object(&pairs)
    }
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    pub settings: Settings,
    #[arg(long)]
    pub description: Option<String>,
    /// `hidden` or `unauth`.
    #[arg(long = "listing-visibility")]
    pub listing_visibility: Option<String>,
    /// The mount's path.
    pub path: String,
}

/// `path/` for a mount path argument.
fn mount_path(p: &str) -> String {
    format!("{}/", sanitize(p))
}

async fn enable(ctx: &Ctx, kind: Kind, a: EnableArgs) -> Run {
    let engine = a.kind.trim().to_owned();
    let path = a.path.as_deref().unwrap_or(&engine).trim().to_owned();
    let path = if path.ends_with('/') {
        path
    } else {
        format!("{path}/")
    };
    let mut config = Map::new();
    a.settings.ttls(&mut config);
    config.insert("force_no_cache".into(), a.force_no_cache.into());
    let body = json!({
        "type": engine,
        "description": a.description,
        "config": config,
        "local": a.local,
        "seal_wrap": a.seal_wrap,
        "options": a.settings.options(),
    });
    let context = match kind {
        Kind::Secrets => "Error enabling".to_owned(),
        Kind::Auth => format!("Error enabling {engine} auth"),
    };
    let target = format!("{}/{}", kind.table(), path.trim_end_matches('/'));
    ctx.call(&context, Call::new("POST", &target).body(&body))
        .await?;
    match kind {
        Kind::Secrets => println!("Success! Enabled the {engine} secrets engine at: {path}"),
        Kind::Auth => println!("Success! Enabled {engine} auth method at: {path}"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn disable(ctx: &Ctx, kind: Kind, path: &str) -> Run {
    let path = mount_path(path);
    let noun = kind.noun();
    ctx.call(
        &format!("Error disabling {noun} at {path}"),
        Call::new("DELETE", &format!("{}/{}", kind.table(), sanitize(&path))),
    )
    .await?;
    println!("Success! Disabled the {noun} (if it existed) at: {path}");
    Ok(ExitCode::SUCCESS)
}

async fn tune(ctx: &Ctx, kind: Kind, a: TuneArgs) -> Run {
    let path = mount_path(&a.path);
    let mut body = Map::new();
    a.settings.ttls(&mut body);
    if let Some(d) = a.description {
        body.insert("description".into(), d.into());
    }
    if let Some(v) = a.listing_visibility {
        body.insert("listing_visibility".into(), v.into());
    }
    if let Some(o) = a.settings.options() {
        body.insert("options".into(), o);
    }
    // `sys/auth/<path>/tune` rather than the Vault CLI's `sys/mounts/auth/<path>/tune`:
    // Vault serves both; tresor serves the first.
    let target = format!("{}/{path}tune", kind.table());
    let noun = kind.noun();
    let body = Value::Object(body);
    ctx.call(
        &format!("Error tuning {noun} {path}"),
        Call::new("POST", &target).body(&body),
    )
    .await?;
    println!("Success! Tuned the {noun} at: {path}");
    Ok(ExitCode::SUCCESS)
}

/// A mount as the Vault CLI's client library holds it (`api.MountOutput`).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Mount {
    pub uuid: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub accessor: String,
    pub config: MountConfig,
    pub options: Option<BTreeMap<String, String>>,
    pub local: bool,
    pub seal_wrap: bool,
    pub external_entropy_access: bool,
    pub plugin_version: String,
    pub running_plugin_version: String,
    pub running_sha256: String,
    pub deprecation_status: String,
}

/// A mount's `config`: the three settings every mount has, then whatever optional
/// settings the server reports (`token_type`, `listing_visibility`...), as it sends them.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MountConfig {
    pub default_lease_ttl: i64,
    pub max_lease_ttl: i64,
    pub force_no_cache: bool,
    #[serde(flatten)]
    pub optional: BTreeMap<String, Value>,
}

async fn list(ctx: &Ctx, kind: Kind, detailed: bool) -> Run {
    let context = match kind {
        Kind::Secrets => "Error listing secrets engines",
        Kind::Auth => "Error listing enabled authentications",
    };
    let answer = ctx.call(context, Call::new("GET", kind.table())).await?;
    let data = answer
        .as_ref()
        .and_then(|a| a.get("data"))
        .cloned()
        .unwrap_or(Value::Null);
    let mounts: BTreeMap<String, Mount> = serde_json::from_value(data)
        .map_err(|e| super::context::local(&format!("unexpected answer from the server: {e}")))?;
    if ctx.format != Format::Table {
        println!("{}", structured(ctx.format, &mounts).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", mounts_table(kind, &mounts, detailed));
    Ok(ExitCode::SUCCESS)
}

fn mounts_table(kind: Kind, mounts: &BTreeMap<String, Mount>, detailed: bool) -> String {
    let options = |m: &Mount| {
        let pairs: Vec<String> = m
            .options
            .iter()
            .flatten()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        format!("map[{}]", pairs.join(" "))
    };
    let ttl = |m: &Mount, secs: i64| match (m.kind.as_str(), secs) {
        ("system" | "cubbyhole", _) => String::new(),
        (_, 0) => "system".to_owned(),
        (_, s) => s.to_string(),
    };
    let simple = |path: &String, m: &Mount| {
        let mut row = vec![
            path.clone(),
            m.kind.clone(),
            m.accessor.clone(),
            m.description.clone(),
        ];
        if kind == Kind::Auth {
            row.push(m.plugin_version.clone());
        }
        row
    };
    let full = |path: &String, m: &Mount| {
        let replication = if m.local { "local" } else { "replicated" };
        let middle = match kind {
            Kind::Secrets => m.config.force_no_cache.to_string(),
            Kind::Auth => m
                .config
                .optional
                .get("token_type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        };
        [
            path.clone(),
            m.kind.clone(),
            m.accessor.clone(),
            ttl(m, m.config.default_lease_ttl),
            ttl(m, m.config.max_lease_ttl),
            middle,
            replication.to_owned(),
            m.seal_wrap.to_string(),
            m.external_entropy_access.to_string(),
            options(m),
            m.description.clone(),
            m.uuid.clone(),
            m.plugin_version.clone(),
            m.running_plugin_version.clone(),
            m.running_sha256.clone(),
            m.deprecation_status.clone(),
        ]
        .to_vec()
    };
    if !detailed {
        let mut header = vec!["Path", "Type", "Accessor", "Description"];
        if kind == Kind::Auth {
            header.push("Version");
        }
        return header_table(&header, mounts.iter().map(|(p, m)| simple(p, m)).collect());
    }
    let third = match kind {
        Kind::Secrets => "Force No Cache",
        Kind::Auth => "Token Type",
    };
    let header = [
        "Path",
        "Plugin",
        "Accessor",
        "Default TTL",
        "Max TTL",
        third,
        "Replication",
        "Seal Wrap",
        "External Entropy Access",
        "Options",
        "Description",
        "UUID",
        "Version",
        "Running Version",
        "Running SHA256",
        "Deprecation Status",
    ];
    header_table(&header, mounts.iter().map(|(p, m)| full(p, m)).collect())
}
