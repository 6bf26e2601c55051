use crate::testkit::{mount, Harness, APPROLE, USERPASS};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tresor_sdk::Operation::*;

#[tokio::test]
async fn a_reopened_store_finds_everything() {
    let h = Harness::new().await;
    let e = h
        .store
        .entity_for_login(&mount(USERPASS), "erin", BTreeMap::new())
        .await
        .unwrap();
    h.call(
        Update,
        &format!("entity/id/{}", e.id),
        json!({"name": "erin", "policies": "p"}),
    )
    .await
    .unwrap();
    let other = h.entity(json!({"name": "other", "disabled": true})).await;
    h.call(
        Update,
        "entity-alias",
        json!({"name": "svc", "canonical_id": other, "mount_accessor": APPROLE}),
    )
    .await
    .unwrap();
    let child = h
        .group(json!({"name": "child", "policies": "c", "member_entity_ids": [e.id]}))
        .await;
    h.group(json!({"name": "parent", "policies": "pp", "member_group_ids": [child]}))
        .await;

    let again = h.reopen().await;
    let found = again.entity_by_alias(USERPASS, "ERIN").unwrap();
    assert_eq!(found, h.store.entity(&e.id).unwrap());
    assert_eq!(again.entity_by_name("erin").unwrap().id, e.id);
    assert_eq!(again.entity_by_alias(APPROLE, "svc").unwrap().id, other);
    assert!(again.is_disabled(&other));
    assert_eq!(again.policies_of(&e.id), ["c", "p", "pp"]);
    assert_eq!(
        again.group_by_name("PARENT").unwrap().member_group_ids,
        [child.as_str()]
    );
    assert_eq!(again.parent_groups(&child).len(), 1);
    assert_eq!(again.template_view(&e.id), h.store.template_view(&e.id));
    // A login after the restart reuses the entity.
    let login = again
        .entity_for_login(&mount(USERPASS), "erin", BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(login.id, e.id);
    assert_eq!(again.entities().len(), 2);
}

#[tokio::test]
async fn storage_layout_and_mount_removal() {
    let h = Harness::new().await;
    let e = h
        .store
        .entity_for_login(&mount(USERPASS), "fay", BTreeMap::new())
        .await
        .unwrap();
    let g = h
        .group(json!({"name": "g", "member_entity_ids": [e.id]}))
        .await;
    use tresor_storage::Backend;
    assert_eq!(h.storage.list("entity/").await.unwrap(), [e.id.as_str()]);
    assert_eq!(h.storage.list("group/").await.unwrap(), [g.as_str()]);
    assert_eq!(h.storage.list("").await.unwrap(), ["entity/", "group/"]);

    h.store.remove_mount_aliases(USERPASS).await.unwrap();
    assert!(h.store.entity_by_alias(USERPASS, "fay").is_none());
    assert_eq!(
        h.data(Read, &format!("entity/id/{}", e.id), Value::Null)
            .await["aliases"],
        json!([])
    );
    assert!(h.reopen().await.entity(&e.id).unwrap().aliases.is_empty());
}

#[tokio::test]
async fn dangling_members_in_storage_are_dropped_on_load() {
    let h = Harness::new().await;
    let e = h.entity(json!({"name": "gone"})).await;
    let g = h
        .group(json!({"name": "g", "member_entity_ids": [e]}))
        .await;
    // An entity entry removed behind the store's back (as by an old, partial write).
    use tresor_storage::Backend;
    h.storage.delete(&format!("entity/{e}")).await.unwrap();
    let again = h.reopen().await;
    assert!(again.group(&g).unwrap().member_entity_ids.is_empty());
    assert!(again.policies_of(&e).is_empty());
}

#[tokio::test]
async fn a_failed_storage_write_leaves_the_index_as_it_was() {
    let h = Harness::new().await;
    let id = h.entity(json!({"name": "kept", "policies": "a"})).await;
    h.disk
        .fail_writes
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let login = h
        .store
        .entity_for_login(&mount(USERPASS), "new", BTreeMap::new())
        .await;
    assert_eq!(login.unwrap_err().kind(), tresor_sdk::ErrorKind::Internal);
    let e = h
        .err(Update, &format!("entity/id/{id}"), json!({"policies": "b"}))
        .await;
    assert_eq!(e.messages(), ["storage failure"]);
    assert!(h.store.entity_by_alias(USERPASS, "new").is_none());
    assert_eq!(h.store.entities().len(), 1);
    assert_eq!(h.store.policies_of(&id), ["a"]);
}

#[tokio::test]
async fn duplicate_names_in_storage_keep_the_first_holder() {
    let h = Harness::new().await;
    let first = h.entity(json!({"name": "dup"})).await;
    let second = h.entity(json!({"name": "other"})).await;
    // Rewrite the second entry with the first one's name, behind the store's back.
    let mut raw = h.store.entity(&second).unwrap();
    raw.name = "DUP".into();
    tresor_sdk::stored::put_json(&h.storage, &format!("entity/{second}"), &raw)
        .await
        .unwrap();
    let again = h.reopen().await;
    assert_eq!(again.entities().len(), 2);
    // Entries load in key order: the lower ID holds the name.
    let holder = again.entity_by_name("dup").unwrap().id;
    assert_eq!(holder, first.clone().min(second.clone()));
    assert_eq!(again.entity(&second).unwrap().name, "DUP");
}

#[tokio::test]
async fn external_groups_aliases_and_memberships_survive_a_restart() {
    let h = Harness::new().await;
    let (ext, alias) = h.external("ext", "ext-p", USERPASS, "Team").await;
    let parent = h
        .group(json!({"name": "parent", "policies": "pp", "member_group_ids": [ext]}))
        .await;
    let e = h
        .store
        .entity_for_login(&mount(USERPASS), "gil", BTreeMap::new())
        .await
        .unwrap();
    h.store
        .sync_external_groups(&mount(USERPASS), &e.id, &["team".to_owned()])
        .await
        .unwrap();

    let again = h.reopen().await;
    assert_eq!(again.group(&ext), h.store.group(&ext));
    assert_eq!(again.group_by_alias(USERPASS, "TEAM").unwrap().id, ext);
    assert_eq!(again.group_by_alias_id(&alias).unwrap().id, ext);
    assert_eq!(again.policies_of(&e.id), ["ext-p", "pp"]);
    assert_eq!(again.parent_groups(&ext), [parent.as_str()]);
    // A login after the restart leaves the group through the reloaded alias.
    again
        .sync_external_groups(&mount(USERPASS), &e.id, &[])
        .await
        .unwrap();
    assert!(again.group(&ext).unwrap().member_entity_ids.is_empty());
    assert!(h.reopen().await.policies_of(&e.id).is_empty());
    // Disabling the mount drops the group alias; the group stays.
    again.remove_mount_aliases(USERPASS).await.unwrap();
    assert!(again.group_by_alias_id(&alias).is_none());
    let reloaded = h.reopen().await;
    assert!(reloaded.group(&ext).unwrap().alias.is_none());
    assert!(reloaded.group_by_alias(USERPASS, "team").is_none());
}
