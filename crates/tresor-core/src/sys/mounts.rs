//! `sys/mounts`, `sys/auth`, `sys/remount` and `sys/internal/ui/mounts`.

use crate::core::Unsealed;
use crate::mounts::{EnableRequest, MountConfig, MountEntry, Table, TuneRequest};
use crate::pipeline::Caller;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tresor_sdk::fields::{bool_field, duration_field, string_field, string_list_field};
use tresor_sdk::{Data, Error, Operation, Request, Response};

/// Routes `sys/mounts/...` and `sys/auth/...` (after the table prefix).
pub async fn route(
    state: &Unsealed,
    table: Table,
    rest: &str,
    req: &Request,
) -> Result<Response, Error> {
    // `sys/mounts/auth/<path>` names an auth method, as in Vault.
    let (table, rest) = match (table, rest.strip_prefix("auth/")) {
        (Table::Secrets, Some(inner)) => (Table::Auth, inner),
        _ => (table, rest),
    };
    let op = req.operation;
    if let Some(path) = rest.strip_suffix("/tune") {
        return match op {
            Operation::Read => read_tune(state, table, path),
            Operation::Update => tune(state, table, path, &req.data).await,
            _ => Err(Error::UnsupportedOperation),
        };
    }
    match op {
        Operation::Read => read_one(state, table, rest),
        Operation::Update => enable(state, table, rest, &req.data).await,
        Operation::Delete => {
            // Every lease the mount issued (secrets, or its tokens) is revoked first.
            let mount = rest.trim_matches('/');
            if !mount.is_empty() {
                let prefix = match table {
                    Table::Auth => format!("auth/{mount}/"),
                    Table::Secrets => format!("{mount}/"),
                };
                state.revoke_prefix(&prefix, false).await?;
            }
            state.mounts.disable(table, rest).await?;
            Ok(Response::empty())
        }
        _ => Err(Error::UnsupportedOperation),
    }
}

/// `GET sys/mounts` / `GET sys/auth`: every mount of the table, keyed by path.
pub fn list(state: &Unsealed, table: Table) -> Result<Response, Error> {
    let mut data = Data::new();
    for entry in state.mounts.router().entries().filter(|e| e.table == table) {
        data.insert(entry.path.clone(), entry.to_json());
    }
    Ok(Response {
        data_at_top_level: true,
        ..Response::data(data)
    })
}

fn find(state: &Unsealed, table: Table, path: &str) -> Result<MountEntry, Error> {
    let wanted = format!("{}/", path.trim_matches('/'));
    state
        .mounts
        .router()
        .entries()
        .find(|e| e.table == table && e.path == wanted)
        .cloned()
        .ok_or_else(|| Error::bad_request(format!("no mount at {wanted:?}")))
}

fn read_one(state: &Unsealed, table: Table, path: &str) -> Result<Response, Error> {
    let entry = find(state, table, path)?;
    let data = entry.to_json().as_object().cloned().unwrap_or_default();
    Ok(Response {
        data_at_top_level: true,
        ..Response::data(data)
    })
}

fn read_tune(state: &Unsealed, table: Table, path: &str) -> Result<Response, Error> {
    let entry = find(state, table, path)?;
    let (system_default, system_max) = state.mounts.system_ttls();
    let info = entry.info(system_default, system_max);
    let mut data = Data::new();
    data.insert("description".into(), entry.description.clone().into());
    data.insert(
        "default_lease_ttl".into(),
        info.default_lease_ttl.as_secs().into(),
    );
    data.insert("max_lease_ttl".into(), info.max_lease_ttl.as_secs().into());
    data.insert("force_no_cache".into(), false.into());
    if let Some(options) = &entry.options {
        data.insert("options".into(), json!(options));
    }
    if let Some(v) = &entry.config.listing_visibility {
        data.insert("listing_visibility".into(), v.clone().into());
    }
    if let Some(t) = &entry.config.token_type {
        data.insert("token_type".into(), t.clone().into());
    }
    for (key, list) in [
        (
            "passthrough_request_headers",
            &entry.config.passthrough_request_headers,
        ),
        (
            "allowed_response_headers",
            &entry.config.allowed_response_headers,
        ),
        (
            "audit_non_hmac_request_keys",
            &entry.config.audit_non_hmac_request_keys,
        ),
        (
            "audit_non_hmac_response_keys",
            &entry.config.audit_non_hmac_response_keys,
        ),
    ] {
        if !list.is_empty() {
            data.insert(key.into(), list.clone().into());
        }
    }
    Ok(Response {
        data_at_top_level: true,
        ..Response::data(data)
    })
}

