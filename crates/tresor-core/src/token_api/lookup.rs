//! `auth/token/lookup`, `lookup-self`, `lookup-accessor` and `LIST accessors`.

use super::Ctx;
use tresor_crypto::SecretString;
use tresor_sdk::fields::string_field;
use tresor_sdk::{Data, Error, Response, Value};

pub fn lookup_self(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let c = ctx.caller;
    Ok(Response::data(with_identity(
        ctx,
        &c.entry,
        c.entry.lookup_data(c.token.expose(), ctx.now()),
    )))
}

/// A token with an entity that brings policies shows them, as Vault's lookups do.
fn with_identity(ctx: &Ctx<'_>, entry: &crate::tokens::TokenEntry, mut data: Data) -> Data {
    let extra = ctx.state.identity_policies(entry);
    if !extra.is_empty() {
        data.insert("identity_policies".into(), Value::from(extra));
        data.insert(
            "external_namespace_policies".into(),
            Value::Object(Data::new()),
        );
    }
    data
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
    let data = entry.lookup_data(token.expose(), ctx.now());
    Ok(Response::data(with_identity(ctx, &entry, data)))
}

pub async fn lookup_accessor(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let accessor = string_field(&ctx.req.data, "accessor")?.unwrap_or_default();
    let (_, entry) = ctx
        .state
        .tokens
        .by_accessor(&accessor, ctx.now())
        .await?
        .ok_or_else(|| Error::bad_request("invalid accessor"))?;
    let data = entry.lookup_data("", ctx.now());
    Ok(Response::data(with_identity(ctx, &entry, data)))
}

pub async fn accessors(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let keys = ctx.state.tokens.accessors().await?;
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}
