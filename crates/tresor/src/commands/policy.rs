//! `tresor policy list|read|write|delete|fmt`: ACL policies (`sys/policies/acl`).

use super::context::{finish, local, remote, with_ctx, ClientArgs, Ctx, Run};
use super::data_args::io_text;
use super::{policy_fmt, render};
use crate::output::Format;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::io::Read;
use std::process::ExitCode;
use tresor_api::Call;

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub cmd: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// List the names of the ACL policies.
    List,
    /// Print a policy's text.
    Read { name: String },
    /// Upload a policy from a file, or from stdin with `-`.
    Write { name: String, file: String },
    /// Delete a policy.
    Delete { name: String },
    /// Check a policy file and rewrite it laid out canonically (see `policy_fmt`).
    Fmt { file: String },
}

pub async fn run(a: PolicyArgs) -> ExitCode {
    if let PolicyCommand::Fmt { file } = &a.cmd {
        return finish(policy_fmt::run(file));
    }
    with_ctx(&a.client, |ctx| dispatch(ctx, a.cmd)).await
}

async fn dispatch(ctx: Ctx, cmd: PolicyCommand) -> Run {
    match cmd {
        PolicyCommand::List => list(&ctx).await,
        PolicyCommand::Read { name } => read(&ctx, &name).await,
        PolicyCommand::Write { name, file } => write(&ctx, &name, &file).await,
        PolicyCommand::Delete { name } => delete(&ctx, &name).await,
        PolicyCommand::Fmt { file } => policy_fmt::run(&file),
    }
}

/// A policy name as the Vault CLI sends it: trimmed, lower case.
fn normalize(name: &str) -> String {
    name.trim().to_lowercase()
}

async fn list(ctx: &Ctx) -> Run {
    let answer = ctx
        .call(
            "Error listing policies",
            Call::new("LIST", "sys/policies/acl"),
        )
        .await?;
    let keys: Vec<Value> = answer
        .as_ref()
        .and_then(|a| a.pointer("/data/keys"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if ctx.format != Format::Table {
        return Ok(render::data(ctx.format, &keys));
    }
    for k in &keys {
        println!("{}", k.as_str().unwrap_or_default());
    }
    Ok(ExitCode::SUCCESS)
}

async fn read(ctx: &Ctx, name: &str) -> Run {
    let name = normalize(name);
    let path = format!("sys/policies/acl/{name}");
    let context = format!("Error reading policy named {name}");
    let secret = ctx.read(&context, Call::new("GET", &path)).await?;
    let rules = secret
        .as_ref()
        .and_then(|s| s.data().get("policy"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if rules.is_empty() {
        return Err(remote(&format!("No policy named: {name}")));
    }
    if ctx.format == Format::Table {
        println!("{}", rules.trim());
        return Ok(ExitCode::SUCCESS);
    }
    Ok(render::data(ctx.format, &json!({ "policy": rules })))
}

async fn write(ctx: &Ctx, name: &str, file: &str) -> Run {
    let formatted = normalize(name);
    let file = file.trim();
    let mut rules = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut rules)
    } else {
        match std::fs::File::open(file) {
            Ok(mut f) => f.read_to_string(&mut rules),
            Err(e) => {
                return Err(remote(&format!(
                    "Error opening policy file: open {file}: {}",
                    io_text(&e)
                )))
            }
        }
    };
    read.map_err(|e| remote(&format!("Error reading policy: {}", io_text(&e))))?;
    let body = json!({ "policy": rules });
    ctx.call(
        "Error uploading policy",
        Call::new("PUT", &format!("sys/policies/acl/{formatted}")).body(&body),
    )
    .await?;
    if name != formatted {
        eprintln!("Policy name was converted from \"{name}\" to \"{formatted}\"");
    }
    println!("Success! Uploaded policy: {formatted}");
    Ok(ExitCode::SUCCESS)
}

async fn delete(ctx: &Ctx, name: &str) -> Run {
    let name = normalize(name);
    if name.is_empty() {
        return Err(local("Not enough arguments (expected 1, got 0)"));
    }
    ctx.call(
        &format!("Error deleting {name}"),
        Call::new("DELETE", &format!("sys/policies/acl/{name}")),
    )
    .await?;
    println!("Success! Deleted policy: {name}");
    Ok(ExitCode::SUCCESS)
}
