use crate::testkit::{s, Harness, APPROLE, USERPASS};
use serde_json::{json, Value};
use tresor_sdk::{ErrorKind, Operation::*};

#[tokio::test]
async fn external_groups_are_made_read_listed_and_deleted() {
    let h = Harness::new().await;
    let d = h
        .data(
            Update,
            "group",
            json!({"name": "devs", "type": "external", "policies": "dev"}),
        )
        .await;
    let devs = s(&d["id"]);
    let d = h.data(Read, &format!("group/id/{devs}"), Value::Null).await;
    assert_eq!(
        (d["type"].clone(), d["alias"].clone()),
        (json!("external"), json!({}))
    );
    assert_eq!(d["member_entity_ids"], Value::Null);

    // The alias shows inside the group's read and in the group list.
    let body = json!({"name": "dev-team", "mount_accessor": USERPASS, "canonical_id": devs});
    let alias = s(&h.data(Update, "group-alias", body).await["id"]);
    let d = h.data(Read, "group/name/DEVS", Value::Null).await;
    let mut shown = d["alias"].as_object().unwrap().clone();
    let created = shown.remove("creation_time").unwrap();
    assert_eq!(shown.remove("last_update_time").unwrap(), created);
    assert_eq!(
        Value::Object(shown),
        json!({
            "canonical_id": devs,
            "id": alias,
            "merged_from_canonical_ids": null,
            "metadata": null,
            "mount_accessor": USERPASS,
            "mount_path": "auth/userpass/",
            "mount_type": "userpass",
            "name": "dev-team",
        })
    );
    assert_eq!(d["modify_index"], 2);
    let internal = h.group(json!({"name": "plain"})).await;
    let d = h.data(List, "group/id", Value::Null).await;
    assert_eq!(
        d["key_info"][&devs]["alias"],
        json!({"id": alias, "mount_accessor": USERPASS, "mount_path": "auth/userpass/",
               "mount_type": "userpass", "name": "dev-team"})
    );
    assert!(d["key_info"][&internal].get("alias").is_none());

    // Deleting the group deletes its alias.
    h.call(Delete, &format!("group/id/{devs}"), Value::Null)
        .await
        .unwrap();
    let e = h
        .err(Read, &format!("group-alias/id/{alias}"), Value::Null)
        .await;
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let found = h
        .call(
            Update,
            "lookup/group",
            json!({"alias_name": "dev-team", "alias_mount_accessor": USERPASS}),
        )
        .await
        .unwrap();
    assert!(found.is_empty());
    // The name and alias are free again.
    let (again, _) = h.external("devs", "", USERPASS, "dev-team").await;
    assert_ne!(again, devs);
}

#[tokio::test]
async fn external_members_and_type_changes_are_refused() {
    let h = Harness::new().await;
    let alice = h.entity(json!({"name": "alice"})).await;
    let ext = h.group(json!({"name": "ext", "type": "external"})).await;
    let int = h.group(json!({"name": "int"})).await;
    let entities = "member entities can't be set manually for external groups";
    let groups = "member groups can't be set for external groups";
    let changed = "group type cannot be changed";
    let cases = [
        (
            "group".to_owned(),
            json!({"name": "new", "type": "external", "member_entity_ids": [alice]}),
            entities,
        ),
        (
            "group".to_owned(),
            json!({"name": "new", "type": "external", "member_entity_ids": []}),
            entities,
        ),
        (
            "group/name/new".to_owned(),
            json!({"type": "external", "member_group_ids": [int]}),
            groups,
        ),
        (
            format!("group/id/{ext}"),
            json!({"member_entity_ids": [alice]}),
            entities,
        ),
        (
            format!("group/id/{ext}"),
            json!({"member_group_ids": [int]}),
            groups,
        ),
        (
            format!("group/id/{ext}"),
            json!({"type": "internal"}),
            changed,
        ),
        (
            format!("group/id/{int}"),
            json!({"type": "external"}),
            changed,
        ),
        ("group/name/int".to_owned(), json!({"type": "foo"}), changed),
        (
            "group".to_owned(),
            json!({"name": "new", "type": "foo"}),
            "invalid group type \"foo\"",
        ),
    ];
    for (path, body, want) in cases {
        let e = h.err(Update, &path, body.clone()).await;
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{path} {body}");
        assert_eq!(e.to_string(), want, "{path} {body}");
    }
    assert!(h.store.group_by_name("new").is_none());
    assert!(h.store.group(&ext).unwrap().member_entity_ids.is_empty());
    assert_eq!(h.store.group(&int).unwrap().kind, "internal");

    // The same type again, or none, is no change of type; other fields update.
    h.call(
        Update,
        &format!("group/id/{ext}"),
        json!({"type": "external", "policies": "p", "metadata": {"k": "v"}}),
    )
    .await
    .unwrap();
    h.call(Update, "group", json!({"id": ext, "name": "ext2"}))
        .await
        .unwrap();
    let d = h.data(Read, &format!("group/id/{ext}"), Value::Null).await;
    assert_eq!(
        (d["name"].clone(), d["type"].clone(), d["policies"].clone()),
        (json!("ext2"), json!("external"), json!(["p"]))
    );
    // `group/name/<name>` makes external groups too.
    let d = h
        .data(Update, "group/name/by-name", json!({"type": "external"}))
        .await;
    assert_eq!(
        h.store.group(&s(&d["id"])).unwrap().kind,
        crate::GROUP_TYPE_EXTERNAL
    );
}

#[tokio::test]
async fn an_external_group_can_be_a_member_of_internal_groups() {
    let h = Harness::new().await;
    let (ext, _) = h.external("ext", "e", APPROLE, "ops").await;
    let parent = h
        .group(json!({"name": "parent", "member_group_ids": [ext]}))
        .await;
    let d = h.data(Read, &format!("group/id/{ext}"), Value::Null).await;
    assert_eq!(d["parent_group_ids"], json!([parent]));
    let d = h
        .data(Read, &format!("group/id/{parent}"), Value::Null)
        .await;
    assert_eq!(d["member_group_ids"], json!([ext]));
    // Deleting the external group takes it out of its parent.
    h.call(Delete, "group/name/ext", Value::Null).await.unwrap();
    assert!(h.store.group(&parent).unwrap().member_group_ids.is_empty());
    assert!(h.store.group_by_alias(APPROLE, "ops").is_none());
}
