//! Drives the engine the way the core does: in-memory storage, a clock the test moves,
//! and a system view that generates passwords.

use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tresor_crypto::SecretString;
use tresor_sdk::{
    BackendRequest, Data, Error, LeaseRequest, LogicalBackend, ManualClock, MountContext,
    MountInfo, Operation, Response, SecretLease, SystemView,
};
use tresor_storage::{Backend, InmemBackend, View};

/// A password no SQL quoting mistake would survive.
pub const HOSTILE_PASSWORD: &str = "p'; CREATE TABLE pwned_by_password(x int); --\\";

/// Vault's default policy as base62; `hostile` gives [`HOSTILE_PASSWORD`] plus noise.
#[derive(Debug)]
pub struct TestSystem;

#[async_trait]
impl SystemView for TestSystem {
    async fn generate_password(&self, policy: &str) -> Result<SecretString, Error> {
        let noise = tresor_crypto::random::base62(16).unwrap();
        match policy {
            "" => Ok(SecretString::new(format!("A1a-{}", noise.expose()))),
            "hostile" => Ok(SecretString::new(format!(
                "{HOSTILE_PASSWORD}{}",
                noise.expose()
            ))),
            other => Err(Error::bad_request(format!(
                "password policy {other:?} does not exist"
            ))),
        }
    }
}

pub struct Harness {
    pub backend: Arc<dyn LogicalBackend>,
    pub mount: MountInfo,
    pub clock: Arc<ManualClock>,
    pub storage: View,
}

/// A lease as the core keeps it.
pub struct Lease {
    pub internal: Data,
    pub issue_time: i64,
    pub secret: SecretLease,
}

impl Harness {
    pub async fn new() -> Self {
        let storage = View::new(Arc::new(InmemBackend::new()), "logical/db/");
        let clock = Arc::new(ManualClock::new(std::time::SystemTime::now()));
        let mount = MountInfo {
            path: "database/".into(),
            kind: "database".into(),
            accessor: "database_1234".into(),
            default_lease_ttl: Duration::from_secs(768 * 3600),
            max_lease_ttl: Duration::from_secs(768 * 3600),
            ..MountInfo::default()
        };
        let backend = crate::database_factory(MountContext {
            storage: storage.clone(),
            info: mount.clone(),
            clock: clock.clone(),
            system: Arc::new(TestSystem),
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

    pub async fn call(&self, op: Operation, path: &str, body: Value) -> Result<Response, Error> {
        let data: Data = body.as_object().cloned().unwrap_or_default();
        let mut req = BackendRequest {
            id: "test-request",
            operation: op,
            path,
            data: &data,
            mount: &self.mount,
            token_hash: None,
            client_addr: Some("127.0.0.1"),
            display_name: "token",
            peer_certificates: &[],
        };
        if op == Operation::Update && self.backend.exists(&req).await? == Some(false) {
            req.operation = Operation::Create;
        }
        self.backend.handle(&req).await
    }

    pub async fn write(&self, path: &str, body: Value) -> Response {
        match self.call(Operation::Update, path, body).await {
            Ok(r) => r,
            Err(e) => panic!("write {path}: {:?}", e.messages()),
        }
    }

    pub async fn read(&self, path: &str) -> Data {
        match self.call(Operation::Read, path, Value::Null).await {
            Ok(r) => r.data.unwrap_or_default(),
            Err(e) => panic!("read {path}: {:?}", e.messages()),
        }
    }

    /// `creds/<role>`: the username, password and lease.
    pub async fn creds(&self, role: &str) -> (String, String, Lease) {
        let resp = self
            .call(Operation::Read, &format!("creds/{role}"), Value::Null)
            .await
            .unwrap_or_else(|e| panic!("creds: {:?}", e.messages()));
        let data = resp.data.unwrap();
        let secret = resp.secret.expect("a lease");
        let lease = Lease {
            internal: secret.internal.clone(),
            issue_time: tresor_sdk::Clock::unix(self.clock.as_ref()),
            secret,
        };
        (
            data["username"].as_str().unwrap().to_owned(),
            data["password"].as_str().unwrap().to_owned(),
            lease,
        )
    }

    fn lease_request<'a>(&'a self, lease: &'a Lease, increment: Duration) -> LeaseRequest<'a> {
        LeaseRequest {
            lease_id: "database/creds/x/abc",
            path: "creds/x",
            internal: &lease.internal,
            increment,
            issue_time: lease.issue_time,
            mount: &self.mount,
        }
    }

    pub async fn renew(&self, lease: &Lease, increment: Duration) -> Result<SecretLease, Error> {
        self.backend
            .renew_secret(&self.lease_request(lease, increment))
            .await
    }

    pub async fn revoke(&self, lease: &Lease) -> Result<(), Error> {
        self.backend
            .revoke_secret(&self.lease_request(lease, Duration::ZERO))
            .await
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// The raw stored entry at `key`, as JSON.
    pub async fn stored(&self, key: &str) -> Option<Value> {
        let raw = self.storage.get(key).await.unwrap()?;
        Some(serde_json::from_slice(&raw).unwrap())
    }

    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        self.storage.list(prefix).await.unwrap()
    }
}
