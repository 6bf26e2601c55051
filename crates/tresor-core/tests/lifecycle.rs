//! The seal lifecycle end to end in process: init, unseal by threshold, rotate, restart on
//! the embedded store, rekey.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use tresor_core::{Core, CoreConfig, InitRequest};
use tresor_crypto::SecretBytes;
use tresor_sdk::{Error, ErrorKind, Operation, Request};
use tresor_storage::Backend;
use tresor_storage_sqlite::SqliteBackend;

fn hex_shares(shares: &[SecretBytes]) -> Vec<String> {
    shares.iter().map(|s| hex::encode(s.expose())).collect()
}

async fn init(core: &Core, n: i64, t: i64) -> (Vec<String>, String) {
    let r = core
        .initialize(InitRequest {
            secret_shares: n,
            secret_threshold: t,
            root_token_id: None,
            dev: false,
        })
        .await
        .unwrap();
    (hex_shares(&r.shares), r.root_token.expose().to_owned())
}

async fn unseal(core: &Core, keys: &[String]) {
    for k in keys {
        core.submit_unseal(Some(k), false).await.unwrap();
    }
    assert!(!core.is_sealed(), "threshold shares unseal");
}

async fn lookup_self(core: &Core, token: &str) -> Result<tresor_sdk::Response, Error> {
    core.handle(Request::new(Operation::Read, "auth/token/lookup-self").with_token(token))
        .await
}

#[tokio::test]
async fn init_unseal_rotate_restart_rekey_on_the_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let open = || -> Arc<dyn Backend> { Arc::new(SqliteBackend::open(dir.path()).unwrap()) };
    let core = Core::new(
        open(),
        CoreConfig {
            storage_type: "file".into(),
            ..CoreConfig::default()
        },
    );
    let (keys, root) = init(&core, 5, 3).await;
    assert!(core.is_sealed(), "init leaves the core sealed");
    assert_eq!(keys.len(), 5);
    assert!(matches!(
        lookup_self(&core, &root).await,
        Err(Error::Sealed)
    ));

    // Two shares are not enough; progress shows, a duplicate does not count.
    let s = core.submit_unseal(Some(&keys[0]), false).await.unwrap();
    assert_eq!((s.progress, s.sealed), (1, true));
    let s = core.submit_unseal(Some(&keys[0]), false).await.unwrap();
    assert_eq!(s.progress, 1);
    core.submit_unseal(Some(&keys[3]), false).await.unwrap();
    assert!(core.is_sealed());
    core.submit_unseal(Some(&keys[4]), false).await.unwrap();
    assert!(!core.is_sealed());

    let data = lookup_self(&core, &root).await.unwrap().data.unwrap();
    assert_eq!(data["policies"], serde_json::json!(["root"]));
    assert_eq!(data["path"], "auth/token/root");
    let denied = lookup_self(&core, "trs.wrong").await.unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);

    core.rotate().await.unwrap();
    core.rotate().await.unwrap();
    assert_eq!(core.key_status().unwrap().term, 3);

    // Restart: a new core on the same files starts sealed and unseals with old shares.
    drop(core);
    let core = Core::new(open(), CoreConfig::default());
    assert!(core.is_sealed());
    assert!(core.is_initialized().await.unwrap());
    unseal(&core, &keys[1..4]).await;
    assert_eq!(
        core.key_status().unwrap().term,
        3,
        "keyring survives rotation and restart"
    );
    lookup_self(&core, &root)
        .await
        .expect("root token survives restart");

    // Rekey to 3/2 with three old shares.
    let status = core.rekey_init(3, 2).await.unwrap();
    let nonce = status.nonce.clone();
    assert_eq!(status.required, 3);
    let mut outcome = None;
    for k in &keys[..3] {
        outcome = Some(core.rekey_update(Some(k), Some(&nonce)).await.unwrap());
    }
    let tresor_core::rekey::RekeyOutcome::Complete { shares, .. } = outcome.unwrap() else {
        panic!("rekey did not complete");
    };
    let new_keys = hex_shares(&shares);
    core.seal().await;
    let s = core.submit_unseal(Some(&keys[0]), false).await.unwrap();
    assert_eq!(s.t, 2);
    core.submit_unseal(None, true).await.unwrap();
    unseal(&core, &new_keys[1..3]).await;
    lookup_self(&core, &root).await.unwrap();
}

#[tokio::test]
async fn wrong_shares_reset_progress_and_keep_the_core_sealed() {
    let core = Core::new(
        Arc::new(tresor_storage::InmemBackend::new()),
        CoreConfig::default(),
    );
    let (keys, _) = init(&core, 3, 2).await;
    let other = Core::new(
        Arc::new(tresor_storage::InmemBackend::new()),
        CoreConfig::default(),
    );
    let (foreign, _) = init(&other, 3, 2).await;
    core.submit_unseal(Some(&keys[0]), false).await.unwrap();
    let err = core
        .submit_unseal(Some(&foreign[1]), false)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let s = core.seal_status().await.unwrap();
    assert_eq!((s.sealed, s.progress, s.nonce.as_str()), (true, 0, ""));
    unseal(&core, &keys[1..]).await;
}

#[tokio::test]
async fn single_share_init_uses_the_key_itself() {
    let core = Core::new(
        Arc::new(tresor_storage::InmemBackend::new()),
        CoreConfig::default(),
    );
    let (keys, _) = init(&core, 1, 1).await;
    assert_eq!(
        keys[0].len(),
        64,
        "a 1-of-1 share is the 32-byte unseal key"
    );
    unseal(&core, &keys).await;
    let again = core
        .initialize(InitRequest {
            secret_shares: 1,
            secret_threshold: 1,
            root_token_id: None,
            dev: false,
        })
        .await
        .unwrap_err();
    assert_eq!(again.messages(), vec!["Vault is already initialized"]);
}

#[tokio::test]
async fn sealing_drops_every_key() {
    let core = Core::new(
        Arc::new(tresor_storage::InmemBackend::new()),
        CoreConfig::default(),
    );
    let (keys, root) = init(&core, 3, 2).await;
    unseal(&core, &keys[..2]).await;
    core.seal().await;
    assert!(core.is_sealed());
    assert!(matches!(core.key_status(), Err(Error::Sealed)));
    assert!(matches!(
        lookup_self(&core, &root).await,
        Err(Error::Sealed)
    ));
}
