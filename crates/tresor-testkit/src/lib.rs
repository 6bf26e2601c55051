//! An in-process tresor core, initialised with one share and unsealed, with its root
//! token: the starting point of the core's integration tests.
#![forbid(unsafe_code)]
#![allow(clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use tresor_core::{Core, CoreConfig, InitRequest};
use tresor_sdk::{Data, Error, Operation, Request, Response};
use tresor_storage::{Backend, InmemBackend};

/// An unsealed core and its root token.
pub struct TestCore {
    pub core: Core,
    pub root: String,
    pub physical: Arc<dyn Backend>,
    unseal_key: tresor_crypto::SecretBytes,
}

impl TestCore {
    /// A core over in-memory storage with the default configuration.
    pub async fn new() -> Self {
        Self::with_config(CoreConfig::default()).await
    }

    /// A core with `config` (to register backends, set TTLs...), initialised and unsealed.
    pub async fn with_config(config: CoreConfig) -> Self {
        let physical: Arc<dyn Backend> = Arc::new(InmemBackend::new());
        let core = Core::new(physical.clone(), config);
        let init = core
            .initialize(InitRequest {
                secret_shares: 1,
                secret_threshold: 1,
                ..InitRequest::default()
            })
            .await
            .expect("init");
        let key = init.shares.first().expect("one share");
        core.unseal_with_key(key).await.expect("unseal");
        Self {
            core,
            root: init.root_token.expose().to_owned(),
            physical,
            unseal_key: key.clone(),
        }
    }

    /// Seals and unseals again, as a restart does (everything in memory is rebuilt from
    /// storage), then waits until the stored leases are scheduled again.
    pub async fn restart(&self) {
        self.core.seal().await;
        self.core
            .unseal_with_key(&self.unseal_key)
            .await
            .expect("unseal");
        while !self.core.leases_restored() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// Sends one request with `token` and a JSON body.
    pub async fn call(
        &self,
        op: Operation,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> Result<Response, Error> {
        let data: Data = match body {
            serde_json::Value::Object(map) => map,
            serde_json::Value::Null => Data::new(),
            other => panic!("a request body must be a JSON object, not {other}"),
        };
        self.core
            .handle(Request::new(op, path).with_data(data).with_token(token))
            .await
    }

    /// Sends one request with the root token.
    pub async fn root_call(
        &self,
        op: Operation,
        path: &str,
        body: serde_json::Value,
    ) -> Result<Response, Error> {
        self.call(op, path, &self.root.clone(), body).await
    }

    /// A new child token of root with these policies.
    pub async fn token_with(&self, policies: &[&str]) -> String {
        let resp = self
            .root_call(
                Operation::Update,
                "auth/token/create",
                serde_json::json!({ "policies": policies }),
            )
            .await
            .expect("token create");
        resp.auth
            .expect("auth block")
            .client_token
            .expose()
            .to_owned()
    }

    /// Writes a policy with the root token.
    pub async fn put_policy(&self, name: &str, text: &str) {
        self.root_call(
            Operation::Update,
            &format!("sys/policy/{name}"),
            serde_json::json!({ "policy": text }),
        )
        .await
        .expect("policy write");
    }
}
