//! Every route needs its capability: a token holding only the `default` policy is denied
//! every operation on every route the default policy does not grant, and a policy granting
//! one capability on one path opens exactly that.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::json;
use std::sync::Arc;
use tresor_core::{Core, CoreConfig, InitRequest};
use tresor_sdk::{Data, ErrorKind, Operation, Request};

const ROUTES: &[&str] = &[
    "sys/seal",
    "sys/rotate",
    "sys/rotate/keyring",
    "sys/key-status",
    "sys/rekey/init",
    "sys/rekey/update",
    "sys/mounts",
    "sys/mounts/newmount",
    "sys/mounts/newmount/tune",
    "sys/auth",
    "sys/auth/newauth",
    "sys/remount",
    "sys/policy",
    "sys/policy/newpolicy",
    "sys/policies/acl/",
    "sys/policies/acl/newpolicy",
    "sys/capabilities",
    "sys/capabilities-accessor",
    "sys/internal/ui/mounts",
    "sys/tools/random",
    "auth/token/create",
    "auth/token/create-orphan",
    "auth/token/lookup",
    "auth/token/lookup-accessor",
    "auth/token/renew",
    "auth/token/renew-accessor",
    "auth/token/revoke",
    "auth/token/revoke-accessor",
    "auth/token/revoke-orphan",
    "auth/token/accessors/",
    "auth/token/roles/",
    "auth/token/roles/r",
    "auth/token/tidy",
    "sys/wrapping/rewrap",
];

const OPS: &[Operation] = &[
    Operation::Read,
    Operation::Update,
    Operation::Delete,
    Operation::List,
    Operation::Patch,
];

async fn unsealed_core() -> (Core, String) {
    let core = Core::new(
        Arc::new(tresor_storage::InmemBackend::new()),
        CoreConfig::default(),
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
    (core, init.root_token.expose().to_owned())
}

async fn token_with(core: &Core, root: &str, policies: &[&str]) -> String {
    let body: Data = json!({ "policies": policies })
        .as_object()
        .cloned()
        .unwrap();
    let resp = core
        .handle(
            Request::new(Operation::Update, "auth/token/create")
                .with_data(body)
                .with_token(root),
        )
        .await
        .unwrap();
    resp.auth.unwrap().client_token.expose().to_owned()
}

#[tokio::test]
async fn default_policy_opens_no_route_it_does_not_list() {
    let (core, root) = unsealed_core().await;
    let token = token_with(&core, &root, &["default"]).await;
    for path in ROUTES {
        for op in OPS {
            let answer = core
                .handle(Request::new(*op, *path).with_token(token.as_str()))
                .await;
            assert!(
                matches!(&answer, Err(e) if e.kind() == ErrorKind::PermissionDenied),
                "{op:?} {path} with only the default policy: {answer:?}"
            );
        }
    }
    assert!(!core.is_sealed(), "nothing was sealed by a denied request");
}

#[tokio::test]
async fn one_grant_opens_exactly_one_operation() {
    let (core, root) = unsealed_core().await;
    let body: Data = json!({ "policy": r#"path "sys/mounts" { capabilities = ["read"] }"# })
        .as_object()
        .cloned()
        .unwrap();
    core.handle(
        Request::new(Operation::Update, "sys/policy/mounts-reader")
            .with_data(body)
            .with_token(root.as_str()),
    )
    .await
    .unwrap();
    let token = token_with(&core, &root, &["mounts-reader"]).await;
    assert!(core
        .handle(Request::new(Operation::Read, "sys/mounts").with_token(token.as_str()))
        .await
        .is_ok());
    for (op, path) in [
        (Operation::Update, "sys/mounts/x"),
        (Operation::Read, "sys/auth"),
        (Operation::Update, "sys/seal"),
    ] {
        let err = core
            .handle(Request::new(op, path).with_token(token.as_str()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{op:?} {path}");
    }
    // sudo paths need sudo even with the operation's capability.
    let body: Data = json!({ "policy": r#"path "sys/rotate" { capabilities = ["update"] }"# })
        .as_object()
        .cloned()
        .unwrap();
    core.handle(
        Request::new(Operation::Update, "sys/policy/rotator")
            .with_data(body)
            .with_token(root.as_str()),
    )
    .await
    .unwrap();
    let rotator = token_with(&core, &root, &["rotator"]).await;
    let err = core
        .handle(Request::new(Operation::Update, "sys/rotate").with_token(rotator.as_str()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}
