//! `config`: renewal binding, identity alias metadata, and the (unused) OCSP cache size.

use super::model;
use super::CertAuth;
use tresor_sdk::framework::Fields;
use tresor_sdk::{Error, Response};

const MAX_CACHE_SIZE: i64 = 100_000;

pub async fn write(ca: &CertAuth, f: &Fields) -> Result<Response, Error> {
    let _writes = ca.writes.lock().await;
    let mut config = model::load_config(&ca.storage).await?;
    if let Some(b) = f.bool("disable_binding") {
        config.disable_binding = b;
    }
    if let Some(b) = f.bool("enable_identity_alias_metadata") {
        config.enable_identity_alias_metadata = b;
    }
    if let Some(size) = f.int("ocsp_cache_size") {
        if !(2..=MAX_CACHE_SIZE).contains(&size) {
            return Err(Error::bad_request(format!(
                "invalid cache size, must be >= 2 and <= {MAX_CACHE_SIZE}"
            )));
        }
        config.ocsp_cache_size = size;
    }
    model::save_config(&ca.storage, &config).await?;
    Ok(Response::empty())
}

pub async fn read(ca: &CertAuth) -> Result<Response, Error> {
    let config = model::load_config(&ca.storage).await?;
    Ok(Response::data(config.to_data()))
}
