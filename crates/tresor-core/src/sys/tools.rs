//! `sys/tools/random` and `sys/tools/hash`.

use base64::Engine;
use tresor_crypto::{digest, random};
use tresor_sdk::fields::{string_field, u64_field};
use tresor_sdk::{Data, Error, Request, Response};

/// The most random bytes one request may ask for (Vault's limit).
const MAX_RANDOM_BYTES: u64 = 128 * 1024;

fn encode(bytes: &[u8], format: &str) -> Result<String, Error> {
    match format {
        "base64" => Ok(base64::engine::general_purpose::STANDARD.encode(bytes)),
        "hex" => Ok(hex::encode(bytes)),
        other => Err(Error::bad_request(format!(
            "unsupported encoding format {other:?}; must be \"hex\" or \"base64\""
        ))),
    }
}

/// `sys/tools/random[/<source>][/<bytes>]`; the source (`platform`, `seal`, `all`) is
/// accepted for compatibility: every source is the system CSPRNG.
pub fn random(req: &Request, rest: &str) -> Result<Response, Error> {
    let mut bytes = u64_field(&req.data, "bytes")?.unwrap_or(32);
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        match segment {
            "platform" | "seal" | "all" => {}
            n => {
                bytes = n
                    .parse()
                    .map_err(|_| Error::bad_request(format!("invalid URL bytes or source {n:?}")))?
            }
        }
    }
    if bytes == 0 || bytes > MAX_RANDOM_BYTES {
        return Err(Error::bad_request(format!(
            "bytes must be between 1 and {MAX_RANDOM_BYTES}"
        )));
    }
    let format = string_field(&req.data, "format")?.unwrap_or_else(|| "base64".into());
    let raw = random::bytes(bytes as usize).map_err(|e| Error::internal(e.to_string()))?;
    let mut data = Data::new();
    data.insert("random_bytes".into(), encode(&raw, &format)?.into());
    Ok(Response::data(data))
}

/// `sys/tools/hash[/<algorithm>]`: `input` is base64; `format` hex (default) or base64.
pub fn hash(req: &Request, rest: &str) -> Result<Response, Error> {
    let algorithm = match rest.trim_matches('/') {
        "" => string_field(&req.data, "algorithm")?.unwrap_or_else(|| "sha2-256".into()),
        a => a.to_owned(),
    };
    let input = string_field(&req.data, "input")?.unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(input.as_bytes())
        .map_err(|_| Error::bad_request("unable to decode input as base64"))?;
    let sum = digest::by_name(&algorithm, &bytes)
        .ok_or_else(|| Error::bad_request(format!("unsupported algorithm {algorithm:?}")))?;
    let format = string_field(&req.data, "format")?.unwrap_or_else(|| "hex".into());
    let mut data = Data::new();
    data.insert("sum".into(), encode(&sum, &format)?.into());
    Ok(Response::data(data))
}
