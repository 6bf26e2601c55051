//! File sinks: where the agent leaves its token for applications (or the token
//! response-wrapped, with the sink's `wrap_ttl`).

use crate::atomic_file;
use crate::config::Sink;
use serde_json::json;
use tresor_api::{Call, Client};
use tresor_crypto::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("wrapping the token: {0}")]
    Wrap(#[from] tresor_api::ApiError),
    #[error("the wrapping answer has no wrap_info")]
    NoWrapInfo,
    #[error("writing the sink file: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes `token` into the sink: as is, or as the JSON `wrap_info` of a response-wrapping
/// token that holds it (`sys/wrapping/wrap`), as Vault Agent writes it.
pub async fn write(server: &Client, sink: &Sink, token: &SecretString) -> Result<(), SinkError> {
    let content = match sink.wrap_ttl {
        None => token.expose().as_bytes().to_vec(),
        Some(ttl) => {
            let body = json!({ "token": token.expose() });
            let answer = server
                .with_token(Some(token.clone()))
                .call(
                    Call::new("PUT", "sys/wrapping/wrap")
                        .body(&body)
                        .wrap_ttl(ttl.as_secs().max(1)),
                )
                .await?;
            let info = answer
                .as_ref()
                .and_then(|a| a.get("wrap_info"))
                .filter(|w| w.is_object())
                .ok_or(SinkError::NoWrapInfo)?;
            serde_json::to_vec(info).map_err(|e| std::io::Error::other(e.to_string()))?
        }
    };
    atomic_file::write(&sink.path, &content, sink.mode, true)?;
    Ok(())
}
