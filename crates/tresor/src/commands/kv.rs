//! `tresor kv get|put|patch` and the dispatch of every `kv` subcommand; the version
//! commands live in `kv_versions`, metadata in `kv_metadata`, paths in `kv_paths`.

use super::context::{local, remote, with_ctx, Ctx, FieldArg, Run};
use super::kv_args::{GetArgs, KvArgs, KvCommand, PatchArgs, PutArgs};
use super::kv_paths::KvPath;
use super::secret::Secret;
use super::{data_args, kv_metadata, kv_versions, render, rw};
use crate::output::Format;
use serde_json::{json, Map, Value};
use std::process::ExitCode;
use tresor_api::Call;

pub async fn run(a: KvArgs) -> ExitCode {
    with_ctx(&a.client, |ctx| dispatch(ctx, a.cmd)).await
}

async fn dispatch(ctx: Ctx, cmd: KvCommand) -> Run {
    let ctx = &ctx;
    match cmd {
        KvCommand::Get(a) => get(ctx, a).await,
        KvCommand::Put(a) => put(ctx, a).await,
        KvCommand::Patch(a) => patch(ctx, a).await,
        KvCommand::Delete(a) => kv_versions::delete(ctx, a).await,
        KvCommand::Undelete(a) => kv_versions::undelete(ctx, a).await,
        KvCommand::Destroy(a) => kv_versions::destroy(ctx, a).await,
        KvCommand::List(a) => kv_versions::list(ctx, a).await,
        KvCommand::Rollback(a) => kv_versions::rollback(ctx, a).await,
        KvCommand::Metadata(m) => kv_metadata::run(ctx, m).await,
    }
}

/// Reads a KV path (a given version, if any) with Vault's 404 rules.
pub async fn read(
    ctx: &Ctx,
    path: &str,
    version: Option<u64>,
    context: &str,
) -> Result<Option<Secret>, ExitCode> {
    let query: Vec<(String, String)> = version
        .filter(|v| *v > 0)
        .map(|v| ("version".to_owned(), v.to_string()))
        .into_iter()
        .collect();
    ctx.read(context, Call::new("GET", path).query(&query))
        .await
}

async fn get(ctx: &Ctx, a: GetArgs) -> Run {
    let kv = KvPath::resolve(ctx, a.mount.mount.as_deref(), &a.path).await?;
    let path = kv.api("data");
    let version = if kv.v2 { a.version } else { None };
    let context = format!("Error reading {path}");
    let Some(secret) = read(ctx, &path, version, &context).await? else {
        return Err(remote(&format!("No value found at {path}")));
    };
    if let Some(name) = &a.field.field {
        return get_field(ctx, &kv, &secret, &path, name);
    }
    if ctx.format != Format::Table || secret.wrap_info.is_some() {
        return Ok(render::secret(ctx.format, &secret));
    }
    render::warnings(&secret);
    if kv.v2 {
        render::path_heading("Secret Path", &path);
    }
    if let Some(Value::Object(meta)) = secret.data().get("metadata") {
        println!("{}", render::map_header("Metadata", meta));
        print!("{}", render::map_table(meta));
        println!();
    }
    let data = if kv.v2 {
        secret.data().get("data").and_then(Value::as_object)
    } else {
        secret.data.as_ref()
    };
    if let Some(data) = data {
        println!("{}", render::map_header("Data", data));
        print!("{}", render::map_table(data));
    }
    Ok(ExitCode::SUCCESS)
}

/// `kv get -field`: on v2 a field of the secret's data (`data` itself when asked for
/// and the data has no such key).
fn get_field(ctx: &Ctx, kv: &KvPath, secret: &Secret, path: &str, name: &str) -> Run {
    if !kv.v2 {
        return Ok(render::secret_field(ctx.format, secret, name));
    }
    let Some(data) = secret.data().get("data").filter(|d| !d.is_null()) else {
        return Err(remote(&format!("No data found at {path}")));
    };
    if name == "data" && data.get("data").is_none() {
        return Ok(render::secret_field(ctx.format, secret, name));
    }
    Ok(render::field(
        ctx.format,
        data.get(name).cloned(),
        name,
        "map",
    ))
}

async fn put(ctx: &Ctx, a: PutArgs) -> Run {
    if a.data.is_empty() {
        return Err(local("Must supply data"));
    }
    let data = parse_data(&a.data)?;
    let kv = KvPath::resolve(ctx, a.mount.mount.as_deref(), &a.path).await?;
    let path = kv.api("data");
    let body = if kv.v2 {
        let mut options = Map::new();
        if let Some(cas) = a.cas.filter(|c| *c > -1) {
            options.insert("cas".into(), cas.into());
        }
        json!({ "data": data, "options": options })
    } else {
        Value::Object(data)
    };
    let call = Call::new("PUT", &path).body(&body);
    let answer = ctx
        .secret(&format!("Error writing data to {path}"), call)
        .await?;
    Ok(show_write(ctx, &path, answer, &a.field))
}

/// What `kv put`, `kv patch` print: the new version's metadata under the secret's path.
fn show_write(ctx: &Ctx, path: &str, answer: Option<Secret>, field: &FieldArg) -> ExitCode {
    match answer {
        Some(secret) if field.field.is_none() && ctx.format == Format::Table => {
            render::path_heading("Secret Path", path);
            println!("{}", render::map_header("Metadata", secret.data()));
            print!("{}", render::map_table(secret.data()));
            ExitCode::SUCCESS
        }
        other => rw::written(ctx, path, other, field),
    }
}

