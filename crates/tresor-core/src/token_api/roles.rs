//! `auth/token/roles/<name>` and `LIST auth/token/roles`.

use super::{normalize_policies, Ctx};
use crate::tokens::Role;
use tresor_sdk::fields::{bool_field, duration_field, string_field, string_list_field};
use tresor_sdk::{Data, Error, Response, Value};

pub async fn read(ctx: &Ctx<'_>, name: &str) -> Result<Response, Error> {
    let role = ctx.state.tokens.role(name).await?.ok_or(Error::NotFound)?;
    Ok(Response::data(role.to_data()))
}

pub async fn write(ctx: &Ctx<'_>, name: &str) -> Result<Response, Error> {
    let d = &ctx.req.data;
    let mut role = ctx.state.tokens.role(name).await?.unwrap_or(Role {
        name: name.to_owned(),
        renewable: true,
        ..Role::default()
    });
    let secs = |key: &str| -> Result<Option<u64>, Error> {
        Ok(duration_field(d, key)?.map(|t| t.as_secs()))
    };
    if let Some(p) = string_list_field(d, "allowed_policies")? {
        role.allowed_policies = normalize_policies(&p);
    }
    if let Some(p) = string_list_field(d, "disallowed_policies")? {
        role.disallowed_policies = normalize_policies(&p);
    }
    if let Some(o) = bool_field(d, "orphan")? {
        role.orphan = o;
    }
    if let Some(r) = bool_field(d, "renewable")? {
        role.renewable = r;
    }
    if let Some(s) = string_field(d, "path_suffix")? {
        if s.contains("..") {
            return Err(Error::bad_request("path_suffix cannot contain \"..\""));
        }
        role.path_suffix = s;
    }
    if let Some(t) = secs("explicit_max_ttl")?.or(secs("token_explicit_max_ttl")?) {
        role.explicit_max_ttl = t;
    }
    if let Some(t) = secs("period")?.or(secs("token_period")?) {
        role.period = t;
    }
    if let Some(t) = secs("token_ttl")? {
        role.token_ttl = t;
    }
    if let Some(t) = secs("token_max_ttl")? {
        role.token_max_ttl = t;
    }
    if let Some(t) = string_field(d, "token_type")? {
        if !matches!(
            t.as_str(),
            "service" | "batch" | "default-service" | "default-batch" | "default"
        ) {
            return Err(Error::bad_request(format!("invalid token_type {t:?}")));
        }
        role.token_type = t;
    }
    if let Some(n) = bool_field(d, "token_no_default_policy")? {
        role.token_no_default_policy = n;
    }
    ctx.state.tokens.put_role(&role).await?;
    Ok(Response::empty())
}

pub async fn delete(ctx: &Ctx<'_>, name: &str) -> Result<Response, Error> {
    ctx.state.tokens.delete_role(name).await?;
    Ok(Response::empty())
}

pub async fn list(ctx: &Ctx<'_>) -> Result<Response, Error> {
    let keys = ctx.state.tokens.roles().await?;
    if keys.is_empty() {
        return Err(Error::NotFound);
    }
    let mut data = Data::new();
    data.insert("keys".into(), Value::from(keys));
    Ok(Response::data(data))
}
