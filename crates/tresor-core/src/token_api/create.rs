//! `auth/token/create`, `create-orphan` and `create/<role>`.

use super::{normalize_policies, Ctx};
use crate::tokens::{new_accessor, ttl, Role, TokenEntry, TokenKind};
use std::collections::BTreeMap;
use tresor_crypto::SecretString;
use tresor_sdk::fields::{bool_field, duration_field, string_field, string_list_field, u64_field};
use tresor_sdk::{Data, Error, Response, Value};

pub enum Mode<'a> {
    Child,
    Orphan,
    Role(&'a str),
}

fn meta(data: &Data) -> Result<Option<BTreeMap<String, String>>, Error> {
    match data.get("meta").or_else(|| data.get("metadata")) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(Error::bad_request(format!(
                    "meta value for {k:?} must be a string"
                ))),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(_) => Err(Error::bad_request("meta must be a map of strings")),
    }
}

/// Vault's display name: `token`, or `token-<name>` with odd characters replaced.
fn display_name(requested: Option<String>) -> String {
    match requested.filter(|n| !n.trim().is_empty()) {
        None => "token".to_owned(),
        Some(n) => {
            let clean: String = n
                .trim()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("token-{clean}")
        }
    }
}

/// The new token's policies, checked against the parent's and the role's.
fn policies(
    ctx: &Ctx<'_>,
    requested: Option<Vec<String>>,
    role: Option<&Role>,
    no_default: bool,
) -> Result<Vec<String>, Error> {
    let parent = &ctx.caller.entry;
    let mut wanted = match (requested, role) {
        (Some(p), _) => normalize_policies(&p),
        (None, Some(r)) if !r.allowed_policies.is_empty() => {
            normalize_policies(&r.allowed_policies)
        }
        (None, _) => parent.policies.clone(),
    };
    if let Some(r) = role {
        let allowed = normalize_policies(&r.allowed_policies);
        let denied = normalize_policies(&r.disallowed_policies);
        if let Some(bad) = wanted.iter().find(|p| {
            *p != "default" && ((!allowed.is_empty() && !allowed.contains(p)) || denied.contains(p))
        }) {
            return Err(Error::bad_request(format!(
                "token policies ({bad}) must be subset of the role's allowed policies"
            )));
        }
    } else if !parent.is_root() {
        if let Some(bad) = wanted
            .iter()
            .find(|p| *p != "default" && !parent.policies.contains(p))
        {
            return Err(Error::bad_request(format!(
                "child policies must be subset of parent (policy {bad:?})"
            )));
        }
    }
    if wanted.iter().any(|p| p == "root") && !parent.is_root() {
        return Err(Error::bad_request(
            "root policy can only be granted by a root token",
        ));
    }
    let is_root = wanted.iter().any(|p| p == "root");
    if !no_default && !is_root && !wanted.iter().any(|p| p == "default") {
        wanted.push("default".to_owned());
    }
    if is_root {
        wanted.retain(|p| p != "default");
    }
    Ok(normalize_policies(&wanted))
}

