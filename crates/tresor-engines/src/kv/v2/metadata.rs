//! `metadata/<key>` and `config`.

use super::model::{self, KeyMeta};
use super::KvV2;
use crate::listing::keys_response;
use serde_json::Value;
use std::collections::BTreeMap;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::put_json;
use tresor_sdk::{rfc3339, Error, Response};
use tresor_storage::{Backend, Op};

const MAX_CUSTOM_KEYS: usize = 64;
const MAX_CUSTOM_KEY_LEN: usize = 128;
const MAX_CUSTOM_VALUE_LEN: usize = 512;

pub async fn read_config(kv: &KvV2) -> Result<Response, Error> {
    Ok(Response::data(kv.config().await?.to_data()))
}

pub async fn write_config(kv: &KvV2, fields: &Fields) -> Result<Response, Error> {
    let _writes = kv.writes.lock().await;
    let mut config = kv.config().await?;
    if let Some(m) = fields.int("max_versions") {
        config.max_versions =
            u64::try_from(m).map_err(|_| Error::bad_request("max_versions cannot be negative"))?;
    }
    if let Some(c) = fields.bool("cas_required") {
        config.cas_required = c;
    }
    if let Some(d) = fields.duration("delete_version_after") {
        config.delete_version_after = d.as_secs();
    }
    put_json(&kv.storage, "config", &config).await?;
    Ok(Response::empty())
}

pub async fn read(kv: &KvV2, key: &str) -> Result<Response, Error> {
    let meta = kv.meta(key).await?.ok_or(Error::NotFound)?;
    Ok(Response::data(meta.to_data()))
}

pub async fn list(kv: &KvV2, prefix: &str) -> Result<Response, Error> {
    keys_response(kv.storage.list(&model::metadata_key(prefix)).await?)
}

/// Creates or updates a key's metadata; a patch merges `custom_metadata` (a `null` value
/// removes a key) where a write replaces it.
pub async fn write(kv: &KvV2, key: &str, fields: &Fields, patch: bool) -> Result<Response, Error> {
    if key.is_empty() || key.ends_with('/') {
        return Err(Error::bad_request("missing path: a key name is required"));
    }
    let _writes = kv.writes.lock().await;
    let existing = kv.meta(key).await?;
    if patch && existing.is_none() {
        return Err(Error::NotFound);
    }
    let now = rfc3339(kv.now());
    let mut meta = existing.unwrap_or_else(|| KeyMeta {
        created_time: now.clone(),
        ..KeyMeta::default()
    });
    if let Some(m) = fields.int("max_versions") {
        meta.max_versions =
            u64::try_from(m).map_err(|_| Error::bad_request("max_versions cannot be negative"))?;
    }
    if let Some(c) = fields.bool("cas_required") {
        meta.cas_required = c;
    }
    if let Some(d) = fields.duration("delete_version_after") {
        meta.delete_version_after = d.as_secs();
    }
    if let Some(custom) = fields.map("custom_metadata") {
        let mut merged = if patch {
            meta.custom_metadata.clone().unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        for (k, v) in custom {
            match v {
                Value::Null if patch => {
                    merged.remove(k);
                }
                Value::String(s) => {
                    merged.insert(k.clone(), s.clone());
                }
                _ => {
                    return Err(Error::bad_request(format!(
                        "custom_metadata value for {k:?} must be a string"
                    )))
                }
            }
        }
        check_custom(&merged)?;
        meta.custom_metadata = Some(merged);
    }
    meta.updated_time = now;
    put_json(&kv.storage, &model::metadata_key(key), &meta).await?;
    Ok(Response::empty())
}

fn check_custom(custom: &BTreeMap<String, String>) -> Result<(), Error> {
    if custom.len() > MAX_CUSTOM_KEYS {
        return Err(Error::bad_request(format!(
            "custom_metadata can hold at most {MAX_CUSTOM_KEYS} keys"
        )));
    }
    for (k, v) in custom {
        if k.is_empty() || k.len() > MAX_CUSTOM_KEY_LEN {
            return Err(Error::bad_request(format!(
                "custom_metadata keys must be 1 to {MAX_CUSTOM_KEY_LEN} bytes"
            )));
        }
        if v.len() > MAX_CUSTOM_VALUE_LEN {
            return Err(Error::bad_request(format!(
                "custom_metadata values must be at most {MAX_CUSTOM_VALUE_LEN} bytes"
            )));
        }
    }
    Ok(())
}

/// Deletes a key: every version's data and the metadata, in one batch.
pub async fn delete(kv: &KvV2, key: &str) -> Result<Response, Error> {
    let _writes = kv.writes.lock().await;
    let Some(meta) = kv.meta(key).await? else {
        return Ok(Response::empty());
    };
    let mut ops: Vec<Op> = meta
        .versions
        .keys()
        .map(|v| Op::Delete {
            key: model::version_key(key, *v),
        })
        .collect();
    ops.push(Op::Delete {
        key: model::metadata_key(key),
    });
    kv.storage.batch(ops).await?;
    Ok(Response::empty())
}
