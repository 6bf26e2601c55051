//! Drives the identity store and its HTTP API the way the core does, over in-memory
//! storage, a clock the test moves and a fixed table of auth mounts.

use crate::{AuthMount, AuthMounts, IdentityBackend, IdentityStore};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tresor_sdk::{
    BackendRequest, Clock, Data, Error, LogicalBackend, MountInfo, Operation, Response,
};
use tresor_storage::{Backend, InmemBackend, Op, StorageError, View};

pub const USERPASS: &str = "auth_userpass_1234";
pub const APPROLE: &str = "auth_approle_5678";

#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// In-memory storage that yields to the runtime before every operation, as a real
/// backend would, so that concurrent tasks interleave at each storage call.
#[derive(Debug, Default)]
pub struct YieldingBackend {
    inner: InmemBackend,
    /// When set, writes fail as a broken disk would.
    pub fail_writes: AtomicBool,
}

impl YieldingBackend {
    fn check(&self) -> Result<(), StorageError> {
        if self.fail_writes.load(Ordering::SeqCst) {
            return Err(StorageError::Io("disk on fire".into()));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Backend for YieldingBackend {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        tokio::task::yield_now().await;
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), StorageError> {
        tokio::task::yield_now().await;
        self.check()?;
        self.inner.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        tokio::task::yield_now().await;
        self.check()?;
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        tokio::task::yield_now().await;
        self.inner.list(prefix).await
    }
    async fn batch(&self, ops: Vec<Op>) -> Result<(), StorageError> {
        tokio::task::yield_now().await;
        self.check()?;
        self.inner.batch(ops).await
    }
}

#[derive(Debug)]
pub struct Mounts(BTreeMap<String, AuthMount>);

impl AuthMounts for Mounts {
    fn by_accessor(&self, accessor: &str) -> Option<AuthMount> {
        self.0.get(accessor).cloned()
    }
}

pub fn mount(accessor: &str) -> AuthMount {
    let kind = accessor.split('_').nth(1).unwrap_or_default().to_owned();
    AuthMount {
        path: format!("{kind}/"),
        kind,
        accessor: accessor.to_owned(),
    }
}

pub struct Harness {
    pub store: IdentityStore,
    pub backend: Arc<dyn LogicalBackend>,
    pub clock: Arc<ManualClock>,
    pub storage: View,
    pub disk: Arc<YieldingBackend>,
    info: MountInfo,
}

impl Harness {
    pub async fn new() -> Self {
        let disk = Arc::new(YieldingBackend::default());
        let storage = View::new(disk.clone(), "sys/identity/");
        let clock = Arc::new(ManualClock(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        )));
        let store = IdentityStore::open(storage.clone(), clock.clone())
            .await
            .unwrap();
        let mounts = Mounts([USERPASS, APPROLE].map(|a| (a.to_owned(), mount(a))).into());
        let backend = Arc::new(IdentityBackend::new(store.clone(), Arc::new(mounts)));
        let info = MountInfo {
            path: "identity/".into(),
            kind: "identity".into(),
            accessor: "identity_0000".into(),
            ..MountInfo::default()
        };
        Self {
            store,
            backend,
            clock,
            storage,
            disk,
            info,
        }
    }

    /// A second store over the same storage, as after a restart.
    pub async fn reopen(&self) -> IdentityStore {
        IdentityStore::open(self.storage.clone(), self.clock.clone())
            .await
            .unwrap()
    }

    pub async fn call(&self, op: Operation, path: &str, body: Value) -> Result<Response, Error> {
        let data: Data = body.as_object().cloned().unwrap_or_default();
        let req = BackendRequest {
            id: "test-request",
            operation: op,
            path,
            data: &data,
            mount: &self.info,
            token_hash: None,
            client_addr: None,
            display_name: "token",
            peer_certificates: &[],
        };
        self.backend.handle(&req).await
    }

    /// The `data` of a successful answer (empty for a 204).
    pub async fn data(&self, op: Operation, path: &str, body: Value) -> Data {
        let resp = self.call(op, path, body).await.unwrap();
        resp.data.unwrap_or_default()
    }

    /// The error of a failing call.
    pub async fn err(&self, op: Operation, path: &str, body: Value) -> Error {
        self.call(op, path, body).await.unwrap_err()
    }

    /// Creates an entity through the API; answers its ID.
    pub async fn entity(&self, body: Value) -> String {
        let d = self.data(Operation::Update, "entity", body).await;
        s(&d["id"])
    }

    /// Creates a group through the API; answers its ID.
    pub async fn group(&self, body: Value) -> String {
        let d = self.data(Operation::Update, "group", body).await;
        s(&d["id"])
    }

    /// Creates an external group `name` with `policies`, and its alias `alias` on the
    /// mount with `accessor`, through the API; answers the group's and the alias's IDs.
    pub async fn external(
        &self,
        name: &str,
        policies: &str,
        accessor: &str,
        alias: &str,
    ) -> (String, String) {
        let body = json!({"name": name, "type": "external", "policies": policies});
        let group = self.group(body).await;
        let body = json!({"name": alias, "mount_accessor": accessor, "canonical_id": group});
        let d = self.data(Operation::Update, "group-alias", body).await;
        (group, s(&d["id"]))
    }
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// The sorted keys of an object.
pub fn keys(d: &Data) -> Vec<&str> {
    let mut k: Vec<&str> = d.keys().map(String::as_str).collect();
    k.sort();
    k
}
