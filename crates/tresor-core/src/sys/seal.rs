use crate::core::Core;
use crate::status::HealthQuery;
use serde_json::json;
use tresor_sdk::fields::{bool_field, string_field};
use tresor_sdk::{Error, Operation, Request, Response};

fn to_value<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::internal(e.to_string()))
}

pub async fn status(core: &Core) -> Result<Response, Error> {
    Ok(Response::raw(200, to_value(&core.seal_status().await?)?))
}

pub async fn health(core: &Core, req: &Request) -> Result<Response, Error> {
    let query = HealthQuery::parse(&req.data)?;
    let (code, body) = core.health(&query).await?;
    if req.operation == Operation::Head {
        return Ok(Response::status_only(code));
    }
    Ok(Response::raw(code, body))
}

pub async fn unseal(core: &Core, req: &Request) -> Result<Response, Error> {
    let key = string_field(&req.data, "key")?;
    let reset = bool_field(&req.data, "reset")?.unwrap_or(false);
    let status = core.submit_unseal(key.as_deref(), reset).await?;
    Ok(Response::raw(200, to_value(&status)?))
}

pub async fn seal(core: &Core) -> Result<Response, Error> {
    core.seal().await;
    Ok(Response::empty())
}

/// Single-node storage: no HA, so no leader to report.
pub fn leader() -> Response {
    Response::raw(200, json!({ "ha_enabled": false }))
}
