//! `tresor audit enable|disable|list`: audit devices (`sys/audit`).

use super::context::{local, with_ctx, ClientArgs, Ctx, Run};
use super::data_args;
use super::rw::sanitize;
use crate::output::{go_value, header_table, structured, Format};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;
use tresor_api::Call;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub cmd: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Enable an audit device: `TYPE [K=V options...]` (`file file_path=/var/log/audit.log`).
    Enable(EnableArgs),
    /// Disable the audit device at a path (its path, not its type).
    Disable(DisableArgs),
    /// List the enabled audit devices.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct EnableArgs {
    /// Where to enable the device (default: its type); unique among audit devices.
    #[arg(long)]
    pub path: Option<String>,
    /// What the device is for.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Not replicated to other clusters.
    #[arg(long)]
    pub local: bool,
    /// The type (`file`, `socket`, `syslog`), then the device's options `k=v`.
    #[arg(value_name = "TYPE [K=V...]", allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    /// The device's path.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show replication and options too.
    #[arg(long)]
    pub detailed: bool,
}

pub async fn run(a: AuditArgs) -> ExitCode {
    with_ctx(&a.client, |ctx| dispatch(ctx, a.cmd)).await
}

async fn dispatch(ctx: Ctx, cmd: AuditCommand) -> Run {
    match cmd {
        AuditCommand::Enable(a) => enable(&ctx, a).await,
        AuditCommand::Disable(a) => disable(&ctx, &a.paths).await,
        AuditCommand::List(a) => list(&ctx, a.detailed).await,
    }
}

fn with_trailing_slash(p: &str) -> String {
    if p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

async fn enable(ctx: &Ctx, a: EnableArgs) -> Run {
    let Some((kind, options)) = a.args.split_first() else {
        return Err(local(
            "Error enabling audit device: audit type missing. Valid types include 'file', \
             'socket' and 'syslog'.",
        ));
    };
    let kind = kind.trim().to_owned();
    let shown = with_trailing_slash(a.path.as_deref().unwrap_or(&kind));
    let options = data_args::parse_strings(options, &mut std::io::stdin())
        .map_err(|e| local(&format!("Failed to parse K=V data: {e}")))?;
    let options: Map<String, Value> = options
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let body = json!({
        "type": kind,
        "description": a.description,
        "options": options,
        "local": a.local,
    });
    let target = format!("sys/audit/{}", sanitize(&shown));
    ctx.call(
        "Error enabling audit device",
        Call::new("PUT", &target).body(&body),
    )
    .await?;
    println!("Success! Enabled the {kind} audit device at: {shown}");
    Ok(ExitCode::SUCCESS)
}

async fn disable(ctx: &Ctx, paths: &[String]) -> Run {
    let path = match paths {
        [p] => with_trailing_slash(&sanitize(p)),
        other => {
            let problem = if other.is_empty() {
                "Not enough"
            } else {
                "Too many"
            };
            return Err(local(&format!(
                "{problem} arguments (expected 1, got {})",
                other.len()
            )));
        }
    };
    ctx.call(
        "Error disabling audit device",
        Call::new("DELETE", &format!("sys/audit/{}", sanitize(&path))),
    )
    .await?;
    println!("Success! Disabled audit device (if it was enabled) at: {path}");
    Ok(ExitCode::SUCCESS)
}

/// An audit device as `sys/audit` lists it, fields in the Vault CLI's order.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Device {
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub options: Option<BTreeMap<String, Value>>,
    pub local: bool,
    pub path: String,
}

async fn list(ctx: &Ctx, detailed: bool) -> Run {
    let answer = ctx
        .call("Error listing audits", Call::new("GET", "sys/audit"))
        .await?;
    let data = answer
        .as_ref()
        .and_then(|a| a.get("data"))
        .filter(|d| !d.is_null())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let devices: BTreeMap<String, Device> = serde_json::from_value(data)
        .map_err(|e| local(&format!("unexpected answer from the server: {e}")))?;
    if ctx.format != Format::Table {
        println!("{}", structured(ctx.format, &devices).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    if devices.is_empty() {
        println!("No audit devices are enabled.");
        return Err(ExitCode::from(2));
    }
    print!("{}", devices_table(&devices, detailed));
    Ok(ExitCode::SUCCESS)
}

fn devices_table(devices: &BTreeMap<String, Device>, detailed: bool) -> String {
    if !detailed {
        let rows = devices
            .values()
            .map(|d| vec![d.path.clone(), d.kind.clone(), d.description.clone()])
            .collect();
        return header_table(&["Path", "Type", "Description"], rows);
    }
    let rows = devices
        .iter()
        .map(|(path, d)| {
            let options: Vec<String> = d
                .options
                .iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", go_value(v)))
                .collect();
            let replication = if d.local { "local" } else { "replicated" };
            vec![
                path.clone(),
                d.kind.clone(),
                d.description.clone(),
                replication.to_owned(),
                options.join(" "),
            ]
        })
        .collect();
    header_table(
        &["Path", "Type", "Description", "Replication", "Options"],
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_like_the_vault_cli() {
        let devices: BTreeMap<String, Device> = serde_json::from_value(json!({
            "file/": {"type": "file", "description": "", "options": {"file_path": "/x", "mode": "0600"},
                      "local": false, "path": "file/"},
            "b/": {"type": "syslog", "description": "logs", "options": {}, "local": true, "path": "b/"},
        }))
        .unwrap();
        assert_eq!(
            devices_table(&devices, false),
            "Path     Type      Description\n\
             ----     ----      -----------\n\
             b/       syslog    logs\n\
             file/    file      n/a\n"
        );
        assert_eq!(
            devices_table(&devices, true),
            "Path     Type      Description    Replication    Options\n\
             ----     ----      -----------    -----------    -------\n\
             b/       syslog    logs           local          n/a\n\
             file/    file      n/a            replicated     file_path=/x mode=0600\n"
        );
        let j = crate::output::json(&devices);
        assert!(j.starts_with("{\n  \"b/\": {\n    \"type\": \"syslog\",\n    \"description\""));
    }
}
