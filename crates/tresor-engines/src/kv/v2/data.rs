//! `data/<key>`: read a version, write a new one (with check-and-set), patch the latest.

use super::model::{self, KeyMeta, Version, VersionMeta};
use super::KvV2;
use serde_json::{json, Value};
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::{encode, get_json};
use tresor_sdk::{rfc3339, Data, Error, Response};
use tresor_storage::{Backend, Op};

/// The check-and-set version of a write's `options`, if given.
fn cas(fields: &Fields) -> Result<Option<u64>, Error> {
    let Some(options) = fields.map("options") else {
        return Ok(None);
    };
    tresor_sdk::fields::u64_field(options, "cas")
}

fn data_field(fields: &Fields) -> Result<Data, Error> {
    match fields.json("data") {
        None | Some(Value::Null) => Err(Error::bad_request("no data provided")),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(Error::bad_request(
            "error converting input for field \"data\": expected a map",
        )),
    }
}

pub async fn read(kv: &KvV2, key: &str, fields: &Fields) -> Result<Response, Error> {
    let (meta, version, stored) = kv.version(key, fields).await?;
    let mut data = Data::new();
    data.insert("metadata".into(), meta.version_block(version));
    match stored {
        Some(v) => {
            data.insert("data".into(), Value::Object(v.data));
            Ok(Response::data(data))
        }
        // Vault answers a deleted or destroyed version with 404 and its metadata.
        None => {
            data.insert("data".into(), Value::Null);
            Ok(Response {
                status: Some(404),
                ..Response::data(data)
            })
        }
    }
}

pub async fn write(kv: &KvV2, key: &str, fields: &Fields) -> Result<Response, Error> {
    let data = data_field(fields)?;
    let cas = cas(fields)?;
    let _writes = kv.writes.lock().await;
    put_version(kv, key, data, cas, kv.meta(key).await?).await
}

pub async fn patch(kv: &KvV2, key: &str, fields: &Fields) -> Result<Response, Error> {
    let patch = data_field(fields)?;
    let cas = cas(fields)?;
    let _writes = kv.writes.lock().await;
    let meta = kv.meta(key).await?.ok_or(Error::NotFound)?;
    let current = meta
        .versions
        .get(&meta.current_version)
        .ok_or(Error::NotFound)?;
    if current.destroyed || current.is_deleted(kv.now()) {
        return Err(Error::NotFound);
    }
    let stored: Version = get_json(&kv.storage, &model::version_key(key, meta.current_version))
        .await?
        .ok_or(Error::NotFound)?;
    let mut merged = Value::Object(stored.data);
    merge_patch(&mut merged, &Value::Object(patch));
    let Value::Object(merged) = merged else {
        return Err(Error::internal("merge patch lost the object"));
    };
    put_version(kv, key, merged, cas, Some(meta)).await
}

/// RFC 7396 JSON merge patch: objects merge recursively, `null` removes a key, anything
/// else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(target_map) = target {
        for (k, v) in patch_map {
            if v.is_null() {
                target_map.remove(k);
            } else {
                merge_patch(target_map.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Writes `data` as the next version, enforcing check-and-set and the version limit; the
/// new version, its metadata and any pruning go to storage in one batch. The caller holds
/// the write lock.
async fn put_version(
    kv: &KvV2,
    key: &str,
    data: Data,
    cas: Option<u64>,
    meta: Option<KeyMeta>,
) -> Result<Response, Error> {
    if key.is_empty() || key.ends_with('/') {
        return Err(Error::bad_request("missing path: a key name is required"));
    }
    let config = kv.config().await?;
    let now = kv.now();
    let now_s = rfc3339(now);
    let mut meta = meta.unwrap_or_else(|| KeyMeta {
        created_time: now_s.clone(),
        ..KeyMeta::default()
    });
    match cas {
        None if config.cas_required || meta.cas_required => {
            return Err(Error::bad_request(
                "check-and-set parameter required for this call",
            ))
        }
        Some(c) if c != meta.current_version => {
            return Err(Error::bad_request(
                "check-and-set parameter did not match the current version",
            ))
        }
        _ => {}
    }
    let version = meta
        .current_version
        .checked_add(1)
        .ok_or_else(|| Error::bad_request("version limit reached"))?;
    let after = [meta.delete_version_after, config.delete_version_after]
        .into_iter()
        .find(|d| *d > 0);
    let deletion_time = after
        .map(|d| rfc3339(now + std::time::Duration::from_secs(d)))
        .unwrap_or_default();
    meta.versions.insert(
        version,
        VersionMeta {
            created_time: now_s.clone(),
            deletion_time,
            destroyed: false,
        },
    );
    meta.current_version = version;
    meta.updated_time = now_s;
    let mut ops = Vec::new();
    let max = meta.effective_max_versions(&config);
    while meta.versions.len() as u64 > max {
        let Some((&oldest, _)) = meta.versions.iter().next() else {
            break;
        };
        meta.versions.remove(&oldest);
        ops.push(Op::Delete {
            key: model::version_key(key, oldest),
        });
        meta.oldest_version = meta.versions.keys().next().copied().unwrap_or(0);
    }
    ops.push(Op::Put {
        key: model::version_key(key, version),
        value: encode(&Version { data })?,
    });
    ops.push(Op::Put {
        key: model::metadata_key(key),
        value: encode(&meta)?,
    });
    kv.storage.batch(ops).await?;
    let block = meta.version_block(version);
    Ok(Response::data(
        block.as_object().cloned().unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::merge_patch;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}, "n": [1]}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}, "n": [1]}));
    }
}
