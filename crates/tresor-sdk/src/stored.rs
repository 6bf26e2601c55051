//! JSON values in a backend's storage view.

use crate::Error;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tresor_storage::Backend;

pub async fn get_json<T: DeserializeOwned>(
    storage: &dyn Backend,
    key: &str,
) -> Result<Option<T>, Error> {
    match storage.get(key).await? {
        None => Ok(None),
        Some(raw) => serde_json::from_slice(&raw)
            .map(Some)
            .map_err(|_| Error::internal(format!("the stored entry {key:?} does not decode"))),
    }
}

pub async fn put_json<T: Serialize>(
    storage: &dyn Backend,
    key: &str,
    value: &T,
) -> Result<(), Error> {
    let raw = serde_json::to_vec(value).map_err(|e| Error::internal(e.to_string()))?;
    storage.put(key, &raw).await?;
    Ok(())
}

/// The stored form of a value (for batches that mix several entries).
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::internal(e.to_string()))
}
