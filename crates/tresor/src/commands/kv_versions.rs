//! `tresor kv delete|undelete|destroy|rollback|list`: the commands about versions.

use super::context::{local, remote, Ctx, FieldArg, Run};
use super::kv::{current, existing, write_versioned};
use super::kv_args::{ListArgs, RollbackArgs, VersionsArgs};
use super::kv_paths::KvPath;
use super::{data_args, rw};
use serde_json::{json, Value};
use tresor_api::Call;

pub async fn delete(ctx: &Ctx, a: VersionsArgs) -> Run {
    let kv = KvPath::resolve(ctx, a.mount.mount.as_deref(), &a.path).await?;
    let path = kv.api("data");
    let context = format!("Error deleting {path}");
    let answer = if kv.v2 && !a.versions.is_empty() {
        let body = json!({ "versions": data_args::versions(&a.versions) });
        let target = kv.api("delete");
        ctx.secret(&context, Call::new("PUT", &target).body(&body))
            .await?
    } else {
        ctx.secret(&context, Call::new("DELETE", &path)).await?
    };
    Ok(rw::deleted(ctx, &path, answer, &FieldArg::default()))
}

pub async fn undelete(ctx: &Ctx, a: VersionsArgs) -> Run {
    versions_write(ctx, a, "undelete").await
}

pub async fn destroy(ctx: &Ctx, a: VersionsArgs) -> Run {
    versions_write(ctx, a, "destroy").await
}

/// `undelete` and `destroy`: the versions written to `<mount>/<action>/<path>`.
async fn versions_write(ctx: &Ctx, a: VersionsArgs, action: &str) -> Run {
    if a.versions.is_empty() {
        return Err(local(&format!(
            "No versions provided, use the \"-versions\" flag to specify the version to {action}."
        )));
    }
    let kv = KvPath::resolve(ctx, a.mount.mount.as_deref(), &a.path).await?;
    let mut what = action.to_owned();
    if let Some(first) = what.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    kv.require_v2(&format!("{what} not supported on KV Version 1"), 1)?;
    let path = kv.api(action);
    let body = json!({ "versions": data_args::versions(&a.versions) });
    let call = Call::new("PUT", &path).body(&body);
    rw::send_write(ctx, &path, call, &FieldArg::default()).await
}

pub async fn list(ctx: &Ctx, a: ListArgs) -> Run {
    let mount = a.mount.mount.as_deref().filter(|m| !m.is_empty());
    let arg = match (&a.path, mount) {
        (Some(p), _) => p.clone(),
        (None, Some(_)) => String::new(),
        (None, None) => return Err(local("Not enough arguments (expected 1, got 0)")),
    };
    let kv = KvPath::resolve(ctx, mount, &arg).await?;
    rw::list_path(ctx, &kv.api("metadata")).await
}

pub async fn rollback(ctx: &Ctx, a: RollbackArgs) -> Run {
    let version = match a.version {
        None => return Err(local("Version flag must be specified")),
        Some(v) if v <= 0 => return Err(local(&format!("Invalid value {v} for the version flag"))),
        Some(v) => v.unsigned_abs(),
    };
    let kv = KvPath::resolve(ctx, a.mount.mount.as_deref(), &a.path).await?;
    kv.require_v2("K/V engine mount must be version 2 for rollback support", 2)?;
    let path = kv.api("data");
    let (latest, _) = current(ctx, &path, None, "rollback").await?;
    let (meta, data) = current(ctx, &path, Some(version), "rollback").await?;
    if meta
        .get("deletion_time")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty())
    {
        return Err(remote(
            "Cannot roll back to a version that has been deleted",
        ));
    }
    if meta.get("destroyed").and_then(Value::as_bool) == Some(true) {
        return Err(remote(
            "Cannot roll back to a version that has been destroyed",
        ));
    }
    let data = existing(data, &path, "rollback")?;
    let answer = write_versioned(ctx, &path, data, latest.get("version")).await?;
    Ok(rw::written(ctx, &path, answer, &a.field))
}
