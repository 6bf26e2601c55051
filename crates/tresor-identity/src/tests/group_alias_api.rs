use crate::testkit::{keys, s, Harness, APPROLE, USERPASS};
use serde_json::{json, Value};
use std::time::Duration;
use tresor_sdk::{ErrorKind, Operation::*};

#[tokio::test]
async fn create_read_update_list_delete() {
    let h = Harness::new().await;
    let devs = h.group(json!({"name": "devs", "type": "external"})).await;
    let body = json!({"name": "dev-team", "mount_accessor": USERPASS, "canonical_id": devs});
    let d = h.data(Update, "group-alias", body).await;
    assert_eq!(keys(&d), ["canonical_id", "id"]);
    assert_eq!(d["canonical_id"], json!(devs));
    let aid = s(&d["id"]);

    let path = format!("group-alias/id/{aid}");
    let d = h.data(Read, &path, Value::Null).await;
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
    assert_eq!(
        (
            d["name"].clone(),
            d["canonical_id"].clone(),
            d["id"].clone()
        ),
        (json!("dev-team"), json!(devs), json!(aid))
    );
    assert_eq!(
        (d["mount_path"].clone(), d["mount_type"].clone()),
        (json!("auth/userpass/"), json!("userpass"))
    );
    for null in ["metadata", "custom_metadata", "merged_from_canonical_ids"] {
        assert_eq!(d[null], Value::Null, "{null}");
    }
    assert_eq!(
        (d["local"].clone(), d["namespace_id"].clone()),
        (json!(false), json!("root"))
    );
    let created = d["creation_time"].clone();

    // Renamed and moved to another mount, by the path or by an `id` in the body.
    h.clock.advance(Duration::from_secs(60));
    let body = json!({"name": "svc-team", "mount_accessor": APPROLE});
    let d = h.data(Update, &path, body).await;
    assert_eq!(
        (d["id"].clone(), d["canonical_id"].clone()),
        (json!(aid), json!(devs))
    );
    let d = h.data(Read, &path, Value::Null).await;
    assert_eq!(
        (d["name"].clone(), d["mount_type"].clone()),
        (json!("svc-team"), json!("approle"))
    );
    assert_eq!(d["creation_time"], created);
    assert_ne!(d["last_update_time"], created);
    let body = json!({"id": aid, "name": "Svc-Team", "mount_accessor": APPROLE});
    h.data(Update, "group-alias", body).await;
    assert_eq!(
        h.store.group(&devs).unwrap().alias.unwrap().name,
        "Svc-Team"
    );
    // The same name, mount and group again changes nothing and answers nothing.
    let body = json!({"name": "Svc-Team", "mount_accessor": APPROLE, "canonical_id": devs});
    let index = h.store.group(&devs).unwrap().modify_index;
    assert!(h.call(Update, &path, body).await.unwrap().is_empty());
    assert_eq!(h.store.group(&devs).unwrap().modify_index, index);

    let d = h.data(List, "group-alias/id/", Value::Null).await;
    assert_eq!(d["keys"], json!([aid]));
    assert_eq!(
        d["key_info"][&aid],
        json!({"canonical_id": devs, "custom_metadata": null, "local": false,
               "metadata": null, "mount_accessor": APPROLE, "mount_path": "auth/approle/",
               "mount_type": "approle", "name": "Svc-Team"})
    );
    // Group aliases are not entity aliases.
    let e = h
        .err(Read, &format!("entity-alias/id/{aid}"), Value::Null)
        .await;
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(
        h.err(List, "entity-alias/id", Value::Null).await.kind(),
        ErrorKind::NotFound
    );

    // Deleting the alias keeps the group.
    h.call(Delete, &path, Value::Null).await.unwrap();
    assert_eq!(
        h.err(Read, &path, Value::Null).await.kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        h.err(List, "group-alias/id", Value::Null).await.kind(),
        ErrorKind::NotFound
    );
    let d = h.data(Read, &format!("group/id/{devs}"), Value::Null).await;
    assert_eq!(d["alias"], json!({}));
    assert!(h.call(Delete, &path, Value::Null).await.unwrap().is_empty());
}

#[tokio::test]
async fn without_canonical_id_a_new_external_group_holds_the_alias() {
    let h = Harness::new().await;
    let body = json!({"name": "ops", "mount_accessor": USERPASS});
    let d = h.data(Update, "group-alias", body).await;
    let group = h.store.group(&s(&d["canonical_id"])).unwrap();
    assert!(group.is_external());
    assert!(group.name.starts_with("group_"), "{}", group.name);
    assert_eq!(group.alias.unwrap().id, s(&d["id"]));
}

