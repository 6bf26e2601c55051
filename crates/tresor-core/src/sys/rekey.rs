use crate::core::Core;
use crate::rekey::RekeyOutcome;
use crate::seal_config::encode_shares;
use serde_json::json;
use tresor_sdk::fields::{string_field, u64_field};
use tresor_sdk::{Error, Request, Response};

fn to_value<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::internal(e.to_string()))
}

pub async fn status(core: &Core) -> Result<Response, Error> {
    Ok(Response::raw(200, to_value(&core.rekey_status().await?)?))
}

pub async fn init(core: &Core, req: &Request) -> Result<Response, Error> {
    for unsupported in ["pgp_keys", "require_verification", "backup"] {
        if matches!(req.data.get(unsupported), Some(v) if !(v.is_null() || v == &json!(false) || v == &json!([])))
        {
            return Err(Error::bad_request(format!(
                "{unsupported} is not supported"
            )));
        }
    }
    let shares = u64_field(&req.data, "secret_shares")?.unwrap_or(0);
    let threshold = u64_field(&req.data, "secret_threshold")?.unwrap_or(0);
    let status = core
        .rekey_init(shares.min(1 << 20) as i64, threshold.min(1 << 20) as i64)
        .await?;
    Ok(Response::raw(200, to_value(&status)?))
}

pub async fn cancel(core: &Core) -> Result<Response, Error> {
    core.rekey_cancel().await?;
    Ok(Response::empty())
}

pub async fn update(core: &Core, req: &Request) -> Result<Response, Error> {
    let key = string_field(&req.data, "key")?;
    let nonce = string_field(&req.data, "nonce")?;
    match core.rekey_update(key.as_deref(), nonce.as_deref()).await? {
        RekeyOutcome::Progress(status) => Ok(Response::raw(200, to_value(&status)?)),
        RekeyOutcome::Complete { nonce, shares } => {
            let (keys, keys_base64) = encode_shares(&shares);
            Ok(Response::raw(
                200,
                json!({
                    "nonce": nonce,
                    "complete": true,
                    "keys": keys,
                    "keys_base64": keys_base64,
                    "pgp_fingerprints": null,
                    "backup": false,
                    "verification_required": false,
                }),
            ))
        }
    }
}
