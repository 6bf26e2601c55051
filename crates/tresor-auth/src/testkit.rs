//! Drives a backend the way the core does, over in-memory storage and a clock the test
//! moves.

use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tresor_sdk::{
    BackendRequest, Clock, Data, Error, Factory, LogicalBackend, MountContext, MountInfo,
    Operation, Response,
};
use tresor_storage::{Backend, InmemBackend, View};

#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

pub struct Harness {
    pub backend: Arc<dyn LogicalBackend>,
    pub mount: MountInfo,
    pub clock: Arc<ManualClock>,
    pub storage: View,
}

pub const CLIENT: &str = "127.0.0.1";

impl Harness {
    pub async fn new(factory: Factory, kind: &str) -> Self {
        let storage = View::new(Arc::new(InmemBackend::new()), "logical/test/");
        let clock = Arc::new(ManualClock(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        )));
        let mount = MountInfo {
            path: format!("{kind}/"),
            kind: kind.to_owned(),
            accessor: format!("auth_{kind}_1234"),
            default_lease_ttl: Duration::from_secs(768 * 3600),
            max_lease_ttl: Duration::from_secs(768 * 3600),
            ..MountInfo::default()
        };
        let backend = factory(MountContext {
            system: Arc::new(tresor_sdk::NoSystemView),
            storage: storage.clone(),
            info: mount.clone(),
            clock: clock.clone(),
        })
        .unwrap();
        backend.initialize().await.unwrap();
        Self {
            backend,
            mount,
            clock,
            storage,
        }
    }

    /// A request from [`CLIENT`]; a write becomes a create when the backend's existence
    /// check says its target does not exist, as in the core.
    pub async fn call(&self, op: Operation, path: &str, body: Value) -> Result<Response, Error> {
        self.call_from(op, path, body, Some(CLIENT)).await
    }

    pub async fn call_from(
        &self,
        op: Operation,
        path: &str,
        body: Value,
        client_addr: Option<&str>,
    ) -> Result<Response, Error> {
        let data: Data = body.as_object().cloned().unwrap_or_default();
        let mut req = BackendRequest {
            id: "test-request",
            operation: op,
            path,
            data: &data,
            mount: &self.mount,
            token_hash: None,
            client_addr,
            display_name: "token",
            peer_certificates: &[],
        };
        if op == Operation::Update && self.backend.exists(&req).await? == Some(false) {
            req.operation = Operation::Create;
        }
        self.backend.handle(&req).await
    }

    /// The `data` of a successful answer.
    pub async fn data(&self, op: Operation, path: &str, body: Value) -> Data {
        let resp = self.call(op, path, body).await.unwrap();
        resp.data.unwrap_or_default()
    }

    /// Every value in the mount's storage, as text, to look for leaked secrets.
    pub async fn dump_storage(&self) -> String {
        let mut out = String::new();
        let mut prefixes = vec![String::new()];
        while let Some(prefix) = prefixes.pop() {
            for key in self.storage.list(&prefix).await.unwrap() {
                let full = format!("{prefix}{key}");
                if key.ends_with('/') {
                    prefixes.push(full);
                } else {
                    let raw = self.storage.get(&full).await.unwrap().unwrap();
                    out.push_str(&full);
                    out.push_str(&String::from_utf8_lossy(&raw));
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// The message list of an error, as the HTTP layer would send it.
pub fn messages(e: &Error) -> Vec<String> {
    e.messages()
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// An AppRole mount.
pub async fn approle() -> Harness {
    Harness::new(crate::approle_factory, "approle").await
}

/// A userpass mount.
pub async fn userpass() -> Harness {
    Harness::new(crate::userpass_factory, "userpass").await
}

impl Harness {
    /// Creates role `name` with `body` and a secret ID; answers (role_id, secret_id,
    /// accessor).
    pub async fn role_with_secret(&self, name: &str, body: Value) -> (String, String, String) {
        self.call(Operation::Update, &format!("role/{name}"), body)
            .await
            .unwrap();
        let rid = self
            .data(
                Operation::Read,
                &format!("role/{name}/role-id"),
                Value::Null,
            )
            .await;
        let sid = self
            .data(
                Operation::Update,
                &format!("role/{name}/secret-id"),
                serde_json::json!({}),
            )
            .await;
        (
            s(&rid["role_id"]),
            s(&sid["secret_id"]),
            s(&sid["secret_id_accessor"]),
        )
    }

    pub async fn approle_login(&self, role_id: &str, secret_id: &str) -> Result<Response, Error> {
        let body = serde_json::json!({"role_id": role_id, "secret_id": secret_id});
        self.call(Operation::Update, "login", body).await
    }
}
