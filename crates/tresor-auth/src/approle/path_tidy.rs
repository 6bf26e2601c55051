//! `tidy/secret-id`: removes expired secret IDs, secret IDs whose accessor is gone, and
//! accessors whose secret ID is gone. Runs one at a time per mount.

use super::keys::secret_key;
use super::model::{self, AccessorEntry, SecretIdEntry};
use super::AppRole;
use std::sync::atomic::{AtomicBool, Ordering};
use tresor_sdk::stored::get_json;
use tresor_sdk::{Error, Response};
use tresor_storage::{Backend, Op};

/// Clears the running flag however the tidy ends.
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

pub async fn tidy(ar: &AppRole) -> Result<Response, Error> {
    if ar.tidying.swap(true, Ordering::SeqCst) {
        return Ok(Response::empty().with_warning("Tidy operation already in progress."));
    }
    let _running = Running(&ar.tidying);
    let removed = tidy_secret_ids(ar).await? + tidy_accessors(ar).await?;
    tracing::debug!(removed, "approle tidy done");
    Ok(Response {
        status: Some(202),
        ..Response::empty().with_warning(
            "Tidy operation successfully started. Any information from the operation will be printed to the server's logs.",
        )
    })
}

/// Each role's expired or accessor-less secret IDs, under the role's lock.
async fn tidy_secret_ids(ar: &AppRole) -> Result<usize, Error> {
    let now = ar.now();
    let mut removed = 0;
    for name in ar.storage.list("role/").await? {
        let _role = ar.lock_role(&name).await?;
        let Some(role) = model::load_role(&ar.storage, &name).await? else {
            continue;
        };
        let prefix = role.secret_prefix()?;
        let mut ops = Vec::new();
        for hmac in ar.storage.list(&prefix).await? {
            let key = format!("{prefix}{hmac}");
            let Some(entry) = get_json::<SecretIdEntry>(&ar.storage, &key).await? else {
                continue;
            };
            let accessor = ar.accessor_key(&entry.secret_id_accessor).await?;
            let orphan = ar.storage.get(&accessor).await?.is_none();
            if orphan || entry.expired(now) {
                ops.push(Op::Delete { key });
                ops.push(Op::Delete { key: accessor });
                removed += 1;
            }
        }
        if !ops.is_empty() {
            ar.storage.batch(ops).await?;
        }
    }
    Ok(removed)
}

/// Accessors whose secret ID is gone (a secret ID and its accessor are written and
/// removed in one batch, so these only come from older or interrupted writes).
async fn tidy_accessors(ar: &AppRole) -> Result<usize, Error> {
    let mut removed = 0;
    for hmac in ar.storage.list("accessor/").await? {
        let key = format!("accessor/{hmac}");
        let Some(acc) = get_json::<AccessorEntry>(&ar.storage, &key).await? else {
            continue;
        };
        let secret = secret_key(&acc.role_name_hmac, &acc.secret_id_hmac);
        if ar.storage.get(&secret).await?.is_none() {
            ar.storage.delete(&key).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use crate::testkit::approle;
    use serde_json::json;
    use std::time::Duration;
    use tresor_sdk::Operation::*;
    use tresor_storage::Backend;

    #[tokio::test]
    async fn tidy_removes_expired_and_orphaned_entries() {
        let h = approle().await;
        let (rid, long, _) = h.role_with_secret("web", json!({})).await;
        let short = h
            .data(Update, "role/web/secret-id", json!({"ttl": 60}))
            .await;
        let short = short["secret_id"].as_str().unwrap().to_owned();
        h.data(Update, "role/web/secret-id", json!({"ttl": 50}))
            .await;
        // An accessor whose secret ID is gone (as an interrupted write could leave).
        h.storage
            .put(
                "accessor/orphan",
                br#"{"secret_id_hmac":"x","role_name_hmac":"y"}"#,
            )
            .await
            .unwrap();
        h.clock.advance(Duration::from_secs(55));
        let resp = h.call(Update, "tidy/secret-id", json!(null)).await.unwrap();
        assert_eq!(resp.status, Some(202));
        assert_eq!(resp.warnings.len(), 1);
        let stored = h.dump_storage().await;
        assert_eq!(
            stored.matches("secret_id/").count(),
            2,
            "the 50s one is gone"
        );
        assert!(!stored.contains("accessor/orphan"));
        h.approle_login(&rid, &short).await.unwrap();
        h.clock.advance(Duration::from_secs(10));
        h.call(Update, "tidy/secret-id", json!({})).await.unwrap();
        let stored = h.dump_storage().await;
        assert_eq!(stored.matches("secret_id/").count(), 1);
        assert_eq!(stored.matches("accessor/").count(), 1);
        h.approle_login(&rid, &long).await.unwrap();
    }
}
