//! Soft delete, undelete and destroy of versions.

use super::model::{self, KeyMeta};
use super::KvV2;
use tresor_sdk::framework::Fields;
use tresor_sdk::stored::encode;
use tresor_sdk::{rfc3339, Error, Response};
use tresor_storage::{Backend, Op};

fn versions(fields: &Fields) -> Result<Vec<u64>, Error> {
    let list = fields.list("versions").unwrap_or_default();
    if list.is_empty() {
        return Err(Error::bad_request("no version number provided"));
    }
    list.iter()
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| Error::bad_request("versions must be whole numbers"))
        })
        .collect()
}

async fn save(kv: &KvV2, key: &str, meta: &KeyMeta, mut ops: Vec<Op>) -> Result<(), Error> {
    ops.push(Op::Put {
        key: model::metadata_key(key),
        value: encode(meta)?,
    });
    kv.storage.batch(ops).await?;
    Ok(())
}

/// `DELETE data/<key>`: soft-deletes the latest version.
pub async fn delete_latest(kv: &KvV2, key: &str) -> Result<Response, Error> {
    let _writes = kv.writes.lock().await;
    let Some(meta) = kv.meta(key).await? else {
        return Ok(Response::empty());
    };
    let current = meta.current_version;
    mark_deleted(kv, key, meta, &[current]).await
}

/// `delete/<key>`: soft-deletes the given versions.
pub async fn delete(kv: &KvV2, key: &str, fields: &Fields) -> Result<Response, Error> {
    let wanted = versions(fields)?;
    let _writes = kv.writes.lock().await;
    let Some(meta) = kv.meta(key).await? else {
        return Ok(Response::empty());
    };
    mark_deleted(kv, key, meta, &wanted).await
}

async fn mark_deleted(
    kv: &KvV2,
    key: &str,
    mut meta: KeyMeta,
    wanted: &[u64],
) -> Result<Response, Error> {
    let now = kv.now();
    for v in wanted {
        if let Some(vm) = meta.versions.get_mut(v) {
            if !vm.destroyed && !vm.is_deleted(now) {
                vm.deletion_time = rfc3339(now);
            }
        }
    }
    save(kv, key, &meta, Vec::new()).await?;
    Ok(Response::empty())
}

/// `undelete/<key>`: restores soft-deleted versions (destroyed ones stay destroyed).
pub async fn undelete(kv: &KvV2, key: &str, fields: &Fields) -> Result<Response, Error> {
    let wanted = versions(fields)?;
    let _writes = kv.writes.lock().await;
    let Some(mut meta) = kv.meta(key).await? else {
        return Ok(Response::empty());
    };
    for v in &wanted {
        if let Some(vm) = meta.versions.get_mut(v) {
            if !vm.destroyed {
                vm.deletion_time.clear();
            }
        }
    }
    save(kv, key, &meta, Vec::new()).await?;
    Ok(Response::empty())
}

/// `destroy/<key>`: removes the versions' data for good.
pub async fn destroy(kv: &KvV2, key: &str, fields: &Fields) -> Result<Response, Error> {
    let wanted = versions(fields)?;
    let _writes = kv.writes.lock().await;
    let Some(mut meta) = kv.meta(key).await? else {
        return Ok(Response::empty());
    };
    let mut ops = Vec::new();
    for v in &wanted {
        if let Some(vm) = meta.versions.get_mut(v) {
            vm.destroyed = true;
            ops.push(Op::Delete {
                key: model::version_key(key, *v),
            });
        }
    }
    save(kv, key, &meta, ops).await?;
    Ok(Response::empty())
}
