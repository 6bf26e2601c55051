//! The behaviour every [`Backend`] must have, as public functions that each backend's
//! tests call (`run_all`). Each check works under its own key prefix, so the suite can run
//! on a store that already holds data. A failed check panics with a message, like `assert!`.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use crate::backend::{Backend, Op, StorageError};

pub async fn run_all(b: &dyn Backend) {
    get_put_delete(b).await;
    overwrite(b).await;
    values_of_any_shape(b).await;
    keys_of_any_shape(b).await;
    list_one_level(b).await;
    scan_pages_in_key_order(b).await;
    batch_applies_all(b).await;
    batch_with_invalid_key_applies_none(b).await;
    invalid_keys_are_refused(b).await;
    concurrent_writers(b).await;
}

pub async fn get_put_delete(b: &dyn Backend) {
    let k = "conformance/basic/key";
    assert_eq!(b.get(k).await.unwrap(), None, "missing key reads as None");
    b.put(k, b"value").await.unwrap();
    assert_eq!(b.get(k).await.unwrap().as_deref(), Some(&b"value"[..]));
    b.delete(k).await.unwrap();
    assert_eq!(b.get(k).await.unwrap(), None, "deleted key reads as None");
    b.delete(k).await.expect("deleting a missing key succeeds");
}

pub async fn overwrite(b: &dyn Backend) {
    let k = "conformance/overwrite/key";
    b.put(k, b"first, longer value").await.unwrap();
    b.put(k, b"second").await.unwrap();
    assert_eq!(b.get(k).await.unwrap().as_deref(), Some(&b"second"[..]));
}

pub async fn values_of_any_shape(b: &dyn Backend) {
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let large = vec![0xA5u8; 1 << 20];
    for (name, value) in [
        ("empty", Vec::new()),
        ("bytes", all_bytes),
        ("large", large),
    ] {
        let k = format!("conformance/values/{name}");
        b.put(&k, &value).await.unwrap();
        assert_eq!(
            b.get(&k).await.unwrap(),
            Some(value),
            "value {name} round-trips"
        );
    }
}

pub async fn keys_of_any_shape(b: &dyn Backend) {
    let keys = [
        "conformance/keys/with space",
        "conformance/keys/ünïcødé/鍵",
        "conformance/keys/percent%2e%2e",
        "conformance/keys/quote'\"; DROP TABLE entries; --",
        "conformance/keys/trailing.dot.",
        "conformance/keys/a_b-c~d",
    ];
    for k in keys {
        b.put(k, k.as_bytes()).await.unwrap();
    }
    for k in keys {
        assert_eq!(
            b.get(k).await.unwrap().as_deref(),
            Some(k.as_bytes()),
            "key {k:?}"
        );
    }
    let listed = b.list("conformance/keys/").await.unwrap();
    assert_eq!(
        listed.len(),
        keys.len(),
        "every odd key is listed once: {listed:?}"
    );
}

pub async fn list_one_level(b: &dyn Backend) {
    for k in ["a", "b/c", "b/d/e", "b/d/f", "c/", "d", "d/x"] {
        b.put(&format!("conformance/list/{k}"), b"x").await.unwrap();
    }
    b.put("conformance/listing-sibling", b"x").await.unwrap();
    let got = b.list("conformance/list/").await.unwrap();
    assert_eq!(
        got,
        vec!["a", "b/", "c/", "d", "d/"],
        "one level, folders with /"
    );
    assert_eq!(
        b.list("conformance/list/b/").await.unwrap(),
        vec!["c", "d/"]
    );
    assert_eq!(
        b.list("conformance/list/b/d/").await.unwrap(),
        vec!["e", "f"]
    );
    assert!(b
        .list("conformance/list/missing/")
        .await
        .unwrap()
        .is_empty());
    b.delete("conformance/list/b/c").await.unwrap();
    b.delete("conformance/list/b/d/e").await.unwrap();
    b.delete("conformance/list/b/d/f").await.unwrap();
    assert_eq!(
        b.list("conformance/list/").await.unwrap(),
        vec!["a", "c/", "d", "d/"]
    );
}

