//! `auth/token/renew`, `renew-self` and `renew-accessor`.

use super::Ctx;
use crate::tokens::{ttl, TokenKind};
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::duration::format_go;
use tresor_sdk::fields::{duration_field, string_field};
use tresor_sdk::{Error, RenewTerms, Response};

pub enum Target {
    Token,
    Caller,
    Accessor,
}

/// A token an auth method's login issued is renewed only if the method agrees (the
/// user still exists, the same client certificate is presented...).
/// Answers the terms the method renews the token under (`None`: the token's own).
async fn check_with_method(
    ctx: &Ctx<'_>,
    entry: &crate::tokens::TokenEntry,
) -> Result<Option<RenewTerms>, Error> {
    if !entry.path.starts_with("auth/") || entry.path.starts_with("auth/token/") {
        return Ok(None);
    }
    let router = ctx.state.mounts.router();
    let Some((mounted, rel)) = router.route(&entry.path) else {
        // The method is gone: its tokens were revoked with it.
        return Err(Error::PermissionDenied);
    };
    let Some(backend) = mounted.backend.as_ref() else {
        return Ok(None);
    };
    let metadata = entry.meta.clone().unwrap_or_default();
    let breq = tresor_sdk::BackendRequest {
        id: &ctx.req.id,
        operation: tresor_sdk::Operation::Update,
        path: rel,
        data: &ctx.req.data,
        mount: &mounted.info,
        token_hash: None,
        client_addr: ctx.req.client_addr.as_deref(),
        display_name: &entry.display_name,
        peer_certificates: &ctx.req.peer_certificates,
    };
    backend
        .renew_login(
            &breq,
            &tresor_sdk::LoginRecord {
                metadata: &metadata,
                policies: &entry.policies,
                path: rel,
                internal_data: &entry.internal_data,
            },
        )
        .await
}

pub async fn renew(ctx: &Ctx<'_>, target: Target) -> Result<Response, Error> {
    let d = &ctx.req.data;
    let now = ctx.now();
    let (token, sid, mut entry) = match target {
        Target::Caller => (
            Some(ctx.caller.token.clone()),
            ctx.caller.sid.clone(),
            ctx.caller.entry.clone(),
        ),
        Target::Token => {
            let token = SecretString::from(string_field(d, "token")?.unwrap_or_default());
            let (sid, entry) = ctx
                .state
                .tokens
                .lookup(&token, now)
                .await?
                .ok_or_else(|| Error::bad_request("invalid token"))?;
            (Some(token), sid, entry)
        }
        Target::Accessor => {
            let accessor = string_field(d, "accessor")?.unwrap_or_default();
            let (sid, entry) = ctx
                .state
                .tokens
                .by_accessor(&accessor, now)
                .await?
                .ok_or_else(|| Error::bad_request("invalid accessor"))?;
            (None, sid, entry)
        }
    };
    if entry.kind == TokenKind::Batch {
        return Err(Error::bad_request("batch tokens cannot be renewed"));
    }
    if !entry.renewable || entry.expire_at == 0 {
        return Err(Error::bad_request("lease is not renewable"));
    }
    let terms = check_with_method(ctx, &entry).await?;
    let increment = duration_field(d, "increment")?.map_or(0, |i| i.as_secs());
    let mount_max = ctx.issuing_mount_max(&entry.path).as_secs();
    let (base_ttl, login_max) = match terms {
        // The method's current terms replace the token's (a role's period edited since).
        Some(t) => {
            entry.period = t.period.as_secs();
            let ttl = match t.ttl.as_secs() {
                0 => entry.creation_ttl,
                n => n,
            };
            (ttl, t.max_ttl.as_secs())
        }
        None => (entry.creation_ttl, entry.login_max_ttl),
    };
    let max = match login_max {
        0 => mount_max,
        m => m.min(mount_max),
    };
    let (granted, capped) = ttl::renewed(
        entry.creation_time,
        now,
        increment,
        base_ttl,
        entry.period,
        entry.explicit_max_ttl,
        max,
    )
    .ok_or_else(|| {
        Error::bad_request("the token has reached its maximum TTL and cannot be renewed")
    })?;
    entry.expire_at = now.saturating_add(i64::try_from(granted).unwrap_or(i64::MAX));
    ctx.state.tokens.save(&sid, &entry).await?;
    ctx.state.token_renewed(&sid, &entry, now).await?;
    let mut auth = entry.auth(token.unwrap_or_default(), now);
    if matches!(target, Target::Accessor) {
        auth.client_token = SecretString::default();
    }
    let mut resp = Response {
        auth: Some(auth),
        ..Response::default()
    };
    if capped {
        resp.warnings.push(format!(
            "TTL of {:?} exceeded the effective max_ttl of {:?}; TTL value is capped accordingly",
            format_go(Duration::from_secs(increment)),
            format_go(Duration::from_secs(granted))
        ));
    }
    Ok(resp)
}
