use crate::testkit::{keys, s, Harness, USERPASS};
use serde_json::{json, Value};
use std::time::Duration;
use tresor_sdk::{ErrorKind, Operation::*};

#[tokio::test]
async fn create_read_update_delete() {
    let h = Harness::new().await;
    let body = json!({"name": "alice", "metadata": {"team": "x", "n": 1},
                      "policies": ["p1", "P2", "p1"], "junk": 1});
    let resp = h.call(Update, "entity", body).await.unwrap();
    assert_eq!(
        resp.warnings,
        ["Endpoint ignored these unrecognized parameters: [junk]"]
    );
    let created = resp.data.unwrap();
    assert_eq!(keys(&created), ["aliases", "id", "name"]);
    assert_eq!(
        (&created["aliases"], &created["name"]),
        (&Value::Null, &json!("alice"))
    );
    let id = s(&created["id"]);

    let d = h.data(Read, &format!("entity/id/{id}"), Value::Null).await;
    assert_eq!(
        keys(&d),
        [
            "aliases",
            "creation_time",
            "direct_group_ids",
            "disabled",
            "group_ids",
            "id",
            "inherited_group_ids",
            "last_update_time",
            "merged_entity_ids",
            "metadata",
            "name",
            "namespace_id",
            "policies"
        ]
    );
    assert_eq!(d["aliases"], json!([]));
    assert_eq!(d["metadata"], json!({"team": "x", "n": "1"}));
    assert_eq!(d["policies"], json!(["p1", "p2"]));
    assert_eq!(d["namespace_id"], "root");
    assert_eq!(
        (d["disabled"].clone(), d["merged_entity_ids"].clone()),
        (json!(false), Value::Null)
    );
    assert_eq!(d["creation_time"], "2027-01-15T08:00:00Z");
    assert_eq!(d["creation_time"], d["last_update_time"]);

    // An update by name (any case) answers nothing and keeps what it does not set.
    h.clock.advance(Duration::from_secs(5));
    let resp = h
        .call(Update, "entity", json!({"name": "ALICE", "disabled": true}))
        .await
        .unwrap();
    assert!(resp.is_empty());
    let d = h.data(Read, "entity/name/alice", Value::Null).await;
    assert_eq!(
        (d["name"].clone(), d["disabled"].clone()),
        (json!("ALICE"), json!(true))
    );
    assert_eq!(d["policies"], json!(["p1", "p2"]));
    assert_eq!(d["last_update_time"], "2027-01-15T08:00:05Z");
    assert_eq!(d["creation_time"], "2027-01-15T08:00:00Z");

    // By ID: rename; metadata "" clears it.
    let path = format!("entity/id/{id}");
    h.call(Update, &path, json!({"name": "bob", "metadata": ""}))
        .await
        .unwrap();
    let d = h.data(Read, "entity/name/Bob", Value::Null).await;
    assert_eq!(
        (d["id"].clone(), d["metadata"].clone()),
        (json!(id), Value::Null)
    );
    assert_eq!(
        h.err(Read, "entity/name/alice", Value::Null).await.kind(),
        ErrorKind::NotFound
    );

    h.call(Delete, &path, Value::Null).await.unwrap();
    let e = h.err(Read, &path, Value::Null).await;
    assert_eq!((e.kind(), e.messages().len()), (ErrorKind::NotFound, 0));
    // Deleting what is missing succeeds.
    assert!(h.call(Delete, &path, Value::Null).await.unwrap().is_empty());
    assert!(h
        .call(Delete, "entity/name/nobody", Value::Null)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn name_path_creates_then_updates_and_generated_names() {
    let h = Harness::new().await;
    let d = h
        .data(
            Update,
            "entity/name/dave",
            json!({"name": "ignored", "policies": "x"}),
        )
        .await;
    assert_eq!(d["name"], "dave");
    let resp = h
        .call(Update, "entity/name/dave", json!({"policies": "y"}))
        .await
        .unwrap();
    assert!(resp.is_empty());
    assert_eq!(
        h.data(Read, "entity/name/dave", Value::Null).await["policies"],
        json!(["y"])
    );
    // Names may hold slashes.
    let d = h.data(Update, "entity/name/a/b", json!({})).await;
    assert_eq!(d["name"], "a/b");
    assert_eq!(
        h.data(Read, "entity/name/a/b", Value::Null).await["name"],
        "a/b"
    );

    let d = h.data(Update, "entity", json!({})).await;
    let name = s(&d["name"]);
    let suffix = name.strip_prefix("entity_").unwrap();
    assert!(
        suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
}

#[tokio::test]
async fn lists_have_keys_and_key_info() {
    let h = Harness::new().await;
    let e = h.err(List, "entity/id/", Value::Null).await;
    assert_eq!((e.kind(), e.messages().len()), (ErrorKind::NotFound, 0));
    assert_eq!(
        h.err(List, "entity/name", Value::Null).await.kind(),
        ErrorKind::NotFound
    );

    let a = h.entity(json!({"name": "zed"})).await;
    let b = h.entity(json!({"name": "amy"})).await;
    h.call(
        Update,
        "entity-alias",
        json!({"name": "amy1", "canonical_id": b, "mount_accessor": USERPASS}),
    )
    .await
    .unwrap();
    let d = h.data(List, "entity/id", Value::Null).await;
    let mut ids = vec![a.clone(), b.clone()];
    ids.sort();
    assert_eq!(d["keys"], json!(ids));
    assert_eq!(d["key_info"][&a], json!({"name": "zed"}));
    let alias = &d["key_info"][&b]["aliases"][0];
    let mut alias_keys: Vec<&String> = alias.as_object().unwrap().keys().collect();
    alias_keys.sort();
    assert_eq!(
        alias_keys,
        ["id", "mount_accessor", "mount_path", "mount_type", "name"]
    );
    assert_eq!(
        (alias["mount_path"].clone(), alias["mount_type"].clone()),
        (json!("auth/userpass/"), json!("userpass"))
    );
    let d = h.data(List, "entity/name/", Value::Null).await;
    assert_eq!(keys(&d), ["keys"]);
    assert_eq!(d["keys"], json!(["amy", "zed"]));

    // Reads are not lists, and lists of a single entity are not served.
    assert_eq!(
        h.err(Read, "entity/id", Value::Null).await.kind(),
        ErrorKind::UnsupportedOperation
    );
    assert_eq!(
        h.err(List, &format!("entity/id/{a}"), Value::Null)
            .await
            .kind(),
        ErrorKind::UnsupportedOperation
    );
}

#[tokio::test]
async fn bad_input_is_400() {
    let h = Harness::new().await;
    let id = h.entity(json!({"name": "alice"})).await;
    h.entity(json!({"name": "bob"})).await;
    let cases = [
        (
            "entity",
            json!({"name": "x", "policies": ["a", "root"]}),
            "policies cannot contain root",
        ),
        (
            "entity",
            json!({"id": "nope", "name": "x"}),
            "entity not found from id",
        ),
        (
            "entity/id/nope",
            json!({"name": "x"}),
            "entity not found from id",
        ),
        (
            "entity",
            json!({"id": id, "name": "Bob"}),
            "entity name is already in use",
        ),
        (
            "entity",
            json!({"name": "x", "metadata": "novalue"}),
            "invalid key pair",
        ),
        (
            "entity",
            json!({"name": "x", "metadata": {"a": {"b": 1}}}),
            "expected a map",
        ),
        (
            "entity",
            json!({"name": "x", "disabled": "maybe"}),
            "disabled",
        ),
        (
            "entity",
            json!({"name": "x", "policies": {"a": 1}}),
            "policies",
        ),
        ("entity/batch-delete", json!({}), "missing entity ids"),
    ];
    for (path, body, want) in cases {
        let e = h.err(Update, path, body.clone()).await;
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{path} {body}");
        assert!(e.to_string().contains(want), "{path} {body}: {e}");
    }
    // Nothing was written by the refused requests.
    assert_eq!(
        h.data(List, "entity/name", Value::Null).await["keys"],
        json!(["alice", "bob"])
    );
}

#[tokio::test]
async fn batch_delete_removes_entities_and_memberships() {
    let h = Harness::new().await;
    let a = h.entity(json!({"name": "a"})).await;
    let b = h.entity(json!({"name": "b"})).await;
    let c = h.entity(json!({"name": "c"})).await;
    let g = h
        .group(json!({"name": "g", "member_entity_ids": [a, b, c]}))
        .await;
    h.call(
        Update,
        "entity/batch-delete",
        json!({"entity_ids": [a, b, "missing"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        h.data(List, "entity/name", Value::Null).await["keys"],
        json!(["c"])
    );
    let d = h.data(Read, &format!("group/id/{g}"), Value::Null).await;
    assert_eq!(d["member_entity_ids"], json!([c]));
    assert_eq!(d["modify_index"], 2);
}
