use crate::testkit::{keys, s, Harness};
use serde_json::{json, Value};
use tresor_sdk::{ErrorKind, Operation::*};

#[tokio::test]
async fn create_read_update_delete() {
    let h = Harness::new().await;
    let alice = h.entity(json!({"name": "alice"})).await;
    let body = json!({"name": "g1", "policies": "B, a", "member_entity_ids": [alice], "metadata": {"a": "b"}});
    let d = h.data(Update, "group", body).await;
    assert_eq!(keys(&d), ["id", "name"]);
    let g1 = s(&d["id"]);
    let d = h.data(Read, &format!("group/id/{g1}"), Value::Null).await;
    assert_eq!(
        keys(&d),
        [
            "alias",
            "creation_time",
            "id",
            "last_update_time",
            "member_entity_ids",
            "member_group_ids",
            "metadata",
            "modify_index",
            "name",
            "namespace_id",
            "parent_group_ids",
            "policies",
            "type"
        ]
    );
    assert_eq!(d["alias"], json!({}));
    assert_eq!(d["member_entity_ids"], json!([alice]));
    assert_eq!(
        (d["member_group_ids"].clone(), d["parent_group_ids"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        (d["policies"].clone(), d["type"].clone()),
        (json!(["a", "b"]), json!("internal"))
    );
    assert_eq!(d["modify_index"], 1);

    // Updates answer nothing; by name the path's name wins and a missing group is made.
    assert!(h
        .call(
            Update,
            "group",
            json!({"name": "G1", "metadata": {"x": "y"}})
        )
        .await
        .unwrap()
        .is_empty());
    assert!(h
        .call(Update, "group/name/g1", json!({"name": "other"}))
        .await
        .unwrap()
        .is_empty());
    let d = h.data(Read, "group/name/G1", Value::Null).await;
    assert_eq!(
        (d["metadata"].clone(), d["modify_index"].clone()),
        (json!({"x": "y"}), json!(3))
    );
    let d = h
        .data(Update, "group/name/g2", json!({"member_group_ids": [g1]}))
        .await;
    let g2 = s(&d["id"]);
    let d = h.data(Read, "group/name/g2", Value::Null).await;
    assert_eq!(
        (d["policies"].clone(), d["member_group_ids"].clone()),
        (Value::Null, json!([g1]))
    );
    assert_eq!(
        h.data(Read, &format!("group/id/{g1}"), Value::Null).await["parent_group_ids"],
        json!([g2])
    );

    let d = h.data(List, "group/id", Value::Null).await;
    assert_eq!(
        d["key_info"][&g1],
        json!({"name": "g1", "num_member_entities": 1, "num_parent_groups": 1})
    );
    assert_eq!(
        d["key_info"][&g2],
        json!({"name": "g2", "num_member_entities": 0, "num_parent_groups": 0})
    );
    assert_eq!(
        h.data(List, "group/name/", Value::Null).await["keys"],
        json!(["g1", "g2"])
    );

    // Deleting g1 takes it out of g2.
    h.call(Delete, "group/name/g1", Value::Null).await.unwrap();
    assert_eq!(
        h.err(Read, &format!("group/id/{g1}"), Value::Null)
            .await
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        h.data(Read, &format!("group/id/{g2}"), Value::Null).await["member_group_ids"],
        Value::Null
    );
    assert!(h
        .call(Delete, &format!("group/id/{g1}"), Value::Null)
        .await
        .unwrap()
        .is_empty());
    h.call(Delete, &format!("group/id/{g2}"), Value::Null)
        .await
        .unwrap();
    assert_eq!(
        h.err(List, "group/id", Value::Null).await.kind(),
        ErrorKind::NotFound
    );

    let d = h.data(Update, "group", json!({})).await;
    let name = s(&d["name"]);
    assert!(name.starts_with("group_") && name.len() == 14, "{name}");
}

#[tokio::test]
async fn cycles_and_bad_members_are_refused() {
    let h = Harness::new().await;
    let a = h.group(json!({"name": "a"})).await;
    let b = h.group(json!({"name": "b", "member_group_ids": [a]})).await;
    let c = h.group(json!({"name": "c", "member_group_ids": [b]})).await;
    let cases = [
        (
            format!("group/id/{a}"),
            json!({"member_group_ids": [c]}),
            format!("cyclic relationship detected for member group ID {c:?}"),
        ),
        (
            format!("group/id/{a}"),
            json!({"member_group_ids": [b]}),
            "cyclic relationship".to_owned(),
        ),
        (
            format!("group/id/{a}"),
            json!({"member_group_ids": [a]}),
            "is the ID of the group itself".to_owned(),
        ),
        (
            "group".to_owned(),
            json!({"name": "x", "member_group_ids": ["nope"]}),
            "invalid member group ID \"nope\"".to_owned(),
        ),
        (
            "group".to_owned(),
            json!({"name": "x", "member_entity_ids": ["nope"]}),
            "invalid entity ID \"nope\"".to_owned(),
        ),
        (
            "group".to_owned(),
            json!({"name": "x", "type": "foo"}),
            "invalid group type \"foo\"".to_owned(),
        ),
        (
            "group".to_owned(),
            json!({"name": "a", "type": "external"}),
            "group type cannot be changed".to_owned(),
        ),
        (
            "group".to_owned(),
            json!({"id": "nope"}),
            "invalid group ID".to_owned(),
        ),
        (
            "group/id/nope".to_owned(),
            json!({}),
            "invalid group ID".to_owned(),
        ),
        (
            "group".to_owned(),
            json!({"id": a, "name": "B"}),
            "group name is already in use".to_owned(),
        ),
        (
            "group".to_owned(),
            json!({"name": "x", "policies": "root"}),
            "policies cannot contain root".to_owned(),
        ),
    ];
    for (path, body, want) in cases {
        let e = h.err(Update, &path, body.clone()).await;
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{path} {body}");
        assert!(e.to_string().contains(&want), "{path} {body}: {e}");
    }
    // Refused writes changed nothing.
    assert_eq!(
        h.data(Read, "group/name/a", Value::Null).await["member_group_ids"],
        Value::Null
    );
    assert_eq!(
        h.data(List, "group/name", Value::Null).await["keys"],
        json!(["a", "b", "c"])
    );
    // A diamond is not a cycle.
    let d = h
        .group(json!({"name": "d", "member_group_ids": [a, b]}))
        .await;
    h.call(
        Update,
        &format!("group/id/{c}"),
        json!({"member_group_ids": [b, d]}),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn entity_reads_show_direct_and_inherited_groups() {
    let h = Harness::new().await;
    let alice = h.entity(json!({"name": "alice"})).await;
    let child = h
        .group(json!({"name": "child", "member_entity_ids": [alice]}))
        .await;
    let parent = h
        .group(json!({"name": "parent", "member_group_ids": [child]}))
        .await;
    let top = h
        .group(json!({"name": "top", "member_group_ids": [parent]}))
        .await;
    let d = h
        .data(Read, &format!("entity/id/{alice}"), Value::Null)
        .await;
    assert_eq!(d["direct_group_ids"], json!([child]));
    let mut inherited = vec![parent.clone(), top.clone()];
    inherited.sort();
    assert_eq!(d["inherited_group_ids"], json!(inherited));
    let mut all = vec![child.clone()];
    all.extend(inherited);
    assert_eq!(d["group_ids"], json!(all));

    // Deleting the entity takes it out of its group.
    h.call(Delete, "entity/name/alice", Value::Null)
        .await
        .unwrap();
    let g = h
        .data(Read, &format!("group/id/{child}"), Value::Null)
        .await;
    assert_eq!(
        (g["member_entity_ids"].clone(), g["modify_index"].clone()),
        (Value::Null, json!(2))
    );
}
