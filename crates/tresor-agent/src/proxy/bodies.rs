//! Reading whole bodies, bounded: a client's request (over the limit: 413), and a
//! server's answer the proxy must look into (cacheable or to be sanitized).

use super::reply::Refusal;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Body as _, Bytes, Incoming};

/// Vault's default `max_request_size`: 32 MiB.
pub const LIMIT: usize = 32 << 20;

pub async fn request(body: Incoming) -> Result<Bytes, Refusal> {
    // A declared length over the limit is refused before anything is read.
    if body.size_hint().lower() > LIMIT as u64 {
        return Err(Refusal::TooLarge);
    }
    match Limited::new(body, LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Refusal::TooLarge),
        Err(_) => Err(Refusal::BadRequest(
            "failed to read request body".to_owned(),
        )),
    }
}

pub async fn answer(mut resp: reqwest::Response) -> Result<Bytes, Refusal> {
    let too_large = || Refusal::Upstream("the server's answer is too large".to_owned());
    if resp.content_length().is_some_and(|n| n > LIMIT as u64) {
        return Err(too_large());
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| Refusal::Upstream(super::upstream::describe(&e)))?
    {
        if buf.len() + chunk.len() > LIMIT {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}
