use crate::testkit::{keys, s, Harness, APPROLE, USERPASS};
use serde_json::{json, Value};
use tresor_sdk::{ErrorKind, Operation::*};

#[tokio::test]
async fn create_read_list_delete() {
    let h = Harness::new().await;
    let eid = h.entity(json!({"name": "alice"})).await;
    let body = json!({"name": "bob", "canonical_id": eid, "mount_accessor": USERPASS,
                      "custom_metadata": {"k": "v"}});
    let d = h.data(Update, "entity-alias", body).await;
    assert_eq!(keys(&d), ["canonical_id", "id"]);
    assert_eq!(d["canonical_id"], json!(eid));
    let aid = s(&d["id"]);

    let d = h
        .data(Read, &format!("entity-alias/id/{aid}"), Value::Null)
        .await;
    assert_eq!(
        keys(&d),
        [
            "canonical_id",
            "creation_time",
            "custom_metadata",
            "id",
            "last_update_time",
            "local",
            "merged_from_canonical_ids",
            "metadata",
            "mount_accessor",
            "mount_path",
            "mount_type",
            "name",
            "namespace_id"
        ]
    );
    assert_eq!(d["custom_metadata"], json!({"k": "v"}));
    assert_eq!(
        (d["metadata"].clone(), d["local"].clone()),
        (Value::Null, json!(false))
    );
    assert_eq!(
        (d["mount_path"].clone(), d["mount_type"].clone()),
        (json!("auth/userpass/"), json!("userpass"))
    );

    // Inside its entity, without namespace_id.
    let e = h.data(Read, &format!("entity/id/{eid}"), Value::Null).await;
    let inner = e["aliases"][0].as_object().unwrap();
    assert_eq!(inner["id"], json!(aid));
    assert!(!inner.contains_key("namespace_id") && inner.contains_key("mount_path"));

    let d = h.data(List, "entity-alias/id/", Value::Null).await;
    assert_eq!(d["keys"], json!([aid]));
    let info = d["key_info"][&aid].as_object().unwrap();
    let mut info_keys: Vec<&String> = info.keys().collect();
    info_keys.sort();
    assert_eq!(
        info_keys,
        [
            "canonical_id",
            "custom_metadata",
            "local",
            "metadata",
            "mount_accessor",
            "mount_path",
            "mount_type",
            "name"
        ]
    );

    h.call(Delete, &format!("entity-alias/id/{aid}"), Value::Null)
        .await
        .unwrap();
    assert_eq!(
        h.err(Read, &format!("entity-alias/id/{aid}"), Value::Null)
            .await
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        h.err(List, "entity-alias/id", Value::Null).await.kind(),
        ErrorKind::NotFound
    );
    // The entity stays.
    assert_eq!(
        h.data(Read, &format!("entity/id/{eid}"), Value::Null).await["aliases"],
        json!([])
    );
    assert!(h
        .call(Delete, "entity-alias/id/nope", Value::Null)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn without_canonical_id_a_new_entity_holds_the_alias() {
    let h = Harness::new().await;
    let d = h
        .data(
            Update,
            "entity-alias",
            json!({"name": "svc", "mount_accessor": APPROLE}),
        )
        .await;
    let e = h
        .data(
            Read,
            &format!("entity/id/{}", s(&d["canonical_id"])),
            Value::Null,
        )
        .await;
    assert!(s(&e["name"]).starts_with("entity_"));
    assert_eq!(e["aliases"][0]["name"], "svc");
    // The same mount and name (any case) is the same alias; no change answers nothing.
    let again = h
        .call(
            Update,
            "entity-alias",
            json!({"name": "SVC", "mount_accessor": APPROLE}),
        )
        .await
        .unwrap();
    assert_eq!(again.data.unwrap()["id"], d["id"]);
    let same = h
        .call(
            Update,
            "entity-alias",
            json!({"name": "SVC", "mount_accessor": APPROLE}),
        )
        .await
        .unwrap();
    assert!(same.is_empty());
}

#[tokio::test]
async fn refusals() {
    let h = Harness::new().await;
    let alice = h.entity(json!({"name": "alice"})).await;
    let carol = h.entity(json!({"name": "carol"})).await;
    let d = h
        .data(
            Update,
            "entity-alias",
            json!({"name": "a1", "canonical_id": alice, "mount_accessor": USERPASS}),
        )
        .await;
    let aid = s(&d["id"]);
    h.call(
        Update,
        "entity-alias",
        json!({"name": "c1", "canonical_id": carol, "mount_accessor": USERPASS}),
    )
    .await
    .unwrap();
    let cases = [
        (
            "entity-alias",
            json!({"name": "x", "canonical_id": alice, "mount_accessor": "auth_nope_1"}),
            "invalid mount accessor \"auth_nope_1\"",
        ),
        (
            "entity-alias",
            json!({"name": "x"}),
            "'id' or 'mount_accessor' and 'name' must be provided",
        ),
        (
            "entity-alias",
            json!({"mount_accessor": USERPASS}),
            "must be provided",
        ),
        (
            "entity-alias",
            json!({"name": "x", "canonical_id": "nope", "mount_accessor": USERPASS}),
            "invalid canonical ID",
        ),
        (
            "entity-alias",
            json!({"name": "x", "canonical_id": alice, "mount_accessor": USERPASS}),
            "Alias already exists for requested entity and mount accessor",
        ),
        (
            "entity-alias/id/nope",
            json!({"name": "x"}),
            "invalid alias ID provided",
        ),
        (
            &format!("entity-alias/id/{aid}"),
            json!({"canonical_id": "nope"}),
            "not associated with an entity",
        ),
        (
            &format!("entity-alias/id/{aid}"),
            json!({"canonical_id": carol}),
            "already has an alias for this mount",
        ),
        (
            &format!("entity-alias/id/{aid}"),
            json!({"name": "C1"}),
            "mount accessor and name already exists",
        ),
        (
            &format!("entity-alias/id/{aid}"),
            json!({"mount_accessor": "auth_nope_1"}),
            "invalid mount accessor",
        ),
    ];
    for (path, body, want) in cases {
        let e = h.err(Update, path, body.clone()).await;
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{path} {body}");
        assert!(e.to_string().contains(want), "{path} {body}: {e}");
    }
}

#[tokio::test]
async fn updates_rename_move_and_change_mount() {
    let h = Harness::new().await;
    let alice = h.entity(json!({"name": "alice"})).await;
    let carol = h.entity(json!({"name": "carol"})).await;
    let d = h
        .data(
            Update,
            "entity-alias",
            json!({"name": "a1", "canonical_id": alice, "mount_accessor": USERPASS}),
        )
        .await;
    let aid = s(&d["id"]);
    let path = format!("entity-alias/id/{aid}");
    assert!(h
        .call(Update, &path, json!({"name": "a1"}))
        .await
        .unwrap()
        .is_empty());
    assert!(h.call(Update, &path, json!({})).await.unwrap().is_empty());

    let d = h
        .data(
            Update,
            &path,
            json!({"name": "a2", "custom_metadata": "k=v"}),
        )
        .await;
    assert_eq!(
        (d["id"].clone(), d["canonical_id"].clone()),
        (json!(aid), json!(alice))
    );
    let d = h.data(Update, &path, json!({"canonical_id": carol})).await;
    assert_eq!(d["canonical_id"], json!(carol));
    assert_eq!(
        h.data(Read, &format!("entity/id/{alice}"), Value::Null)
            .await["aliases"],
        json!([])
    );
    let read = h.data(Read, &path, Value::Null).await;
    assert_eq!(
        (read["name"].clone(), read["canonical_id"].clone()),
        (json!("a2"), json!(carol))
    );
    assert_eq!(read["custom_metadata"], json!({"k": "v"}));

    // The update form of `entity-alias` with an id, and a mount change.
    h.call(
        Update,
        "entity-alias",
        json!({"id": aid, "mount_accessor": APPROLE}),
    )
    .await
    .unwrap();
    let read = h.data(Read, &path, Value::Null).await;
    assert_eq!(
        (read["mount_type"].clone(), read["mount_path"].clone()),
        (json!("approle"), json!("auth/approle/"))
    );
    assert_eq!(h.store.entity_by_alias(APPROLE, "a2").unwrap().id, carol);
    assert!(h.store.entity_by_alias(USERPASS, "a2").is_none());
}

#[tokio::test]
async fn written_again_by_name_the_alias_gets_that_writes_custom_metadata() {
    let h = Harness::new().await;
    let eid = h.entity(json!({"name": "dora"})).await;
    let by_name = json!({"name": "cm", "mount_accessor": USERPASS});
    let mut first = by_name.clone();
    first["canonical_id"] = json!(eid);
    first["custom_metadata"] = json!({"k": "v"});
    let aid = s(&h.data(Update, "entity-alias", first).await["id"]);
    let path = format!("entity-alias/id/{aid}");

    // by ID without custom_metadata: kept, nothing changed
    assert!(h
        .call(Update, &path, json!({"name": "cm"}))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        h.data(Read, &path, Value::Null).await["custom_metadata"],
        json!({"k": "v"})
    );
    // by name without custom_metadata: emptied, answered with the alias's IDs
    let d = h.data(Update, "entity-alias", by_name.clone()).await;
    assert_eq!((s(&d["id"]), s(&d["canonical_id"])), (aid.clone(), eid));
    assert_eq!(
        h.data(Read, &path, Value::Null).await["custom_metadata"],
        json!({})
    );
    // again: nothing left to change
    assert!(h
        .call(Update, "entity-alias", by_name)
        .await
        .unwrap()
        .is_empty());
}