fn parse_data(args: &[String]) -> Result<Map<String, Value>, ExitCode> {
    data_args::parse(args, &mut std::io::stdin())
        .map_err(|e| local(&format!("Failed to parse K=V data: {e}")))
}

async fn patch(ctx: &Ctx, a: PatchArgs) -> Run {
    let put = a.put;
    if put.data.is_empty() && a.remove_data.is_empty() {
        return Err(local("Must supply data"));
    }
    let mut data = parse_data(&put.data)?;
    for key in &a.remove_data {
        data.insert(key.clone(), Value::Null);
    }
    let kv = KvPath::resolve(ctx, put.mount.mount.as_deref(), &put.path).await?;
    kv.require_v2("K/V engine mount must be version 2 for patch support", 2)?;
    let path = kv.api("data");
    let answer = match a.method.as_deref().unwrap_or("") {
        "rw" => read_then_write(ctx, &path, data).await?,
        "patch" => merge_patch(ctx, &path, &data, put.cas, false).await?,
        "" => match merge_patch(ctx, &path, &data, put.cas, true).await {
            Err(Refused::Status(405)) => read_then_write(ctx, &path, data).await?,
            Err(Refused::Status(403)) => {
                eprintln!(
                    "Data was written to {path} but we recommend that you add the \"patch\" \
                     capability to your ACL policy in order to use HTTP PATCH in the future."
                );
                read_then_write(ctx, &path, data).await?
            }
            other => other?,
        },
        m => {
            return Err(remote(&format!(
                "Unsupported method provided to -method flag: {m}"
            )))
        }
    };
    Ok(show_write(ctx, &path, answer, &put.field))
}

/// Why a PATCH did not go through: a status worth a fallback, or a reported error.
enum Refused {
    Status(u16),
    Reported(ExitCode),
}

impl From<Refused> for ExitCode {
    fn from(r: Refused) -> ExitCode {
        match r {
            Refused::Status(_) => ExitCode::from(2),
            Refused::Reported(code) => code,
        }
    }
}

async fn merge_patch(
    ctx: &Ctx,
    path: &str,
    data: &Map<String, Value>,
    cas: Option<i64>,
    fallback: bool,
) -> Result<Option<Secret>, Refused> {
    let mut options = Map::new();
    if let Some(cas) = cas.filter(|c| *c > 0) {
        options.insert("cas".into(), cas.into());
    }
    let body = json!({ "data": data, "options": options });
    let call = Call::new("PATCH", path).body(&body).merge_patch();
    match ctx.client.call(call).await {
        Ok(Some(v)) => Secret::from_value(v)
            .map(Some)
            .map_err(|e| Refused::Reported(local(&e))),
        Ok(None) => Ok(None),
        Err(e) if fallback && matches!(e.status(), Some(403 | 405)) => {
            Err(Refused::Status(e.status().unwrap_or(0)))
        }
        Err(e) => Err(Refused::Reported(super::fail(
            &format!("Error writing data to {path}"),
            &e,
        ))),
    }
}

/// A version's metadata and data (`None` when deleted or destroyed), for a write that
/// depends on them; `why` names the command in errors.
pub async fn current(
    ctx: &Ctx,
    path: &str,
    version: Option<u64>,
    why: &str,
) -> Result<(Map<String, Value>, Option<Map<String, Value>>), ExitCode> {
    let context = format!("Error doing pre-read at {path}");
    let secret = read(ctx, path, version, &context).await?;
    let Some(secret) = secret.filter(|s| s.data.is_some()) else {
        return Err(remote(&format!("No value found at {path}")));
    };
    let Some(meta) = secret.data().get("metadata").and_then(Value::as_object) else {
        return Err(remote(&format!(
            "No metadata found at {path}; {why} only works on existing data"
        )));
    };
    let data = secret.data().get("data").and_then(Value::as_object);
    Ok((meta.clone(), data.cloned()))
}

/// The data `current` found, or the error Vault reports when there is none.
pub fn existing(
    data: Option<Map<String, Value>>,
    path: &str,
    why: &str,
) -> Result<Map<String, Value>, ExitCode> {
    data.ok_or_else(|| {
        remote(&format!(
            "No data found at {path}; {why} only works on existing data"
        ))
    })
}

async fn read_then_write(
    ctx: &Ctx,
    path: &str,
    new: Map<String, Value>,
) -> Result<Option<Secret>, ExitCode> {
    let (meta, data) = current(ctx, path, None, "patch").await?;
    let mut data = existing(data, path, "patch")?;
    data.extend(new);
    write_versioned(ctx, path, data, meta.get("version")).await
}

/// Writes `data` with check-and-set on `version`.
pub async fn write_versioned(
    ctx: &Ctx,
    path: &str,
    data: Map<String, Value>,
    version: Option<&Value>,
) -> Result<Option<Secret>, ExitCode> {
    let body = json!({ "data": data, "options": { "cas": version } });
    ctx.secret(
        &format!("Error writing data to {path}"),
        Call::new("PUT", path).body(&body),
    )
    .await
}
