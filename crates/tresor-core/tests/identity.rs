//! Identity in the core: a login makes (then reuses) an entity whose id its tokens carry;
//! group policies reach member entities' tokens at once; templated policies render for
//! the token's entity; a disabled entity's tokens are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use tresor_core::mounts::{Registry, Table};
use tresor_core::CoreConfig;
use tresor_sdk::{
    BackendRequest, Error, ErrorKind, LogicalBackend, Login, MountContext, Operation, Request,
    Response,
};
use tresor_testkit::TestCore;

/// Logs anyone in as `login/<name>`, with no policies of its own.
#[derive(Debug)]
struct Door;

#[async_trait]
impl LogicalBackend for Door {
    fn login_paths(&self) -> &'static [&'static str] {
        &["login/*"]
    }

    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        let user = req
            .path
            .strip_prefix("login/")
            .ok_or(Error::UnsupportedPath)?;
        Ok(Response {
            login: Some(Login {
                display_name: user.to_owned(),
                alias_name: user.to_owned(),
                renewable: true,
                ..Login::default()
            }),
            ..Response::default()
        })
    }
}

fn door(_: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Door))
}

async fn setup() -> TestCore {
    let mut registry = Registry::default();
    registry.register(Table::Auth, "door", door);
    let t = TestCore::with_config(CoreConfig {
        registry,
        ..CoreConfig::default()
    })
    .await;
    t.root_call(Operation::Update, "sys/auth/door", json!({"type": "door"}))
        .await
        .unwrap();
    t
}

async fn login(t: &TestCore, user: &str) -> tresor_sdk::Auth {
    t.core
        .handle(Request::new(
            Operation::Update,
            format!("auth/door/login/{user}"),
        ))
        .await
        .unwrap()
        .auth
        .unwrap()
}

async fn caps(t: &TestCore, token: &str, path: &str) -> Vec<String> {
    let resp = t
        .call(
            Operation::Update,
            "sys/capabilities-self",
            token,
            json!({ "paths": [path] }),
        )
        .await
        .unwrap();
    serde_json::from_value(resp.data.unwrap()[path].clone()).unwrap()
}

#[tokio::test]
async fn a_login_makes_an_entity_once_and_tokens_carry_it() {
    let t = setup().await;
    let first = login(&t, "alice").await;
    assert!(!first.entity_id.is_empty());
    let again = login(&t, "alice").await;
    assert_eq!(
        again.entity_id, first.entity_id,
        "the alias finds the entity"
    );
    assert_ne!(login(&t, "bob").await.entity_id, first.entity_id);

    let me = t
        .call(
            Operation::Read,
            "auth/token/lookup-self",
            first.client_token.expose(),
            Value::Null,
        )
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(me["entity_id"], json!(first.entity_id));
    // The entity's own policies apply to its tokens.
    t.put_policy(
        "maker",
        r#"path "auth/token/create" { capabilities = ["update"] }"#,
    )
    .await;
    t.root_call(
        Operation::Update,
        &format!("identity/entity/id/{}", first.entity_id),
        json!({"policies": ["maker"]}),
    )
    .await
    .unwrap();
    let child = t
        .call(
            Operation::Update,
            "auth/token/create",
            first.client_token.expose(),
            json!({}),
        )
        .await
        .unwrap()
        .auth
        .unwrap();
    assert_eq!(
        child.entity_id, first.entity_id,
        "a child acts for the same entity"
    );

    let entity = t
        .root_call(
            Operation::Read,
            &format!("identity/entity/id/{}", first.entity_id),
            Value::Null,
        )
        .await
        .unwrap()
        .data
        .unwrap();
    let alias = &entity["aliases"][0];
    assert_eq!(alias["name"], "alice");
    assert_eq!(alias["mount_type"], "door");
    assert_eq!(alias["mount_path"], "auth/door/");
    let mounts = t
        .root_call(Operation::Read, "sys/mounts", Value::Null)
        .await
        .unwrap();
    assert_eq!(mounts.data.unwrap()["identity/"]["type"], "identity");
    let err = t
        .root_call(Operation::Delete, "sys/mounts/identity", Value::Null)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
}

