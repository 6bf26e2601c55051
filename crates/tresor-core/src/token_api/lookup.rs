//! `auth/token/lookup`, `lookup-self`, `lookup-accessor` and `LIST accessors`.

use super::Ctx;
use tresor_crypto::SecretString;
use tresor_sdk::fields::string_field;
use tresor_sdk::{Data, Error, Response, Value};

pub fn lookup_self(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let c = ctx.caller;
    Ok(Response::data(
        c.entry.lookup_data(c.token.expose(), ctx.now()),
    ))
}

pub async fn lookup(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let Some(token) = string_field(&ctx.req.data, "token")?.filter(|t| !t.is_empty()) else {
        return lookup_self(ctx);
    };
    let token = SecretString::from(token);
    let (_, entry) = ctx
        .state
        .tokens
        .lookup(&token, ctx.now())
        .await?
        .ok_or_else(|| Error::Forbidden("bad token".to_owned()))?;
    Ok(Response::data(entry.lookup_data(token.expose(), ctx.now())))
}

pub async fn lookup_accessor(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let accessor = string_field(&ctx.req.data, "accessor")?.unwrap_or_default();
    let (_, entry) = ctx
        .state
        .tokens
        .by_accessor(&accessor, ctx.now())
        .await?
        .ok_or_else(|| Error::bad_request("invalid accessor"))?;
    Ok(Response::data(entry.lookup_data("", ctx.now())))
}

pub async fn accessors(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let keys = ctx.state.tokens.accessors().await?;
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}
