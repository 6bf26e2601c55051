//! Every route needs its capability: a token holding only the `default` policy is denied
//! every operation on every route the default policy does not grant, and a policy granting
//! one capability on one path opens exactly that.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::json;
use tresor_sdk::{ErrorKind, Operation};
use tresor_testkit::TestCore;

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

#[tokio::test]
async fn default_policy_opens_no_route_it_does_not_list() {
    let t = TestCore::new().await;
    let token = t.token_with(&["default"]).await;
    for path in ROUTES {
        for op in OPS {
            let answer = t.call(*op, path, &token, json!({})).await;
            // A write to a folder is malformed before it is anything else.
            let expected = if path.ends_with('/') && *op == Operation::Update {
                ErrorKind::BadRequest
            } else {
                ErrorKind::PermissionDenied
            };
            assert!(
                matches!(&answer, Err(e) if e.kind() == expected),
                "{op:?} {path} with only the default policy: {answer:?}"
            );
        }
    }
    assert!(
        !t.core.is_sealed(),
        "nothing was sealed by a denied request"
    );
}

#[tokio::test]
async fn one_grant_opens_exactly_one_operation() {
    let t = TestCore::new().await;
    t.put_policy(
        "mounts-reader",
        r#"path "sys/mounts" { capabilities = ["read"] }"#,
    )
    .await;
    let token = t.token_with(&["mounts-reader"]).await;
    assert!(t
        .call(Operation::Read, "sys/mounts", &token, json!({}))
        .await
        .is_ok());
    for (op, path) in [
        (Operation::Update, "sys/mounts/x"),
        (Operation::Read, "sys/auth"),
        (Operation::Update, "sys/seal"),
    ] {
        let err = t.call(op, path, &token, json!({})).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{op:?} {path}");
    }
    // sudo paths need sudo even with the operation's capability.
    t.put_policy(
        "rotator",
        r#"path "sys/rotate" { capabilities = ["update"] }"#,
    )
    .await;
    let rotator = t.token_with(&["rotator"]).await;
    let err = t
        .call(Operation::Update, "sys/rotate", &rotator, json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}