pub async fn create(ctx: &Ctx<'_>, mode: Mode<'_>) -> Result<Response, Error> {
    let d = &ctx.req.data;
    let parent = &ctx.caller.entry;
    let privileged = parent.is_root() || crate::authorize::has_sudo(ctx.caller, &ctx.req.path);
    let role_name = string_field(d, "role_name")?.filter(|r| !r.is_empty());
    let mode = match (mode, role_name.as_deref()) {
        (Mode::Child, Some(name)) => Mode::Role(name),
        (m, _) => m,
    };
    let role = match &mode {
        Mode::Role(name) => Some(
            ctx.state
                .tokens
                .role(name)
                .await?
                .ok_or_else(|| Error::bad_request(format!("unknown role {name}")))?,
        ),
        _ => None,
    };
    let no_parent = bool_field(d, "no_parent")?.unwrap_or(false);
    let orphan =
        matches!(mode, Mode::Orphan) || role.as_ref().is_some_and(|r| r.orphan) || no_parent;
    if (no_parent || matches!(mode, Mode::Orphan)) && !privileged {
        return Err(Error::bad_request(
            "root or sudo privileges required to create orphan token",
        ));
    }
    let id = string_field(d, "id")?.filter(|i| !i.is_empty());
    if id.is_some() && !privileged {
        return Err(Error::bad_request(
            "root or sudo privileges required to specify token id",
        ));
    }
    let kind = match string_field(d, "type")?
        .or_else(|| role.as_ref().map(|r| r.token_type.clone()))
        .as_deref()
    {
        None | Some("") | Some("service") | Some("default-service") | Some("default") => {
            TokenKind::Service
        }
        Some("batch") | Some("default-batch") => TokenKind::Batch,
        Some(other) => return Err(Error::bad_request(format!("invalid token type {other:?}"))),
    };
    if parent.kind == TokenKind::Batch && !orphan {
        return Err(Error::bad_request(
            "batch tokens cannot create non-orphan tokens",
        ));
    }
    let no_default = bool_field(d, "no_default_policy")?.unwrap_or(false)
        || role.as_ref().is_some_and(|r| r.token_no_default_policy);
    let policies = policies(
        ctx,
        string_list_field(d, "policies")?,
        role.as_ref(),
        no_default,
    )?;
    if policies.is_empty() {
        return Err(Error::bad_request("token must have at least one policy"));
    }
    let secs = |key: &str| -> Result<u64, Error> {
        Ok(duration_field(d, key)?.map_or(0, |t| t.as_secs()))
    };
    let requested = [
        secs("ttl")?,
        secs("lease")?,
        role.as_ref().map_or(0, |r| r.token_ttl),
    ]
    .into_iter()
    .find(|t| *t > 0)
    .unwrap_or(0);
    let explicit_max = [
        secs("explicit_max_ttl")?,
        role.as_ref().map_or(0, |r| r.explicit_max_ttl),
    ]
    .into_iter()
    .find(|t| *t > 0)
    .unwrap_or(0);
    let period = [secs("period")?, role.as_ref().map_or(0, |r| r.period)]
        .into_iter()
        .find(|t| *t > 0)
        .unwrap_or(0);
    let num_uses = u64_field(d, "num_uses")?.unwrap_or(0);
    let is_root = policies.iter().any(|p| p == "root");
    if kind == TokenKind::Batch && (period > 0 || is_root || num_uses > 0 || id.is_some()) {
        return Err(Error::bad_request(
            "batch tokens cannot be root tokens, periodic, use-limited or have a custom id",
        ));
    }
    let (mount_default, mount_max) = ctx.mount_ttls();
    let max = role
        .as_ref()
        .map(|r| r.token_max_ttl)
        .filter(|m| *m > 0)
        .unwrap_or(mount_max.as_secs());
    let (mut ttl_secs, capped) = ttl::initial(&ttl::Inputs {
        requested,
        explicit_max,
        period,
        default: mount_default.as_secs().min(max).max(1),
        max,
        root_without_ttl: is_root,
    });
    let now = ctx.now();
    // A child never outlives an expiring parent.
    if !orphan && parent.expire_at != 0 {
        let left = parent.ttl_left(now).max(1);
        if ttl_secs == 0 || ttl_secs > left {
            ttl_secs = left;
        }
    }
    let renewable = kind == TokenKind::Service
        && ttl_secs > 0
        && bool_field(d, "renewable")?.unwrap_or_else(|| role.as_ref().is_none_or(|r| r.renewable));
    let path = match &mode {
        Mode::Child => "auth/token/create".to_owned(),
        Mode::Orphan => "auth/token/create-orphan".to_owned(),
        Mode::Role(name) => match role
            .as_ref()
            .map(|r| r.path_suffix.as_str())
            .filter(|s| !s.is_empty())
        {
            Some(suffix) => format!("auth/token/create/{name}/{suffix}"),
            None => format!("auth/token/create/{name}"),
        },
    };
    let entry = TokenEntry {
        accessor: if kind == TokenKind::Batch {
            String::new()
        } else {
            new_accessor()?
        },
        parent: (!orphan)
            .then(|| ctx.caller.sid.clone())
            .filter(|_| parent.kind == TokenKind::Service),
        policies,
        path,
        display_name: display_name(string_field(d, "display_name")?),
        meta: meta(d)?,
        creation_time: now,
        issue_time: crate::tokens::entry_time(now),
        creation_ttl: ttl_secs,
        expire_at: if ttl_secs == 0 {
            0
        } else {
            now.saturating_add(i64::try_from(ttl_secs).unwrap_or(i64::MAX))
        },
        explicit_max_ttl: explicit_max,
        period,
        num_uses,
        orphan,
        renewable,
        kind,
        role: role.as_ref().map(|r| r.name.clone()),
        bound_cidrs: Vec::new(),
        // A child acts for the same entity as its parent.
        entity_id: parent.entity_id.clone(),
        login_max_ttl: 0,
        internal_data: Default::default(),
    };
    let token = ctx
        .state
        .create_token(&entry, id.map(SecretString::from))
        .await?;
    let mut resp = Response {
        auth: Some(entry.auth(token, now)),
        ..Response::default()
    };
    for missing in entry
        .policies
        .iter()
        .filter(|p| !ctx.state.policies.exists(p))
    {
        resp.warnings
            .push(format!("Policy {missing:?} does not exist"));
    }
    if capped {
        resp.warnings
            .push("the requested TTL was capped by the maximum TTL".to_owned());
    }
    Ok(resp)
}
