use crate::testkit::{mount, Harness, APPROLE, USERPASS};
use crate::EntityGroups;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tresor_sdk::Operation::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| n.to_string()).collect()
}

async fn login(h: &Harness, accessor: &str, user: &str) -> String {
    let m = mount(accessor);
    let e = h.store.entity_for_login(&m, user, BTreeMap::new()).await;
    e.unwrap().id
}

async fn sync(h: &Harness, accessor: &str, entity: &str, aliases: &[&str]) {
    let m = mount(accessor);
    h.store
        .sync_external_groups(&m, entity, &names(aliases))
        .await
        .unwrap();
}

fn members(h: &Harness, group: &str) -> Vec<String> {
    h.store.group(group).unwrap().member_entity_ids
}

#[tokio::test]
async fn logins_join_and_leave_external_groups() {
    let h = Harness::new().await;
    let (devs, _) = h.external("devs", "dev", USERPASS, "dev-team").await;
    let (ops, _) = h.external("ops", "ops", USERPASS, "ops-team").await;
    let alice = login(&h, USERPASS, "alice").await;
    let bob = login(&h, USERPASS, "bob").await;

    // Names match without regard to case; unknown aliases are ignored and make nothing.
    sync(
        &h,
        USERPASS,
        &alice,
        &["DEV-TEAM", "ops-team", "no-such-team"],
    )
    .await;
    sync(&h, USERPASS, &bob, &["dev-team"]).await;
    assert_eq!(members(&h, &devs), [alice.clone(), bob.clone()]);
    assert_eq!(members(&h, &ops), vec![alice.clone()]);
    assert_eq!(h.store.groups().len(), 2);
    assert!(h.store.group_by_alias(USERPASS, "no-such-team").is_none());
    // Reads show the members, as in Vault.
    let d = h.data(Read, &format!("group/id/{devs}"), Value::Null).await;
    assert_eq!(d["member_entity_ids"], json!([alice, bob]));
    let d = h
        .data(Read, &format!("entity/id/{alice}"), Value::Null)
        .await;
    let mut both = vec![devs.clone(), ops.clone()];
    both.sort();
    assert_eq!(d["direct_group_ids"], json!(both));

    // The claim drops ops: alice leaves it, and only it.
    sync(&h, USERPASS, &alice, &["dev-team"]).await;
    assert_eq!(members(&h, &ops), Vec::<String>::new());
    assert_eq!(members(&h, &devs), [alice.clone(), bob.clone()]);
    // No group aliases at all: alice leaves every external group of the mount.
    sync(&h, USERPASS, &alice, &[]).await;
    assert_eq!(members(&h, &devs), vec![bob.clone()]);
    assert!(h.store.policies_of(&alice).is_empty());
    assert_eq!(h.store.policies_of(&bob), ["dev"]);
}

#[tokio::test]
async fn other_mounts_and_internal_groups_are_untouched() {
    let h = Harness::new().await;
    let (up, _) = h.external("up", "", USERPASS, "team").await;
    let (ar, _) = h.external("ar", "", APPROLE, "team").await;
    let alice = login(&h, USERPASS, "alice").await;
    let internal = h
        .group(json!({"name": "int", "member_entity_ids": [alice]}))
        .await;
    sync(&h, USERPASS, &alice, &["team"]).await;
    sync(&h, APPROLE, &alice, &["team"]).await;
    // A login on one mount only joins that mount's groups.
    assert_eq!(members(&h, &up), vec![alice.clone()]);
    assert_eq!(members(&h, &ar), vec![alice.clone()]);
    // Leaving approle's group keeps the userpass one and the internal group.
    sync(&h, APPROLE, &alice, &[]).await;
    assert_eq!(members(&h, &up), vec![alice.clone()]);
    assert!(members(&h, &ar).is_empty());
    assert_eq!(members(&h, &internal), vec![alice.clone()]);
    // A group alias on another mount is not found through this one.
    sync(&h, APPROLE, &alice, &["TEAM"]).await;
    sync(&h, USERPASS, &alice, &[]).await;
    assert!(members(&h, &up).is_empty());
    assert_eq!(members(&h, &ar), vec![alice.clone()]);
    assert_eq!(members(&h, &internal), vec![alice.clone()]);
}