/// `scan` reads a prefix at any depth in pages, in key order, strictly after `after`.
pub async fn scan_pages_in_key_order(b: &dyn Backend) {
    let keys = [
        "sc/a", "sc/b/1", "sc/b/2", "sc/b/c/3", "sc/d", "sc0", "sd/x", "sb",
    ];
    for k in keys {
        b.put(k, k.as_bytes()).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = b.scan("sc/", &after, 2).await.unwrap();
        assert!(page.len() <= 2);
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        for (k, v) in &page {
            assert_eq!(v.as_slice(), k.as_bytes());
            seen.push(k.clone());
        }
    }
    assert_eq!(seen, ["sc/a", "sc/b/1", "sc/b/2", "sc/b/c/3", "sc/d"]);
    let from_b = b.scan("sc/", "sc/b/1", 10).await.unwrap();
    let from_b: Vec<&str> = from_b.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(from_b, ["sc/b/2", "sc/b/c/3", "sc/d"]);
    assert!(b.scan("none/", "", 10).await.unwrap().is_empty());
    assert!(b.scan("sc/", "sc/d", 10).await.unwrap().is_empty());
    for k in keys {
        b.delete(k).await.unwrap();
    }
}

pub async fn batch_applies_all(b: &dyn Backend) {
    b.put("conformance/batch/old", b"old").await.unwrap();
    b.batch(vec![
        Op::Put {
            key: "conformance/batch/one".into(),
            value: b"1".to_vec(),
        },
        Op::Put {
            key: "conformance/batch/two".into(),
            value: b"2".to_vec(),
        },
        Op::Delete {
            key: "conformance/batch/old".into(),
        },
        Op::Put {
            key: "conformance/batch/one".into(),
            value: b"1b".to_vec(),
        },
    ])
    .await
    .unwrap();
    assert_eq!(
        b.get("conformance/batch/one").await.unwrap().as_deref(),
        Some(&b"1b"[..])
    );
    assert_eq!(
        b.get("conformance/batch/two").await.unwrap().as_deref(),
        Some(&b"2"[..])
    );
    assert_eq!(b.get("conformance/batch/old").await.unwrap(), None);
    b.batch(Vec::new()).await.expect("an empty batch is fine");
}

pub async fn batch_with_invalid_key_applies_none(b: &dyn Backend) {
    let err = b
        .batch(vec![
            Op::Put {
                key: "conformance/atomic/first".into(),
                value: b"1".to_vec(),
            },
            Op::Put {
                key: "conformance/atomic/\0bad".into(),
                value: b"2".to_vec(),
            },
        ])
        .await
        .expect_err("a batch with an invalid key fails");
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    assert_eq!(
        b.get("conformance/atomic/first").await.unwrap(),
        None,
        "nothing applied"
    );
}

pub async fn invalid_keys_are_refused(b: &dyn Backend) {
    for key in ["", "conformance/nul\0byte"] {
        assert!(
            matches!(b.put(key, b"x").await, Err(StorageError::InvalidKey(_))),
            "{key:?}"
        );
        assert!(
            matches!(b.get(key).await, Err(StorageError::InvalidKey(_))),
            "{key:?}"
        );
    }
    let long = format!("conformance/{}", "k".repeat(crate::backend::MAX_KEY_LEN));
    assert!(matches!(
        b.put(&long, b"x").await,
        Err(StorageError::InvalidKey(_))
    ));
}

pub async fn concurrent_writers(b: &dyn Backend) {
    let writes = (0..64).map(|i| async move {
        b.put(
            &format!("conformance/concurrent/{i:03}"),
            format!("{i}").as_bytes(),
        )
        .await
    });
    for r in futures_util::future::join_all(writes).await {
        r.unwrap();
    }
    let listed = b.list("conformance/concurrent/").await.unwrap();
    assert_eq!(listed.len(), 64);
    for i in 0..64 {
        let v = b
            .get(&format!("conformance/concurrent/{i:03}"))
            .await
            .unwrap();
        assert_eq!(v, Some(format!("{i}").into_bytes()));
    }
}
