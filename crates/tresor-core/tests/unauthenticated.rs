//! The inventory of endpoints reachable without a token: exactly the documented list,
//! and every other path (known or not, any method) answers 403 while unsealed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use tresor_core::{Core, CoreConfig, InitRequest, UNAUTHENTICATED_PATHS};
use tresor_sdk::{ErrorKind, Operation, Request};

/// Every route the core serves today, plus unknown ones.
const KNOWN_PATHS: &[&str] = &[
    "sys/init",
    "sys/seal-status",
    "sys/health",
    "sys/unseal",
    "sys/leader",
    "sys/seal",
    "sys/rotate",
    "sys/rotate/keyring",
    "sys/key-status",
    "sys/rekey/init",
    "sys/rekey/update",
    "auth/token/lookup-self",
    "auth/token/create",
    "auth/token/accessors/",
    "sys/wrapping/lookup",
    "sys/wrapping/unwrap",
    "sys/wrapping/wrap",
    "sys/policy",
    "sys/policy/default",
    "sys/policies/acl/",
    "sys/capabilities-self",
    "sys/mounts",
    "sys/mounts/secret",
    "sys/auth",
    "sys/tools/random",
    "sys/internal/ui/mounts/secret/x",
    "cubbyhole/x",
    "sys/nonexistent",
    "secret/data/x",
    "",
];

const OPS: &[Operation] = &[
    Operation::Read,
    Operation::Update,
    Operation::Delete,
    Operation::List,
    Operation::Patch,
    Operation::Head,
];

#[tokio::test]
async fn only_the_inventory_answers_without_a_token() {
    let core = Core::new(
        Arc::new(tresor_storage::InmemBackend::new()),
        CoreConfig::default(),
    );
    let init = core
        .initialize(InitRequest {
            secret_shares: 1,
            secret_threshold: 1,
            root_token_id: None,
            dev: false,
        })
        .await
        .unwrap();
    core.unseal_with_key(&init.shares[0]).await.unwrap();
    let mut open = Vec::new();
    for path in KNOWN_PATHS {
        for op in OPS {
            // Never actually seal or change state: skip writes to state-changing open paths.
            if matches!((*path, op), ("sys/unseal" | "sys/init", Operation::Update)) {
                continue;
            }
            match core.handle(Request::new(*op, *path)).await {
                Err(e) if e.kind() == ErrorKind::PermissionDenied => {}
                _ => {
                    if !open.contains(path) {
                        open.push(*path);
                    }
                }
            }
        }
    }
    let mut expected: Vec<&str> = UNAUTHENTICATED_PATHS
        .iter()
        .copied()
        .filter(|p| *p != "sys/seal")
        .collect();
    expected.sort_unstable();
    open.sort_unstable();
    assert_eq!(
        open, expected,
        "sys/seal needs a token while unsealed; the rest are open"
    );
    assert!(!core.is_sealed());
}