#[tokio::test]
async fn an_external_group_without_alias_is_left_at_the_next_login() {
    let h = Harness::new().await;
    let (ext, alias) = h.external("ext", "e", USERPASS, "team").await;
    let alice = login(&h, USERPASS, "alice").await;
    sync(&h, USERPASS, &alice, &["team"]).await;
    h.call(Delete, &format!("group-alias/id/{alias}"), Value::Null)
        .await
        .unwrap();
    // Until then the membership stays (as in Vault), and so do the group's policies.
    assert_eq!(members(&h, &ext), vec![alice.clone()]);
    assert_eq!(h.store.policies_of(&alice), ["e"]);
    sync(&h, APPROLE, &alice, &["team"]).await;
    assert!(members(&h, &ext).is_empty());
}

#[tokio::test]
async fn writes_only_on_change_and_ignores_unknown_entities() {
    let h = Harness::new().await;
    let (ext, _) = h.external("ext", "", USERPASS, "team").await;
    let alice = login(&h, USERPASS, "alice").await;
    sync(&h, USERPASS, &alice, &["team"]).await;
    let before = h.store.group(&ext).unwrap();
    sync(&h, USERPASS, &alice, &["team", "Team", "unknown"]).await;
    assert_eq!(h.store.group(&ext).unwrap(), before);
    // No write reaches storage when nothing changes: a broken disk goes unnoticed.
    h.disk
        .fail_writes
        .store(true, std::sync::atomic::Ordering::SeqCst);
    sync(&h, USERPASS, &alice, &["team"]).await;
    let m = mount(USERPASS);
    let e = h.store.sync_external_groups(&m, &alice, &[]).await;
    assert_eq!(e.unwrap_err().kind(), tresor_sdk::ErrorKind::Internal);
    assert_eq!(members(&h, &ext), vec![alice.clone()]);
    h.disk
        .fail_writes
        .store(false, std::sync::atomic::Ordering::SeqCst);

    sync(&h, USERPASS, "no-such-entity", &["team"]).await;
    assert_eq!(members(&h, &ext), vec![alice.clone()]);
    let no_accessor = crate::AuthMount::default();
    let e = h
        .store
        .sync_external_groups(&no_accessor, &alice, &names(&["team"]))
        .await;
    assert!(e.is_err());
}

#[tokio::test]
async fn policies_flow_from_external_groups_and_their_parents() {
    let h = Harness::new().await;
    let (ext, _) = h.external("ext", "ext-p", USERPASS, "team").await;
    let parent = h
        .group(json!({"name": "parent", "policies": "parent-p", "member_group_ids": [ext]}))
        .await;
    let alice = login(&h, USERPASS, "alice").await;
    assert!(h.store.policies_of(&alice).is_empty());
    sync(&h, USERPASS, &alice, &["team"]).await;
    assert_eq!(h.store.policies_of(&alice), ["ext-p", "parent-p"]);
    assert_eq!(
        h.store.groups_of(&alice),
        EntityGroups {
            direct: vec![ext.clone()],
            inherited: vec![parent.clone()],
        }
    );
    let view = h.store.template_view(&alice).unwrap();
    let groups: Vec<(&str, bool)> = view
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g.direct))
        .collect();
    assert_eq!(groups, [("ext", true), ("parent", false)]);
    sync(&h, USERPASS, &alice, &[]).await;
    assert!(h.store.policies_of(&alice).is_empty());
    // Deleting an entity takes it out of its external groups too.
    sync(&h, USERPASS, &alice, &["team"]).await;
    h.call(Delete, &format!("entity/id/{alice}"), Value::Null)
        .await
        .unwrap();
    assert!(members(&h, &ext).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_all_join() {
    let h = Harness::new().await;
    let (ext, _) = h.external("ext", "", USERPASS, "team").await;
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(login(&h, USERPASS, &format!("user{i}")).await);
    }
    let mut tasks = Vec::new();
    for id in users.clone() {
        let store = h.store.clone();
        tasks.push(tokio::spawn(async move {
            let m = mount(USERPASS);
            store.sync_external_groups(&m, &id, &names(&["team"])).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut got = members(&h, &ext);
    got.sort();
    users.sort();
    assert_eq!(got, users);
    let mut stored = h.reopen().await.group(&ext).unwrap().member_entity_ids;
    stored.sort();
    assert_eq!(stored, users);
}
