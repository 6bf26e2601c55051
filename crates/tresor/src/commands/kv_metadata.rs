//! `tresor kv metadata get|put|delete`: a KV v2 secret's metadata.

use super::context::{remote, Ctx, FieldArg, Run};
use super::kv_args::{MetadataCommand, MetadataPutArgs, PathArgs};
use super::kv_paths::KvPath;
use super::{data_args, render, rw};
use crate::output::Format;
use serde_json::{Map, Value};
use std::process::ExitCode;
use tresor_api::Call;

const NOT_V1: &str = "Metadata not supported on KV Version 1";

pub async fn run(ctx: &Ctx, cmd: MetadataCommand) -> Run {
    match cmd {
        MetadataCommand::Get(a) => get(ctx, a).await,
        MetadataCommand::Put(a) => put(ctx, a).await,
        MetadataCommand::Delete(a) => delete(ctx, a).await,
    }
}

async fn metadata_path(ctx: &Ctx, mount: Option<&str>, path: &str) -> Result<String, ExitCode> {
    let kv = KvPath::resolve(ctx, mount, path).await?;
    kv.require_v2(NOT_V1, 1)?;
    Ok(kv.api("metadata"))
}

async fn get(ctx: &Ctx, a: PathArgs) -> Run {
    let path = metadata_path(ctx, a.mount.mount.as_deref(), &a.path).await?;
    let context = format!("Error reading {path}");
    let Some(mut secret) = ctx.read(&context, Call::new("GET", &path)).await? else {
        return Err(remote(&format!("No value found at {path}")));
    };
    if a.field.field.is_some() || ctx.format != Format::Table {
        return Ok(rw::show(ctx, &secret, &a.field));
    }
    let versions = secret
        .data
        .as_mut()
        .and_then(|d| d.remove("versions"))
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        });
    let Some(versions) = versions else {
        eprintln!("No value found at {path}");
        render::secret(ctx.format, &secret);
        return Err(ExitCode::from(2));
    };
    render::path_heading("Metadata Path", &path);
    println!("{}", render::map_header("Metadata", secret.data()));
    render::secret(ctx.format, &secret);
    let mut numbered: Vec<(u64, &Value)> = Vec::new();
    for (k, v) in &versions {
        let n = k
            .parse::<u64>()
            .map_err(|_| remote(&format!("Error parsing version {k}")))?;
        numbered.push((n, v));
    }
    numbered.sort_by_key(|(n, _)| *n);
    let empty = Map::new();
    for (n, v) in numbered {
        let fields = v.as_object().unwrap_or(&empty);
        println!("\n{}", render::map_header(&format!("Version {n}"), fields));
        print!("{}", render::map_table(fields));
    }
    Ok(ExitCode::SUCCESS)
}

async fn put(ctx: &Ctx, a: MetadataPutArgs) -> Run {
    let path = metadata_path(ctx, a.mount.mount.as_deref(), &a.path).await?;
    let mut body = Map::new();
    if let Some(n) = a.max_versions {
        body.insert("max_versions".into(), n.into());
    }
    if let Some(d) = a.delete_version_after.filter(|d| d.0 >= 0) {
        body.insert("delete_version_after".into(), d.go_string().into());
    }
    if let Some(cas) = a.cas_required {
        body.insert("cas_required".into(), cas.into());
    }
    if let Some(custom) = data_args::pairs_object(&a.custom_metadata) {
        body.insert("custom_metadata".into(), custom);
    }
    let body = Value::Object(body);
    let call = Call::new("PUT", &path).body(&body);
    rw::send_write(ctx, &path, call, &FieldArg::default()).await
}

async fn delete(ctx: &Ctx, a: PathArgs) -> Run {
    let path = metadata_path(ctx, a.mount.mount.as_deref(), &a.path).await?;
    ctx.call(
        &format!("Error deleting {path}"),
        Call::new("DELETE", &path),
    )
    .await?;
    println!("Success! Data deleted (if it existed) at: {path}");
    Ok(ExitCode::SUCCESS)
}
