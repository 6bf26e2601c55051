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

/// A whole number, as a JSON number or a numeric string; anything else counts as 0,
/// which the seal configuration check then refuses with Vault's message.
fn count(data: &Data, key: &str) -> Result<i64, Error> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .ok_or_else(|| Error::bad_request(format!("{key} must be a whole number"))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| Error::bad_request(format!("{key} must be a whole number"))),
        Some(_) => Err(Error::bad_request(format!("{key} must be a whole number"))),
    }
}

pub async fn initialize(core: &Core, req: &Request) -> Result<Response, Error> {
    let init = InitRequest {
        secret_shares: count(&req.data, "secret_shares")?,
        secret_threshold: count(&req.data, "secret_threshold")?,
        root_token_id: None,
    };
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
