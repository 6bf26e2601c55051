//! `auth/token/renew`, `renew-self` and `renew-accessor`.

use super::Ctx;
use crate::tokens::{ttl, TokenKind};
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::duration::format_go;
use tresor_sdk::fields::{duration_field, string_field};
use tresor_sdk::{Error, Response};

pub enum Target {
    Token,
    Caller,
    Accessor,
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
    let increment = duration_field(d, "increment")?.map_or(0, |i| i.as_secs());
    let mount_max = ctx.issuing_mount_max(&entry.path);
    let (granted, capped) = ttl::renewed(
        entry.creation_time,
        now,
        increment,
        entry.creation_ttl,
        entry.period,
        entry.explicit_max_ttl,
        mount_max.as_secs(),
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