#[tokio::test]
async fn group_policies_apply_to_members_at_once_and_nested() {
    let t = setup().await;
    t.put_policy(
        "reports",
        r#"path "sys/reports/*" { capabilities = ["read"] }"#,
    )
    .await;
    let auth = login(&t, "carol").await;
    let token = auth.client_token.expose().to_owned();
    assert_eq!(caps(&t, &token, "sys/reports/q1").await, ["deny"]);

    let inner = t
        .root_call(
            Operation::Update,
            "identity/group",
            json!({"name": "analysts", "member_entity_ids": [auth.entity_id]}),
        )
        .await
        .unwrap()
        .data
        .unwrap();
    t.root_call(
        Operation::Update,
        "identity/group",
        json!({"name": "finance", "policies": ["reports"], "member_group_ids": [inner["id"]]}),
    )
    .await
    .unwrap();
    assert_eq!(
        caps(&t, &token, "sys/reports/q1").await,
        ["read"],
        "no new login needed"
    );
    let next = login(&t, "carol").await;
    assert_eq!(next.identity_policies, ["reports"]);
    assert!(next.policies.contains(&"reports".to_owned()));
    assert_eq!(next.token_policies, ["default"]);
    assert_eq!(next.to_json()["identity_policies"], json!(["reports"]));
}

#[tokio::test]
async fn templated_policies_render_for_the_tokens_entity() {
    let t = setup().await;
    let accessor = t
        .root_call(Operation::Read, "sys/auth", Value::Null)
        .await
        .unwrap()
        .data
        .unwrap()["door/"]["accessor"]
        .as_str()
        .unwrap()
        .to_owned();
    let policy = format!(
        r#"
        path "sys/home/{{{{identity.entity.name}}}}/*" {{ capabilities = ["read", "update"] }}
        path "sys/by-login/{{{{identity.entity.aliases.{accessor}.name}}}}" {{ capabilities = ["read"] }}
        path "sys/team/{{{{identity.entity.metadata.team}}}}/*" {{ capabilities = ["list"] }}
        "#
    );
    t.put_policy("homes", &policy).await;
    let dave = login(&t, "dave").await;
    t.root_call(
        Operation::Update,
        &format!("identity/entity/id/{}", dave.entity_id),
        json!({"name": "dave", "policies": ["homes"], "metadata": {"team": "blue"}}),
    )
    .await
    .unwrap();
    let token = dave.client_token.expose().to_owned();
    assert_eq!(
        caps(&t, &token, "sys/home/dave/notes").await,
        ["read", "update"]
    );
    assert_eq!(caps(&t, &token, "sys/home/erin/notes").await, ["deny"]);
    assert_eq!(caps(&t, &token, "sys/by-login/dave").await, ["read"]);
    assert_eq!(caps(&t, &token, "sys/team/blue/x").await, ["list"]);
    assert_eq!(caps(&t, &token, "sys/team/red/x").await, ["deny"]);

    // A value that would widen the path renders to nothing.
    t.root_call(
        Operation::Update,
        &format!("identity/entity/id/{}", dave.entity_id),
        json!({"metadata": {"team": "*"}}),
    )
    .await
    .unwrap();
    assert_eq!(caps(&t, &token, "sys/team/*/x").await, ["deny"]);
    assert_eq!(caps(&t, &token, "sys/team/red/x").await, ["deny"]);

    // The root token has no entity: templated rules grant it nothing special, and a
    // token without an entity gets nothing from them.
    let plain = t.token_with(&["homes"]).await;
    assert_eq!(caps(&t, &plain, "sys/home/dave/notes").await, ["deny"]);
}

#[tokio::test]
async fn a_disabled_entity_cannot_use_its_tokens_or_log_in() {
    let t = setup().await;
    let auth = login(&t, "frank").await;
    let token = auth.client_token.expose().to_owned();
    t.root_call(
        Operation::Update,
        &format!("identity/entity/id/{}", auth.entity_id),
        json!({"disabled": true}),
    )
    .await
    .unwrap();
    let err = t
        .call(
            Operation::Read,
            "auth/token/lookup-self",
            &token,
            Value::Null,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let err = t
        .core
        .handle(Request::new(Operation::Update, "auth/door/login/frank"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}
