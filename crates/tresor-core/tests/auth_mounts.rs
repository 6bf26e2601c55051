//! The auth table works like the secrets table: an auth method registered by type can be
//! enabled under `sys/auth/<path>`, is routed under `auth/<path>/`, listed, tuned, moved and
//! disabled (its storage deleted); the token method is always there and cannot go.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;
use tresor_core::mounts::{Registry, Table};
use tresor_core::{Core, CoreConfig, InitRequest};
use tresor_sdk::{
    BackendRequest, Data, Error, ErrorKind, LogicalBackend, MountContext, Operation, Request,
    Response,
};
use tresor_storage::{Backend, View};

/// An auth method that stores what it is sent and answers where it is mounted.
#[derive(Debug)]
struct Echo {
    storage: View,
}

#[async_trait]
impl LogicalBackend for Echo {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        if req.operation == Operation::Update {
            self.storage.put("last", req.path.as_bytes()).await?;
        }
        let mut data = Data::new();
        data.insert("mount".into(), req.mount.path.clone().into());
        data.insert("path".into(), req.path.into());
        data.insert(
            "max_lease_ttl".into(),
            req.mount.max_lease_ttl.as_secs().into(),
        );
        Ok(Response::data(data))
    }
}

fn echo(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Echo {
        storage: ctx.storage,
    }))
}

fn data(v: serde_json::Value) -> Data {
    v.as_object().cloned().unwrap()
}

#[tokio::test]
async fn auth_methods_are_enabled_routed_tuned_moved_and_disabled() {
    let physical: Arc<dyn Backend> = Arc::new(tresor_storage::InmemBackend::new());
    let mut registry = Registry::default();
    registry.register(Table::Auth, "echo", echo);
    let core = Core::new(
        physical.clone(),
        CoreConfig {
            registry,
            ..CoreConfig::default()
        },
    );
    let init = core
        .initialize(InitRequest {
            secret_shares: 1,
            secret_threshold: 1,
            ..InitRequest::default()
        })
        .await
        .unwrap();
    core.unseal_with_key(&init.shares[0]).await.unwrap();
    let root = init.root_token.expose().to_owned();
    let call = |op: Operation, path: &str, body: serde_json::Value| {
        let req = Request::new(op, path)
            .with_data(data(body))
            .with_token(root.as_str());
        core.handle(req)
    };

    call(
        Operation::Update,
        "sys/auth/people",
        json!({"type": "echo", "description": "d"}),
    )
    .await
    .unwrap();
    let listed = call(Operation::Read, "sys/auth", json!({}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(listed["people/"]["type"], "echo");
    assert!(listed["people/"]["accessor"]
        .as_str()
        .unwrap()
        .starts_with("auth_echo_"));
    assert_eq!(listed["token/"]["type"], "token");

    let answer = call(Operation::Update, "auth/people/login/alice", json!({}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        (answer["mount"].as_str(), answer["path"].as_str()),
        (Some("people/"), Some("login/alice"))
    );

    call(
        Operation::Update,
        "sys/auth/people/tune",
        json!({"max_lease_ttl": "1h"}),
    )
    .await
    .unwrap();
    let tuned = call(Operation::Read, "auth/people/x", json!({}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(tuned["max_lease_ttl"], 3600);
    let tune = call(Operation::Read, "sys/mounts/auth/people/tune", json!({}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(tune["max_lease_ttl"], 3600);

    // The same type cannot be mounted over or under an existing path; unknown types fail.
    let err = call(
        Operation::Update,
        "sys/auth/people/inner",
        json!({"type": "echo"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    let err = call(Operation::Update, "sys/auth/other", json!({"type": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);

    call(
        Operation::Update,
        "sys/remount",
        json!({"from": "auth/people", "to": "auth/humans"}),
    )
    .await
    .unwrap();
    let moved = call(Operation::Update, "auth/humans/login/bob", json!({}))
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(moved["mount"], "humans/");
    assert_eq!(
        call(Operation::Read, "auth/people/x", json!({}))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    call(Operation::Delete, "sys/auth/humans", json!({}))
        .await
        .unwrap();
    assert_eq!(
        call(Operation::Read, "auth/humans/x", json!({}))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert!(
        physical.list("auth/").await.unwrap().is_empty(),
        "the method's storage is gone"
    );

    let err = call(Operation::Delete, "sys/auth/token", json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::BadRequest,
        "the token method cannot be disabled"
    );
    call(Operation::Read, "auth/token/lookup-self", json!({}))
        .await
        .unwrap();
}