#[tokio::test]
async fn aliases_move_between_groups_and_replace_a_group_s_alias() {
    let h = Harness::new().await;
    let (a, alias_a) = h.external("a", "", USERPASS, "team-a").await;
    let (b, alias_b) = h.external("b", "", USERPASS, "team-b").await;
    // Moving team-a's alias to b replaces b's alias, as Vault does; a keeps none.
    let body = json!({"name": "team-a", "mount_accessor": USERPASS, "canonical_id": b});
    let d = h
        .data(Update, &format!("group-alias/id/{alias_a}"), body)
        .await;
    assert_eq!(d["canonical_id"], json!(b));
    assert!(h.store.group(&a).unwrap().alias.is_none());
    assert_eq!(h.store.group(&b).unwrap().alias.unwrap().id, alias_a);
    assert_eq!(h.store.group_by_alias(USERPASS, "TEAM-A").unwrap().id, b);
    assert!(h.store.group_by_alias_id(&alias_b).is_none());
    assert!(h.store.group_by_alias(USERPASS, "team-b").is_none());
    // A new alias given to a group with one replaces it too.
    let body = json!({"name": "team-c", "mount_accessor": APPROLE, "canonical_id": b});
    let alias_c = s(&h.data(Update, "group-alias", body).await["id"]);
    assert_eq!(h.store.group(&b).unwrap().alias.unwrap().id, alias_c);
    assert!(h.store.group_by_alias_id(&alias_a).is_none());
    let d = h.data(List, "group-alias/id", Value::Null).await;
    assert_eq!(d["keys"], json!([alias_c]));
}

#[tokio::test]
async fn refusals() {
    let h = Harness::new().await;
    let (ext, alias) = h.external("ext", "", USERPASS, "taken").await;
    let other = h.group(json!({"name": "other", "type": "external"})).await;
    let int = h.group(json!({"name": "int"})).await;
    let update = format!("group-alias/id/{alias}");
    let cases = [
        (
            "group-alias",
            json!({"mount_accessor": USERPASS}),
            "missing alias name",
        ),
        (
            "group-alias",
            json!({"name": "x"}),
            "missing mount_accessor",
        ),
        (
            "group-alias",
            json!({"name": "x", "mount_accessor": "auth_nope_1"}),
            "invalid mount accessor \"auth_nope_1\"",
        ),
        (
            "group-alias",
            json!({"name": "x", "mount_accessor": USERPASS, "canonical_id": "nope"}),
            "invalid group ID given in 'canonical_id'",
        ),
        (
            "group-alias",
            json!({"name": "x", "mount_accessor": USERPASS, "canonical_id": int}),
            "alias can't be set on an internal group",
        ),
        (
            "group-alias",
            json!({"name": "TAKEN", "mount_accessor": USERPASS, "canonical_id": other}),
            "combination of mount and group alias name is already in use",
        ),
        (
            "group-alias",
            json!({"id": "nope", "name": "x", "mount_accessor": USERPASS}),
            "invalid group alias ID",
        ),
        (
            "group-alias/id/nope",
            json!({"name": "x", "mount_accessor": USERPASS}),
            "invalid group alias ID",
        ),
        (
            update.as_str(),
            json!({"mount_accessor": USERPASS}),
            "missing alias name",
        ),
        (
            update.as_str(),
            json!({"name": "taken"}),
            "missing mount_accessor",
        ),
        (
            update.as_str(),
            json!({"name": "x", "mount_accessor": USERPASS, "canonical_id": int}),
            "alias can't be set on an internal group",
        ),
    ];
    for (path, body, want) in cases {
        let e = h.err(Update, path, body.clone()).await;
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{path} {body}");
        assert_eq!(e.to_string(), want, "{path} {body}");
    }
    // Nothing changed.
    assert!(h.store.group(&other).unwrap().alias.is_none());
    assert_eq!(h.store.group(&ext).unwrap().alias.unwrap().name, "taken");
    assert_eq!(
        h.data(List, "group-alias/id", Value::Null).await["keys"],
        json!([alias])
    );
    // The same name on another mount, or as an entity alias, is no conflict.
    let body = json!({"name": "taken", "mount_accessor": APPROLE, "canonical_id": other});
    h.data(Update, "group-alias", body).await;
    let body = json!({"name": "taken", "mount_accessor": USERPASS});
    h.data(Update, "entity-alias", body).await;
    assert_eq!(h.store.group_by_alias(USERPASS, "taken").unwrap().id, ext);
}

#[tokio::test]
async fn lookup_group_by_alias() {
    let h = Harness::new().await;
    let (ext, alias) = h.external("ext", "", USERPASS, "Dev-Team").await;
    for body in [
        json!({"alias_id": alias}),
        json!({"alias_name": "dev-team", "alias_mount_accessor": USERPASS}),
        json!({"alias_name": "Dev-Team", "alias_mount_accessor": USERPASS}),
    ] {
        let d = h.data(Update, "lookup/group", body.clone()).await;
        assert_eq!(d["id"], json!(ext), "{body}");
        assert_eq!(d["alias"]["id"], json!(alias), "{body}");
    }
    for body in [
        json!({"alias_id": "nope"}),
        json!({"alias_name": "dev-team", "alias_mount_accessor": APPROLE}),
        json!({"alias_name": "other", "alias_mount_accessor": USERPASS}),
    ] {
        let miss = h.call(Update, "lookup/group", body.clone()).await.unwrap();
        assert!(miss.is_empty(), "{body}");
    }
    let e = h
        .err(Update, "lookup/group", json!({"alias_name": "dev-team"}))
        .await;
    assert_eq!(
        e.to_string(),
        "both 'alias_name' and 'alias_mount_accessor' needs to be set"
    );
    // An entity lookup does not find group aliases.
    let miss = h
        .call(Update, "lookup/entity", json!({"alias_id": alias}))
        .await
        .unwrap();
    assert!(miss.is_empty());
}
