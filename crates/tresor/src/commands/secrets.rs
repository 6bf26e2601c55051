//! `tresor secrets enable|disable|list|tune|move`: secrets engines (`sys/mounts`).

use super::context::{remote, with_ctx, ClientArgs, Ctx, Run};
use super::mounts::{self, Kind, MountCommand};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::process::ExitCode;
use tresor_api::Call;

#[derive(Debug, Args)]
pub struct SecretsArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub cmd: SecretsCommand,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    #[command(flatten)]
    Mount(MountCommand),
    /// Move a secrets engine to another path.
    Move { source: String, destination: String },
}

pub async fn run(a: SecretsArgs) -> ExitCode {
    with_ctx(&a.client, |ctx| dispatch(ctx, a.cmd)).await
}

async fn dispatch(ctx: Ctx, cmd: SecretsCommand) -> Run {
    match cmd {
        SecretsCommand::Mount(c) => mounts::run(&ctx, Kind::Secrets, c).await,
        SecretsCommand::Move {
            source,
            destination,
        } => move_mount(&ctx, &source, &destination).await,
    }
}

fn trailing_slash(p: &str) -> String {
    let p = p.trim();
    if p.ends_with('/') {
        p.to_owned()
    } else {
        format!("{p}/")
    }
}

/// Starts `sys/remount`, then follows `sys/remount/status/<id>` to the end. A server
/// that moves synchronously and has no status path (tresor) is checked in `sys/mounts`.
async fn move_mount(ctx: &Ctx, source: &str, destination: &str) -> Run {
    let (src, dst) = (trailing_slash(source), trailing_slash(destination));
    let body = json!({ "from": src, "to": dst });
    let started = ctx
        .call(
            &format!("Error moving secrets engine {src} to {dst}"),
            Call::new("POST", "sys/remount").body(&body),
        )
        .await?;
    let id = started
        .as_ref()
        .and_then(|s| {
            s.get("migration_id")
                .or_else(|| s.pointer("/data/migration_id"))
        })
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    println!("Started moving secrets engine {src} to {dst}, with migration ID {id}");
    let done =
        format!("Success! Finished moving secrets engine {src} to {dst}, with migration ID {id}");
    loop {
        let status = match ctx.client.get(&format!("sys/remount/status/{id}")).await {
            Ok(s) => s,
            Err(e) if e.status() == Some(404) && mounted(ctx, &dst).await => {
                println!("{done}");
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => {
                return Err(super::fail(
                    &format!("Error checking migration status of secrets engine {src} to {dst}"),
                    &e,
                ))
            }
        };
        let state = status
            .as_ref()
            .and_then(|s| s.pointer("/data/migration_info/status"))
            .and_then(Value::as_str);
        match state {
            Some("success") => {
                println!("{done}");
                return Ok(ExitCode::SUCCESS);
            }
            Some("failure") => {
                return Err(remote(&format!(
                    "Failure! Error encountered moving secrets engine {src} to {dst}, with migration ID {id}"
                )))
            }
            _ => {
                println!("Waiting for terminal status in migration of secrets engine {src} to {dst}, with migration ID {id}");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

async fn mounted(ctx: &Ctx, path: &str) -> bool {
    matches!(ctx.client.get("sys/mounts").await,
        Ok(Some(v)) if v.get("data").and_then(|d| d.get(path)).is_some())
}