/// String options; numbers and booleans are kept as their text, as Vault does.
fn options(data: &Data, key: &str) -> Result<Option<BTreeMap<String, String>>, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
                _ => Err(Error::bad_request(format!("option {k:?} must be a string"))),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(Error::bad_request(format!(
            "{key:?} must be a map of strings"
        ))),
    }
}

fn ttl_secs(data: &Data, key: &str) -> Result<Option<u64>, Error> {
    // "system" means "use the system default", which a stored 0 expresses.
    if matches!(data.get(key), Some(Value::String(s)) if s == "system") {
        return Ok(Some(0));
    }
    Ok(duration_field(data, key)?.map(|d| d.as_secs()))
}

fn config_of(data: &Data) -> Result<MountConfig, Error> {
    let empty = Data::new();
    let c = match data.get("config") {
        Some(Value::Object(c)) => c,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err(Error::bad_request("\"config\" must be a map")),
    };
    Ok(MountConfig {
        default_lease_ttl: ttl_secs(c, "default_lease_ttl")?.unwrap_or(0),
        max_lease_ttl: ttl_secs(c, "max_lease_ttl")?.unwrap_or(0),
        listing_visibility: string_field(c, "listing_visibility")?.filter(|v| !v.is_empty()),
        passthrough_request_headers: string_list_field(c, "passthrough_request_headers")?
            .unwrap_or_default(),
        allowed_response_headers: string_list_field(c, "allowed_response_headers")?
            .unwrap_or_default(),
        audit_non_hmac_request_keys: string_list_field(c, "audit_non_hmac_request_keys")?
            .unwrap_or_default(),
        audit_non_hmac_response_keys: string_list_field(c, "audit_non_hmac_response_keys")?
            .unwrap_or_default(),
        token_type: None,
    })
}

async fn enable(
    state: &Unsealed,
    table: Table,
    path: &str,
    data: &Data,
) -> Result<Response, Error> {
    let kind = string_field(data, "type")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::bad_request("the mount type is required"))?;
    let mut opts = options(data, "options")?;
    // A `kv` mount's version may also come as `version`; kv without a version is v1.
    if kind == "kv" || kind == "kv-v2" {
        let version = if kind == "kv-v2" {
            Some("2".to_owned())
        } else {
            opts.as_ref().and_then(|o| o.get("version").cloned())
        };
        opts.get_or_insert_with(BTreeMap::new)
            .insert("version".into(), version.unwrap_or_else(|| "1".into()));
    }
    let req = EnableRequest {
        kind: if kind == "kv-v2" {
            "kv".to_owned()
        } else {
            kind
        },
        description: string_field(data, "description")?.unwrap_or_default(),
        config: config_of(data)?,
        options: opts,
        local: bool_field(data, "local")?.unwrap_or(false),
        seal_wrap: bool_field(data, "seal_wrap")?.unwrap_or(false),
    };
    state.mounts.enable(table, path, req).await?;
    Ok(Response::empty())
}

