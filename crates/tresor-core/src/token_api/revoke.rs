//! `auth/token/revoke`, `revoke-self`, `revoke-accessor`, `revoke-orphan` and `tidy`.

use super::Ctx;
use tresor_crypto::SecretString;
use tresor_sdk::fields::string_field;
use tresor_sdk::{Error, Response};

pub enum Target {
    Token,
    Caller,
    Accessor,
    Orphan,
}

/// Revokes; a token that does not exist (or no longer does) is already revoked: 204.
pub async fn revoke(ctx: &Ctx<'_>, target: Target) -> Result<Response, Error> {
    let d = &ctx.req.data;
    let now = ctx.now();
    let sid = match target {
        Target::Caller => Some(ctx.caller.sid.clone()),
        Target::Token | Target::Orphan => {
            let token = SecretString::from(string_field(d, "token")?.unwrap_or_default());
            ctx.state
                .tokens
                .lookup(&token, now)
                .await?
                .map(|(sid, _)| sid)
        }
        Target::Accessor => {
            let accessor = string_field(d, "accessor")?.unwrap_or_default();
            ctx.state
                .tokens
                .by_accessor(&accessor, now)
                .await?
                .map(|(sid, _)| sid)
        }
    };
    if let Some(sid) = sid {
        ctx.state
            .revoke_tokens(&sid, matches!(target, Target::Orphan))
            .await?;
    }
    Ok(Response::empty())
}

pub async fn tidy(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let removed = ctx.state.tokens.tidy().await?;
    tracing::info!(removed, "token store tidied");
    let mut resp = Response {
        status: Some(202),
        ..Response::default()
    };
    resp.warnings.push("Tidy operation successfully started. Any information from the operation will be printed to the server's logs.".to_owned());
    Ok(resp)
}
