//! The expiration manager: secret and token leases, renewal bounded by the mount's
//! maximum, revocation through the issuing engine, expiry on an injected clock, restore
//! after a restart, revoke-prefix / revoke-force / tidy, and unmount revoking its leases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tresor_core::mounts::{Registry, Table};
use tresor_core::CoreConfig;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{
    BackendRequest, Data, Error, ErrorKind, LeaseRequest, LogicalBackend, ManualClock,
    MountContext, Operation, Response, SecretLease,
};
use tresor_storage::{Backend, View};
use tresor_testkit::TestCore;

/// Hands out numbered credentials under a lease and records each revocation in its
/// storage (`revoked/<user>`); `config` sets the TTLs and can make revocation fail.
#[derive(Debug)]
struct Leasing {
    storage: View,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct Config {
    ttl: u64,
    max_ttl: u64,
    fail_revoke: bool,
}

impl Leasing {
    async fn config(&self) -> Config {
        get_json(&self.storage, "config")
            .await
            .unwrap()
            .unwrap_or_default()
    }
}

#[async_trait]
impl LogicalBackend for Leasing {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        match (req.operation, req.path) {
            (Operation::Update | Operation::Create, "config") => {
                let config: Config = serde_json::from_value(Value::Object(req.data.clone()))
                    .map_err(|e| Error::bad_request(e.to_string()))?;
                put_json(&self.storage, "config", &config).await?;
                Ok(Response::empty())
            }
            (Operation::Read, "revoked") => {
                let users = self.storage.list("revoked/").await?;
                let mut d = Data::new();
                d.insert("users".into(), json!(users));
                Ok(Response::data(d))
            }
            (Operation::Read, path) if path.starts_with("creds/") => {
                let n: u64 = get_json(&self.storage, "serial").await?.unwrap_or(0) + 1;
                put_json(&self.storage, "serial", &n).await?;
                let user = format!("user-{n}");
                let config = self.config().await;
                let mut internal = Data::new();
                internal.insert("username".into(), json!(user));
                let mut d = Data::new();
                d.insert("username".into(), json!(user));
                d.insert("password".into(), json!(format!("pw-{n}")));
                Ok(Response {
                    secret: Some(SecretLease {
                        ttl: Duration::from_secs(config.ttl),
                        max_ttl: Duration::from_secs(config.max_ttl),
                        renewable: true,
                        internal,
                    }),
                    ..Response::data(d)
                })
            }
            _ => Err(Error::UnsupportedPath),
        }
    }

    async fn renew_secret(&self, req: &LeaseRequest<'_>) -> Result<SecretLease, Error> {
        let config = self.config().await;
        Ok(SecretLease {
            ttl: if req.increment.is_zero() {
                Duration::from_secs(config.ttl)
            } else {
                req.increment
            },
            max_ttl: Duration::from_secs(config.max_ttl),
            renewable: true,
            internal: Data::new(),
        })
    }

    async fn revoke_secret(&self, req: &LeaseRequest<'_>) -> Result<(), Error> {
        if self.config().await.fail_revoke {
            return Err(Error::internal("the database is unreachable"));
        }
        let user = req.internal["username"].as_str().unwrap();
        self.storage.put(&format!("revoked/{user}"), b"1").await?;
        Ok(())
    }
}

fn leasing(ctx: MountContext) -> Result<Arc<dyn LogicalBackend>, Error> {
    Ok(Arc::new(Leasing {
        storage: ctx.storage,
    }))
}

async fn setup() -> (TestCore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::fixed());
    let mut registry = Registry::default();
    registry.register(Table::Secrets, "leasing", leasing);
    let t = TestCore::with_config(CoreConfig {
        clock: clock.clone(),
        registry,
        ..CoreConfig::default()
    })
    .await;
    t.root_call(
        Operation::Update,
        "sys/mounts/db",
        json!({"type": "leasing", "config": {"max_lease_ttl": "2h"}}),
    )
    .await
    .unwrap();
    (t, clock)
}

async fn creds(t: &TestCore, token: &str) -> Response {
    t.call(Operation::Read, "db/creds/ro", token, Value::Null)
        .await
        .unwrap()
}

async fn revoked(t: &TestCore) -> Vec<String> {
    let resp = t
        .root_call(Operation::Read, "db/revoked", Value::Null)
        .await
        .unwrap();
    serde_json::from_value(resp.data.unwrap()["users"].clone()).unwrap()
}

async fn lookup(t: &TestCore, id: &str) -> Result<Data, Error> {
    t.root_call(
        Operation::Update,
        "sys/leases/lookup",
        json!({"lease_id": id}),
    )
    .await
    .map(|r| r.data.unwrap())
}

