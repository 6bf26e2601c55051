//! `tresor read|write|list|delete|patch PATH`: the generic commands on any API path.

use super::context::{finish, local, remote, ClientArgs, Ctx, FieldArg, Run};
use super::data_args;
use super::render;
use super::secret::Secret;
use crate::output::Format;
use clap::Args;
use serde_json::Value;
use std::process::ExitCode;
use tresor_api::Call;

#[derive(Debug, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub field: FieldArg,
    /// The path to read.
    pub path: String,
    /// Query parameters, `k=v`.
    #[arg(allow_hyphen_values = true)]
    pub data: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub field: FieldArg,
    /// Send the request even without data.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// The path to write.
    pub path: String,
    /// Data: `k=v`, `k=@file`, `k=-`, `@file.json` or `-` (a JSON object on stdin).
    #[arg(allow_hyphen_values = true)]
    pub data: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The path to list.
    pub path: String,
}

pub async fn read(a: ReadArgs) -> ExitCode {
    finish(run_read(a).await)
}

pub async fn write(a: WriteArgs, method: &str) -> ExitCode {
    finish(run_write(a, method).await)
}

pub async fn list(a: ListArgs) -> ExitCode {
    finish(run_list(a).await)
}

pub async fn delete(a: ReadArgs) -> ExitCode {
    finish(run_delete(a).await)
}

async fn run_read(a: ReadArgs) -> Run {
    let ctx = a.client.connect()?;
    let path = sanitize(&a.path);
    let query = query(&a.data)?;
    let context = format!("Error reading {path}");
    let Some(secret) = ctx
        .read(&context, Call::new("GET", &path).query(&query))
        .await?
    else {
        return Err(remote(&format!("No value found at {path}")));
    };
    Ok(show(&ctx, &secret, &a.field))
}

async fn run_write(a: WriteArgs, method: &str) -> Run {
    if a.data.is_empty() && !a.force {
        return Err(local("Must supply data or use -force"));
    }
    let data = data_args::parse(&a.data, &mut std::io::stdin())
        .map_err(|e| local(&format!("Failed to parse K=V data: {e}")))?;
    let ctx = a.client.connect()?;
    let path = sanitize(&a.path);
    let body = Value::Object(data);
    let mut call = Call::new(method, &path).body(&body);
    if method == "PATCH" {
        call = call.merge_patch();
    }
    send_write(&ctx, &path, call, &a.field).await
}

/// Sends a write to `path` and prints its outcome as `write` does.
pub async fn send_write(ctx: &Ctx, path: &str, call: Call<'_>, field: &FieldArg) -> Run {
    let answer = ctx
        .secret(&format!("Error writing data to {path}"), call)
        .await?;
    Ok(written(ctx, path, answer, field))
}

/// What a write prints: the success line when nothing came back, else the answer.
pub fn written(ctx: &Ctx, path: &str, answer: Option<Secret>, field: &FieldArg) -> ExitCode {
    outcome(
        ctx,
        &format!("Success! Data written to: {path}"),
        answer,
        field,
    )
}

/// `success` when nothing came back (table format only), else the answer.
fn outcome(ctx: &Ctx, success: &str, answer: Option<Secret>, field: &FieldArg) -> ExitCode {
    match answer {
        None => {
            ctx.info(success);
            ExitCode::SUCCESS
        }
        Some(secret) => show(ctx, &secret, field),
    }
}

/// A secret, or only its `-field`.
pub fn show(ctx: &Ctx, secret: &Secret, field: &FieldArg) -> ExitCode {
    match &field.field {
        Some(name) => render::secret_field(ctx.format, secret, name),
        None => render::secret(ctx.format, secret),
    }
}

async fn run_list(a: ListArgs) -> Run {
    let ctx = a.client.connect()?;
    list_path(&ctx, &sanitize(&a.path)).await
}

/// Lists `path` and prints its keys (shared by `list` and `kv list`).
pub async fn list_path(ctx: &Ctx, path: &str) -> Run {
    let context = format!("Error listing {path}");
    let secret = ctx.read(&context, Call::new("LIST", path)).await?;
    let keys = secret
        .as_ref()
        .and_then(|s| s.data().get("keys"))
        .and_then(Value::as_array);
    match (&secret, keys) {
        (Some(s), Some(keys)) => Ok(render::list(ctx.format, s, keys)),
        _ if ctx.format != Format::Table => {
            render::data(ctx.format, &serde_json::json!({}));
            Err(ExitCode::from(2))
        }
        (None, _) => Err(remote(&format!("No value found at {path}"))),
        (Some(_), None) => Err(remote(&format!("No entries found at {path}"))),
    }
}

async fn run_delete(a: ReadArgs) -> Run {
    let ctx = a.client.connect()?;
    let path = sanitize(&a.path);
    let query = query(&a.data)?;
    let answer = ctx
        .secret(
            &format!("Error deleting {path}"),
            Call::new("DELETE", &path).query(&query),
        )
        .await?;
    Ok(deleted(&ctx, &path, answer, &a.field))
}

/// What a delete prints: the success line when nothing came back, else the answer.
pub fn deleted(ctx: &Ctx, path: &str, answer: Option<Secret>, field: &FieldArg) -> ExitCode {
    let success = format!("Success! Data deleted (if it existed) at: {path}");
    outcome(ctx, &success, answer, field)
}

/// `k=v` arguments as query parameters; a repeated key is sent once per value.
fn query(args: &[String]) -> Result<Vec<(String, String)>, ExitCode> {
    let data = data_args::parse(args, &mut std::io::stdin())
        .map_err(|e| local(&format!("Failed to parse K=V data: {e}")))?;
    let mut out = Vec::new();
    for (k, v) in data {
        let values = match v {
            Value::Array(items) => items,
            other => vec![other],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            out.push((k.clone(), text));
        }
    }
    Ok(out)
}

/// A path without leading or trailing slashes or spaces (Vault's `sanitizePath`).
pub fn sanitize(path: &str) -> String {
    path.trim()
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_owned()
}
