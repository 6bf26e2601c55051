use crate::testkit::{mount, s, Harness, APPROLE, USERPASS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use tresor_sdk::Operation::*;

fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn first_login_creates_then_reuses() {
    let h = Harness::new().await;
    let up = mount(USERPASS);
    let first = h
        .store
        .entity_for_login(&up, "alice", meta(&[("role", "dev")]))
        .await
        .unwrap();
    assert!(first.name.starts_with("entity_"));
    assert_eq!(first.aliases.len(), 1);
    let alias = &first.aliases[0];
    assert_eq!(
        (alias.name.as_str(), alias.mount_accessor.as_str()),
        ("alice", USERPASS)
    );
    assert_eq!(alias.metadata, meta(&[("role", "dev")]));
    let again = h
        .store
        .entity_for_login(&up, "alice", meta(&[("role", "dev")]))
        .await
        .unwrap();
    assert_eq!(again, first);
    // Another mount, same name: another entity.
    let other = h
        .store
        .entity_for_login(&mount(APPROLE), "alice", BTreeMap::new())
        .await
        .unwrap();
    assert_ne!(other.id, first.id);
    // New metadata is written to the alias.
    let changed = h
        .store
        .entity_for_login(&up, "alice", meta(&[("role", "ops")]))
        .await
        .unwrap();
    assert_eq!(changed.id, first.id);
    let d = h
        .data(Read, &format!("entity-alias/id/{}", alias.id), Value::Null)
        .await;
    assert_eq!(d["metadata"], json!({"role": "ops"}));
    assert_eq!(h.store.entities().len(), 2);
    assert!(h
        .store
        .entity_for_login(&up, "", BTreeMap::new())
        .await
        .is_err());
}

#[tokio::test]
async fn concurrent_logins_make_one_entity() {
    let h = Harness::new().await;
    let up = mount(USERPASS);
    let (a, b, c) = tokio::join!(
        h.store.entity_for_login(&up, "bob", BTreeMap::new()),
        h.store.entity_for_login(&up, "bob", BTreeMap::new()),
        h.store.entity_for_login(&up, "BOB", BTreeMap::new()),
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert_eq!((a.id == b.id, b.id == c.id), (true, true));
    assert_eq!(h.store.entities().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_across_threads_make_one_entity_each() {
    let h = Harness::new().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = h.store.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("user{}", i % 4);
            store
                .entity_for_login(&mount(USERPASS), &name, BTreeMap::new())
                .await
                .unwrap()
                .id
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 4);
    assert_eq!(h.store.entities().len(), 4);
    assert_eq!(h.reopen().await.entities().len(), 4);
}

#[tokio::test]
async fn policies_are_inherited_through_nested_groups() {
    let h = Harness::new().await;
    let e = h
        .store
        .entity_for_login(&mount(USERPASS), "carol", BTreeMap::new())
        .await
        .unwrap();
    h.call(
        Update,
        &format!("entity/id/{}", e.id),
        json!({"policies": ["own", "shared"]}),
    )
    .await
    .unwrap();
    let child = h.group(json!({"name": "child", "policies": ["child-p", "shared"], "member_entity_ids": [e.id]})).await;
    let parent = h
        .group(json!({"name": "parent", "policies": "parent-p", "member_group_ids": [child]}))
        .await;
    h.group(json!({"name": "top", "policies": "top-p", "member_group_ids": [parent]}))
        .await;
    // A group that holds the entity's group's parent's sibling, not the entity: no effect.
    h.group(json!({"name": "unrelated", "policies": "nope"}))
        .await;
    assert_eq!(
        h.store.policies_of(&e.id),
        ["child-p", "own", "parent-p", "shared", "top-p"]
    );
    // Cutting the chain drops the ancestors' policies.
    h.call(Update, "group/name/parent", json!({"member_group_ids": []}))
        .await
        .unwrap();
    assert_eq!(h.store.policies_of(&e.id), ["child-p", "own", "shared"]);
    assert!(h.store.policies_of("missing").is_empty());

    assert!(!h.store.is_disabled(&e.id));
    h.call(
        Update,
        &format!("entity/id/{}", e.id),
        json!({"disabled": true}),
    )
    .await
    .unwrap();
    assert!(h.store.is_disabled(&e.id));
    assert!(h.store.is_disabled("missing"));
    assert!(!h.store.is_disabled(""));
}

#[tokio::test]
async fn template_view_and_lookups() {
    let h = Harness::new().await;
    let e = h
        .store
        .entity_for_login(&mount(USERPASS), "dan", meta(&[("k", "v")]))
        .await
        .unwrap();
    h.call(
        Update,
        &format!("entity/id/{}", e.id),
        json!({"name": "dan", "metadata": {"team": "a"}}),
    )
    .await
    .unwrap();
    let g = h
        .group(json!({"name": "devs", "metadata": {"m": "1"}, "member_entity_ids": [e.id]}))
        .await;
    let p = h
        .group(json!({"name": "all", "member_group_ids": [g]}))
        .await;
    let v = h.store.template_view(&e.id).unwrap();
    assert_eq!(
        (v.name.as_str(), v.metadata.clone()),
        ("dan", meta(&[("team", "a")]))
    );
    let alias = &v.aliases[USERPASS];
    assert_eq!(
        (alias.name.as_str(), alias.metadata.clone()),
        ("dan", meta(&[("k", "v")]))
    );
    let groups: Vec<(&str, &str, bool)> = v
        .groups
        .iter()
        .map(|g| (g.id.as_str(), g.name.as_str(), g.direct))
        .collect();
    assert_eq!(
        groups,
        [(g.as_str(), "devs", true), (p.as_str(), "all", false)]
    );
    assert_eq!(v.groups[0].metadata, meta(&[("m", "1")]));
    assert!(h.store.template_view("missing").is_none());

    for body in [
        json!({"name": "DAN"}),
        json!({"id": e.id}),
        json!({"alias_id": e.aliases[0].id}),
        json!({"alias_name": "dan", "alias_mount_accessor": USERPASS}),
    ] {
        let d = h.data(Update, "lookup/entity", body.clone()).await;
        assert_eq!(d["id"], json!(e.id), "{body}");
        assert_eq!(d["direct_group_ids"], json!([g]));
    }
    let miss = h
        .call(Update, "lookup/entity", json!({"name": "nobody"}))
        .await
        .unwrap();
    assert!(miss.is_empty());
    for (body, want) in [
        (json!({}), "query parameter not supplied"),
        (
            json!({"name": "dan", "id": "x"}),
            "query parameter conflict",
        ),
        (
            json!({"alias_name": "dan"}),
            "both 'alias_name' and 'alias_mount_accessor' needs to be set",
        ),
    ] {
        let err = h.err(Update, "lookup/entity", body).await;
        assert!(err.to_string().contains(want), "{err}");
    }
    assert_eq!(
        h.data(Update, "lookup/group", json!({"name": "ALL"})).await["id"],
        json!(p)
    );
    assert!(h
        .call(Update, "lookup/group", json!({"id": "x"}))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s(&h.data(Update, "lookup/group", json!({"id": g})).await["name"]),
        "devs"
    );
}
