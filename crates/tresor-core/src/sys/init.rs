use crate::core::Core;
use crate::init::InitRequest;
use crate::seal_config::encode_shares;
use serde_json::json;
use tresor_sdk::{Data, Error, Request, Response, Value};

pub async fn status(core: &Core) -> Result<Response, Error> {
    Ok(Response::raw(
        200,
        json!({ "initialized": core.is_initialized().await? }),
    ))
}

/// A whole JSON number (this raw endpoint is strictly typed, as in Vault); absent is 0,
/// which the seal configuration check then refuses with Vault's message.
fn count(data: &Data, key: &str) -> Result<i64, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| not_a_number(key)),
        Some(_) => Err(not_a_number(key)),
    }
}

fn not_a_number(key: &str) -> Error {
    Error::bad_request(format!(
        "failed to decode JSON input: {key} must be a whole number"
    ))
}

pub async fn initialize(core: &Core, req: &Request) -> Result<Response, Error> {
    let init = InitRequest {
        secret_shares: count(&req.data, "secret_shares")?,
        secret_threshold: count(&req.data, "secret_threshold")?,
        root_token_id: None,
        dev: false,
    };
    for recovery in ["recovery_shares", "recovery_threshold"] {
        if matches!(req.data.get(recovery), Some(v) if !is_empty_value(v) && v != &Value::from(0)) {
            return Err(Error::bad_request(format!(
                "parameters {recovery} not applicable to seal type shamir"
            )));
        }
    }
    for unsupported in ["pgp_keys", "root_token_pgp_key", "recovery_pgp_keys"] {
        if matches!(req.data.get(unsupported), Some(v) if !is_empty_value(v)) {
            return Err(Error::bad_request(format!(
                "{unsupported} is not supported"
            )));
        }
    }
    let result = core.initialize(init).await?;
    let (keys, keys_base64) = encode_shares(&result.shares);
    Ok(Response::raw(
        200,
        json!({ "keys": keys, "keys_base64": keys_base64, "root_token": result.root_token.expose() }),
    ))
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}
