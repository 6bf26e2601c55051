//! Upgrading a version 1 mount in place: every `v1/` entry becomes version 1 of the same
//! key. Each key moves in one atomic batch (write the version, delete the old entry), so
//! an interrupted upgrade resumes where it stopped on the next start.

use super::model::{self, KeyMeta, Version, VersionMeta};
use super::KvV2;
use crate::kv::v1;
use tresor_sdk::stored::{encode, get_json};
use tresor_sdk::{rfc3339, Data, Error};
use tresor_storage::{Backend, Op};

pub async fn from_v1(kv: &KvV2) -> Result<(), Error> {
    let mut folders = vec![String::new()];
    let mut moved = 0usize;
    while let Some(folder) = folders.pop() {
        for child in kv
            .mount_storage
            .list(&format!("{}{folder}", v1::PREFIX))
            .await?
        {
            let key = format!("{folder}{child}");
            if key.ends_with('/') {
                folders.push(key);
                continue;
            }
            move_key(kv, &key).await?;
            moved += 1;
        }
    }
    if moved > 0 {
        tracing::info!(
            keys = moved,
            "kv mount upgraded from version 1 to version 2"
        );
    }
    Ok(())
}

async fn move_key(kv: &KvV2, key: &str) -> Result<(), Error> {
    let old_key = format!("{}{key}", v1::PREFIX);
    let Some(data) = get_json::<Data>(&kv.mount_storage, &old_key).await? else {
        return Ok(());
    };
    let now = rfc3339(kv.now());
    let mut meta = KeyMeta {
        created_time: now.clone(),
        updated_time: now.clone(),
        ..KeyMeta::default()
    };
    meta.versions.insert(
        1,
        VersionMeta {
            created_time: now,
            ..VersionMeta::default()
        },
    );
    meta.current_version = 1;
    let ops = vec![
        Op::Put {
            key: format!("v2/{}", model::version_key(key, 1)),
            value: encode(&Version { data })?,
        },
        Op::Put {
            key: format!("v2/{}", model::metadata_key(key)),
            value: encode(&meta)?,
        },
        Op::Delete { key: old_key },
    ];
    kv.mount_storage.batch(ops).await?;
    Ok(())
}
