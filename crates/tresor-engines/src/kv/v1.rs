//! KV version 1: the request's JSON map stored as is under its path. A `ttl` key sets
//! the answer's `lease_duration` (a refresh hint; no lease is created).

use crate::listing::{keys_response, require_key};
use async_trait::async_trait;
use tresor_sdk::fields::duration_field;
use tresor_sdk::stored::{get_json, put_json};
use tresor_sdk::{BackendRequest, Data, Error, LogicalBackend, MountContext, Operation, Response};
use tresor_storage::{Backend, View};

#[derive(Debug)]
pub struct KvV1 {
    storage: View,
}

/// Where version 1 keeps its entries inside the mount's view; version 2 uses `v2/`, so an
/// upgrade can tell the two apart whatever the key names.
pub const PREFIX: &str = "v1/";

impl KvV1 {
    pub fn new(ctx: MountContext) -> Self {
        Self {
            storage: ctx.storage.sub(PREFIX),
        }
    }
}

#[async_trait]
impl LogicalBackend for KvV1 {
    async fn handle(&self, req: &BackendRequest<'_>) -> Result<Response, Error> {
        match req.operation {
            Operation::Read | Operation::Head => {
                let data: Data = get_json(&self.storage, require_key(req.path)?)
                    .await?
                    .ok_or(Error::NotFound)?;
                let ttl = duration_field(&data, "ttl")
                    .ok()
                    .flatten()
                    .unwrap_or(req.mount.default_lease_ttl);
                Ok(Response {
                    lease_duration: ttl.as_secs(),
                    ..Response::data(data)
                })
            }
            Operation::Create | Operation::Update => {
                if req.data.is_empty() {
                    return Err(Error::bad_request("missing data fields"));
                }
                if req.data.contains_key("ttl") {
                    duration_field(req.data, "ttl")?;
                }
                put_json(&self.storage, require_key(req.path)?, req.data).await?;
                Ok(Response::empty())
            }
            Operation::Delete => {
                self.storage.delete(require_key(req.path)?).await?;
                Ok(Response::empty())
            }
            Operation::List => keys_response(self.storage.list(req.path).await?),
            Operation::Patch => Err(Error::UnsupportedOperation),
        }
    }

    async fn exists(&self, req: &BackendRequest<'_>) -> Result<Option<bool>, Error> {
        if req.path.is_empty() {
            return Ok(Some(false));
        }
        Ok(Some(self.storage.get(req.path).await?.is_some()))
    }
}