#[tokio::test]
async fn a_secret_gets_a_lease_that_lookup_and_list_show() {
    let (t, _) = setup().await;
    let resp = creds(&t, &t.root.clone()).await;
    assert!(
        resp.lease_id.starts_with("db/creds/ro/"),
        "{}",
        resp.lease_id
    );
    assert_eq!(resp.lease_id.len(), "db/creds/ro/".len() + 24);
    assert_eq!(
        resp.lease_duration,
        3600 * 2,
        "the mount's default capped by its max"
    );
    assert!(resp.renewable);
    let env = resp.envelope("r");
    assert_eq!(env["lease_id"], json!(resp.lease_id));
    assert_eq!(env["data"]["username"], "user-1");

    let d = lookup(&t, &resp.lease_id).await.unwrap();
    assert_eq!(d["id"], json!(resp.lease_id));
    assert_eq!(d["path"], "db/creds/ro");
    assert_eq!(d["ttl"], 7200);
    assert_eq!(d["renewable"], true);
    assert_eq!(d["last_renewal"], Value::Null);
    assert!(d["expire_time"].as_str().unwrap().ends_with('Z'));
    assert!(!d.contains_key("username"), "internal data never shows");

    let err = lookup(&t, "db/creds/ro/nope").await.unwrap_err();
    assert_eq!(err.to_string(), "invalid lease");
    let err = t
        .root_call(Operation::Update, "sys/leases/lookup", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "lease_id must be specified");

    let list = |p: &'static str| t.root_call(Operation::List, p, Value::Null);
    let keys = list("sys/leases/lookup/db/creds/")
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(keys["keys"], json!(["ro/"]));
    let keys = list("sys/leases/lookup/").await.unwrap().data.unwrap();
    assert_eq!(keys["keys"], json!(["db/"]));
    assert_eq!(
        list("sys/leases/lookup/nothing/").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn renewal_is_bounded_by_the_engine_and_mount_maximums() {
    let (t, clock) = setup().await;
    t.root_call(
        Operation::Update,
        "db/config",
        json!({"ttl": 600, "max_ttl": 3600}),
    )
    .await
    .unwrap();
    let id = creds(&t, &t.root.clone()).await.lease_id;
    clock.advance(Duration::from_secs(300));
    let renew = |body: Value| t.root_call(Operation::Update, "sys/leases/renew", body);
    let resp = renew(json!({"lease_id": id, "increment": "20m"}))
        .await
        .unwrap();
    assert_eq!(resp.lease_id, id);
    assert_eq!(resp.lease_duration, 1200);
    assert!(resp.warnings.is_empty());
    assert_eq!(lookup(&t, &id).await.unwrap()["ttl"], 1200);
    assert!(lookup(&t, &id).await.unwrap()["last_renewal"].is_string());

    let resp = renew(json!({"lease_id": id, "increment": 999_999}))
        .await
        .unwrap();
    assert_eq!(
        resp.lease_duration, 3300,
        "the engine's max_ttl counts from issue"
    );
    assert!(resp.warnings[0].contains("capped"), "{:?}", resp.warnings);

    // The legacy alias with the id in the URL.
    let resp = t
        .root_call(Operation::Update, &format!("sys/renew/{id}"), json!({}))
        .await
        .unwrap();
    assert_eq!(resp.lease_duration, 600, "the engine default again");

    let err = renew(json!({"lease_id": "db/creds/ro/nope"}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "lease not found");
    let err = renew(json!({"lease_id": id, "increment": "soon"}))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
}

#[tokio::test]
async fn leases_expire_on_the_injected_clock_and_the_engine_revokes() {
    let (t, clock) = setup().await;
    t.root_call(Operation::Update, "db/config", json!({"ttl": 60}))
        .await
        .unwrap();
    let first = creds(&t, &t.root.clone()).await.lease_id;
    clock.advance(Duration::from_secs(30));
    let second = creds(&t, &t.root.clone()).await.lease_id;
    clock.advance(Duration::from_secs(29));
    assert_eq!(t.core.expire_leases().await.unwrap(), 0, "nothing due yet");
    clock.advance(Duration::from_secs(1));
    assert_eq!(t.core.expire_leases().await.unwrap(), 1);
    assert_eq!(revoked(&t).await, ["user-1"]);
    assert!(lookup(&t, &first).await.is_err());
    assert!(lookup(&t, &second).await.is_ok());
    clock.advance(Duration::from_secs(30));
    assert_eq!(t.core.expire_leases().await.unwrap(), 1);
    assert_eq!(revoked(&t).await, ["user-1", "user-2"]);
    assert_eq!(t.core.leases_scheduled(), 0);
}

#[tokio::test]
async fn a_failed_revocation_is_retried_and_force_forgets() {
    let (t, clock) = setup().await;
    t.root_call(
        Operation::Update,
        "db/config",
        json!({"ttl": 60, "fail_revoke": true}),
    )
    .await
    .unwrap();
    let id = creds(&t, &t.root.clone()).await.lease_id;
    clock.advance(Duration::from_secs(60));
    assert_eq!(t.core.expire_leases().await.unwrap(), 0);
    assert!(lookup(&t, &id).await.is_ok(), "kept for a retry");
    let err = t
        .root_call(
            Operation::Update,
            "sys/leases/revoke",
            json!({"lease_id": id}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    // Retries back off: 30 s after the first failure, then 60 s after the second.
    clock.advance(Duration::from_secs(29));
    assert_eq!(t.core.expire_leases().await.unwrap(), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(t.core.expire_leases().await.unwrap(), 0, "fails again");
    clock.advance(Duration::from_secs(59));
    assert_eq!(t.core.expire_leases().await.unwrap(), 0);
    assert!(lookup(&t, &id).await.is_ok(), "still listed while it fails");
    // The engine recovers: the next retry revokes.
    t.root_call(Operation::Update, "db/config", json!({"ttl": 60}))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(1));
    assert_eq!(t.core.expire_leases().await.unwrap(), 1);
    assert_eq!(revoked(&t).await, ["user-1"]);

    // revoke-force forgets a lease whose engine keeps failing.
    t.root_call(
        Operation::Update,
        "db/config",
        json!({"ttl": 60, "fail_revoke": true}),
    )
    .await
    .unwrap();
    let id = creds(&t, &t.root.clone()).await.lease_id;
    assert!(t
        .root_call(
            Operation::Update,
            "sys/leases/revoke-prefix/db/creds",
            json!({})
        )
        .await
        .is_err());
    t.root_call(
        Operation::Update,
        "sys/leases/revoke-force/db/creds",
        json!({}),
    )
    .await
    .unwrap();
    assert!(lookup(&t, &id).await.is_err());
}

#[tokio::test]
async fn revoke_and_revoke_prefix_and_their_aliases() {
    let (t, _) = setup().await;
    let a = creds(&t, &t.root.clone()).await.lease_id;
    let b = creds(&t, &t.root.clone()).await.lease_id;
    let c = creds(&t, &t.root.clone()).await.lease_id;
    t.root_call(
        Operation::Update,
        "sys/leases/revoke",
        json!({"lease_id": a}),
    )
    .await
    .unwrap();
    t.root_call(Operation::Update, &format!("sys/revoke/{b}"), json!({}))
        .await
        .unwrap();
    assert_eq!(revoked(&t).await, ["user-1", "user-2"]);
    // An unknown lease is already revoked.
    t.root_call(
        Operation::Update,
        "sys/leases/revoke",
        json!({"lease_id": "db/x/y"}),
    )
    .await
    .unwrap();
    let err = t
        .root_call(Operation::Update, "sys/leases/revoke-prefix/db/", json!({}))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "cannot write to a path ending in '/'");

    // revoke-prefix needs sudo.
    t.put_policy("leases", r#"path "sys/*" { capabilities = ["update"] }"#)
        .await;
    let token = t.token_with(&["leases"]).await;
    let err = t
        .call(
            Operation::Update,
            "sys/leases/revoke-prefix/db",
            &token,
            json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(lookup(&t, &c).await.is_ok());
    t.root_call(Operation::Update, "sys/revoke-prefix/db", json!({}))
        .await
        .unwrap();
    assert!(lookup(&t, &c).await.is_err());
    assert_eq!(revoked(&t).await, ["user-1", "user-2", "user-3"]);
}

#[tokio::test]
async fn revoking_or_expiring_a_token_revokes_its_leases() {
    let (t, clock) = setup().await;
    let make = |ttl: &'static str| {
        t.root_call(
            Operation::Update,
            "auth/token/create",
            json!({"policies": ["root"], "ttl": ttl}),
        )
    };
    let short = make("10m").await.unwrap().auth.unwrap().client_token;
    let long = make("1h").await.unwrap().auth.unwrap().client_token;
    let child = t
        .call(
            Operation::Update,
            "auth/token/create",
            short.expose(),
            json!({}),
        )
        .await
        .unwrap()
        .auth
        .unwrap()
        .client_token;
    let by_short = creds(&t, short.expose()).await.lease_id;
    let by_child = creds(&t, child.expose()).await.lease_id;
    let by_long = creds(&t, long.expose()).await.lease_id;

    let tokens = t
        .root_call(
            Operation::List,
            "sys/leases/lookup/auth/token/create/",
            Value::Null,
        )
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(
        tokens["keys"].as_array().unwrap().len(),
        3,
        "every token with a TTL has a lease"
    );

    clock.advance(Duration::from_secs(600));
    let lookup_child = t
        .call(
            Operation::Read,
            "auth/token/lookup-self",
            child.expose(),
            Value::Null,
        )
        .await;
    assert_eq!(
        lookup_child.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    t.core.expire_leases().await.unwrap();
    assert!(lookup(&t, &by_short).await.is_err());
    assert!(lookup(&t, &by_child).await.is_err());
    assert_eq!(revoked(&t).await, ["user-1", "user-2"]);

    t.root_call(
        Operation::Update,
        "auth/token/revoke",
        json!({"token": long.expose()}),
    )
    .await
    .unwrap();
    assert!(lookup(&t, &by_long).await.is_err());
    assert_eq!(revoked(&t).await, ["user-1", "user-2", "user-3"]);
    assert!(
        t.root_call(Operation::List, "sys/leases/lookup/auth/", Value::Null)
            .await
            .is_err(),
        "no token lease is left"
    );
}

#[tokio::test]
async fn token_renewal_moves_its_lease() {
    let (t, clock) = setup().await;
    let token = t
        .root_call(
            Operation::Update,
            "auth/token/create",
            json!({"ttl": "10m", "explicit_max_ttl": "1h"}),
        )
        .await
        .unwrap()
        .auth
        .unwrap()
        .client_token;
    clock.advance(Duration::from_secs(500));
    t.call(
        Operation::Update,
        "auth/token/renew-self",
        token.expose(),
        json!({"increment": "30m"}),
    )
    .await
    .unwrap();
    clock.advance(Duration::from_secs(200));
    t.core.expire_leases().await.unwrap();
    let me = t
        .call(
            Operation::Read,
            "auth/token/lookup-self",
            token.expose(),
            Value::Null,
        )
        .await
        .unwrap();
    assert_eq!(me.data.unwrap()["ttl"], 1600);
    let id = t
        .root_call(
            Operation::List,
            "sys/leases/lookup/auth/token/create/",
            Value::Null,
        )
        .await
        .unwrap()
        .data
        .unwrap()["keys"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let err = t
        .root_call(
            Operation::Update,
            "sys/leases/renew",
            json!({"lease_id": format!("auth/token/create/{id}")}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tokens cannot be renewed through this endpoint"
    );
    clock.advance(Duration::from_secs(1600));
    assert_eq!(t.core.expire_leases().await.unwrap(), 1);
    assert!(t
        .root_call(
            Operation::Update,
            "auth/token/lookup",
            json!({"token": token.expose()})
        )
        .await
        .is_err());
}

#[tokio::test]
async fn leases_survive_a_restart_and_still_expire() {
    let (t, clock) = setup().await;
    t.root_call(Operation::Update, "db/config", json!({"ttl": 60}))
        .await
        .unwrap();
    let ids: Vec<String> = [0; 5].iter().map(|_| String::new()).collect();
    let mut ids = ids;
    for id in ids.iter_mut() {
        *id = creds(&t, &t.root.clone()).await.lease_id;
    }
    t.restart().await;
    assert_eq!(t.core.leases_scheduled(), 5);
    assert!(lookup(&t, &ids[0]).await.is_ok());
    clock.advance(Duration::from_secs(60));
    assert_eq!(t.core.expire_leases().await.unwrap(), 5);
    assert_eq!(revoked(&t).await.len(), 5);
}

#[tokio::test]
async fn unmounting_revokes_the_mounts_leases_and_tidy_cleans_orphans() {
    let (t, _) = setup().await;
    let id = creds(&t, &t.root.clone()).await.lease_id;
    let resp = t
        .root_call(Operation::Update, "sys/leases/tidy", json!({}))
        .await
        .unwrap();
    assert_eq!(resp.status, Some(202));
    assert!(lookup(&t, &id).await.is_ok(), "the root token still lives");
    t.root_call(Operation::Delete, "sys/mounts/db", Value::Null)
        .await
        .unwrap();
    assert!(lookup(&t, &id).await.is_err());
}

#[tokio::test]
async fn batch_token_leases_belong_to_the_parent_and_stop_with_the_token() {
    let (t, _) = setup().await;
    let parent = t
        .root_call(
            Operation::Update,
            "auth/token/create",
            json!({"policies": ["root"], "ttl": "1h"}),
        )
        .await
        .unwrap()
        .auth
        .unwrap()
        .client_token;
    t.put_policy("db", r#"path "db/*" { capabilities = ["read"] }"#)
        .await;
    let batch = t
        .call(
            Operation::Update,
            "auth/token/create",
            parent.expose(),
            json!({"type": "batch", "policies": ["db"], "ttl": "5m"}),
        )
        .await
        .unwrap()
        .auth
        .unwrap()
        .client_token;
    let resp = creds(&t, batch.expose()).await;
    assert_eq!(resp.lease_duration, 300, "no longer than the batch token");
    t.root_call(
        Operation::Update,
        "auth/token/revoke",
        json!({"token": parent.expose()}),
    )
    .await
    .unwrap();
    assert!(lookup(&t, &resp.lease_id).await.is_err());
}