async fn tune(state: &Unsealed, table: Table, path: &str, data: &Data) -> Result<Response, Error> {
    let tune = TuneRequest {
        description: string_field(data, "description")?,
        default_lease_ttl: ttl_secs(data, "default_lease_ttl")?,
        max_lease_ttl: ttl_secs(data, "max_lease_ttl")?,
        options: options(data, "options")?,
        listing_visibility: string_field(data, "listing_visibility")?,
        passthrough_request_headers: string_list_field(data, "passthrough_request_headers")?,
        allowed_response_headers: string_list_field(data, "allowed_response_headers")?,
        audit_non_hmac_request_keys: string_list_field(data, "audit_non_hmac_request_keys")?,
        audit_non_hmac_response_keys: string_list_field(data, "audit_non_hmac_response_keys")?,
    };
    let warnings = state.mounts.tune(table, path, tune).await?;
    let mut resp = Response::empty();
    resp.warnings = warnings;
    Ok(resp)
}

/// `sys/remount`: moves a mount; answers a migration id as Vault does (the move itself
/// is done before the answer: the mount's storage is keyed by its uuid, not its path).
pub async fn remount(state: &Unsealed, data: &Data) -> Result<Response, Error> {
    let from =
        string_field(data, "from")?.ok_or_else(|| Error::bad_request("\"from\" is required"))?;
    let to = string_field(data, "to")?.ok_or_else(|| Error::bad_request("\"to\" is required"))?;
    let (table, from, to) = match (from.strip_prefix("auth/"), to.strip_prefix("auth/")) {
        (Some(f), Some(t)) => (Table::Auth, f.to_owned(), t.to_owned()),
        (None, None) => (Table::Secrets, from, to),
        _ => {
            return Err(Error::bad_request(
                "cannot move a mount between secret engines and auth methods",
            ))
        }
    };
    state.mounts.remount(table, &from, &to).await?;
    let id = uuid::Uuid::new_v4().to_string();
    state.mounts.record_migration(&id, &from, &to);
    let mut data = Data::new();
    data.insert("migration_id".into(), id.into());
    Ok(Response {
        data_at_top_level: true,
        ..Response::data(data)
    })
}

/// `sys/internal/ui/mounts`: every mount, for UIs and the CLI's `kv` commands.
pub fn ui_mounts(state: &Unsealed) -> Response {
    let mut secret = Data::new();
    let mut auth = Data::new();
    for entry in state.mounts.router().entries() {
        match entry.table {
            Table::Secrets => secret.insert(entry.path.clone(), entry.to_json()),
            Table::Auth => auth.insert(entry.path.clone(), entry.to_json()),
        };
    }
    let mut data = Data::new();
    data.insert("secret".into(), Value::Object(secret));
    data.insert("auth".into(), Value::Object(auth));
    Response::data(data)
}

/// `sys/internal/ui/mounts/<path>`: the mount serving a path (the `kv` CLI asks this
/// to learn a mount's KV version).
pub fn ui_mount_for(state: &Unsealed, caller: &Caller, path: &str) -> Result<Response, Error> {
    let router = state.mounts.router();
    let (mounted, _) = router.route(path).ok_or(Error::PermissionDenied)?;
    let visible = caller.acl.capabilities(path).iter().any(|c| c != "deny")
        || state
            .policies
            .grants_under(&caller.entry.policies, &mounted.route);
    if !caller.acl.is_root() && !visible {
        return Err(Error::PermissionDenied);
    }
    let mut data = mounted
        .entry
        .to_json()
        .as_object()
        .cloned()
        .unwrap_or_default();
    data.insert("path".into(), mounted.route.clone().into());
    Ok(Response::data(data))
}

/// `sys/remount/status/<id>`: moves finish before `sys/remount` answers, so a known id is
/// always a success.
pub fn remount_status(state: &Unsealed, id: &str) -> Result<Response, Error> {
    let (from, to) = state.mounts.migration(id).ok_or(Error::NotFound)?;
    let mut data = Data::new();
    data.insert("migration_id".into(), id.into());
    data.insert(
        "migration_info".into(),
        json!({ "source_mount": from, "target_mount": to, "status": "success" }),
    );
    Ok(Response::data(data))
}
